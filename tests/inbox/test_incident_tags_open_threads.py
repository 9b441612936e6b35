"""Declaring an incident tags every open thread whose messages mention its words, however old
the messages; closed threads are left out, and the count reported is the count tagged.
On SQLite and PostgreSQL, through the service and `inbox incident declare`."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from adapters.base import Direction
from inbox.cli.main import main
from inbox.core.models import Thread
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.support.items import add_account, item

WORDS = ["backup", "stuck", "sync"]
_thread = Thread.__table__


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        status = main(list(argv))
    except SystemExit as exit:
        status = exit.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def said(external_id: str, thread_key: str, text: str, *, days_ago: float, **fields):
    """A message in `thread_key`, `days_ago` days before now."""
    at = datetime.now(UTC) - timedelta(days=days_ago)
    return dataclasses.replace(item(external_id, thread_key, text=text, **fields), created_at=at)


@pytest.fixture
def threads(engine) -> dict[str, int]:
    """casey (lead) and four threads, their messages three days old, by name: thread id."""
    setup = InboxService(engine)
    setup.add_agent("root", "Root", "admin")
    InboxService(engine, actor="root").add_agent("casey", "Casey", "lead")
    account = add_account(engine, "demo-x", "@brand")
    Store(engine).ingest(
        account,
        "mentions",
        [
            said("1", "open-backup", "My BACKUP has failed since Monday", days_ago=3),
            said("2", "closed-backup", "backup failed, fixed now, thanks", days_ago=3),
            said("3", "backups-plural", "where are my backups kept?", days_ago=3),
            said("4", "we-said-it", "photos are missing", days_ago=3),
            said(
                "5",
                "we-said-it",
                "Try a sync from the settings page",
                days_ago=2.9,
                direction=Direction.OUT,
                author="brand",
            ),
        ],
        None,
    )
    with engine.connect() as connection:
        ids = dict(connection.execute(select(_thread.c.thread_key, _thread.c.id)).all())
    lead = InboxService(engine, actor="casey")
    lead.close([ids["closed-backup"]])
    return ids


def test_an_old_open_thread_is_tagged_and_a_closed_one_is_not(engine, threads):
    lead = InboxService(engine, actor="casey")

    incident, _ = lead.declare_incident("Backups stuck", match=WORDS)

    assert incident.threads == 1
    tagged = [key for key, thread_id in threads.items() if lead.thread(thread_id).incident_id]
    assert tagged == ["open-backup"]
    assert f"incident-{incident.id}" in lead.thread(threads["open-backup"]).tags
    assert lead.thread(threads["closed-backup"]).tags == ()


def test_the_cli_says_what_it_matched_and_how_many_it_tagged(capsys, database_url, threads):
    status, out, err = run(
        capsys,
        "--db",
        database_url,
        "--as",
        "casey",
        "incident",
        "declare",
        "Backups stuck",
        "--match",
        "backup, stuck, sync",
    )

    assert (status, err) == (0, "")
    assert "; 1 thread tagged (open threads mentioning backup, stuck, sync);" in out
    status, out, err = run(
        capsys, "--db", database_url, "--as", "casey", "incident", "list", "--format", "json"
    )
    assert [incident["threads"] for incident in json.loads(out)] == [1], err


def test_the_declare_help_says_which_threads_are_tagged(capsys):
    status, out, _ = run(capsys, "incident", "declare", "--help")
    assert status == 0
    assert "open threads whose messages mention any of" in " ".join(out.split())
