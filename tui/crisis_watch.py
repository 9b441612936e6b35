"""The app's watch over a crisis: open alerts and the active incident, read by one worker
and shown on every screen.

`CrisisWatch` is mixed into `InboxApp`. Its worker reads the alerts nobody acknowledged
and the active incident with its counts, at start-up and whenever the event log says an
alert, incident or scheduled post changed (thread changes, which move the counts, at
most every `CLOCK_SECONDS`). The result is kept in `crisis` and published on
`crisis_changed`; the crisis bar and the alert banner follow it and read nothing
themselves. The app mounts an alert banner into each screen as it comes up, so screens
need not know about it. A new alert rings the terminal bell, and so does a public update
falling due. The key that acknowledges alerts from any screen is here too; the app opens
the crisis, review and posts screens (`tui.bindings.CRISIS`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual import work
from textual.signal import Signal
from textual.worker import get_current_worker

from inbox import InvalidInput, NotFound, PermissionDenied
from tui.host import CrisisState
from tui.messages import AlertsAcknowledged, CrisisActionRefused, CrisisLoaded, EventsArrived
from tui.widgets.alert_banner import BANNER_ALERTS, AlertBanner

if TYPE_CHECKING:
    from textual.screen import Screen

    from tui.host import HostApp

CLOCK_SECONDS = 10.0
"""How often the crisis clocks are redrawn and a due public update is looked for."""

ALERTS_READ = 50
"""Open alerts read at most; the banner shows the newest few and counts the rest."""

CRISIS_EVENTS = ("alert.", "incident.", "posts.", "post.")
"""Event types after which the crisis state is read again at once."""


class CrisisWatch:
    """The crisis state of the app, its worker, its bell and the acknowledge key; for `InboxApp`."""

    crisis: CrisisState = CrisisState()
    """The state as last read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.crisis_changed: Signal[CrisisState] = Signal(self, "crisis-changed")  # type: ignore[arg-type]
        """Published with the state after every reading and on every clock tick."""
        self._seen_alert_ids: set[int] | None = None
        self._reminded_for: tuple[int, datetime] | None = None
        self._crisis_stale = False

    def start_crisis_watch(self: HostApp) -> None:
        """Read the state now, then follow the event log and the clock."""
        self.inbox_changed.subscribe(self, self._crisis_events_arrived)
        self.screen_change_signal.subscribe(self, self._screen_shown)
        self.set_interval(CLOCK_SECONDS, self.tick_crisis_clock, name="crisis clock")
        self.load_crisis()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="crisis",
        description="crisis: read the alerts and the incident",
    )
    def load_crisis(self: HostApp) -> None:
        worker = get_current_worker()
        status = self.service.crisis_status()
        alerts = self.service.alerts(unacknowledged=True, limit=ALERTS_READ)
        if not worker.is_cancelled:
            self.post_message(CrisisLoaded(status, alerts))

    def on_crisis_loaded(self: HostApp, message: CrisisLoaded) -> None:
        alerts = tuple(message.alerts)
        seen = self._seen_alert_ids
        new_alerts = [alert for alert in alerts if seen is not None and alert.id not in seen]
        self._seen_alert_ids = (seen or set()) | {alert.id for alert in alerts}
        self.crisis = CrisisState(message.status, alerts)
        if alerts:
            self._show_alert_banner(self.screen)
        self.crisis_changed.publish(self.crisis)
        if new_alerts:
            self.bell()
        self._remind_if_update_due()

    def _crisis_events_arrived(self: HostApp, message: EventsArrived) -> None:
        if any(kind.startswith(CRISIS_EVENTS) for kind in message.event_types):
            self.load_crisis()
        elif message.thread_ids and self.crisis.status is not None:
            self._crisis_stale = True

    def tick_crisis_clock(self: HostApp) -> None:
        """Move the crisis clocks on: read again if threads changed, then redraw.

        Also reminds when a public update is due.
        """
        if self._crisis_stale:
            self._crisis_stale = False
            self.load_crisis()
        if self.crisis.status is not None:
            self.crisis_changed.publish(self.crisis)
            self._remind_if_update_due()

    def _remind_if_update_due(self: HostApp) -> None:
        """Ring and say so once when the active incident's next public update falls due."""
        status = self.crisis.status
        if status is None:
            return
        due = status.incident.next_update_due
        if (
            due is None
            or self.service.clock() < due
            or self._reminded_for == (status.incident.id, due)
        ):
            return
        self._reminded_for = (status.incident.id, due)
        self.bell()
        self.notify(
            f"A public update on {status.incident.title} is due; ! opens the crisis screen.",
            title="Public update due",
            severity="warning",
            timeout=30,
            markup=False,
        )

    # -- the banner on every screen -----------------------------------------------------

    def _screen_shown(self: HostApp, screen: Screen) -> None:
        screen.call_later(self._show_alert_banner, screen)

    def _show_alert_banner(self: HostApp, screen: Screen) -> None:
        """Give `screen` an alert banner if there are open alerts and it has none yet.

        It goes first, under the header: a modal form docks it at the top instead.
        """
        if not self.crisis.alerts or not screen.is_attached or screen.query(AlertBanner):
            return
        screen.mount(AlertBanner(clock=self.service.clock), before=0 if screen.children else None)

    def on_alerts_acknowledged(self: HostApp, message: AlertsAcknowledged) -> None:
        count = len(message.alert_ids)
        self.notify(
            f"Acknowledged {count} alert{'s' if count != 1 else ''} for everyone.", markup=False
        )
        self.load_crisis()

    def on_crisis_action_refused(self: HostApp, message: CrisisActionRefused) -> None:
        self.notify(message.reason, severity="warning", markup=False)

    # -- keys that work everywhere ------------------------------------------------------

    def action_acknowledge_alerts(self: HostApp) -> None:
        shown = [alert.id for alert in self.crisis.alerts[:BANNER_ALERTS]]
        if not shown:
            self.notify("No alert is waiting to be acknowledged.", markup=False)
            return
        self.acknowledge_alerts(shown)

    @work(
        thread=True,
        exit_on_error=False,
        group="crisis-acknowledge",
        description="crisis: acknowledge the alerts",
    )
    def acknowledge_alerts(self: HostApp, alert_ids: list[int]) -> None:
        try:
            for alert_id in alert_ids:
                self.service.acknowledge_alert(alert_id)
        except (PermissionDenied, NotFound, InvalidInput) as error:
            self.post_message(CrisisActionRefused(str(error)))
            return
        self.post_message(AlertsAcknowledged(alert_ids))
