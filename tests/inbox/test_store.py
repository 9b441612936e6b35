"""Ingest: one page from an adapter lands whole, once, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest
from sqlalchemy import func, select, text, update

from adapters.base import Attachment, AttachmentKind, Direction, FetchedContact, Kind
from inbox.core.database import open_engine
from inbox.core.errors import SchemaTooNew
from inbox.core.models import Contact, Event, Item, SyncCursor, Thread
from inbox.core.sanitize import MAX_STORED_RAW, MAX_STORED_TEXT, RAW_TRUNCATED
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.conftest import skip_or_fail
from tests.support.items import T0, add_account, item


def count(engine, table) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar()


def thread_by_key(engine, key: str):
    with engine.connect() as connection:
        return connection.execute(
            select(Thread.__table__).where(Thread.__table__.c.thread_key == key)
        ).one()


def test_a_page_lands_items_threads_contacts_cursor_and_events(engine, clock):
    account = add_account(engine)
    store = Store(engine, clock)

    report = store.ingest(
        account,
        "mentions",
        [
            item("1", "a", minutes=0),
            item("2", "a", minutes=3, author="dan"),
            item("3", "b", minutes=5),
        ],
        "cursor-1",
    )

    assert (report.new_items, report.new_threads) == (3, 2)
    assert count(engine, Item.__table__) == 3
    assert count(engine, Contact.__table__) == 2
    thread = thread_by_key(engine, "a")
    assert thread.item_count == 2
    assert thread.first_inbound_at == T0
    assert thread.last_inbound_at == item("2", minutes=3).created_at
    assert thread.preview == "message 2 from dan"
    assert thread.status == "new"
    assert store.cursor(account.id, "mentions").cursor == "cursor-1"
    with engine.connect() as connection:
        types = (
            connection.execute(select(Event.__table__.c.type).order_by(Event.__table__.c.id))
            .scalars()
            .all()
        )
    assert types == ["thread.created", "thread.created"]


def test_the_same_page_twice_changes_nothing_but_the_cursor(engine, clock):
    account = add_account(engine)
    store = Store(engine, clock)
    page = [item("1", "a"), item("2", "a", minutes=1)]
    store.ingest(account, "mentions", page, "c1")
    events_before = count(engine, Event.__table__)

    report = store.ingest(account, "mentions", page, "c2")

    assert (report.new_items, report.duplicate_items) == (0, 2)
    assert count(engine, Item.__table__) == 2
    assert thread_by_key(engine, "a").item_count == 2
    assert count(engine, Event.__table__) == events_before
    assert store.cursor(account.id, "mentions").cursor == "c2"


def test_a_new_message_reopens_a_closed_thread(engine, clock):
    account = add_account(engine)
    store = Store(engine, clock)
    store.ingest(account, "mentions", [item("1", "a")], "c1")
    with engine.begin() as connection:
        connection.execute(update(Thread.__table__).values(status="closed", closed_at=T0))

    report = store.ingest(account, "mentions", [item("2", "a", minutes=60)], "c2")

    thread = thread_by_key(engine, "a")
    assert report.reopened_threads == 1
    assert (thread.status, thread.closed_at, thread.unread) == ("open", None, True)
    with engine.connect() as connection:
        assert (
            connection.execute(
                select(func.count()).where(Event.__table__.c.type == "thread.reopened")
            ).scalar()
            == 1
        )


def test_the_first_reply_after_the_first_message_is_the_first_response(engine, clock):
    account = add_account(engine)
    store = Store(engine, clock)
    store.ingest(
        account,
        "mentions",
        [
            item("0", "a", minutes=-30, direction=Direction.OUT, author="brand"),
            item("1", "a", minutes=0),
            item("2", "a", minutes=12, direction=Direction.OUT, author="brand"),
            item("3", "a", minutes=40, direction=Direction.OUT, author="brand"),
        ],
        "c1",
    )

    thread = thread_by_key(engine, "a")
    assert thread.first_response_at == item("2", minutes=12).created_at
    assert thread.status == "open"
    assert thread.preview == "message 1 from carol"


def test_a_malformed_item_is_logged_and_skipped_and_the_rest_lands(engine, clock, caplog):
    account = add_account(engine)
    store = Store(engine, clock)
    naive = dataclasses.replace(item("bad-1"), created_at=T0.replace(tzinfo=None))
    no_thread = dataclasses.replace(item("bad-2"), thread_key="")
    raw_list = dataclasses.replace(item("bad-3"), raw=["not", "a", "mapping"])
    numeric_name = dataclasses.replace(
        item("bad-4"), author=dataclasses.replace(item("x").author, display_name=42)
    )
    long_link = dataclasses.replace(item("3"), url="https://example.com/" + "a" * 5_000)

    with caplog.at_level(logging.WARNING, logger="inbox.store.ingest"):
        report = store.ingest(
            account,
            "mentions",
            [
                item("1"),
                naive,
                {"id": "x"},
                no_thread,
                raw_list,
                numeric_name,
                long_link,
                item("2"),
            ],
            "c1",
        )

    assert (report.new_items, report.malformed_items) == (3, 5)
    assert count(engine, Item.__table__) == 3
    logged = caplog.text
    assert "'bad-1'" in logged and "'bad-2'" in logged and f"account {account.id}" in logged


def test_a_failed_batch_leaves_no_items_and_no_cursor(engine, clock, monkeypatch):
    """Fault injection: the cursor write fails after the items were inserted."""
    account = add_account(engine)
    store = Store(engine, clock)

    def broken_cursor(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_save_cursor", broken_cursor)
    with pytest.raises(RuntimeError):
        store.ingest(account, "mentions", [item("1"), item("2")], "c1")

    assert count(engine, Item.__table__) == 0
    assert count(engine, Thread.__table__) == 0
    assert count(engine, SyncCursor.__table__) == 0


def test_hostile_text_is_stored_without_nul_and_capped(engine, clock):
    account = add_account(engine)
    huge = "[bold red]x[/] \x1b[2J\u202e" + "ab\x00" * 30_000
    Store(engine, clock).ingest(account, "mentions", [item("1", text=huge)], None)

    with engine.connect() as connection:
        stored = connection.execute(select(Item.__table__.c.text)).scalar()
    assert "\x00" not in stored
    assert stored.startswith("[bold red]x[/] \x1b[2J\u202e")
    assert len(stored) <= 40_001
    assert "\x1b" not in thread_by_key(engine, "t1").preview


def test_sentiment_is_scored_for_every_item_and_the_thread(engine, clock):
    account = add_account(engine)
    store = Store(engine, clock)
    store.ingest(
        account,
        "mentions",
        [
            item("1", "a", text="I love this, thank you so much!"),
            item("2", "b", text="This is terrible, worst service ever"),
        ],
        None,
    )

    assert store.score_sentiment() == 2
    assert store.score_sentiment() == 0
    assert thread_by_key(engine, "a").sentiment > 0.5
    assert thread_by_key(engine, "b").sentiment < -0.5


def test_full_text_search_finds_messages_by_their_words(engine, clock):
    account = add_account(engine)
    Store(engine, clock).ingest(
        account,
        "mentions",
        [
            item("1", "a", text="My order never arrived"),
            item("2", "b", text="Refund please, the order was broken"),
            item("3", "c", text="Love the new app"),
        ],
        None,
    )
    service = InboxService(engine)

    assert {hit.text for hit in service.search("order")} == {
        "My order never arrived",
        "Refund please, the order was broken",
    }
    assert [hit.text for hit in service.search("broken order")] == [
        "Refund please, the order was broken"
    ]
    assert service.search('"; DROP TABLE item; --') == []


def test_a_database_newer_than_the_code_is_refused_and_left_untouched(database_url):
    engine = open_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()

    with pytest.raises(SchemaTooNew, match="newer than this inbox"):
        open_engine(database_url)

    probe = open_engine.__globals__["create_database_engine"](database_url)
    with probe.connect() as connection:
        assert (
            connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999"
        )
    probe.dispose()


def test_naive_datetimes_are_refused():
    from inbox.core.models import to_micros

    with pytest.raises(ValueError, match="timezone-aware"):
        to_micros(T0.replace(tzinfo=None))


def test_the_preview_skips_an_email_salutation(engine, clock):
    account = add_account(engine)
    Store(engine, clock).ingest(
        account,
        "inbox",
        [
            item("1", "a", text="Hi Nimbus team,\n\nMy backup stopped at 80%.\n\nThanks,\nAna"),
            item("2", "b", text="Hello, my backup stopped"),
        ],
        None,
    )
    assert thread_by_key(engine, "a").preview == "My backup stopped at 80%."
    assert thread_by_key(engine, "b").preview == "Hello, my backup stopped"


def test_scoring_tells_open_screens_to_refresh(engine, clock):
    account = add_account(engine)
    store = Store(engine, clock)
    store.ingest(account, "mentions", [item("1", text="Love it")], None)

    store.score_sentiment()

    with engine.connect() as connection:
        last = connection.execute(
            select(Event.__table__).order_by(Event.__table__.c.id.desc())
        ).first()
    assert (last.type, last.payload) == ("sentiment.scored", {"items": 1, "threads": 1})


def test_a_landed_message_is_due_by_its_sla_and_an_answer_clears_it(engine):
    from inbox.core.clock import FixedClock

    monday_morning = FixedClock(T0.replace(day=2, hour=9, minute=0))  # 2026-11-02 is a Monday
    account = add_account(engine)
    store = Store(engine, monday_morning)

    store.ingest(account, "dms", [item("1", "a", kind=Kind.DM, minutes=-30)], None)
    assert thread_by_key(engine, "a").due_at == T0.replace(hour=10), (
        "a DM at 07:30 waits for 09:00, then 1 h"
    )

    store.ingest(
        account, "dms", [item("2", "a", kind=Kind.DM, minutes=80, direction=Direction.OUT)], None
    )
    assert thread_by_key(engine, "a").due_at is None


@pytest.fixture
def postgres_url(request):
    """A fresh, migrated PostgreSQL database, beside `sqlite_url` in one test."""
    server = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_template")
    if template is None:
        skip_or_fail(f"PostgreSQL: {server}")
    url = server.create_database(template_url=template)
    yield url
    server.drop_database(url)


def hostile_item():
    """An item with NULs in every id, key and link, an unpaired surrogate, and NULs in raw."""
    return dataclasses.replace(
        item("ext\x00-1", "thread\x00-key", text="hi\x00 there \ud83d"),
        parent_external_id="par\x00ent",
        url="https://example.com/\x00post",
        author=FetchedContact(
            external_id="auth\x00or", handle="@car\x00ol\ud800", display_name="Car\x00ol"
        ),
        raw={"id\x00": "ext\x00-1", "nested": [{"lang": "e\x00n"}, 1.5, float("nan")]},
    )


def stored_fields(url: str) -> dict:
    engine = open_engine(url)
    store = Store(engine)
    account = add_account(engine)
    report = store.ingest(account, "mentions", [hostile_item()], "cur\x00sor")
    columns = (
        Item.__table__.c.external_id,
        Item.__table__.c.parent_external_id,
        Item.__table__.c.url,
        Item.__table__.c.text,
        Item.__table__.c.raw,
        Thread.__table__.c.thread_key,
        Thread.__table__.c.preview,
        Contact.__table__.c.external_id.label("author_id"),
        Contact.__table__.c.handle,
        Contact.__table__.c.display_name,
    )
    with engine.connect() as connection:
        row = connection.execute(
            select(*columns)
            .join(Thread.__table__, Thread.__table__.c.id == Item.__table__.c.thread_id)
            .join(Contact.__table__, Contact.__table__.c.id == Item.__table__.c.contact_id)
        ).one()
    fields = dict(row._mapping, cursor=store.cursor(account.id, "mentions").cursor)
    engine.dispose()
    assert report.new_items == 1
    return fields


@pytest.mark.postgres
def test_nul_characters_anywhere_are_cleaned_the_same_on_both_databases(sqlite_url, postgres_url):
    on_sqlite = stored_fields(sqlite_url)
    on_postgres = stored_fields(postgres_url)

    assert on_sqlite == on_postgres
    assert on_sqlite == {
        "external_id": "ext-1",
        "parent_external_id": "parent",
        "url": "https://example.com/post",
        "text": "hi there \ufffd",
        "raw": {"id": "ext-1", "nested": [{"lang": "en"}, 1.5, None]},
        "thread_key": "thread-key",
        "preview": "hi there \ufffd",
        "author_id": "author",
        "handle": "@carol\ufffd",
        "display_name": "Carol",
        "cursor": "cursor",
    }


def test_an_item_with_no_id_left_after_cleaning_is_skipped_and_the_rest_lands(
    engine, clock, caplog
):
    account = add_account(engine)
    only_nul = item("\x00\x00")
    too_long = item("x" * 200 + "\x00" + "y" * 100)
    author_nul = dataclasses.replace(
        item("bad-author"), author=FetchedContact(external_id="\x00", handle="@nobody")
    )

    with caplog.at_level(logging.WARNING, logger="inbox.store.ingest"):
        report = Store(engine, clock).ingest(
            account, "mentions", [item("1"), only_nul, too_long, author_nul, item("2")], "c1"
        )

    assert (report.new_items, report.malformed_items) == (2, 3)
    with engine.connect() as connection:
        stored = set(connection.execute(select(Item.__table__.c.external_id)).scalars())
    assert stored == {"1", "2"}
    assert f"account {account.id}" in caplog.text
    assert "external id '\\x00\\x00': no external id" in caplog.text
    assert "'bad-author': author has no external id" in caplog.text


def test_a_raw_payload_over_the_cap_is_stored_capped(engine, clock):
    account = add_account(engine)
    huge = {"id": "1", "lang": "en", "parts": ["b" * 30_000] * 5, "after": "dropped"}
    long_string = {"body": "x" * (MAX_STORED_TEXT + 10_000)}
    deep: dict = {}
    innermost = deep
    for _ in range(5_000):
        innermost["a"] = {}
        innermost = innermost["a"]
    pages = [
        dataclasses.replace(item("1"), raw=huge),
        dataclasses.replace(item("2"), raw=long_string),
        dataclasses.replace(item("3"), raw=deep),
    ]

    report = Store(engine, clock).ingest(account, "mentions", pages, "c1")

    with engine.connect() as connection:
        raw = dict(
            connection.execute(select(Item.__table__.c.external_id, Item.__table__.c.raw)).all()
        )
    assert report.new_items == 3
    whole = len(json.dumps(huge, ensure_ascii=False))
    assert raw["1"] == {"id": "1", "lang": "en", RAW_TRUNCATED: whole}
    assert len(json.dumps(raw["1"], ensure_ascii=False)) <= MAX_STORED_RAW
    assert raw["2"]["body"] == "x" * MAX_STORED_TEXT + "…"
    depth, level = 0, raw["3"]
    while isinstance(level, dict):
        depth, level = depth + 1, level["a"]
    assert level == "…nested too deeply" and depth <= 65


def test_attachments_are_stored_with_the_item_and_name_a_post_that_has_no_text(engine, clock):
    account = add_account(engine)
    screenshot = Attachment(
        AttachmentKind.IMAGE, "https://cdn.example/err.png", "Error 503 on the checkout page"
    )
    quote = Attachment(
        AttachmentKind.QUOTE, "https://bsky.app/profile/x/post/1", "Is it down?", author="@bob"
    )
    poll = Attachment(AttachmentKind.POLL, title="Down for you?", options=("yes", "no"))
    hostile = Attachment(
        AttachmentKind.LINK, "https://e.example/\x00" + "a" * 3_000, "d\x00" * 5_000
    )
    media_only = dataclasses.replace(item("1", text=""), attachments=(screenshot, quote))
    with_poll = dataclasses.replace(
        item("2", "t2", text="vote"), attachments=(poll, hostile, "not an attachment")
    )
    Store(engine, clock).ingest(account, "mentions", [media_only, with_poll], None)

    service = InboxService(engine)
    first = service.thread_items(thread_by_key(engine, "t1").id)[0]
    assert first.attachments == (screenshot, quote)
    assert thread_by_key(engine, "t1").preview == (
        "[image: Error 503 on the checkout page] [quote: @bob: Is it down?]"
    )
    [stored_poll, stored_link] = service.thread_items(thread_by_key(engine, "t2").id)[0].attachments
    assert stored_poll == poll
    assert stored_link.url is None, "a link too long to be real is dropped"
    assert "\x00" not in stored_link.description and len(stored_link.description) <= 2_000
    assert thread_by_key(engine, "t2").preview == "vote"
