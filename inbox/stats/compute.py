"""Response-time statistics for supervisors: first and next response, resolution, SLA,
backlog, volume and sentiment, for any period, filtered and grouped.

The database does the counting and the sorting: durations are subtracted in SQL (times
are integer microseconds), next responses come from one window query, volumes from one
GROUP BY. Python only picks percentiles from durations it fetched as single columns and
runs the SLA clock, which needs the business calendar.

Which threads count: for first response, resolution and SLA, the threads whose first
message arrived in the period (their "cohort"), however late they were answered; for next
responses and volumes, the messages written in the period; for the backlog, what awaits
an answer now. Who sees what: supervisors and admins everything; leads their team (there
is no team in the data model yet, so everyone); agents the threads assigned to them or
first answered by them, and their own replies.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.pool import SingletonThreadPool, StaticPool

from inbox.core.clock import Clock
from inbox.core.errors import InvalidInput
from inbox.core.models import Item, Thread, ThreadStatus, from_micros, to_micros
from inbox.core.sentiment import NEGATIVE_THRESHOLD
from inbox.sla import MICROS, SlaPolicy, load_pauses, waiting_since_column
from inbox.stats.figures import (
    AgentWork,
    Backlog,
    Breach,
    DailyResponse,
    Durations,
    Figures,
    GroupFigures,
    SlaOutcome,
    Stats,
    StatsFilter,
    VolumeBucket,
)
from inbox.stats.periods import Period
from inbox.stats.scope import (
    DIMENSIONS,
    Lookups,
    group_column,
    group_label,
    read_lookups,
    thread_conditions,
    with_tags,
)
from inbox.store.team_settings import TeamSlaPolicy

if TYPE_CHECKING:
    from inbox.core.access import Actor

BREACHES_LISTED = 100
"""Breached threads a result lists at most, the longest overdue first."""

_HOUR = 3_600 * MICROS
_DAY = 24 * _HOUR
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_thread = Thread.__table__
_item = Item.__table__


def _tuples(connection: Connection, query: Any) -> list[tuple[Any, ...]]:
    """The rows of `query` as the driver's plain tuples.

    Stats queries select integers and strings only, which need no conversion, and the
    cohort runs to tens of thousands of rows: skipping SQLAlchemy's row objects halves
    the time to read them.
    """
    result = connection.execute(query)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _micros(column: Any) -> Any:
    """A time column as its stored integer, so SQL subtracts it and Python skips conversion."""
    return type_coerce(column, BigInteger)


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """The `fraction` percentile of sorted values, interpolated like SQL's percentile_cont."""
    position = (len(ordered) - 1) * fraction
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def summarize(micros: list[int]) -> Durations:
    """Percentiles, mean and count of durations in microseconds (sorted in place)."""
    if not micros:
        return Durations()
    micros.sort()
    return Durations(
        count=len(micros),
        p50_seconds=round(percentile(micros, 0.5) / MICROS, 3),
        p90_seconds=round(percentile(micros, 0.9) / MICROS, 3),
        mean_seconds=round(sum(micros) / len(micros) / MICROS, 3),
    )


_NO_TARGET = 10**12
"""Larger than any target in seconds, standing for "no target of this kind applies"."""


def target_column(connection: Connection, policy: SlaPolicy, lookups: Lookups) -> Any:
    """SQL for each thread's SLA target in microseconds, as `SlaPolicy.target_seconds` picks it."""
    by_account = {
        account_id: policy.platform_seconds[platform]
        for account_id, platform in lookups.platform_of.items()
        if platform in policy.platform_seconds
    }
    parts = [
        case(targets, value=column, else_=_NO_TARGET) if targets else literal(_NO_TARGET)
        for targets, column in (
            (by_account, _thread.c.account_id),
            (dict(policy.kind_seconds), _thread.c.kind),
            (dict(policy.priority_seconds), _thread.c.priority),
        )
    ]
    smallest = (func.min if connection.dialect.name == "sqlite" else func.least)(*parts)
    return case((smallest == _NO_TARGET, policy.default_seconds), else_=smallest) * MICROS


# -- the computation ----------------------------------------------------------------------


def compute(
    engine: Engine,
    actor: Actor,
    clock: Clock,
    period: Period,
    *,
    by: str | None = None,
    filters: StatsFilter = StatsFilter(),
    policy: SlaPolicy | None = None,
    agents: bool = False,
    breaches: bool = False,
) -> Stats:
    """The stats of `period` as `actor` may see them, grouped `by` a dimension if given.

    `agents` adds the per-person table, `breaches` the list of threads past their target;
    `policy` replaces the team's SLA policy, read from the database.
    """
    scope, scope_agents = actor.stats_scope()
    now = to_micros(clock())
    since, until = to_micros(period.since), to_micros(period.until)
    if by is not None and by not in DIMENSIONS:
        raise InvalidInput(f"cannot group by {by!r}; choose one of {', '.join(DIMENSIONS)}")
    with engine.connect() as connection:
        if policy is None:
            policy = TeamSlaPolicy().policy(connection)
        lookups = read_lookups(connection)
        conditions = thread_conditions(lookups, filters, scope_agents)
        groups, cohort, breached, hourly_counts = _figures(
            connection, policy, lookups, conditions, by, since, until, now
        )
        if by is not None:
            whole, cohort, breached, _ = _figures(
                connection, policy, lookups, conditions, None, since, until, now
            )
            totals = whole[None]
        else:
            totals = groups.pop(None)
        agent_work = (
            _agent_work(connection, lookups, conditions, scope_agents, since, until)
            if agents
            else ()
        )
    by_groups = (
        tuple(
            sorted(
                (
                    GroupFigures(group_label(by, key, lookups), figures)
                    for key, figures in groups.items()
                ),
                key=lambda group: (
                    -group.figures.inbound - group.figures.first_response.count,
                    group.group,
                ),
            )
        )
        if by is not None
        else ()
    )
    zone = policy.calendar.zone
    hourly = tuple(
        VolumeBucket(from_micros(hour * _HOUR), *hourly_counts.get(hour, (0, 0)))
        for hour in range(since // _HOUR, -(-until // _HOUR))
    )
    daily_counts: dict[date, list[int]] = {}
    for bucket in hourly:
        counts = daily_counts.setdefault(bucket.start.astimezone(zone).date(), [0, 0])
        counts[0] += bucket.inbound
        counts[1] += bucket.outbound
    daily = tuple(
        VolumeBucket(datetime.combine(day, datetime.min.time(), zone), inbound, outbound)
        for day, (inbound, outbound) in sorted(daily_counts.items())
    )
    daily_first_response = tuple(
        DailyResponse(day, summarize(list(cohort_daily)))
        for day, cohort_daily in sorted(_daily_first_response(cohort).items())
    )
    return Stats(
        period=period,
        scope=scope,
        figures=totals,
        by_dimension=by,
        by=by_groups,
        agents=agent_work,
        hourly=hourly,
        daily=daily,
        daily_first_response=daily_first_response,
        breaches=tuple(breached[:BREACHES_LISTED]) if breaches else (),
    )


def _figures(
    connection: Connection,
    policy: SlaPolicy,
    lookups: Lookups,
    conditions: list[Any],
    by: str | None,
    since: int,
    until: int,
    now: int,
) -> tuple[dict[Any, Figures], dict[Any, _Cohort], list[Breach], dict[int, tuple[int, int]]]:
    """The figures per group key (None if not grouped), the cohorts, the breaches, hourly volume."""
    with (
        ThreadPoolExecutor(max_workers=1)
        if _can_read_in_parallel(connection)
        else _Inline() as pool
    ):
        messages = pool.submit(_message_figures, connection, conditions, by, since, until)
        cohort = _cohort(connection, policy, lookups, conditions, by, since, until, now)
        backlog, breached = _backlog(connection, policy, lookups, conditions, by, now)
        next_response, volume = messages.result()
    keys = set(cohort) | set(next_response) | set(volume.totals) | set(backlog)
    if by is None:
        keys.add(None)
    empty = (0, 0, 0, 0)
    figures = {
        key: Figures(
            first_response=summarize(cohort[key].first_response) if key in cohort else Durations(),
            next_response=summarize(next_response.get(key, [])),
            resolution=summarize(cohort[key].resolution) if key in cohort else Durations(),
            sla=cohort[key].sla() if key in cohort else SlaOutcome(),
            backlog=backlog.get(key, Backlog()),
            inbound=volume.totals.get(key, empty)[0],
            outbound=volume.totals.get(key, empty)[1],
            negative_share=_share(*volume.totals.get(key, empty)[2:]),
        )
        for key in keys
    }
    return figures, cohort, breached, volume.hourly


def _can_read_in_parallel(connection: Connection) -> bool:
    """Whether a second connection may read at the same time (not with one shared in-memory one)."""
    return not isinstance(connection.engine.pool, StaticPool | SingletonThreadPool)


class _Inline:
    """Runs submitted work at once, for engines that must not be read from two threads."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def submit(self, work: Any, *args: Any) -> Future:
        future: Future = Future()
        future.set_result(work(*args))
        return future


def _message_figures(
    connection: Connection, conditions: list[Any], by: str | None, since: int, until: int
) -> tuple[dict[Any, list[int]], _Volume]:
    """Next responses and volumes; on its own connection when read in parallel with the threads."""
    if not _can_read_in_parallel(connection):
        return (
            _next_responses(connection, conditions, by, since, until),
            _volume(connection, conditions, by, since, until),
        )
    with connection.engine.connect() as own:
        return (
            _next_responses(own, conditions, by, since, until),
            _volume(own, conditions, by, since, until),
        )


def _share(negative: int, scored: int) -> float | None:
    return round(negative / scored, 4) if scored else None


@dataclass(slots=True)
class _Cohort:
    """The threads of one group that began in the period."""

    first_response: list[int] = field(default_factory=list)
    resolution: list[int] = field(default_factory=list)
    met: int = 0
    breached: int = 0
    waiting: int = 0
    daily: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    """First response durations by local day number since the epoch."""

    def sla(self) -> SlaOutcome:
        decided = self.met + self.breached
        return SlaOutcome(
            hit_rate=round(self.met / decided, 4) if decided else None,
            met=self.met,
            breached=self.breached,
            waiting=self.waiting,
        )


_NOT_SPAM = _thread.c.spam_at.is_(None)
"""Threads marked spam count in the volume only: never in response times or the SLA (a
spam thread is closed, so the backlog leaves it out already)."""


def _cohort(
    connection: Connection,
    policy: SlaPolicy,
    lookups: Lookups,
    conditions: list[Any],
    by: str | None,
    since: int,
    until: int,
    now: int,
) -> dict[Any, _Cohort]:
    """First response, resolution and SLA of the threads whose first message came in the period."""
    first_inbound = _micros(_thread.c.first_inbound_at)
    group = group_column(by)
    query = select(
        _thread.c.id,
        target_column(connection, policy, lookups),
        first_inbound,
        _micros(_thread.c.first_response_at),
        case((_thread.c.status == ThreadStatus.CLOSED, _micros(_thread.c.closed_at)), else_=None),
        *([group] if group is not None else []),
    ).where(
        _thread.c.last_activity_at >= from_micros(since),
        first_inbound >= since,
        first_inbound < until,
        _NOT_SPAM,
        *conditions,
    )
    rows = _tuples(connection, with_tags(query, by))

    calendar = policy.calendar
    late = [
        index
        for index, (_, target, started, answered, *_) in enumerate(rows)
        if (now if answered is None else answered) - started > target
    ]
    calendar.cover(since, max(until, now))
    opened = calendar.positions([rows[index][2] for index in late])
    ended = calendar.positions(
        [now if rows[index][3] is None else rows[index][3] for index in late]
    )
    breached = {
        rows[index][0]: index
        for index, start, end in zip(late, opened, ended)
        if end - start > rows[index][1]
    }
    if breached:
        for thread_id, pauses in load_pauses(connection, list(breached), now).items():
            index = breached[thread_id]
            _, target, started, answered, *_ = rows[index]
            if policy.elapsed(started, now if answered is None else answered, pauses) <= target:
                del breached[thread_id]
    breached_rows = set(breached.values())

    offset = (
        int(calendar.zone.utcoffset(from_micros(since).replace(tzinfo=None)).total_seconds())
        * MICROS
    )
    groups: dict[Any, _Cohort] = defaultdict(_Cohort)
    for index, row in enumerate(rows):
        entry = groups[row[5] if by is not None else None]
        started, answered, closed = row[2], row[3], row[4]
        if closed is not None:
            entry.resolution.append(closed - started)
        if index in breached_rows:
            entry.breached += 1
        elif answered is None:
            entry.waiting += 1
        else:
            entry.met += 1
        if answered is not None:
            entry.first_response.append(answered - started)
            entry.daily[(started + offset) // _DAY].append(answered - started)
    return groups


def _daily_first_response(cohort: dict[Any, _Cohort]) -> dict[date, list[int]]:
    """First response durations by the local day the thread began (all groups together)."""
    days: dict[date, list[int]] = defaultdict(list)
    for entry in cohort.values():
        for day_number, durations in entry.daily.items():
            days[date.fromordinal(_EPOCH_ORDINAL + day_number)].extend(durations)
    return days


def _next_responses(
    connection: Connection, conditions: list[Any], by: str | None, since: int, until: int
) -> dict[Any, list[int]]:
    """Next response times: from the first customer message after a reply to the reply after it.

    Only threads the customer wrote to again after the first response, and active in the
    period, can have one; their messages from the first response on are read in index
    order. One window pass numbers the replies before each message, so the messages
    between two replies share a number, and one GROUP BY gives each run's first message
    and the reply that ended it. Runs are counted in the period their first message is.
    """
    created = _micros(_item.c.created_at)
    is_out = case((_item.c.direction == "out", 1), else_=0)
    replies_before = func.sum(is_out).over(
        partition_by=_item.c.thread_id, order_by=(_item.c.created_at, _item.c.id), rows=(None, -1)
    )
    group = group_column(by)
    stamped = (
        with_tags(
            select(
                _item.c.thread_id,
                _item.c.direction,
                created.label("created"),
                replies_before.label("run"),
                *([group.label("group_key")] if group is not None else []),
            ).select_from(
                _thread.join(
                    _item,
                    and_(
                        _item.c.thread_id == _thread.c.id,
                        _item.c.created_at >= _thread.c.first_response_at,
                    ),
                )
            ),
            by,
        )
        .where(
            _thread.c.last_activity_at >= from_micros(since),
            _thread.c.first_response_at.is_not(None),
            _thread.c.last_inbound_at > _thread.c.first_response_at,
            _NOT_SPAM,
            *conditions,
        )
        .subquery()
    )
    asked = func.min(case((stamped.c.direction == "in", stamped.c.created), else_=None))
    answered = func.min(case((stamped.c.direction == "out", stamped.c.created), else_=None))
    keys = [stamped.c.group_key] if group is not None else []
    runs = (
        select((answered - asked).label("took"), *keys)
        .group_by(stamped.c.thread_id, stamped.c.run, *keys)
        .having(and_(asked >= since, asked < until, answered.is_not(None)))
    )
    durations: dict[Any, list[int]] = defaultdict(list)
    if by is None:
        durations[None] = [row[0] for row in _tuples(connection, runs)]
        return durations
    for took, key in _tuples(connection, runs):
        durations[key].append(took)
    return durations


@dataclass(slots=True)
class _Volume:
    """Messages per UTC hour (in, out) and per group (in, out, negative inbound, scored inbound)."""

    hourly: dict[int, tuple[int, int]]
    totals: dict[Any, tuple[int, int, int, int]]


def _volume(
    connection: Connection, conditions: list[Any], by: str | None, since: int, until: int
) -> _Volume:
    """Messages in and out per hour and the negative share of inbound ones, by GROUP BY in SQL."""
    hour = (_micros(_item.c.created_at) // _HOUR).label("hour")
    is_in = case((_item.c.direction == "in", 1), else_=0)
    negative = case(
        (and_(_item.c.direction == "in", _item.c.sentiment <= NEGATIVE_THRESHOLD), 1), else_=0
    )
    scored = case((and_(_item.c.direction == "in", _item.c.sentiment.is_not(None)), 1), else_=0)
    counts = (func.sum(is_in), func.count() - func.sum(is_in), func.sum(negative), func.sum(scored))
    in_period = (_item.c.created_at >= from_micros(since), _item.c.created_at < from_micros(until))
    hourly_query = select(hour, *counts).where(*in_period).group_by(hour)
    if conditions:
        hourly_query = hourly_query.where(
            _item.c.thread_id.in_(select(_thread.c.id).where(*conditions))
        )
    hourly: dict[int, tuple[int, int]] = {}
    overall = [0, 0, 0, 0]
    for row in connection.execute(hourly_query):
        values = [int(value or 0) for value in row[1:]]
        hourly[int(row[0])] = (values[0], values[1])
        overall = [total + value for total, value in zip(overall, values)]
    if by is None:
        return _Volume(hourly=hourly, totals={None: tuple(overall)})
    group = group_column(by)
    grouped = with_tags(
        select(group, *counts).select_from(_item.join(_thread, _thread.c.id == _item.c.thread_id)),
        by,
    )
    grouped = grouped.where(*in_period, *conditions).group_by(group)
    totals = {
        row[0]: tuple(int(value or 0) for value in row[1:]) for row in connection.execute(grouped)
    }
    return _Volume(hourly=hourly, totals=totals)


def _backlog(
    connection: Connection,
    policy: SlaPolicy,
    lookups: Lookups,
    conditions: list[Any],
    by: str | None,
    now: int,
) -> tuple[dict[Any, Backlog], list[Breach]]:
    """What awaits an answer now, how long it has waited, which threads are past their target."""
    waiting_since = waiting_since_column().label("waiting_since")
    group = group_column(by)
    query = select(
        _thread.c.id,
        _thread.c.account_id,
        _thread.c.kind,
        _thread.c.priority,
        _thread.c.preview,
        waiting_since,
        *([group] if group is not None else []),
    ).where(
        _thread.c.status.in_((ThreadStatus.NEW, ThreadStatus.OPEN)),
        _thread.c.last_inbound_at.is_not(None),
        or_(
            _thread.c.last_outbound_at.is_(None),
            _thread.c.last_inbound_at > _thread.c.last_outbound_at,
        ),
        *conditions,
    )
    rows = [row for row in _tuples(connection, with_tags(query, by)) if row[5] is not None]
    calendar = policy.calendar
    if rows:
        calendar.cover(min(row[5] for row in rows), now)
    opened = calendar.positions([row[5] for row in rows])
    (now_position,) = calendar.positions([now]) if rows else (0,)
    overdue: dict[int, int] = {}
    for index, row in enumerate(rows):
        target = policy.target_seconds(lookups.platform_of.get(row[1], ""), row[2], row[3]) * MICROS
        if now_position - opened[index] > target:
            overdue[index] = now_position - opened[index] - target
    if overdue:
        pauses = load_pauses(connection, list({rows[index][0] for index in overdue}), now)
        for index in list(overdue):
            row = rows[index]
            if row[0] in pauses:
                target = (
                    policy.target_seconds(lookups.platform_of.get(row[1], ""), row[2], row[3])
                    * MICROS
                )
                late = policy.elapsed(row[5], now, pauses[row[0]]) - target
                if late > 0:
                    overdue[index] = late
                else:
                    del overdue[index]
    ages: dict[Any, list[int]] = defaultdict(list)
    breached_count: dict[Any, int] = defaultdict(int)
    for index, row in enumerate(rows):
        key = row[6] if by is not None else None
        ages[key].append(now - row[5])
        if index in overdue:
            breached_count[key] += 1
    backlog = {}
    for key, values in ages.items():
        summary = summarize(values)
        backlog[key] = Backlog(
            count=summary.count,
            p50_seconds=summary.p50_seconds,
            p90_seconds=summary.p90_seconds,
            mean_seconds=summary.mean_seconds,
            oldest_seconds=round(values[-1] / MICROS, 3),
            breached=breached_count[key],
        )
    seen: set[int] = set()
    breaches = []
    for index in sorted(overdue, key=lambda index: -overdue[index]):
        row = rows[index]
        if row[0] in seen:
            continue
        seen.add(row[0])
        breaches.append(
            Breach(
                thread_id=row[0],
                platform=lookups.platform_of.get(row[1], ""),
                kind=row[2],
                priority=row[3],
                preview=row[4],
                waiting_since=from_micros(row[5]),
                overdue_seconds=round(overdue[index] / MICROS, 3),
            )
        )
    return backlog, breaches


def _agent_work(
    connection: Connection,
    lookups: Lookups,
    conditions: list[Any],
    scope_agents: tuple[int, ...] | None,
    since: int,
    until: int,
) -> tuple[AgentWork, ...]:
    """Per person: threads replied to and replies sent in the period, and first responses given."""
    in_period = (_item.c.created_at >= from_micros(since), _item.c.created_at < from_micros(until))
    replies = (
        select(_item.c.agent_id, func.count(), func.count(func.distinct(_item.c.thread_id)))
        .where(_item.c.direction == "out", _item.c.agent_id.is_not(None), *in_period)
        .group_by(_item.c.agent_id)
    )
    if conditions:
        replies = replies.where(_item.c.thread_id.in_(select(_thread.c.id).where(*conditions)))
    if scope_agents is not None:
        replies = replies.where(_item.c.agent_id.in_(scope_agents))
    counts = {row[0]: (row[1], row[2]) for row in connection.execute(replies)}
    first_inbound = _micros(_thread.c.first_inbound_at)
    firsts = (
        select(_item.c.agent_id, _micros(_thread.c.first_response_at) - first_inbound)
        .select_from(
            _thread.join(
                _item,
                and_(
                    _item.c.thread_id == _thread.c.id,
                    _item.c.created_at == _thread.c.first_response_at,
                    _item.c.direction == "out",
                ),
            )
        )
        .where(
            _thread.c.last_activity_at >= from_micros(since),
            first_inbound >= since,
            first_inbound < until,
            _item.c.agent_id.is_not(None),
            *conditions,
        )
    )
    if scope_agents is not None:
        firsts = firsts.where(_item.c.agent_id.in_(scope_agents))
    durations: dict[int, list[int]] = defaultdict(list)
    for agent_id, took in connection.execute(firsts):
        durations[agent_id].append(took)
    work = [
        AgentWork(
            handle=lookups.agent_handle.get(agent_id, str(agent_id)),
            threads_handled=counts.get(agent_id, (0, 0))[1],
            replies_sent=counts.get(agent_id, (0, 0))[0],
            first_response=summarize(durations.get(agent_id, [])),
        )
        for agent_id in set(counts) | set(durations)
    ]
    return tuple(sorted(work, key=lambda agent: (-agent.replies_sent, agent.handle)))
