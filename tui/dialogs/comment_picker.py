"""Choosing which of a thread's comments to hide on its platform (or show again).

The picker lists the customers' messages of one thread, newest first, each marked when it
is hidden already; enter dismisses with the message and what to do with it. The caller
makes the change (`InboxService.hide_message`, see `tui.dialogs.moderation`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from inbox import InboxService, first_line
from tui.dialogs.pickers import Picker
from tui.messages import ThreadItemsLoaded

if TYPE_CHECKING:
    from inbox import ItemRow, ThreadRow

LISTED = 50
"""The latest messages of the thread the picker reads."""


@dataclass(frozen=True, slots=True)
class CommentChoice:
    """The message chosen, and whether to hide it (False: show it again)."""

    item_id: int
    hide: bool


class CommentPicker(Picker[CommentChoice | None]):
    """Pick one of a thread's customer messages to hide, or a hidden one to show again."""

    def __init__(self, service: InboxService, thread: ThreadRow) -> None:
        super().__init__()
        self.service = service
        self.thread = thread
        self.comments: list[ItemRow] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="picker-body -wide") as body:
            body.border_title = "Hide a comment on its platform"
            body.border_subtitle = "enter hides (or shows again) · escape closes"
            yield Static("Reading the messages…", classes="picker-heading", id="comment-heading")
            yield OptionList(id="comments")

    def on_mount(self) -> None:
        self.load()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="comments",
        description="picker: read the thread's messages",
    )
    def load(self) -> None:
        items = self.service.thread_items(self.thread.id, limit=LISTED)
        if not get_current_worker().is_cancelled:
            self.post_message(ThreadItemsLoaded(self.thread, items))

    @on(ThreadItemsLoaded)
    def loaded(self, message: ThreadItemsLoaded) -> None:
        self.comments = [item for item in reversed(message.items) if item.direction == "in"]
        heading = self.query_one("#comment-heading", Static)
        options = self.query_one("#comments", OptionList)
        options.clear_options()
        if not self.comments:
            heading.update("This thread has no customer messages to hide.")
            return
        heading.update("Newest first; a hidden one shows again.")
        for comment in self.comments:
            label = Text()
            if comment.hidden_at is not None:
                label.append("hidden · ", style="bold")
            label.append(first_line(comment.author or "someone", 30) + ": ")
            label.append(first_line(comment.text or "(no text)", 70))
            options.add_option(Option(label, id=str(comment.id)))
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected, "#comments")
    def selected(self) -> None:
        self.confirm()

    def confirm(self) -> None:
        options = self.query_one("#comments", OptionList)
        if options.highlighted is None or not self.comments:
            return
        comment = self.comments[options.highlighted]
        self.dismiss(CommentChoice(comment.id, hide=comment.hidden_at is None))
