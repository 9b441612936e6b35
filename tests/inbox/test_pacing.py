"""Polling paced by rate limits and daily quotas, with a clock the tests move.

The rate-limit cases feed the real adapters answers over `httpx.MockTransport` carrying
the headers each platform documents (../shared/docs/platform-apis.md): how much of the
window is used decides how soon the next poll comes. The quota cases run the sync engine
over a hand-made adapter with a 100-unit daily quota, since no quota'd platform can be
made to run out on demand.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import insert, select

from adapters._http import X_RATE_LIMIT, RequestBudgets
from adapters.base import AccountRef, Adapter, FetchResult, Kind, OutboundRequest, SentRef
from adapters.mastodon.adapter import MastodonAdapter
from adapters.reddit.adapter import RedditAdapter
from inbox.core.clock import FixedClock
from inbox.core.models import Account, AccountQuota
from inbox.store import quotas
from inbox.store.ingest import Store
from inbox.sync.engine import SyncEngine
from tests.support.items import add_account
from tests.support.sync_running import until, while_syncing

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def mastodon_answering(headers: dict[str, str], clock) -> MastodonAdapter:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[], headers=headers)

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    account = AccountRef(1, "mastodon", "@brand", "https://social.example")
    return MastodonAdapter(account, client, {"access_token": "t"}, clock=clock)


def mastodon_window(remaining: int, reset_in_s: int) -> dict[str, str]:
    reset_at = NOW + timedelta(seconds=reset_in_s)
    return {
        "X-RateLimit-Limit": "300",
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": reset_at.isoformat().replace("+00:00", ".000Z"),
    }


async def test_a_mostly_unused_window_polls_faster_than_once_a_minute():
    clock = FixedClock(NOW)
    adapter = mastodon_answering(mastodon_window(remaining=270, reset_in_s=300), clock)
    await adapter.fetch("mentions", "1")

    delay = adapter.poll_delay()

    assert delay is not None and 5 <= delay < MastodonAdapter.poll_interval_seconds


async def test_a_nearly_spent_window_waits_for_its_reset():
    clock = FixedClock(NOW)
    adapter = mastodon_answering(mastodon_window(remaining=15, reset_in_s=240), clock)
    await adapter.fetch("mentions", "1")

    assert adapter.poll_delay() == 240


async def test_the_pace_slows_as_the_window_is_used_up():
    delays = []
    for remaining in (270, 200, 120, 80):
        adapter = mastodon_answering(mastodon_window(remaining, reset_in_s=300), FixedClock(NOW))
        await adapter.fetch("mentions", "1")
        delays.append(adapter.poll_delay())

    assert delays == sorted(delays) and delays[0] < delays[-1]


async def test_without_headers_or_after_the_reset_the_platforms_interval_applies():
    clock = FixedClock(NOW)
    silent = mastodon_answering({}, clock)
    await silent.fetch("mentions", "1")
    stale = mastodon_answering(mastodon_window(remaining=15, reset_in_s=60), clock)
    await stale.fetch("mentions", "1")
    clock.advance(seconds=61)

    assert (silent.poll_delay(), stale.poll_delay()) == (None, None)


async def test_reddits_used_and_remaining_headers_pace_it():
    clock = FixedClock(NOW)

    def answering(used: str, remaining: str) -> RedditAdapter:
        def answer(request: httpx.Request) -> httpx.Response:
            listing = {"kind": "Listing", "data": {"children": [], "after": None}}
            headers = {
                "x-ratelimit-used": used,
                "x-ratelimit-remaining": remaining,
                "x-ratelimit-reset": "300",
            }
            return httpx.Response(200, json=listing, headers=headers)

        client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
        account = AccountRef(2, "reddit", "u/brand")
        credential = {"access_token": "t", "refresh_token": "r", "client_id": "c"}
        return RedditAdapter(account, client, credential, clock=clock)

    fresh, spent = answering("60", "540.0"), answering("590", "10.0")
    for adapter in (fresh, spent):
        await adapter.fetch(adapter.streams[0], None)

    assert fresh.poll_delay() < RedditAdapter.poll_interval_seconds
    assert spent.poll_delay() == 300


def test_x_is_paced_by_its_tightest_endpoint():
    clock = FixedClock(NOW)
    budgets = RequestBudgets(X_RATE_LIMIT, clock, per_path=True)
    reset = str(int((NOW + timedelta(minutes=15)).timestamp()))
    for path, remaining in (("/2/users/1/mentions", "170"), ("/2/dm_events", "2")):
        request = httpx.Request("GET", f"https://api.x.com{path}")
        budgets.observe(
            httpx.Response(
                200,
                request=request,
                headers={
                    "x-rate-limit-limit": "180",
                    "x-rate-limit-remaining": remaining,
                    "x-rate-limit-reset": reset,
                },
            )
        )

    assert budgets.poll_delay(streams=2) == 15 * 60


# -- daily quotas ------------------------------------------------------------------------


class QuotaAdapter(Adapter):
    """A platform with a 100-unit daily quota, 10 units a fetch (a hand-made fake)."""

    platform = "demo-mastodon"
    display_name = "QuotaTube"
    streams = ("comments",)
    kinds = frozenset({Kind.COMMENT})
    text_limit = 500
    needs_credential = False
    daily_quota = 100
    quota_costs = {"comments": 10, "send": 50}
    poll_interval_seconds = 0.01
    fetches = 0

    async def fetch(self, stream, cursor):
        QuotaAdapter.fetches += 1
        return FetchResult(items=(), next_cursor=cursor)

    async def send(self, request: OutboundRequest) -> SentRef:
        raise NotImplementedError


@pytest.fixture(autouse=True)
def no_fetches_yet():
    QuotaAdapter.fetches = 0


def used_on(engine, account_id: int, day: str) -> int | None:
    with engine.connect() as connection:
        return connection.execute(
            select(AccountQuota.used).where(
                AccountQuota.account_id == account_id, AccountQuota.day == day
            )
        ).scalar()


def spend_beforehand(engine, account_id: int, used: int, now: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(AccountQuota).values(account_id=account_id, day=quotas.quota_day(now), used=used)
        )


def health(engine, account_id: int) -> tuple[str, str | None]:
    with engine.connect() as connection:
        row = connection.execute(
            select(Account.health, Account.health_detail).where(Account.id == account_id)
        ).one()
    return row.health, row.health_detail


async def test_every_fetch_is_counted_against_the_days_quota(engine, clock):
    account = add_account(engine, handle="channel")
    sync = SyncEngine(Store(engine, clock), QuotaAdapter)

    async with httpx.AsyncClient() as client:
        await sync.run_once(client)
        await sync.run_once(client)

    assert used_on(engine, account.id, quotas.quota_day(clock())) == 20


async def test_a_spent_quota_stops_polling_until_the_next_quota_day_and_says_so(engine, clock):
    account = add_account(engine, handle="channel")
    spend_beforehand(engine, account.id, 90, clock())
    sync = SyncEngine(Store(engine, clock), QuotaAdapter)

    async with httpx.AsyncClient() as client:
        await sync.run_once(client)
        refused = health(engine, account.id)
        clock.now = quotas.next_quota_day(clock()) + timedelta(minutes=1)
        await sync.run_once(client)

    state, detail = refused
    assert QuotaAdapter.fetches == 1
    assert state == "rate_limited"
    assert detail.startswith("90 of the 100 units of today's QuotaTube quota are used")
    assert detail.endswith("polling resumes when the quota day ends, at 2026-11-03 08:00 UTC")
    assert health(engine, account.id) == ("ok", None)


async def test_the_worker_says_so_as_soon_as_pollings_share_is_spent(engine, clock):
    """`run_forever` spends the last fetch polling may make, then stops and marks the account."""
    account = add_account(engine, handle="channel")
    spend_beforehand(engine, account.id, 80, clock())

    async def steps() -> None:
        await until(lambda: health(engine, account.id)[0] == "rate_limited", "the quota to run out")

    await while_syncing(SyncEngine(Store(engine, clock), QuotaAdapter), steps)

    assert QuotaAdapter.fetches == 1
    assert used_on(engine, account.id, quotas.quota_day(clock())) == 90


@pytest.mark.parametrize(
    ("local_time", "used", "interval_s"),
    [
        ("2026-11-02T00:00:00-08:00", 0, 24 * 3600 / 9000),
        ("2026-11-02T12:00:00-08:00", 8000, 12 * 3600 / 1000),
        ("2026-11-02T18:00:00-08:00", 9000, 6 * 3600),
    ],
)
def test_a_days_polls_are_spread_to_fit_inside_nine_tenths_of_the_quota(
    local_time, used, interval_s
):
    now = datetime.fromisoformat(local_time).astimezone(UTC)

    interval = quotas.paced_interval(10_000, {"comments": 1}, ["comments"], used, now)

    assert interval == pytest.approx(interval_s)
