"""The Bluesky adapter in the contract suite, over the fake PDS fed by tests/data/bluesky."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from adapters.base import AccountRef, Adapter
from adapters.bluesky.adapter import BlueskyAdapter
from tests.support.contract import Harness
from tests.support.fake_bluesky import APP_PASSWORD, RATE_LIMIT_RESET_EPOCH, FakePds

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def build(extra: dict) -> Adapter:
    """A Bluesky adapter paging two notifications at a time; `scenario` picks a failure."""
    pds = FakePds(failure=extra.get("scenario"))
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
)
