"""Typed views of the Graph API and webhook JSON the Facebook adapter reads.

Each `parse` raises `Malformed` (or another of `ITEM_FAULTS`) on a value it cannot use, so
one odd comment or message is skipped with a log line and its page lands. A comment read
from Graph and the same comment delivered by a webhook become the same `Comment`, and a
Messenger message read from a conversation and the same message delivered by a webhook
become the same `Message`: mapping then gives identical items either way.

Every id is kept as a string (old webhook deliveries send numbers).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from adapters._payload import (
    ITEM_FAULTS,
    Malformed,
    as_list,
    as_object,
    epoch_moment,
    epoch_time,
    iso_moment,
    optional_text,
    required_text,
    shown,
    text_or_empty,
)
from adapters.base import Attachment, AttachmentKind

log = logging.getLogger(__name__)

COMMENT_FIELDS = "id,message,created_time,from{id,name},parent{id},attachment,is_hidden"
"""What a comments read asks Graph for (https://developers.facebook.com/docs/graph-api/reference/comment)."""

MESSAGE_FIELDS = "id,created_time,from,to,message,attachments,shares{link,name,description},sticker"
"""What a Messenger message read asks Graph for
(https://developers.facebook.com/docs/graph-api/reference/message)."""

_LINK_SHIMS = frozenset({"l.facebook.com", "lm.facebook.com", "l.messenger.com"})


def real_link(url: str | None) -> str | None:
    """The target of a Facebook link shim (`l.facebook.com/l.php?u=...`), else `url` itself."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.hostname in _LINK_SHIMS and parts.path == "/l.php":
        target = dict(parse_qsl(parts.query)).get("u", "")
        if target.startswith(("https://", "http://")):
            return target
    return url


@dataclass(frozen=True, slots=True)
class Person:
    """Who wrote a comment or a message: a Graph `from`, or an old webhook's `sender_*`.

    https://developers.facebook.com/docs/graph-api/reference/user (the page-scoped view).
    """

    id: str
    name: str | None = None

    @classmethod
    def parse(cls, data: Any) -> Person:
        """A `{"id", "name"}` object."""
        data = as_object(data, "from")
        return cls(id=required_text(data, "id"), name=optional_text(data, "name"))

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Person | None:
        """The author of a comment: its `from`, or the `sender_id`/`sender_name` of a
        v2.5-era delivery; None when Graph withheld it."""
        if data.get("from") is not None:
            return cls.parse(data["from"])
        if data.get("sender_id") is not None:
            return cls(id=required_text(data, "sender_id"), name=optional_text(data, "sender_name"))
        return None


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment on one of the Page's posts, or a reply to one.

    Read from Graph (https://developers.facebook.com/docs/graph-api/reference/comment) or
    from a Page `feed` webhook change (https://developers.facebook.com/docs/graph-api/webhooks/reference/page/#feed).
    `parent_id` is the comment it answers, None for a top-level comment.
    """

    id: str
    post_id: str
    parent_id: str | None
    author: Person | None
    message: str
    created_at: datetime
    attachments: tuple[Attachment, ...] = ()

    @classmethod
    def parse(cls, data: Any, post_id: str) -> Comment:
        """A comment as `GET /{post-id}/comments` gives it (with `COMMENT_FIELDS`)."""
        data = as_object(data, "comment")
        parent = data.get("parent")
        attachment = data.get("attachment")
        return cls(
            id=required_text(data, "id"),
            post_id=post_id,
            parent_id=required_text(as_object(parent, "parent"), "id") if parent else None,
            author=Person.of(data),
            message=text_or_empty(data, "message"),
            created_at=iso_moment(data, "created_time"),
            attachments=_readable_attachment(attachment, _comment_attachment, data),
        )

    @classmethod
    def from_webhook(cls, value: Any) -> Comment:
        """A comment as a `feed` change with `item: comment` delivers it."""
        value = as_object(value, "value")
        post_id = required_text(value, "post_id")
        parent_id = optional_text(value, "parent_id")
        attachments = []
        for key, kind in (("photo", AttachmentKind.IMAGE), ("video", AttachmentKind.VIDEO)):
            url = optional_text(value, key)
            if url:
                attachments.append(Attachment(kind, url=url))
        return cls(
            id=required_text(value, "comment_id"),
            post_id=post_id,
            parent_id=parent_id if parent_id not in (None, post_id) else None,
            author=Person.of(value),
            message=text_or_empty(value, "message"),
            created_at=epoch_moment(value, "created_time"),
            attachments=tuple(attachments),
        )


@dataclass(frozen=True, slots=True)
class Post:
    """An entry of the Page's feed: only what tells whether it has new comments.

    https://developers.facebook.com/docs/graph-api/reference/page/feed. A post's
    `updated_time` moves when it is edited or commented on, as Graph's Post reference
    describes it (not checked against a live Page here: webhooks cover what this misses).
    """

    id: str
    updated_at: datetime

    @classmethod
    def parse(cls, data: Any) -> Post:
        """One entry of `GET /{page-id}/feed?fields=id,updated_time`."""
        data = as_object(data, "post")
        return cls(id=required_text(data, "id"), updated_at=iso_moment(data, "updated_time"))


@dataclass(frozen=True, slots=True)
class Message:
    """One Messenger message between a person and the Page.

    Read from a conversation (https://developers.facebook.com/docs/graph-api/reference/message)
    or delivered by a `messages` webhook event
    (https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messages).
    """

    id: str
    sender_id: str
    sender_name: str | None
    recipient_id: str | None
    text: str
    created_at: datetime
    is_echo: bool = False
    attachments: tuple[Attachment, ...] = ()
    reply_to: str | None = None

    @classmethod
    def parse(cls, data: Any) -> Message:
        """A message as `GET /{conversation-id}/messages` gives it (with `MESSAGE_FIELDS`)."""
        data = as_object(data, "message")
        sender = Person.parse(data.get("from"))
        recipients = _people(data.get("to"))
        attachments = _listed(data.get("attachments"), _message_attachment, data)
        attachments += _listed(data.get("shares"), _share, data)
        sticker = optional_text(data, "sticker")
        if sticker:
            attachments += (Attachment(AttachmentKind.IMAGE, url=sticker, description="sticker"),)
        return cls(
            id=required_text(data, "id"),
            sender_id=sender.id,
            sender_name=sender.name,
            recipient_id=recipients[0].id if recipients else None,
            text=text_or_empty(data, "message"),
            created_at=iso_moment(data, "created_time"),
            attachments=attachments,
        )

    @classmethod
    def from_webhook(cls, event: Any) -> Message | None:
        """The message of one `messaging` event; None for an event that carries none
        (deliveries, reads, reactions, postbacks) or a message the person deleted."""
        event = as_object(event, "messaging event")
        if event.get("message") is None:
            return None
        message = as_object(event["message"], "message")
        if message.get("is_deleted") is True:
            return None
        reply_to = message.get("reply_to")
        return cls(
            id=required_text(message, "mid"),
            sender_id=required_text(as_object(event.get("sender"), "sender"), "id"),
            sender_name=None,
            recipient_id=required_text(as_object(event.get("recipient"), "recipient"), "id"),
            text=text_or_empty(message, "text"),
            created_at=_epoch_milliseconds(event.get("timestamp")),
            is_echo=message.get("is_echo") is True,
            attachments=_readable_list(message.get("attachments"), _webhook_attachment, message),
            reply_to=optional_text(reply_to, "mid") if isinstance(reply_to, Mapping) else None,
        )


@dataclass(frozen=True, slots=True)
class Conversation:
    """A Messenger conversation of the Page: its people and its newest messages.

    https://developers.facebook.com/docs/graph-api/reference/conversation
    """

    id: str
    updated_at: datetime
    participants: tuple[Person, ...]
    messages: tuple[Any, ...]
    """The raw messages Graph nested in the conversation, newest first."""
    more_messages: str | None
    """The `after` cursor of the nested messages when Graph has older ones."""

    @classmethod
    def parse(cls, data: Any) -> Conversation:
        """One entry of `GET /{page-id}/conversations` with `participants` and `messages`."""
        data = as_object(data, "conversation")
        messages = as_object(data.get("messages") or {"data": []}, "messages")
        return cls(
            id=required_text(data, "id"),
            updated_at=iso_moment(data, "updated_time"),
            participants=_people(data.get("participants")),
            messages=tuple(as_list(messages.get("data"), "messages")),
            more_messages=_after_cursor(messages),
        )


def _after_cursor(listing: Mapping[str, Any]) -> str | None:
    paging = listing.get("paging")
    if not isinstance(paging, Mapping) or not isinstance(paging.get("next"), str):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, Mapping) else None
    return after if isinstance(after, str) and after else None


def _people(value: Any) -> tuple[Person, ...]:
    if value is None:
        return ()
    return tuple(Person.parse(entry) for entry in as_list(as_object(value, "people").get("data")))


def _epoch_milliseconds(value: Any) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Malformed("'timestamp' is missing or not a number")
    moment = epoch_time(value / 1000)
    if moment is None:
        raise Malformed("'timestamp' is out of range")
    return moment


def _comment_attachment(data: Any) -> Attachment:
    """A comment's `attachment` (https://developers.facebook.com/docs/graph-api/reference/story-attachment)."""
    data = as_object(data, "attachment")
    kind = optional_text(data, "type") or ""
    target = data.get("target")
    target_url = optional_text(target, "url") if isinstance(target, Mapping) else None
    url = real_link(optional_text(data, "url") or target_url)
    media = data.get("media")
    image = media.get("image") if isinstance(media, Mapping) else None
    source = optional_text(image, "src") if isinstance(image, Mapping) else None
    title = optional_text(data, "title")
    description = optional_text(data, "description")
    if "video" in kind:
        return Attachment(AttachmentKind.VIDEO, url=url or source, title=title)
    if kind in ("photo", "sticker", "animated_image_share", "image"):
        return Attachment(AttachmentKind.IMAGE, url=source or url, description=description)
    if url is None:
        raise Malformed("attachment has no address")
    return Attachment(AttachmentKind.LINK, url=url, title=title, description=description)


def _message_attachment(data: Any) -> Attachment:
    """An entry of a message's `attachments` (https://developers.facebook.com/docs/graph-api/reference/message/attachments)."""
    data = as_object(data, "attachment")
    mime = optional_text(data, "mime_type") or ""
    size = data.get("size")
    size = size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None
    name = optional_text(data, "name")
    for key, kind in (("image_data", AttachmentKind.IMAGE), ("video_data", AttachmentKind.VIDEO)):
        if isinstance(data.get(key), Mapping):
            return Attachment(kind, url=optional_text(data[key], "url"), title=name, size=size)
    kind = {
        "image": AttachmentKind.IMAGE,
        "video": AttachmentKind.VIDEO,
        "audio": AttachmentKind.AUDIO,
    }.get(mime.partition("/")[0], AttachmentKind.FILE)
    return Attachment(kind, url=optional_text(data, "file_url"), title=name, size=size)


def _share(data: Any) -> Attachment:
    """An entry of a message's `shares`: a link the person sent."""
    data = as_object(data, "share")
    link = real_link(optional_text(data, "link"))
    if link is None:
        raise Malformed("share has no link")
    return Attachment(
        AttachmentKind.LINK,
        url=link,
        title=optional_text(data, "name"),
        description=optional_text(data, "description"),
    )


_WEBHOOK_KINDS = {
    "image": AttachmentKind.IMAGE,
    "sticker": AttachmentKind.IMAGE,
    "video": AttachmentKind.VIDEO,
    "reel": AttachmentKind.VIDEO,
    "ig_reel": AttachmentKind.VIDEO,
    "audio": AttachmentKind.AUDIO,
    "file": AttachmentKind.FILE,
}


def _webhook_attachment(data: Any) -> Attachment:
    """An entry of a webhook message's `attachments`: `{type, payload{url, title?}}`; a
    `fallback` (a shared link) or a shared post is a link."""
    data = as_object(data, "attachment")
    kind = required_text(data, "type")
    payload = data.get("payload")
    payload = payload if isinstance(payload, Mapping) else {}
    url = real_link(optional_text(payload, "url"))
    title = optional_text(data, "title") or optional_text(payload, "title")
    if kind in _WEBHOOK_KINDS:
        return Attachment(_WEBHOOK_KINDS[kind], url=url, title=title)
    return Attachment(AttachmentKind.LINK, url=url or optional_text(data, "url"), title=title)


def _readable_attachment(
    value: Any, parse: Callable[[Any], Attachment], owner: Mapping[str, Any]
) -> tuple[Attachment, ...]:
    if value is None:
        return ()
    return _readable_list([value], parse, owner)


def _listed(
    value: Any, parse: Callable[[Any], Attachment], owner: Mapping[str, Any]
) -> tuple[Attachment, ...]:
    """The entries of a Graph `{data: [...]}` list that read."""
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        return _readable_list(value, parse, owner)
    return _readable_list(value.get("data"), parse, owner)


def _readable_list(
    value: Any, parse: Callable[[Any], Attachment], owner: Mapping[str, Any]
) -> tuple[Attachment, ...]:
    """Each attachment in `value` that reads; one that does not is dropped with a log line,
    and the message keeps its text and the rest."""
    if value is None:
        return ()
    try:
        entries = as_list(value, "attachments")
    except Malformed as problem:
        log.warning(
            "dropped the attachments of Facebook item %s: %s", shown(owner.get("id")), problem
        )
        return ()
    readable = []
    for entry in entries:
        try:
            readable.append(parse(entry))
        except ITEM_FAULTS as problem:
            log.warning(
                "dropped an attachment of Facebook item %s: %s",
                shown(owner.get("id") or owner.get("mid")),
                problem if isinstance(problem, Malformed) else type(problem).__name__,
            )
    return tuple(readable)
