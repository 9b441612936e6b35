"""Polling the accounts: one task per account and stream, backoff, leases; the store lands what arrives."""
