"""`inbox agents` as an admin uses it, on SQLite and PostgreSQL: who is listed, removing a
person and changing a role, the refusals, and setting up before any admin exists."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from adapters.base import Kind
from inbox.cli import exit_codes
from inbox.cli.main import main
from inbox.core.database import open_engine
from inbox.core.models import ReplyDraft
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.support.items import add_account, item

pytestmark = pytest.mark.postgres


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def team(capsys, database_url) -> str:
    """An admin (root), a lead (casey), an agent (alex) and two threads alex holds."""
    run(capsys, "--db", database_url, "agents", "add", "root", "--role", "admin")
    for handle, role in (("casey", "lead"), ("alex", "agent")):
        run(capsys, "--db", database_url, "--as", "root", "agents", "add", handle, "--role", role)
    engine = open_engine(database_url)
    account = add_account(engine, "demo-x", "@brand")
    Store(engine).ingest(
        account,
        "mentions",
        [
            item("in-1", "t1", kind=Kind.MENTION, text="is checkout down?"),
            item("in-2", "t2", kind=Kind.DM, text="refund please", minutes=1, author="dan"),
        ],
        None,
    )
    InboxService(engine, actor="alex").save_draft(1, "Looking into it")
    engine.dispose()
    for thread_id in ("1", "2"):
        run(capsys, "--db", database_url, "--as", "alex", "threads", "take", thread_id)
    return database_url


def handles(capsys, db: str, *options: str) -> list[str]:
    status, out, err = run(capsys, "--db", db, "agents", "list", "--format", "json", *options)
    assert status == 0, err
    return [person["handle"] for person in json.loads(out)]


def test_anyone_lists_the_people_without_saying_who_they_are(capsys, team):
    assert handles(capsys, team) == ["alex", "casey", "root"]

    status, _, err = run(capsys, "--db", team, "agents", "add", "zoe")
    assert status == exit_codes.INVALID and "who are you?" in err, "a change still needs someone"


def test_a_removed_person_cannot_act_and_their_threads_go_back_with_a_reason(capsys, team):
    status, out, err = run(capsys, "--db", team, "--as", "root", "agents", "remove", "alex")

    assert status == 0, err
    assert out.strip() == "removed alex; 2 open threads back to unassigned"
    assert handles(capsys, team) == ["casey", "root"]
    assert handles(capsys, team, "--all") == ["alex", "casey", "root"]
    status, out, _ = run(capsys, "--db", team, "--as", "casey", "threads", "show", "1")
    assert "assigned to" not in out.splitlines()[0]
    assert "root unassigned it from alex (alex was removed)" in out
    assert "alex took it" in out, "the history keeps the name"

    status, _, err = run(capsys, "--db", team, "--as", "alex", "threads", "list")
    assert status == exit_codes.REFUSED
    assert "alex was removed from the inbox and can no longer act" in err
    status, _, err = run(capsys, "--db", team, "--as", "casey", "threads", "assign", "1", "alex")
    assert status != 0 and "no longer active" in err
    engine = open_engine(team)
    with engine.connect() as connection:
        drafts = connection.execute(select(func.count()).select_from(ReplyDraft)).scalar()
    engine.dispose()
    assert drafts == 0, "the removed person's kept drafts went with them"


def test_a_role_changes_and_the_history_says_who_changed_it(capsys, team):
    status, out, err = run(
        capsys, "--db", team, "--as", "root", "agents", "set-role", "alex", "lead"
    )
    assert (status, out.strip()) == (0, "alex is now a lead (was agent)"), err

    status, _, err = run(capsys, "--db", team, "--as", "alex", "threads", "assign", "1", "casey")
    assert status == 0, "a lead assigns"
    status, out, _ = run(capsys, "--db", team, "--as", "root", "export", "events")
    changed = [json.loads(line) for line in out.splitlines() if "agent.role_changed" in line]
    assert [(event["actor"], event["payload"]) for event in changed] == [
        ("root", {"agent_id": 3, "handle": "alex", "from": "agent", "to": "lead"})
    ]


def test_a_new_supervisor_gives_back_their_threads(capsys, team):
    status, out, _ = run(
        capsys, "--db", team, "--as", "root", "agents", "set-role", "alex", "supervisor"
    )
    assert out.strip() == "alex is now a supervisor (was agent); 2 open threads back to unassigned"
    status, out, _ = run(capsys, "--db", team, "--as", "casey", "threads", "show", "2")
    assert "(alex became a supervisor)" in out


@pytest.mark.parametrize(
    "argv", [["agents", "remove", "root"], ["agents", "set-role", "root", "lead"]]
)
def test_the_last_admin_stays(capsys, team, argv):
    status, _, err = run(capsys, "--db", team, "--as", "root", *argv)
    assert status == exit_codes.CONFLICT
    assert "root is the last admin" in err and "Make someone else admin first" in err

    run(capsys, "--db", team, "--as", "root", "agents", "set-role", "casey", "admin")
    status, _, err = run(capsys, "--db", team, "--as", "casey", *argv)
    assert status == 0, err


@pytest.mark.parametrize(
    ("argv", "status", "said"),
    [
        (["--as", "casey", "agents", "remove", "alex"], exit_codes.REFUSED, "may manage people"),
        (["--as", "alex", "agents", "set-role", "alex", "admin"], exit_codes.REFUSED, "only admin"),
        (["--as", "root", "agents", "remove", "zoe"], exit_codes.NOT_FOUND, "no person"),
        (["--as", "root", "agents", "set-role", "alex", "agent"], exit_codes.CONFLICT, "already"),
    ],
)
def test_refusals_have_their_exit_codes(capsys, team, argv, status, said):
    result, _, err = run(capsys, "--db", team, *argv)
    assert result == status and said in err, err


def test_the_readmes_order_sets_up_until_an_admin_exists(capsys, database_url):
    status, out, err = run(capsys, "--db", database_url, "agents", "add", "alex")
    assert (status, out.strip()) == (0, "added alex (agent)")
    assert "setup mode" in err and "until one is added" in err

    status, out, err = run(
        capsys, "--db", database_url, "agents", "add", "casey", "--role", "admin"
    )
    assert status == 0 and out.startswith("added casey (admin); setup mode is over"), err

    status, _, err = run(capsys, "--db", database_url, "agents", "add", "zoe")
    assert status == exit_codes.INVALID and "who are you?" in err


def test_with_no_admin_left_an_agent_is_still_only_an_agent(capsys, database_url):
    run(capsys, "--db", database_url, "agents", "add", "alex")

    status, _, err = run(capsys, "--db", database_url, "--as", "alex", "agents", "add", "zoe")

    assert status == exit_codes.REFUSED and "alex is an agent" in err


def test_a_login_is_refused_on_sqlite(capsys, tmp_path):
    status, _, err = run(
        capsys, "--db", str(tmp_path / "inbox.db"), "agents", "add", "alex", "--login"
    )
    assert status == exit_codes.INVALID
    assert "--login needs a PostgreSQL database" in err
