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
    shown,
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

    The comment listing holds one comment, the highest of the (at most eight) parents shown,
    with the chain down to the asked comment and that comment's replies nested under it.
    https://www.reddit.com/dev/api#GET_comments_{article}
    """

    top_comment_name: str
    top_parent_id: str
    """What the highest comment shown answers: a `t3_` link when it is the top-level comment,
    a `t1_` comment when the chain goes on above what was shown."""
    comment_names: tuple[str, ...]
    """Every comment the answer holds, the highest first: all of them are under it."""

    @classmethod
    def parse(cls, value: Any) -> CommentThread:
        """Read the highest comment the answer holds and the names of all comments under it.

        Nested replies that do not read as comments ("more" stubs, odd entries) are passed
        over; the nesting is walked without recursion, however deep it is.
        """
        listings = as_list(value, "comment thread")
        if len(listings) < 2:
            raise Malformed("a comment thread without its comment listing")
        comments = Listing.parse(listings[1]).children
        if not comments:
            raise Malformed("a comment thread with no comments")
        top_thing = as_object(comments[0], "comment")
        if top_thing.get("kind") != "t1":
            raise Malformed(f"expected a t1 comment, got {top_thing.get('kind')!r}")
        top = as_object(top_thing.get("data"), "comment data")
        names = []
        waiting: list[Mapping[str, Any]] = [top]
        while waiting:
            comment = waiting.pop()
            name = comment.get("name")
            if isinstance(name, str) and name:
                names.append(name)
            waiting.extend(reversed(_nested_comments(comment.get("replies"))))
        return cls(
            top_comment_name=required_text(top, "name"),
            top_parent_id=required_text(top, "parent_id"),
            comment_names=tuple(names),
        )


def _nested_comments(replies: Any) -> list[Mapping[str, Any]]:
    """The comment data under a comment's `replies` listing ("" when it has none)."""
    children = _nested(replies, "data", "children")
    if not isinstance(children, list):
        return []
    return [
        child["data"]
        for child in children
        if isinstance(child, Mapping)
        and child.get("kind") == "t1"
        and isinstance(child.get("data"), Mapping)
    ]


@dataclass(frozen=True, slots=True)
class PostMedia:
    """One image or video a post shows, with the caption and link its author gave it."""

    is_video: bool
    url: str
    caption: str | None
    outbound_url: str | None


@dataclass(frozen=True, slots=True)
class MediaPart:
    """One image or video of a post, not yet read, so a malformed one is dropped alone.

    A gallery is described twice: `gallery_data.items` gives the order, each item's
    `caption` and `outbound_url`, and its `media_id`; `media_metadata[media_id]` gives the
    files (`s` the source: `u` for an image, `gif`/`mp4` for an animated one; `hlsUrl` or
    `dashUrl` for a `RedditVideo`). A text post's inline images are in `media_metadata`
    alone. Seen in praw's cassette TestSubreddit.test_submit_gallery.json.
    """

    media_id: Any
    metadata: Any
    gallery_item: Any

    def read(self) -> PostMedia:
        """The part as a typed value; raises `Malformed` naming what is missing."""
        if not isinstance(self.media_id, str) or not self.media_id:
            raise Malformed("a gallery item without a media_id")
        where = f"media_metadata[{shown(self.media_id)}]"
        metadata = as_object(self.metadata, where)
        status = metadata.get("status", "valid")
        if status != "valid":
            raise Malformed(f"{where} is {shown(status)}, not valid")
        is_video = metadata.get("e") == "RedditVideo"
        if is_video:
            url = optional_text(metadata, "hlsUrl") or optional_text(metadata, "dashUrl")
        else:
            source = as_object(metadata.get("s"), f"{where}.s")
            url = next(
                (found for key in ("u", "gif", "mp4") if (found := optional_text(source, key))),
                None,
            )
        if url is None:
            raise Malformed(f"{where} names no file")
        item = as_object(self.gallery_item, "gallery item")
        return PostMedia(
            is_video=is_video,
            url=url,
            caption=optional_text(item, "caption"),
            outbound_url=optional_text(item, "outbound_url"),
        )


@dataclass(frozen=True, slots=True)
class CrossPost:
    """The post a crosspost shares (`crosspost_parent_list[0]`), as far as it reads."""

    title: str
    author: str | None
    permalink: str | None


@dataclass(frozen=True, slots=True)
class Submission:
    """A `t3` post in an inbox listing: a post that mentions the account.

    https://www.reddit.com/dev/api#GET_message_{where}; the post fields follow the
    submissions in praw's cassettes (TestCollection.test_init.json: an image post and a
    link post; TestFront.test_best.json: a hosted video; TestSubreddit.test_submit_gallery.json:
    a gallery). What a post shows besides its text is read leniently: a part that does not
    read is left out, never the post.
    """

    name: str
    type: str
    author: str
    author_fullname: str | None
    title: str
    selftext: str
    created_at: datetime
    permalink: str | None
    url: str | None
    post_hint: str | None
    domain: str | None
    is_self: bool
    is_video: bool
    is_gallery: bool
    preview_url: str | None
    """The full-size preview Reddit made (`preview.images[0].source.url`)."""
    embed_title: str | None
    """The title of an embedded page (`media.oembed.title`): a YouTube video's, say."""
    media_parts: tuple[MediaPart, ...]
    crosspost: CrossPost | None
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, value: Any) -> Submission:
        """Read the fields the inbox uses."""
        child = as_object(value, "thing")
        if child.get("kind") != "t3":
            raise Malformed(f"expected a t3 post, got {child.get('kind')!r}")
        data = as_object(child.get("data"), "post data")
        return cls(
            name=required_text(data, "name"),
            type=text_or_empty(data, "type"),
            author=required_text(data, "author"),
            author_fullname=optional_text(data, "author_fullname"),
            title=text_or_empty(data, "title"),
            selftext=text_or_empty(data, "selftext"),
            created_at=epoch_moment(data, "created_utc"),
            permalink=optional_text(data, "permalink"),
            url=optional_text(data, "url"),
            post_hint=optional_text(data, "post_hint"),
            domain=optional_text(data, "domain"),
            is_self=data.get("is_self") is True,
            is_video=data.get("is_video") is True,
            is_gallery=data.get("is_gallery") is True,
            preview_url=_nested_text(data, "preview", "images", 0, "source", "url"),
            embed_title=_nested_text(data, "media", "oembed", "title"),
            media_parts=_media_parts(data),
            crosspost=_crosspost(data.get("crosspost_parent_list")),
            raw=data,
        )


def _media_parts(data: Mapping[str, Any]) -> tuple[MediaPart, ...]:
    metadata = data.get("media_metadata")
    by_id = metadata if isinstance(metadata, Mapping) else {}
    gallery = _nested(data, "gallery_data", "items")
    if isinstance(gallery, list):
        media_ids = [_nested_text(item, "media_id") for item in gallery]
        return tuple(
            MediaPart(media_id=media_id, metadata=by_id.get(media_id), gallery_item=item)
            for media_id, item in zip(media_ids, gallery, strict=True)
        )
    return tuple(
        MediaPart(media_id=key, metadata=value, gallery_item={}) for key, value in by_id.items()
    )


def _crosspost(parents: Any) -> CrossPost | None:
    parent = _nested(parents, 0)
    if not isinstance(parent, Mapping):
        return None
    title = _nested_text(parent, "title")
    if title is None:
        return None
    return CrossPost(
        title=title,
        author=_nested_text(parent, "author"),
        permalink=_nested_text(parent, "permalink"),
    )


def _nested(value: Any, *path: str | int) -> Any:
    """The value at `path` under `value` (keys of objects, indexes of lists), or None."""
    for step in path:
        if isinstance(step, int) and isinstance(value, list) and -len(value) <= step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, Mapping):
            value = value.get(step)
        else:
            return None
    return value


def _nested_text(value: Any, *path: str | int) -> str | None:
    found = _nested(value, *path)
    return found if isinstance(found, str) and found else None


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
