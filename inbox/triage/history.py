"""A thread's history as sentences, its author's card with their other threads, the tags in use."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

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
    """When the inbox recorded it (for messages: when it fetched them)."""
    actor: str
    type: str
    text: str
    written_at: datetime | None = None
    """For messages, when the latest of them was written, on the platform; else None."""
    first_written_at: datetime | None = None
    """For several messages, when the earliest of them was written, on the platform."""

    @property
    def happened_at(self) -> datetime:
        """When it happened: on the platform for messages, else when the inbox recorded it."""
        return self.written_at or self.at


@dataclass(frozen=True, slots=True)
class AuthorCard:
    """Who wrote a thread, and what else they wrote."""

    handle: str
    display_name: str | None
    platform: str
    first_seen_at: datetime
    """When the inbox first fetched something they wrote."""
    first_message_at: datetime | None
    """When they wrote their first message the inbox holds, on the platform (None: none yet)."""
    thread_count: int
    other_threads: list[ThreadRow]
    """Their other threads, newest first, at most ten."""


def history(connection: Connection, thread_id: int, limit: int = 200) -> list[HistoryEntry]:
    """The latest `limit` things that happened to a thread, oldest first, one sentence each.

    Messages are dated by the platform's times as well as by when they were fetched. A reply
    the outbox sent lands in the thread and is then marked sent: the two read as one
    sentence, who wrote it and where it was posted. Presence comes and goes every few
    seconds and is left out.
    """
    rows = connection.execute(
        select(_event.c.at, _event.c.actor, _event.c.type, _event.c.payload)
        .where(_event.c.thread_id == thread_id, _event.c.type != events.PresenceChanged.type)
        .order_by(_event.c.id.desc())
        .limit(limit)
    ).all()
    entries: list[HistoryEntry] = []
    previous: events.InboxEvent | None = None
    for row in reversed(rows):
        event = events.parse(row.type, row.payload)
        landed = previous if isinstance(previous, events.Arrival) else None
        previous = event
        if isinstance(event, events.OutboundSent) and event.author and landed and landed.posted_on:
            entries[-1] = replace(
                entries[-1],
                actor=event.author,
                type=event.type,
                text=f"{event.author}'s reply was posted on {landed.posted_on}",
            )
            continue
        entry = HistoryEntry(
            at=row.at, actor=row.actor, type=row.type, text=event.describe(row.actor)
        )
        if isinstance(event, events.Arrival):
            first, last = event.written()
            several = (event.count or 1) > 1 and first != last
            entry = replace(entry, written_at=last, first_written_at=first if several else None)
        entries.append(entry)
    return entries


def author_card(connection: Connection, thread_id: int, *, actor: Actor) -> AuthorCard:
    """The author of a thread, when they first wrote, how many threads they have, and their
    latest others."""
    row = connection.execute(
        select(_contact)
        .join(_thread, _thread.c.contact_id == _contact.c.id)
        .where(_thread.c.id == thread_id)
    ).first()
    if row is None:
        if (
            connection.execute(select(_thread.c.id).where(_thread.c.id == thread_id)).first()
            is None
        ):
            raise NotFound(f"no thread {thread_id}")
        raise NotFound(f"thread {thread_id} has no known author")
    count, first_message_at = connection.execute(
        select(func.count(), func.min(_thread.c.first_inbound_at))
        .select_from(_thread)
        .where(_thread.c.contact_id == row.id)
    ).one()
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
        first_message_at=first_message_at,
        thread_count=count,
        other_threads=thread_rows(connection, list(others), actor=actor),
    )


def tags_in_use(connection: Connection, limit: int = 200) -> list[str]:
    """Distinct tags in alphabetical order, read by skipping through the tag index."""
    steps = select(func.min(_tag.c.tag).label("tag")).cte("tags", recursive=True)
    following = select(func.min(_tag.c.tag)).where(_tag.c.tag > steps.c.tag).scalar_subquery()
    steps = steps.union_all(select(following).where(steps.c.tag.is_not(None)))
    return list(
        connection.execute(
            select(steps.c.tag).where(steps.c.tag.is_not(None)).limit(limit)
        ).scalars()
    )
