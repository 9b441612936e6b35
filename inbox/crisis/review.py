"""The post-crisis review's data: an incident's timeline, hourly figures, outcomes and statements.

Turning it into Markdown, HTML and CSV is `inbox.reports.review`'s.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, and_, func, or_, select

from inbox import events
from inbox.core.models import Account, Agent, Event, Item, Outbound, Thread, ThreadStatus
from inbox.core.sentiment import NEGATIVE_THRESHOLD
from inbox.crisis.incidents import MATCH_LOOKBACK, IncidentRow, get_incident

if TYPE_CHECKING:
    from inbox.core.access import Actor
    from inbox.stats.figures import Durations

_thread = Thread.__table__
_item = Item.__table__
_account = Account.__table__
_agent = Agent.__table__
_event = Event.__table__
_outbound = Outbound.__table__

REVIEW_BASELINE = timedelta(days=30)
"""How far back the "before" figures reach from the start of the review's window."""
REVIEW_MARGIN = timedelta(hours=1)
"""How much before the incident's start and after its end the hourly figures cover."""
TIMELINE_TYPES = (
    events.AlertRaised.type,
    events.IncidentDeclared.type,
    events.IncidentUpdated.type,
    events.IncidentStatementSent.type,
    events.PostsPaused.type,
    events.PostsResumed.type,
    events.IncidentEnded.type,
)


class Outcome(StrEnum):
    """Where an incident thread ended up; each thread has exactly one."""

    CLOSED = "closed"
    ANSWERED = "answered, still open"
    """Our reply is the latest message, and the thread is not closed."""
    WAITING = "waiting for a reply"
    """The customer's message is the latest, and the thread is not closed."""


class Activity(StrEnum):
    """What a person did in an incident, in the order the review tells it."""

    DECLARED = "declared"
    UPDATED = "updated"
    STATEMENTS = "statements"
    ANSWERED = "answered"
    """Threads answered (a reply queued in them, one's own or as part of a statement)."""
    TOOK = "took"
    ASSIGNED = "assigned"
    TAGGED = "tagged"
    UNTAGGED = "untagged"
    PRIORITY = "priority"
    SNOOZED = "snoozed"
    CLOSED = "closed"
    REOPENED = "reopened"
    STATUS = "status"
    NOTES = "notes"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDREW = "withdrew"
    PAUSED_POSTS = "paused_posts"
    RESUMED_POSTS = "resumed_posts"
    ACKNOWLEDGED = "acknowledged"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One moment of the incident: an alert, the declaration, a statement, the end."""

    at: datetime
    actor: str
    type: str
    text: str


@dataclass(frozen=True, slots=True)
class HourFigures:
    """Messages in during one hour, on the incident's threads, and the negative share."""

    start: datetime
    inbound: int
    incident_inbound: int
    negative_share: float | None


@dataclass(frozen=True, slots=True)
class StatementSent:
    """A statement as it went out: its text with every variable filled, and where it reached."""

    at: datetime
    actor: str
    text: str
    reach: dict[str, dict[str, int]]
    """Per channel: targets by outbound status (sent, queued, failed, ...)."""


@dataclass(frozen=True, slots=True)
class Review:
    """Everything the post-crisis review shows."""

    incident: IncidentRow
    until: datetime
    timeline: tuple[TimelineEntry, ...]
    hours: tuple[HourFigures, ...]
    """From an hour before the start to an hour after the end (or now, if sooner)."""
    first_response_during: Durations
    first_response_before: Durations
    outcomes: dict[Outcome, int]
    """Threads per outcome, every outcome listed; each thread is counted once."""
    activity: dict[str, dict[Activity, int]]
    """Per person (handle), how many of each thing they did, in `Activity` order."""
    statements: tuple[StatementSent, ...]
    threads: tuple[dict[str, Any], ...] = field(default=())
    """One record per incident thread, its `outcome` among them (the threads CSV)."""


def build_review(engine: Engine, actor: Actor, incident_id: int, now: datetime) -> Review:
    """The review of an incident (ended or still running, then up to `now`)."""
    from inbox.stats.compute import compute
    from inbox.stats.figures import StatsFilter
    from inbox.stats.periods import Period

    with engine.connect() as connection:
        incident = get_incident(connection, incident_id)
        if incident.holding_statement:
            incident = replace(
                incident, holding_statement=_filled(incident.holding_statement, incident)
            )
        start, until = incident.started_at, incident.ended_at or now
        lookback = start - MATCH_LOOKBACK
        event_rows = connection.execute(
            select(_event)
            .where(
                or_(
                    _event.c.incident_id == incident_id,
                    and_(
                        _event.c.type == events.AlertRaised.type,
                        _event.c.at >= lookback,
                        _event.c.at <= until,
                    ),
                ),
                _event.c.type.in_(TIMELINE_TYPES),
            )
            .order_by(_event.c.at, _event.c.id)
        ).all()
        timeline = tuple(
            TimelineEntry(
                row.at, row.actor, row.type, events.describe(row.actor, row.type, row.payload)
            )
            for row in event_rows
        )
        thread_rows = _incident_threads(connection, incident_id)
        # The window the figures cover: the incident with an hour either side (the run-up
        # and the tail), never past now.
        window_start = start - REVIEW_MARGIN
        window_end = max(until, min(until + REVIEW_MARGIN, now))
        hours = _hourly(connection, incident_id, window_start, window_end)
        outcomes = dict.fromkeys(Outcome, 0)
        for row in thread_rows:
            outcomes[row["outcome"]] += 1
        activity = _activity(connection, incident_id, start, until)
        statements = _statements(connection, incident)

    def clock() -> datetime:
        return now

    during = compute(
        engine,
        actor,
        clock,
        Period(window_start, max(until, start + timedelta(seconds=1))),
        filters=StatsFilter(incidents=(incident_id,)),
    )
    before = compute(engine, actor, clock, Period(window_start - REVIEW_BASELINE, window_start))
    return Review(
        incident=incident,
        until=until,
        timeline=timeline,
        hours=hours,
        first_response_during=during.figures.first_response,
        first_response_before=before.figures.first_response,
        outcomes=outcomes,
        activity=activity,
        statements=statements,
        threads=tuple(thread_rows),
    )


def _hourly(
    connection: Connection, incident_id: int, start: datetime, until: datetime
) -> tuple[HourFigures, ...]:
    first_hour = start.replace(minute=0, second=0, microsecond=0)
    buckets: dict[datetime, list[int]] = {}
    hour = first_hour
    while hour < until or hour == first_hour:
        buckets[hour] = [0, 0, 0, 0]
        hour += timedelta(hours=1)
    rows = connection.execute(
        select(_item.c.created_at, _item.c.sentiment, _thread.c.incident_id)
        .join(_thread, _thread.c.id == _item.c.thread_id)
        .where(
            _item.c.direction == "in", _item.c.created_at >= first_hour, _item.c.created_at <= until
        )
    )
    for row in rows:
        counts = buckets.get(row.created_at.replace(minute=0, second=0, microsecond=0))
        if counts is None:
            continue
        counts[0] += 1
        counts[1] += row.incident_id == incident_id
        if row.sentiment is not None:
            counts[2] += 1
            counts[3] += row.sentiment <= NEGATIVE_THRESHOLD
    return tuple(
        HourFigures(hour, inbound, mine, round(negative / scored, 4) if scored else None)
        for hour, (inbound, mine, scored, negative) in buckets.items()
    )


def _incident_threads(connection: Connection, incident_id: int) -> list[dict[str, Any]]:
    from inbox.core.models import Contact

    contact = Contact.__table__
    rows = connection.execute(
        select(
            _thread.c.id,
            _account.c.platform,
            _account.c.handle.label("account"),
            _thread.c.kind,
            _thread.c.status,
            contact.c.handle.label("author"),
            _agent.c.handle.label("assignee"),
            _thread.c.first_inbound_at,
            _thread.c.first_response_at,
            _thread.c.last_inbound_at,
            _thread.c.last_outbound_at,
            _thread.c.closed_at,
            _thread.c.item_count,
            _thread.c.sentiment,
            _thread.c.preview,
        )
        .join(_account, _account.c.id == _thread.c.account_id)
        .outerjoin(contact, contact.c.id == _thread.c.contact_id)
        .outerjoin(_agent, _agent.c.id == _thread.c.assignee_id)
        .where(_thread.c.incident_id == incident_id)
        .order_by(_thread.c.id)
    )
    result = []
    for row in rows:
        record = dict(row._mapping)
        waited = (
            (row.first_response_at - row.first_inbound_at).total_seconds()
            if row.first_response_at and row.first_inbound_at
            else None
        )
        record["first_response_seconds"] = waited
        record["outcome"] = _outcome(row.status, row.last_inbound_at, row.last_outbound_at)
        result.append(record)
    return result


def _outcome(
    status: str, last_inbound_at: datetime | None, last_outbound_at: datetime | None
) -> Outcome:
    """Closed, else answered when our reply came after their latest message, else waiting."""
    if status == ThreadStatus.CLOSED:
        return Outcome.CLOSED
    if last_outbound_at is not None and (
        last_inbound_at is None or last_outbound_at >= last_inbound_at
    ):
        return Outcome.ANSWERED
    return Outcome.WAITING


_PEOPLE_ONLY = (
    events.SYSTEM_ACTOR,
    events.SYNC_ACTOR,
    events.OUTBOX_ACTOR,
    events.LISTENING_ACTOR,
    events.ASSIGN_ACTOR,
)
_STATUS_ACTIVITY = {
    ThreadStatus.CLOSED: Activity.CLOSED,
    ThreadStatus.SNOOZED: Activity.SNOOZED,
}


_COUNTED: dict[type[events.InboxEvent], Activity] = {
    events.IncidentDeclared: Activity.DECLARED,
    events.IncidentUpdated: Activity.UPDATED,
    events.IncidentStatementSent: Activity.STATEMENTS,
    events.IncidentEnded: Activity.ENDED,
    events.PostsPaused: Activity.PAUSED_POSTS,
    events.PostsResumed: Activity.RESUMED_POSTS,
    events.AlertAcknowledged: Activity.ACKNOWLEDGED,
    events.NoteAdded: Activity.NOTES,
    events.OutboundApproved: Activity.APPROVED,
    events.OutboundRejected: Activity.REJECTED,
    events.OutboundCancelled: Activity.WITHDREW,
}
"""What a person did that counts once per event (pausing and resuming count the posts)."""


def _activity(
    connection: Connection, incident_id: int, start: datetime, until: datetime
) -> dict[str, dict[Activity, int]]:
    """Per person, what they did on the incident and its threads between `start` and `until`.

    Work on threads counts threads (tagging one thread twice is one thread tagged); scheduled
    posts count posts; the rest counts the times it was done.
    """
    threads = select(_thread.c.id).where(_thread.c.incident_id == incident_id)
    rows = connection.execute(
        select(_event.c.actor, _event.c.type, _event.c.thread_id, _event.c.payload)
        .where(
            _event.c.at >= start,
            _event.c.at <= until,
            or_(_event.c.incident_id == incident_id, _event.c.thread_id.in_(threads)),
            _event.c.actor.not_in(_PEOPLE_ONLY),
        )
        .order_by(_event.c.id)
    )
    thread_sets: dict[str, dict[Activity, set[int]]] = defaultdict(lambda: defaultdict(set))
    counts: dict[str, dict[Activity, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        event = events.parse(row.type, row.payload)
        person = row.actor
        on_thread = thread_sets[person]
        counted_kind = _COUNTED.get(type(event))
        if counted_kind is not None:
            posts = isinstance(event, events.PostsPaused | events.PostsResumed)
            counts[person][counted_kind] += len(event.post_ids or []) if posts else 1
        elif row.thread_id is None:
            continue
        elif isinstance(event, events.OutboundQueued | events.OutboundAwaitingApproval):
            if (event.kind or "reply") == "reply":
                on_thread[Activity.ANSWERED].add(row.thread_id)
        elif isinstance(event, events.ThreadAssigned):
            took = event.after == person and event.before is None
            on_thread[Activity.TOOK if took else Activity.ASSIGNED].add(row.thread_id)
        elif isinstance(event, events.ThreadTagged):
            on_thread[Activity.TAGGED].add(row.thread_id)
        elif isinstance(event, events.ThreadUntagged):
            on_thread[Activity.UNTAGGED].add(row.thread_id)
        elif isinstance(event, events.ThreadPriorityChanged):
            on_thread[Activity.PRIORITY].add(row.thread_id)
        elif isinstance(event, events.ThreadStatusChanged):
            if event.before == ThreadStatus.CLOSED:
                kind = Activity.REOPENED
            else:
                kind = _STATUS_ACTIVITY.get(event.after or "", Activity.STATUS)
            on_thread[kind].add(row.thread_id)
    for person, sets in thread_sets.items():
        for kind, thread_ids in sets.items():
            counts[person][kind] = len(thread_ids)
    return {
        person: {kind: done[kind] for kind in Activity if done.get(kind)}
        for person, done in sorted(counts.items())
        if any(done.values())
    }


def _statements(connection: Connection, incident: IncidentRow) -> tuple[StatementSent, ...]:
    """Each statement as it went out (its text as posted), with its reach per channel."""
    from inbox.outbox.targets import channel_name

    sent = []
    for row in connection.execute(
        select(_event)
        .where(
            _event.c.incident_id == incident.id,
            _event.c.type == events.IncidentStatementSent.type,
        )
        .order_by(_event.c.id)
    ):
        statement = events.IncidentStatementSent.from_payload(row.payload or {})
        reach: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        campaign_ids = statement.campaign_ids or []
        as_posted = None
        if campaign_ids:
            for platform, status, count in connection.execute(
                select(_account.c.platform, _outbound.c.status, func.count())
                .join(_account, _account.c.id == _outbound.c.account_id)
                .where(_outbound.c.campaign_id.in_(campaign_ids))
                .group_by(_account.c.platform, _outbound.c.status)
            ):
                reach[channel_name(platform)][status] += count
            # The text as it went out: an account post's, else a reply's.
            as_posted = connection.execute(
                select(_outbound.c.rendered_text)
                .where(_outbound.c.campaign_id.in_(campaign_ids))
                .order_by((_outbound.c.kind != "post"), _outbound.c.id)
                .limit(1)
            ).scalar()
        if not as_posted:
            as_posted = _filled(statement.text or "", incident)
        sent.append(
            StatementSent(
                row.at,
                row.actor,
                as_posted,
                {channel: dict(statuses) for channel, statuses in sorted(reach.items())},
            )
        )
    return tuple(sent)


def _filled(template: str, incident: IncidentRow) -> str:
    """A statement's text with the incident's variables filled, as people received it."""
    from canned_responses.render import RenderContext, fill

    context = RenderContext(incident_title=incident.title, incident_status_url=incident.status_url)
    return fill(template, context).text
