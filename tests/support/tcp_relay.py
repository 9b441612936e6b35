"""A TCP relay on 127.0.0.1 whose open connections a test can cut, as a network would.

Put between a push channel and its real server (a Mastodon streaming answer, an IMAP
connection idling on Dovecot), `cut()` closes every connection open through it at once:
both ends see the link drop mid-way, as after a router restart. New connections are
relayed as before, so the client can reconnect. A relay made with `refuse` hangs up on
a connection as soon as the client sends those bytes on it, kept-alive ones included (a
Mastodon instance whose streaming API is unreachable: `b"GET /api/v1/streaming"`).
"""

from __future__ import annotations

import socket
import threading
from typing import Self

_CHUNK = 65536


class TcpRelay:
    """Relays every connection to 127.0.0.1:`port` upstream; `cut()` drops the open ones."""

    def __init__(self, upstream_port: int, *, refuse: bytes | None = None) -> None:
        self.upstream_port = upstream_port
        self.refuse = refuse
        self.connections = 0
        """How many connections were relayed so far."""
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def port(self) -> int:
        return self._listener.getsockname()[1]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._listener.close()
        self.cut()

    def cut(self) -> None:
        """Close every relayed connection now, both sides."""
        with self._lock:
            dropped, self._open = self._open, []
        for end in dropped:
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            client.close()
            return
        with self._lock:
            self.connections += 1
            self._open += [client, upstream]
        for source, target, refuse in ((client, upstream, self.refuse), (upstream, client, None)):
            threading.Thread(target=pump, args=(source, target, refuse), daemon=True).start()


def pump(source: socket.socket, target: socket.socket, refuse: bytes | None) -> None:
    """Copy bytes one way until either side closes (or `refuse` passes); then close both."""
    try:
        while chunk := source.recv(_CHUNK):
            if refuse is not None and refuse in chunk:
                break
            target.sendall(chunk)
    except OSError:
        pass
    for end in (source, target):
        try:
            end.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
