"""The thread screen: the whole conversation over a reply composer.

Opened with enter from the inbox list. Messages and the thread's outgoing replies (with
where each stands in the outbox) are read in a worker and refreshed whenever the app's
event poller reports a change to this thread, so a reply sent from another terminal, or
ours going from queued to sent, shows up by itself. The composer counts by the channel's
rule on every key; the service's pre-send checks run in a worker a moment after typing
stops. Sending refuses while a check fails; if the thread changed since it was opened
(someone else answered), the first ctrl+s says so and a second one sends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Static, TextArea
from textual.worker import Worker, WorkerState, get_current_worker

from inbox.errors import InvalidInput, NotFound, PermissionDenied
from inbox.service import InboxService, ThreadRow
from tui import bindings
from tui.messages import (
    AnswerRendered,
    Channel,
    ChannelLoaded,
    ConversationLoaded,
    DraftChecked,
    EventsArrived,
    ReplyNeedsConfirmation,
    ReplyQueued,
    ReplyRefused,
    ThreadGone,
)
from tui.screens.answer_picker import AnswerPicker
from tui.widgets import labels
from tui.widgets.composer import Composer, ReplyArea
from tui.widgets.conversation import Conversation

if TYPE_CHECKING:
    from tui.app import InboxApp

CONVERSATION_ITEMS = 200
"""Messages the screen shows at most: the latest ones."""

CHECK_DELAY_SECONDS = 0.3
"""How long typing must pause before the pre-send checks run."""

AGE_TICK_SECONDS = 30
"""How often the ages in the conversation are redrawn."""


def thread_title(thread: ThreadRow) -> str:
    """Who, where and how the thread stands, on one line."""
    parts = [
        labels.author_label(thread.author),
        f"{labels.platform_label(thread.platform)} {labels.kind_label(thread.kind)}",
        labels.kind_label(thread.status),
        f"priority {labels.kind_label(thread.priority)}",
        f"assigned to {labels.author_label(thread.assignee)}" if thread.assignee else "unassigned",
    ]
    return " · ".join(parts)


class ThreadScreen(Screen[None]):
    """One thread: read all of it, answer it."""

    BINDINGS = bindings.THREAD

    app: InboxApp

    def __init__(
        self, service: InboxService, thread: ThreadRow, drafts: dict[int, str] | None = None
    ) -> None:
        super().__init__()
        self.service = service
        self.thread = thread
        self.drafts = drafts if drafts is not None else {}
        """Unsent replies by thread id, kept when the screen closes."""
        self.channel: Channel | None = None
        self.canned_response_id: int | None = None
        """The prepared answer the reply started from, if any."""
        self.confirm_version: int | None = None
        """Set after a warning that the thread changed: the version a second ctrl+s accepts."""
        self._check_timer: Timer | None = None
        self._keep_notice = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(thread_title(self.thread)), id="thread-title")
        yield Conversation(id="conversation")
        yield Composer(id="composer")
        yield Footer()

    @property
    def conversation(self) -> Conversation:
        return self.query_one("#conversation", Conversation)

    @property
    def composer(self) -> Composer:
        return self.query_one("#composer", Composer)

    def on_mount(self) -> None:
        self.conversation.show_notice("Loading…")
        draft = self.drafts.get(self.thread.id)
        if draft:
            self.composer.set_text(draft)
        self.composer.reply_area.focus()
        self.load_conversation()
        self.load_channel()
        self.app.inbox_changed.subscribe(self, self.inbox_changed)
        self.set_interval(AGE_TICK_SECONDS, self.tick_ages, name="ages")

    # -- workers: service calls, off the event loop ----------------------------------------

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="conversation",
        description="thread: load the conversation",
    )
    def load_conversation(self) -> None:
        worker = get_current_worker()
        try:
            thread = self.service.thread(self.thread.id)
        except NotFound:
            self.post_message(ThreadGone(self.thread.id))
            return
        items = self.service.thread_items(self.thread.id, limit=CONVERSATION_ITEMS)
        outbound = self.service.outbound_for_thread(self.thread.id)
        if not worker.is_cancelled:
            self.post_message(ConversationLoaded(thread, items, outbound))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="channel",
        description="thread: read the channel's rules",
    )
    def load_channel(self) -> None:
        """The channel's counting rule and limit, and the thread's version as opened."""
        try:
            draft = self.service.preview_reply(self.thread.id, "")
        except PermissionDenied as refused:
            self.post_message(ReplyRefused([f"You cannot answer here: {refused}"]))
            return
        except NotFound:
            self.post_message(ThreadGone(self.thread.id))
            return
        self.post_message(
            ChannelLoaded(
                Channel(
                    name=draft.target.channel,
                    rule=draft.rendered.fit.rule,
                    limit=draft.target.text_limit,
                    seen_version=draft.target.thread_version,
                )
            )
        )

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="checks",
        description="thread: run the pre-send checks",
    )
    def check_reply(self, text: str, canned_response_id: int | None, seen_version: int | None) -> None:
        try:
            draft = self.service.preview_reply(
                self.thread.id, text, canned_response_id, seen_version=seen_version
            )
        except (PermissionDenied, InvalidInput, NotFound) as refused:
            self.post_message(DraftChecked(text, [str(refused)], None))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(DraftChecked(text, draft.problems, draft.approval_reason))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="send",
        description="thread: queue the reply",
    )
    def send_reply(self, text: str, canned_response_id: int | None, seen_version: int | None) -> None:
        """Queue the reply if every check passes; a changed thread asks first."""
        thread_id = self.thread.id
        try:
            draft = self.service.preview_reply(
                thread_id, text, canned_response_id, seen_version=seen_version
            )
            if draft.problems:
                current = draft.target.thread_version
                if seen_version is not None and current != seen_version:
                    unseen = self.service.preview_reply(thread_id, text, canned_response_id)
                    if not unseen.problems:
                        changed = [p for p in draft.problems if p not in unseen.problems]
                        self.post_message(ReplyNeedsConfirmation(" ".join(changed), current))
                        return
                self.post_message(ReplyRefused(draft.problems))
                return
            outbound = self.service.queue_reply(
                thread_id, text, canned_response_id, seen_version=seen_version
            )
            after = self.service.preview_reply(thread_id, "").target.thread_version
        except (PermissionDenied, InvalidInput, NotFound) as refused:
            self.post_message(ReplyRefused([str(refused)]))
            return
        self.post_message(ReplyQueued(outbound, after))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="answer",
        description="thread: fill in the prepared answer",
    )
    def render_answer(self, canned_response_id: int) -> None:
        draft = self.service.preview_reply(self.thread.id, None, canned_response_id)
        problems = [
            f"{{{name}}} has no value here and no fallback; fill it in before sending."
            for name in draft.rendered.unfilled
        ]
        self.post_message(AnswerRendered(canned_response_id, draft.rendered.text, problems))

    # -- results: the only place widgets change ------------------------------------------

    @on(ConversationLoaded)
    def show_conversation(self, message: ConversationLoaded) -> None:
        self.thread = message.thread
        self.query_one("#thread-title", Static).update(Text(thread_title(message.thread)))
        self.conversation.show_conversation(
            message.thread, message.items, message.outbound, self.service.clock()
        )

    @on(ChannelLoaded)
    def use_channel(self, message: ChannelLoaded) -> None:
        self.channel = message.channel
        self.composer.set_channel(message.channel)
        if self.composer.text.strip():
            self._schedule_checks()

    @on(ThreadGone)
    def thread_gone(self, message: ThreadGone) -> None:
        self.conversation.show_notice("This thread no longer exists.")

    @on(TextArea.Changed, "#reply")
    def reply_changed(self, message: TextArea.Changed) -> None:
        composer = self.composer
        composer.show_count()
        self.confirm_version = None
        text = composer.text
        if not text.strip():
            self.canned_response_id = None
            if self._check_timer is not None:
                self._check_timer.stop()
            if not self._keep_notice:
                composer.show_problems([])
            return
        self._keep_notice = False
        self._schedule_checks()

    def _schedule_checks(self) -> None:
        if self._check_timer is not None:
            self._check_timer.stop()
        self._check_timer = self.set_timer(CHECK_DELAY_SECONDS, self._run_checks, name="checks")

    def _run_checks(self) -> None:
        if self.channel is None or not self.composer.text.strip():
            return
        self.check_reply(self.composer.text, self.canned_response_id, self.channel.seen_version)

    @on(DraftChecked)
    def show_checks(self, message: DraftChecked) -> None:
        if message.text != self.composer.text or self.confirm_version is not None:
            return
        self.composer.show_problems(message.problems, message.approval_reason)

    @on(ReplyRefused)
    def show_refusal(self, message: ReplyRefused) -> None:
        self.composer.show_problems(message.problems)
        self.notify("Not sent: " + " ".join(message.problems), severity="warning", markup=False)

    @on(ReplyNeedsConfirmation)
    def ask_to_confirm(self, message: ReplyNeedsConfirmation) -> None:
        self.confirm_version = message.current_version
        self.composer.show_notice(
            f"⚠ {message.problem} Press ctrl+s again to send anyway.", problem=True
        )
        self.load_conversation()

    @on(ReplyQueued)
    def reply_queued(self, message: ReplyQueued) -> None:
        if self.channel is not None:
            self.channel = Channel(
                self.channel.name, self.channel.rule, self.channel.limit, message.seen_version
            )
        self.drafts.pop(self.thread.id, None)
        self.confirm_version = None
        self._keep_notice = True
        status = "waiting for a lead's approval" if message.outbound.status == "awaiting_approval" else message.outbound.status
        self.composer.set_text("")
        self.composer.show_notice(f"Reply {status}; it shows above as it goes out.")
        self.load_conversation()

    @on(ReplyArea.AnswerWanted)
    def answer_wanted(self) -> None:
        self.action_pick_answer()

    @on(AnswerRendered)
    def insert_answer(self, message: AnswerRendered) -> None:
        self.composer.set_text(message.text)
        self.canned_response_id = message.canned_response_id
        self.composer.show_problems(message.problems)
        self.composer.reply_area.focus()

    def inbox_changed(self, message: EventsArrived) -> None:
        """Read the conversation again when an event touched this thread."""
        if self.thread.id in message.thread_ids:
            self.load_conversation()

    @on(Worker.StateChanged)
    def report_failed_worker(self, message: Worker.StateChanged) -> None:
        if message.state == WorkerState.ERROR:
            what = message.worker.description.partition(": ")[2]
            self.notify(
                f"Could not {what}: {message.worker.error}",
                title="Something went wrong",
                severity="error",
                markup=False,
            )

    def tick_ages(self) -> None:
        self.conversation.show_times_at(self.service.clock())

    # -- actions --------------------------------------------------------------------------

    def action_close(self) -> None:
        text = self.composer.text
        if text.strip():
            self.drafts[self.thread.id] = text
        else:
            self.drafts.pop(self.thread.id, None)
        self.dismiss()

    def action_send_reply(self) -> None:
        if self.channel is None:
            self.notify("Still reading the channel's rules; try again in a moment.", markup=False)
            return
        text = self.composer.text
        if not text.strip():
            self.composer.show_notice("Nothing to send: write a reply first.", problem=True)
            return
        seen = self.confirm_version if self.confirm_version is not None else self.channel.seen_version
        self.confirm_version = None
        self.composer.show_notice("Checking and queueing…")
        self.send_reply(text, self.canned_response_id, seen)

    def action_pick_answer(self) -> None:
        def picked(canned_response_id: int | None) -> None:
            if canned_response_id is not None:
                self.render_answer(canned_response_id)
            else:
                self.composer.reply_area.focus()

        self.app.push_screen(AnswerPicker(self.service, self.thread.id), picked)

    def action_switch_focus(self) -> None:
        if self.composer.reply_area.has_focus:
            self.conversation.focus()
        else:
            self.composer.reply_area.focus()
