"""Typed views of the LinkedIn Community Management API JSON the adapter reads.

Each `parse` raises `Malformed` on a missing or misshapen field. A collection keeps its
`elements` raw, so each comment, post or notification is read (or skipped with a log
line) on its own and one bad element never costs its page. Times are epoch milliseconds.
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
    epoch_time,
    optional_text,
    required_text,
    text_or_empty,
)


def epoch_ms(data: Mapping[str, Any], key: str) -> datetime:
    """An epoch-milliseconds field as an aware UTC datetime."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Malformed(f"{key!r} is missing or not a number")
    moment = epoch_time(value / 1000)
    if moment is None:
        raise Malformed(f"{key!r} is out of range")
    return moment


@dataclass(frozen=True, slots=True)
class Article:
    """The link a post shares (`content.article`): its address, title and description."""

    source: str
    title: str | None
    description: str | None

    @classmethod
    def parse(cls, value: Any) -> Article:
        """Read the article fields."""
        data = as_object(value, "article")
        return cls(
            source=required_text(data, "source"),
            title=optional_text(data, "title"),
            description=optional_text(data, "description"),
        )


@dataclass(frozen=True, slots=True)
class Post:
    """A post (share or ugcPost) from the Posts API:
    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api

    `commentary` is in LinkedIn's "little text" format (mentions, hashtags, backslash
    escapes): https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/little-text-format
    """

    id: str
    author: str
    commentary: str
    created_at: datetime
    article: Article | None
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, value: Any) -> Post:
        """Read the fields the inbox uses; `publishedAt` is when people saw it, if set."""
        data = as_object(value, "post")
        content = data.get("content")
        article = as_object(content, "content").get("article") if content else None
        moment = "publishedAt" if data.get("publishedAt") is not None else "createdAt"
        return cls(
            id=required_text(data, "id"),
            author=required_text(data, "author"),
            commentary=text_or_empty(data, "commentary"),
            created_at=epoch_ms(data, moment),
            article=Article.parse(article) if article is not None else None,
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment, or a reply to one, from the Comments API:
    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api

    `urn` is `commentUrn` (`urn:li:comment:(urn:li:activity:<activity>,<id>)`); `object`
    is what it was written on; a reply names its top-level comment in `parent`. The reply
    count comes from `commentsSummary` and is 0 when LinkedIn sends none. `images` are the
    addresses of the media in `content`.
    """

    urn: str
    actor: str
    object: str
    text: str
    created_at: datetime
    parent: str | None
    reply_count: int
    images: tuple[str, ...]
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, value: Any) -> Comment:
        """Read the fields the inbox uses."""
        data = as_object(value, "comment")
        message = data.get("message")
        text = text_or_empty(as_object(message, "message"), "text") if message else ""
        created = as_object(data.get("created"), "created")
        urn = optional_text(data, "commentUrn") or required_text(data, "$URN")
        if not urn.startswith("urn:li:comment:("):
            raise Malformed("'commentUrn' is not a comment URN")
        return cls(
            urn=urn,
            actor=required_text(data, "actor"),
            object=required_text(data, "object"),
            text=text,
            created_at=epoch_ms(created, "time"),
            parent=optional_text(data, "parentComment"),
            reply_count=_reply_count(data.get("commentsSummary")),
            images=_images(data.get("content")),
            raw=data,
        )


def _reply_count(summary: Any) -> int:
    if summary is None:
        return 0
    summary = as_object(summary, "commentsSummary")
    count = summary.get("aggregatedTotalComments", summary.get("totalFirstLevelComments", 0))
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise Malformed("'commentsSummary' holds no count")
    return count


def _images(content: Any) -> tuple[str, ...]:
    if content is None:
        return ()
    urls = []
    for entry in as_list(content, "content"):
        url = optional_text(as_object(entry, "content entry"), "url")
        if url is not None:
            urls.append(url)
    return tuple(urls)


@dataclass(frozen=True, slots=True)
class Mention:
    """One `SHARE_MENTION` from `organizationalEntityNotifications`: someone's post naming
    the organization.
    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-social-action-notifications

    `post` is the mentioning post's URN; `text` and `owner` come from the decorated share
    when LinkedIn includes it (otherwise the post is read with the Posts API).
    """

    notification_id: str
    post: str
    at: datetime
    owner: str | None
    text: str | None

    @classmethod
    def parse(cls, value: Any) -> Mention:
        """Read a mention notification; Malformed for any other action."""
        data = as_object(value, "notification")
        if data.get("action") != "SHARE_MENTION":
            raise Malformed("not a SHARE_MENTION notification")
        decorated = data.get("decoratedGeneratedActivity")
        share = (
            as_object(decorated, "decoratedGeneratedActivity").get("share") if decorated else None
        )
        share = as_object(share, "share") if share is not None else {}
        post = optional_text(share, "entity") or required_text(data, "generatedActivity")
        if not post.startswith("urn:li:"):
            raise Malformed("the mentioning post is not a URN")
        return cls(
            notification_id=required_text(data, "notificationId"),
            post=post,
            at=epoch_ms(data, "lastModifiedAt"),
            owner=optional_text(share, "owner"),
            text=optional_text(share, "text"),
        )


@dataclass(frozen=True, slots=True)
class Collection:
    """A Rest.li collection answer: raw `elements` and whether `paging` names a next page.

    https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/pagination
    """

    elements: tuple[Any, ...]
    has_next: bool

    @classmethod
    def parse(cls, value: Any) -> Collection:
        """Read the envelope; the elements stay raw."""
        body = as_object(value, "collection")
        elements = tuple(as_list(body.get("elements", []), "elements"))
        paging = body.get("paging")
        has_next = False
        if paging is not None:
            paging = as_object(paging, "paging")
            links = as_list(paging.get("links", []), "links")
            has_next = any(
                isinstance(link, Mapping) and link.get("rel") == "next" for link in links
            )
        return cls(elements=elements, has_next=has_next)


@dataclass(frozen=True, slots=True)
class Organization:
    """An organization from `GET /rest/organizations/{id}`:
    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-lookup-api
    """

    id: str
    name: str

    @classmethod
    def parse(cls, value: Any) -> Organization:
        """Read its id and localized name."""
        data = as_object(value, "organization")
        return cls(id=required_text(data, "id"), name=text_or_empty(data, "localizedName"))


@dataclass(frozen=True, slots=True)
class AdministeredOrganization:
    """One entry of `GET /rest/organizationAcls?q=roleAssignee`: an organization the member
    holds a role in.
    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role
    """

    organization: str
    role: str
    state: str

    @classmethod
    def parse(cls, value: Any) -> AdministeredOrganization:
        """Read the organization URN, the role and whether it is approved."""
        data = as_object(value, "organization ACL")
        return cls(
            organization=required_text(data, "organization"),
            role=required_text(data, "role"),
            state=text_or_empty(data, "state"),
        )


@dataclass(frozen=True, slots=True)
class LinkedInError:
    """LinkedIn's error body: `{"message", "serviceErrorCode", "status"}`, newer versions
    adding a string `code`.
    https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling

    Only `code` is read for decisions; `message` is for people and quoted cut short.
    """

    code: str | None
    message: str | None

    @classmethod
    def parse(cls, value: Any) -> LinkedInError:
        """The code and message of an error body; a body that is not one has neither."""
        if not isinstance(value, Mapping):
            return cls(code=None, message=None)
        code, message = value.get("code"), value.get("message")
        return cls(
            code=code if isinstance(code, str) else None,
            message=message if isinstance(message, str) else None,
        )
