"""Triage writes as people read about them: what each is called, and one sentence on its result.

A screen says what a write is as a `TriageAction` ("close", "Closed {threads}", ...) and
`summary` puts its result in words: "Closed 3 threads; 1 refused: assigned to blake; ...".
`tui.screen_mixins.TriageWriter` runs the write and reports it with these.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from inbox import describe, first_line

if TYPE_CHECKING:
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
    return TriageAction(
        "assign", f"Assigned {{threads}} to {first_line(handle, 40)}", "Not assigned", asked
    )


def taking(asked: int = 1) -> TriageAction:
    return TriageAction("take", "Assigned {threads} to you", "Not taken", asked)


def tagging(add: Sequence[str], remove: Sequence[str], asked: int = 1) -> TriageAction:
    changes = " ".join([*(f"+{tag}" for tag in add), *(f"-{tag}" for tag in remove)])
    return TriageAction(
        "change the tags",
        f"Tags on {{threads}}: {first_line(changes, 80)}",
        "Tags not changed",
        asked,
    )


def snoozing(until: datetime, tz: tzinfo | None = None, asked: int = 1) -> TriageAction:
    return TriageAction(
        "snooze", f"Snoozed {{threads}} until {describe(until, tz)}", "Not snoozed", asked
    )


def prioritising(priority: str, asked: int = 1) -> TriageAction:
    return TriageAction(
        "set the priority", f"Set {{threads}} to {priority} priority", "Priority not changed", asked
    )


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
    # Only the first `{threads}`, before any tag or name: those may hold braces of their own.
    text = action.done.replace("{threads}", threads, 1)
    if refused:
        text += f"; {len(result.refused)} refused: {refused}"
    return text + "."


def _reasons(reasons: Iterable[str]) -> str:
    """Each distinct reason once, with how many threads it stopped when more than one."""
    counted = Counter(first_line(reason, 200) for reason in reasons)
    return " · ".join(
        reason if count == 1 else f"{reason} ({count} threads)" for reason, count in counted.items()
    )
