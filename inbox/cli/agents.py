"""`inbox agents`: the people using the inbox, their roles and their database logins."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from inbox.cli import with_change_format, with_format

if TYPE_CHECKING:
    from inbox.cli.main import Context

ROLES = ("agent", "lead", "supervisor", "admin")


def cmd_agents_list(context: Context) -> int:
    """List the people; no identity needed, `--all` adds the removed."""
    from inbox.cli.main import emit

    include_removed = context.options.all
    agents = context.service(create=False, identity_required=False).list_agents(
        include_removed=include_removed
    )
    columns = ["handle", "name", "role", "open_threads", "capacity"]
    if include_removed:
        columns += ["active", "login"]
    rows = [
        {
            "handle": agent.handle,
            "name": agent.name,
            "role": agent.role,
            "open_threads": agent.open_threads,
            "capacity": agent.capacity,
            **(
                {"active": "yes" if agent.active else "removed", "login": agent.db_login}
                if include_removed
                else {}
            ),
        }
        for agent in agents
    ]
    emit(
        rows,
        columns,
        context.options.format,
        empty="nobody yet (`inbox agents add HANDLE --role admin` adds the first person)",
    )
    if not rows:
        context.note_database()
    return 0


def cmd_agents_add(context: Context) -> int:
    """Add a person, and on PostgreSQL with `--login` their database login."""
    from inbox.cli.main import emit_change
    from inbox.core.errors import InvalidInput

    options = context.options
    login = None
    password = None
    if options.login is not None:
        from inbox.store.identity import LOGINS_NEED_POSTGRESQL, check_login_name

        if not context.database_url().startswith("postgresql"):
            raise InvalidInput(LOGINS_NEED_POSTGRESQL)
        login = check_login_name(options.login or options.handle.strip().lstrip("@"))
    service = context.service()
    if login is not None:
        from inbox.core.access import Action

        service.require(Action.MANAGE_PEOPLE)
        password = read_login_password(login, from_stdin=options.password_stdin)
    agent_id = service.add_agent(
        options.handle,
        options.name or options.handle,
        options.role,
        options.capacity,
        login=login,
        password=password,
    )
    sentence = f"added {options.handle} ({options.role})"
    if login is not None:
        sentence += f" with the database login {login}"
    if options.role == "admin" and context.acted_in_setup:
        context.acted_in_setup = False
        sentence += "; setup mode is over: from now on say who you are (--as HANDLE)"
    emit_change(
        context,
        sentence,
        {
            "id": agent_id,
            "handle": options.handle,
            "name": options.name or options.handle,
            "role": options.role,
            "capacity": options.capacity,
            "login": login,
        },
    )
    return 0


def read_login_password(login: str, *, from_stdin: bool) -> str:
    """The new login's password: one line of standard input, or typed twice unseen."""
    import getpass

    from inbox.core.errors import InvalidInput

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"password for the database login {login}: ")
        if password and getpass.getpass("the same password again: ") != password:
            raise InvalidInput("the two passwords differ; nothing was changed")
    if not password:
        raise InvalidInput("a database login needs a password; nothing was changed")
    return password


def cmd_agents_remove(context: Context) -> int:
    """Remove a person: their open threads go back, their login stops."""
    from inbox.cli.main import emit_change
    from inbox.core.plurals import counted

    removed = context.service().remove_agent(context.options.handle)
    released = counted(len(removed.released_thread_ids), "open thread")
    sentence = f"removed {removed.handle}; {released} back to unassigned"
    if removed.db_login:
        sentence += f"; the database login {removed.db_login} can no longer connect"
    emit_change(
        context,
        sentence,
        {
            "handle": removed.handle,
            "active": False,
            "released_threads": list(removed.released_thread_ids),
            "login_disabled": removed.db_login,
        },
    )
    return 0


def cmd_agents_set_role(context: Context) -> int:
    """Give a person another role (their login follows)."""
    from inbox.cli.main import emit_change

    options = context.options
    changed = context.service().set_agent_role(options.handle, options.role)
    sentence = (
        f"{changed.handle} is now {_article(options.role)} {options.role} (was {changed.role})"
    )
    if changed.released_thread_ids:
        from inbox.core.plurals import counted

        released = counted(len(changed.released_thread_ids), "open thread")
        sentence += f"; {released} back to unassigned"
    emit_change(
        context,
        sentence,
        {
            "handle": changed.handle,
            "role": options.role,
            "previous_role": changed.role,
            "released_threads": list(changed.released_thread_ids),
        },
    )
    return 0


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def register(commands: argparse._SubParsersAction) -> None:
    """Add `agents list|add|remove|set-role`."""
    agents = commands.add_parser("agents", help="the people using the inbox").add_subparsers(
        dest="agents_command", metavar="ACTION", required=True
    )
    listing = agents.add_parser(
        "list",
        help="list people, their roles and open threads (needs no identity)",
        description="List the people using the inbox. Anyone who can open the database may.",
    )
    listing.add_argument(
        "--all", action="store_true", help="the removed people too, with their logins"
    )
    with_format(listing)
    listing.set_defaults(handler=cmd_agents_list)

    add = agents.add_parser(
        "add",
        help="add a person",
        description="Add a person (admins; before any admin exists, the setup admin). On "
        "PostgreSQL, --login creates their own database login: connected with it, they are "
        "that person and nobody else.",
    )
    add.add_argument("handle")
    add.add_argument("--name", help="full name (default: the handle)")
    add.add_argument("--role", choices=ROLES, default="agent")
    add.add_argument(
        "--capacity", type=int, default=20, help="open threads they can hold (default: 20)"
    )
    add.add_argument(
        "--login",
        nargs="?",
        const="",
        metavar="LOGIN",
        help="PostgreSQL: create their database login (default name: the handle); the "
        "password is asked twice, unseen",
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the login's password from the first line of standard input",
    )
    with_change_format(add)
    add.set_defaults(handler=cmd_agents_add)

    remove = agents.add_parser(
        "remove",
        help="remove a person (their open threads go back to unassigned)",
        description="Remove a person (admins): they can no longer act or connect, their open "
        "threads go back to unassigned, and their name stays on everything they did. The last "
        "admin cannot be removed.",
    )
    remove.add_argument("handle")
    with_change_format(remove)
    remove.set_defaults(handler=cmd_agents_remove)

    set_role = agents.add_parser(
        "set-role",
        help="give a person another role",
        description="Give a person another role (admins); on PostgreSQL their login moves "
        "with it. The last admin cannot be demoted; a new supervisor's open threads go back "
        "to unassigned.",
    )
    set_role.add_argument("handle")
    set_role.add_argument("role", choices=ROLES)
    with_change_format(set_role)
    set_role.set_defaults(handler=cmd_agents_set_role)
