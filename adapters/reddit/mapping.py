"""Reddit payloads to inbox items: pure functions, no HTTP.

Texts stay Reddit Markdown, as the author wrote them: a link reads `[text](url)`, so its
full target is always in the text (the adapter reads `body`, never `body_html`). Reddit
stores `<`, `>` and `&` escaped as entities in many bodies even when asked for raw JSON,
so those three are decoded once. What a post shows besides
its text (an image, a gallery with captions, a video, the page it links to, the post it
crossposts) becomes `attachments`.
"""

from __future__ import annotations

import logging
import re

from adapters._payload import ITEM_FAULTS, Malformed, shown
from adapters.base import (
    Attachment,
    AttachmentKind,
    Direction,
    FetchedContact,
    FetchedItem,
    Kind,
)
from adapters.reddit.payloads import InboxComment, PrivateMessage, Submission

log = logging.getLogger(__name__)

SITE = "https://www.reddit.com"
_IMAGE_HOSTS = frozenset({"i.redd.it", "i.imgur.com"})
_VIDEO_HINTS = frozenset({"hosted:video", "rich:video"})
_REDDIT_ESCAPE = re.compile(r"&(amp|lt|gt);")
_ESCAPED = {"amp": "&", "lt": "<", "gt": ">"}

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


def post_thread_key(post_name: str) -> str:
    """The thread key of a post that mentions the account: the post itself."""
    return post_name


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
        text=markdown_text(comment.body),
        created_at=comment.created_at,
        parent_external_id=comment.parent_id,
        url=SITE + comment.context,
        raw=comment.raw,
    )


def message_item(message: PrivateMessage, *, root_name: str, own_handle: str) -> FetchedItem:
    """One private message as an item; the subject heads the conversation's first message."""
    first = message.name == root_name and message.subject
    body = markdown_text(message.body)
    return FetchedItem(
        external_id=message.name,
        thread_key=message_thread_key(root_name),
        kind=Kind.DM,
        direction=direction(message.author, own_handle),
        author=contact(message.author, message.author_fullname),
        text=f"{markdown_text(message.subject)}\n\n{body}" if first else body,
        created_at=message.created_at,
        parent_external_id=message.parent_id,
        url=f"{SITE}/message/messages/{root_name.removeprefix('t4_')}",
        raw=message.raw,
    )


def markdown_text(stored: str) -> str:
    """A `body`, `selftext`, title or subject as its author wrote it: Reddit's escapes undone.

    Only `&amp;`, `&lt;` and `&gt;`, in one pass: Reddit escapes just those three, and a
    raw `&` stays raw in some bodies (links posted through the API), where a full HTML
    unescape would turn `?a=1&region=eu` into `?a=1®ion=eu`.
    """
    return _REDDIT_ESCAPE.sub(lambda escape: _ESCAPED[escape[1]], stored)


def post_item(post: Submission, *, own_handle: str) -> FetchedItem:
    """A post in the inbox (one that mentions the account) as an item: title, then its text."""
    title, text = markdown_text(post.title), markdown_text(post.selftext)
    return FetchedItem(
        external_id=post.name,
        thread_key=post_thread_key(post.name),
        kind=_KIND_BY_TYPE.get(post.type, Kind.MENTION),
        direction=direction(post.author, own_handle),
        author=contact(post.author, post.author_fullname),
        text="\n\n".join(part for part in (title, text) if part),
        created_at=post.created_at,
        url=SITE + post.permalink if post.permalink else None,
        raw=post.raw,
        attachments=post_attachments(post),
    )


def post_attachments(post: Submission) -> tuple[Attachment, ...]:
    """What `post` shows besides its text; a gallery item that does not read is logged and left out.

    A gallery (or a text post's inline images) gives one attachment per image, its caption
    as the description, then a link attachment for the link its author put on it. Otherwise
    the post's own `url` is an image, a video or a link card, by `post_hint` (or the host
    when Reddit gave no hint); a crosspost quotes the post it shares.
    """
    attachments: list[Attachment] = []
    for part in post.media_parts:
        try:
            media = part.read()
        except ITEM_FAULTS as problem:
            log.warning(
                "dropped a malformed Reddit media item (%s) of %s: %s",
                shown(part.media_id),
                shown(post.name),
                problem if isinstance(problem, Malformed) else type(problem).__name__,
            )
            continue
        kind = AttachmentKind.VIDEO if media.is_video else AttachmentKind.IMAGE
        attachments.append(Attachment(kind=kind, url=media.url, description=media.caption))
        if media.outbound_url:
            attachments.append(Attachment(kind=AttachmentKind.LINK, url=media.outbound_url))
    linked = _linked(post)
    if linked is not None:
        attachments.append(linked)
    if post.crosspost is not None:
        shared = post.crosspost
        attachments.append(
            Attachment(
                kind=AttachmentKind.QUOTE,
                url=SITE + shared.permalink if shared.permalink else None,
                description=markdown_text(shared.title),
                author=f"u/{shared.author}" if shared.author else None,
            )
        )
    return tuple(attachments)


def _linked(post: Submission) -> Attachment | None:
    """The attachment the post's own `url` is, or None for a text post or a gallery."""
    if post.is_self or post.is_gallery or post.media_parts:
        return None
    url = post.url or post.preview_url
    if url is None or (post.permalink and url.rstrip("/").endswith(post.permalink.rstrip("/"))):
        return None
    if url.startswith("/"):
        if post.crosspost is not None:
            return None
        url = SITE + url
    if post.post_hint == "image" or (post.post_hint is None and post.domain in _IMAGE_HOSTS):
        return Attachment(kind=AttachmentKind.IMAGE, url=url)
    if post.is_video or post.post_hint in _VIDEO_HINTS or post.domain == "v.redd.it":
        return Attachment(kind=AttachmentKind.VIDEO, url=url, title=post.embed_title)
    return Attachment(kind=AttachmentKind.LINK, url=url, title=post.embed_title)
