"""YouTube payloads to inbox items: pure functions, no HTTP.

One comment thread is one inbox thread: the top-level comment and all its replies. The
text is what the author typed (`textOriginal`) where YouTube gives it, else the shown
HTML read as plain text with every link's target kept; HTML is never rendered. A
top-level comment carries the video it was written under as a link attachment.
"""

from __future__ import annotations

from urllib.parse import urlencode

from adapters.base import Attachment, AttachmentKind, Direction, FetchedContact, FetchedItem, Kind
from adapters.mastodon.mapping import html_to_text
from adapters.youtube.payloads import Comment

SITE = "https://www.youtube.com"
_THREAD_PREFIX = "thread:"


def thread_key(thread_id: str) -> str:
    """The thread key of a comment thread: its id (the top-level comment's id)."""
    return f"{_THREAD_PREFIX}{thread_id}"


def thread_root(key: str) -> str | None:
    """The top-level comment id in a thread key; None for any other key."""
    root = key.removeprefix(_THREAD_PREFIX)
    return root if root != key and root else None


def top_level_id(comment_id: str) -> str:
    """The top-level comment a comment belongs to: a reply's id is `<top>.<reply>`."""
    return comment_id.split(".", 1)[0]


def video_url(video_id: str) -> str:
    """The watch page of a video."""
    return f"{SITE}/watch?{urlencode({'v': video_id})}"


def comment_url(comment_id: str, video_id: str | None) -> str | None:
    """A link that opens the video with this comment highlighted; None off any video."""
    if video_id is None:
        return None
    return f"{SITE}/watch?{urlencode({'v': video_id, 'lc': comment_id})}"


def comment_text(comment: Comment) -> str:
    """What the comment says: the author's own text, else the shown HTML as plain text."""
    if comment.text_original is not None:
        return comment.text_original
    return html_to_text(comment.text_display)


def contact(comment: Comment) -> FetchedContact:
    """The person who wrote a comment: their channel, named as YouTube shows them."""
    name = comment.author_name or comment.author_channel_id or "unknown"
    return FetchedContact(
        external_id=comment.author_channel_id or f"name:{name}",
        handle=name,
        display_name=comment.author_name or None,
    )


def comment_item(
    comment: Comment, *, thread_id: str, video_id: str | None, own_channel_id: str
) -> FetchedItem:
    """One comment or reply of the thread `thread_id` as an inbox item.

    The channel's own comments are outbound. A reply's parent is the top-level comment
    (YouTube threads are one level deep).
    """
    video = comment.video_id or video_id
    is_top = comment.id == thread_id
    attachments = ()
    if is_top and video is not None:
        attachments = (
            Attachment(kind=AttachmentKind.LINK, url=video_url(video), title="the video"),
        )
    return FetchedItem(
        external_id=comment.id,
        thread_key=thread_key(thread_id),
        kind=Kind.COMMENT,
        direction=Direction.OUT if comment.author_channel_id == own_channel_id else Direction.IN,
        author=contact(comment),
        text=comment_text(comment),
        created_at=comment.published_at,
        parent_external_id=None if is_top else (comment.parent_id or thread_id),
        url=comment_url(comment.id, video),
        raw=comment.raw,
        attachments=attachments,
    )
