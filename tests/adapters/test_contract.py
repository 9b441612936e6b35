"""The contract every registered adapter keeps, checked for each one.

Each platform supplies a `Harness` that builds its adapter for tests (a demo account;
for HTTP platforms, an httpx MockTransport serving recorded answers) and says how to
provoke each failure it can produce. The checks themselves are the same for all.
Harnesses of real platforms live in `tests/adapters/harness_<platform>.py`, each with a
module-level `HARNESS`; the demo's are made here.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from adapters.base import (
    AccountRef,
    Adapter,
    AuthExpired,
    FetchResult,
    Kind,
    LengthRule,
    PayloadInvalid,
    RateLimited,
)
from adapters.registry import adapter_class, platform_names
from inbox.store.ingest import Store, _problem
from tests.support.contract import Harness
from tests.support.items import add_account

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _demo_harness(platform: str) -> Harness:
    base = {
        "seed": 3,
        "epoch": (NOW - timedelta(days=2)).isoformat(),
        "rate_per_hour": 40,
        "total_items": 250,
    }

    def build(extra: dict) -> Adapter:
        account = AccountRef(id=1, platform=platform, handle="brand", settings={**base, **extra})
        return adapter_class(platform)(account, httpx.AsyncClient(), clock=lambda: NOW)

    return Harness(
        build=build,
        failures={
            "auth_expired": {"fail_auth": True},
            "rate_limited": {"rate_limited_until": (NOW + timedelta(minutes=5)).isoformat()},
        },
        rate_limit_reset=NOW + timedelta(minutes=5),
    )


def _discovered_harnesses() -> dict[str, Harness]:
    import tests.adapters

    found = {}
    for module in pkgutil.iter_modules(tests.adapters.__path__):
        if module.name.startswith("harness_"):
            harness = importlib.import_module(f"tests.adapters.{module.name}").HARNESS
            found[module.name.removeprefix("harness_").replace("_", "-")] = harness
    return found


HARNESSES: dict[str, Harness] = {
    **{name: _demo_harness(name) for name in platform_names() if name.startswith("demo-")},
    **_discovered_harnesses(),
}


def test_every_registered_adapter_has_a_harness():
    assert sorted(HARNESSES) == platform_names()


@pytest.fixture(params=platform_names())
def platform(request) -> str:
    return request.param


def test_capabilities_are_declared_as_class_data(platform):
    adapter = adapter_class(platform)
    assert adapter.platform == platform
    assert adapter.display_name
    assert adapter.streams and all(isinstance(stream, str) for stream in adapter.streams)
    assert adapter.kinds and adapter.kinds <= set(Kind)
    assert adapter.text_limit is None or adapter.text_limit > 0
    assert adapter.length_rule in set(LengthRule)
    assert adapter.reply_window_hours is None or adapter.reply_window_hours > 0
    assert adapter.poll_interval_seconds > 0


async def fetch_all(
    adapter: Adapter, stream: str, cursor: str | None = None
) -> tuple[list, str | None]:
    items, pages = [], 0
    while True:
        result = await adapter.fetch(stream, cursor)
        assert isinstance(result, FetchResult)
        items.extend(result.items)
        cursor, pages = result.next_cursor, pages + 1
        if not result.has_more:
            return items, cursor
        assert pages < 1_000, "the adapter never stops saying it has more"


async def test_pages_hold_storable_items_of_the_declared_kinds(platform):
    adapter = HARNESSES[platform].build({})
    for stream in adapter.streams:
        items, _ = await fetch_all(adapter, stream)
        assert items, f"{platform} {stream} produced nothing to test with"
        assert [_problem(item) for item in items] == [None] * len(items)
        assert {item.kind for item in items} <= adapter.kinds


async def test_no_item_is_an_empty_message(platform):
    adapter = HARNESSES[platform].build({})
    for stream in adapter.streams:
        items, _ = await fetch_all(adapter, stream)
        empty = [
            item.external_id for item in items if not item.text.strip() and not item.attachments
        ]
        assert empty == [], f"{platform} {stream}: items with neither text nor attachments"


@pytest.mark.parametrize(
    "platform", sorted(name for name in HARNESSES if not name.startswith("demo-"))
)
async def test_posts_with_media_quotes_and_links_arrive_whole(platform):
    """Media or a quote never makes an empty item; every link target survives."""
    harness = HARNESSES[platform]
    assert harness.rich_posts is not None and harness.rich_links, (
        f"{platform}'s harness serves no posts with media, quotes and links"
    )
    adapter = harness.build(harness.rich_posts)
    items = []
    for stream in adapter.streams:
        items.extend((await fetch_all(adapter, stream))[0])
    assert items and all(item.text.strip() or item.attachments for item in items)
    assert any(item.attachments for item in items), "no attachment reached an item"
    shown = " ".join(
        [item.text for item in items]
        + [attachment.url or "" for item in items for attachment in item.attachments]
    )
    assert sorted(link for link in harness.rich_links if link not in shown) == []


async def test_a_cursor_resumes_without_gaps_or_repeats(platform):
    adapter = HARNESSES[platform].build({})
    stream = adapter.streams[0]
    everything, final_cursor = await fetch_all(adapter, stream)
    first = await adapter.fetch(stream, None)
    rest, _ = await fetch_all(adapter, stream, first.next_cursor)

    assert [item.external_id for item in (*first.items, *rest)] == [
        item.external_id for item in everything
    ]
    assert (await adapter.fetch(stream, final_cursor)).items == ()


_UNSAFE_ON_SCREEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_HOSTILE = re.compile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]|\\[/?[a-z@]")


async def test_fetched_pages_land_in_the_store_and_show_safely(platform, sqlite_url, clock):
    from sqlalchemy import select

    from inbox.core.database import open_engine
    from inbox.core.models import Contact, Item
    from inbox.core.sanitize import MAX_STORED_TEXT, for_display

    engine = open_engine(sqlite_url)
    account = add_account(engine, platform=platform, handle="brand")
    adapter = HARNESSES[platform].build({})
    store = Store(engine, clock)
    stored = 0
    for stream in adapter.streams:
        items, cursor = await fetch_all(adapter, stream)
        report = store.ingest(account, stream, items, cursor)
        assert report.malformed_items == 0
        stored += report.new_items
    with engine.connect() as connection:
        texts = connection.execute(select(Item.__table__.c.text)).scalars().all()
        names = connection.execute(
            select(Contact.__table__.c.handle, Contact.__table__.c.display_name)
        ).all()
    engine.dispose()

    assert stored > 0
    for text in [*texts, *(name for row in names for name in row if name)]:
        assert "\x00" not in text and len(text) <= MAX_STORED_TEXT + 1
        assert not _UNSAFE_ON_SCREEN.search(for_display(text).replace("\n", "").replace("\t", ""))


async def test_every_real_platform_is_tried_with_a_hostile_message():
    """Markup, escape sequences and bidi overrides must pass through each real adapter."""
    untried = []
    for name, harness in sorted(HARNESSES.items()):
        if name.startswith("demo-"):
            continue
        adapter = harness.build({})
        texts = []
        for stream in adapter.streams:
            items, _ = await fetch_all(adapter, stream)
            texts += [item.text for item in items] + [
                item.author.display_name or "" for item in items
            ]
        if not any(_HOSTILE.search(text) for text in texts):
            untried.append(name)
    assert untried == []


_EXPECTED_ERRORS = {
    "auth_expired": AuthExpired,
    "rate_limited": RateLimited,
    "payload_invalid": PayloadInvalid,
}


@pytest.mark.parametrize(
    ("platform", "failure"),
    [
        (name, failure)
        for name, harness in sorted(HARNESSES.items())
        for failure in harness.failures
    ],
)
async def test_failures_map_to_the_error_tree(platform, failure):
    harness = HARNESSES[platform]
    adapter = harness.build(harness.failures[failure])

    with pytest.raises(_EXPECTED_ERRORS[failure]) as raised:
        await adapter.fetch(adapter.streams[0], None)

    if failure == "rate_limited":
        assert raised.value.reset_at == harness.rate_limit_reset


async def test_verify_names_the_account_or_refuses_bad_credentials(platform):
    harness = HARNESSES[platform]
    adapter = harness.build({})
    try:
        identity = await adapter.verify()
    except NotImplementedError:
        assert platform.startswith("demo-"), (
            f"{platform} cannot check credentials for `accounts add`"
        )
        return
    assert identity

    with pytest.raises(AuthExpired):
        await harness.build(harness.failures["auth_expired"]).verify()


def test_the_sync_engine_can_build_every_adapter_that_needs_a_credential():
    """inbox.runtime.adapter_factory hands every such adapter a way to refresh its credential."""
    import inspect

    needing = [name for name in platform_names() if adapter_class(name).needs_credential]
    unbuildable = [
        name
        for name in needing
        if "on_credential_refreshed"
        not in inspect.signature(adapter_class(name).__init__).parameters
    ]
    assert needing and unbuildable == []
