"""`inbox webhooks serve` as a real process on 127.0.0.1, and a stand-in Page adapter.

`StandInPageAdapter` is a stand-in for the Facebook adapter, registered only in the
processes of these tests (never in the product's registry): it takes `page` deliveries
(feed comments, Messenger messages) to the interface of `adapters/base.py`, so the server
is tested on its own. Run as ``python -m tests.support.webhook_server --db URL webhooks
serve ...``, it registers the stand-in and runs the `inbox` command.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from adapters import registry
from adapters._payload import Malformed, as_list, as_object, optional_text, required_text
from adapters.base import (
    AccountRef,
    Adapter,
    Direction,
    FetchedContact,
    FetchedItem,
    FetchResult,
    Kind,
    OutboundRequest,
    PayloadInvalid,
    SentRef,
)
from tests.support.polling import wait_until

STANDIN_PLATFORM = "test-meta-page"
APP_SECRET = "0123456789abcdef0123456789abcdef"
VERIFY_TOKEN = "tea-and-biscuits-42"
PAGE_ID = "1234567890321"

REPO = Path(__file__).resolve().parents[2]
"""The checkout the server process runs in (this module is also the process's main)."""


class StandInPageAdapter(Adapter):
    """A stand-in for the Facebook Page adapter's webhook side: feed comments and Messenger
    messages of `page` deliveries become items; it polls and sends nothing."""

    platform = STANDIN_PLATFORM
    display_name = "Page (stand-in)"
    streams = ("comments",)
    kinds = frozenset({Kind.COMMENT, Kind.DM})
    text_limit = None
    webhook_object = "page"

    async def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        return FetchResult(items=(), next_cursor=cursor)

    async def send(self, request: OutboundRequest) -> SentRef:
        raise NotImplementedError("the stand-in sends nothing")

    @classmethod
    def webhook_key(cls, account: AccountRef) -> str | None:
        return account.settings.get("page_id")

    async def webhook_items(self, entry: Mapping[str, Any]) -> tuple[FetchedItem, ...]:
        try:
            changes = as_list(entry.get("changes", []), "changes")
            messaging = as_list(entry.get("messaging", []), "messaging")
            return tuple(
                [_comment(as_object(change.get("value"))) for change in changes]
                + [_message(as_object(event)) for event in messaging]
            )
        except (Malformed, AttributeError) as error:
            raise PayloadInvalid(str(error)) from None


def _comment(value: Mapping[str, Any]) -> FetchedItem:
    author = as_object(value.get("from"), "from")
    return FetchedItem(
        external_id=required_text(value, "comment_id"),
        thread_key=required_text(value, "post_id"),
        kind=Kind.COMMENT,
        direction=Direction.IN,
        author=FetchedContact(
            external_id=required_text(author, "id"), handle=optional_text(author, "name") or "?"
        ),
        text=optional_text(value, "message") or "",
        created_at=datetime.fromtimestamp(int(value["created_time"]), UTC),
    )


def _message(event: Mapping[str, Any]) -> FetchedItem:
    sender = required_text(as_object(event.get("sender"), "sender"), "id")
    message = as_object(event.get("message"), "message")
    return FetchedItem(
        external_id=required_text(message, "mid"),
        thread_key=f"dm:{sender}",
        kind=Kind.DM,
        direction=Direction.IN,
        author=FetchedContact(external_id=sender, handle=sender),
        text=optional_text(message, "text") or "",
        created_at=datetime.fromtimestamp(int(event["timestamp"]) / 1000, UTC),
    )


def register_standin() -> None:
    """Make the stand-in a known platform in this process."""
    registry._ADAPTER_PATHS[STANDIN_PLATFORM] = "tests.support.webhook_server:StandInPageAdapter"


def signed(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    """The headers Meta sends with `body`: its HMAC-SHA256 under the app secret."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


def comment_delivery(
    comment_id: str, text: str = "is checkout down?", page: str = PAGE_ID
) -> bytes:
    """A `page` delivery of one new feed comment, in Graph v2.11+ shape."""
    value = {
        "item": "comment",
        "verb": "add",
        "comment_id": comment_id,
        "post_id": f"{page}_901097836652708",
        "parent_id": f"{page}_901097836652708",
        "from": {"id": "5550001", "name": "Carol"},
        "created_time": 1449135003,
        "message": text,
    }
    entry = {"id": page, "time": 1449135003, "changes": [{"field": "feed", "value": value}]}
    return json.dumps({"object": "page", "entry": [entry]}).encode()


@dataclass
class WebhookServer:
    """A running `inbox webhooks serve` and the JSON lines it wrote on stderr so far."""

    process: subprocess.Popen
    events: list[dict[str, Any]] = field(default_factory=list)
    port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def saw(self, event: str) -> list[dict[str, Any]]:
        """The lines the server logged with `event`."""
        return [line for line in list(self.events) if line.get("event") == event]

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM the server (if still running) and wait for it; its exit status."""
        if self.process.poll() is None:
            self.process.terminate()
        return self.process.wait(timeout=timeout)


def start_server(
    database_url: str, environment: Mapping[str, str], *extra: str, cwd: Path = REPO
) -> WebhookServer:
    """Start `inbox webhooks serve` on a free loopback port and wait until it answers."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.webhook_server",
            "--db",
            database_url,
            "webhooks",
            "serve",
            "--port",
            "0",
            "--log-format",
            "json",
            *extra,
        ],
        cwd=cwd,
        env=dict(environment),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = WebhookServer(process)
    threading.Thread(target=_read_lines, args=(server,), daemon=True).start()

    def listening() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}: {server.events}")
        found = server.saw("webhooks.listening")
        if found:
            server.port = found[0]["port"]
        return bool(found)

    wait_until(listening, 60, "the webhook server to listen")
    wait_until(lambda: _healthy(server.url), 30, "the webhook server to answer")
    return server


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _read_lines(server: WebhookServer) -> None:
    assert server.process.stderr is not None
    for line in server.process.stderr:
        try:
            server.events.append(json.loads(line))
        except ValueError:
            server.events.append({"event": "text", "message": line})


if __name__ == "__main__":
    register_standin()
    from inbox.cli.main import main

    sys.exit(main(sys.argv[1:]))
