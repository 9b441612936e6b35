"""`inbox demo`: a whole workspace on simulated platforms, ready to try.

Six accounts styled as Mastodon, Bluesky, X, Reddit, Facebook and email; five people
(alex and blake answer, casey leads, drew supervises, admin administers); 30 days of
history with realistic response times, so stats and reviews mean something; and the
starter prepared answers. Everything follows from the seed: the same seed builds the
same workspace, and live traffic continues where the history stops.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, bindparam, select, update

from adapters.base import AccountRef, Direction, FetchedItem
from adapters.demo.adapter import DemoAdapter
from adapters.demo.simulator import DEFAULT_CRISIS_HOURS
from adapters.registry import adapter_class
from inbox.core.clock import Clock, utc_now
from inbox.core.database import open_engine, write_transaction
from inbox.core.models import Agent, CannedResponse, Item, Thread, ThreadStatus
from inbox.service import InboxService
from inbox.store.ingest import Store

if TYPE_CHECKING:
    from inbox.cli.main import Context

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
)
"""(platform, handle, inbound messages per hour on average) of each demo account."""

DEFAULT_ACTOR = "alex"
DEMO_CRISIS_HOURS = DEFAULT_CRISIS_HOURS
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


def demo_account_settings(seed: int, epoch: datetime, rate: float, crisis_at: datetime | None) -> dict[str, Any]:
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
    add_listening_rules(InboxService(engine, actor=CRISIS_LEAD, clock=clock))
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
    engine: Engine, account_id: int, answers: list[tuple[FetchedItem, str]], agent_ids: dict[str, int]
) -> None:
    """Record who wrote each historical reply."""
    if not answers:
        return
    item = Item.__table__
    with write_transaction(engine) as connection:
        connection.execute(
            update(item)
            .where(item.c.account_id == account_id, item.c.external_id == bindparam("b_external_id"))
            .values(agent_id=bindparam("b_agent_id")),
            [{"b_external_id": answer.external_id, "b_agent_id": agent_ids[agent]} for answer, agent in answers],
        )


def _settle_threads(engine: Engine, now: datetime, rng: random.Random, agent_ids: dict[str, int]) -> None:
    """Close what was answered long ago, and assign what the team is working on."""
    thread, item = Thread.__table__, Item.__table__
    with engine.connect() as connection:
        rows = connection.execute(
            select(thread.c.id, thread.c.last_inbound_at, thread.c.last_outbound_at, thread.c.created_at)
        ).all()
        repliers = dict(
            connection.execute(
                select(item.c.thread_id, item.c.agent_id)
                .where(item.c.direction == Direction.OUT, item.c.agent_id.is_not(None))
                .order_by(item.c.created_at)
            ).all()
        )
    changes = []
    for row in rows:
        answered = row.last_outbound_at is not None and (
            row.last_inbound_at is None or row.last_outbound_at >= row.last_inbound_at
        )
        assignee = repliers.get(row.id)
        status = ThreadStatus.OPEN if assignee else ThreadStatus.NEW
        closed_at = None
        if answered and now - row.last_outbound_at > timedelta(hours=20):
            status, closed_at = ThreadStatus.CLOSED, row.last_outbound_at + timedelta(hours=rng.uniform(1, 12))
        elif answered:
            status = ThreadStatus.PENDING
        elif assignee is None and rng.random() < 0.3:
            assignee = agent_ids[rng.choice(("alex", "blake"))]
            status = ThreadStatus.OPEN
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
    ("demo-mastodon", "New in Nimbus Photos: shared albums now keep their order. Try it today!", timedelta(hours=3)),
    ("demo-x", "Weekend tip: turn on auto-backup before your trip, and never lose a photo again.", timedelta(days=1)),
)
"""(platform, text, when after the build) of the scheduled posts the demo starts with."""


def _schedule_demo_posts(engine: Engine, now: datetime, clock: Clock) -> None:
    """A couple of scheduled posts, so that pausing publishing in a crisis shows."""
    from inbox.core.models import Account

    service = InboxService(engine, actor="casey", clock=clock)
    with engine.connect() as connection:
        ids = dict(connection.execute(select(Account.__table__.c.platform, Account.__table__.c.id)).all())
    for platform, text, after in DEMO_POSTS:
        service.schedule_post(ids[platform], text, now + after)


def _remove_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def run_demo(context: Context) -> int:
    """Build (or with --keep, reuse) the demo workspace, then open the TUI on it."""
    from sqlalchemy.engine import make_url

    from inbox.core.database import database_url
    from inbox.core.errors import InvalidInput
    from inbox.core.paths import demo_database

    options = context.options
    play = bool(getattr(options, "crisis", False))
    if play and options.crisis_after is not None:
        raise InvalidInput("--crisis plays its own outage; leave out --crisis-after")
    url = database_url(options.db or str(demo_database()))
    parsed = make_url(url)
    clock: Clock = utc_now
    if play:
        from inbox.core.clock import FixedClock

        clock = FixedClock(utc_now())
    crisis_at = None
    if options.crisis_after is not None:
        crisis_at = utc_now() + timedelta(minutes=options.crisis_after)
    engine = open_engine(url)
    kind = workspace_kind(engine)
    if kind == "inbox":
        engine.dispose()
        raise InvalidInput(
            f"{parsed.render_as_string(hide_password=True)} holds a real inbox; the demo never "
            "touches one. Pick another place with --db"
        )
    if kind == "demo" and not options.keep:
        if parsed.get_backend_name() != "sqlite":
            engine.dispose()
            raise InvalidInput("a demo workspace is already there: add --keep to reuse it, or use an empty database")
        engine.dispose()
        _remove_sqlite_files(Path(parsed.database))
        engine = open_engine(url)
        kind = "empty"
    if kind == "empty":
        print("building the demo workspace…", file=sys.stderr)
        summary = build_workspace(
            engine,
            seed=options.seed,
            days=options.days,
            crisis_at=crisis_at,
            clock=clock,
            score_sentiment=options.no_tui or play,
        )
        print(
            f"demo workspace: {summary.accounts} accounts, {summary.people} people, "
            f"{summary.inbound_items:,} messages and {summary.replies:,} replies over "
            f"{options.days} days, {summary.open_threads:,} open threads, "
            f"{summary.prepared_answers} prepared answers"
        )
    elif crisis_at is not None:
        _schedule_crisis(engine, crisis_at)
    print(f"database: {parsed.render_as_string(hide_password=True)}")
    print("people: alex, blake (agents), casey (lead), drew (supervisor), admin (admin)")
    where = f"--db {parsed.database}" if parsed.get_backend_name() == "sqlite" else "--db URL"
    if play:
        if kind != "empty":
            clock.now = max(clock.now, _latest_moment(engine))  # type: ignore[attr-defined]
        print(f"playing the scripted crisis on a simulated clock from {clock():%Y-%m-%d %H:%M} UTC", flush=True)
        summary = play_crisis(engine, clock, lambda line: print(line, flush=True))
        print(
            f"done: alert {summary.alert_id} at {summary.alert_at:%H:%M}, incident {summary.incident_id} "
            f"with {summary.incident_threads} threads, {sum(summary.sent.values())} messages sent, "
            f"{sum(summary.failed.values())} failed"
        )
        print(f"render its review with: inbox {where} --as {CRISIS_LEAD} review {summary.incident_id} --out review.html")
        print(f"open it with: inbox {where} --as {CRISIS_LEAD} tui")
        engine.dispose()
        return 0
    if options.no_tui:
        print(f"open it with: inbox {where} --as alex tui")
        return 0
    actor = context.identity() or DEFAULT_ACTOR
    return context.open_tui(lambda: InboxService(engine, actor=actor), sync=True)


def _latest_moment(engine: Engine) -> datetime:
    """The latest message or event in a kept workspace: a replay starts after it."""
    from sqlalchemy import func

    from inbox.core.models import Account, Event

    with engine.connect() as connection:
        moments = [
            connection.execute(select(func.max(Item.__table__.c.created_at))).scalar(),
            connection.execute(select(func.max(Event.__table__.c.at))).scalar(),
        ]
    known = [moment if moment.tzinfo else moment.replace(tzinfo=UTC) for moment in moments if moment is not None]
    with engine.connect() as connection:
        for settings in connection.execute(select(Account.__table__.c.settings)).scalars():
            for crisis in settings.get("crises", []):
                # a spike is measured against the 12 hours before: start once they are calm
                hours = crisis.get("hours") or DEMO_CRISIS_HOURS
                known.append(datetime.fromisoformat(crisis["at"]) + timedelta(hours=hours + 12))
    return max(known, default=utc_now())


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


def _schedule_crisis(engine: Engine, crisis_at: datetime, *, hours: float | None = None) -> None:
    """Add an outage at `crisis_at` to every demo account of an existing workspace.

    A running `inbox sync --follow` or TUI picks the change up at its next heartbeat.
    """
    from inbox.core.errors import InvalidInput
    from inbox.core.models import Account

    account = Account.__table__
    with write_transaction(engine) as connection:
        for row in connection.execute(select(account.c.id, account.c.settings)).all():
            settings = dict(row.settings)
            crises = list(settings.get("crises", []))
            latest = max(
                (
                    datetime.fromisoformat(crisis["at"])
                    + timedelta(hours=crisis.get("hours") or DEMO_CRISIS_HOURS)
                    for crisis in crises
                ),
                default=None,
            )
            if latest is not None and crisis_at < latest:
                raise InvalidInput(
                    f"the demo already has an outage until {latest:%Y-%m-%d %H:%M} UTC; "
                    "the next can start after it"
                )
            crisis: dict[str, Any] = {"at": crisis_at.isoformat()}
            if hours is not None:
                crisis["hours"] = hours
            settings["crises"] = [*crises, crisis]
            connection.execute(update(account).where(account.c.id == row.id).values(settings=settings))


# -- the scripted crisis (`inbox demo --no-tui --crisis`) -----------------------------------

CRISIS_LEAD = "casey"
CRISIS_STEP = timedelta(minutes=5)
"""How far the simulated clock moves between two sync passes: one poll."""
CRISIS_OUTAGE_AFTER = timedelta(minutes=10)
CRISIS_OUTAGE_HOURS = 1.0
CRISIS_TITLE = "Nimbus Photos sync outage"
CRISIS_STATUS_URL = "https://status.brand.example"
CRISIS_MATCH = ("outage", "down", "not working", "not syncing")
CRISIS_UPDATE = (
    "Update on {incident.title}: we found the cause and a fix is rolling out. "
    "Photos are safe; syncing resumes over the next hour. Details: {incident.status_url}"
)
CRISIS_RESOLVED_NOTE = "sync restored for everyone; backlog cleared"
SPIKE_RULE = "Volume spike (15 min)"
KEYWORD_RULE = "Outage words"


def add_listening_rules(lead: InboxService) -> dict[str, int]:
    """The demo's two listening rules (a volume spike, outage words), added unless present."""
    rule_ids = {rule.name: rule.id for rule in lead.listening_rules()}
    if SPIKE_RULE not in rule_ids:
        rule_ids[SPIKE_RULE] = lead.add_listening_rule(
            SPIKE_RULE,
            "volume_spike",
            {"window_minutes": 15, "baseline_hours": 12, "factor": 3.0, "min_count": 10},
        )
    if KEYWORD_RULE not in rule_ids:
        rule_ids[KEYWORD_RULE] = lead.add_listening_rule(
            KEYWORD_RULE, "keyword", {"keywords": ["outage", "down"], "window_minutes": 15, "min_count": 3}
        )
    return rule_ids
_MAX_POLLS = 36


@dataclass(frozen=True, slots=True)
class CrisisSummary:
    """What `play_crisis` did, step by step."""

    outage_at: datetime
    alert_id: int
    alert_rule: str
    alert_at: datetime
    polls_to_alert: int
    """Sync passes from the start of the outage to the spike alert (1: the first poll)."""
    incident_id: int
    paused_posts: tuple[int, ...]
    incident_threads: int
    statement_campaigns: tuple[int, ...]
    update_campaign: int
    sent: dict[str, int]
    """Messages sent per channel (statement posts, thread replies and the update)."""
    failed: dict[str, int]
    replies_sent: int
    ended_at: datetime


def prepare_crisis(
    engine: Engine, outage_at: datetime, hours: float | None = CRISIS_OUTAGE_HOURS
) -> None:
    """Schedule the outage on every demo account and make sending instant and reliable."""
    from inbox.core.models import Account

    _schedule_crisis(engine, outage_at, hours=hours)
    account = Account.__table__
    with write_transaction(engine) as connection:
        for row in connection.execute(select(account.c.id, account.c.settings)).all():
            settings = {**row.settings, "send_latency_scale": 0, "send_failure_rate": 0, "send_lost_rate": 0}
            connection.execute(update(account).where(account.c.id == row.id).values(settings=settings))


def holding_statement(service: InboxService, title: str, status_url: str) -> str:
    """The starter `holding-statement` answer filled in; its short variant fits every channel."""
    from canned_responses.render import RenderContext, fill

    answer = service.canned_response("holding-statement").answer
    variants = dict(answer.variants or {})
    template = min([answer.body, *variants.values()], key=len)
    return fill(template, RenderContext(incident_title=title, incident_status_url=status_url)).text


def play_crisis(
    engine: Engine,
    clock: Any,
    out: Any = print,
    *,
    step: timedelta = CRISIS_STEP,
    outage_after: timedelta = CRISIS_OUTAGE_AFTER,
    outage_hours: float = CRISIS_OUTAGE_HOURS,
) -> CrisisSummary:
    """Play the scripted outage on the demo workspace in `engine`, headless.

    `clock` is a `FixedClock` this moves: one sync pass every `step`, so the run is fast
    and the same every time. Each step is reported with `out`, one line each.
    """
    import asyncio

    return asyncio.run(
        _play_crisis(engine, clock, out, step=step, outage_after=outage_after, outage_hours=outage_hours)
    )


async def _play_crisis(
    engine: Engine, clock: Any, out: Any, *, step: timedelta, outage_after: timedelta, outage_hours: float
) -> CrisisSummary:
    from collections import Counter

    from inbox.outbox.queue import Sender, channel_name
    from inbox.sync.engine import SyncEngine

    def factory(account: AccountRef, client: Any) -> DemoAdapter:
        return adapter_class(account.platform)(account, client, clock=clock)

    def stamp() -> str:
        return f"[{clock():%H:%M}]"

    lead = InboxService(engine, actor=CRISIS_LEAD, clock=clock)
    store = Store(engine, clock)
    sync = SyncEngine(store, factory)
    sent: Counter[str] = Counter()
    failed: Counter[str] = Counter()

    async def poll() -> int:
        clock.advance(seconds=step.total_seconds())
        summary = await sync.run_once(None)  # the demo adapters never use the HTTP client
        return summary.new_items

    async def send_all(label: str) -> None:
        sender = Sender(engine, factory, clock=clock)
        counts: dict[str, Counter[str]] = {}
        while True:
            result = await sender.send_once(None)
            if not result.results:
                break
            by_id = {row.id: row for row in lead.outbox(limit=100_000)}
            for item in result.results:
                row = by_id[item.outbound_id]
                counts.setdefault(channel_name(row.platform), Counter())[item.status] += 1
            if all(item.status != "sent" for item in result.results):
                break
        parts = []
        for channel, statuses in sorted(counts.items()):
            ok = statuses.get("sent", 0)
            bad = sum(count for status, count in statuses.items() if status != "sent")
            sent[channel] += ok
            failed[channel] += bad
            parts.append(f"{channel} {ok} sent, {bad} failed")
        line = "; ".join(parts)
        out(f"{stamp()} sent the {label}: {line or 'nothing due'}")

    # 1. listening rules, as the lead
    rule_ids = add_listening_rules(lead)
    out(f"{stamp()} {CRISIS_LEAD} listens: rule {rule_ids[SPIKE_RULE]} {SPIKE_RULE!r} (3x the 12 h baseline, "
        f"at least 10), rule {rule_ids[KEYWORD_RULE]} {KEYWORD_RULE!r} (outage, down)")

    # 2. the outage, a little after now on the simulated clock
    outage_at = clock() + outage_after
    prepare_crisis(engine, outage_at, outage_hours)
    out(f"{stamp()} an outage will start at {outage_at:%H:%M} UTC for {outage_hours:g} h; polling every "
        f"{step.total_seconds() / 60:g} min")

    # 3. poll until the spike rule raises an alert
    seen_alerts = {alert.id for alert in lead.alerts(limit=10_000)}
    spike = None
    polls_in_outage = 0
    for _ in range(_MAX_POLLS):
        new_items = await poll()
        if clock() > outage_at:
            polls_in_outage += 1
        raised = [alert for alert in lead.alerts(limit=100) if alert.id not in seen_alerts][::-1]
        seen_alerts.update(alert.id for alert in raised)
        out(f"{stamp()} poll: {new_items} new messages" + (f", {len(raised)} alert(s)" if raised else ""))
        for alert in raised:
            out(f"{stamp()} ALERT {alert.id}: {alert.summary}")
            if alert.rule_id == rule_ids[SPIKE_RULE] and spike is None:
                spike = alert
        if spike is not None:
            break
    if spike is None:
        raise RuntimeError(f"the volume spike raised no alert within {_MAX_POLLS} polls")
    out(f"{stamp()} the spike rule fired {polls_in_outage} poll(s) after the outage began")

    # 4. casey declares an incident: publishing pauses, matching threads are tagged
    statement = holding_statement(lead, CRISIS_TITLE, CRISIS_STATUS_URL)
    lead.acknowledge_alert(spike.id)
    incident, paused = lead.declare_incident(
        CRISIS_TITLE,
        severity=2,
        scope="national",
        status_url=CRISIS_STATUS_URL,
        holding_statement=statement,
        update_interval_minutes=30,
        match=list(CRISIS_MATCH),
    )
    lead.tag_incident_threads(incident.id)
    incident_threads = _count_incident_threads(engine, incident.id)
    out(f"{stamp()} {CRISIS_LEAD} declared incident {incident.id}: {incident.title!r}, severity "
        f"{incident.severity}, {incident.scope}, {incident.status_url}; {incident_threads} threads tagged")
    out(f"{stamp()} paused {len(paused)} scheduled post(s): {', '.join(map(str, paused)) or 'none'}")

    # 5. the holding statement everywhere: one campaign of posts, one of thread replies
    plan, campaigns = lead.send_statement(incident.id, reply_to_threads=True, skip_unfit=True)
    posts = sum(1 for target in plan.targets if target.kind == "post" and target.fits)
    replies = sum(1 for target in plan.targets if target.kind == "reply" and target.fits)
    out(f"{stamp()} holding statement queued: {posts} account posts, {replies} thread replies, "
        f"{len(plan.unfit)} skipped (campaigns {', '.join(str(c.id) for c in campaigns)})")
    await send_all("holding statement")
    replies_sent = _count_sent_replies(engine, [c.id for c in campaigns])

    # 6. thirty minutes later, one public update
    for _ in range(int(timedelta(minutes=30) / step)):
        await poll()
    newly = lead.tag_incident_threads(incident.id)
    _plan, update_campaigns = lead.send_statement(incident.id, text=CRISIS_UPDATE, skip_unfit=True)
    out(f"{stamp()} public update queued on {len(_plan.targets)} accounts "
        f"(campaign {update_campaigns[0].id}); {newly} more threads tagged meanwhile")
    await send_all("public update")

    # 7. the outage passes; the incident ends and publishing resumes
    end_of_outage = outage_at + timedelta(hours=outage_hours)
    while clock() < end_of_outage + step:
        await poll()
    ended = lead.end_incident(incident.id, CRISIS_RESOLVED_NOTE)
    resumed = lead.resume_posts()
    out(f"{stamp()} {CRISIS_LEAD} ended incident {incident.id} after "
        f"{(ended.ended_at - ended.started_at).total_seconds() / 60:.0f} min; resumed {len(resumed)} post(s)")
    return CrisisSummary(
        outage_at=outage_at,
        alert_id=spike.id,
        alert_rule=SPIKE_RULE,
        alert_at=spike.raised_at,
        polls_to_alert=polls_in_outage,
        incident_id=incident.id,
        paused_posts=tuple(paused),
        incident_threads=_count_incident_threads(engine, incident.id),
        statement_campaigns=tuple(c.id for c in campaigns),
        update_campaign=update_campaigns[0].id,
        sent=dict(sent),
        failed=dict(failed),
        replies_sent=replies_sent,
        ended_at=ended.ended_at,
    )


def _count_incident_threads(engine: Engine, incident_id: int) -> int:
    from sqlalchemy import func

    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(Thread.__table__).where(Thread.__table__.c.incident_id == incident_id)
        ).scalar_one()


def _count_sent_replies(engine: Engine, campaign_ids: list[int]) -> int:
    from sqlalchemy import func

    from inbox.core.models import Outbound

    outbound = Outbound.__table__
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(outbound).where(
                outbound.c.campaign_id.in_(campaign_ids), outbound.c.kind == "reply", outbound.c.status == "sent"
            )
        ).scalar_one()
