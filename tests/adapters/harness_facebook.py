"""The Facebook adapter in the contract suite, over a fake Graph API fed by hand-made data.

`FakeGraph` plays graph.facebook.com for one Page from tests/data/facebook (hand-made,
in the shapes of the real bodies in ../shared/recordings/facebook): the Page's feed,
each post's comments (`filter=stream`, newest first with `order=reverse_chronological`),
the replies under a comment, Messenger conversations with their nested messages, and
`/me`, `/me/accounts`. Lists come in pages of `page_size` with `paging.cursors.after` and
`next`. What the adapter posts joins the data, so `find_sent` and a later fetch see it.
Errors come as Graph sends them: HTTP 400 with an `OAuthException` body, usage headers
beside. The scenario setting `fail` picks a failure; `fixture="rich.json"` serves
comments with a photo, a shared link behind Facebook's link shim and a video, and
Messenger messages with an image and a shared link.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

from adapters.base import AccountRef
from adapters.facebook.adapter import FacebookAdapter
from tests.support.contract import Harness

DATA = Path(__file__).resolve().parent.parent / "data" / "facebook" / "page.json"
API_BASE = "https://graph.facebook.test/v25.0"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RATE_LIMIT_RESET = NOW + timedelta(minutes=15)
PAGE_TOKEN = "fb-page-token"
USER_TOKEN = "fb-user-token"
CREDENTIAL = {"access_token": PAGE_TOKEN, "page_id": "104729015738562"}
EXPIRED = {
    "error": {
        "message": "Error validating access token: Session has expired on Sunday, 01-Mar-26.",
        "type": "OAuthException",
        "code": 190,
        "error_subcode": 463,
        "fbtrace_id": "AbCdEfGh123",
    }
}
THROTTLED = {
    "error": {
        "message": "(#80001) There have been too many calls to this Page account. Wait a bit "
        "and try again.",
        "type": "OAuthException",
        "code": 80001,
        "fbtrace_id": "AbCdEfGh456",
    }
}


def graph_time(moment: datetime) -> str:
    """A time as Graph writes it: `2026-03-01T12:00:00+0000`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def usage_headers(percent: int, regain_minutes: int = 0, page_id: str = "104729015738562") -> dict:
    """`X-App-Usage` and `X-Business-Use-Case-Usage` at `percent`, as Graph sends them."""
    business = {
        page_id: [
            {
                "type": "pages",
                "call_count": percent,
                "total_cputime": percent // 2,
                "total_time": percent // 2,
                "estimated_time_to_regain_access": regain_minutes,
            }
        ]
    }
    app = {"call_count": percent // 2, "total_time": 1, "total_cputime": 1}
    return {"X-App-Usage": json.dumps(app), "X-Business-Use-Case-Usage": json.dumps(business)}


class FakeGraph:
    """A MockTransport handler playing the Graph API for one Page; it keeps every request."""

    def __init__(
        self,
        fail: str | None = None,
        page_size: int = 2,
        data: Mapping[str, Any] | None = None,
        usage_percent: int = 0,
    ) -> None:
        self.data = data if data is not None else json.loads(DATA.read_text(encoding="utf-8"))
        self.page_id = self.data["page"]["id"]
        self.fail = fail
        self.page_size = page_size
        self.usage_percent = usage_percent
        self.now = NOW
        self.requests: list[httpx.Request] = []
        self.private_replies: list[dict[str, Any]] = []
        self._ids = itertools.count(400000000000001)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        path = request.url.path.removeprefix("/v25.0")
        if self.fail == "auth_expired" or token not in (PAGE_TOKEN, USER_TOKEN):
            return httpx.Response(400, json=EXPIRED)
        if self.fail == "rate_limited":
            return httpx.Response(400, json=THROTTLED, headers=usage_headers(100, 15))
        if self.fail == "payload_invalid":
            return httpx.Response(200, content=b'{"data": [', headers=self._headers())
        if path == "/me/accounts":
            if token != USER_TOKEN:
                return _refused("(#100) Tried accessing nonexisting field (accounts) on Page")
            return self._page(request, self.data["user_pages"])
        if token != PAGE_TOKEN:
            return _refused("(#190) This method must be called with a Page Access Token")
        if request.method == "POST":
            return self._post(request, path)
        return self._get(request, path)

    # -- reading -----------------------------------------------------------------------------

    def _get(self, request: httpx.Request, path: str) -> httpx.Response:
        parts = path.strip("/").split("/")
        if parts == ["me"]:
            return self._json({"id": self.page_id, "name": self.data["page"]["name"]})
        if parts == [self.page_id, "feed"]:
            posts = [{key: post[key] for key in ("id", "updated_time")} for post in self._posts()]
            return self._page(request, posts)
        if parts == [self.page_id, "published_posts"]:
            since = int(request.url.params.get("since", "0"))
            posts = [
                {key: post[key] for key in ("id", "message", "created_time")}
                for post in self._posts()
                if _moment(post["created_time"]).timestamp() >= since
            ]
            return self._page(request, posts)
        if parts == [self.page_id, "conversations"]:
            assert request.url.params.get("platform") == "messenger"
            return self._page(request, [self._conversation(c) for c in self._conversations()])
        if len(parts) == 2 and parts[1] == "comments":
            return self._page(request, self._comments_of(parts[0], request))
        if len(parts) == 2 and parts[1] == "messages":
            conversation = self._conversation_by_id(parts[0])
            return self._page(request, _newest_first(conversation["messages"]))
        return _refused(f"(#803) Some of the aliases you requested do not exist: {path}", 404)

    def _posts(self) -> list[dict[str, Any]]:
        return sorted(self.data["posts"], key=lambda post: post["created_time"], reverse=True)

    def _conversations(self) -> list[dict[str, Any]]:
        return sorted(
            self.data["conversations"],
            key=lambda conversation: _updated(conversation),
            reverse=True,
        )

    def _conversation(self, conversation: dict[str, Any]) -> dict[str, Any]:
        """A conversation as the list edge gives it: its newest messages nested and paged."""
        messages = _newest_first(conversation["messages"])
        nested: dict[str, Any] = {"data": messages[: self.page_size]}
        if len(messages) > self.page_size:
            nested["paging"] = {
                "cursors": {"before": "0", "after": str(self.page_size)},
                "next": f"{API_BASE}/{conversation['id']}/messages?after={self.page_size}",
            }
        return {
            "id": conversation["id"],
            "updated_time": _updated(conversation),
            "participants": conversation["participants"],
            "messages": nested,
        }

    def _conversation_by_id(self, conversation_id: str) -> dict[str, Any]:
        return next(c for c in self.data["conversations"] if c["id"] == conversation_id)

    def _comments_of(self, object_id: str, request: httpx.Request) -> list[dict[str, Any]]:
        """A post's comments (`filter=stream`: replies too), or a comment's replies."""
        for post in self.data["posts"]:
            if post["id"] == object_id:
                comments = list(post["comments"])
                if request.url.params.get("filter") != "stream":
                    comments = [comment for comment in comments if "parent" not in comment]
                break
        else:
            comments = [
                comment
                for post in self.data["posts"]
                for comment in post["comments"]
                if comment.get("parent", {}).get("id") == object_id
            ]
        newest_first = request.url.params.get("order") == "reverse_chronological"
        return sorted(comments, key=lambda comment: comment["created_time"], reverse=newest_first)

    def _page(self, request: httpx.Request, entries: list[Any]) -> httpx.Response:
        """One page of `entries` after the `after` cursor, Graph's `paging` beside it."""
        start = int(request.url.params.get("after", "0"))
        size = min(int(request.url.params.get("limit", self.page_size)), self.page_size)
        body: dict[str, Any] = {"data": entries[start : start + size]}
        end = start + size
        if entries:
            body["paging"] = {"cursors": {"before": str(start), "after": str(end)}}
            if end < len(entries):
                query = dict(request.url.params) | {"after": str(end)}
                body["paging"]["next"] = str(request.url.copy_with(params=query))
        return self._json(body)

    # -- writing -----------------------------------------------------------------------------

    def _post(self, request: httpx.Request, path: str) -> httpx.Response:
        parts = path.strip("/").split("/")
        if parts == [self.page_id, "messages"]:
            return self._message(json.loads(request.content))
        form = dict(parse_qsl(request.content.decode()))
        if parts == [self.page_id, "feed"]:
            post_id = f"{self.page_id}_{next(self._ids)}"
            self.data["posts"].append(
                {
                    "id": post_id,
                    "created_time": graph_time(self.now),
                    "updated_time": graph_time(self.now),
                    "message": form["message"],
                    "comments": [],
                }
            )
            return self._json({"id": post_id})
        if len(parts) == 2 and parts[1] == "comments":
            return self._reply(parts[0], form["message"])
        if len(parts) == 1:
            comment = self._comment_by_id(parts[0])
            if comment is None:
                return _refused("(#100) Unsupported post request.")
            comment["is_hidden"] = form["is_hidden"] == "true"
            return self._json({"success": True})
        return _refused(f"(#100) Unsupported post request: {path}")

    def _reply(self, parent_id: str, text: str) -> httpx.Response:
        parent = self._comment_by_id(parent_id)
        post = next(
            post for post in self.data["posts"] if parent is not None and parent in post["comments"]
        )
        reply_id = f"{parent_id.partition('_')[0]}_{next(self._ids)}"
        post["comments"].append(
            {
                "id": reply_id,
                "created_time": graph_time(self.now),
                "from": {"id": self.page_id, "name": self.data["page"]["name"]},
                "parent": {"id": parent_id},
                "message": text,
                "is_hidden": False,
            }
        )
        post["updated_time"] = graph_time(self.now)
        return self._json({"id": reply_id})

    def _message(self, body: dict[str, Any]) -> httpx.Response:
        recipient = body["recipient"]
        message_id = f"m_sent_{next(self._ids)}"
        if "comment_id" in recipient:
            self.private_replies.append(body)
            return self._json({"recipient_id": "6100000000000777", "message_id": message_id})
        conversation = next(
            (
                c
                for c in self.data["conversations"]
                if any(p["id"] == recipient["id"] for p in c["participants"]["data"])
            ),
            None,
        )
        if conversation is None:
            return _refused("(#100) No matching user found", code=100, subcode=2018001)
        conversation["messages"].append(
            {
                "id": message_id,
                "created_time": graph_time(self.now),
                "from": {"id": self.page_id, "name": self.data["page"]["name"]},
                "to": {"data": [{"id": recipient["id"]}]},
                "message": body["message"]["text"],
            }
        )
        return self._json({"recipient_id": recipient["id"], "message_id": message_id})

    def _comment_by_id(self, comment_id: str) -> dict[str, Any] | None:
        for post in self.data["posts"]:
            for comment in post["comments"]:
                if comment["id"] == comment_id:
                    return comment
        return None

    def _json(self, body: Any) -> httpx.Response:
        return httpx.Response(200, json=body, headers=self._headers())

    def _headers(self) -> dict[str, str]:
        return usage_headers(self.usage_percent) if self.usage_percent else {}


def _refused(message: str, status: int = 400, *, code: int = 100, subcode: int | None = None):
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    return httpx.Response(status, json={"error": {**error, "fbtrace_id": "AbCdEfGh789"}})


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _newest_first(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(messages, key=lambda message: message["created_time"], reverse=True)


def _updated(conversation: Mapping[str, Any]) -> str:
    return max(message["created_time"] for message in conversation["messages"])


def account(settings: Mapping[str, Any] | None = None) -> AccountRef:
    """The Page's account as the inbox stores it."""
    return AccountRef(
        id=1,
        platform="facebook",
        handle="brandcare",
        settings={"api_base": API_BASE, "page_id": "104729015738562", **(settings or {})},
    )


def build(extra: Mapping[str, Any], server: FakeGraph | None = None) -> FacebookAdapter:
    """An adapter over a fresh `FakeGraph` (or `server`), with scenario settings `extra`."""
    if server is None:
        fixture = extra.get("fixture")
        data = json.loads(DATA.with_name(fixture).read_text(encoding="utf-8")) if fixture else None
        server = FakeGraph(fail=extra.get("fail"), data=data)
    client = httpx.AsyncClient(transport=httpx.MockTransport(server))
    return FacebookAdapter(account(extra), client, CREDENTIAL, clock=lambda: server.now)


HARNESS = Harness(
    build=build,
    failures={
        "auth_expired": {"fail": "auth_expired"},
        "rate_limited": {"fail": "rate_limited"},
        "payload_invalid": {"fail": "payload_invalid"},
    },
    rate_limit_reset=RATE_LIMIT_RESET,
    rich_posts={"fixture": "rich.json"},
    rich_links=frozenset(
        {
            "https://scontent.xx.fbcdn.net/v/t1.6435-9/setup_n.jpg",
            "https://blog.example.org/desk-2026?ref=fb",
            "https://video.example.net/bug.mp4",
            "https://www.facebook.com/watch/?v=123456789",
            "https://scontent.xx.fbcdn.net/v/t1.15752-9/broken_box_n.jpg",
            "https://status.example.com/incidents/42",
        }
    ),
)
