"""Typed views of the Reddit API JSON the adapter reads; each `parse` raises `Malformed`.

Reddit documents its objects at https://www.reddit.com/dev/api (and the archived source
at github.com/reddit-archive/reddit); the shapes here follow the recorded answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters._payload import (
    Malformed,
    as_list,
    as_object,
    epoch_moment,
    optional_text,
    required_text,
    text_or_empty,
)

_CONTEXT_LINK = re.compile(r"/comments/([a-z0-9]+)/", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Listing:
    """A page of things with `before`/`after` anchors: https://www.reddit.com/dev/api#listings"""

    children: tuple[Any, ...]
    before: str | None
    after: str | None

    @classmethod
    def parse(cls, value: Any) -> Listing:
        """Read the page; the children stay raw so each one is read (or skipped) alone."""
        data = as_object(as_object(value, "listing").get("data"), "listing data")
        return cls(
            children=tuple(as_list(data.get("children"), "children")),
            before=optional_text(data, "before"),
            after=optional_text(data, "after"),
        )


@dataclass(frozen=True, slots=True)
class InboxComment:
    """A `t1` in the inbox: a username mention, comment reply or post reply.

    https://www.reddit.com/dev/api#GET_message_{where}
    """

    name: str
    type: str
    author: str
    author_fullname: str | None
    body: str
    created_at: datetime
    parent_id: str
    context: str
    link_name: str
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, value: Any) -> InboxComment:
        """Read the fields the inbox uses; the link comes from the `context` permalink."""
        child = as_object(value, "thing")
        if child.get("kind") != "t1":
            raise Malformed(f"expected a t1 comment, got {child.get('kind')!r}")
        data = as_object(child.get("data"), "comment data")
        context = required_text(data, "context")
        link = _CONTEXT_LINK.search(context)
        if link is None:
            raise Malformed("'context' names no link")
        return cls(
            name=required_text(data, "name"),
            type=text_or_empty(data, "type"),
            author=required_text(data, "author"),
            author_fullname=optional_text(data, "author_fullname"),
            body=text_or_empty(data, "body"),
            created_at=epoch_moment(data, "created_utc"),
            parent_id=required_text(data, "parent_id"),
            context=context,
            link_name=f"t3_{link.group(1)}",
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class PrivateMessage:
    """A `t4` private message; a conversation root carries its replies nested.

    https://www.reddit.com/dev/api#GET_message_{where}
    """

    name: str
    first_message_name: str | None
    author: str
    author_fullname: str | None
    dest: str | None
    subject: str
    body: str
    created_at: datetime
    parent_id: str | None
    replies: tuple[Any, ...]
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, value: Any) -> PrivateMessage:
        """Read the fields the inbox uses; a message from a subreddit is written by `r/<name>`."""
        child = as_object(value, "thing")
        if child.get("kind") != "t4":
            raise Malformed(f"expected a t4 message, got {child.get('kind')!r}")
        data = as_object(child.get("data"), "message data")
        author = optional_text(data, "author")
        if author is None:
            subreddit = optional_text(data, "subreddit")
            if subreddit is None:
                raise Malformed("a message with neither author nor subreddit")
            author = f"r/{subreddit}"
        replies = data.get("replies")
        nested = Listing.parse(replies).children if isinstance(replies, Mapping) else ()
        return cls(
            name=required_text(data, "name"),
            first_message_name=optional_text(data, "first_message_name"),
            author=author,
            author_fullname=optional_text(data, "author_fullname"),
            dest=optional_text(data, "dest"),
            subject=text_or_empty(data, "subject"),
            body=text_or_empty(data, "body"),
            created_at=epoch_moment(data, "created_utc"),
            parent_id=optional_text(data, "parent_id"),
            replies=nested,
            raw={key: value for key, value in data.items() if key != "replies"},
        )


@dataclass(frozen=True, slots=True)
class OwnComment:
    """A `t1` in a user's comment listing, `GET /user/{username}/comments`.

    https://www.reddit.com/dev/api#GET_user_{username}_{where}. Unlike an inbox comment
    it has no `context`; `parent_id` names the comment (`t1_`) or post (`t3_`) it answers.
    """

    name: str
    author: str
    parent_id: str
    body: str
    created_at: datetime
    permalink: str | None

    @classmethod
    def parse(cls, value: Any) -> OwnComment:
        """Read the fields `find_sent` compares."""
        child = as_object(value, "thing")
        if child.get("kind") != "t1":
            raise Malformed(f"expected a t1 comment, got {child.get('kind')!r}")
        data = as_object(child.get("data"), "comment data")
        return cls(
            name=required_text(data, "name"),
            author=required_text(data, "author"),
            parent_id=required_text(data, "parent_id"),
            body=text_or_empty(data, "body"),
            created_at=epoch_moment(data, "created_utc"),
            permalink=optional_text(data, "permalink"),
        )


@dataclass(frozen=True, slots=True)
class CommentThread:
    """The answer to `GET /comments/{link}/_/{comment}?context=N`: link, then the chain down.

    https://www.reddit.com/dev/api#GET_comments_{article}
    """

    top_comment_name: str

    @classmethod
    def parse(cls, value: Any) -> CommentThread:
        """Read the name of the highest comment the answer holds."""
        listings = as_list(value, "comment thread")
        if len(listings) < 2:
            raise Malformed("a comment thread without its comment listing")
        comments = Listing.parse(listings[1]).children
        if not comments:
            raise Malformed("a comment thread with no comments")
        top = as_object(as_object(comments[0], "comment").get("data"), "comment data")
        return cls(top_comment_name=required_text(top, "name"))


@dataclass(frozen=True, slots=True)
class ApiResult:
    """The `{"json": {"errors": [...], "data": ...}}` envelope of `api_type=json` calls.

    https://www.reddit.com/dev/api#POST_api_comment
    """

    error_codes: tuple[str, ...]
    things: tuple[Mapping[str, Any], ...]
    ratelimit_seconds: float | None

    @classmethod
    def parse(cls, value: Any) -> ApiResult:
        """Read the error codes (never their texts) and the created things."""
        envelope = as_object(as_object(value, "api answer").get("json"), "json")
        codes = []
        for error in as_list(envelope.get("errors", []), "errors"):
            entry = as_list(error, "error")
            if not entry or not isinstance(entry[0], str):
                raise Malformed("an error without a code")
            codes.append(entry[0])
        data = envelope.get("data")
        things = ()
        if isinstance(data, Mapping) and "things" in data:
            things = tuple(as_object(thing, "thing") for thing in as_list(data["things"], "things"))
        wait = envelope.get("ratelimit")
        seconds = (
            float(wait) if isinstance(wait, int | float) and not isinstance(wait, bool) else None
        )
        return cls(error_codes=tuple(codes), things=things, ratelimit_seconds=seconds)


@dataclass(frozen=True, slots=True)
class CreatedThing:
    """A comment or message `/api/comment` created."""

    name: str
    permalink: str | None
    created_at: datetime | None

    @classmethod
    def parse(cls, value: Any) -> CreatedThing:
        """Read where the new thing lives."""
        data = as_object(as_object(value, "thing").get("data"), "thing data")
        created = data.get("created_utc")
        return cls(
            name=required_text(data, "name"),
            permalink=optional_text(data, "permalink"),
            created_at=epoch_moment(data, "created_utc") if created is not None else None,
        )
