"""The preview pane: one thread's messages, in and out, with their attachments, oldest first.

Everything a platform sent is shown as `rich.text.Text` after `inbox.core.sanitize`: markup in
a post stays characters on the screen, and control sequences never reach the terminal.
The whole conversation is one renderable, so opening a long thread mounts nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from inbox import ItemRow, PresenceRow, ThreadRow
from tui import bindings
from tui.themes import component_colours
from tui.widgets import labels
from tui.widgets.message_body import message_body


class ThreadPreview(VerticalScroll, can_focus=True):
    """The messages of the selected thread, scrollable when it has focus."""

    BINDINGS = bindings.THREAD_PREVIEW

    COMPONENT_CLASSES = {
        "thread-preview--inbound",
        "thread-preview--outbound",
        "thread-preview--meta",
        "thread-preview--notice",
        "thread-preview--warning",
    }

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._thread_id: int | None = None
        self._shown: tuple[ThreadRow, Sequence[ItemRow]] | None = None
        self._plain_text = ""
        self._body = Static(id="preview-body")

    @property
    def thread_id(self) -> int | None:
        """The thread shown, if any."""
        return self._thread_id

    @property
    def plain_text(self) -> str:
        """What the pane shows, as plain text (for copying, and for tests)."""
        return self._plain_text

    def compose(self):
        yield self._body

    def on_mount(self) -> None:
        self.border_title = "Preview"

    def show_notice(self, notice: str) -> None:
        """Show a line of help instead of a thread (nothing selected, loading, gone)."""
        self._thread_id = None
        self._shown = None
        self._plain_text = notice
        self.border_title = "Preview"
        self.border_subtitle = ""
        self._body.update(Text(notice, style=component_colours(self, "thread-preview--notice")))

    def show_thread(self, thread: ThreadRow, items: Sequence[ItemRow], now: datetime) -> None:
        """Show `thread`'s messages (the latest ones the service gave), newest at the bottom."""
        same_thread = thread.id == self._thread_id
        self._thread_id = thread.id
        self._shown = (thread, items)
        self.border_title = Content(
            f"{labels.author_label(thread.author)} · {labels.platform_label(thread.platform)} "
            f"{labels.kind_label(thread.kind)} · {thread.status}"
        )
        parts: list[RenderableType] = []
        plain: list[str] = []
        meta = component_colours(self, "thread-preview--meta")
        warning = component_colours(self, "thread-preview--warning")
        if thread.item_count > len(items):
            showing = Text(
                f"showing the latest {len(items)} of {thread.item_count} messages\n", style=meta
            )
            parts.append(showing)
            plain.append(showing.plain)
        for item in items:
            header = self._header(item, now)
            parts.append(header)
            body = message_body(item.text, item.attachments, meta=meta, warning=warning)
            parts.append(Padding(body.renderable, (0, 0, 1, 2)))
            plain.extend([header.plain, body.plain])
        if not items:
            parts.append(Text("This thread has no messages yet."))
            plain.append("This thread has no messages yet.")
        self._plain_text = "\n".join(plain)
        self._body.update(Group(*parts))
        if not same_thread:
            self.scroll_end(animate=False, immediate=False)

    def show_line(self, thread: ThreadRow, now: datetime) -> None:
        """The shown thread's list line was read again: redraw with it if it changed."""
        if self._shown is not None and self._shown[0].id == thread.id and self._shown[0] != thread:
            self.show_thread(thread, self._shown[1], now)

    def show_presence(self, presence: Sequence[PresenceRow]) -> None:
        """Say under the pane who else has the thread open: `blake is replying`."""
        self.border_subtitle = Content(labels.presence_text(presence))

    def show_times_at(self, now: datetime) -> None:
        """Redraw the shown thread with its ages counted to `now`."""
        if self._shown is not None:
            self.show_thread(*self._shown, now)

    def _header(self, item: ItemRow, now: datetime) -> Text:
        meta = component_colours(self, "thread-preview--meta")
        header = Text(no_wrap=True, overflow="ellipsis")
        if item.automated:
            style = component_colours(self, "thread-preview--outbound")
            header.append("↳ acknowledgement · sent by the inbox", style)
        elif item.direction == "out":
            style = component_colours(self, "thread-preview--outbound")
            header.append("↳ reply", style)
            if item.author:
                header.append(f" from {labels.author_label(item.author)}", style)
        else:
            style = component_colours(self, "thread-preview--inbound")
            header.append(labels.author_label(item.author), style)
            if item.hidden_at is not None:
                header.append(" · hidden on the platform", style)
        age = labels.age_label(item.created_at, now)
        header.append(
            f"  {labels.local_time_label(item.created_at, now)} · "
            f"{'just now' if age == 'now' else age + ' ago'}",
            meta,
        )
        return header
