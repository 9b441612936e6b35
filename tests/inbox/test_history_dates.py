"""A thread's history and its author's card date messages by the platform's clock.

The inbox may fetch a conversation weeks after it was written (a backfill, a sync that was
off): what people read is when the messages were written, and when they were fetched only
beside it. A reply the outbox sent reads as that person's reply posted on the platform.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from adapters.base import Direction
from inbox import events
from inbox.outbox.sender import Sender
from inbox.runtime import adapter_factory
from inbox.service import InboxService
from inbox.store import ingest
from inbox.store.ingest import Store
from tests.support.items import T0, add_account, item

DAY_MINUTES = 24 * 60


@pytest.fixture
def alex(engine, clock) -> InboxService:
    InboxService(engine, clock=clock).add_agent("alex", "Alex Kim", "agent")
    return InboxService(engine, actor="alex", clock=clock)


def test_a_weeks_old_conversation_is_dated_when_it_was_written_not_when_it_was_fetched(
    engine, clock, alex
):
    account = add_account(engine, "demo-x")
    page = [
        item("1", "old", minutes=-20 * DAY_MINUTES),
        item("2", "old", minutes=-15 * DAY_MINUTES, author="dan"),
        item("3", "old", minutes=-10 * DAY_MINUTES),
    ]
    thread_id = Store(engine, clock).ingest(account, "mentions", page, None).thread_ids[0]

    [arrival] = alex.history(thread_id)

    assert arrival.text == "the first 3 messages arrived"
    assert arrival.first_written_at == T0 - timedelta(days=20)
    assert arrival.written_at == arrival.happened_at == T0 - timedelta(days=10)
    assert arrival.at == clock()  # when the inbox fetched them, kept beside


def test_the_author_card_says_when_they_first_wrote_and_when_the_inbox_learnt_of_it(
    engine, clock, alex
):
    account = add_account(engine, "demo-x")
    store = Store(engine, clock)
    store.ingest(account, "mentions", [item("1", "a", minutes=-30 * DAY_MINUTES)], None)
    fetched_at = clock()
    clock.advance(days=2)
    later = store.ingest(account, "mentions", [item("2", "b", minutes=2 * DAY_MINUTES)], None)

    card = alex.author_card(later.thread_ids[0])

    assert card.first_message_at == T0 - timedelta(days=30)
    assert card.first_seen_at == fetched_at
    assert card.thread_count == 2


def test_a_reply_the_outbox_sent_reads_as_that_persons_reply_posted_on_the_platform(
    engine, clock, alex
):
    account = add_account(engine, "demo-x", send_latency_scale=0, send_failure_rate=0)
    thread_id = Store(engine, clock).ingest(account, "mentions", [item("1", "a")], None)
    thread_id = thread_id.thread_ids[0]
    alex.queue_reply(thread_id, "Thanks, we're checking.")

    summary = asyncio.run(Sender(engine, adapter_factory(None), clock=clock).send_once(None))

    assert summary.count("sent") == 1
    history = alex.history(thread_id)
    texts = [entry.text for entry in history]
    assert texts[-2:] == ["alex's reply was posted on X (demo)", "alex took it (answered it)"]
    assert not any("new message" in text for text in texts)
    assert history[-2].actor == "alex"


def test_the_outbox_lands_its_reply_as_posted_by_the_outbox(engine, clock):
    account = add_account(engine, "demo-bluesky")
    store = Store(engine, clock)
    store.ingest(account, "mentions", [item("1", "a")], None)
    reply = item("2", "a", minutes=1, direction=Direction.OUT, author="brand")

    store.ingest(account, ingest.OUTBOX_STREAM, [reply], None)

    with engine.connect() as connection:
        landed = events.after(connection, 0)[-1]
    assert landed.actor == events.OUTBOX_ACTOR
    assert landed.describe() == "the reply was posted on Bluesky (demo)"


def test_arrivals_stored_before_their_times_were_kept_still_read(engine, clock, alex):
    account = add_account(engine, "demo-x")
    thread_id = Store(engine, clock).ingest(account, "mentions", [item("1", "a")], None)
    thread_id = thread_id.thread_ids[0]
    with engine.begin() as connection:
        old = events.parse(events.ItemsArrived.type, {"count": 2})
        events.record(connection, old, at=clock(), actor=events.SYNC_ACTOR, thread_id=thread_id)

    entry = alex.history(thread_id)[-1]

    assert entry.text == "2 new messages arrived"
    assert entry.written_at is None and entry.happened_at == clock()
