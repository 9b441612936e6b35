"""Reddit payloads to inbox items: pure functions, no HTTP."""

from __future__ import annotations

from adapters.base import Direction, FetchedContact, FetchedItem, Kind
from adapters.reddit.payloads import InboxComment, PrivateMessage

SITE = "https://www.reddit.com"

_KIND_BY_TYPE = {
    "username_mention": Kind.MENTION,
    "comment_reply": Kind.COMMENT,
    "post_reply": Kind.COMMENT,
}


def username(handle: str) -> str:
    """The bare username of a handle written `brand`, `u/brand` or `/u/brand`."""
    return handle.strip().removeprefix("/").removeprefix("u/").lower()


def contact(author: str, author_fullname: str | None) -> FetchedContact:
    """The person behind a Reddit author name; the `t2_` fullname when Reddit gives it."""
    handle = author if author.startswith("r/") else f"u/{author}"
    return FetchedContact(external_id=author_fullname or author, handle=handle)


def direction(author: str, own_handle: str) -> Direction:
    """Outbound when the brand wrote it."""
    return Direction.OUT if author.lower() == username(own_handle) else Direction.IN


def comment_thread_key(link_name: str, top_comment_name: str) -> str:
    """The thread key of a comment: its link and the top-level comment above it."""
    return f"{link_name}/{top_comment_name}"


def message_thread_key(root_name: str) -> str:
    """The thread key of a private-message conversation: its first message."""
    return f"message:{root_name}"


def top_comment_if_known(comment: InboxComment) -> str | None:
    """The top-level comment above `comment` when the item tells: a post reply is one."""
    return comment.name if comment.parent_id.startswith("t3_") else None


def comment_item(comment: InboxComment, *, top_comment_name: str, own_handle: str) -> FetchedItem:
    """One inbox comment as an item."""
    return FetchedItem(
        external_id=comment.name,
        thread_key=comment_thread_key(comment.link_name, top_comment_name),
        kind=_KIND_BY_TYPE.get(comment.type, Kind.MENTION),
        direction=direction(comment.author, own_handle),
        author=contact(comment.author, comment.author_fullname),
        text=comment.body,
        created_at=comment.created_at,
        parent_external_id=comment.parent_id,
        url=SITE + comment.context,
        raw=comment.raw,
    )


def message_item(message: PrivateMessage, *, root_name: str, own_handle: str) -> FetchedItem:
    """One private message as an item; the subject heads the conversation's first message."""
    first = message.name == root_name and message.subject
    return FetchedItem(
        external_id=message.name,
        thread_key=message_thread_key(root_name),
        kind=Kind.DM,
        direction=direction(message.author, own_handle),
        author=contact(message.author, message.author_fullname),
        text=f"{message.subject}\n\n{message.body}" if first else message.body,
        created_at=message.created_at,
        parent_external_id=message.parent_id,
        url=f"{SITE}/message/messages/{root_name.removeprefix('t4_')}",
        raw=message.raw,
    )
