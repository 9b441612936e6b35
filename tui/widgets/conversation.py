"""The whole conversation of one thread: messages in and out, replies on their way, and notes.

A reply queued in the outbox shows where it stands (awaiting approval, queued, sending,
failed with the reason); once sent it is the outgoing message the sender recorded, marked
with who sent it. A message shows its attachments under its text, a content warning above
it (`tui/widgets/message_body.py`). Internal notes sit among the messages at their time, on
a tinted block headed "internal note", so none can pass for something the customer saw.
Platform text and notes go through `inbox.core.sanitize` into plain `rich.text.Text`, so
markup in them is shown as characters and does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.style import Style
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from inbox import ItemRow, OutboundRow, ThreadRow, for_display
from tui import bindings
from tui.themes import component_colours
from tui.widgets import labels
from tui.widgets.message_body import MessageBody, message_body

if TYPE_CHECKING:
    from inbox import NoteRow

STATUS_LABELS = {
    "awaiting_approval": "awaiting a lead's approval",
    "queued": "queued",
    "sending": "sending…",
    "sent": "sent",
    "failed": "failed",
    "unknown": "sent? checking with the platform",
    "cancelled": "cancelled",
    "rejected": "rejected",
}
"""How an outgoing reply's status reads."""

MODERATION_KINDS = {"hide": "hiding the comment", "unhide": "showing the comment again"}
"""Outbox rows that post nothing: shown while on their way or failed, then as the message's
"hidden" mark."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One block of the conversation: a message, a reply the outbox holds, or an internal note."""

    at: datetime
    item: ItemRow | None = None
    outbound: OutboundRow | None = None
    sent_by: OutboundRow | None = None
    """For an outgoing message, the outbox row that sent it from here."""
    note: NoteRow | None = None


def timeline(
    items: Sequence[ItemRow], outbound: Sequence[OutboundRow], notes: Sequence[NoteRow] = ()
) -> list[Entry]:
    """Messages, not-yet-sent replies and notes in time order; a sent reply joins its message."""
    sent = {(row.rendered_text, row.sent_at): row for row in outbound if row.status == "sent"}
    sent_by_text = {row.rendered_text: row for row in outbound if row.status == "sent"}
    used: set[int] = set()
    entries: list[Entry] = []
    for item in items:
        row = None
        if item.direction == "out":
            row = sent.get((item.text, item.created_at)) or sent_by_text.get(item.text)
            if row is not None and row.id in used:
                row = None
        if row is not None:
            used.add(row.id)
        entries.append(Entry(item.created_at, item=item, sent_by=row))
    for row in outbound:
        if row.id in used or row.kind == "post":
            continue
        if row.kind in MODERATION_KINDS and row.status == "sent":
            continue
        entries.append(Entry(row.sent_at or row.created_at, outbound=row))
    entries.extend(Entry(note.created_at, note=note) for note in notes)
    entries.sort(key=lambda entry: entry.at)
    return entries


class Conversation(VerticalScroll, can_focus=True):
    """A thread's messages, oldest first, scrollable when it has focus."""

    BINDINGS = bindings.CONVERSATION

    COMPONENT_CLASSES = {
        "conversation--inbound",
        "conversation--outbound",
        "conversation--meta",
        "conversation--pending",
        "conversation--failed",
        "conversation--notice",
        "conversation--warning",
        "conversation--note",
        "conversation--note-body",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._body = Static(id="conversation-body")
        self._plain_text = ""
        self._shown: (
            tuple[ThreadRow, Sequence[ItemRow], Sequence[OutboundRow], Sequence[NoteRow]] | None
        ) = None
        self._now: datetime | None = None
        self._drawn_with: tuple[Style, ...] = ()
        """The component colours the conversation was last drawn with."""

    @property
    def plain_text(self) -> str:
        """What the conversation shows, as plain text (for tests and copying)."""
        return self._plain_text

    def compose(self):
        yield self._body

    @property
    def thread_id(self) -> int | None:
        """The thread whose conversation is shown, if one is."""
        return None if self._shown is None else self._shown[0].id

    @property
    def outbound_rows(self) -> Sequence[OutboundRow]:
        """The thread's outgoing replies as shown, oldest first."""
        return () if self._shown is None else self._shown[2]

    def show_notice(self, notice: str) -> None:
        """Show one line instead of a conversation (loading, gone)."""
        self._shown = None
        self._plain_text = notice
        self._body.update(Text(notice, style=component_colours(self, "conversation--notice")))

    def show_conversation(
        self,
        thread: ThreadRow,
        items: Sequence[ItemRow],
        outbound: Sequence[OutboundRow],
        now: datetime,
        notes: Sequence[NoteRow] = (),
    ) -> None:
        """Show everything said in `thread`, keeping the view at the bottom if it was there."""
        at_end = self._shown is None or self.scroll_y >= self.max_scroll_y
        self._shown = (thread, items, outbound, notes)
        self._now = now
        parts: list[RenderableType] = []
        plain: list[str] = []
        if thread.item_count > len(items):
            meta = Text(
                f"showing the latest {len(items)} of {thread.item_count} messages\n",
                style=component_colours(self, "conversation--meta"),
            )
            parts.append(meta)
            plain.append(meta.plain)
        for entry in timeline(items, outbound, notes):
            header = self._header(entry, now)
            if entry.note is not None:
                note = Text(labels.message_text(entry.note.body) or "(no text)")
                block = Padding(
                    note,
                    (0, 1, 0, 2),
                    style=self.get_component_rich_style("conversation--note-body"),
                )
                parts.extend([header, block, Text("")])
                plain.extend([header.plain, note.plain])
            else:
                body = self._message_body(entry)
                parts.extend([header, Padding(body.renderable, (0, 0, 1, 2))])
                plain.extend([header.plain, body.plain])
        if not parts:
            parts.append(Text("This thread has no messages yet."))
            plain.append("This thread has no messages yet.")
        self._plain_text = "\n".join(plain)
        self._drawn_with = self._palette()
        self._body.update(Group(*parts))
        if at_end:
            self.scroll_end(animate=False, immediate=False)

    def notify_style_update(self) -> None:
        """Draw again once the styles are (re)applied, if that changed the colours (a new theme).

        Showing the screen restyles it every time; redrawing then would build the whole
        conversation twice per opened thread.
        """
        super().notify_style_update()
        if (
            self._shown is not None
            and self._now is not None
            and self._palette() != self._drawn_with
        ):
            self._redraw(self._now)

    def _palette(self) -> tuple[Style, ...]:
        return tuple(self.get_component_rich_style(name) for name in sorted(self.COMPONENT_CLASSES))

    def show_times_at(self, now: datetime) -> None:
        """Redraw with the times counted to `now`."""
        if self._shown is not None:
            self._redraw(now)

    def _redraw(self, now: datetime) -> None:
        assert self._shown is not None
        thread, items, outbound, notes = self._shown
        self.show_conversation(thread, items, outbound, now, notes)

    def _message_body(self, entry: Entry) -> MessageBody:
        """A message with its attachments, or a reply the outbox holds (text only)."""
        if entry.item is not None:
            text, attachments = entry.item.text, entry.item.attachments
        else:
            assert entry.outbound is not None
            text, attachments = entry.outbound.rendered_text, ()
        return message_body(
            text,
            attachments,
            meta=component_colours(self, "conversation--meta"),
            warning=component_colours(self, "conversation--warning"),
        )

    def _header(self, entry: Entry, now: datetime) -> Text:
        meta = component_colours(self, "conversation--meta")
        header = Text(no_wrap=True, overflow="ellipsis")
        if entry.note is not None:
            header.append(
                f"▍internal note · {for_display(entry.note.author)} · only colleagues see this",
                component_colours(self, "conversation--note"),
            )
        elif entry.item is not None and entry.item.direction == "in":
            header.append(
                labels.author_label(entry.item.author),
                component_colours(self, "conversation--inbound"),
            )
            if entry.item.hidden_at is not None:
                header.append(
                    " · hidden on the platform", component_colours(self, "conversation--warning")
                )
        elif entry.item is not None and entry.item.automated:
            header.append(
                "↳ acknowledgement · sent by the inbox",
                component_colours(self, "conversation--outbound"),
            )
        elif entry.item is not None:
            outbound_style = component_colours(self, "conversation--outbound")
            header.append("↳ reply", outbound_style)
            if entry.item.author:
                header.append(f" from {labels.author_label(entry.item.author)}", outbound_style)
            if entry.sent_by is not None:
                sender = entry.sent_by.author
                by = f" by {for_display(sender)}" if sender and sender != entry.item.author else ""
                header.append(f" · sent{by}", outbound_style)
        else:
            row = entry.outbound
            assert row is not None
            failed = row.status in ("failed", "rejected")
            style = component_colours(
                self, "conversation--failed" if failed else "conversation--pending"
            )
            who = f" from {for_display(row.author)}" if row.author else ""
            what = MODERATION_KINDS.get(row.kind, "reply")
            if row.purpose == "acknowledgement":
                what, who = "acknowledgement", " from the inbox"
            status = STATUS_LABELS.get(row.status, row.status)
            if row.waits_for_person:
                status = "not confirmed: check the platform; R sends again, W withdraws"
            elif row.status == "failed":
                status = "failed: R sends again, W withdraws"
            header.append(f"↳ {what}{who} · {status}", style)
            reason = (
                row.error
                or row.review_note
                or (row.approval_reason if row.status == "awaiting_approval" else None)
            )
            if reason:
                header.append(f": {labels.preview_label(reason)}", style)
        age = labels.age_label(entry.at, now)
        header.append(
            f"  {labels.local_time_label(entry.at, now)} · "
            f"{'just now' if age == 'now' else age + ' ago'}",
            meta,
        )
        return header
