"""The Reddit adapter in the contract suite, over a fake Reddit fed by hand-made data.

`FakeReddit` plays both hosts: the token endpoint (refresh-token grant with HTTP Basic
client credentials) and the OAuth API, answering inbox listings with `before`/`limit`
paging from tests/data/reddit (hand-made). The scenario setting `fail` picks a failure.

What the adapter posts (`/api/comment`, `/api/compose`) is kept: a comment goes to the
front of the brand's own comments (`GET /user/brandcare/comments`, seeded from
own_comments.json), a message to the front of `GET /message/sent` (seeded from
inbox.json's `sent`); both listings page newest first with `after`/`limit`.
`after_create` makes a post answer that HTTP status after it was kept: an ambiguous send.
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
OWN_COMMENTS = DATA.with_name("own_comments.json")
BRAND = "brandcare"
"""The brand's username as the adapter writes it in paths (u/BrandCare, lower-cased)."""
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
        self.own_comments: list[Any] = list(
            json.loads(OWN_COMMENTS.read_text(encoding="utf-8"))["data"]["children"]
        )
        """The brand's comments, newest first: seeded, then what `/api/comment` made."""
        self.sent: list[Any] = list(self.data["sent"]["data"]["children"])
        """The brand's sent messages, newest first: seeded, then what was posted."""
        self.after_create: int | None = None
        """An HTTP status a post answers after it was kept (None: the normal answer)."""
        self.created = 0

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
            return self._newest_first(request, self.sent)
        if parts[:1] == ["user"] and parts[2:] == ["comments"]:
            if parts[1].lower() != BRAND:
                return httpx.Response(404, json={"message": "Not Found", "error": 404})
            return self._newest_first(request, self.own_comments)
        if parts[:1] == ["comments"]:
            context = self.data["contexts"].get(parts[-1])
            return (
                httpx.Response(200, json=context)
                if context
                else httpx.Response(404, json={"message": "Not Found", "error": 404})
            )
        if request.url.path == "/api/comment":
            thing = self._reply(dict(httpx.QueryParams(request.content.decode())))
            return self._posted({"json": {"errors": [], "data": {"things": [thing]}}})
        if request.url.path == "/api/compose":
            form = dict(httpx.QueryParams(request.content.decode()))
            self.sent.insert(
                0, self._message(form["text"], form["to"], form["subject"], None, None)
            )
            return self._posted({"json": {"errors": []}})
        return httpx.Response(404, json={"message": "Not Found", "error": 404})

    def _reply(self, form: Mapping[str, str]) -> dict[str, Any]:
        """Keep the comment, or the message in a conversation, that `/api/comment` makes."""
        parent = form["thing_id"]
        if parent.startswith("t4_"):
            answered, first = self._in_conversation(parent)
            thing = self._message(
                form["text"], answered["author"], f"re: {first['subject']}", parent, first["name"]
            )
            self.sent.insert(0, thing)
            return thing
        self.created += 1
        thing = {
            "kind": "t1",
            "data": {
                "name": f"t1_new{self.created}",
                "id": f"new{self.created}",
                "author": "BrandCare",
                "body": form["text"],
                "parent_id": parent,
                "link_id": "t3_aaa1",
                "created_utc": NOW.timestamp(),
                "permalink": f"/r/brandsub/comments/aaa1/x/new{self.created}/",
            },
        }
        self.own_comments.insert(0, thing)
        return thing

    def _message(
        self, text: str, dest: str, subject: str, parent: str | None, first: str | None
    ) -> dict[str, Any]:
        self.created += 1
        return {
            "kind": "t4",
            "data": {
                "name": f"t4_new{self.created}",
                "id": f"new{self.created}",
                "author": "BrandCare",
                "dest": dest,
                "subject": subject,
                "body": text,
                "parent_id": parent,
                "first_message_name": first,
                "created_utc": NOW.timestamp(),
                "replies": "",
            },
        }

    def _in_conversation(self, name: str) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        """The hand-made message `name` and the first message of its conversation."""
        for root in self.data["messages"]["data"]["children"]:
            replies = root["data"]["replies"]
            for message in [root, *(replies["data"]["children"] if replies else [])]:
                if message["data"]["name"] == name:
                    return message["data"], root["data"]
        raise LookupError(f"the hand-made conversations hold no message {name}")

    def _posted(self, answer: Mapping[str, Any]) -> httpx.Response:
        if self.after_create is not None:
            return httpx.Response(self.after_create, text="<html>upstream failed</html>")
        return httpx.Response(200, json=answer)

    def _newest_first(self, request: httpx.Request, children: list[Any]) -> httpx.Response:
        """A page of `children` (newest first) after the fullname `after`, `limit` long."""
        limit = int(request.url.params.get("limit", 25))
        after = request.url.params.get("after")
        names = [_fullname(child) for child in children]
        start = names.index(after) + 1 if after in names else 0 if after is None else len(names)
        page = children[start : start + limit]
        more = start + limit < len(children)
        return httpx.Response(
            200,
            json={
                "kind": "Listing",
                "data": {
                    "after": _fullname(page[-1]) if page and more else None,
                    "before": None,
                    "dist": len(page),
                    "children": page,
                },
            },
        )

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


def _fullname(child: Any) -> str | None:
    data = child.get("data") if isinstance(child, Mapping) else None
    return data.get("name") if isinstance(data, Mapping) else None


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
