"""A reverse proxy on 127.0.0.1 that names the person, as nginx does for `inbox serve`.

Every HTTP request head passing through gets `header: value` set (any copy the client
sent is dropped), the websocket upgrade included; after a `101 Switching Protocols` the
connection is relayed byte for byte. It stands in for nginx's `proxy_set_header
X-Forwarded-User $remote_user` because a browser cannot be made to add a header to its
websocket handshake (Chromium's DevTools extra headers stopped reaching it), and the
point of these tests is the header a proxy adds. Hand-made: requests with bodies are
relayed by their Content-Length; chunked request bodies are not supported.
"""

from __future__ import annotations

import socket
import threading
from typing import Self

from tests.support.tcp_relay import pump

_CHUNK = 65536
_END_OF_HEAD = b"\r\n\r\n"


class HeaderProxy:
    """Relays connections to 127.0.0.1:`upstream_port`, setting `header` on every request."""

    def __init__(self, upstream_port: int, header: str, value: str) -> None:
        self.upstream_port = upstream_port
        self.header = header.encode("ascii")
        self.value = value.encode("utf-8")
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def port(self) -> int:
        return self._listener.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            client.close()
            return
        threading.Thread(target=pump, args=(upstream, client, None), daemon=True).start()
        buffer = b""
        try:
            while True:
                while _END_OF_HEAD not in buffer:
                    chunk = client.recv(_CHUNK)
                    if not chunk:
                        raise OSError("the browser closed the connection")
                    buffer += chunk
                head, _, buffer = buffer.partition(_END_OF_HEAD)
                lines = [
                    line
                    for line in head.split(b"\r\n")
                    if not line.lower().startswith(self.header.lower() + b":")
                ]
                lines.insert(1, self.header + b": " + self.value)
                upstream.sendall(b"\r\n".join(lines) + _END_OF_HEAD)
                if any(line.lower() == b"upgrade: websocket" for line in lines):
                    upstream.sendall(buffer)
                    pump(client, upstream, None)
                    return
                length = _content_length(lines)
                while len(buffer) < length:
                    chunk = client.recv(_CHUNK)
                    if not chunk:
                        raise OSError("the browser closed the connection")
                    buffer += chunk
                upstream.sendall(buffer[:length])
                buffer = buffer[length:]
        except OSError:
            for end in (client, upstream):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _content_length(lines: list[bytes]) -> int:
    for line in lines:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0
