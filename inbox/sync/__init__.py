"""Polling the accounts: one task per account and stream, backoff, leases.

The store lands what arrives.
"""
