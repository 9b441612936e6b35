"""Thread lists: a view (mine, unassigned, breaching, ...) read in one of four sort orders, a
page at a time by keyset (the caller hands back the last row it holds and gets the rows after it).

Every order is one or two "phases", each a plain range scan of an index on (sort key, id): a
sort key that can be NULL is read as its non-NULL rows first and then the NULL ones by id, so
no page ever sorts the whole table. The indexes behind open views are partial
(`status != 'closed'`), and the queries carry that term word for word so SQLite and
PostgreSQL both see they may use them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    func,
    literal,
    literal_column,
    not_,
    null,
    or_,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy.sql import column, table

from adapters.registry import adapter_class
from inbox.core.errors import InvalidInput, NotFound
from inbox.core.models import (
    Account,
    Agent,
    Contact,
    Incident,
    Item,
    NoteMention,
    Priority,
    Thread,
    ThreadStatus,
    ThreadTag,
    UtcDateTime,
    to_micros,
)
from inbox.store.people import agent_id_of
from inbox.triage.changes import chunks, normalise_tag

if TYPE_CHECKING:
    from inbox.core.access import Actor

_thread = Thread.__table__
_account = Account.__table__
_agent = Agent.__table__
_contact = Contact.__table__
_tag = ThreadTag.__table__
_mention = NoteMention.__table__
_incident = Incident.__table__
_item = Item.__table__
_item_fts = table("item_fts", column("rowid"), column("item_fts"))

SEARCH_MATCH_LIMIT = 1_000
"""Newest matching messages a search looks at; their threads are the rows it lists."""

SPARSE_LIMIT = 2_000
"""Below this many open matches a view's condition (breaching, an incident, a person's
threads) drives the query and its matches are sorted; at or above it, the sort order's
index is scanned and filtered."""

TAG_SPARSE_LIMIT = 10_000
"""The same for a tag, counted over every thread that has it (open or closed): reading ten
thousand rows by id and sorting the open ones stays cheaper than filtering the sort order's
index for a tag that is rare among open threads."""

_NOT_CLOSED = _thread.c.status != literal_column("'closed'")
"""The term the partial indexes of open threads are declared with, as a literal."""


class View(enum.StrEnum):
    """Which threads a list shows.

    "Open" means new, open or pending, or snoozed until a time now past.
    """

    MINE = "mine"
    """Open threads assigned to me."""
    UNASSIGNED = "unassigned"
    """Open threads nobody holds."""
    OPEN = "open"
    """Every open thread."""
    MENTIONS = "mentions"
    """Open threads that are mentions of the brand, or where a colleague's note @mentions me."""
    DMS = "dms"
    """Open direct messages."""
    COMMENTS = "comments"
    """Open comments."""
    BREACHING = "breaching"
    """Open threads past their SLA due time (nothing answered them in time)."""
    INCIDENT = "incident"
    """Open threads tagged to an active incident."""
    SNOOZED = "snoozed"
    """Threads snoozed until a time still to come, soonest wake-up first whatever the sort."""
    CLOSED = "closed"
    """Closed threads, most recent activity first whatever the sort (spam left out)."""
    SPAM = "spam"
    """Threads marked spam (a blocked author's too), most recent activity first."""


class Sort(enum.StrEnum):
    """The order of a list; every order ends with the thread id, so pages never overlap."""

    NEWEST = "newest"
    """Latest activity first."""
    WAITING = "waiting"
    """Longest waiting first: oldest last inbound message first; threads with none last."""
    DUE = "due"
    """Soonest SLA due time first; threads with no due time last."""
    WINDOW = "window"
    """Private replies whose platform window (Messenger's 24 h) closes soonest first.

    The rest after them, newest first.
    """


@dataclass(frozen=True, slots=True)
class ThreadFilter:
    """A view, its sort order and the filters on top of it."""

    view: View = View.OPEN
    sort: Sort = Sort.NEWEST
    platforms: frozenset[str] = frozenset()
    """Platform names; empty means any."""
    account_id: int | None = None
    tag: str | None = None
    assignee: str | None = None
    """A person's handle, or "none" for threads nobody holds."""
    priority: str | None = None
    """A `Priority` value."""
    search_text: str | None = None
    """Words every matching message contains; the rows are the threads of the newest matches."""


@dataclass(frozen=True, slots=True)
class ThreadRow:
    """One line of a thread list."""

    id: int
    account_id: int
    platform: str
    kind: str
    status: str
    priority: str
    author: str | None
    preview: str
    assignee: str | None
    sentiment: float | None
    unread: bool
    item_count: int
    last_activity_at: datetime
    last_inbound_at: datetime | None
    first_response_at: datetime | None
    due_at: datetime | None
    tags: tuple[str, ...] = ()
    incident_id: int | None = None
    snoozed_until: datetime | None = None
    closed_at: datetime | None = None
    version: int = 1
    reply_window_closes_at: datetime | None = None
    """When the platform stops taking private replies (DMs on platforms with a window), or None."""
    mentions_me: bool = False
    """Whether a colleague's note on the thread @mentions the person reading the list."""
    account_handle: str = ""
    spam_at: datetime | None = None
    """When it was marked spam (closed, out of the SLA stats), or None."""
    author_blocked: bool = False
    """Whether its author is blocked (their new messages close as spam)."""
    listed_at: datetime | None = field(default=None, compare=False)
    """The moment the list this row came from was ordered by, None outside a list.

    The page after this row is ordered as of the same moment, so a reply window that
    closes between two pages moves no row from one part of the list to the other.
    """


# -- reading lists ------------------------------------------------------------------------


def _asleep(now: datetime) -> ColumnElement[bool]:
    """Snoozed and not due to wake yet (a snooze with no time sleeps until a message comes)."""
    return and_(
        _thread.c.status == ThreadStatus.SNOOZED,
        or_(_thread.c.snoozed_until.is_(None), _thread.c.snoozed_until > now),
    )


def _open(now: datetime) -> ColumnElement[bool]:
    return and_(_NOT_CLOSED, not_(_asleep(now)))


@dataclass(frozen=True, slots=True)
class _Phase:
    """A stretch of an order that is one index range: rows meeting `condition`, by `keys`."""

    condition: ColumnElement[bool] | None
    keys: tuple[Any, ...]
    descending: bool
    holds: Callable[[ThreadRow], bool]
    """Whether a row read before belongs to this phase."""
    values: Callable[[ThreadRow], tuple[Any, ...]]
    """A row's values of `keys`, to continue after it."""


def _nullable_phases(column_: Any, attribute: str) -> list[_Phase]:
    """Ascending by a column that may be NULL: non-NULL values first, then the NULLs by id."""
    return [
        _Phase(
            column_.is_not(None),
            (column_, _thread.c.id),
            False,
            lambda row: getattr(row, attribute) is not None,
            lambda row: (getattr(row, attribute), row.id),
        ),
        _Phase(
            column_.is_(None),
            (_thread.c.id,),
            False,
            lambda row: getattr(row, attribute) is None,
            lambda row: (row.id,),
        ),
    ]


_NEWEST = [
    _Phase(
        None,
        (_thread.c.last_activity_at, _thread.c.id),
        True,
        lambda row: True,
        lambda row: (row.last_activity_at, row.id),
    )
]


@dataclass(frozen=True, slots=True)
class _ReplyWindows:
    """How long each account may still answer a direct message privately after it came.

    The one statement of the rule: a direct message on a platform with a reply window
    (Messenger's 24 h) can be answered until its last inbound message is that old. The
    window sort and every list line's closing time are both read from here.
    """

    account_ids: dict[timedelta, tuple[int, ...]]
    """The accounts with a window, by its length."""

    @classmethod
    def read(cls, connection: Connection) -> _ReplyWindows:
        """The windows of the accounts there are (none known for a platform not installed)."""
        by_length: dict[timedelta, list[int]] = {}
        for account_id, platform in connection.execute(select(_account.c.id, _account.c.platform)):
            try:
                hours = adapter_class(platform).reply_window_hours
            except KeyError:
                continue
            if hours is not None:
                by_length.setdefault(timedelta(hours=hours), []).append(account_id)
        return cls({length: tuple(ids) for length, ids in by_length.items()})

    def closes_at(self) -> ColumnElement[datetime]:
        """When a thread's window closes, NULL where it has none."""
        if not self.account_ids:
            return type_coerce(null(), UtcDateTime)
        inbound = type_coerce(_thread.c.last_inbound_at, BigInteger)
        return type_coerce(
            case(
                *(
                    (
                        and_(_thread.c.kind == "dm", _thread.c.account_id.in_(ids)),
                        inbound + length // timedelta(microseconds=1),
                    )
                    for length, ids in self.account_ids.items()
                ),
                else_=None,
            ),
            UtcDateTime,
        )

    def open_at(self, moment: datetime) -> ColumnElement[bool]:
        """Threads whose window closes after `moment`: `closes_at() > moment`, written so the
        index of open threads' last inbound times finds them."""
        return and_(
            _thread.c.kind == "dm",
            _thread.c.last_inbound_at.is_not(None),
            or_(
                *(
                    and_(
                        _unindexed(_thread.c.account_id).in_(ids),
                        _thread.c.last_inbound_at > moment - length,
                    )
                    for length, ids in self.account_ids.items()
                )
            ),
        )


def _window_phases(windows: _ReplyWindows, as_of: datetime) -> list[_Phase]:
    """Reply windows open at `as_of`, closing soonest first; then everything else, newest first.

    The first phase is a bounded set (the last day's direct messages), so ordering it by
    the computed closing time is cheap. `as_of` is the moment the list's first page was
    read at, whenever a later page is read: were it the time of each page, a window
    closing in between would move rows already listed, or still to come, to the other phase.
    """
    if not windows.account_ids:
        return _NEWEST
    opened = windows.open_at(as_of)

    def is_open(row: ThreadRow) -> bool:
        return row.reply_window_closes_at is not None and row.reply_window_closes_at > as_of

    return [
        _Phase(
            opened,
            (windows.closes_at(), _thread.c.id),
            False,
            is_open,
            lambda row: (row.reply_window_closes_at, row.id),
        ),
        _Phase(
            not_(opened),
            (_thread.c.last_activity_at, _thread.c.id),
            True,
            lambda row: not is_open(row),
            lambda row: (row.last_activity_at, row.id),
        ),
    ]


def _phases(connection: Connection, query: ThreadFilter, as_of: datetime) -> list[_Phase]:
    """The phases of the query's order, split where they are as of `as_of`.

    Only the window sort's split moves with time; the others split on stored values alone.
    """
    if query.view == View.SNOOZED:
        return _nullable_phases(_thread.c.snoozed_until, "snoozed_until")
    if query.view in (View.CLOSED, View.SPAM) or query.sort == Sort.NEWEST:
        return _NEWEST
    if query.sort == Sort.WAITING:
        return _nullable_phases(_thread.c.last_inbound_at, "last_inbound_at")
    if query.sort == Sort.DUE:
        phases = _nullable_phases(_thread.c.due_at, "due_at")
        return phases[:1] if query.view == View.BREACHING else phases
    return _window_phases(_ReplyWindows.read(connection), as_of)


def _view_condition(
    connection: Connection, view: View, actor: Actor, now: datetime
) -> ColumnElement[bool] | None:
    """The view's condition, or None when the view cannot hold anything."""
    if view == View.CLOSED:
        return and_(_thread.c.status == ThreadStatus.CLOSED, _thread.c.spam_at.is_(None))
    if view == View.SPAM:
        return and_(_thread.c.status == ThreadStatus.CLOSED, _thread.c.spam_at.is_not(None))
    if view == View.SNOOZED:
        return _asleep(now)
    conditions = [_open(now)]
    if view == View.MINE:
        if actor.agent_id is None:
            return None
        conditions.append(_held_by(connection, actor.agent_id))
    elif view == View.UNASSIGNED:
        conditions.append(_held_by(connection, None))
    elif view == View.MENTIONS:
        noted = select(_mention.c.thread_id).where(_mention.c.agent_id == actor.agent_id)
        conditions.append(
            or_(_thread.c.kind == "mention", _thread.c.id.in_(noted))
            if actor.agent_id is not None
            else _thread.c.kind == "mention"
        )
    elif view == View.DMS:
        conditions.append(_thread.c.kind == "dm")
    elif view == View.COMMENTS:
        conditions.append(_thread.c.kind == "comment")
    elif view == View.BREACHING:
        overdue = and_(_thread.c.due_at.is_not(None), _thread.c.due_at <= now)
        if _sparse(connection, and_(_NOT_CLOSED, overdue)):
            conditions.append(overdue)
        else:
            conditions.append(_unindexed(_thread.c.due_at) <= to_micros(now))
    elif view == View.INCIDENT:
        active = list(
            connection.execute(
                select(_incident.c.id).where(_incident.c.status == "active")
            ).scalars()
        )
        if not active:
            return None
        if _sparse(
            connection,
            and_(
                _NOT_CLOSED, _thread.c.incident_id.is_not(None), _thread.c.incident_id.in_(active)
            ),
        ):
            conditions.append(_thread.c.incident_id.in_(active))
        else:
            conditions.append(_unindexed(_thread.c.incident_id).in_(active))
    return and_(*conditions)


def _sparse(connection: Connection, condition: ColumnElement[bool]) -> bool:
    """Whether few threads (under `SPARSE_LIMIT`) meet an indexed `condition`, counted by index."""
    few = select(literal(1)).select_from(_thread).where(condition).limit(SPARSE_LIMIT).subquery()
    return connection.execute(select(func.count()).select_from(few)).scalar_one() < SPARSE_LIMIT


def _held_by(connection: Connection, agent_id: int | None) -> ColumnElement[bool]:
    """Open threads `agent_id` holds (None: nobody does), in the form that reads fastest.

    A person's open threads are usually few, so `ix_thread_assignee_status` finds them
    (one range per open status) and they are sorted; the unassigned ones are usually
    many, so they filter the sort order's scan.
    """
    held = and_(
        _thread.c.assignee_id == agent_id
        if agent_id is not None
        else _thread.c.assignee_id.is_(None),
        _thread.c.status.in_([status for status in ThreadStatus if status != ThreadStatus.CLOSED]),
    )
    if _sparse(connection, held):
        return held
    unindexed = _unindexed(_thread.c.assignee_id)
    return unindexed == agent_id if agent_id is not None else unindexed.is_(None)


def _unindexed(column_: Any) -> Any:
    """The column's value in a form no index serves.

    A filter that many threads meet must not drive the query: the database would read
    every match and sort them all. Written this way it only filters the scan of the sort
    order's index, which finds a page's worth of matches quickly when they are dense.
    """
    return type_coerce(column_, BigInteger) + 0


def _filter_conditions(
    connection: Connection, query: ThreadFilter
) -> list[ColumnElement[bool]] | None:
    """The conditions of the filters on top of the view, or None when nothing can match."""
    conditions: list[ColumnElement[bool]] = []
    if query.platforms:
        account_ids = list(
            connection.execute(
                select(_account.c.id).where(_account.c.platform.in_(sorted(query.platforms)))
            ).scalars()
        )
        if not account_ids:
            return None
        conditions.append(_unindexed(_thread.c.account_id).in_(account_ids))
    if query.account_id is not None:
        conditions.append(_unindexed(_thread.c.account_id) == query.account_id)
    if query.tag:
        name = normalise_tag(query.tag)
        tagged = select(_tag.c.thread_id).where(_tag.c.tag == name)
        if (
            connection.execute(
                select(func.count()).select_from(tagged.limit(TAG_SPARSE_LIMIT).subquery())
            ).scalar_one()
            < TAG_SPARSE_LIMIT
        ):
            conditions.append(_thread.c.id.in_(tagged))
        else:
            conditions.append(
                select(_tag.c.thread_id)
                .where(_tag.c.thread_id == _thread.c.id, _tag.c.tag == name)
                .exists()
            )
    if query.assignee:
        if query.assignee.lower() == "none":
            conditions.append(_held_by(connection, None))
        else:
            conditions.append(_held_by(connection, agent_id_of(connection, query.assignee)))
    if query.priority:
        if query.priority not in Priority.__members__.values():
            raise InvalidInput(
                f"unknown priority {query.priority!r}; priorities: {', '.join(Priority)}"
            )
        conditions.append(_thread.c.priority == query.priority)
    if query.search_text and query.search_text.strip():
        conditions.append(_thread.c.id.in_(_search_matches(connection, query.search_text)))
    return conditions


def _search_matches(connection: Connection, text: str) -> Any:
    """The thread ids of the newest messages containing every word of `text`, as a subquery."""
    words = text.split()
    if connection.dialect.name == "sqlite":
        phrase = " ".join('"' + word.replace('"', '""') + '"' for word in words)
        newest = (
            select(_item_fts.c.rowid)
            .where(_item_fts.c.item_fts.match(phrase))
            .order_by(_item_fts.c.rowid.desc())
            .limit(SEARCH_MATCH_LIMIT)
        )
        return select(_item.c.thread_id).where(_item.c.id.in_(newest))
    return (
        select(_item.c.thread_id)
        .where(
            literal_column("item.text_search").op("@@")(
                func.plainto_tsquery("simple", " ".join(words))
            )
        )
        .order_by(_item.c.id.desc())
        .limit(SEARCH_MATCH_LIMIT)
    )


def list_threads(
    connection: Connection,
    query: ThreadFilter,
    *,
    actor: Actor,
    now: datetime,
    after: ThreadRow | None = None,
    limit: int = 100,
) -> list[ThreadRow]:
    """The rows of `query` after `after` (from the top when None), at most `limit` of them.

    Which threads are in the view is decided as of `now`; the order keeps the moment of
    the first page (`after.listed_at`), so paging never skips or repeats a thread however
    the clock moved between pages.
    """
    view = _view_condition(connection, query.view, actor, now)
    filters = _filter_conditions(connection, query)
    if view is None or filters is None or limit <= 0:
        return []
    as_of = after.listed_at if after is not None and after.listed_at is not None else now
    phases = _phases(connection, query, as_of)
    start = 0
    if after is not None:
        start = next(
            (index for index, phase in enumerate(phases) if phase.holds(after)), len(phases)
        )
    thread_ids: list[int] = []
    for index in range(start, len(phases)):
        phase = phases[index]
        conditions = [view, *filters]
        if phase.condition is not None:
            conditions.append(phase.condition)
        if after is not None and index == start:
            conditions.append(_beyond(phase.keys, phase.values(after), phase.descending))
        order = [key.desc() if phase.descending else key.asc() for key in phase.keys]
        thread_ids.extend(
            connection.execute(
                select(_thread.c.id)
                .where(*conditions)
                .order_by(*order)
                .limit(limit - len(thread_ids))
            ).scalars()
        )
        if len(thread_ids) >= limit:
            break
    return thread_rows(connection, thread_ids, actor=actor, listed_at=as_of)


def count_threads(
    connection: Connection, query: ThreadFilter, *, actor: Actor, now: datetime
) -> int:
    """How many threads `query` lists as of `now`: one COUNT over the same conditions, which
    the indexes of open threads (or of status, for closed ones) serve without the rows."""
    view = _view_condition(connection, query.view, actor, now)
    filters = _filter_conditions(connection, query)
    if view is None or filters is None:
        return 0
    return connection.execute(
        select(func.count()).select_from(_thread).where(view, *filters)
    ).scalar_one()


def _beyond(keys: Sequence[Any], values: Sequence[Any], descending: bool) -> ColumnElement[bool]:
    """Rows after `values` in the order of `keys`: one row-value comparison, which indexes serve."""
    if len(keys) == 1:
        return keys[0] < values[0] if descending else keys[0] > values[0]
    left = tuple_(*keys)
    right = tuple_(*(literal(value, key.type) for key, value in zip(keys, values, strict=True)))
    return left < right if descending else left > right


_ROW_COLUMNS = (
    "id",
    "account_id",
    "kind",
    "status",
    "priority",
    "preview",
    "sentiment",
    "unread",
    "item_count",
    "last_activity_at",
    "last_inbound_at",
    "first_response_at",
    "due_at",
    "incident_id",
    "snoozed_until",
    "closed_at",
    "version",
    "spam_at",
)


def thread_rows(
    connection: Connection,
    thread_ids: Sequence[int],
    *,
    actor: Actor,
    listed_at: datetime | None = None,
) -> list[ThreadRow]:
    """The list lines of `thread_ids`, in that order (ids that do not exist are left out)."""
    if not thread_ids:
        return []
    windows = _ReplyWindows.read(connection)
    found: dict[int, ThreadRow] = {}
    for chunk in chunks(thread_ids):
        tags = _tags_of(connection, chunk)
        mentioned = _mentioning(connection, chunk, actor)
        for line in connection.execute(_lines(chunk, windows)):
            found[line.id] = ThreadRow(
                **line._mapping,
                tags=tuple(tags.get(line.id, ())),
                mentions_me=line.id in mentioned,
                listed_at=listed_at,
            )
    return [found[thread_id] for thread_id in thread_ids if thread_id in found]


def _lines(thread_ids: Sequence[int], windows: _ReplyWindows) -> Select[Any]:
    """The threads' own columns with their account, author, assignee and reply window."""
    assignee = _agent.alias("assignee")
    return (
        select(
            *(_thread.c[name] for name in _ROW_COLUMNS),
            _account.c.platform,
            _account.c.handle.label("account_handle"),
            _contact.c.handle.label("author"),
            func.coalesce(_contact.c.blocked_at.is_not(None), False).label("author_blocked"),
            assignee.c.handle.label("assignee"),
            windows.closes_at().label("reply_window_closes_at"),
        )
        .join(_account, _account.c.id == _thread.c.account_id)
        .outerjoin(_contact, _contact.c.id == _thread.c.contact_id)
        .outerjoin(assignee, assignee.c.id == _thread.c.assignee_id)
        .where(_thread.c.id.in_(thread_ids))
    )


def _tags_of(connection: Connection, thread_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each thread's tags in alphabetical order; threads without any are left out."""
    tags: dict[int, list[str]] = {}
    for thread_id, name in connection.execute(
        select(_tag.c.thread_id, _tag.c.tag)
        .where(_tag.c.thread_id.in_(thread_ids))
        .order_by(_tag.c.tag)
    ):
        tags.setdefault(thread_id, []).append(name)
    return tags


def _mentioning(connection: Connection, thread_ids: Sequence[int], actor: Actor) -> set[int]:
    """Which of the threads have a colleague's note that @mentions `actor`."""
    if actor.agent_id is None:
        return set()
    return set(
        connection.execute(
            select(_mention.c.thread_id).where(
                _mention.c.agent_id == actor.agent_id, _mention.c.thread_id.in_(thread_ids)
            )
        ).scalars()
    )


def thread_row(connection: Connection, thread_id: int, *, actor: Actor) -> ThreadRow:
    """One thread's list line; NotFound if there is no such thread."""
    rows = thread_rows(connection, [thread_id], actor=actor)
    if not rows:
        raise NotFound(f"no thread {thread_id}")
    return rows[0]
