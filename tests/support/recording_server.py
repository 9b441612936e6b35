"""A small HTTP server on 127.0.0.1 that records posted messages, for outbox process tests.

It honours an `Idempotency-Key` header the way Mastodon does (the same key answers with
the same post) and lets a client look a key up, so `find_sent` has something to ask. It
counts every POST per key, so a test can tell "posted once" from "posted twice, deduplicated".
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlparse


class RecordingServer:
    """Records posts by idempotency key; use as a context manager."""

    def __init__(self) -> None:
        self.posts: dict[str, dict[str, Any]] = {}
        self.post_requests: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def post_count(self) -> int:
        """How many distinct messages were posted."""
        with self._lock:
            return len(self.posts)

    def _record(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.post_requests[key] += 1
            post = self.posts.get(key)
            if post is None:
                post = self.posts[key] = {"id": f"post-{len(self.posts) + 1}", **body}
            return post

    def _find(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self.posts.get(key)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                key = self.headers.get("Idempotency-Key")
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if not key or not body.get("text"):
                    self._answer(422, {"error": "Validation failed: text can't be blank"})
                    return
                self._answer(200, server._record(key, body))

            def do_GET(self) -> None:
                query = parse_qs(urlparse(self.path).query)
                post = server._find(query.get("idempotency_key", [""])[0])
                if post is None:
                    self._answer(404, {"error": "Record not found"})
                else:
                    self._answer(200, post)

        return Handler
