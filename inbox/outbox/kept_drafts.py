"""Replies people were writing and have not sent, kept per person and thread.

So a reply survives quitting the app, a crash, or moving to another terminal: the composer
saves it as the person types, and opening the thread again brings it back. Queueing the
person's reply deletes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from inbox.core import sanitize
from inbox.core.errors import InvalidInput, NotFound
from inbox.core.models import ReplyDraft, Thread

if TYPE_CHECKING:
    from inbox.core.access import Actor

_draft = ReplyDraft.__table__
_thread = Thread.__table__


def kept_draft(connection: Connection, thread_id: int, *, actor: Actor) -> str | None:
    """The reply `actor` was writing on a thread, or None."""
    if actor.agent_id is None:
        return None
    return connection.execute(
        select(_draft.c.text).where(
            _draft.c.agent_id == actor.agent_id, _draft.c.thread_id == thread_id
        )
    ).scalar()


def keep_draft(
    connection: Connection, thread_id: int, text: str, *, actor: Actor, now: datetime
) -> None:
    """Keep `text` as `actor`'s reply in the making on a thread; blank text forgets it."""
    if not text.strip():
        forget_draft(connection, thread_id, actor=actor)
        return
    if actor.agent_id is None:
        raise InvalidInput(f"{actor.handle} is not a person here; pass --as HANDLE to keep drafts")
    if connection.execute(select(_thread.c.id).where(_thread.c.id == thread_id)).first() is None:
        raise NotFound(f"no thread {thread_id}")
    dialect = sqlite if connection.dialect.name == "sqlite" else postgresql
    statement = dialect.insert(_draft).values(
        agent_id=actor.agent_id,
        thread_id=thread_id,
        text=sanitize.for_storage(text),
        updated_at=now,
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[_draft.c.agent_id, _draft.c.thread_id],
            set_={"text": statement.excluded.text, "updated_at": statement.excluded.updated_at},
        )
    )


def forget_draft(connection: Connection, thread_id: int, *, actor: Actor) -> None:
    """Delete `actor`'s draft on a thread, if there is one."""
    if actor.agent_id is not None:
        connection.execute(
            delete(_draft).where(
                _draft.c.agent_id == actor.agent_id, _draft.c.thread_id == thread_id
            )
        )
