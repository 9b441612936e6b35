"""Instagram payloads to inbox items: pure functions, no HTTP.

Thread keys are chosen so that a comment read by polling and the same comment delivered
by a webhook land in one thread:

| thread | key |
| --- | --- |
| a comment on the account's media, and its replies | `comment:<top-level comment id>` |
| an @mention in someone else's comment | `mention:<media id>/<comment id>` |
| an @mention in someone else's caption | `mention:<media id>` |
| a direct-message conversation | `dm:<the person's Instagram-scoped id>` |

Instagram threads are one level deep and a reply names its top-level comment as
`parent_id`; an answer to a mention (`POST /{ig-user-id}/mentions`) needs the media id and
the comment id; a webhook names the person in a conversation, never the conversation.
"""

from __future__ import annotations

from typing import Final

from adapters.base import Attachment, AttachmentKind, Direction, FetchedContact, FetchedItem, Kind
from adapters.instagram.payloads import Comment, DirectMessage, Media, MessageAttachment

_MESSAGE_KINDS: Final = {
    "image": AttachmentKind.IMAGE,
    "video": AttachmentKind.VIDEO,
    "reel": AttachmentKind.VIDEO,
    "ig_reel": AttachmentKind.VIDEO,
    "audio": AttachmentKind.AUDIO,
    "file": AttachmentKind.FILE,
    "share": AttachmentKind.LINK,
    "post": AttachmentKind.LINK,
    "ig_post": AttachmentKind.LINK,
    "story_mention": AttachmentKind.LINK,
    "story_reply": AttachmentKind.LINK,
}
_MESSAGE_TITLES: Final = {
    "story_mention": "a story that mentions the account",
    "story_reply": "a reply to the account's story",
    "unsupported_type": "something Instagram does not show outside its app",
}
_MEDIA_KINDS: Final = {"VIDEO": AttachmentKind.VIDEO, "REELS": AttachmentKind.VIDEO}


def comment_thread_key(top_level_id: str) -> str:
    """The thread of a top-level comment and its replies."""
    return f"comment:{top_level_id}"


def comment_root(thread_key: str) -> str | None:
    """The top-level comment id in a comment thread's key; None for any other key."""
    root = thread_key.removeprefix("comment:")
    return root if root != thread_key and root else None


def mention_thread_key(media_id: str, comment_id: str | None = None) -> str:
    """The thread of an @mention: in a comment on `media_id`, or in its caption."""
    return f"mention:{media_id}/{comment_id}" if comment_id else f"mention:{media_id}"


def mention_target(thread_key: str) -> tuple[str, str | None] | None:
    """The (media id, comment id or None) a mention thread's key names; None for any other."""
    target = thread_key.removeprefix("mention:")
    if target == thread_key or not target:
        return None
    media_id, _, comment_id = target.partition("/")
    return (media_id, comment_id or None) if media_id else None


def dm_thread_key(customer_id: str) -> str:
    """The direct-message thread with one person (their Instagram-scoped id)."""
    return f"dm:{customer_id}"


def dm_customer(thread_key: str) -> str | None:
    """The person a direct-message thread's key names; None for any other key."""
    customer = thread_key.removeprefix("dm:")
    return customer if customer != thread_key and customer else None


def _contact(author_id: str | None, username: str) -> FetchedContact:
    return FetchedContact(external_id=author_id or username, handle=f"@{username}")


def _is_own(comment: Comment, own_id: str, own_username: str | None) -> bool:
    if comment.by_app_user or comment.author_id == own_id:
        return True
    return own_username is not None and comment.username.lower() == own_username.lower()


def comment_item(
    comment: Comment, *, own_id: str, own_username: str | None = None, url: str | None = None
) -> FetchedItem:
    """A comment (or a reply) on one of the account's media; the account's own are OUT.

    `url` is the media's permalink when it is known (Instagram gives comments none).
    """
    return FetchedItem(
        external_id=comment.id,
        thread_key=comment_thread_key(comment.parent_id or comment.id),
        kind=Kind.COMMENT,
        direction=Direction.OUT if _is_own(comment, own_id, own_username) else Direction.IN,
        author=_contact(comment.author_id, comment.username),
        text=comment.text,
        created_at=comment.created_at,
        parent_external_id=comment.parent_id,
        url=url,
        raw=comment.raw,
    )


def mentioning_comment_item(comment: Comment, media_id: str) -> FetchedItem:
    """Someone's comment on `media_id` (not the account's media) that @mentions the account."""
    return FetchedItem(
        external_id=comment.id,
        thread_key=mention_thread_key(media_id, comment.id),
        kind=Kind.MENTION,
        direction=Direction.IN,
        author=_contact(comment.author_id, comment.username),
        text=comment.text,
        created_at=comment.created_at,
        raw=comment.raw,
    )


def media_attachment(media: Media) -> Attachment | None:
    """The photo or video of a media (an album shows its cover), when Graph gave its address."""
    kind = _MEDIA_KINDS.get(media.media_type or "", AttachmentKind.IMAGE)
    url = media.media_url or media.thumbnail_url
    if url is None:
        return None
    return Attachment(kind=kind, url=url)


def mentioning_media_item(media: Media) -> FetchedItem:
    """Someone's post whose caption @mentions the account, with its photo or video."""
    attachment = media_attachment(media)
    username = media.username or "unknown"
    return FetchedItem(
        external_id=media.id,
        thread_key=mention_thread_key(media.id),
        kind=Kind.MENTION,
        direction=Direction.IN,
        author=FetchedContact(external_id=username, handle=f"@{username}"),
        text=media.caption,
        created_at=media.created_at,
        url=media.permalink,
        raw=media.raw,
        attachments=(attachment,) if attachment else (),
    )


def message_attachment(piece: MessageAttachment) -> Attachment:
    """What a direct message carries, named for people: media, a shared post, a story."""
    return Attachment(
        kind=_MESSAGE_KINDS.get(piece.type, AttachmentKind.FILE),
        url=piece.url,
        title=piece.title or _MESSAGE_TITLES.get(piece.type),
    )


def dm_item(message: DirectMessage, *, own_id: str, customer_id: str) -> FetchedItem:
    """One direct message in the conversation with `customer_id`; the account's own (and their
    echoes) are OUT."""
    username = message.sender_username
    own = message.is_echo or message.sender_id == own_id
    return FetchedItem(
        external_id=message.id,
        thread_key=dm_thread_key(customer_id),
        kind=Kind.DM,
        direction=Direction.OUT if own else Direction.IN,
        author=FetchedContact(
            external_id=message.sender_id,
            handle=f"@{username}" if username else message.sender_id,
        ),
        text=message.text,
        created_at=message.created_at,
        raw=message.raw,
        attachments=tuple(message_attachment(piece) for piece in message.attachments),
    )
