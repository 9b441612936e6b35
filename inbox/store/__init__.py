"""Landing what the adapters fetched (ingest, sync cursors, account health, polling leases), and the accounts and people."""
