"""Typed views of the Instagram Graph API JSON the adapter reads; each `parse` raises `Malformed`.

Two sources speak of the same things: Graph reads (`GET /{ig-media-id}/comments`, the
Conversations API, `mentioned_comment`) and webhook deliveries (`comments`, `mentions`,
`messaging`). They name fields differently (a comment read has a `timestamp`, a webhook
comment has none; a DM read has `message` text, a delivery has `message.text`), so each
class says which shape it reads. Every id is kept as text: Meta sends ids as strings, but
some copies of its samples carry them as JSON numbers.

What a message carries besides its text (attachments, a shared post, a story) is read
piece by piece: a piece that does not read is dropped with a log line, never the message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters._payload import (
    ITEM_FAULTS,
    Malformed,
    as_list,
    as_object,
    epoch_time,
    iso_moment,
    optional_text,
    required_text,
    text_or_empty,
)

log = logging.getLogger(__name__)


def _part(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The object at `key`; absent, null or not an object is empty (and logged if present)."""
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        log.warning("dropped a malformed Instagram %s: not an object", key)
        return {}
    return value


def _edge(data: Mapping[str, Any], key: str) -> tuple[Any, ...]:
    """The raw entries of a nested Graph edge `key` (`{"data": [...]}`); absent is none."""
    edge = _part(data, key)
    entries = edge.get("data", [])
    if not isinstance(entries, list):
        log.warning("dropped a malformed Instagram %s edge: its data is not a list", key)
        return ()
    return tuple(entries)


def _author(data: Mapping[str, Any]) -> tuple[str | None, str]:
    """The author id (when Graph gives one) and username of a comment or media.

    A webhook comment and a newer comment read carry `from{id, username}`; an older read
    has only `username` (and `user{id}` when the app's own account wrote it).
    """
    sender = _part(data, "from")
    username = optional_text(sender, "username") or optional_text(data, "username")
    if username is None:
        raise Malformed("the author's username is missing")
    author_id = optional_text(sender, "id") or optional_text(_part(data, "user"), "id")
    return author_id, username


@dataclass(frozen=True, slots=True)
class Comment:
    """An IG Comment: https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-comment

    `parent_id` is set on replies only (Instagram threads are one level deep). `user` is
    returned only for comments the app's own account wrote, so `by_app_user` marks them.
    A webhook comment (https://developers.facebook.com/documentation/instagram-platform/webhooks/examples)
    has no time of its own: the entry's `time` stands in. `replies` are the raw entries of
    the embedded `replies{...}` edge, each read (or skipped) on its own.
    """

    id: str
    text: str
    created_at: datetime
    author_id: str | None
    username: str
    parent_id: str | None
    media_id: str | None
    hidden: bool
    by_app_user: bool
    replies: tuple[Any, ...]
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, value: Any, *, media_id: str | None = None) -> Comment:
        """Read a comment as `GET /{ig-media-id}/comments` or `mentioned_comment` answers it.

        `media_id` is the media the comment was listed under, when its own `media` is absent.
        """
        data = as_object(value, "comment")
        return cls._read(data, iso_moment(data, "timestamp"), media_id)

    @classmethod
    def parse_webhook(cls, value: Any, sent_at: datetime) -> Comment:
        """Read the `value` of a `comments` webhook change, dated `sent_at` (the entry's time)."""
        return cls._read(as_object(value, "comment"), sent_at, None)

    @classmethod
    def _read(cls, data: Mapping[str, Any], created_at: datetime, media_id: str | None) -> Comment:
        author_id, username = _author(data)
        hidden = data.get("hidden", False)
        return cls(
            id=required_text(data, "id"),
            text=text_or_empty(data, "text"),
            created_at=created_at,
            author_id=author_id,
            username=username,
            parent_id=optional_text(data, "parent_id"),
            media_id=optional_text(_part(data, "media"), "id") or media_id,
            hidden=hidden if isinstance(hidden, bool) else False,
            by_app_user="user" in data,
            replies=_edge(data, "replies"),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class Media:
    """An IG Media: https://developers.facebook.com/docs/instagram-platform/reference/instagram-media

    Read from the account's own media list (to find comments) and from `mentioned_media`
    (a caption that @mentions the account). `username` is the owner's; Graph gives it for
    media of other accounts.
    """

    id: str
    caption: str
    created_at: datetime
    username: str | None
    media_type: str | None
    media_url: str | None
    thumbnail_url: str | None
    permalink: str | None
    comments_count: int
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, value: Any) -> Media:
        """Read the fields the inbox uses."""
        data = as_object(value, "media")
        count = data.get("comments_count")
        return cls(
            id=required_text(data, "id"),
            caption=text_or_empty(data, "caption"),
            created_at=iso_moment(data, "timestamp"),
            username=optional_text(data, "username"),
            media_type=optional_text(data, "media_type"),
            media_url=optional_text(data, "media_url"),
            thumbnail_url=optional_text(data, "thumbnail_url"),
            permalink=optional_text(data, "permalink"),
            comments_count=count if isinstance(count, int) and not isinstance(count, bool) else 1,
            raw=data,
        )


def mentioned(value: Any, field: str) -> Any:
    """The object of `GET /{ig-user-id}?fields=mentioned_comment...` (or `mentioned_media`).

    https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/mentioned_comment
    """
    return as_object(value, "answer").get(field)


@dataclass(frozen=True, slots=True)
class MessageAttachment:
    """One thing a direct message carries, whichever shape it came in.

    `type` is the webhook's (`image`, `video`, `audio`, `file`, `share`, `story_mention`,
    `reel`, `ig_reel`, ...); a Conversations API read is given the same names.
    """

    type: str
    url: str | None
    title: str | None = None


def _pieces(entries: Any, read: Any, owner: str) -> tuple[MessageAttachment, ...]:
    """Each entry of `entries` that `read` makes an attachment of; the rest are logged."""
    if entries is None:
        return ()
    try:
        listed = as_list(entries, "attachments")
    except Malformed:
        log.warning("dropped malformed Instagram attachments of %s", owner)
        return ()
    kept = []
    for entry in listed:
        try:
            kept.append(read(as_object(entry, "attachment")))
        except ITEM_FAULTS as problem:
            log.warning(
                "dropped a malformed Instagram attachment of %s: %s",
                owner,
                problem if isinstance(problem, Malformed) else type(problem).__name__,
            )
    return tuple(kept)


def _delivered_attachment(data: Mapping[str, Any]) -> MessageAttachment:
    """`message.attachments[]` of a webhook: `{type, payload{url, title?}}`."""
    payload = _part(data, "payload")
    return MessageAttachment(
        type=required_text(data, "type"),
        url=optional_text(payload, "url"),
        title=optional_text(payload, "title"),
    )


def _read_attachment(data: Mapping[str, Any]) -> MessageAttachment:
    """`attachments.data[]` of a Conversations API message: image, video or file data."""
    for key, kind in (("image_data", "image"), ("video_data", "video")):
        url = optional_text(_part(data, key), "url")
        if url is not None:
            return MessageAttachment(type=kind, url=url, title=optional_text(data, "name"))
    url = optional_text(data, "file_url")
    if url is None:
        raise Malformed("the attachment has no address")
    mime = optional_text(data, "mime_type") or ""
    kind = mime.partition("/")[0] if mime.startswith(("audio/", "video/", "image/")) else "file"
    return MessageAttachment(type=kind, url=url, title=optional_text(data, "name"))


def _read_share(data: Mapping[str, Any]) -> MessageAttachment:
    """`shares.data[]` of a Conversations API message: a shared post or link."""
    return MessageAttachment(
        type="share", url=required_text(data, "link"), title=optional_text(data, "name")
    )


def _read_story(message: Mapping[str, Any]) -> tuple[MessageAttachment, ...]:
    """`story{mention{link}|reply_to{link}}`: a story that mentions the account, or answered."""
    story = _part(message, "story")
    found = []
    for key, kind in (("mention", "story_mention"), ("reply_to", "story_reply")):
        link = optional_text(_part(story, key), "link")
        if link is not None:
            found.append(MessageAttachment(type=kind, url=link))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class DirectMessage:
    """One Instagram direct message, read or delivered.

    Read: a message of the Conversations API
    (https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/conversations-api),
    `{id, created_time, from{id, username}, to{data}, message, attachments, shares, story}`.
    Delivered: a `messaging[]` event (https://developers.facebook.com/documentation/instagram-platform/webhooks/examples),
    `{sender{id}, recipient{id}, timestamp (ms), message{mid, text, attachments, is_echo}}`.
    `sender_username` is known only from a read; `is_echo` marks a delivery of a message the
    account itself sent (from this inbox, or typed in Instagram's own app).
    """

    id: str
    text: str
    created_at: datetime
    sender_id: str
    sender_username: str | None
    recipient_id: str | None
    attachments: tuple[MessageAttachment, ...]
    raw: Mapping[str, Any]
    is_echo: bool = False

    @classmethod
    def parse(cls, value: Any) -> DirectMessage:
        """Read a message as the Conversations API answers it."""
        data = as_object(value, "message")
        identifier = required_text(data, "id")
        sender = as_object(data.get("from"), "from")
        recipients = _edge(data, "to")
        recipient = recipients[0] if recipients and isinstance(recipients[0], Mapping) else {}
        owner = f"message {identifier}"
        return cls(
            id=identifier,
            text=text_or_empty(data, "message"),
            created_at=iso_moment(data, "created_time"),
            sender_id=required_text(sender, "id"),
            sender_username=optional_text(sender, "username"),
            recipient_id=optional_text(recipient, "id"),
            attachments=(
                _pieces(list(_edge(data, "attachments")), _read_attachment, owner)
                + _pieces(list(_edge(data, "shares")), _read_share, owner)
                + _read_story(data)
            ),
            raw=data,
        )

    @classmethod
    def parse_event(cls, value: Any) -> DirectMessage | None:
        """Read a `messaging[]` event; None for what is no new message (a read receipt, a
        reaction, a deleted message)."""
        data = as_object(value, "messaging event")
        message = data.get("message")
        if message is None:
            return None
        message = as_object(message, "message")
        if message.get("is_deleted") is True:
            return None
        identifier = required_text(message, "mid")
        moment = epoch_time(_number(data, "timestamp") / 1000)
        if moment is None:
            raise Malformed("'timestamp' is out of range")
        attachments = _pieces(
            message.get("attachments"), _delivered_attachment, f"message {identifier}"
        )
        reply_story = optional_text(_part(_part(message, "reply_to"), "story"), "url")
        if reply_story is not None:
            attachments += (MessageAttachment(type="story_reply", url=reply_story),)
        return cls(
            id=identifier,
            text=text_or_empty(message, "text"),
            created_at=moment,
            sender_id=required_text(as_object(data.get("sender"), "sender"), "id"),
            sender_username=None,
            recipient_id=optional_text(_part(data, "recipient"), "id"),
            attachments=attachments,
            raw=data,
            is_echo=message.get("is_echo") is True,
        )


def _number(data: Mapping[str, Any], key: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Malformed(f"{key!r} is missing or not a number")
    return value


@dataclass(frozen=True, slots=True)
class Conversation:
    """An Instagram conversation of the Conversations API, with its newest messages.

    https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/conversations-api
    `messages` are raw, each read (or skipped) on its own; `participant_ids` are the
    account's and the other person's.
    """

    id: str
    updated_at: datetime
    participant_ids: tuple[str, ...]
    messages: tuple[Any, ...]

    @classmethod
    def parse(cls, value: Any) -> Conversation:
        """Read the conversation and its embedded `messages{...}` edge."""
        data = as_object(value, "conversation")
        return cls(
            id=required_text(data, "id"),
            updated_at=iso_moment(data, "updated_time"),
            participant_ids=tuple(
                str(entry["id"])
                for entry in _edge(data, "participants")
                if isinstance(entry, Mapping)
                and isinstance(entry.get("id"), str | int)
                and not isinstance(entry.get("id"), bool)
            ),
            messages=_edge(data, "messages"),
        )


@dataclass(frozen=True, slots=True)
class WebhookMention:
    """The `value` of a `mentions` webhook change: ids only, `{media_id, comment_id?}`.

    https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/mentioned_comment
    No `comment_id` means the caption of `media_id` mentions the account. The ids go into
    a `fields` expression, so anything but digits is refused.
    """

    media_id: str
    comment_id: str | None

    @classmethod
    def parse(cls, value: Any) -> WebhookMention:
        """Read the ids."""
        data = as_object(value, "mention")
        media_id, comment_id = required_text(data, "media_id"), optional_text(data, "comment_id")
        if not all(
            identifier.isascii() and identifier.isdigit()
            for identifier in (media_id, comment_id or "0")
        ):
            raise Malformed("a mention's ids are not Graph ids")
        return cls(media_id=media_id, comment_id=comment_id)


def created_id(value: Any) -> str:
    """The `id` of a new comment (`POST /{ig-comment-id}/replies`, `/{ig-user-id}/mentions`).

    https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-comment/replies
    """
    return required_text(as_object(value, "answer"), "id")


def sent_message_id(value: Any) -> str:
    """The `message_id` of a direct message the Send API accepted.

    https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/messaging-api/
    """
    return required_text(as_object(value, "answer"), "message_id")
