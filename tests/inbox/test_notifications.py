"""Notifications: written with the event that causes them, by whichever process writes it
(a person's service, the worker failing a send), once per person, event and kind; never to
the actor themselves; in words built from trusted parts. Read back per person until read."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from canned_responses.library import STARTER_DIRECTORY
from inbox.core.database import write_transaction
from inbox.core.models import Event, Notification
from inbox.core.notifications import NotificationKind, RecordedEvent, tell
from inbox.core.sanitize import single_line
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.conftest import REPO
from tests.support.items import add_account, item

pytestmark = pytest.mark.postgres

PEOPLE = (
    ("alex", "Alex Kim", "agent"),
    ("blake", "Blake Okafor", "agent"),
    ("casey", "Casey Morgan", "lead"),
    ("dana", "Dana Ruiz", "admin"),
    ("sam", "Sam Reyes", "supervisor"),
)
QUIET = {"send_latency_scale": 0, "send_failure_rate": 0}


class Team:
    """People and a demo X account with two threads from customers."""

    def __init__(self, engine, clock, **account_settings) -> None:
        self.engine, self.clock = engine, clock
        setup = InboxService(engine, clock=clock)
        for handle, name, role in PEOPLE:
            setup.add_agent(handle, name, role)
        self.account = add_account(engine, "demo-x", "brand", **{**QUIET, **account_settings})
        report = Store(engine, clock).ingest(
            self.account,
            "mentions",
            [item("m1", "t1", author="carol"), item("m2", "t2", author="dan")],
            None,
        )
        self.threads = report.thread_ids

    def __getattr__(self, handle: str) -> InboxService:
        return InboxService(self.engine, actor=handle, clock=self.clock)

    def told(self, handle: str) -> list[tuple[str, str]]:
        """What `handle` was told and has not read, oldest first."""
        return [(row.kind, row.text) for row in reversed(getattr(self, handle).notifications())]


@pytest.fixture
def team(engine, clock) -> Team:
    return Team(engine, clock)


def test_the_assignee_is_told_but_not_who_assigned_or_took_it(team):
    first, second = team.threads
    team.casey.assign([first], "alex")
    team.alex.take([second])
    team.casey.assign([first], None)

    assert team.told("alex") == [("assigned", f"casey assigned you thread {first}")]
    assert team.told("casey") == []


def test_everyone_a_note_mentions_is_told_except_its_author(team):
    thread_id = team.threads[0]
    team.alex.add_note(thread_id, "@blake @casey @alex the customer\nis\x1b[31m angry")

    told = f"alex mentioned you on thread {thread_id}: “@blake @casey @alex the customer”"
    assert team.told("blake") == [("mentioned", told)]
    assert team.told("casey") == [("mentioned", told)]
    assert team.told("alex") == []


def test_the_author_hears_of_approval_and_rejection_and_every_lead_of_the_wait(team):
    team.casey.import_canned(STARTER_DIRECTORY)
    first, second = team.threads
    apology = team.casey.canned_response("apology").id
    approved = team.alex.queue_reply(first, canned_response_id=apology)
    rejected = team.alex.queue_reply(second, canned_response_id=apology)

    waiting = [
        ("approval_waiting", f"alex's reply on thread {first} waits for your approval"),
        ("approval_waiting", f"alex's reply on thread {second} waits for your approval"),
    ]
    assert team.told("casey") == waiting
    assert team.told("dana") == waiting, "admins approve too"
    assert team.told("sam") == [] and team.told("blake") == []
    assert team.casey.waiting_counts().approvals == 2
    assert team.alex.waiting_counts().approvals is None

    team.casey.approve(approved.id, text="We're sorry, {author.name|there}.")
    team.dana.reject(rejected.id, "Ask what broke first")
    assert team.told("alex") == [
        ("approved", f"casey approved your reply on thread {first} with edits; it is on its way"),
        ("rejected", f"dana rejected your reply on thread {second}: “Ask what broke first”"),
    ]


def test_a_lead_approving_their_own_broadcast_tells_nobody_and_a_campaign_is_told_once(team):
    team.casey.queue_broadcast([team.account.id], "We're back.", title="Back up")
    assert team.told("dana") == []

    team.casey.declare_incident("Outage", requires_approval=True)
    team.alex.queue_bulk_reply(team.threads, "We're on it.", title="On it")
    assert team.told("casey") == [
        ("approval_waiting", "alex's message to many “On it” waits for your approval")
    ]


def test_a_failed_send_tells_its_author_and_a_person_reads_only_their_own(engine, clock):
    team = Team(engine, clock, fail_auth=True)
    row = team.alex.queue_reply(team.threads[0], "Hello")
    sender = run_sender(team)
    assert "refused the credential" in sender.stderr and "Traceback" not in sender.stderr

    [(kind, text)] = team.told("alex")
    assert kind == "failed"
    assert text.startswith(f"Your reply on thread {team.threads[0]} failed: the platform refused")
    assert team.alex.outbound(row.id).status == "failed"

    [notice] = team.alex.notifications()
    assert team.blake.mark_notifications_read([notice.id]) == 0
    assert team.alex.waiting_counts().unread == 1
    assert team.alex.mark_notifications_read([notice.id]) == 1
    assert team.alex.notifications() == []
    assert [each.read_at for each in team.alex.notifications(unread_only=False)] == [clock()]


def test_an_unconfirmed_send_tells_its_author_only_once_a_person_must_check(engine, clock):
    team = Team(engine, clock, send_lost_rate=1)
    row = team.alex.queue_reply(team.threads[0], "Hello")
    assert "Traceback" not in run_sender(team).stderr
    assert team.alex.outbound(row.id).status == "unknown"
    assert team.told("alex") == [], "the sender looks it up again by itself"


def test_recording_an_event_again_tells_nobody_twice(team):
    team.casey.assign([team.threads[0]], "alex")
    notification = Notification.__table__
    with team.engine.connect() as connection:
        [stored] = connection.execute(
            select(Event.__table__).where(Event.__table__.c.type == "thread.assigned")
        ).all()
    recorded = RecordedEvent(**stored._mapping)
    with write_transaction(team.engine) as connection:
        tell(connection, [recorded, recorded])
    with team.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(notification)).scalar() == 1
    assert [row.kind for row in team.alex.notifications()] == [NotificationKind.ASSIGNED]


def test_a_purged_account_takes_its_threads_notifications_with_it(team):
    team.casey.assign([team.threads[0]], "alex")
    team.dana.remove_account(str(team.account.id), purge=True)
    assert team.alex.notifications() == []


def test_platform_and_colleagues_words_are_told_on_one_clean_line(team):
    """A reviewer's reason and a platform's error reach the notification cleaned and short."""
    team.casey.declare_incident("Outage", requires_approval=True)
    row = team.alex.queue_reply(team.threads[0], "Hello")
    event_ids = iter(range(1_000_000, 2_000_000))

    @settings(max_examples=40, deadline=None)
    @given(words=st.text(min_size=1, max_size=400))
    def told_cleanly(words: str) -> None:
        for event_type, key in (("outbound.rejected", "note"), ("outbound.failed", "reason")):
            event_id = next(event_ids)
            recorded = RecordedEvent(
                id=event_id,
                at=team.clock(),
                actor="casey",
                type=event_type,
                thread_id=row.thread_id,
                incident_id=None,
                payload={"outbound_id": row.id, key: words},
            )
            with write_transaction(team.engine) as connection:
                tell(connection, [recorded])
                text = connection.execute(
                    select(Notification.__table__.c.text).where(
                        Notification.__table__.c.event_id == event_id
                    )
                ).scalar_one()
            assert text == single_line(text)
            assert len(text) < 300
            assert not any(ord(character) < 32 for character in text)

    told_cleanly()


def run_sender(team: Team) -> subprocess.CompletedProcess[str]:
    """`inbox outbox run` as its own process: the worker writing the send's fate."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "inbox.cli.main",
            "--db",
            team.engine.url.render_as_string(hide_password=False),
            "--as",
            "casey",
            "outbox",
            "run",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
