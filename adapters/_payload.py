"""Typed reads of platform JSON: a field that is missing or of the wrong shape raises `Malformed`.

Payload classes (`adapters/<platform>/payloads.py`) read only the fields the inbox uses,
through these functions, so one odd item becomes a logged skip rather than a crashed page.
A platform's user writes some of these values (Bluesky's `createdAt`), so nothing here
trusts them: a time outside `EARLIEST`..`LATEST` is as unusable as a missing one.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Final

from adapters.base import PayloadInvalid

EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(2200, 1, 1, tzinfo=UTC)
"""The range of times an item may carry; anything outside is a hostile or broken value
(and `LATEST` leaves room for the due times and windows computed from it)."""

ITEM_FAULTS: Final = (
    ValueError,
    TypeError,
    AttributeError,
    KeyError,
    IndexError,
    OverflowError,
    RecursionError,
)
"""What reading one hostile item may raise (`Malformed` is a ValueError): the item is
skipped with a log line, and the rest of its page lands."""

SHOWN_CHARACTERS: Final = 80
"""How much of a platform value a log line or error message quotes."""


class Malformed(ValueError):
    """One platform object lacks a field we need, or has it in the wrong shape."""


_LINK = re.compile(r"https?://\S+")
_LEADING_MENTIONS = re.compile(r"^(?:@[\w.@-]+\s+)+")


def same_text(sent: str, posted: str) -> bool:
    """Whether `posted` (as a platform shows it) is the text `sent`, for `find_sent`.

    Platforms rewrite what they store: links are shortened (X's t.co) or shown by their
    host, entities are escaped, whitespace is folded, mentions are put before a reply. So
    both are compared without links, entities, leading mentions and extra whitespace.
    """
    return _comparable(sent) == _comparable(posted)


def _comparable(text: str) -> str:
    text = _LINK.sub(" ", html.unescape(text))
    return _LEADING_MENTIONS.sub("", " ".join(text.split()))


def as_object(value: Any, what: str = "object") -> Mapping[str, Any]:
    """`value` when it is a JSON object."""
    if not isinstance(value, Mapping):
        raise Malformed(f"{what} is {type(value).__name__}, not an object")
    return value


def as_list(value: Any, what: str = "list") -> list[Any]:
    """`value` when it is a JSON array."""
    if not isinstance(value, list):
        raise Malformed(f"{what} is {type(value).__name__}, not a list")
    return value


def required_text(data: Mapping[str, Any], key: str) -> str:
    """A string field that must be present and non-empty; numeric ids are accepted as text."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise Malformed(f"{key!r} is missing or not text")
    return str(value)


def optional_text(data: Mapping[str, Any], key: str) -> str | None:
    """A string field that may be absent, null or empty (then None)."""
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Malformed(f"{key!r} is {type(value).__name__}, not text")
    return str(value)


def text_or_empty(data: Mapping[str, Any], key: str) -> str:
    """A string field whose absence means the empty string."""
    return optional_text(data, key) or ""


def shown(value: Any) -> str:
    """`repr(value)` cut to `SHOWN_CHARACTERS`, for log lines and error messages."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 3] + "..."


def plausible_moment(moment: datetime) -> datetime | None:
    """`moment` in UTC (naive values are read as UTC), or None when outside `EARLIEST`..`LATEST`.

    A time near the ends of `datetime`'s range overflows when moved to UTC; that is None too.
    """
    try:
        in_utc = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return in_utc if EARLIEST <= in_utc <= LATEST else None


def iso_time(raw: Any) -> datetime | None:
    """An ISO-8601 time string as an aware UTC datetime; None for anything unusable."""
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return plausible_moment(moment)


def iso_moment(data: Mapping[str, Any], key: str) -> datetime:
    """An ISO-8601 timestamp field as an aware UTC datetime (naive values are read as UTC)."""
    moment = iso_time(required_text(data, key))
    if moment is None:
        raise Malformed(f"{key!r} is not an ISO-8601 time between 1970 and 2200")
    return moment


def epoch_time(seconds: Any) -> datetime | None:
    """Unix seconds as an aware UTC datetime; None for a non-number or an implausible time."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return None
    try:
        moment = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return plausible_moment(moment)


def epoch_moment(data: Mapping[str, Any], key: str) -> datetime:
    """A Unix-seconds timestamp field as an aware UTC datetime."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Malformed(f"{key!r} is missing or not a number")
    moment = epoch_time(value)
    if moment is None:
        raise Malformed(f"{key!r} is out of range")
    return moment


@contextmanager
def reading_page(where: str) -> Iterator[None]:
    """Turn an unexpected fault while reading a page into `PayloadInvalid` naming `where`.

    Items are guarded one by one; this catches what is left (a page envelope no parser
    foresaw). The message names the fault's class, never the payload.
    """
    try:
        yield
    except ITEM_FAULTS as fault:
        raise PayloadInvalid(f"{where} could not be read ({type(fault).__name__})") from None
