"""The `inbox` command line: argument parsing, output formats and one module per command group.

`main` builds the parser and runs the core commands; each other module here has
`register(commands)`, which adds its subcommands to the parser's subparsers. A module
imports only the standard library at the top: `inbox --help` builds every parser, and must
stay fast; handlers import what they need when they run. Nothing else in `inbox` imports
this package.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

COMMAND_MODULES: tuple[str, ...] = (
    "inbox.cli.setup",
    "inbox.cli.accounts",
    "inbox.cli.agents",
    "inbox.cli.team",
    "inbox.cli.outbox",
    "inbox.cli.stats",
    "inbox.cli.crisis",
    "inbox.cli.subscribers",
    "inbox.cli.threads",
    "inbox.cli.acknowledgements",
    "inbox.cli.worker",
    "inbox.cli.webhooks",
)
"""Modules whose `register` adds commands, in the order they appear in `inbox --help`."""


def with_format(
    parser: argparse.ArgumentParser,
    choices: Iterable[str] = ("table", "json", "csv"),
    *,
    json_alias: bool = False,
    help_text: str | None = None,
) -> None:
    """Give a command `--format`, the first choice by default; `json_alias` keeps the older
    `--json` working, unlisted, for the scripts that use it."""
    choices = tuple(choices)
    parser.add_argument(
        "--format",
        choices=choices,
        default=choices[0],
        help=help_text or f"output format (default: {choices[0]})",
    )
    if json_alias:
        parser.add_argument(
            "--json", dest="format", action="store_const", const="json", help=argparse.SUPPRESS
        )


def with_change_format(parser: argparse.ArgumentParser) -> None:
    """Give a command that changes something `--format table|json`: a sentence saying what
    it changed (the default), or the same as JSON for scripts."""
    with_format(
        parser,
        ("table", "json"),
        help_text="json prints what changed as JSON (default: table, a sentence)",
    )
