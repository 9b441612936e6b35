"""The X adapter in the contract suite, over a fake X API fed by hand-made data.

`FakeX` answers `/2/users/:id/mentions` (with `since_id`), the brand's own posts
`/2/users/:id/tweets` (with `start_time`), `/2/dm_events` and one conversation's DM events
newest first in pages of `page_size` with `meta.next_token`, plus the OAuth 2 token
endpoint, from tests/data/x (hand-made). Each page's `includes` holds the users, and the
media, polls and quoted posts its entries point to, as X expands them. What the adapter
posts joins the brand's posts and DM events, so `find_sent` can find it. The scenario
setting `fail` picks a failure; `fail="answer_503_after_create"` creates the post or DM,
then answers 503; `fixture="rich.json"` serves posts with links, media, a quote, a poll and
a long text, and a DM with media.
"""

from __future__ import annotations

import itertools
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
TIMELINE = DATA.with_name("timeline.json")
RICH = DATA.with_name("rich.json")
"""Posts with links, media, a quote, a poll and a long text, and a DM with media."""
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RATE_LIMIT_RESET = datetime(2026, 3, 1, 12, 15, tzinfo=UTC)
CREDENTIAL = {"client_id": "x-client", "access_token": "x-access", "refresh_token": "x-refresh"}
UNAVAILABLE = {
    "title": "Service Unavailable",
    "detail": "Service Unavailable",
    "type": "about:blank",
    "status": 503,
}
"""X's problem-details body for a 503."""


class FakeX:
    """A MockTransport handler playing api.x.com; it keeps every request."""

    def __init__(
        self, fail: str | None = None, page_size: int = 2, data: Mapping[str, Any] | None = None
    ) -> None:
        self.data = data if data is not None else json.loads(DATA.read_text(encoding="utf-8"))
        self.timeline: list[dict[str, Any]] = json.loads(TIMELINE.read_text(encoding="utf-8"))[
            "timeline"
        ]
        """The brand's own posts, newest first; what `POST /2/tweets` creates goes on top."""
        self.sent_dms: list[dict[str, Any]] = []
        """DM events the adapter created, newest first."""
        self.now = NOW
        self._ids = itertools.count(1900000000000001000)
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
        if path == f"/2/users/{self.data['brand_id']}/tweets":
            start = request.url.params.get("start_time")
            posts = [
                post
                for post in self.timeline
                if start is None
                or datetime.fromisoformat(post["created_at"]) >= datetime.fromisoformat(start)
            ]
            return self._page(request, posts)
        if path.startswith("/2/dm_conversations/") and path.endswith("/dm_events"):
            conversation = _conversation_of(path.removesuffix("/dm_events"), self.data["brand_id"])
            events = [
                event
                for event in (*self.sent_dms, *self.data["dm_events"])
                if event.get("dm_conversation_id") == conversation
            ]
            return self._page(request, events)
        if path == "/2/tweets" and request.method == "POST":
            post = self._post(json.loads(request.content))
            if self.fail == "answer_503_after_create":
                return httpx.Response(503, json=UNAVAILABLE)
            return httpx.Response(201, json={"data": {"id": post["id"], "text": post["text"]}})
        if path.startswith("/2/dm_conversations/") and request.method == "POST":
            conversation = _conversation_of(path.removesuffix("/messages"), self.data["brand_id"])
            event = {
                "id": str(next(self._ids)),
                "event_type": "MessageCreate",
                "text": json.loads(request.content)["text"],
                "sender_id": self.data["brand_id"],
                "created_at": self.now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "dm_conversation_id": conversation,
            }
            self.sent_dms.insert(0, event)
            if self.fail == "answer_503_after_create":
                return httpx.Response(503, json=UNAVAILABLE)
            return httpx.Response(
                201,
                json={"data": {"dm_conversation_id": conversation, "dm_event_id": event["id"]}},
            )
        return httpx.Response(
            404,
            json={
                "title": "Not Found Error",
                "type": "https://api.x.com/2/problems/resource-not-found",
            },
        )

    def _post(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create a brand post as X would store it, on top of the brand's timeline."""
        identifier = str(next(self._ids))
        post: dict[str, Any] = {
            "edit_history_tweet_ids": [identifier],
            "id": identifier,
            "text": body["text"],
            "author_id": self.data["brand_id"],
            "created_at": self.now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "conversation_id": identifier,
        }
        parent_id = body.get("reply", {}).get("in_reply_to_tweet_id")
        if parent_id is not None:
            parent = next(
                (p for p in (*self.timeline, *self.data["mentions"]) if p["id"] == parent_id), {}
            )
            post["conversation_id"] = parent.get("conversation_id", parent_id)
            post["in_reply_to_user_id"] = parent.get("author_id", self.data["brand_id"])
            post["referenced_tweets"] = [{"type": "replied_to", "id": parent_id}]
        self.timeline.insert(0, post)
        return post

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
            body["includes"] = self._includes(page)
        return httpx.Response(
            200,
            json=body,
            headers={
                "x-rate-limit-remaining": "179",
                "x-rate-limit-reset": str(int(RATE_LIMIT_RESET.timestamp())),
            },
        )

    def _includes(self, page: list[dict[str, Any]]) -> dict[str, Any]:
        """The users, and the media, polls and quoted posts the page's entries point to.

        What X would expand is found by matching ids as text, so a broken entry (the data
        holds some on purpose) points to nothing rather than failing the fake.
        """
        pointed = json.dumps(page)
        includes: dict[str, Any] = {"users": self.data["users"]}
        for key, field in (("media", "media_key"), ("polls", "id"), ("tweets", "id")):
            found = [
                entry for entry in self.data.get(key, []) if json.dumps(entry.get(field)) in pointed
            ]
            if found:
                includes[key] = found
        return includes

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


def _conversation_of(path: str, brand_id: str) -> str:
    """The DM conversation a `/2/dm_conversations/...` path names (`with/:id`: one-to-one)."""
    tail = path.removeprefix("/2/dm_conversations/")
    if tail.startswith("with/"):
        return "-".join(sorted((tail.removeprefix("with/"), brand_id), key=int))
    return tail


def build(extra: dict, server: FakeX | None = None, **options: Any) -> XAdapter:
    """The adapter for @BrandCare against the fake; `extra["fail"]` picks a failure."""
    if server is None:
        fixture = extra.get("fixture")
        data = json.loads((DATA.parent / fixture).read_text(encoding="utf-8")) if fixture else None
        server = FakeX(fail=extra.get("fail"), data=data)
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
    rich_posts={"fixture": RICH.name},
    rich_links=frozenset(
        {
            "https://status.example.com/incidents/42",
            "https://shop.example.com/orders/123?ref=mail&lang=en",
            "https://twitter.com/newsdesk/status/1900000000000000350",
            "https://shop.example.com/refunds/new",
            "https://pbs.twimg.com/media/E8XA5Q9WUAIXRSe.jpg",
            "https://video.twimg.com/tweet_video/FWCVvLfUEAEsMeQ.mp4",
            "https://ton.twitter.com/1.1/ton/data/dm/1900000000000000212/1900000000000000910/receipt.jpg",
        }
    ),
)
