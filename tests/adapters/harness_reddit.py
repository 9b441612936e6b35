"""The Reddit adapter in the contract suite, over a fake Reddit fed by hand-made data.

`FakeReddit` plays both hosts: the token endpoint (refresh-token grant with HTTP Basic
client credentials) and the OAuth API, answering inbox listings with `before`/`limit`
paging from tests/data/reddit (hand-made). The scenario setting `fail` picks a failure.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from adapters.base import AccountRef
from adapters.reddit.adapter import RedditAdapter
from tests.support.contract import Harness

DATA = Path(__file__).resolve().parent.parent / "data" / "reddit" / "inbox.json"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CREDENTIAL = {
    "client_id": "reddit-client",
    "client_secret": "reddit-secret",
    "refresh_token": "reddit-refresh",
}
ACCESS_TOKEN = "reddit-access"
RETRY_AFTER_SECONDS = 120
_WHERE = {
    "mentions": "mentions",
    "comments": "comment_replies",
    "selfreply": "post_replies",
    "messages": "messages",
}


class FakeReddit:
    """A MockTransport handler playing Reddit's token and API hosts; it keeps every request."""

    def __init__(self, fail: str | None = None, data: Mapping[str, Any] | None = None) -> None:
        self.data = data if data is not None else json.loads(DATA.read_text(encoding="utf-8"))
        self.fail = fail
        self.requests: list[httpx.Request] = []
        self.token_grants = 0
        self.api_answers: list[httpx.Response] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/api/v1/access_token":
            return self._token(request)
        if (
            request.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}"
            or self.fail == "auth_expired"
        ):
            return httpx.Response(401, json={"message": "Unauthorized", "error": 401})
        if self.fail == "rate_limited":
            return httpx.Response(
                429,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                json={"message": "Too Many Requests", "error": 429},
            )
        if self.fail == "payload_invalid":
            return httpx.Response(
                200, content=b"<html>we took reddit down", headers={"Content-Type": "text/html"}
            )
        if self.api_answers:
            return self.api_answers.pop(0)
        if request.url.path == "/api/v1/me":
            return httpx.Response(200, json={"name": "brand_official"})
        parts = request.url.path.strip("/").split("/")
        if parts[:1] == ["message"] and parts[1] in _WHERE:
            return self._listing(request, self.data[_WHERE[parts[1]]])
        if parts[:1] == ["message"] and parts[1] == "sent":
            return httpx.Response(200, json=self.data["sent"])
        if parts[:1] == ["comments"]:
            context = self.data["contexts"].get(parts[-1])
            return (
                httpx.Response(200, json=context)
                if context
                else httpx.Response(404, json={"message": "Not Found", "error": 404})
            )
        if request.url.path == "/api/comment":
            form = dict(httpx.QueryParams(request.content.decode()))
            thing = {
                "kind": "t1",
                "data": {
                    "name": "t1_new1",
                    "body": form["text"],
                    "parent_id": form["thing_id"],
                    "created_utc": NOW.timestamp(),
                    "permalink": "/r/brandsub/comments/aaa1/x/new1/",
                },
            }
            return httpx.Response(200, json={"json": {"errors": [], "data": {"things": [thing]}}})
        if request.url.path == "/api/compose":
            return httpx.Response(200, json={"json": {"errors": []}})
        return httpx.Response(404, json={"message": "Not Found", "error": 404})

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        basic = base64.b64encode(
            f"{CREDENTIAL['client_id']}:{CREDENTIAL['client_secret']}".encode()
        ).decode()
        if (
            self.fail == "auth_expired"
            or request.headers.get("Authorization") != f"Basic {basic}"
            or form != {"grant_type": "refresh_token", "refresh_token": CREDENTIAL["refresh_token"]}
        ):
            return httpx.Response(400, json={"error": "invalid_grant"})
        self.token_grants += 1
        return httpx.Response(
            200,
            json={
                "access_token": ACCESS_TOKEN,
                "token_type": "bearer",
                "expires_in": 86400,
                "scope": "*",
            },
        )

    def _listing(self, request: httpx.Request, listing: Mapping[str, Any]) -> httpx.Response:
        children = listing["data"]["children"]
        limit = int(request.url.params.get("limit", 25))
        before = request.url.params.get("before")
        names = [child["data"]["name"] for child in children]
        if before is not None:
            newer = children[: names.index(before)] if before in names else []
            page = newer[-limit:]
        else:
            page = children[:limit]
        return httpx.Response(
            200,
            json={"kind": "Listing", "data": {**listing["data"], "children": page}},
            headers={
                "x-ratelimit-remaining": "99.0",
                "x-ratelimit-used": "1",
                "x-ratelimit-reset": "300",
            },
        )


def build(extra: dict, server: FakeReddit | None = None, **options: Any) -> RedditAdapter:
    """The adapter for u/BrandCare against the fake; `extra["fail"]` picks a failure."""
    server = server or FakeReddit(fail=extra.get("fail"))
    account = AccountRef(id=1, platform="reddit", handle="u/BrandCare", settings=extra)
    client = httpx.AsyncClient(transport=httpx.MockTransport(server))
    return RedditAdapter(
        account, client, options.pop("credential", CREDENTIAL), clock=lambda: NOW, **options
    )


HARNESS = Harness(
    build=build,
    failures={
        "auth_expired": {"fail": "auth_expired"},
        "rate_limited": {"fail": "rate_limited"},
        "payload_invalid": {"fail": "payload_invalid"},
    },
    rate_limit_reset=NOW + timedelta(seconds=RETRY_AFTER_SECONDS),
)
