"""The inbox screen: the thread list over the preview pane, a search bar and a status line.

Every service call runs in a worker on a thread; its result comes back as a message from
`tui.messages`, and the `@on` handlers below are the only code that changes widgets.
Live updates arrive from the app's event poller as `EventsArrived`, one per poll however
many events there were; each refreshes the loaded part of the list once, keeping the
cursor on the thread it was on. The threads near or past their SLA are read again after
every poll that touched threads and once a minute, since time alone brings them closer.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from inbox.errors import NotFound
from inbox.service import InboxService, ThreadRow
from inbox.sla import DUE_SOON_LIMIT, DueThread
from tui import bindings
from tui.messages import (
    AccountsLoaded,
    DueSoonLoaded,
    EventsArrived,
    ThreadGone,
    ThreadItemsLoaded,
    ThreadQuery,
    ThreadsLoaded,
)
from tui.widgets import labels
from tui.widgets.status_line import StatusLine
from tui.widgets.thread_list import ThreadList
from tui.widgets.thread_preview import ThreadPreview

if TYPE_CHECKING:
    from tui.app import InboxApp

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


def due_notice(thread: DueThread, now: datetime) -> str:
    """What a notification says about one thread coming due: who, where, and when."""
    author = labels.author_label(thread.author)
    channel = f"{labels.kind_label(thread.kind)} on {labels.platform_label(thread.platform)}"
    if thread.is_overdue(now):
        return f"{author}'s {channel} is overdue."
    minutes = max(1, -(-int((thread.due_at - now).total_seconds()) // 60))
    return f"{author}'s {channel} is due in {minutes} min."


def fetch_threads(
    service: InboxService, query: ThreadQuery, *, after: ThreadRow | None, limit: int
) -> tuple[list[ThreadRow], bool]:
    """The rows of `query` after `after` (from the top when None), and whether that is all."""
    if query.search_text is not None:
        if after is not None:
            return [], True
        thread_ids: list[int] = []
        for item in service.search(query.search_text, limit=SEARCH_MATCHES):
            if item.thread_id not in thread_ids:
                thread_ids.append(item.thread_id)
        rows = []
        for thread_id in thread_ids:
            try:
                rows.append(service.thread(thread_id))
            except NotFound:
                continue
        return rows, True
    before = (after.last_activity_at, after.id) if after is not None else None
    rows = service.list_threads(include_closed=query.include_closed, before=before, limit=limit)
    return rows, len(rows) < limit


class InboxScreen(Screen[None]):
    """Triage: the threads, newest first, and the selected one's conversation."""

    BINDINGS = bindings.INBOX

    app: InboxApp

    def __init__(self, service: InboxService) -> None:
        super().__init__()
        self.service = service
        self.query_shown = ThreadQuery()
        """The query whose rows the list holds (or is loading)."""
        self.due_threads: list[DueThread] = []
        """The threads overdue or due soon, most urgent first, as last read."""
        self._warned_thread_ids: set[int] | None = None
        """Threads in the warning window already announced (None until the first reading)."""
        self.reply_drafts: dict[int, str] = {}
        """Replies begun on the thread screen and not sent, by thread id."""

    def compose(self) -> ComposeResult:
        yield Header()
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
        yield Footer()

    @property
    def thread_list(self) -> ThreadList:
        return self.query_one("#threads", ThreadList)

    @property
    def preview(self) -> ThreadPreview:
        return self.query_one("#preview", ThreadPreview)

    @property
    def status_line(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    def on_mount(self) -> None:
        self.thread_list.focus()
        self.preview.show_notice("Loading…")
        self.load_threads(self.query_shown, limit=PAGE_SIZE, keep_thread_id=None)
        self.load_accounts()
        self.load_due_soon()
        self.app.inbox_changed.subscribe(self, self.inbox_changed)
        self.watch(self.app, "sync_state", self._show_sync_state)
        self.watch(self.app, "live_state", self._show_live_state)
        self.set_interval(AGE_TICK_SECONDS, self.tick_ages, name="ages")
        self.set_interval(DUE_CHECK_SECONDS, self.load_due_soon, name="due soon")

    # -- workers: service calls, off the event loop ----------------------------------------

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="threads",
        description="inbox: load the thread list",
    )
    def load_threads(self, query: ThreadQuery, *, limit: int, keep_thread_id: int | None) -> None:
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
        if not worker.is_cancelled:
            self.post_message(
                ThreadsLoaded(
                    query,
                    rows,
                    complete=complete,
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
    def load_more_threads(self, query: ThreadQuery, after: ThreadRow) -> None:
        worker = get_current_worker()
        rows, complete = fetch_threads(self.service, query, after=after, limit=PAGE_SIZE)
        if not worker.is_cancelled:
            self.post_message(ThreadsLoaded(query, rows, complete=complete, after_id=after.id))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="preview",
        description="inbox: load the selected thread's messages",
    )
    def load_preview(self, thread_id: int) -> None:
        worker = get_current_worker()
        try:
            thread = self.service.thread(thread_id)
        except NotFound:
            self.post_message(ThreadGone(thread_id))
            return
        items = self.service.thread_items(thread_id, limit=PREVIEW_ITEMS)
        if not worker.is_cancelled:
            self.post_message(ThreadItemsLoaded(thread, items))

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
            thread_list.show_rows(
                message.rows,
                complete=message.complete,
                keep_thread_id=message.keep_thread_id,
                empty_text=self._empty_text(),
            )
            if message.as_of_event_id is not None:
                self.app.watch_events_from(message.as_of_event_id)
        else:
            thread_list.append_rows(
                message.rows, after_id=message.after_id, complete=message.complete
            )
        self._show_listing()

    @on(ThreadList.Highlighted)
    def preview_highlighted(self, message: ThreadList.Highlighted) -> None:
        if message.row is None:
            self.preview.show_notice(
                "No thread selected." if self.thread_list.loaded else "Loading…"
            )
            return
        self.load_preview(message.row.id)

    @on(ThreadList.Selected)
    def open_selected(self, message: ThreadList.Selected) -> None:
        from tui.screens.thread import ThreadScreen

        self.app.push_screen(ThreadScreen(self.service, message.row, self.reply_drafts))

    @on(ThreadList.MoreWanted)
    def load_more(self, message: ThreadList.MoreWanted) -> None:
        self.load_more_threads(self.query_shown, message.after)

    @on(ThreadItemsLoaded)
    def show_preview(self, message: ThreadItemsLoaded) -> None:
        selected = self.thread_list.selected
        if selected is None or selected.id != message.thread.id:
            return
        self.preview.show_thread(message.thread, message.items, self.service.clock())

    @on(ThreadGone)
    def forget_thread(self, message: ThreadGone) -> None:
        selected = self.thread_list.selected
        if selected is not None and selected.id == message.thread_id:
            self.preview.show_notice("This thread no longer exists.")

    @on(AccountsLoaded)
    def show_accounts(self, message: AccountsLoaded) -> None:
        self.status_line.show_accounts(message.accounts)

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

    def inbox_changed(self, message: EventsArrived) -> None:
        """Refresh what is on screen once for a whole poll's worth of events."""
        if message.thread_ids:
            self.load_due_soon()
        thread_list = self.thread_list
        if not thread_list.loaded:
            return
        self.refresh_threads()
        selected = thread_list.selected
        if selected is not None and selected.id in message.thread_ids:
            self.load_preview(selected.id)
        if message.touches_accounts:
            self.load_accounts()

    def refresh_threads(self) -> None:
        """Reload the loaded part of the list (at least a page, at least past the view)."""
        thread_list = self.thread_list
        selected = thread_list.selected
        needed = max(
            PAGE_SIZE,
            thread_list.cursor_index + thread_list.size.height + PAGE_SIZE // 2,
        )
        limit = -(-needed // PAGE_SIZE) * PAGE_SIZE
        self.load_threads(
            self.query_shown, limit=limit, keep_thread_id=selected.id if selected else None
        )

    @on(Worker.StateChanged)
    def report_failed_worker(self, message: Worker.StateChanged) -> None:
        if message.state == WorkerState.ERROR:
            what = message.worker.description.partition(": ")[2]
            self.notify(
                f"Could not {what}: {message.worker.error}",
                title="Something went wrong",
                severity="error",
                markup=False,
            )

    def tick_ages(self) -> None:
        """Redraw the ages, which move with the clock even when nothing else changes."""
        self.thread_list.refresh()
        self.preview.show_times_at(self.service.clock())

    def _show_sync_state(self, state: str) -> None:
        self.status_line.show_sync(state, problem=state.startswith("sync stopped"))

    def _show_live_state(self, state: str) -> None:
        self.status_line.show_live(state, problem=state != "live")

    def _show_listing(self) -> None:
        thread_list = self.thread_list
        count = len(thread_list.rows)
        if self.query_shown.is_search:
            noun = "thread" if count == 1 else "threads"
            self.status_line.show_listing(f"search: {count} {noun}")
        elif thread_list.complete:
            self.status_line.show_listing(f"{count} open")
        else:
            self.status_line.show_listing(f"{count}+ open")

    def _empty_text(self) -> str:
        if self.query_shown.is_search:
            return "No messages match; escape clears the search."
        return "No open threads. New messages appear here as they arrive."

    # -- actions --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show `back` in the footer only when there is somewhere to go back from."""
        if action == "back":
            return self.query_shown.is_search or not self.thread_list.has_focus
        if action == "due_soon":
            return bool(self.due_threads)
        return True

    def action_search(self) -> None:
        self.query_one("#search-bar").add_class("-shown")
        self.query_one("#search", Input).focus()

    def action_refresh(self) -> None:
        self.refresh_threads()
        self.load_accounts()
        selected = self.thread_list.selected
        if selected is not None:
            self.load_preview(selected.id)

    def action_due_soon(self) -> None:
        """Put the cursor on the most urgent thread, leaving a search if it hides the thread."""
        if not self.due_threads:
            return
        thread_id = self.due_threads[0].id
        thread_list = self.thread_list
        thread_list.focus()
        if thread_list.select_thread(thread_id):
            return
        if self.query_shown.is_search:
            search = self.query_one("#search", Input)
            search.value = ""
            self.query_one("#search-bar").remove_class("-shown")
            self.query_shown = ThreadQuery()
            self.refresh_bindings()
            thread_list.show_loading()
        self.load_threads(self.query_shown, limit=PAGE_SIZE, keep_thread_id=thread_id)

    def action_back(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            if not self.query_shown.is_search:
                search.value = ""
                self.query_one("#search-bar").remove_class("-shown")
            self.thread_list.focus()
        elif not self.thread_list.has_focus:
            self.thread_list.focus()
        elif self.query_shown.is_search:
            search.value = ""
            self.query_one("#search-bar").remove_class("-shown")
            self._show_query(ThreadQuery())

    @on(Input.Submitted, "#search")
    def search_submitted(self, message: Input.Submitted) -> None:
        text = " ".join(message.value.split())
        self._show_query(ThreadQuery(search_text=text) if text else ThreadQuery())
        if not text:
            self.query_one("#search-bar").remove_class("-shown")
        self.thread_list.focus()

    def _show_query(self, query: ThreadQuery) -> None:
        if query == self.query_shown:
            return
        self.query_shown = query
        self.refresh_bindings()
        self.thread_list.show_loading()
        self.preview.show_notice("Loading…")
        self.load_threads(query, limit=PAGE_SIZE, keep_thread_id=None)
