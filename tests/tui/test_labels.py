"""The short texts of a thread row, and the message that stands for a poll's events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tui.messages import EventsArrived
from tui.widgets import labels

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ago", "shown"),
    [
        (timedelta(seconds=3), "now"),
        (timedelta(seconds=45), "45s"),
        (timedelta(minutes=12, seconds=59), "12m"),
        (timedelta(hours=3), "3h"),
        (timedelta(days=5), "5d"),
        (timedelta(days=50), "7w"),
        (timedelta(days=800), "2y"),
    ],
)
def test_ages_fit_in_four_characters(ago, shown):
    assert labels.age_label(NOW - ago, NOW) == shown


def test_demo_platforms_show_without_their_prefix():
    assert labels.platform_label("demo-mastodon") == "mastodon"
    assert labels.platform_label("email") == "email"
    assert labels.platform_label("demo-") == "demo-"


def test_a_preview_is_one_safe_line():
    assert labels.preview_label("\n\n  \x1b[2Jhello\u202e   world\nsecond line") == "hello world"


def test_sentiment_marks_read_without_colour():
    assert labels.sentiment_mark(-0.6) == ("-", "negative")
    assert labels.sentiment_mark(0.7) == ("+", "positive")
    assert labels.sentiment_mark(0.0) == ("·", "neutral")
    assert labels.sentiment_mark(None) == (" ", "unscored")


def test_local_times_say_the_day_only_when_it_is_not_today(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        assert labels.local_time_label(NOW - timedelta(hours=1), NOW) == "08:00"
        assert labels.local_time_label(NOW - timedelta(days=2), NOW) == "Oct 31 09:00"
        assert labels.local_time_label(NOW - timedelta(days=400), NOW) == "2025-09-28 09:00"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_queued_event_messages_collapse_into_the_newest_covering_both():
    older = EventsArrived(
        10, count=3, thread_ids=frozenset({1, 2}), event_types=frozenset({"items.arrived"})
    )
    newer = EventsArrived(
        12, count=2, thread_ids=frozenset({3}), event_types=frozenset({"account.health_changed"})
    )
    assert older.can_replace(newer)
    assert (newer.last_event_id, newer.count, newer.thread_ids) == (12, 5, frozenset({1, 2, 3}))
    assert newer.touches_accounts
