"""The TUI leaves polling and sending to a live `inbox worker`, and says who does it.

The workspace's accounts are made real Mastodon accounts whose secret this machine's
(test) keyring does not hold, so the app never starts polling here: what it decides shows
on the status line.
"""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from inbox.core.config import Config
from inbox.core.database import write_transaction
from inbox.core.models import Account
from inbox.service import InboxService
from inbox.store import workers
from tests.tui.workspace import add_people, build_workspace
from tui.app import InboxApp


def _app(engine, clock) -> InboxApp:
    build_workspace(engine, clock(), 6)
    add_people(InboxService(engine, clock=clock))
    with write_transaction(engine) as connection:
        account = Account.__table__
        connection.execute(
            update(account).values(platform="mastodon", handle="brand-" + account.c.platform)
        )
    service = InboxService(engine, actor="alice", clock=clock)
    return InboxApp(service, config=Config(), sync=True, poll_seconds=0.05)


async def _status_says(pilot, words: str, seconds: float = 10.0) -> str:
    """Let the app run until its status line shows `words`; the line."""
    deadline = time.monotonic() + seconds
    while True:
        line = pilot.app.screen.status_line.plain_text
        if words in line:
            return line
        if time.monotonic() > deadline:
            raise AssertionError(f"the status line never said {words!r}: {line!r}")
        await pilot.pause(0.05)


def _in_process(app: InboxApp) -> bool:
    return any(worker.group in ("sync", "outbox") for worker in app.workers)


async def test_the_status_line_names_the_live_worker_and_nothing_runs_here(sqlite_engine, clock):
    now = datetime.now(UTC)
    with write_transaction(sqlite_engine) as connection:
        workers.start_worker(
            connection, "server:1:x", kind="worker", version="0.1.0", account_ids=[1], now=now
        )
    app = _app(sqlite_engine, clock)

    async with app.run_test(size=(120, 36)) as pilot:
        app.first_page_shown()
        await _status_says(pilot, f"worker on {socket.gethostname()}")
        assert not _in_process(app)

        with write_transaction(sqlite_engine) as connection:
            workers.stop_worker(connection, "server:1:x", now=now + timedelta(seconds=1))
        app.check_workers()
        line = await _status_says(pilot, "no worker and no secrets here: nothing is polled")
        assert "worker on" not in line
        assert not _in_process(app), "without the secrets, nothing is polled here"
