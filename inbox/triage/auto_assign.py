"""Auto-assignment: waiting threads handed to the people who are here and have room.

A pass (`run_pass`) reads the team's rules (`inbox.core.assignment_rules`), hands back the
unanswered threads of people away longer than the rules allow, then gives the unassigned
waiting threads of every channel that is on, in the lead's order, to the people who can
take them now. Every change is a `thread.assigned` event whose `reason` says why.

Words used here, as people see them on the load screen and in `inbox team assign load`:

- **load**: the threads a person holds that need work now, new or open. Pending threads
  (the customer's turn), snoozed and closed ones do not count against the capacity.
- **online**: their inbox is open (its heartbeat, every `HEARTBEAT`, was seen within
  `ONLINE_WINDOW`) and they have not said they are away.
- **eligible**: active, in a role that answers, online, with a capacity above 0 and a load
  under it.
- **waiting thread**: new or open, something in it awaits an answer (its SLA clock runs,
  so it has a due time), and nobody's reply to it is on its way.

A pass runs in the process that sends, the worker or the TUI that polls in-process
(`AutoAssigner`), and is safe with several at once on either database: it runs in one
write transaction that first locks the people who answer (PostgreSQL: `SELECT ... FOR
UPDATE` on their rows, in id order; SQLite: the write transaction holds the whole database
from its first statement), counts each load inside it, and claims each thread with a
conditional UPDATE (`... WHERE assignee_id IS NULL`). So no thread is assigned twice and
no capacity is exceeded by a pass. A lead's own assignment, or a person answering a
thread (once their reply is sent the thread is theirs, `take_answered`), may go above a
capacity: those are choices.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, exists, func, select, update

from inbox import events
from inbox.core.access import ASSIGNABLE_ROLES
from inbox.core.assignment_rules import (
    MODE_WORDS,
    AssignmentRules,
    AssignMode,
    AssignOrder,
    assignment_rules_from_table,
)
from inbox.core.clock import Clock, utc_now
from inbox.core.database import write_transaction
from inbox.core.errors import InvalidInput
from inbox.core.models import Account, Agent, Event, Outbound, OutboundStatus, Thread, ThreadStatus
from inbox.sla import waiting_since_column
from inbox.store.team_settings import ASSIGNMENT, read_setting, write_setting

if TYPE_CHECKING:
    from inbox.core.access import Actor

log = logging.getLogger(__name__)

_agent = Agent.__table__
_thread = Thread.__table__
_account = Account.__table__
_event = Event.__table__
_outbound = Outbound.__table__

ON_ITS_WAY = (
    OutboundStatus.AWAITING_APPROVAL,
    OutboundStatus.QUEUED,
    OutboundStatus.SENDING,
    OutboundStatus.UNKNOWN,
)
"""Statuses of a reply still on its way: its thread is being answered and is not handed out."""

HEARTBEAT = timedelta(seconds=30)
"""How often an open inbox tells that its person is there."""

ONLINE_WINDOW = 2 * HEARTBEAT + timedelta(seconds=15)
"""How recent a heartbeat must be for its person to count as online: two missed beats."""

WORKING = (ThreadStatus.NEW, ThreadStatus.OPEN)
"""The statuses that count against a capacity and that a pass hands out."""

PASS_LIMIT = 200
"""Threads one pass hands out at most, so its transaction stays short; the next pass goes on."""

ROTATION_LOOKBACK = 5_000
"""Events a round robin looks back over to see who had the last turns."""

KIND_WORDS = {"dm": "DMs", "comment": "comments", "mention": "mentions"}


@dataclass(frozen=True, slots=True)
class TeamAssignment:
    """The team's assignment rules, with the version an edit must name."""

    rules: AssignmentRules
    version: int
    updated_at: datetime | None
    updated_by: str | None


class Availability(enum.StrEnum):
    """Whether a person can be handed threads now."""

    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class PersonLoad:
    """One person who answers: what they hold against their capacity, and whether they are here."""

    id: int
    handle: str
    name: str
    role: str
    capacity: int
    load: int
    """Threads they hold that are new or open."""
    pending: int
    """Threads they hold that wait on the customer (not counted in `load`)."""
    availability: Availability
    since: datetime | None
    """Away since, or last seen (offline); None when online or never seen."""

    @property
    def has_room(self) -> bool:
        """Whether a pass may hand them one more thread, presence aside."""
        return self.load < self.capacity

    def presence_text(self, now: datetime) -> str:
        """ "online", "away for 20 min", "offline for 3 h", "never seen"."""
        if self.availability == Availability.ONLINE:
            return "online"
        if self.since is None:
            return "never seen"
        return f"{self.availability} for {duration_words(now - self.since)}"


@dataclass(frozen=True, slots=True)
class Assignment:
    """One thread a pass gave to someone (or, with `handle` None, took back)."""

    thread_id: int
    handle: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class PassReport:
    """What one pass did."""

    assigned: tuple[Assignment, ...] = ()
    handed_back: tuple[Assignment, ...] = ()


def duration_words(span: timedelta) -> str:
    """A span in the words of the load screen: "45 s", "20 min", "3 h", "2 days"."""
    seconds = max(int(span.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 120 * 60:
        return f"{seconds // 60} min"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h"
    return f"{seconds // 86_400} days"


# -- the rules -----------------------------------------------------------------------------


def read_rules(connection: Connection) -> TeamAssignment:
    """The team's assignment rules, with their version (0: the defaults, all off)."""
    stored = read_setting(connection, ASSIGNMENT)
    try:
        rules = assignment_rules_from_table(stored.value)
    except InvalidInput as error:
        raise InvalidInput(
            f"the team's assignment rules in the database cannot be used ({error}); "
            "a lead sets them again with `inbox team assign set`"
        ) from None
    return TeamAssignment(rules, stored.version, stored.updated_at, stored.updated_by)


def write_rules(
    connection: Connection, rules: AssignmentRules, *, version: int, actor: str, now: datetime
) -> TeamAssignment:
    """Save `rules` as the team's, edited from `version` (see `team_settings.write_setting`).

    An InvalidInput names a per-account rule whose account does not exist.
    """
    known = {str(account_id) for account_id in connection.scalars(select(_account.c.id))}
    missing = sorted(set(rules.account) - known, key=int)
    if missing:
        raise InvalidInput(
            f"there is no account {missing[0]} (`inbox accounts list` shows their ids)"
        )
    stored = write_setting(
        connection, ASSIGNMENT, rules.to_table(), version=version, actor=actor, now=now
    )
    return TeamAssignment(rules, stored.version, stored.updated_at, stored.updated_by)


# -- people: presence and load -------------------------------------------------------------


def record_heartbeat(connection: Connection, agent_id: int, now: datetime) -> None:
    """Note that `agent_id`'s inbox is open now. No event: it is no change others must see."""
    connection.execute(update(_agent).where(_agent.c.id == agent_id).values(last_seen_at=now))


def set_away(connection: Connection, actor: Actor, away: bool, now: datetime) -> bool:
    """Say the actor is away (or back); whether that changed anything.

    Coming back counts as a heartbeat, so the person is online again at once.
    """
    if actor.agent_id is None:
        raise InvalidInput(f"{actor.handle} is not a person here; pass --as HANDLE")
    current = connection.execute(
        select(_agent.c.away_since).where(_agent.c.id == actor.agent_id)
    ).scalar()
    values: dict[str, Any] = {"away_since": now} if away else {"away_since": None}
    if not away:
        values["last_seen_at"] = now
    connection.execute(update(_agent).where(_agent.c.id == actor.agent_id).values(**values))
    if (current is not None) == away:
        return False
    events.record(connection, events.AgentAwayChanged(away=away), at=now, actor=actor.handle)
    return True


def team_load(connection: Connection, now: datetime, *, lock: bool = False) -> list[PersonLoad]:
    """Every active person who answers, by handle, with their load and presence.

    With `lock` (inside a pass's write transaction) their rows are locked first, in id order,
    so two passes on PostgreSQL count and hand out one after the other.
    """
    people_query = (
        select(
            _agent.c.id,
            _agent.c.handle,
            _agent.c.name,
            _agent.c.role,
            _agent.c.capacity,
            _agent.c.last_seen_at,
            _agent.c.away_since,
        )
        .where(_agent.c.active.is_(True), _agent.c.role.in_([str(r) for r in ASSIGNABLE_ROLES]))
        .order_by(_agent.c.id)
    )
    if lock:
        people_query = people_query.with_for_update()
    people = connection.execute(people_query).all()
    counts: dict[tuple[int, str], int] = {
        (row.assignee_id, row.status): row.count
        for row in connection.execute(
            select(_thread.c.assignee_id, _thread.c.status, func.count().label("count"))
            .where(
                _thread.c.assignee_id.in_([person.id for person in people]),
                _thread.c.status.in_([*WORKING, ThreadStatus.PENDING]),
            )
            .group_by(_thread.c.assignee_id, _thread.c.status)
        )
    }
    loads = [
        PersonLoad(
            id=person.id,
            handle=person.handle,
            name=person.name,
            role=person.role,
            capacity=person.capacity,
            load=sum(counts.get((person.id, status), 0) for status in WORKING),
            pending=counts.get((person.id, ThreadStatus.PENDING), 0),
            availability=_availability(person.away_since, person.last_seen_at, now),
            since=_since(person.away_since, person.last_seen_at, now),
        )
        for person in people
    ]
    return sorted(loads, key=lambda person: person.handle)


def _online(last_seen_at: datetime | None, now: datetime) -> bool:
    return last_seen_at is not None and now - last_seen_at <= ONLINE_WINDOW


def _since(
    away_since: datetime | None, last_seen_at: datetime | None, now: datetime
) -> datetime | None:
    """Since when a person is away, or offline (their last heartbeat); None when online."""
    if away_since is not None:
        return away_since
    return None if _online(last_seen_at, now) else last_seen_at


def _availability(
    away_since: datetime | None, last_seen_at: datetime | None, now: datetime
) -> Availability:
    if away_since is not None:
        return Availability.AWAY
    return Availability.ONLINE if _online(last_seen_at, now) else Availability.OFFLINE


# -- a person answering --------------------------------------------------------------------


def take_answered(connection: Connection, outbound_id: int, now: datetime) -> bool:
    """Make a thread its answerer's once their reply (or DM) was sent, if nobody holds it.

    Call it in the transaction that records the send. A message to many threads (a
    campaign, a statement) and the inbox's own acknowledgements take nothing: one person
    answering five hundred threads with a holding statement does not hold them all.
    """
    row = connection.execute(
        select(
            _outbound.c.thread_id,
            _outbound.c.kind,
            _outbound.c.campaign_id,
            _outbound.c.purpose,
            _agent.c.id.label("agent_id"),
            _agent.c.handle,
            _agent.c.role,
            _agent.c.active,
        )
        .join(_agent, _agent.c.id == _outbound.c.created_by)
        .where(_outbound.c.id == outbound_id)
    ).first()
    if (
        row is None
        or row.thread_id is None
        or row.kind not in ("reply", "dm")
        or row.campaign_id is not None
        or row.purpose is not None
        or not row.active
        or row.role not in ASSIGNABLE_ROLES
    ):
        return False
    taken = connection.execute(
        update(_thread)
        .where(_thread.c.id == row.thread_id, _thread.c.assignee_id.is_(None))
        .values(assignee_id=row.agent_id)
    )
    if taken.rowcount != 1:
        return False
    events.record(
        connection,
        events.ThreadAssigned(before=None, after=row.handle, reason="answered it"),
        at=now,
        actor=row.handle,
        thread_id=row.thread_id,
    )
    return True


# -- the pass ------------------------------------------------------------------------------


def run_pass(engine: Engine, now: datetime, *, limit: int = PASS_LIMIT) -> PassReport:
    """Hand back what away people hold and hand out waiting threads, as the rules say.

    A quick read first: only when there is something to do is the write transaction
    opened, so a pass with nothing to do takes no lock.
    """
    with engine.connect() as connection:
        if not _work_to_do(connection, now):
            return PassReport()
    with write_transaction(engine) as connection:
        rules = read_rules(connection).rules
        if not rules.any_on:
            return PassReport()
        people = team_load(connection, now, lock=True)
        channels = _channels(connection, rules)
        if not channels:
            return PassReport()
        handed_back = _hand_back(connection, rules, people, channels, now)
        if handed_back:
            people = team_load(connection, now)
        assigned = _hand_out(connection, rules, people, channels, now, limit)
    return PassReport(assigned=assigned, handed_back=handed_back)


def _work_to_do(connection: Connection, now: datetime) -> bool:
    """Whether a pass would change anything: someone due to hand back, or room and a thread."""
    rules = read_rules(connection).rules
    if not rules.any_on:
        return False
    people = team_load(connection, now)
    channels = _channels(connection, rules)
    if not channels:
        return False
    for person in people:
        if _gone_long(person, rules, now) and person.load:
            returnable = select(_thread.c.id).where(*_returnable(person.id, channels)).limit(1)
            if connection.execute(returnable).first() is not None:
                return True
    if not any(_eligible(person) for person in people):
        return False
    waiting = _waiting(connection, channels, rules.order, 1)
    return bool(waiting)


def _channels(connection: Connection, rules: AssignmentRules) -> dict[tuple[int, str], _Channel]:
    """Each (account id, kind) the rules turn on, with its mode and its name for people."""
    from adapters.base import Kind

    found = {}
    for account_id, platform in connection.execute(select(_account.c.id, _account.c.platform)):
        for kind in Kind:
            mode = rules.mode_for(account_id, platform, kind)
            if mode != AssignMode.OFF:
                found[(account_id, str(kind))] = _Channel(mode, _channel_words(platform, kind))
    return found


@dataclass(frozen=True, slots=True)
class _Channel:
    mode: AssignMode
    words: str
    """"Mastodon DMs": what a reason names."""


def _channel_words(platform: str, kind: str) -> str:
    from adapters.registry import adapter_class

    try:
        name = adapter_class(platform).display_name
    except (KeyError, ValueError):
        name = platform
    return f"{name} {KIND_WORDS.get(kind, kind)}"


def _eligible(person: PersonLoad) -> bool:
    return person.availability == Availability.ONLINE and person.capacity > 0 and person.has_room


def _gone_long(person: PersonLoad, rules: AssignmentRules, now: datetime) -> bool:
    """Whether the person has been away (or their inbox closed) longer than the rules allow."""
    if rules.hand_back_minutes <= 0 or person.availability == Availability.ONLINE:
        return False
    return person.since is not None and now - person.since >= timedelta(
        minutes=rules.hand_back_minutes
    )


def _in_channels(channels: Iterable[tuple[int, str]]) -> Any:
    """SQL: the thread is in one of `channels` (few: accounts times kinds)."""
    from sqlalchemy import and_, or_

    by_account: dict[int, list[str]] = {}
    for account_id, kind in channels:
        by_account.setdefault(account_id, []).append(kind)
    return or_(
        *(
            and_(_thread.c.account_id == account_id, _thread.c.kind.in_(kinds))
            for account_id, kinds in by_account.items()
        )
    )


def _answer_on_its_way() -> Any:
    """SQL: someone's reply to the thread is on its way (the inbox's own acknowledgement aside)."""
    return exists().where(
        _outbound.c.thread_id == _thread.c.id,
        _outbound.c.kind == "reply",
        _outbound.c.purpose.is_(None),
        _outbound.c.status.in_([str(status) for status in ON_ITS_WAY]),
    )


def _waiting(
    connection: Connection, channels: dict[tuple[int, str], _Channel], order: str, limit: int
) -> list[Any]:
    """Unassigned waiting threads of `channels`, in the lead's order."""
    first = (
        (_thread.c.due_at, _thread.c.id)
        if order == AssignOrder.SLA_DUE
        else (waiting_since_column(), _thread.c.id)
    )
    return connection.execute(
        select(_thread.c.id, _thread.c.account_id, _thread.c.kind)
        .where(
            _thread.c.assignee_id.is_(None),
            _thread.c.status.in_(WORKING),
            _thread.c.due_at.is_not(None),
            _in_channels(channels),
            ~_answer_on_its_way(),
        )
        .order_by(*first)
        .limit(limit)
    ).all()


def _returnable(person_id: int, channels: Iterable[tuple[int, str]]) -> tuple[Any, ...]:
    """SQL conditions: the threads `person_id` would hand back (unanswered, new or open,
    in `channels`)."""
    return (
        _thread.c.assignee_id == person_id,
        _thread.c.status.in_(WORKING),
        _thread.c.due_at.is_not(None),
        _in_channels(channels),
    )


def _hand_back(
    connection: Connection,
    rules: AssignmentRules,
    people: Sequence[PersonLoad],
    channels: dict[tuple[int, str], _Channel],
    now: datetime,
) -> tuple[Assignment, ...]:
    """Unassign the unanswered threads of people gone longer than the rules allow."""
    returned: list[Assignment] = []
    rows = []
    for person in people:
        if not _gone_long(person, rules, now) or not person.load:
            continue
        reason = f"handed back: {person.handle} {person.presence_text(now)}"
        thread_ids = connection.scalars(
            update(_thread)
            .where(*_returnable(person.id, channels))
            .values(assignee_id=None, version=_thread.c.version + 1)
            .returning(_thread.c.id)
        ).all()
        for thread_id in sorted(thread_ids):
            returned.append(Assignment(thread_id, None, reason))
            change = events.ThreadAssigned(before=person.handle, after=None, reason=reason)
            rows.append(events.row(change, at=now, actor=events.ASSIGN_ACTOR, thread_id=thread_id))
    events.record_many(connection, rows)
    return tuple(returned)


def _hand_out(
    connection: Connection,
    rules: AssignmentRules,
    people: Sequence[PersonLoad],
    channels: dict[tuple[int, str], _Channel],
    now: datetime,
    limit: int,
) -> tuple[Assignment, ...]:
    """Give waiting threads to eligible people, each claimed only while still unassigned."""
    eligible = {person.id: person for person in people if _eligible(person)}
    room = sum(person.capacity - person.load for person in eligible.values())
    if not eligible or not channels:
        return ()
    loads = {person_id: person.load for person_id, person in eligible.items()}
    turns = _last_turns(connection, {person.handle: person.id for person in eligible.values()})
    next_turn = max(turns.values(), default=0) + 1
    given: list[Assignment] = []
    rows = []
    for thread in _waiting(connection, channels, rules.order, min(room, limit)):
        open_people = [p for p in eligible.values() if loads[p.id] < p.capacity]
        if not open_people:
            break
        channel = channels[(thread.account_id, thread.kind)]
        person = min(open_people, key=_chooser(channel.mode, loads, turns))
        claimed = connection.execute(
            update(_thread)
            .where(
                _thread.c.id == thread.id,
                _thread.c.assignee_id.is_(None),
                _thread.c.status.in_(WORKING),
            )
            .values(assignee_id=person.id, version=_thread.c.version + 1)
        )
        if claimed.rowcount != 1:
            continue
        loads[person.id] += 1
        turns[person.id] = next_turn
        next_turn += 1
        reason = (
            f"{MODE_WORDS[channel.mode]} on {channel.words}, "
            f"now {loads[person.id]} of {person.capacity}"
        )
        given.append(Assignment(thread.id, person.handle, reason))
        change = events.ThreadAssigned(before=None, after=person.handle, reason=reason)
        rows.append(events.row(change, at=now, actor=events.ASSIGN_ACTOR, thread_id=thread.id))
    events.record_many(connection, rows)
    return tuple(given)


def _chooser(
    mode: AssignMode, loads: dict[int, int], turns: dict[int, int]
) -> Callable[[PersonLoad], tuple[Any, ...]]:
    """The sort key whose smallest person gets the next thread of a channel in `mode`.

    Round robin: whoever had their last automatic turn longest ago (never: first). Least
    loaded: the smallest load, and among equals the same turn order.
    """
    if mode == AssignMode.LEAST_LOADED:
        return lambda person: (loads[person.id], turns.get(person.id, 0), person.handle)
    return lambda person: (turns.get(person.id, 0), person.handle)


def _last_turns(connection: Connection, ids: dict[str, int]) -> dict[int, int]:
    """Each person's latest automatic assignment, as the event id that recorded it."""
    newest = connection.execute(select(func.max(_event.c.id))).scalar() or 0
    rows = connection.execute(
        select(_event.c.id, _event.c.payload)
        .where(
            _event.c.id > newest - ROTATION_LOOKBACK,
            _event.c.type == events.ThreadAssigned.type,
            _event.c.actor == events.ASSIGN_ACTOR,
        )
        .order_by(_event.c.id)
    )
    turns: dict[int, int] = {}
    for event_id, payload in rows:
        handle = (payload or {}).get("to")
        if handle in ids:
            turns[ids[handle]] = event_id
    return turns


# -- where passes run ----------------------------------------------------------------------


class AutoAssigner:
    """Runs passes in the process that sends (the worker, or the TUI polling in-process).

    It reads the event log every `interval` seconds and runs a pass when anything happened
    that it did not do itself (new messages, a thread closed, someone back), and at least
    every `full_every` seconds, for presence that changes without events (a closed
    inbox's heartbeat running out). Knows nothing of Textual; reports through `on_report`.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock = utc_now,
        interval: float = 2.0,
        full_every: float = 15.0,
        on_report: Callable[[PassReport], None] | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.interval = interval
        self.full_every = full_every
        self.on_report = on_report
        self._follower: events.EventFollower | None = None
        self._last_pass = 0.0
        """When the last pass ran (monotonic seconds)."""

    def tick(self) -> PassReport | None:
        """One look: a pass if something happened or the full interval passed, else None."""
        with self.engine.connect() as connection:
            if self._follower is None:
                self._follower = events.EventFollower(events.latest_id(connection))
                news = True
            else:
                news = any(
                    record.actor != events.ASSIGN_ACTOR
                    for record in self._follower.read(connection)
                )
        if not news and time.monotonic() - self._last_pass < self.full_every:
            return None
        self._last_pass = time.monotonic()
        report = run_pass(self.engine, self.clock())
        if self.on_report is not None and (report.assigned or report.handed_back):
            self.on_report(report)
        return report

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Look every `interval` until `stop`; a failed pass is logged and tried again."""
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.tick)
            except Exception:  # noqa: BLE001 - the next look tries again
                log.exception(
                    "auto-assignment failed; trying again in %.0f s",
                    self.interval,
                    extra={"event": "assign.failed"},
                )
            try:
                await asyncio.wait_for(stop.wait(), self.interval)
            except TimeoutError:
                pass
