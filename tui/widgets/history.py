"""The history pane: what happened to a thread, newest first, one plain sentence per event.

A side pane of the thread screen, read from the event log by the service
(`InboxService.history`). Messages are dated by the platform's times, with the time the
inbox fetched them when that was much later. Tags and names in the sentences may come
from people or platforms, so they are shown as plain text through `inbox.core.sanitize`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from inbox import for_display
from tui.themes import component_colours
from tui.widgets import labels

if TYPE_CHECKING:
    from inbox import HistoryEntry


def written_text(entry: HistoryEntry, now: datetime) -> str:
    """What an arrival adds to its sentence beside the time it was written (the time column):
    when the earliest of several was written, and when the inbox fetched them if much later.

    Such as `, written from Nov 20 09:02, fetched 03:50`; empty when there is nothing to add.
    """
    if entry.written_at is None:
        return ""
    parts = []
    if entry.first_written_at is not None:
        parts.append(f"written from {labels.local_time_label(entry.first_written_at, now)}")
    if labels.fetched_late(entry.written_at, entry.at):
        parts.append(f"fetched {labels.local_time_label(entry.at, now)}")
    return "".join(f", {part}" for part in parts)


class HistoryPane(VerticalScroll, can_focus=True):
    """A thread's events as sentences, scrollable when it has focus."""

    COMPONENT_CLASSES = {"history--time"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._body = Static("Reading the history…", id="history-body")
        self._plain_text = ""

    def compose(self):
        yield self._body

    @property
    def plain_text(self) -> str:
        """What the pane shows, as plain text (for tests)."""
        return self._plain_text

    def on_mount(self) -> None:
        self.border_title = "History, newest first"

    def show_history(self, entries: Sequence[HistoryEntry], now: datetime) -> None:
        """Show `entries` (oldest first, as the service gives them) newest first.

        Who did it is added when the sentence does not say.
        """
        time_style = component_colours(self, "history--time")
        grid = Table.grid(padding=(0, 2, 0, 0))
        grid.add_column(no_wrap=True)
        grid.add_column()
        lines: list[str] = []
        for entry in reversed(entries):
            said = for_display(entry.text).strip()
            sentence = said + written_text(entry, now)
            actor = for_display(entry.actor or "").strip()
            if actor and not re.search(rf"(?<!\w){re.escape(actor)}(?!\w)", said):
                sentence += f" ({actor})"
            when = labels.local_time_label(entry.happened_at, now)
            grid.add_row(Text(when, time_style), Text(sentence))
            lines.append(f"{when}  {sentence}")
        if not entries:
            lines.append("Nothing has happened to this thread yet.")
            grid.add_row(Text(lines[0]))
        self._plain_text = "\n".join(lines)
        self._body.update(grid)
        self.scroll_home(animate=False)
