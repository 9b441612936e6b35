"""Making platform text safe to store and to show.

Text from platforms is hostile until shown otherwise. Storage keeps what was said, minus
NUL characters (PostgreSQL refuses them), unpaired surrogates (no database can encode
them) and beyond a size cap, the same on SQLite and PostgreSQL; a platform's payload is
kept as JSON both accept, capped the same way. Display removes terminal
control sequences, other control characters and bidi overrides; escaping Rich markup is
the job of whoever renders, since only it knows whether markup is in play.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

MAX_STORED_TEXT = 40_000
"""Characters kept of one message; the longest platform limit we know is 10,000."""

MAX_STORED_RAW = 100_000
"""Characters of JSON kept of one message's platform payload; beyond it, its last fields go."""

RAW_TRUNCATED = "…truncated"
"""The key a capped payload gains, holding how many characters of JSON the whole one had."""

_MAX_RAW_DEPTH = 64
_MAX_RAW_INTEGER_BITS = 1_024
_SURROGATE = re.compile("[\ud800-\udfff]")

_ANSI_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC, ended by BEL or ST
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC
    r"|\x1b[@-Z\\-_]"  # two-character escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_UNSAFE_CHARACTERS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]"
)


def storable(text: str) -> str:
    """The text without what a database refuses: NUL characters and unpaired surrogates.

    For ids, keys and links, which are checked for length rather than capped.
    """
    if "\x00" in text:
        text = text.replace("\x00", "")
    if _SURROGATE.search(text):
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def for_storage(text: str) -> str:
    """The text as stored: `storable`, capped at `MAX_STORED_TEXT` characters."""
    text = storable(text)
    if len(text) > MAX_STORED_TEXT:
        text = text[:MAX_STORED_TEXT] + "…"
    return text


def raw_for_storage(raw: Mapping[Any, Any]) -> dict[str, Any]:
    """A platform payload as stored: JSON that SQLite and PostgreSQL both take, capped.

    Every key and string is cleaned as text is; numbers JSON cannot hold become null,
    anything else its `str`, and what is nested deeper than 64 levels a marker. Over
    `MAX_STORED_RAW` characters of JSON, the leading fields that fit are kept and
    `RAW_TRUNCATED` says how long the whole was.
    """
    cleaned = _json_value(raw, 0)
    size = len(json.dumps(cleaned, ensure_ascii=False))
    if size <= MAX_STORED_RAW:
        return cleaned
    kept: dict[str, Any] = {}
    room = MAX_STORED_RAW - len(json.dumps({RAW_TRUNCATED: size}, ensure_ascii=False))
    for key, value in cleaned.items():
        field_size = len(
            json.dumps({key: value}, ensure_ascii=False)
        )  # the braces pay for the ", " before it
        if field_size > room:
            break
        kept[key] = value
        room -= field_size
    kept[RAW_TRUNCATED] = size
    return kept


def _json_value(value: Any, depth: int) -> Any:
    if depth > _MAX_RAW_DEPTH:
        return "…nested too deeply"
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if value.bit_length() <= _MAX_RAW_INTEGER_BITS else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return for_storage(value)
    if isinstance(value, Mapping):
        return {for_storage(str(key)): _json_value(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(item, depth + 1) for item in value]
    return for_storage(str(value))


def for_display(text: str) -> str:
    """The text with escape sequences, control characters and bidi controls removed.

    Tabs and newlines stay; carriage returns become newlines so nothing overwrites a line.
    """
    text = _ANSI_SEQUENCE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _UNSAFE_CHARACTERS.sub("", text)


def first_line(text: str, width: int = 200) -> str:
    """The first non-empty line of `text`, safe for display, at most `width` characters."""
    for line in for_display(text).splitlines():
        stripped = " ".join(line.split())
        if stripped:
            return stripped if len(stripped) <= width else stripped[: width - 1] + "…"
    return ""


def preview(text: str, width: int = 200) -> str:
    """The line that says what a message is about, safe for display, at most `width` long.

    That is the first non-empty line, unless it is a salutation ("Hi Nimbus team,",
    "Hello:") with more to come, as emails usually open.
    """
    lines = [" ".join(line.split()) for line in for_display(text).splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return ""
    chosen = lines[0]
    if len(lines) > 1 and len(chosen) <= 40 and chosen.endswith((",", ":", "，")):
        chosen = lines[1]
    return chosen if len(chosen) <= width else chosen[: width - 1] + "…"
