"""The whole conversation of one thread: messages in and out, and replies still on their way.

A reply queued in the outbox shows where it stands (awaiting approval, queued, sending,
failed with the reason); once sent it is the outgoing message the sender recorded, marked
with who sent it. Platform text goes through `inbox.sanitize` into plain `rich.text.Text`,
so markup in a post is shown as characters and does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from inbox.outbox import OutboundRow
from inbox.sanitize import for_display
from inbox.service import ItemRow, ThreadRow
from tui import bindings
from tui.themes import component_colours
from tui.widgets import labels

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


@dataclass(frozen=True, slots=True)
class Entry:
    """One block of the conversation: a message, or a reply the outbox holds."""

    at: datetime
    item: ItemRow | None = None
    outbound: OutboundRow | None = None
    sent_by: OutboundRow | None = None
    """For an outgoing message, the outbox row that sent it from here."""


def timeline(items: Sequence[ItemRow], outbound: Sequence[OutboundRow]) -> list[Entry]:
    """Messages and not-yet-sent replies in time order; a sent reply joins the message it became."""
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
        if row.id not in used and row.kind != "post":
            entries.append(Entry(row.sent_at or row.created_at, outbound=row))
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
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._body = Static(id="conversation-body")
        self._plain_text = ""
        self._shown: tuple[ThreadRow, Sequence[ItemRow], Sequence[OutboundRow]] | None = None
        self._now: datetime | None = None

    @property
    def plain_text(self) -> str:
        """What the conversation shows, as plain text (for tests and copying)."""
        return self._plain_text

    def compose(self):
        yield self._body

    def show_notice(self, notice: str) -> None:
        """Show one line instead of a conversation (loading, gone)."""
        self._plain_text = notice
        self._body.update(Text(notice, style=component_colours(self, "conversation--notice")))

    def show_conversation(
        self,
        thread: ThreadRow,
        items: Sequence[ItemRow],
        outbound: Sequence[OutboundRow],
        now: datetime,
    ) -> None:
        """Show everything said in `thread`, keeping the view at the bottom if it was there."""
        at_end = self._shown is None or self.scroll_y >= self.max_scroll_y
        self._shown = (thread, items, outbound)
        self._now = now
        parts: list[RenderableType] = []
        if thread.item_count > len(items):
            parts.append(
                Text(
                    f"showing the latest {len(items)} of {thread.item_count} messages\n",
                    style=component_colours(self, "conversation--meta"),
                )
            )
        for entry in timeline(items, outbound):
            parts.append(self._header(entry, now))
            if entry.item is not None:
                body = labels.message_text(entry.item.text) or "(no text)"
            else:
                body = labels.message_text(entry.outbound.rendered_text) or "(no text)"
            parts.append(Padding(Text(body), (0, 0, 1, 2)))
        if not parts:
            parts.append(Text("This thread has no messages yet."))
        self._plain_text = "\n".join(
            part.renderable.plain if isinstance(part, Padding) else part.plain for part in parts
        )
        self._body.update(Group(*parts))
        if at_end:
            self.scroll_end(animate=False, immediate=False)

    def notify_style_update(self) -> None:
        """Draw again with the theme's colours once the styles are (re)applied."""
        super().notify_style_update()
        if self._shown is not None and self._now is not None:
            self.show_conversation(*self._shown, self._now)

    def show_times_at(self, now: datetime) -> None:
        """Redraw with the times counted to `now`."""
        if self._shown is not None:
            self.show_conversation(*self._shown, now)

    def _header(self, entry: Entry, now: datetime) -> Text:
        meta = component_colours(self, "conversation--meta")
        header = Text(no_wrap=True, overflow="ellipsis")
        if entry.item is not None and entry.item.direction == "in":
            header.append(
                labels.author_label(entry.item.author),
                component_colours(self, "conversation--inbound"),
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
            header.append(f"↳ reply{who} · {STATUS_LABELS.get(row.status, row.status)}", style)
            reason = row.error or row.review_note or (
                row.approval_reason if row.status == "awaiting_approval" else None
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
