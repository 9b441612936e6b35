"""The social inbox backend: store, sync, outbox, stats, crisis toolkit and CLI. Never imports Textual."""
