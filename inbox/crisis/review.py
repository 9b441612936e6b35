"""The post-crisis review's data: an incident's timeline, hourly figures, outcomes and statements.

Turning it into Markdown, HTML and CSV is `inbox.reports.review`'s.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, and_, func, or_, select

from inbox import events
from inbox.core.models import Account, Agent, Event, Item, Outbound, Thread
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
TIMELINE_TYPES = (
    events.AlertRaised.type,
    events.IncidentDeclared.type,
    events.IncidentUpdated.type,
    events.IncidentStatementSent.type,
    events.PostsPaused.type,
    events.PostsResumed.type,
    events.IncidentEnded.type,
)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    actor: str
    type: str
    text: str


@dataclass(frozen=True, slots=True)
class HourFigures:
    start: datetime
    inbound: int
    incident_inbound: int
    negative_share: float | None


@dataclass(frozen=True, slots=True)
class StatementSent:
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
    first_response_during: Durations
    first_response_before: Durations
    outcomes: dict[str, int]
    activity: dict[str, dict[str, int]]
    statements: tuple[StatementSent, ...]
    threads: tuple[dict[str, Any], ...] = field(default=())


def build_review(engine: Engine, actor: Actor, incident_id: int, now: datetime) -> Review:
    """The review of an incident (ended or still running, then up to `now`)."""
    from inbox.stats.compute import compute
    from inbox.stats.figures import StatsFilter
    from inbox.stats.periods import Period

    with engine.connect() as connection:
        incident = get_incident(connection, incident_id)
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
        # Incident threads count however early their first message came (the run-up); the
        # 30 days of normal end where the first of them began.
        first_inbound = min(
            (row["first_inbound_at"] for row in thread_rows if row["first_inbound_at"]),
            default=start,
        )
        hours = _hourly(connection, incident_id, min(start, first_inbound), until)
        outcomes = dict(Counter(row["status"] for row in thread_rows))
        outcomes["answered"] = sum(1 for row in thread_rows if row["first_response_at"])
        outcomes["unanswered"] = len(thread_rows) - outcomes["answered"]
        activity = _activity(connection, incident_id, start, until)
        statements = _statements(connection, incident_id)

    def clock() -> datetime:
        return now

    during = compute(
        engine,
        actor,
        clock,
        Period(min(start, first_inbound), max(until, start + timedelta(seconds=1))),
        filters=StatsFilter(incidents=(incident_id,)),
    )
    before = compute(
        engine, actor, clock, Period(start - REVIEW_BASELINE, min(start, first_inbound))
    )
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
        result.append(record)
    return result


def _activity(
    connection: Connection, incident_id: int, start: datetime, until: datetime
) -> dict[str, dict[str, int]]:
    """Per person, how many of each kind of action they took on the incident and its threads."""
    threads = select(_thread.c.id).where(_thread.c.incident_id == incident_id)
    rows = connection.execute(
        select(_event.c.actor, _event.c.type, func.count())
        .where(
            _event.c.at >= start,
            _event.c.at <= until,
            or_(_event.c.incident_id == incident_id, _event.c.thread_id.in_(threads)),
            _event.c.actor.not_in(
                [
                    events.SYSTEM_ACTOR,
                    events.SYNC_ACTOR,
                    events.OUTBOX_ACTOR,
                    events.LISTENING_ACTOR,
                ]
            ),
        )
        .group_by(_event.c.actor, _event.c.type)
    )
    activity: dict[str, dict[str, int]] = defaultdict(dict)
    for actor_handle, event_type, count in rows:
        activity[actor_handle][event_type] = count
    return dict(sorted(activity.items()))


def _statements(connection: Connection, incident_id: int) -> tuple[StatementSent, ...]:
    from inbox.outbox.targets import channel_name

    sent = []
    for row in connection.execute(
        select(_event)
        .where(
            _event.c.incident_id == incident_id,
            _event.c.type == events.IncidentStatementSent.type,
        )
        .order_by(_event.c.id)
    ):
        statement = events.IncidentStatementSent.from_payload(row.payload or {})
        reach: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        campaign_ids = statement.campaign_ids or []
        if campaign_ids:
            for platform, status, count in connection.execute(
                select(_account.c.platform, _outbound.c.status, func.count())
                .join(_account, _account.c.id == _outbound.c.account_id)
                .where(_outbound.c.campaign_id.in_(campaign_ids))
                .group_by(_account.c.platform, _outbound.c.status)
            ):
                reach[channel_name(platform)][status] += count
        sent.append(
            StatementSent(
                row.at,
                row.actor,
                statement.text or "",
                {channel: dict(statuses) for channel, statuses in sorted(reach.items())},
            )
        )
    return tuple(sent)
