"""Landing what the adapters fetched, and the accounts and people.

Ingest, sync cursors, account health and polling leases; the accounts and people.
"""
