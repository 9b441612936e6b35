"""The people using the inbox: listing and adding them, and finding one by handle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from inbox import events
from inbox.core.access import BOOTSTRAP_ACTOR, Actor
from inbox.core.errors import Conflict, InvalidInput, NotFound
from inbox.core.models import Agent, Role, Thread, ThreadStatus

_agent = Agent.__table__
_thread = Thread.__table__


@dataclass(frozen=True, slots=True)
class AgentSummary:
    """A person using the inbox, with the open threads they hold."""

    id: int
    handle: str
    name: str
    role: str
    capacity: int
    open_threads: int


def resolve_actor(connection: Connection, handle: str | None) -> Actor:
    """Who is acting, by handle; before anyone exists, the bootstrap admin."""
    if handle is None:
        if connection.execute(select(func.count()).select_from(_agent)).scalar():
            raise InvalidInput(
                "who are you? pass --as HANDLE or set identity in the config "
                "(`inbox agents list` shows the handles)"
            )
        return BOOTSTRAP_ACTOR
    row = connection.execute(
        select(_agent.c.id, _agent.c.handle, _agent.c.role).where(_agent.c.handle == handle)
    ).first()
    if row is None:
        if not connection.execute(select(func.count()).select_from(_agent)).scalar():
            return BOOTSTRAP_ACTOR
        raise NotFound(f"no person with the handle {handle!r} (`inbox agents list`)")
    return Actor(handle=row.handle, role=Role(row.role), agent_id=row.id)


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


def list_agents(connection: Connection) -> list[AgentSummary]:
    """Every person, with the number of open threads assigned to them."""
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
    return [
        AgentSummary(
            id=row.id,
            handle=row.handle,
            name=row.name,
            role=row.role,
            capacity=row.capacity,
            open_threads=row.open_threads,
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
) -> int:
    """Add a person; returns their id. InvalidInput for an unknown role, a bad or taken handle."""
    if role not in Role.__members__.values():
        raise InvalidInput(f"unknown role {role!r}; roles: {', '.join(Role)}")
    handle = handle.strip().lstrip("@")
    if not handle or not handle.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput("a handle is letters, digits, - and _ only")
    if connection.execute(select(_agent.c.id).where(_agent.c.handle == handle)).scalar():
        raise Conflict(f"there is already a person with the handle {handle!r}")
    agent_id = connection.execute(
        _agent.insert().values(
            handle=handle, name=name, role=role, capacity=capacity, active=True, created_at=now
        )
    ).inserted_primary_key[0]
    events.record(
        connection,
        events.AgentAdded(agent_id=agent_id, handle=handle, role=role),
        at=now,
        actor=actor.handle,
    )
    return agent_id
