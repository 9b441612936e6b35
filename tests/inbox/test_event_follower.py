"""Following the event log: every event read once, even when writers commit out of order.

The out-of-order case needs two writers in flight at once, which SQLite never allows, so
that test runs on the suite's real PostgreSQL only.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from inbox import events
from inbox.core.database import open_engine
from tests.conftest import skip_or_fail

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
def postgres_engine(request):
    server = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_template")
    if template is None:
        skip_or_fail(f"PostgreSQL: {server}")
    url = server.create_database(template_url=template)
    engine = open_engine(url)
    yield engine
    engine.dispose()
    server.drop_database(url)


def record(connection, kind: str) -> None:
    events.record(connection, events.UnknownEvent(type_name=kind, raw={}), at=NOW, actor="test")


def read(engine, follower: events.EventFollower) -> list[str]:
    with engine.connect() as connection:
        return [event.type for event in follower.read(connection)]


def test_events_are_read_once_each_in_order(sqlite_url):
    engine = open_engine(sqlite_url)
    follower = events.EventFollower(0)
    with engine.begin() as connection:
        record(connection, "one")
        record(connection, "two")
    assert read(engine, follower) == ["one", "two"]
    assert read(engine, follower) == []
    with engine.begin() as connection:
        record(connection, "three")
    assert read(engine, follower) == ["three"]
    engine.dispose()


def test_an_event_that_commits_after_a_newer_one_is_still_read(postgres_engine):
    follower = events.EventFollower(0)
    read(postgres_engine, follower)  # whatever the new database holds already
    with postgres_engine.connect() as slow:
        transaction = slow.begin()
        record(slow, "slow")  # takes the lower id, commits last
        with postgres_engine.begin() as fast:
            record(fast, "fast")
        assert read(postgres_engine, follower) == ["fast"]
        transaction.commit()
    assert read(postgres_engine, follower) == ["slow"]
    assert read(postgres_engine, follower) == []
