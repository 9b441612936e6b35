"""What a platform hands the adapter contract suite (tests/adapters/test_contract.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime

from adapters.base import Adapter


@dataclasses.dataclass(frozen=True)
class Harness:
    """How to build one platform's adapter for the contract tests."""

    build: Callable[[dict], Adapter]
    """Makes the adapter with extra account settings (the scenario) merged in."""

    failures: dict[str, dict] = dataclasses.field(default_factory=dict)
    """Scenario settings that make the next fetch fail, by name: "auth_expired",
    "rate_limited" and, for platforms that speak JSON, "payload_invalid"."""

    rate_limit_reset: datetime | None = None
    """When the "rate_limited" scenario says the limit resets (checked exactly)."""

    rich_posts: dict | None = None
    """Scenario settings whose fetches serve real-shaped posts with media, a quote and links
    whose visible text differs from their target (None for the demo)."""

    rich_links: frozenset[str] = frozenset()
    """The full link targets in those posts, each of which must reach an item's text or
    an attachment's URL."""
