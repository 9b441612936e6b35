"""The short texts a thread row and a message header show: pure functions, no widgets.

Everything here turns stored values into display strings; platform text passes through
`inbox.core.sanitize` first, so nothing a stranger wrote can reach the terminal as a control
sequence. Rendering it as `rich.text.Text` (never markup) is the caller's part.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from inbox import PresenceRow, sanitize, sentiment

_DEMO_PREFIX = "demo-"

SENTIMENT_MARKS = {"negative": "-", "positive": "+", "neutral": "·", "unscored": " "}
"""One character per sentiment label, readable without colour."""

UNREAD_MARK = "●"

KIND_LABELS = {"comment": "comment", "dm": "DM", "mention": "mention"}


def platform_label(platform: str) -> str:
    """The platform as a short column label: `demo-mastodon` shows as `mastodon`."""
    if platform.startswith(_DEMO_PREFIX) and len(platform) > len(_DEMO_PREFIX):
        platform = platform[len(_DEMO_PREFIX) :]
    return sanitize.for_display(platform)


def kind_label(kind: str) -> str:
    """The thread kind as people say it."""
    return KIND_LABELS.get(kind, sanitize.for_display(kind))


def author_label(author: str | None) -> str:
    """A contact's handle or name, safe to show, look-alike letters marked; else `unknown`."""
    if not author:
        return "unknown"
    return sanitize.name_for_display(author, 80) or "unknown"


def preview_label(preview: str) -> str:
    """The first line of a thread's latest inbound message, on one line, safe to show."""
    return sanitize.first_line(preview)


def sentiment_mark(score: float | None) -> tuple[str, str]:
    """The mark for a sentiment score and its label (`negative`, ..., `unscored`)."""
    name = sentiment.label(score)
    return SENTIMENT_MARKS[name], name


def age_label(then: datetime, now: datetime) -> str:
    """How long ago `then` was, in four characters at most: `now`, `45s`, `12m`, `3h`, `5d`."""
    seconds = int((now - then).total_seconds())
    return "now" if seconds < 10 else duration_label(seconds)


def duration_label(seconds: int) -> str:
    """A span of time in four characters at most: `45s`, `12m`, `3h`, `5d`, `6w`, `2y`."""
    if seconds < 60:
        return f"{max(seconds, 0)}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 24:
        return f"{hours}h"
    days = hours // 24
    if days < 14:
        return f"{days}d"
    if days < 365:
        return f"{days // 7}w"
    return f"{days // 365}y"


def local_time_label(moment: datetime, now: datetime) -> str:
    """A time in the viewer's local zone: `14:05` today, `Nov 2 14:05` this year, else dated."""
    local = moment.astimezone()
    local_now = now.astimezone()
    if local.date() == local_now.date():
        return local.strftime("%H:%M")
    if local.year == local_now.year:
        return f"{local:%b} {local.day} {local:%H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"


FETCHED_LATE = timedelta(minutes=5)
"""How much later than a message was written the inbox must have fetched it to say when."""


def fetched_late(written_at: datetime, fetched_at: datetime | None) -> bool:
    """Whether the inbox fetched a message so long after it was written that both times
    matter (a backfill of old conversations, a sync that was off)."""
    return fetched_at is not None and fetched_at - written_at > FETCHED_LATE


def message_text(text: str) -> str:
    """A message body as shown: control sequences and bidi overrides removed."""
    return sanitize.for_display(text).rstrip()


PRIORITY_MARKS = {"urgent": "‼", "high": "!", "normal": " ", "low": "↓"}
"""One character per priority, readable without colour."""

PRESENCE_MARKS = {"replying": "✎", "viewing": "◉"}
"""Shown in the list when a colleague has the thread open: replying outranks viewing."""

MARKED = "✓"

MENTIONED = "@"
"""Shown in the list when a colleague's note on the thread mentions the reader."""


LIST_LEGEND: tuple[tuple[str, str], ...] = (
    (MARKED, "marked (space): an action applies to every marked thread"),
    (UNREAD_MARK, "unread: new messages its assignee (anyone, if none) has not opened"),
    (PRESENCE_MARKS["replying"], "a colleague is writing a reply to it"),
    (PRESENCE_MARKS["viewing"], "a colleague has it open"),
    (MENTIONED, "a colleague's note on it mentions you"),
    (SENTIMENT_MARKS["positive"], "their latest message reads as positive"),
    (SENTIMENT_MARKS["neutral"], "their latest message reads as neutral"),
    (SENTIMENT_MARKS["negative"], "their latest message reads as negative"),
    (PRIORITY_MARKS["urgent"], "priority urgent"),
    (PRIORITY_MARKS["high"], "priority high"),
    (PRIORITY_MARKS["low"], "priority low"),
    ("12m", "due: time left to answer, by the SLA or the platform's reply window"),
    ("-5m", "due: past it, by that long"),
)
"""Every mark the thread list draws and what it means, for the help screen."""


def presence_text(present: Sequence[PresenceRow]) -> str:
    """Who else has a thread open: `✎ blake is replying · ◉ casey is viewing`; replying first."""
    ordered = sorted(present, key=lambda row: (row.activity != "replying", row.handle))
    return " · ".join(
        f"{PRESENCE_MARKS.get(row.activity, '·')} {author_label(row.handle)} is {row.activity}"
        for row in ordered
    )


def priority_mark(priority: str) -> str:
    return PRIORITY_MARKS.get(priority, "?")


def time_left_label(due_at: datetime | None, now: datetime) -> tuple[str, str]:
    """Time left until `due_at` (`12m`, `3h`; `-5m` once past) and its state.

    The state is `overdue`, `soon` (within the hour), `later`, or `none` when there is no
    due time (the thread is answered, or nothing sets one).
    """
    if due_at is None:
        return "", "none"
    seconds = int((due_at - now).total_seconds())
    if seconds < 0:
        return "-" + duration_label(-seconds), "overdue"
    return duration_label(seconds), "soon" if seconds <= 3600 else "later"


NOTICE_TITLES = {
    "assigned": "Assigned to you",
    "mentioned": "You were mentioned",
    "approved": "Reply approved",
    "rejected": "Reply rejected",
    "failed": "Reply failed",
    "approval_waiting": "Approval waiting",
}
"""What each kind of notification is called: a toast's title, a column in For me."""


def notice_title(kind: str) -> str:
    """What a kind of notification is called (an unknown kind as stored, made safe)."""
    return NOTICE_TITLES.get(kind, sanitize.for_display(kind))
