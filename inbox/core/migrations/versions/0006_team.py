"""A team on several machines: workers' heartbeats, team settings, removed accounts and
the database login of each person.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 15:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("heartbeat_at", sa.BigInteger(), nullable=False),
        sa.Column("stopped_at", sa.BigInteger(), nullable=True),
        sa.Column("account_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "team_setting",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    # Plain ALTER TABLE (SQLite 3.35+, PostgreSQL): a batch rebuild would drop the triggers.
    op.add_column("account", sa.Column("removed_at", sa.BigInteger(), nullable=True))
    op.add_column("agent", sa.Column("db_login", sa.String(63), nullable=True))
    op.create_index("ix_agent_db_login", "agent", ["db_login"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_agent_db_login", table_name="agent")
    op.execute("ALTER TABLE agent DROP COLUMN db_login")
    op.execute("ALTER TABLE account DROP COLUMN removed_at")
    op.drop_table("team_setting")
    op.drop_table("worker")
