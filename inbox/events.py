"""The event log: every write appends here in the same transaction.

It is the audit trail, the real-time feed that every open UI polls by id, and the source
of the post-crisis review. Types are dotted past-tense facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from inbox.models import Event

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
