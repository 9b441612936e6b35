"""A reverse proxy on 127.0.0.1 that passes calls to a real server and can fail after it.

Put between an adapter and a real server (the Bluesky PDS), it forwards every request
and, for the calls that create a post, lets the server create it and then answers 500,
never answers, or drops the connection (`Fault`): the ambiguous sends the outbox must
settle without posting twice. Links to the server in its answers (a DID document's
service endpoint) are rewritten to the proxy, so later calls come back through it.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import httpx

from tests.support.loopback import Fault

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class FaultProxy:
    """Forwards to `upstream`; `fault` applies to POSTs whose path is in `create_paths`."""

    def __init__(self, upstream: str, create_paths: Collection[str], aliases: Collection[str] = ()):
        self.upstream = upstream.rstrip("/")
        self.create_paths = frozenset(create_paths)
        self.aliases = tuple({self.upstream, *(alias.rstrip("/") for alias in aliases)})
        self.fault = Fault.NONE
        self.faults_applied = 0
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=60)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Where clients should connect instead of the upstream."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def _forward(self, method: str, path: str, headers: Any, body: bytes) -> httpx.Response:
        kept = {key: value for key, value in headers.items() if key.lower() not in _HOP_BY_HOP}
        return self._client.request(method, f"{self.upstream}{path}", headers=kept, content=body)

    def _rewritten(self, content: bytes) -> bytes:
        for alias in self.aliases:
            content = content.replace(alias.encode(), self.url.encode())
        return content

    def _fault_for(self, method: str, path: str) -> Fault:
        if method != "POST" or path.split("?", 1)[0] not in self.create_paths:
            return Fault.NONE
        with self._lock:
            if self.fault is not Fault.NONE:
                self.faults_applied += 1
            return self.fault

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = proxy._fault_for(self.command, self.path)
                answer = proxy._forward(self.command, self.path, self.headers, body)
                if fault is Fault.DROP:
                    self.close_connection = True
                    return
                if fault is Fault.HANG:
                    proxy._released.wait()
                    self.close_connection = True
                    return
                status = 500 if fault is Fault.ANSWER_500 else answer.status_code
                content = (
                    b'{"error":"InternalServerError","message":"Internal Server Error"}'
                    if fault is Fault.ANSWER_500
                    else proxy._rewritten(answer.content)
                )
                self.send_response(status)
                for key, value in answer.headers.items():
                    if key.lower() not in _HOP_BY_HOP and key.lower() != "content-encoding":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = _relay

        return Handler
