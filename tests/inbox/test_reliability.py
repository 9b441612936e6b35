"""Whole processes: a poller killed mid-ingest, and two pollers on one SQLite file.

These start real `inbox sync --follow` processes on a real database file with demo
accounts whose streams end after a known number of items, so "every item exactly once"
can be checked against the simulator itself.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.base import AccountRef
from adapters.registry import adapter_class
from inbox.cli.main import main
from tests.conftest import REPO
from tests.support.polling import wait_until

pytestmark = pytest.mark.slow

ITEMS_PER_STREAM = 1_500
ACCOUNTS = (
    ("demo-x", "@brand"),
    ("demo-mastodon", "@brand@demo.social"),
    ("demo-email", "support@brand.example"),
)
SETTINGS = {
    "seed": 11,
    "epoch": datetime(2026, 1, 1, tzinfo=UTC).isoformat(),
    "rate_per_hour": 3600,
    "total_items": ITEMS_PER_STREAM,
}


@pytest.fixture
def processes():
    """Every process a test starts, killed at the end whatever happened."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


@pytest.fixture
def workspace(tmp_path, capsys):
    """A database with three demo accounts whose traffic is all due, and a config."""
    database = tmp_path / "inbox.db"
    config = tmp_path / "config.toml"
    config.write_text("[sync]\nlease_seconds = 2\n")
    from inbox.core.database import open_engine
    from inbox.service import InboxService

    engine = open_engine(f"sqlite:///{database}")
    service = InboxService(engine)
    for platform, handle in ACCOUNTS:
        service.add_account(platform, handle, settings=SETTINGS)
    engine.dispose()
    capsys.readouterr()
    return database, config


def expected_items() -> dict[tuple[str, str], set[str]]:
    """Every (platform, stream)'s external ids, straight from the simulator."""
    expected = {}
    for platform, handle in ACCOUNTS:
        adapter = adapter_class(platform)(AccountRef(0, platform, handle, settings=SETTINGS), None)
        for stream in adapter.streams:
            items = adapter.simulator.items(stream, 0, ITEMS_PER_STREAM)
            expected[(platform, stream)] = {item.external_id for item in items}
    return expected


def stored(database: Path) -> dict[str, object]:
    with sqlite3.connect(database, timeout=30) as connection:
        external_ids = connection.execute(
            "SELECT account.platform, item.external_id FROM item "
            "JOIN account ON account.id = item.account_id"
        ).fetchall()
        cursors = dict(
            ((platform, stream), cursor)
            for platform, stream, cursor in connection.execute(
                "SELECT account.platform, stream, cursor FROM sync_cursor "
                "JOIN account ON account.id = account_id"
            )
        )
        counted = connection.execute("SELECT COALESCE(SUM(item_count), 0) FROM thread").fetchone()[
            0
        ]
    return {"rows": external_ids, "cursors": cursors, "thread_item_count": counted}


def item_count(database: Path) -> int:
    try:
        with sqlite3.connect(database, timeout=30) as connection:
            return connection.execute("SELECT count(*) FROM item").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def start_sync(database: Path, config: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "inbox.cli.main",
            "--db",
            str(database),
            "--config",
            str(config),
            "-v",
            "sync",
            *extra,
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def stop(process: subprocess.Popen) -> tuple[str, str]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    return out, err


def assert_everything_exactly_once(database: Path) -> None:
    expected = expected_items()
    result = stored(database)
    rows = result["rows"]
    total = sum(len(ids) for ids in expected.values())
    assert len(rows) == total, "an item is missing or stored twice"
    assert len(set(rows)) == len(rows)
    by_platform: dict[str, set[str]] = {}
    for (platform, _stream), ids in expected.items():
        by_platform.setdefault(platform, set()).update(ids)
    assert {
        (platform, external_id) for platform, ids in by_platform.items() for external_id in ids
    } == set(rows)
    assert result["cursors"] == {key: str(ITEMS_PER_STREAM) for key in expected}
    assert result["thread_item_count"] == total, "thread counters disagree with the items"


def test_a_poller_killed_mid_ingest_loses_and_duplicates_nothing(workspace, processes):
    database, config = workspace
    total = sum(len(ids) for ids in expected_items().values())

    first = start_sync(database, config, "--follow")
    processes.append(first)
    wait_until(lambda: item_count(database) >= 2_000, 120, "the first poller to store 2,000 items")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    interrupted_at = item_count(database)
    assert interrupted_at < total, "the poller finished before it could be killed"

    second = start_sync(database, config, "--follow")
    processes.append(second)
    wait_until(
        lambda: item_count(database) == total, 180, "the restarted poller to store every item"
    )
    wait_until(
        lambda: all(c == str(ITEMS_PER_STREAM) for c in stored(database)["cursors"].values()),
        30,
        "final cursors",
    )
    _, err = stop(second)

    assert second.returncode == 0, err
    assert "Traceback" not in err
    assert_everything_exactly_once(database)


def test_two_pollers_on_one_file_split_the_accounts_and_never_lock_out(workspace, processes):
    database, config = workspace
    config.write_text("")  # the default lease (30 s): nothing here needs a quick take-over
    total = sum(len(ids) for ids in expected_items().values())

    pollers = [start_sync(database, config, "--follow") for _ in range(2)]
    processes.extend(pollers)
    wait_until(
        lambda: item_count(database) == total, 180, "both pollers together to store every item"
    )
    errors = [stop(poller)[1] for poller in pollers]

    leased = [
        {
            line.split("took the lease of account ")[1].split()[0]
            for line in err.splitlines()
            if "took the lease of account" in line
        }
        for err in errors
    ]
    assert not (leased[0] & leased[1]), f"an account was polled by both processes: {leased}"
    assert leased[0] | leased[1] == {"1", "2", "3"}
    for poller, err in zip(pollers, errors, strict=True):
        assert poller.returncode == 0, err
        assert "database is locked" not in err
        assert "Traceback" not in err
    assert_everything_exactly_once(database)


def test_two_one_shot_syncs_at_once_store_everything_once(workspace, capsys, processes):
    database, config = workspace
    total = sum(len(ids) for ids in expected_items().values())

    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "inbox.cli.main",
                "--db",
                str(database),
                "--config",
                str(config),
                "sync",
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    processes.extend(runs)
    outputs = [run.communicate(timeout=300) for run in runs]

    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
        assert "database is locked" not in err
    assert item_count(database) == total
    assert_everything_exactly_once(database)
    assert main(["--db", str(database), "accounts", "list", "--format", "json"]) == 0
    assert '"health": "ok"' in capsys.readouterr().out
