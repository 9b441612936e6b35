"""The command line under a careless user's mistakes, as whole processes on real files.

A reader that stops early (`| head`), no terminal for the UI, a mistyped `--config`, and
the lease a crashed `inbox sync` left behind: each ends in one clear line and an exit
status a script can act on, never a traceback or a process that runs forever.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.base import Kind
from inbox.cli.main import main
from inbox.core.database import open_engine
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.conftest import REPO
from tests.support.items import add_account, item
from tests.support.polling import wait_until

TIMEOUT = 120
"""Seconds any one process may take before the test fails (a hang, not a slow machine)."""


def inbox(*argv: str, module: str = "inbox.cli.main") -> subprocess.Popen:
    """Start `inbox ...` as its own process, every standard stream a pipe.

    Buffered as a person's shell runs it: with PYTHONUNBUFFERED, CPython drops what a
    large write could not put in a pipe its reader closed, instead of raising.
    """
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    return subprocess.Popen(
        [sys.executable, "-m", module, *argv],
        cwd=REPO,
        text=True,
        env=environment,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finished(process: subprocess.Popen) -> tuple[int, str, str]:
    """Wait for the process to end by itself; one still running after `TIMEOUT` is killed."""
    try:
        out, err = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    return process.returncode, out, err


@pytest.fixture
def many_threads(tmp_path, isolated_machine) -> Path:
    """A SQLite file whose thread list as JSON is far larger than a pipe's buffer (64 KiB)."""
    path = tmp_path / "inbox.db"
    engine = open_engine(f"sqlite:///{path}")
    InboxService(engine).add_agent("alex", "Alex", "admin")
    account = add_account(engine, "demo-x", "@brand")
    items = [
        item(f"in-{n}", f"t{n}", kind=Kind.MENTION, text="is checkout down? " * 20, minutes=n)
        for n in range(600)
    ]
    Store(engine).ingest(account, "mentions", items, None)
    engine.dispose()
    return path


def test_a_reader_that_stops_early_ends_the_output_quietly(many_threads):
    listing = inbox(
        "--db", str(many_threads), "--as", "alex", "threads", "list", "--json", "--limit", "600"
    )
    assert listing.stdout.readline().strip() == "["
    listing.stdout.close()  # as `| head -1` does: the rest no longer fits in the pipe
    status, _, err = finished(listing)

    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert err == ""
    assert status == 141, "128 + SIGPIPE, as cat or seq report it"

    showing = inbox("--db", str(many_threads), "--as", "alex", "threads", "show", "1")
    showing.stdout.close()  # gone before the first line: only the final flush meets it
    status, _, err = finished(showing)

    assert (status, err) == (141, "")


def test_the_terminal_ui_without_a_terminal_says_so_and_exits(many_threads, tmp_path):
    status, out, err = finished(
        inbox("--db", str(many_threads), "--as", "alex", "tui", module="tui.launcher")
    )
    assert status == 2
    assert err.startswith("inbox: the terminal UI needs a terminal, and standard input is not one")
    assert err.count("\n") == 1 and out == ""

    demo = tmp_path / "demo.db"
    status, out, err = finished(
        inbox("--db", str(demo), "demo", "--days", "1", module="tui.launcher")
    )
    assert status == 2
    assert "inbox: the terminal UI needs a terminal" in err
    assert "Traceback" not in err

    status, out, err = finished(
        inbox("--db", str(demo), "demo", "--keep", "--no-tui", module="tui.launcher")
    )
    assert status == 0, err
    assert "open it with: inbox --db" in out


def test_a_config_file_named_on_the_command_line_must_exist(many_threads, tmp_path):
    missing = tmp_path / "typo" / "config.toml"
    status, out, err = finished(
        inbox(
            "--config", str(missing), "--db", str(many_threads), "--as", "alex", "threads", "list"
        )
    )
    assert status == 2
    assert err == f"inbox: {missing}: no such config file\n"
    assert out == ""


def lease_holder(database: Path) -> str | None:
    try:
        with sqlite3.connect(database, timeout=30) as connection:
            row = connection.execute("SELECT holder FROM sync_lease").fetchone()
    except sqlite3.OperationalError:
        return None
    return None if row is None else row[0]


def test_a_crashed_pollers_lease_is_named_as_stopped_and_the_run_fails(tmp_path, isolated_machine):
    database = tmp_path / "inbox.db"
    engine = open_engine(f"sqlite:///{database}")
    settings = {"seed": 3, "epoch": "2026-01-01T00:00:00+00:00", "rate_per_hour": 3600}
    InboxService(engine).add_account("demo-email", "support@brand.example", settings=settings)
    engine.dispose()
    poller = inbox("--db", str(database), "sync", "--follow")
    try:
        wait_until(lambda: lease_holder(database) is not None, TIMEOUT, "the poller's lease")
        holder = lease_holder(database)
    finally:
        poller.send_signal(signal.SIGKILL)
        poller.communicate(timeout=TIMEOUT)

    status, out, err = finished(inbox("--db", str(database), "sync"))

    assert status == 1, "nothing could be polled"
    assert f"its lease is held by {holder}, which is no longer running and stopped renewing" in err
    assert "the lease ends at " in err and " UTC (in " in err
    assert err.strip().endswith(
        "inbox: nothing was polled: a process that stopped still holds a lease (see above)"
    )
    assert out.strip() == "0 new items from 1 account"


def test_an_account_a_live_process_polls_is_not_a_failed_run(tmp_path, isolated_machine, capsys):
    database = tmp_path / "inbox.db"
    engine = open_engine(f"sqlite:///{database}")
    account_id = InboxService(engine).add_account("demo-email", "support@brand.example")
    alive = f"{socket.gethostname()}:{os.getpid()}:running"  # this test's own process
    Store(engine).acquire_lease(account_id, alive, timedelta(seconds=30))
    engine.dispose()

    status = main(["--db", str(database), "sync"])

    err = capsys.readouterr().err
    assert status == 0, "the live holder polls it: a scheduled run beside `sync --follow` is fine"
    assert f"another process is polling it ({alive}); its lease runs until " in err
    assert "nothing was polled" not in err
