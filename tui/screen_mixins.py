"""What screens mix in (before `Screen`) to run their work in workers and say how it went.

`WorkerFailures` turns a failed worker into one error notification. `TriageWriter` runs
triage writes; the thread screen acts on one thread and the inbox screen on the marked ones:

    class InboxScreen(WorkerFailures, TriageWriter, Screen[None]):
        def action_close_threads(self) -> None:
            if ids := self.thread_list.targets():    # the marked threads, or the highlighted one
                self.run_triage(closing(len(ids)), partial(self.service.close, ids))

        @on(ThreadsChanged)
        def threads_changed(self, message: ThreadsChanged) -> None:
            self.report_triage(message)     # "Closed 3 threads; 1 refused: assigned to blake; ..."
            self.thread_list.clear_marks()
            self.refresh_threads()

        @on(TriageRefused)
        def triage_refused(self, message: TriageRefused) -> None:
            self.report_triage(message)     # "alex is a supervisor; ..." as a warning

The worker only calls the service and posts `ThreadsChanged` or `TriageRefused` to the
screen; the screen's own handlers change widgets, as everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work
from textual.worker import Worker, WorkerState

from inbox import InvalidInput, NotFound, PermissionDenied
from tui.messages import ThreadsChanged, TriageRefused
from tui.triage_actions import TriageAction, summary

if TYPE_CHECKING:
    from textual.screen import Screen

    from inbox import BulkResult


class WorkerFailures:
    """Mixed into a screen (before `Screen`): a failed worker becomes one error notification.

    It names what the worker was doing, from its description (`"inbox: load the thread
    list"` reads "Could not load the thread list: ..."), so the person knows what did not
    happen. Workers that run on after an error never take the screen down with them.
    """

    def on_worker_state_changed(self, message: Worker.StateChanged) -> None:
        if message.state == WorkerState.ERROR:
            what = message.worker.description.partition(": ")[2] or "finish"
            self.notify(  # type: ignore[attr-defined]
                f"Could not {what}: {message.worker.error}",
                title="Something went wrong",
                severity="error",
                markup=False,
            )


class TriageWriter:
    """Mixed into a screen (before `Screen`) that changes threads: runs writes, reports results."""

    @work(
        thread=True,
        exclusive=False,
        exit_on_error=False,
        group="triage",
        description="triage: change the threads",
    )
    def run_triage(self, action: TriageAction, write: Callable[[], BulkResult]) -> None:
        """Call `write` off the event loop; post `ThreadsChanged`, or `TriageRefused` and why.

        Writes are never cancelled by a newer one: each was asked for, and each is reported.
        """
        screen: Screen = self  # type: ignore[assignment]
        try:
            result = write()
        except (PermissionDenied, InvalidInput, NotFound) as refused:
            screen.post_message(TriageRefused(action, str(refused)))
            return
        screen.post_message(ThreadsChanged(action, result))

    def only_reads(self, action: TriageAction) -> bool:
        """Whether the person may not change threads (a supervisor).

        If so, they read why, and no picker opens.
        """
        screen: Screen = self  # type: ignore[assignment]
        refusal = screen.service.triage_refusal()  # type: ignore[attr-defined]
        if refusal is None:
            return False
        screen.notify(refusal, title=f"Could not {action.verb}", severity="warning", markup=False)
        return True

    def report_triage(self, message: ThreadsChanged | TriageRefused) -> None:
        """Say what happened: information when all went through, a warning if any was refused."""
        screen: Screen = self  # type: ignore[assignment]
        if isinstance(message, TriageRefused):
            screen.notify(
                message.reason,
                title=f"Could not {message.action.verb}",
                severity="warning",
                markup=False,
            )
            return
        screen.notify(
            summary(message.action, message.result),
            severity="warning" if message.result.refused else "information",
            markup=False,
        )
