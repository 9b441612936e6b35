"""Triage: the thread lists people work from, and the changes they make to threads.

A list is a view (mine, unassigned, breaching, ...) read in one of four sort orders, a
page at a time by keyset: the caller hands back the last row it holds and gets the rows
after it. Every order is one or two "phases", each a plain range scan of an index on
(sort key, id): a sort key that can be NULL (nobody wrote yet, no SLA due time) is read
as its non-NULL rows first and then the NULL ones by id, so no page ever sorts the whole
table. Open threads are a small part of a big inbox, so the indexes behind open views
are partial (`status != 'closed'`), and the queries carry that term word for word so
SQLite and PostgreSQL both see they may use them. A filter few threads meet (a rare tag,
a handful of breaching threads) drives the query instead, and only its matches are
sorted; whether they are few is counted first, by index and capped.

Writes take many thread ids at once and return a `BulkResult`: what changed and, per
thread, why not. Each bumps the thread's `version` (so a reply composed before the change
is checked again) and appends its event in the same transaction. Functions here take a
Connection; `InboxService` checks roles and opens the transactions.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Sequence
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
    delete,
    func,
    insert,
    literal,
    literal_column,
    not_,
    null,
    or_,
    select,
    tuple_,
    type_coerce,
    update,
)
from sqlalchemy.sql import column, table

from adapters.registry import adapter_class
from inbox import events
from inbox.core import sanitize
from inbox.core.access import ASSIGNABLE_ROLES
from inbox.core.errors import InvalidInput, NotFound, PermissionDenied
from inbox.core.models import (
    Account,
    Agent,
    Contact,
    Event,
    Incident,
    Item,
    Note,
    NoteMention,
    Presence,
    Priority,
    Thread,
    ThreadStatus,
    ThreadTag,
    UtcDateTime,
    to_micros,
)
from inbox.store.ingest import insert_ignoring_conflicts

if TYPE_CHECKING:
    from inbox.core.access import Actor

_thread = Thread.__table__
_account = Account.__table__
_agent = Agent.__table__
_contact = Contact.__table__
_tag = ThreadTag.__table__
_note = Note.__table__
_mention = NoteMention.__table__
_presence = Presence.__table__
_event = Event.__table__
_incident = Incident.__table__
_item = Item.__table__
_item_fts = table("item_fts", column("rowid"), column("item_fts"))

PRESENCE_TTL = timedelta(seconds=30)
"""How long "viewing" or "replying" lasts unless the screen says so again."""

PRESENCE_ACTIVITIES = ("viewing", "replying")

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

MAX_TAG_LENGTH = 64
_ID_CHUNK = 5_000
"""Thread ids per IN list; SQLite takes 32,766 parameters, PostgreSQL 65,535."""

MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.-]+)")
"""An @handle in a note; the look-behind keeps e-mail addresses (a@b.com) out."""

_NOT_CLOSED = _thread.c.status != literal_column("'closed'")
"""The term the partial indexes of open threads are declared with, as a literal."""



class View(enum.StrEnum):
    """Which threads a list shows. "Open" means new, open or pending, or snoozed until a time now past."""

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
    """Closed threads, most recent activity first whatever the sort."""


class Sort(enum.StrEnum):
    """The order of a list; every order ends with the thread id, so pages never overlap."""

    NEWEST = "newest"
    """Latest activity first."""
    WAITING = "waiting"
    """Longest waiting first: oldest last inbound message first; threads with none last."""
    DUE = "due"
    """Soonest SLA due time first; threads with no due time last."""
    WINDOW = "window"
    """Private replies whose platform window (Messenger's 24 h) closes soonest first; the rest after, newest first."""


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
    """When the platform stops accepting a private reply (DMs on platforms with a window), else None."""
    mentions_me: bool = False
    """Whether a colleague's note on the thread @mentions the person reading the list."""
    account_handle: str = ""
    listed_at: datetime | None = field(default=None, compare=False)
    """The moment the list this row came from was ordered by, None outside a list.

    The page after this row is ordered as of the same moment, so a reply window that
    closes between two pages moves no row from one part of the list to the other.
    """


@dataclass(frozen=True, slots=True)
class BulkResult:
    """What a change to many threads did: the threads changed, and why the others were not."""

    changed: tuple[int, ...] = ()
    refused: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NoteRow:
    """An internal note on a thread."""

    id: int
    thread_id: int
    author: str
    body: str
    mentions: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One thing that happened to a thread, as a sentence."""

    at: datetime
    actor: str
    type: str
    text: str


@dataclass(frozen=True, slots=True)
class AuthorCard:
    """Who wrote a thread, and what else they wrote."""

    handle: str
    display_name: str | None
    platform: str
    first_seen_at: datetime
    thread_count: int
    other_threads: list[ThreadRow]
    """Their other threads, newest first, at most ten."""


@dataclass(frozen=True, slots=True)
class PresenceRow:
    """Someone else who has a thread open right now."""

    handle: str
    activity: str


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
    if query.view == View.CLOSED or query.sort == Sort.NEWEST:
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
        return _thread.c.status == ThreadStatus.CLOSED
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
            connection.execute(select(_incident.c.id).where(_incident.c.status == "active")).scalars()
        )
        if not active:
            return None
        if _sparse(connection, and_(_NOT_CLOSED, _thread.c.incident_id.is_not(None), _thread.c.incident_id.in_(active))):
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
        _thread.c.assignee_id == agent_id if agent_id is not None else _thread.c.assignee_id.is_(None),
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
        if connection.execute(
            select(func.count()).select_from(tagged.limit(TAG_SPARSE_LIMIT).subquery())
        ).scalar_one() < TAG_SPARSE_LIMIT:
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
        start = next((index for index, phase in enumerate(phases) if phase.holds(after)), len(phases))
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


def _beyond(keys: Sequence[Any], values: Sequence[Any], descending: bool) -> ColumnElement[bool]:
    """Rows after `values` in the order of `keys`: one row-value comparison, which indexes serve."""
    if len(keys) == 1:
        return keys[0] < values[0] if descending else keys[0] > values[0]
    left = tuple_(*keys)
    right = tuple_(*(literal(value, key.type) for key, value in zip(keys, values, strict=True)))
    return left < right if descending else left > right


_ROW_COLUMNS = (
    "id", "account_id", "kind", "status", "priority", "preview", "sentiment", "unread",
    "item_count", "last_activity_at", "last_inbound_at", "first_response_at", "due_at",
    "incident_id", "snoozed_until", "closed_at", "version",
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
    for chunk in _chunks(thread_ids):
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


def _chunks(values: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), _ID_CHUNK):
        yield list(values[start : start + _ID_CHUNK])


def agent_id_of(connection: Connection, handle: str) -> int:
    """A person's id by handle (an @ in front is fine); InvalidInput names the handles there are."""
    wanted = handle.strip().lstrip("@")
    people = dict(connection.execute(select(_agent.c.handle, _agent.c.id)).all())
    for known, agent_id in people.items():
        if known.lower() == wanted.lower():
            return agent_id
    raise InvalidInput(f"no person with the handle {wanted!r}; handles: {', '.join(sorted(people))}")


# -- reading one thread -------------------------------------------------------------------


def notes(connection: Connection, thread_id: int) -> list[NoteRow]:
    """A thread's notes, oldest first."""
    rows = connection.execute(
        select(_note, _agent.c.handle.label("author"))
        .join(_agent, _agent.c.id == _note.c.agent_id)
        .where(_note.c.thread_id == thread_id)
        .order_by(_note.c.created_at, _note.c.id)
    )
    return [
        NoteRow(
            id=row.id,
            thread_id=row.thread_id,
            author=row.author,
            body=row.body,
            mentions=tuple(row.mentions or ()),
            created_at=row.created_at,
        )
        for row in rows
    ]


def history(connection: Connection, thread_id: int, limit: int = 200) -> list[HistoryEntry]:
    """The latest `limit` things that happened to a thread, oldest first, one sentence each.

    Presence comes and goes every few seconds and is left out.
    """
    rows = connection.execute(
        select(_event.c.at, _event.c.actor, _event.c.type, _event.c.payload)
        .where(_event.c.thread_id == thread_id, _event.c.type != events.PRESENCE_CHANGED)
        .order_by(_event.c.id.desc())
        .limit(limit)
    ).all()
    return [
        HistoryEntry(at=row.at, actor=row.actor, type=row.type, text=history_text(row.actor, row.type, row.payload or {}))
        for row in reversed(rows)
    ]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def history_text(actor: str, event_type: str, payload: dict[str, Any]) -> str:
    """One event as a plain sentence for a thread's history."""
    tags = ", ".join(payload.get("tags") or ([payload["tag"]] if payload.get("tag") else []))
    match event_type:
        case events.THREAD_CREATED:
            return "the first " + ("message arrived" if payload.get("count", 1) == 1 else f"{payload['count']} messages arrived")
        case events.ITEMS_ARRIVED:
            return _plural(payload.get("count", 1), "new message") + " arrived"
        case events.THREAD_REOPENED:
            return "a new message reopened it"
        case events.THREAD_ASSIGNED:
            before, after = payload.get("from"), payload.get("to")
            if after is None:
                return f"{actor} unassigned it" + (f" from {before}" if before else "")
            if after == actor and before is None:
                return f"{actor} took it"
            return f"{actor} assigned this to {after}" + (f" (was {before})" if before else "")
        case events.THREAD_TAGGED:
            return f"{actor} tagged it {tags}"
        case events.THREAD_UNTAGGED:
            return f"{actor} removed the tag {tags}"
        case events.THREAD_STATUS_CHANGED:
            text = f"status {payload.get('from', '?')} -> {payload.get('to', '?')}"
            if payload.get("until"):
                text += f" until {datetime.fromisoformat(payload['until']):%Y-%m-%d %H:%M} UTC"
            return f"{text} by {actor}"
        case events.THREAD_PRIORITY_CHANGED:
            return f"{actor} set the priority to {payload.get('to')} (was {payload.get('from')})"
        case events.NOTE_ADDED:
            mentions = payload.get("mentions") or []
            return f"{actor} added a note" + (" mentioning " + ", ".join(mentions) if mentions else "")
        case events.OUTBOUND_QUEUED:
            return f"{payload.get('kind', 'reply')} queued by {actor}"
        case events.OUTBOUND_AWAITING_APPROVAL:
            return f"{payload.get('kind', 'reply')} by {actor} waits for a lead's approval"
        case events.OUTBOUND_APPROVED:
            return f"{actor} approved the reply"
        case events.OUTBOUND_REJECTED:
            return f"{actor} rejected the reply" + (f": {payload['note']}" if payload.get("note") else "")
        case events.OUTBOUND_SENT:
            return "reply sent"
        case events.OUTBOUND_RETRYING:
            return "sending failed; trying again"
        case events.OUTBOUND_FAILED:
            return "reply failed" + (f": {payload['error']}" if payload.get("error") else "")
        case events.OUTBOUND_UNKNOWN:
            return "reply may or may not have gone out; check before sending again"
        case events.OUTBOUND_CANCELLED:
            return f"{actor} withdrew the reply"
    return f"{event_type.replace('.', ' ').replace('_', ' ')} ({actor})"


def author_card(connection: Connection, thread_id: int, *, actor: Actor) -> AuthorCard:
    """The author of a thread, how many threads they have, and their latest others."""
    row = connection.execute(
        select(_contact).join(_thread, _thread.c.contact_id == _contact.c.id).where(_thread.c.id == thread_id)
    ).first()
    if row is None:
        if connection.execute(select(_thread.c.id).where(_thread.c.id == thread_id)).first() is None:
            raise NotFound(f"no thread {thread_id}")
        raise NotFound(f"thread {thread_id} has no known author")
    count = connection.execute(
        select(func.count()).select_from(_thread).where(_thread.c.contact_id == row.id)
    ).scalar_one()
    others = connection.execute(
        select(_thread.c.id)
        .where(_thread.c.contact_id == row.id, _thread.c.id != thread_id)
        .order_by(_thread.c.last_activity_at.desc(), _thread.c.id.desc())
        .limit(10)
    ).scalars()
    return AuthorCard(
        handle=row.handle,
        display_name=row.display_name,
        platform=row.platform,
        first_seen_at=row.first_seen_at,
        thread_count=count,
        other_threads=thread_rows(connection, list(others), actor=actor),
    )


def presence(
    connection: Connection, thread_ids: Iterable[int], *, actor: Actor, now: datetime
) -> dict[int, tuple[PresenceRow, ...]]:
    """Who else has each of `thread_ids` open now; threads nobody else has are left out."""
    found: dict[int, list[PresenceRow]] = {}
    for chunk in _chunks(list(thread_ids)):
        conditions = [_presence.c.thread_id.in_(chunk), _presence.c.expires_at > now]
        if actor.agent_id is not None:
            conditions.append(_presence.c.agent_id != actor.agent_id)
        rows = connection.execute(
            select(_presence.c.thread_id, _agent.c.handle, _presence.c.activity)
            .join(_agent, _agent.c.id == _presence.c.agent_id)
            .where(*conditions)
            .order_by(_presence.c.thread_id, _agent.c.handle)
        )
        for thread_id, handle, activity in rows:
            found.setdefault(thread_id, []).append(PresenceRow(handle, activity))
    return {thread_id: tuple(rows) for thread_id, rows in found.items()}


def tags_in_use(connection: Connection, limit: int = 200) -> list[str]:
    """Distinct tags in alphabetical order, read by skipping through the tag index."""
    steps = (
        select(func.min(_tag.c.tag).label("tag")).cte("tags", recursive=True)
    )
    following = (
        select(func.min(_tag.c.tag))
        .where(_tag.c.tag > steps.c.tag)
        .scalar_subquery()
    )
    steps = steps.union_all(select(following).where(steps.c.tag.is_not(None)))
    return list(
        connection.execute(select(steps.c.tag).where(steps.c.tag.is_not(None)).limit(limit)).scalars()
    )


# -- changing threads ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Target:
    id: int
    status: str
    assignee_id: int | None
    assignee: str | None
    priority: str


def _targets(connection: Connection, thread_ids: Sequence[int]) -> dict[int, _Target]:
    """The threads to change, locked for the transaction where the database can."""
    found = {}
    for chunk in _chunks(list(dict.fromkeys(thread_ids))):
        rows = connection.execute(
            select(
                _thread.c.id,
                _thread.c.status,
                _thread.c.assignee_id,
                _agent.c.handle.label("assignee"),
                _thread.c.priority,
            )
            .outerjoin(_agent, _agent.c.id == _thread.c.assignee_id)
            .where(_thread.c.id.in_(chunk))
            .with_for_update(of=_thread)
        )
        found.update((row.id, _Target(**row._mapping)) for row in rows)
    return found


def refusal(actor: Actor, target: _Target) -> str | None:
    """Why `actor` may not change this thread, or None: agents change their own and unassigned ones."""
    return actor.thread_refusal(target.assignee_id, target.assignee)


def _apply(
    connection: Connection,
    thread_ids: Sequence[int],
    values: dict[str, Any],
    *,
    actor: Actor,
    now: datetime,
    refuse: Callable[[_Target], str | None],
    event_type: str,
    payload: Callable[[_Target], dict[str, Any]],
) -> BulkResult:
    """Set `values` on each thread `refuse` has no reason to leave, and record each change."""
    targets = _targets(connection, thread_ids)
    changed: list[int] = []
    refused: dict[int, str] = {}
    for thread_id in dict.fromkeys(thread_ids):
        target = targets.get(thread_id)
        reason = "no such thread" if target is None else refusal(actor, target) or refuse(target)
        if reason:
            refused[thread_id] = reason
        else:
            changed.append(thread_id)
    for chunk in _chunks(changed):
        connection.execute(
            update(_thread).where(_thread.c.id.in_(chunk)).values(version=_thread.c.version + 1, **values)
        )
    events.append_many(
        connection,
        (_event_row(now, actor, event_type, thread_id, payload(targets[thread_id])) for thread_id in changed),
    )
    return BulkResult(tuple(changed), refused)


def assign(
    connection: Connection,
    thread_ids: Sequence[int],
    handle: str | None,
    *,
    actor: Actor,
    now: datetime,
    only_unassigned: bool = False,
) -> BulkResult:
    """Give threads to the person with `handle` (None: to nobody).

    `only_unassigned` is taking: threads someone already holds are refused.
    """
    assignee_id = None
    if handle is not None:
        assignee_id = agent_id_of(connection, handle)
        person = connection.execute(
            select(_agent.c.handle, _agent.c.role, _agent.c.active).where(_agent.c.id == assignee_id)
        ).one()
        handle = person.handle
        if person.role not in ASSIGNABLE_ROLES:
            raise InvalidInput(f"{handle} is a supervisor; supervisors read threads and do not hold them")
        if not person.active:
            raise InvalidInput(f"{handle} is no longer active")

    def refuse(target: _Target) -> str | None:
        if target.assignee_id == assignee_id:
            if assignee_id == actor.agent_id:
                return "already yours"
            return f"already assigned to {handle}" if handle else "already unassigned"
        if only_unassigned and target.assignee_id is not None:
            return f"already assigned to {target.assignee} (a lead can reassign it)"
        return None

    return _apply(
        connection,
        thread_ids,
        {"assignee_id": assignee_id},
        actor=actor,
        now=now,
        refuse=refuse,
        event_type=events.THREAD_ASSIGNED,
        payload=lambda target: {"from": target.assignee, "to": handle},
    )


def normalise_tag(tag: str) -> str:
    """A tag as stored: trimmed, lower case, inner spaces as "-"; InvalidInput if empty or too long."""
    normal = "-".join(tag.strip().lower().split())
    if not normal:
        raise InvalidInput("a tag cannot be empty")
    if len(normal) > MAX_TAG_LENGTH:
        raise InvalidInput(f"tag {normal[:20]!r}… is too long ({MAX_TAG_LENGTH} characters at most)")
    return sanitize.for_display(normal)


def tag(
    connection: Connection,
    thread_ids: Sequence[int],
    add: Sequence[str],
    remove: Sequence[str],
    *,
    actor: Actor,
    now: datetime,
) -> BulkResult:
    """Add and remove tags; a thread counts as changed if any tag went on or came off."""
    adding = list(dict.fromkeys(normalise_tag(name) for name in add))
    removing = [name for name in dict.fromkeys(normalise_tag(name) for name in remove) if name not in adding]
    if not adding and not removing:
        raise InvalidInput("name a tag to add or remove")
    targets = _targets(connection, thread_ids)
    present: dict[int, set[str]] = {}
    for chunk in _chunks(list(targets)):
        for thread_id, name in connection.execute(
            select(_tag.c.thread_id, _tag.c.tag).where(
                _tag.c.thread_id.in_(chunk), _tag.c.tag.in_(adding + removing)
            )
        ):
            present.setdefault(thread_id, set()).add(name)
    changed: list[int] = []
    refused: dict[int, str] = {}
    rows: list[dict[str, Any]] = []
    for thread_id in dict.fromkeys(thread_ids):
        target = targets.get(thread_id)
        if target is None:
            refused[thread_id] = "no such thread"
            continue
        reason = refusal(actor, target)
        if reason:
            refused[thread_id] = reason
            continue
        has = present.get(thread_id, set())
        added = [name for name in adding if name not in has]
        removed = [name for name in removing if name in has]
        if not added and not removed:
            refused[thread_id] = "its tags are already so"
            continue
        if added:
            connection.execute(insert(_tag), [{"thread_id": thread_id, "tag": name} for name in added])
            rows.append(_event_row(now, actor, events.THREAD_TAGGED, thread_id, {"tags": added}))
        if removed:
            connection.execute(delete(_tag).where(_tag.c.thread_id == thread_id, _tag.c.tag.in_(removed)))
            rows.append(_event_row(now, actor, events.THREAD_UNTAGGED, thread_id, {"tags": removed}))
        connection.execute(
            update(_thread).where(_thread.c.id == thread_id).values(version=_thread.c.version + 1)
        )
        changed.append(thread_id)
    events.append_many(connection, rows)
    return BulkResult(tuple(changed), refused)


def _event_row(now: datetime, actor: Actor, event_type: str, thread_id: int, payload: dict[str, Any]) -> dict[str, Any]:
    return {"at": now, "actor": actor.handle, "type": event_type, "thread_id": thread_id, "payload": payload}


def _status_payload(target: _Target, values: dict[str, Any]) -> dict[str, Any]:
    payload = {"from": target.status, "to": values["status"]}
    if values.get("snoozed_until") is not None:
        payload["until"] = values["snoozed_until"].isoformat()
    return payload


def snooze(
    connection: Connection, thread_ids: Sequence[int], until: datetime, *, actor: Actor, now: datetime
) -> BulkResult:
    """Put threads aside until `until`; the SLA clock stops meanwhile."""
    if until.tzinfo is None:
        raise InvalidInput("a snooze time needs a time zone")
    if until <= now:
        raise InvalidInput(f"{until:%Y-%m-%d %H:%M} UTC has passed; snooze until a time to come")
    values = {"status": ThreadStatus.SNOOZED, "snoozed_until": until, "due_at": None}
    return _apply(
        connection, thread_ids, values, actor=actor, now=now,
        refuse=lambda target: "closed; reopen it first" if target.status == ThreadStatus.CLOSED else None,
        event_type=events.THREAD_STATUS_CHANGED,
        payload=lambda target: _status_payload(target, values),
    )


def close(connection: Connection, thread_ids: Sequence[int], *, actor: Actor, now: datetime) -> BulkResult:
    """Mark threads done; a new message from the customer reopens them."""
    values = {"status": ThreadStatus.CLOSED, "closed_at": now, "snoozed_until": None, "due_at": None}
    return _apply(
        connection, thread_ids, values, actor=actor, now=now,
        refuse=lambda target: "already closed" if target.status == ThreadStatus.CLOSED else None,
        event_type=events.THREAD_STATUS_CHANGED,
        payload=lambda target: _status_payload(target, values),
    )


def reopen(connection: Connection, thread_ids: Sequence[int], *, actor: Actor, now: datetime) -> BulkResult:
    """Bring closed or snoozed threads back to open."""
    values = {"status": ThreadStatus.OPEN, "closed_at": None, "snoozed_until": None}
    asleep_or_closed = (ThreadStatus.CLOSED, ThreadStatus.SNOOZED)
    return _apply(
        connection, thread_ids, values, actor=actor, now=now,
        refuse=lambda target: None if target.status in asleep_or_closed else f"already {target.status}",
        event_type=events.THREAD_STATUS_CHANGED,
        payload=lambda target: _status_payload(target, values),
    )


def set_priority(
    connection: Connection, thread_ids: Sequence[int], priority: str, *, actor: Actor, now: datetime
) -> BulkResult:
    """Change how urgent threads are (which can change their SLA target)."""
    if priority not in Priority.__members__.values():
        raise InvalidInput(f"unknown priority {priority!r}; priorities: {', '.join(Priority)}")
    return _apply(
        connection, thread_ids, {"priority": priority}, actor=actor, now=now,
        refuse=lambda target: f"already {priority}" if target.priority == priority else None,
        event_type=events.THREAD_PRIORITY_CHANGED,
        payload=lambda target: {"from": target.priority, "to": priority},
    )


def mark_read(connection: Connection, thread_id: int, *, actor: Actor) -> None:
    """Clear the unread mark, if the thread is the actor's or nobody's.

    Unread means "the person holding it has not looked", so a lead glancing at someone
    else's thread leaves the mark. No event: reading is not a change others must see at
    once, and one event per glance would flood every open screen.
    """
    target = _targets(connection, [thread_id]).get(thread_id)
    if target is None:
        raise NotFound(f"no thread {thread_id}")
    if target.assignee_id not in (None, actor.agent_id):
        return
    connection.execute(
        update(_thread).where(_thread.c.id == thread_id, _thread.c.unread.is_(True)).values(unread=False)
    )


def mentioned_handles(connection: Connection, body: str) -> dict[str, int]:
    """The colleagues a note @mentions, handle to id; InvalidInput names an @name nobody has."""
    people = {
        handle.lower(): (handle, agent_id)
        for handle, agent_id in connection.execute(
            select(_agent.c.handle, _agent.c.id).where(_agent.c.active.is_(True))
        )
    }
    found: dict[str, int] = {}
    unknown: list[str] = []
    for match in MENTION.finditer(body):
        name = match.group(1).rstrip(".")
        person = people.get(name.lower())
        if person is None:
            if name not in unknown:
                unknown.append(name)
            continue
        found.setdefault(person[0], person[1])
    if unknown:
        handles = ", ".join("@" + handle for handle, _ in sorted(people.values()))
        names = ", ".join("@" + name for name in unknown)
        raise InvalidInput(f"{names} is no colleague's handle; nothing was saved. Handles: {handles}")
    return found


def add_note(connection: Connection, thread_id: int, body: str, *, actor: Actor, now: datetime) -> NoteRow:
    """Add an internal note; the colleagues it @mentions (not its author) see the thread under Mentions."""
    text = sanitize.for_storage(body.strip())
    if not text:
        raise InvalidInput("a note needs some text")
    if actor.agent_id is None:
        raise InvalidInput(f"{actor.handle} is not a person here; pass --as HANDLE to write notes")
    mentions = mentioned_handles(connection, text)
    target = _targets(connection, [thread_id]).get(thread_id)
    if target is None:
        raise NotFound(f"no thread {thread_id}")
    reason = refusal(actor, target)
    if reason:
        raise PermissionDenied(f"thread {thread_id} is {reason}")
    note_id = connection.execute(
        insert(_note).values(
            thread_id=thread_id, agent_id=actor.agent_id, body=text, mentions=list(mentions), created_at=now
        )
    ).inserted_primary_key[0]
    others = [agent_id for agent_id in mentions.values() if agent_id != actor.agent_id]
    if others:
        connection.execute(
            insert(_mention),
            [{"note_id": note_id, "agent_id": agent_id, "thread_id": thread_id} for agent_id in others],
        )
    connection.execute(update(_thread).where(_thread.c.id == thread_id).values(version=_thread.c.version + 1))
    events.append(
        connection,
        at=now,
        actor=actor.handle,
        type=events.NOTE_ADDED,
        thread_id=thread_id,
        payload={"note_id": note_id, "mentions": list(mentions)},
    )
    return NoteRow(note_id, thread_id, actor.handle, text, tuple(mentions), now)


def set_presence(
    connection: Connection, thread_id: int, activity: str, *, actor: Actor, now: datetime
) -> None:
    """Say the actor is viewing or replying to a thread, for the next `PRESENCE_TTL`.

    A refresh of the same activity only moves the expiry; an event is written when the
    row is new, had expired, or the activity changed, so other screens update at once.
    """
    if activity not in PRESENCE_ACTIVITIES:
        raise InvalidInput(f"unknown activity {activity!r}; one of {', '.join(PRESENCE_ACTIVITIES)}")
    if actor.agent_id is None:
        return
    if connection.execute(select(_thread.c.id).where(_thread.c.id == thread_id)).first() is None:
        raise NotFound(f"no thread {thread_id}")
    connection.execute(delete(_presence).where(_presence.c.expires_at <= now))
    key = and_(_presence.c.agent_id == actor.agent_id, _presence.c.thread_id == thread_id)
    previous = connection.execute(select(_presence.c.activity).where(key)).scalar()
    expires_at = now + PRESENCE_TTL
    if previous is None:
        connection.execute(
            insert_ignoring_conflicts(connection, _presence).values(
                agent_id=actor.agent_id, thread_id=thread_id, activity=activity, expires_at=expires_at
            )
        )
    connection.execute(update(_presence).where(key).values(activity=activity, expires_at=expires_at))
    if previous != activity:
        events.append(
            connection,
            at=now,
            actor=actor.handle,
            type=events.PRESENCE_CHANGED,
            thread_id=thread_id,
            payload={"activity": activity},
        )


def clear_presence(connection: Connection, thread_id: int, *, actor: Actor, now: datetime) -> None:
    """Say the actor has left a thread; others are told if they could still see them there."""
    if actor.agent_id is None:
        return
    key = and_(_presence.c.agent_id == actor.agent_id, _presence.c.thread_id == thread_id)
    live = connection.execute(select(_presence.c.expires_at).where(key)).scalar()
    if live is None:
        return
    connection.execute(delete(_presence).where(key))
    if live > now:
        events.append(
            connection,
            at=now,
            actor=actor.handle,
            type=events.PRESENCE_CHANGED,
            thread_id=thread_id,
            payload={"activity": None},
        )

