"""SLA policies: response-time targets, the business calendar they run on, and `due_at`.

Times here are integers, microseconds since the epoch, as the database stores them: the
stats read thousands of them at once and convert none. A thread's clock runs only in
business hours (weekly hours in a time zone, minus holidays) and stops while the thread
is pending or snoozed. Pauses come from the event log: `thread.status_changed` events
whose payload names the new status as `to` (a snooze may add `until`, an ISO time), and
`thread.reopened`, which ingest writes when a new message wakes a thread.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    bindparam,
    case,
    func,
    select,
    type_coerce,
    update,
)

from inbox import events
from inbox.core.models import (
    Account,
    Contact,
    Event,
    Item,
    Thread,
    ThreadStatus,
    from_micros,
    to_micros,
)
from inbox.core.sla_settings import WEEKDAYS, SlaSettings, parse_spans

MICROS = 1_000_000
_DAY = 86_400 * MICROS
_COVER_PADDING_DAYS = 31
_MAX_SEARCH_DAYS = 3 * 366
PAUSED_STATUSES = frozenset({ThreadStatus.PENDING, ThreadStatus.SNOOZED})
"""Statuses in which the SLA clock stops: the ball is in the customer's court, or parked."""

_thread = Thread.__table__
_item = Item.__table__
_account = Account.__table__
_event = Event.__table__
_contact = Contact.__table__
_ID_CHUNK = 5_000
"""Thread ids per query; SQLite takes 32,766 parameters, PostgreSQL 65,535."""

Pause = tuple[int, int]
"""A stretch (start, end) in microseconds during which a thread's clock stood still."""


class BusinessCalendar:
    """Business hours in a time zone, as a table of open intervals with running totals.

    The table covers a range of local dates and grows on demand; `position` is the
    business time since the table's origin, so differences of positions taken after one
    `cover` call are business durations.
    """

    def __init__(
        self,
        zone: ZoneInfo,
        weekly: Sequence[Sequence[tuple[int, int]]],
        holidays: Iterable[date] = (),
    ) -> None:
        if not any(weekly):
            raise ValueError("a business calendar needs at least one open hour a week")
        self.zone = zone
        self._weekly = [tuple(spans) for spans in weekly]
        self._holidays = frozenset(holidays)
        self._first_day: date | None = None
        self._last_day: date | None = None
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._before: list[int] = []
        self._after: list[int] = []
        self._padded: tuple[list[int], list[int], list[int]] = ([0], [0], [0])
        """starts, ends and before with a leading 0, for `positions` (built once per table)."""
        self._covered = (0, 0)
        """The microseconds the table spans, so `cover` can answer without date arithmetic."""

    @classmethod
    def from_settings(cls, settings: SlaSettings) -> BusinessCalendar:
        """The calendar the SLA settings describe."""
        weekly = [parse_spans(settings.hours.get(day, "closed")) or () for day in WEEKDAYS]
        return cls(ZoneInfo(settings.timezone), weekly, settings.holidays)

    def local_date(self, micros: int) -> date:
        """The date in the calendar's time zone at `micros`."""
        return from_micros(micros).astimezone(self.zone).date()

    def cover(self, start: int, end: int) -> None:
        """Make sure the table spans `start`..`end` (microseconds), rebuilding it if not."""
        covered_from, covered_until = self._covered
        if covered_from + _DAY <= start and max(start, end) + _DAY <= covered_until:
            return
        first = self.local_date(start) - timedelta(days=1)
        last = self.local_date(max(start, end)) + timedelta(days=1)
        if self._first_day is not None and self._first_day <= first and last <= self._last_day:
            return
        if self._first_day is not None:
            first, last = min(first, self._first_day), max(last, self._last_day)
        self._build(
            first - timedelta(days=_COVER_PADDING_DAYS), last + timedelta(days=_COVER_PADDING_DAYS)
        )

    def _build(self, first: date, last: date) -> None:
        starts, ends, before, after = [], [], [], []
        total = 0
        day = first
        while day <= last:
            if day not in self._holidays:
                for open_minute, close_minute in self._weekly[day.weekday()]:
                    opens, closes = (
                        self._local_micros(day, open_minute),
                        self._local_micros(day, close_minute),
                    )
                    if closes <= opens:
                        continue
                    starts.append(opens)
                    ends.append(closes)
                    before.append(total)
                    total += closes - opens
                    after.append(total)
            day += timedelta(days=1)
        self._first_day, self._last_day = first, last
        self._starts, self._ends, self._before, self._after = starts, ends, before, after
        self._padded = ([0, *starts], [0, *ends], [0, *before])
        self._covered = (self._local_micros(first, 0), self._local_micros(last, 24 * 60))

    def _local_micros(self, day: date, minute: int) -> int:
        day_offset, minute = divmod(minute, 24 * 60)
        local = datetime.combine(day + timedelta(days=day_offset), datetime.min.time(), self.zone)
        local = local.replace(hour=minute // 60, minute=minute % 60)
        return to_micros(local)

    def positions(self, moments: Sequence[int]) -> list[int]:
        """Business time since the table's origin at each moment; `cover` them first."""
        starts, ends, before = self._padded
        return [
            before[index] + min(moment, ends[index]) - starts[index]
            for moment, index in zip(moments, map(partial(bisect_right, self._starts), moments))
        ]

    def elapsed(self, start: int, end: int) -> int:
        """Business microseconds between `start` and `end` (0 when end is not later)."""
        if end <= start:
            return 0
        self.cover(start, end)
        opened, closed = self.positions((start, end))
        return closed - opened

    def add(self, start: int, business: int) -> int:
        """The first moment at which `business` microseconds of business time have passed since
        `start`."""
        horizon = max(14 * _DAY, 3 * business)
        while True:
            self.cover(start, start + horizon)
            target = self.positions((start,))[0] + max(business, 0)
            index = bisect_left(self._after, target)
            if index < len(self._after):
                return max(start, self._starts[index] + (target - self._before[index]))
            if horizon > _MAX_SEARCH_DAYS * _DAY:
                raise ValueError(
                    "no business hours within three years; check the opening hours and "
                    "holidays (`inbox team sla show`)"
                )
            horizon *= 2


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """Targets per platform, kind and priority, on one business calendar."""

    calendar: BusinessCalendar
    default_seconds: int
    kind_seconds: Mapping[str, int] = field(default_factory=dict)
    priority_seconds: Mapping[str, int] = field(default_factory=dict)
    platform_seconds: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: SlaSettings | None = None) -> SlaPolicy:
        """The policy of the SLA settings (the defaults when None); the team's are in the
        database (`inbox.store.team_settings`)."""
        settings = settings if settings is not None else SlaSettings()
        return cls(
            calendar=BusinessCalendar.from_settings(settings),
            default_seconds=settings.first_response_minutes * 60,
            kind_seconds={name: minutes * 60 for name, minutes in settings.kind.items()},
            priority_seconds={name: minutes * 60 for name, minutes in settings.priority.items()},
            platform_seconds={name: minutes * 60 for name, minutes in settings.platform.items()},
        )

    def target_seconds(self, platform: str, kind: str, priority: str) -> int:
        """Business seconds allowed to answer: the smallest matching target, else the default."""
        matching = [
            targets[name]
            for targets, name in (
                (self.platform_seconds, platform),
                (self.kind_seconds, kind),
                (self.priority_seconds, priority),
            )
            if name in targets
        ]
        return min(matching) if matching else self.default_seconds

    def elapsed(self, since: int, until: int, pauses: Sequence[Pause] = ()) -> int:
        """Business microseconds on the clock between `since` and `until`, pauses left out."""
        running = self.calendar.elapsed(since, until)
        for start, end in merge_pauses(pauses):
            start, end = max(start, since), min(end, until)
            if end > start:
                running -= self.calendar.elapsed(start, end)
        return max(running, 0)

    def due(self, since: int, target_seconds: int, pauses: Sequence[Pause] = ()) -> int:
        """When `target_seconds` of business time, pauses left out, have passed since `since`."""
        remaining = target_seconds * MICROS
        cursor = since
        for start, end in merge_pauses(pauses):
            if end <= cursor:
                continue
            if start > cursor:
                span = self.calendar.elapsed(cursor, start)
                if span >= remaining:
                    return self.calendar.add(cursor, remaining)
                remaining -= span
            cursor = max(cursor, end)
        return self.calendar.add(cursor, remaining)


def merge_pauses(pauses: Iterable[Pause]) -> list[Pause]:
    """Pauses sorted, with overlapping ones joined."""
    merged: list[list[int]] = []
    for start, end in sorted(pauses):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def pauses_from_events(rows: Iterable[tuple[int, str, dict[str, Any]]], now: int) -> list[Pause]:
    """The pauses one thread's status events describe: (at, type, payload), oldest first.

    A pause still running ends at `now`, or at a snooze's `until` if that came first.
    """
    pauses: list[Pause] = []
    paused_at: int | None = None
    wakes_at: int | None = None
    for at, event_type, payload in rows:
        if event_type == events.ThreadReopened.type:
            status, until = ThreadStatus.OPEN, None
        else:
            change = events.ThreadStatusChanged.from_payload(payload)
            status, until = change.after, change.until
        if paused_at is not None:
            pauses.append((paused_at, min(at, wakes_at) if wakes_at is not None else at))
            paused_at = wakes_at = None
        if status in PAUSED_STATUSES:
            paused_at = at
            snoozed = status == ThreadStatus.SNOOZED and isinstance(until, str)
            wakes_at = to_micros(datetime.fromisoformat(until)) if snoozed else None
    if paused_at is not None:
        pauses.append((paused_at, min(now, wakes_at) if wakes_at is not None else now))
    return [(start, end) for start, end in pauses if end > start]


def load_pauses(
    connection: Connection, thread_ids: Sequence[int], now: int
) -> dict[int, list[Pause]]:
    """Every pause of each of `thread_ids`, read from the event log."""
    timeline: dict[int, list[tuple[int, str, dict[str, Any]]]] = {}
    at = type_coerce(_event.c.at, BigInteger)
    for start in range(0, len(thread_ids), _ID_CHUNK):
        chunk = list(thread_ids[start : start + _ID_CHUNK])
        rows = connection.execute(
            select(_event.c.thread_id, at, _event.c.type, _event.c.payload)
            .where(
                _event.c.thread_id.in_(chunk),
                _event.c.type.in_((events.ThreadStatusChanged.type, events.ThreadReopened.type)),
            )
            .order_by(_event.c.thread_id, _event.c.id)
        )
        for thread_id, moment, event_type, payload in rows:
            timeline.setdefault(thread_id, []).append((moment, event_type, payload or {}))
    return {thread_id: pauses_from_events(rows, now) for thread_id, rows in timeline.items()}


_unanswered = _item.alias("unanswered")


def waiting_since_column() -> Any:
    """SQL for when the thread's unanswered messages began (NULL when nothing awaits an answer)."""
    message = _unanswered
    first_unanswered = (
        select(func.min(type_coerce(message.c.created_at, BigInteger)))
        .where(
            message.c.thread_id == _thread.c.id,
            message.c.direction == "in",
            message.c.created_at > _thread.c.last_outbound_at,
        )
        .correlate(_thread)
        .scalar_subquery()
    )
    first_inbound = type_coerce(_thread.c.first_inbound_at, BigInteger)
    return case(
        (_thread.c.first_inbound_at.is_(None), None),
        (_thread.c.first_response_at.is_(None), first_inbound),
        (_thread.c.last_outbound_at.is_(None), first_inbound),
        (_thread.c.last_inbound_at > _thread.c.last_outbound_at, first_unanswered),
        else_=None,
    )


def refresh_due_at(
    connection: Connection, policy: SlaPolicy, thread_ids: Sequence[int], now: datetime
) -> int:
    """Set `thread.due_at` of `thread_ids` in the caller's transaction; returns how many changed.

    A thread is due when something in it awaits an answer: its first message, or the first
    message after the brand's latest reply. Closed, pending and snoozed threads, and
    answered ones, are due at no time (NULL).
    """
    now_micros = to_micros(now)
    rows = []
    for start in range(0, len(thread_ids), _ID_CHUNK):
        chunk = list(thread_ids[start : start + _ID_CHUNK])
        rows.extend(
            connection.execute(
                select(
                    _thread.c.id,
                    _thread.c.status,
                    _thread.c.kind,
                    _thread.c.priority,
                    _account.c.platform,
                    type_coerce(_thread.c.due_at, BigInteger).label("due_at"),
                    waiting_since_column().label("waiting_since"),
                )
                .join(_account, _account.c.id == _thread.c.account_id)
                .where(_thread.c.id.in_(chunk))
            ).all()
        )
    waiting = [
        row
        for row in rows
        if row.waiting_since is not None
        and row.status not in PAUSED_STATUSES
        and row.status != ThreadStatus.CLOSED
    ]
    pauses = load_pauses(connection, [row.id for row in waiting], now_micros)
    due: dict[int, int | None] = {row.id: None for row in rows}
    for row in waiting:
        target = policy.target_seconds(row.platform, row.kind, row.priority)
        due[row.id] = policy.due(row.waiting_since, target, pauses.get(row.id, ()))
    changes = [
        {"b_id": row.id, "b_due": None if due[row.id] is None else from_micros(due[row.id])}
        for row in rows
        if row.due_at != due[row.id]
    ]
    if changes:
        connection.execute(
            update(_thread)
            .where(_thread.c.id == bindparam("b_id"))
            .values(due_at=bindparam("b_due")),
            changes,
        )
    return len(changes)


DUE_SOON_LIMIT = 50
"""Threads `due_soon` returns at most: more than a person can act on before they breach."""


@dataclass(frozen=True, slots=True)
class DueThread:
    """A thread whose answer is due soon or overdue, with what a warning names."""

    id: int
    due_at: datetime
    platform: str
    kind: str
    author: str | None
    """The contact's handle as stored (untrusted; sanitize before showing)."""
    preview: str
    """The start of the latest inbound message as stored (untrusted)."""

    def is_overdue(self, now: datetime) -> bool:
        """Whether the target has already passed at `now`."""
        return self.due_at <= now


def due_soon(
    connection_or_engine: Connection | Engine,
    now: datetime,
    within: timedelta,
    limit: int = DUE_SOON_LIMIT,
) -> list[DueThread]:
    """Threads not closed that are overdue or due within `within` of `now`, most urgent first.

    One range scan of `ix_thread_due` in due order, stopped after `limit` rows: `due_at` is
    NULL for every thread that awaits nothing, so the scan only meets threads that wait.
    """
    query = (
        select(
            _thread.c.id,
            _thread.c.due_at,
            _account.c.platform,
            _thread.c.kind,
            _contact.c.handle.label("author"),
            _thread.c.preview,
        )
        .join(_account, _account.c.id == _thread.c.account_id)
        .outerjoin(_contact, _contact.c.id == _thread.c.contact_id)
        .where(
            _thread.c.due_at.is_not(None),
            _thread.c.due_at <= now + within,
            _thread.c.status != ThreadStatus.CLOSED,
        )
        .order_by(_thread.c.due_at, _thread.c.id)
        .limit(limit)
    )
    if isinstance(connection_or_engine, Engine):
        with connection_or_engine.connect() as connection:
            rows = connection.execute(query).all()
    else:
        rows = connection_or_engine.execute(query).all()
    return [DueThread(**row._mapping) for row in rows]
