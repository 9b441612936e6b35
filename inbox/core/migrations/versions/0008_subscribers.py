"""Subscribers to incident updates by email, and the recipient of a message outside any thread.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 16:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscriber",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("unsubscribe_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("unsubscribed_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("unsubscribe_token"),
    )
    # Plain ALTER TABLE (SQLite 3.35+, PostgreSQL): a batch rebuild would drop the triggers.
    op.add_column("outbound", sa.Column("recipient", sa.String(320), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        # Migration 0007's groups: leads and admins keep the list; the worker reads it.
        op.execute("GRANT INSERT, UPDATE, DELETE ON subscriber TO inbox_lead")


def downgrade() -> None:
    op.execute("ALTER TABLE outbound DROP COLUMN recipient")
    op.drop_table("subscriber")
