"""Acknowledgements: the inbox answers a new thread by itself, once, saying when a person will.

Off until a lead switches them on; sent through the outbox (approval rules apply); the
expected reply time comes from the SLA policy and its business hours; during an incident
the holding statement goes instead. An acknowledgement is never a first response: the SLA
clock and the response-time stats go on as if it had not been sent.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from adapters.base import Kind
from canned_responses.library import STARTER_DIRECTORY
from inbox.cli.main import main
from inbox.core.errors import InvalidInput, PermissionDenied
from inbox.core.models import Item, Outbound
from inbox.core.sla_settings import SlaSettings
from inbox.outbox.acknowledgements import AcknowledgementPass
from inbox.outbox.sender import Sender
from inbox.runtime import adapter_factory
from inbox.service import InboxService
from inbox.sla import SlaPolicy
from inbox.stats.periods import parse_period
from inbox.store.ingest import Store
from inbox.triage.acknowledgements import edit_acknowledgement_rule, expected_reply
from tests.support.items import add_account, item

MONDAY_MORNING = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
QUIET_DEMO = {"send_latency_scale": 0, "send_failure_rate": 0}

_outbound = Outbound.__table__
_item = Item.__table__


class Inbox:
    """A database with a lead (casey), an agent (alex), the starter answers and demo X."""

    def __init__(self, engine, clock) -> None:
        self.engine, self.clock = engine, clock
        setup = InboxService(engine, clock=clock)
        setup.add_agent("casey", "Casey Morgan", "lead")
        setup.add_agent("alex", "Alex Kim", "agent")
        self.lead = InboxService(engine, actor="casey", clock=clock)
        self.lead.import_canned(STARTER_DIRECTORY)
        self.account = add_account(engine, "demo-x", "@brand", **QUIET_DEMO)
        self.ingested = 0

    def switch_on(self) -> None:
        self.lead.set_acknowledgement_rules(
            replace(self.lead.acknowledgement_rules(), enabled=True)
        )

    def arrives(self, kind: Kind = Kind.DM, *, author: str = "carol", key: str | None = None):
        """A customer's new message, written just now; its thread's id."""
        self.ingested += 1
        message = replace(
            item(f"in-{self.ingested}", key or f"t{self.ingested}", kind=kind, author=author),
            created_at=self.clock(),
        )
        report = Store(self.engine, self.clock).ingest(self.account, "dms", [message], None)
        return report.thread_ids[0]

    def acknowledge(self) -> list[int]:
        return AcknowledgementPass(self.engine).run(self.clock())

    def send(self) -> None:
        sender = Sender(self.engine, adapter_factory(None), clock=self.clock)
        asyncio.run(sender.send_once(None))

    def acknowledgements(self, thread_id: int) -> list:
        with self.engine.connect() as connection:
            return connection.execute(
                select(_outbound).where(
                    _outbound.c.thread_id == thread_id, _outbound.c.purpose == "acknowledgement"
                )
            ).all()


@pytest.fixture
def inbox(engine, clock) -> Inbox:
    clock.now = MONDAY_MORNING
    return Inbox(engine, clock)


# -- when a customer can expect an answer ----------------------------------------------


def berlin_policy() -> SlaPolicy:
    return SlaPolicy.from_settings(SlaSettings(timezone="Europe/Berlin"))


@pytest.mark.parametrize(
    ("local_time", "kind", "said"),
    [
        ("2026-11-02 10:00", "comment", "within 4 hours"),
        ("2026-11-02 10:00", "dm", "within an hour"),
        ("2026-11-02 16:00", "comment", "by 12:00 tomorrow"),
        ("2026-11-06 16:30", "dm", "by 9:30 Monday"),
        ("2026-11-07 11:00", "dm", "by 10:00 Monday"),
        ("2026-11-02 07:10", "dm", "by 10:00 today"),
        ("2026-11-02 16:45", "dm", "by 9:45 tomorrow"),
    ],
)
def test_the_expected_reply_is_said_in_the_teams_time(local_time, kind, said):
    from zoneinfo import ZoneInfo

    now = datetime.fromisoformat(local_time).replace(tzinfo=ZoneInfo("Europe/Berlin"))
    policy = berlin_policy()

    assert expected_reply(policy, now, platform="x", kind=kind, priority="normal") == said


def test_a_due_time_between_quarters_is_rounded_up_never_down():
    from zoneinfo import ZoneInfo

    now = datetime(2026, 11, 2, 16, 53, tzinfo=ZoneInfo("Europe/Berlin"))

    said = expected_reply(berlin_policy(), now, platform="x", kind="dm", priority="normal")

    assert said == "by 10:00 tomorrow", "16:53 + 7 minutes today + 53 tomorrow = 9:53 -> 10:00"


def test_holidays_move_the_promise_to_the_next_working_day():
    from datetime import date

    policy = SlaPolicy.from_settings(SlaSettings(holidays=(date(2026, 11, 3),)))
    now = datetime(2026, 11, 2, 16, 30, tzinfo=UTC)

    said = expected_reply(policy, now, platform="x", kind="dm", priority="normal")

    assert said == "by 9:30 Wednesday"


# -- the pass ----------------------------------------------------------------------------


@pytest.mark.postgres
def test_nothing_is_acknowledged_until_a_lead_switches_it_on(inbox):
    thread_id = inbox.arrives()

    assert inbox.lead.acknowledgement_rules().enabled is False
    assert inbox.acknowledge() == []
    assert inbox.acknowledgements(thread_id) == []


@pytest.mark.postgres
def test_a_first_dm_is_acknowledged_once_with_when_a_person_replies(inbox):
    inbox.switch_on()
    thread_id = inbox.arrives(author="dana")
    due_before = inbox.lead.thread(thread_id).due_at

    [outbound_id] = inbox.acknowledge()
    assert inbox.acknowledge() == [], "a second pass finds nothing to do"

    queued = inbox.lead.outbound(outbound_id)
    assert queued.purpose == "acknowledgement" and queued.status == "queued"
    assert queued.rendered_text == (
        "Thanks for your message, Dana. We've got it, and a person from our team will reply "
        "within an hour."
    )
    inbox.send()
    inbox.clock.advance(minutes=5)
    assert inbox.acknowledge() == [], "sent: still never twice"

    thread = inbox.lead.thread(thread_id)
    assert thread.first_response_at is None, "an acknowledgement is not a first response"
    assert thread.due_at == due_before, "the SLA clock runs on"
    assert thread.status == "new"
    [customer, acknowledgement] = inbox.lead.thread_items(thread_id)
    assert acknowledgement.direction == "out" and acknowledgement.automated
    assert not customer.automated
    history = [entry.text for entry in inbox.lead.history(thread_id)]
    assert "the inbox queued an acknowledgement" in history
    assert history[-1] == "reply sent"


@pytest.mark.postgres
def test_outside_hours_the_out_of_hours_answer_says_when_the_team_is_back(inbox):
    inbox.clock.now = datetime(2026, 11, 7, 11, 0, tzinfo=UTC)
    inbox.switch_on()
    thread_id = inbox.arrives(Kind.DM)

    inbox.acknowledge()

    [row] = inbox.acknowledgements(thread_id)
    assert "will reply by 10:00 Monday." in row.rendered_text
    assert "Our team is offline right now" in row.rendered_text


@pytest.mark.postgres
def test_comments_wait_for_an_incident_and_then_get_its_holding_statement(inbox):
    inbox.switch_on()
    quiet_day = inbox.arrives(Kind.COMMENT)
    inbox.acknowledge()
    assert inbox.acknowledgements(quiet_day) == [], "the default rules answer first DMs only"

    inbox.lead.declare_incident(
        "Checkout down",
        holding_statement="We know checkout is down, {author.name|there}; updates follow.",
    )
    during = inbox.arrives(Kind.COMMENT, author="erin")
    inbox.acknowledge()

    [row] = inbox.acknowledgements(during)
    assert row.rendered_text == "We know checkout is down, Erin; updates follow."


@pytest.mark.postgres
def test_when_the_incident_asks_for_approval_the_acknowledgement_waits_for_a_lead(inbox):
    inbox.switch_on()
    inbox.lead.declare_incident(
        "Checkout down", holding_statement="We're on it.", requires_approval=True
    )
    thread_id = inbox.arrives(Kind.COMMENT)

    [outbound_id] = inbox.acknowledge()

    assert inbox.lead.outbound(outbound_id).status == "awaiting_approval"
    assert [row.id for row in inbox.lead.approvals()] == [outbound_id]
    inbox.acknowledge()
    assert len(inbox.acknowledgements(thread_id)) == 1


@pytest.mark.postgres
def test_the_database_refuses_a_second_acknowledgement_of_a_thread(inbox):
    inbox.switch_on()
    thread_id = inbox.arrives()
    [first] = inbox.acknowledge()
    row = dict(inbox.acknowledgements(thread_id)[0]._mapping)
    row.pop("id")

    with pytest.raises(IntegrityError), inbox.engine.begin() as connection:
        connection.execute(insert(_outbound).values({**row, "idempotency_key": "another"}))

    racing = AcknowledgementPass(inbox.engine)
    assert racing.run(inbox.clock()) == [] and len(inbox.acknowledgements(thread_id)) == 1


@pytest.mark.postgres
def test_two_passes_that_both_saw_the_thread_queue_one_acknowledgement(inbox, monkeypatch):
    from inbox.outbox import acknowledgements

    inbox.switch_on()
    thread_id = inbox.arrives()
    seen = acknowledgements.unacknowledged_threads
    with inbox.engine.connect() as connection:
        stale = seen(connection, inbox.clock())
    first = AcknowledgementPass(inbox.engine).run(inbox.clock())
    monkeypatch.setattr(acknowledgements, "unacknowledged_threads", lambda *args: stale)

    second = AcknowledgementPass(inbox.engine).run(inbox.clock())

    assert len(first) == 1 and second == []
    assert len(inbox.acknowledgements(thread_id)) == 1


@pytest.mark.postgres
def test_a_person_answering_first_means_no_acknowledgement_and_never_the_reverse(inbox):
    alex = InboxService(inbox.engine, actor="alex", clock=inbox.clock)
    inbox.switch_on()
    answered = inbox.arrives(author="fran")
    alex.queue_reply(answered, "Hi Fran, looking now.")
    acknowledged = inbox.arrives(author="gus")

    inbox.acknowledge()
    reply = alex.queue_reply(acknowledged, "Hi Gus, here is the fix.")

    assert inbox.acknowledgements(answered) == []
    assert len(inbox.acknowledgements(acknowledged)) == 1
    assert reply.status == "queued", "a pending acknowledgement never blocks a person's reply"


@pytest.mark.postgres
def test_old_threads_spam_and_closed_threads_are_left_alone(inbox):
    old = inbox.arrives(author="hal")
    inbox.clock.advance(hours=2)
    inbox.switch_on()
    spam = inbox.arrives(author="ivy")
    inbox.lead.mark_spam([spam])
    closed = inbox.arrives(author="jo")
    inbox.lead.close([closed])

    assert inbox.acknowledge() == []
    assert not any(inbox.acknowledgements(thread) for thread in (old, spam, closed))


@pytest.mark.postgres
def test_stats_count_no_acknowledgement_as_a_first_response(inbox):
    inbox.switch_on()
    inbox.arrives()
    inbox.acknowledge()
    inbox.send()
    inbox.clock.advance(minutes=1)

    stats = inbox.lead.stats(parse_period("1d", None, inbox.clock()))

    assert stats.figures.first_response.count == 0
    assert stats.figures.sla.waiting == 1


def test_a_persons_reply_may_say_when_to_expect_more(inbox):
    alex = InboxService(inbox.engine, actor="alex", clock=inbox.clock)
    thread_id = inbox.arrives(Kind.COMMENT)

    reply = alex.queue_reply(thread_id, "Passing this on; expect an answer {sla.expected_reply}.")

    assert reply.rendered_text == "Passing this on; expect an answer within 4 hours."


# -- the rules -------------------------------------------------------------------------


def test_rules_are_checked_and_only_leads_change_them(inbox):
    rules = inbox.lead.acknowledgement_rules()
    alex = InboxService(inbox.engine, actor="alex", clock=inbox.clock)

    with pytest.raises(PermissionDenied, match="only admin, lead may change the team's"):
        alex.set_acknowledgement_rules(replace(rules, enabled=True))
    with pytest.raises(InvalidInput, match="'tweet' is not a thread kind"):
        edit_acknowledgement_rule(rules, "first-dm", {"kinds": "tweet"})
    with pytest.raises(InvalidInput, match="no prepared answer 'nope'"):
        inbox.lead.set_acknowledgement_rules(
            edit_acknowledgement_rule(rules, "mentions", {"answer": "nope"})
        )
    saved = inbox.lead.set_acknowledgement_rules(
        edit_acknowledgement_rule(rules, "mentions", {"kinds": "mention", "answer": "received"})
    )
    assert [rule.name for rule in saved.rules] == ["first-dm", "incident", "mentions"]
    assert saved.version == 1


def run(capsys, *arguments: str) -> tuple[int, str, str]:
    status = main(list(arguments))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_the_rules_from_the_shell(inbox, capsys, database_url):
    db = database_url

    status, out, _ = run(capsys, "--db", db, "acknowledgements", "show")
    assert status == 0
    assert out.startswith("acknowledgements: off (`inbox acknowledgements on` switches them on)")
    assert "first-dm" in out and "out-of-hours" in out

    status, out, _ = run(capsys, "--db", db, "--as", "casey", "acknowledgements", "on")
    assert (status, out.strip()) == (0, "acknowledgements are on (version 1)")

    status, out, _ = run(
        capsys,
        "--db",
        db,
        "--as",
        "casey",
        "acknowledgements",
        "set",
        "incident",
        "platforms=x,bluesky",
    )
    assert status == 0
    assert out.strip() == (
        "saved the rule incident: every kind on x, bluesky during an incident; answer "
        "acknowledge (version 2)"
    )

    status, _, err = run(
        capsys, "--db", db, "--as", "alex", "acknowledgements", "remove", "incident"
    )
    assert status == 4 and "only admin, lead may change the team's settings" in err

    status, out, _ = run(capsys, "--db", db, "acknowledgements", "show", "--format", "json")
    import json

    shown = json.loads(out)
    assert shown["enabled"] is True and shown["version"] == 2
    assert shown["rules"][1]["platforms"] == ["x", "bluesky"]


def test_an_acknowledgement_is_shown_as_the_inbox_s_in_threads_show(inbox, capsys, database_url):
    inbox.switch_on()
    thread_id = inbox.arrives(author="kim")
    inbox.acknowledge()
    inbox.send()

    status, out, _ = run(capsys, "--db", database_url, "threads", "show", str(thread_id))

    assert status == 0
    assert "acknowledgement sent by the inbox · message 2:" in out
    assert "within an hour" in out
