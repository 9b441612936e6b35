"""What a platform's API on 127.0.0.1 offers the whole-process send tests.

No server of X, Reddit or Mastodon can run here (`../shared/docs/real-servers.md`), so
each `tests/support/loopback_<platform>.py` is a hand-made stand-in that speaks the real
paths and payloads the adapter uses, keeps every post in memory, and can be told to fail
*after* it created a post: the failures that make a send ambiguous.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Protocol, Self


class Fault(enum.StrEnum):
    """What the server does after it created a post, instead of answering normally."""

    NONE = "none"
    ANSWER_500 = "answer_500"
    """Create the post, then answer HTTP 500 (or the platform's 5xx)."""
    HANG = "hang"
    """Create the post, then never answer (the sender times out)."""
    DROP = "drop"
    """Create the post, then close the connection without an answer."""


class LoopbackPlatform(Protocol):
    """One platform on 127.0.0.1; a context manager that starts and stops it."""

    platform: str
    """The registry name of the adapter that talks to it."""

    handle: str
    """The brand account's handle."""

    base_url: str | None
    """The account's `base_url` (Mastodon's instance), or None."""

    settings: Mapping[str, Any]
    """The account settings the adapter needs (`api_base` pointing here, the user id...)."""

    credential: Mapping[str, str]
    """What the keyring holds for the account."""

    fault: Fault
    """Applied to every call that creates a post while set; tests change it between rounds."""

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc_info: object) -> None: ...

    def incoming(self, number: int) -> tuple[str, str]:
        """(external id, thread key) of customer post `number`, which exists on the server,
        so a reply to it is accepted; the same number gives the same post."""

    def replies_to(self, external_id: str) -> list[str]:
        """The texts of every post the brand made in reply to `external_id`, oldest first."""
