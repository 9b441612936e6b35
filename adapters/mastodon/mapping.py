"""Mastodon payloads to inbox items: pure functions, no HTTP."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from adapters.base import Direction, FetchedContact, FetchedItem, Kind
from adapters.mastodon.payloads import Account, Status

_BLOCK_TAGS = frozenset({"p", "div", "blockquote", "li", "ul", "ol", "pre", "h1", "h2", "h3", "h4"})
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_BLANK_LINES = re.compile(r"\n{3,}")
_TAG = re.compile(r"<[^>]*>")


class _TextCollector(HTMLParser):
    """Collects the visible text of status HTML, with paragraphs and line breaks kept."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of Mastodon's status HTML: line breaks kept, links as their full text.

    Mastodon shortens long links by hiding parts in `invisible` spans; their text is kept,
    so a link reads as the whole URL.
    """
    collector = _TextCollector()
    try:
        collector.feed(html)
        collector.close()
        text = "".join(collector.parts)
    except AssertionError:
        # html.parser gives up on some declarations (`<![foo[`); tags are then just dropped.
        text = unescape(_TAG.sub("", html))
    text = _TRAILING_SPACE.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def local_username(handle: str) -> str:
    """The account's username from a handle written `brand`, `@brand` or `@brand@host`."""
    return handle.lstrip("@").split("@", 1)[0].lower()


def is_own(account: Account, handle: str) -> bool:
    """Whether `account` is the brand: own statuses are local, so `acct` has no domain."""
    return account.acct.lower() == local_username(handle)


def contact(account: Account) -> FetchedContact:
    """The person behind a Mastodon account."""
    return FetchedContact(
        external_id=account.id, handle=f"@{account.acct}", display_name=account.display_name or None
    )


def status_text(status: Status) -> str:
    """The text of a status, its content warning first when it has one."""
    body = html_to_text(status.content)
    return f"CW: {status.spoiler_text}\n\n{body}" if status.spoiler_text else body


def status_thread_key(root_id: str) -> str:
    """The thread key of a public conversation: its root status."""
    return f"status:{root_id}"


def status_thread_root(thread_key: str) -> str | None:
    """The root status of a public conversation's thread key; None for any other key."""
    prefix, _, root_id = thread_key.partition(":")
    return root_id if prefix == "status" and root_id else None


def conversation_thread_key(conversation_id: str) -> str:
    """The thread key of a direct-message conversation."""
    return f"conversation:{conversation_id}"


def status_item(status: Status, *, kind: Kind, thread_key: str, own_handle: str) -> FetchedItem:
    """One status as an inbox item; the brand's own statuses are outbound."""
    return FetchedItem(
        external_id=status.id,
        thread_key=thread_key,
        kind=kind,
        direction=Direction.OUT if is_own(status.account, own_handle) else Direction.IN,
        author=contact(status.account),
        text=status_text(status),
        created_at=status.created_at,
        parent_external_id=status.in_reply_to_id,
        url=status.url,
        raw=status.raw,
    )


def id_order(status_id: str) -> tuple[int, str]:
    """Sort key for Mastodon ids: opaque strings, ordered by length, then lexically."""
    return (len(status_id), status_id)
