"""The messages of a thread, and the search over the text of every message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, literal_column, select
from sqlalchemy.sql import column, table

from adapters.base import Attachment, AttachmentKind
from inbox.core import sanitize
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
    automated: bool = False
    """Sent by the inbox itself (an acknowledgement), not by a person."""
    hidden_at: datetime | None = None
    """When the comment was hidden on the platform, or None."""


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
            _item.c.automated,
            _item.c.hidden_at,
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

_MEDIA = frozenset(
    {AttachmentKind.IMAGE, AttachmentKind.VIDEO, AttachmentKind.AUDIO, AttachmentKind.FILE}
)


@dataclass(frozen=True, slots=True)
class AttachmentText:
    """An attachment as it reads under its message, every part cleaned for a terminal.

    The terminal UI and `inbox threads show` both show attachments this way.
    """

    label: str
    """What it is: "image", "link", "quote from @bob", "poll", "⚠ Content warning"."""
    headline: str
    """What follows the label on its line: alt text, file name and size, a title ("" if none)."""
    details: tuple[str, ...] = ()
    """Lines under it: a card's description, a quote's text, a poll's options."""
    url: str | None = None
    """Where it can be opened, shown last."""

    def lines(self) -> tuple[str, ...]:
        """The label and headline on one line, then the details, then the address."""
        first = f"{self.label}: {self.headline}" if self.headline else self.label
        return (first, *self.details, *((self.url,) if self.url else ()))


def attachment_text(attachment: Attachment) -> AttachmentText:
    """How `attachment` reads under its message: "image: alt text · photo.jpg, 240 KB"."""
    kind = attachment.kind
    words = _one_line(attachment.description)
    title = _one_line(attachment.title)
    author = sanitize.name_for_display(attachment.author) if attachment.author else ""
    url = _one_line(attachment.url) or None
    if kind == AttachmentKind.WARNING:
        return AttachmentText("⚠ Content warning", words or title)
    if kind in _MEDIA:
        named = ", ".join(filter(None, [title, _size_text(attachment.size)]))
        described = words or (None if kind == AttachmentKind.FILE and named else "no description")
        return AttachmentText(str(kind), " · ".join(filter(None, [described, named])), url=url)
    if kind == AttachmentKind.LINK:
        details = tuple(_text_lines(attachment.description))
        if not title:
            return AttachmentText("link", url or "no address", details)
        return AttachmentText("link", title, details, url)
    if kind == AttachmentKind.QUOTE:
        quoted = tuple(f"│ {line}" for line in _text_lines(attachment.description))
        return AttachmentText(f"quote from {author}" if author else "quote", "", quoted, url)
    if kind == AttachmentKind.POLL:
        options = tuple(f"○ {shown}" for shown in map(_one_line, attachment.options) if shown)
        return AttachmentText("poll", title, options, url)
    sender = f" from {author}" if author else ""
    return AttachmentText(
        "forwarded mail",
        f"{title or 'no subject'}{sender}",
        tuple(_text_lines(attachment.description)),
        url,
    )


def _one_line(text: str | None) -> str:
    return sanitize.single_line(text) if text else ""


def _text_lines(text: str | None) -> list[str]:
    """`text` cleaned for a terminal, its lines without the blank ones."""
    if not text:
        return []
    return [
        " ".join(line.split()) for line in sanitize.for_display(text).splitlines() if line.strip()
    ]


def _size_text(size: int | None) -> str | None:
    """Bytes as people read them: "830 bytes", "240 KB", "3.4 MB"."""
    if size is None or size < 0:
        return None
    if size < 1_000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{size / 1_000:.0f} KB"
    if size < 1_000_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{size / 1_000_000_000:.1f} GB"
