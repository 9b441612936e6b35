"""Periods of time: the record, and reading the moments people type.

Such as "7d", "12h", an ISO date, "now".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from inbox.core.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Period:
    """From `since` (included) to `until` (excluded), aware UTC."""

    since: datetime
    until: datetime


_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_moment(text: str, now: datetime) -> datetime:
    """A moment as people type it: "7d", "12h", "30m", "2w" ago, an ISO date or time, or "now"."""
    text = text.strip().lower()
    if text == "now":
        return now
    match = _RELATIVE.match(text)
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.upper() if "t" in text else text)
    except ValueError:
        raise InvalidInput(
            f"cannot read {text!r} as a time: use 7d, 12h, 30m, 2w, now, or a date like 2026-11-02"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=now.tzinfo)


def parse_period(since: str, until: str | None, now: datetime) -> Period:
    """The period between two typed moments (`until` defaults to now)."""
    start = parse_moment(since, now)
    end = parse_moment(until, now) if until else now
    if end <= start:
        raise InvalidInput(
            f"the period ends ({end:%Y-%m-%d %H:%M}) before it starts ({start:%Y-%m-%d %H:%M})"
        )
    return Period(start, end)
