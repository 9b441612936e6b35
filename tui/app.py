"""The Textual app: one InboxService in, screens on top, live updates and sync underneath.

The app owns what lives as long as the terminal does: the event poller that turns new
rows of the event log into one `EventsArrived` per poll (published on `inbox_changed`
for every screen that cares; on PostgreSQL woken at once by LISTEN/NOTIFY, the poll
staying as the fallback), and, when asked and no `inbox worker` is alive, the sync engine
and the sender, in this process, for the accounts whose secrets its keyring holds. Leases
keep that safe when another terminal or `inbox sync --follow` already polls them. It is
the only module that imports the screens: one screen leads to another by asking the app
(`tui.host.InboxHost`), and the app opens it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App
from textual.reactive import reactive
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState, get_current_worker

from inbox import (
    ASSIGNABLE_ROLES,
    HEARTBEAT,
    Action,
    AutoAssigner,
    Availability,
    Config,
    EventFollower,
    InboxService,
    UndoableResult,
    for_display,
    single_line,
)
from tui import bindings
from tui.commands import ScreenActions
from tui.crisis_watch import CrisisWatch
from tui.messages import EventsArrived
from tui.notice_watch import NoticeWatch
from tui.screens.help import HelpScreen
from tui.screens.inbox import InboxScreen
from tui.triage_actions import TriageAction, summary

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from textual.notifications import SeverityLevel

    from inbox import BulkResult, EventWaker, ThreadRow, Undo
    from tui.messages import ThreadsChanged
    from tui.thread_snapshot import ThreadSnapshot

EVENT_BATCH = 500
"""Events read per query while catching up."""

MAX_EVENT_BATCHES = 20
"""Batches one poll reads at most; a larger flood is finished by the next poll."""

FIRST_PAGE_WAIT_SECONDS = 10.0
"""What waits for the first page (and the garbage collector) starts after this long anyway."""

SYNC_STOP_SECONDS = 5.0
"""How long quitting waits for the sync engine to hand its leases back."""

NOTIFIED_READ_GAP = 0.2
"""The least time between two reads of the event log that notifications start: on a busy
team database every commit notifies, and twenty open UIs reading after each one load the
database more than what they would show is worth (docs/performance.md)."""

WORKER_CHECK_SECONDS = 10.0
"""How often the app looks for an `inbox worker` (its heartbeat), to hand over or take over."""

UNDO_SECONDS = 8.0
"""How long ctrl+z undoes the latest triage change, and how long the notice offering it stays."""

THREAD_SCREEN = "thread"

IN_PROCESS_GROUPS = ("sync", "outbox", "assign")
"""The worker groups of the in-process sync: polling, sending and auto-assignment."""
"""The name the one thread screen is installed under."""


def thread_numbers(thread_ids: Sequence[int]) -> str:
    """Threads by number, as the list shows them: "#12", "#12 and #15"; "" past three."""
    if len(thread_ids) > 3:
        return ""
    numbers = [f"#{thread_id}" for thread_id in thread_ids]
    return numbers[0] if len(numbers) == 1 else f"{', '.join(numbers[:-1])} and {numbers[-1]}"


def workspace_label(service: InboxService) -> str:
    """The database in a few words: the SQLite file's name, or the PostgreSQL database and host."""
    url = service.engine.url
    if url.get_backend_name() == "sqlite":
        return Path(url.database).name if url.database else "in-memory"
    return f"{url.database} on {url.host}" if url.host else str(url.database)


class InboxApp(CrisisWatch, NoticeWatch, App[int]):
    """The social inbox in the terminal; what its screens ask of it is `tui.host.InboxHost`."""

    TITLE = "Social inbox"
    CSS_PATH = [
        f"styles/{name}.tcss"
        for name in ("app", "inbox", "help", "stats", "thread", "pickers", "crisis")
    ]
    BINDINGS = (
        bindings.APP
        + bindings.CRISIS
        + bindings.TEAM
        + bindings.ACKNOWLEDGEMENTS
        + bindings.OPEN_ACCOUNTS
        + bindings.FOR_YOU
    )
    COMMANDS = App.COMMANDS | {ScreenActions}

    sync_state: reactive[str] = reactive("sync off")
    """What the in-process sync is doing, for the status line."""

    live_state: reactive[str] = reactive("live")
    """Whether live updates work, for the status line."""

    away: reactive[bool] = reactive(False, init=False)
    """Whether the person said they are away (B), shown in the title bar."""

    def __init__(
        self,
        service: InboxService,
        *,
        config: Config | None = None,
        sync: bool = False,
        poll_seconds: float = 0.25,
    ) -> None:
        super().__init__()
        self.service = service
        self.config = config if config is not None else Config()
        self.sync_enabled = sync
        self.poll_seconds = poll_seconds
        self.inbox_changed: Signal[EventsArrived] = Signal(self, "inbox-changed")
        """Published once per poll that found new events."""
        self._follower: EventFollower | None = None
        """Reads the event log for the live updates, once a screen said where to start."""
        self._waker: EventWaker | None = None
        """On PostgreSQL: says when others committed events, so they are read at once."""
        self._read_again = False
        """Events were announced while a read was running: read once more when it ends."""
        self._last_read_at = 0.0
        """When the last read that a notification started began (monotonic seconds)."""
        self._read_waiting = False
        """A notified read waits for `NOTIFIED_READ_GAP` to pass since the last one."""
        self._sync_stop = asyncio.Event()
        self.started = False
        """Whether what waits for the first page (crisis watch, sync, sender) has started."""
        self._undo_offer: tuple[TriageAction, Undo, datetime] | None = None
        """The latest triage change's undo, until when it may be taken (by the service clock)."""
        actor = service.actor
        self.sub_title = f"{actor.handle} ({actor.role}) · {workspace_label(service)}"

    def get_default_screen(self) -> Screen:
        return InboxScreen(self.service)

    # Every way text reaches the terminal beyond a widget's own rendering goes through the
    # display cleaning here, whoever asked: a notification's text and title, the window
    # title, the clipboard (written with an escape sequence of its own).

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        super().notify(
            for_display(message),
            title=single_line(title),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    def copy_to_clipboard(self, text: str) -> None:
        super().copy_to_clipboard(for_display(text))

    def validate_title(self, title: Any) -> str:
        return single_line(super().validate_title(title))

    def validate_sub_title(self, sub_title: Any) -> str:
        return single_line(super().validate_sub_title(sub_title))

    def on_mount(self) -> None:
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
            unknown = sorted(set(self.config.keymap) - bindings.binding_ids())
            if unknown:
                self.notify(
                    f"[keymap] names bindings that do not exist: {', '.join(unknown)}. "
                    "Press ? to see every binding's id.",
                    title="Config",
                    severity="warning",
                    markup=False,
                )
        self.set_interval(self.poll_seconds, self._poll_tick, name="events poll")
        self._start_waker()
        self.set_timer(FIRST_PAGE_WAIT_SECONDS, self.first_page_shown, name="first page backstop")

    # -- live updates ---------------------------------------------------------------------

    @property
    def last_event_id(self) -> int | None:
        """The newest event already read (None until a screen said where to start)."""
        return self._follower.last_id if self._follower is not None else None

    def watch_events_from(self, event_id: int) -> None:
        """Report every event after `event_id` from now on (the oldest such id wins)."""
        if self._follower is None or event_id < self._follower.last_id:
            self._follower = EventFollower(event_id)

    def _start_waker(self) -> None:
        """On PostgreSQL, read new events as soon as they are announced; the poll stays as
        the fallback (and is all there is on SQLite)."""
        loop = asyncio.get_running_loop()

        def announced() -> None:  # called on the waker's own thread
            with contextlib.suppress(RuntimeError):  # the loop closed as the app quit
                loop.call_soon_threadsafe(self._events_announced)

        self._waker = self.service.event_waker(on_notified=announced)

    def _events_announced(self) -> None:
        if self._follower is None or self._read_waiting:
            return
        if any(worker.group == "events" and worker.is_running for worker in self.workers):
            self._read_again = True  # a flood: one more read after this one, not one each
            return
        too_soon = self._last_read_at + NOTIFIED_READ_GAP - time.monotonic()
        if too_soon > 0:
            self._read_waiting = True
            self.set_timer(too_soon, self._read_after_gap, name="events after gap")
            return
        self._last_read_at = time.monotonic()
        self.poll_events(self._follower)

    def _read_after_gap(self) -> None:
        self._read_waiting = False
        self._events_announced()

    def _poll_tick(self) -> None:
        if self._follower is None:
            return
        if any(worker.group == "events" and worker.is_running for worker in self.workers):
            return
        self.poll_events(self._follower)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="events",
        description="live: read new events",
    )
    def poll_events(self, follower: EventFollower) -> None:
        """Read the events `follower` has not seen and report them as one `EventsArrived`."""
        worker = get_current_worker()
        count = 0
        thread_ids: set[int] = set()
        event_types: set[str] = set()
        for _ in range(MAX_EVENT_BATCHES):
            batch = self.service.follow_events(follower, limit=EVENT_BATCH)
            for event in batch:
                count += 1
                event_types.add(event.type)
                if event.thread_id is not None:
                    thread_ids.add(event.thread_id)
            if len(batch) < EVENT_BATCH:
                break
        if count and not worker.is_cancelled:
            self.post_message(
                EventsArrived(
                    follower.last_id,
                    count=count,
                    thread_ids=frozenset(thread_ids),
                    event_types=frozenset(event_types),
                )
            )

    def first_page_shown(self) -> None:
        """The inbox is on screen (or the backstop fired): start what waited for it, once.

        The crisis watch, sync and the outbox sender start now rather than at mount, so
        their threads do not compete with the first page's. The garbage collector runs
        again if the launcher held it; what exists by now lives as long as the app, so it
        is frozen out of every later collection (`gc.freeze`), which keeps full passes
        short during key presses.
        """
        if self.started:
            return
        self.started = True
        if not gc.isenabled():
            gc.freeze()
            gc.enable()
        self.start_crisis_watch()
        self.start_notice_watch()
        self.beat()
        self.set_interval(HEARTBEAT.total_seconds(), self.beat, name="heartbeat")
        if self.sync_enabled:
            self.sync_state = "sync starting"
            self.check_workers()
            self.set_interval(WORKER_CHECK_SECONDS, self.check_workers, name="worker check")

    @on(EventsArrived)
    def publish_events(self, message: EventsArrived) -> None:
        self.inbox_changed.publish(message)

    # -- in-process sync ------------------------------------------------------------------

    # An `inbox worker` polls and sends for a team; the app does it in-process only while no
    # worker is alive, and only for the accounts whose secret this machine's keyring holds
    # (the engine and sender skip the others). It looks again about every heartbeat: it
    # hands the work back when a worker appears and takes it over when the worker dies.

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="workers",
        description="sync: look for an inbox worker",
    )
    def check_workers(self) -> tuple[list[str], bool]:
        """The hosts of the workers alive now, and whether this machine holds any secret."""
        from inbox import CredentialStore

        hosts = sorted({record.host for record in self.service.workers() if record.alive})
        served_here = bool(self.service.accounts_served_here(CredentialStore()))
        return hosts, served_here

    def _hand_over(self, worker_hosts: list[str], served_here: bool) -> None:
        """Poll and send here, or leave it to the worker, as `check_workers` found."""
        running = self._in_process_running()
        if worker_hosts:
            if running:
                self._sync_stop.set()
            self.sync_state = f"worker on {', '.join(worker_hosts)}"
        elif not served_here:
            if running:
                self._sync_stop.set()
            self.sync_state = "no worker and no secrets here: nothing is polled"
        elif not running:
            self._sync_stop = asyncio.Event()
            self.run_sync(self._sync_stop)
            self.run_outbox(self._sync_stop)
            self.run_auto_assign(self._sync_stop)
            self.sync_state = "polling here"

    def _in_process_running(self) -> bool:
        return any(
            worker.group in IN_PROCESS_GROUPS and not worker.is_finished for worker in self.workers
        )

    @work(exclusive=True, exit_on_error=False, group="sync", description="sync: poll the accounts")
    async def run_sync(self, stop: asyncio.Event) -> None:
        """Run the sync engine until `stop`; accounts leased elsewhere, or whose secret this
        machine does not hold, are skipped."""
        from inbox import CredentialStore, build_sync_engine, http_client

        engine = build_sync_engine(
            self.service.engine, CredentialStore(), clock=self.service.clock, config=self.config
        )
        async with http_client(self.config.sync) as client:
            await engine.run_forever(client, stop)

    @work(exclusive=True, exit_on_error=False, group="outbox", description="outbox: send replies")
    async def run_outbox(self, stop: asyncio.Event) -> None:
        """Send queued replies until `stop`; rows claimed by another sender, or of accounts
        whose secret this machine does not hold, are skipped."""
        from inbox import CredentialStore, build_sender, http_client

        sender = build_sender(
            self.service.engine, CredentialStore(), clock=self.service.clock, config=self.config
        )
        async with http_client(self.config.sync) as client:
            await sender.run_forever(client, stop)

    @on(Worker.StateChanged)
    def follow_background_work(self, message: Worker.StateChanged) -> None:
        group, state = message.worker.group, message.state
        if group == "workers" and state == WorkerState.SUCCESS:
            self._hand_over(*message.worker.result)
        elif group == "presence" and state == WorkerState.SUCCESS:
            self.away = message.worker.result
        elif group == "presence" and state == WorkerState.ERROR:
            what = message.worker.description.partition(": ")[2]
            self.notify(f"Could not {what}: {message.worker.error}", severity="error", markup=False)
        elif group == "sync":
            if state == WorkerState.ERROR:
                self.sync_state = f"sync stopped: {message.worker.error}"
        elif group == "outbox" and state == WorkerState.ERROR:
            self.notify(
                f"Replies are no longer sent from here: {message.worker.error}. "
                "`inbox worker` sends them from a machine that holds the accounts' secrets.",
                title="Outbox stopped",
                severity="error",
                markup=False,
            )
        elif group == "events":
            if state == WorkerState.ERROR:
                self.live_state = f"live updates paused: {message.worker.error}"
            elif state == WorkerState.SUCCESS:
                self.live_state = "live"
            if self._read_again and state in (WorkerState.SUCCESS, WorkerState.ERROR):
                self._read_again = False
                self._poll_tick()

    # -- actions --------------------------------------------------------------------------

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(bindings.GROUPS, self.config.keymap, over=self.screen))

    def action_stats(self) -> None:
        from tui.screens.stats import StatsScreen

        if isinstance(self.screen, StatsScreen):
            return
        if not self.service.can(Action.SEE_TEAM_STATS):
            self.notify(
                "The stats screen is for leads and supervisors; "
                "`inbox stats` shows your own numbers.",
                markup=False,
            )
            return
        self.push_screen(StatsScreen(self.service))

    def action_team_sla(self) -> None:
        from tui.screens.team_sla import SlaForm

        if not isinstance(self.screen, SlaForm):
            self.push_screen(SlaForm(self.service))

    def action_acknowledgement_rules(self) -> None:
        from tui.dialogs.acknowledgement_rules import AcknowledgementRulesForm

        if not isinstance(self.screen, AcknowledgementRulesForm):
            self.push_screen(AcknowledgementRulesForm(self.service))

    def action_team_listening(self) -> None:
        from tui.screens.listening import ListeningScreen

        if not isinstance(self.screen, ListeningScreen):
            self.push_screen(ListeningScreen(self.service))

    def action_crisis(self) -> None:
        from tui.screens.crisis import CrisisScreen

        if not isinstance(self.screen, CrisisScreen):
            self.push_screen(CrisisScreen(self.service))

    def action_review(self) -> None:
        status = self.crisis.status
        self.open_review(status.incident.id if status else None)

    def action_posts(self) -> None:
        from tui.screens.posts import PostsScreen

        if not isinstance(self.screen, PostsScreen):
            self.push_screen(PostsScreen(self.service))

    def action_accounts(self) -> None:
        from tui.screens.accounts import AccountsScreen

        if self.service.can(Action.MANAGE_ACCOUNTS) and not isinstance(self.screen, AccountsScreen):
            self.push_screen(AccountsScreen(self.service))

    def action_approvals(self) -> None:
        from tui.screens.approvals import ApprovalsScreen

        if isinstance(self.screen, ApprovalsScreen):
            return
        if not self.service.can(Action.APPROVE):
            self.notify(
                "Approvals are for leads and admins; your own replies waiting for one are in "
                "their thread, and failed sends in the outbox (O).",
                markup=False,
            )
            return
        self.push_screen(ApprovalsScreen(self.service))

    def action_outbox(self) -> None:
        from tui.screens.outbox import OutboxScreen

        if not isinstance(self.screen, OutboxScreen):
            self.push_screen(OutboxScreen(self.service))

    def action_for_me(self) -> None:
        from tui.screens.for_me import ForMeScreen

        if not isinstance(self.screen, ForMeScreen):
            self.push_screen(ForMeScreen(self.service))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer the accounts screen to admins only, the load screen to those who see the
        team's numbers, and away to people who hold threads (the key and the palette alike)."""
        if action == "team_load":
            return self.service.can(Action.SEE_TEAM_STATS)
        if action == "toggle_away":
            return self.service.actor.role in ASSIGNABLE_ROLES
        return action != "accounts" or self.service.can(Action.MANAGE_ACCOUNTS)

    # -- presence and auto-assignment -----------------------------------------------------

    # The app tells every `HEARTBEAT` that its person is here (online, for auto-assignment);
    # B says they are away or back. While it polls in-process it also runs the auto-assignment
    # passes, so they run in exactly the process that sends.

    def watch_away(self, away: bool) -> None:
        actor = self.service.actor
        here = " · away (B: back)" if away else ""
        self.sub_title = f"{actor.handle} ({actor.role}){here} · {workspace_label(self.service)}"

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="presence",
        description="team: tell that you are here",
    )
    def beat(self) -> bool:
        """Write the heartbeat; whether the person said they are away."""
        self.service.heartbeat()
        mine = self.service.my_load()
        return mine is not None and mine.availability == Availability.AWAY

    def action_toggle_away(self) -> None:
        self.toggle_away(not self.away)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="presence",
        description="team: say you are away or back",
    )
    def toggle_away(self, away: bool) -> bool:
        """Say the person is away (or back); whether they are away now."""
        self.service.set_away(away)
        self.call_from_thread(
            self.notify,
            "You are away: no threads are handed to you; B says you are back."
            if away
            else "You are back: waiting threads may be handed to you again.",
            markup=False,
        )
        return away

    @work(
        exclusive=True,
        exit_on_error=False,
        group="assign",
        description="assign: hand waiting threads to people",
    )
    async def run_auto_assign(self, stop: asyncio.Event) -> None:
        """Run the auto-assignment passes until `stop`, as the worker does when one runs."""
        await AutoAssigner(self.service.engine, clock=self.service.clock).run_forever(stop)

    def action_team_load(self) -> None:
        from tui.screens.team_load import TeamLoadScreen

        if not isinstance(self.screen, TeamLoadScreen):
            self.push_screen(TeamLoadScreen(self.service))

    # -- undo -----------------------------------------------------------------------------

    # A triage change that can be undone (close, snooze, priority, tag, assign) is offered
    # for `UNDO_SECONDS` by the service's clock: the list and the thread screen alike take
    # the latest offer back with ctrl+z, once.

    def offer_undo(self, message: ThreadsChanged) -> bool:
        """Keep what undoes this change and say so ("Closed the thread. Undo #12 with ctrl+z.").

        False when the change cannot be undone (nothing changed, or not that kind of change):
        the screen then reports it as it always does.
        """
        result = message.result
        if not isinstance(result, UndoableResult) or result.undo is None:
            return False
        expires_at = self.service.clock() + timedelta(seconds=UNDO_SECONDS)
        self._undo_offer = (message.action, result.undo, expires_at)
        which = " ".join(filter(None, ["Undo", thread_numbers(result.changed)]))
        self.notify(
            f"{summary(message.action, result)} {which} with {self._undo_key}.",
            severity="warning" if result.refused else "information",
            timeout=UNDO_SECONDS,
            markup=False,
        )
        return True

    @property
    def _undo_key(self) -> str:
        """The key that undoes, as the keymap has it."""
        return self.config.keymap.get("undo", "ctrl+z").split(",")[0].strip()

    def take_undo(self) -> tuple[TriageAction, Callable[[], BulkResult]] | None:
        """The latest change's undo, as a triage write for the screen to run; once, and only
        while its seconds last. Otherwise says there is nothing to undo."""
        offer, self._undo_offer = self._undo_offer, None
        if offer is None or self.service.clock() > offer[2]:
            self.notify(
                f"Nothing to undo: {self._undo_key} undoes a close, snooze, priority, tag or "
                f"assignment for {UNDO_SECONDS:.0f} seconds after it.",
                markup=False,
            )
            return None
        done, undo, _ = offer
        undoing = TriageAction("undo", "Undid the change to {threads}", "Not undone", done.asked)
        return undoing, partial(self.service.undo, undo)

    # -- where screens lead ---------------------------------------------------------------

    def open_thread(
        self, row: ThreadRow, snapshot: ThreadSnapshot | None, drafts: dict[int, str]
    ) -> None:
        """Show the thread screen on `row`, with the thread as read ahead when `snapshot` is it.

        The screen is built once and kept, so opening another thread is quick.
        """
        from tui.screens.thread import ThreadScreen

        if self.is_screen_installed(THREAD_SCREEN):
            screen = self.get_screen(THREAD_SCREEN, ThreadScreen)
            screen.open_thread(row, snapshot)
        else:
            screen = ThreadScreen(self.service, row, drafts, snapshot)
            self.install_screen(screen, THREAD_SCREEN)
        self.push_screen(screen)

    def open_review(self, incident_id: int | None) -> None:
        """Show the review of `incident_id` (None: the latest), unless a review is in front."""
        from tui.screens.review import ReviewScreen

        if not isinstance(self.screen, ReviewScreen):
            self.push_screen(ReviewScreen(self.service, incident_id))

    def open_thread_by_id(self, thread_id: int) -> None:
        """Open a thread another screen listed (a breach on the stats screen), from the inbox:
        the thread screen shows it, and back in the inbox the cursor is on it."""
        if isinstance(self.screen, InboxScreen):
            self.screen.open_thread_by_id(thread_id)

    async def action_quit(self) -> None:
        await self.stop_sync()
        self.exit(0)

    async def stop_sync(self) -> None:
        """Ask the sync engine and the sender to stop and give them a moment to hand work back."""
        self._sync_stop.set()
        running = [
            worker
            for worker in self.workers
            if worker.group in IN_PROCESS_GROUPS and worker.is_running
        ]
        for worker in running:
            try:
                await asyncio.wait_for(worker.wait(), SYNC_STOP_SECONDS)
            except Exception:  # noqa: BLE001 - quitting goes on whatever the sync did
                worker.cancel()

    def on_unmount(self) -> None:
        self._sync_stop.set()
        if self._waker is not None:
            self._waker.close(join_seconds=0)  # its thread closes the connection itself


def run_app(service: InboxService, *, config: Config, sync: bool) -> int:
    """Run the inbox on `service` until the person quits; returns the exit status."""
    app = InboxApp(service, config=config, sync=sync)
    app.run()
    return app.return_code or 0
