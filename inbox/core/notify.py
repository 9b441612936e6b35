"""Waking the readers of the event log: PostgreSQL's LISTEN/NOTIFY, with polling as the floor.

Every transaction that appends events on PostgreSQL also notifies `EVENTS_CHANNEL`
(`inbox.events` does it, once per transaction); the server delivers the notification when
that transaction commits, so a woken reader finds the new rows already visible. An
`EventWaker` listens on a connection of its own, outside the engine's pool and in
autocommit mode, and lets a reader wait "until notified, or until the fallback interval
has passed": a lost notification, a dropped connection or SQLite (which has none of this)
only means the reader polls as it always did. After a dropped connection it connects again
with growing pauses, and wakes its reader once connected, since notifications sent while
it was away are gone.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

EVENTS_CHANNEL = "inbox_events"
"""The channel every transaction that appends events notifies (PostgreSQL only)."""

LISTEN_CHECK_SECONDS = 0.5
"""How often the listening thread looks up from its connection to see whether to stop."""

QUIET_PING_SECONDS = 30.0
"""After this long without a notification the listener asks the server whether it is there."""

RECONNECT_PAUSES = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
"""Pauses before each new attempt to listen again after the connection failed; the last repeats."""


def notifies_events(engine: Engine) -> bool:
    """Whether writes to `engine`'s database announce new events (PostgreSQL does, SQLite not)."""
    return engine.dialect.name == "postgresql"


def listening_connection(engine: Engine) -> psycopg.Connection[Any]:
    """A new autocommit psycopg connection to `engine`'s database, outside its pool.

    It is made the way the engine makes its own (its URL, connect arguments and hooks),
    then detached, so a listener that lives as long as the app holds no pool slot.
    """
    pooled = engine.raw_connection()
    connection = pooled.driver_connection
    pooled.detach()
    connection.rollback()
    connection.autocommit = True
    return connection


class EventWaker:
    """Wakes a reader of the event log when another connection commits events.

    One reader calls `wait` at a time (a notification is taken by the wait that sees it);
    `on_notified`, if given, is called from the listening thread on every notification,
    for a front end that schedules its own read. `start` starts the listening thread;
    `close` stops it and closes its connection.
    """

    def __init__(
        self,
        connect: Callable[[], psycopg.Connection[Any]],
        *,
        channel: str = EVENTS_CHANNEL,
        on_notified: Callable[[], None] | None = None,
        reconnect_pauses: tuple[float, ...] = RECONNECT_PAUSES,
    ) -> None:
        self._connect = connect
        self._channel = channel
        self._on_notified = on_notified
        self._pauses = reconnect_pauses
        self._condition = threading.Condition()
        self._pending = False
        self._closed = threading.Event()
        self._listening = threading.Event()
        self._thread: threading.Thread | None = None
        self.connections = 0
        """How many times the listener connected (a reconnection counts again)."""

    @classmethod
    def for_engine(cls, engine: Engine, **options: Any) -> EventWaker:
        """A waker on `engine`'s database (PostgreSQL); not started."""
        return cls(lambda: listening_connection(engine), **options)

    @property
    def listening(self) -> bool:
        """Whether the listener is connected and listening right now."""
        return self._listening.is_set()

    def start(self) -> EventWaker:
        """Start the listening thread (once); returns the waker."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"listen {self._channel}", daemon=True
            )
            self._thread.start()
        return self

    def wait_until_listening(self, timeout: float) -> bool:
        """Block until the listener is connected and listening, at most `timeout` seconds."""
        return self._listening.wait(timeout)

    def wait(self, timeout: float) -> bool:
        """Block until notified (True), or until `timeout` seconds pass or the waker closes."""
        with self._condition:
            self._condition.wait_for(lambda: self._pending or self._closed.is_set(), timeout)
            notified, self._pending = self._pending, False
            return notified

    def close(self, join_seconds: float = 2 * LISTEN_CHECK_SECONDS) -> None:
        """Stop listening and close the connection; waiters return at once."""
        self._closed.set()
        with self._condition:
            self._condition.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(join_seconds)

    def __enter__(self) -> EventWaker:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _wake(self) -> None:
        with self._condition:
            self._pending = True
            self._condition.notify_all()
        if self._on_notified is not None:
            try:
                self._on_notified()
            except Exception:
                log.exception("event waker: the on_notified callback failed")

    def _run(self) -> None:
        failures = 0
        while not self._closed.is_set():
            try:
                self._listen()
                failures = 0
            except Exception as error:  # a dropped connection, a server restarting, a refusal
                self._listening.clear()
                pause = self._pauses[min(failures, len(self._pauses) - 1)]
                failures += 1
                log.warning(
                    "event waker: listening stopped (%s); polling only, trying again in %g s",
                    type(error).__name__,
                    pause,
                )
                self._closed.wait(pause)

    def _listen(self) -> None:
        """Listen until closed; raises when the connection fails."""
        connection = self._connect()
        try:
            connection.execute(f'LISTEN "{self._channel}"')
            self.connections += 1
            self._listening.set()
            self._wake()  # whatever was announced while nobody listened is read now
            quiet_since = time.monotonic()
            while not self._closed.is_set():
                for _notification in connection.notifies(timeout=LISTEN_CHECK_SECONDS):
                    quiet_since = time.monotonic()
                    self._wake()
                if time.monotonic() - quiet_since >= QUIET_PING_SECONDS:
                    connection.execute("SELECT 1")
                    quiet_since = time.monotonic()
        finally:
            self._listening.clear()
            connection.close()
