"""Mastodon's streaming API wakes the sync engine: against mastodon-mock on 127.0.0.1.

No real Mastodon can run here (../shared/docs/real-servers.md §3); `mastodon-mock` (PyPI)
is the server the project tests against, and it streams: `GET /api/v1/streaming/user/
notification` and `/api/v1/streaming/direct` as server-sent events with `:thump`
heartbeats, taking the token in the `Authorization` header, with the streaming host named
in `GET /api/v2/instance`. It is an imitation: where it differs from Mastodon, these tests
cannot tell.

The worker (`SyncEngine.run_forever`, in this process) reaches the mock through a TCP
relay (`tests.support.tcp_relay`) that can cut every open connection, as a network does.
While the channel is open the streams are polled every five minutes only, so a message
that lands within seconds came by push, or by the catch-up after a reconnect.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import update

from adapters.mastodon.adapter import MastodonAdapter
from inbox.core.models import Account
from inbox.store.ingest import Store
from inbox.sync.engine import SyncEngine
from tests.conftest import skip_or_fail
from tests.servers.mastodon_mock import (
    MastodonMock,
    MastodonMockFailed,
    MastodonMockUnavailable,
    start_mastodon_mock,
)
from tests.servers.test_mastodon_mock import Person
from tests.support.items import add_account
from tests.support.sync_running import stored, until, while_syncing
from tests.support.tcp_relay import TcpRelay

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def mock() -> Iterator[MastodonMock]:
    try:
        running = start_mastodon_mock()
    except MastodonMockUnavailable as error:
        skip_or_fail(f"mastodon-mock: {error}")
    except MastodonMockFailed as error:
        pytest.fail(f"mastodon-mock: {error}")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def relay(mock: MastodonMock) -> Iterator[TcpRelay]:
    with TcpRelay(mock.port) as running:
        yield running


def brand_account(engine, relay: TcpRelay, brand: Person):
    """The brand's account row, reaching the instance through the relay; its adapter factory."""
    account = add_account(engine, platform="mastodon", handle=f"@{brand.username}")
    with engine.begin() as connection:
        connection.execute(
            update(Account.__table__)
            .where(Account.__table__.c.id == account.id)
            .values(base_url=f"http://127.0.0.1:{relay.port}")
        )

    def adapter(account_ref, client):
        return MastodonAdapter(account_ref, client, {"access_token": brand.token})

    return account, adapter


def channel_opened(caplog) -> int:
    return sum(getattr(record, "event", None) == "push.open" for record in caplog.records)


async def test_a_mention_and_a_dm_arrive_by_stream_and_gap_messages_land_once(
    mock: MastodonMock, relay: TcpRelay, engine, caplog
):
    caplog.set_level(logging.INFO, logger="inbox.sync.engine")
    brand = Person.dev_user(mock, f"brand{relay.port}")
    carol = Person.dev_user(mock, f"carol{relay.port}")
    account, adapter = brand_account(engine, relay, brand)
    sync = SyncEngine(Store(engine), adapter)
    posted: list[str] = []

    def mention(text: str, **fields: str) -> None:
        posted.append(carol.post(f"@{brand.username} {text}", **fields)["id"])

    def landed() -> set[str]:
        return set(stored(engine, account.id))

    async def steps() -> None:
        await until(lambda: channel_opened(caplog) == 1, "the streams to open")
        mention("is checkout down?")
        mention("my order never came", visibility="direct")
        await until(lambda: landed() == set(posted), "the streamed mention and DM")

        relay.cut()
        for number in range(3):
            mention(f"still broken, try {number}")
        mention("hello? nobody answers", visibility="direct")
        await until(lambda: channel_opened(caplog) == 2, "the streams to reopen")
        await until(lambda: landed() == set(posted), "what was posted during the cut")

        mention("working again, thanks")
        await until(lambda: landed() == set(posted), "a mention after the reconnect")

    await while_syncing(sync, steps)

    assert stored(engine, account.id) == dict.fromkeys(posted, 1)
    assert any("the push channel of mastodon" in record.getMessage() for record in caplog.records)
