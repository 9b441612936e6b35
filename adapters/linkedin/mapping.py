"""LinkedIn comments and mentions to inbox items: pure functions, no HTTP.

A comment thread is a top-level comment on one of the organization's posts with every
reply under it (LinkedIn nests one level deep), keyed by the top-level comment's URN. A
mention thread is the post that named the organization, keyed by the post's URN; the
organization's answers are comments on that post. External ids are URNs, unique across
LinkedIn.

Members are named by their URN only: the inbox reads no profile (LinkedIn lets other
members' profile data be kept 24 hours at most, and an organization token cannot read it).
Post text is "little text" (`@[Name](urn)`, `{hashtag|\\#|tag}`, backslash escapes); it is
read as plain text with mentions and hashtags as people see them.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import quote

from adapters.base import Attachment, AttachmentKind, Direction, FetchedContact, FetchedItem, Kind
from adapters.linkedin.payloads import Comment, Mention, Post

SITE: Final = "https://www.linkedin.com"
_COMMENT_PREFIX: Final = "comment:"
_MENTION_PREFIX: Final = "mention:"
_RESERVED: Final = "\\|{}@[]()<>#*_~"
"""The characters little text reserves; a literal one is written with a backslash."""
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)
_LITTLE_MENTION = re.compile(r"@\[((?:\\.|[^\]\\])*)\]\((urn:li:[^()\s]+(?:\([^()]*\))?)\)")
_LITTLE_HASHTAG = re.compile(r"\{hashtag\|\\?#\|((?:\\.|[^}\\])*)\}")
_COMMENT_URN = re.compile(r"urn:li:comment:\((.+),([^,()]+)\)")


def comment_thread_key(top_urn: str) -> str:
    """The thread of a top-level comment and its replies."""
    return f"{_COMMENT_PREFIX}{top_urn}"


def comment_root(thread_key: str) -> str | None:
    """The top-level comment URN in a comment thread's key; None for any other key."""
    root = thread_key.removeprefix(_COMMENT_PREFIX)
    return root if root != thread_key and root else None


def mention_thread_key(post_urn: str) -> str:
    """The thread of a post that mentions the organization."""
    return f"{_MENTION_PREFIX}{post_urn}"


def mention_post(thread_key: str) -> str | None:
    """The mentioning post's URN in a mention thread's key; None for any other key."""
    post = thread_key.removeprefix(_MENTION_PREFIX)
    return post if post != thread_key and post else None


def activity_of(comment_urn: str) -> str | None:
    """The activity a comment URN names (`urn:li:activity:<id>`), or None if it is no
    comment URN. Some answers drop the inner `urn:li:`; it is put back."""
    match = _COMMENT_URN.fullmatch(comment_urn)
    if match is None:
        return None
    activity = match.group(1)
    return activity if activity.startswith("urn:li:") else f"urn:li:{activity}"


def post_url(post_urn: str) -> str:
    """The address of a post on linkedin.com."""
    return f"{SITE}/feed/update/{quote(post_urn, safe=':')}/"


def comment_url(comment_urn: str) -> str | None:
    """The address that opens a comment under its post, or None without an activity."""
    activity = activity_of(comment_urn)
    if activity is None:
        return None
    return f"{post_url(activity)}?commentUrn={quote(comment_urn, safe='')}"


def plain_text(little_text: str) -> str:
    """Little text as people read it: `@Name` for a mention, `#tag` for a hashtag, and
    the escaped characters as themselves."""
    text = _LITTLE_MENTION.sub(lambda match: "@" + _unescape(match.group(1)), little_text)
    text = _LITTLE_HASHTAG.sub(lambda match: "#" + _unescape(match.group(1)), text)
    return _unescape(text)


def little_text(plain: str) -> str:
    """Plain text written as little text, every reserved character escaped, so a post says
    exactly `plain` (a `#` stays a character, not a hashtag)."""
    return "".join(f"\\{character}" if character in _RESERVED else character for character in plain)


def _unescape(text: str) -> str:
    return _ESCAPED.sub(lambda match: match.group(1), text)


def contact(urn: str) -> FetchedContact:
    """A member or organization, named by its URN (`urn:li:person:...`)."""
    return FetchedContact(external_id=urn, handle=urn, display_name=None)


def comment_item(
    comment: Comment, *, top_urn: str, organization: str, post_urn: str | None = None
) -> FetchedItem:
    """A comment or reply of the thread of `top_urn`.

    The organization's own comments are outbound; a reply's parent is the top-level
    comment. A top-level comment read under its post (`post_urn`) carries the post as a
    link attachment; images a comment holds are image attachments.
    """
    is_top = comment.urn == top_urn
    attachments = [Attachment(kind=AttachmentKind.IMAGE, url=url) for url in comment.images]
    if is_top and post_urn is not None:
        attachments.insert(
            0, Attachment(kind=AttachmentKind.LINK, url=post_url(post_urn), title="the post")
        )
    return FetchedItem(
        external_id=comment.urn,
        thread_key=comment_thread_key(top_urn),
        kind=Kind.COMMENT,
        direction=Direction.OUT if comment.actor == organization else Direction.IN,
        author=contact(comment.actor),
        text=comment.text,
        created_at=comment.created_at,
        parent_external_id=None if is_top else top_urn,
        url=comment_url(comment.urn),
        raw=comment.raw,
        attachments=tuple(attachments),
    )


def mention_item(post: Post) -> FetchedItem:
    """A post that mentions the organization, with the article it shares as a link card."""
    attachments: tuple[Attachment, ...] = ()
    if post.article is not None:
        attachments = (
            Attachment(
                kind=AttachmentKind.LINK,
                url=post.article.source,
                title=post.article.title,
                description=post.article.description,
            ),
        )
    return FetchedItem(
        external_id=post.id,
        thread_key=mention_thread_key(post.id),
        kind=Kind.MENTION,
        direction=Direction.IN,
        author=contact(post.author),
        text=plain_text(post.commentary),
        created_at=post.created_at,
        url=post_url(post.id),
        raw=post.raw,
        attachments=attachments,
    )


def mention_item_from_notification(mention: Mention) -> FetchedItem | None:
    """The mention as its notification tells it, or None when it carries no text or author
    (then the post itself is read)."""
    if mention.text is None or mention.owner is None:
        return None
    return FetchedItem(
        external_id=mention.post,
        thread_key=mention_thread_key(mention.post),
        kind=Kind.MENTION,
        direction=Direction.IN,
        author=contact(mention.owner),
        text=plain_text(mention.text),
        created_at=mention.at,
        url=post_url(mention.post),
        raw={"notificationId": mention.notification_id, "post": mention.post},
    )
