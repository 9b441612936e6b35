"""Acknowledgements: the rules by which the inbox answers a new thread by itself, at once,
telling the customer when a person will reply, and which threads wait for one.

The rules are a team setting ("acknowledgements", off until a lead switches them on). Each
rule names the thread kinds and platforms it covers (none: all), whether it applies only
during an incident, and the prepared answers it sends in and outside business hours. The
first rule that matches a thread decides. What the customer reads comes from
`{sla.expected_reply}`: "within 4 hours" when the SLA clock runs until the target, else
"by 10:00 tomorrow" in the team's time zone. `inbox.outbox.acknowledgements` queues them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, literal_column, select

from adapters.base import Kind
from inbox.core.errors import InvalidInput
from inbox.core.models import Account, Outbound, Thread, from_micros, to_micros
from inbox.sla import MICROS, SlaPolicy
from inbox.store import team_settings
from inbox.store.team_settings import ACKNOWLEDGEMENTS, StoredSetting, TeamSlaPolicy

PURPOSE = "acknowledgement"
"""`outbound.purpose` of an acknowledgement; a unique index allows one per thread."""

ACKNOWLEDGE_WITHIN = timedelta(hours=1)
"""Threads whose first message is older than this are not acknowledged: a backfill of old
messages (a newly connected account, a worker back after hours) must not answer them all."""

_ROUNDING = 15 * 60 * MICROS
"""A "by" time is rounded up to the quarter hour: "by 10:15", never "by 10:07"."""

_RULE_FIELDS = ("kinds", "platforms", "incident_only", "answer", "outside_hours_answer")

_thread = Thread.__table__
_account = Account.__table__
_outbound = Outbound.__table__


@dataclass(frozen=True, slots=True)
class AcknowledgementRule:
    """Which new threads get an acknowledgement, and which prepared answer they get."""

    name: str
    kinds: tuple[str, ...] = ()
    """Thread kinds (comment, dm, mention) the rule covers; empty: every kind."""
    platforms: tuple[str, ...] = ()
    """Platform names as in `inbox accounts list` ("x" covers "demo-x" too); empty: all."""
    incident_only: bool = False
    """Only while an incident is active (every new thread during an incident)."""
    answer: str = "received"
    """The prepared answer's shortcode, sent in business hours (and outside them, when
    `outside_hours_answer` is not set)."""
    outside_hours_answer: str | None = None
    """The prepared answer sent outside business hours, or None: `answer` then too."""

    def covers(self, platform: str, kind: str, *, in_incident: bool) -> bool:
        """Whether a new thread of `kind` on `platform` gets this rule's acknowledgement."""
        if self.incident_only and not in_incident:
            return False
        if self.kinds and kind not in self.kinds:
            return False
        real_platform = platform.removeprefix("demo-")
        return not self.platforms or bool({platform, real_platform} & set(self.platforms))

    def answer_for(self, *, in_hours: bool) -> str:
        """The shortcode of the answer to send, in or outside business hours."""
        if in_hours or self.outside_hours_answer is None:
            return self.answer
        return self.outside_hours_answer

    def to_table(self) -> dict[str, Any]:
        """The rule as the setting's JSON holds it."""
        return {
            "name": self.name,
            "kinds": list(self.kinds),
            "platforms": list(self.platforms),
            "incident_only": self.incident_only,
            "answer": self.answer,
            "outside_hours_answer": self.outside_hours_answer,
        }

    def describe(self) -> str:
        """One line for people: "first-dm: dm on any platform; answer received, outside
        hours out-of-hours"."""
        kinds = ", ".join(self.kinds) or "every kind"
        platforms = ", ".join(self.platforms) or "any platform"
        when = " during an incident" if self.incident_only else ""
        outside = (
            f", outside hours {self.outside_hours_answer}" if self.outside_hours_answer else ""
        )
        return f"{self.name}: {kinds} on {platforms}{when}; answer {self.answer}{outside}"


@dataclass(frozen=True, slots=True)
class AcknowledgementRules:
    """The team's acknowledgement rules, in order, and whether they are on."""

    enabled: bool = False
    rules: tuple[AcknowledgementRule, ...] = ()
    version: int = 0
    """The setting's version an edit names (0: never saved)."""

    def rule_for(
        self, platform: str, kind: str, *, in_incident: bool
    ) -> AcknowledgementRule | None:
        """The first rule covering a new thread, or None (also while switched off)."""
        if not self.enabled:
            return None
        return next(
            (rule for rule in self.rules if rule.covers(platform, kind, in_incident=in_incident)),
            None,
        )

    def to_table(self) -> dict[str, Any]:
        """The rules as the setting's JSON holds them."""
        return {"enabled": self.enabled, "rules": [rule.to_table() for rule in self.rules]}

    def rule(self, name: str) -> AcknowledgementRule:
        """The rule called `name`; InvalidInput naming the others if there is none."""
        for rule in self.rules:
            if rule.name == name:
                return rule
        known = ", ".join(rule.name for rule in self.rules) or "none yet"
        raise InvalidInput(f"no acknowledgement rule {name!r} (rules: {known})")


def rules_from_table(value: Mapping[str, Any], version: int = 0) -> AcknowledgementRules:
    """The rules the setting's JSON describes, every value checked (InvalidInput in words)."""
    enabled = value.get("enabled", False)
    if not isinstance(enabled, bool):
        raise InvalidInput(f"enabled must be true or false, not {enabled!r}")
    stored_rules = value.get("rules", [])
    if not isinstance(stored_rules, list):
        raise InvalidInput("rules must be a list")
    rules = tuple(_rule_from_table(entry) for entry in stored_rules)
    names = [rule.name for rule in rules]
    if len(set(names)) != len(names):
        raise InvalidInput("two acknowledgement rules have the same name")
    return AcknowledgementRules(enabled=enabled, rules=rules, version=version)


def _rule_from_table(entry: Any) -> AcknowledgementRule:
    if not isinstance(entry, Mapping):
        raise InvalidInput("each acknowledgement rule must be a table")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("each acknowledgement rule needs a name")
    rule = AcknowledgementRule(name=" ".join(name.split()))
    return _with_values(rule, {key: entry[key] for key in _RULE_FIELDS if key in entry})


def _with_values(rule: AcknowledgementRule, values: Mapping[str, Any]) -> AcknowledgementRule:
    """`rule` with `values` (JSON or typed words) set, each checked."""
    changes: dict[str, Any] = {}
    for key, value in values.items():
        where = f"{rule.name}.{key}"
        if key in ("kinds", "platforms"):
            names = _names(where, value)
            if key == "kinds":
                unknown = [name for name in names if name not in {str(kind) for kind in Kind}]
                if unknown:
                    raise InvalidInput(
                        f"{where}: {unknown[0]!r} is not a thread kind "
                        f"({', '.join(str(kind) for kind in Kind)})"
                    )
            changes[key] = names
        elif key == "incident_only":
            changes[key] = _yes_or_no(where, value)
        elif key == "answer":
            if not isinstance(value, str) or not value.strip():
                raise InvalidInput(f"{where} must name a prepared answer by its shortcode")
            changes[key] = value.strip()
        elif key == "outside_hours_answer":
            if value is not None and not isinstance(value, str):
                raise InvalidInput(f"{where} must name a prepared answer by its shortcode")
            changes[key] = (value or "").strip() or None
        else:
            raise InvalidInput(
                f"unknown setting {key!r} of a rule (known: {', '.join(_RULE_FIELDS)})"
            )
    return replace(rule, **changes)


def _names(where: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part for part in value.replace(",", " ").split() if part]
    if not isinstance(value, list | tuple) or not all(isinstance(name, str) for name in value):
        raise InvalidInput(f"{where} must be names separated by commas")
    return tuple(dict.fromkeys(name.strip().lower() for name in value if name.strip()))


def _yes_or_no(where: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("yes", "true", "on", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("no", "false", "off", "0", ""):
        return False
    raise InvalidInput(f"{where} must be yes or no, not {value!r}")


def edit_acknowledgement_rule(
    rules: AcknowledgementRules, name: str, assignments: Mapping[str, str]
) -> AcknowledgementRules:
    """`rules` with the rule `name` changed by typed `KEY=VALUE` words (added at the end when
    there is no such rule): kinds=dm,comment · platforms=x,bluesky · incident_only=yes ·
    answer=received · outside_hours_answer=out-of-hours (empty: none)."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("name the rule to change")
    existing = next((rule for rule in rules.rules if rule.name == name), None)
    changed = _with_values(existing or AcknowledgementRule(name=name), assignments)
    kept = [changed if rule.name == name else rule for rule in rules.rules]
    return replace(rules, rules=tuple(kept if existing else [*kept, changed]))


def remove_acknowledgement_rule(rules: AcknowledgementRules, name: str) -> AcknowledgementRules:
    """`rules` without the rule `name` (InvalidInput if there is none)."""
    rules.rule(name)
    return replace(rules, rules=tuple(rule for rule in rules.rules if rule.name != name))


def read_rules(connection: Connection) -> AcknowledgementRules:
    """The team's acknowledgement rules as stored (the defaults, off, if never saved)."""
    stored = team_settings.read_setting(connection, ACKNOWLEDGEMENTS)
    return rules_from_table(stored.value, stored.version)


def write_rules(
    connection: Connection,
    rules: AcknowledgementRules,
    *,
    answers: Sequence[str],
    actor: str,
    now: datetime,
) -> AcknowledgementRules:
    """Save the rules, edited from `rules.version` (a `Conflict` if someone saved since).

    Every answer a rule names must be one of `answers` (the prepared answers' shortcodes).
    """
    known = set(answers)
    for rule in rules.rules:
        for shortcode in (rule.answer, rule.outside_hours_answer):
            if shortcode is not None and shortcode not in known:
                raise InvalidInput(
                    f"rule {rule.name}: there is no prepared answer {shortcode!r} "
                    "(`inbox canned list` shows them)"
                )
    saved: StoredSetting = team_settings.write_setting(
        connection,
        ACKNOWLEDGEMENTS,
        rules.to_table(),
        version=rules.version,
        actor=actor,
        now=now,
    )
    return rules_from_table(saved.value, saved.version)


# -- when a customer can expect an answer -----------------------------------------------


def in_business_hours(policy: SlaPolicy, now: datetime) -> bool:
    """Whether the SLA clock runs at `now` (business hours, not a holiday)."""
    moment = to_micros(now)
    return policy.calendar.elapsed(moment, moment + MICROS) > 0


def expected_reply(
    policy: SlaPolicy, now: datetime, *, platform: str, kind: str, priority: str
) -> str:
    """When a thread that starts waiting at `now` is answered by the SLA, in words.

    "within 4 hours" when the clock runs all the way to the target; otherwise the due time
    in the calendar's time zone, rounded up to the quarter hour: "by 13:00 tomorrow", "by
    10:15 Monday", "by 9:30 today".
    """
    start = to_micros(now)
    target = policy.target_seconds(platform, kind, priority)
    due = policy.due(start, target)
    if due - start <= target * MICROS:
        return f"within {_duration(target)}"
    due = math.ceil(due / _ROUNDING) * _ROUNDING
    zone = policy.calendar.zone
    local_due = from_micros(due).astimezone(zone)
    days = (local_due.date() - now.astimezone(zone).date()).days
    if days == 0:
        day = "today"
    elif days == 1:
        day = "tomorrow"
    elif days < 7:
        day = f"{local_due:%A}"
    else:
        day = f"{local_due:%A} {local_due.day} {local_due:%B}"
    return f"by {local_due.hour}:{local_due.minute:02d} {day}"


def _duration(seconds: int) -> str:
    minutes = seconds // 60
    if minutes % 60:
        return f"{minutes} minutes" if minutes != 1 else "a minute"
    hours = minutes // 60
    return "an hour" if hours == 1 else f"{hours} hours"


def expected_reply_for_thread(connection: Connection, thread_id: int, now: datetime) -> str | None:
    """`expected_reply` for a thread by the team's SLA policy (None: no such thread)."""
    row = connection.execute(
        select(_account.c.platform, _thread.c.kind, _thread.c.priority)
        .join(_account, _account.c.id == _thread.c.account_id)
        .where(_thread.c.id == thread_id)
    ).first()
    if row is None:
        return None
    policy = TeamSlaPolicy().policy(connection)
    return expected_reply(policy, now, platform=row.platform, kind=row.kind, priority=row.priority)


# -- which threads wait for one ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unacknowledged:
    """A new thread no one answered yet and the inbox has not acknowledged."""

    thread_id: int
    platform: str
    kind: str
    incident_id: int | None = None


def unacknowledged_threads(
    connection: Connection, now: datetime, limit: int = 200
) -> list[Unacknowledged]:
    """New threads (first message within `ACKNOWLEDGE_WITHIN`) with no answer, not spam,
    not closed, and no acknowledgement queued ever: the candidates, oldest first.

    A range scan of the open threads' last inbound times (`ix_thread_inbound_open`: the
    status term is written as that index declares it), so a pass costs the recent threads,
    not the inbox.
    """
    since = now - ACKNOWLEDGE_WITHIN
    acknowledged = (
        select(_outbound.c.id)
        .where(_outbound.c.thread_id == _thread.c.id, _outbound.c.purpose == PURPOSE)
        .exists()
    )
    rows = connection.execute(
        select(_thread.c.id, _account.c.platform, _thread.c.kind, _thread.c.incident_id)
        .join(_account, _account.c.id == _thread.c.account_id)
        .where(
            _thread.c.status != literal_column("'closed'"),
            _thread.c.last_inbound_at >= since,
            _thread.c.first_inbound_at >= since,
            _thread.c.first_response_at.is_(None),
            _thread.c.spam_at.is_(None),
            _account.c.enabled.is_(True),
            ~acknowledged,
        )
        .order_by(_thread.c.last_inbound_at, _thread.c.id)
        .limit(limit)
    ).all()
    return [
        Unacknowledged(
            thread_id=row.id, platform=row.platform, kind=row.kind, incident_id=row.incident_id
        )
        for row in rows
    ]
