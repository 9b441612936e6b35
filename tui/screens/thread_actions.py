"""Triage writes from any screen: run one in a worker, report what changed in plain words.

The thread screen acts on one thread and the inbox screen on the marked ones; both say
what to do as a `TriageAction` (how the result reads) and a call into the service, and
mix `TriageWriter` into the screen:

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

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from textual import work

from inbox import InvalidInput, NotFound, PermissionDenied, describe, first_line
from tui.messages import ThreadsChanged, TriageRefused

if TYPE_CHECKING:
    from textual.screen import Screen

    from inbox import BulkResult


@dataclass(frozen=True, slots=True)
class TriageAction:
    """A triage write as people read about it.

    `done` is past tense with `{threads}` where the threads go ("Closed {threads}"),
    `not_done` opens the sentence when nothing changed ("Not closed"), and `asked` is how
    many threads the write was for (one reads as "the thread").
    """

    verb: str
    done: str
    not_done: str
    asked: int = 1


def closing(asked: int = 1) -> TriageAction:
    return TriageAction("close", "Closed {threads}", "Not closed", asked)


def reopening(asked: int = 1) -> TriageAction:
    return TriageAction("reopen", "Reopened {threads}", "Not reopened", asked)


def assigning(handle: str | None, asked: int = 1) -> TriageAction:
    """Assigning to `handle`, or unassigning when it is None."""
    if handle is None:
        return TriageAction("unassign", "Unassigned {threads}", "Not unassigned", asked)
    return TriageAction("assign", f"Assigned {{threads}} to {first_line(handle, 40)}", "Not assigned", asked)


def taking(asked: int = 1) -> TriageAction:
    return TriageAction("take", "Assigned {threads} to you", "Not taken", asked)


def tagging(add: Sequence[str], remove: Sequence[str], asked: int = 1) -> TriageAction:
    changes = " ".join([*(f"+{tag}" for tag in add), *(f"-{tag}" for tag in remove)])
    return TriageAction("change the tags", f"Tags on {{threads}}: {first_line(changes, 80)}", "Tags not changed", asked)


def snoozing(until: datetime, tz: tzinfo | None = None, asked: int = 1) -> TriageAction:
    return TriageAction("snooze", f"Snoozed {{threads}} until {describe(until, tz)}", "Not snoozed", asked)


def prioritising(priority: str, asked: int = 1) -> TriageAction:
    return TriageAction("set the priority", f"Set {{threads}} to {priority} priority", "Priority not changed", asked)


def summary(action: TriageAction, result: BulkResult) -> str:
    """One sentence on what a write changed and, for each reason, how many it refused.

    "Closed the thread." · "Closed 3 threads; 1 refused: assigned to blake; agents change
    their own and unassigned threads." · "Not closed: assigned to blake; ...".
    """
    refused = _reasons(result.refused.values())
    if not result.changed:
        if not refused:
            return f"{action.not_done}: nothing to change."
        if action.asked == 1:
            return f"{action.not_done}: {refused}."
        return f"{action.not_done}: {len(result.refused)} refused: {refused}."
    if action.asked == 1 and len(result.changed) == 1:
        threads = "the thread"
    else:
        threads = f"{len(result.changed)} thread{'s' if len(result.changed) != 1 else ''}"
    text = action.done.format(threads=threads)
    if refused:
        text += f"; {len(result.refused)} refused: {refused}"
    return text + "."


def _reasons(reasons: Iterable[str]) -> str:
    """Each distinct reason once, with how many threads it stopped when more than one."""
    counted = Counter(first_line(reason, 200) for reason in reasons)
    return " · ".join(
        reason if count == 1 else f"{reason} ({count} threads)" for reason, count in counted.items()
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
        """Call `write` off the event loop; post `ThreadsChanged`, or `TriageRefused` with the reason.

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
        """Whether the person may not change threads (a supervisor): then they read why, and no picker opens."""
        screen: Screen = self  # type: ignore[assignment]
        refusal = screen.service.triage_refusal()  # type: ignore[attr-defined]
        if refusal is None:
            return False
        screen.notify(refusal, title=f"Could not {action.verb}", severity="warning", markup=False)
        return True

    def report_triage(self, message: ThreadsChanged | TriageRefused) -> None:
        """Say what happened: information when all went through, a warning when anything was refused."""
        screen: Screen = self  # type: ignore[assignment]
        if isinstance(message, TriageRefused):
            screen.notify(message.reason, title=f"Could not {message.action.verb}", severity="warning", markup=False)
            return
        screen.notify(
            summary(message.action, message.result),
            severity="warning" if message.result.refused else "information",
            markup=False,
        )
