"""InboxService: the one object the TUI and CLI talk to.

It knows who is acting, checks what their role allows, and records every change in the
event log in the same transaction. Reads come back as small frozen records, never live
ORM objects, so a UI can hold them without holding a session.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, literal_column, select, update
from sqlalchemy.sql import column, table

from adapters.registry import adapter_class, platform_names
from inbox import events
from inbox.clock import Clock, utc_now
from inbox.database import write_transaction
from inbox.errors import InvalidInput, NotFound, PermissionDenied
from inbox.models import Account, Agent, Contact, Event, Item, Role, Thread, ThreadStatus

_account = Account.__table__
_agent = Agent.__table__
_thread = Thread.__table__
_item = Item.__table__
_contact = Contact.__table__
_event = Event.__table__
_item_fts = table("item_fts", column("rowid"), column("item_fts"))
"""SQLite's FTS5 index over item text, kept by triggers (see the first migration)."""


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


class Action(enum.StrEnum):
    """Things a person may or may not be allowed to do."""

    MANAGE_ACCOUNTS = "manage accounts"
    MANAGE_PEOPLE = "manage people"
    SYNC = "sync accounts"
    EXPORT = "export data"


_ALLOWED: dict[Action, frozenset[Role]] = {
    Action.MANAGE_ACCOUNTS: frozenset({Role.ADMIN}),
    Action.MANAGE_PEOPLE: frozenset({Role.ADMIN}),
    Action.SYNC: frozenset({Role.AGENT, Role.LEAD, Role.SUPERVISOR, Role.ADMIN}),
    Action.EXPORT: frozenset({Role.LEAD, Role.SUPERVISOR, Role.ADMIN}),
}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting. Before any person exists, a bootstrap admin sets the inbox up."""

    handle: str
    role: Role
    agent_id: int | None


BOOTSTRAP_ACTOR = Actor(handle="setup", role=Role.ADMIN, agent_id=None)


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """A connected account as listed to people."""

    id: int
    platform: str
    handle: str
    display_name: str | None
    base_url: str | None
    enabled: bool
    health: str
    health_detail: str | None
    open_threads: int


@dataclass(frozen=True, slots=True)
class AgentSummary:
    """A person using the inbox, with the open threads they hold."""

    id: int
    handle: str
    name: str
    role: str
    capacity: int
    open_threads: int


@dataclass(frozen=True, slots=True)
class ThreadRow:
    """One line of a thread list."""

    id: int
    account_id: int
    platform: str
    kind: str
    status: str
    priority: str
    author: str | None
    preview: str
    assignee: str | None
    sentiment: float | None
    unread: bool
    item_count: int
    last_activity_at: datetime
    last_inbound_at: datetime | None
    first_response_at: datetime | None
    due_at: datetime | None


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One message of a thread."""

    id: int
    thread_id: int
    direction: str
    author: str | None
    text: str
    created_at: datetime
    url: str | None
    sentiment: float | None


class InboxService:
    """The backend as people use it."""

    def __init__(self, engine: Engine, *, actor: str | None = None, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock
        self.actor = self._resolve_actor(actor)

    def _resolve_actor(self, handle: str | None) -> Actor:
        with self.engine.connect() as connection:
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

    def require(self, action: Action) -> None:
        """Raise PermissionDenied unless the actor's role allows `action`."""
        if self.actor.role not in _ALLOWED[action]:
            allowed = ", ".join(sorted(_ALLOWED[action]))
            raise PermissionDenied(
                f"{self.actor.handle} is {_article(self.actor.role)} {self.actor.role}; "
                f"only {allowed} may {action}"
            )

    def can(self, action: Action) -> bool:
        """Whether the actor's role allows `action`."""
        return self.actor.role in _ALLOWED[action]

    # -- accounts -------------------------------------------------------------------------

    def list_accounts(self) -> list[AccountSummary]:
        """Every connected account, with its health and open thread count."""
        open_threads = (
            select(_thread.c.account_id, func.count().label("open_threads"))
            .where(_thread.c.status != ThreadStatus.CLOSED)
            .group_by(_thread.c.account_id)
            .subquery()
        )
        query = (
            select(_account, func.coalesce(open_threads.c.open_threads, 0).label("open_threads"))
            .outerjoin(open_threads, open_threads.c.account_id == _account.c.id)
            .order_by(_account.c.id)
        )
        with self.engine.connect() as connection:
            return [
                AccountSummary(
                    id=row.id,
                    platform=row.platform,
                    handle=row.handle,
                    display_name=row.display_name,
                    base_url=row.base_url,
                    enabled=row.enabled,
                    health=row.health,
                    health_detail=row.health_detail,
                    open_threads=row.open_threads,
                )
                for row in connection.execute(query)
            ]

    def add_account(
        self,
        platform: str,
        handle: str,
        *,
        display_name: str | None = None,
        base_url: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> int:
        """Connect an account (its secret goes to the keyring separately); returns its id."""
        self.require(Action.MANAGE_ACCOUNTS)
        if platform not in platform_names():
            raise InvalidInput(
                f"unknown platform {platform!r}; known: {', '.join(platform_names())}"
            )
        handle = handle.strip()
        if not handle:
            raise InvalidInput("an account needs a handle")
        now = self.clock()
        with write_transaction(self.engine) as connection:
            exists = connection.execute(
                select(_account.c.id).where(
                    _account.c.platform == platform, _account.c.handle == handle
                )
            ).scalar()
            if exists is not None:
                raise InvalidInput(f"{platform} {handle} is already connected (account {exists})")
            account_id = connection.execute(
                _account.insert().values(
                    platform=platform,
                    handle=handle,
                    display_name=display_name or adapter_class(platform).display_name,
                    base_url=base_url,
                    settings=settings or {},
                    enabled=True,
                    health="ok",
                    created_at=now,
                )
            ).inserted_primary_key[0]
            events.append(
                connection,
                at=now,
                actor=self.actor.handle,
                type=events.ACCOUNT_ADDED,
                payload={"account_id": account_id, "platform": platform, "handle": handle},
            )
        return account_id

    def find_account(self, reference: str) -> AccountSummary:
        """An account by id or handle."""
        for account in self.list_accounts():
            if reference in (str(account.id), account.handle):
                return account
        raise NotFound(f"no account {reference!r} (`inbox accounts list` shows them)")

    def remove_account(self, reference: str, *, purge: bool = False) -> AccountSummary:
        """Stop syncing an account; with `purge`, delete it and everything it brought in."""
        self.require(Action.MANAGE_ACCOUNTS)
        account = self.find_account(reference)
        now = self.clock()
        with write_transaction(self.engine) as connection:
            if purge:
                for table in ("sync_cursor", "sync_lease", "outbound", "scheduled_post"):
                    connection.execute(
                        delete(Account.metadata.tables[table]).where(
                            Account.metadata.tables[table].c.account_id == account.id
                        )
                    )
                threads = select(_thread.c.id).where(_thread.c.account_id == account.id)
                for table in ("thread_tag", "note", "presence"):
                    tab = Account.metadata.tables[table]
                    connection.execute(delete(tab).where(tab.c.thread_id.in_(threads)))
                connection.execute(delete(_item).where(_item.c.account_id == account.id))
                connection.execute(
                    update(_event).where(_event.c.thread_id.in_(threads)).values(thread_id=None)
                )
                connection.execute(delete(_thread).where(_thread.c.account_id == account.id))
                connection.execute(delete(_account).where(_account.c.id == account.id))
            else:
                connection.execute(
                    update(_account).where(_account.c.id == account.id).values(enabled=False)
                )
            events.append(
                connection,
                at=now,
                actor=self.actor.handle,
                type=events.ACCOUNT_REMOVED,
                payload={"account_id": account.id, "purged": purge},
            )
        return account

    # -- people ---------------------------------------------------------------------------

    def list_agents(self) -> list[AgentSummary]:
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
        with self.engine.connect() as connection:
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

    def add_agent(self, handle: str, name: str, role: str = Role.AGENT, capacity: int = 20) -> int:
        """Add a person; returns their id."""
        self.require(Action.MANAGE_PEOPLE)
        if role not in Role.__members__.values():
            raise InvalidInput(f"unknown role {role!r}; roles: {', '.join(Role)}")
        handle = handle.strip().lstrip("@")
        if not handle or not handle.replace("-", "").replace("_", "").isalnum():
            raise InvalidInput("a handle is letters, digits, - and _ only")
        now = self.clock()
        with write_transaction(self.engine) as connection:
            if connection.execute(select(_agent.c.id).where(_agent.c.handle == handle)).scalar():
                raise InvalidInput(f"there is already a person with the handle {handle!r}")
            agent_id = connection.execute(
                _agent.insert().values(
                    handle=handle, name=name, role=role, capacity=capacity, active=True, created_at=now
                )
            ).inserted_primary_key[0]
            events.append(
                connection,
                at=now,
                actor=self.actor.handle,
                type=events.AGENT_ADDED,
                payload={"agent_id": agent_id, "handle": handle, "role": role},
            )
        return agent_id

    # -- threads --------------------------------------------------------------------------

    def _thread_query(self):
        assignee = _agent.alias("assignee")
        return (
            select(
                _thread.c.id,
                _thread.c.account_id,
                _account.c.platform,
                _thread.c.kind,
                _thread.c.status,
                _thread.c.priority,
                _contact.c.handle.label("author"),
                _thread.c.preview,
                assignee.c.handle.label("assignee"),
                _thread.c.sentiment,
                _thread.c.unread,
                _thread.c.item_count,
                _thread.c.last_activity_at,
                _thread.c.last_inbound_at,
                _thread.c.first_response_at,
                _thread.c.due_at,
            )
            .join(_account, _account.c.id == _thread.c.account_id)
            .outerjoin(_contact, _contact.c.id == _thread.c.contact_id)
            .outerjoin(assignee, assignee.c.id == _thread.c.assignee_id)
        )

    def list_threads(
        self,
        *,
        include_closed: bool = False,
        before: tuple[datetime, int] | None = None,
        limit: int = 100,
    ) -> list[ThreadRow]:
        """A page of threads, newest activity first; `before` is the last row's (time, id)."""
        query = self._thread_query()
        if not include_closed:
            query = query.where(_thread.c.status != ThreadStatus.CLOSED)
        if before is not None:
            at, thread_id = before
            query = query.where(
                (_thread.c.last_activity_at < at)
                | ((_thread.c.last_activity_at == at) & (_thread.c.id < thread_id))
            )
        query = query.order_by(_thread.c.last_activity_at.desc(), _thread.c.id.desc()).limit(limit)
        with self.engine.connect() as connection:
            return [ThreadRow(**row._mapping) for row in connection.execute(query)]

    def thread(self, thread_id: int) -> ThreadRow:
        """One thread's list line."""
        with self.engine.connect() as connection:
            row = connection.execute(self._thread_query().where(_thread.c.id == thread_id)).first()
        if row is None:
            raise NotFound(f"no thread {thread_id}")
        return ThreadRow(**row._mapping)

    def thread_items(self, thread_id: int, limit: int = 500) -> list[ItemRow]:
        """The latest `limit` messages of a thread, oldest first."""
        query = (
            select(
                _item.c.id,
                _item.c.thread_id,
                _item.c.direction,
                func.coalesce(_contact.c.handle, _agent.c.handle).label("author"),
                _item.c.text,
                _item.c.created_at,
                _item.c.url,
                _item.c.sentiment,
            )
            .outerjoin(_contact, _contact.c.id == _item.c.contact_id)
            .outerjoin(_agent, _agent.c.id == _item.c.agent_id)
            .where(_item.c.thread_id == thread_id)
            .order_by(_item.c.created_at.desc(), _item.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as connection:
            rows = [ItemRow(**row._mapping) for row in connection.execute(query)]
        return rows[::-1]

    def search(self, text: str, limit: int = 50) -> list[ItemRow]:
        """Messages whose text matches every word of `text`, newest first."""
        words = [word for word in text.split() if word]
        if not words:
            return []
        query = select(
            _item.c.id,
            _item.c.thread_id,
            _item.c.direction,
            _contact.c.handle.label("author"),
            _item.c.text,
            _item.c.created_at,
            _item.c.url,
            _item.c.sentiment,
        ).outerjoin(_contact, _contact.c.id == _item.c.contact_id)
        with self.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                phrase = " ".join('"' + word.replace('"', '""') + '"' for word in words)
                query = query.where(
                    _item.c.id.in_(select(_item_fts.c.rowid).where(_item_fts.c.item_fts.match(phrase)))
                )
            else:
                query = query.where(
                    literal_column("item.text_search").op("@@")(
                        func.plainto_tsquery("simple", " ".join(words))
                    )
                )
            query = query.order_by(_item.c.created_at.desc(), _item.c.id.desc()).limit(limit)
            return [ItemRow(**row._mapping) for row in connection.execute(query)]

    # -- events ---------------------------------------------------------------------------

    def latest_event_id(self) -> int:
        """The id of the newest event (0 when there are none)."""
        with self.engine.connect() as connection:
            return connection.execute(select(func.coalesce(func.max(_event.c.id), 0))).scalar()

    def events_after(self, last_id: int, limit: int = 500) -> Sequence[events.EventRecord]:
        """Events newer than `last_id`, oldest first."""
        with self.engine.connect() as connection:
            return events.after(connection, last_id, limit)

    # -- export ---------------------------------------------------------------------------

    EXPORTABLE = ("threads", "items", "events")

    def export_rows(self, what: str, batch: int = 5_000) -> Iterator[dict[str, Any]]:
        """Every row of `what` (threads, items or events) in id order, read in batches."""
        self.require(Action.EXPORT)
        tables = {"threads": _thread, "items": _item, "events": _event}
        if what not in tables:
            raise InvalidInput(f"cannot export {what!r}; choose one of {', '.join(tables)}")
        table = tables[what]
        columns = [column for column in table.c if column.name != "raw"]
        last_id = 0
        while True:
            with self.engine.connect() as connection:
                rows = connection.execute(
                    select(*columns).where(table.c.id > last_id).order_by(table.c.id).limit(batch)
                ).all()
            if not rows:
                return
            for row in rows:
                yield dict(row._mapping)
            last_id = rows[-1].id
