"""Spam and blocked authors: threads marked spam close and leave the SLA and the
response-time stats; a blocked author's new messages close their thread as spam at ingest
(`inbox.store.ingest`), so nobody is paged for them again.

Like every triage write, these take many thread ids and return a `BulkResult`, bump each
thread's `version` and record their events in the caller's transaction. Blocking works
from a thread: its author is blocked and the thread itself is marked spam. Unmarking
reopens the thread; unblocking lets the author's next messages in as any others.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update

from inbox import events
from inbox.core.models import Contact, Thread, ThreadStatus
from inbox.triage.changes import BulkResult, _apply, chunks

if TYPE_CHECKING:
    from inbox.core.access import Actor

_thread = Thread.__table__
_contact = Contact.__table__


def _spam_ids(connection: Connection, thread_ids: Sequence[int]) -> set[int]:
    found: set[int] = set()
    for chunk in chunks(list(thread_ids)):
        found.update(
            connection.execute(
                select(_thread.c.id).where(_thread.c.id.in_(chunk), _thread.c.spam_at.is_not(None))
            ).scalars()
        )
    return found


def mark_spam(
    connection: Connection, thread_ids: Sequence[int], *, actor: Actor, now: datetime
) -> BulkResult:
    """Close threads as spam: out of every open view and of the SLA and response-time stats."""
    already = _spam_ids(connection, thread_ids)
    return _apply(
        connection,
        thread_ids,
        {
            "status": ThreadStatus.CLOSED,
            "closed_at": now,
            "snoozed_until": None,
            "spam_at": now,
        },
        actor=actor,
        now=now,
        refuse=lambda target: "already marked spam" if target.id in already else None,
        change=lambda target: events.ThreadMarkedSpam(before=target.status),
    )


def unmark_spam(
    connection: Connection, thread_ids: Sequence[int], *, actor: Actor, now: datetime
) -> BulkResult:
    """Say threads are not spam after all: they open again, back in the views and the stats."""
    spam = _spam_ids(connection, thread_ids)
    return _apply(
        connection,
        thread_ids,
        {"status": ThreadStatus.OPEN, "closed_at": None, "spam_at": None},
        actor=actor,
        now=now,
        refuse=lambda target: None if target.id in spam else "not marked spam",
        change=lambda target: events.ThreadUnmarkedSpam(),
    )


def _authors(connection: Connection, thread_ids: Sequence[int]) -> dict[int, Any]:
    """Each thread's author (contact id, handle, blocked_at), for threads that have one."""
    found: dict[int, Any] = {}
    for chunk in chunks(list(thread_ids)):
        for row in connection.execute(
            select(
                _thread.c.id,
                _contact.c.id.label("contact_id"),
                _contact.c.handle,
                _contact.c.blocked_at,
            )
            .join(_contact, _contact.c.id == _thread.c.contact_id)
            .where(_thread.c.id.in_(chunk))
        ):
            found[row.id] = row
    return found


def block_authors(
    connection: Connection, thread_ids: Sequence[int], *, actor: Actor, now: datetime
) -> BulkResult:
    """Block the author of each thread and mark the thread spam; their new messages close
    as spam from now on. A thread whose author is already blocked is only marked spam."""
    authors = _authors(connection, thread_ids)
    spam = _spam_ids(connection, thread_ids)

    def refuse(target: Any) -> str | None:
        author = authors.get(target.id)
        if author is None:
            return "no known author to block"
        if author.blocked_at is not None and target.id in spam:
            return f"{author.handle} is already blocked"
        return None

    result = _apply(
        connection,
        thread_ids,
        {"status": ThreadStatus.CLOSED, "closed_at": now, "snoozed_until": None, "spam_at": now},
        actor=actor,
        now=now,
        refuse=refuse,
        change=lambda target: events.ThreadMarkedSpam(before=target.status),
    )
    blocked: set[int] = set()
    for thread_id in result.changed:
        author = authors[thread_id]
        if author.blocked_at is not None or author.contact_id in blocked:
            continue
        blocked.add(author.contact_id)
        connection.execute(
            update(_contact)
            .where(_contact.c.id == author.contact_id, _contact.c.blocked_at.is_(None))
            .values(blocked_at=now, blocked_by=actor.agent_id)
        )
        events.record(
            connection,
            events.AuthorBlocked(contact_id=author.contact_id, handle=author.handle),
            at=now,
            actor=actor.handle,
            thread_id=thread_id,
        )
    return result


def unblock_authors(
    connection: Connection, thread_ids: Sequence[int], *, actor: Actor, now: datetime
) -> BulkResult:
    """Unblock the author of each thread: their next messages arrive as anyone's. The threads
    stay as they are (`unmark_spam` reopens one)."""
    authors = _authors(connection, thread_ids)
    unblocked: set[int] = set()
    changed: list[int] = []
    refused: dict[int, str] = {}
    for thread_id in dict.fromkeys(thread_ids):
        author = authors.get(thread_id)
        if author is None:
            refused[thread_id] = "no such thread, or no known author"
        elif author.blocked_at is None and author.contact_id not in unblocked:
            refused[thread_id] = f"{author.handle} is not blocked"
        else:
            changed.append(thread_id)
            if author.contact_id not in unblocked:
                unblocked.add(author.contact_id)
                events.record(
                    connection,
                    events.AuthorUnblocked(contact_id=author.contact_id, handle=author.handle),
                    at=now,
                    actor=actor.handle,
                    thread_id=thread_id,
                )
    for chunk in chunks(sorted(unblocked)):
        connection.execute(
            update(_contact)
            .where(_contact.c.id.in_(chunk))
            .values(blocked_at=None, blocked_by=None)
        )
    return BulkResult(tuple(changed), refused)
