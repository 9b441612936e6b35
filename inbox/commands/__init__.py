"""Command groups of the `inbox` CLI beyond the core ones in `inbox.cli`.

Each module here has `register(commands)`, which adds its subcommands to the parser's
subparsers. A module imports only the standard library at the top: `inbox --help` builds
every parser, and must stay fast; handlers import what they need when they run.
"""

COMMAND_MODULES: tuple[str, ...] = ("inbox.commands.outbox", "inbox.commands.stats", "inbox.commands.crisis", "inbox.commands.threads")
"""Modules whose `register` adds commands, in the order they appear in `inbox --help`."""
