"""The YouTube adapter in the contract suite, over a fake YouTube Data API fed by hand-made data.

`FakeYouTube` answers `channels.list?mine=true`, `commentThreads.list` (newest first, in
pages of `page_size` with `nextPageToken`, embedding at most `embedded` replies of each
thread as YouTube embeds a subset), `comments.list?parentId=` (every reply, in pages),
`comments.insert` (the reply joins its thread), `comments.setModerationStatus` (204) and
Google's token endpoint, from tests/data/youtube (hand-made, shapes as the recordings in
../shared/recordings/youtube). Errors come in Google's envelope with the status the docs
give. The scenario setting `fail` picks a failure; `fixture="rich.json"` serves comments
whose links show other text than their target.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from adapters.base import AccountRef
from adapters.youtube.adapter import YouTubeAdapter
from tests.support.contract import Harness

DATA = Path(__file__).resolve().parent.parent / "data" / "youtube" / "channel.json"
RICH = DATA.with_name("rich.json")
QUOTA_EXCEEDED = DATA.with_name("quota_exceeded.json")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
QUOTA_RESET = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
"""Midnight Pacific (PST, UTC-8) after `NOW`: when a spent daily quota comes back."""
CREDENTIAL = {
    "client_id": "yt-client.apps.googleusercontent.com",
    "client_secret": "yt-secret",
    "access_token": "yt-access",
    "refresh_token": "yt-refresh",
}
JSON = {"Content-Type": "application/json; charset=UTF-8"}
API = "/youtube/v3"


def google_error(status: int, reason: str, domain: str = "youtube.api") -> httpx.Response:
    """An error answer in Google's envelope: https://developers.google.com/youtube/v3/docs/errors"""
    return httpx.Response(
        status,
        headers=JSON,
        json={
            "error": {
                "code": status,
                "message": f"{reason} (test)",
                "errors": [{"message": f"{reason} (test)", "domain": domain, "reason": reason}],
            }
        },
    )


class FakeYouTube:
    """A MockTransport handler playing www.googleapis.com/youtube/v3; it keeps every request."""

    def __init__(
        self,
        fail: str | None = None,
        *,
        page_size: int = 2,
        embedded: int = 2,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        data = data if data is not None else json.loads(DATA.read_text(encoding="utf-8"))
        self.channel: dict[str, Any] = copy.deepcopy(data["channel"])
        self.threads: list[dict[str, Any]] = copy.deepcopy(data["threads"])
        """Newest first: `top` (a comment resource) and `videoId`."""
        self.replies: dict[str, list[dict[str, Any]]] = copy.deepcopy(data["replies"])
        """Each thread's replies, oldest first."""
        self.fail = fail
        self.page_size = page_size
        self.embedded = embedded
        self.now = NOW
        self.requests: list[httpx.Request] = []
        self.moderated: list[tuple[str, str]] = []
        self.access_token = CREDENTIAL["access_token"]
        self._reply_ids = itertools.count(1)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == "oauth2.googleapis.com":
            return self._token(request)
        if (
            self.fail == "auth_expired"
            or request.headers.get("Authorization") != f"Bearer {self.access_token}"
        ):
            return google_error(401, "authError", "global")
        if self.fail == "rate_limited":
            return httpx.Response(403, headers=JSON, content=QUOTA_EXCEEDED.read_bytes())
        if self.fail == "payload_invalid":
            return httpx.Response(200, headers=JSON, content=b'{"items": [')
        path, params = request.url.path.removeprefix(API), request.url.params
        if path == "/channels" and params.get("mine") == "true":
            return self._list("youtube#channelListResponse", [self.channel], request)
        if path == "/commentThreads" and request.method == "GET":
            if params.get("allThreadsRelatedToChannelId") != self.channel["id"]:
                return google_error(400, "missingRequiredParameter")
            return self._list(
                "youtube#commentThreadListResponse",
                [self._thread(entry) for entry in self.threads],
                request,
            )
        if path == "/comments" and request.method == "GET":
            parent = params.get("parentId", "")
            return self._list(
                "youtube#commentListResponse", list(self.replies.get(parent, [])), request
            )
        if path == "/comments" and request.method == "POST":
            return self._insert(request)
        if path == "/comments/setModerationStatus" and request.method == "POST":
            self.moderated.append((params["id"], params["moderationStatus"]))
            return httpx.Response(204)
        return google_error(404, "notFound", "global")

    def _thread(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        top = entry["top"]
        replies = self.replies.get(top["id"], [])
        snippet: dict[str, Any] = {
            "channelId": self.channel["id"],
            "topLevelComment": top,
            "canReply": True,
            "totalReplyCount": len(replies),
            "isPublic": True,
        }
        if entry.get("videoId"):
            snippet["videoId"] = entry["videoId"]
        thread: dict[str, Any] = {
            "kind": "youtube#commentThread",
            "etag": "hand-made",
            "id": top["id"],
            "snippet": snippet,
        }
        if replies:
            thread["replies"] = {"comments": replies[: self.embedded]}
        return thread

    def _list(
        self, kind: str, entries: list[dict[str, Any]], request: httpx.Request
    ) -> httpx.Response:
        start = int(request.url.params.get("pageToken", "0"))
        page = entries[start : start + self.page_size]
        body: dict[str, Any] = {
            "kind": kind,
            "etag": "hand-made",
            "pageInfo": {"totalResults": len(entries), "resultsPerPage": self.page_size},
            "items": page,
        }
        if start + self.page_size < len(entries):
            body["nextPageToken"] = str(start + self.page_size)
        return httpx.Response(200, headers=JSON, json=body)

    def _insert(self, request: httpx.Request) -> httpx.Response:
        snippet = json.loads(request.content)["snippet"]
        parent = snippet["parentId"]
        thread = next((t for t in self.threads if t["top"]["id"] == parent), None)
        if thread is None:
            return google_error(404, "parentNotFound")
        at = self.now.isoformat().replace("+00:00", "Z")
        reply = {
            "kind": "youtube#comment",
            "etag": "hand-made",
            "id": f"{parent}.Sent{next(self._reply_ids):018d}",
            "snippet": {
                "textDisplay": snippet["textOriginal"],
                "textOriginal": snippet["textOriginal"],
                "parentId": parent,
                "authorDisplayName": "@" + self.channel["snippet"]["title"].replace(" ", ""),
                "authorChannelUrl": f"http://www.youtube.com/channel/{self.channel['id']}",
                "authorChannelId": {"value": self.channel["id"]},
                "canRate": True,
                "viewerRating": "none",
                "likeCount": 0,
                "publishedAt": at,
                "updatedAt": at,
            },
        }
        self.replies.setdefault(parent, []).append(reply)
        if self.fail == "answer_503_after_create":
            return google_error(503, "backendError", "global")
        return httpx.Response(200, headers=JSON, json=reply)

    def _token(self, request: httpx.Request) -> httpx.Response:
        """Google's token endpoint for the refresh grant (client secret as HTTP Basic)."""
        form = dict(httpx.QueryParams(request.content.decode()))
        expected_basic = httpx.BasicAuth(CREDENTIAL["client_id"], CREDENTIAL["client_secret"])
        basic = next(expected_basic.auth_flow(httpx.Request("POST", "https://x")))
        if (
            self.fail == "auth_expired"
            or form != {"grant_type": "refresh_token", "refresh_token": CREDENTIAL["refresh_token"]}
            or request.headers.get("Authorization") != basic.headers["Authorization"]
        ):
            return httpx.Response(
                400,
                headers=JSON,
                json={"error": "invalid_grant", "error_description": "Token has been expired."},
            )
        self.access_token = "yt-access-2"
        return httpx.Response(
            200,
            headers=JSON,
            json={
                "access_token": self.access_token,
                "expires_in": 3599,
                "scope": "https://www.googleapis.com/auth/youtube.force-ssl",
                "token_type": "Bearer",
            },
        )


def build(extra: dict, server: FakeYouTube | None = None, **options: Any) -> YouTubeAdapter:
    """The adapter for the Brand Care channel against the fake; `extra["fail"]` picks a failure."""
    if server is None:
        fixture = extra.get("fixture")
        data = json.loads((DATA.parent / fixture).read_text(encoding="utf-8")) if fixture else None
        server = FakeYouTube(fail=extra.get("fail"), data=data)
    account = AccountRef(id=1, platform="youtube", handle="Brand Care", settings=dict(extra))
    client = httpx.AsyncClient(transport=httpx.MockTransport(server))
    return YouTubeAdapter(
        account, client, options.pop("credential", CREDENTIAL), clock=lambda: NOW, **options
    )


HARNESS = Harness(
    build=build,
    failures={
        "auth_expired": {"fail": "auth_expired"},
        "rate_limited": {"fail": "rate_limited"},
        "payload_invalid": {"fail": "payload_invalid"},
    },
    rate_limit_reset=QUOTA_RESET,
    rich_posts={"fixture": RICH.name},
    rich_links=frozenset(
        {
            "https://shop.example.com/refunds/new",
            "https://www.youtube.com/watch?v=vid00000003&t=62",
            "https://status.example.com/incidents/42",
            "https://www.youtube.com/watch?v=vid00000003",
        }
    ),
)
