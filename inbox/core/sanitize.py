"""Making platform text safe to store and to show.

Text from platforms is hostile until shown otherwise. Storage keeps what was said, minus
NUL characters (PostgreSQL refuses them), unpaired surrogates (no database can encode
them) and beyond a size cap, the same on SQLite and PostgreSQL; a platform's payload is
kept as JSON both accept, capped the same way. Display removes terminal
control sequences, other control characters, bidi overrides and invisible characters
(zero-width spaces and joiners, which make one name look like another); escaping Rich
markup is the job of whoever renders, since only it knows whether markup is in play.
The same goes for what the inbox writes for other programs: CSV cells a spreadsheet would
run as a formula are neutralised, and JSON escapes what a terminal would act on.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime
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
_BIDI_AND_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200e\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb\U000e0000-\U000e007f"
)
"""Bidi controls, and characters that show as nothing: zero-width spaces, word joiners,
soft hyphens, Hangul fillers, tag characters."""
_JOINERS = re.compile("[\u200c\u200d]")
"""Zero-width joiners and non-joiners: part of emoji sequences and of Persian and Indic
words, so a message keeps them; in a name or on one line they only hide, so they go."""
_UNSAFE_CHARACTERS = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI_AND_INVISIBLE}]")
_LINE_SEPARATORS = re.compile("[\u2028\u2029]")
_JSON_UNESCAPED = re.compile(f"[\x7f-\x9f\u200c\u200d\u2028\u2029{_BIDI_AND_INVISIBLE}]")
"""What `json.dumps(..., ensure_ascii=False)` leaves raw that a terminal acts on or hides."""

FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
"""First characters that make a spreadsheet read a cell as a formula (the OWASP list, plus
the full-width forms some spreadsheets also take)."""

WEB_SCHEMES = frozenset({"http", "https"})
"""The only kinds of link the inbox hands to a browser."""

_LOOK_ALIKE_SCRIPTS = frozenset({"CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC"})
LOOK_ALIKE_MARK = "⚠"
"""Put before a name with a word that mixes Latin letters with look-alikes from another
script ("Nіmbus" with a Cyrillic і), so an impostor does not pass for the brand; in front,
so a narrow column still shows it."""


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
    return _UNSAFE_CHARACTERS.sub("", _LINE_SEPARATORS.sub("\n", text))


def single_line(text: str) -> str:
    """`for_display` on one line: every run of whitespace, newlines included, one space.

    For what must not break a line or hide part of itself: a link, a title, a toast's title.
    """
    return " ".join(_JOINERS.sub("", for_display(text)).split())


@functools.lru_cache(maxsize=4096)
def name_for_display(name: str, width: int = 80) -> str:
    """A person's handle or name, safe for display, with look-alike letters made visible.

    On one line and at most `width` characters (invisible characters already gone, by
    `for_display`); a word that mixes Latin letters with letters of a script that has
    look-alikes for them puts `LOOK_ALIKE_MARK` in front. Cached: the thread list draws
    the same names every second.
    """
    shown = _JOINERS.sub("", first_line(name, width))
    if any(_mixes_look_alikes(word) for word in shown.split()):
        return LOOK_ALIKE_MARK + shown
    return shown


def _mixes_look_alikes(word: str) -> bool:
    scripts = {
        unicodedata.name(letter, "?").split(" ", 1)[0] for letter in word if letter.isalpha()
    }
    return "LATIN" in scripts and not scripts.isdisjoint(_LOOK_ALIKE_SCRIPTS)


def web_link(url: str) -> str | None:
    """`url` cleaned as `single_line`, if it is an http(s) link with a host; else None.

    The only kind of link the inbox hands to a browser or shows as one.
    """
    from urllib.parse import urlsplit

    link = single_line(url)
    try:
        parts = urlsplit(link)
    except ValueError:
        return None
    return link if parts.scheme.lower() in WEB_SCHEMES and parts.netloc else None


def link_scheme(url: str) -> str:
    """The scheme `url` names ("javascript", "file"), safe for display: to say it was refused."""
    scheme, colon, _ = url.strip().partition(":")
    return first_line(scheme, 40) if colon else "none"


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


def csv_cell(value: Any) -> Any:
    """One CSV cell as written: text safe for display that no spreadsheet reads as a formula.

    Numbers stay numbers; times become ISO 8601; lists and mappings, their JSON. Text that
    starts (after spaces) with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading
    `'`, the OWASP rule, so a spreadsheet shows it rather than runs it.
    """
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping | list | tuple):
        value = json_text(value)
    text = for_display(str(value))
    if text.lstrip(" \n")[:1] in FORMULA_STARTS:
        text = "'" + text
    return text


class CsvWriter(csv.DictWriter):
    """`csv.DictWriter` whose every cell, the header's too, goes through `csv_cell`.

    The one way the inbox writes CSV, so what a platform sent never runs in a spreadsheet
    or acts on the terminal the file is printed to.
    """

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({key: csv_cell(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for rowdict in rowdicts:
            self.writerow(rowdict)


def json_text(value: Any, *, indent: int | None = None, default: Any = None) -> str:
    """`value` as JSON in which nothing a terminal acts on or hides is left raw.

    Non-ASCII text stays readable; C1 controls, bidi controls, invisible characters and
    line separators are written as `\\uXXXX` escapes (JSON escapes C0 controls itself),
    so the text reads back unchanged.
    """
    text = json.dumps(value, ensure_ascii=False, indent=indent, default=default)
    return _JSON_UNESCAPED.sub(_json_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
