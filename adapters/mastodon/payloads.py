"""Typed views of the Mastodon API JSON the adapter reads; each `parse` raises `Malformed`.

What a status carries besides its text (media, a poll, a link card, a quote) is read one
piece at a time: a piece that does not read is dropped with a log line, never the status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from adapters._payload import (
    ITEM_FAULTS,
    Malformed,
    as_list,
    as_object,
    iso_moment,
    optional_text,
    required_text,
    shown,
    text_or_empty,
)

log = logging.getLogger(__name__)

_Piece = TypeVar("_Piece")


@dataclass(frozen=True, slots=True)
class Account:
    """A Mastodon account: https://docs.joinmastodon.org/entities/Account/"""

    id: str
    acct: str
    display_name: str

    @classmethod
    def parse(cls, value: Any) -> Account:
        """Read the fields the inbox uses."""
        data = as_object(value, "account")
        return cls(
            id=required_text(data, "id"),
            acct=required_text(data, "acct"),
            display_name=text_or_empty(data, "display_name"),
        )


@dataclass(frozen=True, slots=True)
class MediaAttachment:
    """A file attached to a status: https://docs.joinmastodon.org/entities/MediaAttachment/

    `type` is `image`, `gifv`, `video`, `audio` or `unknown`; `description` is the alt text.
    A remote file the instance has not cached has no `url`, only its `remote_url`.
    """

    type: str
    url: str
    description: str | None

    @classmethod
    def parse(cls, value: Any) -> MediaAttachment:
        """Read the fields the inbox uses; a file with no address at all is malformed."""
        data = as_object(value, "media attachment")
        url = optional_text(data, "url") or optional_text(data, "remote_url")
        if url is None:
            raise Malformed("a media attachment with neither 'url' nor 'remote_url'")
        return cls(
            type=optional_text(data, "type") or "unknown",
            url=url,
            description=optional_text(data, "description"),
        )


@dataclass(frozen=True, slots=True)
class PollOption:
    """One choice of a poll; `votes_count` is None while the results are hidden."""

    title: str
    votes_count: int | None


@dataclass(frozen=True, slots=True)
class Poll:
    """A poll; its question is the status text: https://docs.joinmastodon.org/entities/Poll/"""

    options: tuple[PollOption, ...]
    votes_count: int | None
    expired: bool

    @classmethod
    def parse(cls, value: Any) -> Poll:
        """Read the fields the inbox uses; one unreadable option spoils the poll."""
        data = as_object(value, "poll")
        options = []
        for raw_option in as_list(data.get("options"), "poll options"):
            option = as_object(raw_option, "poll option")
            options.append(
                PollOption(title=text_or_empty(option, "title"), votes_count=_count(option))
            )
        return cls(
            options=tuple(options), votes_count=_count(data), expired=data.get("expired") is True
        )


@dataclass(frozen=True, slots=True)
class PreviewCard:
    """The page a status links to: https://docs.joinmastodon.org/entities/PreviewCard/"""

    url: str
    title: str
    description: str

    @classmethod
    def parse(cls, value: Any) -> PreviewCard:
        """Read the fields the inbox uses; a card without a `url` is malformed."""
        data = as_object(value, "card")
        return cls(
            url=required_text(data, "url"),
            title=text_or_empty(data, "title"),
            description=text_or_empty(data, "description"),
        )


@dataclass(frozen=True, slots=True)
class Quote:
    """The status a status quotes: https://docs.joinmastodon.org/entities/Quote/

    `quoted_status` is None unless the quote may be shown (`state` `accepted`). A quoted
    status's own quote (a ShallowQuote, which names only an id) is not read.
    """

    state: str
    quoted_status: Status | None

    @classmethod
    def parse(cls, value: Any) -> Quote:
        """Read the quote; the quoted status is read without its own quote."""
        data = as_object(value, "quote")
        quoted = data.get("quoted_status")
        return cls(
            state=text_or_empty(data, "state"),
            quoted_status=None if quoted is None else Status.parse(quoted, with_quote=False),
        )


@dataclass(frozen=True, slots=True)
class Status:
    """A post; `content` is sanitised HTML: https://docs.joinmastodon.org/entities/Status/"""

    id: str
    created_at: datetime
    account: Account
    content: str
    spoiler_text: str
    visibility: str
    in_reply_to_id: str | None
    url: str | None
    raw: Mapping[str, Any]
    media: tuple[MediaAttachment, ...] = ()
    poll: Poll | None = None
    card: PreviewCard | None = None
    quote: Quote | None = None

    @classmethod
    def parse(cls, value: Any, *, with_quote: bool = True) -> Status:
        """Read the fields the inbox uses; media, poll, card and quote that do not read are
        dropped with a log line. `with_quote=False` leaves the quote unread (a quoted status's
        own quote, which Mastodon sends as a bare id)."""
        data = as_object(value, "status")
        status = cls(
            id=required_text(data, "id"),
            created_at=iso_moment(data, "created_at"),
            account=Account.parse(data.get("account")),
            content=text_or_empty(data, "content"),
            spoiler_text=text_or_empty(data, "spoiler_text"),
            visibility=required_text(data, "visibility"),
            in_reply_to_id=optional_text(data, "in_reply_to_id"),
            url=optional_text(data, "url") or optional_text(data, "uri"),
            raw=data,
        )

        def piece(parse: Callable[[Any], _Piece], key: str) -> _Piece | None:
            return None if data.get(key) is None else _readable(parse, data[key], key, status.id)

        listed = piece(lambda raw: as_list(raw, "media_attachments"), "media_attachments") or []
        media = [
            _readable(MediaAttachment.parse, raw, "media attachment", status.id) for raw in listed
        ]
        return replace(
            status,
            media=tuple(attachment for attachment in media if attachment is not None),
            poll=piece(Poll.parse, "poll"),
            card=piece(PreviewCard.parse, "card"),
            quote=piece(Quote.parse, "quote") if with_quote else None,
        )


def _readable(
    parse: Callable[[Any], _Piece], value: Any, what: str, status_id: str
) -> _Piece | None:
    """`parse(value)`, or None with a log line when that part of a status does not read."""
    try:
        return parse(value)
    except ITEM_FAULTS as problem:
        log.warning(
            "dropped an unreadable %s of Mastodon status %s: %s",
            what,
            shown(status_id),
            problem if isinstance(problem, Malformed) else type(problem).__name__,
        )
        return None


def _count(data: Mapping[str, Any]) -> int | None:
    """A `votes_count` that is a number of votes; None when hidden or not a count."""
    value = data.get("votes_count")
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


@dataclass(frozen=True, slots=True)
class Notification:
    """Something that happened to the account: https://docs.joinmastodon.org/entities/Notification/"""

    id: str
    type: str
    status: Status | None

    @classmethod
    def parse(cls, value: Any) -> Notification:
        """Read the fields the inbox uses; a mention whose status was deleted has none."""
        data = as_object(value, "notification")
        kind = required_text(data, "type")
        status = data.get("status")
        return cls(
            id=required_text(data, "id"),
            type=kind,
            status=None if status is None else Status.parse(status),
        )


@dataclass(frozen=True, slots=True)
class Conversation:
    """A direct-message conversation: https://docs.joinmastodon.org/entities/Conversation/"""

    id: str
    last_status: Status | None

    @classmethod
    def parse(cls, value: Any) -> Conversation:
        """Read the fields the inbox uses."""
        data = as_object(value, "conversation")
        last = data.get("last_status")
        return cls(
            id=required_text(data, "id"),
            last_status=None if last is None else Status.parse(last),
        )


@dataclass(frozen=True, slots=True)
class Context:
    """The statuses above and below one: https://docs.joinmastodon.org/entities/Context/"""

    ancestors: tuple[Status, ...]

    @classmethod
    def parse(cls, value: Any) -> Context:
        """Read the ancestors, oldest first; one unreadable ancestor spoils the chain."""
        data = as_object(value, "context")
        return cls(
            ancestors=tuple(
                Status.parse(item) for item in as_list(data.get("ancestors"), "ancestors")
            )
        )


def instance_text_limit(value: Any) -> int | None:
    """`configuration.statuses.max_characters` of an instance: https://docs.joinmastodon.org/entities/Instance/"""
    try:
        limit = as_object(as_object(as_object(value).get("configuration")).get("statuses")).get(
            "max_characters"
        )
    except Malformed:
        return None
    return limit if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0 else None
