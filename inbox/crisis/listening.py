"""Listening rules and the alerts they raise: `evaluate_rules` is how an alert is raised.

A rule that has fired stays quiet for its cooldown, and a keyword rule only counts messages
that arrived after its last alert, so one ongoing condition raises one alert. An incident's
match keywords are kept here as an `incident_match` rule that is never evaluated, only used
to tag the incident's threads (`inbox.crisis.incidents.tag_incident_threads`).

A lead switches a rule off (it stops raising alerts and is kept, with its settings) or
removes it (gone from every list; its alerts stay for the record). The table's `enabled`
column says whether the rule exists for people, as it always has, so rules removed before
rules could be switched off stay removed; a switched-off rule has `"disabled": true` in
its stored config, which `RuleRow` hides again (`RuleRow.enabled` is the switch).

An edit names the `RuleRow.version` it was made from: a digest of the rule's name,
settings and switch as stored. If the row differs when the edit is written (someone
changed it since), the edit is refused as a `Conflict` naming who changed it when. A
digest needs no version column and no reading of the event log on every list; the log is
read only to say who, when a conflict happens.

A rule's `command` is the name of a command, never a command line: the config file of the
machine that checks the rules (the worker's, or a terminal's that polls) defines what each
name runs (`[listening] commands`), so a lead, who may write the rules in the database,
cannot make the worker run a program of their choosing beside every account's secret. Any
name is accepted when a rule is edited (the editing machine may not be the worker); a name
the checking machine does not define is logged with the alert and nothing runs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import shlex
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, case, func, insert, or_, select, update

from inbox import events
from inbox.core.config import COMMAND_NAME
from inbox.core.database import write_transaction
from inbox.core.errors import Conflict, InvalidInput, NotFound
from inbox.core.models import Account, Agent, Alert, AlertRule, Event, Item, Thread
from inbox.core.plurals import counted
from inbox.core.sentiment import NEGATIVE_THRESHOLD

if TYPE_CHECKING:
    from inbox.core.access import Actor

log = logging.getLogger(__name__)

_rule = AlertRule.__table__
_alert = Alert.__table__
_thread = Thread.__table__
_item = Item.__table__
_account = Account.__table__
_agent = Agent.__table__
_event = Event.__table__

KEYWORD = "keyword"
VOLUME_SPIKE = "volume_spike"
NEGATIVE_SHARE = "negative_share"
INCIDENT_MATCH = "incident_match"
RULE_TYPES = (KEYWORD, VOLUME_SPIKE, NEGATIVE_SHARE)
"""The listening rules a lead can add; `incident_match` rules come with incidents."""

ALERT_COMMAND_TIMEOUT_SECONDS = 30

RULE_DEFAULTS: dict[str, dict[str, Any]] = {
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
"""Each rule type's settings and the value each has when not given."""

SETTING_LIMITS: dict[str, tuple[type, float, float | None]] = {
    "window_minutes": (int, 1, None),
    "min_count": (int, 1, None),
    "cooldown_minutes": (int, 0, None),
    "baseline_hours": (int, 1, None),
    "factor": (float, 1, None),
    "share": (float, 0.01, 1),
}
"""Each numeric setting of a rule: its kind (whole number or not), lowest and highest value."""

_DISABLED = "disabled"
"""The stored config key of a switched-off rule (see the module docstring)."""

RULE_EVENTS = (
    events.AlertRuleAdded.type,
    events.AlertRuleChanged.type,
    events.AlertRuleRemoved.type,
)
"""The event types that change the listening rules."""


# -- records ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleRow:
    """A listening rule as listed."""

    id: int
    name: str
    type: str
    config: dict[str, Any]
    enabled: bool
    """Switched on: the rule raises alerts. A switched-off rule is kept and listed."""
    created_at: datetime
    last_alert_at: datetime | None = None
    last_alert_summary: str | None = None

    @property
    def version(self) -> str:
        """What an edit names as the state it was made from: a digest of the stored rule."""
        state = json.dumps(
            [self.name, self.type, self.config, self.enabled], sort_keys=True, default=str
        )
        return hashlib.sha256(state.encode()).hexdigest()[:16]

    def describe(self) -> str:
        """The rule's condition in words."""
        config = self.config
        filters = "".join(
            f" on {', '.join(config[key])}"
            if key == "platforms"
            else f" in {', '.join(config[key])}"
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


# -- listening rules ------------------------------------------------------------------------


def words(values: Iterable[str] | str | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = values.split(",")
    return [value.strip() for value in values if value and value.strip()]


def setting_value(key: str, value: Any) -> Any:
    """A numeric setting (`SETTING_LIMITS`) read from `value`, text included; an InvalidInput
    says what it must be ("must be at least 1, not 0"), for the caller to name the field."""
    kind, low, high = SETTING_LIMITS[key]
    try:
        number = kind(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        number = None
    if number is None or not math.isfinite(number):
        wanted = "a whole number" if kind is int else "a number"
        raise InvalidInput(f"must be {wanted}, not {value!r}")
    if number < low or (high is not None and number > high):
        bound = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise InvalidInput(f"must be {bound}, not {number:g}")
    return number


def _number(config: dict[str, Any], key: str) -> Any:
    try:
        return setting_value(key, config[key])
    except InvalidInput as problem:
        raise InvalidInput(f"{key} {problem}") from None


def normalize_rule_config(rule_type: str, config: dict[str, Any]) -> dict[str, Any]:
    """A rule's settings checked and completed with defaults; InvalidInput names any problem."""
    if rule_type not in RULE_TYPES:
        raise InvalidInput(
            f"unknown rule type {rule_type!r}; choose one of {', '.join(RULE_TYPES)}"
        )
    given = {key: value for key, value in config.items() if value is not None}
    known = {*RULE_DEFAULTS[rule_type], "platforms", "languages", "command"}
    if rule_type == KEYWORD:
        known.add("keywords")
    unknown = sorted(set(given) - known)
    if unknown:
        raise InvalidInput(f"a {rule_type} rule has no setting {', '.join(unknown)}")
    merged: dict[str, Any] = {**RULE_DEFAULTS[rule_type], **given}
    for key in ("window_minutes", "min_count", "cooldown_minutes"):
        merged[key] = _number(merged, key)
    if rule_type == VOLUME_SPIKE:
        merged["baseline_hours"] = _number(merged, "baseline_hours")
        merged["factor"] = _number(merged, "factor")
    if rule_type == NEGATIVE_SHARE:
        merged["share"] = _number(merged, "share")
    if rule_type == KEYWORD:
        merged["keywords"] = words(merged.get("keywords"))
        if not merged["keywords"]:
            raise InvalidInput("a keyword rule needs at least one keyword or phrase")
    for key in ("platforms", "languages"):
        merged[key] = [word.lower() for word in words(merged.get(key))]
    if merged.get("command") is not None:
        merged["command"] = str(merged["command"]).strip()
        if not merged["command"]:
            merged.pop("command")
    return merged


def check_command_name(name: Any) -> None:
    """Refuse a rule `command` that is no command's name (a command line, say); an empty
    one, which drops the command, passes."""
    if name is None or not str(name).strip():
        return
    if not COMMAND_NAME.fullmatch(str(name).strip()):
        raise InvalidInput(
            f"a rule's command is the name of one of the commands in the [listening] commands "
            f"of the worker's config file (e.g. page-oncall), not a command line: {name!r}"
        )


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
    check_command_name(config.get("command"))
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
    events.record(
        connection,
        events.AlertRuleAdded(rule_id=rule_id, name=name, rule_type=rule_type, config=settings),
        at=now,
        actor=actor.handle,
    )
    return rule_id


def _rule_for_change(connection: Connection, rule_id: int) -> Any:
    """The rule's row, locked until the transaction ends; NotFound when there is none."""
    row = connection.execute(select(_rule).where(_rule.c.id == rule_id).with_for_update()).first()
    if row is None or not row.enabled:
        raise NotFound(f"no listening rule {rule_id} (`inbox rules list` shows them)")
    if row.type == INCIDENT_MATCH:
        raise InvalidInput(
            f"rule {rule_id} is an incident's match; change it with `inbox incident update --match`"
        )
    return row


def remove_rule(connection: Connection, rule_id: int, *, actor: Actor, now: datetime) -> None:
    """Remove a listening rule for good; its alerts stay for the record."""
    row = _rule_for_change(connection, rule_id)
    connection.execute(update(_rule).where(_rule.c.id == rule_id).values(enabled=False))
    events.record(
        connection,
        events.AlertRuleRemoved(rule_id=rule_id, name=row.name),
        at=now,
        actor=actor.handle,
    )


def edit_rule(
    connection: Connection,
    rule_id: int,
    *,
    name: str | None = None,
    config: dict[str, Any] | None = None,
    enabled: bool | None = None,
    version: str,
    actor: Actor,
    now: datetime,
) -> RuleRow:
    """Change a rule's name, settings (those given; None leaves one as it is) or switch,
    edited from `version`; returns the rule as stored now.

    A `Conflict` when the rule is not as `version` says (someone changed it since). A rule's
    type stays: remove it and add another. Changing nothing writes no event.
    """
    row = _rule_for_change(connection, rule_id)
    current = _rule_row(row)
    if version != current.version:
        raise _conflict(connection, current)
    new_name = current.name if name is None else name.strip()
    if not new_name:
        raise InvalidInput("a rule needs a name")
    given = {key: value for key, value in (config or {}).items() if value is not None}
    check_command_name(given.get("command"))
    settings = normalize_rule_config(row.type, {**current.config, **given})
    switched_on = current.enabled if enabled is None else bool(enabled)
    before = {"name": current.name, "enabled": current.enabled, "config": current.config}
    after = {"name": new_name, "enabled": switched_on, "config": settings}
    if after == before:
        return current
    connection.execute(
        update(_rule)
        .where(_rule.c.id == rule_id)
        .values(name=new_name, config=settings if switched_on else {**settings, _DISABLED: True})
    )
    events.record(
        connection,
        events.AlertRuleChanged(rule_id=rule_id, name=new_name, before=before, after=after),
        at=now,
        actor=actor.handle,
    )
    return RuleRow(
        rule_id,
        new_name,
        row.type,
        settings,
        switched_on,
        row.created_at,
        *_last_alert(connection, rule_id),
    )


def _conflict(connection: Connection, current: RuleRow) -> Conflict:
    last = connection.execute(
        select(_event.c.at, _event.c.actor)
        .where(
            _event.c.type.in_(RULE_EVENTS[:2]),
            _event.c.payload["rule_id"].as_integer() == current.id,
        )
        .order_by(_event.c.id.desc())
        .limit(1)
    ).first()
    who = f": {last.actor} changed it at {last.at:%Y-%m-%d %H:%M} UTC" if last else ""
    return Conflict(
        f"listening rule {current.id} ({current.name}) changed since you read it{who}; "
        "read it again and make your change there"
    )


def _last_alert(connection: Connection, rule_id: int) -> tuple[datetime | None, str | None]:
    row = connection.execute(
        select(_alert.c.raised_at, _alert.c.summary)
        .where(_alert.c.rule_id == rule_id)
        .order_by(_alert.c.id.desc())
        .limit(1)
    ).first()
    return (row.raised_at, row.summary) if row else (None, None)


def _rule_row(
    row: Any, last_alert_at: datetime | None = None, summary: str | None = None
) -> RuleRow:
    config = dict(row.config)
    disabled = bool(config.pop(_DISABLED, False))
    return RuleRow(
        row.id,
        row.name,
        row.type,
        config,
        bool(row.enabled) and not disabled,
        row.created_at,
        last_alert_at,
        summary,
    )


def list_rules(connection: Connection, *, include_incident_matches: bool = True) -> list[RuleRow]:
    """The rules there are (not removed), switched on or off, oldest first, each with the
    last alert it raised."""
    latest = (
        select(_alert.c.rule_id, func.max(_alert.c.id).label("alert_id"))
        .group_by(_alert.c.rule_id)
        .subquery()
    )
    last = _alert.alias("last_alert")
    query = (
        select(
            _rule,
            last.c.raised_at.label("last_alert_at"),
            last.c.summary.label("last_alert_summary"),
        )
        .select_from(
            _rule.outerjoin(latest, latest.c.rule_id == _rule.c.id).outerjoin(
                last, last.c.id == latest.c.alert_id
            )
        )
        .where(_rule.c.enabled.is_(True))
        .order_by(_rule.c.id)
    )
    if not include_incident_matches:
        query = query.where(_rule.c.type != INCIDENT_MATCH)
    return [
        _rule_row(row, row.last_alert_at, row.last_alert_summary)
        for row in connection.execute(query)
    ]


def read_rule(connection: Connection, rule_id: int) -> RuleRow:
    """One rule there is (not removed); NotFound otherwise."""
    row = connection.execute(
        select(_rule).where(_rule.c.id == rule_id, _rule.c.enabled.is_(True))
    ).first()
    if row is None:
        raise NotFound(f"no listening rule {rule_id} (`inbox rules list` shows them)")
    return _rule_row(row, *_last_alert(connection, rule_id))


@dataclass(frozen=True, slots=True)
class RuleChange:
    """One change to the listening rules (added, changed, switched, removed), from the log."""

    rule_id: int
    name: str
    at: datetime
    actor: str
    changes: dict[str, Any]
    """Each changed name and its [before, after] values (an added rule: from None)."""
    sentence: str


def rule_history(connection: Connection) -> list[RuleChange]:
    """Every change to the listening rules, oldest first."""
    found = []
    for row in connection.execute(
        select(_event).where(_event.c.type.in_(RULE_EVENTS)).order_by(_event.c.id)
    ):
        record = events.EventRecord(**row._mapping)
        event = record.event()
        if isinstance(event, events.AlertRuleChanged):
            changes = event.changes()
        elif isinstance(event, events.AlertRuleAdded):
            changes = {
                "type": [None, event.rule_type],
                **{key: [None, value] for key, value in (event.config or {}).items()},
            }
        else:
            changes = {"removed": [False, True]}
        found.append(
            RuleChange(
                getattr(event, "rule_id", 0) or 0,
                getattr(event, "name", "") or "",
                record.at,
                record.actor,
                changes,
                record.describe(),
            )
        )
    return found


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
    conditions = [
        _item.c.direction == "in",
        _item.c.created_at > since,
        _item.c.created_at <= until,
    ]
    if platforms:
        conditions.append(_account.c.platform.in_(list(platforms)))
    return conditions


def _count_inbound(
    connection: Connection, since: datetime, until: datetime, platforms: Sequence[str]
) -> int:
    return connection.execute(
        select(func.count())
        .select_from(_item.join(_account, _account.c.id == _item.c.account_id))
        .where(*_inbound_between(since, until, platforms))
    ).scalar()


def matching_items(
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


def _check_keyword(
    connection: Connection, rule: RuleRow, now: datetime, last_alert: datetime | None
) -> tuple[str, dict[str, Any]] | None:
    config = rule.config
    since = now - timedelta(minutes=config["window_minutes"])
    if last_alert is not None and last_alert > since:
        since = last_alert
    found = matching_items(
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
        (
            f"{counted(len(found), 'message mentions', 'messages mention')} "
            f"{', '.join(config['keywords'])} in the last {config['window_minutes']} min"
        ),
        {
            "matches": len(found),
            "item_ids": [row.id for row in found[:50]],
            "thread_ids": threads[:50],
        },
    )


def _check_spike(
    connection: Connection, rule: RuleRow, now: datetime
) -> tuple[str, dict[str, Any]] | None:
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
        f"{counted(current, 'message')} in the last {config['window_minutes']} min ({ratio})",
        {"current": current, "baseline": before, "expected": round(expected, 2)},
    )


def _check_negative(
    connection: Connection, rule: RuleRow, now: datetime
) -> tuple[str, dict[str, Any]] | None:
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
        (
            f"{negatives / scored:.0%} of {scored} messages "
            f"in the last {config['window_minutes']} min are negative"
        ),
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


def list_alerts(
    connection: Connection, *, unacknowledged: bool = False, limit: int = 200
) -> list[AlertRow]:
    """Alerts, newest first."""
    conditions = [_alert.c.acknowledged_at.is_(None)] if unacknowledged else []
    return _alert_rows(connection, *conditions, limit=limit)


def acknowledge_alert(
    connection: Connection, alert_id: int, *, actor: Actor, now: datetime
) -> None:
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
    events.record(
        connection, events.AlertAcknowledged(alert_id=alert_id), at=now, actor=actor.handle
    )


def evaluate_rules(
    engine: Engine,
    now: datetime,
    *,
    commands: Mapping[str, str] | None = None,
    alert_command: str | None = None,
    run_commands: bool = True,
) -> list[AlertRow]:
    """Check every listening rule at `now`; raise and return the alerts due, oldest rule first.

    Each alert is an `alert` row and an `alert.raised` event, written in one transaction.
    After it commits, the command line `commands` (this machine's config's `[listening]
    commands`) gives for the rule's `command` name runs with the alert as JSON on stdin; a
    rule without a command runs `alert_command` (a command line the person checking typed)
    instead. A name `commands` does not define is logged and nothing runs; a failing
    command is logged, never raised.
    """
    raised: list[tuple[int, RuleRow]] = []
    with write_transaction(engine) as connection:
        last_alerts = dict(
            connection.execute(
                select(_alert.c.rule_id, func.max(_alert.c.raised_at)).group_by(_alert.c.rule_id)
            ).all()
        )
        for rule in list_rules(connection, include_incident_matches=False):
            if not rule.enabled:
                continue
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
                insert(_alert).values(
                    rule_id=rule.id, raised_at=now, summary=summary, payload=details
                )
            ).inserted_primary_key[0]
            events.record(
                connection,
                events.AlertRaised(
                    alert_id=alert_id,
                    rule_id=rule.id,
                    rule=rule.name,
                    rule_type=rule.type,
                    summary=summary,
                    details=details,
                ),
                at=now,
                actor=events.LISTENING_ACTOR,
            )
            raised.append((alert_id, rule))
        alerts = (
            _alert_rows(connection, _alert.c.id.in_([alert_id for alert_id, _ in raised]))[::-1]
            if raised
            else []
        )
    if run_commands:
        rules = dict(raised)
        for alert in alerts:
            command = alert_command_line(rules[alert.id], alert, commands or {}, alert_command)
            if command:
                run_alert_command(command, alert)
    return alerts


def alert_command_line(
    rule: RuleRow, alert: AlertRow, commands: Mapping[str, str], default: str | None
) -> str | None:
    """The command line to run for `rule`'s alert: what `commands` names for its command,
    else `default`; None (and logged) when this machine does not define its command."""
    name = rule.config.get("command")
    if not name:
        return default
    command = commands.get(name)
    if command is None:
        log.warning(
            "alert %s: rule %r names the command %r, which this machine's config does not "
            "define ([listening] commands: %s); nothing was run",
            alert.id,
            rule.name,
            name,
            ", ".join(sorted(commands)) or "none",
            extra={"event": "alert.command_unknown", "alert_id": alert.id},
        )
    return command


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
