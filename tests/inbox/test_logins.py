"""People are who they log in as, on PostgreSQL: `agents add --login`, the login mapped to the
person, the event actor stamped by the database, and each role's privileges.

The test cluster trusts every connection from 127.0.0.1 (tests/servers/postgres.py), so a
login connects without its password here: these tests are about mapping a login to a
person, not about password checks, which are the server's.
"""

from __future__ import annotations

import io
import json
import secrets

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import select
from sqlalchemy.engine import make_url

from adapters.base import Kind
from inbox.cli import exit_codes
from inbox.cli.main import main
from inbox.core.database import open_engine
from inbox.core.models import Agent
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.conftest import skip_or_fail
from tests.servers.postgres import libpq_url
from tests.support.items import add_account, item

pytestmark = pytest.mark.postgres


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def owner_url(postgres_server, postgres_template) -> str:
    """A fresh inbox database on PostgreSQL, as its owner (the superuser) sees it."""
    if postgres_template is None:
        skip_or_fail(f"PostgreSQL: {postgres_server}")
    url = postgres_server.create_database(template_url=postgres_template)
    yield url
    postgres_server.drop_database(url)


@pytest.fixture
def logins(owner_url):
    """Unique login names for this test; whatever was created under them is dropped after."""
    made: list[str] = []

    def login(person: str) -> str:
        name = f"{person}_{secrets.token_hex(4)}"
        made.append(name)
        return name

    yield login
    with psycopg.connect(libpq_url(owner_url), autocommit=True) as connection:
        for name in made:
            connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def as_login(url: str, login: str) -> str:
    """The same database, connected as `login`."""
    return make_url(url).set(username=login, password=None).render_as_string(hide_password=False)


@pytest.fixture
def team(capsys, monkeypatch, owner_url, logins) -> dict[str, str]:
    """root (admin, the owner's connection), alex (agent) and sam (agent) with their own
    logins, and one unassigned thread. Returns each person's database URL."""
    run(capsys, "--db", owner_url, "agents", "add", "root", "--role", "admin")
    urls = {"root": owner_url}
    for person in ("alex", "sam"):
        login = logins(person)
        monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery staple\n"))
        status, out, err = run(
            capsys,
            "--db",
            owner_url,
            "--as",
            "root",
            "agents",
            "add",
            person,
            "--login",
            login,
            "--password-stdin",
        )
        assert status == 0, err
        assert out.strip() == f"added {person} (agent) with the database login {login}"
        urls[person] = as_login(owner_url, login)
    engine = open_engine(owner_url)
    account = add_account(engine, "demo-x", "@brand")
    Store(engine).ingest(account, "mentions", [item("in-1", "t1", kind=Kind.MENTION)], None)
    engine.dispose()
    return urls


def test_a_login_is_created_that_connects_as_that_person(capsys, team, owner_url):
    status, out, err = run(capsys, "--db", team["alex"], "threads", "take", "1")
    assert status == 0, err

    status, out, _ = run(capsys, "--db", owner_url, "--as", "root", "threads", "show", "1")
    assert "assigned to alex" in out.splitlines()[0]
    assert "alex took it" in out
    login = make_url(team["alex"]).username
    with psycopg.connect(libpq_url(owner_url)) as connection:
        can_login, stored = connection.execute(
            "SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = %s", (login,)
        ).fetchone()
    assert can_login
    assert stored.startswith("SCRAM-SHA-256$") and "horse" not in stored


def test_connected_as_alex_acting_as_sam_is_refused(capsys, team):
    login = make_url(team["alex"]).username

    status, _, err = run(capsys, "--db", team["alex"], "--as", "sam", "threads", "take", "1")

    assert status == exit_codes.REFUSED
    assert f"you are connected as login {login}, which is alex; you cannot act as sam" in err
    assert run(capsys, "--db", team["alex"], "--as", "alex", "threads", "list")[0] == 0


def test_an_event_written_on_alexs_connection_names_alex_whatever_it_says(team, owner_url):
    with psycopg.connect(libpq_url(team["alex"]), autocommit=True) as connection:
        connection.execute(
            "INSERT INTO event (at, actor, type, payload) "
            "VALUES (0, 'sam', 'note.added', '{\"note_id\": 1}')"
        )
    with psycopg.connect(libpq_url(owner_url), autocommit=True) as connection:
        connection.execute(
            "INSERT INTO event (at, actor, type, payload) VALUES (0, 'sync', 'note.added', '{}')"
        )
        actors = connection.execute(
            "SELECT actor FROM event WHERE type = 'note.added' ORDER BY id"
        ).fetchall()
    assert actors == [("alex",), ("sync",)], "a login that is no person's keeps its actor"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE account SET enabled = false",
        "INSERT INTO agent (handle, name, role, capacity, active, created_at) "
        "VALUES ('mallory', 'Mallory', 'admin', 20, true, 0)",
        "UPDATE agent SET role = 'admin'",
        "DELETE FROM event",
    ],
)
def test_an_agents_login_cannot_change_accounts_people_or_history(team, statement):
    with psycopg.connect(libpq_url(team["alex"])) as connection:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            connection.execute(statement)


def test_an_agents_login_takes_and_closes_a_thread_through_the_service(team):
    engine = open_engine(team["alex"])
    try:
        service = InboxService(engine)
        assert (service.actor.handle, service.actor.role) == ("alex", "agent")
        assert service.take([1]).changed == (1,)
        assert service.close([1]).changed == (1,)
        assert service.thread(1).status == "closed"
        assert [entry.text for entry in service.history(1)][-2:] == [
            "alex took it",
            "status new -> closed by alex",
        ]
    finally:
        engine.dispose()


def test_a_removed_persons_login_cannot_connect_or_act(capsys, team, owner_url):
    status, out, err = run(capsys, "--db", owner_url, "--as", "root", "agents", "remove", "alex")
    login = make_url(team["alex"]).username
    assert status == 0, err
    assert f"the database login {login} can no longer connect" in out
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        psycopg.connect(libpq_url(team["alex"])).close()

    with psycopg.connect(libpq_url(owner_url), autocommit=True) as connection:
        connection.execute(sql.SQL("ALTER ROLE {} LOGIN").format(sql.Identifier(login)))
    status, _, err = run(capsys, "--db", team["alex"], "threads", "list")
    assert status == exit_codes.REFUSED
    assert "alex was removed from the inbox and can no longer act" in err


def test_a_new_role_moves_the_login_to_that_roles_group(capsys, team, owner_url):
    login = make_url(team["alex"]).username

    status, _, err = run(
        capsys, "--db", owner_url, "--as", "root", "agents", "set-role", "alex", "lead"
    )

    assert status == 0, err
    assert _groups(owner_url, login) == [("inbox_lead",)]
    status, _, err = run(capsys, "--db", team["alex"], "threads", "assign", "1", "sam")
    assert status == 0, "a lead's login may assign: " + err


def test_an_admin_made_an_agent_again_keeps_no_other_roles_group(capsys, team, owner_url):
    login = make_url(team["sam"]).username
    for role in ("admin", "agent"):
        status, _, err = run(
            capsys, "--db", owner_url, "--as", "root", "agents", "set-role", "sam", role
        )
        assert status == 0, err

    assert _groups(owner_url, login) == [("inbox_agent",)]
    with psycopg.connect(libpq_url(team["sam"])) as connection:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("UPDATE team_setting SET version = version")


def _groups(owner_url: str, login: str) -> list[tuple[str]]:
    """The group roles `login` is a member of."""
    with psycopg.connect(libpq_url(owner_url)) as connection:
        return connection.execute(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = %s ORDER BY g.rolname",
            (login,),
        ).fetchall()


def test_an_admins_login_adds_people_with_logins(capsys, monkeypatch, team, owner_url, logins):
    run(capsys, "--db", owner_url, "--as", "root", "agents", "set-role", "sam", "admin")
    login = logins("blake")
    monkeypatch.setattr("sys.stdin", io.StringIO("another secret\n"))

    status, out, err = run(
        capsys,
        "--db",
        team["sam"],
        "agents",
        "add",
        "blake",
        "--login",
        login,
        "--password-stdin",
        "--format",
        "json",
    )

    assert status == 0, err
    assert json.loads(out)["login"] == login
    engine = open_engine(owner_url)
    with engine.connect() as connection:
        stored = connection.execute(
            select(Agent.db_login).where(Agent.handle == "blake")
        ).scalar_one()
    engine.dispose()
    assert stored == login


def test_the_worker_refuses_to_run_on_a_persons_login(capsys, team):
    status, _, err = run(capsys, "--db", team["alex"], "worker")

    assert status == exit_codes.REFUSED
    assert "alex's own login may not" in err
    assert "inbox_worker" in err


def test_a_login_in_inbox_worker_stores_what_arrives_but_not_what_people_decide(
    team, owner_url, logins
):
    import asyncio

    from inbox.runtime import build_sync_engine, http_client

    login = logins("worker")
    with psycopg.connect(libpq_url(owner_url), autocommit=True) as connection:
        connection.execute(
            sql.SQL("CREATE ROLE {} LOGIN IN ROLE inbox_worker").format(sql.Identifier(login))
        )
    engine = open_engine(as_login(owner_url, login))
    try:

        async def poll_once():
            async with http_client(_sync_settings()) as client:
                return await build_sync_engine(engine, None).run_once(client)

        summary = asyncio.run(poll_once())
        assert summary.new_items > 0
        assert not [stream.error for stream in summary.streams if stream.error]
    finally:
        engine.dispose()
    with psycopg.connect(libpq_url(as_login(owner_url, login))) as connection:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            connection.execute("UPDATE agent SET role = 'admin'")


def _sync_settings():
    from inbox.core.config import SyncSettings

    return SyncSettings()
