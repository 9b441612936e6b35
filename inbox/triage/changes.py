"""The changes people make to threads (assign, tag, snooze, close, reopen, priority, read).

Writes take many thread ids at once and return a `BulkResult`: what changed and, per thread,
why not. Each bumps the thread's `version` (so a reply composed before the change is checked
again) and appends its event in the same transaction that `InboxService` opens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select, update

from inbox import events
from inbox.core import sanitize
from inbox.core.access import ASSIGNABLE_ROLES
from inbox.core.errors import InvalidInput, NotFound
from inbox.core.models import Agent, Priority, Thread, ThreadStatus, ThreadTag
from inbox.store.people import agent_id_of

if TYPE_CHECKING:
    from inbox.core.access import Actor

_thread = Thread.__table__
_agent = Agent.__table__
_tag = ThreadTag.__table__

MAX_TAG_LENGTH = 64
_ID_CHUNK = 5_000
"""Thread ids per IN list; SQLite takes 32,766 parameters, PostgreSQL 65,535."""


@dataclass(frozen=True, slots=True)
class BulkResult:
    """What a change to many threads did: the threads changed, and why the others were not."""

    changed: tuple[int, ...] = ()
    refused: dict[int, str] = field(default_factory=dict)


def chunks(values: Sequence[int]) -> Iterable[list[int]]:
    """`values` in lists of at most `_ID_CHUNK`, one per IN list."""
    for start in range(0, len(values), _ID_CHUNK):
        yield list(values[start : start + _ID_CHUNK])


@dataclass(frozen=True, slots=True)
class _Target:
    id: int
    status: str
    assignee_id: int | None
    assignee: str | None
    priority: str


def lock_targets(connection: Connection, thread_ids: Sequence[int]) -> dict[int, _Target]:
    """The threads to change, locked for the transaction where the database can."""
    found = {}
    for chunk in chunks(list(dict.fromkeys(thread_ids))):
        rows = connection.execute(
            select(
                _thread.c.id,
                _thread.c.status,
                _thread.c.assignee_id,
                _agent.c.handle.label("assignee"),
                _thread.c.priority,
            )
            .outerjoin(_agent, _agent.c.id == _thread.c.assignee_id)
            .where(_thread.c.id.in_(chunk))
            .with_for_update(of=_thread)
        )
        found.update((row.id, _Target(**row._mapping)) for row in rows)
    return found


def refusal(actor: Actor, target: _Target) -> str | None:
    """Why `actor` may not change this thread, or None.

    Agents change their own threads and unassigned ones.
    """
    return actor.thread_refusal(target.assignee_id, target.assignee)


def _apply(
    connection: Connection,
    thread_ids: Sequence[int],
    values: dict[str, Any],
    *,
    actor: Actor,
    now: datetime,
    refuse: Callable[[_Target], str | None],
    change: Callable[[_Target], events.InboxEvent],
) -> BulkResult:
    """Set `values` on each thread `refuse` has no reason to leave, and record each change."""
    targets = lock_targets(connection, thread_ids)
    changed: list[int] = []
    refused: dict[int, str] = {}
    for thread_id in dict.fromkeys(thread_ids):
        target = targets.get(thread_id)
        reason = "no such thread" if target is None else refusal(actor, target) or refuse(target)
        if reason:
            refused[thread_id] = reason
        else:
            changed.append(thread_id)
    for chunk in chunks(changed):
        connection.execute(
            update(_thread)
            .where(_thread.c.id.in_(chunk))
            .values(version=_thread.c.version + 1, **values)
        )
    events.record_many(
        connection,
        (
            events.row(change(targets[thread_id]), at=now, actor=actor.handle, thread_id=thread_id)
            for thread_id in changed
        ),
    )
    return BulkResult(tuple(changed), refused)


def assign(
    connection: Connection,
    thread_ids: Sequence[int],
    handle: str | None,
    *,
    actor: Actor,
    now: datetime,
    only_unassigned: bool = False,
) -> BulkResult:
    """Give threads to the person with `handle` (None: to nobody).

    `only_unassigned` is taking: threads someone already holds are refused.
    """
    assignee_id = None
    if handle is not None:
        assignee_id = agent_id_of(connection, handle)
        person = connection.execute(
            select(_agent.c.handle, _agent.c.role, _agent.c.active).where(
                _agent.c.id == assignee_id
            )
        ).one()
        handle = person.handle
        if person.role not in ASSIGNABLE_ROLES:
            raise InvalidInput(
                f"{handle} is a supervisor; supervisors read threads and do not hold them"
            )
        if not person.active:
            raise InvalidInput(f"{handle} is no longer active")

    def refuse(target: _Target) -> str | None:
        if target.assignee_id == assignee_id:
            if assignee_id == actor.agent_id:
                return "already yours"
            return f"already assigned to {handle}" if handle else "already unassigned"
        if only_unassigned and target.assignee_id is not None:
            return f"already assigned to {target.assignee} (a lead can reassign it)"
        return None

    return _apply(
        connection,
        thread_ids,
        {"assignee_id": assignee_id},
        actor=actor,
        now=now,
        refuse=refuse,
        change=lambda target: events.ThreadAssigned(before=target.assignee, after=handle),
    )


def normalise_tag(tag: str) -> str:
    """A tag as stored: trimmed, lower case, inner spaces as "-".

    InvalidInput if it is empty or too long.
    """
    normal = "-".join(tag.strip().lower().split())
    if not normal:
        raise InvalidInput("a tag cannot be empty")
    if len(normal) > MAX_TAG_LENGTH:
        raise InvalidInput(
            f"tag {normal[:20]!r}… is too long ({MAX_TAG_LENGTH} characters at most)"
        )
    return sanitize.for_display(normal)


def tag(
    connection: Connection,
    thread_ids: Sequence[int],
    add: Sequence[str],
    remove: Sequence[str],
    *,
    actor: Actor,
    now: datetime,
) -> BulkResult:
    """Add and remove tags; a thread counts as changed if any tag went on or came off."""
    adding = list(dict.fromkeys(normalise_tag(name) for name in add))
    removing = [
        name for name in dict.fromkeys(normalise_tag(name) for name in remove) if name not in adding
    ]
    if not adding and not removing:
        raise InvalidInput("name a tag to add or remove")
    targets = lock_targets(connection, thread_ids)
    present: dict[int, set[str]] = {}
    for chunk in chunks(list(targets)):
        for thread_id, name in connection.execute(
            select(_tag.c.thread_id, _tag.c.tag).where(
                _tag.c.thread_id.in_(chunk), _tag.c.tag.in_(adding + removing)
            )
        ):
            present.setdefault(thread_id, set()).add(name)
    changed: list[int] = []
    refused: dict[int, str] = {}
    event_rows: list[dict[str, Any]] = []
    for thread_id in dict.fromkeys(thread_ids):
        target = targets.get(thread_id)
        if target is None:
            refused[thread_id] = "no such thread"
            continue
        reason = refusal(actor, target)
        if reason:
            refused[thread_id] = reason
            continue
        has = present.get(thread_id, set())
        added = [name for name in adding if name not in has]
        removed = [name for name in removing if name in has]
        if not added and not removed:
            refused[thread_id] = "its tags are already so"
            continue
        if added:
            connection.execute(
                insert(_tag), [{"thread_id": thread_id, "tag": name} for name in added]
            )
            tagged = events.ThreadTagged(tags=added)
            event_rows.append(events.row(tagged, at=now, actor=actor.handle, thread_id=thread_id))
        if removed:
            connection.execute(
                delete(_tag).where(_tag.c.thread_id == thread_id, _tag.c.tag.in_(removed))
            )
            untagged = events.ThreadUntagged(tags=removed)
            event_rows.append(events.row(untagged, at=now, actor=actor.handle, thread_id=thread_id))
        connection.execute(
            update(_thread).where(_thread.c.id == thread_id).values(version=_thread.c.version + 1)
        )
        changed.append(thread_id)
    events.record_many(connection, event_rows)
    return BulkResult(tuple(changed), refused)


def _status_change(target: _Target, values: dict[str, Any]) -> events.ThreadStatusChanged:
    until = values.get("snoozed_until")
    return events.ThreadStatusChanged(
        before=target.status,
        after=values["status"],
        until=until.isoformat() if until is not None else None,
    )


def snooze(
    connection: Connection,
    thread_ids: Sequence[int],
    until: datetime,
    *,
    actor: Actor,
    now: datetime,
) -> BulkResult:
    """Put threads aside until `until`; the SLA clock stops meanwhile."""
    if until.tzinfo is None:
        raise InvalidInput("a snooze time needs a time zone")
    if until <= now:
        raise InvalidInput(f"{until:%Y-%m-%d %H:%M} UTC has passed; snooze until a time to come")
    values = {"status": ThreadStatus.SNOOZED, "snoozed_until": until}
    return _apply(
        connection,
        thread_ids,
        values,
        actor=actor,
        now=now,
        refuse=lambda target: (
            "closed; reopen it first" if target.status == ThreadStatus.CLOSED else None
        ),
        change=lambda target: _status_change(target, values),
    )


def close(
    connection: Connection, thread_ids: Sequence[int], *, actor: Actor, now: datetime
) -> BulkResult:
    """Mark threads done; a new message from the customer reopens them."""
    values = {
        "status": ThreadStatus.CLOSED,
        "closed_at": now,
        "snoozed_until": None,
    }
    return _apply(
        connection,
        thread_ids,
        values,
        actor=actor,
        now=now,
        refuse=lambda target: "already closed" if target.status == ThreadStatus.CLOSED else None,
        change=lambda target: _status_change(target, values),
    )


def reopen(
    connection: Connection, thread_ids: Sequence[int], *, actor: Actor, now: datetime
) -> BulkResult:
    """Bring closed or snoozed threads back to open."""
    values = {"status": ThreadStatus.OPEN, "closed_at": None, "snoozed_until": None}
    asleep_or_closed = (ThreadStatus.CLOSED, ThreadStatus.SNOOZED)
    return _apply(
        connection,
        thread_ids,
        values,
        actor=actor,
        now=now,
        refuse=lambda target: (
            None if target.status in asleep_or_closed else f"already {target.status}"
        ),
        change=lambda target: _status_change(target, values),
    )


def set_priority(
    connection: Connection, thread_ids: Sequence[int], priority: str, *, actor: Actor, now: datetime
) -> BulkResult:
    """Change how urgent threads are (which can change their SLA target)."""
    if priority not in Priority.__members__.values():
        raise InvalidInput(f"unknown priority {priority!r}; priorities: {', '.join(Priority)}")
    return _apply(
        connection,
        thread_ids,
        {"priority": priority},
        actor=actor,
        now=now,
        refuse=lambda target: f"already {priority}" if target.priority == priority else None,
        change=lambda target: events.ThreadPriorityChanged(before=target.priority, after=priority),
    )


def mark_read(connection: Connection, thread_id: int, *, actor: Actor) -> None:
    """Clear the unread mark, if the thread is the actor's or nobody's.

    Unread means "the person holding it has not looked", so a lead glancing at someone
    else's thread leaves the mark. No event: reading is not a change others must see at
    once, and one event per glance would flood every open screen.
    """
    target = lock_targets(connection, [thread_id]).get(thread_id)
    if target is None:
        raise NotFound(f"no thread {thread_id}")
    if target.assignee_id not in (None, actor.agent_id):
        return
    connection.execute(
        update(_thread)
        .where(_thread.c.id == thread_id, _thread.c.unread.is_(True))
        .values(unread=False)
    )
