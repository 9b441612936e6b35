"""Reply drafts: kept per person and thread until the reply is queued, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, func, select

from adapters.base import AccountRef
from inbox.core.database import SCHEMA_HEAD, check_schema, schema_revision, upgrade
from inbox.core.errors import InvalidInput, NotFound, PermissionDenied, SchemaOutdated
from inbox.core.models import ReplyDraft
from inbox.core.sanitize import MAX_STORED_TEXT
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.support.items import add_account, item

PEOPLE = (
    ("alex", "Alex Kim", "agent"),
    ("blake", "Blake Okafor", "agent"),
    ("drew", "Drew Patel", "supervisor"),
    ("sam", "Sam Admin", "admin"),
)


@pytest.fixture
def account(engine, clock) -> AccountRef:
    """People, and an X demo account that sends at once."""
    setup = InboxService(engine, clock=clock)
    for handle, name, role in PEOPLE:
        setup.add_agent(handle, name, role)
    return add_account(engine, "demo-x", "brand", send_latency_scale=0, send_failure_rate=0)


@pytest.fixture
def thread_id(engine, clock, account) -> int:
    """An unassigned mention from carol."""
    report = Store(engine, clock).ingest(account, "mentions", [item("in-1", "t1")], None)
    return report.thread_ids[0]


def as_person(engine: Engine, clock, handle: str) -> InboxService:
    """The service as `handle`, as a terminal of theirs would build it."""
    return InboxService(engine, actor=handle, clock=clock)


def stored_drafts(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(ReplyDraft.__table__)).scalar()


def test_a_draft_comes_back_to_its_author_in_any_terminal_and_to_nobody_else(
    engine, clock, thread_id
):
    as_person(engine, clock, "alex").save_draft(thread_id, "Sorry about that,\nlet me check")

    assert as_person(engine, clock, "alex").draft(thread_id) == "Sorry about that,\nlet me check"
    assert as_person(engine, clock, "blake").draft(thread_id) is None

    alex = as_person(engine, clock, "alex")
    alex.save_draft(thread_id, "Sorry about that, fixed now")
    assert alex.draft(thread_id) == "Sorry about that, fixed now"
    assert stored_drafts(engine) == 1


def test_blank_text_deletes_the_draft(engine, clock, thread_id):
    alex = as_person(engine, clock, "alex")
    alex.save_draft(thread_id, "Thanks for")

    alex.save_draft(thread_id, " \n ")

    assert alex.draft(thread_id) is None
    assert stored_drafts(engine) == 0
    alex.save_draft(thread_id, "")  # nothing to delete: still fine
    assert stored_drafts(engine) == 0


def test_queueing_the_reply_deletes_its_authors_draft_only(engine, clock, thread_id):
    alex, blake = as_person(engine, clock, "alex"), as_person(engine, clock, "blake")
    alex.save_draft(thread_id, "On it!")
    blake.save_draft(thread_id, "Looking into it")

    alex.queue_reply(thread_id, "On it!")

    assert alex.draft(thread_id) is None
    assert blake.draft(thread_id) == "Looking into it"


def test_a_refused_reply_keeps_the_draft(engine, clock, thread_id):
    alex = as_person(engine, clock, "alex")
    too_long = "a" * 281
    alex.save_draft(thread_id, too_long)

    with pytest.raises(InvalidInput):
        alex.queue_reply(thread_id, too_long)

    assert alex.draft(thread_id) == too_long


def test_a_draft_is_stored_as_other_text_is(engine, clock, thread_id):
    alex = as_person(engine, clock, "alex")

    alex.save_draft(thread_id, "half\x00 a reply")
    assert alex.draft(thread_id) == "half a reply"

    alex.save_draft(thread_id, "a" * (MAX_STORED_TEXT + 10))
    assert alex.draft(thread_id) == "a" * MAX_STORED_TEXT + "…"


def test_who_cannot_reply_keeps_no_draft(engine, clock, thread_id):
    drew = as_person(engine, clock, "drew")

    with pytest.raises(PermissionDenied):
        drew.save_draft(thread_id, "I would say")

    assert drew.draft(thread_id) is None
    drew.save_draft(thread_id, "")


def test_a_draft_on_a_thread_that_does_not_exist_is_refused(engine, clock, thread_id):
    with pytest.raises(NotFound, match="no thread 999"):
        as_person(engine, clock, "alex").save_draft(999, "hello")
    assert stored_drafts(engine) == 0


def test_purging_an_account_takes_its_threads_drafts(engine, clock, thread_id):
    as_person(engine, clock, "alex").save_draft(thread_id, "Hello Carol")

    as_person(engine, clock, "sam").remove_account("brand", purge=True)

    assert stored_drafts(engine) == 0


def test_a_database_from_before_drafts_is_upgraded_and_keeps_its_threads(engine, clock, thread_id):
    config = Config()
    config.set_main_option(
        "script_location", str(Path(__file__).parents[2] / "inbox" / "core" / "migrations")
    )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    with pytest.raises(SchemaOutdated, match="run `inbox db upgrade`"):
        check_schema(engine)

    assert upgrade(engine) == ("0003", SCHEMA_HEAD)

    assert schema_revision(engine) == SCHEMA_HEAD
    alex = as_person(engine, clock, "alex")
    assert alex.thread(thread_id).author == "@carol"
    alex.save_draft(thread_id, "Hello again")
    assert alex.draft(thread_id) == "Hello again"
