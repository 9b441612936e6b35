"""The Reddit adapter in the contract suite, over a fake Reddit fed by hand-made data.

`FakeReddit` plays both hosts: the token endpoint (refresh-token grant with HTTP Basic
client credentials) and the OAuth API, answering inbox listings with `before`/`limit`
paging from tests/data/reddit (hand-made). The scenario setting `fail` picks a failure.

What the adapter posts (`/api/comment`, `/api/compose`) is kept: a comment goes to the
front of the brand's own comments (`GET /user/brandcare/comments`, seeded from
own_comments.json), a message to the front of `GET /message/sent` (seeded from
inbox.json's `sent`); both listings page newest first with `after`/`limit`.
`after_create` makes a post answer that HTTP status after it was kept: an ambiguous send.

Context requests (`GET /comments/{link}/_/{comment}?context=N`) for a comment of `chain`
(seeded from deep_chain.json: one conversation 12 comments deep) are answered as Reddit
does: the link, then at most eight parents nested down to the comment, its replies under
it. `context_status` makes the context of a comment answer an HTTP error instead. Other
comments' contexts come from inbox.json's `contexts`. The scenario `{"posts": "rich"}`
serves rich_posts.json's mentions (posts with an image, a gallery, a link) and messages.
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
DEEP_CHAIN = DATA.with_name("deep_chain.json")
RICH_POSTS = DATA.with_name("rich_posts.json")
RICH = {"posts": "rich"}
"""The scenario whose mentions and messages are rich_posts.json's."""
CONTEXT_LIMIT = 8
"""Most parents Reddit shows in one context answer, whatever `context` asks."""
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
        chain = json.loads(DEEP_CHAIN.read_text(encoding="utf-8"))
        self.posts: dict[str, Any] = {chain["post"]["name"]: chain["post"]}
        self.chain: dict[str, dict[str, Any]] = {
            comment["name"]: comment for comment in chain["comments"]
        }
        """Comments by fullname whose context answers are built as Reddit builds them."""
        self.context_status: dict[str, int] = {}
        """An HTTP status the context of a comment (by fullname) answers instead."""

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
            name = f"t1_{parts[-1]}"
            if name in self.context_status:
                return _error(self.context_status[name])
            if name in self.chain:
                return self._context(name, int(request.url.params.get("context", 0)))
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

    def _context(self, name: str, parents: int) -> httpx.Response:
        """The link, then the chain from at most `parents` (up to 8) above `name` down to it."""
        path = [self.chain[name]]
        while len(path) <= min(parents, CONTEXT_LIMIT) and path[0]["parent_id"] in self.chain:
            path.insert(0, self.chain[path[0]["parent_id"]])
        node = {**path[-1], "replies": self._replies_under(name)}
        for comment in reversed(path[:-1]):
            node = {**comment, "replies": _page([{"kind": "t1", "data": node}])}
        post = self.posts[path[0]["link_id"]]
        return httpx.Response(
            200, json=[_page([{"kind": "t3", "data": post}]), _page([{"kind": "t1", "data": node}])]
        )

    def _replies_under(self, name: str) -> Any:
        """The `replies` of a comment: a listing of the comments under it, or "" for none."""
        children = [
            {"kind": "t1", "data": {**comment, "replies": self._replies_under(comment["name"])}}
            for comment in self.chain.values()
            if comment["parent_id"] == name
        ]
        return _page(children) if children else ""

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


def _page(children: list[Any]) -> dict[str, Any]:
    return {
        "kind": "Listing",
        "data": {"after": None, "before": None, "dist": len(children), "children": children},
    }


def _error(status: int) -> httpx.Response:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 429 else {}
    return httpx.Response(status, headers=headers, json={"message": "error", "error": status})


def deep_chain(length: int) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """A chain of `length` comments like deep_chain.json's, and the inbox entry of its last.

    Comment `n` (1-based) is `t1_x{n}`; the first is the top-level comment of the chain's post.
    """
    template = json.loads(DEEP_CHAIN.read_text(encoding="utf-8"))
    comment, entry = template["comments"][1], template["comment_replies"]["data"]["children"][0]
    chain = {}
    for number in range(1, length + 1):
        parent = f"t1_x{number - 1}" if number > 1 else comment["link_id"]
        chain[f"t1_x{number}"] = {
            **comment,
            "id": f"x{number}",
            "name": f"t1_x{number}",
            "parent_id": parent,
            "depth": number - 1,
            "body": f"Reply number {number}",
        }
    last = chain[f"t1_x{length}"]
    inbox_entry = {
        "kind": "t1",
        "data": {
            **entry["data"],
            "id": last["id"],
            "name": last["name"],
            "parent_id": last["parent_id"],
            "body": last["body"],
            "context": entry["data"]["context"].replace(
                f"/{entry['data']['id']}/", f"/{last['id']}/"
            ),
        },
    }
    return chain, inbox_entry


def rich_data() -> dict[str, Any]:
    """inbox.json with rich_posts.json's mentions and messages in place of its own."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    rich = json.loads(RICH_POSTS.read_text(encoding="utf-8"))
    return {**data, "mentions": rich["mentions"], "messages": rich["messages"]}


def _fullname(child: Any) -> str | None:
    data = child.get("data") if isinstance(child, Mapping) else None
    return data.get("name") if isinstance(data, Mapping) else None


def build(extra: dict, server: FakeReddit | None = None, **options: Any) -> RedditAdapter:
    """The adapter for u/BrandCare against the fake; `extra["fail"]` picks a failure."""
    data = rich_data() if extra.get("posts") == RICH["posts"] else None
    server = server or FakeReddit(fail=extra.get("fail"), data=data)
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
    rich_posts=RICH,
    rich_links=frozenset(
        {
            "https://i.redd.it/z5mux8w0bgx21.png",
            "https://shop.example.com/orders/8841?view=items&region=eu",
            "https://i.redd.it/vkm62gm6i3c51.gif",
            "https://reviews.example.org/2026/02/brandcare-charger-review"
            "?utm_source=reddit&ref=r_brandsub",
            "https://status.example.com/incidents/42?from=reddit",
            "https://help.example.com/articles/4411-reset-your-charger-safely",
            "https://help.example.com/search?q=charger&region=eu",
            "https://shop.example.com/orders/8841?view=items&lang=en",
        }
    ),
)
