"""The crisis toolkit: listening rules and alerts, incidents, paused publishing, one
statement everywhere, and the post-crisis review.

Listening rules live in `alert_rule`; `evaluate_rules` checks them against what arrived
and raises `alert` rows, each recorded as an `alert.raised` event so every open UI sees
it at once. A rule that has fired stays quiet for its cooldown, and a keyword rule only
counts messages that arrived after its last alert, so one ongoing condition raises one
alert. An incident's own match keywords are kept as a rule of type `incident_match`
that is never evaluated, only used by `tag_incident_threads`.

Scheduled posts are published by the outbox's sender (`publish_due_posts`): a post whose
time has come moves from `scheduled` to `posted` by a conditional update, in the same
transaction as the outbound row that carries it, so however many senders run it goes
out once. Paused and cancelled posts are never touched.

Everything here takes the time it runs at (`now`) and who acts; the permission checks
are `InboxService`'s.
"""

from __future__ import annotations

import csv
import html
import json
import logging
import re
import shlex
import subprocess
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, and_, case, func, insert, or_, select, update

from inbox import events
from inbox.core.database import write_transaction
from inbox.core.errors import InvalidInput, NotFound
from inbox.core.models import (
    Account,
    Agent,
    Alert,
    AlertRule,
    Campaign,
    Event,
    Incident,
    Item,
    Outbound,
    ScheduledPost,
    Thread,
    ThreadStatus,
    ThreadTag,
)
from inbox.core.sentiment import NEGATIVE_THRESHOLD

if TYPE_CHECKING:
    from inbox.outbox.queue import Author
    from inbox.core.access import Actor
    from inbox.stats.compute import Durations

log = logging.getLogger(__name__)

_rule = AlertRule.__table__
_alert = Alert.__table__
_incident = Incident.__table__
_post = ScheduledPost.__table__
_thread = Thread.__table__
_tag = ThreadTag.__table__
_item = Item.__table__
_account = Account.__table__
_agent = Agent.__table__
_event = Event.__table__
_campaign = Campaign.__table__
_outbound = Outbound.__table__

KEYWORD = "keyword"
VOLUME_SPIKE = "volume_spike"
NEGATIVE_SHARE = "negative_share"
INCIDENT_MATCH = "incident_match"
RULE_TYPES = (KEYWORD, VOLUME_SPIKE, NEGATIVE_SHARE)
"""The listening rules a lead can add; `incident_match` rules come with incidents."""

SCOPES = ("local", "national", "global")
ACTIVE = "active"
ENDED = "ended"

SCHEDULED = "scheduled"
PAUSED = "paused"
POSTED = "posted"
CANCELLED = "cancelled"
POST_STATUSES = (SCHEDULED, PAUSED, POSTED, CANCELLED)
"""A scheduled post's life: scheduled (or paused) until its time, then posted; or cancelled."""

MATCH_LOOKBACK = timedelta(hours=2)
"""How far before its declaration an incident looks for matching threads: the run-up."""

ALERT_COMMAND_TIMEOUT_SECONDS = 30
_IN_CHUNK = 500

_DEFAULTS: dict[str, dict[str, Any]] = {
    KEYWORD: {"window_minutes": 60, "min_count": 1, "cooldown_minutes": 60},
    VOLUME_SPIKE: {
        "window_minutes": 60,
        "baseline_hours": 12,
        "factor": 3.0,
        "min_count": 20,
        "cooldown_minutes": 60,
    },
    NEGATIVE_SHARE: {"window_minutes": 60, "share": 0.5, "min_count": 10, "cooldown_minutes": 60},
}


# -- records ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleRow:
    """A listening rule as listed."""

    id: int
    name: str
    type: str
    config: dict[str, Any]
    enabled: bool
    created_at: datetime

    def describe(self) -> str:
        """The rule's condition in words."""
        config = self.config
        filters = "".join(
            f" on {', '.join(config[key])}" if key == "platforms" else f" in {', '.join(config[key])}"
            for key in ("platforms", "languages")
            if config.get(key)
        )
        if self.type in (KEYWORD, INCIDENT_MATCH):
            words = ", ".join(config.get("keywords", []))
            return f"mentions of {words}{filters}"
        if self.type == VOLUME_SPIKE:
            return (
                f"{config['factor']:g}x the usual volume in {config['window_minutes']} min "
                f"(baseline {config['baseline_hours']} h, at least {config['min_count']}){filters}"
            )
        return (
            f"{config['share']:.0%} negative in {config['window_minutes']} min "
            f"(at least {config['min_count']} scored){filters}"
        )


@dataclass(frozen=True, slots=True)
class AlertRow:
    """An alert a rule raised."""

    id: int
    rule_id: int
    rule_name: str
    rule_type: str
    raised_at: datetime
    summary: str
    payload: dict[str, Any]
    acknowledged_by: str | None
    acknowledged_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        """The alert as handed to an alert command on stdin."""
        return {
            "id": self.id,
            "rule_id": self.rule_id,
            "rule": self.rule_name,
            "type": self.rule_type,
            "raised_at": self.raised_at.isoformat(),
            "summary": self.summary,
            "details": self.payload,
        }


@dataclass(frozen=True, slots=True)
class IncidentRow:
    """An incident with its match keywords and thread counts."""

    id: int
    title: str
    severity: int
    scope: str
    status: str
    status_url: str | None
    holding_statement: str | None
    update_interval_minutes: int
    requires_approval: bool
    declared_by: str | None
    started_at: datetime
    last_update_at: datetime | None
    ended_at: datetime | None
    match: tuple[str, ...]
    threads: int
    open_threads: int

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    @property
    def next_update_due(self) -> datetime | None:
        """When the next public update is due; None once the incident has ended."""
        if not self.active:
            return None
        return (self.last_update_at or self.started_at) + timedelta(
            minutes=self.update_interval_minutes
        )


@dataclass(frozen=True, slots=True)
class PostRow:
    """A scheduled post."""

    id: int
    account_id: int
    platform: str
    account_handle: str
    text: str
    scheduled_at: datetime
    status: str
    paused_reason: str | None
    created_by: str | None
    outbound_status: str | None = None
    """For a posted post: how its outgoing message is doing (queued, sent, failed, ...)."""


@dataclass(frozen=True, slots=True)
class CrisisStatus:
    """What the crisis bar shows: the active incident and how the response is going."""

    incident: IncidentRow
    answered_threads: int
    """Incident threads with a first response."""
    statements_sent: int
    paused_posts: int
    other_active: int
    """Further active incidents besides `incident`, the latest."""


@dataclass(frozen=True, slots=True)
class PublishedPost:
    """A due scheduled post handed to the outbox, or held back because it could not go."""

    post_id: int
    outbound_id: int | None
    problem: str | None = None


# -- listening rules ------------------------------------------------------------------------


def _words(values: Iterable[str] | str | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = values.split(",")
    return [value.strip() for value in values if value and value.strip()]


def _number(config: dict[str, Any], key: str, kind: type, low: float, high: float | None = None) -> Any:
    try:
        value = kind(config[key])
    except (TypeError, ValueError):
        raise InvalidInput(f"{key} must be a number, not {config[key]!r}") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise InvalidInput(f"{key} must be {bound}, not {value:g}")
    return value


def normalize_rule_config(rule_type: str, config: dict[str, Any]) -> dict[str, Any]:
    """A rule's settings checked and completed with defaults; InvalidInput names any problem."""
    if rule_type not in RULE_TYPES:
        raise InvalidInput(f"unknown rule type {rule_type!r}; choose one of {', '.join(RULE_TYPES)}")
    given = {key: value for key, value in config.items() if value is not None}
    known = {*_DEFAULTS[rule_type], "platforms", "languages", "command"}
    if rule_type == KEYWORD:
        known.add("keywords")
    unknown = sorted(set(given) - known)
    if unknown:
        raise InvalidInput(f"a {rule_type} rule has no setting {', '.join(unknown)}")
    merged: dict[str, Any] = {**_DEFAULTS[rule_type], **given}
    for key in ("window_minutes", "min_count", "cooldown_minutes"):
        merged[key] = _number(merged, key, int, 0 if key == "cooldown_minutes" else 1)
    if rule_type == VOLUME_SPIKE:
        merged["baseline_hours"] = _number(merged, "baseline_hours", int, 1)
        merged["factor"] = _number(merged, "factor", float, 1)
    if rule_type == NEGATIVE_SHARE:
        merged["share"] = _number(merged, "share", float, 0.01, 1)
    if rule_type == KEYWORD:
        merged["keywords"] = _words(merged.get("keywords"))
        if not merged["keywords"]:
            raise InvalidInput("a keyword rule needs at least one keyword or phrase")
    for key in ("platforms", "languages"):
        merged[key] = [word.lower() for word in _words(merged.get(key))]
    if merged.get("command") is not None and not str(merged["command"]).strip():
        merged.pop("command")
    return merged


def add_rule(
    connection: Connection,
    *,
    name: str,
    rule_type: str,
    config: dict[str, Any],
    actor: Actor,
    now: datetime,
) -> int:
    """Add a listening rule; returns its id."""
    name = name.strip()
    if not name:
        raise InvalidInput("a rule needs a name")
    settings = normalize_rule_config(rule_type, config)
    rule_id = connection.execute(
        insert(_rule).values(
            name=name,
            type=rule_type,
            config=settings,
            enabled=True,
            created_by=actor.agent_id,
            created_at=now,
        )
    ).inserted_primary_key[0]
    events.append(
        connection,
        at=now,
        actor=actor.handle,
        type=events.ALERT_RULE_ADDED,
        payload={"rule_id": rule_id, "name": name, "type": rule_type, "config": settings},
    )
    return rule_id


def remove_rule(connection: Connection, rule_id: int, *, actor: Actor, now: datetime) -> None:
    """Switch a listening rule off for good; its alerts stay for the record."""
    row = connection.execute(select(_rule).where(_rule.c.id == rule_id)).first()
    if row is None or not row.enabled:
        raise NotFound(f"no listening rule {rule_id} (`inbox rules list` shows them)")
    if row.type == INCIDENT_MATCH:
        raise InvalidInput(
            f"rule {rule_id} is an incident's match; change it with `inbox incident update --match`"
        )
    connection.execute(update(_rule).where(_rule.c.id == rule_id).values(enabled=False))
    events.append(
        connection,
        at=now,
        actor=actor.handle,
        type=events.ALERT_RULE_REMOVED,
        payload={"rule_id": rule_id, "name": row.name},
    )


def list_rules(connection: Connection, *, include_incident_matches: bool = True) -> list[RuleRow]:
    """The enabled rules, oldest first."""
    query = select(_rule).where(_rule.c.enabled.is_(True)).order_by(_rule.c.id)
    if not include_incident_matches:
        query = query.where(_rule.c.type != INCIDENT_MATCH)
    return [
        RuleRow(row.id, row.name, row.type, dict(row.config), row.enabled, row.created_at)
        for row in connection.execute(query)
    ]


def phrase_pattern(phrases: Sequence[str]) -> re.Pattern[str]:
    """A case-insensitive pattern matching any of `phrases` as whole words."""
    alternatives = "|".join(re.escape(phrase) for phrase in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def item_language(raw: dict[str, Any] | None) -> str | None:
    """The language a platform reported for a message, if any (Mastodon, X, Bluesky, demo)."""
    if not raw:
        return None
    for key in ("language", "lang"):
        if isinstance(raw.get(key), str) and raw[key]:
            return raw[key].lower()
    record = raw.get("record")
    if isinstance(record, dict) and isinstance(record.get("langs"), list) and record["langs"]:
        return str(record["langs"][0]).lower()
    return None


def _inbound_between(since: datetime, until: datetime, platforms: Sequence[str]) -> list[Any]:
    conditions = [_item.c.direction == "in", _item.c.created_at > since, _item.c.created_at <= until]
    if platforms:
        conditions.append(_account.c.platform.in_(list(platforms)))
    return conditions


def _count_inbound(connection: Connection, since: datetime, until: datetime, platforms: Sequence[str]) -> int:
    return connection.execute(
        select(func.count())
        .select_from(_item.join(_account, _account.c.id == _item.c.account_id))
        .where(*_inbound_between(since, until, platforms))
    ).scalar()


def _matching_items(
    connection: Connection,
    phrases: Sequence[str],
    since: datetime,
    until: datetime,
    *,
    platforms: Sequence[str] = (),
    languages: Sequence[str] = (),
    extra: Sequence[Any] = (),
) -> list[Any]:
    """Inbound items between the times whose text holds one of `phrases` (id, thread_id)."""
    lowered = func.lower(_item.c.text)
    query = (
        select(_item.c.id, _item.c.thread_id, _item.c.text, _item.c.raw)
        .select_from(
            _item.join(_account, _account.c.id == _item.c.account_id).join(
                _thread, _thread.c.id == _item.c.thread_id
            )
        )
        .where(
            *_inbound_between(since, until, platforms),
            or_(*(lowered.contains(phrase.lower(), autoescape=True) for phrase in phrases)),
            *extra,
        )
        .order_by(_item.c.id)
    )
    pattern = phrase_pattern(phrases)
    wanted_languages = set(languages)
    return [
        row
        for row in connection.execute(query)
        if pattern.search(row.text)
        and (not wanted_languages or item_language(row.raw) in wanted_languages)
    ]


def _check_keyword(connection: Connection, rule: RuleRow, now: datetime, last_alert: datetime | None) -> tuple[str, dict[str, Any]] | None:
    config = rule.config
    since = now - timedelta(minutes=config["window_minutes"])
    if last_alert is not None and last_alert > since:
        since = last_alert
    found = _matching_items(
        connection,
        config["keywords"],
        since,
        now,
        platforms=config["platforms"],
        languages=config["languages"],
    )
    if len(found) < config["min_count"]:
        return None
    threads = sorted({row.thread_id for row in found})
    return (
        (f"{len(found)} message{'s' if len(found) != 1 else ''} mention "
        f"{', '.join(config['keywords'])} in the last {config['window_minutes']} min"),
        {"matches": len(found), "item_ids": [row.id for row in found[:50]], "thread_ids": threads[:50]},
    )


def _check_spike(connection: Connection, rule: RuleRow, now: datetime) -> tuple[str, dict[str, Any]] | None:
    config = rule.config
    window = timedelta(minutes=config["window_minutes"])
    baseline = timedelta(hours=config["baseline_hours"])
    current = _count_inbound(connection, now - window, now, config["platforms"])
    if current < config["min_count"]:
        return None
    before = _count_inbound(connection, now - window - baseline, now - window, config["platforms"])
    expected = before * (window / baseline)
    if current < config["factor"] * expected:
        return None
    ratio = f"{current / expected:.1f}x the usual {expected:.1f}" if expected else "none usually"
    return (
        f"volume spike: {current} messages in the last {config['window_minutes']} min ({ratio})",
        {"current": current, "baseline": before, "expected": round(expected, 2)},
    )


def _check_negative(connection: Connection, rule: RuleRow, now: datetime) -> tuple[str, dict[str, Any]] | None:
    config = rule.config
    since = now - timedelta(minutes=config["window_minutes"])
    negative = func.sum(case((_item.c.sentiment <= NEGATIVE_THRESHOLD, 1), else_=0))
    scored, negatives = connection.execute(
        select(func.count(), negative)
        .select_from(_item.join(_account, _account.c.id == _item.c.account_id))
        .where(*_inbound_between(since, now, config["platforms"]), _item.c.sentiment.is_not(None))
    ).one()
    negatives = int(negatives or 0)
    if scored < config["min_count"] or negatives / scored < config["share"]:
        return None
    return (
        (f"{negatives / scored:.0%} of {scored} messages in the last {config['window_minutes']} min "
        f"are negative"),
        {"scored": scored, "negative": negatives, "share": round(negatives / scored, 4)},
    )


def _alert_rows(connection: Connection, *conditions: Any, limit: int = 200) -> list[AlertRow]:
    query = (
        select(
            _alert,
            _rule.c.name.label("rule_name"),
            _rule.c.type.label("rule_type"),
            _agent.c.handle.label("acknowledger"),
        )
        .join(_rule, _rule.c.id == _alert.c.rule_id)
        .outerjoin(_agent, _agent.c.id == _alert.c.acknowledged_by)
        .where(*conditions)
        .order_by(_alert.c.raised_at.desc(), _alert.c.id.desc())
        .limit(limit)
    )
    return [
        AlertRow(
            id=row.id,
            rule_id=row.rule_id,
            rule_name=row.rule_name,
            rule_type=row.rule_type,
            raised_at=row.raised_at,
            summary=row.summary,
            payload=dict(row.payload),
            acknowledged_by=row.acknowledger,
            acknowledged_at=row.acknowledged_at,
        )
        for row in connection.execute(query)
    ]


def list_alerts(connection: Connection, *, unacknowledged: bool = False, limit: int = 200) -> list[AlertRow]:
    """Alerts, newest first."""
    conditions = [_alert.c.acknowledged_at.is_(None)] if unacknowledged else []
    return _alert_rows(connection, *conditions, limit=limit)


def acknowledge_alert(connection: Connection, alert_id: int, *, actor: Actor, now: datetime) -> None:
    """Record that someone has seen an alert and is on it."""
    done = connection.execute(
        update(_alert)
        .where(_alert.c.id == alert_id, _alert.c.acknowledged_at.is_(None))
        .values(acknowledged_by=actor.agent_id, acknowledged_at=now)
    ).rowcount
    if not done:
        if connection.execute(select(_alert.c.id).where(_alert.c.id == alert_id)).first() is None:
            raise NotFound(f"no alert {alert_id} (`inbox alerts list` shows them)")
        return
    events.append(
        connection, at=now, actor=actor.handle, type=events.ALERT_ACKNOWLEDGED, payload={"alert_id": alert_id}
    )


def evaluate_rules(
    engine: Engine,
    now: datetime,
    *,
    alert_command: str | None = None,
    run_commands: bool = True,
) -> list[AlertRow]:
    """Check every listening rule at `now`; raise and return the alerts due, oldest rule first.

    Each alert is an `alert` row and an `alert.raised` event, written in one transaction.
    After it commits, the rule's `command` (or else `alert_command`) runs with the alert as
    JSON on stdin; a failing command is logged, never raised.
    """
    raised: list[tuple[int, RuleRow]] = []
    with write_transaction(engine) as connection:
        last_alerts = dict(
            connection.execute(
                select(_alert.c.rule_id, func.max(_alert.c.raised_at)).group_by(_alert.c.rule_id)
            ).all()
        )
        for rule in list_rules(connection, include_incident_matches=False):
            last = last_alerts.get(rule.id)
            cooldown = timedelta(minutes=int(rule.config.get("cooldown_minutes", 60)))
            if last is not None and now - last < cooldown:
                continue
            if rule.type == KEYWORD:
                found = _check_keyword(connection, rule, now, last)
            elif rule.type == VOLUME_SPIKE:
                found = _check_spike(connection, rule, now)
            else:
                found = _check_negative(connection, rule, now)
            if found is None:
                continue
            summary, details = found
            summary = f"{rule.name}: {summary}"
            alert_id = connection.execute(
                insert(_alert).values(rule_id=rule.id, raised_at=now, summary=summary, payload=details)
            ).inserted_primary_key[0]
            events.append(
                connection,
                at=now,
                actor=events.LISTENING_ACTOR,
                type=events.ALERT_RAISED,
                payload={
                    "alert_id": alert_id,
                    "rule_id": rule.id,
                    "rule": rule.name,
                    "rule_type": rule.type,
                    "summary": summary,
                    **details,
                },
            )
            raised.append((alert_id, rule))
        alerts = (
            _alert_rows(connection, _alert.c.id.in_([alert_id for alert_id, _ in raised]))[::-1]
            if raised
            else []
        )
    if run_commands:
        commands = {alert_id: rule.config.get("command") or alert_command for alert_id, rule in raised}
        for alert in alerts:
            if commands.get(alert.id):
                run_alert_command(commands[alert.id], alert)
    return alerts


def run_alert_command(command: str, alert: AlertRow) -> bool:
    """Run `command` (split like a shell would, not through one) with the alert as JSON on stdin."""
    try:
        finished = subprocess.run(
            shlex.split(command),
            input=json.dumps(alert.as_json(), ensure_ascii=False),
            text=True,
            capture_output=True,
            timeout=ALERT_COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, ValueError, subprocess.TimeoutExpired) as error:
        log.warning("alert command for alert %s failed: %s", alert.id, error)
        return False
    if finished.returncode != 0:
        log.warning(
            "alert command for alert %s exited with %s: %s",
            alert.id,
            finished.returncode,
            finished.stderr.strip()[:500],
        )
        return False
    return True


# -- incidents ----------------------------------------------------------------------------


def incident_tag(incident_id: int) -> str:
    """The tag threads of an incident carry."""
    return f"incident-{incident_id}"


def _incident_rows(connection: Connection, *conditions: Any) -> list[IncidentRow]:
    counts = (
        select(
            _thread.c.incident_id,
            func.count().label("threads"),
            func.sum(case((_thread.c.status != ThreadStatus.CLOSED, 1), else_=0)).label("open_threads"),
        )
        .where(_thread.c.incident_id.is_not(None))
        .group_by(_thread.c.incident_id)
        .subquery()
    )
    query = (
        select(
            _incident,
            _agent.c.handle.label("declarer"),
            func.coalesce(counts.c.threads, 0).label("thread_count"),
            func.coalesce(counts.c.open_threads, 0).label("open_count"),
        )
        .outerjoin(_agent, _agent.c.id == _incident.c.declared_by)
        .outerjoin(counts, counts.c.incident_id == _incident.c.id)
        .where(*conditions)
        .order_by(_incident.c.started_at.desc(), _incident.c.id.desc())
    )
    rows = connection.execute(query).all()
    matches = {
        rule.config.get("incident_id"): tuple(rule.config.get("keywords", []))
        for rule in _match_rules(connection)
    }
    return [
        IncidentRow(
            id=row.id,
            title=row.title,
            severity=row.severity,
            scope=row.scope,
            status=row.status,
            status_url=row.status_url,
            holding_statement=row.holding_statement,
            update_interval_minutes=row.update_interval_minutes,
            requires_approval=row.requires_approval,
            declared_by=row.declarer,
            started_at=row.started_at,
            last_update_at=row.last_update_at,
            ended_at=row.ended_at,
            match=matches.get(row.id, ()),
            threads=int(row.thread_count),
            open_threads=int(row.open_count),
        )
        for row in rows
    ]


def _match_rules(connection: Connection, incident_id: int | None = None) -> list[RuleRow]:
    rules = [
        RuleRow(row.id, row.name, row.type, dict(row.config), row.enabled, row.created_at)
        for row in connection.execute(
            select(_rule).where(_rule.c.type == INCIDENT_MATCH, _rule.c.enabled.is_(True)).order_by(_rule.c.id)
        )
    ]
    return [rule for rule in rules if incident_id is None or rule.config.get("incident_id") == incident_id]


def list_incidents(connection: Connection, *, active_only: bool = False) -> list[IncidentRow]:
    """Incidents, newest first."""
    return _incident_rows(connection, *([_incident.c.status == ACTIVE] if active_only else []))


def get_incident(connection: Connection, incident_id: int) -> IncidentRow:
    """One incident; NotFound if there is none."""
    found = _incident_rows(connection, _incident.c.id == incident_id)
    if not found:
        raise NotFound(f"no incident {incident_id} (`inbox incident list` shows them)")
    return found[0]


def crisis_status(connection: Connection) -> CrisisStatus | None:
    """The latest active incident with its counts, or None when no incident is active."""
    active = list_incidents(connection, active_only=True)
    if not active:
        return None
    incident = active[0]
    answered = connection.execute(
        select(func.count()).where(
            _thread.c.incident_id == incident.id, _thread.c.first_response_at.is_not(None)
        )
    ).scalar()
    statements = connection.execute(
        select(func.count()).where(
            _event.c.incident_id == incident.id, _event.c.type == events.INCIDENT_STATEMENT_SENT
        )
    ).scalar()
    paused = connection.execute(select(func.count()).where(_post.c.status == PAUSED)).scalar()
    return CrisisStatus(incident, int(answered), int(statements), int(paused), len(active) - 1)


def _incident_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Incident columns checked: severity 1-3, a known scope, a positive update interval."""
    values = {key: value for key, value in fields.items() if value is not None}
    if "title" in values:
        values["title"] = str(values["title"]).strip()
        if not values["title"]:
            raise InvalidInput("an incident needs a title")
    if "severity" in values and values["severity"] not in (1, 2, 3):
        raise InvalidInput(f"severity is 1, 2 or 3 (1 the most severe), not {values['severity']!r}")
    if "scope" in values and values["scope"] not in SCOPES:
        raise InvalidInput(f"scope is one of {', '.join(SCOPES)}, not {values['scope']!r}")
    if "update_interval_minutes" in values and int(values["update_interval_minutes"]) < 1:
        raise InvalidInput("the update interval is at least one minute")
    for key in ("status_url", "holding_statement"):
        if key in values and not str(values[key]).strip():
            values[key] = None
    return values


def _set_match(connection: Connection, incident_id: int, keywords: Sequence[str], *, actor: Actor, now: datetime) -> None:
    connection.execute(
        update(_rule)
        .where(_rule.c.id.in_([rule.id for rule in _match_rules(connection, incident_id)]))
        .values(enabled=False)
    )
    if keywords:
        connection.execute(
            insert(_rule).values(
                name=f"incident {incident_id} match",
                type=INCIDENT_MATCH,
                config={"incident_id": incident_id, "keywords": list(keywords)},
                enabled=True,
                created_by=actor.agent_id,
                created_at=now,
            )
        )


def pause_scheduled_posts(connection: Connection, reason: str, *, actor: Actor, now: datetime, incident_id: int | None = None) -> list[int]:
    """Pause every scheduled post with `reason`; returns the ids paused."""
    ids = list(
        connection.execute(select(_post.c.id).where(_post.c.status == SCHEDULED).order_by(_post.c.id)).scalars()
    )
    if ids:
        connection.execute(
            update(_post).where(_post.c.id.in_(ids), _post.c.status == SCHEDULED).values(status=PAUSED, paused_reason=reason)
        )
    events.append(
        connection,
        at=now,
        actor=actor.handle,
        type=events.POSTS_PAUSED,
        incident_id=incident_id,
        payload={"post_ids": ids, "reason": reason},
    )
    return ids


def declare_incident(
    connection: Connection,
    *,
    actor: Actor,
    now: datetime,
    title: str,
    severity: int = 2,
    scope: str = "national",
    status_url: str | None = None,
    holding_statement: str | None = None,
    update_interval_minutes: int = 60,
    requires_approval: bool = False,
    match: Sequence[str] = (),
) -> tuple[int, list[int]]:
    """Declare an incident and pause publishing; returns its id and the posts paused."""
    values = _incident_fields(
        {
            "title": title,
            "severity": severity,
            "scope": scope,
            "status_url": status_url,
            "holding_statement": holding_statement,
            "update_interval_minutes": update_interval_minutes,
        }
    )
    keywords = _words(match)
    incident_id = connection.execute(
        insert(_incident).values(
            status=ACTIVE,
            requires_approval=requires_approval,
            declared_by=actor.agent_id,
            started_at=now,
            **values,
        )
    ).inserted_primary_key[0]
    _set_match(connection, incident_id, keywords, actor=actor, now=now)
    events.append(
        connection,
        at=now,
        actor=actor.handle,
        type=events.INCIDENT_DECLARED,
        incident_id=incident_id,
        payload={**values, "requires_approval": requires_approval, "match": keywords},
    )
    paused = pause_scheduled_posts(
        connection, f"incident {incident_id}: {values['title']}", actor=actor, now=now, incident_id=incident_id
    )
    return incident_id, paused


def update_incident(
    connection: Connection,
    incident_id: int,
    *,
    actor: Actor,
    now: datetime,
    public_update: bool = False,
    match: Sequence[str] | None = None,
    requires_approval: bool | None = None,
    **fields: Any,
) -> IncidentRow:
    """Change an active incident's fields; `public_update` records that an update went out now."""
    incident = get_incident(connection, incident_id)
    if not incident.active:
        raise InvalidInput(f"incident {incident_id} has ended")
    values = _incident_fields(fields)
    if requires_approval is not None:
        values["requires_approval"] = requires_approval
    if public_update:
        values["last_update_at"] = now
    changed = {key: value for key, value in values.items() if key != "last_update_at"}
    if match is not None:
        changed["match"] = _words(match)
        _set_match(connection, incident_id, changed["match"], actor=actor, now=now)
    if not values and match is None:
        raise InvalidInput("nothing to change: give a field or --public-update")
    if values:
        connection.execute(update(_incident).where(_incident.c.id == incident_id).values(**values))
    events.append(
        connection,
        at=now,
        actor=actor.handle,
        type=events.INCIDENT_UPDATED,
        incident_id=incident_id,
        payload={"changed": changed, "public_update": public_update},
    )
    return get_incident(connection, incident_id)


def end_incident(connection: Connection, incident_id: int, *, actor: Actor, now: datetime, note: str | None = None) -> IncidentRow:
    """Record the end; scheduled posts stay paused until a lead resumes them."""
    incident = get_incident(connection, incident_id)
    if not incident.active:
        raise InvalidInput(f"incident {incident_id} has already ended")
    connection.execute(update(_incident).where(_incident.c.id == incident_id).values(status=ENDED, ended_at=now))
    connection.execute(
        update(_rule)
        .where(_rule.c.id.in_([rule.id for rule in _match_rules(connection, incident_id)]))
        .values(enabled=False)
    )
    events.append(
        connection,
        at=now,
        actor=actor.handle,
        type=events.INCIDENT_ENDED,
        incident_id=incident_id,
        payload={"note": note, "duration_seconds": (now - incident.started_at).total_seconds()},
    )
    return get_incident(connection, incident_id)


def tag_incident_threads(
    engine: Engine,
    incident_id: int,
    now: datetime,
    *,
    since: datetime | None = None,
    actor: str = events.SYSTEM_ACTOR,
) -> int:
    """Tag to an active incident the threads whose inbound messages match its keywords.

    Looks at messages from `since` (default: `MATCH_LOOKBACK` before the declaration) up to
    `now`; threads already tied to an incident are left alone. Returns how many were tagged.
    """
    with write_transaction(engine) as connection:
        return _tag_threads(connection, incident_id, now, since=since, actor=actor)


def tag_active_incidents(engine: Engine, now: datetime, *, since: datetime | None = None) -> dict[int, int]:
    """`tag_incident_threads` for every active incident; {incident id: threads tagged}."""
    with engine.connect() as connection:
        active = [incident.id for incident in list_incidents(connection, active_only=True)]
    return {incident_id: tag_incident_threads(engine, incident_id, now, since=since) for incident_id in active}


def _tag_threads(connection: Connection, incident_id: int, now: datetime, *, since: datetime | None, actor: str) -> int:
    incident = get_incident(connection, incident_id)
    if not incident.active or not incident.match:
        return 0
    start = max(since, incident.started_at - MATCH_LOOKBACK) if since else incident.started_at - MATCH_LOOKBACK
    found = _matching_items(
        connection, incident.match, start, now, extra=[_thread.c.incident_id.is_(None)]
    )
    thread_ids = sorted({row.thread_id for row in found})
    tag = incident_tag(incident_id)
    tagged: list[int] = []
    for offset in range(0, len(thread_ids), _IN_CHUNK):
        chunk = thread_ids[offset : offset + _IN_CHUNK]
        connection.execute(
            update(_thread)
            .where(_thread.c.id.in_(chunk), _thread.c.incident_id.is_(None))
            .values(incident_id=incident_id)
        )
        mine = list(
            connection.execute(
                select(_thread.c.id).where(_thread.c.id.in_(chunk), _thread.c.incident_id == incident_id)
            ).scalars()
        )
        has_tag = set(
            connection.execute(select(_tag.c.thread_id).where(_tag.c.thread_id.in_(mine), _tag.c.tag == tag)).scalars()
        )
        new_tags = [{"thread_id": thread_id, "tag": tag} for thread_id in mine if thread_id not in has_tag]
        if new_tags:
            connection.execute(insert(_tag), new_tags)
        tagged += mine
    events.append_many(
        connection,
        (
            {
                "at": now,
                "actor": actor,
                "type": events.THREAD_TAGGED,
                "thread_id": thread_id,
                "incident_id": incident_id,
                "payload": {"tag": tag, "incident_id": incident_id},
            }
            for thread_id in tagged
        ),
    )
    return len(tagged)


# -- scheduled posts ----------------------------------------------------------------------


def list_posts(connection: Connection, statuses: Sequence[str] = ()) -> list[PostRow]:
    """Scheduled posts, soonest first."""
    query = (
        select(
            _post,
            _account.c.platform,
            _account.c.handle.label("account_handle"),
            _agent.c.handle.label("author"),
        )
        .join(_account, _account.c.id == _post.c.account_id)
        .outerjoin(_agent, _agent.c.id == _post.c.created_by)
        .order_by(_post.c.scheduled_at, _post.c.id)
    )
    if statuses:
        query = query.where(_post.c.status.in_(list(statuses)))
    rows = connection.execute(query).all()
    sending = _outbound_status_of_posts(connection, [row.id for row in rows if row.status == POSTED])
    return [
        PostRow(
            id=row.id,
            account_id=row.account_id,
            platform=row.platform,
            account_handle=row.account_handle,
            text=row.text,
            scheduled_at=row.scheduled_at,
            status=row.status,
            paused_reason=row.paused_reason,
            created_by=row.author,
            outbound_status=sending.get(row.id),
        )
        for row in rows
    ]


def _outbound_status_of_posts(connection: Connection, post_ids: Sequence[int]) -> dict[int, str]:
    """{post id: status of the outgoing message it became}, from the `post.published` events."""
    if not post_ids:
        return {}
    wanted = set(post_ids)
    outbound_of = {}
    for payload in connection.execute(select(_event.c.payload).where(_event.c.type == events.POST_PUBLISHED)).scalars():
        if payload.get("post_id") in wanted:
            outbound_of[payload["post_id"]] = payload["outbound_id"]
    statuses = dict(
        connection.execute(
            select(_outbound.c.id, _outbound.c.status).where(_outbound.c.id.in_(list(outbound_of.values())))
        ).all()
    ) if outbound_of else {}
    return {post_id: statuses[outbound_id] for post_id, outbound_id in outbound_of.items() if outbound_id in statuses}


def get_post(connection: Connection, post_id: int) -> PostRow:
    """One scheduled post; NotFound if there is none."""
    for post in list_posts(connection):
        if post.id == post_id:
            return post
    raise NotFound(f"no scheduled post {post_id} (`inbox posts list` shows them)")


def _post_author(connection: Connection, agent_id: int | None, handle: str) -> Author:
    """The author a scheduled post goes out as: leads and admins need no approval for it."""
    from inbox.core.access import Action, role_allows
    from inbox.outbox.queue import Author

    row = connection.execute(select(_agent.c.name, _agent.c.role).where(_agent.c.id == agent_id)).first()
    if row is None:
        return Author(handle=handle, agent_id=agent_id, name=None, may_approve=agent_id is None)
    return Author(handle=handle, agent_id=agent_id, name=row.name, may_approve=role_allows(row.role, Action.APPROVE))


def _draft_post(connection: Connection, account_id: int, text: str, author: Author, now: datetime) -> Any:
    """The post rendered for its account and checked like any outgoing message."""
    from inbox.outbox import queue as outbox

    return outbox.draft(
        connection, outbox.account_target(connection, account_id), kind=outbox.OutboundKind.POST, author=author, now=now, text=text
    )


def _check_post(connection: Connection, account_id: int, text: str, *, actor: Actor, now: datetime) -> None:
    """Refuse a post that could not go out as it is (too long, the account disabled, ...)."""
    if not text.strip():
        raise InvalidInput("a scheduled post needs text")
    prepared = _draft_post(connection, account_id, text, _post_author(connection, actor.agent_id, actor.handle), now)
    if prepared.problems:
        raise InvalidInput(f"the post cannot go to {prepared.target.describe()}: " + " ".join(prepared.problems))


def add_post(connection: Connection, account_id: int, text: str, scheduled_at: datetime, *, actor: Actor, now: datetime) -> int:
    """Schedule a post, checked for its channel; during an active incident it starts paused."""
    _check_post(connection, account_id, text, actor=actor, now=now)
    active = list_incidents(connection, active_only=True)
    status, reason = (PAUSED, f"incident {active[0].id}: {active[0].title}") if active else (SCHEDULED, None)
    post_id = connection.execute(
        insert(_post).values(
            account_id=account_id,
            text=text,
            scheduled_at=scheduled_at,
            status=status,
            paused_reason=reason,
            created_by=actor.agent_id,
            created_at=now,
        )
    ).inserted_primary_key[0]
    events.append(
        connection,
        at=now,
        actor=actor.handle,
        type=events.POST_SCHEDULED,
        payload={"post_id": post_id, "account_id": account_id, "scheduled_at": scheduled_at.isoformat(), "status": status},
    )
    return post_id


def _changeable_post(connection: Connection, post_id: int) -> PostRow:
    post = get_post(connection, post_id)
    if post.status not in (SCHEDULED, PAUSED):
        raise InvalidInput(f"scheduled post {post_id} is {post.status}; only scheduled or paused posts change")
    return post


def edit_post(
    connection: Connection,
    post_id: int,
    *,
    actor: Actor,
    now: datetime,
    text: str | None = None,
    scheduled_at: datetime | None = None,
) -> PostRow:
    """Change a post's text or time; a paused post stays paused."""
    post = _changeable_post(connection, post_id)
    values: dict[str, Any] = {}
    if text is not None:
        _check_post(connection, post.account_id, text, actor=actor, now=now)
        values["text"] = text
    if scheduled_at is not None:
        values["scheduled_at"] = scheduled_at
    if not values:
        raise InvalidInput("nothing to change: give --text or --at")
    connection.execute(update(_post).where(_post.c.id == post_id).values(**values))
    events.append(
        connection,
        at=now,
        actor=actor.handle,
        type=events.POST_EDITED,
        payload={"post_id": post_id, "changed": sorted(values)},
    )
    return get_post(connection, post_id)


def cancel_post(connection: Connection, post_id: int, *, actor: Actor, now: datetime) -> PostRow:
    """Withdraw a scheduled or paused post."""
    _changeable_post(connection, post_id)
    connection.execute(update(_post).where(_post.c.id == post_id).values(status=CANCELLED))
    events.append(connection, at=now, actor=actor.handle, type=events.POST_CANCELLED, payload={"post_id": post_id})
    return get_post(connection, post_id)


def resume_posts(connection: Connection, post_ids: Sequence[int] | None, *, actor: Actor, now: datetime) -> list[int]:
    """Resume the given paused posts, or every paused one when `post_ids` is None."""
    query = select(_post.c.id).where(_post.c.status == PAUSED)
    if post_ids is not None:
        for post_id in post_ids:
            post = get_post(connection, post_id)
            if post.status != PAUSED:
                raise InvalidInput(f"scheduled post {post_id} is {post.status}, not paused")
        query = query.where(_post.c.id.in_(list(post_ids)))
    ids = list(connection.execute(query.order_by(_post.c.id)).scalars())
    if ids:
        connection.execute(update(_post).where(_post.c.id.in_(ids)).values(status=SCHEDULED, paused_reason=None))
    events.append(connection, at=now, actor=actor.handle, type=events.POSTS_RESUMED, payload={"post_ids": ids})
    return ids


def publish_due_posts(engine: Engine, now: datetime, *, limit: int = 50) -> list[PublishedPost]:
    """Hand the scheduled posts due by `now` to the outbox, each exactly once, oldest first.

    Each post is taken by a conditional update (`scheduled` to `posted`) in the transaction
    that queues its outgoing message, so a second sender finds nothing left to take. A post
    that cannot go as it is (grown too long for a changed limit, its account disabled or
    gone) is paused with the reason, for a lead to edit and resume.
    """
    with engine.connect() as connection:
        due = connection.execute(
            select(_post.c.id)
            .where(_post.c.status == SCHEDULED, _post.c.scheduled_at <= now)
            .order_by(_post.c.scheduled_at, _post.c.id)
            .limit(limit)
        ).scalars().all()
    published = []
    for post_id in due:
        with write_transaction(engine) as connection:
            result = _publish_post(connection, post_id, now)
        if result is not None:
            published.append(result)
    return published


def _publish_post(connection: Connection, post_id: int, now: datetime) -> PublishedPost | None:
    from inbox.outbox import queue as outbox

    taken = connection.execute(
        update(_post)
        .where(_post.c.id == post_id, _post.c.status == SCHEDULED, _post.c.scheduled_at <= now)
        .values(status=POSTED)
    ).rowcount
    if not taken:
        return None
    row = connection.execute(
        select(_post.c.account_id, _post.c.text, _post.c.created_by, _agent.c.handle)
        .outerjoin(_agent, _agent.c.id == _post.c.created_by)
        .where(_post.c.id == post_id)
    ).one()
    author = _post_author(connection, row.created_by, row.handle or events.SYSTEM_ACTOR)
    try:
        prepared = _draft_post(connection, row.account_id, row.text, author, now)
        problems = list(prepared.problems)
    except (NotFound, InvalidInput) as error:
        prepared, problems = None, [str(error)]
    if problems or prepared is None:
        reason = "not published at its time: " + " ".join(problems)
        connection.execute(update(_post).where(_post.c.id == post_id).values(status=PAUSED, paused_reason=reason))
        events.append(
            connection,
            at=now,
            actor=events.OUTBOX_ACTOR,
            type=events.POSTS_PAUSED,
            payload={"post_ids": [post_id], "reason": reason},
        )
        return PublishedPost(post_id, None, reason)
    outbound_id = outbox.queue(connection, prepared, author=author, now=now)
    events.append(
        connection,
        at=now,
        actor=events.OUTBOX_ACTOR,
        type=events.POST_PUBLISHED,
        payload={"post_id": post_id, "outbound_id": outbound_id, "account_id": row.account_id},
    )
    return PublishedPost(post_id, outbound_id)


# -- one statement everywhere -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatementTarget:
    """Where a statement would go and how it reads there."""

    kind: str
    """`post` on an account, or `reply` in an incident thread."""
    account_id: int
    thread_id: int | None
    channel: str
    where: str
    rendered_text: str
    problems: tuple[str, ...]

    @property
    def fits(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class StatementPlan:
    """A statement checked against every target before anything is queued."""

    incident_id: int
    text: str
    targets: tuple[StatementTarget, ...]

    @property
    def unfit(self) -> tuple[StatementTarget, ...]:
        return tuple(target for target in self.targets if not target.fits)

    def summary(self) -> str:
        """What goes where, and what does not fit, in lines for a person."""
        posts = [target for target in self.targets if target.kind == "post"]
        replies = [target for target in self.targets if target.kind == "reply"]
        lines = [
            (f"statement for incident {self.incident_id}: {len(posts)} account post"
            f"{'s' if len(posts) != 1 else ''}, {len(replies)} thread repl{'ies' if len(replies) != 1 else 'y'}")
        ]
        by_channel = Counter(target.channel for target in self.targets if target.fits)
        if by_channel:
            lines.append("fits: " + ", ".join(f"{channel} {count}" for channel, count in sorted(by_channel.items())))
        if self.unfit:
            lines.append(f"does not fit ({len(self.unfit)}):")
            lines += [f"  {target.where}: {' '.join(target.problems)}" for target in self.unfit]
        return "\n".join(lines)


def plan_statement(
    connection: Connection,
    incident_id: int,
    *,
    author: Author,
    now: datetime,
    text: str | None = None,
    account_ids: Sequence[int] | None = None,
    reply_to_threads: bool = False,
) -> StatementPlan:
    """Render the statement (default: the holding statement) for every chosen account and,
    with `reply_to_threads`, every open thread of the incident; nothing is queued."""
    from inbox.outbox import queue as outbox

    incident = get_incident(connection, incident_id)
    statement = text if text is not None else incident.holding_statement
    if not statement or not statement.strip():
        raise InvalidInput(f"incident {incident_id} has no holding statement; give --text")
    if account_ids is None:
        account_ids = list(
            connection.execute(select(_account.c.id).where(_account.c.enabled.is_(True)).order_by(_account.c.id)).scalars()
        )
    targets: list[StatementTarget] = []
    for account_id in dict.fromkeys(account_ids):
        target = outbox.account_target(connection, account_id)
        targets.append(_statement_target("post", connection, target, outbox.OutboundKind.POST, author, now, statement))
    if reply_to_threads:
        thread_ids = connection.execute(
            select(_thread.c.id)
            .where(_thread.c.incident_id == incident_id, _thread.c.status != ThreadStatus.CLOSED)
            .order_by(_thread.c.id)
        ).scalars()
        for thread_id in thread_ids:
            target = outbox.thread_target(connection, thread_id)
            targets.append(_statement_target("reply", connection, target, outbox.OutboundKind.REPLY, author, now, statement))
    if not targets:
        raise InvalidInput("the statement has nowhere to go: no enabled account and no open incident thread")
    return StatementPlan(incident_id, statement, tuple(targets))


def _statement_target(
    kind: str, connection: Connection, target: Any, outbound_kind: Any, author: Author, now: datetime, text: str
) -> StatementTarget:
    """The statement drafted for one target; a platform this inbox cannot send to does not fit."""
    from inbox.outbox import queue as outbox

    try:
        prepared = outbox.draft(connection, target, kind=outbound_kind, author=author, now=now, text=text)
    except KeyError:
        return StatementTarget(
            kind=kind,
            account_id=target.account_id,
            thread_id=target.thread_id,
            channel=target.channel,
            where=target.describe(),
            rendered_text="",
            problems=(f"This inbox cannot send to {target.platform}: no adapter for it is installed.",),
        )
    return StatementTarget(
        kind=kind,
        account_id=target.account_id,
        thread_id=target.thread_id,
        channel=target.channel,
        where=target.describe(),
        rendered_text=prepared.rendered.text,
        problems=tuple(prepared.problems),
    )


def record_statement(
    connection: Connection,
    incident_id: int,
    *,
    actor: Actor,
    now: datetime,
    text: str,
    campaign_ids: Sequence[int],
    plan: StatementPlan,
) -> None:
    """Tie the statement's campaigns to the incident, count it as a public update, log it."""
    if campaign_ids:
        connection.execute(update(_campaign).where(_campaign.c.id.in_(list(campaign_ids))).values(incident_id=incident_id))
    connection.execute(update(_incident).where(_incident.c.id == incident_id).values(last_update_at=now))
    sent = [target for target in plan.targets if target.fits]
    events.append(
        connection,
        at=now,
        actor=actor.handle,
        type=events.INCIDENT_STATEMENT_SENT,
        incident_id=incident_id,
        payload={
            "text": text,
            "campaign_ids": list(campaign_ids),
            "posts": sum(1 for target in sent if target.kind == "post"),
            "replies": sum(1 for target in sent if target.kind == "reply"),
            "channels": dict(Counter(target.channel for target in sent)),
            "skipped": [target.where for target in plan.unfit],
        },
    )


# -- review -------------------------------------------------------------------------------

REVIEW_BASELINE = timedelta(days=30)
TIMELINE_TYPES = (
    events.ALERT_RAISED,
    events.INCIDENT_DECLARED,
    events.INCIDENT_UPDATED,
    events.INCIDENT_STATEMENT_SENT,
    events.POSTS_PAUSED,
    events.POSTS_RESUMED,
    events.INCIDENT_ENDED,
)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    actor: str
    type: str
    text: str


@dataclass(frozen=True, slots=True)
class HourFigures:
    start: datetime
    inbound: int
    incident_inbound: int
    negative_share: float | None


@dataclass(frozen=True, slots=True)
class StatementSent:
    at: datetime
    actor: str
    text: str
    reach: dict[str, dict[str, int]]
    """Per channel: targets by outbound status (sent, queued, failed, ...)."""


@dataclass(frozen=True, slots=True)
class Review:
    """Everything the post-crisis review shows."""

    incident: IncidentRow
    until: datetime
    timeline: tuple[TimelineEntry, ...]
    hours: tuple[HourFigures, ...]
    first_response_during: Durations
    first_response_before: Durations
    outcomes: dict[str, int]
    activity: dict[str, dict[str, int]]
    statements: tuple[StatementSent, ...]
    threads: tuple[dict[str, Any], ...] = field(default=())


def _timeline_text(event_type: str, payload: dict[str, Any]) -> str:
    if event_type == events.ALERT_RAISED:
        return f"alert: {payload.get('summary', '')}"
    if event_type == events.INCIDENT_DECLARED:
        return f"declared: {payload.get('title')} (severity {payload.get('severity')}, {payload.get('scope')})"
    if event_type == events.INCIDENT_UPDATED:
        changed = ", ".join(sorted(payload.get("changed", {})))
        public = "public update" if payload.get("public_update") else "changed"
        return f"{public}{': ' + changed if changed else ''}"
    if event_type == events.INCIDENT_STATEMENT_SENT:
        channels = ", ".join(f"{name} {count}" for name, count in sorted(payload.get("channels", {}).items()))
        return f"statement: {payload.get('posts', 0)} posts, {payload.get('replies', 0)} replies ({channels})"
    if event_type == events.POSTS_PAUSED:
        return f"{len(payload.get('post_ids', []))} scheduled posts paused"
    if event_type == events.POSTS_RESUMED:
        return f"{len(payload.get('post_ids', []))} scheduled posts resumed"
    if event_type == events.INCIDENT_ENDED:
        return "ended" + (f": {payload['note']}" if payload.get("note") else "")
    return event_type


def build_review(engine: Engine, actor: Actor, incident_id: int, now: datetime) -> Review:
    """The review of an incident (ended or still running, then up to `now`)."""
    from inbox.stats.compute import Period, StatsFilter, compute

    with engine.connect() as connection:
        incident = get_incident(connection, incident_id)
        start, until = incident.started_at, incident.ended_at or now
        lookback = start - MATCH_LOOKBACK
        event_rows = connection.execute(
            select(_event)
            .where(
                or_(
                    _event.c.incident_id == incident_id,
                    and_(_event.c.type == events.ALERT_RAISED, _event.c.at >= lookback, _event.c.at <= until),
                ),
                _event.c.type.in_(TIMELINE_TYPES),
            )
            .order_by(_event.c.at, _event.c.id)
        ).all()
        timeline = tuple(
            TimelineEntry(row.at, row.actor, row.type, _timeline_text(row.type, dict(row.payload)))
            for row in event_rows
        )
        thread_rows = _incident_threads(connection, incident_id)
        # Incident threads count however early their first message came (the run-up); the
        # 30 days of normal end where the first of them began.
        first_inbound = min(
            (row["first_inbound_at"] for row in thread_rows if row["first_inbound_at"]), default=start
        )
        hours = _hourly(connection, incident_id, min(start, first_inbound), until)
        outcomes = dict(Counter(row["status"] for row in thread_rows))
        outcomes["answered"] = sum(1 for row in thread_rows if row["first_response_at"])
        outcomes["unanswered"] = len(thread_rows) - outcomes["answered"]
        activity = _activity(connection, incident_id, start, until)
        statements = _statements(connection, incident_id)
    clock = lambda: now
    during = compute(
        engine,
        actor,
        clock,
        Period(min(start, first_inbound), max(until, start + timedelta(seconds=1))),
        filters=StatsFilter(incidents=(incident_id,)),
    )
    before = compute(engine, actor, clock, Period(start - REVIEW_BASELINE, min(start, first_inbound)))
    return Review(
        incident=incident,
        until=until,
        timeline=timeline,
        hours=hours,
        first_response_during=during.figures.first_response,
        first_response_before=before.figures.first_response,
        outcomes=outcomes,
        activity=activity,
        statements=statements,
        threads=tuple(thread_rows),
    )


def _hourly(connection: Connection, incident_id: int, start: datetime, until: datetime) -> tuple[HourFigures, ...]:
    first_hour = start.replace(minute=0, second=0, microsecond=0)
    buckets: dict[datetime, list[int]] = {}
    hour = first_hour
    while hour < until or hour == first_hour:
        buckets[hour] = [0, 0, 0, 0]
        hour += timedelta(hours=1)
    rows = connection.execute(
        select(_item.c.created_at, _item.c.sentiment, _thread.c.incident_id)
        .join(_thread, _thread.c.id == _item.c.thread_id)
        .where(_item.c.direction == "in", _item.c.created_at >= first_hour, _item.c.created_at <= until)
    )
    for row in rows:
        counts = buckets.get(row.created_at.replace(minute=0, second=0, microsecond=0))
        if counts is None:
            continue
        counts[0] += 1
        counts[1] += row.incident_id == incident_id
        if row.sentiment is not None:
            counts[2] += 1
            counts[3] += row.sentiment <= NEGATIVE_THRESHOLD
    return tuple(
        HourFigures(hour, inbound, mine, round(negative / scored, 4) if scored else None)
        for hour, (inbound, mine, scored, negative) in buckets.items()
    )


def _incident_threads(connection: Connection, incident_id: int) -> list[dict[str, Any]]:
    from inbox.core.models import Contact

    contact = Contact.__table__
    rows = connection.execute(
        select(
            _thread.c.id,
            _account.c.platform,
            _account.c.handle.label("account"),
            _thread.c.kind,
            _thread.c.status,
            contact.c.handle.label("author"),
            _agent.c.handle.label("assignee"),
            _thread.c.first_inbound_at,
            _thread.c.first_response_at,
            _thread.c.closed_at,
            _thread.c.item_count,
            _thread.c.sentiment,
            _thread.c.preview,
        )
        .join(_account, _account.c.id == _thread.c.account_id)
        .outerjoin(contact, contact.c.id == _thread.c.contact_id)
        .outerjoin(_agent, _agent.c.id == _thread.c.assignee_id)
        .where(_thread.c.incident_id == incident_id)
        .order_by(_thread.c.id)
    )
    result = []
    for row in rows:
        record = dict(row._mapping)
        waited = (
            (row.first_response_at - row.first_inbound_at).total_seconds()
            if row.first_response_at and row.first_inbound_at
            else None
        )
        record["first_response_seconds"] = waited
        result.append(record)
    return result


def _activity(connection: Connection, incident_id: int, start: datetime, until: datetime) -> dict[str, dict[str, int]]:
    """Per person, how many of each kind of action they took on the incident and its threads."""
    threads = select(_thread.c.id).where(_thread.c.incident_id == incident_id)
    rows = connection.execute(
        select(_event.c.actor, _event.c.type, func.count())
        .where(
            _event.c.at >= start,
            _event.c.at <= until,
            or_(_event.c.incident_id == incident_id, _event.c.thread_id.in_(threads)),
            _event.c.actor.not_in([events.SYSTEM_ACTOR, events.SYNC_ACTOR, events.OUTBOX_ACTOR, events.LISTENING_ACTOR]),
        )
        .group_by(_event.c.actor, _event.c.type)
    )
    activity: dict[str, dict[str, int]] = defaultdict(dict)
    for actor_handle, event_type, count in rows:
        activity[actor_handle][event_type] = count
    return dict(sorted(activity.items()))


def _statements(connection: Connection, incident_id: int) -> tuple[StatementSent, ...]:
    from inbox.outbox.queue import channel_name

    sent = []
    for row in connection.execute(
        select(_event)
        .where(_event.c.incident_id == incident_id, _event.c.type == events.INCIDENT_STATEMENT_SENT)
        .order_by(_event.c.id)
    ):
        payload = dict(row.payload)
        reach: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        campaign_ids = payload.get("campaign_ids", [])
        if campaign_ids:
            for platform, status, count in connection.execute(
                select(_account.c.platform, _outbound.c.status, func.count())
                .join(_account, _account.c.id == _outbound.c.account_id)
                .where(_outbound.c.campaign_id.in_(campaign_ids))
                .group_by(_account.c.platform, _outbound.c.status)
            ):
                reach[channel_name(platform)][status] += count
        sent.append(
            StatementSent(
                row.at,
                row.actor,
                payload.get("text", ""),
                {channel: dict(statuses) for channel, statuses in sorted(reach.items())},
            )
        )
    return tuple(sent)


def _duration_line(label: str, durations: Durations) -> str:
    from inbox.stats.compute import duration_text

    return (
        f"{label}: median {duration_text(durations.p50_seconds)}, "
        f"p90 {duration_text(durations.p90_seconds)} ({durations.count} threads)"
    )


def review_sections(review: Review) -> list[tuple[str, list[str], list[dict[str, str]]]]:
    """(heading, lines of text, table rows) for each part of the review, in order: the
    files and the TUI's review screen show the same parts."""
    incident = review.incident
    duration = review.until - incident.started_at
    header = [
        f"Severity {incident.severity}, {incident.scope}; {incident.status}",
        (f"From {incident.started_at:%Y-%m-%d %H:%M} to {review.until:%Y-%m-%d %H:%M} UTC "
        f"({duration.total_seconds() / 3600:.1f} h), declared by {incident.declared_by or 'setup'}"),
    ]
    if incident.status_url:
        header.append(f"Status page: {incident.status_url}")
    if incident.holding_statement:
        header.append(f"Holding statement: {incident.holding_statement}")
    timeline = [
        {"time (UTC)": f"{entry.at:%Y-%m-%d %H:%M}", "who": entry.actor, "what": entry.text}
        for entry in review.timeline
    ]
    responses = [
        _duration_line("During the incident (its threads)", review.first_response_during),
        _duration_line("The 30 days before (all threads)", review.first_response_before),
    ]
    volume = [
        {
            "hour (UTC)": f"{hour.start:%m-%d %H:00}",
            "messages in": str(hour.inbound),
            "on incident threads": str(hour.incident_inbound),
            "negative": "-" if hour.negative_share is None else f"{hour.negative_share:.0%}",
        }
        for hour in review.hours
    ]
    outcomes = [{"outcome": name, "threads": str(count)} for name, count in review.outcomes.items()]
    people = [
        {"who": handle, "what": ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()))}
        for handle, kinds in review.activity.items()
    ]
    statements = [
        {
            "time (UTC)": f"{statement.at:%Y-%m-%d %H:%M}",
            "who": statement.actor,
            "text": statement.text,
            "reach": "; ".join(
                f"{channel}: " + ", ".join(f"{status} {count}" for status, count in sorted(statuses.items()))
                for channel, statuses in statement.reach.items()
            ),
        }
        for statement in review.statements
    ]
    return [
        ("Incident", header, []),
        ("Timeline", [], timeline),
        ("First response time", responses, []),
        ("Volume and sentiment per hour", [], volume),
        ("Threads by outcome", [], outcomes),
        ("Who did what", [], people),
        ("Statements sent", [] if statements else ["None."], statements),
    ]


def review_plots(review: Review) -> list[tuple[str, str]]:
    """(title, SVG) of the review's plots: volume per hour, negative share per hour."""
    from inbox.reports.stats_report import bar_chart_svg, line_chart_svg

    labels = [f"{hour.start:%H:00}" for hour in review.hours]
    volume = bar_chart_svg(
        "Messages in per hour",
        labels,
        [
            ("all", "#3b82f6", [hour.inbound for hour in review.hours]),
            ("incident", "#ef4444", [hour.incident_inbound for hour in review.hours]),
        ],
    )
    negative = line_chart_svg(
        "Share of negative messages per hour",
        labels,
        [None if hour.negative_share is None else hour.negative_share * 100 for hour in review.hours],
        lambda peak: f"{peak:.0f}%",
    )
    return [("Messages per hour", volume), ("Negative share per hour", negative)]


def _title(review: Review) -> str:
    return f"Incident {review.incident.id} review: {review.incident.title}"


def render_review_markdown(review: Review) -> str:
    """The review as Markdown with embedded SVG plots."""
    from inbox.reports.stats_report import data_uri

    lines = [f"# {_title(review)}", ""]
    plots = review_plots(review)
    for heading, text, rows in review_sections(review):
        lines += [f"## {heading}", ""]
        lines += [f"{line}  " for line in text]
        if heading == "Volume and sentiment per hour":
            lines += [f"![{title}]({data_uri(svg)})" for title, svg in plots]
            lines.append("")
        if rows:
            columns = list(rows[0])
            lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
            lines += [
                "| " + " | ".join(str(row[column]).replace("|", "\\|").replace("\n", " ") for column in columns) + " |"
                for row in rows
            ]
        lines.append("")
    return "\n".join(lines)


def render_review_html(review: Review) -> str:
    """The review as one self-contained HTML page with embedded SVG plots."""
    from inbox.reports.stats_report import data_uri

    body = [f"<h1>{html.escape(_title(review))}</h1>"]
    plots = review_plots(review)
    for heading, text, rows in review_sections(review):
        body.append(f"<h2>{html.escape(heading)}</h2>")
        body += [f"<p>{html.escape(line)}</p>" for line in text]
        if heading == "Volume and sentiment per hour":
            body += [f'<p><img alt="{html.escape(title)}" src="{data_uri(svg)}"></p>' for title, svg in plots]
        if rows:
            columns = list(rows[0])
            body.append("<table><tr>" + "".join(f"<th>{html.escape(column)}</th>" for column in columns) + "</tr>")
            body += [
                "<tr>" + "".join(f"<td>{html.escape(str(row[column]))}</td>" for column in columns) + "</tr>"
                for row in rows
            ]
            body.append("</table>")
    style = (
        "body{font-family:sans-serif;max-width:60rem;margin:2rem auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}"
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(_title(review))}</title>'
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n"
    )


THREAD_CSV_COLUMNS = (
    "id",
    "platform",
    "account",
    "kind",
    "status",
    "author",
    "assignee",
    "first_inbound_at",
    "first_response_at",
    "first_response_seconds",
    "closed_at",
    "item_count",
    "sentiment",
    "preview",
)


def write_review(review: Review, path: Path) -> tuple[Path, Path]:
    """Write the review to `path` (.html or .md) and its threads to `<stem>-threads.csv`."""
    renderers = {".html": render_review_html, ".htm": render_review_html, ".md": render_review_markdown, ".markdown": render_review_markdown}
    render = renderers.get(path.suffix.lower())
    if render is None:
        raise InvalidInput(f"cannot tell the format of {path.name}: name it .html or .md")
    path.write_text(render(review), encoding="utf-8")
    csv_path = path.with_name(f"{path.stem}-threads.csv")
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(THREAD_CSV_COLUMNS), extrasaction="ignore")
        writer.writeheader()
        for row in review.threads:
            writer.writerow(
                {key: value.isoformat() if isinstance(value, datetime) else value for key, value in row.items()}
            )
    return path, csv_path
