"""The messages of a thread, and the search over the text of every message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, literal_column, select
from sqlalchemy.sql import column, table

from adapters.base import Attachment, AttachmentKind
from inbox.core.models import Agent, Contact, Item

_item = Item.__table__
_contact = Contact.__table__
_agent = Agent.__table__
_item_fts = table("item_fts", column("rowid"), column("item_fts"))
"""SQLite's FTS5 index over item text, kept by triggers (see the first migration)."""


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
    attachments: tuple[Attachment, ...] = ()
    """Media, link cards, quotes, polls, warnings, forwarded mail, as the platform sent them."""


def thread_items(connection: Connection, thread_id: int, limit: int = 500) -> list[ItemRow]:
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
            _item.c.attachments,
        )
        .outerjoin(_contact, _contact.c.id == _item.c.contact_id)
        .outerjoin(_agent, _agent.c.id == _item.c.agent_id)
        .where(_item.c.thread_id == thread_id)
        .order_by(_item.c.created_at.desc(), _item.c.id.desc())
        .limit(limit)
    )
    rows = [_item_row(row) for row in connection.execute(query)]
    return rows[::-1]


def search(connection: Connection, text: str, limit: int = 50) -> list[ItemRow]:
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
        _item.c.attachments,
    ).outerjoin(_contact, _contact.c.id == _item.c.contact_id)
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
    return [_item_row(row) for row in connection.execute(query)]


def _item_row(row: Row[Any]) -> ItemRow:
    values = dict(row._mapping)
    return ItemRow(**{**values, "attachments": read_attachments(values.get("attachments"))})


def read_attachments(stored: Any) -> tuple[Attachment, ...]:
    """The attachments an item's JSON column holds; entries that do not read are left out."""
    if not isinstance(stored, list):
        return ()
    found = []
    for entry in stored:
        if not isinstance(entry, dict) or entry.get("kind") not in _ATTACHMENT_KINDS:
            continue
        options = entry.get("options")
        found.append(
            Attachment(
                kind=AttachmentKind(entry["kind"]),
                **{
                    name: entry.get(name) if isinstance(entry.get(name), str) else None
                    for name in ("url", "description", "title", "author")
                },
                options=tuple(str(option) for option in options)
                if isinstance(options, list)
                else (),
                size=entry.get("size") if isinstance(entry.get("size"), int) else None,
            )
        )
    return tuple(found)


_ATTACHMENT_KINDS = frozenset(str(kind) for kind in AttachmentKind)
