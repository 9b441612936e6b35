"""Facebook comments and Messenger messages to inbox items: pure functions, no HTTP.

One thread per top-level comment (the comment and every reply under it, keyed by the
top-level comment's id, as Reddit keys a comment thread by its top comment), and one
thread per person on Messenger (keyed by their page-scoped id, the one thing a webhook
event and a conversation read both name). Polling and webhooks go through the same
`comment_item` and `message_item`, so the same comment or message becomes the same item,
whichever way it arrived first.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

from adapters._payload import ITEM_FAULTS, Malformed, as_list, shown
from adapters.base import Direction, FetchedContact, FetchedItem, Kind, PayloadInvalid
from adapters.facebook.payloads import Comment, Message, Person

log = logging.getLogger(__name__)

SITE: Final = "https://www.facebook.com"
COMMENT_VERBS: Final = frozenset({"add", "edited"})
"""The `feed` verbs that carry a comment's text; `remove`, `hide` and `unhide` do not."""


def comment_thread_key(top_level_id: str) -> str:
    """The thread of a top-level comment and its replies."""
    return f"comment:{top_level_id}"


def comment_root(thread_key: str) -> str | None:
    """The top-level comment id in a comment thread's key; None for any other key."""
    root = thread_key.removeprefix("comment:")
    return root if root != thread_key and root else None


def dm_thread_key(person_id: str) -> str:
    """The Messenger thread with one person (their page-scoped id, PSID)."""
    return f"dm:{person_id}"


def dm_person(thread_key: str) -> str | None:
    """The PSID in a Messenger thread's key; None for any other key."""
    person = thread_key.removeprefix("dm:")
    return person if person != thread_key and person else None


def comment_url(comment_id: str, *, post_id: str, parent_id: str | None, page_id: str) -> str:
    """The comment's address on facebook.com, in the form Graph's `permalink_url` takes.

    Made from the ids, so a polled comment and a webhook's agree:
    `/{page}/posts/{post}/?comment_id={top}&reply_comment_id={reply}`.
    """
    page, _, post = post_id.rpartition("_")
    top = (parent_id or comment_id).rpartition("_")[2]
    url = f"{SITE}/{quote(page or page_id, safe='')}/posts/{quote(post, safe='')}/"
    url += f"?comment_id={quote(top, safe='')}"
    if parent_id is not None:
        url += f"&reply_comment_id={quote(comment_id.rpartition('_')[2], safe='')}"
    return url


def reply_url(reply_id: str, top_level_id: str, page_id: str) -> str:
    """The address of a reply the Page just posted under `top_level_id`."""
    post_id = f"{page_id}_{top_level_id.partition('_')[0]}"
    return comment_url(reply_id, post_id=post_id, parent_id=top_level_id, page_id=page_id)


def contact(person: Person) -> FetchedContact:
    """A person on Facebook: no handle there, so the name stands for one."""
    return FetchedContact(
        external_id=person.id, handle=person.name or person.id, display_name=person.name
    )


def comment_item(
    comment: Comment, *, page_id: str, raw: Mapping[str, Any] | None = None
) -> FetchedItem:
    """The item a comment on the Page's posts becomes; the Page's own comments go out.

    Raises `Malformed` for a comment with neither text nor an attachment.
    """
    if not comment.message.strip() and not comment.attachments:
        raise Malformed("the comment has neither text nor an attachment")
    top = comment.parent_id or comment.id
    author = comment.author
    own = author is not None and author.id == page_id
    return FetchedItem(
        external_id=comment.id,
        thread_key=comment_thread_key(top),
        kind=Kind.COMMENT,
        direction=Direction.OUT if own else Direction.IN,
        author=(
            contact(author)
            if author is not None
            else FetchedContact(external_id=f"unnamed:{comment.id}", handle="Facebook user")
        ),
        text=comment.message,
        created_at=comment.created_at,
        parent_external_id=comment.parent_id or comment.post_id,
        url=comment_url(
            comment.id, post_id=comment.post_id, parent_id=comment.parent_id, page_id=page_id
        ),
        raw=raw,
        attachments=comment.attachments,
    )


def message_item(
    message: Message, *, page_id: str, raw: Mapping[str, Any] | None = None
) -> FetchedItem:
    """The item a Messenger message becomes; the Page's own (and echoes) go out.

    Raises `Malformed` for a message with neither text nor an attachment, or one whose
    other party cannot be told.
    """
    if not message.text.strip() and not message.attachments:
        raise Malformed("the message has neither text nor an attachment")
    outgoing = message.is_echo or message.sender_id == page_id
    person = message.recipient_id if message.sender_id == page_id else message.sender_id
    if not person or person == page_id:
        raise Malformed("the message names no person besides the Page")
    return FetchedItem(
        external_id=message.id,
        thread_key=dm_thread_key(person),
        kind=Kind.DM,
        direction=Direction.OUT if outgoing else Direction.IN,
        author=contact(Person(message.sender_id, message.sender_name)),
        text=message.text,
        created_at=message.created_at,
        parent_external_id=message.reply_to,
        raw=raw,
        attachments=message.attachments,
    )


def webhook_items(entry: Any, page_id: str) -> tuple[FetchedItem, ...]:
    """The comments and Messenger messages one Page webhook `entry` carries.

    From `changes`: `feed` changes of `item: comment` with verb `add` or `edited` (removals,
    hides, reactions and posts carry no message to answer). From `messaging` and `standby`:
    messages, echoes included (they go out); deliveries, reads and reactions are passed
    over. A change or event that does not read is skipped with a log line. Raises
    `PayloadInvalid` when the entry itself is not an object with lists.
    """
    if not isinstance(entry, Mapping):
        raise PayloadInvalid(f"a Page webhook entry is {type(entry).__name__}, not an object")
    items: list[FetchedItem] = []
    try:
        changes = as_list(entry.get("changes") or [], "changes")
        events = as_list(entry.get("messaging") or [], "messaging")
        events += as_list(entry.get("standby") or [], "standby")
    except Malformed as problem:
        raise PayloadInvalid(f"a Page webhook entry could not be read: {problem}") from None
    for change in changes:
        try:
            item = _change_item(change, page_id)
        except ITEM_FAULTS as problem:
            _log_skip("feed change", change, problem)
            continue
        if item is not None:
            items.append(item)
    for event in events:
        try:
            message = Message.from_webhook(event)
            if message is not None:
                items.append(message_item(message, page_id=page_id, raw=event))
        except ITEM_FAULTS as problem:
            _log_skip("messaging event", event, problem)
    return tuple(items)


def _change_item(change: Any, page_id: str) -> FetchedItem | None:
    if not isinstance(change, Mapping) or change.get("field") != "feed":
        return None
    value = change.get("value")
    if not isinstance(value, Mapping) or value.get("item") != "comment":
        return None
    if value.get("verb") not in COMMENT_VERBS:
        return None
    return comment_item(Comment.from_webhook(value), page_id=page_id, raw=value)


def _log_skip(what: str, value: Any, problem: Exception) -> None:
    identifier = None
    if isinstance(value, Mapping):
        inner = value.get("value") or value.get("message")
        identifier = (
            inner.get("comment_id") or inner.get("mid") if isinstance(inner, Mapping) else None
        )
    log.warning(
        "skipped a malformed Facebook %s from a webhook, id %s: %s",
        what,
        shown(identifier),
        problem if isinstance(problem, Malformed) else type(problem).__name__,
    )
