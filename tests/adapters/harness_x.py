"""The X adapter in the contract suite, over a fake X API fed by hand-made data.

`FakeX` answers `/2/users/:id/mentions` (with `since_id`) and `/2/dm_events`
newest first in pages of `page_size` with `meta.next_token`, plus the OAuth 2 token
endpoint, from tests/data/x (hand-made). The scenario setting `fail` picks a failure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from adapters.base import AccountRef
from adapters.x.adapter import XAdapter
from tests.support.contract import Harness

DATA = Path(__file__).resolve().parent.parent / "data" / "x" / "inbox.json"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RATE_LIMIT_RESET = datetime(2026, 3, 1, 12, 15, tzinfo=UTC)
CREDENTIAL = {"client_id": "x-client", "access_token": "x-access", "refresh_token": "x-refresh"}


class FakeX:
    """A MockTransport handler playing api.x.com; it keeps every request."""

    def __init__(
        self, fail: str | None = None, page_size: int = 2, data: Mapping[str, Any] | None = None
    ) -> None:
        self.data = data if data is not None else json.loads(DATA.read_text(encoding="utf-8"))
        self.fail = fail
        self.page_size = page_size
        self.requests: list[httpx.Request] = []
        self.access_token = CREDENTIAL["access_token"]
        self.refresh_token = CREDENTIAL["refresh_token"]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/2/oauth2/token":
            return self._token(request)
        if (
            self.fail == "auth_expired"
            or request.headers.get("Authorization") != f"Bearer {self.access_token}"
        ):
            return httpx.Response(
                401,
                json={
                    "title": "Unauthorized",
                    "type": "about:blank",
                    "status": 401,
                    "detail": "Unauthorized",
                },
            )
        if self.fail == "rate_limited":
            headers = {
                "x-rate-limit-limit": "180",
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(int(RATE_LIMIT_RESET.timestamp())),
            }
            return httpx.Response(
                429,
                json={
                    "title": "Too Many Requests",
                    "detail": "Too Many Requests",
                    "type": "about:blank",
                    "status": 429,
                },
                headers=headers,
            )
        if self.fail == "payload_invalid":
            return httpx.Response(
                200, content=b'{"data": [', headers={"Content-Type": "application/json"}
            )
        if path == "/2/users/me":
            return httpx.Response(
                200,
                json={
                    "data": {
                        "id": self.data["brand_id"],
                        "username": "BrandCare",
                        "name": "Brand Care",
                    }
                },
            )
        if path == f"/2/users/{self.data['brand_id']}/mentions":
            since = request.url.params.get("since_id")
            entries = [
                e for e in self.data["mentions"] if since is None or int(e["id"]) > int(since)
            ]
            return self._page(request, entries)
        if path == "/2/dm_events":
            return self._page(request, self.data["dm_events"])
        if path == "/2/tweets" and request.method == "POST":
            return httpx.Response(
                201,
                json={
                    "data": {
                        "id": "1900000000000000999",
                        "text": json.loads(request.content)["text"],
                    }
                },
            )
        if path.startswith("/2/dm_conversations/") and request.method == "POST":
            conversation = (
                path.split("/")[3]
                if "/with/" not in path
                else f"{path.split('/')[4]}-{self.data['brand_id']}"
            )
            return httpx.Response(
                201,
                json={
                    "data": {
                        "dm_conversation_id": conversation,
                        "dm_event_id": "1900000000000000998",
                    }
                },
            )
        return httpx.Response(
            404,
            json={
                "title": "Not Found Error",
                "type": "https://api.x.com/2/problems/resource-not-found",
            },
        )

    def _page(self, request: httpx.Request, entries: list[dict]) -> httpx.Response:
        start = int(request.url.params.get("pagination_token", "0"))
        page = entries[start : start + self.page_size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta["newest_id"], meta["oldest_id"] = page[0]["id"], page[-1]["id"]
        if start + self.page_size < len(entries):
            meta["next_token"] = str(start + self.page_size)
        body: dict[str, Any] = {"meta": meta}
        if page:
            body["data"] = page
            body["includes"] = {"users": self.data["users"]}
        return httpx.Response(
            200,
            json=body,
            headers={
                "x-rate-limit-remaining": "179",
                "x-rate-limit-reset": str(int(RATE_LIMIT_RESET.timestamp())),
            },
        )

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        expected = {
            "grant_type": "refresh_token",
            "refresh_token": self.refresh_token,
            "client_id": CREDENTIAL["client_id"],
        }
        if self.fail == "auth_expired" or form != expected:
            return httpx.Response(
                400,
                json={
                    "error": "invalid_request",
                    "error_description": "Value passed for the token was invalid.",
                },
            )
        self.access_token, self.refresh_token = "x-access-2", "x-refresh-2"
        return httpx.Response(
            200,
            json={
                "token_type": "bearer",
                "expires_in": 7200,
                "access_token": self.access_token,
                "scope": "tweet.read users.read offline.access",
                "refresh_token": self.refresh_token,
            },
        )


def build(extra: dict, server: FakeX | None = None, **options: Any) -> XAdapter:
    """The adapter for @BrandCare against the fake; `extra["fail"]` picks a failure."""
    server = server or FakeX(fail=extra.get("fail"))
    account = AccountRef(
        id=1, platform="x", handle="@BrandCare", settings={"api_base": "https://api.x.com", **extra}
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(server))
    return XAdapter(
        account, client, options.pop("credential", CREDENTIAL), clock=lambda: NOW, **options
    )


HARNESS = Harness(
    build=build,
    failures={
        "auth_expired": {"fail": "auth_expired"},
        "rate_limited": {"fail": "rate_limited"},
        "payload_invalid": {"fail": "payload_invalid"},
    },
    rate_limit_reset=RATE_LIMIT_RESET,
)
