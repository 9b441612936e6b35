"""Outbound review: who approved or rejected a row, and the note its author reads.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewed_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("review_note", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            "fk_outbound_reviewed_by_agent", "agent", ["reviewed_by"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("outbound", schema=None) as batch_op:
        batch_op.drop_constraint("fk_outbound_reviewed_by_agent", type_="foreignkey")
        batch_op.drop_column("review_note")
        batch_op.drop_column("reviewed_by")
