"""Reading typed snooze times: durations, days with times, plain words for what is unreadable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from inbox.core.errors import InvalidInput
from inbox.core.when import describe, parse_when, presets, when_examples

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
"""Monday 2 November 2026, 10:00 in Berlin."""


def berlin(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN).astimezone(UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", NOW + timedelta(hours=2)),
        ("30m", NOW + timedelta(minutes=30)),
        ("3d", NOW + timedelta(days=3)),
        ("1w", NOW + timedelta(weeks=1)),
        ("in 2 hours", NOW + timedelta(hours=2)),
        ("  90 MIN ", NOW + timedelta(minutes=90)),
        ("tomorrow 9:00", berlin(2026, 11, 3, 9, 0)),
        ("tomorrow", berlin(2026, 11, 3, 9, 0)),
        ("today 17:30", berlin(2026, 11, 2, 17, 30)),
        ("tomorrow 5pm", berlin(2026, 11, 3, 17, 0)),
        ("wed 14:00", berlin(2026, 11, 4, 14, 0)),
        ("friday", berlin(2026, 11, 6, 9, 0)),
        ("mon 11:00", berlin(2026, 11, 2, 11, 0)),  # later today, still Monday
        ("mon 9:00", berlin(2026, 11, 9, 9, 0)),  # already past today: next week
        ("2026-11-22 09:00", berlin(2026, 11, 22, 9, 0)),
        ("2026-11-22", berlin(2026, 11, 22, 9, 0)),
        ("17:30", berlin(2026, 11, 2, 17, 30)),
        ("8:00", berlin(2026, 11, 3, 8, 0)),  # already past today: tomorrow
        ("5:30 pm", berlin(2026, 11, 2, 17, 30)),
    ],
)
def test_a_typed_time_is_read_in_the_persons_zone(text, expected):
    assert parse_when(text, NOW, BERLIN) == expected


def test_wall_clock_times_follow_daylight_saving():
    before_the_change = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # Saturday, CET
    assert parse_when("mon 9:00", before_the_change, BERLIN) == datetime(
        2026, 3, 30, 7, 0, tzinfo=UTC
    )
    assert parse_when("2d", before_the_change, BERLIN) == datetime(2026, 3, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "type when to wake it"),
        ("soon", "could not read 'soon' as a time; try 2h, 30m"),
        ("2 fortnights", "'fortnights' is not a unit of time"),
        ("0h", "no time at all"),
        ("tomorrow noonish", "could not read 'noonish' as a time of day"),
        ("tomorrow 25:00", "'25:00' is not a time of day"),
        ("13pm", "with am/pm the hour is 1 to 12"),
        ("2026-02-30 09:00", "'2026-02-30' is not a date on the calendar"),
        ("2026-11-01 09:00", "Sun 1 Nov 09:00 is in the past"),
        ("today 8:00", "is in the past; pick a time after now"),
    ],
)
def test_what_cannot_be_read_is_named(text, says):
    with pytest.raises(InvalidInput) as refused:
        parse_when(text, NOW, BERLIN)
    assert says in str(refused.value)


def test_presets_are_an_hour_four_hours_tomorrow_and_next_monday_at_nine():
    assert [(preset.label, preset.until) for preset in presets(NOW, BERLIN)] == [
        ("1 hour", NOW + timedelta(hours=1)),
        ("4 hours", NOW + timedelta(hours=4)),
        ("tomorrow 9:00", berlin(2026, 11, 3, 9, 0)),
        ("next Monday 9:00", berlin(2026, 11, 9, 9, 0)),  # today is Monday: a week on
    ]
    sunday = datetime(2026, 11, 8, 20, 0, tzinfo=UTC)
    assert presets(sunday, BERLIN)[3].until == berlin(2026, 11, 9, 9, 0)


def test_a_moment_is_described_in_the_zone():
    assert describe(berlin(2026, 11, 3, 9, 0), BERLIN) == "Tue 3 Nov 09:00"


def test_the_example_date_offered_is_always_ahead():
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    examples = when_examples(now)
    offered = parse_when(examples.rsplit(" or ", 1)[1], now)
    assert offered > now + timedelta(days=7)
    with pytest.raises(InvalidInput, match="2026-12-21 09:00"):
        parse_when("next blue moon", now)
