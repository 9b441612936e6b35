"""A test-only adapter that posts to `RecordingServer`; a hand-made fake, not a real platform.

It speaks a made-up JSON API (POST /statuses with an `Idempotency-Key`, GET
/statuses?idempotency_key=...) so outbox process tests can count what reached the
"platform". Fault injection: when INBOX_TEST_KILL_AFTER_POST is set, the process kills
itself with SIGKILL right after the server accepted a post, before the outbox can record it.
"""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime

import httpx

from adapters.base import (
    Adapter,
    FetchResult,
    Kind,
    LengthRule,
    OutboundRequest,
    PayloadInvalid,
    PlatformUnavailable,
    SentRef,
)

KILL_AFTER_POST = "INBOX_TEST_KILL_AFTER_POST"


class RecordingAdapter(Adapter):
    """Posts replies to a `RecordingServer` at the account's base URL."""

    platform = "test-recording"
    display_name = "Recording server (test)"
    streams = ("mentions",)
    kinds = frozenset({Kind.COMMENT, Kind.MENTION, Kind.DM})
    can_dm = True
    finds_sent = frozenset(Kind)
    text_limit = 500
    length_rule = LengthRule.CHARACTERS
    needs_credential = False

    async def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        """Nothing to read: this platform only receives."""
        return FetchResult(items=(), next_cursor=cursor)

    async def send(self, request: OutboundRequest) -> SentRef:
        """POST the message with its idempotency key; die here if told to."""
        try:
            response = await self._client().post(
                f"{self.account.base_url}/statuses",
                headers={"Idempotency-Key": request.idempotency_key},
                json={
                    "text": request.text,
                    "in_reply_to": request.in_reply_to,
                    "thread_key": request.thread_key,
                },
            )
        except httpx.TransportError as error:
            raise PlatformUnavailable(f"cannot reach the recording server: {error}") from None
        if response.status_code >= 500:
            raise PlatformUnavailable(f"the recording server answered {response.status_code}")
        if response.status_code >= 400:
            raise PayloadInvalid(response.json().get("error", f"HTTP {response.status_code}"))
        if os.environ.get(KILL_AFTER_POST):
            os.kill(os.getpid(), signal.SIGKILL)
        return SentRef(external_id=response.json()["id"], sent_at=datetime.now(UTC))

    async def find_sent(self, request: OutboundRequest, since: datetime) -> SentRef | None:
        """Ask the server whether a post with this key exists."""
        try:
            response = await self._client().get(
                f"{self.account.base_url}/statuses",
                params={"idempotency_key": request.idempotency_key},
            )
        except httpx.TransportError as error:
            raise PlatformUnavailable(f"cannot reach the recording server: {error}") from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise PlatformUnavailable(f"the recording server answered {response.status_code}")
        return SentRef(external_id=response.json()["id"])

    def _client(self) -> httpx.AsyncClient:
        if self.client is None:
            raise PlatformUnavailable("no HTTP client was given")
        return self.client
