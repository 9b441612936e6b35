"""Whole `inbox worker` processes: two keyrings on one database, stops and kills mid-send,
and two workers sharing the accounts.

Each "machine" is a keyring file (INBOX_TEST_KEYRING_FILE) its processes share; the server
machine's holds the Mastodon token, the laptop's holds nothing. The platform is the
loopback Mastodon on 127.0.0.1, which answers 401 to a request without the token: the
failure the issue saw (a keyless `inbox sync` marking the account `auth_expired`, a keyless
`inbox outbox run` failing the reply) shows up as exactly that if a keyless process ever
talks to it.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from inbox.core.credentials import CredentialStore
from inbox.core.models import Account, Event, Item, SyncLease
from inbox.core.models import Worker as WorkerRow
from inbox.service import InboxService
from tests.support.exactly_once import replies_waiting, statuses
from tests.support.keyring_backend import KEYRING_FILE_VARIABLE
from tests.support.loopback import Fault
from tests.support.polling import wait_until
from tests.support.worker_processes import Machine, ReadableMastodon, Running

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def platform() -> Iterator[ReadableMastodon]:
    with ReadableMastodon() as running:
        yield running


@pytest.fixture
def team(platform, database_url, tmp_path, monkeypatch):
    """One reply queued on the Mastodon account; the server machine holds its token."""
    server_keyring = tmp_path / "server-keyring.json"
    monkeypatch.setenv(KEYRING_FILE_VARIABLE, str(server_keyring))
    engine, questions, rows = replies_waiting(platform, database_url, 1)
    server = Machine(server_keyring, database_url)
    laptop = Machine(tmp_path / "laptop-keyring.json", database_url)
    yield engine, server, laptop, questions[0][0], rows[0]
    engine.dispose()


def _health(engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(select(Account.__table__.c.health)).scalars())


def _health_events(engine) -> list[dict]:
    event = Event.__table__
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(event.c.payload).where(event.c.type.like("account.health%"))
            ).scalars()
        )


def _leases(engine) -> dict[int, str]:
    lease = SyncLease.__table__
    with engine.connect() as connection:
        return dict(connection.execute(select(lease.c.account_id, lease.c.holder)).all())


def _worker_rows(engine) -> dict[int, WorkerRow]:
    """The worker rows by pid."""
    with engine.connect() as connection:
        rows = connection.execute(select(WorkerRow.__table__)).all()
    return {row.pid: row for row in rows}


def _beats(engine, running: Running, count: int) -> bool:
    """Whether `running`'s row has renewed its heartbeat `count` times since it started."""
    row = _worker_rows(engine).get(running.process.pid)
    return row is not None and (row.heartbeat_at - row.started_at).total_seconds() >= count * 0.5


def _landed(engine, external_id: str) -> bool:
    item = Item.__table__
    with engine.connect() as connection:
        return (
            connection.execute(select(item.c.id).where(item.c.external_id == external_id)).first()
            is not None
        )


def test_a_machine_without_the_secret_leaves_the_account_to_the_one_that_has_it(team, platform):
    engine, server, laptop, question, row = team

    synced = laptop.run("sync")
    assert "its secret is not in this machine's keyring" in synced.stderr
    assert synced.returncode == 1, "nothing polled and no worker holds the account"
    sent = laptop.run("outbox", "run")
    assert sent.returncode == 0, sent.stderr
    assert "0 sent, 0 failed" in sent.stdout

    laptop_worker = laptop.start_worker()
    try:
        wait_until(lambda: _beats(engine, laptop_worker, 3), 60, "the laptop's worker to beat")
        assert _worker_rows(engine)[laptop_worker.process.pid].account_ids == []
        assert laptop_worker.saw("account.not_held")
        assert laptop.run("sync").returncode == 1, "a worker that holds nothing polls nothing"

        assert statuses(engine) == {row: "queued"}, "the approved reply was not failed"
        assert _health(engine) == {"ok"}, "the account was not marked auth_expired"
        assert _leases(engine) == {}
        assert platform.post_requests == 0 and platform.notification_reads == 0

        new_question, _ = platform.incoming(1)
        server_worker = server.start_worker()
        try:
            wait_until(
                lambda: statuses(engine) == {row: "sent"} and _landed(engine, new_question),
                60,
                "the server's worker to send the reply and poll the new mention",
            )
            assert laptop.run("sync").returncode == 0, "the server's worker polls it"
        finally:
            assert server_worker.stop() == 0
    finally:
        assert laptop_worker.stop() == 0

    [reply] = platform.replies_to(question)
    assert reply.startswith("Sorry about that")
    assert _health(engine) == {"ok"}
    assert not any("auth_expired" in str(payload) for payload in _health_events(engine)), (
        "nobody ever marked the account as needing a login"
    )
    assert all(worker.stopped_at is not None for worker in _worker_rows(engine).values())
    assert server_worker.saw("send.sent") and server_worker.saw("items.landed")
    assert not any(
        "loopback-mastodon-token" in line for line in laptop_worker.text + server_worker.text
    ), "the token never reaches the log"


def test_a_worker_stopped_mid_send_lets_the_send_settle_and_releases_everything(team, platform):
    engine, server, _, question, row = team
    platform.hold_posts()
    worker = server.start_worker()
    try:
        wait_until(platform.post_waiting.is_set, 60, "the worker to be mid-send")
        worker.process.send_signal(signal.SIGTERM)
        wait_until(lambda: worker.saw("worker.stopping"), 60, "the worker to start stopping")
        assert statuses(engine) == {row: "sending"}
    finally:
        platform.release_posts()
    assert worker.process.wait(timeout=60) == 0

    assert statuses(engine) == {row: "sent"}, "the send in flight settled before the exit"
    assert len(platform.replies_to(question)) == 1
    assert _leases(engine) == {}, "the leases were handed back"
    assert _worker_rows(engine)[worker.process.pid].stopped_at is not None
    assert worker.saw("worker.stopped")


def test_a_worker_killed_mid_send_and_a_new_one_post_the_reply_exactly_once(team, platform):
    engine, server, _, question, row = team
    platform.fault = Fault.HANG  # the platform posts it, and the answer never comes
    killed = server.start_worker()
    wait_until(lambda: platform.post_requests >= 1, 60, "the worker to be mid-send")
    assert killed.stop(signal.SIGKILL) == -signal.SIGKILL
    assert statuses(engine) == {row: "sending"}
    assert _worker_rows(engine)[killed.process.pid].stopped_at is None
    platform.fault = Fault.NONE

    restarted = server.start_worker()
    try:
        wait_until(lambda: statuses(engine) == {row: "sent"}, 60, "the new worker to settle it")
    finally:
        assert restarted.stop() == 0

    assert len(platform.replies_to(question)) == 1, "looked up, not posted again"
    assert platform.post_requests == 1
    sent = InboxService(engine, actor="alex").outbound(row)
    assert sent.external_id is not None


def test_two_workers_share_the_accounts_and_one_takes_over_when_the_other_stops(team, platform):
    engine, server, _, _, _ = team
    second_account = InboxService(engine).add_account(
        platform.platform, "@brand2", base_url=platform.base_url
    )
    CredentialStore().set(platform.platform, "@brand2", platform.credential)
    account_ids = set(_health_by_account(engine))
    assert second_account in account_ids

    first, second = server.start_worker(), server.start_worker()
    try:
        wait_until(
            lambda: (
                first.saw("worker.started")
                and second.saw("worker.started")
                and set(_leases(engine)) == account_ids
                and _taken(first, second) == account_ids
            ),
            60,
            "both workers to start and both accounts to be leased and polled",
        )
        names = {row.name: pid for pid, row in _worker_rows(engine).items()}
        holders = _leases(engine)
        assert set(holders.values()) <= set(names), "each account held by one of the workers"

        stopping = first if names[next(iter(holders.values()))] == first.process.pid else second
        staying = second if stopping is first else first
        assert stopping.stop() == 0
        staying_name = next(name for name, pid in names.items() if pid == staying.process.pid)
        wait_until(
            lambda: _leases(engine) == dict.fromkeys(account_ids, staying_name),
            60,
            "the staying worker to take over every account",
        )
    finally:
        for running in (first, second):
            assert running.stop() == 0


def _health_by_account(engine) -> dict[int, str]:
    account = Account.__table__
    with engine.connect() as connection:
        return dict(connection.execute(select(account.c.id, account.c.health)).all())


def _taken(*workers: Running) -> set[int]:
    """The accounts whose lease these workers logged taking."""
    return {
        line["account_id"]
        for running in workers
        for line in list(running.events)
        if line.get("event") == "lease.taken"
    }
