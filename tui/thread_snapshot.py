"""One thread as the thread screen shows it, read in one go.

Once the inbox's preview shows the highlighted thread, the inbox reads it ahead like this,
so enter opens the thread screen with the conversation and the composer's channel already
on hand; the screen then reads it again in the background for anything newer. Called from
workers only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from inbox import InboxService, ItemRow, OutboundRow, PermissionDenied, ThreadRow

if TYPE_CHECKING:
    from inbox import NoteRow

CONVERSATION_ITEMS = 200
"""Messages a conversation shows at most: the latest ones."""


@dataclass(frozen=True, slots=True)
class Channel:
    """How the thread's channel counts a reply, and the thread's version when it was read."""

    name: str
    rule: str
    limit: int | None
    seen_version: int | None


@dataclass(frozen=True, slots=True)
class ThreadSnapshot:
    """A thread, its latest messages, its outgoing replies and notes, and how to answer it."""

    thread: ThreadRow
    items: Sequence[ItemRow]
    outbound: Sequence[OutboundRow]
    notes: Sequence[NoteRow]
    channel: Channel | None
    """How the channel counts a reply and the thread's version; None when `refusal` says why not."""
    refusal: str | None = None
    """Why the person may not answer here, in their words."""
    draft: str | None = None
    """The reply the person was writing here and has not sent (kept in the database)."""


def read_thread(
    service: InboxService, thread_id: int, *, with_draft: bool = False
) -> ThreadSnapshot:
    """Read `thread_id` as the thread screen shows it; raises `NotFound` when it is gone.

    `with_draft` reads the person's kept draft too (the thread screen's first reading of a
    visit; the read-ahead and later readings do not need it).
    """
    thread = service.thread(thread_id)
    items = service.thread_items(thread_id, limit=CONVERSATION_ITEMS)
    outbound = service.outbound_for_thread(thread_id)
    notes = service.notes(thread_id)
    try:
        draft = service.preview_reply(thread_id, "")
    except PermissionDenied as refused:
        return ThreadSnapshot(
            thread, items, outbound, notes, None, f"You cannot answer here: {refused}"
        )
    channel = Channel(
        name=draft.target.channel,
        rule=draft.rendered.fit.rule,
        limit=draft.target.text_limit,
        seen_version=draft.target.thread_version,
    )
    draft_text = service.draft(thread_id) if with_draft else None
    return ThreadSnapshot(thread, items, outbound, notes, channel, draft=draft_text)
