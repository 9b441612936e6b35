"""Which threads the stats count and how they are grouped: filters, scope, group keys, labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, or_, select

from inbox.core.errors import InvalidInput
from inbox.core.models import Account, Agent, Incident, Item, Thread, ThreadTag
from inbox.stats.figures import StatsFilter

DIMENSIONS = ("agent", "account", "platform", "kind", "tag", "priority", "incident")
"""What `by` may group by."""

_thread = Thread.__table__
_item = Item.__table__
_account = Account.__table__
_agent = Agent.__table__
_tag = ThreadTag.__table__
_incident = Incident.__table__
_NOBODY = "(nobody)"
_UNTAGGED = "(untagged)"
_NONE = "(none)"
_reply = _item.alias("first_reply")


def first_responder_column() -> Any:
    """SQL for the person who sent a thread's first response (NULL when unknown)."""
    reply = _reply
    return (
        select(reply.c.agent_id)
        .where(
            reply.c.thread_id == _thread.c.id,
            reply.c.direction == "out",
            reply.c.created_at == _thread.c.first_response_at,
        )
        .limit(1)
        .correlate(_thread)
        .scalar_subquery()
    )


def handler_column() -> Any:
    """SQL for who a thread belongs to: its first responder, else its assignee."""
    return func.coalesce(first_responder_column(), _thread.c.assignee_id)


@dataclass(slots=True)
class Lookups:
    """The small tables, read once: accounts, people, incidents."""

    platform_of: dict[int, str]
    account_label: dict[int, str]
    agent_handle: dict[int, str]
    agent_id: dict[str, int]
    incident_title: dict[int, str]


def read_lookups(connection: Connection) -> Lookups:
    """The accounts, people and incidents, for filtering by name and labelling groups."""
    accounts = connection.execute(
        select(_account.c.id, _account.c.platform, _account.c.handle)
    ).all()
    agents = connection.execute(select(_agent.c.id, _agent.c.handle)).all()
    incidents = connection.execute(select(_incident.c.id, _incident.c.title)).all()
    return Lookups(
        platform_of={row.id: row.platform for row in accounts},
        account_label={row.id: f"{row.platform} {row.handle}" for row in accounts},
        agent_handle={row.id: row.handle for row in agents},
        agent_id={row.handle: row.id for row in agents},
        incident_title={row.id: f"#{row.id} {row.title}" for row in incidents},
    )


def thread_conditions(
    lookups: Lookups, filters: StatsFilter, scope_agents: tuple[int, ...] | None
) -> list[Any]:
    """WHERE clauses on `thread` for the filters and the actor's scope."""
    conditions: list[Any] = []
    account_ids: set[int] | None = None
    if filters.accounts:
        wanted = set(filters.accounts)
        account_ids = {
            account_id
            for account_id, label in lookups.account_label.items()
            if str(account_id) in wanted or label.split(" ", 1)[1] in wanted
        }
    if filters.platforms:
        by_platform = {
            account_id
            for account_id, platform in lookups.platform_of.items()
            if platform in filters.platforms
        }
        account_ids = by_platform if account_ids is None else account_ids & by_platform
    if account_ids is not None:
        conditions.append(_thread.c.account_id.in_(sorted(account_ids)))
    if filters.kinds:
        conditions.append(_thread.c.kind.in_(filters.kinds))
    if filters.priorities:
        conditions.append(_thread.c.priority.in_(filters.priorities))
    if filters.incidents:
        conditions.append(_thread.c.incident_id.in_(filters.incidents))
    if filters.tags:
        conditions.append(
            _thread.c.id.in_(select(_tag.c.thread_id).where(_tag.c.tag.in_(filters.tags)))
        )
    if filters.agents:
        unknown = [handle for handle in filters.agents if handle not in lookups.agent_id]
        if unknown:
            raise InvalidInput(f"no person with the handle {unknown[0]!r} (`inbox agents list`)")
        conditions.append(
            handler_column().in_([lookups.agent_id[handle] for handle in filters.agents])
        )
    if scope_agents is not None:
        conditions.append(
            or_(_thread.c.assignee_id.in_(scope_agents), first_responder_column().in_(scope_agents))
        )
    return conditions


def group_column(dimension: str | None) -> Any:
    """SQL for a row's group key under `dimension`, over `thread` (and `thread_tag` for tags)."""
    if dimension == "agent":
        return handler_column()
    columns = {
        None: None,
        "account": _thread.c.account_id,
        "platform": _thread.c.account_id,
        "kind": _thread.c.kind,
        "priority": _thread.c.priority,
        "incident": _thread.c.incident_id,
        "tag": _tag.c.tag,
    }
    if dimension not in columns:
        raise InvalidInput(f"cannot group by {dimension!r}; choose one of {', '.join(DIMENSIONS)}")
    return columns[dimension]


def with_tags(query: Any, dimension: str | None) -> Any:
    """`query` with thread tags joined when grouping by tag (a thread counts once per tag)."""
    if dimension == "tag":
        return query.outerjoin(_tag, _tag.c.thread_id == _thread.c.id)
    return query


def group_label(dimension: str | None, key: Any, lookups: Lookups) -> str:
    """How a group key under `dimension` is shown ("all" when not grouped)."""
    if dimension is None:
        return "all"
    if dimension == "agent":
        return lookups.agent_handle.get(key, _NOBODY)
    if dimension == "platform":
        return lookups.platform_of.get(key, _NONE)
    if dimension == "account":
        return lookups.account_label.get(key, _NONE)
    if dimension == "incident":
        return lookups.incident_title.get(key, _NONE)
    if dimension == "tag":
        return _UNTAGGED if key is None else str(key)
    return _NONE if key is None else str(key)
