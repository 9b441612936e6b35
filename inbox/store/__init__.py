"""Landing what the adapters fetched: ingest, sync cursors, account health and polling leases."""
