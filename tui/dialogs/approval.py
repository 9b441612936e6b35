"""The lead's two approval forms: reject a waiting message with a reason, or edit it and
let it go out.

Both sit over the approvals screen as `CrisisForm`s (ctrl+s submits, escape cancels, the
write runs in a worker, a refusal shows on the problem line with what was typed kept). An
edited text is checked by the service like any reply before it is approved: its channel's
length, its placeholders, its reply window; each problem is said here, in its words.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static, TextArea

from inbox import Conflict, InboxService, OutboundRow, channel_name, first_line
from tui.dialogs.forms import REFUSED, CrisisForm, form_buttons, form_row
from tui.messages import CrisisActionRefused

DECISION_REFUSED = (*REFUSED, Conflict)
"""What the service raises when a decision cannot be made (another lead made one first)."""


def message_words(row: OutboundRow) -> str:
    """The waiting message as a lead names it: "blake's reply on thread 12 (Mastodon)"."""
    author = first_line(row.author or "setup", 40)
    channel = channel_name(row.platform)
    if row.kind == "post":
        return f"{author}'s statement on {channel} {first_line(row.account_handle, 40)}"
    noun = "direct message" if row.kind == "dm" else "reply"
    return f"{author}'s {noun} on thread {row.thread_id} ({channel})"


class ApprovalDecided(Message, bubble=False):
    """A waiting message was approved or rejected: `summary` says so, for a notification."""

    def __init__(self, summary: str) -> None:
        super().__init__()
        self.summary = summary


class RejectForm(CrisisForm):
    """Ask why, then stop a waiting message for good; its author is told the reason."""

    def __init__(self, service: InboxService, row: OutboundRow) -> None:
        super().__init__()
        self.service = service
        self.row = row

    def compose(self) -> ComposeResult:
        with Vertical(id="form-body") as body:
            body.border_title = Text(f"Reject {message_words(self.row)}")
            body.border_subtitle = "ctrl+s rejects · escape keeps it waiting"
            yield Static(Text(first_line(self.row.rendered_text, 300)), id="rejected-text")
            yield form_row(
                "Why",
                Input(placeholder="in a sentence: its author reads it", id="reason", compact=True),
            )
            yield Static("Its author is told, with your reason.", id="form-problems")
            yield form_buttons("Reject")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def reason_submitted(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        if self.busy:
            return
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.show_problem("Say why: its author reads the reason.")
            return
        self.hold()
        self.reject(reason)

    @work(thread=True, exclusive=True, exit_on_error=False, description="approvals: reject it")
    def reject(self, reason: str) -> None:
        try:
            self.service.reject(self.row.id, reason)
        except DECISION_REFUSED as error:
            self.post_message(CrisisActionRefused(str(error)))
            return
        self.post_message(
            ApprovalDecided(f"Rejected {message_words(self.row)}; its author is told why.")
        )

    @on(ApprovalDecided)
    def decided(self, message: ApprovalDecided) -> None:
        self.dismiss(message)


class EditApprovalForm(CrisisForm):
    """Change a waiting message's text, then approve it once it passes its channel's checks."""

    def __init__(self, service: InboxService, row: OutboundRow) -> None:
        super().__init__()
        self.service = service
        self.row = row

    def compose(self) -> ComposeResult:
        with Vertical(id="form-body") as body:
            body.border_title = Text(f"Edit and approve {message_words(self.row)}")
            body.border_subtitle = "ctrl+s checks and approves · escape keeps it waiting"
            yield form_row("Text", TextArea(self.row.text, id="text", compact=True))
            yield Static(
                f"Checked for {channel_name(self.row.platform)} when you approve: its length, "
                "placeholders such as {author.name|there}, its reply window.",
                id="form-problems",
            )
            yield form_buttons("Approve")

    def on_mount(self) -> None:
        self.query_one("#text", TextArea).focus()

    def action_submit(self) -> None:
        if self.busy:
            return
        text = self.query_one("#text", TextArea).text
        if not text.strip():
            self.show_problem("The text is empty: write the message, or reject it instead.")
            return
        self.hold()
        self.approve(None if text == self.row.text else text)

    @work(thread=True, exclusive=True, exit_on_error=False, description="approvals: approve it")
    def approve(self, text: str | None) -> None:
        try:
            self.service.approve(self.row.id, text=text)
        except DECISION_REFUSED as error:
            self.post_message(CrisisActionRefused(str(error)))
            return
        edited = " with your edit" if text is not None else ""
        self.post_message(ApprovalDecided(f"Approved {message_words(self.row)}{edited}."))

    @on(ApprovalDecided)
    def decided(self, message: ApprovalDecided) -> None:
        self.dismiss(message)
