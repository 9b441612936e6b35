"""X payloads to inbox items: pure functions, no HTTP."""

from __future__ import annotations

from collections.abc import Mapping

from adapters.base import Direction, FetchedContact, FetchedItem, Kind
from adapters.x.payloads import DmEvent, Post, User

SITE = "https://x.com"


def contact(user_id: str, users: Mapping[str, User]) -> FetchedContact:
    """The person behind a user id, named from `includes.users` when X sent them."""
    user = users.get(user_id)
    if user is None:
        return FetchedContact(external_id=user_id, handle=user_id)
    return FetchedContact(external_id=user_id, handle=f"@{user.username}", display_name=user.name)


def post_thread_key(conversation_id: str) -> str:
    """The thread key of a public conversation: X's `conversation_id` (its root post)."""
    return f"conversation:{conversation_id}"


def conversation_root(thread_key: str) -> str | None:
    """The root post id in a public conversation's thread key; None for any other key."""
    root = thread_key.removeprefix("conversation:")
    return root if root != thread_key and root else None


def dm_thread_key(dm_conversation_id: str) -> str:
    """The thread key of a direct-message conversation."""
    return f"dm:{dm_conversation_id}"


def post_url(post_id: str) -> str:
    """A link to a post that works without knowing its author's name."""
    return f"{SITE}/i/web/status/{post_id}"


def mention_item(post: Post, *, users: Mapping[str, User], own_user_id: str) -> FetchedItem:
    """One mention as an item; a reply to one of the brand's posts is a comment."""
    return FetchedItem(
        external_id=post.id,
        thread_key=post_thread_key(post.conversation_id),
        kind=Kind.COMMENT if post.in_reply_to_user_id == own_user_id else Kind.MENTION,
        direction=Direction.OUT if post.author_id == own_user_id else Direction.IN,
        author=contact(post.author_id, users),
        text=post.text,
        created_at=post.created_at,
        parent_external_id=post.replied_to_id,
        url=post_url(post.id),
        raw=post.raw,
    )


def dm_item(event: DmEvent, *, users: Mapping[str, User], own_user_id: str) -> FetchedItem:
    """One direct-message event as an item."""
    return FetchedItem(
        external_id=event.id,
        thread_key=dm_thread_key(event.dm_conversation_id),
        kind=Kind.DM,
        direction=Direction.OUT if event.sender_id == own_user_id else Direction.IN,
        author=contact(event.sender_id, users),
        text=event.text,
        created_at=event.created_at,
        raw=event.raw,
    )
