"""The team's settings: one JSON value per key, the same for every person and machine.

A key never set reads as its defaults, at version 0. A change names the version it was
made from; if someone saved the setting since, it is refused as a `Conflict` that says
who and when (optimistic versioning: nothing is locked while a lead edits). Each change is
a `team_setting.changed` event by the person who made it, listing what changed, so the
event log is the setting's history. Known keys are those in `DEFAULTS`: "sla" (the SLA
policy and its business calendar), "status_page" (the public status page's address and
title; where it is written and how it is published are in the config of the machine that
does it), "assignment" (the auto-assignment rules, `inbox.core.assignment_rules`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from inbox import events
from inbox.core.assignment_rules import AssignmentRules
from inbox.core.errors import Conflict, InvalidInput, NotFound
from inbox.core.models import Event, TeamSetting, Thread
from inbox.core.sla_settings import SlaSettings, sla_settings_from_table
from inbox.sla import SlaPolicy, refresh_due_at

SLA = "sla"
"""The key of the SLA policy and business calendar."""

STATUS_PAGE = "status_page"
"""The key of the public status page's settings (`inbox.crisis.status_page`)."""

ACKNOWLEDGEMENTS = "acknowledgements"
"""The key of the rules by which the inbox acknowledges new threads by itself
(`inbox.triage.acknowledgements` reads them); off until a lead switches them on."""

ASSIGNMENT = "assignment"
"""The key of the auto-assignment rules (`inbox.triage.auto_assign` runs them); off until
a lead turns a channel on."""

DEFAULTS: dict[str, Callable[[], dict[str, Any]]] = {
    SLA: lambda: SlaSettings().to_table(),
    ASSIGNMENT: lambda: AssignmentRules().to_table(),
    STATUS_PAGE: lambda: {"base_url": None, "title": None},
    ACKNOWLEDGEMENTS: lambda: {
        "enabled": False,
        "rules": [
            {
                "name": "first-dm",
                "kinds": ["dm"],
                "platforms": [],
                "incident_only": False,
                "answer": "received",
                "outside_hours_answer": "out-of-hours",
            },
            {
                "name": "incident",
                "kinds": [],
                "platforms": [],
                "incident_only": True,
                "answer": "acknowledge",
                "outside_hours_answer": None,
            },
        ],
    },
}
"""Every known key and the value it has until someone sets it."""

_setting = TeamSetting.__table__
_event = Event.__table__
_thread = Thread.__table__


@dataclass(frozen=True, slots=True)
class StoredSetting:
    """One team setting as read: its value, its version (0: never set) and who set it when."""

    key: str
    value: dict[str, Any]
    version: int
    updated_at: datetime | None
    updated_by: str | None


@dataclass(frozen=True, slots=True)
class TeamSla:
    """The team's SLA policy as settings, with the version an edit must name."""

    settings: SlaSettings
    version: int
    updated_at: datetime | None
    updated_by: str | None


@dataclass(frozen=True, slots=True)
class SettingChange:
    """One saved version of a team setting, from the event log."""

    key: str
    version: int
    at: datetime
    actor: str
    changes: dict[str, Any]
    """Each changed name (`hours.mon`) and its [before, after] values."""
    sentence: str


def setting_name(key: str) -> str:
    """What a key is called in sentences: "SLA policy"."""
    return events.TEAM_SETTING_NAMES.get(key, f"team setting {key!r}")


def read_setting(connection: Connection, key: str) -> StoredSetting:
    """The setting `key` as stored, or its defaults at version 0 when nobody set it."""
    if key not in DEFAULTS:
        raise NotFound(f"no team setting {key!r} (known: {', '.join(DEFAULTS)})")
    row = connection.execute(select(_setting).where(_setting.c.key == key)).first()
    if row is None:
        return StoredSetting(key, DEFAULTS[key](), 0, None, None)
    return StoredSetting(key, dict(row.value), row.version, row.updated_at, row.updated_by)


def write_setting(
    connection: Connection,
    key: str,
    value: Mapping[str, Any],
    *,
    version: int,
    actor: str,
    now: datetime,
) -> StoredSetting:
    """Save `value` as the setting `key`, edited from `version`; returns what is stored now.

    A `Conflict` when the stored version is not `version` (someone saved since). Saving
    what is already stored changes nothing and writes no event; saving the defaults of a
    setting never set stores them, as version 1, so the team's choice is on record.
    """
    current = read_setting(connection, key)
    if version != current.version:
        raise _conflict(current, version)
    value = dict(value)
    changes = changed_values(current.value, value)
    if not changes and current.version > 0:
        return current
    saved = StoredSetting(key, value, current.version + 1, now, actor)
    values = {
        "value": value,
        "version": saved.version,
        "updated_at": now,
        "updated_by": actor,
    }
    if current.version == 0:
        try:
            with connection.begin_nested():
                connection.execute(insert(_setting).values(key=key, **values))
        except IntegrityError:
            raise _conflict(read_setting(connection, key), version) from None
    else:
        written = connection.execute(
            update(_setting)
            .where(_setting.c.key == key, _setting.c.version == version)
            .values(**values)
        )
        if written.rowcount != 1:
            raise _conflict(read_setting(connection, key), version)
    events.record(
        connection,
        events.TeamSettingChanged(key=key, version=saved.version, changes=changes),
        at=now,
        actor=actor,
    )
    return saved


def _conflict(current: StoredSetting, version: int) -> Conflict:
    when = f" at {current.updated_at:%Y-%m-%d %H:%M} UTC" if current.updated_at else ""
    return Conflict(
        f"the {setting_name(current.key)} changed since you read it: {current.updated_by} "
        f"saved version {current.version}{when}, and you edited version {version}; "
        "read it again and make your change there"
    )


def changed_values(before: Any, after: Any, prefix: str = "") -> dict[str, Any]:
    """Each name whose value differs, dotted into nested tables, as [before, after]."""
    if isinstance(before, dict) and isinstance(after, dict):
        changed: dict[str, Any] = {}
        for name in dict.fromkeys([*before, *after]):
            changed.update(changed_values(before.get(name), after.get(name), f"{prefix}{name}."))
        return changed
    return {} if before == after else {prefix.rstrip("."): [before, after]}


def history(connection: Connection, key: str | None = None) -> list[SettingChange]:
    """Every saved version of the team's settings (or of `key`), oldest first."""
    rows = connection.execute(
        select(_event).where(_event.c.type == events.TeamSettingChanged.type).order_by(_event.c.id)
    )
    found = []
    for row in rows:
        record = events.EventRecord(**row._mapping)
        event = record.event()
        if not isinstance(event, events.TeamSettingChanged) or key not in (None, event.key):
            continue
        found.append(
            SettingChange(
                event.key,
                event.version,
                record.at,
                record.actor,
                dict(event.changes or {}),
                record.describe(),
            )
        )
    return found


# -- the SLA policy ------------------------------------------------------------------------


def read_sla(connection: Connection) -> TeamSla:
    """The team's SLA policy as settings, with its version."""
    stored = read_setting(connection, SLA)
    try:
        settings = sla_settings_from_table(stored.value)
    except InvalidInput as error:
        raise InvalidInput(
            f"the team's SLA policy in the database cannot be used ({error}); "
            "a lead sets it again with `inbox team sla set` or `inbox team sla import`"
        ) from None
    return TeamSla(settings, stored.version, stored.updated_at, stored.updated_by)


def write_sla(
    connection: Connection, settings: SlaSettings, *, version: int, actor: str, now: datetime
) -> TeamSla:
    """Save `settings` as the team's SLA policy, edited from `version` (see `write_setting`).

    The threads waiting for an answer are due by the new policy at once.
    """
    before = read_setting(connection, SLA).version
    stored = write_setting(
        connection, SLA, settings.to_table(), version=version, actor=actor, now=now
    )
    if stored.version != before:
        waiting = connection.scalars(
            select(_thread.c.id).where(_thread.c.due_at.is_not(None)).order_by(_thread.c.id)
        ).all()
        refresh_due_at(connection, SlaPolicy.from_settings(settings), waiting, now)
    return TeamSla(settings, stored.version, stored.updated_at, stored.updated_by)


class TeamSlaPolicy:
    """The team's SLA policy as due times are computed by, always the database's current one.

    Each use reads the setting's version (one primary-key lookup, in the caller's
    transaction) and rebuilds the policy only when it changed, so a lead's change reaches
    every process (worker, other terminals) from their next due-time computation on, with
    no staleness to wait out. Safe to share between threads: the cache is one tuple.
    """

    def __init__(self) -> None:
        self._cached: tuple[int, SlaPolicy] | None = None

    def policy(self, connection: Connection) -> SlaPolicy:
        """The policy the database holds now."""
        version = (
            connection.execute(select(_setting.c.version).where(_setting.c.key == SLA)).scalar()
            or 0
        )
        cached = self._cached
        if cached is not None and cached[0] == version:
            return cached[1]
        team = read_sla(connection)
        policy = SlaPolicy.from_settings(team.settings)
        self._cached = (team.version, policy)
        return policy
