"""Pure functions between Bluesky payloads and the inbox's terms: items in, rich text out."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

import regex

from adapters._payload import ITEM_FAULTS, shown
from adapters.base import (
    Attachment,
    AttachmentKind,
    Direction,
    FetchedContact,
    FetchedItem,
    Kind,
    PayloadInvalid,
)
from adapters.bluesky.payloads import (
    Actor,
    ChatMessage,
    Embedded,
    EmbeddedMedia,
    EmbedPart,
    LinkCard,
    LinkFacet,
    Notification,
    PostRecord,
    QuotedRecord,
    parse_datetime,
)

log = logging.getLogger(__name__)

INBOX_REASONS: Final = ("mention", "reply", "quote")
"""Notification reasons that are conversations to answer; likes, follows and reposts are not."""

WEB_APP: Final = "https://bsky.app"

_CREATED_AT_TOLERANCE_BEFORE: Final = timedelta(days=1)
_CREATED_AT_TOLERANCE_AFTER: Final = timedelta(minutes=5)

_GRAPHEME: Final = regex.compile(r"\X")
_MENTION: Final = regex.compile(
    r"(?:^|(?<=[\s(]))@((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)"
)
_LINK: Final = regex.compile(r"(?:^|(?<=[\s(]))(https?://[^\s]+)")
_LINK_TRAILING_PUNCTUATION: Final = ".,;:!?\"'"
_SCHEME: Final = regex.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_ELLIPSES: Final = ("...", "\u2026")
_TID_ALPHABET: Final = "234567abcdefghijklmnopqrstuvwxyz"
_TID_EPOCH_MICROSECONDS: Final = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z
_TID_SPREAD_MICROSECONDS: Final = 1 << 45  # about 407 days


def grapheme_count(text: str) -> int:
    """How many user-perceived characters `text` has (UAX #29), as Bluesky counts its limit."""
    return len(_GRAPHEME.findall(text))


def did_of(uri: str) -> str | None:
    """The repository DID of an `at://did/collection/rkey` uri, or None for another shape."""
    if not uri.startswith("at://"):
        return None
    authority = uri[len("at://") :].split("/", 1)[0]
    return authority if authority.startswith("did:") else None


def post_url(uri: str, handle: str | None = None) -> str | None:
    """The bsky.app address of a post uri, or None when it is not a post."""
    parts = uri[len("at://") :].split("/") if uri.startswith("at://") else []
    if len(parts) != 3 or parts[1] != "app.bsky.feed.post":
        return None
    return f"{WEB_APP}/profile/{handle or parts[0]}/post/{parts[2]}"


def contact(actor: Actor) -> FetchedContact:
    """A profile as the inbox names people: DID as the id, handle with its @."""
    return FetchedContact(
        external_id=actor.did,
        handle=f"@{actor.handle.removeprefix('@')}",
        display_name=actor.display_name,
    )


def notification_item(notification: Notification, brand_did: str) -> FetchedItem | None:
    """The inbox item of a mention, reply or quote; None for any other reason.

    A reply that also @mentions the brand arrives once, as `mention` with `record.reply`
    set; it is filed as a comment when its thread starts at a brand post. The thread key
    is the reply root's uri, or the post's own uri when it starts a thread.
    """
    if notification.reason not in INBOX_REASONS:
        return None
    record = PostRecord.parse(notification.record, "notification.record")
    reply = record.reply
    if notification.reason == "reply" or (
        reply is not None and did_of(reply.root.uri) == brand_did
    ):
        kind = Kind.COMMENT
    else:
        kind = Kind.MENTION
    return FetchedItem(
        external_id=notification.uri,
        thread_key=reply.root.uri if reply is not None else notification.uri,
        kind=kind,
        direction=Direction.IN,
        author=contact(notification.author),
        text=text_with_links(record.text, record.link_facets),
        created_at=_written_at(record, notification.indexed_at),
        parent_external_id=reply.parent.uri if reply is not None else None,
        url=post_url(notification.uri, notification.author.handle),
        raw=notification.raw,
        attachments=embed_attachments(
            record.embed_parts, notification.author.did, notification.uri
        ),
    )


def text_with_links(text: str, links: Iterable[LinkFacet]) -> str:
    """`text` with the full target of every link whose visible text does not show it.

    A truncated link ("example.com/a/long-pa...") becomes its full URL; other words over a
    link keep their place and gain the target in brackets; a link that shows its own
    target (with or without the scheme) is left as written. Facet offsets are UTF-8 bytes;
    a facet that overlaps another or does not fall on character boundaries is ignored.
    """
    encoded = text.encode("utf-8")
    pieces: list[str] = []
    written_up_to = 0
    for link in links:
        if not written_up_to <= link.byte_start < link.byte_end <= len(encoded):
            continue
        try:
            visible = encoded[link.byte_start : link.byte_end].decode("utf-8")
        except UnicodeDecodeError:
            continue
        pieces.append(encoded[written_up_to : link.byte_start].decode("utf-8"))
        pieces.append(_shown_link(visible, link.uri))
        written_up_to = link.byte_end
    if not pieces:
        return text
    pieces.append(encoded[written_up_to:].decode("utf-8"))
    return "".join(pieces)


def _shown_link(visible: str, target: str) -> str:
    bare_target = _bare(target)
    if _bare(visible) == bare_target:
        return visible
    for ellipsis in _ELLIPSES:
        if visible.rstrip().endswith(ellipsis):
            stem = _bare(visible.rstrip().removesuffix(ellipsis))
            if stem and bare_target.startswith(stem):
                return target
    return f"{visible} ({target})"


def _bare(link: str) -> str:
    """A link without its scheme, a leading `www.` or a trailing slash, for comparing."""
    bare = _SCHEME.sub("", link.strip(), count=1)
    return bare.removeprefix("www.").rstrip("/").casefold()


def embed_attachments(
    parts: Iterable[EmbedPart], owner_did: str, item_id: str
) -> tuple[Attachment, ...]:
    """The attachments of a post's or message's embed; a malformed part is logged and dropped.

    `owner_did` is the author, whose repository holds the blobs a record-form embed names.
    """
    attachments = []
    for part in parts:
        try:
            attachments.append(_attachment(part.read(owner_did)))
        except (PayloadInvalid, *ITEM_FAULTS) as problem:
            log.warning(
                "dropped a malformed Bluesky embed (%s) of %s: %s",
                shown(part.lexicon),
                shown(item_id),
                problem if isinstance(problem, PayloadInvalid) else type(problem).__name__,
            )
    return tuple(attachments)


def _attachment(embedded: Embedded) -> Attachment:
    if isinstance(embedded, EmbeddedMedia):
        return Attachment(
            kind=AttachmentKind.VIDEO if embedded.is_video else AttachmentKind.IMAGE,
            url=embedded.url,
            description=embedded.alt,
            size=embedded.size,
        )
    if isinstance(embedded, LinkCard):
        return Attachment(
            kind=AttachmentKind.LINK,
            url=embedded.uri,
            title=embedded.title,
            description=embedded.description,
        )
    return _quote(embedded)


def _quote(quoted: QuotedRecord) -> Attachment:
    """A quote: the quoted author and text where a view gives them, else only its address."""
    words = quoted.unavailable
    if quoted.text is not None:
        words = text_with_links(quoted.text, quoted.link_facets)
    return Attachment(
        kind=AttachmentKind.QUOTE,
        url=post_url(quoted.uri, quoted.author.handle if quoted.author is not None else None),
        description=words,
        author=contact(quoted.author).handle if quoted.author is not None else None,
    )


def _written_at(record: PostRecord, indexed_at: datetime) -> datetime:
    """The record's own `createdAt` when plausible; the author sets it, the AppView does not."""
    if record.created_at is None:
        return indexed_at
    try:
        created_at = parse_datetime(record.created_at, "record.createdAt")
    except PayloadInvalid:
        return indexed_at
    earliest = indexed_at - _CREATED_AT_TOLERANCE_BEFORE
    latest = indexed_at + _CREATED_AT_TOLERANCE_AFTER
    return created_at if earliest <= created_at <= latest else indexed_at


def chat_item(
    message: ChatMessage, convo_id: str, members: Mapping[str, Actor], brand_did: str
) -> FetchedItem:
    """The inbox item of a chat message: inbound unless the brand itself sent it."""
    sender = members.get(message.sender_did) or Actor(message.sender_did, message.sender_did, None)
    return FetchedItem(
        external_id=f"chat:{convo_id}:{message.id}",
        thread_key=f"chat:{convo_id}",
        kind=Kind.DM,
        direction=Direction.OUT if message.sender_did == brand_did else Direction.IN,
        author=contact(sender),
        text=text_with_links(message.text, message.link_facets),
        created_at=message.sent_at,
        raw=message.raw,
        attachments=embed_attachments(message.embed_parts, message.sender_did, message.id),
    )


def convo_id_of(thread_key: str) -> str | None:
    """The chat conversation id inside a DM thread key, or None for a post thread."""
    return thread_key.removeprefix("chat:") if thread_key.startswith("chat:") else None


def facets(
    text: str, resolve_handle: Mapping[str, str] | Callable[[str], str | None]
) -> list[dict[str, Any]]:
    """Rich-text facets for the @mentions and links in `text`, with UTF-8 byte offsets.

    `resolve_handle` maps a handle to its DID (None or absent: that mention stays plain
    text, as the Bluesky app does). https://docs.bsky.app/docs/advanced-guides/post-richtext
    """
    lookup = resolve_handle.get if isinstance(resolve_handle, Mapping) else resolve_handle
    found: list[dict[str, Any]] = []
    for match in _MENTION.finditer(text):
        did = lookup(match.group(1).lower())
        if did:
            found.append(
                _facet(
                    text,
                    match.start(),
                    match.end(),
                    {"$type": "app.bsky.richtext.facet#mention", "did": did},
                )
            )
    for match in _LINK.finditer(text):
        link = match.group(1).rstrip(_LINK_TRAILING_PUNCTUATION)
        if link.endswith(")") and "(" not in link:
            link = link[:-1]
        start = match.start(1)
        found.append(
            _facet(
                text,
                start,
                start + len(link),
                {"$type": "app.bsky.richtext.facet#link", "uri": link},
            )
        )
    return sorted(found, key=lambda facet: facet["index"]["byteStart"])


def mentioned_handles(text: str) -> list[str]:
    """The handles @mentioned in `text`, lower-cased, in order, without repeats."""
    return list(dict.fromkeys(match.group(1).lower() for match in _MENTION.finditer(text)))


def _facet(text: str, start: int, end: int, feature: dict[str, str]) -> dict[str, Any]:
    byte_start = len(text[:start].encode("utf-8"))
    byte_end = byte_start + len(text[start:end].encode("utf-8"))
    return {"index": {"byteStart": byte_start, "byteEnd": byte_end}, "features": [feature]}


def record_key_for(idempotency_key: str) -> str:
    """A record key (TID syntax) derived from an outbound idempotency key.

    The same key always gives the same rkey, so a retried reply lands on the record the
    first attempt wrote instead of posting twice, and `find_sent` can look it up. The
    timestamp part is a hash spread over 2024-2025, so it never sorts as a future post.
    """
    digest = int.from_bytes(
        hashlib.blake2b(idempotency_key.encode(), digest_size=8).digest(), "big"
    )
    microseconds = _TID_EPOCH_MICROSECONDS + digest % _TID_SPREAD_MICROSECONDS
    clock_id = (digest >> 48) & 0x3FF
    value = (microseconds << 10) | clock_id
    return "".join(_TID_ALPHABET[(value >> (5 * shift)) & 31] for shift in range(12, -1, -1))
