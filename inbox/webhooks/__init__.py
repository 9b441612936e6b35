"""`inbox webhooks serve`: the platforms that push (Meta's Pages and Instagram) deliver here.

`app` checks each request (handshake, size, signature) before anything is parsed;
`deliveries` routes each entry to its account's adapter; `landing` stores the items through
the sync engine's idempotent ingest; `server` runs it all under uvicorn. The defaults below
live here, where `inbox --help` reads them without importing the server.
"""

DEFAULT_HOST = "127.0.0.1"
"""Loopback: the reverse proxy that holds the HTTPS certificate forwards here."""

DEFAULT_PORT = 8780

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
"""The largest delivery taken by default. Meta batches up to 1,000 changes in one POST."""
