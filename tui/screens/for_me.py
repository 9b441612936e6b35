"""The For me screen (`F`): what the person was told, listed until they read it.

Assigned to them, @mentioned in a colleague's note, their reply approved, rejected or
failed, and (leads) an approval waiting: one line each, newest first, with the thread it
is about (its platform, its customer, what they last wrote). Enter marks the highlighted
one read and opens what it is about: the thread, or the approvals screen for an approval
waiting, or the outbox for a failed statement, which has no thread. `m` marks it read
without opening it, `M` marks them all read. The list follows the app's counts: new ones
join it as they arrive.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static
from textual.worker import get_current_worker

from inbox import NotificationRow, WaitingCounts, counted, first_line
from tui import bindings
from tui.screen_mixins import WorkerFailures
from tui.widgets.key_bar import KeyBar
from tui.widgets.labels import age_label, author_label, notice_title, platform_label

if TYPE_CHECKING:
    from inbox import InboxService
    from tui.host import HostApp

FOR_ME_COLUMNS = ("when", "what", "notification", "thread")


def thread_words(notice: NotificationRow) -> str:
    """The thread a notification is about: "@carol on mastodon: the app crashed…"."""
    if notice.thread_id is None:
        return ""
    where = f"{author_label(notice.thread_author)} on {platform_label(notice.platform or '')}"
    return f"{where}: {first_line(notice.thread_preview or '', 60)}"


class ForMeScreen(WorkerFailures, Screen[None]):
    """The person's unread notifications, and opening or marking them read."""

    BINDINGS = bindings.FOR_ME
    CSS_PATH = "../styles/waiting.tcss"

    app: HostApp

    class Listed(Message):
        """The unread notifications were read, at `now`."""

        def __init__(self, notices: list[NotificationRow], now: datetime) -> None:
            super().__init__()
            self.notices = notices
            self.now = now

    def __init__(self, service: InboxService) -> None:
        super().__init__()
        self.service = service
        self.notices: list[NotificationRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "What you were told, until you read it. enter opens the highlighted one and marks "
            "it read; m marks it read; M marks them all read.",
            classes="waiting-note",
        )
        yield DataTable(id="for-me", classes="waiting-table", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    @property
    def table(self) -> DataTable:
        return self.query_one("#for-me", DataTable)

    def on_mount(self) -> None:
        self.table.border_title = "For me"
        self.table.focus()
        self.load_notices()
        self.watch(self.app, "waiting", self._waiting_changed, init=False)

    def _waiting_changed(self, counts: WaitingCounts) -> None:
        """New notifications arrived or some were read: the app's counts moved."""
        self.load_notices()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="for-me",
        description="for me: read your notifications",
    )
    def load_notices(self) -> None:
        notices = self.service.notifications()
        if not get_current_worker().is_cancelled:
            self.post_message(self.Listed(notices, self.service.clock()))

    @on(Listed)
    def show_notices(self, message: Listed) -> None:
        keep = self.selected
        self.notices = list(message.notices)
        table = self.table
        table.clear(columns=True)  # columns again: a cleared table keeps its old widths
        table.add_columns(*FOR_ME_COLUMNS)
        for notice in self.notices:
            table.add_row(
                age_label(notice.created_at, message.now),
                notice_title(notice.kind),
                Text(first_line(notice.text, 90)),
                Text(thread_words(notice)),
                key=str(notice.id),
            )
        table.border_subtitle = (
            counted(len(self.notices), "unread notification")
            if self.notices
            else "nothing new for you"
        )
        if keep is not None and keep.id in {notice.id for notice in self.notices}:
            table.move_cursor(row=table.get_row_index(str(keep.id)))
        self.refresh_bindings()

    @property
    def selected(self) -> NotificationRow | None:
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((notice for notice in self.notices if str(notice.id) == key), None)

    @on(DataTable.RowHighlighted, "#for-me")
    def highlighted(self) -> None:
        self.refresh_bindings()

    # -- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim what needs a notification when there is none."""
        if action in ("open_notice", "mark_read"):
            return True if self.selected is not None else None
        if action == "mark_all_read":
            return True if self.notices else None
        return True

    @on(DataTable.RowSelected, "#for-me")
    def action_open_notice(self) -> None:
        notice = self.selected
        if notice is None:
            return
        self.app.read_notices([notice.id])
        self.dismiss()
        if notice.kind == "approval_waiting":
            self.app.call_later(self.app.run_action, "approvals")
        elif notice.thread_id is not None:
            self.app.call_later(self.app.open_thread_by_id, notice.thread_id)
        else:
            self.app.call_later(self.app.run_action, "outbox")

    def action_mark_read(self) -> None:
        if (notice := self.selected) is not None:
            self.app.read_notices([notice.id])

    def action_mark_all_read(self) -> None:
        self.app.read_notices(say=True)

    def action_close(self) -> None:
        self.dismiss()
