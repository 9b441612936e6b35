"""The inbox screen: the thread list over the preview pane, a search bar and a status line.

Every service call runs in a worker on a thread; its result comes back as a message from
`tui.messages`, and the `@on` handlers below are the only code that changes widgets.
Live updates arrive from the app's event poller as `EventsArrived`, one per poll however
many events there were; each refreshes the loaded part of the list once, keeping the
cursor on the thread it was on. The threads near or past their SLA, and how many threads
the view holds (one indexed COUNT), are read again after every poll that touched threads
and once a minute, since time alone brings due times closer and wakes snoozed threads.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.command import SimpleCommand
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header, Input, Static
from textual.worker import get_current_worker

from inbox import (
    DUE_SOON_LIMIT,
    Action,
    DueThread,
    InboxService,
    NotFound,
    PresenceRow,
    Sort,
    ThreadFilter,
    ThreadRow,
    View,
    WaitingCounts,
    counted,
)
from tui import bindings
from tui.dialogs.moderation import Moderating
from tui.messages import (
    AccountsLoaded,
    DueSoonLoaded,
    EventsArrived,
    ThreadGone,
    ThreadItemsLoaded,
    ThreadRead,
    ThreadsChanged,
    ThreadsCounted,
    ThreadsLoaded,
    TriageRefused,
)
from tui.screen_mixins import TriageWriter, WorkerFailures
from tui.thread_snapshot import ThreadSnapshot, read_thread
from tui.triage_actions import (
    assigning,
    closing,
    prioritising,
    reopening,
    snoozing,
    tagging,
    taking,
)
from tui.widgets import labels
from tui.widgets.crisis_bar import CrisisBar
from tui.widgets.key_bar import KeyBar
from tui.widgets.status_line import StatusLine, due_notice
from tui.widgets.thread_list import ThreadList
from tui.widgets.thread_preview import ThreadPreview
from tui.widgets.view_bar import ViewBar

if TYPE_CHECKING:
    from tui.dialogs.pickers import AssignChoice, TagChange
    from tui.host import HostApp

PAGE_SIZE = 100
"""Threads per keyset page."""

PREVIEW_ITEMS = 50
"""Messages the preview shows at most: the latest ones."""

SEARCH_MATCHES = 200
"""Messages a search reads at most; their threads are listed."""

REFRESH_EXTRA_PAGES = 5
"""Extra pages a live refresh reads, at most, to find the selected thread again."""

AGE_TICK_SECONDS = 30
"""How often ages ("12m") are redrawn."""

DUE_SOON_MINUTES = 15
"""How long before its SLA target a thread starts to show as due soon."""

DUE_CHECK_SECONDS = 60
"""How often the threads due soon are read again when no event says anything changed."""

DUE_NOTICES = 3
"""Threads named one notification each when they come due at once; more share one."""


VIEW_LABELS = {
    View.MINE: "Mine",
    View.UNASSIGNED: "Unassigned",
    View.OPEN: "All open",
    View.MENTIONS: "Mentions",
    View.DMS: "DMs",
    View.COMMENTS: "Comments",
    View.BREACHING: "Breaching",
    View.INCIDENT: "Incident",
    View.CLOSED: "Closed",
    View.SNOOZED: "Snoozed",
    View.SPAM: "Spam",
}
"""What each view is called on screen."""

SORT_LABELS = {
    Sort.NEWEST: "newest first",
    Sort.WAITING: "longest waiting first",
    Sort.DUE: "SLA due first",
    Sort.WINDOW: "reply window closing first",
}
"""How each sort order is described on screen."""

EMPTY_VIEW_TEXTS = {
    View.MINE: "Nothing assigned to you is open. 2 shows unassigned threads to take.",
    View.UNASSIGNED: "Every open thread has someone on it.",
    View.OPEN: "No open threads. New messages appear here as they arrive.",
    View.MENTIONS: "No open mentions, and no colleague's note mentions you.",
    View.DMS: "No open direct messages.",
    View.COMMENTS: "No open comments.",
    View.BREACHING: "Nothing is past its SLA.",
    View.INCIDENT: "No open threads belong to an active incident.",
    View.CLOSED: "No closed threads.",
    View.SNOOZED: "Nothing is snoozed.",
    View.SPAM: "Nothing is marked spam. x marks a thread; X blocks its author.",
}


def fetch_threads(
    service: InboxService, query: ThreadFilter, *, after: ThreadRow | None, limit: int
) -> tuple[list[ThreadRow], bool]:
    """The rows of `query` after `after` (from the top when None), and whether that is all."""
    rows = service.list_threads(query, after=after, limit=limit)
    return rows, len(rows) < limit


def filter_details(query: ThreadFilter, account_handles: dict[int, str]) -> list[str]:
    """The sort order and every filter in force, as short phrases for the view bar."""
    details = [] if query.sort == Sort.NEWEST else [f"sorted {SORT_LABELS[query.sort]}"]
    if query.search_text:
        details.append(f"search: {query.search_text}")
    if query.platforms:
        details.append(
            "platform: "
            + ", ".join(labels.platform_label(name) for name in sorted(query.platforms))
        )
    if query.account_id is not None:
        details.append(f"account: {account_handles.get(query.account_id, query.account_id)}")
    if query.tag:
        details.append(f"tag: {query.tag}")
    if query.assignee:
        details.append(f"assignee: {query.assignee}")
    if query.priority:
        details.append(f"priority: {query.priority}")
    return details


class InboxScreen(WorkerFailures, Moderating, TriageWriter, Screen[None]):
    """Triage: the threads, newest first, and the selected one's conversation."""

    BINDINGS = [*bindings.INBOX, *bindings.INBOX_VIEWS]

    app: HostApp

    def __init__(self, service: InboxService) -> None:
        super().__init__()
        self.service = service
        self.query_shown = ThreadFilter()
        """The view, filters, sort and search whose rows the list holds (or is loading)."""
        self.account_handles: dict[int, str] = {}
        """Account handles by id, for the view bar's filter phrases."""
        self.due_threads: list[DueThread] = []
        """The threads overdue or due soon, most urgent first, as last read."""
        self._warned_thread_ids: set[int] | None = None
        """Threads in the warning window already announced (None until the first reading)."""
        self.reply_drafts: dict[int, str] = {}
        """Replies begun on the thread screen and not sent, by thread id."""
        self.presence: dict[int, tuple[PresenceRow, ...]] = {}
        """Who else has the loaded threads open, by thread id."""
        self._wanted_thread_id: int | None = None
        """A thread asked for (from the stats screen, say) the list is still reading down to."""
        self.status_read = False
        """Whether the status line's reads (accounts, due soon) began: after the first page."""
        self.read_ahead_snapshot: ThreadSnapshot | None = None
        """The previewed thread as its screen shows it, read ahead: enter opens with it."""
        self.thread_to_open: int | None = None
        """A thread asked for from another screen, opened as soon as it is read."""
        self.thread_count: tuple[ThreadFilter, int] | None = None
        """How many threads a view holds, with the view it was counted for, as last counted."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield CrisisBar(clock=self.service.clock, id="crisis-bar")
        yield ViewBar(id="view-bar")
        with Horizontal(id="search-bar"):
            yield Static("Search", id="search-label")
            yield Input(
                placeholder="words in messages; enter finds, escape goes back",
                compact=True,
                id="search",
            )
        yield ThreadList(clock=self.service.clock, id="threads")
        yield ThreadPreview(id="preview")
        yield StatusLine(id="status")
        yield KeyBar()

    @property
    def thread_list(self) -> ThreadList:
        return self.query_one("#threads", ThreadList)

    @property
    def preview(self) -> ThreadPreview:
        return self.query_one("#preview", ThreadPreview)

    @property
    def status_line(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    @property
    def view_bar(self) -> ViewBar:
        return self.query_one("#view-bar", ViewBar)

    def on_mount(self) -> None:
        self._show_view_bar()
        self.thread_list.focus()
        self.preview.show_notice("Loading…")
        self.load_threads(self.query_shown, limit=PAGE_SIZE, keep_thread_id=None)
        self.app.inbox_changed.subscribe(self, self.inbox_changed)
        self.watch(self.app, "sync_state", self._show_sync_state)
        self.watch(self.app, "live_state", self._show_live_state)
        self.watch(self.app, "waiting", self._show_waiting)
        self.set_interval(AGE_TICK_SECONDS, self.tick_ages, name="ages")
        self.set_interval(DUE_CHECK_SECONDS, self.read_status, name="status")

    def select_thread(self, thread_id: int) -> None:
        """Put the cursor on a thread, reading further down the list if it is not loaded yet."""
        self.thread_list.focus()
        if self.thread_list.select_thread(thread_id):
            return
        self._wanted_thread_id = thread_id
        self.load_threads(self.query_shown, limit=PAGE_SIZE, keep_thread_id=thread_id)

    def open_thread_by_id(self, thread_id: int) -> None:
        """Open a thread asked for from another screen (a breach on the stats screen): its
        screen opens once it is read, and the cursor goes to it if the list can find it."""
        self.thread_to_open = thread_id
        self.select_thread(thread_id)
        self.read_to_open(thread_id)

    def on_screen_resume(self) -> None:
        """Back from a thread or a form: read the list again (opening a thread marks it read)."""
        if self.thread_list.loaded:
            self.refresh_threads()

    # -- workers: service calls, off the event loop ----------------------------------------

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="threads",
        description="inbox: load the thread list",
    )
    def load_threads(self, query: ThreadFilter, *, limit: int, keep_thread_id: int | None) -> None:
        """Read the list from the top, far enough to find `keep_thread_id` again if it moved."""
        worker = get_current_worker()
        as_of = self.service.latest_event_id()
        rows, complete = fetch_threads(self.service, query, after=None, limit=limit)
        extra_pages = 0
        while (
            keep_thread_id is not None
            and not complete
            and extra_pages < REFRESH_EXTRA_PAGES
            and all(row.id != keep_thread_id for row in rows)
        ):
            more, complete = fetch_threads(self.service, query, after=rows[-1], limit=PAGE_SIZE)
            rows.extend(more)
            extra_pages += 1
        presence = self.service.presence(row.id for row in rows)
        if not worker.is_cancelled:
            self.post_message(
                ThreadsLoaded(
                    query,
                    rows,
                    complete=complete,
                    presence=presence,
                    keep_thread_id=keep_thread_id,
                    as_of_event_id=as_of,
                )
            )

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="threads-more",
        description="inbox: load the next page of threads",
    )
    def load_more_threads(self, query: ThreadFilter, after: ThreadRow) -> None:
        worker = get_current_worker()
        rows, complete = fetch_threads(self.service, query, after=after, limit=PAGE_SIZE)
        presence = self.service.presence(row.id for row in rows)
        if not worker.is_cancelled:
            self.post_message(
                ThreadsLoaded(query, rows, complete=complete, presence=presence, after_id=after.id)
            )

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="preview",
        description="inbox: load the selected thread's messages",
    )
    def load_preview(self, thread: ThreadRow) -> None:
        """The thread's latest messages; the list's line for it says the rest."""
        items = self.service.thread_items(thread.id, limit=PREVIEW_ITEMS)
        if not get_current_worker().is_cancelled:
            self.post_message(ThreadItemsLoaded(thread, items))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="read-ahead",
        description="inbox: read the selected thread ahead of opening it",
    )
    def read_ahead(self, thread_id: int) -> None:
        """Read the previewed thread as its screen shows it, so enter opens it at once."""
        self._read_and_post(thread_id)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="open",
        description="inbox: read the thread asked for, to open it",
    )
    def read_to_open(self, thread_id: int) -> None:
        """Read a thread that may not be in the list, as its screen shows it, to open it."""
        self._read_and_post(thread_id)

    def _read_and_post(self, thread_id: int) -> None:
        """In a worker: read the thread as its screen shows it and say what was read."""
        worker = get_current_worker()
        try:
            snapshot = read_thread(self.service, thread_id)
        except NotFound:
            self.post_message(ThreadGone(thread_id))
            return
        if not worker.is_cancelled:
            self.post_message(ThreadRead(snapshot))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="accounts",
        description="inbox: read account health",
    )
    def load_accounts(self) -> None:
        accounts = self.service.list_accounts()
        if not get_current_worker().is_cancelled:
            self.post_message(AccountsLoaded(accounts))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="count",
        description="inbox: count the threads in the view",
    )
    def count_threads(self, query: ThreadFilter) -> None:
        """Count the view's threads for the status line: an indexed COUNT, off the event loop."""
        count = self.service.count_threads(query)
        if not get_current_worker().is_cancelled:
            self.post_message(ThreadsCounted(query, count))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="due-soon",
        description="inbox: check which threads are due soon",
    )
    def load_due_soon(self) -> None:
        now = self.service.clock()
        threads = self.service.due_soon(DUE_SOON_MINUTES)
        if not get_current_worker().is_cancelled:
            self.post_message(
                DueSoonLoaded(threads, now, limit_reached=len(threads) >= DUE_SOON_LIMIT)
            )

    # -- results: the only place widgets change ------------------------------------------

    @on(ThreadsLoaded)
    def show_threads(self, message: ThreadsLoaded) -> None:
        if message.query != self.query_shown:
            return
        thread_list = self.thread_list
        if message.after_id is None:
            # The cursor stays where it is now (it may have moved since the rows were asked
            # for), unless these rows were read to find a thread someone asked for.
            wanted = self._wanted_thread_id
            if wanted is not None and message.keep_thread_id == wanted:
                self._wanted_thread_id = None
            self.presence = dict(message.presence)
            thread_list.show_rows(
                message.rows,
                complete=message.complete,
                keep_thread_id=wanted if message.keep_thread_id == wanted else None,
                empty_text=self._empty_text(),
            )
            if message.as_of_event_id is not None:
                self.app.watch_events_from(message.as_of_event_id)
            selected = thread_list.selected
            if selected is not None:
                self.preview.show_line(
                    selected, self.service.clock()
                )  # status, assignee may change
            if not self.status_read:  # the first page is in: now the status line's reads
                self.status_read = True
                self.load_accounts()
                self.load_due_soon()  # the view is counted once the preview is shown too
            self.app.first_page_shown()
        else:
            thread_list.append_rows(
                message.rows, after_id=message.after_id, complete=message.complete
            )
            self.presence.update(message.presence)
        thread_list.show_presence(self.presence)
        if self.preview.thread_id is not None:
            self.preview.show_presence(self.presence.get(self.preview.thread_id, ()))
        self._show_listing()

    @on(ThreadList.Highlighted)
    def preview_highlighted(self, message: ThreadList.Highlighted) -> None:
        if message.row is None:
            self.preview.show_notice(
                "No thread selected." if self.thread_list.loaded else "Loading…"
            )
            return
        self.load_preview(message.row)

    @on(ThreadList.Selected)
    def open_selected(self, message: ThreadList.Selected) -> None:
        """Open the thread screen: with the thread as read ahead, when it was."""
        ahead = self.read_ahead_snapshot
        snapshot = ahead if ahead is not None and ahead.thread.id == message.row.id else None
        self.app.open_thread(message.row, snapshot, self.reply_drafts)

    @on(ThreadList.MoreWanted)
    def load_more(self, message: ThreadList.MoreWanted) -> None:
        self.load_more_threads(self.query_shown, message.after)

    @on(ThreadItemsLoaded)
    def show_preview(self, message: ThreadItemsLoaded) -> None:
        """Show the highlighted thread; once it is on screen, read it ahead for enter."""
        selected = self.thread_list.selected
        if selected is None or selected.id != message.thread.id:
            return
        # The list's line as it is now: a refresh may have replaced it since the read began.
        self.preview.show_thread(selected, message.items, self.service.clock())
        self.preview.show_presence(self.presence.get(selected.id, ()))
        self.call_after_refresh(self._read_ahead_if_selected, selected.id)
        self.call_after_refresh(self.count_view, again=False)

    def _read_ahead_if_selected(self, thread_id: int) -> None:
        selected = self.thread_list.selected
        if selected is not None and selected.id == thread_id:
            self.read_ahead(thread_id)

    @on(ThreadRead)
    def keep_read_ahead(self, message: ThreadRead) -> None:
        """Keep the previewed thread for enter; open the one asked for from another screen."""
        thread = message.snapshot.thread
        selected = self.thread_list.selected
        if selected is not None and selected.id == thread.id:
            self.read_ahead_snapshot = message.snapshot
        if self.thread_to_open == thread.id:
            self.thread_to_open = None
            if self.app.screen is self:
                self.app.open_thread(thread, message.snapshot, self.reply_drafts)

    @on(ThreadGone)
    def forget_thread(self, message: ThreadGone) -> None:
        if self.thread_to_open == message.thread_id:
            self.thread_to_open = None
            self.notify("That thread no longer exists.", severity="warning", markup=False)
        selected = self.thread_list.selected
        if selected is not None and selected.id == message.thread_id:
            self.preview.show_notice("This thread no longer exists.")

    @on(AccountsLoaded)
    def show_accounts(self, message: AccountsLoaded) -> None:
        self.status_line.show_accounts(message.accounts)
        self.account_handles = {account.id: account.handle for account in message.accounts}
        self._show_view_bar()

    @on(ThreadList.MarksChanged)
    def show_marks(self, message: ThreadList.MarksChanged) -> None:
        self._show_view_bar()
        self.refresh_bindings()

    @on(ThreadsCounted)
    def show_count(self, message: ThreadsCounted) -> None:
        if message.query == self.query_shown:
            self.thread_count = (message.query, message.count)
            self._show_listing()

    @on(DueSoonLoaded)
    def show_due_soon(self, message: DueSoonLoaded) -> None:
        threads = list(message.threads)
        overdue_count = sum(1 for thread in threads if thread.is_overdue(message.now))
        self.due_threads = threads
        self.status_line.show_due(
            len(threads) - overdue_count,
            overdue_count,
            within_minutes=DUE_SOON_MINUTES,
            more=message.limit_reached,
        )
        self.refresh_bindings()
        in_window = {thread.id for thread in threads}
        if self._warned_thread_ids is not None:
            self._announce_due(
                [thread for thread in threads if thread.id not in self._warned_thread_ids],
                message.now,
            )
            if message.limit_reached:
                in_window |= self._warned_thread_ids
        self._warned_thread_ids = in_window

    def _announce_due(self, newly_due: list[DueThread], now: datetime) -> None:
        """Notify once about threads that entered the warning window since the last reading."""
        if len(newly_due) <= DUE_NOTICES:
            for thread in newly_due:
                self.notify(due_notice(thread, now), title="SLA", severity="warning", markup=False)
            return
        shown = " ".join(due_notice(thread, now) for thread in newly_due[:DUE_NOTICES])
        self.notify(
            f"{shown} And {len(newly_due) - DUE_NOTICES} more.",
            title="SLA",
            severity="warning",
            markup=False,
        )

    def read_status(self) -> None:
        """Read the status line's counts again: the threads due soon and the view's size."""
        self.load_due_soon()
        self.count_view(again=True)

    def count_view(self, *, again: bool) -> None:
        """Count the view's threads when the list has read only some: once per view (once its
        first page and preview are on screen, so as not to slow them), or `again` on the
        status line's cadence. A list read to its end counts itself."""
        if not self.status_read or self.thread_list.complete:
            return
        known = self.thread_count is not None and self.thread_count[0] == self.query_shown
        if again or not known:
            self.count_threads(self.query_shown)

    def inbox_changed(self, message: EventsArrived) -> None:
        """Refresh what is on screen once for a whole poll's worth of events."""
        if message.thread_ids:
            self.read_status()
        thread_list = self.thread_list
        if not thread_list.loaded:
            return
        self.refresh_threads()
        selected = thread_list.selected
        if selected is not None and selected.id in message.thread_ids:
            self.load_preview(selected)
        if message.touches_accounts:
            self.load_accounts()

    def refresh_threads(self) -> None:
        """Reload the loaded part of the list (at least a page, at least past the view)."""
        thread_list = self.thread_list
        keep_id = self._wanted_thread_id
        if keep_id is None and thread_list.selected is not None:
            keep_id = thread_list.selected.id
        needed = max(
            PAGE_SIZE,
            thread_list.cursor_index + thread_list.size.height + PAGE_SIZE // 2,
        )
        limit = -(-needed // PAGE_SIZE) * PAGE_SIZE
        self.load_threads(self.query_shown, limit=limit, keep_thread_id=keep_id)

    def tick_ages(self) -> None:
        """Redraw the ages, which move with the clock even when nothing else changes."""
        self.thread_list.refresh()
        self.preview.show_times_at(self.service.clock())

    def _show_sync_state(self, state: str) -> None:
        self.status_line.show_sync(state, problem=state.startswith("sync stopped"))

    def _show_live_state(self, state: str) -> None:
        self.status_line.show_live(state, problem=state != "live")

    def _show_waiting(self, counts: WaitingCounts) -> None:
        self.status_line.show_waiting(counts.unread, counts.approvals)

    def _show_listing(self) -> None:
        """The view's size: the list's length once it is all read, else as last counted."""
        thread_list = self.thread_list
        label = VIEW_LABELS[self.query_shown.view]
        if thread_list.complete:
            self.status_line.show_listing(f"{label}: {counted(len(thread_list.rows), 'thread')}")
        elif self.thread_count is not None and self.thread_count[0] == self.query_shown:
            count = max(self.thread_count[1], len(thread_list.rows))
            self.status_line.show_listing(f"{label}: {counted(count, 'thread')}")
        else:
            self.status_line.show_listing(f"{label}: counting threads…")

    def _view_keys(self) -> dict[View, str]:
        """Each view's key, as remapped in the config's `[keymap]` if it was."""
        keymap = self.app.config.keymap
        return {
            View(binding.id.removeprefix("view-")): keymap.get(binding.id, binding.key).split(",")[
                0
            ]
            for binding in bindings.INBOX_VIEWS
            if binding.id
        }

    def _show_view_bar(self) -> None:
        keys = self._view_keys()
        self.view_bar.show(
            [(keys.get(view, ""), view.value, label) for view, label in VIEW_LABELS.items()],
            self.query_shown.view.value,
            filter_details(self.query_shown, self.account_handles),
            len(self.thread_list.marked_ids),
        )

    def _empty_text(self) -> str:
        query = self.query_shown
        if query.search_text:
            return "No messages match in this view; escape clears the search."
        if query != ThreadFilter(view=query.view, sort=query.sort):
            return "No threads match these filters; f changes them."
        return EMPTY_VIEW_TEXTS[query.view]

    # -- actions --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Footer hints only where they apply: `back` when there is somewhere to go back from."""
        if action == "back":
            return (
                bool(self.query_shown.search_text)
                or not self.thread_list.has_focus
                or bool(self.thread_list.marked_ids)
            )
        if action == "due_soon":
            return bool(self.due_threads)
        if action == "bulk_reply":
            return bool(self.thread_list.marked_ids)
        return True

    def action_show_view(self, name: str) -> None:
        self._show_query(replace(self.query_shown, view=View(name)))

    def action_pick_view(self) -> None:
        tooltips = {binding.id: binding.tooltip for binding in bindings.INBOX_VIEWS}
        keys = self._view_keys()
        self.app.search_commands(
            [
                SimpleCommand(
                    f"{keys.get(view, '')}  {label}".strip(),
                    partial(self.action_show_view, view.value),
                    tooltips[f"view-{view.value}"],
                )
                for view, label in VIEW_LABELS.items()
            ],
            placeholder="Show which threads…",
        )

    def action_pick_sort(self) -> None:
        self.app.search_commands(
            [
                SimpleCommand(
                    label.capitalize(),
                    partial(self._show_query, replace(self.query_shown, sort=sort)),
                )
                for sort, label in SORT_LABELS.items()
            ],
            placeholder="Sort the list…",
        )

    def action_filter(self) -> None:
        from tui.dialogs.filters import FilterScreen

        def chosen(query: ThreadFilter | None) -> None:
            if query is not None:
                self._show_query(query)

        self.app.push_screen(FilterScreen(self.service, self.query_shown), chosen)

    def action_search(self) -> None:
        self.query_one("#search-bar").add_class("-shown")
        search = self.query_one("#search", Input)
        search.value = self.query_shown.search_text or ""
        search.focus()

    def action_refresh(self) -> None:
        self.refresh_threads()
        self.load_accounts()
        self.read_status()
        selected = self.thread_list.selected
        if selected is not None:
            self.load_preview(selected)

    def action_due_soon(self) -> None:
        """Put the cursor on the most urgent thread, leaving a view that hides it."""
        if not self.due_threads:
            return
        thread_id = self.due_threads[0].id
        thread_list = self.thread_list
        thread_list.focus()
        if thread_list.select_thread(thread_id):
            return
        if self.query_shown != ThreadFilter(sort=self.query_shown.sort):
            self._hide_search_bar()
            self.query_shown = ThreadFilter(sort=self.query_shown.sort)
            self._show_view_bar()
            self.refresh_bindings()
            thread_list.show_loading()
        self._wanted_thread_id = thread_id
        self.load_threads(self.query_shown, limit=PAGE_SIZE, keep_thread_id=thread_id)

    def action_back(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            if not self.query_shown.search_text:
                self._hide_search_bar()
            self.thread_list.focus()
        elif not self.thread_list.has_focus:
            self.thread_list.focus()
        elif self.thread_list.clear_marks():
            return
        elif self.query_shown.search_text:
            self._hide_search_bar()
            self._show_query(replace(self.query_shown, search_text=None))

    @on(Input.Submitted, "#search")
    def search_submitted(self, message: Input.Submitted) -> None:
        text = " ".join(message.value.split())
        self._show_query(replace(self.query_shown, search_text=text or None))
        if not text:
            self._hide_search_bar()
        self.thread_list.focus()

    # -- triage on the marked (or highlighted) threads ----------------------------------------

    def action_close_threads(self) -> None:
        if ids := self.thread_list.targets():
            self.run_triage(closing(len(ids)), partial(self.service.close, ids))

    def action_reopen_threads(self) -> None:
        if ids := self.thread_list.targets():
            self.run_triage(reopening(len(ids)), partial(self.service.reopen, ids))

    def action_undo(self) -> None:
        """Undo the latest close, snooze, priority, tag or assignment, while it is offered."""
        if offered := self.app.take_undo():
            self.run_triage(*offered)

    def action_assign(self) -> None:
        """Leads pick whom to assign to; agents take the threads themselves."""
        ids = self.thread_list.targets()
        if not ids or self.only_reads(taking(len(ids))):
            return
        if not self.service.can(Action.ASSIGN):
            self.run_triage(taking(len(ids)), partial(self.service.take, ids))
            return

        def picked(choice: AssignChoice | None) -> None:
            if choice is not None:
                self.run_triage(
                    assigning(choice.handle, len(ids)),
                    partial(self.service.assign, ids, choice.handle),
                )

        from tui.dialogs.pickers import AssignPicker  # loaded on first use, not at start-up

        self.app.push_screen(AssignPicker(self.service), picked)

    def action_tag(self) -> None:
        ids = self.thread_list.targets()
        if not ids or self.only_reads(tagging((), (), len(ids))):
            return

        def picked(change: TagChange | None) -> None:
            if change is not None:
                self.run_triage(
                    tagging(change.add, change.remove, len(ids)),
                    partial(self.service.tag, ids, add=change.add, remove=change.remove),
                )

        from tui.dialogs.pickers import TagPrompt  # loaded on first use, not at start-up

        self.app.push_screen(TagPrompt(self.service), picked)

    def action_snooze(self) -> None:
        ids = self.thread_list.targets()
        if not ids or self.only_reads(snoozing(self.service.clock(), asked=len(ids))):
            return

        def picked(until: datetime | None) -> None:
            if until is not None:
                self.run_triage(
                    snoozing(until, asked=len(ids)), partial(self.service.snooze, ids, until)
                )

        from tui.dialogs.pickers import SnoozePicker  # loaded on first use, not at start-up

        self.app.push_screen(SnoozePicker(self.service.clock), picked)

    def action_priority(self) -> None:
        ids = self.thread_list.targets()
        if not ids or self.only_reads(prioritising("normal", len(ids))):
            return

        def picked(priority: str | None) -> None:
            if priority is not None:
                self.run_triage(
                    prioritising(priority, len(ids)),
                    partial(self.service.set_priority, ids, priority),
                )

        from tui.dialogs.pickers import PriorityPicker  # loaded on first use, not at start-up

        self.app.push_screen(PriorityPicker(), picked)

    def action_bulk_reply(self) -> None:
        from tui.dialogs.bulk_reply import BulkReplyScreen

        ids = self.thread_list.marked_ids
        if not ids:
            self.notify(
                "Mark threads with space first; m answers all of them at once.", markup=False
            )
            return

        def sent(count: int | None) -> None:
            if count:
                self.thread_list.clear_marks()
                self.refresh_threads()

        self.app.push_screen(BulkReplyScreen(self.service, ids), sent)

    def action_toggle_spam(self) -> None:
        self.mark_spam(self.thread_list.targets(), unmark=self.query_shown.view == View.SPAM)

    def action_block_author(self) -> None:
        """Block the authors of the targets; unblock them when every one is blocked already."""
        ids = self.thread_list.targets()
        rows = [row for row in self.thread_list.rows if row.id in set(ids)]
        self.block_authors(ids, unblock=bool(rows) and all(row.author_blocked for row in rows))

    def action_hide_comment(self) -> None:
        self.hide_comment(self.thread_list.selected)

    @on(ThreadsChanged)
    def threads_changed(self, message: ThreadsChanged) -> None:
        if not self.app.offer_undo(message):
            self.report_triage(message)
        self.thread_list.clear_marks()
        self.refresh_threads()

    @on(TriageRefused)
    def triage_refused(self, message: TriageRefused) -> None:
        self.report_triage(message)

    def _hide_search_bar(self) -> None:
        self.query_one("#search", Input).value = ""
        self.query_one("#search-bar").remove_class("-shown")

    def _show_query(self, query: ThreadFilter) -> None:
        if query == self.query_shown:
            return
        self.query_shown = query
        self._show_view_bar()
        self.refresh_bindings()
        self.thread_list.show_loading()
        self.preview.show_notice("Loading…")
        self.load_threads(query, limit=PAGE_SIZE, keep_thread_id=None)
