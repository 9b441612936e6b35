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

from inbox.outbox import OutboundRow
from inbox.service import AccountSummary, AnswerMatch, ItemRow, ThreadRow
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


class ConversationLoaded(Message, bubble=False):
    """A thread's messages and its outgoing replies arrived, for the thread screen."""

    def __init__(
        self, thread: ThreadRow, items: Sequence[ItemRow], outbound: Sequence[OutboundRow]
    ) -> None:
        super().__init__()
        self.thread = thread
        self.items = items
        self.outbound = outbound


@dataclass(frozen=True, slots=True)
class Channel:
    """How the thread's channel counts a reply, and the thread's version when it was opened."""

    name: str
    rule: str
    limit: int | None
    seen_version: int | None


class ChannelLoaded(Message, bubble=False):
    """The thread's channel and version arrived (once, when the thread screen opens)."""

    def __init__(self, channel: Channel) -> None:
        super().__init__()
        self.channel = channel


class DraftChecked(Message, bubble=False):
    """The pre-send checks of a reply's text came back; `problems` is empty when it may go."""

    def __init__(self, text: str, problems: Sequence[str], approval_reason: str | None) -> None:
        super().__init__()
        self.text = text
        self.problems = problems
        self.approval_reason = approval_reason


class ReplyQueued(Message, bubble=False):
    """A reply went into the outbox; `seen_version` is the thread's version after it."""

    def __init__(self, outbound: OutboundRow, seen_version: int | None) -> None:
        super().__init__()
        self.outbound = outbound
        self.seen_version = seen_version


class ReplyRefused(Message, bubble=False):
    """A reply was not queued, for these reasons."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__()
        self.problems = problems


class ReplyNeedsConfirmation(Message, bubble=False):
    """The thread changed since it was opened (someone answered); sending needs a second yes."""

    def __init__(self, problem: str, current_version: int | None) -> None:
        super().__init__()
        self.problem = problem
        self.current_version = current_version


class AnswersFound(Message, bubble=False):
    """Prepared answers for the picker: suggestions when `query` is empty, else matches."""

    def __init__(self, query: str, matches: Sequence[AnswerMatch]) -> None:
        super().__init__()
        self.query = query
        self.matches = matches


class AnswerRendered(Message, bubble=False):
    """A prepared answer filled in for this thread, with what it still lacks."""

    def __init__(self, canned_response_id: int, text: str, problems: Sequence[str]) -> None:
        super().__init__()
        self.canned_response_id = canned_response_id
        self.text = text
        self.problems = problems
