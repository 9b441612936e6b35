"""Who is acting: a person by handle, by their PostgreSQL login, or the setup admin.

On SQLite the file is the boundary: whoever can open it may say who they are (`--as`).
On PostgreSQL each person may have a login of their own (`agent.db_login`); connected
with it, they are that person and nobody else, and the database stamps their handle on
every event they write (migration 0007's trigger). A login that is no person's (the
owner, the worker) keeps today's rules. Until an active admin exists, a command run
without a person's login acts as the setup admin, so a team can always be set up.

The functions at the bottom create and change those logins (PostgreSQL only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, func, select, text

from inbox.core.access import BOOTSTRAP_ACTOR, Action, Actor
from inbox.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from inbox.core.models import Agent, Role

_agent = Agent.__table__

WHO_ARE_YOU = (
    "who are you? pass --as HANDLE or set identity in the config "
    "(`inbox agents list` shows the handles)"
)

LOGIN_PATTERN = re.compile(r"[a-z_][a-z0-9_]{0,62}")
"""A login the inbox creates: a lower-case PostgreSQL identifier that needs no quoting."""

GROUP_ROLES: dict[str, str] = {role.value: f"inbox_{role.value}" for role in Role}
"""The PostgreSQL group role each inbox role's logins belong to (created by migration 0007)."""


@dataclass(frozen=True, slots=True)
class Unidentified(Actor):
    """Nobody in particular, for reads that need no identity: every action is refused."""

    def can(self, action: Action) -> bool:
        """Nothing is allowed."""
        return False

    def require(self, action: Action) -> None:
        """Always refuse, asking who they are."""
        raise InvalidInput(WHO_ARE_YOU)


UNIDENTIFIED = Unidentified(handle="nobody", role=Role.SUPERVISOR, agent_id=None)


def resolve_actor(connection: Connection, handle: str | None, *, required: bool = True) -> Actor:
    """Who is acting: the person whose login this is, else `handle`, else the setup admin.

    Without `required`, no identity where one is needed gives `UNIDENTIFIED` instead of
    asking who they are.
    """
    login = session_login(connection)
    if login is not None:
        person = connection.execute(
            select(_agent.c.id, _agent.c.handle, _agent.c.role, _agent.c.active).where(
                _agent.c.db_login == login
            )
        ).first()
        if person is not None:
            return _login_actor(login, person, handle)
    if handle is not None:
        wanted = handle.strip().lstrip("@")
        person = connection.execute(
            select(_agent.c.id, _agent.c.handle, _agent.c.role, _agent.c.active).where(
                _agent.c.handle == wanted
            )
        ).first()
        if person is not None:
            if not person.active:
                raise PermissionDenied(_removed(person.handle))
            return Actor(handle=person.handle, role=Role(person.role), agent_id=person.id)
    if not admin_exists(connection):
        return BOOTSTRAP_ACTOR
    if handle is not None:
        raise NotFound(f"no person with the handle {handle!r} (`inbox agents list`)")
    if required:
        raise InvalidInput(WHO_ARE_YOU)
    return UNIDENTIFIED


def _login_actor(login: str, person, handle: str | None) -> Actor:
    if not person.active:
        raise PermissionDenied(
            f"you are connected as login {login}, which is {person.handle}; "
            + _removed(person.handle)
        )
    if handle is not None and handle.strip().lstrip("@").lower() != person.handle.lower():
        raise PermissionDenied(
            f"you are connected as login {login}, which is {person.handle}; "
            f"you cannot act as {handle.strip()}"
        )
    return Actor(handle=person.handle, role=Role(person.role), agent_id=person.id)


def _removed(handle: str) -> str:
    return f"{handle} was removed from the inbox and can no longer act"


def admin_exists(connection: Connection) -> bool:
    """Whether an active admin exists; until one does, setup runs as the setup admin."""
    admins = select(func.count()).where(_agent.c.role == Role.ADMIN, _agent.c.active.is_(True))
    return bool(connection.execute(admins).scalar())


def login_person(connection: Connection) -> str | None:
    """The handle of the person whose own login this connection uses; None for a login that
    is no person's (the owner, a worker's) and on SQLite."""
    login = session_login(connection)
    if login is None:
        return None
    return connection.execute(select(_agent.c.handle).where(_agent.c.db_login == login)).scalar()


def session_login(connection: Connection) -> str | None:
    """The PostgreSQL login this connection was opened with; None on SQLite."""
    if connection.dialect.name != "postgresql":
        return None
    return connection.execute(text("SELECT session_user")).scalar()


# -- PostgreSQL logins --------------------------------------------------------------------


def check_login_name(login: str) -> str:
    """`login` if the inbox can create it as is; InvalidInput saying what a login may be."""
    if not LOGIN_PATTERN.fullmatch(login):
        raise InvalidInput(
            f"{login!r} cannot be a database login: use lower-case letters, digits and _, "
            "starting with a letter or _, at most 63 characters (--login NAME)"
        )
    return login


LOGINS_NEED_POSTGRESQL = (
    "--login needs a PostgreSQL database; on SQLite the file is the boundary "
    "(README, 'Who you are')"
)
"""Why `--login` is refused on SQLite, said the same by every command that takes it."""


def require_postgresql(connection: Connection) -> None:
    """InvalidInput unless the database is PostgreSQL, where people have logins."""
    if connection.dialect.name != "postgresql":
        raise InvalidInput(LOGINS_NEED_POSTGRESQL)


def create_login(connection: Connection, login: str, password: str, role: str) -> None:
    """Create the PostgreSQL login `login` in the group role of `role`, in this transaction.

    The password is hashed here (SCRAM-SHA-256, as psql's \\password does), so neither
    the statement nor the server's log holds it.
    """
    from psycopg import sql

    require_postgresql(connection)
    check_login_name(login)
    if not password:
        raise InvalidInput("a database login needs a password")
    exists = connection.execute(
        text("SELECT 1 FROM pg_roles WHERE rolname = :login"), {"login": login}
    ).first()
    if exists:
        raise Conflict(f"there is already a database login {login!r}")
    raw = connection.connection.driver_connection
    verifier = raw.pgconn.encrypt_password(password.encode(), login.encode(), b"scram-sha-256")
    _run(
        connection,
        sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
            sql.Identifier(login), sql.Literal(verifier.decode())
        ),
        "create logins",
    )
    _join_group(connection, login, role)


def change_login_role(connection: Connection, login: str, before: str, after: str) -> None:
    """Move `login` from the group role of `before` to that of `after`.

    An admin's login is a member of every group (so it can grant them); leaving admin, it
    leaves them all, or a demoted admin would keep a lead's writes in the database.
    """
    from psycopg import sql

    groups = GROUP_ROLES.values() if before == Role.ADMIN else [GROUP_ROLES[before]]
    _run(
        connection,
        sql.SQL("REVOKE {} FROM {}").format(
            sql.SQL(", ").join(sql.Identifier(group) for group in groups), sql.Identifier(login)
        ),
        "change logins",
    )
    if before == Role.ADMIN:
        _run(
            connection,
            sql.SQL("ALTER ROLE {} NOCREATEROLE").format(sql.Identifier(login)),
            "change logins",
        )
    _join_group(connection, login, after)


def disable_login(connection: Connection, login: str) -> None:
    """Stop `login` from connecting again (ALTER ROLE ... NOLOGIN); its history stays."""
    from psycopg import sql

    _run(
        connection,
        sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(login)),
        "change logins",
    )


def _join_group(connection: Connection, login: str, role: str) -> None:
    """Make `login` a member of its role's group; an admin's login may manage logins too."""
    from psycopg import sql

    group = sql.Identifier(GROUP_ROLES[role])
    _run(connection, sql.SQL("GRANT {} TO {}").format(group, sql.Identifier(login)), "add logins")
    if role == Role.ADMIN:
        groups = sql.SQL(", ").join(sql.Identifier(name) for name in GROUP_ROLES.values())
        _run(
            connection,
            sql.SQL("ALTER ROLE {} CREATEROLE").format(sql.Identifier(login)),
            "add logins",
        )
        _run(
            connection,
            sql.SQL("GRANT {} TO {} WITH ADMIN OPTION").format(groups, sql.Identifier(login)),
            "add logins",
        )


def _run(connection: Connection, statement, doing: str) -> None:
    """Run a composed statement on this transaction's connection, never logging it."""
    import psycopg

    with connection.connection.cursor() as cursor:
        try:
            cursor.execute(statement)
        except psycopg.errors.InsufficientPrivilege:
            raise PermissionDenied(
                f"the database login {cursor.connection.info.user} may not {doing}: connect as "
                "the database's owner or an admin's login (which has CREATEROLE)"
            ) from None
