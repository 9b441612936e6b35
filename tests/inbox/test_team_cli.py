"""`inbox team` and `inbox setup` as a person types them."""

from __future__ import annotations

import json

import pytest

from inbox.cli.main import main


@pytest.fixture
def database(tmp_path, capsys) -> str:
    """A SQLite inbox with ana (admin), lee (lead) and ben (agent)."""
    path = str(tmp_path / "inbox.db")
    assert main(["--db", path, "agents", "add", "ana", "--role", "admin"]) == 0
    for handle, role in (("lee", "lead"), ("ben", "agent")):
        assert main(["--db", path, "--as", "ana", "agents", "add", handle, "--role", role]) == 0
    capsys.readouterr()
    return path


def run(capsys, database: str, *argv: str) -> tuple[int, str, str]:
    status = main(["--db", database, *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_lead_sets_the_policy_and_everyone_reads_it_and_its_history(capsys, database):
    status, out, _ = run(
        capsys,
        database,
        "--as",
        "lee",
        "team",
        "sla",
        "set",
        "timezone=Europe/Berlin",
        "hours.mon=08:00-16:00",
        "holidays=2026-12-25,2026-12-26",
        "kind.dm=30",
        "platform.reddit=480",
        "kind.mention=",
    )

    assert status == 0
    assert out.startswith("lee changed the SLA policy (version 1): timezone from UTC to Europe")
    status, out, _ = run(capsys, database, "--as", "ben", "team", "sla", "show")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith("SLA policy version 1, saved by lee")
    assert "hours.mon               08:00-16:00" in lines
    assert "holidays                2026-12-25, 2026-12-26" in lines
    assert "kind.dm                 30" in lines and "platform.reddit         480" in lines
    assert not any(line.startswith("kind.mention") for line in lines)
    status, out, _ = run(capsys, database, "team", "history", "--format", "json")
    [change] = json.loads(out)
    assert (change["setting"], change["version"], change["by"]) == ("sla", 1, "lee")
    assert change["changes"]["hours.mon"] == ["09:00-17:00", "08:00-16:00"]


@pytest.mark.parametrize(
    ("assignment", "problem"),
    [
        ("hours.mon=8-16", 'hours.mon must be like "09:00-17:00"'),
        ("kind.tweet=30", "'tweet' is not a kind (known: comment, dm, mention)"),
        ("first_response_minutes=soon", "must be a whole number of minutes above 0, not 'soon'"),
        ("timezone=Mars/Base", "'Mars/Base' is not a time zone name"),
        ("colour=red", "unknown setting 'colour'"),
        ("timezone", "give settings as KEY=VALUE, not 'timezone'"),
    ],
)
def test_a_bad_value_is_refused_in_words_and_nothing_saved(capsys, database, assignment, problem):
    status, _, err = run(capsys, database, "--as", "lee", "team", "sla", "set", assignment)

    assert status == 2 and problem in err and err.count("\n") == 1
    assert run(capsys, database, "team", "history")[1].startswith("no team setting")


def test_an_agent_may_not_change_the_policy(capsys, database):
    status, _, err = run(capsys, database, "--as", "ben", "team", "sla", "set", "kind.dm=5")

    assert status == 4
    assert "ben is an agent; only admin, lead may change the team's settings" in err


def test_setup_on_a_database_with_an_admin_says_so_and_changes_nothing(capsys, database):
    status, out, _ = run(capsys, database, "setup", "--admin", "zoe", "--yes")

    assert status == 0
    assert "this inbox is set up already: ana is its admin; nothing was changed" in out
    _, out, _ = run(capsys, database, "agents", "list", "--format", "json")
    assert "zoe" not in out
    assert run(capsys, database, "team", "history")[1].startswith("no team setting")


def test_setup_without_a_terminal_needs_the_admins_handle(capsys, tmp_path):
    status, _, err = run(capsys, str(tmp_path / "new.db"), "setup", "--skip-account")

    assert status == 2 and "--admin HANDLE is needed without a terminal" in err


def test_setup_with_a_login_on_sqlite_is_refused_before_anything_is_made(capsys, tmp_path):
    database = str(tmp_path / "new.db")
    status, _, err = run(capsys, database, "setup", "--admin", "ana", "--login", "--yes")

    assert status == 2 and "--login needs a PostgreSQL database" in err
    status, out, _ = run(capsys, database, "agents", "list", "--format", "json")
    assert json.loads(out) == []
