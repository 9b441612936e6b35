"""Undo: a triage change put back exactly, by the person who made it, unless the thread moved on.

Close, snooze, priority, tag, assign and take hand back what undoes them; undoing restores
status and snooze time, priority, tags and assignee as they were, records its own history
line, and is refused (in words) for a thread someone or something changed since.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from inbox.core.errors import PermissionDenied
from inbox.core.models import Thread
from inbox.service import InboxService
from inbox.store.ingest import Store
from inbox.triage.lists import ThreadRow
from tests.support.items import add_account, item


class Team:
    """A lead (casey), two agents (alex, blake), a supervisor (drew) and a demo X account."""

    def __init__(self, engine, clock) -> None:
        self.engine, self.clock = engine, clock
        setup = InboxService(engine, clock=clock)
        for handle, role in (
            ("casey", "lead"),
            ("alex", "agent"),
            ("blake", "agent"),
            ("drew", "supervisor"),
        ):
            setup.add_agent(handle, handle.title(), role)
        self.account = add_account(engine, "demo-x", "@brand")
        self.count = 0

    def person(self, handle: str) -> InboxService:
        return InboxService(self.engine, actor=handle, clock=self.clock)

    def arrives(self, key: str | None = None) -> int:
        """A new message from carol, in a new thread (or in thread `key`); the thread's id."""
        self.count += 1
        message = replace(
            item(f"in-{self.count}", key or f"t{self.count}"), created_at=self.clock()
        )
        report = Store(self.engine, self.clock).ingest(self.account, "mentions", [message], None)
        return report.thread_ids[0]


@pytest.fixture
def team(engine, clock) -> Team:
    return Team(engine, clock)


def _state(row: ThreadRow) -> tuple[object, ...]:
    """What undo must restore, as a tuple to compare."""
    return (row.status, row.snoozed_until, row.closed_at, row.priority, set(row.tags), row.assignee)


@pytest.mark.postgres
def test_closing_undone_puts_the_thread_back_as_it_was_with_its_own_history_line(team):
    lead = team.person("casey")
    thread = team.arrives()
    team.clock.advance(minutes=30)
    before = lead.thread(thread)

    closed = lead.close([thread])
    assert lead.thread(thread).status == "closed"
    undone = lead.undo(closed.undo)

    assert undone.changed == (thread,) and not undone.refused
    after = lead.thread(thread)
    assert _state(after) == _state(before)
    assert after.due_at == before.due_at, "the SLA due time is back"
    lines = [entry.text for entry in lead.history(thread)]
    assert lines[-2:] == ["casey undid closing it", "status closed -> new by casey"]


@pytest.mark.postgres
def test_a_snoozed_thread_closed_then_undone_sleeps_until_the_same_time(team):
    lead = team.person("casey")
    thread = team.arrives()
    until = team.clock() + timedelta(hours=3)
    lead.snooze([thread], until)

    lead.undo(lead.close([thread]).undo)

    row = lead.thread(thread)
    assert (row.status, row.snoozed_until, row.closed_at, row.due_at) == (
        "snoozed",
        until,
        None,
        None,
    )


@pytest.mark.postgres
def test_priority_tags_and_assignee_come_back_exactly(team):
    lead = team.person("casey")
    thread = team.arrives()
    lead.tag([thread], add=["billing", "vip"])
    lead.assign([thread], "alex")
    before = lead.thread(thread)

    for change in (
        lambda: lead.set_priority([thread], "urgent"),
        lambda: lead.tag([thread], add=["refund"], remove=["vip"]),
        lambda: lead.assign([thread], "blake"),
        lambda: lead.assign([thread], None),
    ):
        assert lead.undo(change().undo).changed == (thread,)
        assert _state(lead.thread(thread)) == _state(before)

    history = [entry.text for entry in lead.history(thread)]
    assert "casey undid the tag change" in history
    assert "casey undid the assignment" in history
    assert "casey assigned this to alex (was blake)" in history


@pytest.mark.postgres
def test_undo_is_refused_for_a_thread_someone_changed_since_and_says_who(team):
    lead = team.person("casey")
    kept, changed = team.arrives(), team.arrives()
    closed = lead.close([kept, changed])
    team.person("blake").tag([changed], add=["billing"])

    undone = lead.undo(closed.undo)

    assert undone.changed == (kept,)
    assert undone.refused == {
        changed: "it changed since (blake tagged it billing); nothing was put back"
    }
    assert lead.thread(changed).status == "closed"
    assert lead.thread(kept).status == "new"


def test_a_new_message_since_the_change_stops_its_undo(team):
    lead = team.person("casey")
    thread = team.arrives("conversation")
    closed = lead.close([thread])
    team.arrives("conversation")

    undone = lead.undo(closed.undo)

    assert undone.refused == {
        thread: "it changed since (a new message reopened it); nothing was put back"
    }


def test_only_the_person_who_made_a_change_undoes_it(team):
    thread = team.arrives()
    closed = team.person("alex").close([thread])

    with pytest.raises(PermissionDenied, match="only alex, who made that change, can undo it"):
        team.person("casey").undo(closed.undo)
    with pytest.raises(PermissionDenied, match="supervisors read threads"):
        team.person("drew").undo(closed.undo)


def test_an_agent_undoes_taking_a_thread(team):
    alex = team.person("alex")
    thread = team.arrives()

    taken = alex.take([thread])
    assert alex.thread(thread).assignee == "alex"
    alex.undo(taken.undo)

    assert alex.thread(thread).assignee is None
    assert "alex undid taking it" in [entry.text for entry in alex.history(thread)]


def test_a_change_that_changed_nothing_has_nothing_to_undo(team):
    lead = team.person("casey")
    thread = team.arrives()
    lead.close([thread])

    again = lead.close([thread])

    assert again.refused == {thread: "already closed"} and again.undo is None


STATUSES = st.sampled_from(["new", "open", "pending", "snoozed"])
PRIORITIES = st.sampled_from(["low", "normal", "high", "urgent"])
TAGS = st.sets(st.sampled_from(["billing", "vip", "refund", "bug"]), max_size=3)
ASSIGNEES = st.sampled_from([None, "alex", "blake"])
CHANGES = st.sampled_from(["close", "snooze", "priority", "tag", "assign"])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    status=STATUSES,
    priority=PRIORITIES,
    tags=TAGS,
    assignee=ASSIGNEES,
    change=CHANGES,
    other_tags=TAGS,
)
def test_any_change_to_any_thread_undoes_to_exactly_where_it_was(
    team, status, priority, tags, assignee, change, other_tags
):
    lead = team.person("casey")
    thread = team.arrives()
    later = team.clock() + timedelta(hours=2)
    if status == "snoozed":
        lead.snooze([thread], later)
    elif status != "new":
        _set_status(team, thread, status)
    if priority != "normal":
        lead.set_priority([thread], priority)
    if tags:
        lead.tag([thread], add=sorted(tags))
    if assignee:
        lead.assign([thread], assignee)
    before = lead.thread(thread)

    result = {
        "close": lambda: lead.close([thread]),
        "snooze": lambda: lead.snooze([thread], later + timedelta(hours=1)),
        "priority": lambda: lead.set_priority(
            [thread], "urgent" if priority != "urgent" else "low"
        ),
        "tag": lambda: lead.tag(
            [thread], add=sorted(other_tags - tags) or ["new-tag"], remove=sorted(tags)
        ),
        "assign": lambda: lead.assign([thread], "casey" if assignee != "casey" else None),
    }[change]()
    assert result.undo is not None
    lead.undo(result.undo)

    assert _state(lead.thread(thread)) == _state(before)


def _set_status(team: Team, thread_id: int, status: str) -> None:
    """Put a thread in a status no triage key sets (pending: waiting on the customer)."""
    with team.engine.begin() as connection:
        connection.execute(
            update(Thread.__table__).where(Thread.__table__.c.id == thread_id).values(status=status)
        )
