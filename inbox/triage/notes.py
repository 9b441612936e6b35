"""Internal notes on threads with their @mentions, and presence: who else has a thread open now."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, and_, delete, insert, select, update

from inbox import events
from inbox.core import sanitize
from inbox.core.access import Action
from inbox.core.database import insert_ignoring_conflicts
from inbox.core.errors import InvalidInput, NotFound, PermissionDenied
from inbox.core.models import Agent, Note, NoteMention, Presence, Thread
from inbox.triage.changes import chunks, lock_targets

if TYPE_CHECKING:
    from inbox.core.access import Actor

_thread = Thread.__table__
_agent = Agent.__table__
_note = Note.__table__
_mention = NoteMention.__table__
_presence = Presence.__table__

PRESENCE_TTL = timedelta(seconds=30)
"""How long "viewing" or "replying" lasts unless the screen says so again."""

PRESENCE_ACTIVITIES = ("viewing", "replying")

MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.-]+)")
"""An @handle in a note; the look-behind keeps e-mail addresses (a@b.com) out."""


@dataclass(frozen=True, slots=True)
class NoteRow:
    """An internal note on a thread."""

    id: int
    thread_id: int
    author: str
    body: str
    mentions: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PresenceRow:
    """Someone else who has a thread open right now."""

    handle: str
    activity: str


def notes(connection: Connection, thread_id: int) -> list[NoteRow]:
    """A thread's notes, oldest first."""
    rows = connection.execute(
        select(_note, _agent.c.handle.label("author"))
        .join(_agent, _agent.c.id == _note.c.agent_id)
        .where(_note.c.thread_id == thread_id)
        .order_by(_note.c.created_at, _note.c.id)
    )
    return [
        NoteRow(
            id=row.id,
            thread_id=row.thread_id,
            author=row.author,
            body=row.body,
            mentions=tuple(row.mentions or ()),
            created_at=row.created_at,
        )
        for row in rows
    ]


def mentioned_handles(connection: Connection, body: str) -> dict[str, int]:
    """The colleagues a note @mentions, handle to id; InvalidInput names an @name nobody has."""
    people = {
        handle.lower(): (handle, agent_id)
        for handle, agent_id in connection.execute(
            select(_agent.c.handle, _agent.c.id).where(_agent.c.active.is_(True))
        )
    }
    found: dict[str, int] = {}
    unknown: list[str] = []
    for match in MENTION.finditer(body):
        name = match.group(1).rstrip(".")
        person = people.get(name.lower())
        if person is None:
            if name not in unknown:
                unknown.append(name)
            continue
        found.setdefault(person[0], person[1])
    if unknown:
        handles = ", ".join("@" + handle for handle, _ in sorted(people.values()))
        names = ", ".join("@" + name for name in unknown)
        raise InvalidInput(
            f"{names} is no colleague's handle; nothing was saved. Handles: {handles}"
        )
    return found


def add_note(
    connection: Connection, thread_id: int, body: str, *, actor: Actor, now: datetime
) -> NoteRow:
    """Add an internal note, on any thread (`access.ON_ANY_THREAD`); colleagues it @mentions
    (not its author) see the thread under Mentions."""
    text = sanitize.for_storage(body.strip())
    if not text:
        raise InvalidInput("a note needs some text")
    if actor.agent_id is None:
        raise InvalidInput(f"{actor.handle} is not a person here; pass --as HANDLE to write notes")
    mentions = mentioned_handles(connection, text)
    target = lock_targets(connection, [thread_id]).get(thread_id)
    if target is None:
        raise NotFound(f"no thread {thread_id}")
    reason = actor.thread_refusal(target.assignee_id, target.assignee, Action.NOTE)
    if reason:
        raise PermissionDenied(f"thread {thread_id} is {reason}")
    note_id = connection.execute(
        insert(_note).values(
            thread_id=thread_id,
            agent_id=actor.agent_id,
            body=text,
            mentions=list(mentions),
            created_at=now,
        )
    ).inserted_primary_key[0]
    others = [agent_id for agent_id in mentions.values() if agent_id != actor.agent_id]
    if others:
        connection.execute(
            insert(_mention),
            [
                {"note_id": note_id, "agent_id": agent_id, "thread_id": thread_id}
                for agent_id in others
            ],
        )
    connection.execute(
        update(_thread).where(_thread.c.id == thread_id).values(version=_thread.c.version + 1)
    )
    events.record(
        connection,
        events.NoteAdded(note_id=note_id, mentions=list(mentions)),
        at=now,
        actor=actor.handle,
        thread_id=thread_id,
    )
    return NoteRow(note_id, thread_id, actor.handle, text, tuple(mentions), now)


def presence(
    connection: Connection, thread_ids: Iterable[int], *, actor: Actor, now: datetime
) -> dict[int, tuple[PresenceRow, ...]]:
    """Who else has each of `thread_ids` open now; threads nobody else has are left out."""
    found: dict[int, list[PresenceRow]] = {}
    for chunk in chunks(list(thread_ids)):
        conditions = [_presence.c.thread_id.in_(chunk), _presence.c.expires_at > now]
        if actor.agent_id is not None:
            conditions.append(_presence.c.agent_id != actor.agent_id)
        rows = connection.execute(
            select(_presence.c.thread_id, _agent.c.handle, _presence.c.activity)
            .join(_agent, _agent.c.id == _presence.c.agent_id)
            .where(*conditions)
            .order_by(_presence.c.thread_id, _agent.c.handle)
        )
        for thread_id, handle, activity in rows:
            found.setdefault(thread_id, []).append(PresenceRow(handle, activity))
    return {thread_id: tuple(rows) for thread_id, rows in found.items()}


def set_presence(
    connection: Connection, thread_id: int, activity: str, *, actor: Actor, now: datetime
) -> None:
    """Say the actor is viewing or replying to a thread, for the next `PRESENCE_TTL`.

    A refresh of the same activity only moves the expiry; an event is written when the
    row is new, had expired, or the activity changed, so other screens update at once.
    """
    if activity not in PRESENCE_ACTIVITIES:
        raise InvalidInput(
            f"unknown activity {activity!r}; one of {', '.join(PRESENCE_ACTIVITIES)}"
        )
    if actor.agent_id is None:
        return
    if connection.execute(select(_thread.c.id).where(_thread.c.id == thread_id)).first() is None:
        raise NotFound(f"no thread {thread_id}")
    connection.execute(delete(_presence).where(_presence.c.expires_at <= now))
    key = and_(_presence.c.agent_id == actor.agent_id, _presence.c.thread_id == thread_id)
    previous = connection.execute(select(_presence.c.activity).where(key)).scalar()
    expires_at = now + PRESENCE_TTL
    if previous is None:
        connection.execute(
            insert_ignoring_conflicts(connection, _presence).values(
                agent_id=actor.agent_id,
                thread_id=thread_id,
                activity=activity,
                expires_at=expires_at,
            )
        )
    connection.execute(
        update(_presence).where(key).values(activity=activity, expires_at=expires_at)
    )
    if previous != activity:
        events.record(
            connection,
            events.PresenceChanged(activity=activity),
            at=now,
            actor=actor.handle,
            thread_id=thread_id,
        )


def clear_presence(connection: Connection, thread_id: int, *, actor: Actor, now: datetime) -> None:
    """Say the actor has left a thread; others are told if they could still see them there."""
    if actor.agent_id is None:
        return
    key = and_(_presence.c.agent_id == actor.agent_id, _presence.c.thread_id == thread_id)
    live = connection.execute(select(_presence.c.expires_at).where(key)).scalar()
    if live is None:
        return
    connection.execute(delete(_presence).where(key))
    if live > now:
        events.record(
            connection,
            events.PresenceChanged(activity=None),
            at=now,
            actor=actor.handle,
            thread_id=thread_id,
        )
