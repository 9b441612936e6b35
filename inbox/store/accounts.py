"""The connected accounts: listing, adding, finding and removing them (with all they brought in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, literal_column, select, update

from adapters.registry import adapter_class, platform_names
from inbox import events
from inbox.core.errors import Conflict, InvalidInput, NotFound
from inbox.core.models import Account, Event, Item, Thread

if TYPE_CHECKING:
    from inbox.core.access import Actor

_account = Account.__table__
_thread = Thread.__table__
_item = Item.__table__
_event = Event.__table__


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


def list_accounts(connection: Connection) -> list[AccountSummary]:
    """Every connected account, with its health and open thread count."""
    open_threads = (
        select(_thread.c.account_id, func.count().label("open_threads"))
        .where(
            _thread.c.status != literal_column("'closed'")
        )  # a literal, so the partial index serves it
        .group_by(_thread.c.account_id)
        .subquery()
    )
    query = (
        select(_account, func.coalesce(open_threads.c.open_threads, 0).label("open_threads"))
        .outerjoin(open_threads, open_threads.c.account_id == _account.c.id)
        .order_by(_account.c.id)
    )
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


def find_account(connection: Connection, reference: str) -> AccountSummary:
    """An account by id or handle."""
    for account in list_accounts(connection):
        if reference in (str(account.id), account.handle):
            return account
    raise NotFound(f"no account {reference!r} (`inbox accounts list` shows them)")


def add_account(
    connection: Connection,
    platform: str,
    handle: str,
    *,
    display_name: str | None,
    base_url: str | None,
    settings: dict[str, Any] | None,
    actor: Actor,
    now: datetime,
) -> int:
    """Connect an account (its secret goes to the keyring separately); returns its id."""
    if platform not in platform_names():
        raise InvalidInput(f"unknown platform {platform!r}; known: {', '.join(platform_names())}")
    handle = handle.strip()
    if not handle:
        raise InvalidInput("an account needs a handle")
    exists = connection.execute(
        select(_account.c.id).where(_account.c.platform == platform, _account.c.handle == handle)
    ).scalar()
    if exists is not None:
        raise Conflict(f"{platform} {handle} is already connected (account {exists})")
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
    events.record(
        connection,
        events.AccountAdded(account_id=account_id, platform=platform, handle=handle),
        at=now,
        actor=actor.handle,
    )
    return account_id


def remove_account(
    connection: Connection, account_id: int, *, purge: bool, actor: Actor, now: datetime
) -> None:
    """Stop syncing an account; with `purge`, delete it and everything it brought in."""
    if purge:
        for table in ("sync_cursor", "sync_lease", "outbound", "scheduled_post"):
            connection.execute(
                delete(Account.metadata.tables[table]).where(
                    Account.metadata.tables[table].c.account_id == account_id
                )
            )
        threads = select(_thread.c.id).where(_thread.c.account_id == account_id)
        for table in ("thread_tag", "note", "presence"):
            tab = Account.metadata.tables[table]
            connection.execute(delete(tab).where(tab.c.thread_id.in_(threads)))
        connection.execute(delete(_item).where(_item.c.account_id == account_id))
        connection.execute(
            update(_event).where(_event.c.thread_id.in_(threads)).values(thread_id=None)
        )
        connection.execute(delete(_thread).where(_thread.c.account_id == account_id))
        connection.execute(delete(_account).where(_account.c.id == account_id))
    else:
        connection.execute(
            update(_account).where(_account.c.id == account_id).values(enabled=False)
        )
    events.record(
        connection,
        events.AccountRemoved(account_id=account_id, purged=purge),
        at=now,
        actor=actor.handle,
    )


def save_text_limit(connection: Connection, account_id: int, text_limit: int) -> bool:
    """Keep the text limit the platform gave for an account in its settings; True if it changed.

    The pre-send checks read it there (`Target.text_limit`), as an instance may allow more
    or less than its platform's usual limit.
    """
    row = connection.execute(select(_account.c.settings).where(_account.c.id == account_id)).first()
    settings = dict(row.settings or {}) if row is not None else None
    if settings is None or settings.get("text_limit") == text_limit:
        return False
    connection.execute(
        update(_account)
        .where(_account.c.id == account_id)
        .values(settings={**settings, "text_limit": text_limit})
    )
    return True
