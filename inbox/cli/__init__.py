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
    "inbox.cli.outbox",
    "inbox.cli.stats",
    "inbox.cli.crisis",
    "inbox.cli.threads",
)
"""Modules whose `register` adds commands, in the order they appear in `inbox --help`."""


def with_format(
    parser: argparse.ArgumentParser, choices: Iterable[str] = ("table", "json", "csv")
) -> None:
    """Give a command `--format`, the first choice by default."""
    choices = tuple(choices)
    parser.add_argument(
        "--format",
        choices=choices,
        default=choices[0],
        help=f"output format (default: {choices[0]})",
    )
