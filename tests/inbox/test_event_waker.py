"""Waking readers of the event log: on PostgreSQL a commit elsewhere wakes them at once.

The fallback interval in these tests is a minute, and every wait is bounded by a few
seconds, so a reader that wakes in time was woken by the notification, not the poll.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import psycopg
import pytest

from inbox import events
from inbox.core.database import open_engine
from inbox.core.notify import EventWaker
from inbox.service import InboxService
from tests.conftest import skip_or_fail
from tests.servers.postgres import libpq_url

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
FALLBACK_SECONDS = 60.0
"""What a reader would wait without a notification: far longer than any bound below."""
BOUND_SECONDS = 5.0


@pytest.fixture
def postgres_url(request):
    server = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_template")
    if template is None:
        skip_or_fail(f"PostgreSQL: {server}")
    url = server.create_database(template_url=template)
    yield url
    server.drop_database(url)


@pytest.fixture
def two_engines(postgres_url):
    """Two engines on one database: two machines of one team."""
    here, elsewhere = open_engine(postgres_url), open_engine(postgres_url)
    yield here, elsewhere
    here.dispose()
    elsewhere.dispose()


def write_event(engine, kind: str = "test.written") -> None:
    with engine.begin() as connection:
        events.record(connection, events.UnknownEvent(kind, {}), at=NOW, actor="elsewhere")


def listening(waker) -> None:
    """Wait until the waker listens, and drop the wake it gives on connecting."""
    assert waker.wait_until_listening(BOUND_SECONDS)
    waker.wait(0)


def woken_within_bound(waker) -> bool:
    """Whether a reader waiting a whole fallback interval was woken within the bound."""
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(waker.wait, FALLBACK_SECONDS)
        try:
            return waiting.result(timeout=BOUND_SECONDS)
        except TimeoutError:
            waker.close()  # lets the waiting thread go
            return False


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + BOUND_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


@pytest.mark.postgres
def test_a_commit_on_another_connection_wakes_the_reader_who_then_reads_it(two_engines):
    here, elsewhere = two_engines
    reader = InboxService(here)
    follower = events.EventFollower(reader.latest_event_id())
    waker = reader.event_waker()
    assert waker is not None
    try:
        listening(waker)
        write_event(elsewhere, "test.from.elsewhere")
        assert woken_within_bound(waker)
        assert [event.type for event in reader.follow_events(follower)] == ["test.from.elsewhere"]
    finally:
        waker.close()


@pytest.mark.postgres
def test_a_transaction_of_many_events_wakes_the_reader_and_all_are_read(two_engines):
    here, elsewhere = two_engines
    reader = InboxService(here)
    follower = events.EventFollower(reader.latest_event_id())
    waker = reader.event_waker()
    try:
        listening(waker)
        with elsewhere.begin() as connection:
            events.record(connection, events.UnknownEvent("one", {}), at=NOW, actor="x")
            events.record_many(
                connection,
                [events.row(events.UnknownEvent(kind, {}), at=NOW, actor="x") for kind in "ab"],
            )
        assert woken_within_bound(waker)
        assert [event.type for event in reader.follow_events(follower)] == ["one", "a", "b"]
    finally:
        waker.close()


@pytest.mark.postgres
def test_the_waker_listens_again_after_its_connection_is_killed(two_engines, postgres_url):
    here, elsewhere = two_engines
    waker = EventWaker.for_engine(here, reconnect_pauses=(0.05,)).start()
    try:
        listening(waker)
        with psycopg.connect(libpq_url(postgres_url), autocommit=True) as admin:
            killed = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
            ).fetchone()[0]
        assert killed == 1
        wait_until(lambda: waker.connections == 2 and waker.listening, "the waker to listen again")
        waker.wait(0)
        write_event(elsewhere)
        assert woken_within_bound(waker)
    finally:
        waker.close()


def test_sqlite_has_no_waker_and_readers_poll_as_before(sqlite_url):
    engine = open_engine(sqlite_url)
    try:
        reader = InboxService(engine)
        assert reader.event_waker() is None
        follower = events.EventFollower(reader.latest_event_id())
        write_event(engine, "test.on.sqlite")
        assert [event.type for event in reader.follow_events(follower)] == ["test.on.sqlite"]
    finally:
        engine.dispose()
