"""The outbox screen (`O`): the sends that failed or could not be confirmed, why, and what
to do about them.

One line per message, oldest first: where it was going, who wrote it, and its reason in
words. A failed one waits for a person: `r` sends it again, `x` withdraws it (after
asking). One whose send was interrupted is "unknown": while the inbox is checking whether
it was posted the line says so, and it settles by itself; one the platform cannot be
asked about needs a person to look there first, so sending it again asks before it goes.
Agents see their own messages, leads and admins everyone's. The list is read again
whenever an outgoing message changes.
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

from inbox import Action, OutboundRow, channel_name, counted, first_line, for_display
from tui import bindings
from tui.dialogs.approval import DECISION_REFUSED, message_words
from tui.dialogs.forms import ConfirmForm
from tui.messages import CrisisActionRefused
from tui.screen_mixins import WorkerFailures
from tui.widgets.key_bar import KeyBar
from tui.widgets.labels import age_label, platform_label

if TYPE_CHECKING:
    from inbox import InboxService
    from tui.host import HostApp
    from tui.messages import EventsArrived

TROUBLED = ("failed", "unknown")
"""The statuses this screen lists: sends that need a person, or are being checked."""

OUTBOX_COLUMNS = ("#", "status", "since", "author", "where", "why")

CHECKING = "the inbox is checking whether it was posted"


def status_words(row: OutboundRow) -> str:
    """The status as people read it: failed, checking, or check needed."""
    if row.status != "unknown":
        return row.status
    return "check needed" if row.waits_for_person else "checking"


def reason_words(row: OutboundRow) -> str:
    """Why the message is here, in one line."""
    if row.status == "unknown" and not row.waits_for_person:
        return CHECKING
    return first_line(row.error or "no reason was recorded", 200)


def advice(row: OutboundRow) -> str:
    """What the person can do about the message, in a sentence or two."""
    platform = channel_name(row.platform)
    if row.status == "failed":
        return "r sends it again once the cause is fixed; x withdraws it."
    if row.waits_for_person:
        return (
            f"It may or may not be on {platform}: look there first. If it is not, r sends it "
            "again; if it is, x withdraws it here."
        )
    return (
        f"The send was interrupted; {CHECKING} on {platform} and sends it again only if it "
        "was not. Nothing to do unless it stays here."
    )


class OutboxScreen(WorkerFailures, Screen[None]):
    """Failed and unconfirmed sends, their reasons, and retrying or withdrawing them."""

    BINDINGS = bindings.OUTBOX
    CSS_PATH = "../styles/waiting.tcss"

    app: HostApp

    class Listed(Message):
        """The troubled sends were read, at `now`."""

        def __init__(self, rows: list[OutboundRow], now: datetime) -> None:
            super().__init__()
            self.rows = rows
            self.now = now

    class Changed(Message):
        """A send was retried or withdrawn: `summary` says so."""

        def __init__(self, summary: str) -> None:
            super().__init__()
            self.summary = summary

    def __init__(self, service: InboxService) -> None:
        super().__init__()
        self.service = service
        self.rows: list[OutboundRow] = []
        self.everyones = service.can(Action.APPROVE)
        """Leads and admins see everyone's sends; others their own."""

    def compose(self) -> ComposeResult:
        whose = "Everyone's" if self.everyones else "Your"
        yield Header()
        yield Static(
            f"{whose} sends that failed or could not be confirmed. r sends the highlighted "
            "one again, x withdraws it; enter opens its thread.",
            classes="waiting-note",
        )
        yield DataTable(id="outbox", classes="waiting-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="outbox-detail", classes="waiting-detail")
        yield KeyBar()

    @property
    def table(self) -> DataTable:
        return self.query_one("#outbox", DataTable)

    def on_mount(self) -> None:
        self.table.border_title = "Outbox: failed and unconfirmed"
        self.table.focus()
        self.query_one("#outbox-detail", Static).display = False
        self.load_outbox()
        self.app.inbox_changed.subscribe(self, self.inbox_changed)

    def inbox_changed(self, message: EventsArrived) -> None:
        if any(kind.startswith("outbound.") for kind in message.event_types):
            self.load_outbox()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="outbox",
        description="outbox: read the failed and unconfirmed sends",
    )
    def load_outbox(self) -> None:
        rows = self.service.outbox(TROUBLED, mine=not self.everyones)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Listed(rows, self.service.clock()))

    @on(Listed)
    def show_outbox(self, message: Listed) -> None:
        keep = self.selected
        self.rows = list(message.rows)
        table = self.table
        table.clear(columns=True)  # columns again: a cleared table keeps its old widths
        table.add_columns(*OUTBOX_COLUMNS)
        for row in self.rows:
            where = (
                f"thread {row.thread_id}"
                if row.thread_id is not None
                else first_line(row.account_handle, 30)
            )
            table.add_row(
                str(row.id),
                status_words(row),
                age_label(row.updated_at, message.now),
                Text(first_line(row.author or "setup", 20)),
                Text(f"{where} ({platform_label(row.platform)})"),
                Text(first_line(reason_words(row), 80)),
                key=str(row.id),
            )
        table.border_subtitle = (
            counted(len(self.rows), "send") if self.rows else "nothing failed or waits for a check"
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

    @on(DataTable.RowHighlighted, "#outbox")
    def highlighted(self) -> None:
        self._show_detail()
        self.refresh_bindings()

    def _show_detail(self) -> None:
        detail = self.query_one("#outbox-detail", Static)
        row = self.selected
        detail.display = row is not None
        if row is None:
            return
        detail.border_title = Text(f"{message_words(row)} · {status_words(row)}")
        text = Text(for_display(row.rendered_text).rstrip())
        text.append(f"\n\nWhy: {reason_words(row)}", style="bold")
        text.append(f"\n{advice(row)}")
        detail.update(text)

    @on(Changed)
    def changed(self, message: Changed) -> None:
        self.notify(message.summary, markup=False)
        self.load_outbox()

    @on(CrisisActionRefused)
    def say_refused(self, message: CrisisActionRefused) -> None:
        self.notify(message.reason, severity="warning", markup=False)
        self.load_outbox()

    # -- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim what needs a highlighted message when there is none."""
        row = self.selected
        if action in ("retry", "cancel_send"):
            return True if row is not None else None
        if action == "open_thread":
            return True if row is not None and row.thread_id is not None else None
        return True

    def action_retry(self) -> None:
        row = self.selected
        if row is None:
            return
        if row.status == "failed":
            self.retry(row)
            return
        question = (
            f"{message_words(row)} may already be on {channel_name(row.platform)}. Send it "
            "again only if you looked there and it is not."
        )
        self.app.push_screen(
            ConfirmForm("Send it again?", question, "Send again"),
            lambda yes: yes and self.retry(row),
        )

    @work(thread=True, exit_on_error=False, group="outbox-change", description="outbox: retry it")
    def retry(self, row: OutboundRow) -> None:
        try:
            self.service.retry_outbound(row.id)
        except DECISION_REFUSED as error:
            self.post_message(CrisisActionRefused(str(error)))
            return
        self.post_message(self.Changed(f"{message_words(row)} is queued to be sent again."))

    def action_cancel_send(self) -> None:
        row = self.selected
        if row is None:
            return
        question = f"Withdraw {message_words(row)}? It will not be sent."
        self.app.push_screen(
            ConfirmForm("Withdraw the message", question, "Withdraw it"),
            lambda yes: yes and self.cancel_send(row),
        )

    @work(
        thread=True, exit_on_error=False, group="outbox-change", description="outbox: withdraw it"
    )
    def cancel_send(self, row: OutboundRow) -> None:
        try:
            self.service.cancel_outbound(row.id)
        except DECISION_REFUSED as error:
            self.post_message(CrisisActionRefused(str(error)))
            return
        self.post_message(self.Changed(f"Withdrew {message_words(row)}; it will not be sent."))

    @on(DataTable.RowSelected, "#outbox")
    def action_open_thread(self) -> None:
        row = self.selected
        if row is not None and row.thread_id is not None:
            self.dismiss()
            self.app.call_later(self.app.open_thread_by_id, row.thread_id)

    def action_close(self) -> None:
        self.dismiss()
