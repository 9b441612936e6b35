"""The config file: TOML, read once at start-up, every setting documented here.

It holds one person's settings on one machine: who they are, which database, their keys,
how this machine talks to the platforms, and the commands this machine may run: the
status page's publish command and the listening rules' alert commands. Those are never
read from the database: a lead's login may write the team's settings there, and the
worker that runs them holds every account's secret, so the machine decides what runs on
it. What the team shares (the SLA policy and its
business calendar, listening rules, later assignment rules) lives in the database, edited
by leads (`inbox team`, `inbox alerts`), so every machine and every person sees the same; a
file that still has an `[sla]` table is refused with the command that moves it there.

A file that cannot be used is reported in one line naming the file and the problem.
Unknown settings are errors too: a misspelt key that silently does nothing is worse.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inbox.core.errors import ConfigError


@dataclass(frozen=True, slots=True)
class SyncSettings:
    """How this machine's sync engine behaves: per machine, since each process that polls
    writes its own lease's expiry into the database and talks over its own network."""

    lease_seconds: int = 30
    """How long an account's polling lease lasts without a heartbeat."""

    request_timeout_seconds: float = 30.0
    """How long one request to a platform may take before it counts as failed."""


COMMAND_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
"""What a command's name in `[listening] commands` looks like (`page-oncall`)."""


@dataclass(frozen=True, slots=True)
class StatusPageOutput:
    """Where this machine writes the team's public status page and how it publishes it.

    Per machine: the worker that writes and publishes the page is the one whose config
    says so; the page's address and title are team settings (`inbox team status-page`)."""

    out_dir: Path | None = None
    """The folder the page is written into; None: this machine keeps no page."""

    publish_command: str | None = None
    """Run after each regeneration (split like a shell would, not run through one), with
    `STATUS_PAGE_DIR` in its environment and `{dir}` in its arguments replaced by the
    folder, e.g. `rsync -a --delete {dir}/ web:/var/www/status/`."""


@dataclass(frozen=True, slots=True)
class ListeningSettings:
    """The commands this machine may run when a listening rule raises an alert."""

    commands: Mapping[str, str] = field(default_factory=dict)
    """Name to command line, e.g. `page-oncall = "/usr/local/bin/page-oncall --team brand"`;
    a rule names one (`inbox rules edit RULE --command page-oncall`), and it runs (split
    like a shell would, not through one) with the alert as JSON on stdin."""


@dataclass(frozen=True, slots=True)
class NotificationSettings:
    """How the terminal UI tells this person of what concerns them."""

    bell: bool = False
    """Also ring the terminal bell when a notification arrives (assigned to you, @mentioned,
    your reply approved, rejected or failed, an approval waiting); a toast shows either way."""


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the config file can set: one person's settings on one machine."""

    path: Path | None = None
    """The file this was read from (None: defaults, no file)."""

    database: str | None = None
    """SQLite file path or `postgresql+psycopg://` URL; `--db` and `INBOX_DATABASE_URL` win."""

    identity: str | None = None
    """The handle of the person using this inbox; `--as` wins."""

    sync: SyncSettings = field(default_factory=SyncSettings)

    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id to keys, e.g. `reply = "r"`, for remapping the TUI's keys."""

    status_page: StatusPageOutput = field(default_factory=StatusPageOutput)

    listening: ListeningSettings = field(default_factory=ListeningSettings)

    notifications: NotificationSettings = field(default_factory=NotificationSettings)


_SECTIONS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "inbox": {"database": str, "identity": str},
    "sync": {"lease_seconds": int, "request_timeout_seconds": (int, float)},
    "status_page": {"out_dir": str, "publish_command": str},
    "listening": {"commands": dict},
    "notifications": {"bell": bool},
}


def load_config(path: Path, *, must_exist: bool = False, skip_sla: bool = False) -> Config:
    """Read `path`; a missing file gives the defaults, a broken one a `ConfigError`.

    `must_exist` is for a file someone named (`--config`): a typo there must not quietly
    run with the defaults, against the default database. `skip_sla` reads a file that still
    has an `[sla]` table without refusing it, for `inbox team sla import`, which moves it.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if must_exist:
            raise ConfigError(f"{path}: no such config file") from None
        return Config()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the config file ({error.strerror})") from None
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the config file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    return _parse(path, document, skip_sla=skip_sla)


def _parse(path: Path, document: dict[str, Any], *, skip_sla: bool = False) -> Config:
    values: dict[str, dict[str, Any]] = {}
    for section, content in document.items():
        if section == "sla":
            if skip_sla:
                continue
            raise ConfigError(
                f"{path}: the SLA policy is a team setting kept in the database now; run "
                f"`inbox team sla import {path}` to make this [sla] the team's, then delete "
                "[sla] from the file"
            )
        if section == "keymap":
            if not isinstance(content, dict) or not all(
                isinstance(value, str) for value in content.values()
            ):
                raise ConfigError(f"{path}: [keymap] maps binding ids to key names (strings)")
            continue
        if section not in _SECTIONS:
            known = ", ".join(f"[{name}]" for name in [*_SECTIONS, "keymap"])
            raise ConfigError(f"{path}: unknown section [{section}] (known: {known})")
        if not isinstance(content, dict):
            raise ConfigError(f"{path}: {section} must be a table, written [{section}]")
        for key, value in content.items():
            expected = _SECTIONS[section].get(key)
            if expected is None:
                known = ", ".join(_SECTIONS[section])
                raise ConfigError(
                    f"{path}: unknown setting {key!r} in [{section}] (known: {known})"
                )
            if (isinstance(value, bool) and expected is not bool) or not isinstance(
                value, expected
            ):
                raise ConfigError(
                    f"{path}: [{section}] {key} must be {_type_name(expected)}, "
                    f"not {type(value).__name__}"
                )
        values[section] = content
    inbox = values.get("inbox", {})
    return Config(
        path=path,
        database=inbox.get("database"),
        identity=inbox.get("identity"),
        sync=SyncSettings(**values.get("sync", {})),
        keymap=dict(document.get("keymap", {})),
        status_page=_status_page(path, values.get("status_page", {})),
        listening=ListeningSettings(_alert_commands(path, values.get("listening", {}))),
        notifications=NotificationSettings(**values.get("notifications", {})),
    )


def _status_page(path: Path, table: dict[str, str]) -> StatusPageOutput:
    out_dir = table.get("out_dir")
    if out_dir is not None and not out_dir.strip():
        raise ConfigError(f"{path}: [status_page] out_dir is empty (leave it out: no page)")
    command = table.get("publish_command")
    if command is not None:
        _check_command(path, "[status_page] publish_command", command)
    return StatusPageOutput(
        out_dir=Path(out_dir).expanduser() if out_dir is not None else None,
        publish_command=command,
    )


def _alert_commands(path: Path, table: dict[str, Any]) -> dict[str, str]:
    commands = table.get("commands", {})
    for name, command in commands.items():
        if not COMMAND_NAME.fullmatch(name):
            raise ConfigError(
                f"{path}: [listening] commands: {name!r} is no command name (letters, digits, "
                "'-', '_' and '.', up to 64)"
            )
        if not isinstance(command, str):
            raise ConfigError(
                f"{path}: [listening] commands: {name} must be a command line (a string), "
                f"not {type(command).__name__}"
            )
        _check_command(path, f"[listening] commands: {name}", command)
    return dict(commands)


def _check_command(path: Path, where: str, command: str) -> None:
    """Refuse a command line that cannot be split like a shell would, or splits to nothing."""
    try:
        words = shlex.split(command)
    except ValueError as error:
        raise ConfigError(f"{path}: {where} cannot be split into words: {error}") from None
    if not words:
        raise ConfigError(f"{path}: {where} is empty")


def _type_name(expected: type | tuple[type, ...]) -> str:
    names = {
        "str": "a string",
        "int": "a whole number",
        "float": "a number",
        "dict": "a table",
        "bool": "true or false",
    }
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(names.get(kind.__name__, kind.__name__) for kind in types)
