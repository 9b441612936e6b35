"""One message to many threads: write it once, see where it does not fit, then send.

The marked threads of the inbox come here. The text (typed, or a prepared answer picked
with ctrl+o, whose variables are filled for each thread's author) is checked against every
thread's channel first: the first ctrl+s lists the threads it fits and the ones it does
not, with the reason; a second ctrl+s queues it, as one campaign, to the threads it fits.
Nothing is sent before that summary has been shown for exactly this text.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea
from textual.worker import Worker, WorkerState, get_current_worker

from adapters.registry import UnknownPlatform
from inbox import InboxService, InvalidInput, NotFound, PermissionDenied
from tui import bindings
from tui.dialogs.answer_picker import AnswerPicker
from tui.messages import AnswerTemplateLoaded, BulkReplyChecked, BulkReplyQueued


def _own_text(text: str, canned_response_id: int | None) -> str | None:
    """The text to send, or None to let an unedited prepared answer pick each channel's variant."""
    return None if canned_response_id is not None else text


class BulkReplyScreen(ModalScreen[int | None]):
    """Answer `thread_ids` with one message; dismisses with the number queued, or None."""

    BINDINGS = bindings.BULK_REPLY

    def __init__(self, service: InboxService, thread_ids: Sequence[int]) -> None:
        super().__init__()
        self.service = service
        self.thread_ids = list(thread_ids)
        self.canned_response_id: int | None = None
        """The prepared answer the text came from, while it is unedited."""
        self.checked: BulkReplyChecked | None = None
        """The last check, valid while the text is the one it checked."""
        self._filling = False
        self.sending = False
        """True from the second ctrl+s until the queueing is done: more presses send nothing."""

    def compose(self) -> ComposeResult:
        count = len(self.thread_ids)
        with Vertical(id="bulk-body") as body:
            body.border_title = f"Reply to {count} thread{'s' if count != 1 else ''}"
            body.border_subtitle = (
                "ctrl+o prepared answers · ctrl+s check, then send · escape cancels"
            )
            yield TextArea(id="bulk-text", soft_wrap=True, show_line_numbers=False)
            yield Static(
                "Write the message once; it is rendered for each thread's channel and author.",
                id="bulk-summary",
            )

    @property
    def text_area(self) -> TextArea:
        return self.query_one("#bulk-text", TextArea)

    @property
    def summary(self) -> Static:
        return self.query_one("#bulk-summary", Static)

    def on_mount(self) -> None:
        self.text_area.focus()

    # -- workers --------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="bulk-check",
        description="bulk reply: check the message for every thread",
    )
    def check(self, text: str, canned_response_id: int | None) -> None:
        worker = get_current_worker()
        fits: list[int] = []
        problems: list[str] = []
        for thread_id in self.thread_ids:
            try:
                draft = self.service.preview_reply(
                    thread_id, _own_text(text, canned_response_id), canned_response_id
                )
            except (PermissionDenied, NotFound, InvalidInput, UnknownPlatform) as error:
                problems.append(f"thread {thread_id}: {error}")
                continue
            if draft.problems:
                problems.append(f"{draft.target.describe()}: {' '.join(draft.problem_texts())}")
            else:
                fits.append(thread_id)
        if not worker.is_cancelled:
            self.post_message(BulkReplyChecked(text, canned_response_id, fits, problems))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="bulk-send",
        description="bulk reply: queue the message",
    )
    def send(self, checked: BulkReplyChecked) -> None:
        campaign = self.service.queue_bulk_reply(
            checked.thread_ids,
            _own_text(checked.text, checked.canned_response_id),
            checked.canned_response_id,
        )
        self.post_message(BulkReplyQueued(campaign.id, campaign.targets))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="bulk-answer",
        description="bulk reply: read the prepared answer",
    )
    def fill_answer(self, canned_response_id: int) -> None:
        stored = self.service.canned_response(canned_response_id)
        if not get_current_worker().is_cancelled:
            self.post_message(AnswerTemplateLoaded(canned_response_id, stored.answer.body))

    # -- results --------------------------------------------------------------------------

    @on(AnswerTemplateLoaded)
    def fill(self, message: AnswerTemplateLoaded) -> None:
        self._filling = True
        self.text_area.text = message.body
        self.canned_response_id = message.canned_response_id
        self.text_area.focus()

    @on(TextArea.Changed, "#bulk-text")
    def text_changed(self) -> None:
        if self._filling:
            self._filling = False
        else:
            self.canned_response_id = None
        if self.checked is not None:
            self.checked = None
            self.summary.update("The text changed; ctrl+s checks it again.")

    @on(BulkReplyChecked)
    def show_check(self, message: BulkReplyChecked) -> None:
        if message.text != self.text_area.text:
            return
        self.checked = message if message.thread_ids else None
        lines = Text()
        total = len(self.thread_ids)
        lines.append(f"Fits {len(message.thread_ids)} of {total} threads.")
        if message.problems:
            lines.append(f" It will not go to these {len(message.problems)}:\n", "bold")
            for problem in message.problems:
                lines.append(f"  • {problem}\n")
        if message.thread_ids:
            noun = "thread" if len(message.thread_ids) == 1 else "threads"
            lines.append(
                f"\nctrl+s again sends it to the {len(message.thread_ids)} {noun} it fits."
            )
        else:
            lines.append("\nNothing to send; edit the text and check again.")
        self.summary.update(lines)

    @on(BulkReplyQueued)
    def queued(self, message: BulkReplyQueued) -> None:
        self.notify(
            f"Queued to {message.targets} threads as campaign {message.campaign_id}; "
            "`inbox campaign show` follows it.",
            markup=False,
        )
        self.dismiss(message.targets)

    @on(Worker.StateChanged)
    def report_failure(self, message: Worker.StateChanged) -> None:
        if message.state == WorkerState.ERROR:
            self.checked = None
            self.sending = False
            what = message.worker.description.partition(": ")[2]
            self.summary.update(
                Text(f"Could not {what}: {message.worker.error}. Nothing was sent.")
            )

    # -- actions --------------------------------------------------------------------------

    def action_check_or_send(self) -> None:
        text = self.text_area.text
        if not text.strip() and self.canned_response_id is None:
            self.summary.update("Write a message first (or ctrl+o for a prepared answer).")
            return
        if self.sending:
            return
        if self.checked is not None and self.checked.text == text:
            self.sending = True
            self.summary.update("Queueing…")
            self.send(self.checked)
            return
        self.summary.update("Checking the message for every thread…")
        self.check(text, self.canned_response_id)

    def action_pick_answer(self) -> None:
        def picked(canned_response_id: int | None) -> None:
            if canned_response_id is not None:
                self.fill_answer(canned_response_id)

        self.app.push_screen(AnswerPicker(self.service, self.thread_ids[0]), picked)

    def action_cancel(self) -> None:
        self.dismiss(None)
