"""The scripted crisis (`inbox demo --no-tui --crisis`): an outage played on the demo workspace.

On a simulated clock: the spike alert, the incident, the holding statement, the replies,
one update and the end, each step reported as one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from adapters.demo.timeline import DEFAULT_CRISIS_HOURS
from inbox.core.clock import utc_now
from inbox.core.database import write_transaction
from inbox.core.models import Item, Thread
from inbox.core.plurals import counted
from inbox.service import InboxService

DEMO_CRISIS_HOURS = DEFAULT_CRISIS_HOURS

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
            KEYWORD_RULE,
            "keyword",
            {"keywords": ["outage", "down"], "window_minutes": 15, "min_count": 3},
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

    schedule_crisis(engine, outage_at, hours=hours)
    account = Account.__table__
    with write_transaction(engine) as connection:
        for row in connection.execute(select(account.c.id, account.c.settings)).all():
            settings = {
                **row.settings,
                "send_latency_scale": 0,
                "send_failure_rate": 0,
                "send_lost_rate": 0,
            }
            connection.execute(
                update(account).where(account.c.id == row.id).values(settings=settings)
            )


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
        _play_crisis(
            engine, clock, out, step=step, outage_after=outage_after, outage_hours=outage_hours
        )
    )


async def _play_crisis(
    engine: Engine,
    clock: Any,
    out: Any,
    *,
    step: timedelta,
    outage_after: timedelta,
    outage_hours: float,
) -> CrisisSummary:
    from collections import Counter

    from inbox.demo.live import LiveDemo

    def stamp() -> str:
        return f"[{clock():%H:%M}]"

    lead = InboxService(engine, actor=CRISIS_LEAD, clock=clock)
    live = LiveDemo(engine, clock)
    sent: Counter[str] = Counter()
    failed: Counter[str] = Counter()

    async def poll() -> int:
        return await live.poll(step)

    async def send_all(label: str) -> None:
        counts = await live.send_due(lead)
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
    out(
        f"{stamp()} {CRISIS_LEAD} listens: rule {rule_ids[SPIKE_RULE]} {SPIKE_RULE!r} "
        f"(3x the 12 h baseline, at least 10), "
        f"rule {rule_ids[KEYWORD_RULE]} {KEYWORD_RULE!r} (outage, down)"
    )

    # 2. the outage, a little after now on the simulated clock
    outage_at = clock() + outage_after
    prepare_crisis(engine, outage_at, outage_hours)
    out(
        f"{stamp()} an outage will start at {outage_at:%H:%M} UTC for {outage_hours:g} h; "
        f"polling every {step.total_seconds() / 60:g} min"
    )

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
        out(
            f"{stamp()} poll: {new_items} new messages"
            + (f", {len(raised)} alert(s)" if raised else "")
        )
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
    out(
        f"{stamp()} {CRISIS_LEAD} declared incident {incident.id}: {incident.title!r}, severity "
        f"{incident.severity}, {incident.scope}, {incident.status_url}; "
        f"{counted(incident_threads, 'thread')} tagged"
    )
    out(
        f"{stamp()} paused {counted(len(paused), 'scheduled post')}: "
        f"{', '.join(map(str, paused)) or 'none'}"
    )

    # 5. the holding statement everywhere: one campaign of posts, one of thread replies
    plan, campaigns = lead.send_statement(incident.id, reply_to_threads=True, skip_unfit=True)
    posts = sum(1 for target in plan.targets if target.kind == "post" and target.fits)
    replies = sum(1 for target in plan.targets if target.kind == "reply" and target.fits)
    out(
        f"{stamp()} holding statement queued: {counted(posts, 'account post')}, "
        f"{counted(replies, 'thread reply', 'thread replies')}, "
        f"{len(plan.unfit)} skipped (campaigns {', '.join(str(c.id) for c in campaigns)})"
    )
    await send_all("holding statement")
    replies_sent = _count_sent_replies(engine, [c.id for c in campaigns])

    # 6. thirty minutes later, one public update
    for _ in range(int(timedelta(minutes=30) / step)):
        await poll()
    newly = lead.tag_incident_threads(incident.id)
    _plan, update_campaigns = lead.send_statement(incident.id, text=CRISIS_UPDATE, skip_unfit=True)
    out(
        f"{stamp()} public update queued on {counted(len(_plan.targets), 'account')} "
        f"(campaign {update_campaigns[0].id}); {newly} more tagged meanwhile"
    )
    await send_all("public update")

    # 7. the outage passes; the incident ends and publishing resumes
    end_of_outage = outage_at + timedelta(hours=outage_hours)
    while clock() < end_of_outage + step:
        await poll()
    ended = lead.end_incident(incident.id, CRISIS_RESOLVED_NOTE)
    resumed = lead.resume_posts()
    out(
        f"{stamp()} {CRISIS_LEAD} ended incident {incident.id} after "
        f"{(ended.ended_at - ended.started_at).total_seconds() / 60:.0f} min; "
        f"resumed {len(resumed)} post(s)"
    )
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
            select(func.count())
            .select_from(Thread.__table__)
            .where(Thread.__table__.c.incident_id == incident_id)
        ).scalar_one()


def _count_sent_replies(engine: Engine, campaign_ids: list[int]) -> int:
    from sqlalchemy import func

    from inbox.core.models import Outbound

    outbound = Outbound.__table__
    with engine.connect() as connection:
        return connection.execute(
            select(func.count())
            .select_from(outbound)
            .where(
                outbound.c.campaign_id.in_(campaign_ids),
                outbound.c.kind == "reply",
                outbound.c.status == "sent",
            )
        ).scalar_one()


def latest_moment(engine: Engine) -> datetime:
    """The latest message or event in a kept workspace: a replay starts after it."""
    from sqlalchemy import func

    from inbox.core.models import Account, Event

    with engine.connect() as connection:
        moments = [
            connection.execute(select(func.max(Item.__table__.c.created_at))).scalar(),
            connection.execute(select(func.max(Event.__table__.c.at))).scalar(),
        ]
    known = [
        moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        for moment in moments
        if moment is not None
    ]
    with engine.connect() as connection:
        for settings in connection.execute(select(Account.__table__.c.settings)).scalars():
            for crisis in settings.get("crises", []):
                # a spike is measured against the 12 hours before: start once they are calm
                hours = crisis.get("hours") or DEMO_CRISIS_HOURS
                known.append(datetime.fromisoformat(crisis["at"]) + timedelta(hours=hours + 12))
    return max(known, default=utc_now())


def schedule_crisis(engine: Engine, crisis_at: datetime, *, hours: float | None = None) -> None:
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
            connection.execute(
                update(account).where(account.c.id == row.id).values(settings=settings)
            )
