"""A thread's history as sentences, its author's card with their other threads, and the tags in use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from inbox import events
from inbox.core.errors import NotFound
from inbox.core.models import Contact, Event, Thread, ThreadTag
from inbox.triage.lists import ThreadRow, thread_rows

if TYPE_CHECKING:
    from inbox.core.access import Actor

_thread = Thread.__table__
_contact = Contact.__table__
_tag = ThreadTag.__table__
_event = Event.__table__


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One thing that happened to a thread, as a sentence."""

    at: datetime
    actor: str
    type: str
    text: str


@dataclass(frozen=True, slots=True)
class AuthorCard:
    """Who wrote a thread, and what else they wrote."""

    handle: str
    display_name: str | None
    platform: str
    first_seen_at: datetime
    thread_count: int
    other_threads: list[ThreadRow]
    """Their other threads, newest first, at most ten."""


def history(connection: Connection, thread_id: int, limit: int = 200) -> list[HistoryEntry]:
    """The latest `limit` things that happened to a thread, oldest first, one sentence each.

    Presence comes and goes every few seconds and is left out.
    """
    rows = connection.execute(
        select(_event.c.at, _event.c.actor, _event.c.type, _event.c.payload)
        .where(_event.c.thread_id == thread_id, _event.c.type != events.PRESENCE_CHANGED)
        .order_by(_event.c.id.desc())
        .limit(limit)
    ).all()
    return [
        HistoryEntry(at=row.at, actor=row.actor, type=row.type, text=history_text(row.actor, row.type, row.payload or {}))
        for row in reversed(rows)
    ]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def history_text(actor: str, event_type: str, payload: dict[str, Any]) -> str:
    """One event as a plain sentence for a thread's history."""
    tags = ", ".join(payload.get("tags") or ([payload["tag"]] if payload.get("tag") else []))
    match event_type:
        case events.THREAD_CREATED:
            return "the first " + ("message arrived" if payload.get("count", 1) == 1 else f"{payload['count']} messages arrived")
        case events.ITEMS_ARRIVED:
            return _plural(payload.get("count", 1), "new message") + " arrived"
        case events.THREAD_REOPENED:
            return "a new message reopened it"
        case events.THREAD_ASSIGNED:
            before, after = payload.get("from"), payload.get("to")
            if after is None:
                return f"{actor} unassigned it" + (f" from {before}" if before else "")
            if after == actor and before is None:
                return f"{actor} took it"
            return f"{actor} assigned this to {after}" + (f" (was {before})" if before else "")
        case events.THREAD_TAGGED:
            return f"{actor} tagged it {tags}"
        case events.THREAD_UNTAGGED:
            return f"{actor} removed the tag {tags}"
        case events.THREAD_STATUS_CHANGED:
            text = f"status {payload.get('from', '?')} -> {payload.get('to', '?')}"
            if payload.get("until"):
                text += f" until {datetime.fromisoformat(payload['until']):%Y-%m-%d %H:%M} UTC"
            return f"{text} by {actor}"
        case events.THREAD_PRIORITY_CHANGED:
            return f"{actor} set the priority to {payload.get('to')} (was {payload.get('from')})"
        case events.NOTE_ADDED:
            mentions = payload.get("mentions") or []
            return f"{actor} added a note" + (" mentioning " + ", ".join(mentions) if mentions else "")
        case events.OUTBOUND_QUEUED:
            return f"{payload.get('kind', 'reply')} queued by {actor}"
        case events.OUTBOUND_AWAITING_APPROVAL:
            return f"{payload.get('kind', 'reply')} by {actor} waits for a lead's approval"
        case events.OUTBOUND_APPROVED:
            return f"{actor} approved the reply"
        case events.OUTBOUND_REJECTED:
            return f"{actor} rejected the reply" + (f": {payload['note']}" if payload.get("note") else "")
        case events.OUTBOUND_SENT:
            return "reply sent"
        case events.OUTBOUND_RETRYING:
            return "sending failed; trying again"
        case events.OUTBOUND_FAILED:
            return "reply failed" + (f": {payload['error']}" if payload.get("error") else "")
        case events.OUTBOUND_UNKNOWN:
            return "reply may or may not have gone out; check before sending again"
        case events.OUTBOUND_CANCELLED:
            return f"{actor} withdrew the reply"
    return f"{event_type.replace('.', ' ').replace('_', ' ')} ({actor})"


def author_card(connection: Connection, thread_id: int, *, actor: Actor) -> AuthorCard:
    """The author of a thread, how many threads they have, and their latest others."""
    row = connection.execute(
        select(_contact).join(_thread, _thread.c.contact_id == _contact.c.id).where(_thread.c.id == thread_id)
    ).first()
    if row is None:
        if connection.execute(select(_thread.c.id).where(_thread.c.id == thread_id)).first() is None:
            raise NotFound(f"no thread {thread_id}")
        raise NotFound(f"thread {thread_id} has no known author")
    count = connection.execute(
        select(func.count()).select_from(_thread).where(_thread.c.contact_id == row.id)
    ).scalar_one()
    others = connection.execute(
        select(_thread.c.id)
        .where(_thread.c.contact_id == row.id, _thread.c.id != thread_id)
        .order_by(_thread.c.last_activity_at.desc(), _thread.c.id.desc())
        .limit(10)
    ).scalars()
    return AuthorCard(
        handle=row.handle,
        display_name=row.display_name,
        platform=row.platform,
        first_seen_at=row.first_seen_at,
        thread_count=count,
        other_threads=thread_rows(connection, list(others), actor=actor),
    )


def tags_in_use(connection: Connection, limit: int = 200) -> list[str]:
    """Distinct tags in alphabetical order, read by skipping through the tag index."""
    steps = (
        select(func.min(_tag.c.tag).label("tag")).cte("tags", recursive=True)
    )
    following = (
        select(func.min(_tag.c.tag))
        .where(_tag.c.tag > steps.c.tag)
        .scalar_subquery()
    )
    steps = steps.union_all(select(following).where(steps.c.tag.is_not(None)))
    return list(
        connection.execute(select(steps.c.tag).where(steps.c.tag.is_not(None)).limit(limit)).scalars()
    )
