"""The `inbox` command.

argparse rather than a framework: `inbox --help` must answer in well under 150 ms, so
this module imports only the standard library at the top, and each command imports what
it needs when it runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from inbox.cli import exit_codes, with_change_format, with_format

TuiOpener = Callable[..., int]
"""`open_tui(context, make_service, *, sync)`: opens the terminal UI on the service
`make_service()` builds; handed in by `tui.launcher`, since the backend must not import
the UI. The UI builds the service itself, so its start-up policy covers the backend's
imports too."""

WebServer = Callable[["Context"], int]
"""`serve_web(context)`: serves the terminal UI to browsers until interrupted (`inbox
serve`); handed in by `tui.launcher` like `open_tui`."""


class Context:
    """What every command gets: the parsed options and lazily opened resources."""

    def __init__(
        self,
        options: argparse.Namespace,
        open_tui: TuiOpener | None = None,
        argv: Sequence[str] = (),
        *,
        serve_web: WebServer | None = None,
    ) -> None:
        self.options = options
        self._open_tui = open_tui
        self._serve_web = serve_web
        self._config = None
        self.argv = tuple(argv)
        """The command line as typed, to repeat it in a hint."""
        self.acted_in_setup = False
        """Whether a service that may write acted as the setup admin (noted after the command)."""

    def open_tui(self, make_service: Callable[[], Any], *, sync: bool = True) -> int:
        """Hand the terminal to the UI, on the service `make_service()` builds, until they quit."""
        if self._open_tui is None:
            from inbox.core.errors import InvalidInput

            raise InvalidInput("the terminal UI is not available here; run the `inbox` command")
        return self._open_tui(self, make_service, sync=sync)

    def serve_web(self) -> int:
        """Serve the terminal UI to browsers, as `inbox serve`'s options say, until interrupted."""
        if self._serve_web is None:
            from inbox.core.errors import InvalidInput

            raise InvalidInput("serving to browsers is not available here; run the `inbox` command")
        return self._serve_web(self)

    @property
    def config(self):
        if self._config is None:
            from inbox.core.config import load_config
            from inbox.core.paths import config_path

            named = self.options.config is not None
            path = _expand(self.options.config) if named else config_path()
            # `inbox team sla import` reads a file that still has [sla], to move it.
            skip_sla = getattr(self.options, "config_may_hold_sla", False)
            self._config = load_config(path, must_exist=named, skip_sla=skip_sla)
        return self._config

    def database_url(self) -> str:
        from inbox.core.database import database_url
        from inbox.core.paths import default_database

        return database_url(self._named_database() or str(default_database()))

    def _named_database(self) -> str | None:
        """The database `--db`, the environment or the config names; None for the default."""
        return self.options.db or os.environ.get("INBOX_DATABASE_URL") or self.config.database

    def identity(self) -> str | None:
        return self.options.actor or os.environ.get("INBOX_AS") or self.config.identity

    def create_default_folder(self) -> None:
        """Make the default database's folder (0700) if no database is named; a folder a
        person named is theirs to make, and a typo in it is an error, not a new folder."""
        if self._named_database() is None:
            from inbox.core.files import create_private_folder
            from inbox.core.paths import data_dir

            create_private_folder(data_dir())

    def engine(self, *, create: bool = True):
        """The database at the head schema; only with `create` is a missing one created.

        A missing default database, when the demo's workspace exists, is reported with the
        command that reads the demo instead.
        """
        from inbox.core.database import open_engine
        from inbox.core.errors import DatabaseMissing

        if create:
            self.create_default_folder()
        try:
            return open_engine(self.database_url(), create=create)
        except DatabaseMissing as missing:
            hint = self.demo_hint()
            if hint is None:
                raise
            raise DatabaseMissing(f"{missing}; {hint}") from None

    def demo_hint(self) -> str | None:
        """Where the demo workspace is and this command run on it, when no database is named
        and the demo's exists: after `inbox demo`, a plain `inbox threads list` reads the
        default database, not the demo's."""
        if self._named_database() is not None:
            return None
        import shlex

        from inbox.core.paths import demo_database

        demo = demo_database()
        if not demo.exists():
            return None
        words = [str(demo), *self.argv]
        if self.identity() is None:
            from inbox.demo.workspace import DEFAULT_ACTOR

            words[1:1] = ["--as", DEFAULT_ACTOR]
        return f"the demo workspace is in {demo}: inbox --db {shlex.join(words)}"

    def note_database(self) -> None:
        """After an empty result read from the default database with the demo's workspace
        beside it, say on stderr which database was read and how to read the demo's."""
        hint = self.demo_hint()
        if hint is not None:
            from inbox.core.paths import default_database

            print(f"inbox: read {default_database()}; {hint}", file=sys.stderr)

    def service(self, engine=None, *, create: bool = True, identity_required: bool = True):
        """The service on `engine`, else on the database; commands that only read pass
        `create=False`, so a mistyped `--db` never leaves a new file behind, and reads that
        need nobody in particular pass `identity_required=False`. While no admin exists,
        a command that may write acts as the setup admin, and says so when it is done."""
        from inbox.service import InboxService

        service = InboxService(
            engine or self.engine(create=create),
            actor=self.identity(),
            identity_required=identity_required,
            status_page_output=self.config.status_page,
        )
        self.acted_in_setup = self.acted_in_setup or (create and service.in_setup)
        return service


SETUP_NOTE = (
    "inbox: setup mode: no admin exists yet, so this runs as the setup admin until one is "
    "added (`inbox agents add HANDLE --role admin`)"
)


def _expand(path: str):
    from pathlib import Path

    return Path(path).expanduser()


# -- output -----------------------------------------------------------------------------


def emit(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    output_format: str,
    *,
    empty: str | None = None,
) -> None:
    """Print rows as an aligned table, JSON or CSV; a table with no rows prints `empty`
    instead, when given ("no messages wait for approval")."""
    if output_format == "table" and not rows and empty is not None:
        print(empty)
    elif output_format == "json":
        from inbox.core.sanitize import json_text

        sys.stdout.write(json_text(list(rows), default=str, indent=2) + "\n")
    elif output_format == "csv":
        from inbox.core.sanitize import CsvWriter

        writer = CsvWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    else:
        from inbox.core.sanitize import for_display

        cells = [[for_display(str(_blank(row.get(column)))) for column in columns] for row in rows]
        widths = [
            max([len(column)] + [len(line[index]) for line in cells])
            for index, column in enumerate(columns)
        ]
        header = "  ".join(column.upper().ljust(width) for column, width in zip(columns, widths))
        print(header.rstrip())
        for line in cells:
            print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())


def _blank(value: Any) -> Any:
    return "" if value is None else value


def emit_change(context: Context, sentence: str, record: dict[str, Any]) -> None:
    """Say what a command changed: `sentence` for people, or with `--format json` the
    `record` for scripts."""
    if getattr(context.options, "format", "table") == "json":
        from inbox.core.sanitize import json_text

        sys.stdout.write(json_text(record, default=str, indent=2) + "\n")
    else:
        print(sentence)


def resolve_platforms(service: Any, names: Sequence[str]) -> tuple[str, ...]:
    """The stored platform names that `names` mean, as the TUI shows platforms: `mastodon`
    is every account on Mastodon, the demo's `demo-mastodon` too.

    A name no connected account has is NotFound, naming the platforms there are.
    """
    from inbox.core.errors import NotFound

    if not names:
        return ()
    present = sorted({account.platform for account in service.list_accounts()})
    resolved: list[str] = []
    for name in names:
        wanted = name.strip().lower()
        matching = [
            platform
            for platform in present
            if wanted in (platform, platform.removeprefix(DEMO_PREFIX))
        ]
        if not matching:
            families = sorted({platform.removeprefix(DEMO_PREFIX) for platform in present})
            there = (
                f"the accounts here are on {', '.join(families)}"
                if families
                else "there are no accounts yet (`inbox accounts add`)"
            )
            raise NotFound(f"no account on {name!r}: {there}")
        resolved.extend(matching)
    return tuple(dict.fromkeys(resolved))


DEMO_PREFIX = "demo-"
"""The demo's platforms are the real ones' names with this in front; the TUI leaves it off."""


# -- commands ---------------------------------------------------------------------------


def cmd_db_upgrade(context: Context) -> int:
    from inbox.core.database import open_database, upgrade

    context.create_default_folder()
    engine = open_database(context.database_url(), create=True)
    before, after = upgrade(engine)
    if before == after:
        sentence = f"the database is already at schema {after}"
    else:
        sentence = f"upgraded the database from {before or 'empty'} to schema {after}"
    record = {"database": _redacted(context.database_url()), "from": before, "to": after}
    emit_change(context, sentence, record)
    return 0


def cmd_db_status(context: Context) -> int:
    from inbox.core.database import SCHEMA_HEAD, open_database, schema_revision
    from inbox.core.errors import DatabaseMissing

    try:
        revision = schema_revision(open_database(context.database_url(), create=False))
    except DatabaseMissing:
        revision = None
    print(f"database: {_redacted(context.database_url())}")
    print(f"schema: {revision or 'none (run `inbox db upgrade`)'}; this inbox: {SCHEMA_HEAD}")
    return 0


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def say_along(context: Context, text: str) -> None:
    """A line on the way to a command's result: on stdout, or on stderr when stdout is for
    the JSON of `--format json`."""
    json_output = getattr(context.options, "format", "table") == "json"
    print(text, file=sys.stderr if json_output else sys.stdout)


def cmd_export(context: Context) -> int:
    import contextlib
    from pathlib import Path

    from inbox.core.files import open_private
    from inbox.core.sanitize import CsvWriter, json_text

    options = context.options
    service = context.service(create=False)
    rows = service.export_rows(options.what)
    with contextlib.ExitStack() as stack:
        out = (
            stack.enter_context(open_private(Path(options.out).expanduser(), newline=""))
            if options.out
            else sys.stdout
        )
        count = 0
        if options.format == "csv":
            writer = None
            for row in rows:
                if writer is None:
                    writer = CsvWriter(out, fieldnames=list(row))
                    writer.writeheader()
                writer.writerow(row)
                count += 1
        else:
            for row in rows:
                out.write(json_text(row, default=_json_value) + "\n")
                count += 1
    if options.out:
        from inbox.core.plurals import counted

        noun = {"threads": "thread", "items": "item", "events": "event"}[options.what]
        print(f"wrote {counted(count, noun)} to {options.out}", file=sys.stderr)
    return 0


def _json_value(value: Any) -> Any:
    from datetime import datetime

    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def cmd_sync(context: Context) -> int:
    from inbox.cli.sync import run_sync
    from inbox.core.access import Action
    from inbox.core.credentials import CredentialStore

    engine = context.engine()
    context.service(engine).require(Action.SYNC)
    options = context.options
    return run_sync(
        engine,
        context.config,
        CredentialStore(),
        follow=options.follow,
        quiet=options.quiet,
        output_format=options.format,
    )


def cmd_demo(context: Context) -> int:
    from inbox.cli.demo import run_demo

    return run_demo(context.options, identity=context.identity, open_tui=context.open_tui)


def cmd_tui(context: Context) -> int:
    return context.open_tui(context.service, sync=not context.options.no_sync)


def cmd_serve(context: Context) -> int:
    return context.serve_web()


# -- the parser -------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, declared in one place."""
    parser = argparse.ArgumentParser(
        prog="inbox",
        description="A unified social inbox: gather mentions, comments and DMs from every "
        "network into one store, and answer them from the terminal.",
        epilog="Start with `inbox demo` to see it on a simulated workspace. Global options "
        "may also follow the command (`inbox sync --follow -v`). Exit status: "
        + ", ".join(
            f"{code} {meaning.split(':')[0]}"
            for code, meaning in exit_codes.MEANINGS.items()
            if code < exit_codes.INTERRUPTED
        )
        + " (README.md has the table).",
    )
    parser.add_argument(
        "--db",
        metavar="PATH|URL",
        help="SQLite file or postgresql+psycopg:// URL (default: INBOX_DATABASE_URL, the "
        "config's database, or inbox.db in the user data directory)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="config file (default: INBOX_CONFIG or the user config directory)",
    )
    parser.add_argument(
        "--as",
        dest="actor",
        metavar="HANDLE",
        help="act as this person (default: the config's identity)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens to stderr")
    global_options = [
        action for action in parser._actions if action.option_strings != ["-h", "--help"]
    ]
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="build a demo workspace and open it",
        description=(
            "Build a fresh demo workspace (six simulated accounts, five people, 30 days of "
            "history, the starter prepared answers) and open the inbox on it with the "
            "simulator live."
        ),
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=7,
        help="simulator seed; the same seed gives the same workspace (default: 7)",
    )
    demo.add_argument(
        "--keep",
        action="store_true",
        help="reuse the existing demo workspace instead of building a new one",
    )
    demo.add_argument(
        "--no-tui", action="store_true", help="build the workspace, print where it is, and exit"
    )
    demo.add_argument(
        "--days", type=int, default=30, help="days of history to generate (default: 30)"
    )
    demo.add_argument(
        "--crisis-after",
        type=float,
        metavar="MINUTES",
        help="start the scripted outage this many minutes after the demo opens",
    )
    demo.add_argument(
        "--crisis",
        action="store_true",
        help=(
            "play the scripted crisis headless (no TUI) on a simulated clock (spike, alert, "
            "incident, statement, replies, update, end) and print each step"
        ),
    )
    demo.set_defaults(handler=cmd_demo)

    tui = commands.add_parser("tui", help="open the inbox in the terminal")
    tui.add_argument(
        "--no-sync", action="store_true", help="do not poll the accounts from this process"
    )
    tui.set_defaults(handler=cmd_tui)

    serve = commands.add_parser(
        "serve",
        help="serve the inbox to browsers",
        description=(
            "Serve the inbox to web browsers: each browser session runs its own `inbox tui` "
            "as its own person. Behind a reverse proxy that signs people in, --user-header "
            "names the header that says who they are; without one, --as (or the config's "
            "identity) is the one person it serves, on this machine only. Never expose the "
            'port without the proxy (README, "In a browser").'
        ),
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1; another needs --user-header)",
    )
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve.add_argument(
        "--user-header",
        metavar="NAME",
        help="the header in which the reverse proxy names the signed-in person, e.g. "
        "X-Forwarded-User; a request without it is refused",
    )
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers use, when a proxy serves it elsewhere "
        "(default: http://HOST:PORT)",
    )
    serve.set_defaults(handler=cmd_serve)

    sync = commands.add_parser(
        "sync",
        help="fetch new messages from every account",
        description=(
            "Poll every enabled account once (or, with --follow, keep polling). Only one process "
            "polls an account at a time; others skip it. An account whose secret is not in this "
            "machine's keyring is skipped too (a machine that has it polls it); that fails the "
            "run only when nothing could be polled and no running `inbox worker` holds them."
        ),
    )
    sync.add_argument("--follow", action="store_true", help="keep polling until interrupted")
    sync.add_argument("--quiet", action="store_true", help="print nothing but errors")
    with_change_format(sync)
    sync.set_defaults(handler=cmd_sync)

    db = commands.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", metavar="ACTION", required=True
    )
    upgrade = db.add_parser("upgrade", help="migrate the database to this version's schema")
    with_change_format(upgrade)
    upgrade.set_defaults(handler=cmd_db_upgrade)
    db.add_parser("status", help="show the database and its schema version").set_defaults(
        handler=cmd_db_status
    )

    export = commands.add_parser("export", help="write threads, items or events for other tools")
    export.add_argument("what", choices=("threads", "items", "events"))
    with_format(export, ("jsonl", "csv"))
    export.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    export.set_defaults(handler=cmd_export)

    import importlib

    from inbox.cli import COMMAND_MODULES

    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(commands)
    _accept_global_options_after_the_command(parser, global_options)
    return parser


def _accept_global_options_after_the_command(
    parser: argparse.ArgumentParser, global_options: Sequence[argparse.Action]
) -> None:
    """Let `inbox sync --follow -v` mean `inbox -v sync --follow`: every command and action
    takes the global options too, unlisted, and sets them only when given there."""
    subparser_actions = [
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    ]
    for subparsers in subparser_actions:
        for command in dict.fromkeys(subparsers.choices.values()):
            for option in global_options:
                how: dict[str, Any] = (
                    {"action": "store_true"} if option.nargs == 0 else {"metavar": option.metavar}
                )
                command.add_argument(
                    *option.option_strings,
                    dest=option.dest,
                    default=argparse.SUPPRESS,
                    help=argparse.SUPPRESS,
                    **how,
                )
            _accept_global_options_after_the_command(command, global_options)


def main(
    argv: Sequence[str] | None = None,
    *,
    open_tui: TuiOpener | None = None,
    serve_web: WebServer | None = None,
) -> int:
    """Run the command line; returns the exit status.

    A reader that closes our output early (`inbox threads list | head`) ends the command
    quietly with `exit_codes.CLOSED_PIPE`, whether the write or the final flush found it gone.
    """
    try:
        try:
            return _run(argv, open_tui, serve_web)
        finally:
            sys.stdout.flush()
    except BrokenPipeError:
        return _stop_writing()


def _stop_writing() -> int:
    """Point standard output and error at /dev/null, so nothing written later (the flush
    at exit) meets the closed pipe again and prints a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (AttributeError, OSError, ValueError):  # replaced by a test or an embedder
            continue
    os.close(devnull)
    return exit_codes.CLOSED_PIPE


def _run(
    argv: Sequence[str] | None, open_tui: TuiOpener | None, serve_web: WebServer | None = None
) -> int:
    parser = build_parser()
    options = parser.parse_args(argv)
    if options.verbose:
        import logging

        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    handler: Callable[[Context], int] = options.handler
    context = Context(
        options, open_tui, sys.argv[1:] if argv is None else argv, serve_web=serve_web
    )
    try:
        if options.config is not None:
            context.config  # noqa: B018 - a file named on the command line is read, or refused, first
        status = handler(context)
        if status == 0 and context.acted_in_setup:
            print(SETUP_NOTE, file=sys.stderr)
        return status
    except KeyboardInterrupt:
        return exit_codes.INTERRUPTED
    except BrokenPipeError:
        raise
    except Exception as error:  # noqa: BLE001 - every failure becomes one clear line
        return _report(error)


def _report(error: Exception) -> int:
    """Say what went wrong in one line; the status is the error's (`exit_codes.exit_code`).
    An error not meant for people goes on up, with its traceback."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    status = exit_codes.exit_code(error)
    if status is None:
        raise error
    if isinstance(error, DBAPIError):
        reason = (
            str(error.orig).strip().splitlines()[0]
            if str(error.orig).strip()
            else type(error.orig).__name__
        )
        if "database is locked" in reason:
            reason += " (another process held it for longer than the 30 s busy timeout)"
        print(f"inbox: the database failed: {reason}", file=sys.stderr)
    elif isinstance(error, SQLAlchemyError):
        print(f"inbox: the database failed: {type(error).__name__}", file=sys.stderr)
    else:
        print(f"inbox: {error}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
