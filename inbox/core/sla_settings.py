"""The SLA policy as settings: response-time targets and the business calendar they run on.

The policy is a team setting, kept in the database (`inbox.store.team_settings`, key "sla"),
one for everyone whichever machine they use. One set of rules checks every way a policy
comes in: a TOML `[sla]` table (`inbox team sla import FILE`), `KEY=VALUE` edits
(`inbox team sla set`, the TUI's form) and the JSON the database holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from inbox.core.errors import InvalidInput

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

TABLES = ("kind", "priority", "platform")
"""The target tables: business minutes per thread kind, per priority, per platform."""


def _office_hours() -> dict[str, str]:
    return {day: "09:00-17:00" if day not in ("sat", "sun") else "closed" for day in WEEKDAYS}


@dataclass(frozen=True, slots=True)
class SlaSettings:
    """Response-time targets and the business calendar their clock runs on.

    A thread's target is the smallest of the targets that match its platform, kind and
    priority (every promise that applies is kept); with none matching, the default. The
    clock runs only in business hours and stops while a thread is pending or snoozed.
    """

    timezone: str = "UTC"
    """IANA time zone of the business hours and holidays, e.g. "Europe/Berlin"."""

    hours: dict[str, str] = field(default_factory=_office_hours)
    """Opening hours per weekday (mon..sun): "09:00-17:00", "08:00-12:00,13:00-18:00",
    "00:00-24:00" or "closed"; days left out keep their default (Mon-Fri 09:00-17:00)."""

    holidays: tuple[date, ...] = ()
    """Dates (local to `timezone`) on which the clock does not run, e.g. 2026-12-25."""

    first_response_minutes: int = 240
    """Business minutes to answer a thread when no platform, kind or priority target matches."""

    kind: dict[str, int] = field(default_factory=lambda: {"dm": 60, "mention": 240})
    """Business minutes per thread kind (comment, dm, mention); a table given replaces these."""

    priority: dict[str, int] = field(default_factory=lambda: {"urgent": 15})
    """Business minutes per priority (low, normal, high, urgent); a table given replaces them."""

    platform: dict[str, int] = field(default_factory=dict)
    """Business minutes per platform name as in `inbox accounts list`, e.g. reddit = 480."""

    def to_table(self) -> dict[str, Any]:
        """The settings as a JSON object, as the database stores them and `from_table` reads."""
        return {
            "timezone": self.timezone,
            "hours": {day: self.hours.get(day, "closed") for day in WEEKDAYS},
            "holidays": [day.isoformat() for day in self.holidays],
            "first_response_minutes": self.first_response_minutes,
            "kind": dict(self.kind),
            "priority": dict(self.priority),
            "platform": dict(self.platform),
        }


_SLA_SCALARS: dict[str, type | tuple[type, ...]] = {
    "timezone": str,
    "first_response_minutes": object,
    "hours": dict,
    "holidays": list,
    "kind": dict,
    "priority": dict,
    "platform": dict,
}
"""The keys of an `[sla]` table and their types (the minutes are checked by `_minutes`)."""

_SPAN = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class _Names:
    """How a problem names the setting: `[sla.hours] mon` in a file, `hours.mon` typed."""

    def __init__(self, source: str | None) -> None:
        self.prefix = f"{source}: " if source else ""
        self.toml = source is not None

    def __call__(self, key: str, table: str | None = None) -> str:
        if self.toml:
            return f"{self.prefix}[sla.{table}] {key}" if table else f"{self.prefix}[sla] {key}"
        return f"{table}.{key}" if table else key

    def table(self, table: str | None = None) -> str:
        if self.toml:
            return f"{self.prefix}[sla.{table}]" if table else f"{self.prefix}[sla]"
        return table or "the SLA policy"

    def within(self, table: str) -> str:
        """What goes before an entry's own name: `[sla.hours] ` in a file, nothing typed."""
        return f"{self.table(table)} " if self.toml else ""


def sla_settings_from_table(content: Any, *, source: str | None = None) -> SlaSettings:
    """The settings an `[sla]` table (or the stored JSON) describes, every value checked.

    A problem is an InvalidInput naming the setting: with `source` (a file) as
    `FILE: [sla.hours] mon`, without it as typed, `hours.mon`.
    """
    name = _Names(source)
    if not isinstance(content, dict):
        raise InvalidInput(f"{name.table()} must be a table, written [sla]")
    for key, value in content.items():
        expected = _SLA_SCALARS.get(key)
        if expected is None:
            raise InvalidInput(
                f"{name.prefix}unknown setting {key!r} in [sla] (known: {', '.join(_SLA_SCALARS)})"
                if name.toml
                else f"unknown setting {key!r} (known: {', '.join(_SLA_SCALARS)})"
            )
        if isinstance(value, bool) or not isinstance(value, expected):
            kind = (
                "a table"
                if expected is dict
                else "a list"
                if expected is list
                else "a string"
                if expected is str
                else "a whole number"
            )
            raise InvalidInput(f"{name(key)} must be {kind}, not {type(value).__name__}")
    settings: dict[str, Any] = {}
    if "timezone" in content:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(content["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(
                f"{name('timezone')} {content['timezone']!r} is not a time zone name "
                'such as "Europe/Berlin" or "UTC"'
            ) from None
        settings["timezone"] = content["timezone"]
    if "hours" in content:
        hours = _office_hours()
        for day, spans in content["hours"].items():
            if day not in WEEKDAYS:
                raise InvalidInput(
                    f"{name.within('hours')}{day!r} is not a weekday ({', '.join(WEEKDAYS)})"
                )
            if not isinstance(spans, str) or parse_spans(spans) is None:
                raise InvalidInput(
                    f'{name(day, "hours")} must be like "09:00-17:00", '
                    f'"08:00-12:00,13:00-18:00" or "closed", not {spans!r}'
                )
            hours[day] = spans
        if not any(parse_spans(spans) for spans in hours.values()):
            raise InvalidInput(
                f"{name.table('hours')} closes every day; the SLA clock would never run"
                if name.toml
                else "the opening hours close every day; the SLA clock would never run"
            )
        settings["hours"] = hours
    if "holidays" in content:
        holidays = []
        for value in content["holidays"]:
            try:
                holidays.append(value if isinstance(value, date) else date.fromisoformat(value))
            except (TypeError, ValueError):
                raise InvalidInput(
                    f"{name('holidays')} are dates like 2026-12-25, not {value!r}"
                ) from None
        settings["holidays"] = tuple(sorted(set(holidays)))
    if "first_response_minutes" in content:
        settings["first_response_minutes"] = _minutes(
            name("first_response_minutes"), content["first_response_minutes"]
        )
    for table, known in _target_names().items():
        if table not in content:
            continue
        targets = {}
        for target, minutes in content[table].items():
            if target not in known:
                raise InvalidInput(
                    f"{name.within(table)}{target!r} is not a {table} (known: {', '.join(known)})"
                )
            targets[target] = _minutes(name(target, table), minutes)
        settings[table] = targets
    return SlaSettings(**settings)


def edit_sla_settings(settings: SlaSettings, assignments: Mapping[str, str]) -> SlaSettings:
    """`settings` with the typed `KEY=VALUE` changes made, checked as a whole.

    Keys: `timezone`, `first_response_minutes`, `holidays` (dates separated by commas,
    empty for none), `hours.DAY`, and per target table (`kind`, `priority`, `platform`)
    either one entry, `kind.dm=30` (empty removes it), or the whole table,
    `kind=dm=30,mention=120` (empty for none).
    """
    table = settings.to_table()
    for key, raw in assignments.items():
        key, value = key.strip(), raw.strip()
        head, _, entry = key.partition(".")
        if key in ("timezone", "first_response_minutes"):
            table[key] = _number(value) if key == "first_response_minutes" else value
        elif key == "holidays":
            table[key] = [day.strip() for day in value.split(",") if day.strip()]
        elif head == "hours" and entry:
            table["hours"][entry] = value
        elif key in TABLES:
            table[key] = parse_targets(key, value)
        elif head in TABLES and entry:
            if value:
                table[head][entry] = _number(value)
            else:
                table[head].pop(entry, None)
        else:
            raise InvalidInput(
                f"unknown setting {key!r} (known: timezone, hours.DAY, holidays, "
                "first_response_minutes, kind.KIND, priority.PRIORITY, platform.PLATFORM)"
            )
    return sla_settings_from_table(table)


def parse_targets(table: str, text: str) -> dict[str, Any]:
    """A target table typed as `dm=30, mention=120` (empty: no targets); checked later."""
    targets: dict[str, Any] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        target, equals, minutes = part.partition("=")
        if not equals or not target.strip():
            raise InvalidInput(
                f"{table} targets are written like name=minutes, separated by commas, "
                f"not {part.strip()!r}"
            )
        targets[target.strip()] = _number(minutes.strip())
    return targets


def targets_text(targets: Mapping[str, int]) -> str:
    """A target table as `parse_targets` reads it: `dm=30, mention=120`."""
    return ", ".join(f"{name}={minutes}" for name, minutes in targets.items())


def _number(text: str) -> int | str:
    """Digits as a whole number; anything else as given, for `_minutes` to refuse in words."""
    return int(text) if text.isdigit() else text


def _minutes(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInput(f"{where} must be a whole number of minutes above 0, not {value!r}")
    return value


def _target_names() -> dict[str, tuple[str, ...]]:
    from adapters.base import Kind
    from adapters.registry import platform_names

    return {
        "kind": tuple(str(kind) for kind in Kind),
        "priority": ("low", "normal", "high", "urgent"),
        "platform": tuple(platform_names()),
    }


def parse_spans(text: str) -> tuple[tuple[int, int], ...] | None:
    """Opening hours like "09:00-12:00,13:00-17:00" as (start, end) minutes of the day.

    None if malformed.
    """
    if text.strip().lower() in ("closed", ""):
        return ()
    spans = []
    for part in text.split(","):
        match = _SPAN.match(part.strip())
        if match is None:
            return None
        start_h, start_m, end_h, end_m = (int(group) for group in match.groups())
        start, end = start_h * 60 + start_m, end_h * 60 + end_m
        if start_m > 59 or end_m > 59 or not 0 <= start < end <= 24 * 60:
            return None
        if spans and start < spans[-1][1]:
            return None
        spans.append((start, end))
    return tuple(spans)
