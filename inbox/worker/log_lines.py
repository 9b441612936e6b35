"""The worker's log: one line per event of interest, JSON for machines, short text for people.

Every record the `inbox` loggers write at INFO or above becomes one line on stderr. A record
names its event in `extra={"event": ...}` (`lease.taken`, `items.landed`, `send.sent`, ...);
one without is a plain `log` line. Each line is scrubbed before it is written: the values of
the secrets the worker read from its keyring, `Bearer` tokens, `user:password@` in URLs and
query parameters named like tokens (`access_token=...`) become `[redacted]`, because an
exception message may quote a request URL or a refused header.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

REDACTED = "[redacted]"

SHORTEST_SECRET = 6
"""Secret values shorter than this are not scrubbed literally (they would hit plain words)."""

_FIELDS_SHOWN = ("account_id", "stream", "new_items", "outbound_id", "status", "host", "pid")
"""Extra fields a text line shows after its message, when a record has them."""

_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}

_SECRET_NAME = (
    r"access_token|refresh_token|id_token|token|api_key|apikey|key|secret|client_secret|"
    r"password|passwd|pwd|signature|sig|code|auth|authorization|oauth_token|oauth_signature"
)
_PATTERNS = (
    # ?access_token=...&  and  access_token=... in a form body
    (re.compile(rf"(?i)\b({_SECRET_NAME})=([^&\s\"'<>;,)]+)"), rf"\1={REDACTED}"),
    # "access_token": "..."  in a quoted JSON body
    (
        re.compile(rf"(?i)([\"']({_SECRET_NAME})[\"']\s*:\s*[\"'])([^\"']+)"),
        rf"\1{REDACTED}",
    ),
    # Authorization: Bearer ... / Basic ... / OAuth ...
    (re.compile(r"(?i)\b(bearer|basic|oauth)\s+[A-Za-z0-9._~+/=\-,\"]{6,}"), rf"\1 {REDACTED}"),
    # https://user:password@host
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.\-]*://)[^/\s:@]+:[^/\s@]+@"), rf"\1{REDACTED}@"),
)


class Redactor:
    """Takes secrets out of text: the values it was told of, and token-shaped patterns."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def remember(self, values: Iterable[str]) -> None:
        """Scrub these secret values from every line from now on."""
        with self._lock:
            self._values.update(
                value
                for value in values
                if isinstance(value, str) and len(value) >= SHORTEST_SECRET
            )

    def scrub(self, text: str) -> str:
        """`text` with every secret in it replaced by `[redacted]`."""
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            if value in text:
                text = text.replace(value, REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


class EventLines(logging.Formatter):
    """Formats a record as one line: JSON (`json=True`) or `HH:MM:SS event message`."""

    def __init__(self, redactor: Redactor, *, json_lines: bool) -> None:
        super().__init__()
        self.redactor = redactor
        self.json_lines = json_lines

    def format(self, record: logging.LogRecord) -> str:
        message = self.redactor.scrub(record.getMessage())
        event = getattr(record, "event", None) or "log"
        problem = None
        if record.exc_info:
            problem = self.redactor.scrub(self.formatException(record.exc_info))
        at = datetime.fromtimestamp(record.created, UTC)
        extra = {
            key: value
            for key, value in vars(record).items()
            if key not in _STANDARD_ATTRIBUTES and key != "event"
        }
        if self.json_lines:
            line: dict[str, Any] = {
                "at": at.isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(),
                "event": event,
                "message": message,
            }
            if event == "log":
                line["logger"] = record.name
            for key, value in extra.items():
                line[key] = self._scrubbed(value)
            if problem is not None:
                line["traceback"] = problem
            return json.dumps(line, ensure_ascii=False, default=str)
        shown = [f"{key}={self._scrubbed(extra[key])}" for key in _FIELDS_SHOWN if key in extra]
        text = f"{at:%H:%M:%S} {event} {message}"
        if shown:
            text += f" ({', '.join(shown)})"
        if record.levelno >= logging.ERROR and problem is not None:
            text += "\n" + problem
        return text

    def _scrubbed(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redactor.scrub(value)
        if isinstance(value, int | float | bool) or value is None:
            return value
        if isinstance(value, list | tuple):
            return [self._scrubbed(entry) for entry in value]
        return self.redactor.scrub(str(value))


def wants_json(log_format: str, stream: TextIO) -> bool:
    """JSON lines for `json`, text for `text`; for `auto`, JSON unless `stream` is a terminal."""
    if log_format == "auto":
        try:
            return not stream.isatty()
        except (AttributeError, ValueError):
            return True
    return log_format == "json"


class Installed:
    """The log as `install` set it up, and what it replaced, for `restore`."""

    def __init__(self, handler: logging.Handler) -> None:
        root = logging.getLogger()
        self.handler = handler
        self._replaced = list(root.handlers)
        self._levels = {
            name: logging.getLogger(name).level for name in ("", "inbox", "httpx", "httpcore")
        }

    def restore(self) -> None:
        """Put the log back as it was before `install`."""
        root = logging.getLogger()
        root.removeHandler(self.handler)
        self.handler.close()
        for handler in self._replaced:
            root.addHandler(handler)
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)


def install(log_format: str, redactor: Redactor, stream: TextIO | None = None) -> Installed:
    """Send the `inbox` (INFO and up) and every other (WARNING and up) log to `stream`, one
    line per record, instead of wherever it went (`-v`'s plain lines).

    httpx's own request lines stay quiet: they quote URLs, and say nothing the events do not.
    """
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    handler.setFormatter(EventLines(redactor, json_lines=wants_json(log_format, stream)))
    installed = Installed(handler)
    root = logging.getLogger()
    for replaced in list(root.handlers):
        root.removeHandler(replaced)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("inbox").setLevel(logging.INFO)
    for quiet in ("httpx", "httpcore"):
        logging.getLogger(quiet).setLevel(logging.WARNING)
    return installed
