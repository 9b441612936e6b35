"""Building adapter items and accounts for store and sync tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, insert

from adapters.base import AccountRef, Direction, FetchedContact, FetchedItem, Kind
from inbox.core.models import Account

T0 = datetime.fromisoformat("2026-11-02T08:00:00+00:00")


def add_account(
    engine: Engine, platform: str = "demo-mastodon", handle: str = "brand", **settings
) -> AccountRef:
    """Insert an account row and return the adapter's view of it."""
    with engine.begin() as connection:
        account_id = connection.execute(
            insert(Account.__table__).values(
                platform=platform,
                handle=handle,
                settings=settings,
                enabled=True,
                health="ok",
                created_at=T0,
            )
        ).inserted_primary_key[0]
    return AccountRef(id=account_id, platform=platform, handle=handle, settings=settings)


def item(
    external_id: str,
    thread_key: str = "t1",
    *,
    minutes: float = 0,
    direction: Direction = Direction.IN,
    kind: Kind = Kind.MENTION,
    author: str = "carol",
    text: str | None = None,
) -> FetchedItem:
    """A plausible item `minutes` after T0."""
    return FetchedItem(
        external_id=external_id,
        thread_key=thread_key,
        kind=kind,
        direction=direction,
        author=FetchedContact(
            external_id=f"id-{author}", handle=f"@{author}", display_name=author.title()
        ),
        text=text if text is not None else f"message {external_id} from {author}",
        created_at=T0 + timedelta(minutes=minutes),
    )
