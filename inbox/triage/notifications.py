"""A person's notifications, read back: the "For me" list, its counts, and marking them read.

They are written with the events that cause them (`inbox.core.notifications`); here each
person reads their own, newest first, with the thread each is about (its platform, its
customer, what they last wrote) so the list says where to go without opening anything.
A notification stays listed until its person reads it. The approvals waiting are counted
here too: a lead's status bar shows both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select, update

from inbox.core.models import Account, Contact, Notification, Outbound, OutboundStatus, Thread
from inbox.core.notifications import NotificationKind

_account = Account.__table__
_contact = Contact.__table__
_notification = Notification.__table__
_outbound = Outbound.__table__
_thread = Thread.__table__


@dataclass(frozen=True, slots=True)
class NotificationRow:
    """Something one person was told, with the thread it is about.

    `text` was built from trusted parts; `thread_author` and `thread_preview` come from
    the platform, so they are shown through the display cleaning like any message.
    """

    id: int
    kind: str
    text: str
    created_at: datetime
    read_at: datetime | None
    thread_id: int | None
    platform: str | None
    thread_author: str | None
    thread_preview: str | None


@dataclass(frozen=True, slots=True)
class WaitingCounts:
    """What waits for a person: unread notifications and, for leads, approvals."""

    unread: int
    approvals: int | None
    """Messages awaiting approval (None: this person does not approve)."""


def notifications(
    connection: Connection,
    agent_id: int,
    *,
    unread_only: bool = True,
    after_id: int = 0,
    limit: int = 200,
) -> list[NotificationRow]:
    """A person's notifications with an id above `after_id`, newest first."""
    conditions = [_notification.c.agent_id == agent_id, _notification.c.id > after_id]
    if unread_only:
        conditions.append(_notification.c.read_at.is_(None))
    rows = connection.execute(
        select(
            _notification.c.id,
            _notification.c.kind,
            _notification.c.text,
            _notification.c.created_at,
            _notification.c.read_at,
            _notification.c.thread_id,
            _account.c.platform,
            _contact.c.handle.label("thread_author"),
            _thread.c.preview.label("thread_preview"),
        )
        .outerjoin(_thread, _thread.c.id == _notification.c.thread_id)
        .outerjoin(_account, _account.c.id == _thread.c.account_id)
        .outerjoin(_contact, _contact.c.id == _thread.c.contact_id)
        .where(*conditions)
        .order_by(_notification.c.id.desc())
        .limit(limit)
    )
    return [NotificationRow(**row._mapping) for row in rows]


def waiting_counts(
    connection: Connection, agent_id: int | None, *, approves: bool
) -> WaitingCounts:
    """How many of a person's notifications are unread, and how many messages await approval."""
    unread = 0
    if agent_id is not None:
        unread = connection.execute(
            select(func.count()).where(
                _notification.c.agent_id == agent_id, _notification.c.read_at.is_(None)
            )
        ).scalar_one()
    approvals = None
    if approves:
        approvals = connection.execute(
            select(func.count()).where(_outbound.c.status == str(OutboundStatus.AWAITING_APPROVAL))
        ).scalar_one()
    return WaitingCounts(unread=unread, approvals=approvals)


def mark_read(
    connection: Connection,
    agent_id: int,
    *,
    now: datetime,
    notification_ids: Sequence[int] | None = None,
    kinds: Sequence[NotificationKind] | None = None,
) -> int:
    """Mark a person's unread notifications read: these ids, these kinds, or (neither) all.

    Returns how many were unread; another person's ids are left alone.
    """
    conditions = [_notification.c.agent_id == agent_id, _notification.c.read_at.is_(None)]
    if notification_ids is not None:
        if not notification_ids:
            return 0
        conditions.append(_notification.c.id.in_(list(notification_ids)))
    if kinds is not None:
        conditions.append(_notification.c.kind.in_([str(kind) for kind in kinds]))
    return connection.execute(update(_notification).where(*conditions).values(read_at=now)).rowcount
