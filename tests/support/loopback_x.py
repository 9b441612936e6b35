"""X's API v2 on 127.0.0.1, for whole-process send tests: `LoopbackX`.

Hand-made, not a real server: no X server can run here (`../shared/docs/real-servers.md`).
It speaks the paths and payloads the X adapter uses to send a reply and to look one up
(`POST /2/tweets`, `GET /2/users/:id/tweets`, `GET /2/users/me`), as the X API v2
reference and the recordings in ../shared/recordings/x show them, keeps every post in
memory, and can fail after it created a post (`Fault`). The credential it hands out
never expires, so the adapter never asks for the token endpoint, which is not served.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from adapters.x.mapping import post_thread_key
from tests.support.loopback import Fault

BRAND_ID = "9000"
CUSTOMER_ID = "101"
_FIRST_CUSTOMER_POST = 1800000000000000000
_FIRST_BRAND_POST = 1900000000000000000
_DEFAULT_FIELDS = ("id", "text", "edit_history_tweet_ids")
"""What X sends of a post when `tweet.fields` asks for nothing more."""


def _problem(status: int, title: str, detail: str) -> dict[str, Any]:
    """X's problem-details error body."""
    return {"title": title, "detail": detail, "type": "about:blank", "status": status}


def _x_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class _Post:
    """One post the server holds."""

    id: str
    text: str
    author_id: str
    created_at: datetime
    conversation_id: str
    replied_to: str | None = None
    replied_to_author: str | None = None

    def shown(self, fields: set[str]) -> dict[str, Any]:
        """The post as X answers it, with the default fields and those `tweet.fields` asked."""
        full: dict[str, Any] = {
            "id": self.id,
            "text": self.text,
            "edit_history_tweet_ids": [self.id],
            "author_id": self.author_id,
            "created_at": _x_time(self.created_at),
            "conversation_id": self.conversation_id,
        }
        if self.replied_to is not None:
            full["in_reply_to_user_id"] = self.replied_to_author
            full["referenced_tweets"] = [{"type": "replied_to", "id": self.replied_to}]
        return {key: value for key, value in full.items() if key in {*_DEFAULT_FIELDS, *fields}}


class LoopbackX:
    """The brand @BrandCare on a stand-in for api.x.com; a `LoopbackPlatform`."""

    platform = "x"
    handle = "@BrandCare"
    base_url = None

    def __init__(self) -> None:
        self.fault = Fault.NONE
        self.credential: Mapping[str, str] = {
            "client_id": "loopback-client",
            "access_token": "loopback-access",
            "refresh_token": "loopback-refresh",
            "expires_at": "2999-01-01T00:00:00+00:00",
        }
        self.create_calls = 0
        """Every `POST /2/tweets` that created a post, fault or not."""
        self.faults_applied = 0
        self._posts: list[_Post] = []
        self._brand_ids = itertools.count(_FIRST_BRAND_POST)
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Where the adapter's `api_base` points."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def settings(self) -> Mapping[str, Any]:
        """The account settings: the API here, and the brand's user id."""
        return {"api_base": self.url, "user_id": BRAND_ID}

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def incoming(self, number: int) -> tuple[str, str]:
        """(post id, thread key) of customer post `number`: a conversation of its own."""
        identifier = str(_FIRST_CUSTOMER_POST + number)
        with self._lock:
            if not any(post.id == identifier for post in self._posts):
                self._posts.append(
                    _Post(
                        id=identifier,
                        text=f"@BrandCare question {number}",
                        author_id=CUSTOMER_ID,
                        created_at=datetime.now(UTC),
                        conversation_id=identifier,
                    )
                )
        return identifier, post_thread_key(identifier)

    def replies_to(self, external_id: str) -> list[str]:
        """The texts of the brand's posts replying to `external_id`, oldest first."""
        return [post.text for post in self._brand_replies_to(external_id)]

    def reply_ids_to(self, external_id: str) -> list[str]:
        """The ids of the brand's posts replying to `external_id`, oldest first."""
        return [post.id for post in self._brand_replies_to(external_id)]

    def _brand_replies_to(self, external_id: str) -> list[_Post]:
        with self._lock:
            return [
                post
                for post in self._posts
                if post.author_id == BRAND_ID and post.replied_to == external_id
            ]

    def _create(self, body: Any) -> tuple[int, dict[str, Any], Fault]:
        """Create the post `body` asks for: (status, answer, the fault to apply now)."""
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text:
            return (
                400,
                _problem(400, "Invalid Request", "The `text` field is required."),
                Fault.NONE,
            )
        reply = body.get("reply") or {}
        parent_id = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
        with self._lock:
            parent = next((post for post in self._posts if post.id == parent_id), None)
            if parent_id is not None and parent is None:
                return (
                    403,
                    _problem(
                        403,
                        "Forbidden",
                        "You attempted to reply to a Tweet that is deleted or not visible to you.",
                    ),
                    Fault.NONE,
                )
            identifier = str(next(self._brand_ids))
            post = _Post(
                id=identifier,
                text=text,
                author_id=BRAND_ID,
                created_at=datetime.now(UTC),
                conversation_id=parent.conversation_id if parent else identifier,
                replied_to=parent.id if parent else None,
                replied_to_author=parent.author_id if parent else None,
            )
            self._posts.append(post)
            self.create_calls += 1
            fault = self.fault
            if fault is not Fault.NONE:
                self.faults_applied += 1
        return 201, {"data": {"id": post.id, "text": post.text}}, fault

    def _timeline(self, user_id: str, query: Mapping[str, list[str]]) -> tuple[int, Any]:
        """`GET /2/users/:id/tweets`: the user's posts newest first, paged by offset tokens."""
        if user_id != BRAND_ID:
            return 404, _problem(
                404, "Not Found Error", f"Could not find user with id: [{user_id}]."
            )
        try:
            start = query.get("start_time", [None])[0]
            since = datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None
            size = int(query.get("max_results", ["10"])[0])
            offset = int(query.get("pagination_token", ["0"])[0] or 0)
        except ValueError:
            return 400, _problem(400, "Invalid Request", "One or more parameters are invalid.")
        if not 5 <= size <= 100:
            return 400, _problem(400, "Invalid Request", "`max_results` must be in 5..100.")
        fields = set(",".join(query.get("tweet.fields", [])).split(","))
        with self._lock:
            posts = [
                post
                for post in reversed(self._posts)
                if post.author_id == user_id and (since is None or post.created_at >= since)
            ]
        page = posts[offset : offset + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        body: dict[str, Any] = {"meta": meta}
        if page:
            body["data"] = [post.shown(fields) for post in page]
            meta["newest_id"], meta["oldest_id"] = page[0].id, page[-1].id
        if offset + size < len(posts):
            meta["next_token"] = str(offset + size)
        return 200, body

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: Any) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _authorized(self) -> bool:
                expected = f"Bearer {server.credential['access_token']}"
                if self.headers.get("Authorization") == expected:
                    return True
                self._answer(401, _problem(401, "Unauthorized", "Unauthorized"))
                return False

            def do_GET(self) -> None:
                if not self._authorized():
                    return
                address = urlsplit(self.path)
                parts = address.path.strip("/").split("/")
                if parts == ["2", "users", "me"]:
                    self._answer(
                        200, {"data": {"id": BRAND_ID, "username": "BrandCare", "name": "Brand"}}
                    )
                elif len(parts) == 4 and parts[:2] == ["2", "users"] and parts[3] == "tweets":
                    self._answer(*server._timeline(parts[2], parse_qs(address.query)))
                else:
                    self._not_found()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if not self._authorized():
                    return
                if urlsplit(self.path).path != "/2/tweets":
                    self._not_found()
                    return
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    self._answer(400, _problem(400, "Invalid Request", "Body is not JSON."))
                    return
                status, answer, fault = server._create(body)
                if fault is Fault.ANSWER_500:
                    self._answer(503, _problem(503, "Service Unavailable", "Service Unavailable"))
                elif fault is Fault.HANG:
                    server._released.wait()
                    self.close_connection = True
                elif fault is Fault.DROP:
                    self.close_connection = True
                else:
                    self._answer(status, answer)

            def _not_found(self) -> None:
                self._answer(
                    404,
                    {
                        "title": "Not Found Error",
                        "type": "https://api.x.com/2/problems/resource-not-found",
                        "detail": f"no route for {self.command} {urlsplit(self.path).path}",
                    },
                )

        return Handler
