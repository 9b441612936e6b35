"""`inbox setup`: a first real user's way in, from an empty database to a working inbox.

At a terminal it asks, each question with its default shown: the first admin (handle,
name, and on PostgreSQL a database login of their own), an account to connect (the same
flow as `inbox accounts add`), and the team's SLA policy (time zone, opening hours,
first-response targets); then it says what to run next. Scripts pass the answers as
options with `--yes`. A database that has an admin already is left as it is.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inbox.cli.main import Context


def register(commands: Any) -> None:
    """Add `setup` to the CLI."""
    setup = commands.add_parser(
        "setup",
        help="set up a new inbox: the first admin, an account, the SLA policy",
        description=(
            "Walk through a new inbox: create the first admin, connect an account and set "
            "the team's SLA policy, then say what to run next. At a terminal it asks; with "
            "--yes (or without a terminal) it takes the options and the defaults. A database "
            "that already has an admin is left unchanged."
        ),
    )
    setup.add_argument("--admin", metavar="HANDLE", help="the first admin's handle (yours)")
    setup.add_argument("--name", help="the admin's full name (default: the handle)")
    setup.add_argument(
        "--login",
        nargs="?",
        const="",
        metavar="NAME",
        help="PostgreSQL: give the admin their own database login (default name: the handle)",
    )
    setup.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the login's password from one line of standard input",
    )
    setup.add_argument("--platform", help="connect an account on this platform")
    setup.add_argument("--handle", dest="account_handle", help="the account's handle")
    setup.add_argument(
        "--base-url", help="instance or server address where the platform has several"
    )
    setup.add_argument(
        "--skip-account", action="store_true", help="connect no account now (`inbox accounts add`)"
    )
    setup.add_argument("--timezone", metavar="TZ", help="the team's time zone, e.g. Europe/Berlin")
    setup.add_argument(
        "--hours", metavar="SPANS", help="opening hours Monday to Friday (default: 09:00-17:00)"
    )
    setup.add_argument(
        "--first-response",
        type=int,
        metavar="MINUTES",
        help="business minutes to answer a thread (default: 240)",
    )
    setup.add_argument(
        "--yes", action="store_true", help="ask nothing: take the options and the defaults"
    )
    setup.set_defaults(handler=cmd_setup)


class Questions:
    """Asks at a terminal, re-asking until an answer passes its check; with `asking` off,
    every question takes its given value or default without a word."""

    def __init__(self, asking: bool) -> None:
        self.asking = asking

    def ask(self, question: str, default: str, check: Callable[[str], object] | None = None) -> str:
        """The answer to `question` (the default when left empty), checked by `check`."""
        from inbox.core.errors import InvalidInput

        while True:
            answer = default
            if self.asking:
                shown = f" [{default}]" if default else ""
                try:
                    answer = input(f"{question}{shown}: ").strip() or default
                except EOFError:
                    raise InvalidInput(
                        "setup stopped: no answer; nothing more was changed"
                    ) from None
            try:
                if check is not None:
                    check(answer)
            except InvalidInput as problem:
                if not self.asking:
                    raise
                print(f"  {problem}")
                continue
            return answer

    def confirm(self, question: str, default: bool = True) -> bool:
        """A yes-or-no answer; the default without a terminal."""
        if not self.asking:
            return default
        answer = self.ask(f"{question} ({'Y/n' if default else 'y/N'})", "")
        return default if not answer else answer.lower().startswith("y")


def cmd_setup(context: Context) -> int:
    from inbox.core.errors import InvalidInput
    from inbox.store.identity import admin_exists

    options = context.options
    questions = Questions(asking=not options.yes and sys.stdin.isatty())
    engine = context.engine()
    with engine.connect() as connection:
        if admin_exists(connection):
            from inbox.store.people import list_agents

            admins = [agent.handle for agent in list_agents(connection) if agent.role == "admin"]
            print(
                f"this inbox is set up already: {', '.join(admins) or 'an admin'} "
                f"{'is its admin' if len(admins) == 1 else 'are its admins'}; nothing was "
                "changed (`inbox agents add` adds people, `inbox team sla set` changes the "
                "SLA policy, `inbox accounts add` connects accounts)"
            )
            return 0
    if options.login is not None and engine.dialect.name != "postgresql":
        from inbox.store.identity import LOGINS_NEED_POSTGRESQL

        raise InvalidInput(f"{LOGINS_NEED_POSTGRESQL}; nothing was changed")
    if not questions.asking and not options.admin:
        raise InvalidInput(
            "--admin HANDLE is needed without a terminal (or with --yes): the first admin's "
            "handle; nothing was changed"
        )
    print(f"Setting up a new inbox in {_where(engine)}.")
    handle = _first_admin(context, engine, questions)
    options.actor = handle
    _first_account(context, questions)
    _sla_policy(context, questions)
    print()
    print("The inbox is ready. Next:")
    for command, meaning in (
        (f"inbox tui --as {handle}", "read and answer, in the terminal"),
        ("inbox worker", "poll the accounts and send replies, on the machine whose"),
        ("", "keyring holds the accounts' secrets"),
        ("inbox agents add HANDLE", "add your colleagues (--role agent, lead, supervisor)"),
    ):
        print(f"  {command:<{max(24, len(handle) + 16)}}  {meaning}")
    return 0


def _where(engine: Any) -> str:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return f"the PostgreSQL database {url.database} on {url.host or 'the local server'}"


def _first_admin(context: Context, engine: Any, questions: Questions) -> str:
    from inbox.core.errors import InvalidInput
    from inbox.service import InboxService

    options = context.options

    def valid_handle(answer: str) -> None:
        if not answer.strip().lstrip("@"):
            raise InvalidInput("the admin needs a handle, a short name like ana")

    print()
    print("1. You, the first admin (admins connect accounts and add people).")
    handle = questions.ask("Your handle", options.admin or "", valid_handle).strip().lstrip("@")
    name = questions.ask("Your name", options.name or handle)
    login = password = None
    if engine.dialect.name == "postgresql":
        login, password = _admin_login(context, handle, questions)
    service = InboxService(engine)
    service.add_agent(handle, name, "admin", login=login, password=password)
    named = handle if name == handle else f"{handle} ({name})"
    login_note = f" with the database login {login}" if login else ""
    print(f"added {named} as the admin{login_note}")
    return handle


def _admin_login(
    context: Context, handle: str, questions: Questions
) -> tuple[str | None, str | None]:
    """On PostgreSQL, the admin's own database login and its password, if they want one."""
    from inbox.cli.agents import read_login_password
    from inbox.store.identity import check_login_name

    options = context.options
    wanted = options.login
    if (
        wanted is None
        and questions.asking
        and questions.confirm(
            f"Give {handle} a database login of their own (recommended on a shared database)?"
        )
    ):
        wanted = questions.ask("Login name", handle, check_login_name)
    if wanted is None:
        return None, None
    login = check_login_name(wanted or handle)
    return login, read_login_password(login, from_stdin=options.password_stdin)


def _first_account(context: Context, questions: Questions) -> None:
    from adapters.registry import platform_names
    from inbox.core.errors import InvalidInput

    options = context.options
    print()
    print("2. An account to answer from.")
    known = [name for name in platform_names() if not name.startswith("demo")]
    platform = options.platform
    if platform is None and questions.asking and not options.skip_account:

        def known_platform(answer: str) -> None:
            if answer and answer not in known:
                raise InvalidInput(f"{answer!r} is not a platform here ({', '.join(known)})")

        platform = (
            questions.ask(f"Platform ({', '.join(known)}; empty to skip)", "", known_platform)
            or None
        )
    if options.skip_account or platform is None:
        print("no account connected now; `inbox accounts add PLATFORM HANDLE` connects one")
        return
    handle = options.account_handle or questions.ask(f"The brand's handle on {platform}", "")
    if not handle:
        raise InvalidInput(f"connecting a {platform} account needs its handle (--handle)")
    from inbox.cli.accounts import connect_account

    connect_account(context, platform, handle, base_url=options.base_url)


def _sla_policy(context: Context, questions: Questions) -> None:
    from inbox.core.sla_settings import edit_sla_settings

    options = context.options
    service = context.service()
    current = service.sla_settings()
    settings = current.settings
    print()
    print("3. The team's SLA policy: targets in business minutes, counted in opening hours.")

    def change(assignments: dict[str, str]) -> None:
        nonlocal settings
        settings = edit_sla_settings(settings, assignments)

    def checked(*keys: str) -> Callable[[str], object]:
        return lambda answer: edit_sla_settings(settings, dict.fromkeys(keys, answer))

    timezone = questions.ask(
        "Time zone (like Europe/Berlin)", options.timezone or settings.timezone, checked("timezone")
    )
    change({"timezone": timezone})
    weekdays = ("hours.mon", "hours.tue", "hours.wed", "hours.thu", "hours.fri")
    hours = questions.ask(
        "Opening hours Monday to Friday", options.hours or settings.hours["mon"], checked(*weekdays)
    )
    change(dict.fromkeys(weekdays, hours))
    if questions.asking:
        for day, label in (("sat", "Saturday"), ("sun", "Sunday")):
            change(
                {f"hours.{day}": questions.ask(label, settings.hours[day], checked(f"hours.{day}"))}
            )
    first = questions.ask(
        "First response target",
        str(options.first_response or settings.first_response_minutes),
        checked("first_response_minutes"),
    )
    change({"first_response_minutes": first})
    if questions.asking:
        for key, label in (("kind.dm", "Direct messages"), ("priority.urgent", "Urgent threads")):
            table, _, name = key.partition(".")
            default = str(getattr(settings, table).get(name, ""))
            change({key: questions.ask(f"{label} target", default, checked(key))})
    saved = service.set_sla_settings(settings, current.version)
    print(
        f"saved the SLA policy (version {saved.version}): {settings.timezone}, "
        f"Mon-Fri {settings.hours['mon']}, first response within "
        f"{settings.first_response_minutes} business minutes (`inbox team sla show` lists it)"
    )
