"""Alembic environment: runs on the connection the inbox hands in, never on its own URL."""

from alembic import context
from sqlmodel import SQLModel

import inbox.core.models  # noqa: F401  (registers every table on the metadata)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `inbox db upgrade`, which supplies the database")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
