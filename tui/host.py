"""What screens and widgets may ask of the app, so that none of them imports it.

`InboxApp` (tui/app.py) has all of this and is the only module that imports the screens;
a screen that leads to another asks the app to open it (`open_thread`, `open_review`).
Screens and widgets declare `app: HostApp`: Textual's `App` with `InboxHost`'s members.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from textual.app import App
    from textual.signal import Signal

    from inbox import AlertRow, Config, CrisisStatus, InboxService, ThreadRow
    from tui.messages import EventsArrived
    from tui.thread_snapshot import ThreadSnapshot


@dataclass(frozen=True, slots=True)
class CrisisState:
    """What every screen shows of a crisis: the active incident (None when calm) and open alerts."""

    status: CrisisStatus | None = None
    alerts: tuple[AlertRow, ...] = ()


class InboxHost(Protocol):
    """The app as its screens and widgets use it, beyond what every Textual app offers."""

    service: InboxService
    config: Config
    inbox_changed: Signal[EventsArrived]
    """Published once per poll that found new events."""
    sync_state: str
    """What the in-process sync is doing, for the status line (a reactive to watch)."""
    live_state: str
    """Whether live updates work, for the status line (a reactive to watch)."""
    crisis: CrisisState
    """The crisis state as last read."""
    crisis_changed: Signal[CrisisState]
    """Published with the crisis state after every reading and on every clock tick."""

    def watch_events_from(self, event_id: int) -> None:
        """Report every event after `event_id` from now on (the oldest such id wins)."""
        ...

    def first_page_shown(self) -> None:
        """The inbox is on screen: start what waited for it, once."""
        ...

    def load_crisis(self) -> None:
        """Read the crisis state again now."""
        ...

    def open_thread_by_id(self, thread_id: int) -> None:
        """Open a thread by its id from the inbox, its cursor on it."""
        ...

    def open_thread(
        self, row: ThreadRow, snapshot: ThreadSnapshot | None, drafts: dict[int, str]
    ) -> None:
        """Show the thread screen on `row`, with the thread as read ahead when `snapshot` is it.

        `drafts` keeps unsent replies by thread id while the thread screen lives.
        """
        ...

    def open_review(self, incident_id: int | None) -> None:
        """Show the review of `incident_id` (None: the latest incident)."""
        ...


if TYPE_CHECKING:

    class HostApp(App[int], InboxHost):
        """The type of `self.app` on screens and widgets: Textual's app and `InboxHost`."""
