"""Undo: put threads back exactly as they were before a triage change, moments after it.

A change that can be undone (close, snooze, priority, tag, assign, take) reads the threads'
state before it (`states`) and right after it, in its own transaction, and hands back an
`Undo` with both. `apply` puts each thread back, field by field, as the `Undo` says it was,
unless someone (or something: a new message) changed it since: the thread's `version` tells,
and the refusal names the latest change. Each thread put back records a
`ThreadChangeUndone` followed by the ordinary events for the fields it restored, so the SLA
clock, notifications and the review read the restored state like any other change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select, update

from inbox import events
from inbox.core.errors import PermissionDenied
from inbox.core.models import Agent, Event, Thread, ThreadTag
from inbox.triage.changes import BulkResult, chunks

if TYPE_CHECKING:
    from inbox.core.access import Actor

_thread = Thread.__table__
_agent = Agent.__table__
_tag = ThreadTag.__table__
_event = Event.__table__

CHANGES = frozenset(events.UNDONE_CHANGES)
"""The changes that can be undone, by verb."""


@dataclass(frozen=True, slots=True)
class ThreadState:
    """The parts of a thread a triage change touches, as they stood at one moment."""

    status: str
    snoozed_until: datetime | None
    closed_at: datetime | None
    priority: str
    assignee_id: int | None
    assignee: str | None
    tags: frozenset[str]
    version: int


@dataclass(frozen=True, slots=True)
class UndoneThread:
    """One thread a change touched: how it was before, and how the change left it."""

    thread_id: int
    before: ThreadState
    after: ThreadState


@dataclass(frozen=True, slots=True)
class Undo:
    """What puts one triage change back: each changed thread before and right after it."""

    change: str
    """The change's verb: close, snooze, priority, tag, assign or take."""
    actor: str
    """Who made the change; only they may undo it."""
    threads: tuple[UndoneThread, ...]
    last_event_id: int
    """The newest event once the change was recorded: later ones on a thread changed it since."""


@dataclass(frozen=True, slots=True, eq=False)
class UndoableResult(BulkResult):
    """A triage change's result, with what undoes it (None when nothing changed)."""

    undo: Undo | None = None

    def __eq__(self, other: object) -> bool:
        """Equal to any result with the same changes and refusals: what would undo a change
        is no part of what it did."""
        if not isinstance(other, BulkResult):
            return NotImplemented
        return (self.changed, self.refused) == (other.changed, other.refused)


def states(connection: Connection, thread_ids: Sequence[int]) -> dict[int, ThreadState]:
    """The threads' current state, locked for the transaction where the database can."""
    found: dict[int, dict[str, Any]] = {}
    tags: dict[int, set[str]] = {}
    for chunk in chunks(list(dict.fromkeys(thread_ids))):
        rows = connection.execute(
            select(
                _thread.c.id,
                _thread.c.status,
                _thread.c.snoozed_until,
                _thread.c.closed_at,
                _thread.c.priority,
                _thread.c.assignee_id,
                _agent.c.handle.label("assignee"),
                _thread.c.version,
            )
            .outerjoin(_agent, _agent.c.id == _thread.c.assignee_id)
            .where(_thread.c.id.in_(chunk))
            .with_for_update(of=_thread)
        )
        for row in rows:
            found[row.id] = {key: value for key, value in row._mapping.items() if key != "id"}
        for thread_id, name in connection.execute(
            select(_tag.c.thread_id, _tag.c.tag).where(_tag.c.thread_id.in_(chunk))
        ):
            tags.setdefault(thread_id, set()).add(name)
    return {
        thread_id: ThreadState(**values, tags=frozenset(tags.get(thread_id, ())))
        for thread_id, values in found.items()
    }


def undoable(
    connection: Connection,
    change: str,
    result: BulkResult,
    before: dict[int, ThreadState],
    *,
    actor: Actor,
) -> UndoableResult:
    """`result` with what undoes it, read in the change's own transaction right after it."""
    if change not in CHANGES:
        raise ValueError(f"{change!r} cannot be undone")
    if not result.changed:
        return UndoableResult(result.changed, result.refused)
    after = states(connection, result.changed)
    last_event_id = connection.execute(select(func.max(_event.c.id))).scalar() or 0
    threads = tuple(
        UndoneThread(thread_id, before[thread_id], after[thread_id]) for thread_id in result.changed
    )
    return UndoableResult(
        result.changed,
        result.refused,
        undo=Undo(change, actor.handle, threads, last_event_id),
    )


def apply(connection: Connection, undo: Undo, *, actor: Actor, now: datetime) -> BulkResult:
    """Put each thread of `undo` back as it was before the change.

    A thread changed since (its version moved on) is refused with who changed it and how,
    and left as it is; so is one the actor may no longer change.
    """
    if undo.actor != actor.handle:
        raise PermissionDenied(f"only {undo.actor}, who made that change, can undo it")
    current = states(connection, [thread.thread_id for thread in undo.threads])
    changed: list[int] = []
    refused: dict[int, str] = {}
    event_rows: list[dict[str, Any]] = []
    for thread in undo.threads:
        now_state = current.get(thread.thread_id)
        reason = _refusal(connection, undo, thread, now_state, actor)
        if reason is not None:
            refused[thread.thread_id] = reason
            continue
        undone = events.ThreadChangeUndone(change=undo.change)
        event_rows.append(
            events.row(undone, at=now, actor=actor.handle, thread_id=thread.thread_id)
        )
        event_rows.extend(
            events.row(event, at=now, actor=actor.handle, thread_id=thread.thread_id)
            for event in _restore(connection, thread.thread_id, thread.after, thread.before)
        )
        changed.append(thread.thread_id)
    events.record_many(connection, event_rows)
    return BulkResult(tuple(changed), refused)


def _refusal(
    connection: Connection,
    undo: Undo,
    thread: UndoneThread,
    now_state: ThreadState | None,
    actor: Actor,
) -> str | None:
    """Why this thread cannot be put back, or None."""
    if now_state is None:
        return "no such thread"
    if now_state.version != thread.after.version:
        return _changed_since(connection, thread.thread_id, undo.last_event_id)
    return actor.thread_refusal(now_state.assignee_id, now_state.assignee)


def _changed_since(connection: Connection, thread_id: int, last_event_id: int) -> str:
    """The refusal for a thread changed after the change to undo: the latest change, in words."""
    latest = connection.execute(
        select(_event.c.actor, _event.c.type, _event.c.payload)
        .where(
            _event.c.thread_id == thread_id,
            _event.c.id > last_event_id,
            _event.c.type != events.PresenceChanged.type,
        )
        .order_by(_event.c.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return "it changed since; nothing was put back"
    what = events.describe(latest.actor, latest.type, latest.payload)
    return f"it changed since ({what}); nothing was put back"


def _restore(
    connection: Connection, thread_id: int, after: ThreadState, before: ThreadState
) -> Iterable[events.InboxEvent]:
    """Set the thread's fields from `after` back to `before`; the events that say so."""
    values: dict[str, Any] = {}
    restored: list[events.InboxEvent] = []
    if (after.status, after.snoozed_until, after.closed_at) != (
        before.status,
        before.snoozed_until,
        before.closed_at,
    ):
        values.update(
            status=before.status,
            snoozed_until=before.snoozed_until,
            closed_at=before.closed_at,
        )
        until = before.snoozed_until.isoformat() if before.snoozed_until else None
        restored.append(
            events.ThreadStatusChanged(before=after.status, after=before.status, until=until)
        )
    if after.priority != before.priority:
        values["priority"] = before.priority
        restored.append(events.ThreadPriorityChanged(before=after.priority, after=before.priority))
    if after.assignee_id != before.assignee_id:
        values["assignee_id"] = before.assignee_id
        restored.append(events.ThreadAssigned(before=after.assignee, after=before.assignee))
    removed = sorted(after.tags - before.tags)
    added_back = sorted(before.tags - after.tags)
    if removed:
        connection.execute(
            delete(_tag).where(_tag.c.thread_id == thread_id, _tag.c.tag.in_(removed))
        )
        restored.append(events.ThreadUntagged(tags=removed))
    if added_back:
        connection.execute(
            insert(_tag), [{"thread_id": thread_id, "tag": name} for name in added_back]
        )
        restored.append(events.ThreadTagged(tags=added_back))
    connection.execute(
        update(_thread)
        .where(_thread.c.id == thread_id)
        .values(version=_thread.c.version + 1, **values)
    )
    return restored
