"""Typed reads of platform JSON: a field that is missing or of the wrong shape raises `Malformed`.

Payload classes (`adapters/<platform>/payloads.py`) read only the fields the inbox uses,
through these functions, so one odd item becomes a logged skip rather than a crashed page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


class Malformed(ValueError):
    """One platform object lacks a field we need, or has it in the wrong shape."""


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


def iso_moment(data: Mapping[str, Any], key: str) -> datetime:
    """An ISO-8601 timestamp field as an aware UTC datetime (naive values are read as UTC)."""
    raw = required_text(data, key)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise Malformed(f"{key!r} is not an ISO-8601 time") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def epoch_moment(data: Mapping[str, Any], key: str) -> datetime:
    """A Unix-seconds timestamp field as an aware UTC datetime."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Malformed(f"{key!r} is missing or not a number")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise Malformed(f"{key!r} is out of range") from None
