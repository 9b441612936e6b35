"""Typed views of the X API v2 JSON the adapter reads; each `parse` raises `Malformed`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters._payload import (
    Malformed,
    as_list,
    as_object,
    epoch_time,
    iso_moment,
    optional_text,
    required_text,
    text_or_empty,
)

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
class Post:
    """A post (tweet): https://docs.x.com/x-api/fundamentals/data-dictionary#tweet

    `author_id` is required: X sends it only when `tweet.fields` asks for it, and an item
    without an author cannot be stored. A missing `created_at` is read from the id.
    """

    id: str
    text: str
    author_id: str
    created_at: datetime
    conversation_id: str
    in_reply_to_user_id: str | None
    replied_to_id: str | None
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, value: Any) -> Post:
        """Read the fields the inbox uses."""
        data = as_object(value, "post")
        identifier = required_text(data, "id")
        replied_to = None
        for reference in as_list(data.get("referenced_tweets", []), "referenced_tweets"):
            reference = as_object(reference, "referenced tweet")
            if reference.get("type") == "replied_to":
                replied_to = required_text(reference, "id")
        return cls(
            id=identifier,
            text=text_or_empty(data, "text"),
            author_id=required_text(data, "author_id"),
            created_at=_created_at(data, identifier),
            conversation_id=optional_text(data, "conversation_id") or identifier,
            in_reply_to_user_id=optional_text(data, "in_reply_to_user_id"),
            replied_to_id=replied_to,
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class DmEvent:
    """A direct-message event: https://docs.x.com/x-api/fundamentals/data-dictionary#dm-events

    Only `MessageCreate` events carry text; `sender_id` and `dm_conversation_id` are
    required, and X sends them only when `dm_event.fields` asks.
    """

    id: str
    event_type: str
    text: str
    sender_id: str
    dm_conversation_id: str
    created_at: datetime
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, value: Any) -> DmEvent:
        """Read the fields the inbox uses."""
        data = as_object(value, "dm event")
        identifier = required_text(data, "id")
        return cls(
            id=identifier,
            event_type=required_text(data, "event_type"),
            text=text_or_empty(data, "text"),
            sender_id=required_text(data, "sender_id"),
            dm_conversation_id=required_text(data, "dm_conversation_id"),
            created_at=_created_at(data, identifier),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class Page:
    """A v2 list answer: `data`, `includes.users` and `meta`.

    https://docs.x.com/x-api/fundamentals/pagination
    """

    data: tuple[Any, ...]
    users: Mapping[str, User]
    newest_id: str | None
    next_token: str | None

    @classmethod
    def parse(cls, value: Any) -> Page:
        """Read the page; the entries of `data` stay raw so each one is read (or skipped) alone."""
        body = as_object(value, "page")
        meta = as_object(body.get("meta", {}), "meta")
        users = {}
        for raw in as_list(
            as_object(body.get("includes", {}), "includes").get("users", []), "users"
        ):
            try:
                user = User.parse(raw)
            except Malformed:
                continue
            users[user.id] = user
        return cls(
            data=tuple(as_list(body.get("data", []), "data")),
            users=users,
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
