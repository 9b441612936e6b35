"""Typed views of the X API v2 JSON the adapter reads; each `parse` raises `Malformed`.

What a post carries besides its text (link entities, media keys, poll ids, the `includes`
they point into) is read entry by entry: an entry that does not read is dropped with a log
line, and the post or page keeps the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from adapters._payload import (
    ITEM_FAULTS,
    Malformed,
    as_list,
    as_object,
    epoch_time,
    iso_moment,
    optional_text,
    required_text,
    shown,
    text_or_empty,
)

log = logging.getLogger(__name__)

_Entry = TypeVar("_Entry")

TWITTER_EPOCH_MS = 1288834974657
"""Snowflake ids carry their creation time in milliseconds since this moment."""


def snowflake_time(snowflake: str) -> datetime:
    """The creation time encoded in an X id: https://docs.x.com/resources/fundamentals/x-ids"""
    try:
        milliseconds = (int(snowflake) >> 22) + TWITTER_EPOCH_MS
        moment = epoch_time(milliseconds / 1000)
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        raise Malformed("the id is not a snowflake of a plausible time")
    return moment


def _created_at(data: Mapping[str, Any], identifier: str) -> datetime:
    return iso_moment(data, "created_at") if data.get("created_at") else snowflake_time(identifier)


def readable(
    value: Any, parse: Callable[[Any], _Entry], what: str, owner: str
) -> tuple[_Entry, ...]:
    """The entries of the list `value` that read; each one that does not is dropped and logged.

    `owner` says whose entries they are ("post 123", "includes") for the log line; an
    absent list is no entries, and a value that is no list at all is dropped the same way.
    """
    if value is None:
        return ()
    try:
        entries = as_list(value, what)
    except Malformed as problem:
        _log_drop(what, owner, problem)
        return ()
    kept = []
    for entry in entries:
        try:
            kept.append(parse(entry))
        except ITEM_FAULTS as problem:
            _log_drop(what, owner, problem)
    return tuple(kept)


def _part(data: Mapping[str, Any], key: str, owner: str) -> Mapping[str, Any]:
    """The object at `key` (`entities`, `attachments`, ...); absent or unreadable is empty."""
    value = data.get(key)
    if value is None:
        return {}
    try:
        return as_object(value, key)
    except Malformed as problem:
        _log_drop(key, owner, problem)
        return {}


def _log_drop(what: str, owner: str, problem: Exception) -> None:
    log.warning(
        "dropped a malformed X %s of %s: %s",
        what,
        owner,
        problem if isinstance(problem, Malformed) else type(problem).__name__,
    )


def _index(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Malformed(f"{key!r} is not an index")
    return value


def _key(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise Malformed(f"{shown(value)} is not a key")
    return str(value)


@dataclass(frozen=True, slots=True)
class User:
    """A user from `includes.users`: https://docs.x.com/x-api/fundamentals/data-dictionary#user"""

    id: str
    username: str
    name: str | None

    @classmethod
    def parse(cls, value: Any) -> User:
        """Read the fields the inbox uses."""
        data = as_object(value, "user")
        return cls(
            id=required_text(data, "id"),
            username=required_text(data, "username"),
            name=optional_text(data, "name"),
        )


@dataclass(frozen=True, slots=True)
class Link:
    """A link in a text, `entities.urls[]`: https://docs.x.com/x-api/fundamentals/data-dictionary#tweet

    `start`/`end` count code points of the text; `url` is the t.co address the text shows,
    `expanded_url` what the author typed, `unwound_url` where it finally leads. A link to
    the post's own photo or video carries that media's `media_key` (older posts do not).
    `title`/`description` are the linked page's card.
    """

    start: int
    end: int
    url: str
    expanded_url: str | None
    unwound_url: str | None
    media_key: str | None
    title: str | None
    description: str | None

    @classmethod
    def parse(cls, value: Any) -> Link:
        """Read one URL entity."""
        data = as_object(value, "url entity")
        start, end = _index(data, "start"), _index(data, "end")
        if start >= end:
            raise Malformed("the url entity ends before it starts")
        return cls(
            start=start,
            end=end,
            url=required_text(data, "url"),
            expanded_url=optional_text(data, "expanded_url"),
            unwound_url=optional_text(data, "unwound_url"),
            media_key=optional_text(data, "media_key"),
            title=optional_text(data, "title"),
            description=optional_text(data, "description"),
        )


def _links(data: Mapping[str, Any], owner: str) -> tuple[Link, ...]:
    return readable(_part(data, "entities", owner).get("urls"), Link.parse, "url entity", owner)


@dataclass(frozen=True, slots=True)
class Media:
    """A photo, video or GIF from `includes.media`: https://docs.x.com/x-api/fundamentals/data-dictionary#media

    `url` is set for photos only; a video or GIF is played from `variants` (the MP4 of the
    highest bit rate is kept as `video_url`) and shown by its `preview_image_url`.
    """

    media_key: str
    type: str
    url: str | None
    preview_image_url: str | None
    video_url: str | None
    alt_text: str | None

    @classmethod
    def parse(cls, value: Any) -> Media:
        """Read one media object; unreadable variants are left out."""
        data = as_object(value, "media")
        return cls(
            media_key=required_text(data, "media_key"),
            type=required_text(data, "type"),
            url=optional_text(data, "url"),
            preview_image_url=optional_text(data, "preview_image_url"),
            video_url=_best_mp4(data.get("variants")),
            alt_text=optional_text(data, "alt_text"),
        )


def _best_mp4(variants: Any) -> str | None:
    best: tuple[int, str] | None = None
    for variant in variants if isinstance(variants, list) else ():
        if not isinstance(variant, Mapping) or variant.get("content_type") != "video/mp4":
            continue
        url, bit_rate = variant.get("url"), variant.get("bit_rate", 0)
        if isinstance(url, str) and url and isinstance(bit_rate, int):
            if best is None or bit_rate > best[0]:
                best = (bit_rate, url)
    return best[1] if best else None


@dataclass(frozen=True, slots=True)
class Poll:
    """A poll from `includes.polls`: https://docs.x.com/x-api/fundamentals/data-dictionary#poll"""

    id: str
    options: tuple[str, ...]
    """The option labels, in their `position` order."""

    @classmethod
    def parse(cls, value: Any) -> Poll:
        """Read the poll; one unreadable option makes the whole poll unreadable."""
        data = as_object(value, "poll")
        options = []
        for option in as_list(data.get("options"), "options"):
            option = as_object(option, "poll option")
            options.append((_index(option, "position"), required_text(option, "label")))
        if not options:
            raise Malformed("the poll has no options")
        return cls(
            id=required_text(data, "id"),
            options=tuple(label for _, label in sorted(options, key=lambda pair: pair[0])),
        )


def _quoted_id(reference: Mapping[str, Any]) -> str:
    return required_text(reference, "id")


@dataclass(frozen=True, slots=True)
class Post:
    """A post (tweet): https://docs.x.com/x-api/fundamentals/data-dictionary#tweet

    `author_id` is required: X sends it only when `tweet.fields` asks for it, and an item
    without an author cannot be stored. A missing `created_at` is read from the id. A long
    post's whole text is `note_tweet.text` (with its own entities); `text` is then cut short.
    """

    id: str
    text: str
    author_id: str
    created_at: datetime
    conversation_id: str
    in_reply_to_user_id: str | None
    replied_to_id: str | None
    quoted_id: str | None
    links: tuple[Link, ...]
    media_keys: tuple[str, ...]
    poll_ids: tuple[str, ...]
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, value: Any) -> Post:
        """Read the fields the inbox uses."""
        data = as_object(value, "post")
        identifier = required_text(data, "id")
        owner = f"post {identifier}"
        replied_to = quoted = None
        for reference in as_list(data.get("referenced_tweets", []), "referenced_tweets"):
            reference = as_object(reference, "referenced tweet")
            if reference.get("type") == "replied_to":
                replied_to = required_text(reference, "id")
            elif reference.get("type") == "quoted":
                quoted = next(iter(readable([reference], _quoted_id, "quote", owner)), None)
        text, links = text_or_empty(data, "text"), _links(data, owner)
        note = _part(data, "note_tweet", owner)
        if isinstance(note.get("text"), str) and note["text"]:
            text, links = note["text"], _links(note, owner)
        attachments = _part(data, "attachments", owner)
        return cls(
            id=identifier,
            text=text,
            author_id=required_text(data, "author_id"),
            created_at=_created_at(data, identifier),
            conversation_id=optional_text(data, "conversation_id") or identifier,
            in_reply_to_user_id=optional_text(data, "in_reply_to_user_id"),
            replied_to_id=replied_to,
            quoted_id=quoted,
            links=links,
            media_keys=readable(attachments.get("media_keys"), _key, "media key", owner),
            poll_ids=readable(attachments.get("poll_ids"), _key, "poll id", owner),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class DmEvent:
    """A direct-message event: https://docs.x.com/x-api/fundamentals/data-dictionary#dm-events

    Only `MessageCreate` events carry text; `sender_id` and `dm_conversation_id` are
    required, and X sends them only when `dm_event.fields` asks. Links come in
    `entities.urls` (X's schema also names a top-level `urls`; either is read).
    """

    id: str
    event_type: str
    text: str
    sender_id: str
    dm_conversation_id: str
    created_at: datetime
    links: tuple[Link, ...]
    media_keys: tuple[str, ...]
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, value: Any) -> DmEvent:
        """Read the fields the inbox uses."""
        data = as_object(value, "dm event")
        identifier = required_text(data, "id")
        owner = f"DM event {identifier}"
        links = _links(data, owner) or readable(data.get("urls"), Link.parse, "url entity", owner)
        return cls(
            id=identifier,
            event_type=required_text(data, "event_type"),
            text=text_or_empty(data, "text"),
            sender_id=required_text(data, "sender_id"),
            dm_conversation_id=required_text(data, "dm_conversation_id"),
            created_at=_created_at(data, identifier),
            links=links,
            media_keys=readable(
                _part(data, "attachments", owner).get("media_keys"), _key, "media key", owner
            ),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class Includes:
    """What a page's entries point to, by id: https://docs.x.com/x-api/fundamentals/expansions

    `posts` are the quoted posts (`includes.tweets`); an entry that does not read is left
    out, so what pointed to it finds nothing.
    """

    users: Mapping[str, User]
    media: Mapping[str, Media]
    polls: Mapping[str, Poll]
    posts: Mapping[str, Post]

    @classmethod
    def parse(cls, value: Any) -> Includes:
        """Read `includes`, entry by entry."""
        data = as_object(value, "includes")

        def by(key: str, parse: Callable[[Any], _Entry], what: str) -> tuple[_Entry, ...]:
            return readable(data.get(key), parse, what, "includes")

        return cls(
            users={user.id: user for user in by("users", User.parse, "user")},
            media={media.media_key: media for media in by("media", Media.parse, "media")},
            polls={poll.id: poll for poll in by("polls", Poll.parse, "poll")},
            posts={post.id: post for post in by("tweets", Post.parse, "included post")},
        )


NO_INCLUDES = Includes(users={}, media={}, polls={}, posts={})
"""A page that pointed at nothing."""


@dataclass(frozen=True, slots=True)
class Page:
    """A v2 list answer: `data`, `includes` and `meta`.

    https://docs.x.com/x-api/fundamentals/pagination
    """

    data: tuple[Any, ...]
    includes: Includes
    newest_id: str | None
    next_token: str | None

    @property
    def users(self) -> Mapping[str, User]:
        """The users the page's entries point to."""
        return self.includes.users

    @classmethod
    def parse(cls, value: Any) -> Page:
        """Read the page; the entries of `data` stay raw so each one is read (or skipped) alone."""
        body = as_object(value, "page")
        meta = as_object(body.get("meta", {}), "meta")
        return cls(
            data=tuple(as_list(body.get("data", []), "data")),
            includes=Includes.parse(body.get("includes", {})),
            newest_id=optional_text(meta, "newest_id"),
            next_token=optional_text(meta, "next_token"),
        )


@dataclass(frozen=True, slots=True)
class Created:
    """The `data` of a 201 from `POST /2/tweets` or a DM send.

    https://docs.x.com/x-api/posts/manage-tweets, https://docs.x.com/x-api/direct-messages/manage/introduction
    """

    id: str
    dm_conversation_id: str | None

    @classmethod
    def parse_post(cls, value: Any) -> Created:
        """Read the id of a new post."""
        return cls(
            id=required_text(as_object(as_object(value).get("data"), "data"), "id"),
            dm_conversation_id=None,
        )

    @classmethod
    def parse_dm(cls, value: Any) -> Created:
        """Read the event id and conversation of a new direct message."""
        data = as_object(as_object(value).get("data"), "data")
        return cls(
            id=required_text(data, "dm_event_id"),
            dm_conversation_id=optional_text(data, "dm_conversation_id"),
        )


def own_user_id(value: Any) -> str:
    """The id in `GET /2/users/me`: https://docs.x.com/x-api/users/user-lookup-me"""
    return required_text(as_object(as_object(value).get("data"), "data"), "id")
