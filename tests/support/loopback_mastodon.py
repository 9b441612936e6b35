"""A hand-made Mastodon instance on 127.0.0.1 for whole-process send tests (`LoopbackPlatform`).

No real Mastodon can run here (`../shared/docs/real-servers.md`), and `mastodon-mock`
(tests/servers/mastodon_mock.py) cannot be told to fail after it created a status, so this
is written for these tests: a `ThreadingHTTPServer` speaking the paths the Mastodon adapter
uses to send and to look a send up, in the shapes of the API docs (docs.joinmastodon.org)
and the recordings in ../shared/recordings/mastodon:

- `POST /api/v1/statuses` (form or JSON), honouring `Idempotency-Key` as Mastodon does:
  the same key from the same account within an hour answers the status it created first;
- `GET /api/v1/accounts/verify_credentials`, `GET /api/v1/accounts/:id/statuses` (newest
  first; `max_id`, `min_id`, `since_id`, `limit` up to 40; `Link` headers);
- `GET /api/v1/statuses/:id` and `/context`, `GET /api/v2/instance` (the text limit).

Statuses live in memory behind a lock. `fault` is applied to `POST /api/v1/statuses` after
the status was created, so the answer is lost even when a repeated key would find it.
"""

from __future__ import annotations

import html
import json
import re
import socket
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final, Self
from urllib.parse import parse_qs, urlsplit

from adapters.mastodon.mapping import id_order, status_thread_key
from tests.support.loopback import Fault

TOKEN: Final = "loopback-mastodon-token"
BRAND_ID: Final = "100"
CUSTOMER_ID: Final = "200"
IDEMPOTENCY_WINDOW: Final = timedelta(hours=1)
"""How long Mastodon keeps an `Idempotency-Key` (docs: methods/statuses, #create)."""
TEXT_LIMIT: Final = 500
PAGE_LIMIT: Final = 40
FIRST_STATUS_ID: Final = 110_000_000_000_000_000
"""Ids are 18 digits like a real instance's, so they sort by length, then lexically."""
VISIBILITIES: Final = frozenset({"public", "unlisted", "private", "direct"})

_LINK_OR_MENTION = re.compile(r"(?P<link>https?://[^\s<]+)|(?<![\w/])@(?P<name>\w+)")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LoopbackMastodon:
    """One Mastodon instance with the brand `@brand` and one customer; a context manager."""

    platform = "mastodon"
    handle = "@brand"

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self.settings: Mapping[str, Any] = {}
        self.credential: Mapping[str, str] = {"access_token": TOKEN}
        self.fault = Fault.NONE
        self.post_requests = 0
        """How many `POST /api/v1/statuses` arrived, repeats of a key included."""
        self._clock = clock
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._statuses: dict[str, dict[str, Any]] = {}
        self._texts: dict[str, str] = {}
        self._incoming: dict[int, str] = {}
        self._keys: dict[str, tuple[str, datetime]] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        host, port = self._server.server_address[:2]
        self.base_url: str | None = f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def incoming(self, number: int) -> tuple[str, str]:
        """(status id, thread key) of customer status `number`, a public mention of the brand."""
        with self._lock:
            status_id = self._incoming.get(number)
            if status_id is None:
                text = f"@brand question {number}: my order has not arrived."
                status_id = self._create(CUSTOMER_ID, text, None, "public")
                self._incoming[number] = status_id
        return status_id, status_thread_key(status_id)

    def replies_to(self, external_id: str) -> list[str]:
        """The texts the brand posted in reply to `external_id`, oldest first."""
        with self._lock:
            return [
                self._texts[status_id]
                for status_id, status in sorted(self._statuses.items(), key=_by_id)
                if status["account"]["id"] == BRAND_ID and status["in_reply_to_id"] == external_id
            ]

    # -- the instance, called from the handler threads ------------------------------------

    def _account(self, account_id: str) -> dict[str, Any]:
        username = "brand" if account_id == BRAND_ID else "customer"
        return {
            "id": account_id,
            "username": username,
            "acct": username,
            "display_name": "Brand Support" if account_id == BRAND_ID else "A Customer",
            "locked": False,
            "bot": False,
            "created_at": "2026-01-01T00:00:00.000Z",
            "note": "",
            "url": f"{self.base_url}/@{username}",
            "uri": f"{self.base_url}/users/{username}",
            "statuses_count": 0,
        }

    def _create(self, account_id: str, text: str, parent_id: str | None, visibility: str) -> str:
        """Store a status (the lock is held) and return its id."""
        status_id = str(FIRST_STATUS_ID + len(self._statuses))
        account = self._account(account_id)
        parent = self._statuses.get(parent_id) if parent_id else None
        self._statuses[status_id] = {
            "id": status_id,
            "created_at": _iso(self._clock()),
            "in_reply_to_id": parent_id,
            "in_reply_to_account_id": parent["account"]["id"] if parent else None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": visibility,
            "language": "en",
            "uri": f"{account['uri']}/statuses/{status_id}",
            "url": f"{account['url']}/{status_id}",
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "edited_at": None,
            "content": self._render(text),
            "reblog": None,
            "account": account,
            "media_attachments": [],
            "mentions": [],
        }
        self._texts[status_id] = text
        return status_id

    def _render(self, text: str) -> str:
        """Status HTML as Mastodon makes it: paragraphs, breaks, mention and link markup."""

        def markup(match: re.Match[str]) -> str:
            name, url = match.group("name"), match.group("link")
            if name is not None:
                return (
                    f'<span class="h-card" translate="no"><a href="{self.base_url}/@{name}" '
                    f'class="u-url mention">@<span>{name}</span></a></span>'
                )
            scheme, _, rest = url.partition("://")
            return (
                f'<a href="{url}" target="_blank" rel="nofollow noopener" translate="no">'
                f'<span class="invisible">{scheme}://</span><span class="">{rest}</span>'
                '<span class="invisible"></span></a>'
            )

        paragraphs = []
        for paragraph in re.split(r"\n\s*\n", text.strip()):
            escaped = html.escape(paragraph, quote=False)
            marked = _LINK_OR_MENTION.sub(markup, escaped)
            paragraphs.append("<p>" + marked.replace("\n", "<br />") + "</p>")
        return "".join(paragraphs)

    def _post(self, form: Mapping[str, str], key: str | None) -> tuple[int, dict[str, Any]]:
        """Create a status from `form` (or find the one `key` made); the answer to send."""
        text = form.get("status", "")
        visibility = form.get("visibility") or "public"
        parent_id = form.get("in_reply_to_id") or None
        with self._lock:
            self.post_requests += 1
            now = self._clock()
            if key and key in self._keys and now - self._keys[key][1] < IDEMPOTENCY_WINDOW:
                return 200, self._statuses[self._keys[key][0]]
            if not text.strip():
                return 422, {"error": "Validation failed: Text can't be blank"}
            if visibility not in VISIBILITIES:
                return 422, {"error": "Validation failed: Visibility is not included in the list"}
            if parent_id is not None and parent_id not in self._statuses:
                return 404, {"error": "Record not found"}
            status_id = self._create(BRAND_ID, text, parent_id, visibility)
            if key:
                self._keys[key] = (status_id, now)
            return 200, self._statuses[status_id]

    def _account_statuses(
        self, account_id: str, query: Mapping[str, list[str]]
    ) -> tuple[list[dict[str, Any]], int]:
        """The account's statuses, newest first, within `max_id`/`min_id`/`since_id`."""
        try:
            limit = min(max(int(query.get("limit", ["20"])[0]), 1), PAGE_LIMIT)
        except ValueError:
            limit = 20
        max_id = query.get("max_id", [None])[0]
        since_id = query.get("since_id", [None])[0]
        min_id = query.get("min_id", [None])[0]
        with self._lock:
            newest_first = [
                status
                for _, status in sorted(self._statuses.items(), key=_by_id, reverse=True)
                if status["account"]["id"] == account_id
                and (max_id is None or id_order(status["id"]) < id_order(max_id))
                and (since_id is None or id_order(status["id"]) > id_order(since_id))
                and (min_id is None or id_order(status["id"]) > id_order(min_id))
            ]
        page = newest_first[-limit:] if min_id is not None else newest_first[:limit]
        return page, limit

    def _context(self, status_id: str) -> dict[str, Any] | None:
        with self._lock:
            status = self._statuses.get(status_id)
            if status is None:
                return None
            ancestors = []
            parent_id = status["in_reply_to_id"]
            while parent_id is not None and parent_id in self._statuses:
                ancestors.insert(0, self._statuses[parent_id])
                parent_id = self._statuses[parent_id]["in_reply_to_id"]
            descendants = [
                other
                for _, other in sorted(self._statuses.items(), key=_by_id)
                if self._descends_from(other, status_id)
            ]
        return {"ancestors": ancestors, "descendants": descendants}

    def _descends_from(self, status: dict[str, Any], ancestor_id: str) -> bool:
        parent_id = status["in_reply_to_id"]
        while parent_id is not None:
            if parent_id == ancestor_id:
                return True
            parent_id = self._statuses.get(parent_id, {}).get("in_reply_to_id")
        return False

    def _instance(self) -> dict[str, Any]:
        host = urlsplit(self.base_url or "").netloc
        return {
            "domain": host,
            "title": "Loopback Mastodon (hand-made, for tests)",
            "version": "4.5.0",
            "configuration": {
                "statuses": {
                    "max_characters": TEXT_LIMIT,
                    "max_media_attachments": 4,
                    "characters_reserved_per_url": 23,
                }
            },
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        instance = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(
                self, status: int, body: Any, headers: Mapping[str, str] | None = None
            ) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def _authorized(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {TOKEN}":
                    return True
                self._answer(401, {"error": "The access token is invalid"})
                return False

            def _form(self) -> dict[str, str]:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8", errors="replace")
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    body = json.loads(raw or "{}")
                    return {name: str(value) for name, value in body.items() if value is not None}
                return {name: values[-1] for name, values in parse_qs(raw).items()}

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                form = self._form()
                if not self._authorized():
                    return
                if path != "/api/v1/statuses":
                    self._answer(404, {"error": "Not Found"})
                    return
                status, body = instance._post(form, self.headers.get("Idempotency-Key"))
                fault = instance.fault
                if status != 200 or fault == Fault.NONE:
                    self._answer(status, body)
                elif fault == Fault.ANSWER_500:
                    self._answer(503, {"error": "Service Unavailable"})
                elif fault == Fault.HANG:
                    instance._released.wait()
                    self._drop()
                else:
                    self._drop()

            def _drop(self) -> None:
                """Close the connection without a word, as a crashed proxy would."""
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                path, query = parts.path, parse_qs(parts.query)
                if not self._authorized():
                    return
                segments = path.strip("/").split("/")
                if path == "/api/v1/accounts/verify_credentials":
                    self._answer(200, instance._account(BRAND_ID))
                elif path == "/api/v2/instance":
                    self._answer(200, instance._instance())
                elif segments[:3] == ["api", "v1", "accounts"] and segments[4:] == ["statuses"]:
                    if segments[3] not in (BRAND_ID, CUSTOMER_ID):
                        self._answer(404, {"error": "Record not found"})
                        return
                    page, limit = instance._account_statuses(segments[3], query)
                    self._answer(200, page, self._links(path, page, limit))
                elif segments[:3] == ["api", "v1", "statuses"] and len(segments) in (4, 5):
                    self._status(segments[3], segments[4:])
                else:
                    self._answer(404, {"error": "Not Found"})

            def _status(self, status_id: str, rest: list[str]) -> None:
                if rest == ["context"]:
                    context = instance._context(status_id)
                    if context is None:
                        self._answer(404, {"error": "Record not found"})
                    else:
                        self._answer(200, context)
                    return
                with instance._lock:
                    status = instance._statuses.get(status_id) if not rest else None
                if status is None:
                    self._answer(404, {"error": "Record not found"})
                else:
                    self._answer(200, status)

            def _links(self, path: str, page: list[dict[str, Any]], limit: int) -> dict[str, str]:
                if not page:
                    return {}
                base = f"{instance.base_url}{path}?limit={limit}"
                return {
                    "Link": f'<{base}&max_id={page[-1]["id"]}>; rel="next", '
                    f'<{base}&min_id={page[0]["id"]}>; rel="prev"'
                }

        return Handler


def _by_id(entry: tuple[str, Any]) -> tuple[int, str]:
    return id_order(entry[0])


def _iso(moment: datetime) -> str:
    """A time as Mastodon writes it: UTC, milliseconds, `Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
