"""Incidents: declaring, updating and ending them, and tagging the threads that match them.

Declaring an incident pauses every scheduled post (`inbox.outbox.scheduled`); its match
keywords are kept as an `incident_match` listening rule. An incident's threads are the open
threads, of any age, whose customers' messages mention one of those words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, case, func, insert, or_, select, update

from inbox import events
from inbox.core.database import write_transaction
from inbox.core.errors import InvalidInput, NotFound
from inbox.core.models import (
    Agent,
    AlertRule,
    Event,
    Incident,
    Item,
    ScheduledPost,
    Thread,
    ThreadStatus,
    ThreadTag,
)
from inbox.crisis.listening import INCIDENT_MATCH, RuleRow, phrase_pattern, words
from inbox.outbox.scheduled import PAUSED, pause_scheduled_posts

if TYPE_CHECKING:
    from inbox.core.access import Actor

_rule = AlertRule.__table__
_incident = Incident.__table__
_post = ScheduledPost.__table__
_thread = Thread.__table__
_item = Item.__table__
_tag = ThreadTag.__table__
_agent = Agent.__table__
_event = Event.__table__

SCOPES = ("local", "national", "global")
ACTIVE = "active"
ENDED = "ended"

MATCH_LOOKBACK = timedelta(hours=2)
"""How far before its declaration an incident's run-up reaches: the alerts its review shows."""

_IN_CHUNK = 500


@dataclass(frozen=True, slots=True)
class IncidentRow:
    """An incident with its match keywords and thread counts."""

    id: int
    title: str
    severity: int
    scope: str
    status: str
    status_url: str | None
    holding_statement: str | None
    update_interval_minutes: int
    requires_approval: bool
    declared_by: str | None
    started_at: datetime
    last_update_at: datetime | None
    ended_at: datetime | None
    match: tuple[str, ...]
    threads: int
    open_threads: int

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    @property
    def next_update_due(self) -> datetime | None:
        """When the next public update is due; None once the incident has ended."""
        if not self.active:
            return None
        return (self.last_update_at or self.started_at) + timedelta(
            minutes=self.update_interval_minutes
        )


@dataclass(frozen=True, slots=True)
class CrisisStatus:
    """What the crisis bar shows: the active incident and how the response is going."""

    incident: IncidentRow
    answered_threads: int
    """Incident threads with a first response."""
    statements_sent: int
    paused_posts: int
    other_active: int
    """Further active incidents besides `incident`, the latest."""


def incident_tag(incident_id: int) -> str:
    """The tag threads of an incident carry."""
    return f"incident-{incident_id}"


def _incident_rows(connection: Connection, *conditions: Any) -> list[IncidentRow]:
    counts = (
        select(
            _thread.c.incident_id,
            func.count().label("threads"),
            func.sum(case((_thread.c.status != ThreadStatus.CLOSED, 1), else_=0)).label(
                "open_threads"
            ),
        )
        .where(_thread.c.incident_id.is_not(None))
        .group_by(_thread.c.incident_id)
        .subquery()
    )
    query = (
        select(
            _incident,
            _agent.c.handle.label("declarer"),
            func.coalesce(counts.c.threads, 0).label("thread_count"),
            func.coalesce(counts.c.open_threads, 0).label("open_count"),
        )
        .outerjoin(_agent, _agent.c.id == _incident.c.declared_by)
        .outerjoin(counts, counts.c.incident_id == _incident.c.id)
        .where(*conditions)
        .order_by(_incident.c.started_at.desc(), _incident.c.id.desc())
    )
    rows = connection.execute(query).all()
    matches = {
        rule.config.get("incident_id"): tuple(rule.config.get("keywords", []))
        for rule in _match_rules(connection)
    }
    return [
        IncidentRow(
            id=row.id,
            title=row.title,
            severity=row.severity,
            scope=row.scope,
            status=row.status,
            status_url=row.status_url,
            holding_statement=row.holding_statement,
            update_interval_minutes=row.update_interval_minutes,
            requires_approval=row.requires_approval,
            declared_by=row.declarer,
            started_at=row.started_at,
            last_update_at=row.last_update_at,
            ended_at=row.ended_at,
            match=matches.get(row.id, ()),
            threads=int(row.thread_count),
            open_threads=int(row.open_count),
        )
        for row in rows
    ]


def _match_rules(connection: Connection, incident_id: int | None = None) -> list[RuleRow]:
    rules = [
        RuleRow(row.id, row.name, row.type, dict(row.config), row.enabled, row.created_at)
        for row in connection.execute(
            select(_rule)
            .where(_rule.c.type == INCIDENT_MATCH, _rule.c.enabled.is_(True))
            .order_by(_rule.c.id)
        )
    ]
    return [
        rule
        for rule in rules
        if incident_id is None or rule.config.get("incident_id") == incident_id
    ]


def list_incidents(connection: Connection, *, active_only: bool = False) -> list[IncidentRow]:
    """Incidents, newest first."""
    return _incident_rows(connection, *([_incident.c.status == ACTIVE] if active_only else []))


def get_incident(connection: Connection, incident_id: int) -> IncidentRow:
    """One incident; NotFound if there is none."""
    found = _incident_rows(connection, _incident.c.id == incident_id)
    if not found:
        raise NotFound(f"no incident {incident_id} (`inbox incident list` shows them)")
    return found[0]


def crisis_status(connection: Connection) -> CrisisStatus | None:
    """The latest active incident with its counts, or None when no incident is active."""
    active = list_incidents(connection, active_only=True)
    if not active:
        return None
    incident = active[0]
    answered = connection.execute(
        select(func.count()).where(
            _thread.c.incident_id == incident.id, _thread.c.first_response_at.is_not(None)
        )
    ).scalar()
    statements = connection.execute(
        select(func.count()).where(
            _event.c.incident_id == incident.id, _event.c.type == events.IncidentStatementSent.type
        )
    ).scalar()
    paused = connection.execute(select(func.count()).where(_post.c.status == PAUSED)).scalar()
    return CrisisStatus(incident, int(answered), int(statements), int(paused), len(active) - 1)


def _incident_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Incident columns checked: severity 1-3, a known scope, a positive update interval."""
    values = {key: value for key, value in fields.items() if value is not None}
    if "title" in values:
        values["title"] = str(values["title"]).strip()
        if not values["title"]:
            raise InvalidInput("an incident needs a title")
    if "severity" in values and values["severity"] not in (1, 2, 3):
        raise InvalidInput(f"severity is 1, 2 or 3 (1 the most severe), not {values['severity']!r}")
    if "scope" in values and values["scope"] not in SCOPES:
        raise InvalidInput(f"scope is one of {', '.join(SCOPES)}, not {values['scope']!r}")
    if "update_interval_minutes" in values and int(values["update_interval_minutes"]) < 1:
        raise InvalidInput("the update interval is at least one minute")
    for key in ("status_url", "holding_statement"):
        if key in values and not str(values[key]).strip():
            values[key] = None
    return values


def _set_match(
    connection: Connection,
    incident_id: int,
    keywords: Sequence[str],
    *,
    actor: Actor,
    now: datetime,
) -> None:
    connection.execute(
        update(_rule)
        .where(_rule.c.id.in_([rule.id for rule in _match_rules(connection, incident_id)]))
        .values(enabled=False)
    )
    if keywords:
        connection.execute(
            insert(_rule).values(
                name=f"incident {incident_id} match",
                type=INCIDENT_MATCH,
                config={"incident_id": incident_id, "keywords": list(keywords)},
                enabled=True,
                created_by=actor.agent_id,
                created_at=now,
            )
        )


def declare_incident(
    connection: Connection,
    *,
    actor: Actor,
    now: datetime,
    title: str,
    severity: int = 2,
    scope: str = "national",
    status_url: str | None = None,
    holding_statement: str | None = None,
    update_interval_minutes: int = 60,
    requires_approval: bool = False,
    match: Sequence[str] = (),
) -> tuple[int, list[int]]:
    """Declare an incident and pause publishing; returns its id and the posts paused."""
    values = _incident_fields(
        {
            "title": title,
            "severity": severity,
            "scope": scope,
            "status_url": status_url,
            "holding_statement": holding_statement,
            "update_interval_minutes": update_interval_minutes,
        }
    )
    keywords = words(match)
    incident_id = connection.execute(
        insert(_incident).values(
            status=ACTIVE,
            requires_approval=requires_approval,
            declared_by=actor.agent_id,
            started_at=now,
            **values,
        )
    ).inserted_primary_key[0]
    _set_match(connection, incident_id, keywords, actor=actor, now=now)
    events.record(
        connection,
        events.IncidentDeclared(**values, requires_approval=requires_approval, match=keywords),
        at=now,
        actor=actor.handle,
        incident_id=incident_id,
    )
    paused = pause_scheduled_posts(
        connection,
        f"incident {incident_id}: {values['title']}",
        actor=actor,
        now=now,
        incident_id=incident_id,
    )
    return incident_id, paused


def update_incident(
    connection: Connection,
    incident_id: int,
    *,
    actor: Actor,
    now: datetime,
    public_update: bool = False,
    match: Sequence[str] | None = None,
    requires_approval: bool | None = None,
    **fields: Any,
) -> IncidentRow:
    """Change an active incident's fields; `public_update` records that an update went out now."""
    incident = get_incident(connection, incident_id)
    if not incident.active:
        raise InvalidInput(f"incident {incident_id} has ended")
    values = _incident_fields(fields)
    if requires_approval is not None:
        values["requires_approval"] = requires_approval
    if public_update:
        values["last_update_at"] = now
    changed = {key: value for key, value in values.items() if key != "last_update_at"}
    if match is not None:
        changed["match"] = words(match)
        _set_match(connection, incident_id, changed["match"], actor=actor, now=now)
    if not values and match is None:
        raise InvalidInput("nothing to change: give a field or --public-update")
    if values:
        connection.execute(update(_incident).where(_incident.c.id == incident_id).values(**values))
    events.record(
        connection,
        events.IncidentUpdated(changed=changed, public_update=public_update),
        at=now,
        actor=actor.handle,
        incident_id=incident_id,
    )
    return get_incident(connection, incident_id)


def end_incident(
    connection: Connection,
    incident_id: int,
    *,
    actor: Actor,
    now: datetime,
    note: str | None = None,
) -> IncidentRow:
    """Record the end; scheduled posts stay paused until a lead resumes them."""
    incident = get_incident(connection, incident_id)
    if not incident.active:
        raise InvalidInput(f"incident {incident_id} has already ended")
    connection.execute(
        update(_incident).where(_incident.c.id == incident_id).values(status=ENDED, ended_at=now)
    )
    connection.execute(
        update(_rule)
        .where(_rule.c.id.in_([rule.id for rule in _match_rules(connection, incident_id)]))
        .values(enabled=False)
    )
    events.record(
        connection,
        events.IncidentEnded(
            note=note, duration_seconds=(now - incident.started_at).total_seconds()
        ),
        at=now,
        actor=actor.handle,
        incident_id=incident_id,
    )
    return get_incident(connection, incident_id)


def tag_incident_threads(
    engine: Engine,
    incident_id: int,
    now: datetime,
    *,
    since: datetime | None = None,
    actor: str = events.SYSTEM_ACTOR,
) -> int:
    """Tag to an active incident the open threads whose inbound messages mention its words.

    Any message up to `now` counts, however old, or only those after `since` (the sync
    looks at what landed since it last looked). Closed threads and threads already tied to
    an incident are left alone. Returns how many threads were tagged.
    """
    with write_transaction(engine) as connection:
        return _tag_threads(connection, incident_id, now, since=since, actor=actor)


def tag_active_incidents(
    engine: Engine, now: datetime, *, since: datetime | None = None
) -> dict[int, int]:
    """`tag_incident_threads` for every active incident; {incident id: threads tagged}."""
    with engine.connect() as connection:
        active = [incident.id for incident in list_incidents(connection, active_only=True)]
    return {
        incident_id: tag_incident_threads(engine, incident_id, now, since=since)
        for incident_id in active
    }


def open_threads_mentioning(
    connection: Connection, phrases: Sequence[str], until: datetime, since: datetime | None
) -> list[int]:
    """Open threads in no incident whose inbound messages mention one of `phrases`, by id.

    A phrase counts as whole words, in any case ("down" is not "download"), as listening
    rules count it. A substring test in the database narrows the messages first. The
    full-text index is not used: PostgreSQL's parser keeps "backup/restore" or
    "backup@home.example" as one token, so it would miss mentions the rule counts.
    """
    lowered = func.lower(_item.c.text)
    conditions = [
        _item.c.direction == "in",
        _item.c.created_at <= until,
        _thread.c.status != ThreadStatus.CLOSED,
        _thread.c.incident_id.is_(None),
        or_(*(lowered.contains(phrase.lower(), autoescape=True) for phrase in phrases)),
    ]
    if since is not None:
        conditions.append(_item.c.created_at > since)
    rows = connection.execute(
        select(_item.c.thread_id, _item.c.text)
        .join(_thread, _thread.c.id == _item.c.thread_id)
        .where(*conditions)
    )
    pattern = phrase_pattern(phrases)
    return sorted({row.thread_id for row in rows if pattern.search(row.text)})


def _tag_threads(
    connection: Connection, incident_id: int, now: datetime, *, since: datetime | None, actor: str
) -> int:
    incident = get_incident(connection, incident_id)
    if not incident.active or not incident.match:
        return 0
    thread_ids = open_threads_mentioning(connection, incident.match, now, since)
    tag = incident_tag(incident_id)
    tagged: list[int] = []
    for offset in range(0, len(thread_ids), _IN_CHUNK):
        chunk = thread_ids[offset : offset + _IN_CHUNK]
        connection.execute(
            update(_thread)
            .where(_thread.c.id.in_(chunk), _thread.c.incident_id.is_(None))
            .values(incident_id=incident_id)
        )
        mine = list(
            connection.execute(
                select(_thread.c.id).where(
                    _thread.c.id.in_(chunk), _thread.c.incident_id == incident_id
                )
            ).scalars()
        )
        has_tag = set(
            connection.execute(
                select(_tag.c.thread_id).where(_tag.c.thread_id.in_(mine), _tag.c.tag == tag)
            ).scalars()
        )
        new_tags = [
            {"thread_id": thread_id, "tag": tag} for thread_id in mine if thread_id not in has_tag
        ]
        if new_tags:
            connection.execute(insert(_tag), new_tags)
        tagged += mine
    tagged_event = events.ThreadTagged(tag=tag, incident_id=incident_id)
    events.record_many(
        connection,
        (
            events.row(
                tagged_event, at=now, actor=actor, thread_id=thread_id, incident_id=incident_id
            )
            for thread_id in tagged
        ),
    )
    return len(tagged)
