"""People are who they log in as (PostgreSQL): a group role per inbox role with only the
privileges that role needs, and a trigger that stamps the actor of every event from the
login. Nothing on SQLite, where the file is the boundary.

The group roles `inbox_agent`, `inbox_lead`, `inbox_supervisor`, `inbox_admin` and
`inbox_worker` belong to
the server, not to one database: they are created once (IF NOT EXISTS) and granted
privileges here, in this database. A person's login is a member of one of them
(`inbox agents add HANDLE --login`).

Every role reads every table. Writes, by `inbox.core.access.ALLOWED` and what each action
writes:

- supervisor: presence and kept drafts (they view threads), and the event log;
- agent: also threads (triage; `SELECT ... FOR UPDATE` needs UPDATE), tags, notes and their
  mentions, outbound messages (reply, cancel, retry), alerts (acknowledge);
- lead: also incidents, campaigns, prepared answers, listening rules, scheduled posts and
  team settings;
- admin: everything, accounts and people too.

Items, contacts, cursors, leases and workers come from the worker, which connects with a
login that is no person's: the owner's, or one in `inbox_worker`, which writes everything
but the team's people, settings, prepared answers and listening rules.

A migration that adds a table must grant its writes to the roles that need them (reads and
sequences come by the default privileges set below, for tables the migrating login creates):
add the table to `WRITES` in a new migration's own copy, or write the GRANT there.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 10:00:00.000000
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

GROUPS = ("inbox_supervisor", "inbox_agent", "inbox_lead", "inbox_admin", "inbox_worker")

SUPERVISOR_WRITES = {
    "presence": "INSERT, UPDATE, DELETE",
    "draft": "INSERT, UPDATE, DELETE",
    "event": "INSERT",
}
AGENT_WRITES = {
    **SUPERVISOR_WRITES,
    "thread": "UPDATE",
    "thread_tag": "INSERT, DELETE",
    "note": "INSERT",
    "note_mention": "INSERT",
    "outbound": "INSERT, UPDATE",
    "alert": "UPDATE",
}
LEAD_WRITES = {
    **AGENT_WRITES,
    "incident": "INSERT, UPDATE",
    "campaign": "INSERT, UPDATE",
    "canned_response": "INSERT, UPDATE",
    "alert_rule": "INSERT, UPDATE",
    "scheduled_post": "INSERT, UPDATE",
    "team_setting": "INSERT, UPDATE, DELETE",
}
WRITES: dict[str, dict[str, str]] = {
    "inbox_supervisor": SUPERVISOR_WRITES,
    "inbox_agent": AGENT_WRITES,
    "inbox_lead": LEAD_WRITES,
}
"""What each group may write beyond reading; `inbox_admin` may do everything."""

NOT_FOR_THE_WORKER = ("agent", "team_setting", "canned_response", "alert_rule")
"""Tables `inbox_worker` only reads: what people decide."""

EVENT_ACTOR_FUNCTION = "inbox_event_actor_from_login"
EVENT_ACTOR_TRIGGER = "event_actor_from_login"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = _schema()
    everyone = ", ".join(GROUPS)
    for group in GROUPS:
        op.execute(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{group}') "
            f"THEN CREATE ROLE {group} NOLOGIN; END IF; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
    op.execute(f"GRANT USAGE ON SCHEMA {schema} TO {everyone}")
    op.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {everyone}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {everyone}")
    for group, writes in WRITES.items():
        for table, privileges in writes.items():
            op.execute(f"GRANT {privileges} ON {schema}.{table} TO {group}")
    for group in ("inbox_admin", "inbox_worker"):
        op.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA {schema} TO {group}")
        op.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA {schema} TO {group}")
    for table in NOT_FOR_THE_WORKER:
        op.execute(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {schema}.{table} FROM inbox_worker")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {everyone}")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {everyone}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
        "GRANT ALL ON TABLES TO inbox_admin, inbox_worker"
    )
    _create_event_actor_trigger(schema)


def _create_event_actor_trigger(schema: str) -> None:
    """Stamp `event.actor` with the handle of the person whose login is inserting.

    `session_user` is the login the connection was opened with; `SET ROLE` does not change
    it. The function runs as its owner (SECURITY DEFINER, with a fixed search_path) so it
    can read `agent` whatever the login may read. A removed person's login is stamped too:
    a session opened before the removal still writes under their own name. A login that
    is no person's (the owner, the worker) keeps the actor it gave.
    """
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION {schema}.{EVENT_ACTOR_FUNCTION}() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
        DECLARE
            person text;
        BEGIN
            SELECT handle INTO person FROM {schema}.agent WHERE db_login = session_user;
            IF person IS NOT NULL THEN
                NEW.actor := person;
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(f"REVOKE ALL ON FUNCTION {schema}.{EVENT_ACTOR_FUNCTION}() FROM PUBLIC")
    op.execute(
        f"CREATE TRIGGER {EVENT_ACTOR_TRIGGER} BEFORE INSERT ON {schema}.event "
        f"FOR EACH ROW EXECUTE FUNCTION {schema}.{EVENT_ACTOR_FUNCTION}()"
    )


def downgrade() -> None:
    """Take back this database's grants and the trigger; the server's group roles stay, as
    other databases on the server may use them."""
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = _schema()
    everyone = ", ".join(GROUPS)
    op.execute(f"DROP TRIGGER IF EXISTS {EVENT_ACTOR_TRIGGER} ON {schema}.event")
    op.execute(f"DROP FUNCTION IF EXISTS {schema}.{EVENT_ACTOR_FUNCTION}()")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON TABLES FROM {everyone}")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON SEQUENCES FROM {everyone}"
    )
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {everyone}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {everyone}")
    op.execute(f"REVOKE USAGE ON SCHEMA {schema} FROM {everyone}")


def _schema() -> str:
    """The schema the inbox's tables are in, quoted for SQL."""
    from sqlalchemy import text

    name = op.get_bind().execute(text("SELECT current_schema()")).scalar()
    return op.get_bind().execute(text("SELECT quote_ident(:name)"), {"name": name}).scalar()
