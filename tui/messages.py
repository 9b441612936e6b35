"""Messages that carry results from workers back to the UI, named as facts.

Workers call the service off the event loop and post one of these to the screen or app
that started them (results do not bubble further); `@on` handlers there change widgets.
Messages a widget emits about itself are declared on the widget (`ThreadList.Highlighted`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from textual.message import Message

from inbox.service import AccountSummary, ItemRow, ThreadRow
from inbox.sla import DueThread
from inbox.stats import Stats


@dataclass(frozen=True, slots=True)
class ThreadQuery:
    """Which threads the list shows: the whole open inbox, or the threads a search found.

    Views, filters and sort orders join this later; a result for another query than the
    one on screen is dropped.
    """

    search_text: str | None = None
    include_closed: bool = False

    @property
    def is_search(self) -> bool:
        return self.search_text is not None


class ThreadsLoaded(Message, bubble=False):
    """A page of the thread list arrived.

    `after_id` is None for a page that replaces the list from the top (first load,
    refresh, search); otherwise the page continues the list after that thread.
    """

    def __init__(
        self,
        query: ThreadQuery,
        rows: Sequence[ThreadRow],
        *,
        complete: bool,
        after_id: int | None = None,
        keep_thread_id: int | None = None,
        as_of_event_id: int | None = None,
    ) -> None:
        super().__init__()
        self.query = query
        self.rows = rows
        self.complete = complete
        """True when no rows follow these."""
        self.after_id = after_id
        self.keep_thread_id = keep_thread_id
        """The thread the cursor was on when the page was asked for."""
        self.as_of_event_id = as_of_event_id
        """The newest event already reflected in these rows, when known."""


class ThreadItemsLoaded(Message, bubble=False):
    """The messages of a thread arrived, for the preview."""

    def __init__(self, thread: ThreadRow, items: Sequence[ItemRow]) -> None:
        super().__init__()
        self.thread = thread
        self.items = items


class ThreadGone(Message, bubble=False):
    """A thread asked for no longer exists (an account was purged meanwhile)."""

    def __init__(self, thread_id: int) -> None:
        super().__init__()
        self.thread_id = thread_id


class AccountsLoaded(Message, bubble=False):
    """The connected accounts and their health arrived."""

    def __init__(self, accounts: Sequence[AccountSummary]) -> None:
        super().__init__()
        self.accounts = accounts


class DueSoonLoaded(Message, bubble=False):
    """The threads overdue or due soon arrived, most urgent first, as of `now`."""

    def __init__(self, threads: Sequence[DueThread], now: datetime, *, limit_reached: bool) -> None:
        super().__init__()
        self.threads = threads
        self.now = now
        self.limit_reached = limit_reached
        """True when more threads may be due than were read."""


class EventsArrived(Message):
    """New rows appeared in the event log since the last poll: one message per poll.

    A flood of events becomes one of these; consecutive ones still queued collapse into
    the newest, whose `thread_ids` and `event_types` cover them all.
    """

    def __init__(
        self,
        last_event_id: int,
        *,
        count: int,
        thread_ids: frozenset[int],
        event_types: frozenset[str],
    ) -> None:
        super().__init__()
        self.last_event_id = last_event_id
        self.count = count
        self.thread_ids = thread_ids
        self.event_types = event_types

    def can_replace(self, message: Message) -> bool:
        """Let a newer EventsArrived still in the queue stand for this one too."""
        if not isinstance(message, EventsArrived):
            return False
        message.count += self.count
        message.thread_ids |= self.thread_ids
        message.event_types |= self.event_types
        return True

    @property
    def touches_accounts(self) -> bool:
        """Whether any event may have changed an account's health."""
        return any(kind.startswith(("account.", "sync.")) for kind in self.event_types)


class StatsLoaded(Message, bubble=False):
    """The stats of a period arrived, for the stats screen."""

    def __init__(self, stats: Stats, days: int) -> None:
        super().__init__()
        self.stats = stats
        self.days = days
