"""The Instagram adapter in the contract suite, over a fake Graph API fed by hand-made data.

`FakeGraph` plays graph.facebook.com/v25.0 for one Page and its Instagram professional
account, from tests/data/instagram/account.json (hand-made, in the shapes of Meta's
reference pages and the real bodies in ../shared/recordings/instagram): the account's
media, each post's comments with embedded replies, the Page's Instagram conversations
(pages of `page_size`, `paging.cursors.after` + `next`), `mentioned_comment` and
`mentioned_media`, replies, mention replies, the Send API and hiding. What the adapter
posts joins the data, so `find_sent` can find it. Errors come as Graph sends them: HTTP
400 with an `OAuthException` body, and the usage headers the rate-limiting page shows.
The scenario setting `fail` picks a failure; `fail="answer_503_after_create"` creates
the reply, then answers 503.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from adapters.base import AccountRef
from adapters.instagram.adapter import InstagramAdapter
from tests.support.contract import Harness

DATA = Path(__file__).resolve().parent.parent / "data" / "instagram" / "account.json"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
REGAIN_MINUTES = 15
RATE_LIMIT_RESET = NOW + timedelta(minutes=REGAIN_MINUTES)
API_BASE = "https://graph.facebook.com/v25.0"
PAGE_TOKEN = "EAAG-page-token-for-tests"
CREDENTIAL = {"access_token": PAGE_TOKEN}


def graph_error(code: int, message: str, subcode: int | None = None) -> dict[str, Any]:
    """A Graph error body: https://developers.facebook.com/docs/graph-api/guides/error-handling"""
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEfGh123",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


def usage_header(ig_user_id: str, percent: int, regain_minutes: int = 0) -> str:
    """`X-Business-Use-Case-Usage` as the rate-limiting page shows it, for an IG account."""
    return json.dumps(
        {
            ig_user_id: [
                {
                    "type": "instagram",
                    "call_count": percent,
                    "total_cputime": percent // 2,
                    "total_time": percent // 2,
                    "estimated_time_to_regain_access": regain_minutes,
                }
            ]
        }
    )


class FakeGraph:
    """A MockTransport handler playing Graph for one Page and its Instagram account."""

    def __init__(
        self,
        fail: str | None = None,
        page_size: int = 2,
        data: Mapping[str, Any] | None = None,
        usage_percent: int = 10,
    ) -> None:
        self.data = data if data is not None else json.loads(DATA.read_text(encoding="utf-8"))
        brand = self.data["brand"]
        self.ig_user_id, self.page_id = brand["ig_user_id"], brand["page_id"]
        self.fail = fail
        self.page_size = page_size
        self.usage_percent = usage_percent
        self.now = NOW
        self.requests: list[httpx.Request] = []
        self.sent_messages: list[dict[str, Any]] = []
        self.hidden: dict[str, bool] = {}
        self._ids = itertools.count(17859999000000001)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail == "auth_expired" or request.headers.get("Authorization") != (
            f"Bearer {PAGE_TOKEN}"
        ):
            return httpx.Response(
                400,
                json=graph_error(
                    190,
                    "Error validating access token: Session has expired on Sunday, "
                    "01-Mar-26 03:00:00 PST.",
                    463,
                ),
            )
        if self.fail == "rate_limited":
            return httpx.Response(
                400,
                json=graph_error(
                    80002, "There have been too many calls to this Instagram account."
                ),
                headers={
                    "X-Business-Use-Case-Usage": usage_header(self.ig_user_id, 100, REGAIN_MINUTES)
                },
            )
        if self.fail == "payload_invalid":
            return httpx.Response(200, content=b'{"data": [', headers=_JSON)
        segments = request.url.path.removeprefix("/v25.0/").split("/")
        answer = (
            self._read(request, segments)
            if request.method == "GET"
            else self._write(request, segments)
        )
        if answer is None:
            return httpx.Response(
                400,
                json=graph_error(100, "Unsupported get request. Object does not exist", subcode=33),
            )
        status, body = answer
        return httpx.Response(
            status,
            json=body,
            headers={
                "X-Business-Use-Case-Usage": usage_header(self.ig_user_id, self.usage_percent),
                "X-App-Usage": json.dumps({"call_count": 1, "total_cputime": 1, "total_time": 1}),
            },
        )

    # -- reads ----------------------------------------------------------------------------

    def _read(self, request: httpx.Request, segments: list[str]) -> tuple[int, Any] | None:
        params = request.url.params
        if segments == ["me"]:
            return 200, {
                "id": self.page_id,
                "instagram_business_account": {"id": self.ig_user_id},
            }
        if segments == [self.ig_user_id]:
            return self._account_fields(params.get("fields", ""))
        if segments == [self.ig_user_id, "media"]:
            limit = int(params.get("limit", "25"))
            return 200, {"data": self.data["media"][:limit]}
        if len(segments) == 2 and segments[1] == "comments":
            if segments[0] not in self.data["comments"]:
                return None
            return self._page(request, self.data["comments"][segments[0]])
        if len(segments) == 2 and segments[1] == "replies":
            return self._page(request, self._replies_of(segments[0]))
        if segments == [self.page_id, "conversations"]:
            assert params.get("platform") == "instagram"
            return self._page(request, self.data["conversations"])
        return None

    def _account_fields(self, fields: str) -> tuple[int, Any] | None:
        brand = self.data["brand"]
        if fields == "id,username":
            return 200, {"id": self.ig_user_id, "username": brand["username"]}
        for field, table in (
            ("mentioned_comment.comment_id(", "mentioned_comments"),
            ("mentioned_media.media_id(", "mentioned_media"),
        ):
            if fields.startswith(field):
                wanted = fields.removeprefix(field).partition(")")[0]
                found = self.data[table].get(wanted)
                if found is None:
                    return None
                return 200, {field.partition(".")[0]: found, "id": self.ig_user_id}
        return None

    def _page(self, request: httpx.Request, entries: list[Any]) -> tuple[int, Any]:
        start = int(request.url.params.get("after", "0"))
        body: dict[str, Any] = {"data": entries[start : start + self.page_size]}
        if start + self.page_size < len(entries):
            after = str(start + self.page_size)
            body["paging"] = {
                "cursors": {"before": str(start), "after": after},
                "next": f"{API_BASE}{request.url.path}?limit={self.page_size}&after={after}",
            }
        return 200, body

    def _replies_of(self, comment_id: str) -> list[Any]:
        comment = self._comment(comment_id)
        return [] if comment is None else comment.setdefault("replies", {"data": []})["data"]

    def _comment(self, comment_id: str) -> dict[str, Any] | None:
        for comments in self.data["comments"].values():
            for comment in comments:
                if comment["id"] == comment_id:
                    return comment
                for reply in comment.get("replies", {}).get("data", []):
                    if reply["id"] == comment_id:
                        return reply
        return None

    # -- writes ---------------------------------------------------------------------------

    def _write(self, request: httpx.Request, segments: list[str]) -> tuple[int, Any] | None:
        form = dict(httpx.QueryParams(request.content.decode()))
        if len(segments) == 2 and segments[1] == "replies":
            return self._reply(segments[0], form["message"])
        if segments == [self.ig_user_id, "mentions"]:
            assert form["media_id"] and form["message"]
            return 200, {"id": str(next(self._ids))}
        if segments == [self.page_id, "messages"]:
            body = json.loads(request.content)
            message_id = f"aWdfZAG1faXRlbToxOklHTWVzc2Fn{next(self._ids)}"
            self.sent_messages.append({**body, "message_id": message_id})
            return 200, {"recipient_id": body["recipient"]["id"], "message_id": message_id}
        if len(segments) == 1 and "hide" in form and self._comment(segments[0]) is not None:
            self.hidden[segments[0]] = form["hide"] == "true"
            return 200, {"success": True}
        return None

    def _reply(self, comment_id: str, message: str) -> tuple[int, Any] | None:
        comment = self._comment(comment_id)
        if comment is None:
            return None
        top = comment_id if "parent_id" not in comment else comment["parent_id"]
        reply = {
            "id": str(next(self._ids)),
            "text": message,
            "timestamp": self.now.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "username": self.data["brand"]["username"],
            "from": {"id": self.ig_user_id, "username": self.data["brand"]["username"]},
            "parent_id": top,
            "user": {"id": self.ig_user_id},
            "hidden": False,
        }
        self._replies_of(top).append(reply)
        if self.fail == "answer_503_after_create":
            return 503, graph_error(2, "An unexpected error has occurred.")
        return 200, {"id": reply["id"]}


_JSON = {"Content-Type": "application/json"}


def build(extra: dict, server: FakeGraph | None = None, **options: Any) -> InstagramAdapter:
    """The adapter for @brandcare against the fake; `extra["fail"]` picks a failure."""
    if server is None:
        server = FakeGraph(fail=extra.get("fail"))
    account = AccountRef(
        id=1,
        platform="instagram",
        handle="@brandcare",
        settings={"api_base": API_BASE, **extra},
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(server))
    return InstagramAdapter(
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
    rich_posts={},
    rich_links=frozenset(
        {
            "https://example.com/review?id=7&lang=en",
            "https://www.instagram.com/p/SPRING1/",
            "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=9001&signature=abc",
            "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=9002&story=1",
            "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=9003&video=1",
        }
    ),
)
"""The hand-made data is already rich: a link in a comment, a photo, a video, a shared
post and a story mention in direct messages (`rich_posts` adds no scenario)."""
