"""The event log: every write appends here in the same transaction.

It is the audit trail, the real-time feed that every open UI polls by id, and the source
of the post-crisis review. Types are dotted past-tense facts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from inbox.core.models import Event

ITEMS_ARRIVED = "items.arrived"
THREAD_CREATED = "thread.created"
THREAD_REOPENED = "thread.reopened"
THREAD_ASSIGNED = "thread.assigned"
THREAD_STATUS_CHANGED = "thread.status_changed"
THREAD_TAGGED = "thread.tagged"
THREAD_UNTAGGED = "thread.untagged"
THREAD_PRIORITY_CHANGED = "thread.priority_changed"
NOTE_ADDED = "note.added"
PRESENCE_CHANGED = "presence.changed"
ACCOUNT_ADDED = "account.added"
ACCOUNT_REMOVED = "account.removed"
ACCOUNT_HEALTH_CHANGED = "account.health_changed"
AGENT_ADDED = "agent.added"
SYNC_FAILED = "sync.failed"
OUTBOUND_QUEUED = "outbound.queued"
OUTBOUND_AWAITING_APPROVAL = "outbound.awaiting_approval"
OUTBOUND_APPROVED = "outbound.approved"
OUTBOUND_REJECTED = "outbound.rejected"
OUTBOUND_RETRYING = "outbound.retrying"
OUTBOUND_UNKNOWN = "outbound.unknown"
OUTBOUND_SENT = "outbound.sent"
OUTBOUND_FAILED = "outbound.failed"
OUTBOUND_CANCELLED = "outbound.cancelled"
CAMPAIGN_CREATED = "campaign.created"
CANNED_IMPORTED = "canned.imported"
CANNED_SAVED = "canned.saved"
SENTIMENT_SCORED = "sentiment.scored"
ALERT_RULE_ADDED = "alert_rule.added"
ALERT_RULE_REMOVED = "alert_rule.removed"
ALERT_RAISED = "alert.raised"
ALERT_ACKNOWLEDGED = "alert.acknowledged"
INCIDENT_DECLARED = "incident.declared"
INCIDENT_UPDATED = "incident.updated"
INCIDENT_ENDED = "incident.ended"
INCIDENT_STATEMENT_SENT = "incident.statement_sent"
POSTS_PAUSED = "posts.paused"
POSTS_RESUMED = "posts.resumed"
POST_SCHEDULED = "post.scheduled"
POST_EDITED = "post.edited"
POST_CANCELLED = "post.cancelled"
POST_PUBLISHED = "post.published"

SYSTEM_ACTOR = "system"
SYNC_ACTOR = "sync"
OUTBOX_ACTOR = "outbox"
LISTENING_ACTOR = "listening"

_event = Event.__table__


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One row of the event log, as read back."""

    id: int
    at: datetime
    actor: str
    type: str
    thread_id: int | None
    incident_id: int | None
    payload: dict[str, Any]


def append(
    connection: Connection,
    *,
    at: datetime,
    actor: str,
    type: str,
    thread_id: int | None = None,
    incident_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """Record one event in the caller's transaction."""
    connection.execute(
        insert(_event).values(
            at=at,
            actor=actor,
            type=type,
            thread_id=thread_id,
            incident_id=incident_id,
            payload=payload or {},
        )
    )


def append_many(connection: Connection, rows: Iterable[dict[str, Any]]) -> None:
    """Record many events at once; each row has the keyword arguments of `append`."""
    rows = [{"thread_id": None, "incident_id": None, "payload": {}, **row} for row in rows]
    if rows:
        connection.execute(insert(_event), rows)


def after(connection: Connection, last_id: int, limit: int = 500) -> Sequence[EventRecord]:
    """Events with an id above `last_id`, oldest first."""
    rows = connection.execute(
        select(_event).where(_event.c.id > last_id).order_by(_event.c.id).limit(limit)
    )
    return [EventRecord(**row._mapping) for row in rows]


class Follower:
    """Reads the event log as it grows, without losing events that commit out of order.

    On PostgreSQL an event takes its id when its transaction inserts it and becomes
    visible when that transaction commits, so a reader can see id 12 while 11 is still in
    flight; asking for `id > 12` next time would skip 11 for good. The follower remembers
    the ids it stepped over and asks for them again for `grace_seconds` (a rolled-back
    transaction leaves a gap that never fills). SQLite writes one transaction at a time,
    so there it never finds a gap. One follower serves one reader at a time.
    """

    MAX_MISSING = 1_000
    """Gaps remembered at most; a gap wider than this is a sequence jump, not writers in flight."""

    def __init__(
        self, last_id: int, *, grace_seconds: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.last_id = last_id
        """The highest id read so far."""
        self._grace = grace_seconds
        self._clock = clock
        self._missing: dict[int, float] = {}
        """Ids stepped over, with when they were first missed."""

    def read(self, connection: Connection, limit: int = 500) -> list[EventRecord]:
        """Events not read before: late arrivals into old gaps first, then newer ones in id order."""
        now = self._clock()
        self._missing = {
            event_id: since for event_id, since in self._missing.items() if now - since < self._grace
        }
        late: list[EventRecord] = []
        if self._missing:
            rows = connection.execute(
                select(_event).where(_event.c.id.in_(list(self._missing))).order_by(_event.c.id)
            )
            late = [EventRecord(**row._mapping) for row in rows]
            for record in late:
                del self._missing[record.id]
        batch = after(connection, self.last_id, limit)
        expected = self.last_id + 1
        for record in batch:
            if record.id - expected <= self.MAX_MISSING - len(self._missing):
                self._missing.update(dict.fromkeys(range(expected, record.id), now))
            expected = record.id + 1
        if batch:
            self.last_id = batch[-1].id
        return [*late, *batch]
