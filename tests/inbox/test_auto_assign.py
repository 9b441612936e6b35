"""Auto-assignment: waiting threads go to the people who are here and have room, as the
lead's rules say; answering takes a thread; away people hand theirs back. On both databases,
and with several processes running passes at once.

Monday 2026-11-02: messages arrive from 08:00; the default SLA policy gives mentions 240
and DMs 60 business minutes from 09:00.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from adapters.base import Direction, Kind
from inbox.core.assignment_rules import (
    AssignmentRules,
    AssignMode,
    assignment_rules_from_table,
    edit_assignment_rules,
)
from inbox.core.clock import FixedClock
from inbox.core.config import Config
from inbox.core.database import open_engine
from inbox.core.errors import Conflict, InvalidInput, PermissionDenied
from inbox.core.models import Agent, Event, Thread
from inbox.demo.workspace import build_workspace
from inbox.events import ASSIGN_ACTOR, AgentAwayChanged, ThreadAssigned
from inbox.outbox.sender import Sender
from inbox.runtime import adapter_factory
from inbox.service import InboxService
from inbox.store.ingest import Store
from inbox.triage.auto_assign import ONLINE_WINDOW, AutoAssigner, Availability, run_pass
from inbox.worker.process import InboxWorker
from tests.conftest import REPO
from tests.support.items import add_account
from tests.tui.workspace import message

pytestmark = pytest.mark.postgres

QUIET_DEMO = {"send_latency_scale": 0, "send_failure_rate": 0, "rate_per_hour": 0.001}
"""Demo accounts that send at once, never fail, and bring (almost) no traffic of their own."""

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)

_thread = Thread.__table__
_agent = Agent.__table__
_event = Event.__table__


class Clock:
    """A clock the test moves on."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def team(engine, clock):
    """ana (admin), lee (lead), ben, cat and dee (agents, capacity 3), drew (supervisor);
    a Mastodon and a Reddit account."""
    InboxService(engine).add_agent("ana", "Ana", "admin")
    admin = InboxService(engine, actor="ana", clock=clock)
    admin.add_agent("lee", "Lee", "lead")
    for handle in ("ben", "cat", "dee"):
        admin.add_agent(handle, handle.title(), "agent", capacity=3)
    admin.add_agent("drew", "Drew", "supervisor")
    mastodon = add_account(engine, "demo-mastodon", "brand", **QUIET_DEMO)
    reddit = add_account(engine, "demo-reddit", "brand", **QUIET_DEMO)
    return engine, mastodon, reddit


def person(engine, clock, handle: str) -> InboxService:
    return InboxService(engine, actor=handle, clock=clock)


def arrive(engine, account, count: int, *, kind: Kind = Kind.MENTION, start: int = 0) -> None:
    """`count` new threads on `account`, one a minute from T0 + `start` minutes."""
    Store(engine, lambda: NOW).ingest(
        account,
        "mentions",
        [
            message(
                f"{account.platform}-{kind}-{start + number}",
                f"{account.platform}-{kind}-t{start + number}",
                T0 + timedelta(minutes=start + number),
                f"help please ({number})",
                kind=kind,
            )
            for number in range(count)
        ],
        None,
    )


def turn_on(engine, clock, **settings: str) -> None:
    lee = person(engine, clock, "lee")
    current = lee.assignment_rules()
    lee.set_assignment_rules(edit_assignment_rules(current.rules, settings), current.version)


def online(engine, clock, *handles: str) -> None:
    for handle in handles:
        person(engine, clock, handle).heartbeat()


def holders(engine) -> dict[int, str | None]:
    """Each thread's holder by thread id."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(_thread.c.id, _agent.c.handle)
            .outerjoin(_agent, _agent.c.id == _thread.c.assignee_id)
            .order_by(_thread.c.id)
        )
        return {thread_id: handle for thread_id, handle in rows}


def loads(engine, clock) -> dict[str, tuple[int, int]]:
    return {
        row.handle: (row.load, row.capacity) for row in person(engine, clock, "lee").team_load()
    }


# -- the rules as settings -------------------------------------------------------------------


def test_the_most_specific_rule_wins():
    rules = assignment_rules_from_table(
        {
            "default": "least_loaded",
            "kind": {"dm": "off"},
            "platform": {"reddit": "round_robin"},
            "account": {"7": "off"},
        }
    )

    assert rules.mode_for(1, "mastodon", "mention") == AssignMode.LEAST_LOADED
    assert rules.mode_for(1, "mastodon", "dm") == AssignMode.OFF
    assert rules.mode_for(2, "reddit", "dm") == AssignMode.ROUND_ROBIN
    assert rules.mode_for(7, "reddit", "mention") == AssignMode.OFF


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"default": "sometimes"}, "default must be off, round_robin, least_loaded"),
        ({"order": "newest"}, "order must be oldest_waiting or sla_due, not 'newest'"),
        ({"hand_back_minutes": "-3"}, "hand_back_minutes must be a whole number"),
        ({"platform.myspace": "off"}, "'myspace' is not a platform"),
        ({"kind.fax": "off"}, "'fax' is not a kind (known: comment, dm, mention)"),
        ({"account.brand": "off"}, "account.brand: name an account by its id"),
        ({"colour": "blue"}, "unknown setting 'colour'"),
    ],
)
def test_a_typo_in_a_rule_is_refused_in_words(settings, problem):
    with pytest.raises(InvalidInput, match=problem.replace("(", r"\(").replace(")", r"\)")):
        edit_assignment_rules(AssignmentRules(), settings)


def test_modes_may_be_typed_with_hyphens_and_an_empty_value_removes_a_rule():
    rules = edit_assignment_rules(AssignmentRules(), {"default": "round-robin", "kind.dm": "off"})
    assert (rules.default, rules.kind) == ("round_robin", {"dm": "off"})

    assert edit_assignment_rules(rules, {"kind.dm": ""}).kind == {}


def test_leads_set_the_rules_agents_may_not_and_a_stale_version_is_refused(team, clock):
    engine, mastodon, _ = team
    with pytest.raises(PermissionDenied, match="only admin, lead may set the auto-assignment"):
        person(engine, clock, "ben").set_assignment_rules(AssignmentRules(), 0)
    turn_on(engine, clock, default="least_loaded")

    with pytest.raises(Conflict, match="lee saved version 1"):
        person(engine, clock, "ana").set_assignment_rules(AssignmentRules(), 0)
    with pytest.raises(InvalidInput, match="there is no account 99"):
        turn_on(engine, clock, **{"account.99": "off"})
    turn_on(engine, clock, **{f"account.{mastodon.id}": "round_robin"})

    team_rules = person(engine, clock, "ben").assignment_rules()
    assert team_rules.version == 2
    assert team_rules.rules.account == {str(mastodon.id): "round_robin"}
    history = [change.sentence for change in person(engine, clock, "ben").team_setting_history()]
    assert (
        history[0]
        == "lee changed the assignment rules (version 1): default from off to least_loaded"
    )


# -- who gets what ---------------------------------------------------------------------------


def test_nothing_is_assigned_until_a_lead_turns_it_on(team, clock):
    engine, mastodon, _ = team
    arrive(engine, mastodon, 3)
    online(engine, clock, "ben", "cat")

    assert run_pass(engine, clock()).assigned == ()
    assert set(holders(engine).values()) == {None}


def test_least_loaded_fills_the_emptiest_first_and_says_why(team, clock):
    engine, mastodon, _ = team
    arrive(engine, mastodon, 5)
    lee = person(engine, clock, "lee")
    first, second = sorted(holders(engine))[:2]
    lee.assign([first, second], "ben")
    online(engine, clock, "ben", "cat")
    turn_on(engine, clock, default="least_loaded")

    report = run_pass(engine, clock())

    assert [(a.handle, a.reason) for a in report.assigned] == [
        ("cat", "least loaded on Mastodon (demo) mentions, now 1 of 3"),
        ("cat", "least loaded on Mastodon (demo) mentions, now 2 of 3"),
        ("ben", "least loaded on Mastodon (demo) mentions, now 3 of 3"),
    ]
    assert loads(engine, clock)["ben"] == (3, 3)
    assert loads(engine, clock)["cat"] == (2, 3)
    history = [entry.text for entry in lee.history(report.assigned[0].thread_id)]
    assert (
        "auto-assign assigned this to cat (least loaded on Mastodon (demo) mentions, now 1 of 3)"
        in history
    )


def test_round_robin_takes_turns_in_the_order_the_customers_waited(team, clock):
    engine, mastodon, _ = team
    arrive(engine, mastodon, 6)
    online(engine, clock, "ben", "cat", "dee")
    turn_on(engine, clock, default="round_robin")

    report = run_pass(engine, clock())

    assert [a.handle for a in report.assigned] == ["ben", "cat", "dee"] * 2
    assert [a.thread_id for a in report.assigned] == sorted(holders(engine))


def test_the_turns_go_on_from_where_the_last_pass_stopped(team, clock):
    engine, mastodon, _ = team
    online(engine, clock, "ben", "cat", "dee")
    turn_on(engine, clock, default="round_robin")
    arrive(engine, mastodon, 2)
    assert [a.handle for a in run_pass(engine, clock()).assigned] == ["ben", "cat"]

    arrive(engine, mastodon, 2, start=10)

    assert [a.handle for a in run_pass(engine, clock()).assigned] == ["dee", "ben"]


def test_only_online_people_with_room_are_handed_threads(team, clock):
    engine, mastodon, _ = team
    arrive(engine, mastodon, 10)
    online(engine, clock, "ben", "cat", "dee", "drew")
    person(engine, clock, "cat").set_away(True)
    clock.now += ONLINE_WINDOW + timedelta(seconds=1)
    online(engine, clock, "ben", "drew")  # dee's inbox closed: her heartbeat ran out
    turn_on(engine, clock, default="least_loaded")

    report = run_pass(engine, clock())

    assert Counter(a.handle for a in report.assigned) == {"ben": 3}
    assert loads(engine, clock) == {
        "ana": (0, 20),
        "ben": (3, 3),
        "cat": (0, 3),
        "dee": (0, 3),
        "lee": (0, 20),
    }
    assert run_pass(engine, clock()).assigned == ()
    people = {row.handle: row for row in person(engine, clock, "lee").team_load()}
    assert people["cat"].availability == Availability.AWAY
    assert people["dee"].presence_text(clock()) == "offline for 1 min"
    assert "drew" not in people, "supervisors hold no threads"


def test_sla_due_order_hands_out_the_most_urgent_thread_first(team, clock):
    engine, mastodon, _ = team
    arrive(engine, mastodon, 1)  # a mention at 08:00, due 13:00
    arrive(engine, mastodon, 1, kind=Kind.DM, start=30)  # a DM at 08:30, due 10:00
    mention, dm = sorted(holders(engine))
    online(engine, clock, "ben")
    with engine.begin() as connection:
        connection.execute(update(_agent).values(capacity=1))

    turn_on(engine, clock, default="least_loaded", order="sla_due")
    assert [a.thread_id for a in run_pass(engine, clock()).assigned] == [dm]

    person(engine, clock, "lee").assign([dm], None)
    turn_on(engine, clock, order="oldest_waiting")
    assert [a.thread_id for a in run_pass(engine, clock()).assigned] == [mention]


def test_rules_per_account_and_per_kind(team, clock):
    engine, mastodon, reddit = team
    arrive(engine, mastodon, 1)
    arrive(engine, mastodon, 1, kind=Kind.DM)
    arrive(engine, reddit, 1, kind=Kind.DM)
    mastodon_mention, mastodon_dm, reddit_dm = sorted(holders(engine))
    online(engine, clock, "ben")
    turn_on(
        engine,
        clock,
        default="least_loaded",
        **{"kind.dm": "off", f"account.{reddit.id}": "round_robin"},
    )

    report = run_pass(engine, clock())

    assert {a.thread_id: a.reason.partition(",")[0] for a in report.assigned} == {
        mastodon_mention: "least loaded on Mastodon (demo) mentions",
        reddit_dm: "round robin on Reddit (demo) DMs",
    }
    assert holders(engine)[mastodon_dm] is None


# -- answering, going away -------------------------------------------------------------------


def send(engine, clock) -> None:
    """Send everything queued, as the worker would."""
    asyncio.run(Sender(engine, adapter_factory(None), clock=clock).send_once(None))


def test_a_thread_someone_answered_becomes_theirs_once_the_reply_is_sent(team, clock):
    engine, mastodon, _ = team
    arrive(engine, mastodon, 4)
    unassigned, cats, *many = sorted(holders(engine))
    lee = person(engine, clock, "lee")
    lee.assign([cats], "cat")
    person(engine, clock, "ben").queue_reply(unassigned, "On it!")
    lee.queue_reply(cats, "Looking into it.")
    lee.queue_bulk_reply(many, "We know, and we are on it.")
    assert holders(engine)[unassigned] is None, "on its way: not answered yet"

    send(engine, clock)

    assert holders(engine) == {unassigned: "ben", cats: "cat", **dict.fromkeys(many)}
    assert "ben took it (answered it)" in [entry.text for entry in lee.history(unassigned)]


def test_a_thread_whose_reply_is_on_its_way_is_not_handed_out(team, clock):
    engine, mastodon, _ = team
    arrive(engine, mastodon, 2)
    answering, waiting = sorted(holders(engine))
    person(engine, clock, "ben").queue_reply(answering, "On it!")
    online(engine, clock, "cat")
    turn_on(engine, clock, default="least_loaded")

    assert [a.thread_id for a in run_pass(engine, clock()).assigned] == [waiting]


def test_an_away_person_hands_back_their_unanswered_threads_after_the_set_time(team, clock):
    engine, mastodon, _ = team
    arrive(engine, mastodon, 3)
    answered, *waiting = sorted(holders(engine))
    online(engine, clock, "ben", "cat")
    person(engine, clock, "lee").assign([answered, *waiting], "ben")
    Store(engine, clock).ingest(
        mastodon,
        "mentions",
        [
            message(
                "our-answer",
                f"{mastodon.platform}-mention-t0",
                NOW,
                "Fixed!",
                direction=Direction.OUT,
            )
        ],
        None,
    )
    person(engine, clock, "lee").set_assignment_rules(
        edit_assignment_rules(AssignmentRules(), {"default": "least_loaded"}), 0
    )
    ben = person(engine, clock, "ben")
    ben.set_away(True)

    clock.now += timedelta(minutes=14)
    online(engine, clock, "cat")
    assert run_pass(engine, clock()).handed_back == ()

    clock.now += timedelta(minutes=1)
    online(engine, clock, "cat")
    report = run_pass(engine, clock())

    assert [a.thread_id for a in report.handed_back] == waiting
    assert {a.thread_id: a.handle for a in report.assigned} == dict.fromkeys(waiting, "cat")
    assert holders(engine)[answered] == "ben", "an answered thread stays with its holder"
    history = [entry.text for entry in ben.history(waiting[0])]
    assert "auto-assign unassigned it from ben (handed back: ben away for 15 min)" in history
    assert ben.set_away(False) and not ben.set_away(False)
    away_events = [r.event() for r in ben.events_after(0) if r.type == AgentAwayChanged.type]
    assert [event.describe("ben") for event in away_events] == ["ben is away", "ben is back"]


# -- where passes run ------------------------------------------------------------------------


def test_the_assigner_runs_a_pass_when_new_messages_land(team, clock):
    engine, mastodon, _ = team
    online(engine, clock, "ben")
    turn_on(engine, clock, default="least_loaded")
    assigner = AutoAssigner(engine, clock=clock, full_every=3600)
    assigner.tick()

    assert assigner.tick() is None, "nothing happened: no pass"
    arrive(engine, mastodon, 2)
    report = assigner.tick()

    assert report is not None and [a.handle for a in report.assigned] == ["ben", "ben"]
    assert assigner.tick() is None, "its own events start no pass"


def test_the_worker_runs_the_passes(team, clock):
    engine, mastodon, _ = team
    online(engine, clock, "ben")
    turn_on(engine, clock, default="least_loaded")
    arrive(engine, mastodon, 2)
    waiting = set(holders(engine))
    worker = InboxWorker(engine, Config(), None, clock=clock, settle_seconds=1)

    def held_by_ben() -> bool:
        """the two waiting threads are ben's"""
        return {holders(engine)[thread_id] for thread_id in waiting} == {"ben"}

    async def run_until_assigned() -> None:
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        deadline = asyncio.get_running_loop().time() + 30
        while not await asyncio.to_thread(held_by_ben):
            assert asyncio.get_running_loop().time() < deadline, "the worker assigned nothing"
            await asyncio.sleep(0.05)
        stop.set()
        assert await running

    asyncio.run(run_until_assigned())


def test_the_demo_starts_with_it_on_and_nobody_over_their_capacity(sqlite_url):
    engine = open_engine(sqlite_url)
    build_workspace(engine, seed=7, days=7, clock=FixedClock(NOW), score_sentiment=False)
    casey = InboxService(engine, actor="casey", clock=FixedClock(NOW))

    rules = casey.assignment_rules()
    assert (rules.rules.default, rules.rules.order, rules.updated_by) == (
        "least_loaded",
        "sla_due",
        "casey",
    )
    loads = {person.handle: (person.load, person.capacity) for person in casey.team_load()}
    assert all(load <= capacity for load, capacity in loads.values()), loads
    assert loads["alex"][0] > 0, "the team is working on something"
    engine.dispose()


# -- several processes at once ---------------------------------------------------------------

PASSES = """
import sys
from datetime import datetime
from inbox.core.database import open_engine
from inbox.triage.auto_assign import run_pass

engine = open_engine(sys.argv[1], create=False)
now = datetime.fromisoformat(sys.argv[2])
empty = 0
while empty < 3:
    report = run_pass(engine, now, limit=3)
    empty = 0 if report.assigned else empty + 1
"""


@pytest.mark.slow
def test_several_processes_never_assign_a_thread_twice_nor_overfill_anyone(
    team, clock, database_url
):
    engine, mastodon, reddit = team
    arrive(engine, mastodon, 40)
    arrive(engine, mastodon, 40, kind=Kind.DM)
    arrive(engine, reddit, 40, kind=Kind.DM)
    admin = person(engine, clock, "ana")
    capacities = {"ben": 10, "cat": 13, "dee": 17, "lee": 19}
    with engine.begin() as connection:
        for handle, capacity in capacities.items():
            connection.execute(
                update(_agent).where(_agent.c.handle == handle).values(capacity=capacity)
            )
    online(engine, clock, *capacities)
    admin.set_assignment_rules(
        edit_assignment_rules(
            AssignmentRules(), {"default": "least_loaded", f"account.{reddit.id}": "round_robin"}
        ),
        0,
    )

    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PASSES, database_url, clock().isoformat()],
            cwd=REPO,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    for process in processes:
        _, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors.decode()

    with engine.connect() as connection:
        claims = Counter(
            connection.execute(
                select(_event.c.thread_id).where(
                    _event.c.type == ThreadAssigned.type, _event.c.actor == ASSIGN_ACTOR
                )
            ).scalars()
        )
        assigned = connection.execute(
            select(func.count()).where(_thread.c.assignee_id.is_not(None))
        ).scalar()
    assert max(claims.values()) == 1, "a thread was assigned twice"
    assert assigned == len(claims) == sum(capacities.values())
    assert loads(engine, clock) == {
        "ana": (0, 20),
        **{handle: (capacity, capacity) for handle, capacity in capacities.items()},
    }
