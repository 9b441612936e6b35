"""Typed views of the AT Protocol JSON the Bluesky adapter reads.

Each class checks the fields the inbox relies on and keeps the rest in `raw`; a value of
the wrong shape raises `PayloadInvalid` naming the field, never quoting the payload.
Lexicons: https://github.com/bluesky-social/atproto/tree/main/lexicons
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

from adapters._payload import plausible_moment
from adapters.base import PayloadInvalid


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PayloadInvalid(f"{where} is not an object")
    return value


def _text(data: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise PayloadInvalid(f"{where}.{key} is missing or not a string")
    return value


def _list(data: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise PayloadInvalid(f"{where}.{key} is not a list")
    return value


def parse_datetime(value: object, where: str) -> datetime:
    """An AT Protocol datetime string as an aware UTC datetime (naive values are taken as UTC).

    Any user writes their own `createdAt`, so a time outside 1970-2200 (or one that
    overflows on its way to UTC) is refused like a malformed one.
    """
    if not isinstance(value, str):
        raise PayloadInvalid(f"{where} is not a datetime string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise PayloadInvalid(f"{where} is not an ISO-8601 datetime") from None
    in_utc = plausible_moment(moment)
    if in_utc is None:
        raise PayloadInvalid(f"{where} is outside 1970-2200")
    return in_utc


@dataclass(frozen=True, slots=True)
class StrongRef:
    """A record pointer by uri and content hash (com.atproto.repo.strongRef).

    https://github.com/bluesky-social/atproto/blob/main/lexicons/com/atproto/repo/strongRef.json
    """

    uri: str
    cid: str

    @classmethod
    def parse(cls, data: object, where: str) -> StrongRef:
        """Read a strongRef object."""
        ref = _mapping(data, where)
        return cls(uri=_text(ref, "uri", where), cid=_text(ref, "cid", where))  # type: ignore[arg-type]

    def as_json(self) -> dict[str, str]:
        """The strongRef as the API takes it."""
        return {"uri": self.uri, "cid": self.cid}


@dataclass(frozen=True, slots=True)
class ReplyRef:
    """Where a post sits in a thread: the thread's first post and the post it answers.

    https://docs.bsky.app/docs/advanced-guides/posts#replies
    """

    root: StrongRef
    parent: StrongRef

    @classmethod
    def parse(cls, data: object, where: str) -> ReplyRef:
        """Read the `reply` field of an app.bsky.feed.post record."""
        reply = _mapping(data, where)
        return cls(
            root=StrongRef.parse(reply.get("root"), f"{where}.root"),
            parent=StrongRef.parse(reply.get("parent"), f"{where}.parent"),
        )


IMAGE_URL: Final = "https://cdn.bsky.app/img/feed_fullsize/plain/{did}/{cid}@jpeg"
"""Where Bluesky's CDN serves an image blob, as the AppView's `fullsize` views name it."""
VIDEO_URL: Final = "https://video.bsky.app/watch/{did}/{cid}/playlist.m3u8"
"""Where Bluesky's video service streams a video blob (the AppView's `playlist`; DID quoted)."""
LINK_FEATURE: Final = "app.bsky.richtext.facet#link"
_DID: Final = re.compile(r"did:[a-z]+:[a-zA-Z0-9._:%-]+")


@dataclass(frozen=True, slots=True)
class LinkFacet:
    """A link laid over a span of text, the span in UTF-8 bytes (app.bsky.richtext.facet#link).

    https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/richtext/facet.json
    """

    byte_start: int
    byte_end: int
    uri: str

    @classmethod
    def parse_all(cls, data: object) -> tuple[LinkFacet, ...]:
        """The link facets of a `facets` array, by position; mentions and tags are not links.

        A facet of the wrong shape is left out (its text then reads as written), never the
        message it annotates.
        """
        if not isinstance(data, list):
            return ()
        links = []
        for facet in data:
            index = facet.get("index") if isinstance(facet, Mapping) else None
            features = facet.get("features") if isinstance(facet, Mapping) else None
            if not isinstance(index, Mapping) or not isinstance(features, list):
                continue
            start, end = index.get("byteStart"), index.get("byteEnd")
            if not all(isinstance(at, int) and not isinstance(at, bool) for at in (start, end)):
                continue
            for feature in features:
                if (
                    isinstance(feature, Mapping)
                    and feature.get("$type") == LINK_FEATURE
                    and isinstance(feature.get("uri"), str)
                    and feature["uri"]
                ):
                    links.append(cls(start, end, feature["uri"]))
                    break
        return tuple(sorted(links, key=lambda link: (link.byte_start, link.byte_end)))


@dataclass(frozen=True, slots=True)
class EmbeddedMedia:
    """An image or a video shown in a post (app.bsky.embed.images, app.bsky.embed.video).

    https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/embed/images.json
    https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/embed/video.json
    """

    is_video: bool
    url: str
    alt: str | None
    size: int | None


@dataclass(frozen=True, slots=True)
class LinkCard:
    """The card of a linked page (app.bsky.embed.external).

    https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/embed/external.json
    """

    uri: str
    title: str | None
    description: str | None


@dataclass(frozen=True, slots=True)
class QuotedRecord:
    """A post (or feed, list, labeler) quoted in a post or chat message (app.bsky.embed.record).

    The record form carries only the quoted uri; a view (`#viewRecord`) adds its author and
    text; `unavailable` says why a view has neither (deleted, blocked, detached).
    https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/embed/record.json
    """

    uri: str
    author: Actor | None = None
    text: str | None = None
    link_facets: tuple[LinkFacet, ...] = ()
    unavailable: str | None = None


Embedded = EmbeddedMedia | LinkCard | QuotedRecord

_UNAVAILABLE: Final = {
    "app.bsky.embed.record#viewNotFound": "the quoted post was deleted",
    "app.bsky.embed.record#viewBlocked": "the quoted post is from a blocked account",
    "app.bsky.embed.record#viewDetached": "the quoted post was detached by its author",
}


@dataclass(frozen=True, slots=True)
class EmbedPart:
    """One thing an embed shows (an image, a video, a link card, a quote), not yet read.

    An embed is split into parts first so one malformed part is dropped and the rest kept.
    `lexicon` is the `$type` the part was found under, record form or `#view` form.
    """

    lexicon: str
    data: object
    where: str

    @classmethod
    def split(
        cls, embed: object, where: str = "embed", *, inside_media: bool = False
    ) -> tuple[EmbedPart, ...]:
        """The parts of a post's or message's `embed`, in the order Bluesky shows them.

        Never raises: a part of the wrong shape fails when read. An embed type the inbox
        does not know yields no part. `recordWithMedia` nests one level only, as its
        lexicon allows, so a hostile nesting costs no recursion.
        """
        if embed is None:
            return ()
        lexicon = embed.get("$type") if isinstance(embed, Mapping) else None
        if not isinstance(embed, Mapping) or not isinstance(lexicon, str):
            return (cls("", embed, where),)
        base, _, form = lexicon.partition("#")
        if inside_media and base == "app.bsky.embed.recordWithMedia":
            return (cls("", embed, where),)
        if base == "app.bsky.embed.images":
            images = embed.get("images")
            if not isinstance(images, list):
                return (cls(lexicon, None, f"{where}.images"),)
            return tuple(
                cls(lexicon, image, f"{where}.images[{number}]")
                for number, image in enumerate(images)
            )
        if base in ("app.bsky.embed.video", "app.bsky.embed.external", "app.bsky.embed.record"):
            return (cls(lexicon, embed, where),)
        if base == "app.bsky.embed.recordWithMedia":
            quoted = embed.get("record")
            if isinstance(quoted, Mapping) and "$type" not in quoted:
                quoted = {**quoted, "$type": "app.bsky.embed.record" + ("#view" if form else "")}
            return cls.split(embed.get("media"), f"{where}.media", inside_media=True) + cls.split(
                quoted, f"{where}.record", inside_media=True
            )
        return ()

    def read(self, owner_did: str) -> Embedded:
        """The part as a typed value; `owner_did` is whose repository holds the blobs.

        Raises `PayloadInvalid` naming the field when the part is not what its lexicon says.
        """
        base, _, form = self.lexicon.partition("#")
        part = _mapping(self.data, self.where)
        if not _DID.fullmatch(owner_did):
            raise PayloadInvalid(f"the owner of {self.where} is not a DID")
        if base == "app.bsky.embed.images":
            return _image(part, owner_did, self.where, view=bool(form))
        if base == "app.bsky.embed.video":
            return _video(part, owner_did, self.where, view=bool(form))
        if base == "app.bsky.embed.external":
            card = _mapping(part.get("external"), f"{self.where}.external")
            return LinkCard(
                uri=_web_url(card.get("uri"), f"{self.where}.external.uri"),
                title=_optional(card, "title", self.where),
                description=_optional(card, "description", self.where),
            )
        if base == "app.bsky.embed.record":
            return _quoted(part.get("record"), f"{self.where}.record", view=bool(form))
        raise PayloadInvalid(f"{self.where} is not an embed")


def _optional(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = _text(data, key, where, required=False)
    return value or None


def _web_url(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise PayloadInvalid(f"{where} is not a web address")
    return value


def _blob_cid(blob: object, where: str) -> str:
    """The content id of a blob: `ref.$link`, or `cid` in the legacy blob form."""
    data = _mapping(blob, where)
    ref = data.get("ref")
    cid = ref.get("$link") if isinstance(ref, Mapping) else data.get("cid")
    if not isinstance(cid, str) or not cid.isalnum():
        raise PayloadInvalid(f"{where} has no content id")
    return cid


def _size(blob: object) -> int | None:
    size = blob.get("size") if isinstance(blob, Mapping) else None
    return size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None


def _image(image: Mapping[str, Any], owner_did: str, where: str, *, view: bool) -> EmbeddedMedia:
    if view:
        url = _web_url(image.get("fullsize") or image.get("thumb"), f"{where}.fullsize")
        size = None
    else:
        blob = image.get("image")
        url = IMAGE_URL.format(did=owner_did, cid=_blob_cid(blob, f"{where}.image"))
        size = _size(blob)
    return EmbeddedMedia(False, url, _optional(image, "alt", where), size)


def _video(video: Mapping[str, Any], owner_did: str, where: str, *, view: bool) -> EmbeddedMedia:
    if view:
        url, size = _web_url(video.get("playlist"), f"{where}.playlist"), None
    else:
        blob = video.get("video")
        cid = _blob_cid(blob, f"{where}.video")
        url, size = VIDEO_URL.format(did=quote(owner_did, safe=""), cid=cid), _size(blob)
    return EmbeddedMedia(True, url, _optional(video, "alt", where), size)


def _quoted(data: object, where: str, *, view: bool) -> QuotedRecord:
    if not view:
        return QuotedRecord(uri=StrongRef.parse(data, where).uri)
    quoted = _mapping(data, where)
    uri = _text(quoted, "uri", where)
    lexicon = quoted.get("$type")
    if lexicon in _UNAVAILABLE:
        return QuotedRecord(uri=uri, unavailable=_UNAVAILABLE[lexicon])  # type: ignore[arg-type]
    value = quoted.get("value")
    author = quoted.get("author") or quoted.get("creator")
    text = value.get("text") if isinstance(value, Mapping) else None
    return QuotedRecord(
        uri=uri,  # type: ignore[arg-type]
        author=Actor.parse(author, f"{where}.author") if author is not None else None,
        text=text if isinstance(text, str) and text else _optional(quoted, "displayName", where),
        link_facets=LinkFacet.parse_all(value.get("facets")) if isinstance(value, Mapping) else (),
    )


@dataclass(frozen=True, slots=True)
class PostRecord:
    """The record of a post (app.bsky.feed.post), as far as the inbox reads it.

    https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/feed/post.json
    """

    text: str
    created_at: str | None
    reply: ReplyRef | None
    link_facets: tuple[LinkFacet, ...] = ()
    embed_parts: tuple[EmbedPart, ...] = ()

    @classmethod
    def parse(cls, data: object, where: str) -> PostRecord:
        """Read a post record; `text` may be empty (an image post), never another type."""
        record = _mapping(data, where)
        text = record.get("text", "")
        if not isinstance(text, str):
            raise PayloadInvalid(f"{where}.text is not a string")
        reply = record.get("reply")
        return cls(
            text=text,
            created_at=record.get("createdAt")
            if isinstance(record.get("createdAt"), str)
            else None,
            reply=None if reply is None else ReplyRef.parse(reply, f"{where}.reply"),
            link_facets=LinkFacet.parse_all(record.get("facets")),
            embed_parts=EmbedPart.split(record.get("embed"), f"{where}.embed"),
        )


@dataclass(frozen=True, slots=True)
class Actor:
    """A profile as embedded in views (app.bsky.actor.defs#profileViewBasic).

    https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/actor/defs.json
    """

    did: str
    handle: str
    display_name: str | None

    @classmethod
    def parse(cls, data: object, where: str) -> Actor:
        """Read a profile view; chat senders carry only a `did`, so the handle may be absent."""
        actor = _mapping(data, where)
        did = _text(actor, "did", where)
        handle = actor.get("handle")
        display_name = actor.get("displayName")
        return cls(
            did=did,  # type: ignore[arg-type]
            handle=handle if isinstance(handle, str) and handle else did,  # type: ignore[arg-type]
            display_name=display_name if isinstance(display_name, str) and display_name else None,
        )


@dataclass(frozen=True, slots=True)
class Notification:
    """One entry of app.bsky.notification.listNotifications.

    https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/notification/listNotifications.json
    """

    uri: str
    cid: str
    author: Actor
    reason: str
    indexed_at: datetime
    record: Mapping[str, Any]
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, data: object) -> Notification:
        """Read one notification."""
        where = "notification"
        notification = _mapping(data, where)
        return cls(
            uri=_text(notification, "uri", where),  # type: ignore[arg-type]
            cid=_text(notification, "cid", where),  # type: ignore[arg-type]
            author=Actor.parse(notification.get("author"), f"{where}.author"),
            reason=_text(notification, "reason", where),  # type: ignore[arg-type]
            indexed_at=parse_datetime(notification.get("indexedAt"), f"{where}.indexedAt"),
            record=_mapping(notification.get("record"), f"{where}.record"),
            raw=notification,
        )


@dataclass(frozen=True, slots=True)
class NotificationPage:
    """A page of listNotifications: raw entries (parsed one by one) and the next cursor."""

    notifications: list[Any]
    cursor: str | None

    @classmethod
    def parse(cls, data: object) -> NotificationPage:
        """Read the page envelope; the entries are parsed by the caller, each on its own."""
        page = _mapping(data, "listNotifications output")
        return cls(
            notifications=_list(page, "notifications", "listNotifications output"),
            cursor=_text(page, "cursor", "listNotifications output", required=False),
        )


@dataclass(frozen=True, slots=True)
class Session:
    """An authenticated session (com.atproto.server.createSession / refreshSession output).

    https://github.com/bluesky-social/atproto/blob/main/lexicons/com/atproto/server/createSession.json
    The tokens are kept out of `repr` so a traceback never shows them.
    """

    did: str
    handle: str
    access_jwt: str
    refresh_jwt: str
    pds_url: str | None

    def __repr__(self) -> str:
        return f"Session(did={self.did!r}, handle={self.handle!r}, pds_url={self.pds_url!r})"

    @classmethod
    def parse(cls, data: object) -> Session:
        """Read a session; the PDS comes from the DID document's `#atproto_pds` service."""
        where = "session"
        session = _mapping(data, where)
        return cls(
            did=_text(session, "did", where),  # type: ignore[arg-type]
            handle=_text(session, "handle", where),  # type: ignore[arg-type]
            access_jwt=_text(session, "accessJwt", where),  # type: ignore[arg-type]
            refresh_jwt=_text(session, "refreshJwt", where),  # type: ignore[arg-type]
            pds_url=_pds_endpoint(session.get("didDoc")),
        )


def _pds_endpoint(did_doc: object) -> str | None:
    if not isinstance(did_doc, Mapping):
        return None
    services = did_doc.get("service")
    if not isinstance(services, list):
        return None
    for service in services:
        if (
            isinstance(service, Mapping)
            and service.get("id") in ("#atproto_pds", f"{did_doc.get('id')}#atproto_pds")
            and isinstance(service.get("serviceEndpoint"), str)
            and service["serviceEndpoint"].startswith(("https://", "http://"))
        ):
            return service["serviceEndpoint"].rstrip("/")
    return None


@dataclass(frozen=True, slots=True)
class CreatedRecord:
    """What com.atproto.repo.createRecord answers.

    https://github.com/bluesky-social/atproto/blob/main/lexicons/com/atproto/repo/createRecord.json
    """

    uri: str
    cid: str

    @classmethod
    def parse(cls, data: object) -> CreatedRecord:
        """Read the created record's strong reference."""
        ref = StrongRef.parse(data, "createRecord output")
        return cls(uri=ref.uri, cid=ref.cid)


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """One record read back with com.atproto.repo.getRecord.

    https://github.com/bluesky-social/atproto/blob/main/lexicons/com/atproto/repo/getRecord.json
    """

    uri: str
    cid: str
    value: PostRecord

    @classmethod
    def parse(cls, data: object) -> StoredRecord:
        """Read a post record with its uri and cid."""
        where = "getRecord output"
        record = _mapping(data, where)
        return cls(
            uri=_text(record, "uri", where),  # type: ignore[arg-type]
            cid=_text(record, "cid", where),  # type: ignore[arg-type]
            value=PostRecord.parse(record.get("value"), f"{where}.value"),
        )

    @property
    def ref(self) -> StrongRef:
        """This record as a strongRef."""
        return StrongRef(self.uri, self.cid)


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """A chat message (chat.bsky.convo.defs#messageView); deleted and system entries are not.

    https://github.com/bluesky-social/atproto/blob/main/lexicons/chat/bsky/convo/defs.json
    """

    id: str
    rev: str
    sender_did: str
    text: str
    sent_at: datetime
    raw: Mapping[str, Any]
    link_facets: tuple[LinkFacet, ...] = ()
    embed_parts: tuple[EmbedPart, ...] = ()
    """A post shared in the chat (`app.bsky.embed.record#view`)."""

    @classmethod
    def parse(cls, data: object) -> ChatMessage | None:
        """Read a message view; None for a deleted message or a system entry."""
        where = "chat message"
        message = _mapping(data, where)
        if (
            message.get("$type", "chat.bsky.convo.defs#messageView")
            != "chat.bsky.convo.defs#messageView"
        ):
            return None
        text = message.get("text", "")
        if not isinstance(text, str):
            raise PayloadInvalid(f"{where}.text is not a string")
        return cls(
            id=_text(message, "id", where),  # type: ignore[arg-type]
            rev=_text(message, "rev", where),  # type: ignore[arg-type]
            sender_did=_text(_mapping(message.get("sender"), f"{where}.sender"), "did", where),  # type: ignore[arg-type]
            text=text,
            sent_at=parse_datetime(message.get("sentAt"), f"{where}.sentAt"),
            raw=message,
            link_facets=LinkFacet.parse_all(message.get("facets")),
            embed_parts=EmbedPart.split(message.get("embed"), f"{where}.embed"),
        )


@dataclass(frozen=True, slots=True)
class Convo:
    """A conversation (chat.bsky.convo.defs#convoView): its id, revision and members.

    https://github.com/bluesky-social/atproto/blob/main/lexicons/chat/bsky/convo/defs.json
    """

    id: str
    rev: str
    members: tuple[Actor, ...]

    @classmethod
    def parse(cls, data: object) -> Convo:
        """Read a convo view."""
        where = "convo"
        convo = _mapping(data, where)
        return cls(
            id=_text(convo, "id", where),  # type: ignore[arg-type]
            rev=_text(convo, "rev", where),  # type: ignore[arg-type]
            members=tuple(
                Actor.parse(member, f"{where}.members[]")
                for member in _list(convo, "members", where)
            ),
        )


@dataclass(frozen=True, slots=True)
class ConvoPage:
    """A page of chat.bsky.convo.listConvos.

    https://github.com/bluesky-social/atproto/blob/main/lexicons/chat/bsky/convo/listConvos.json
    """

    convos: list[Any]
    cursor: str | None

    @classmethod
    def parse(cls, data: object) -> ConvoPage:
        """Read the page envelope; each convo is parsed by the caller, on its own."""
        where = "listConvos output"
        page = _mapping(data, where)
        return cls(
            convos=_list(page, "convos", where),
            cursor=_text(page, "cursor", where, required=False),
        )


@dataclass(frozen=True, slots=True)
class MessagePage:
    """A page of chat.bsky.convo.getMessages, newest first; entries parsed by the caller.

    https://github.com/bluesky-social/atproto/blob/main/lexicons/chat/bsky/convo/getMessages.json
    """

    messages: list[Any]
    cursor: str | None

    @classmethod
    def parse(cls, data: object) -> MessagePage:
        """Read the page envelope."""
        where = "getMessages output"
        page = _mapping(data, where)
        return cls(
            messages=_list(page, "messages", where),
            cursor=_text(page, "cursor", where, required=False),
        )
