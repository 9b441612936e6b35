"""The sync engine: pages land, failures back off per account, leases keep pollers apart.

The adapter here is a hand-made script (`ScriptedAdapter`): these tests are about the
engine's reactions to each kind of answer, which a real platform cannot be made to give
on demand. The demo simulator and the real adapters have their own tests.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from adapters.base import (
    AccountRef,
    Adapter,
    AuthExpired,
    FetchResult,
    Kind,
    OutboundRequest,
    PlatformUnavailable,
    RateLimited,
    SentRef,
)
from inbox.core.models import Account, Item, SyncCursor
from inbox.store.ingest import Store
from inbox.store.leases import backoff_after
from inbox.sync.engine import SyncEngine
from tests.support.items import add_account, item


class ScriptedAdapter(Adapter):
    """Answers each fetch with the next scripted page or error (a hand-made fake)."""

    platform = "demo-mastodon"
    display_name = "Scripted"
    streams = ("mentions",)
    kinds = frozenset({Kind.MENTION})
    text_limit = 500
    needs_credential = False
    scripts: dict[str, deque] = {}

    def __init__(self, account, client, credential=None, **kwargs):
        super().__init__(account, client, credential, **kwargs)
        self.script = self.scripts.setdefault(account.handle, deque())
        self.cursors_seen: list[str | None] = []

    async def fetch(self, stream, cursor):
        self.cursors_seen.append(cursor)
        if not self.script:
            return FetchResult(items=(), next_cursor=cursor)
        answer = self.script.popleft()
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def send(self, request: OutboundRequest) -> SentRef:
        raise NotImplementedError


@pytest.fixture
def scripts():
    ScriptedAdapter.scripts = {}
    return ScriptedAdapter.scripts


def page(*ids: str, cursor: str, more: bool = False, thread: str = "t") -> FetchResult:
    return FetchResult(items=tuple(item(i, thread) for i in ids), next_cursor=cursor, has_more=more)


def engine_for(engine, clock, **kwargs) -> SyncEngine:
    return SyncEngine(Store(engine, clock), ScriptedAdapter, **kwargs)


def items_of(engine, account_id: int) -> set[str]:
    with engine.connect() as connection:
        return set(
            connection.execute(
                select(Item.__table__.c.external_id).where(
                    Item.__table__.c.account_id == account_id
                )
            ).scalars()
        )


def health_of(engine, account_id: int) -> str:
    with engine.connect() as connection:
        return connection.execute(
            select(Account.__table__.c.health).where(Account.__table__.c.id == account_id)
        ).scalar()


async def test_a_backfill_follows_pages_until_the_adapter_has_no_more(engine, clock, scripts):
    account = add_account(engine, handle="brand")
    scripts["brand"] = deque(
        [
            page("1", "2", cursor="c1", more=True),
            page("3", cursor="c2", more=True),
            page("4", cursor="c3"),
        ]
    )

    async with httpx.AsyncClient() as client:
        summary = await engine_for(engine, clock).run_once(client)

    assert items_of(engine, account.id) == {"1", "2", "3", "4"}
    assert summary.new_items == 4
    assert Store(engine, clock).cursor(account.id, "mentions").cursor == "c3"


async def test_the_next_run_starts_from_the_saved_cursor(engine, clock, scripts):
    add_account(engine, handle="brand")
    scripts["brand"] = deque([page("1", cursor="c1")])
    sync = engine_for(engine, clock)
    async with httpx.AsyncClient() as client:
        await sync.run_once(client)
        seen = []
        original = ScriptedAdapter.fetch

        async def spy(self, stream, cursor):
            seen.append(cursor)
            return await original(self, stream, cursor)

        ScriptedAdapter.fetch = spy
        try:
            await sync.run_once(client)
        finally:
            ScriptedAdapter.fetch = original
    assert seen == ["c1"]


async def test_a_rate_limit_waits_until_the_platforms_reset_time(engine, clock, scripts):
    account = add_account(engine, handle="brand")
    reset = clock() + timedelta(minutes=7)
    scripts["brand"] = deque([RateLimited(reset), page("1", cursor="c1")])
    sync = engine_for(engine, clock)

    async with httpx.AsyncClient() as client:
        first = await sync.run_once(client)
        clock.advance(minutes=6)
        early = await sync.run_once(client)
        clock.advance(minutes=1, seconds=1)
        late = await sync.run_once(client)

    assert "rate limited until" in first.streams[0].error
    assert health_of(engine, account.id) == "ok"  # recovered by the successful poll
    assert early.streams[0].skipped.startswith("backing off until")
    assert late.new_items == 1
    assert Store(engine, clock).cursor(account.id, "mentions").backoff_until is None


async def test_expired_credentials_flag_the_account_and_stop_polling_it(engine, clock, scripts):
    account = add_account(engine, handle="brand")
    scripts["brand"] = deque([AuthExpired("401 invalid token"), page("1", cursor="c1")])
    sync = engine_for(engine, clock)

    async with httpx.AsyncClient() as client:
        summary = await sync.run_once(client)
        clock.advance(days=1)
        later = await sync.run_once(client)

    assert "log in again" in summary.streams[0].error
    assert health_of(engine, account.id) == "auth_expired"
    assert later.streams == []
    assert items_of(engine, account.id) == set()


async def test_one_failing_account_does_not_stop_the_others(engine, clock, scripts):
    broken = add_account(engine, handle="broken")
    healthy = add_account(engine, handle="healthy")
    scripts["broken"] = deque([PlatformUnavailable("503 from the platform")])
    scripts["healthy"] = deque([page("1", "2", cursor="c1", thread="h")])

    async with httpx.AsyncClient() as client:
        await engine_for(engine, clock).run_once(client)

    assert items_of(engine, healthy.id) == {"1", "2"}
    assert health_of(engine, broken.id) == "failing"
    state = Store(engine, clock).cursor(broken.id, "mentions")
    assert state.failures == 1
    assert state.backoff_until == clock() + backoff_after(1)


def test_backoff_doubles_and_is_capped():
    assert [backoff_after(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert backoff_after(50) == timedelta(minutes=15)


async def test_an_account_leased_by_a_live_process_is_skipped(engine, clock, scripts):
    account = add_account(engine, handle="brand")
    scripts["brand"] = deque([page("1", cursor="c1")])
    other = Store(engine, clock)
    assert other.acquire_lease(account.id, "other-host:42", timedelta(seconds=30))

    async with httpx.AsyncClient() as client:
        summary = await engine_for(engine, clock, holder="me").run_once(client)

    skipped = summary.streams[0].skipped
    assert "another process is polling it (other-host:42)" in skipped
    ends = clock() + timedelta(seconds=30)
    assert f"its lease runs until {ends:%H:%M:%S} UTC (in 30 s)" in skipped
    assert summary.streams[0].held_by.holder == "other-host:42"
    assert items_of(engine, account.id) == set()


async def test_a_dead_processs_lease_expires_and_is_taken_over(engine, clock, scripts):
    account = add_account(engine, handle="brand")
    scripts["brand"] = deque([page("1", cursor="c1")])
    Store(engine, clock).acquire_lease(account.id, "crashed:1", timedelta(seconds=30))
    clock.advance(seconds=31)

    async with httpx.AsyncClient() as client:
        summary = await engine_for(engine, clock, holder="me").run_once(client)

    assert summary.new_items == 1
    assert Store(engine, clock).lease_holder(account.id) is None  # released after the run


def test_leases_exclude_each_other_until_released(engine, clock):
    account = add_account(engine)
    store = Store(engine, clock)
    ttl = timedelta(seconds=30)

    assert store.acquire_lease(account.id, "a", ttl)
    assert not store.acquire_lease(account.id, "b", ttl)
    assert store.acquire_lease(account.id, "a", ttl)  # renewal
    store.release_leases("a")
    assert store.acquire_lease(account.id, "b", ttl)


async def test_a_disabled_account_is_not_polled(engine, clock, scripts):
    account = add_account(engine, handle="brand")
    with engine.begin() as connection:
        connection.execute(Account.__table__.update().values(enabled=False))
    scripts["brand"] = deque([page("1", cursor="c1")])

    async with httpx.AsyncClient() as client:
        summary = await engine_for(engine, clock).run_once(client)

    assert summary.streams == []
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Item.__table__)).scalar() == 0
    assert account.id


async def test_a_credential_refreshed_by_an_adapter_is_kept_in_the_keyring(
    monkeypatch, isolated_machine
):
    from inbox.core.credentials import CredentialStore
    from inbox.runtime import adapter_factory

    class RotatingAdapter(ScriptedAdapter):
        """Rotates its refresh token on every fetch, as X does (a hand-made fake)."""

        needs_credential = True

        async def fetch(self, stream, cursor):
            self.on_credential_refreshed({**self.credential, "refresh_token": "rotated-2"})
            return FetchResult(items=(), next_cursor=cursor)

    monkeypatch.setattr("inbox.runtime.adapter_class", lambda platform: RotatingAdapter)
    keyring = CredentialStore()
    keyring.set("x", "@brand", {"refresh_token": "rotated-1", "client_id": "app"})
    build = adapter_factory(keyring)

    async with httpx.AsyncClient() as client:
        adapter = build(AccountRef(1, "x", "@brand"), client)
        await adapter.fetch("mentions", None)

    assert keyring.get("x", "@brand") == {"refresh_token": "rotated-2", "client_id": "app"}


async def test_a_listening_rule_fires_while_syncing(engine, clock, scripts):
    from inbox.core.models import Alert
    from inbox.runtime import crisis_after_landing
    from inbox.service import InboxService

    add_account(engine, handle="brand")
    InboxService(engine, clock=clock).add_listening_rule(
        "outage", "keyword", {"keywords": ["outage"]}
    )
    scripts["brand"] = deque(
        [
            FetchResult(
                items=(item("1", "t", minutes=55, text="Is there an outage? Nothing loads"),),
                next_cursor="c1",
            )
        ]
    )

    async with httpx.AsyncClient() as client:
        await engine_for(engine, clock, after_landing=crisis_after_landing(engine)).run_once(client)

    with engine.connect() as connection:
        alerts = connection.execute(select(Alert.__table__.c.summary)).scalars().all()
    assert len(alerts) == 1 and "outage" in alerts[0]


async def test_a_mastodon_instances_own_text_limit_reaches_the_composer_after_a_sync(engine, clock):
    from adapters.mastodon.adapter import MastodonAdapter
    from inbox.service import InboxService
    from tests.adapters.harness_mastodon import BASE_URL, TOKEN, FakeMastodon

    admin = InboxService(engine, clock=clock)
    admin.add_account("mastodon", "@brand@social.example", base_url=BASE_URL)
    instance = FakeMastodon()
    unreachable = False
    refused_asks = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal refused_asks
        if unreachable and request.url.path == "/api/v2/instance":
            refused_asks += 1
            return httpx.Response(503, json={"error": "down for maintenance"})
        return instance(request)

    def adapter(account, client):
        return MastodonAdapter(account, client, {"access_token": TOKEN})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        await SyncEngine(Store(engine, clock), adapter).run_once(client)
        unreachable = True
        second = await SyncEngine(Store(engine, clock), adapter).run_once(client)

    assert refused_asks == 1, "the second sync asked the instance again"
    assert all(stream.error is None for stream in second.streams), "an unanswered ask stops nothing"
    thread = next(row for row in admin.list_threads() if row.kind == Kind.MENTION)
    fits = admin.preview_reply(thread.id, "a" * 700)
    assert fits.sendable and (fits.rendered.fit.fits, fits.rendered.fit.limit) == (True, 1000)
    assert not admin.preview_reply(thread.id, "a" * 1001).rendered.fit.fits


def backfill(prefix: str, total: int, per_page: int = 100) -> deque:
    """A backfill of `total` items in pages of `per_page`, all in one thread per page."""
    pages = deque()
    for start in range(0, total, per_page):
        ids = [f"{prefix}{number}" for number in range(start, min(start + per_page, total))]
        more = start + per_page < total
        pages.append(page(*ids, cursor=f"{prefix}c{start}", more=more, thread=f"{prefix}{start}"))
    return pages


def cursor_row(engine, account_id: int):
    with engine.connect() as connection:
        return connection.execute(
            select(SyncCursor.__table__).where(SyncCursor.__table__.c.account_id == account_id)
        ).one()


def health_detail_of(engine, account_id: int) -> str | None:
    with engine.connect() as connection:
        return connection.execute(
            select(Account.__table__.c.health_detail).where(Account.__table__.c.id == account_id)
        ).scalar()


@pytest.mark.parametrize(
    "poison",
    [
        OverflowError("date value out of range: hostile-payload-text"),
        RecursionError("maximum recursion depth exceeded: hostile-payload-text"),
        RuntimeError("hostile-payload-text"),
    ],
    ids=type,
)
async def test_an_unexpected_error_fails_only_its_stream_and_backs_off(
    engine, clock, scripts, poison, caplog
):
    """A page that raises what no contract names (a hand-made script: no real platform
    can be made to send one on demand) marks only its own stream failing."""
    poisoned = add_account(engine, handle="poisoned")
    healthy = add_account(engine, handle="healthy")
    scripts["poisoned"] = deque([poison, page("p1", cursor="p-c1", thread="p")])
    scripts["healthy"] = backfill("h", 2_000)
    sync = engine_for(engine, clock)

    with caplog.at_level(logging.ERROR, logger="inbox.sync.engine"):
        async with httpx.AsyncClient() as client:
            first = await sync.run_once(client)
            second = await sync.run_once(client)

    assert len(items_of(engine, healthy.id)) == 2_000
    row = cursor_row(engine, poisoned.id)
    reason = f"unexpected {type(poison).__name__} while reading a page; see the log"
    assert (row.last_error, row.failures) == (reason, 1)
    assert row.backoff_until == clock() + backoff_after(1) > clock()
    assert (health_of(engine, poisoned.id), health_detail_of(engine, poisoned.id)) == (
        "failing",
        reason,
    )
    assert health_of(engine, healthy.id) == "ok"
    failed = {stream.account.handle: stream for stream in first.streams}["poisoned"]
    assert failed.error == reason and "hostile-payload-text" not in failed.error
    assert f"account {poisoned.id} (demo-mastodon poisoned), stream mentions" in caplog.text
    assert "Traceback" in caplog.text
    skipped = {stream.account.handle: stream for stream in second.streams}["poisoned"]
    assert skipped.skipped.startswith("backing off until")
    assert len(scripts["poisoned"]) == 1, "the poisoned stream was not polled again"

    clock.advance(seconds=backoff_after(1).total_seconds() + 1)
    async with httpx.AsyncClient() as client:
        await sync.run_once(client)
    assert items_of(engine, poisoned.id) == {"p1"}
    assert health_of(engine, poisoned.id) == "ok"


async def test_a_batch_the_store_refuses_fails_its_stream_and_not_the_others(
    engine, clock, scripts, monkeypatch
):
    """The store raising on one account's batch (fault injection over the scripted
    adapter) backs that stream off; the other account's batch lands."""
    poisoned = add_account(engine, handle="poisoned")
    healthy = add_account(engine, handle="healthy")
    scripts["poisoned"] = deque([page("p1", cursor="p-c1", thread="p")])
    scripts["healthy"] = deque([page("h1", "h2", cursor="h-c1", thread="h")])
    sync = engine_for(engine, clock)
    ingest = sync.store.ingest

    def refusing(account, *args, **kwargs):
        if account.id == poisoned.id:
            raise ValueError("the database refused: hostile-payload-text")
        return ingest(account, *args, **kwargs)

    monkeypatch.setattr(sync.store, "ingest", refusing)
    async with httpx.AsyncClient() as client:
        summary = await sync.run_once(client)

    assert items_of(engine, healthy.id) == {"h1", "h2"}
    reason = "unexpected ValueError while storing a page; see the log"
    assert cursor_row(engine, poisoned.id).last_error == reason
    assert health_detail_of(engine, poisoned.id) == reason
    assert [stream.error for stream in summary.streams if stream.error] == [reason]


async def test_the_long_running_worker_keeps_polling_the_others(engine, clock, scripts):
    """`run_forever` over a poisoned and a healthy account (the hand-made script)."""
    poisoned = add_account(engine, handle="poisoned")
    healthy = add_account(engine, handle="healthy")
    scripts["poisoned"] = deque([RecursionError("deep JSON")])
    scripts["healthy"] = backfill("h", 500)
    stop = asyncio.Event()

    async def stop_when_both_settled() -> None:
        for _ in range(600):  # a bounded poll: at most 30 s
            stored = await asyncio.to_thread(items_of, engine, healthy.id)
            if len(stored) == 500 and health_of(engine, poisoned.id) == "failing":
                break
            await asyncio.sleep(0.05)
        stop.set()

    async with httpx.AsyncClient() as client:
        await asyncio.gather(
            engine_for(engine, clock, lease_ttl=timedelta(seconds=3)).run_forever(client, stop),
            stop_when_both_settled(),
        )

    assert len(items_of(engine, healthy.id)) == 500
    assert cursor_row(engine, poisoned.id).last_error == (
        "unexpected RecursionError while reading a page; see the log"
    )
