"""Budget: all headline stats for a 30-day window on a 1M-item database in <= 300 ms.

Builds (once, cached under the temp directory) a SQLite inbox of a year of traffic: about
455k threads and 1M items (2.2 per thread, as in the demo), business-hours replies,
follow-ups, unanswered threads dismissed after a week, and one `thread.created` event per
thread. Rows go in with Core bulk inserts, in time order as sync would write them (ids follow
time). Then it measures `inbox.stats.compute.compute` for the last 30 days against a plain
reference doing the same work in the same run: read the period's threads
and items as rows of datetimes and compute everything in Python.

    python bench/stats.py [--rebuild] [--path FILE] [--runs 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, select

from inbox.core.clock import FixedClock
from inbox.core.database import open_engine
from inbox.core.models import Account, Agent, Event, Item, Thread, ThreadStatus
from inbox.service import InboxService
from inbox.sla import SlaPolicy
from inbox.stats.compute import compute
from inbox.stats.periods import Period

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
DAYS = 365
TARGET_ITEMS = 1_000_000
PLATFORMS = (
    "demo-mastodon",
    "demo-bluesky",
    "demo-x",
    "demo-reddit",
    "demo-facebook",
    "demo-email",
)
KINDS = ("mention", "comment", "dm")
CHUNK = 50_000


def default_path() -> Path:
    return Path(tempfile.gettempdir()) / "social-inbox-bench-stats-1m.db"


def thread_timeline(first_in: datetime, rng: random.Random) -> list[tuple[str, datetime]]:
    """A thread's messages: one in, usually answered in business hours, sometimes a follow-up.

    bench/tui.py builds its inboxes with it too.
    """
    timeline = [("in", first_in)]
    if rng.random() < 0.85:
        reply = _reply_time(first_in, rng)
        timeline.append(("out", reply))
        if rng.random() < 0.2:
            follow = reply + timedelta(minutes=rng.uniform(5, 600))
            timeline.append(("in", follow))
            if rng.random() < 0.8:
                timeline.append(("out", _reply_time(follow, rng)))
    elif rng.random() < 0.3:
        timeline.append(("in", first_in + timedelta(minutes=rng.uniform(1, 120))))
    return [(direction, at) for direction, at in timeline if at < NOW]


def _reply_time(received: datetime, rng: random.Random) -> datetime:
    """When a team working weekdays 08-18 UTC answers a message received at `received`."""
    at = received
    if at.hour >= 18 or at.weekday() >= 5:
        at = datetime.combine(at.date() + timedelta(days=1), datetime.min.time(), UTC).replace(
            hour=8
        )
    while at.weekday() >= 5:
        at += timedelta(days=1)
    if at.hour < 8:
        at = at.replace(hour=8, minute=0, second=0, microsecond=0)
    return at + timedelta(minutes=rng.lognormvariate(0, 0.9) * 30)


def build(path: Path) -> None:
    """Write the benchmark database to `path` (replacing any there)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = open_engine(f"sqlite:///{path}")
    rng = random.Random(1)
    start = NOW - timedelta(days=DAYS)
    with engine.begin() as connection:
        connection.execute(
            insert(Account.__table__),
            [
                {
                    "platform": platform,
                    "handle": f"brand{n}",
                    "settings": {},
                    "enabled": True,
                    "health": "ok",
                    "created_at": start,
                }
                for n, platform in enumerate(PLATFORMS)
            ],
        )
        connection.execute(
            insert(Agent.__table__),
            [
                {
                    "handle": f"agent{n}",
                    "name": f"Agent {n}",
                    "role": "agent",
                    "capacity": 20,
                    "active": True,
                    "created_at": start,
                }
                for n in range(12)
            ]
            + [
                {
                    "handle": "boss",
                    "name": "Boss",
                    "role": "supervisor",
                    "capacity": 0,
                    "active": True,
                    "created_at": start,
                }
            ],
        )
    threads: list[dict] = []
    items: list[dict] = []
    events: list[dict] = []
    pending: list[tuple[datetime, int, int, str, int | None, float | None]] = []
    thread_id = item_id = planned = 0
    per_day = TARGET_ITEMS / DAYS / 2.2
    for day in range(DAYS + 1):
        day_start = start + timedelta(days=day)
        pending.sort()
        ready = [entry for entry in pending if entry[0] < day_start]
        pending = [entry for entry in pending if entry[0] >= day_start]
        for created_at, account, owner, direction, agent, sentiment in ready:
            item_id += 1
            items.append(
                {
                    "id": item_id,
                    "account_id": account,
                    "thread_id": owner,
                    "direction": direction,
                    "external_id": f"e{item_id}",
                    "agent_id": agent,
                    "text": "hello" if direction == "in" else "thanks",
                    "created_at": created_at,
                    "sentiment": sentiment,
                }
            )
        if len(items) >= CHUNK:
            _flush(engine, threads, items, events)
        if day == DAYS or planned >= TARGET_ITEMS:
            continue
        starts = sorted(
            day_start + timedelta(seconds=rng.random() * 86_400) for _ in range(int(per_day))
        )
        for first_in in starts:
            if planned >= TARGET_ITEMS:
                break
            thread_id += 1
            threads.append(_thread(thread_id, first_in, rng, pending))
            planned += threads[-1]["item_count"]
            events.append(
                {
                    "at": first_in,
                    "actor": "sync",
                    "type": "thread.created",
                    "thread_id": thread_id,
                    "payload": {},
                }
            )
    _flush(engine, threads, items, events)
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    print(f"built {thread_id:,} threads and {item_id:,} items in {path}", file=sys.stderr)


def _thread(thread_id: int, first_in: datetime, rng: random.Random, pending: list) -> dict:
    """One thread's row; its messages go to `pending`, to be written in time order."""
    account = rng.randrange(len(PLATFORMS)) + 1
    kind = KINDS[rng.randrange(3)]
    timeline = thread_timeline(first_in, rng)
    agent = rng.randrange(12) + 1
    for direction, at in timeline:
        sentiment = round(rng.uniform(-1, 1), 3) if direction == "in" else None
        pending.append(
            (at, account, thread_id, direction, agent if direction == "out" else None, sentiment)
        )
    inbound = [at for direction, at in timeline if direction == "in"]
    outbound = [at for direction, at in timeline if direction == "out"]
    last_in, last_out = max(inbound), max(outbound, default=None)
    answered = last_out is not None and last_out >= last_in
    closed_at = None
    if answered and NOW - last_out > timedelta(hours=20):
        status, closed_at = ThreadStatus.CLOSED, last_out + timedelta(hours=rng.uniform(1, 12))
    elif answered:
        status = ThreadStatus.PENDING
    elif NOW - last_in > timedelta(days=7):
        status, closed_at = ThreadStatus.CLOSED, last_in + timedelta(hours=rng.uniform(1, 72))
    else:
        status = ThreadStatus.OPEN if outbound else ThreadStatus.NEW
    return {
        "id": thread_id,
        "account_id": account,
        "kind": kind,
        "thread_key": f"k{thread_id}",
        "status": status,
        "assignee_id": agent if outbound else None,
        "priority": "urgent" if rng.random() < 0.02 else "normal",
        "preview": "hello",
        "item_count": len(timeline),
        "unread": not answered,
        "first_inbound_at": first_in,
        "first_response_at": outbound[0] if outbound else None,
        "last_inbound_at": last_in,
        "last_outbound_at": last_out,
        "last_activity_at": max(at for _, at in timeline),
        "closed_at": closed_at,
        "created_at": first_in,
        "version": 1,
    }


def _flush(engine: Engine, threads: list[dict], items: list[dict], events: list[dict]) -> None:
    with engine.begin() as connection:
        if threads:
            connection.execute(insert(Thread.__table__), threads)
        if items:
            connection.execute(insert(Item.__table__), items)
        if events:
            connection.execute(insert(Event.__table__), events)
    threads.clear()
    items.clear()
    events.clear()


def reference(engine: Engine, period: Period, policy: SlaPolicy, now: datetime) -> dict:
    """The plain approach: fetch the period's rows as datetimes and compute in Python."""
    thread, item, account = Thread.__table__, Item.__table__, Account.__table__
    with engine.connect() as connection:
        platforms = dict(connection.execute(select(account.c.id, account.c.platform)).all())
        cohort = connection.execute(
            select(thread).where(
                thread.c.first_inbound_at >= period.since, thread.c.first_inbound_at < period.until
            )
        ).all()
        messages = connection.execute(
            select(item.c.thread_id, item.c.direction, item.c.created_at, item.c.sentiment)
            .where(item.c.created_at >= period.since, item.c.created_at < period.until)
            .order_by(item.c.thread_id, item.c.created_at)
        ).all()
        backlog = connection.execute(
            select(thread).where(thread.c.status.in_(("new", "open")))
        ).all()
    first = sorted(
        (row.first_response_at - row.first_inbound_at).total_seconds()
        for row in cohort
        if row.first_response_at
    )
    resolved = sorted(
        (row.closed_at - row.first_inbound_at).total_seconds() for row in cohort if row.closed_at
    )
    calendar = policy.calendar
    from inbox.core.models import to_micros

    met = breached = 0
    for row in cohort:
        target = (
            policy.target_seconds(platforms[row.account_id], row.kind, row.priority) * 1_000_000
        )
        end = row.first_response_at or now
        elapsed = calendar.elapsed(to_micros(row.first_inbound_at), to_micros(end))
        if elapsed > target:
            breached += 1
        elif row.first_response_at:
            met += 1
    next_times = []
    previous_thread, asked, replied = None, None, False
    hourly: dict[datetime, list[int]] = {}
    negative = scored = 0
    for thread_id, direction, created_at, sentiment in messages:
        bucket = hourly.setdefault(created_at.replace(minute=0, second=0, microsecond=0), [0, 0])
        bucket[direction == "out"] += 1
        if sentiment is not None:
            scored += 1
            negative += sentiment <= -0.05
        if thread_id != previous_thread:
            previous_thread, asked, replied = thread_id, None, False
        if direction == "in":
            if replied and asked is None:
                asked = created_at
        else:
            if asked is not None:
                next_times.append((created_at - asked).total_seconds())
            asked, replied = None, True
    ages = sorted(
        (now - row.last_inbound_at).total_seconds() for row in backlog if row.last_inbound_at
    )

    def quantiles(values: list[float]) -> tuple[float, float] | None:
        if len(values) < 2:
            return None
        cuts = statistics.quantiles(values, n=10, method="inclusive")
        return statistics.median(values), cuts[8]

    return {
        "first": quantiles(first),
        "resolution": quantiles(resolved),
        "next": quantiles(next_times),
        "sla": met / (met + breached) if met + breached else None,
        "backlog": len(ages),
        "hours": len(hourly),
        "negative": negative / scored if scored else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--path", type=Path, default=default_path())
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    if options.rebuild or not options.path.exists():
        began = time.perf_counter()
        build(options.path)
        print(f"build: {time.perf_counter() - began:.1f} s", file=sys.stderr)
    engine = open_engine(f"sqlite:///{options.path}")
    with engine.connect() as connection:
        item_count = connection.exec_driver_sql("SELECT count(*) FROM item").scalar()
        thread_count = connection.exec_driver_sql("SELECT count(*) FROM thread").scalar()
    clock = FixedClock(NOW)
    actor = InboxService(engine, actor="boss", clock=clock).actor
    policy = SlaPolicy.from_settings()
    period = Period(NOW - timedelta(days=30), NOW)

    def measure(work) -> tuple[float, object]:
        times, result = [], None
        for _ in range(options.runs):
            began = time.perf_counter()
            result = work()
            times.append((time.perf_counter() - began) * 1000)
        return statistics.median(times), result

    compute(engine, actor, clock, period, policy=policy)
    headline_ms, stats = measure(lambda: compute(engine, actor, clock, period, policy=policy))
    reference_ms, plain = measure(lambda: reference(engine, period, policy, NOW))
    figures = stats.figures
    print(f"database: {options.path} ({item_count:,} items, {thread_count:,} threads)")
    print(f"window: 30 days to {NOW:%Y-%m-%d %H:%M} UTC; median of {options.runs} runs")
    print(f"headline stats (inbox.stats.compute.compute): {headline_ms:8.1f} ms")
    print(f"plain reference (rows -> Python):     {reference_ms:8.1f} ms")
    print(
        f"first response p50 {figures.first_response.p50_seconds:.0f} s "
        f"(reference {plain['first'][0]:.0f} s), "
        f"p90 {figures.first_response.p90_seconds:.0f} s; "
        f"next response p50 {figures.next_response.p50_seconds:.0f} s "
        f"(reference {plain['next'][0]:.0f} s); "
        f"SLA hit rate {figures.sla.hit_rate:.3f} (reference {plain['sla']:.3f}); "
        f"backlog {figures.backlog.count:,}; in {figures.inbound:,} out {figures.outbound:,}; "
        f"negative share {figures.negative_share:.3f} (reference {plain['negative']:.3f})"
    )
    print(f"RESULT headline_ms_1m={headline_ms:.1f} reference_ms_1m={reference_ms:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
