"""The people using the inbox: listing, adding, removing them and changing their role.

Who is acting (by handle, login or as the setup admin) is `inbox.store.identity`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select, update

from inbox import events
from inbox.core.access import ASSIGNABLE_ROLES, Actor
from inbox.core.errors import Conflict, InvalidInput, NotFound
from inbox.core.models import Agent, Presence, ReplyDraft, Role, Thread, ThreadStatus

_agent = Agent.__table__
_thread = Thread.__table__
_presence = Presence.__table__
_draft = ReplyDraft.__table__


@dataclass(frozen=True, slots=True)
class AgentSummary:
    """A person using the inbox, with the open threads they hold."""

    id: int
    handle: str
    name: str
    role: str
    capacity: int
    open_threads: int
    active: bool = True
    """False once removed: they can no longer act, and their name stays in the history."""
    db_login: str | None = None
    """Their PostgreSQL login, if they have one."""


def agent_id_of(connection: Connection, handle: str) -> int:
    """A person's id by handle (an @ in front is fine); InvalidInput names the handles there are."""
    wanted = handle.strip().lstrip("@")
    people = dict(connection.execute(select(_agent.c.handle, _agent.c.id)).all())
    for known, agent_id in people.items():
        if known.lower() == wanted.lower():
            return agent_id
    raise InvalidInput(
        f"no person with the handle {wanted!r}; handles: {', '.join(sorted(people))}"
    )


def agent_name(connection: Connection, agent_id: int | None) -> str | None:
    """A person's name by id, or None for nobody."""
    return connection.execute(select(_agent.c.name).where(_agent.c.id == agent_id)).scalar()


def agent_handle(connection: Connection, agent_id: int | None) -> str | None:
    """A person's handle by id, or None for nobody."""
    return connection.execute(select(_agent.c.handle).where(_agent.c.id == agent_id)).scalar()


def list_agents(connection: Connection, *, include_removed: bool = False) -> list[AgentSummary]:
    """Every active person (with `include_removed`, the removed too) and their open threads."""
    load = (
        select(_thread.c.assignee_id, func.count().label("open_threads"))
        .where(_thread.c.status != ThreadStatus.CLOSED, _thread.c.assignee_id.is_not(None))
        .group_by(_thread.c.assignee_id)
        .subquery()
    )
    query = (
        select(_agent, func.coalesce(load.c.open_threads, 0).label("open_threads"))
        .outerjoin(load, load.c.assignee_id == _agent.c.id)
        .order_by(_agent.c.handle)
    )
    if not include_removed:
        query = query.where(_agent.c.active.is_(True))
    return [
        AgentSummary(
            id=row.id,
            handle=row.handle,
            name=row.name,
            role=row.role,
            capacity=row.capacity,
            open_threads=row.open_threads,
            active=row.active,
            db_login=row.db_login,
        )
        for row in connection.execute(query)
    ]


def add_agent(
    connection: Connection,
    handle: str,
    name: str,
    role: str,
    capacity: int,
    *,
    actor: Actor,
    now: datetime,
    db_login: str | None = None,
) -> int:
    """Add a person; returns their id. InvalidInput for an unknown role, a bad or taken handle."""
    _check_role(role)
    handle = handle.strip().lstrip("@")
    if not handle or not handle.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput("a handle is letters, digits, - and _ only")
    if connection.execute(select(_agent.c.id).where(_agent.c.handle == handle)).scalar():
        raise Conflict(f"there is already a person with the handle {handle!r}")
    if (
        db_login is not None
        and connection.execute(select(_agent.c.handle).where(_agent.c.db_login == db_login)).first()
    ):
        raise Conflict(f"the database login {db_login!r} is someone else's already")
    agent_id = connection.execute(
        _agent.insert().values(
            handle=handle,
            name=name,
            role=role,
            capacity=capacity,
            active=True,
            created_at=now,
            db_login=db_login,
        )
    ).inserted_primary_key[0]
    events.record(
        connection,
        events.AgentAdded(agent_id=agent_id, handle=handle, role=role),
        at=now,
        actor=actor.handle,
    )
    return agent_id


@dataclass(frozen=True, slots=True)
class PersonChanged:
    """A person as they were before a removal or a role change, and what it released."""

    agent_id: int
    handle: str
    role: str
    db_login: str | None
    released_thread_ids: tuple[int, ...]
    """Their open threads that went back to unassigned."""


def remove_agent(
    connection: Connection, handle: str, *, actor: Actor, now: datetime
) -> PersonChanged:
    """Deactivate a person: their open threads go back to unassigned (an event each), their
    presence and kept drafts go; their name stays on everything they did.

    Conflict for the last admin, or someone already removed.
    """
    person = _person(connection, handle)
    if not person.active:
        raise Conflict(f"{person.handle} was removed already")
    if person.role == Role.ADMIN:
        _refuse_losing_the_last_admin(connection, person.handle, "remove them")
    released = _release_threads(
        connection, person, f"{person.handle} was removed", actor=actor, now=now
    )
    connection.execute(_presence.delete().where(_presence.c.agent_id == person.id))
    connection.execute(_draft.delete().where(_draft.c.agent_id == person.id))
    connection.execute(update(_agent).where(_agent.c.id == person.id).values(active=False))
    events.record(
        connection,
        events.AgentRemoved(
            agent_id=person.id, handle=person.handle, released_threads=len(released)
        ),
        at=now,
        actor=actor.handle,
    )
    return PersonChanged(person.id, person.handle, person.role, person.db_login, released)


def set_role(
    connection: Connection, handle: str, role: str, *, actor: Actor, now: datetime
) -> PersonChanged:
    """Give a person another role; a new supervisor's open threads go back to unassigned.

    Conflict for the role they have, or for demoting the last admin.
    """
    _check_role(role)
    person = _person(connection, handle)
    if not person.active:
        raise Conflict(f"{person.handle} was removed; removed people have no role to change")
    if person.role == role:
        raise Conflict(f"{person.handle} is already {_article(role)} {role}")
    if person.role == Role.ADMIN:
        _refuse_losing_the_last_admin(connection, person.handle, "make them " + role)
    released: tuple[int, ...] = ()
    if role not in ASSIGNABLE_ROLES:
        reason = f"{person.handle} became {_article(role)} {role}"
        released = _release_threads(connection, person, reason, actor=actor, now=now)
    connection.execute(update(_agent).where(_agent.c.id == person.id).values(role=role))
    events.record(
        connection,
        events.AgentRoleChanged(
            agent_id=person.id, handle=person.handle, before=person.role, after=role
        ),
        at=now,
        actor=actor.handle,
    )
    return PersonChanged(person.id, person.handle, person.role, person.db_login, released)


def _check_role(role: str) -> None:
    if role not in Role.__members__.values():
        raise InvalidInput(f"unknown role {role!r}; roles: {', '.join(Role)}")


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _person(connection: Connection, handle: str):
    """The agent row of `handle` (an @ in front is fine), locked for the transaction."""
    wanted = handle.strip().lstrip("@")
    row = connection.execute(
        select(_agent).where(_agent.c.handle == wanted).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"no person with the handle {wanted!r} (`inbox agents list --all`)")
    return row


def _refuse_losing_the_last_admin(connection: Connection, handle: str, doing: str) -> None:
    """Conflict when `handle` is the only active admin: without one, anyone could set up."""
    admins = connection.execute(
        select(_agent.c.id)
        .where(_agent.c.role == Role.ADMIN, _agent.c.active.is_(True))
        .with_for_update()
    ).all()
    if len(admins) <= 1:
        raise Conflict(
            f"{handle} is the last admin; cannot {doing}. Make someone else admin first "
            "(`inbox agents set-role HANDLE admin`)"
        )


def _release_threads(
    connection: Connection, person, reason: str, *, actor: Actor, now: datetime
) -> tuple[int, ...]:
    """Unassign the person's open threads, each with a ThreadAssigned event giving `reason`."""
    thread_ids = tuple(
        connection.execute(
            select(_thread.c.id)
            .where(_thread.c.assignee_id == person.id, _thread.c.status != ThreadStatus.CLOSED)
            .order_by(_thread.c.id)
            .with_for_update()
        ).scalars()
    )
    if not thread_ids:
        return ()
    connection.execute(
        update(_thread)
        .where(_thread.c.id.in_(thread_ids))
        .values(assignee_id=None, version=_thread.c.version + 1)
    )
    events.record_many(
        connection,
        (
            events.row(
                events.ThreadAssigned(before=person.handle, after=None, reason=reason),
                at=now,
                actor=actor.handle,
                thread_id=thread_id,
            )
            for thread_id in thread_ids
        ),
    )
    return thread_ids
