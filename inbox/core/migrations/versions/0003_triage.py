"""Triage: who a note mentions, and the indexes behind every view and sort of open threads.

The open-thread indexes are partial (`status != 'closed'`): a big inbox is mostly closed
threads, and the lists people work from never read those. Ingest moves a thread's times
often, so there are few of them: the SLA due order reads the existing `ix_thread_due`
(closed threads have no due time), and only open threads with no due time, or with an
incident, get one of their own.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NOT_CLOSED = "status != 'closed'"
OPEN_INDEXES = {
    "ix_thread_activity_open": (["last_activity_at", "id"], NOT_CLOSED),
    "ix_thread_inbound_open": (["last_inbound_at", "id"], NOT_CLOSED),
    "ix_thread_undue_open": (["id"], f"{NOT_CLOSED} AND due_at IS NULL"),
    "ix_thread_incident_open": (["incident_id"], f"{NOT_CLOSED} AND incident_id IS NOT NULL"),
    "ix_thread_account_open": (["account_id"], NOT_CLOSED),
}


def upgrade() -> None:
    op.create_table(
        "note_mention",
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agent.id"],
        ),
        sa.ForeignKeyConstraint(["note_id"], ["note.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["thread_id"], ["thread.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("note_id", "agent_id"),
    )
    op.create_index(
        "ix_note_mention_agent_thread", "note_mention", ["agent_id", "thread_id"], unique=False
    )
    op.create_index("ix_thread_contact", "thread", ["contact_id"], unique=False)
    for name, (columns, where) in OPEN_INDEXES.items():
        op.create_index(
            name,
            "thread",
            columns,
            unique=False,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def downgrade() -> None:
    for name in OPEN_INDEXES:
        op.drop_index(name, table_name="thread")
    op.drop_index("ix_thread_contact", table_name="thread")
    op.drop_index("ix_note_mention_agent_thread", table_name="note_mention")
    op.drop_table("note_mention")
