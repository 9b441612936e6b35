"""`inbox demo`: a whole workspace on simulated platforms, ready to try.

Nine accounts styled as Mastodon, Bluesky, X, Reddit, Facebook, email, Instagram,
YouTube and LinkedIn; five people (alex and blake answer, casey leads, drew supervises,
admin administers); 30 days of history with realistic response times, so stats and
reviews mean something; the starter prepared answers; and auto-assignment on (least
loaded, SLA due first), each person starting under their capacity. Everything follows
from the seed: the same seed builds the same workspace, and live traffic continues where
the history stops.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, select, update

from adapters.base import AccountRef, Direction, FetchedItem
from adapters.demo.adapter import DemoAdapter
from adapters.registry import adapter_class
from inbox.core.assignment_rules import AssignmentRules, edit_assignment_rules
from inbox.core.clock import Clock, utc_now
from inbox.core.database import write_transaction
from inbox.core.models import Agent, CannedResponse, Item, Thread, ThreadStatus
from inbox.demo.crisis import CRISIS_LEAD, add_listening_rules
from inbox.service import InboxService
from inbox.store.ingest import Store

PEOPLE = (
    ("alex", "Alex Kim", "agent"),
    ("blake", "Blake Okafor", "agent"),
    ("casey", "Casey Morgan", "lead"),
    ("drew", "Drew Patel", "supervisor"),
    ("admin", "Sam Admin", "admin"),
)

ACCOUNTS: tuple[tuple[str, str, float], ...] = (
    ("demo-mastodon", "@brand@demo.social", 4.0),
    ("demo-bluesky", "brand.bsky.social", 5.0),
    ("demo-x", "@brand", 8.0),
    ("demo-reddit", "u/brand_official", 2.5),
    ("demo-facebook", "Brand", 4.0),
    ("demo-email", "support@brand.example", 2.5),
    ("demo-instagram", "@brand.app", 3.0),
    ("demo-youtube", "@BrandTV", 2.0),
    ("demo-linkedin", "Brand Inc.", 1.5),
)
"""(platform, handle, inbound messages per hour on average) of each demo account."""

DEFAULT_ACTOR = "alex"
DEMO_LOAD = 15
"""Open threads each person holds when the demo starts: under the capacity of 20, so
auto-assignment has room to hand them more as they come online."""
DEMO_ASSIGNMENT = {"default": "least_loaded", "order": "sla_due"}
"""The auto-assignment rules the demo's lead has set."""
_PAGE = 500
_BUSINESS_HOURS = (time(8), time(18))


@dataclass(frozen=True, slots=True)
class WorkspaceSummary:
    """What `build_workspace` made."""

    accounts: int
    people: int
    inbound_items: int
    replies: int
    open_threads: int
    prepared_answers: int


def demo_account_settings(
    seed: int, epoch: datetime, rate: float, crisis_at: datetime | None
) -> dict[str, Any]:
    """The demo adapter's settings for one account (see adapters/demo/adapter.py)."""
    settings: dict[str, Any] = {"seed": seed, "epoch": epoch.isoformat(), "rate_per_hour": rate}
    if crisis_at is not None:
        settings["crises"] = [{"at": crisis_at.isoformat()}]
    return settings


def build_workspace(
    engine: Engine,
    *,
    seed: int,
    days: int,
    crisis_at: datetime | None = None,
    clock: Clock = utc_now,
    score_sentiment: bool = True,
) -> WorkspaceSummary:
    """Fill an empty inbox database with the demo workspace.

    With `score_sentiment` false the history is left for the sync loop's background pass,
    so the TUI opens sooner.
    """
    now = clock()
    epoch = now - timedelta(days=days)
    service = InboxService(engine, clock=clock)
    agent_ids = {handle: service.add_agent(handle, name, role) for handle, name, role in PEOPLE}
    service = InboxService(engine, actor="admin", clock=clock)
    store = Store(engine, clock)
    rng = random.Random(seed)
    inbound = replies = 0
    for platform, handle, rate in ACCOUNTS:
        settings = demo_account_settings(seed, epoch, rate, crisis_at)
        account_id = service.add_account(platform, handle, settings=settings)
        account = AccountRef(id=account_id, platform=platform, handle=handle, settings=settings)
        adapter: DemoAdapter = adapter_class(platform)(account, None, clock=clock)
        for stream in adapter.streams:
            history = list(adapter.simulator.stream_items_between(stream, epoch, now))
            answers = list(_answers(adapter, history, now, rng))
            inbound += len(history)
            replies += len(answers)
            timeline = sorted(
                [item for item in history] + [answer for answer, _ in answers],
                key=lambda item: item.created_at,
            )
            cursor = adapter.cursor_after(stream, now)
            for start in range(0, len(timeline), _PAGE):
                page = timeline[start : start + _PAGE]
                last = start + _PAGE >= len(timeline)
                store.ingest(account, stream, page, cursor if last else None)
            if not timeline:
                store.ingest(account, stream, [], cursor)
            _attribute(engine, account_id, answers, agent_ids)
    _settle_threads(engine, now, rng, agent_ids)
    while score_sentiment and store.score_sentiment(5_000):
        pass
    answers_loaded = _import_prepared_answers(engine, now)
    _schedule_demo_posts(engine, now, clock)
    lead = InboxService(engine, actor=CRISIS_LEAD, clock=clock)
    add_listening_rules(lead)
    lead.set_assignment_rules(edit_assignment_rules(AssignmentRules(), DEMO_ASSIGNMENT), 0)
    with engine.connect() as connection:
        open_threads = connection.execute(
            select(Thread.__table__.c.id).where(Thread.__table__.c.status != ThreadStatus.CLOSED)
        ).all()
    return WorkspaceSummary(
        accounts=len(ACCOUNTS),
        people=len(PEOPLE),
        inbound_items=inbound,
        replies=replies,
        open_threads=len(open_threads),
        prepared_answers=answers_loaded,
    )


def _answers(
    adapter: DemoAdapter, history: list[FetchedItem], now: datetime, rng: random.Random
) -> Iterable[tuple[FetchedItem, str]]:
    """The brand's replies to past messages, each with the person who wrote it."""
    for item in history:
        category = str((item.raw or {}).get("category", ""))
        if category == "spam" or rng.random() > 0.85:
            continue
        answered_at = _response_time(item.created_at, item.kind == "dm", rng)
        if answered_at >= now:
            continue
        agent = rng.choices(("alex", "blake", "casey"), weights=(6, 4, 1))[0]
        text = adapter.simulator.agent_reply_text(item, rng, agent.title())
        yield adapter.simulator.brand_reply(item, text, answered_at), agent


def _response_time(received: datetime, direct: bool, rng: random.Random) -> datetime:
    """When a team working business hours (UTC) answers a message received at `received`."""
    start, end = _BUSINESS_HOURS
    at = received
    if at.time() >= end or at.weekday() >= 5:
        at = datetime.combine(at.date() + timedelta(days=1), start, at.tzinfo)
    while at.weekday() >= 5:
        at += timedelta(days=1)
    if at.time() < start:
        at = datetime.combine(at.date(), start, at.tzinfo)
    median_minutes = 18 if direct else 40
    return at + timedelta(minutes=rng.lognormvariate(0, 0.9) * median_minutes)


def _attribute(
    engine: Engine,
    account_id: int,
    answers: list[tuple[FetchedItem, str]],
    agent_ids: dict[str, int],
) -> None:
    """Record who wrote each historical reply."""
    if not answers:
        return
    item = Item.__table__
    with write_transaction(engine) as connection:
        connection.execute(
            update(item)
            .where(
                item.c.account_id == account_id, item.c.external_id == bindparam("b_external_id")
            )
            .values(agent_id=bindparam("b_agent_id")),
            [
                {"b_external_id": answer.external_id, "b_agent_id": agent_ids[agent]}
                for answer, agent in answers
            ],
        )


def _settle_threads(
    engine: Engine, now: datetime, rng: random.Random, agent_ids: dict[str, int]
) -> None:
    """Close what was answered long ago, and assign what the team is working on: the latest
    open threads, `DEMO_LOAD` per person at most, the rest left for auto-assignment."""
    thread, item = Thread.__table__, Item.__table__
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                thread.c.id,
                thread.c.last_inbound_at,
                thread.c.last_outbound_at,
                thread.c.created_at,
            ).order_by(thread.c.last_activity_at.desc(), thread.c.id)
        ).all()
        repliers = dict(
            connection.execute(
                select(item.c.thread_id, item.c.agent_id)
                .where(item.c.direction == Direction.OUT, item.c.agent_id.is_not(None))
                .order_by(item.c.created_at)
            ).all()
        )
    changes = []
    working: Counter[int] = Counter()
    for row in rows:
        answered = row.last_outbound_at is not None and (
            row.last_inbound_at is None or row.last_outbound_at >= row.last_inbound_at
        )
        assignee = repliers.get(row.id)
        status = ThreadStatus.OPEN if assignee else ThreadStatus.NEW
        closed_at = None
        if answered and now - row.last_outbound_at > timedelta(hours=20):
            status, closed_at = (
                ThreadStatus.CLOSED,
                row.last_outbound_at + timedelta(hours=rng.uniform(1, 12)),
            )
        elif answered:
            status = ThreadStatus.PENDING
        elif assignee is None and rng.random() < 0.3:
            assignee = agent_ids[rng.choice(("alex", "blake"))]
            status = ThreadStatus.OPEN
        if status == ThreadStatus.OPEN and assignee is not None:
            if working[assignee] >= DEMO_LOAD:
                assignee = None  # the rest waits for auto-assignment
            else:
                working[assignee] += 1
        changes.append(
            {
                "b_id": row.id,
                "b_status": status,
                "b_assignee": assignee,
                "b_closed_at": closed_at,
                "b_unread": not answered,
            }
        )
    with write_transaction(engine) as connection:
        connection.execute(
            update(thread)
            .where(thread.c.id == bindparam("b_id"))
            .values(
                status=bindparam("b_status"),
                assignee_id=bindparam("b_assignee"),
                closed_at=bindparam("b_closed_at"),
                unread=bindparam("b_unread"),
            ),
            changes,
        )


def _import_prepared_answers(engine: Engine, now: datetime) -> int:
    from canned_responses.library import load_starter

    responses, _problems = load_starter()
    rows = [
        {
            "shortcode": response.shortcode,
            "title": response.title,
            "body": response.body,
            "variants": dict(response.variants),
            "tags": list(response.tags),
            "language": response.language,
            "needs_approval": response.needs_approval,
            "updated_at": now,
        }
        for response in responses
    ]
    if rows:
        with write_transaction(engine) as connection:
            connection.execute(CannedResponse.__table__.insert(), rows)
    return len(rows)


DEMO_POSTS: tuple[tuple[str, str, timedelta], ...] = (
    (
        "demo-mastodon",
        "New in Nimbus Photos: shared albums now keep their order. Try it today!",
        timedelta(hours=3),
    ),
    (
        "demo-x",
        "Weekend tip: turn on auto-backup before your trip, and never lose a photo again.",
        timedelta(days=1),
    ),
)
"""(platform, text, when after the build) of the scheduled posts the demo starts with."""


def _schedule_demo_posts(engine: Engine, now: datetime, clock: Clock) -> None:
    """A couple of scheduled posts, so that pausing publishing in a crisis shows."""
    from inbox.core.models import Account

    service = InboxService(engine, actor="casey", clock=clock)
    with engine.connect() as connection:
        ids = dict(
            connection.execute(select(Account.__table__.c.platform, Account.__table__.c.id)).all()
        )
    for platform, text, after in DEMO_POSTS:
        service.schedule_post(ids[platform], text, now + after)


def remove_sqlite_files(path: Path) -> None:
    """Delete the SQLite database at `path` and its journal files.

    Only while holding its `WorkspaceLock` alone (`inbox.core.workspace_lock`): a process
    that had it open would go on writing to the deleted file. The lock file stays.
    """
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def workspace_kind(engine: Engine) -> str:
    """'empty', 'demo' (only demo accounts) or 'inbox' (anything a person set up)."""
    from inbox.core.models import Account

    with engine.connect() as connection:
        platforms = set(connection.execute(select(Account.__table__.c.platform)).scalars())
        has_people = connection.execute(select(Agent.__table__.c.id).limit(1)).first() is not None
    if not platforms and not has_people:
        return "empty"
    if platforms and all(platform.startswith("demo-") for platform in platforms):
        return "demo"
    return "inbox"
