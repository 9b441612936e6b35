"""The author card: who wrote a thread, where and since when, and their other threads.

"Since when" is the platform's time of their first message the inbox holds; the time the
inbox fetched it is added when that was much later (a backfill of old conversations).

A side pane of the thread screen. Enter (or a click) on one of the other threads says so
with `AuthorCardPane.ThreadChosen`; the screen opens it. Handles and names come from
platforms, so they are shown as plain text through `inbox.core.sanitize`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from inbox import counted
from tui.widgets import labels

if TYPE_CHECKING:
    from inbox import AuthorCard


def first_wrote_text(card: AuthorCard, now: datetime) -> str:
    """When the author first wrote, by the platform's clock, and on a second line when the
    inbox fetched it if that was much later: `first wrote Dec 6 23:14 (3w ago)`."""
    first, fetched = card.first_message_at, card.first_seen_at
    if first is None:
        return f"known since {labels.local_time_label(fetched, now)}"
    text = f"first wrote {labels.local_time_label(first, now)} ({labels.age_label(first, now)} ago)"
    if labels.fetched_late(first, fetched):
        text += f"\nfetched {labels.local_time_label(fetched, now)}"
    return text


class AuthorCardPane(Vertical):
    """The person behind a thread; their other threads can be opened from here."""

    class ThreadChosen(Message):
        """One of the author's other threads was picked to open."""

        def __init__(self, thread_id: int) -> None:
            super().__init__()
            self.thread_id = thread_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._plain_text = ""

    def compose(self) -> ComposeResult:
        yield Static("Reading who wrote it…", id="author-details")
        yield OptionList(id="author-threads")

    @property
    def plain_text(self) -> str:
        """What the card shows, as plain text (for tests)."""
        return self._plain_text

    @property
    def thread_list(self) -> OptionList:
        return self.query_one("#author-threads", OptionList)

    def on_mount(self) -> None:
        self.border_title = "Author"

    def show_card(self, card: AuthorCard, now: datetime) -> None:
        """Show `card`, its other threads newest first."""
        details = Text()
        details.append(labels.author_label(card.handle), "bold")
        if card.display_name and card.display_name != card.handle:
            details.append(f"\n{labels.author_label(card.display_name)}")
        details.append(f"\non {labels.platform_label(card.platform)}")
        details.append(f"\n{first_wrote_text(card, now)}")
        details.append(f"\n{counted(card.thread_count, 'thread')} in all")
        if card.other_threads:
            details.append("\n\nOther threads (enter opens):", "italic")
        else:
            details.append("\n\nNo other threads.", "italic")
        self.query_one("#author-details", Static).update(details)
        options = []
        lines = [details.plain]
        for thread in card.other_threads:
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(f"{labels.age_label(thread.last_activity_at, now):>4} ")
            line.append(f"{labels.kind_label(thread.kind)} · {labels.kind_label(thread.status)} · ")
            line.append(labels.preview_label(thread.preview) or "(no text)")
            options.append(Option(line, id=str(thread.id)))
            lines.append(line.plain)
        threads = self.thread_list
        threads.clear_options()
        threads.add_options(options)
        if options:
            threads.highlighted = 0
        self._plain_text = "\n".join(lines)

    @on(OptionList.OptionSelected, "#author-threads")
    def thread_chosen(self, message: OptionList.OptionSelected) -> None:
        message.stop()
        self.post_message(self.ThreadChosen(int(message.option.id)))
