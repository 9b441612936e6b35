"""Whole sender processes against a recording server: a sender killed mid-send, and two senders.

The senders are real `inbox outbox run` processes (through `tests.support.outbox_runner`,
which registers the test-only recording adapter) on a real database; the "platform" is a
`RecordingServer` on 127.0.0.1 that counts every POST per idempotency key.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from adapters import registry
from adapters.base import AccountRef
from inbox.core.database import open_engine
from inbox.core.models import Event, Outbound
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.conftest import REPO
from tests.support.items import item
from tests.support.outbox_runner import RECORDING_ADAPTER_PATH, RECORDING_PLATFORM
from tests.support.polling import wait_until
from tests.support.recording_adapter import KILL_AFTER_POST
from tests.support.recording_server import RecordingServer

pytestmark = pytest.mark.slow


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer() as running:
        yield running


@pytest.fixture
def workspace(database_url, server, monkeypatch):
    """A database with a recording-server account, an agent, and `threads` to answer."""
    monkeypatch.setitem(registry._ADAPTER_PATHS, RECORDING_PLATFORM, RECORDING_ADAPTER_PATH)
    engine = open_engine(database_url)
    setup = InboxService(engine)
    setup.add_agent("alex", "Alex Kim")
    account_id = setup.add_account(RECORDING_PLATFORM, "@brand", base_url=server.url)
    yield engine, database_url, AccountRef(account_id, RECORDING_PLATFORM, "@brand", server.url)
    engine.dispose()


def _queue_replies(engine, account, count: int) -> list[int]:
    Store(engine).ingest(
        account,
        "mentions",
        [item(f"m{n}", f"t{n}", text=f"is it down for everyone? ({n})") for n in range(count)],
        None,
    )
    alex = InboxService(engine, actor="alex")
    thread_ids = [row.id for row in alex.list_threads(limit=count)]
    return [
        alex.queue_reply(thread_id, "We're on it, {author.name|there}.").id
        for thread_id in thread_ids
    ]


def _sender(database_url: str, *extra: str, kill_after_post: bool = False) -> subprocess.Popen:
    environment = {**os.environ}
    environment.pop(KILL_AFTER_POST, None)
    if kill_after_post:
        environment[KILL_AFTER_POST] = "1"
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.outbox_runner",
            "--db",
            database_url,
            "--as",
            "alex",
            "outbox",
            "run",
            "--claim-seconds",
            "1",
            *extra,
        ],
        cwd=REPO,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _statuses(engine) -> dict[int, str]:
    outbound = Outbound.__table__
    with engine.connect() as connection:
        return dict(connection.execute(select(outbound.c.id, outbound.c.status)).all())


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


def test_a_sender_killed_after_the_platform_accepted_leaves_exactly_one_reply(workspace, server):
    engine, database_url, account = workspace
    [outbound_id] = _queue_replies(engine, account, 1)

    killed = _sender(database_url, kill_after_post=True)
    killed.wait(timeout=60)
    assert killed.returncode == -signal.SIGKILL
    assert server.post_count() == 1
    assert _statuses(engine) == {outbound_id: "sending"}

    restarted = _sender(database_url, "--follow")
    try:
        wait_until(
            lambda: _statuses(engine)[outbound_id] == "sent",
            60,
            "the restarted sender to settle the reply",
        )
    finally:
        _stop(restarted)

    assert server.post_count() == 1
    assert sum(server.post_requests.values()) == 1, (
        "the restarted sender posted again instead of looking first"
    )
    alex = InboxService(engine, actor="alex")
    row = alex.outbound(outbound_id)
    assert row.external_id == next(iter(server.posts.values()))["id"]
    replies = [entry for entry in alex.thread_items(row.thread_id) if entry.direction == "out"]
    assert [(reply.author, reply.text) for reply in replies] == [("alex", "We're on it, Carol.")]
    with engine.connect() as connection:
        types = (
            connection.execute(
                select(Event.__table__.c.type)
                .where(Event.__table__.c.type.like("outbound.%"))
                .order_by(Event.__table__.c.id)
            )
            .scalars()
            .all()
        )
    assert types == ["outbound.queued", "outbound.unknown", "outbound.sent"]


def test_two_senders_on_one_queue_send_every_reply_once(workspace, server):
    engine, database_url, account = workspace
    outbound_ids = _queue_replies(engine, account, 40)

    senders = [_sender(database_url, "--follow", "--concurrency", "3") for _ in range(2)]
    try:
        wait_until(
            lambda: set(_statuses(engine).values()) == {"sent"},
            120,
            "both senders to send all 40 replies",
        )
    finally:
        for process in senders:
            _stop(process)

    assert server.post_count() == len(outbound_ids)
    assert set(server.post_requests.values()) == {1}, "some reply was posted by both senders"
    with engine.connect() as connection:
        landed = (
            connection.execute(
                select(Event.__table__.c.payload).where(Event.__table__.c.type == "outbound.sent")
            )
            .scalars()
            .all()
        )
    assert sorted(payload["outbound_id"] for payload in landed) == sorted(outbound_ids)
