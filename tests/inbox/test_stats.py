"""Stats and SLA on hand-built timelines, with the expected numbers worked out here.

The SLA policy is the default one: Monday to Friday 09:00-17:00 UTC, DMs 60 business
minutes, mentions 240, urgent 15. 2026-10-30 is a Friday, 2026-11-02 a Monday.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from adapters.base import Direction, Kind
from inbox import events
from inbox.core.database import write_transaction
from inbox.core.models import Item, Thread
from inbox.reports.charts import axis_top
from inbox.reports.stats_report import plots
from inbox.service import InboxService
from inbox.sla import SlaPolicy, refresh_due_at
from inbox.stats.compute import compute, percentile
from inbox.stats.figures import StatsFilter
from inbox.stats.periods import Period, parse_period
from inbox.store.ingest import Store
from tests.support.items import add_account
from tests.tui.workspace import message

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
WEEK = Period(datetime(2026, 10, 26, tzinfo=UTC), NOW)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Timeline:
    """Writes threads as sync and people would: items through ingest, status changes as events."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.store = Store(engine, lambda: NOW)
        self.account = add_account(engine, "demo-mastodon", "brand")
        self.count = 0

    def says(self, key: str, when: str, *, kind: Kind = Kind.MENTION, reply: bool = False) -> None:
        self.count += 1
        direction = Direction.OUT if reply else Direction.IN
        author = "brand" if reply else "carol"
        self.store.ingest(
            self.account,
            "mentions",
            [
                message(
                    f"m{self.count}",
                    key,
                    at(when),
                    f"message {self.count}",
                    author=author,
                    kind=kind,
                    direction=direction,
                )
            ],
            None,
        )

    def thread_id(self, key: str) -> int:
        with self.engine.connect() as connection:
            return connection.execute(
                select(Thread.__table__.c.id).where(Thread.__table__.c.thread_key == key)
            ).scalar_one()

    def status(self, key: str, when: str, status: str, until: str | None = None) -> None:
        thread = Thread.__table__
        thread_id = self.thread_id(key)
        values = {"status": status, "closed_at": at(when) if status == "closed" else None}
        if until is not None:
            values["snoozed_until"] = datetime.fromisoformat(until)
        with write_transaction(self.engine) as connection:
            connection.execute(update(thread).where(thread.c.id == thread_id).values(**values))
            events.record(
                connection,
                events.ThreadStatusChanged(before=None, after=status, until=until),
                at=at(when),
                actor="alex",
                thread_id=thread_id,
            )

    def set(self, key: str, **values) -> None:
        with write_transaction(self.engine) as connection:
            connection.execute(
                update(Thread.__table__)
                .where(Thread.__table__.c.id == self.thread_id(key))
                .values(**values)
            )


@pytest.fixture
def week(engine):
    """Six threads over the week before Monday 2026-11-02 12:00, people to look at them."""
    timeline = Timeline(engine)
    # A: a DM late on Friday, answered on Monday morning: 30 + 45 business minutes > 60.
    timeline.says("A", "2026-10-30T16:30", kind=Kind.DM)
    timeline.says("A", "2026-11-02T09:45", kind=Kind.DM, reply=True)
    # B: a mention on Saturday, answered at 10:00 on Monday: 60 business minutes <= 240.
    timeline.says("B", "2026-10-31T10:00")
    timeline.says("B", "2026-11-02T10:00", reply=True)
    # C: answered in 30 minutes and closed; reopened the next morning, answered in 20, closed.
    timeline.says("C", "2026-10-27T10:00")
    timeline.says("C", "2026-10-27T10:30", reply=True)
    timeline.status("C", "2026-10-27T11:00", "closed")
    timeline.says("C", "2026-10-28T09:00")
    timeline.says("C", "2026-10-28T09:20", reply=True)
    timeline.status("C", "2026-10-28T10:00", "closed")
    # D: a DM snoozed from 10:10 to 14:00, answered at 14:30: 270 minutes, 40 of them on the clock.
    timeline.says("D", "2026-10-28T10:00", kind=Kind.DM)
    timeline.status("D", "2026-10-28T10:10", "snoozed", until="2026-10-28T14:00:00+00:00")
    timeline.status("D", "2026-10-28T14:00", "open")
    timeline.says("D", "2026-10-28T14:30", kind=Kind.DM, reply=True)
    # E: a DM at 10:30 today, no reply yet: 90 business minutes, past its hour.
    timeline.says("E", "2026-11-02T10:30", kind=Kind.DM)
    # F: a mention at 11:00 today, no reply yet: 60 of its 240 minutes gone.
    timeline.says("F", "2026-11-02T11:00")
    _add_agent(engine, "drew", "supervisor")
    return timeline


def stats_as(engine, handle: str, **options):
    service = InboxService(engine, actor=handle, clock=lambda: NOW)
    return compute(engine, service.actor, service.clock, WEEK, **options)


def test_headline_numbers_of_the_week(engine, week):
    stats = stats_as(engine, "drew", breaches=True)
    figures = stats.figures

    # first responses: C 1,800 s, D 16,200 s, B 172,800 s, A 234,900 s
    assert figures.first_response.count == 4
    assert figures.first_response.p50_seconds == (16_200 + 172_800) / 2
    assert figures.first_response.p90_seconds == 172_800 + 0.7 * (234_900 - 172_800)
    assert figures.first_response.mean_seconds == (1_800 + 16_200 + 172_800 + 234_900) / 4
    # C's customer wrote again at 09:00 and was answered at 09:20
    assert (figures.next_response.count, figures.next_response.p50_seconds) == (1, 1_200)
    # C was closed for good a day after it began; the first close does not count
    assert (figures.resolution.count, figures.resolution.p50_seconds) == (1, 86_400)
    # met: B, C, D (thanks to the snooze); breached: A (weekend or not), E; F is still inside
    assert (figures.sla.met, figures.sla.breached, figures.sla.waiting) == (3, 2, 1)
    assert figures.sla.hit_rate == 0.6
    # waiting now: E for 5,400 s, F for 3,600 s
    assert figures.backlog.count == 2
    assert figures.backlog.oldest_seconds == 5_400
    assert figures.backlog.p50_seconds == 4_500
    assert figures.backlog.breached == 1
    assert (figures.inbound, figures.outbound) == (7, 5)
    assert [breach.thread_id for breach in stats.breaches] == [week.thread_id("E")]
    assert stats.breaches[0].overdue_seconds == 30 * 60


def test_grouped_by_kind(engine, week):
    stats = stats_as(engine, "drew", by="kind")
    groups = {group.group: group.figures for group in stats.by}
    assert set(groups) == {"dm", "mention"}
    # DMs: A 234,900 s breached, D 16,200 s met, E waiting past its hour
    assert groups["dm"].first_response.count == 2
    assert groups["dm"].first_response.p50_seconds == (234_900 + 16_200) / 2
    assert (groups["dm"].sla.met, groups["dm"].sla.breached) == (1, 2)
    assert groups["dm"].backlog.count == 1
    # mentions: B and C met, F inside its target; C's follow-up
    assert (groups["mention"].sla.met, groups["mention"].sla.waiting) == (2, 1)
    assert groups["mention"].next_response.count == 1
    assert stats.figures.first_response.count == 4


def test_filters_narrow_the_threads(engine, week):
    stats = stats_as(engine, "drew", filters=StatsFilter(kinds=("mention",)))
    assert stats.figures.first_response.count == 2
    assert stats.figures.backlog.count == 1


def test_an_agent_sees_only_their_own_threads(engine, week):
    alex_id = _add_agent(engine, "alex", "agent")
    week.set("A", assignee_id=alex_id)
    week.set("E", assignee_id=alex_id)

    own = stats_as(engine, "alex")
    everything = stats_as(engine, "drew")

    assert own.scope == "own (alex)"
    assert own.figures.first_response.count == 1
    assert own.figures.backlog.count == 1
    assert everything.figures.first_response.count == 4


def _add_agent(engine, handle: str, role: str) -> int:
    from inbox.core.models import Agent

    with write_transaction(engine) as connection:
        return connection.execute(
            Agent.__table__.insert().values(
                handle=handle, name=handle.title(), role=role, created_at=NOW
            )
        ).inserted_primary_key[0]


def test_per_agent_work_counts_replies_and_first_responses(engine, week):
    blake = _add_agent(engine, "blake", "agent")
    with write_transaction(engine) as connection:
        item = Item.__table__
        connection.execute(update(item).where(item.c.direction == "out").values(agent_id=blake))
    stats = stats_as(engine, "drew", agents=True)
    (work,) = stats.agents
    assert (work.handle, work.threads_handled, work.replies_sent) == ("blake", 4, 5)
    assert work.first_response.count == 4


def test_due_at_runs_on_business_hours_and_stops_while_snoozed(engine):
    timeline = Timeline(engine)
    timeline.says("weekend", "2026-10-30T16:30", kind=Kind.DM)
    timeline.says("snoozed-earlier", "2026-11-02T09:00", kind=Kind.DM)
    timeline.status(
        "snoozed-earlier", "2026-11-02T09:10", "snoozed", until="2026-11-02T10:10:00+00:00"
    )
    timeline.status("snoozed-earlier", "2026-11-02T10:10", "open")
    timeline.says("snoozed-now", "2026-11-02T09:30", kind=Kind.DM)
    timeline.status("snoozed-now", "2026-11-02T09:40", "snoozed", until="2026-11-03T09:00:00+00:00")
    timeline.says("urgent", "2026-11-02T16:50")
    timeline.set("urgent", priority="urgent")
    timeline.says("answered", "2026-11-02T09:00")
    timeline.says("answered", "2026-11-02T09:05", reply=True)
    timeline.says("asked-again", "2026-11-02T08:00")
    timeline.says("asked-again", "2026-11-02T08:30", reply=True)
    timeline.says("asked-again", "2026-11-02T11:00")
    timeline.says("asked-again", "2026-11-02T11:30")

    with write_transaction(engine) as connection:
        every_thread = connection.execute(select(Thread.__table__.c.id)).scalars().all()
        refresh_due_at(connection, SlaPolicy.from_settings(), every_thread, NOW)

    with engine.connect() as connection:
        thread = Thread.__table__
        due = dict(connection.execute(select(thread.c.thread_key, thread.c.due_at)).all())
    assert due["weekend"] == at("2026-11-02T09:30")  # 30 min on Friday, 30 on Monday
    assert due["snoozed-earlier"] == at("2026-11-02T11:00")  # an hour on the clock, an hour paused
    assert due["snoozed-now"] is None
    assert due["urgent"] == at("2026-11-03T09:05")  # 10 minutes on Monday, 5 on Tuesday
    assert due["answered"] is None
    assert due["asked-again"] == at("2026-11-02T15:00")  # 240 minutes from the first new message


def test_holidays_and_time_zones_move_the_clock():
    from inbox.core.models import to_micros
    from inbox.core.sla_settings import SlaSettings

    settings = SlaSettings(
        timezone="Europe/Berlin",
        hours={"mon": "09:00-17:00", "tue": "09:00-17:00"},
        holidays=(datetime(2026, 11, 3).date(),),
    )
    policy = SlaPolicy.from_settings(settings)
    # Monday 16:30 Berlin (15:30 UTC) + 60 minutes: Tuesday is a holiday, so the next Monday
    due = policy.due(to_micros(at("2026-11-02T15:30")), 3_600)
    assert datetime.fromtimestamp(due / 1e6, UTC) == at("2026-11-09T08:30")


def test_targets_take_the_strictest_that_applies():
    policy = SlaPolicy.from_settings()
    assert policy.target_seconds("demo-x", "dm", "normal") == 3_600
    assert policy.target_seconds("demo-x", "dm", "urgent") == 900
    assert policy.target_seconds("demo-x", "comment", "normal") == 4 * 3_600


def test_percentiles_interpolate_like_percentile_cont():
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([10, 20, 30, 40, 50], 0.9) == 46
    assert percentile([7], 0.9) == 7


def test_periods_are_read_as_people_type_them():
    assert parse_period("7d", None, NOW) == Period(NOW - timedelta(days=7), NOW)
    assert parse_period("2026-11-01", "12h", NOW) == Period(
        at("2026-11-01T00:00"), NOW - timedelta(hours=12)
    )


# -- the report's charts ------------------------------------------------------------------


def chart_texts(svg: str) -> list[str]:
    """The words and numbers a chart shows, in drawing order."""
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_the_report_charts_name_their_axes_and_show_their_scale(engine, week):
    volume, first_response = plots(stats_as(engine, "drew"))

    texts = chart_texts(volume.svg)
    assert "messages" in texts and "day, 2026-10-26 to 2026-11-02" in texts
    assert {"0", "1", "2"} <= set(texts), "zero, half and the top of the value axis"
    assert texts.index("10-26") < texts.index("11-02"), "the first and last day under the bars"
    texts = chart_texts(first_response.svg)
    assert "hours to a first reply" in texts and "0 h" in texts
    assert "No data in this period" not in texts


def test_charts_with_nothing_to_show_say_so_instead_of_drawing(engine):
    _add_agent(engine, "drew", "supervisor")

    for plot in plots(stats_as(engine, "drew")):
        assert "No data in this period" in chart_texts(plot.svg)
        assert "<rect x=" not in plot.svg and "<polyline" not in plot.svg, plot.name


def test_the_value_axis_ends_at_a_round_number_at_or_above_the_peak():
    assert [axis_top(peak) for peak in (0, 0.3, 1, 3, 5, 38, 45, 377, 1_000)] == [
        1,
        0.4,
        1,
        4,
        6,
        40,
        60,
        400,
        1_000,
    ]
