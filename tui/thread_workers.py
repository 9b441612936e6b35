"""The thread screen's service calls, each in a worker off the event loop, as a mixin.

`ThreadWorkers` goes before `Screen` in the thread screen's bases. Each worker reads or
writes through the screen's `service` and posts what came of it to the screen as a message
from `tui.messages`, carrying the thread it was for; the screen's handlers change the
widgets and drop results for a thread no longer shown:

    class ThreadScreen(WorkerFailures, TriageWriter, ThreadWorkers, Screen[None]):
        @on(DraftChecked)
        def show_checks(self, message: DraftChecked) -> None:
            if message.thread_id == self.thread.id:
                self.composer.show_problems(message.problems, message.approval_reason)

The workers: the conversation (`load_thread`), the unread mark, our presence and who else
is here, the author card, the history, a link (the post, an attachment) in a browser, and
the reply's pre-send checks, queueing (asking first for a second reply) and prepared answer;
and `keep_draft`, which saves the reply being written so it outlives the app.
"""

from __future__ import annotations

import webbrowser
from typing import TYPE_CHECKING

from textual import work
from textual.worker import get_current_worker

from inbox import InvalidInput, NotFound, PermissionDenied, ProblemCode, SendRefused, web_link
from tui.messages import (
    AnswerRendered,
    AuthorCardLoaded,
    DraftChecked,
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
)
from tui.thread_snapshot import read_thread

if TYPE_CHECKING:
    import threading

    from textual.screen import Screen

    from inbox import InboxService

    _ScreenBase = Screen[None]
else:
    _ScreenBase = object


def open_in_browser(url: str) -> bool:
    """Hand `url` to a graphical browser; False when there is none.

    A terminal browser (lynx, w3m: `webbrowser` offers them without a display) would take
    over the inbox's own terminal, so it counts as none. Only http(s) links are handed over:
    a `file:` or `javascript:` one counts as not opened.
    """
    if web_link(url) != url:
        return False
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    if type(browser) is webbrowser.GenericBrowser:
        return False
    return bool(browser.open(url))


class ThreadWorkers(_ScreenBase):
    """Mixed into the thread screen (before `Screen`): its workers, which post what they read.

    Uses the screen's `service`, and for presence its `visit` count and the lock held while
    our presence is written or cleared; for drafts, `draft_wanted` and the lock held while
    one is saved.
    """

    service: InboxService
    visit: int
    _presence_written: threading.Lock
    draft_wanted: dict[int, str]
    """The text last asked to be kept as each thread's draft: an older save is not made."""
    _draft_saved: threading.Lock
    draft_unread: bool
    """Until this visit's first reading: the draft kept in the database is yet to show."""

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="conversation",
        description="thread: load the conversation",
    )
    def load_thread(self, thread_id: int) -> None:
        """Read the thread, its messages, replies and notes, and how to answer it."""
        worker = get_current_worker()
        try:
            snapshot = read_thread(self.service, thread_id, with_draft=self.draft_unread)
        except NotFound:
            self.post_message(ThreadGone(thread_id))
            return
        if not worker.is_cancelled:
            self.post_message(ThreadRead(snapshot))

    @work(
        thread=True,
        exit_on_error=False,
        group="read",
        description="thread: mark the thread read",
    )
    def mark_read(self, thread_id: int) -> None:
        """Clear the unread mark; a write, so it runs apart from the reads that fill the screen."""
        try:
            self.service.mark_read(thread_id)
        except NotFound:
            return

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="presence",
        description="thread: update who is here",
    )
    def _write_presence(self, thread_id: int, visit: int, activity: str | None) -> None:
        if activity is not None:
            with self._presence_written:
                if visit == self.visit:  # not left since: a clear is not overtaken
                    try:
                        self.service.set_presence(thread_id, activity)
                    except (PermissionDenied, InvalidInput, NotFound):
                        pass  # presence is a courtesy to colleagues; reading goes on without it
        present = self.service.presence([thread_id]).get(thread_id, ())
        if not get_current_worker().is_cancelled:
            self.post_message(PresenceLoaded(thread_id, present))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="author",
        description="thread: read the author card",
    )
    def load_author_card(self, thread_id: int) -> None:
        card = self.service.author_card(thread_id)
        if not get_current_worker().is_cancelled:
            self.post_message(AuthorCardLoaded(thread_id, card))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="history",
        description="thread: read the history",
    )
    def load_history(self, thread_id: int) -> None:
        entries = self.service.history(thread_id)
        if not get_current_worker().is_cancelled:
            self.post_message(HistoryLoaded(thread_id, entries))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="browser",
        description="thread: open a link in the browser",
    )
    def open_link(self, url: str, what: str = "original post") -> None:
        """Hand `url` (the `what` of the thread) to a browser, and say whether it took it."""
        self.post_message(LinkOpened(url, opened=open_in_browser(url), what=what))

    @work(
        thread=True,
        exit_on_error=False,
        group="settle",
        description="thread: send a stuck reply again, or withdraw it",
    )
    def settle_reply(self, thread_id: int, outbound_id: int, resend: bool) -> None:
        """Queue a failed or unconfirmed reply again (`resend`), or withdraw it."""
        try:
            if resend:
                self.service.retry_outbound(outbound_id)
            else:
                self.service.cancel_outbound(outbound_id)
        except (PermissionDenied, InvalidInput, NotFound) as refused:
            self.post_message(ReplySettled(thread_id, outbound_id, resend, str(refused)))
            return
        self.post_message(ReplySettled(thread_id, outbound_id, resend))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="checks",
        description="thread: run the pre-send checks",
    )
    def check_reply(
        self, thread_id: int, text: str, canned_response_id: int | None, seen_version: int | None
    ) -> None:
        try:
            draft = self.service.preview_reply(
                thread_id, text, canned_response_id, seen_version=seen_version
            )
        except (PermissionDenied, InvalidInput, NotFound) as refused:
            self.post_message(DraftChecked(thread_id, text, [str(refused)], None))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(
                DraftChecked(thread_id, text, draft.problem_texts(), draft.approval_reason)
            )

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="send",
        description="thread: queue the reply",
    )
    def send_reply(
        self,
        thread_id: int,
        text: str,
        canned_response_id: int | None,
        seen_version: int | None,
        *,
        again: bool = False,
    ) -> None:
        """Queue the reply if every check passes; a changed thread asks first, and so does a
        second reply while the person's first is on its way (`again` is their yes)."""
        changed, second = ProblemCode.THREAD_CHANGED, ProblemCode.ALREADY_REPLYING
        try:
            draft = self.service.preview_reply(
                thread_id, text, canned_response_id, seen_version=seen_version, again=again
            )
            codes = {problem.code for problem in draft.problems}
            if codes - {changed, second}:
                self.post_message(ReplyRefused(thread_id, draft.problem_texts()))
                return
            if changed in codes:
                self.post_message(
                    ReplyNeedsConfirmation(
                        thread_id,
                        " ".join(p.text for p in draft.problems if p.code == changed),
                        draft.target.thread_version,
                    )
                )
                return
            if second in codes:
                held = " ".join(p.text for p in draft.problems if p.code == second)
                self.post_message(SecondReplyHeld(thread_id, held, seen_version))
                return
            outbound = self.service.queue_reply(
                thread_id, text, canned_response_id, seen_version=seen_version, again=again
            )
        except SendRefused as refused:
            if refused.only(second):  # their first went in from elsewhere meanwhile
                self.post_message(
                    SecondReplyHeld(thread_id, refused.problems[0].text, seen_version)
                )
            else:
                self.post_message(ReplyRefused(thread_id, [p.text for p in refused.problems]))
            return
        except (PermissionDenied, InvalidInput, NotFound) as refused:
            self.post_message(ReplyRefused(thread_id, [str(refused)]))
            return
        self.post_message(ReplyQueued(thread_id, outbound, draft.target.thread_version))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="answer",
        description="thread: fill in the prepared answer",
    )
    def render_answer(self, thread_id: int, canned_response_id: int) -> None:
        draft = self.service.preview_reply(thread_id, None, canned_response_id)
        problems = [
            problem.text
            for problem in draft.problems
            if problem.code == ProblemCode.UNFILLED_VARIABLE
        ]
        if not get_current_worker().is_cancelled:
            self.post_message(
                AnswerRendered(thread_id, canned_response_id, draft.rendered.text, problems)
            )

    def keep_draft(self, thread_id: int, text: str, *, now: bool = False) -> None:
        """Keep `text` as the thread's draft in the database (blank: none), in a worker.

        Saves run one at a time, and one whose text is no longer the latest asked for is
        skipped, so a slow save never overwrites a newer one (or the deletion after sending).
        With `now` it is saved at once, on the event loop: when the app quits, when no new
        worker would run.
        """
        if self.draft_wanted.get(thread_id) == text:
            return
        self.draft_wanted[thread_id] = text
        if now:
            self._write_draft(thread_id, text)
        else:
            self._save_draft(thread_id, text)

    @work(thread=True, exit_on_error=False, group="draft", description="thread: keep the draft")
    def _save_draft(self, thread_id: int, text: str) -> None:
        self._write_draft(thread_id, text)

    def _write_draft(self, thread_id: int, text: str) -> None:
        with self._draft_saved:
            if self.draft_wanted.get(thread_id) != text:
                return  # a newer text was asked for since: its save is the one to make
            try:
                self.service.save_draft(thread_id, text)
            except (PermissionDenied, InvalidInput, NotFound):
                pass  # the composer still holds it; only keeping it across quits is lost
