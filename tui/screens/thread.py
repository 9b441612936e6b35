"""The thread screen: the whole conversation with its notes, a reply composer, and triage keys.

Opened with enter from the inbox list, with the conversation focused (the composer when a
draft waits). Messages, outgoing replies (with where each stands in the outbox) and
internal notes are read in a worker and read again whenever the app's event poller
reports a change to this thread, so a colleague's reply, note, tag or assignment shows
up by itself, and so does the title line. The letter keys (reply, note, assign, tag,
snooze, priority, close, reopen, browser, link, attachment, panes) act while the
conversation has focus; in the composer they are text. Triage writes go through
`TriageWriter`, which reports what changed or the service's reason for refusing; every
other service call is a worker of `ThreadWorkers` (tui/thread_workers.py), and the
handlers here show what it posts.

The reply being written is kept in the database at each pause in typing, on leaving the
thread and on quitting, and comes back when the person opens the thread again, in this
terminal or another.

Presence: opening the thread says "viewing", typing a reply says "replying", a heartbeat
keeps that alive while the screen is in front, and leaving clears it. Who else is here
shows under the title, refreshed on `presence.changed` events and on each heartbeat (so
someone whose terminal died drops off when their presence expires).

The composer counts by the channel's rule on every key; the service's pre-send checks run
in a worker a moment after typing stops. Sending refuses while a check fails; if the thread
changed since it was opened (someone else answered), the first ctrl+s says so and a second
one sends; a second reply while the person's first is still on its way asks in a dialog.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cached_property, partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Header, Static, TextArea

from inbox import (
    Action,
    InboxService,
    ItemRow,
    OutboundRow,
    PresenceChanged,
    ThreadRow,
    channel_name,
    describe,
    first_line,
    link_scheme,
    web_link,
)
from tui import bindings
from tui.dialogs.answer_picker import AnswerPicker
from tui.dialogs.forms import ConfirmForm
from tui.dialogs.link_picker import LinkPicker
from tui.dialogs.moderation import Moderating
from tui.dialogs.pickers import (
    AssignChoice,
    AssignPicker,
    NotePrompt,
    PriorityPicker,
    SnoozePicker,
    TagChange,
    TagPrompt,
)
from tui.messages import (
    AnswerRendered,
    AuthorCardLoaded,
    DraftChecked,
    EventsArrived,
    HistoryLoaded,
    LinkOpened,
    PresenceLoaded,
    ReplyNeedsConfirmation,
    ReplyQueued,
    ReplyRefused,
    ReplySettled,
    SecondReplyHeld,
    ThreadGone,
    ThreadRead,
    ThreadsChanged,
    TriageRefused,
)
from tui.screen_mixins import TriageWriter, WorkerFailures
from tui.thread_snapshot import Channel, ThreadSnapshot
from tui.thread_workers import ThreadWorkers
from tui.triage_actions import (
    TriageAction,
    assigning,
    closing,
    prioritising,
    reopening,
    snoozing,
    tagging,
    taking,
)
from tui.widgets import labels
from tui.widgets.author_card import AuthorCardPane
from tui.widgets.composer import Composer, ReplyArea
from tui.widgets.conversation import Conversation
from tui.widgets.crisis_bar import CrisisBar
from tui.widgets.history import HistoryPane
from tui.widgets.key_bar import KeyBar
from tui.widgets.message_body import AttachmentLink, attachment_links

if TYPE_CHECKING:
    from inbox import NoteRow, PresenceRow
    from tui.host import HostApp

CHECK_DELAY_SECONDS = 0.3
"""How long typing must pause before the pre-send checks run."""

AGE_TICK_SECONDS = 30
"""How often the ages in the conversation are redrawn."""

PRESENCE_HEARTBEAT_SECONDS = 10
"""How often our presence is renewed (it expires after 30 s) and others' is read again."""

NARROW_BELOW = 100
"""Below this many columns a side pane takes the conversation's place instead of a column."""

SHORT_BELOW = 32
"""Below this many rows the composer keeps small until it is used."""

LETTER_ACTIONS = frozenset(
    {
        "reply",
        "note",
        "assign",
        "tag",
        "snooze",
        "priority",
        "close_thread",
        "reopen",
        "open_post",
        "open_attachment",
        "copy_link",
        "author_pane",
        "history_pane",
        "toggle_spam",
        "block_author",
        "hide_comment",
    }
)
"""Actions on letter keys: typed text while the composer has focus, so off the footer there."""


def thread_title(thread: ThreadRow) -> str:
    """Who, where and how the thread stands (status, priority, assignee, tags), on one line."""
    status = labels.kind_label(thread.status)
    if thread.status == "snoozed" and thread.snoozed_until is not None:
        status = f"snoozed until {describe(thread.snoozed_until)}"
    if thread.spam_at is not None:
        status = "spam (closed; x: not spam)"
    parts = [
        labels.author_label(thread.author),
        f"{labels.platform_label(thread.platform)} {labels.kind_label(thread.kind)}",
        status,
        f"priority {labels.kind_label(thread.priority)}",
        f"assigned to {labels.author_label(thread.assignee)}" if thread.assignee else "unassigned",
    ]
    if thread.tags:
        parts.append("tags " + " ".join(first_line(tag, 64) for tag in thread.tags))
    return " · ".join(parts)


def original_post_url(items: Sequence[ItemRow]) -> str | None:
    """The link of the earliest message shown that has one: the post the thread started from."""
    return next((item.url for item in items if item.url), None)


class ThreadScreen(WorkerFailures, Moderating, TriageWriter, ThreadWorkers, Screen[None]):
    """One thread at a time: read all of it, triage it, answer it.

    Built once and installed: `open_thread` switches it to another thread, so opening a
    thread composes nothing. Everything a worker reports carries the thread it was for,
    and results for a thread no longer shown are dropped.
    """

    BINDINGS = bindings.THREAD
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_BELOW, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (SHORT_BELOW, "-tall")]

    app: HostApp

    def __init__(
        self,
        service: InboxService,
        thread: ThreadRow,
        drafts: dict[int, str] | None = None,
        snapshot: ThreadSnapshot | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.drafts = drafts if drafts is not None else {}
        """Unsent replies by thread id, kept when the screen closes."""
        self._presence_written = threading.Lock()
        """Held while presence is written or cleared: no clear lands before a write in flight."""
        self.draft_wanted: dict[int, str] = {}
        self._draft_saved = threading.Lock()
        self.visit = 0
        """Counts threads opened and left: a presence write from an earlier visit is not made."""
        self.came_from: list[tuple[ThreadRow, str | None]] = []
        """Threads left for one on the author card, with their side pane: escape goes back."""
        self._check_timer: Timer | None = None
        self._set_thread(thread, snapshot)

    def _set_thread(self, thread: ThreadRow, snapshot: ThreadSnapshot | None) -> None:
        """Forget the thread shown before: everything below is about `thread`."""
        self.thread = thread
        self.opened_with = snapshot
        """What the thread was opened with, shown before anything is read."""
        self.channel: Channel | None = None
        self.canned_response_id: int | None = None
        """The prepared answer the reply started from, if any."""
        self.confirm_version: int | None = None
        """Set after a warning that the thread changed: the version a second ctrl+s accepts."""
        self.post_url: str | None = None
        """The original post's address, once the conversation is read."""
        self.attachment_links: list[AttachmentLink] = []
        """The conversation's attachments that have an address, the newest message's first."""
        self.side_pane: str | None = None
        """The side pane shown: "author", "history", or None."""
        self.activity = "viewing"
        """What our presence on this thread says."""
        self.present: tuple[PresenceRow, ...] = ()
        """Who else has the thread open, as last read."""
        self.visiting = True
        """True from opening the thread until leaving it."""
        self.other_threads: dict[int, ThreadRow] = {}
        """The author's other threads, by id, to open from the author card."""
        self._keep_notice = False
        self.draft_unread = True
        """Until this visit's first reading: the draft kept in the database is yet to show."""
        self.visit += 1

    def compose(self) -> ComposeResult:
        yield Header()
        yield CrisisBar(clock=self.service.clock, id="crisis-bar")
        yield Static(id="thread-title")
        yield Static(id="presence")
        with Horizontal(id="thread-main"):
            yield Conversation(id="conversation")
            yield AuthorCardPane(id="author-card")
            yield HistoryPane(id="history")
        yield Composer(id="composer")
        yield KeyBar()

    @property
    def conversation(self) -> Conversation:
        return self.query_one("#conversation", Conversation)

    @cached_property
    def composer(self) -> Composer:
        """The composer; kept once found, so the draft can be read when the app quits."""
        return self.query_one("#composer", Composer)

    @property
    def author_card(self) -> AuthorCardPane:
        return self.query_one("#author-card", AuthorCardPane)

    @property
    def history(self) -> HistoryPane:
        return self.query_one("#history", HistoryPane)

    @property
    def presence_text(self) -> str:
        """The line saying who else is here, as shown ("" when nobody)."""
        return labels.presence_text(self.present)

    def on_mount(self) -> None:
        self.app.inbox_changed.subscribe(self, self.inbox_changed)
        self.set_interval(AGE_TICK_SECONDS, self.tick_ages, name="ages")
        self.set_interval(PRESENCE_HEARTBEAT_SECONDS, self.heartbeat, name="presence")
        self._show_opened()

    def open_thread(self, thread: ThreadRow, snapshot: ThreadSnapshot | None = None) -> None:
        """Show `thread` next, from `snapshot` when it was read ahead; then push the screen."""
        self.came_from.clear()
        self._switch_to(thread, snapshot)

    def _switch_to(self, thread: ThreadRow, snapshot: ThreadSnapshot | None) -> None:
        """Drop what was under way for the thread shown, and show `thread`."""
        for group in ("conversation", "checks", "answer", "author", "history", "presence"):
            self.workers.cancel_group(self, group)
        if self._check_timer is not None:
            self._check_timer.stop()
        self._set_thread(thread, snapshot)
        if self.is_mounted:
            self._show_opened()
        if self.is_current:  # switched in place; otherwise it says so when pushed
            self.update_presence(self.activity)

    def _show_opened(self) -> None:
        """Show the thread just set: what it was opened with, or "Loading…" until it is read."""
        self.query_one("#thread-title", Static).update(
            Text(thread_title(self.thread)), layout=False
        )
        self.query_one("#presence", Static).display = False
        self._show_side_pane(None, focus=False)
        composer = self.composer
        composer.reply_area.read_only = False
        composer.set_channel(None)
        composer.show_problems([])
        draft = self.drafts.get(self.thread.id, "")
        if composer.text != draft:
            composer.set_text(draft)
        if self.opened_with is not None:
            self.show_snapshot(self.opened_with)
        else:
            self.conversation.show_notice("Loading…")
        (composer.reply_area if draft else self.conversation).focus()
        self.call_after_refresh(self._read_after_showing, self.thread.id)

    def _read_after_showing(self, thread_id: int) -> None:
        """Once the thread is on screen: read it again for anything newer, and mark it read."""
        if thread_id == self.thread.id and self.visiting:
            self.load_thread(thread_id)
            self.mark_read(thread_id)

    def update_presence(self, activity: str | None) -> None:
        """Say what we do on this thread (unless `activity` is None), then read who else is here."""
        self._write_presence(self.thread.id, self.visit, activity)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Letter keys are text in the composer: keep them out of the footer there.

        The attachment key shows only while the conversation has an attachment to open.
        """
        if action == "open_attachment" and not self.attachment_links:
            return False
        return not (action in LETTER_ACTIONS and self.composer.reply_area.has_focus)

    # -- results: the only place widgets change ------------------------------------------

    @on(ThreadRead)
    def thread_read(self, message: ThreadRead) -> None:
        if message.snapshot.thread.id == self.thread.id:
            self._restore_draft(message.snapshot.draft)
            self.show_snapshot(message.snapshot)

    def _restore_draft(self, draft: str | None) -> None:
        """Bring back the draft kept in the database (from any terminal), once per visit,
        unless the composer already holds one."""
        if not self.draft_unread:
            return
        self.draft_unread = False
        if self.composer.text:
            self._keep_typed(self.composer.text)  # typed before the reading came: it wins
        elif draft:
            self.draft_wanted[self.thread.id] = draft
            self.composer.set_text(draft)
            if self.conversation.has_focus:
                self.composer.reply_area.focus()

    def show_snapshot(self, snapshot: ThreadSnapshot) -> None:
        """Show the conversation as read, and whether we may answer.

        The channel of the first reading that allows an answer stays, with the thread's
        version then: sending after someone else answered asks first.
        """
        self.thread = snapshot.thread
        self.post_url = original_post_url(snapshot.items)
        links = attachment_links(snapshot.items)
        changed = bool(links) != bool(self.attachment_links)
        self.attachment_links = links  # before the refresh: the key bar asks check_action
        if changed:
            self.refresh_bindings()
        self.query_one("#thread-title", Static).update(
            Text(thread_title(snapshot.thread)), layout=False
        )
        self.conversation.show_conversation(
            snapshot.thread, snapshot.items, snapshot.outbound, self.service.clock(), snapshot.notes
        )
        composer = self.composer
        if snapshot.channel is None:  # say so at once, even after a reading that allowed it
            self.channel = None
            composer.reply_area.read_only = True  # still focusable: typing there does nothing
            composer.show_problems([snapshot.refusal or "You cannot answer here."])
            return
        if self.channel is not None:
            return  # the version as first seen stays: sending after a change asks first
        composer.reply_area.read_only = False  # refused before, but whoever holds it changed
        self.channel = snapshot.channel
        composer.set_channel(snapshot.channel)
        if composer.text.strip():
            self._schedule_checks()
        elif composer.problems:
            composer.show_problems([])

    @on(PresenceLoaded)
    def show_presence(self, message: PresenceLoaded) -> None:
        if message.thread_id != self.thread.id:
            return
        self.present = tuple(message.present)
        line = self.query_one("#presence", Static)
        line.update(Text(labels.presence_text(self.present)), layout=False)
        line.display = bool(self.present)

    @on(AuthorCardLoaded)
    def show_author_card(self, message: AuthorCardLoaded) -> None:
        if message.thread_id != self.thread.id:
            return
        self.other_threads = {thread.id: thread for thread in message.card.other_threads}
        self.author_card.show_card(message.card, self.service.clock())

    @on(HistoryLoaded)
    def show_history(self, message: HistoryLoaded) -> None:
        if message.thread_id == self.thread.id:
            self.history.show_history(message.entries, self.service.clock())

    @on(ThreadsChanged)
    def threads_changed(self, message: ThreadsChanged) -> None:
        if not self.app.offer_undo(message):
            self.report_triage(message)
        self.load_thread(self.thread.id)
        if self.side_pane == "history":
            self.load_history(self.thread.id)

    @on(TriageRefused)
    def triage_refused(self, message: TriageRefused) -> None:
        self.report_triage(message)

    @on(LinkOpened)
    def link_opened(self, message: LinkOpened) -> None:
        if message.opened:
            self.notify(f"Opened in the browser: {message.url}", markup=False)
        else:
            from_post = self.post_url is not None and message.url == web_link(self.post_url)
            copy_hint = " (y copies the link)." if from_post else ""
            self.notify(
                f"No browser to open it from here. The {message.what} is at {message.url}"
                f"{copy_hint}",
                title=message.what.capitalize(),
                timeout=15,
                markup=False,
            )

    @on(AuthorCardPane.ThreadChosen)
    def open_other_thread(self, message: AuthorCardPane.ThreadChosen) -> None:
        """Switch to the author's other thread; escape comes back here, to the card."""
        thread = self.other_threads.get(message.thread_id)
        if thread is None:
            return
        self.came_from.append((self.thread, self.side_pane))
        self._keep_draft()
        self._leave()
        self._switch_to(thread, None)

    def on_screen_resume(self) -> None:
        """In front: opened, or back from a picker. Say we are here."""
        if self.visiting:
            self.update_presence(self.activity)

    @on(ThreadGone)
    def thread_gone(self, message: ThreadGone) -> None:
        if message.thread_id == self.thread.id:
            self.conversation.show_notice("This thread no longer exists.")

    @on(TextArea.Changed, "#reply")
    def reply_changed(self, message: TextArea.Changed) -> None:
        composer = self.composer
        composer.show_count()
        self.confirm_version = None
        text = composer.text
        activity = "replying" if text.strip() else "viewing"
        if activity != self.activity:
            self.activity = activity
            self.update_presence(activity)
        if not text.strip():
            self.canned_response_id = None
            if self._check_timer is not None:
                self._check_timer.stop()
            if not self._keep_notice and not composer.reply_area.read_only:
                composer.show_problems([])  # a refusal to answer stays
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
        self.check_reply(
            self.thread.id, self.composer.text, self.canned_response_id, self.channel.seen_version
        )

    @on(DraftChecked)
    def show_checks(self, message: DraftChecked) -> None:
        if (
            message.thread_id != self.thread.id
            or message.text != self.composer.text
            or self.confirm_version is not None
        ):
            return
        self.composer.show_problems(message.problems, message.approval_reason)

    @on(ReplyRefused)
    def show_refusal(self, message: ReplyRefused) -> None:
        """Say why; the draft stays (kept for its thread when the screen moved on)."""
        if message.thread_id == self.thread.id:
            self.composer.show_problems(message.problems)
        self.notify("Not sent: " + " ".join(message.problems), severity="warning", markup=False)

    @on(ReplyNeedsConfirmation)
    def ask_to_confirm(self, message: ReplyNeedsConfirmation) -> None:
        if message.thread_id != self.thread.id:
            self.notify(f"Not sent: {message.problem}", severity="warning", markup=False)
            return
        self.confirm_version = message.current_version
        self.composer.show_notice(
            f"⚠ {message.problem} Press ctrl+s again to send anyway.", problem=True
        )
        self.load_thread(self.thread.id)

    @on(SecondReplyHeld)
    def ask_about_second_reply(self, message: SecondReplyHeld) -> None:
        """Ask whether to send a second reply while the first is on its way; no keeps the draft."""
        if message.thread_id != self.thread.id:
            self.notify(f"Not sent: {message.problem}", severity="warning", markup=False)
            return
        thread_id = self.thread.id
        self.composer.show_notice(f"⚠ {message.problem}", problem=True)

        def answered(yes: bool | None) -> None:
            if yes and self.thread.id == thread_id:
                self.composer.show_notice("Checking and queueing…")
                self.send_reply(
                    thread_id,
                    self.composer.text,
                    self.canned_response_id,
                    message.seen_version,
                    again=True,
                )

        question = f"{message.problem} Send this one as well?"
        self.app.push_screen(ConfirmForm("A second reply", question, "Send it too"), answered)

    @on(ReplyQueued)
    def reply_queued(self, message: ReplyQueued) -> None:
        self.drafts.pop(message.thread_id, None)
        self.keep_draft(message.thread_id, "")  # after any save of it still in flight
        if message.thread_id != self.thread.id:
            return  # left before it was queued: it shows on that thread
        if self.channel is not None:
            self.channel = Channel(
                self.channel.name, self.channel.rule, self.channel.limit, message.seen_version
            )
        self.confirm_version = None
        self._keep_notice = True
        status = (
            "waiting for a lead's approval"
            if message.outbound.status == "awaiting_approval"
            else message.outbound.status
        )
        self.composer.set_text("")
        self.composer.show_notice(f"Reply {status}; it shows above as it goes out.")
        self.conversation.focus()  # done writing: the triage keys (c closes) work at once
        self.load_thread(self.thread.id)

    @on(ReplyArea.AnswerWanted)
    def answer_wanted(self) -> None:
        self.action_pick_answer()

    @on(AnswerRendered)
    def insert_answer(self, message: AnswerRendered) -> None:
        if message.thread_id != self.thread.id:
            return
        self.composer.set_text(message.text)
        self.canned_response_id = message.canned_response_id
        self.composer.show_problems(message.problems)
        self.composer.reply_area.focus()

    def inbox_changed(self, message: EventsArrived) -> None:
        """Read again what an event about this thread may have changed."""
        if not self.visiting or self.thread.id not in message.thread_ids:
            return
        if PresenceChanged.type in message.event_types:
            self.update_presence(None)
        if message.event_types - {PresenceChanged.type}:
            self.load_thread(self.thread.id)
            if self.side_pane == "history":
                self.load_history(self.thread.id)

    def tick_ages(self) -> None:
        if self.visiting:
            self.conversation.show_times_at(self.service.clock())

    def heartbeat(self) -> None:
        """Renew our presence while this screen is the one in front (pickers aside)."""
        front = next(
            (
                screen
                for screen in reversed(self.app.screen_stack)
                if not isinstance(screen, ModalScreen)
            ),
            None,
        )
        if front is self and self.visiting:
            self.update_presence(self.activity)

    # -- actions --------------------------------------------------------------------------

    def action_back(self) -> None:
        """From the composer or a side pane back to the conversation.

        From there, to where we came from.
        """
        if self.composer.reply_area.has_focus:
            self.conversation.focus()
            return
        if self.side_pane is not None and not self.conversation.has_focus:
            self._show_side_pane(None)
            return
        self._keep_draft()
        self._leave()
        if self.came_from:
            thread, side_pane = self.came_from.pop()
            self._switch_to(thread, None)
            if side_pane is not None:
                self._show_side_pane(side_pane)
            return
        self.dismiss()

    def _keep_draft(self) -> None:
        text = self.composer.text
        if text.strip():
            self.drafts[self.thread.id] = text
        else:
            self.drafts.pop(self.thread.id, None)
        self._keep_typed(text)

    @on(Composer.Paused)
    def typing_paused(self, message: Composer.Paused) -> None:
        """Keep the draft in the database while the person writes, at each pause."""
        if self.visiting and not self.composer.reply_area.read_only:
            self._keep_typed(message.text)

    def on_unmount(self) -> None:
        """The app is quitting with this thread open: keep the draft now, while it still can."""
        if self.visiting:
            self._keep_typed(self.composer.text, now=True)

    def _keep_typed(self, text: str, *, now: bool = False) -> None:
        """Keep the composer's text as this thread's draft in the database.

        A blank one deletes the draft, so not before the draft kept there was read and shown.
        """
        if text.strip() or not self.draft_unread:
            self.keep_draft(self.thread.id, text, now=now)

    def _leave(self) -> None:
        """Take our presence off the thread; run by the app, so it outlives the visit.

        A typing or heartbeat write may be in flight in a worker thread, which cancelling
        cannot stop: the clear waits for it (the lock), and writes not yet made see that
        the visit ended and are skipped, so we never stay shown as here after leaving.
        """
        self.visiting = False
        self.visit += 1
        self.workers.cancel_group(self, "presence")
        self.app.run_worker(
            partial(self._clear_presence, self.thread.id, self.visit),
            thread=True,
            exit_on_error=False,
            group="presence-clear",
            description="thread: clear presence",
        )

    def _clear_presence(self, thread_id: int, visit: int) -> None:
        """Clear our presence after any write of it, unless we are back on the thread meanwhile."""
        with self._presence_written:
            if self.visit == visit or self.thread.id != thread_id:
                self.service.clear_presence(thread_id)

    def action_reply(self) -> None:
        self.composer.reply_area.focus()

    def action_note(self) -> None:
        adding = TriageAction("add a note", "Added a note to {threads}", "No note added")
        if self.only_reads(adding):
            return

        def added(note: NoteRow | None) -> None:
            if note is None:
                return
            told = ", ".join(labels.author_label(handle) for handle in note.mentions)
            self.notify(
                f"Note added; {told} will see the thread under Mentions."
                if told
                else "Note added.",
                markup=False,
            )
            self.load_thread(self.thread.id)

        save = partial(self.service.add_note, self.thread.id)
        self.app.push_screen(NotePrompt(self.service, save), added)

    def action_assign(self) -> None:
        ids = [self.thread.id]
        if self.only_reads(taking()):
            return
        if not self.service.can(Action.ASSIGN):
            self.run_triage(taking(), partial(self.service.take, ids))
            return

        def picked(choice: AssignChoice | None) -> None:
            if choice is not None:
                self.run_triage(
                    assigning(choice.handle), partial(self.service.assign, ids, choice.handle)
                )

        self.app.push_screen(AssignPicker(self.service), picked)

    def action_tag(self) -> None:
        ids = [self.thread.id]
        if self.only_reads(tagging((), ())):
            return

        def picked(change: TagChange | None) -> None:
            if change:
                self.run_triage(
                    tagging(change.add, change.remove),
                    partial(self.service.tag, ids, add=change.add, remove=change.remove),
                )

        self.app.push_screen(TagPrompt(self.service, self.thread.tags), picked)

    def action_snooze(self) -> None:
        ids = [self.thread.id]
        now = self.service.clock()
        if self.only_reads(snoozing(now)):
            return

        def picked(until: datetime | None) -> None:
            if until is not None:
                self.run_triage(snoozing(until), partial(self.service.snooze, ids, until))

        self.app.push_screen(SnoozePicker(self.service.clock), picked)

    def action_priority(self) -> None:
        ids = [self.thread.id]
        current = self.thread.priority
        if self.only_reads(prioritising(current)):
            return

        def picked(priority: str | None) -> None:
            if priority is not None:
                self.run_triage(
                    prioritising(priority), partial(self.service.set_priority, ids, priority)
                )

        self.app.push_screen(PriorityPicker(current), picked)

    def action_close_thread(self) -> None:
        self.run_triage(closing(), partial(self.service.close, [self.thread.id]))

    def action_reopen(self) -> None:
        self.run_triage(reopening(), partial(self.service.reopen, [self.thread.id]))

    def action_undo(self) -> None:
        """Undo the latest close, snooze, priority, tag or assignment, while it is offered."""
        if offered := self.app.take_undo():
            self.run_triage(*offered)

    def action_toggle_spam(self) -> None:
        self.mark_spam([self.thread.id], unmark=self.thread.spam_at is not None)

    def action_block_author(self) -> None:
        self.block_authors([self.thread.id], unblock=self.thread.author_blocked)

    def action_hide_comment(self) -> None:
        self.hide_comment(self.thread)

    def action_open_post(self) -> None:
        if self.post_url is None:
            self.notify("No link to the original post: the platform gave none.", markup=False)
            return
        self._open_web_link(self.post_url, "original post")

    def action_resend_reply(self) -> None:
        """Ask, then queue again the latest reply here that failed or could not be confirmed."""
        row = self._latest_outbound(lambda row: row.status == "failed" or row.waits_for_person)
        if row is None:
            self.notify("No reply here failed or waits to be checked.", markup=False)
            return
        what = "failed" if row.status == "failed" else "could not be confirmed"
        question = (
            f"Your reply {what}: {first_line(row.error or '', 160)}. "
            f"Look on {channel_name(row.platform)} first: if it is there, withdraw this one "
            "instead. "
            "Send it again?"
        )
        thread_id = self.thread.id
        self.app.push_screen(
            ConfirmForm("Send the reply again", question, "Send again"),
            lambda yes: yes and self.settle_reply(thread_id, row.id, True),
        )

    def action_withdraw_reply(self) -> None:
        """Ask, then withdraw the latest reply here that has not gone out."""
        row = self._latest_outbound(
            lambda row: row.status in ("awaiting_approval", "queued", "failed", "unknown")
        )
        if row is None:
            self.notify("No reply here is waiting to go out.", markup=False)
            return
        question = f"Withdraw your reply “{first_line(row.rendered_text, 120)}”?"
        thread_id = self.thread.id
        self.app.push_screen(
            ConfirmForm("Withdraw the reply", question, "Withdraw it"),
            lambda yes: yes and self.settle_reply(thread_id, row.id, False),
        )

    def _latest_outbound(self, wanted: Callable[[OutboundRow], bool]) -> OutboundRow | None:
        rows = [row for row in self.conversation.outbound_rows if wanted(row)]
        return rows[-1] if rows else None

    @on(ReplySettled)
    def reply_settled(self, message: ReplySettled) -> None:
        if message.refusal is not None:
            self.notify(message.refusal, severity="warning", markup=False)
        else:
            self.notify("Sent again." if message.resent else "Withdrawn.", markup=False)
        if message.thread_id == self.thread.id:
            self.load_thread(self.thread.id)

    def action_open_attachment(self) -> None:
        """Open the conversation's attachment, asking which when there are several."""
        if len(self.attachment_links) == 1:
            self._open_web_link(self.attachment_links[0].url, "attachment")
            return

        def picked(link: AttachmentLink | None) -> None:
            if link is not None:
                self._open_web_link(link.url, "attachment")

        self.app.push_screen(LinkPicker(self.attachment_links), picked)

    def _open_web_link(self, url: str, what: str) -> None:
        """Hand `url` to the browser if it is an http(s) link; else say it was not opened."""
        link = web_link(url)
        if link is None:
            self.notify(
                f"Not opened: the platform's link is a {link_scheme(url)}: link, "
                "and only http and https links open.",
                title=what.capitalize(),
                severity="warning",
                markup=False,
            )
            return
        self.open_link(link, what)

    def action_copy_link(self) -> None:
        if self.post_url is None:
            self.notify("No link to copy: the platform gave none for this thread.", markup=False)
            return
        self.app.copy_to_clipboard(self.post_url)
        self.notify(f"Copied the link: {self.post_url}", markup=False)

    def action_author_pane(self) -> None:
        self._show_side_pane(None if self.side_pane == "author" else "author")

    def action_history_pane(self) -> None:
        self._show_side_pane(None if self.side_pane == "history" else "history")

    def _show_side_pane(self, pane: str | None, *, focus: bool = True) -> None:
        """Show one side pane (or none); on a narrow screen it takes the conversation's place."""
        self.side_pane = pane
        self.author_card.display = pane == "author"
        self.history.display = pane == "history"
        self.set_class(pane is not None, "-side-pane")
        if pane == "author":
            self.load_author_card(self.thread.id)
            self.author_card.thread_list.focus()
        elif pane == "history":
            self.load_history(self.thread.id)
            self.history.focus()
        elif focus:
            self.conversation.focus()

    def action_send_reply(self) -> None:
        if self.channel is None:
            self.notify("Still reading the channel's rules; try again in a moment.", markup=False)
            return
        text = self.composer.text
        if not text.strip():
            self.composer.show_notice("Nothing to send: write a reply first.", problem=True)
            return
        seen = (
            self.confirm_version if self.confirm_version is not None else self.channel.seen_version
        )
        self.confirm_version = None
        self.composer.show_notice("Checking and queueing…")
        self.send_reply(self.thread.id, text, self.canned_response_id, seen)

    def action_pick_answer(self) -> None:
        def picked(canned_response_id: int | None) -> None:
            if canned_response_id is not None:
                self.render_answer(self.thread.id, canned_response_id)
            else:
                self.composer.reply_area.focus()

        self.app.push_screen(AnswerPicker(self.service, self.thread.id), picked)

    def action_switch_focus(self) -> None:
        if self.composer.reply_area.has_focus:
            self.conversation.focus()
        else:
            self.composer.reply_area.focus()
