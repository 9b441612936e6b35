"""Scheduled posts go out through the outbox when their time comes: once, never while
paused or cancelled, and not during an incident, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from adapters.registry import adapter_class
from inbox import events
from inbox.core.clock import FixedClock
from inbox.core.errors import InvalidInput
from inbox.core.models import Account, Event, Outbound
from inbox.outbox.sender import Sender
from inbox.service import InboxService
from tests.support.items import T0, add_account

NOW = T0 + timedelta(hours=1)
QUIET = {"send_latency_scale": 0, "send_failure_rate": 0, "send_lost_rate": 0}
"""Demo account settings: sending is instant and never fails."""


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def lead(engine, clock) -> InboxService:
    setup = InboxService(engine)
    setup.add_agent("casey", "Casey Morgan", "lead")
    setup.add_agent("alex", "Alex Kim", "agent")
    return InboxService(engine, actor="casey", clock=clock)


@pytest.fixture
def account(engine):
    return add_account(engine, "demo-x", "@brand", **QUIET)


def sender(engine, clock) -> Sender:
    return Sender(
        engine,
        lambda account, client: adapter_class(account.platform)(account, client, clock=clock),
        clock=clock,
    )


def send(engine, clock) -> None:
    asyncio.run(sender(engine, clock).send_once())


def posts_sent(engine) -> list[tuple[str, str, str]]:
    outbound = Outbound.__table__
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                select(outbound.c.kind, outbound.c.rendered_text, outbound.c.status).order_by(
                    outbound.c.id
                )
            )
        ]


def published_events(engine) -> list[dict]:
    with engine.connect() as connection:
        return [
            dict(payload)
            for payload in connection.execute(
                select(Event.__table__.c.payload).where(
                    Event.__table__.c.type == events.PostPublished.type
                )
            ).scalars()
        ]


def test_a_due_post_is_published_once_and_shows_how_it_went(engine, lead, account, clock):
    post = lead.schedule_post(
        account.id, "Shared albums keep their order now. Try it!", NOW + timedelta(hours=2)
    )
    send(engine, clock)
    assert posts_sent(engine) == [], "not before its time"

    clock.advance(hours=2)
    send(engine, clock)
    send(engine, clock)

    assert posts_sent(engine) == [("post", "Shared albums keep their order now. Try it!", "sent")]
    [published] = lead.scheduled_posts()
    assert (published.id, published.status, published.outbound_status) == (
        post.id,
        "posted",
        "sent",
    )
    [event] = published_events(engine)
    assert event["post_id"] == post.id
    with pytest.raises(InvalidInput, match="is posted; only scheduled or paused posts change"):
        lead.edit_post(post.id, text="too late")


def test_paused_and_cancelled_posts_are_not_published(engine, lead, account, clock):
    kept = lead.schedule_post(
        account.id, "Weekend tip: turn on auto-backup.", NOW + timedelta(minutes=30)
    )
    withdrawn = lead.schedule_post(account.id, "Black Friday deals!", NOW + timedelta(minutes=30))
    lead.pause_posts("waiting for legal")
    lead.resume_posts([withdrawn.id])
    lead.cancel_post(withdrawn.id)

    clock.advance(hours=1)
    send(engine, clock)

    assert posts_sent(engine) == []
    assert {(post.id, post.status) for post in lead.scheduled_posts()} == {
        (kept.id, "paused"),
        (withdrawn.id, "cancelled"),
    }


def test_a_post_due_during_an_incident_stays_paused_until_a_lead_resumes_it(
    engine, lead, account, clock
):
    post = lead.schedule_post(account.id, "New colours in the shop!", NOW + timedelta(minutes=30))
    incident, paused = lead.declare_incident("Checkout outage")
    assert paused == [post.id]

    clock.advance(hours=1)
    send(engine, clock)
    lead.end_incident(incident.id)
    send(engine, clock)
    assert posts_sent(engine) == [], "due during the incident, and ending it resumes nothing"

    assert lead.resume_posts() == [post.id]
    send(engine, clock)
    assert posts_sent(engine) == [("post", "New colours in the shop!", "sent")], (
        "resumed after its time: it goes at once"
    )


def test_two_senders_at_once_publish_every_due_post_once(engine, lead, account, clock):
    texts = [f"Tip {number}: back up your photos before a trip." for number in range(12)]
    for text in texts:
        lead.schedule_post(account.id, text, NOW + timedelta(minutes=5))
    clock.advance(minutes=10)

    async def both() -> None:
        await asyncio.gather(
            sender(engine, clock).send_once(concurrency=3),
            sender(engine, clock).send_once(concurrency=3),
        )

    asyncio.run(both())

    assert sorted(text for _, text, _ in posts_sent(engine)) == sorted(texts)
    assert {status for _, _, status in posts_sent(engine)} == {"sent"}
    assert len(published_events(engine)) == len(texts)


def test_a_post_that_cannot_go_at_its_time_is_paused_with_the_reason(engine, lead, account, clock):
    post = lead.schedule_post(account.id, "Shop opens at nine.", NOW + timedelta(minutes=5))
    with engine.begin() as connection:
        connection.execute(
            update(Account.__table__)
            .where(Account.__table__.c.id == account.id)
            .values(enabled=False)
        )
    clock.advance(minutes=10)

    send(engine, clock)

    assert posts_sent(engine) == []
    [held] = lead.scheduled_posts()
    assert held.id == post.id and held.status == "paused"
    assert (
        held.paused_reason
        == "not published at its time: The account @brand on X (demo) is disabled."
    )


def test_a_post_too_long_for_its_channel_is_refused_when_scheduled(engine, lead, account):
    with pytest.raises(
        InvalidInput, match="the post cannot go to X \\(demo\\) @brand: Too long for X"
    ):
        lead.schedule_post(account.id, "word " * 80, NOW + timedelta(hours=1))
    post = lead.schedule_post(account.id, "Short and sweet.", NOW + timedelta(hours=1))
    with pytest.raises(InvalidInput, match="Too long for X"):
        lead.edit_post(post.id, text="word " * 80)
    assert [entry.text for entry in lead.scheduled_posts()] == ["Short and sweet."]


def test_inbox_posts_and_outbox_run_from_the_shell(tmp_path, capsys):
    import json

    from inbox.cli.main import main
    from inbox.core.database import open_engine

    def run(*argv: str) -> str:
        assert main(["--db", path, *argv]) == 0
        return capsys.readouterr().out

    path = str(tmp_path / "inbox.db")
    run("agents", "add", "casey", "--name", "Casey Morgan", "--role", "lead")
    engine = open_engine(f"sqlite:///{path}")
    add_account(engine, "demo-x", "@brand", **QUIET)
    engine.dispose()
    run("--as", "casey", "incident", "declare", "Checkout outage")
    assert run(
        "--as",
        "casey",
        "posts",
        "add",
        "@brand",
        "Back to normal, thanks for your patience.",
        "--at",
        "2026-01-01T09:00+00:00",
    ).endswith(": paused (incident 1: Checkout outage)\n")
    run("--as", "casey", "outbox", "run")
    [post] = json.loads(run("--as", "casey", "posts", "list", "--format", "json"))
    assert (post["status"], post["outbound"]) == ("paused", None)

    run("--as", "casey", "incident", "end", "1")
    assert run("--as", "casey", "posts", "resume", "--all").splitlines() == [
        "resumed 1 post: 1",
        "1 of them were due already and go out with the next send: 1",
    ]
    run("--as", "casey", "outbox", "run")
    [post] = json.loads(run("--as", "casey", "posts", "list", "--format", "json"))
    assert (post["status"], post["outbound"]) == ("posted", "sent")
