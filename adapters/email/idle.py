"""Waiting on a mailbox with IMAP IDLE (RFC 2177): the blocking half, run in a worker thread.

The standard library's imaplib speaks no IDLE before Python 3.14, so `MailboxWatch` speaks
it over the connection's own `send` and `readline`: `IDLE`, then the server's untagged
responses (`* 12 EXISTS` when a message arrived) until the client sends `DONE`, then the
command's tagged answer. The one thread that reads also writes (`DONE`, when asked to stop
or when the round is due for renewal): a TLS connection must never be read and written
from two threads at once. It waits for a line in short ticks, so a stop is seen at once.
"""

from __future__ import annotations

import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any, Final, Protocol

from adapters.base import PlatformUnavailable

RENEW_AFTER_S: Final = 10 * 60.0
"""Seconds after which a round is ended and IDLE sent again: well inside the 29 minutes
RFC 2177 allows, and a connection that died without a word is found within it."""
DONE_ANSWER_S: Final = 30.0
"""Seconds the server has to answer `DONE` before the connection is taken for dead."""
TICK_S: Final = 0.2
"""How long one wait for a line lasts before the stop flag and the renewal are looked at."""
_EXISTS: Final = re.compile(rb"^\* \d+ EXISTS\b", re.IGNORECASE)


class IdleClient(Protocol):
    """The part of `imaplib.IMAP4` IDLE needs: raw lines in and out, and its socket."""

    file: Any
    """imaplib's read-ahead buffer over the socket; a line may already wait in it."""

    def send(self, data: bytes) -> Any: ...
    def readline(self) -> bytes: ...
    def socket(self) -> socket.socket: ...


class MailboxWatch:
    """One IMAP connection, logged in with the mailbox selected, idling round after round."""

    def __init__(self, imap: IdleClient, *, read_timeout: float | None) -> None:
        self._imap = imap
        self._read_timeout = read_timeout
        self._rounds = 0

    def idle(
        self,
        on_idling: Callable[[], None],
        on_news: Callable[[], None],
        stop: threading.Event,
        renew_after: float = RENEW_AFTER_S,
    ) -> None:
        """One IDLE round, ended by `DONE` once `stop` is set or `renew_after` seconds passed.

        `on_idling` is called when the server accepted IDLE, `on_news` for every `EXISTS`
        (one the server had queued before included). imaplib's errors propagate; a server
        that does not answer `DONE` in time raises `PlatformUnavailable`.
        """
        self._rounds += 1
        tag = b"idle%d" % self._rounds  # imaplib's own tags are upper case: never the same
        self._imap.send(tag + b" IDLE\r\n")
        renew_at = time.monotonic() + renew_after
        answer_by: float | None = None
        while True:
            if answer_by is None and (stop.is_set() or time.monotonic() >= renew_at):
                self._imap.send(b"DONE\r\n")
                answer_by = time.monotonic() + DONE_ANSWER_S
            if not self._line_waiting(TICK_S):
                if answer_by is not None and time.monotonic() > answer_by:
                    raise PlatformUnavailable("the IMAP server did not answer DONE")
                continue
            line = self._imap.readline()
            if not line:
                raise PlatformUnavailable("the IMAP connection was closed while idling")
            if line.startswith(tag + b" "):
                if line.split(b" ", 2)[1:2] != [b"OK"]:
                    raise PlatformUnavailable("the IMAP server refused IDLE")
                return
            if line.startswith(b"+"):
                on_idling()
            elif _EXISTS.match(line):
                on_news()

    def _line_waiting(self, timeout: float) -> bool:
        """Whether a read would find something (a line, or the end), waiting up to `timeout`.

        imaplib reads ahead into a buffer, so a line may wait there while the socket is
        quiet: the buffer is looked at first, without blocking, then the socket.
        """
        link = self._imap.socket()
        link.settimeout(0.0)
        try:
            buffered = self._imap.file.peek(1)
        except (BlockingIOError, ssl.SSLWantReadError):
            buffered = b""
        finally:
            link.settimeout(self._read_timeout)
        if buffered:
            return True
        readable, _, _ = select.select([link], [], [], timeout)
        return bool(readable)
