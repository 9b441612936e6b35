"""Messages that carry results from workers back to the UI, named as facts.

Workers call the service off the event loop and post one of these to the screen or app
that started them (results do not bubble further); `@on` handlers there change widgets.
Messages a widget emits about itself are declared on the widget (`ThreadList.Highlighted`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from textual.message import Message

from inbox import (
    AccountSummary,
    AgentSummary,
    AnswerMatch,
    DueThread,
    ItemRow,
    OutboundRow,
    PresenceRow,
    ThreadFilter,
    ThreadRow,
)

if TYPE_CHECKING:
    from inbox import AuthorCard, BulkResult, HistoryEntry, NoteRow, Stats
    from tui.thread_snapshot import ThreadSnapshot
    from tui.triage_actions import TriageAction


class ThreadsLoaded(Message, bubble=False):
    """A page of the thread list arrived.

    `after_id` is None for a page that replaces the list from the top (first load,
    refresh, search); otherwise the page continues the list after that thread.
    """

    def __init__(
        self,
        query: ThreadFilter,
        rows: Sequence[ThreadRow],
        *,
        complete: bool,
        presence: Mapping[int, Sequence[PresenceRow]],
        after_id: int | None = None,
        keep_thread_id: int | None = None,
        as_of_event_id: int | None = None,
    ) -> None:
        super().__init__()
        self.query = query
        self.rows = rows
        self.presence = presence
        """Who else has these threads open, by thread id."""
        self.complete = complete
        """True when no rows follow these."""
        self.after_id = after_id
        self.keep_thread_id = keep_thread_id
        """The thread the cursor was on when the page was asked for."""
        self.as_of_event_id = as_of_event_id
        """The newest event already reflected in these rows, when known."""


class ThreadItemsLoaded(Message, bubble=False):
    """The latest messages of a thread arrived, for the preview."""

    def __init__(self, thread: ThreadRow, items: Sequence[ItemRow]) -> None:
        super().__init__()
        self.thread = thread
        self.items = items


class ThreadRead(Message, bubble=False):
    """A thread was read as the thread screen shows it: ahead of opening it, or by the screen."""

    def __init__(self, snapshot: ThreadSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


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


class ThreadsCounted(Message, bubble=False):
    """How many threads a view (with its filters and search) holds was counted."""

    def __init__(self, query: ThreadFilter, count: int) -> None:
        super().__init__()
        self.query = query
        self.count = count


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
        return any(kind.startswith("account.") for kind in self.event_types)


class StatsLoaded(Message, bubble=False):
    """The stats of a period arrived, for the stats screen."""

    def __init__(self, stats: Stats, days: int) -> None:
        super().__init__()
        self.stats = stats
        self.days = days


class DraftChecked(Message, bubble=False):
    """The pre-send checks of a reply's text came back; `problems` is empty when it may go."""

    def __init__(
        self, thread_id: int, text: str, problems: Sequence[str], approval_reason: str | None
    ) -> None:
        super().__init__()
        self.thread_id = thread_id
        self.text = text
        self.problems = problems
        self.approval_reason = approval_reason


class ReplyQueued(Message, bubble=False):
    """A reply went into the outbox; `seen_version` is the thread's version it was checked at."""

    def __init__(self, thread_id: int, outbound: OutboundRow, seen_version: int | None) -> None:
        super().__init__()
        self.thread_id = thread_id
        self.outbound = outbound
        self.seen_version = seen_version


class ReplySettled(Message, bubble=False):
    """A person sent a stuck reply again or withdrew it; `refusal` says why not, if not."""

    def __init__(
        self, thread_id: int, outbound_id: int, resent: bool, refusal: str | None = None
    ) -> None:
        super().__init__()
        self.thread_id = thread_id
        self.outbound_id = outbound_id
        self.resent = resent
        self.refusal = refusal


class ReplyRefused(Message, bubble=False):
    """A reply was not queued, for these reasons."""

    def __init__(self, thread_id: int, problems: Sequence[str]) -> None:
        super().__init__()
        self.thread_id = thread_id
        self.problems = problems


class ReplyNeedsConfirmation(Message, bubble=False):
    """The thread changed since it was opened (someone answered); sending needs a second yes."""

    def __init__(self, thread_id: int, problem: str, current_version: int | None) -> None:
        super().__init__()
        self.thread_id = thread_id
        self.problem = problem
        self.current_version = current_version


class SecondReplyHeld(Message, bubble=False):
    """A second reply was held back: the person's first to this thread is still on its way.

    `seen_version` is the thread's version the reply was checked at, to send it with.
    """

    def __init__(self, thread_id: int, problem: str, seen_version: int | None) -> None:
        super().__init__()
        self.thread_id = thread_id
        self.problem = problem
        self.seen_version = seen_version


class AnswersFound(Message, bubble=False):
    """Prepared answers for the picker: suggestions when `query` is empty, else matches."""

    def __init__(self, query: str, matches: Sequence[AnswerMatch]) -> None:
        super().__init__()
        self.query = query
        self.matches = matches


class AnswerRendered(Message, bubble=False):
    """A prepared answer filled in for this thread, with what it still lacks."""

    def __init__(
        self, thread_id: int, canned_response_id: int, text: str, problems: Sequence[str]
    ) -> None:
        super().__init__()
        self.thread_id = thread_id
        self.canned_response_id = canned_response_id
        self.text = text
        self.problems = problems


class FilterChoicesLoaded(Message, bubble=False):
    """What the filter form offers: the accounts, the people and the tags in use."""

    def __init__(
        self,
        accounts: Sequence[AccountSummary],
        agents: Sequence[AgentSummary],
        tags: Sequence[str],
    ) -> None:
        super().__init__()
        self.accounts = accounts
        self.agents = agents
        self.tags = tags


class BulkReplyChecked(Message, bubble=False):
    """One message was checked against every marked thread: where it fits, and why not elsewhere."""

    def __init__(
        self,
        text: str,
        canned_response_id: int | None,
        thread_ids: Sequence[int],
        problems: Sequence[str],
    ) -> None:
        super().__init__()
        self.text = text
        self.canned_response_id = canned_response_id
        self.thread_ids = thread_ids
        """The threads it fits."""
        self.problems = problems
        """One line per thread it does not fit, naming the thread and the reason."""


class BulkReplyQueued(Message, bubble=False):
    """The message went into the outbox for every thread it fits, as one campaign."""

    def __init__(self, campaign_id: int, targets: int) -> None:
        super().__init__()
        self.campaign_id = campaign_id
        self.targets = targets


class ThreadsChanged(Message, bubble=False):
    """A triage write (assign, tag, snooze, priority, close, reopen) went through the service.

    `result` says which threads changed and why any were refused; `action` says how to
    put that in words (see `tui.triage_actions`).
    """

    def __init__(self, action: TriageAction, result: BulkResult) -> None:
        super().__init__()
        self.action = action
        self.result = result


class TriageRefused(Message, bubble=False):
    """The service refused a triage write outright, in its own words (a role, a bad value)."""

    def __init__(self, action: TriageAction, reason: str) -> None:
        super().__init__()
        self.action = action
        self.reason = reason


class AgentsLoaded(Message, bubble=False):
    """The people of the inbox arrived, with their open load, for a picker."""

    def __init__(self, agents: Sequence[AgentSummary]) -> None:
        super().__init__()
        self.agents = agents


class TagsLoaded(Message, bubble=False):
    """The tags in use arrived, for completing a tag prompt."""

    def __init__(self, tags: Sequence[str]) -> None:
        super().__init__()
        self.tags = tags


class NoteAdded(Message, bubble=False):
    """An internal note was added to a thread."""

    def __init__(self, note: NoteRow) -> None:
        super().__init__()
        self.note = note


class NoteRefused(Message, bubble=False):
    """A note was not added, for this reason (an @name that is no colleague, a role)."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class AuthorCardLoaded(Message, bubble=False):
    """Who wrote a thread, and their other threads, arrived for the author card."""

    def __init__(self, thread_id: int, card: AuthorCard) -> None:
        super().__init__()
        self.thread_id = thread_id
        self.card = card


class HistoryLoaded(Message, bubble=False):
    """A thread's history (assignments, tags, status changes, replies) arrived."""

    def __init__(self, thread_id: int, entries: Sequence[HistoryEntry]) -> None:
        super().__init__()
        self.thread_id = thread_id
        self.entries = entries


class PresenceLoaded(Message, bubble=False):
    """Who else has a thread open, and whether they are replying."""

    def __init__(self, thread_id: int, present: Sequence[PresenceRow]) -> None:
        super().__init__()
        self.thread_id = thread_id
        self.present = present


class LinkOpened(Message, bubble=False):
    """A thread's link was handed to a browser (`opened`), or there is no browser to hand it to.

    `what` names what the link leads to, for people: "original post", "attachment".
    """

    def __init__(self, url: str, *, opened: bool, what: str = "original post") -> None:
        super().__init__()
        self.url = url
        self.opened = opened
        self.what = what


# -- the crisis toolkit --------------------------------------------------------------------

if TYPE_CHECKING:
    from inbox import (
        AlertRow,
        CampaignSummary,
        CrisisStatus,
        IncidentRow,
        PostRow,
        Review,
        StatementPlan,
    )


class CrisisLoaded(Message, bubble=False):
    """The active incident with its counts (None when calm) and the open alerts arrived."""

    def __init__(self, status: CrisisStatus | None, alerts: Sequence[AlertRow]) -> None:
        super().__init__()
        self.status = status
        self.alerts = alerts


class AlertsAcknowledged(Message, bubble=False):
    """This person acknowledged these alerts."""

    def __init__(self, alert_ids: Sequence[int]) -> None:
        super().__init__()
        self.alert_ids = alert_ids


class CrisisActionRefused(Message, bubble=False):
    """The service refused a crisis action (a role, a check); `reason` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class IncidentsLoaded(Message, bubble=False):
    """Every incident, newest first, for the crisis screen."""

    def __init__(self, incidents: Sequence[IncidentRow]) -> None:
        super().__init__()
        self.incidents = incidents


class StatementFormLoaded(Message, bubble=False):
    """The accounts a statement can go to and the open incident threads it can answer."""

    def __init__(self, accounts: Sequence[AccountSummary], open_threads: int) -> None:
        super().__init__()
        self.accounts = accounts
        self.open_threads = open_threads


class HoldingStatementSuggested(Message, bubble=False):
    """A holding statement to start from: the starter prepared answer, shortest version."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class IncidentDeclared(Message, bubble=False):
    """An incident was declared; these scheduled posts were paused."""

    def __init__(self, incident: IncidentRow, paused_post_ids: Sequence[int]) -> None:
        super().__init__()
        self.incident = incident
        self.paused_post_ids = paused_post_ids


class IncidentEnded(Message, bubble=False):
    """An incident was ended; `paused_posts` scheduled posts still wait to be resumed."""

    def __init__(self, incident: IncidentRow, paused_posts: int) -> None:
        super().__init__()
        self.incident = incident
        self.paused_posts = paused_posts


class StatementPlanned(Message, bubble=False):
    """A statement was rendered for every target it would go to; nothing was queued."""

    def __init__(self, plan: StatementPlan, request: tuple[object, ...]) -> None:
        super().__init__()
        self.plan = plan
        self.request = request
        """The form's text and targets the plan was made for."""


class StatementQueued(Message, bubble=False):
    """A statement went into the outbox as these campaigns."""

    def __init__(self, plan: StatementPlan, campaigns: Sequence[CampaignSummary]) -> None:
        super().__init__()
        self.plan = plan
        self.campaigns = campaigns


class ReviewLoaded(Message, bubble=False):
    """An incident's post-crisis review arrived."""

    def __init__(self, review: Review) -> None:
        super().__init__()
        self.review = review


class ReviewWritten(Message, bubble=False):
    """The review went to `path`, its threads to `threads_path`."""

    def __init__(self, path: str, threads_path: str) -> None:
        super().__init__()
        self.path = path
        self.threads_path = threads_path


class PostsLoaded(Message, bubble=False):
    """The scheduled posts, soonest first, and the accounts they can go to."""

    def __init__(self, posts: Sequence[PostRow], accounts: Sequence[AccountSummary]) -> None:
        super().__init__()
        self.posts = posts
        self.accounts = accounts


class PostsChanged(Message, bubble=False):
    """Scheduled posts were added, edited, cancelled or resumed; `summary` says what happened."""

    def __init__(self, summary: str) -> None:
        super().__init__()
        self.summary = summary


class AnswerTemplateLoaded(Message, bubble=False):
    """A prepared answer's text arrived, unfilled, to start a message to many threads from."""

    def __init__(self, canned_response_id: int, body: str) -> None:
        super().__init__()
        self.canned_response_id = canned_response_id
        self.body = body
