"""Times people type, such as "2h" or "tomorrow 9:00", read into moments: for snoozing threads.

Pure functions of the text, the current time and a time zone, so the snooze picker can
show what a text means while it is typed and tests can pin the clock. Wall-clock times
("tomorrow 9:00", "mon 9:00") are read in the person's time zone, daylight saving
included; durations ("2h") are counted from now. Anything that cannot be read raises
`InvalidInput` saying which part it could not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from inbox.core.errors import InvalidInput

DEFAULT_TIME = time(9, 0)
"""The time of day a date or day name without a time means: the start of the working day."""


def when_examples(now: datetime, tz: tzinfo | None = None) -> str:
    """What to type, for error messages and hints; the example date is two weeks ahead."""
    ahead = _local(now, tz).date() + timedelta(days=14)
    return f"2h, 30m, 3d, tomorrow 9:00, mon 9:00 or {ahead:%Y-%m-%d} 09:00"


_UNITS = {
    "m": "minutes",
    "min": "minutes",
    "mins": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "h": "hours",
    "hr": "hours",
    "hrs": "hours",
    "hour": "hours",
    "hours": "hours",
    "d": "days",
    "day": "days",
    "days": "days",
    "w": "weeks",
    "week": "weeks",
    "weeks": "weeks",
}

_WEEKDAYS = {
    name: index
    for index, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "weds", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}

_DURATION = re.compile(r"(?:in\s+)?(\d+)\s*([a-z]+)")
_CLOCK = re.compile(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?")
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


@dataclass(frozen=True, slots=True)
class Preset:
    """A ready-made snooze time, named as the picker lists it."""

    label: str
    until: datetime


def parse_when(text: str, now: datetime, tz: tzinfo | None = None) -> datetime:
    """The moment `text` names, in UTC; `tz` is the person's zone (None: this machine's).

    Accepts a duration from now ("2h", "30m", "3d", "1w", "in 2 hours"), a day with an
    optional time ("tomorrow 9:00", "today 17:00", "mon 9:00", "2026-11-22 09:00"), or a
    time alone ("17:30", "5pm": the next time the clock shows it). A day without a time
    means 9:00. The moment must lie after `now`.
    """
    words = " ".join(text.lower().split())
    if not words:
        raise InvalidInput(f"type when to wake it: {when_examples(now, tz)}")
    duration = _DURATION.fullmatch(words)
    if duration is not None and duration.group(2) not in ("am", "pm"):
        amount, unit = int(duration.group(1)), duration.group(2)
        if unit not in _UNITS:
            raise InvalidInput(
                f"{unit!r} is not a unit of time I know; use m, h, d or w (as in 30m, 2h, 3d, 1w)"
            )
        if amount == 0:
            raise InvalidInput(f"{text.strip()!r} is no time at all; try 30m or 2h")
        try:
            return now.astimezone(UTC) + timedelta(**{_UNITS[unit]: amount})
        except OverflowError:
            raise InvalidInput(f"{text.strip()!r} is too far away") from None
    day_word, _, time_words = words.partition(" ")
    local_now = _local(now, tz)
    day = _day(day_word, local_now.date())
    if day is None:
        clock = _clock(words)
        if clock is None:
            raise InvalidInput(
                f"could not read {text.strip()!r} as a time; try {when_examples(now, tz)}"
            )
        moment = _at(local_now.date(), clock, tz)
        if moment <= now:
            moment = _at(local_now.date() + timedelta(days=1), clock, tz)
        return moment
    clock = DEFAULT_TIME
    if time_words:
        clock = _clock(time_words)
        if clock is None:
            raise InvalidInput(
                f"could not read {time_words!r} as a time of day; write it like 9:00, 17:30 or 5pm"
            )
    moment = _at(day, clock, tz)
    if day_word in _WEEKDAYS and moment <= now:
        moment = _at(day + timedelta(days=7), clock, tz)
    if moment <= now:
        raise InvalidInput(f"{describe(moment, tz)} is in the past; pick a time after now")
    return moment


def presets(now: datetime, tz: tzinfo | None = None) -> list[Preset]:
    """The usual snooze times: in 1 hour, in 4 hours, tomorrow 9:00, next Monday 9:00."""
    local_today = _local(now, tz).date()
    days_to_monday = (7 - local_today.weekday()) % 7 or 7
    utc_now = now.astimezone(UTC)
    return [
        Preset("1 hour", utc_now + timedelta(hours=1)),
        Preset("4 hours", utc_now + timedelta(hours=4)),
        Preset("tomorrow 9:00", _at(local_today + timedelta(days=1), DEFAULT_TIME, tz)),
        Preset(
            "next Monday 9:00", _at(local_today + timedelta(days=days_to_monday), DEFAULT_TIME, tz)
        ),
    ]


def describe(moment: datetime, tz: tzinfo | None = None) -> str:
    """A moment as people read it in their zone: `Tue 3 Nov 09:00`."""
    local = _local(moment, tz)
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def _local(moment: datetime, tz: tzinfo | None) -> datetime:
    return moment.astimezone(tz) if tz is not None else moment.astimezone()


def _at(day: date, clock: time, tz: tzinfo | None) -> datetime:
    """`clock` on `day` on the wall in `tz` (None: this machine's zone), as a UTC moment."""
    wall = datetime.combine(day, clock)
    local = wall.replace(tzinfo=tz) if tz is not None else wall.astimezone()
    return local.astimezone(UTC)


def _day(word: str, today: date) -> date | None:
    """The date a day word names (today, tomorrow, a weekday from today on, an ISO date)."""
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word in _WEEKDAYS:
        return today + timedelta(days=(_WEEKDAYS[word] - today.weekday()) % 7)
    match = _DATE.fullmatch(word)
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise InvalidInput(f"{word!r} is not a date on the calendar") from None


def _clock(words: str) -> time | None:
    """A time of day from `9:00`, `17:30`, `9`, `5pm` or `5:30 pm`; None if it is none of those."""
    match = _CLOCK.fullmatch(words)
    if match is None:
        return None
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if half is not None:
        if not 1 <= hour <= 12:
            raise InvalidInput(f"{words!r} is not a time of day; with am/pm the hour is 1 to 12")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise InvalidInput(f"{words!r} is not a time of day")
    return time(hour, minute)
