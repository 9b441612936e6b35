"""The crisis bar: one line on the inbox and thread screens while an incident is active.

It shows what the app last read (`InboxApp.crisis`) and is redrawn each time the app
publishes `crisis_changed`: after events that touch the incident, and on the app's clock
tick, so the time since the start and the time to the next public update move on their
own. It reads nothing itself; hidden while no incident is active.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.widget import Widget

from inbox import Clock, first_line

if TYPE_CHECKING:
    from inbox import CrisisStatus
    from tui.host import CrisisState, HostApp


def span_text(seconds: float, *, short: bool = False) -> str:
    """A span of time as people say it, in whole minutes: `42 min`, `1 h 05 min`, `2 d 3 h`
    (`42m`, `1h05m`, `2d3h` when `short`); a few seconds are `<1 min`, never `0 min` late."""
    if 0 < seconds < 60:
        return "<1m" if short else "<1 min"
    minutes = max(int(seconds // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if short:
        if days:
            return f"{days}d{hours}h"
        return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


BAR_LEVELS = 5
"""How many ways the bar can say the same, from the fullest (0) to the tersest."""


def bar_segments(status: CrisisStatus, now: datetime, *, level: int = 0) -> list[tuple[str, str]]:
    """The bar as (text, component class) segments, saying less at each higher `level`."""
    incident = status.incident
    terse = level >= 3
    segments = [(f" SEV {incident.severity} ", "crisis-bar--severity")]
    segments.append((" " + first_line(incident.title, 80), "crisis-bar--title"))
    since = (now - incident.started_at).total_seconds()
    if level <= 1:
        segments.append((f"{span_text(since)} since start", ""))
    elif level <= 3:
        segments.append((f"for {span_text(since, short=terse)}", ""))
    due = incident.next_update_due
    if due is not None:
        left = (due - now).total_seconds()
        if left < 0:
            late = span_text(-left, short=terse)
            words = f" UPDATE OVERDUE {late} " if terse else f" PUBLIC UPDATE OVERDUE by {late} "
            segments.append((words, "crisis-bar--overdue"))
        else:
            words = "next update in" if level <= 1 else "update in"
            segments.append((f"{words} {span_text(left, short=terse)}", ""))
    answered = status.answered_threads
    statements = status.statements_sent
    if terse:
        segments.append((f"{incident.open_threads} open/{answered} answered", ""))
        segments.append((f"{statements} sent", ""))
        return segments
    threads = "threads " if level <= 1 else ""
    segments.append((f"{threads}{incident.open_threads} open / {answered} answered", ""))
    segments.append((f"{statements} statement{'s' if statements != 1 else ''} sent", ""))
    if status.other_active and level <= 1:
        segments.append((f"+{status.other_active} more active", ""))
    if level == 0:
        segments.append(("! crisis screen", "crisis-bar--hint"))
    return segments


class CrisisBar(Widget):
    """Severity, title, time since the start, time to the next public update, and counts."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "crisis-bar--severity",
        "crisis-bar--title",
        "crisis-bar--overdue",
        "crisis-bar--hint",
    }

    app: HostApp

    def __init__(self, *, clock: Clock, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.status: CrisisStatus | None = None

    def on_mount(self) -> None:
        self.show(self.app.crisis.status)
        self.app.crisis_changed.subscribe(self, self._crisis_changed)

    def _crisis_changed(self, state: CrisisState) -> None:
        self.show(state.status)

    def show(self, status: CrisisStatus | None) -> None:
        """Show `status`, or hide the bar when no incident is active."""
        self.status = status
        self.set_class(status is not None, "-shown")
        if status is not None:
            self.set_class(status.incident.severity == 1, "-severity-1")
            due = status.incident.next_update_due
            self.set_class(due is not None and due < self.clock(), "-overdue")
        self.refresh()

    @property
    def plain_text(self) -> str:
        """What the bar says, for tests."""
        return self.render().plain

    def render(self) -> Text:
        if self.status is None:
            return Text()
        now = self.clock()
        width = self.size.width or 120
        for level in range(BAR_LEVELS):
            text = self._text(bar_segments(self.status, now, level=level))
            if text.cell_len <= width:
                return text
        text.truncate(width, overflow="ellipsis")
        return text

    def _text(self, segments: list[tuple[str, str]]) -> Text:
        text = Text(no_wrap=True, end="")
        for index, (words, component) in enumerate(segments):
            if index > 1:
                text.append(" · ")
            text.append(words, style=self.get_component_rich_style(component) if component else "")
        return text
