"""The queue runs itself (spam, blocked authors, hidden comments, acknowledgements,
notifications) and platforms with a daily quota.

- `thread.spam_at`: marked spam (closed, out of the SLA and the response-time stats);
- `contact.blocked_at` / `blocked_by`: an author whose new items close as spam;
- `item.hidden_at`: a comment hidden on the platform (moderation);
- `item.automated`: a message the inbox sent by itself (an acknowledgement), counted apart
  from people's first responses;
- `outbound.purpose`: why the inbox queued a message by itself ("acknowledgement"); a
  unique index makes a second acknowledgement of one thread impossible;
- `notification`: what a person is told (assigned to them, @mentioned, their reply
  approved, rejected or failed, an approval waiting), listed until read;
- `agent.last_seen_at` / `away_since`: an open TUI's heartbeat and a person's "away", so
  auto-assignment picks people who are there and hands back the threads of who left;
- `account_quota`: the units of a platform's daily quota an account has used (YouTube).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 18:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ACKNOWLEDGEMENT = sa.text("purpose = 'acknowledgement'")


def upgrade() -> None:
    # Plain ALTER TABLE (SQLite 3.35+, PostgreSQL): a batch rebuild would drop the triggers.
    op.add_column("thread", sa.Column("spam_at", sa.BigInteger(), nullable=True))
    op.add_column("contact", sa.Column("blocked_at", sa.BigInteger(), nullable=True))
    op.execute("ALTER TABLE contact ADD COLUMN blocked_by INTEGER REFERENCES agent (id)")
    op.add_column("agent", sa.Column("last_seen_at", sa.BigInteger(), nullable=True))
    op.add_column("agent", sa.Column("away_since", sa.BigInteger(), nullable=True))
    op.add_column("item", sa.Column("hidden_at", sa.BigInteger(), nullable=True))
    op.add_column(
        "item",
        sa.Column("automated", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("outbound", sa.Column("purpose", sa.String(20), nullable=True))
    op.create_index(
        "ux_outbound_acknowledgement",
        "outbound",
        ["thread_id"],
        unique=True,
        sqlite_where=ACKNOWLEDGEMENT,
        postgresql_where=ACKNOWLEDGEMENT,
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agent.id"), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("thread_id", sa.Integer(), sa.ForeignKey("thread.id"), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("read_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agent_id", "event_id", "kind"),
    )
    op.create_index("ix_notification_agent_read", "notification", ["agent_id", "read_at", "id"])
    op.create_table(
        "account_quota",
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id"), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "day"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Migration 0007's groups. Whoever writes an event may tell its people (a worker
        # tells an author their reply failed); each person marks their own as read.
        # Agents block authors; the worker writes quotas and hidden comments.
        op.execute(
            "GRANT INSERT, UPDATE ON notification TO inbox_supervisor, inbox_agent, inbox_lead"
        )
        op.execute("GRANT UPDATE ON contact TO inbox_agent, inbox_lead")
        op.execute(
            "GRANT UPDATE (last_seen_at, away_since) ON agent "
            "TO inbox_supervisor, inbox_agent, inbox_lead"
        )


def downgrade() -> None:
    op.drop_table("account_quota")
    op.drop_index("ix_notification_agent_read", table_name="notification")
    op.drop_table("notification")
    op.drop_index("ux_outbound_acknowledgement", table_name="outbound")
    op.execute("ALTER TABLE outbound DROP COLUMN purpose")
    op.execute("ALTER TABLE item DROP COLUMN automated")
    op.execute("ALTER TABLE item DROP COLUMN hidden_at")
    op.execute("ALTER TABLE agent DROP COLUMN away_since")
    op.execute("ALTER TABLE agent DROP COLUMN last_seen_at")
    op.execute("ALTER TABLE contact DROP COLUMN blocked_by")
    op.execute("ALTER TABLE contact DROP COLUMN blocked_at")
    op.execute("ALTER TABLE thread DROP COLUMN spam_at")
