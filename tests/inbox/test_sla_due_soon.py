"""`due_soon`: the threads about to breach their SLA, and those already past it, most urgent first.

The SLA policy is the default one: Monday to Friday 09:00-17:00 UTC, DMs 60 business
minutes, mentions 240. 2026-11-02 is a Monday, so a DM from before 09:00 is due at 10:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select, update

from adapters.base import Direction, Kind
from inbox.core.database import write_transaction
from inbox.core.models import Thread, ThreadStatus
from inbox.sla import due_soon
from inbox.store.ingest import Store
from tests.support.items import add_account
from tests.tui.workspace import message

pytestmark = pytest.mark.postgres

MONDAY = datetime(2026, 11, 2, tzinfo=UTC)
_thread = Thread.__table__


def at(hour: int, minute: int = 0) -> datetime:
    return MONDAY.replace(hour=hour, minute=minute)


@pytest.fixture
def threads(engine) -> dict[str, int]:
    """Threads with known due times, keyed by their thread key; returns their ids."""
    mastodon = add_account(engine, "demo-mastodon", "brand")
    bluesky = add_account(engine, "demo-bluesky", "brand")
    store = Store(engine, lambda: at(10, 0))

    def says(account, key, when, *, author="carol", kind=Kind.DM, reply=False):
        store.ingest(
            account,
            "mentions",
            [
                message(
                    f"{key}-{when:%H%M}",
                    key,
                    when,
                    f"about {key}",
                    author="brand" if reply else author,
                    kind=kind,
                    direction=Direction.OUT if reply else Direction.IN,
                )
            ],
            None,
        )

    says(mastodon, "dm-overdue", at(8, 0), author="dan")  # due 10:00
    says(bluesky, "dm-also-overdue", at(8, 30), author="erin")  # due 10:00, later id
    says(mastodon, "dm-soon", at(9, 50), author="frank")  # due 10:50
    says(mastodon, "dm-later", at(10, 0), author="grace")  # due 11:00
    says(mastodon, "mention", at(8, 0), kind=Kind.MENTION)  # due 13:00
    says(mastodon, "answered", at(8, 0))
    says(mastodon, "answered", at(9, 5), reply=True)
    says(mastodon, "closed", at(8, 0))  # due 10:00 until closed
    with engine.connect() as connection:
        ids = dict(connection.execute(select(_thread.c.thread_key, _thread.c.id)).all())
    with write_transaction(engine) as connection:
        connection.execute(
            update(_thread).where(_thread.c.id == ids["closed"]).values(status=ThreadStatus.CLOSED)
        )
    return ids


def test_lists_overdue_then_due_soon_threads_with_what_a_warning_names(engine, threads):
    now = at(10, 40)

    due = due_soon(engine, now, timedelta(minutes=15))

    assert [thread.id for thread in due] == [
        threads["dm-overdue"],
        threads["dm-also-overdue"],
        threads["dm-soon"],
    ]
    first = due[0]
    assert (first.due_at, first.platform, first.kind, first.author) == (
        at(10, 0),
        "demo-mastodon",
        "dm",
        "@dan",
    )
    assert first.preview == "about dm-overdue"
    assert due[1].platform == "demo-bluesky" and due[1].author == "@erin"
    assert [thread.is_overdue(now) for thread in due] == [True, True, False]


def test_the_window_and_the_limit_bound_the_list(engine, threads):
    with engine.connect() as connection:
        assert [thread.id for thread in due_soon(connection, at(9, 0), timedelta(minutes=15))] == []
        a_minute_early = due_soon(connection, at(10, 44), timedelta(minutes=15))
        assert threads["dm-later"] not in [thread.id for thread in a_minute_early]
        on_the_edge = due_soon(connection, at(10, 45), timedelta(minutes=15))
        assert threads["dm-later"] in [thread.id for thread in on_the_edge]
        assert [
            thread.id for thread in due_soon(connection, at(12, 0), timedelta(minutes=15), limit=2)
        ] == [threads["dm-overdue"], threads["dm-also-overdue"]]


def test_on_sqlite_the_query_walks_the_due_index(sqlite_url, tmp_path):
    from inbox.core.database import open_engine

    engine = open_engine(sqlite_url)
    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        due_soon(engine, at(10, 0), timedelta(minutes=15))
        statement, parameters = statements[-1]
        with engine.connect() as connection:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
        engine.dispose()
    details = " | ".join(str(row[-1]) for row in plan)
    assert "ix_thread_due" in details
    assert "TEMP B-TREE" not in details
