"""The alert banner: what the listening rules raised that nobody has acknowledged yet.

Screens do not compose it: the app mounts one into each screen as it comes up, first
under the header, so every screen (the inbox, a thread, the stats, a form) shows it. It shows what
the app last read (`InboxApp.crisis`), follows `crisis_changed`, and hides once every
alert is acknowledged, by anyone in any terminal. Rule names and summaries are shown as
plain text, never as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.widget import Widget

from inbox import Clock, first_line
from tui.widgets.labels import local_time_label

if TYPE_CHECKING:
    from inbox import AlertRow
    from tui.host import CrisisState, HostApp

BANNER_ALERTS = 3
"""Alerts the banner shows at once, newest first; acknowledging takes these."""


def alert_summary(alert: AlertRow) -> str:
    """The alert's summary without the rule name it starts with, on one line, safe to show."""
    return first_line(alert.summary.removeprefix(f"{alert.rule_name}: "), 300)


class AlertBanner(Widget):
    """The open alerts, one line each, with the key that acknowledges them."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "alert-banner--label",
        "alert-banner--rule",
        "alert-banner--hint",
    }

    app: HostApp

    def __init__(self, *, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        self.alerts: tuple[AlertRow, ...] = ()
        self.waiting = 0
        """Open alerts in all, shown or not."""

    def on_mount(self) -> None:
        self.show(self.app.crisis.alerts)
        self.app.crisis_changed.subscribe(self, self._crisis_changed)

    def _crisis_changed(self, state: CrisisState) -> None:
        self.show(state.alerts)

    def show(self, alerts: Sequence[AlertRow]) -> None:
        """Show the newest `BANNER_ALERTS` of `alerts`; hide when there are none."""
        shown = tuple(alerts[:BANNER_ALERTS])
        if shown == self.alerts and len(alerts) == self.waiting and self.display == bool(shown):
            return
        self.alerts = shown
        self.waiting = len(alerts)
        self.display = bool(shown)
        self.refresh(layout=True)

    @property
    def plain_text(self) -> str:
        """What the banner says, for tests."""
        return self.render().plain

    def render(self) -> Text:
        now = self.clock()
        label = self.get_component_rich_style("alert-banner--label")
        rule = self.get_component_rich_style("alert-banner--rule")
        hint = self.get_component_rich_style("alert-banner--hint")
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        for index, alert in enumerate(self.alerts):
            if index:
                text.append("\n")
            text.append(" ALERT ", style=label)
            text.append(f" {local_time_label(alert.raised_at, now)} ")
            text.append(first_line(alert.rule_name, 60), style=rule)
            text.append(f": {alert_summary(alert)}")
        if self.alerts:
            more = self.waiting - len(self.alerts)
            noun = "it" if len(self.alerts) == 1 else f"these {len(self.alerts)}"
            words = f" A acknowledges {noun} for everyone · ! crisis screen"
            if more > 0:
                words += f" · {more} more waiting"
            text.append("\n")
            text.append(words, style=hint)
        return text
