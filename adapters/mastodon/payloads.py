"""Typed views of the Mastodon API JSON the adapter reads; each `parse` raises `Malformed`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters._payload import (
    Malformed,
    as_list,
    as_object,
    iso_moment,
    optional_text,
    required_text,
    text_or_empty,
)


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

    @classmethod
    def parse(cls, value: Any) -> Status:
        """Read the fields the inbox uses."""
        data = as_object(value, "status")
        return cls(
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


@dataclass(frozen=True, slots=True)
class Notification:
    """Something that happened to the account: https://docs.joinmastodon.org/entities/Notification/"""

    id: str
    type: str
    status: Status | None

    @classmethod
    def parse(cls, value: Any) -> Notification:
        """Read the fields the inbox uses; a mention without its status is malformed."""
        data = as_object(value, "notification")
        kind = required_text(data, "type")
        status = data.get("status")
        if kind == "mention" and status is None:
            raise Malformed("a mention notification without a status")
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
