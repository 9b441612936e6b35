"""The config file: TOML, read once at start-up, every setting documented here.

A file that cannot be used is reported in one line naming the file and the problem.
Unknown settings are errors too: a misspelt key that silently does nothing is worse.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from inbox.core.errors import ConfigError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class SyncSettings:
    """How the sync engine behaves."""

    lease_seconds: int = 30
    """How long an account's polling lease lasts without a heartbeat."""

    request_timeout_seconds: float = 30.0
    """How long one request to a platform may take before it counts as failed."""


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
    """Dates (local to `timezone`) on which the clock does not run, e.g. [2026-12-25]."""

    first_response_minutes: int = 240
    """Business minutes to answer a thread when no platform, kind or priority target matches."""

    kind: dict[str, int] = field(default_factory=lambda: {"dm": 60, "mention": 240})
    """Business minutes per thread kind (comment, dm, mention); `[sla.kind]` replaces these."""

    priority: dict[str, int] = field(default_factory=lambda: {"urgent": 15})
    """Business minutes per priority (low, normal, high, urgent); `[sla.priority]` replaces them."""

    platform: dict[str, int] = field(default_factory=dict)
    """Business minutes per platform name as in `inbox accounts list`, e.g. reddit = 480."""


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the config file can set."""

    path: Path | None = None
    """The file this was read from (None: defaults, no file)."""

    database: str | None = None
    """SQLite file path or `postgresql+psycopg://` URL; `--db` and `INBOX_DATABASE_URL` win."""

    identity: str | None = None
    """The handle of the person using this inbox; `--as` wins."""

    sync: SyncSettings = field(default_factory=SyncSettings)

    sla: SlaSettings = field(default_factory=SlaSettings)

    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id to keys, e.g. `reply = "r"`, for remapping the TUI's keys."""


_SECTIONS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "inbox": {"database": str, "identity": str},
    "sync": {"lease_seconds": int, "request_timeout_seconds": (int, float)},
}


def load_config(path: Path, *, must_exist: bool = False) -> Config:
    """Read `path`; a missing file gives the defaults, a broken one a `ConfigError`.

    `must_exist` is for a file someone named (`--config`): a typo there must not quietly
    run with the defaults, against the default database.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if must_exist:
            raise ConfigError(f"{path}: no such config file") from None
        return Config()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the config file ({error.strerror})") from None
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the config file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    return _parse(path, document)


def _parse(path: Path, document: dict[str, Any]) -> Config:
    values: dict[str, dict[str, Any]] = {}
    for section, content in document.items():
        if section == "sla":
            values["sla"] = _parse_sla(path, content)
            continue
        if section == "keymap":
            if not isinstance(content, dict) or not all(
                isinstance(value, str) for value in content.values()
            ):
                raise ConfigError(f"{path}: [keymap] maps binding ids to key names (strings)")
            continue
        if section not in _SECTIONS:
            known = ", ".join(f"[{name}]" for name in [*_SECTIONS, "sla", "keymap"])
            raise ConfigError(f"{path}: unknown section [{section}] (known: {known})")
        if not isinstance(content, dict):
            raise ConfigError(f"{path}: {section} must be a table, written [{section}]")
        for key, value in content.items():
            expected = _SECTIONS[section].get(key)
            if expected is None:
                known = ", ".join(_SECTIONS[section])
                raise ConfigError(
                    f"{path}: unknown setting {key!r} in [{section}] (known: {known})"
                )
            if isinstance(value, bool) or not isinstance(value, expected):
                raise ConfigError(
                    f"{path}: [{section}] {key} must be {_type_name(expected)}, "
                    f"not {type(value).__name__}"
                )
        values[section] = content
    inbox = values.get("inbox", {})
    return Config(
        path=path,
        database=inbox.get("database"),
        identity=inbox.get("identity"),
        sync=SyncSettings(**values.get("sync", {})),
        sla=values.get("sla", SlaSettings()),
        keymap=dict(document.get("keymap", {})),
    )


def _type_name(expected: type | tuple[type, ...]) -> str:
    names = {"str": "a string", "int": "a whole number", "float": "a number"}
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(names.get(kind.__name__, kind.__name__) for kind in types)


_SLA_SCALARS: dict[str, type | tuple[type, ...]] = {
    "timezone": str,
    "first_response_minutes": int,
    "hours": dict,
    "holidays": list,
    "kind": dict,
    "priority": dict,
    "platform": dict,
}
_SPAN = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


def _parse_sla(path: Path, content: Any) -> SlaSettings:
    """The `[sla]` section and its tables, every value checked."""
    if not isinstance(content, dict):
        raise ConfigError(f"{path}: sla must be a table, written [sla]")
    for key, value in content.items():
        expected = _SLA_SCALARS.get(key)
        if expected is None:
            raise ConfigError(
                f"{path}: unknown setting {key!r} in [sla] (known: {', '.join(_SLA_SCALARS)})"
            )
        if isinstance(value, bool) or not isinstance(value, expected):
            kind = (
                "a table"
                if expected is dict
                else "a list"
                if expected is list
                else _type_name(expected)
            )
            raise ConfigError(f"{path}: [sla] {key} must be {kind}, not {type(value).__name__}")
    settings: dict[str, Any] = {}
    if "timezone" in content:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(content["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"{path}: [sla] timezone {content['timezone']!r} is not a time zone name "
                'such as "Europe/Berlin" or "UTC"'
            ) from None
        settings["timezone"] = content["timezone"]
    if "hours" in content:
        hours = _office_hours()
        for day, spans in content["hours"].items():
            if day not in WEEKDAYS:
                raise ConfigError(
                    f"{path}: [sla.hours] {day!r} is not a weekday ({', '.join(WEEKDAYS)})"
                )
            if not isinstance(spans, str) or parse_spans(spans) is None:
                raise ConfigError(
                    f'{path}: [sla.hours] {day} must be like "09:00-17:00", '
                    f'"08:00-12:00,13:00-18:00" or "closed", not {spans!r}'
                )
            hours[day] = spans
        if not any(parse_spans(spans) for spans in hours.values()):
            raise ConfigError(
                f"{path}: [sla.hours] closes every day; the SLA clock would never run"
            )
        settings["hours"] = hours
    if "holidays" in content:
        holidays = []
        for value in content["holidays"]:
            try:
                holidays.append(value if isinstance(value, date) else date.fromisoformat(value))
            except (TypeError, ValueError):
                raise ConfigError(
                    f"{path}: [sla] holidays are dates like 2026-12-25, not {value!r}"
                ) from None
        settings["holidays"] = tuple(holidays)
    if "first_response_minutes" in content:
        settings["first_response_minutes"] = _minutes(
            path, "[sla] first_response_minutes", content["first_response_minutes"]
        )
    for table, known in _target_names().items():
        if table not in content:
            continue
        targets = {}
        for name, minutes in content[table].items():
            if name not in known:
                raise ConfigError(
                    f"{path}: [sla.{table}] {name!r} is not a {table} (known: {', '.join(known)})"
                )
            targets[name] = _minutes(path, f"[sla.{table}] {name}", minutes)
        settings[table] = targets
    return SlaSettings(**settings)


def _minutes(path: Path, where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(
            f"{path}: {where} must be a whole number of minutes above 0, not {value!r}"
        )
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
