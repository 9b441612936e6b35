"""Who is told of what: the notifications an event causes, written in its transaction.

Whoever appends an event to the log (a TUI, the CLI, the worker when a send fails) tells
the people it concerns in the same transaction (`inbox.events.record` calls `tell`), so
no process's event goes untold and none is told twice: one row per person, event and kind.

| event | who is told | kind |
| --- | --- | --- |
| `thread.assigned` | the new assignee | assigned |
| `note.added` | each colleague it @mentions | mentioned |
| `outbound.approved` / `rejected` | the message's author | approved / rejected |
| `outbound.failed`, `outbound.unknown` a person must check | the author | failed |
| `outbound.awaiting_approval` | every active lead and admin | approval_waiting |

Nobody is told of their own action. The rules read an event as it is stored (its type
name, actor, thread and payload: the log's lasting format, which older rows share), since
the typed events live a layer above. A text is one sentence built from trusted parts:
handles, thread ids, platform names; anything a person or a platform wrote (a note, a
reviewer's reason, a platform's error) goes in cleaned to one short line.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select

from inbox.core.access import ALLOWED, Action
from inbox.core.database import insert_ignoring_conflicts
from inbox.core.models import Account, Agent, Campaign, Note, NoteMention, Notification, Outbound
from inbox.core.sanitize import first_line, single_line

_account = Account.__table__
_agent = Agent.__table__
_campaign = Campaign.__table__
_mention = NoteMention.__table__
_note = Note.__table__
_notification = Notification.__table__
_outbound = Outbound.__table__

QUOTED_WIDTH = 80
"""Characters of a note or a reviewer's reason a notification quotes."""

REASON_WIDTH = 200
"""Characters of a failed send's reason a notification keeps."""

PEOPLES_MESSAGES = frozenset({"reply", "dm", "post"})
"""The kinds of outgoing message whose fate their author is told."""


class NotificationKind(enum.StrEnum):
    """What a person is told about."""

    ASSIGNED = "assigned"
    MENTIONED = "mentioned"
    APPROVED = "approved"
    REJECTED = "rejected"
    FAILED = "failed"
    APPROVAL_WAITING = "approval_waiting"


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event row as it was just inserted: what the rules read."""

    id: int
    at: datetime
    actor: str
    type: str
    thread_id: int | None
    incident_id: int | None
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class _Notice:
    agent_id: int
    kind: NotificationKind
    text: str


def tell(connection: Connection, recorded: Iterable[RecordedEvent]) -> None:
    """Write the notifications these just-recorded events cause, in the caller's transaction."""
    rows = [
        {
            "agent_id": notice.agent_id,
            "event_id": event.id,
            "kind": str(notice.kind),
            "thread_id": event.thread_id,
            "text": notice.text,
            "created_at": event.at,
        }
        for event in recorded
        if event.type in _RULES
        for notice in _RULES[event.type](connection, event)
    ]
    if rows:
        connection.execute(insert_ignoring_conflicts(connection, _notification), rows)


def _people(connection: Connection, handles: Iterable[str]) -> dict[str, int]:
    """The active people among `handles`, handle to id."""
    wanted = [handle for handle in handles if handle]
    if not wanted:
        return {}
    rows = connection.execute(
        select(_agent.c.handle, _agent.c.id).where(
            _agent.c.handle.in_(wanted), _agent.c.active.is_(True)
        )
    )
    return {handle: agent_id for handle, agent_id in rows}


def _thread_words(thread_id: int | None) -> str:
    return f"thread {thread_id}" if thread_id is not None else "no thread"


def _assigned(connection: Connection, event: RecordedEvent) -> list[_Notice]:
    assignee = event.payload.get("to")
    if not isinstance(assignee, str) or assignee == event.actor:
        return []
    people = _people(connection, [assignee, event.actor])
    if assignee not in people:
        return []
    thread = _thread_words(event.thread_id)
    if event.actor in people:
        text = f"{event.actor} assigned you {thread}"
    else:
        text = f"{thread.capitalize()} was assigned to you"
    reason = _quoted(event.payload.get("reason"), QUOTED_WIDTH)
    if reason:
        text += f" ({reason})"
    return [_Notice(people[assignee], NotificationKind.ASSIGNED, text)]


def _mentioned(connection: Connection, event: RecordedEvent) -> list[_Notice]:
    """The note's mention rows already leave its author out and name people by id."""
    note_id = event.payload.get("note_id")
    if not isinstance(note_id, int):
        return []
    body = connection.execute(select(_note.c.body).where(_note.c.id == note_id)).scalar()
    mentioned = connection.execute(
        select(_mention.c.agent_id)
        .join(_agent, _agent.c.id == _mention.c.agent_id)
        .where(
            _mention.c.note_id == note_id,
            _agent.c.active.is_(True),
            _agent.c.handle != event.actor,
        )
    ).scalars()
    text = f"{event.actor} mentioned you on {_thread_words(event.thread_id)}"
    if quoted := _quoted(body, QUOTED_WIDTH):
        text += f": “{quoted}”"
    return [_Notice(agent_id, NotificationKind.MENTIONED, text) for agent_id in mentioned]


def _outgoing(connection: Connection, event: RecordedEvent) -> Row[Any] | None:
    """The outgoing message an event is about, with its author and channel; None for rows
    without an author and for what is not a person's message (a statement's mails to its
    subscribers are told as one mailing; hiding a comment is moderation)."""
    outbound_id = event.payload.get("outbound_id")
    if not isinstance(outbound_id, int):
        return None
    row = connection.execute(
        select(
            _outbound.c.id,
            _outbound.c.kind,
            _outbound.c.thread_id,
            _outbound.c.campaign_id,
            _outbound.c.created_by,
            _agent.c.handle.label("author"),
            _agent.c.active.label("author_active"),
            _account.c.platform,
        )
        .join(_account, _account.c.id == _outbound.c.account_id)
        .join(_agent, _agent.c.id == _outbound.c.created_by)
        .where(_outbound.c.id == outbound_id)
    ).first()
    if row is None or row.kind not in PEOPLES_MESSAGES:
        return None
    return row


def _message_words(row: Row[Any]) -> str:
    """The message as its author knows it: "reply on thread 42", "post on mastodon"."""
    if row.kind == "post":
        return f"post on {single_line(row.platform)}"
    noun = "direct message" if row.kind == "dm" else "reply"
    return f"{noun} on {_thread_words(row.thread_id)}"


def _to_author(
    connection: Connection, event: RecordedEvent, kind: NotificationKind, say: Callable[[str], str]
) -> list[_Notice]:
    row = _outgoing(connection, event)
    if row is None or not row.author_active or row.author == event.actor:
        return []
    return [_Notice(row.created_by, kind, say(_message_words(row)))]


def _approved(connection: Connection, event: RecordedEvent) -> list[_Notice]:
    edits = " with edits" if event.payload.get("edited") else ""
    return _to_author(
        connection,
        event,
        NotificationKind.APPROVED,
        lambda message: f"{event.actor} approved your {message}{edits}; it is on its way",
    )


def _rejected(connection: Connection, event: RecordedEvent) -> list[_Notice]:
    note = _quoted(event.payload.get("note"), QUOTED_WIDTH)
    why = f": “{note}”" if note else ""
    return _to_author(
        connection,
        event,
        NotificationKind.REJECTED,
        lambda message: f"{event.actor} rejected your {message}{why}",
    )


def _quoted(words: Any, width: int) -> str:
    """What a person or a platform wrote, as one clean line ("" when nothing is left)."""
    return first_line(words, width) if isinstance(words, str) else ""


def _reason(event: RecordedEvent) -> str:
    reason = _quoted(event.payload.get("reason"), REASON_WIDTH)
    return f": {reason}" if reason else ""


def _failed(connection: Connection, event: RecordedEvent) -> list[_Notice]:
    return _to_author(
        connection,
        event,
        NotificationKind.FAILED,
        lambda message: f"Your {message} failed{_reason(event)}",
    )


def _unknown(connection: Connection, event: RecordedEvent) -> list[_Notice]:
    """Only when a person must check: otherwise the sender looks again by itself and the
    message ends sent or failed, which is told then."""
    if not event.payload.get("needs_person"):
        return []
    return _to_author(
        connection,
        event,
        NotificationKind.FAILED,
        lambda message: (
            f"Your {message} may or may not have been posted{_reason(event)}; "
            "check the platform, then retry or cancel it in the outbox"
        ),
    )


def _approval_waiting(connection: Connection, event: RecordedEvent) -> list[_Notice]:
    """Every lead and admin but the author; a campaign's many rows are told once, by its first."""
    row = _outgoing(connection, event)
    if row is None:
        return []
    message = _message_words(row)
    if row.campaign_id is not None:
        first_id = connection.execute(
            select(func.min(_outbound.c.id)).where(_outbound.c.campaign_id == row.campaign_id)
        ).scalar()
        if first_id != row.id:
            return []
        title = connection.execute(
            select(_campaign.c.title).where(_campaign.c.id == row.campaign_id)
        ).scalar()
        title = _quoted(title, QUOTED_WIDTH)
        message = f"message to many “{title}”" if title else "message to many"
    leads = connection.execute(
        select(_agent.c.id).where(
            _agent.c.role.in_([str(role) for role in ALLOWED[Action.APPROVE]]),
            _agent.c.active.is_(True),
            _agent.c.handle != event.actor,
        )
    ).scalars()
    text = f"{event.actor}'s {message} waits for your approval"
    return [_Notice(agent_id, NotificationKind.APPROVAL_WAITING, text) for agent_id in leads]


_RULES: dict[str, Callable[[Connection, RecordedEvent], Sequence[_Notice]]] = {
    "thread.assigned": _assigned,
    "note.added": _mentioned,
    "outbound.approved": _approved,
    "outbound.rejected": _rejected,
    "outbound.failed": _failed,
    "outbound.unknown": _unknown,
    "outbound.awaiting_approval": _approval_waiting,
}
"""The rule of each event type that tells someone, by its stored name."""

NOTIFYING_TYPES = frozenset(_RULES)
"""The event types that may tell someone: the log keeps their ids to point at."""
