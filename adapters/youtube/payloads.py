"""Typed views of the YouTube Data API v3 JSON the adapter reads; each `parse` raises `Malformed`.

A list page keeps its entries raw, so each comment thread or reply is read (or skipped
with a log line) on its own and one bad entry never costs its page.
"""

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
class Comment:
    """A comment or a reply: https://developers.google.com/youtube/v3/docs/comments

    `text_original` is what the author typed; YouTube gives it only to those allowed to
    see it, and `text_display` (HTML by default) always. A reply's id is
    `<top-level comment id>.<reply id>` and its `parent_id` is the top-level comment.
    """

    id: str
    author_channel_id: str | None
    author_name: str
    text_display: str
    text_original: str | None
    parent_id: str | None
    video_id: str | None
    published_at: datetime
    updated_at: datetime
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, value: Any) -> Comment:
        """Read the fields the inbox uses."""
        data = as_object(value, "comment")
        snippet = as_object(data.get("snippet"), "snippet")
        published_at = iso_moment(snippet, "publishedAt")
        author = snippet.get("authorChannelId")
        return cls(
            id=required_text(data, "id"),
            author_channel_id=(
                optional_text(as_object(author, "authorChannelId"), "value")
                if author is not None
                else None
            ),
            author_name=text_or_empty(snippet, "authorDisplayName"),
            text_display=text_or_empty(snippet, "textDisplay"),
            text_original=optional_text(snippet, "textOriginal"),
            parent_id=optional_text(snippet, "parentId"),
            video_id=optional_text(snippet, "videoId"),
            published_at=published_at,
            updated_at=(
                iso_moment(snippet, "updatedAt") if snippet.get("updatedAt") else published_at
            ),
            raw=data,
        )

    @property
    def last_change(self) -> datetime:
        """When the comment was written or last edited."""
        return max(self.published_at, self.updated_at)


@dataclass(frozen=True, slots=True)
class CommentThread:
    """A top-level comment with the replies YouTube embeds (`part=snippet,replies`):
    https://developers.google.com/youtube/v3/docs/commentThreads

    The embedded `replies` are a subset: `total_reply_count` says how many there are, and
    the rest are read with `comments.list?parentId=`. Replies stay raw, each read alone.
    """

    id: str
    top: Comment
    video_id: str | None
    total_reply_count: int
    replies: tuple[Any, ...]

    @classmethod
    def parse(cls, value: Any) -> CommentThread:
        """Read the thread; its embedded replies are read one by one later."""
        data = as_object(value, "comment thread")
        snippet = as_object(data.get("snippet"), "snippet")
        count = snippet.get("totalReplyCount", 0)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise Malformed("'totalReplyCount' is not a count")
        replies = data.get("replies")
        embedded = (
            as_list(as_object(replies, "replies").get("comments", []), "comments")
            if replies is not None
            else []
        )
        return cls(
            id=required_text(data, "id"),
            top=Comment.parse(snippet.get("topLevelComment")),
            video_id=optional_text(snippet, "videoId"),
            total_reply_count=count,
            replies=tuple(embedded),
        )


@dataclass(frozen=True, slots=True)
class ListPage:
    """A list answer (`youtube#commentThreadListResponse`, `youtube#commentListResponse`,
    `youtube#channelListResponse`): its raw `items` and `nextPageToken`.

    https://developers.google.com/youtube/v3/guides/implementation/pagination
    """

    items: tuple[Any, ...]
    next_page_token: str | None

    @classmethod
    def parse(cls, value: Any) -> ListPage:
        """Read the page envelope; the items stay raw."""
        body = as_object(value, "page")
        return cls(
            items=tuple(as_list(body.get("items", []), "items")),
            next_page_token=optional_text(body, "nextPageToken"),
        )


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel from `channels.list?mine=true`: https://developers.google.com/youtube/v3/docs/channels"""

    id: str
    title: str

    @classmethod
    def parse(cls, value: Any) -> Channel:
        """Read the channel's id and title."""
        data = as_object(value, "channel")
        snippet = data.get("snippet")
        title = text_or_empty(as_object(snippet, "snippet"), "title") if snippet else ""
        return cls(id=required_text(data, "id"), title=title)


@dataclass(frozen=True, slots=True)
class GoogleError:
    """The error envelope Google APIs answer with: `{"error": {"code", "message",
    "errors": [{"domain", "reason", "message"}], "status"}}`.

    https://developers.google.com/youtube/v3/docs/errors. Only `reason` is read: the
    messages are for people and may be translated.
    """

    reasons: tuple[str, ...]

    @classmethod
    def parse(cls, value: Any) -> GoogleError:
        """The reasons in an error body; a body that is not the envelope has none."""
        try:
            error = as_object(as_object(value).get("error"), "error")
            entries = as_list(error.get("errors", []), "errors")
        except Malformed:
            return cls(reasons=())
        reasons = [
            entry.get("reason")
            for entry in entries
            if isinstance(entry, Mapping) and isinstance(entry.get("reason"), str)
        ]
        return cls(reasons=tuple(reasons))
