"""Spam, blocked authors and hidden comments as the screens offer them.

`Moderating` is mixed into the inbox and thread screens (before `TriageWriter`): `x` marks
threads spam (or, for spam, says they are not), `X` asks before blocking their authors
(or unblocks), `H` opens `tui.dialogs.comment_picker` and hides (or shows again) the
chosen comment through the outbox. The writes run in workers and come back as
`ThreadsChanged` or `TriageRefused`, reported like every triage write. The dialogs load on
first use, not at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import work

from inbox import (
    BulkResult,
    InboxService,
    InvalidInput,
    NotFound,
    PermissionDenied,
    hide_refusal,
)
from tui.messages import ThreadsChanged, TriageRefused
from tui.triage_actions import TriageAction

if TYPE_CHECKING:
    from inbox import ThreadRow
    from tui.dialogs.comment_picker import CommentChoice


def marking_spam(asked: int = 1, *, unmark: bool = False) -> TriageAction:
    """Marking threads spam, or (`unmark`) saying they are not."""
    if unmark:
        return TriageAction(
            "say it is not spam", "Reopened {threads}: not spam", "Still spam", asked
        )
    return TriageAction("mark as spam", "Marked {threads} as spam", "Not marked spam", asked)


def blocking(asked: int = 1, *, unblock: bool = False) -> TriageAction:
    """Blocking the authors of threads (their threads close as spam), or unblocking them."""
    if unblock:
        return TriageAction(
            "unblock the author", "Unblocked the author of {threads}", "Not unblocked", asked
        )
    return TriageAction(
        "block the author",
        "Blocked the author of {threads}; marked spam",
        "Not blocked",
        asked,
    )


def hiding(hide: bool) -> TriageAction:
    """Hiding a comment on its platform (through the outbox), or showing it again."""
    if hide:
        return TriageAction(
            "hide the comment", "Hiding a comment of {threads} on its platform", "Not hidden"
        )
    return TriageAction(
        "show the comment again", "Showing a comment of {threads} again", "Not shown again"
    )


class Moderating:
    """Mixed into a screen with `service` and `TriageWriter`: spam, block and hide keys."""

    service: InboxService

    def mark_spam(self, thread_ids: Sequence[int], *, unmark: bool = False) -> None:
        """Mark threads spam, or say they are not (`unmark`)."""
        screen: Any = self
        action = marking_spam(len(thread_ids), unmark=unmark)
        if not thread_ids or screen.only_reads(action):
            return
        write = self.service.unmark_spam if unmark else self.service.mark_spam
        screen.run_triage(action, partial(write, list(thread_ids)))

    def block_authors(self, thread_ids: Sequence[int], *, unblock: bool = False) -> None:
        """Block the threads' authors after asking (or unblock them, which needs no asking)."""
        screen: Any = self
        action = blocking(len(thread_ids), unblock=unblock)
        if not thread_ids or screen.only_reads(action):
            return
        if unblock:
            screen.run_triage(action, partial(self.service.unblock_authors, list(thread_ids)))
            return
        whose = (
            "this thread's author"
            if len(thread_ids) == 1
            else (f"the authors of {len(thread_ids)} threads")
        )
        question = (
            f"Block {whose}? The thread is marked spam, and every new message they send "
            "closes as spam at once: nobody is asked to answer it. Unblocking is X again on "
            "a thread of theirs."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                screen.run_triage(action, partial(self.service.block_authors, list(thread_ids)))

        from tui.dialogs.forms import ConfirmForm

        screen.app.push_screen(ConfirmForm("Block the author", question, "Block"), answered)

    def hide_comment(self, thread: ThreadRow | None) -> None:
        """Pick one of the thread's comments to hide on its platform (or show again)."""
        screen: Any = self
        if thread is None or screen.only_reads(hiding(True)):
            return
        refusal = hide_refusal(thread.platform, thread.kind, "in")
        if refusal is not None:
            screen.notify(
                f"{refusal}.", title="Could not hide the comment", severity="warning", markup=False
            )
            return

        def picked(choice: CommentChoice | None) -> None:
            if choice is not None:
                self.hide_chosen(thread.id, choice)

        from tui.dialogs.comment_picker import CommentPicker

        screen.app.push_screen(CommentPicker(self.service, thread), picked)

    @work(
        thread=True,
        exclusive=False,
        exit_on_error=False,
        group="triage",
        description="triage: hide the comment",
    )
    def hide_chosen(self, thread_id: int, choice: CommentChoice) -> None:
        """Queue the hide off the event loop; say how it went as any triage write."""
        screen: Any = self
        action = hiding(choice.hide)
        try:
            self.service.hide_message(choice.item_id, hidden=choice.hide)
        except (PermissionDenied, InvalidInput, NotFound) as refused:
            screen.post_message(TriageRefused(action, str(refused)))
            return
        screen.post_message(ThreadsChanged(action, BulkResult((thread_id,))))
