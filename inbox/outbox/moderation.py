"""Hiding a customer's comment on the platform (and showing it again), through the outbox.

A hide is an outbound row of kind "hide" (or "unhide") whose `in_reply_to` is the comment's
id on the platform: the outbox is the only path to the network, and only the process that
holds the account's secret runs it (`inbox.outbox.sender` calls the adapter's `hide`, then
stamps `item.hidden_at`). Nothing is posted, so no approval applies.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, select

from adapters.base import Direction, Kind
from adapters.registry import UnknownPlatform, adapter_class
from inbox import events
from inbox.core.errors import InvalidInput, NotFound, PermissionDenied
from inbox.core.models import Account, Agent, Item, Outbound, OutboundStatus, Thread
from inbox.outbox.drafts import PENDING_STATUSES, Author, OutboundKind
from inbox.outbox.targets import channel_name

if TYPE_CHECKING:
    from inbox.core.access import Actor

_account = Account.__table__
_agent = Agent.__table__
_item = Item.__table__
_outbound = Outbound.__table__
_thread = Thread.__table__


def hide_refusal(platform: str, thread_kind: str, direction: str) -> str | None:
    """Why a message cannot be hidden from the inbox, or None when it can."""
    try:
        can_hide = adapter_class(platform).can_hide
    except UnknownPlatform:
        can_hide = False
    if not can_hide:
        return f"{channel_name(platform)} does not let the inbox hide comments"
    if direction != Direction.IN:
        return "only a customer's message can be hidden, not the brand's own"
    if thread_kind == Kind.DM:
        return "a direct message cannot be hidden; only comments are public"
    return None


def queue_hide(
    connection: Connection,
    item_id: int,
    *,
    hidden: bool,
    author: Author,
    actor: Actor,
    now: datetime,
) -> int:
    """Queue hiding (or, `hidden` false, showing again) the comment `item_id`; the row's id.

    InvalidInput says why not: the platform cannot hide, it is not a customer's comment,
    it already is (or is not) hidden, or the same change is already on its way;
    PermissionDenied when `actor`, an agent, does not hold the thread.
    """
    row = connection.execute(
        select(
            _item.c.id,
            _item.c.account_id,
            _item.c.thread_id,
            _item.c.direction,
            _item.c.external_id,
            _item.c.hidden_at,
            _account.c.platform,
            _thread.c.kind.label("thread_kind"),
            _thread.c.assignee_id,
            _agent.c.handle.label("assignee"),
        )
        .join(_account, _account.c.id == _item.c.account_id)
        .join(_thread, _thread.c.id == _item.c.thread_id)
        .outerjoin(_agent, _agent.c.id == _thread.c.assignee_id)
        .where(_item.c.id == item_id)
    ).first()
    if row is None:
        raise NotFound(f"no message {item_id} (`inbox threads show ID` lists a thread's messages)")
    holder_refusal = actor.thread_refusal(row.assignee_id, row.assignee)
    if holder_refusal is not None:
        raise PermissionDenied(f"thread {row.thread_id} is {holder_refusal}")
    refusal = hide_refusal(row.platform, row.thread_kind, row.direction)
    if refusal is not None:
        raise InvalidInput(refusal)
    if hidden and row.hidden_at is not None:
        raise InvalidInput(f"message {item_id} is already hidden")
    if not hidden and row.hidden_at is None:
        raise InvalidInput(f"message {item_id} is not hidden")
    kind = OutboundKind.HIDE if hidden else OutboundKind.UNHIDE
    on_its_way = connection.execute(
        select(_outbound.c.id).where(
            _outbound.c.account_id == row.account_id,
            _outbound.c.in_reply_to == row.external_id,
            _outbound.c.kind.in_([str(OutboundKind.HIDE), str(OutboundKind.UNHIDE)]),
            _outbound.c.status.in_([str(status) for status in PENDING_STATUSES]),
        )
    ).first()
    if on_its_way is not None:
        raise InvalidInput(
            f"a change to message {item_id} is already on its way (outgoing {on_its_way.id})"
        )
    words = "Hide" if hidden else "Show again"
    description = f"{words} the comment on {channel_name(row.platform)}"
    outbound_id = connection.execute(
        insert(_outbound).values(
            account_id=row.account_id,
            thread_id=row.thread_id,
            kind=str(kind),
            in_reply_to=row.external_id,
            text=description,
            rendered_text=description,
            status=str(OutboundStatus.QUEUED),
            idempotency_key=uuid.uuid4().hex,
            attempts=0,
            created_by=author.agent_id,
            created_at=now,
            updated_at=now,
        )
    ).inserted_primary_key[0]
    events.record(
        connection,
        events.OutboundQueued(outbound_id=outbound_id, kind=str(kind), account_id=row.account_id),
        at=now,
        actor=author.handle,
        thread_id=row.thread_id,
    )
    return outbound_id
