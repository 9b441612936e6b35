"""`inbox demo`: the workspace a newcomer first sees."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import pytest

from adapters.registry import adapter_class
from inbox.cli.main import main
from inbox.core.clock import FixedClock
from inbox.core.database import open_engine
from inbox.demo.workspace import ACCOUNTS, build_workspace

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """One demo workspace built with a fixed clock and seed, shared by the read-only tests."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = open_engine(f"sqlite:///{path}")
    summary = build_workspace(engine, seed=7, days=30, clock=FixedClock(NOW))
    engine.dispose()
    return path, summary


def dump(path) -> list[str]:
    """The database's whole content as SQL, independent of how the file is laid out."""
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


def query(path, sql: str):
    with sqlite3.connect(path) as connection:
        return connection.execute(sql).fetchall()


def test_the_workspace_has_nine_accounts_with_their_platforms_limits(workspace):
    path, summary = workspace
    accounts = query(path, "SELECT platform, handle FROM account ORDER BY id")
    assert accounts == [(platform, handle) for platform, handle, _rate in ACCOUNTS]
    limits = {platform: adapter_class(platform).text_limit for platform, _ in accounts}
    assert limits == {
        "demo-mastodon": 500,
        "demo-bluesky": 300,
        "demo-x": 280,
        "demo-reddit": 10_000,
        "demo-facebook": 8_000,
        "demo-email": None,
        "demo-instagram": 1000,
        "demo-youtube": 10_000,
        "demo-linkedin": 1250,
    }
    assert summary.accounts == 9


def test_the_people_and_their_roles(workspace):
    path, _ = workspace
    assert query(path, "SELECT handle, role FROM agent ORDER BY id") == [
        ("alex", "agent"),
        ("blake", "agent"),
        ("casey", "lead"),
        ("drew", "supervisor"),
        ("admin", "admin"),
    ]


def test_thirty_days_of_history_with_realistic_response_times(workspace):
    path, summary = workspace
    first, last = query(
        path, "SELECT min(created_at), max(created_at) FROM item WHERE direction = 'in'"
    )[0]
    span_days = (last - first) / 86_400_000_000
    assert 29 <= span_days <= 30
    assert summary.inbound_items > 10_000
    assert summary.replies > summary.inbound_items / 2

    waits = sorted(
        (answered - received) / 60_000_000
        for received, answered in query(
            path,
            "SELECT first_inbound_at, first_response_at FROM thread "
            "WHERE first_response_at IS NOT NULL",
        )
    )
    median_minutes = waits[len(waits) // 2]
    assert 10 < median_minutes < 24 * 60, f"median first response {median_minutes:.0f} min"
    assert min(waits) >= 0
    authors = dict(
        query(
            path,
            "SELECT agent.handle, count(*) FROM item "
            "JOIN agent ON agent.id = item.agent_id GROUP BY agent.handle",
        )
    )
    assert set(authors) == {"alex", "blake", "casey"} and authors["alex"] > authors["casey"]


def test_the_queue_has_work_in_every_state(workspace):
    path, summary = workspace
    statuses = dict(query(path, "SELECT status, count(*) FROM thread GROUP BY status"))
    assert {"new", "open", "pending", "closed"} <= set(statuses)
    assert statuses["closed"] > statuses["new"]
    assert summary.open_threads == sum(
        count for status, count in statuses.items() if status != "closed"
    )
    kinds = {kind for (kind,) in query(path, "SELECT DISTINCT kind FROM thread")}
    assert kinds == {"comment", "dm", "mention"}


def test_every_inbound_message_is_scored_and_the_prepared_answers_are_loaded(workspace):
    path, summary = workspace
    assert query(
        path, "SELECT count(*) FROM item WHERE direction = 'in' AND sentiment IS NULL"
    ) == [(0,)]
    assert summary.prepared_answers >= 30
    assert ("holding-statement",) in query(path, "SELECT shortcode FROM canned_response")


def test_the_lead_listens_for_a_spike_and_outage_words_from_the_start(workspace):
    path, _ = workspace
    rules = query(path, "SELECT name, type FROM alert_rule ORDER BY id")
    assert rules == [("Volume spike (15 min)", "volume_spike"), ("Outage words", "keyword")]


def test_live_sync_continues_exactly_where_the_history_stops(workspace):
    path, _ = workspace
    for platform, handle, stream, cursor in query(
        path,
        "SELECT account.platform, account.handle, stream, cursor FROM sync_cursor "
        "JOIN account ON account.id = account_id",
    ):
        settings = json.loads(
            query(path, f"SELECT settings FROM account WHERE handle = '{handle}'")[0][0]
        )
        from adapters.base import AccountRef

        adapter = adapter_class(platform)(
            AccountRef(1, platform, handle, settings=settings), None, clock=lambda: NOW
        )
        assert cursor == adapter.cursor_after(stream, NOW)


def test_the_same_seed_builds_the_same_workspace(tmp_path, workspace):
    path, _ = workspace
    again = tmp_path / "again.db"
    engine = open_engine(f"sqlite:///{again}")
    build_workspace(engine, seed=7, days=30, clock=FixedClock(NOW))
    engine.dispose()
    sql = "SELECT external_id, text, created_at FROM item ORDER BY account_id, external_id"
    assert query(again, sql) == query(path, sql)


def test_demo_no_tui_builds_where_asked_and_keep_reuses_it(tmp_path, capsys):
    target = tmp_path / "my-demo.db"
    assert main(["--db", str(target), "demo", "--no-tui", "--days", "2"]) == 0
    out = capsys.readouterr().out
    assert f"open it with: inbox --db {target} --as alex tui" in out
    threads = query(target, "SELECT count(*) FROM thread")[0][0]

    assert main(["--db", str(target), "demo", "--no-tui", "--keep", "--days", "2"]) == 0
    assert "demo workspace:" not in capsys.readouterr().out
    assert query(target, "SELECT count(*) FROM thread")[0][0] == threads


def test_demo_never_touches_a_real_inbox(tmp_path, capsys):
    target = tmp_path / "inbox.db"
    main(["--db", str(target), "agents", "add", "someone"])
    main(["--db", str(target), "--as", "someone", "db", "status"])
    before = dump(target)
    capsys.readouterr()

    for extra in ([], ["--keep"]):
        status = main(["--db", str(target), "demo", "--no-tui", *extra])
        assert status == 5
        assert "holds a real inbox; the demo never touches one" in capsys.readouterr().err
    assert query(target, "SELECT handle FROM agent") == [("someone",)]
    assert dump(target) == before
