"""Making platform text safe to store and to show.

Text from platforms is hostile until shown otherwise. Storage keeps what was said, minus
NUL characters (PostgreSQL refuses them) and beyond a size cap. Display removes terminal
control sequences, other control characters and bidi overrides; escaping Rich markup is
the job of whoever renders, since only it knows whether markup is in play.
"""

from __future__ import annotations

import re

MAX_STORED_TEXT = 40_000
"""Characters kept of one message; the longest platform limit we know is 10,000."""

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


def for_storage(text: str) -> str:
    """The text as stored: NULs removed, capped at `MAX_STORED_TEXT` characters."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if len(text) > MAX_STORED_TEXT:
        text = text[:MAX_STORED_TEXT] + "…"
    return text


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
