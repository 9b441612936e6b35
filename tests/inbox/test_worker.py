"""Serve only what you hold: the sync engine and the sender leave alone the accounts whose
secret this process's keyring lacks; the worker rows; the worker's log lines.

The platform is the real Mastodon adapter over `httpx.MockTransport`, answering 401 to a
request without the account's token, as Mastodon does: a process that polled or sent
without the secret would mark the account `auth_expired` or fail the reply.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Mapping
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from adapters.base import Kind
from inbox.cli.main import main
from inbox.core.credentials import CredentialStore
from inbox.core.database import database_url, open_engine, write_transaction
from inbox.core.errors import CredentialStoreUnavailable
from inbox.core.models import Account, Outbound, SyncLease
from inbox.runtime import build_sender, build_sync_engine
from inbox.service import InboxService
from inbox.store import workers
from inbox.store.ingest import Store
from inbox.store.serving import NOT_HELD, ServedAccounts
from inbox.worker import log_lines
from tests.support.items import add_account, item

TOKEN = "held-token-0123456789"


class Keyring(CredentialStore):
    """One machine's keyring: the secrets it was given, and nothing else."""

    def __init__(self, secrets: Mapping[tuple[str, str], Mapping[str, str]] = ()) -> None:
        self.secrets = {key: dict(value) for key, value in dict(secrets).items()}

    def get(self, platform: str, handle: str) -> dict[str, str] | None:
        return self.secrets.get((platform, handle))

    def set(self, platform: str, handle: str, secret: Mapping[str, str]) -> None:
        self.secrets[(platform, handle)] = dict(secret)


class Unreadable(CredentialStore):
    """A keyring that cannot be opened (a locked Secret Service)."""

    def get(self, platform: str, handle: str) -> dict[str, str] | None:
        raise CredentialStoreUnavailable("no OS keyring is available")


class Mastodon:
    """Mastodon's answers to the paths the adapter polls and posts to; 401 without the token."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.posted: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401, json={"error": "The access token is invalid"})
        path = request.url.path
        if path == "/api/v1/statuses" and request.method == "POST":
            status_id = str(110_000_000_000_000_000 + len(self.posted))
            self.posted.append(status_id)
            return httpx.Response(200, json=_status(status_id))
        if path in ("/api/v1/notifications", "/api/v1/conversations"):
            return httpx.Response(200, json=[])
        return httpx.Response(404, json={"error": "Record not found"})


def _status(status_id: str) -> dict:
    return {
        "id": status_id,
        "created_at": "2026-11-02T09:00:00.000Z",
        "in_reply_to_id": None,
        "visibility": "public",
        "content": "<p>ok</p>",
        "url": f"https://social.example/@brand/{status_id}",
        "account": {"id": "100", "username": "brand", "acct": "brand"},
        "media_attachments": [],
        "mentions": [],
    }


@pytest.fixture
def two_accounts(engine, clock):
    """Two Mastodon accounts: `@held` (whose token the keyed keyring has) and `@bare`."""
    accounts = {handle: add_account(engine, "mastodon", handle) for handle in ("@held", "@bare")}
    with write_transaction(engine) as connection:
        connection.execute(update(Account.__table__).values(base_url="https://social.example"))
    return {handle: account.id for handle, account in accounts.items()}


def keyed() -> Keyring:
    return Keyring({("mastodon", "@held"): {"access_token": TOKEN}})


def health(engine) -> dict[int, str]:
    account = Account.__table__
    with engine.connect() as connection:
        return dict(connection.execute(select(account.c.id, account.c.health)).all())


def lease_holders(engine) -> dict[int, str]:
    lease = SyncLease.__table__
    with engine.connect() as connection:
        return dict(connection.execute(select(lease.c.account_id, lease.c.holder)).all())


# -- which accounts a process serves ---------------------------------------------------------


def test_an_account_is_served_only_where_its_secret_is():
    served = ServedAccounts(keyed())

    assert served.serves("mastodon", "@held")
    assert not served.serves("mastodon", "@bare")
    assert served.serves("demo-mastodon", "@bare"), "a platform that needs no secret"
    assert ServedAccounts(None).serves("mastodon", "@bare"), "no keyring consulted at all"


def test_an_unreadable_keyring_holds_nothing_and_says_so_once(caplog):
    served = ServedAccounts(Unreadable(), recheck_seconds=0)

    with caplog.at_level(logging.WARNING, logger="inbox.store.serving"):
        answers = [served.serves("mastodon", handle) for handle in ("@a", "@b", "@a")]

    assert answers == [False, False, False]
    assert [record.event for record in caplog.records] == ["keyring.unreadable"]


# -- the sync engine --------------------------------------------------------------------------


@pytest.mark.postgres
async def test_a_process_without_the_secret_never_polls_or_marks_the_account(
    engine, clock, two_accounts
):
    platform = Mastodon()
    keyless = build_sync_engine(engine, Keyring(), clock=clock)

    async with httpx.AsyncClient(transport=httpx.MockTransport(platform)) as client:
        summary = await keyless.run_once(client)

    assert platform.requests == [], "nothing was asked of the platform without a token"
    assert set(health(engine).values()) == {"ok"}
    assert lease_holders(engine) == {}
    assert [(stream.account.handle, stream.skipped) for stream in summary.streams] == [
        ("@held", NOT_HELD),
        ("@bare", NOT_HELD),
    ]
    assert all(stream.not_held for stream in summary.streams)


@pytest.mark.postgres
async def test_a_process_polls_the_accounts_whose_secret_it_holds_and_only_those(
    engine, clock, two_accounts
):
    platform = Mastodon()
    holder = build_sync_engine(engine, keyed(), clock=clock)

    async with httpx.AsyncClient(transport=httpx.MockTransport(platform)) as client:
        summary = await holder.run_once(client)

    polled = {stream.account.handle for stream in summary.streams if not stream.not_held}
    assert polled == {"@held"}
    assert platform.requests, "the held account was polled"
    assert {request.headers["Authorization"] for request in platform.requests} == {
        f"Bearer {TOKEN}"
    }
    assert health(engine) == {two_accounts["@held"]: "ok", two_accounts["@bare"]: "ok"}


# -- the sender -------------------------------------------------------------------------------


def _queue_replies(engine, clock, two_accounts) -> dict[str, int]:
    setup = InboxService(engine, clock=clock)
    setup.add_agent("alex", "Alex Kim", "agent")
    store = Store(engine, clock)
    alex = InboxService(engine, actor="alex", clock=clock)
    rows = {}
    for handle, account_id in two_accounts.items():
        report = store.ingest(
            _ref(engine, account_id),
            "mentions",
            [item(f"{handle}-1", f"t-{handle}", kind=Kind.MENTION)],
            None,
        )
        rows[handle] = alex.queue_reply(report.thread_ids[0], "We are on it.", None).id
    return rows


def _ref(engine, account_id: int):
    from inbox.sync.engine import account_ref

    with engine.connect() as connection:
        row = connection.execute(
            select(Account.__table__).where(Account.__table__.c.id == account_id)
        ).one()
    return account_ref(Account.model_validate(row._mapping))


def statuses(engine) -> dict[int, tuple[str, int, str | None]]:
    outbound = Outbound.__table__
    with engine.connect() as connection:
        return {
            row.id: (row.status, row.attempts, row.error)
            for row in connection.execute(
                select(outbound.c.id, outbound.c.status, outbound.c.attempts, outbound.c.error)
            )
        }


@pytest.mark.postgres
async def test_a_sender_without_the_secret_leaves_the_reply_for_one_that_has_it(
    engine, clock, two_accounts
):
    rows = _queue_replies(engine, clock, two_accounts)
    platform = Mastodon()

    async with httpx.AsyncClient(transport=httpx.MockTransport(platform)) as client:
        keyless = await build_sender(engine, Keyring(), clock=clock).send_once(client)
        assert keyless.results == []
        assert statuses(engine) == {row: ("queued", 0, None) for row in rows.values()}

        held = await build_sender(engine, keyed(), clock=clock).send_once(client)

    assert [(result.outbound_id, result.status) for result in held.results] == [
        (rows["@held"], "sent")
    ]
    assert statuses(engine)[rows["@bare"]] == ("queued", 0, None), "left for its machine"
    assert len(platform.posted) == 1


@pytest.mark.postgres
async def test_a_sender_without_the_secret_does_not_release_that_accounts_stuck_sends(
    engine, clock, two_accounts
):
    rows = _queue_replies(engine, clock, two_accounts)
    outbound = Outbound.__table__
    with write_transaction(engine) as connection:
        connection.execute(
            update(outbound).values(status="sending", next_attempt_at=clock() - timedelta(1))
        )

    assert build_sender(engine, Keyring(), clock=clock).release_orphans() == 0
    assert build_sender(engine, keyed(), clock=clock).release_orphans() == 1

    assert statuses(engine)[rows["@bare"]][0] == "sending"
    assert statuses(engine)[rows["@held"]][0] == "unknown"


# -- the worker rows --------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_worker_is_alive_while_it_beats_and_until_it_stops(engine, clock):
    service = InboxService(engine, clock=clock)
    now = workers_now = clock()
    with write_transaction(engine) as connection:
        workers.start_worker(
            connection, "a:1:x", kind="worker", version="0.1.0", account_ids=[2, 1], now=now
        )
        workers.start_worker(
            connection, "b:2:y", kind="worker", version="0.1.0", account_ids=[], now=now
        )

    with engine.connect() as connection:
        records = workers.worker_records(connection, workers_now + timedelta(seconds=5))
    assert [(record.name, record.alive, record.account_ids) for record in records] == [
        ("a:1:x", True, (1, 2)),
        ("b:2:y", True, ()),
    ]

    with write_transaction(engine) as connection:
        workers.stop_worker(connection, "b:2:y", now=now + timedelta(seconds=6))
        workers.beat(connection, "a:1:x", account_ids=[1], now=now + timedelta(seconds=10))
    later = now + timedelta(seconds=10) + workers.ALIVE_WITHIN
    with engine.connect() as connection:
        assert [record.name for record in workers.alive_workers(connection, later)] == ["a:1:x"]
        gone = later + timedelta(seconds=1)
        assert workers.alive_workers(connection, gone) == [], "its heartbeat stopped"
    assert [record.name for record in service.workers()] == ["a:1:x", "b:2:y"]


@pytest.mark.postgres
def test_the_service_says_which_accounts_a_keyring_lets_it_serve(engine, clock, two_accounts):
    service = InboxService(engine, clock=clock)

    assert service.accounts_served_here(keyed()) == [two_accounts["@held"]]
    assert service.accounts_served_here(Keyring()) == []


# -- inbox sync from a machine without the secrets ---------------------------------------------


def test_sync_without_any_secret_fails_only_when_no_worker_polls(tmp_path, capsys):
    database = str(tmp_path / "team.db")
    engine = open_engine(database_url(database))
    add_account(engine, "mastodon", "@bare")

    assert main(["--db", database, "sync"]) == 1
    assert "no running `inbox worker` holds them" in capsys.readouterr().err

    with write_transaction(engine) as connection:
        workers.start_worker(
            connection,
            "server:1:x",
            kind="worker",
            version="0.1.0",
            account_ids=[1],
            now=_utc_now(),
        )
    assert main(["--db", database, "sync"]) == 0
    err = capsys.readouterr().err
    assert "skipped, its secret is not in this machine's keyring" in err
    assert "the worker on" in err
    assert health(engine) == {1: "ok"}
    engine.dispose()


def _utc_now():
    from inbox.core.clock import utc_now

    return utc_now()


# -- the log lines ----------------------------------------------------------------------------


def _line(formatter: log_lines.EventLines, message: str, *args, **extra) -> str:
    record = logging.LogRecord("inbox.test", logging.WARNING, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return formatter.format(record)


def test_a_log_line_never_carries_a_secret():
    redactor = log_lines.Redactor()
    redactor.remember([TOKEN])
    formatter = log_lines.EventLines(redactor, json_lines=True)

    line = _line(
        formatter,
        "GET %s failed: %s",
        "https://api.example/2/tweets?access_token=abcdef123&user=brand",
        f"refused header Authorization: Bearer {TOKEN}; https://bot:hunter22@mail.example",
        event="poll.failed",
        account_id=3,
        stream="mentions",
    )

    parsed = json.loads(line)
    assert parsed["event"] == "poll.failed"
    assert parsed["account_id"] == 3 and parsed["stream"] == "mentions"
    assert TOKEN not in line and "abcdef123" not in line and "hunter22" not in line
    assert "access_token=[redacted]&user=brand" in parsed["message"]


def test_a_text_log_line_scrubs_the_fields_it_shows_too():
    redactor = log_lines.Redactor()
    redactor.remember([TOKEN])
    formatter = log_lines.EventLines(redactor, json_lines=False)

    line = _line(formatter, "poll failed", event="poll.failed", stream=f"dms?token={TOKEN}")

    assert TOKEN not in line
    assert "stream=dms?token=[redacted]" in line


def test_a_log_line_on_a_terminal_is_short_text():
    formatter = log_lines.EventLines(log_lines.Redactor(), json_lines=False)

    line = _line(formatter, "outgoing message %s sent", 7, event="send.sent", outbound_id=7)

    assert line.endswith("send.sent outgoing message 7 sent (outbound_id=7)")
    assert log_lines.wants_json("auto", io.StringIO())
    assert not log_lines.wants_json("text", io.StringIO())
