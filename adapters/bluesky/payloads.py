"""Typed views of the AT Protocol JSON the Bluesky adapter reads.

Each class checks the fields the inbox relies on and keeps the rest in `raw`; a value of
the wrong shape raises `PayloadInvalid` naming the field, never quoting the payload.
Lexicons: https://github.com/bluesky-social/atproto/tree/main/lexicons
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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


@dataclass(frozen=True, slots=True)
class PostRecord:
    """The record of a post (app.bsky.feed.post), as far as the inbox reads it.

    https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/feed/post.json
    """

    text: str
    created_at: str | None
    reply: ReplyRef | None

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
