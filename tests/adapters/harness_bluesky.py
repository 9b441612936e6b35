"""The Bluesky adapter in the contract suite, over the fake PDS fed by tests/data/bluesky."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from adapters.base import AccountRef, Adapter
from adapters.bluesky.adapter import BlueskyAdapter
from tests.support.contract import Harness
from tests.support.fake_bluesky import APP_PASSWORD, RATE_LIMIT_RESET_EPOCH, FakePds, fixture

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def build(extra: dict) -> Adapter:
    """A Bluesky adapter paging two notifications at a time; `scenario` picks a failure.

    `rich` serves the posts and chat messages with links, media, quotes and cards
    (tests/data/bluesky/rich_*.json) instead of the plain ones.
    """
    pds = FakePds(failure=extra.get("scenario"))
    if extra.get("rich"):
        pds.notifications = fixture("rich_notifications.json")["notifications"]
        pds.messages = fixture("rich_messages.json")
    account = AccountRef(
        id=1, platform="bluesky", handle="brand.example.com", base_url="https://entryway.example.com",
        settings={"page_size": 2, **extra},
    )  # fmt: skip
    client = httpx.AsyncClient(transport=pds.transport)
    return BlueskyAdapter(account, client, {"app_password": APP_PASSWORD}, clock=lambda: NOW)


HARNESS = Harness(
    build=build,
    failures={
        "auth_expired": {"scenario": "auth_expired"},
        "rate_limited": {"scenario": "rate_limited"},
        "payload_invalid": {"scenario": "payload_invalid"},
    },
    rate_limit_reset=datetime.fromtimestamp(RATE_LIMIT_RESET_EPOCH, UTC),
    rich_posts={"rich": True},
    rich_links=frozenset(  # a quoted post's own links are in its description, tested there
        {
            "https://support.example.com/help/orders/tracking-delayed?ref=bsky",
            "https://track.example.net/r/8f3a?u=carol",
            "https://www.nbcnews.com/business/outage-brand-rcna214089",
            "https://bsky.app/profile/brand.example.com/post/3lbrandroot22",
        }
    ),
)
