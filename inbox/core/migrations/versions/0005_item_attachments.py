"""Item attachments: media, link cards, quotes, polls, content warnings, forwarded mail.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 13:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("item", sa.Column("attachments", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite 3.35+, PostgreSQL): a batch rebuild would drop the FTS triggers.
    op.execute("ALTER TABLE item DROP COLUMN attachments")
