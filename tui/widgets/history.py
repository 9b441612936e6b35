"""The history pane: what happened to a thread, newest first, one plain sentence per event.

A side pane of the thread screen, read from the event log by the service
(`InboxService.history`). Tags and names in the sentences may come from people or
platforms, so they are shown as plain text through `inbox.core.sanitize`.
"""

from __future__ import annotations

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
            sentence = for_display(entry.text).strip()
            actor = for_display(entry.actor or "").strip()
            if actor and actor not in sentence.split():
                sentence += f" ({actor})"
            when = labels.local_time_label(entry.at, now)
            grid.add_row(Text(when, time_style), Text(sentence))
            lines.append(f"{when}  {sentence}")
        if not entries:
            lines.append("Nothing has happened to this thread yet.")
            grid.add_row(Text(lines[0]))
        self._plain_text = "\n".join(lines)
        self._body.update(grid)
        self.scroll_home(animate=False)
