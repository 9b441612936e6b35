"""What screens and widgets may ask of the app, so that none of them imports it.

`InboxApp` (tui/app.py) has all of this and is the only module that imports the screens;
a screen that leads to another asks the app to open it (`open_thread`, `open_review`).
Screens and widgets declare `app: HostApp`: Textual's `App` with `InboxHost`'s members.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.app import App
    from textual.signal import Signal

    from inbox import (
        AlertRow,
        BulkResult,
        Config,
        CrisisStatus,
        InboxService,
        NotificationKind,
        ThreadRow,
        WaitingCounts,
    )
    from tui.messages import EventsArrived, ThreadsChanged
    from tui.thread_snapshot import ThreadSnapshot
    from tui.triage_actions import TriageAction


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

    waiting: WaitingCounts
    """Unread notifications and (leads) approvals waiting, for the status line (a reactive)."""

    def load_waiting(self) -> None:
        """Read the person's new notifications and what waits for them again now."""
        ...

    def read_notices(
        self,
        notification_ids: list[int] | None = None,
        *,
        kinds: list[NotificationKind] | None = None,
        say: bool = False,
    ) -> None:
        """Mark the person's notifications read (these, these kinds, or all; `say` how many)."""
        ...

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

    def offer_undo(self, message: ThreadsChanged) -> bool:
        """Say what a triage change did and offer ctrl+z for a few seconds; False when it
        cannot be undone (the screen reports it as usual)."""
        ...

    def take_undo(self) -> tuple[TriageAction, Callable[[], BulkResult]] | None:
        """The latest change's undo as a triage write to run, once, while it lasts; else
        None, having said there is nothing to undo."""
        ...


if TYPE_CHECKING:

    class HostApp(App[int], InboxHost):
        """The type of `self.app` on screens and widgets: Textual's app and `InboxHost`."""
