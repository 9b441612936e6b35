"""Reddit's OAuth API on 127.0.0.1, for whole-process send tests: `LoopbackReddit`.

Hand-made, not a real server: Reddit is a hosted service, and its archived open-source
code (reddit-archive/reddit, 2017) cannot be installed or run here
(`../shared/docs/real-servers.md` lists no Reddit). It speaks the paths the Reddit adapter
uses to send a reply and to look one up, in the shapes of the API docs
(https://www.reddit.com/dev/api) and the recordings in ../shared/recordings/reddit:

- `POST /api/v1/access_token`: the refresh-token grant with HTTP Basic client credentials
  (the account's `token_url` points here, so the adapter's first request refreshes);
- `POST /api/comment` (form-encoded, `api_type=json`): Reddit's
  `{"json": {"errors": [...], "data": {"things": [...]}}}` wrapper, form errors as codes;
- `GET /user/{username}/comments` and `GET /message/sent`: listings newest first, paged
  with `after` and `limit` (at most 100); `GET /api/v1/me`.

Comments live in memory behind a lock. `fault` is applied to `POST /api/comment` after the
comment was created, so the reply exists on the server while its answer is lost.
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final, Self
from urllib.parse import parse_qs, urlsplit

from adapters.reddit.mapping import comment_thread_key
from tests.support.loopback import Fault

BRAND: Final = "BrandCare"
CUSTOMER: Final = "Dana_Customer"
SUBREDDIT: Final = "brandsub"
CLIENT_ID: Final = "loopback-reddit-client"
CLIENT_SECRET: Final = "loopback-reddit-secret"
REFRESH_TOKEN: Final = "loopback-reddit-refresh"
ACCESS_TOKEN: Final = "loopback-reddit-access"
TOKEN_PATH: Final = "/api/v1/access_token"
TEXT_LIMIT: Final = 10_000
PAGE_LIMIT: Final = 100
DEFAULT_PAGE: Final = 25
_FIRST_ID: Final = int("o10000", 36)
"""Ids are base-36 like Reddit's (`d1680wu`), counted up from here."""
_RATE_HEADERS: Final = {
    "x-ratelimit-remaining": "99.0",
    "x-ratelimit-used": "1",
    "x-ratelimit-reset": "300",
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while number:
        number, digit = divmod(number, 36)
        text = digits[digit] + text
    return text or "0"


@dataclass(frozen=True, slots=True)
class _Thing:
    """A post (`t3`) or comment (`t1`) the server holds."""

    id: str
    kind: str
    author: str
    body: str
    parent_id: str | None
    link_id: str
    created_utc: float

    @property
    def name(self) -> str:
        """The fullname: kind and id."""
        return f"{self.kind}_{self.id}"

    def shown(self, raw_json: bool) -> dict[str, Any]:
        """The comment as Reddit lists it; without `raw_json=1` the body is entity-escaped."""
        link = self.link_id.removeprefix("t3_")
        permalink = f"/r/{SUBREDDIT}/comments/{link}/brand_update/{self.id}/"
        escaped = html.escape(self.body, quote=False)
        return {
            "kind": self.kind,
            "data": {
                "id": self.id,
                "name": self.name,
                "author": self.author,
                "author_fullname": f"t2_{self.author.lower()}",
                "parent_id": self.parent_id,
                "link_id": self.link_id,
                "link_title": "Brand update",
                "link_permalink": f"https://www.reddit.com/r/{SUBREDDIT}/comments/{link}/",
                "subreddit": SUBREDDIT,
                "subreddit_id": f"t5_{SUBREDDIT}",
                "subreddit_name_prefixed": f"r/{SUBREDDIT}",
                "body": self.body if raw_json else escaped,
                "body_html": f'<div class="md"><p>{escaped}</p>\n</div>',
                "created": self.created_utc,
                "created_utc": self.created_utc,
                "edited": False,
                "score": 1,
                "stickied": False,
                "distinguished": None,
                "replies": "",
                "permalink": permalink,
            },
        }


class LoopbackReddit:
    """The brand u/BrandCare and one customer on a stand-in for Reddit; a `LoopbackPlatform`."""

    platform = "reddit"
    handle = f"u/{BRAND}"
    base_url = None

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self.fault = Fault.NONE
        self.credential: Mapping[str, str] = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN,
        }
        self.comment_posts = 0
        """Every `POST /api/comment` that created a comment, fault or not."""
        self.token_grants = 0
        self._clock = clock
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._things: list[_Thing] = []
        self._ids = itertools.count(_FIRST_ID)
        self._incoming: dict[int, _Thing] = {}
        self._post = self._create("t3", BRAND, "We are looking into today's outage.", None, "")
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        """Where the account's `api_base` and `token_url` point."""

    @property
    def settings(self) -> Mapping[str, Any]:
        """The account settings: the API and the token endpoint here."""
        return {"api_base": self.url, "token_url": f"{self.url}{TOKEN_PATH}"}

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def incoming(self, number: int) -> tuple[str, str]:
        """(fullname, thread key) of customer comment `number`, a reply to the brand's post.

        A post reply is its own top-level comment, so its thread key is the post and itself
        (`mapping.comment_thread_key`), as the adapter computes it without a context request.
        """
        with self._lock:
            comment = self._incoming.get(number)
            if comment is None:
                text = f"Question {number}: my order has not arrived."
                comment = self._create("t1", CUSTOMER, text, self._post.name, self._post.name)
                self._incoming[number] = comment
        return comment.name, comment_thread_key(self._post.name, comment.name)

    def replies_to(self, external_id: str) -> list[str]:
        """The texts of the brand's comments replying to `external_id`, oldest first."""
        with self._lock:
            return [
                thing.body
                for thing in self._things
                if thing.kind == "t1" and thing.author == BRAND and thing.parent_id == external_id
            ]

    # -- the site, called from the handler threads ----------------------------------------

    def _create(
        self, kind: str, author: str, body: str, parent_id: str | None, link_id: str
    ) -> _Thing:
        """Store a thing (the lock is held, or the server is not yet serving)."""
        identifier = _base36(next(self._ids))
        thing = _Thing(
            id=identifier,
            kind=kind,
            author=author,
            body=body,
            parent_id=parent_id,
            link_id=link_id or f"t3_{identifier}",
            created_utc=float(int(self._clock().timestamp())),
        )
        self._things.append(thing)
        return thing

    def _comment(self, form: Mapping[str, str]) -> tuple[dict[str, Any], Fault]:
        """`POST /api/comment`: the answer, and the fault to apply now a comment exists."""
        parent_id = form.get("thing_id") or form.get("parent") or ""
        text = form.get("text", "")
        if not text.strip():
            return _form_errors(["NO_TEXT", "we need something here", "text"]), Fault.NONE
        if len(text) > TEXT_LIMIT:
            error = ["TOO_LONG", f"this is too long (max: {TEXT_LIMIT})", "text"]
            return _form_errors(error), Fault.NONE
        with self._lock:
            parent = next((thing for thing in self._things if thing.name == parent_id), None)
            if parent is None:
                return _form_errors(["NO_THING_ID", "can't find that", "parent"]), Fault.NONE
            comment = self._create("t1", BRAND, text, parent.name, parent.link_id)
            self.comment_posts += 1
            fault = self.fault
        created = comment.shown(raw_json=True)
        return {"json": {"errors": [], "data": {"things": [created]}}}, fault

    def _own_comments(self, username: str, query: Mapping[str, list[str]]) -> dict[str, Any]:
        """`GET /user/{username}/comments`: that user's comments, newest first."""
        with self._lock:
            newest_first = [
                thing
                for thing in reversed(self._things)
                if thing.kind == "t1" and thing.author.lower() == username.lower()
            ]
        return _listing(newest_first, query)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: Any) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in _RATE_HEADERS.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def _form(self) -> dict[str, str]:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8", errors="replace")
                return {name: values[-1] for name, values in parse_qs(raw).items()}

            def _authorized(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {ACCESS_TOKEN}":
                    return True
                self._answer(401, {"message": "Unauthorized", "error": 401})
                return False

            def do_POST(self) -> None:
                path = urlsplit(self.path).path.rstrip("/")
                form = self._form()
                if path == TOKEN_PATH:
                    self._token(form)
                    return
                if not self._authorized():
                    return
                if path != "/api/comment":
                    self._answer(404, {"message": "Not Found", "error": 404})
                    return
                answer, fault = site._comment(form)
                if fault is Fault.ANSWER_500:
                    self._answer(500, {"message": "Internal Server Error", "error": 500})
                elif fault is Fault.HANG:
                    site._released.wait()
                    self._drop()
                elif fault is Fault.DROP:
                    self._drop()
                else:
                    self._answer(200, answer)

            def _token(self, form: Mapping[str, str]) -> None:
                pair = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {pair}":
                    self._answer(401, {"message": "Unauthorized", "error": 401})
                    return
                if form != {"grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN}:
                    self._answer(400, {"error": "invalid_grant"})
                    return
                with site._lock:
                    site.token_grants += 1
                self._answer(
                    200,
                    {
                        "access_token": ACCESS_TOKEN,
                        "token_type": "bearer",
                        "expires_in": 86400,
                        "scope": "*",
                    },
                )

            def _drop(self) -> None:
                """Close the connection without a word, as a crashed proxy would."""
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

            def do_GET(self) -> None:
                address = urlsplit(self.path)
                query = parse_qs(address.query)
                if not self._authorized():
                    return
                parts = address.path.strip("/").split("/")
                if parts == ["api", "v1", "me"]:
                    self._answer(200, {"name": BRAND, "id": BRAND.lower()})
                elif len(parts) == 3 and parts[0] == "user" and parts[2] == "comments":
                    if parts[1].lower() not in (BRAND.lower(), CUSTOMER.lower()):
                        self._answer(404, {"message": "Not Found", "error": 404})
                    else:
                        self._answer(200, site._own_comments(parts[1], query))
                elif parts == ["message", "sent"]:
                    self._answer(200, _listing([], query))
                else:
                    self._answer(404, {"message": "Not Found", "error": 404})

        return Handler


def _form_errors(*errors: list[str]) -> dict[str, Any]:
    """Reddit's `api_type=json` refusal: HTTP 200 with `[code, message, field]` errors."""
    return {"json": {"errors": list(errors)}}


def _listing(newest_first: list[_Thing], query: Mapping[str, list[str]]) -> dict[str, Any]:
    """A page of `newest_first` after the fullname `after`, `limit` long (at most 100)."""
    try:
        limit = min(max(int(query.get("limit", [str(DEFAULT_PAGE)])[0]), 1), PAGE_LIMIT)
    except ValueError:
        limit = DEFAULT_PAGE
    after = query.get("after", [None])[0]
    names = [thing.name for thing in newest_first]
    start = names.index(after) + 1 if after in names else 0 if after is None else len(names)
    page = newest_first[start : start + limit]
    more = start + limit < len(newest_first)
    raw_json = query.get("raw_json", ["0"])[0] == "1"
    return {
        "kind": "Listing",
        "data": {
            "after": page[-1].name if page and more else None,
            "before": None,
            "dist": len(page),
            "modhash": None,
            "geo_filter": "",
            "children": [thing.shown(raw_json) for thing in page],
        },
    }
