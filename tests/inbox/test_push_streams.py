"""Push channels in the sync engine: a push fetches at once, a break falls back to polling.

The platform here is hand-made (`PushingPlatform`): a list of messages read from a cursor
and a push channel the test can break on demand, which no real server does when asked.
Its poll interval is an hour, so a message that lands within seconds came by push (or by
the catch-up after a reconnect). The real channels have their own tests against real
servers: tests/adapters/test_mastodon_streaming.py and tests/adapters/test_email_idle.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.base import (
    Adapter,
    AuthExpired,
    FetchResult,
    Kind,
    OutboundRequest,
    PlatformUnavailable,
    SentRef,
)
from inbox.store.ingest import Store
from inbox.sync.engine import SyncEngine
from tests.support.items import add_account, item
from tests.support.sync_running import stored, until, while_syncing


class PushingPlatform:
    """Messages in order, and a push channel: `post` wakes listeners, `break_channel` drops them."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.fetches = 0
        self.connections = 0
        self.refuse: Exception | None = None
        self._listeners: list[asyncio.Queue[str | Exception]] = []

    def post(self, external_id: str, *, push: bool = True) -> None:
        self.messages.append(external_id)
        if push:
            for listener in self._listeners:
                listener.put_nowait("mentions")

    def break_channel(self) -> None:
        for listener in self._listeners:
            listener.put_nowait(PlatformUnavailable("the stream was dropped"))
        self._listeners.clear()

    async def listen(self) -> AsyncIterator[str]:
        self.connections += 1
        if self.refuse is not None:
            raise self.refuse
        queue: asyncio.Queue[str | Exception] = asyncio.Queue()
        self._listeners.append(queue)
        yield "mentions"  # open: what came while nobody listened is fetched now
        while True:
            news = await queue.get()
            if isinstance(news, Exception):
                raise news
            yield news


PLATFORMS: dict[str, PushingPlatform] = {}


class PushingAdapter(Adapter):
    """Reads `PushingPlatform.messages` after a numeric cursor; listens to its channel."""

    platform = "demo-mastodon"
    display_name = "Pushing"
    streams = ("mentions",)
    pushes = frozenset({"mentions"})
    kinds = frozenset({Kind.MENTION})
    text_limit = 500
    needs_credential = False
    poll_interval_seconds = 3600.0

    def __init__(self, account, client, credential=None, **kwargs):
        super().__init__(account, client, credential, **kwargs)
        self.source = PLATFORMS[account.handle]

    async def fetch(self, stream, cursor):
        self.source.fetches += 1
        start = int(cursor or 0)
        new = self.source.messages[start:]
        return FetchResult(
            items=tuple(item(external_id) for external_id in new),
            next_cursor=str(start + len(new)),
        )

    def listen(self) -> AsyncIterator[str]:
        return self.source.listen()

    async def send(self, request: OutboundRequest) -> SentRef:
        raise NotImplementedError


@pytest.fixture
def platform():
    PLATFORMS.clear()
    PLATFORMS["brand"] = PushingPlatform()
    return PLATFORMS["brand"]


async def running_worker(engine, clock, body) -> None:
    """Run the long-running sync over `PushingAdapter` while `body` does its part."""
    sync = SyncEngine(Store(engine, clock), PushingAdapter, lease_ttl=timedelta(seconds=30))
    await while_syncing(sync, body)


async def test_a_pushed_message_lands_without_waiting_for_the_hourly_poll(engine, clock, platform):
    account = add_account(engine, handle="brand")
    platform.post("before", push=False)

    async def body() -> None:
        await until(lambda: platform.connections == 1, "the channel to open")
        await until(lambda: "before" in stored(engine, account.id), "the backfill")
        platform.post("pushed")
        await until(lambda: "pushed" in stored(engine, account.id), "the pushed message")

    await running_worker(engine, clock, body)

    assert stored(engine, account.id) == {"before": 1, "pushed": 1}


async def test_messages_posted_while_the_channel_is_down_land_once_after_it_reopens(
    engine, clock, platform, caplog
):
    account = add_account(engine, handle="brand")
    caplog.set_level(logging.INFO, logger="inbox.sync.engine")

    async def body() -> None:
        await until(lambda: platform.connections == 1, "the channel to open")
        platform.post("first")
        await until(lambda: "first" in stored(engine, account.id), "the first message")
        platform.break_channel()
        for number in range(3):
            platform.post(f"gap-{number}", push=False)
        await until(lambda: platform.connections == 2, "the channel to reopen")
        await until(lambda: len(stored(engine, account.id)) == 4, "the gap's messages")
        platform.post("after")
        await until(lambda: "after" in stored(engine, account.id), "a message after the gap")

    await running_worker(engine, clock, body)

    assert stored(engine, account.id) == {
        "first": 1,
        "gap-0": 1,
        "gap-1": 1,
        "gap-2": 1,
        "after": 1,
    }
    broke = [record.getMessage() for record in caplog.records if "broke" in record.getMessage()]
    assert broke and "the stream was dropped; polling meanwhile, listening again in" in broke[0]


async def test_a_channel_that_cannot_open_leaves_the_account_polled(engine, clock, platform):
    account = add_account(engine, handle="brand")
    platform.refuse = PlatformUnavailable("the streaming server is down")
    platform.post("polled", push=False)

    async def body() -> None:
        await until(lambda: "polled" in stored(engine, account.id), "the first poll")
        await until(lambda: platform.connections >= 2, "a second try to listen")

    await running_worker(engine, clock, body)

    assert stored(engine, account.id) == {"polled": 1}


async def test_a_refused_credential_ends_listening_and_polling_marks_the_account(
    engine, clock, platform, caplog
):
    add_account(engine, handle="brand")
    platform.refuse = AuthExpired("the token was revoked")
    caplog.set_level(logging.INFO, logger="inbox.sync.engine")

    async def body() -> None:
        await until(lambda: platform.connections == 1, "the channel to be tried")
        await until(
            lambda: any("stopped listening" in record.getMessage() for record in caplog.records),
            "listening to stop",
        )

    await running_worker(engine, clock, body)

    assert platform.connections == 1
