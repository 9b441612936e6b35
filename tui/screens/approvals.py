"""The approvals screen (`V`, leads): the replies and statements waiting for a lead, and
deciding them from the keyboard.

One line per waiting message, oldest first: who wrote it, where it goes, how long it has
waited and why it needs approval. Below, the highlighted one in full with the message it
answers, so a lead decides without opening the thread (enter opens it all the same). `a`
lets it go as written, `x` asks why and rejects it (its author reads the reason), `e`
opens its text to edit, checked for its channel like any reply, then approves it. The list
is read again whenever an outgoing message changes, so what a colleague decided leaves it;
opening the screen marks the person's "approval waiting" notifications read.
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

from inbox import (
    NotFound,
    NotificationKind,
    OutboundRow,
    ThreadRow,
    channel_name,
    counted,
    first_line,
    for_display,
)
from tui import bindings
from tui.dialogs.approval import (
    DECISION_REFUSED,
    ApprovalDecided,
    EditApprovalForm,
    RejectForm,
    message_words,
)
from tui.messages import CrisisActionRefused
from tui.screen_mixins import WorkerFailures
from tui.widgets.key_bar import KeyBar
from tui.widgets.labels import age_label, author_label, platform_label

if TYPE_CHECKING:
    from inbox import InboxService
    from tui.host import HostApp
    from tui.messages import EventsArrived

APPROVAL_EVENTS = ("outbound.", "subscriber_mails.decided")
"""Events after which the waiting messages are read again."""

APPROVAL_COLUMNS = ("#", "waiting", "author", "what", "where", "why", "text")

KIND_WORDS = {"reply": "reply", "dm": "DM", "post": "statement", "email_update": "email"}
"""Each kind of outgoing message as a lead names it."""


def where_label(row: OutboundRow, thread: ThreadRow | None) -> str:
    """Where the message goes: "thread 12, @carol on mastodon", or the account of a statement."""
    if row.thread_id is None:
        return f"{platform_label(row.platform)} {first_line(row.account_handle, 30)}"
    if thread is None:
        return f"thread {row.thread_id}"
    return (
        f"thread {row.thread_id}, {author_label(thread.author)} on {platform_label(row.platform)}"
    )


class ApprovalsScreen(WorkerFailures, Screen[None]):
    """What waits for a lead's approval, with its thread, and the keys that decide it."""

    BINDINGS = bindings.APPROVALS
    CSS_PATH = "../styles/waiting.tcss"

    app: HostApp

    class Listed(Message):
        """The waiting messages and the threads they answer were read, at `now`."""

        def __init__(
            self, rows: list[OutboundRow], threads: dict[int, ThreadRow], now: datetime
        ) -> None:
            super().__init__()
            self.rows = rows
            self.threads = threads
            self.now = now

    def __init__(self, service: InboxService) -> None:
        super().__init__()
        self.service = service
        self.rows: list[OutboundRow] = []
        self.threads: dict[int, ThreadRow] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "Replies and statements waiting for a lead, oldest first. a approves, x rejects "
            "with a reason its author reads, e edits then approves; enter opens the thread.",
            classes="waiting-note",
        )
        yield DataTable(
            id="approvals", classes="waiting-table", cursor_type="row", zebra_stripes=True
        )
        yield Static(id="approval-detail", classes="waiting-detail")
        yield KeyBar()

    @property
    def table(self) -> DataTable:
        return self.query_one("#approvals", DataTable)

    def on_mount(self) -> None:
        self.table.border_title = "Waiting for approval"
        self.table.focus()
        self.query_one("#approval-detail", Static).display = False
        self.load_approvals()
        self.app.read_notices(kinds=[NotificationKind.APPROVAL_WAITING])
        self.app.inbox_changed.subscribe(self, self.inbox_changed)

    def inbox_changed(self, message: EventsArrived) -> None:
        if any(kind.startswith(APPROVAL_EVENTS) for kind in message.event_types):
            self.load_approvals()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="approvals",
        description="approvals: read what waits for approval",
    )
    def load_approvals(self) -> None:
        rows = self.service.approvals()
        threads: dict[int, ThreadRow] = {}
        for thread_id in {row.thread_id for row in rows if row.thread_id is not None}:
            try:
                threads[thread_id] = self.service.thread(thread_id)
            except NotFound:
                continue
        if not get_current_worker().is_cancelled:
            self.post_message(self.Listed(rows, threads, self.service.clock()))

    @on(Listed)
    def show_approvals(self, message: Listed) -> None:
        keep = self.selected
        self.rows, self.threads = list(message.rows), dict(message.threads)
        table = self.table
        table.clear(columns=True)  # columns again: a cleared table keeps its old widths
        table.add_columns(*APPROVAL_COLUMNS)
        for row in self.rows:
            table.add_row(
                str(row.id),
                age_label(row.created_at, message.now),
                Text(first_line(row.author or "setup", 20)),
                KIND_WORDS.get(row.kind, for_display(row.kind)),
                Text(where_label(row, self.threads.get(row.thread_id or 0))),
                Text(first_line(row.approval_reason or "", 40)),
                Text(first_line(row.rendered_text, 50)),
                key=str(row.id),
            )
        table.border_subtitle = (
            counted(len(self.rows), "message") + " waiting"
            if self.rows
            else "nothing waits for approval"
        )
        if keep is not None and keep.id in {row.id for row in self.rows}:
            table.move_cursor(row=table.get_row_index(str(keep.id)))
        self._show_detail()
        self.refresh_bindings()

    @property
    def selected(self) -> OutboundRow | None:
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((row for row in self.rows if str(row.id) == key), None)

    @on(DataTable.RowHighlighted, "#approvals")
    def highlighted(self) -> None:
        self._show_detail()
        self.refresh_bindings()

    def _show_detail(self) -> None:
        detail = self.query_one("#approval-detail", Static)
        row = self.selected
        detail.display = row is not None
        if row is None:
            return
        detail.border_title = Text(message_words(row))
        text = Text()
        thread = self.threads.get(row.thread_id or 0)
        if thread is not None:
            text.append(f"{author_label(thread.author)} wrote: ", style="bold")
            text.append(f"{first_line(thread.preview, 300)}\n\n")
        text.append(f"{KIND_WORDS.get(row.kind, 'message').capitalize()} on ", style="bold")
        text.append(f"{channel_name(row.platform)}:", style="bold")
        text.append(f"\n{for_display(row.rendered_text).rstrip()}")
        if row.approval_reason:
            text.append(f"\n\nWaits because: {first_line(row.approval_reason, 200)}")
        detail.update(text)

    @on(ApprovalDecided)
    def decided(self, message: ApprovalDecided) -> None:
        self.notify(message.summary, markup=False)
        self.load_approvals()

    @on(CrisisActionRefused)
    def say_refused(self, message: CrisisActionRefused) -> None:
        self.notify(message.reason, severity="warning", markup=False)
        self.load_approvals()

    # -- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim what needs a highlighted message when there is none."""
        if action in ("approve", "reject", "edit_approve"):
            return True if self.selected is not None else None
        if action == "open_thread":
            row = self.selected
            return True if row is not None and row.thread_id is not None else None
        return True

    def action_approve(self) -> None:
        if (row := self.selected) is not None:
            self.approve(row)

    @work(thread=True, exit_on_error=False, group="decide", description="approvals: approve it")
    def approve(self, row: OutboundRow) -> None:
        try:
            self.service.approve(row.id)
        except DECISION_REFUSED as error:
            self.post_message(CrisisActionRefused(str(error)))
            return
        self.post_message(ApprovalDecided(f"Approved {message_words(row)}; it is on its way."))

    def action_reject(self) -> None:
        if (row := self.selected) is not None:
            self.app.push_screen(RejectForm(self.service, row), self._decided_in_form)

    def action_edit_approve(self) -> None:
        if (row := self.selected) is not None:
            self.app.push_screen(EditApprovalForm(self.service, row), self._decided_in_form)

    def _decided_in_form(self, result: ApprovalDecided | None) -> None:
        if result is not None:
            self.decided(result)

    @on(DataTable.RowSelected, "#approvals")
    def action_open_thread(self) -> None:
        row = self.selected
        if row is not None and row.thread_id is not None:
            self.dismiss()
            self.app.call_later(self.app.open_thread_by_id, row.thread_id)

    def action_close(self) -> None:
        self.dismiss()
