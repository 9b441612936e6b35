"""The Reddit adapter: HTTP only; payloads.py reads the JSON and mapping.py makes items.

Settings, from `account.settings`:

| key | meaning | default |
| --- | --- | --- |
| `user_agent` | unique, descriptive (Reddit asks) | `python:social-inbox:0.1 (by /u/<handle>)` |
| `dm_subject` | subject of a new private message | `Message from u/<handle>` |
| `api_base` | the API host, for tests and proxies | `https://oauth.reddit.com` |
| `token_url` | the token endpoint | `https://www.reddit.com/api/v1/access_token` |
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Final, TypeVar
from urllib.parse import quote

import httpx

from adapters._http import (
    REDDIT_RATE_LIMIT,
    RefreshingBearer,
    RequestBudgets,
    RequestRefused,
    json_body,
    json_object,
    reset_from_seconds,
    send_request,
    utc_now,
)
from adapters._payload import ITEM_FAULTS, Malformed, reading_page, same_text, shown
from adapters.base import (
    AccountRef,
    AccountSetting,
    Adapter,
    AdapterError,
    FetchedItem,
    FetchResult,
    Kind,
    LengthRule,
    OutboundRequest,
    PayloadInvalid,
    PlatformUnavailable,
    RateLimited,
    SentRef,
)
from adapters.reddit import mapping
from adapters.reddit.payloads import (
    ApiResult,
    CommentThread,
    CreatedThing,
    InboxComment,
    Listing,
    OwnComment,
    PrivateMessage,
    Submission,
)

log = logging.getLogger(__name__)

API_BASE: Final = "https://oauth.reddit.com"
TOKEN_URL: Final = "https://www.reddit.com/api/v1/access_token"
PAGE: Final = 100
CONTEXT_DEPTH: Final = 8
"""Most parents Reddit shows above a comment in one context answer."""
CONTEXT_CALLS: Final = 10
"""Most context requests one comment's walk up to its top-level comment makes."""
TOPS_KEPT: Final = 10_000
"""How many comments' top-level comments the adapter remembers between fetches."""
FIND_SENT_PAGES: Final = 5
"""Most pages (of `PAGE` things) `find_sent` reads before it says it cannot tell."""
COMPOSE_LOOKUP_MARGIN: Final = timedelta(minutes=2)
"""How long before a `compose` its new message is looked for in `/message/sent`: room for
Reddit's clock."""
MESSAGE_PREFIX: Final = "t4_"
"""The fullname prefix of a private message; a reply to one lands in `/message/sent`."""
ACTION_RATE_LIMIT_WAIT: Final = timedelta(minutes=10)
"""How long to wait after a `RATELIMIT` error without a `ratelimit` (seconds) field.

The global `X-Ratelimit-Reset` says nothing about this per-action throttle, and the
error's own text ("try again in N minutes") is for people, not for parsing."""

_PATHS: Final = {
    "mentions": "/message/mentions",
    "comment_replies": "/message/comments",
    "post_replies": "/message/selfreply",
    "messages": "/message/messages",
}
_RESET = reset_from_seconds("Retry-After", "X-Ratelimit-Reset")
_Sent = TypeVar("_Sent", OwnComment, PrivateMessage)


class RedditAdapter(Adapter):
    """One Reddit account's inbox, read through OAuth with a refresh token.

    Each stream reads its inbox listing forward with `before=<newest fullname seen>`
    (the first poll reads the newest page) and drops repeats and the anchor itself. The
    thread key of a comment is its link plus its top-level comment. A reply to a comment
    walks up to it through context requests, eight parents at a time (`_top_comment`);
    every comment an answer shows is remembered with its top, so the other replies of a
    chain cost nothing. A post that mentions the account is a thread of its own, its media
    and link as attachments. Private messages come as conversations with nested replies and
    are flattened.

    Replies go through `/api/comment` (`t1_`, `t3_` or `t4_` parent) and new messages
    through `/api/compose`. Reddit has no idempotency keys and `compose` returns no id,
    so a new message's id is looked up in `/message/sent` afterwards. After an interrupted
    send, `find_sent` asks Reddit what the account wrote since: its own comments for a
    reply under a comment or post, its sent messages for a private message.
    """

    platform = "reddit"
    display_name = "Reddit"
    streams = ("mentions", "comment_replies", "post_replies", "messages")
    kinds = frozenset({Kind.MENTION, Kind.COMMENT, Kind.DM})
    finds_sent = frozenset({Kind.MENTION, Kind.COMMENT, Kind.DM})
    can_dm = True
    text_limit = 10_000
    length_rule = LengthRule.CHARACTERS
    poll_interval_seconds = 60.0
    credential_fields: ClassVar[tuple[str, ...]] = ("client_id", "client_secret", "refresh_token")
    settings_fields = (
        AccountSetting(
            "user_agent",
            "unique and descriptive, as Reddit asks",
            default="python:social-inbox:0.1 (by /u/<handle>)",
        ),
        AccountSetting(
            "dm_subject", "subject of a new private message", default="Message from u/<handle>"
        ),
        AccountSetting("api_base", "the API host, for proxies and tests", default=API_BASE),
        AccountSetting("token_url", "the token endpoint", default=TOKEN_URL),
    )

    def __init__(
        self,
        account: AccountRef,
        client: httpx.AsyncClient | None,
        credential: Mapping[str, str] | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        on_credential_refreshed: Callable[[Mapping[str, str]], None] | None = None,
    ) -> None:
        super().__init__(
            account, client, credential, on_credential_refreshed=on_credential_refreshed
        )
        settings = account.settings
        self._clock = clock
        self._api = str(settings.get("api_base", API_BASE)).rstrip("/")
        self._user_agent = str(
            settings.get(
                "user_agent", f"python:social-inbox:0.1 (by /u/{mapping.username(account.handle)})"
            )
        )
        self._auth = RefreshingBearer(
            token_url=str(settings.get("token_url", TOKEN_URL)),
            credential=credential or {},
            basic_auth=True,
            headers={"User-Agent": self._user_agent},
            clock=clock,
            on_refreshed=on_credential_refreshed,
        )
        self._budgets = RequestBudgets(REDDIT_RATE_LIMIT, clock)
        self._top_comments: dict[str, str] = {}
        """Top-level comments found by walks that reached them, by comment name."""

    def poll_delay(self) -> float | None:
        """The pace the `X-Ratelimit-*` window (per OAuth client, ten minutes) allows."""
        return self._budgets.poll_delay(len(self.streams))

    async def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        """Read the inbox listing of `stream` newer than the fullname `cursor`."""
        if stream not in _PATHS:
            raise ValueError(f"Reddit has no stream {stream!r}")
        params: dict[str, Any] = {"limit": PAGE, "raw_json": 1}
        if cursor:
            params["before"] = cursor
        listing = self._listing(await self._request("GET", _PATHS[stream], params=params))
        seen = {cursor} if cursor else set()
        walks = _Walks()
        items: list[FetchedItem] = []
        with reading_page(f"Reddit {_PATHS[stream]}"):
            for child in listing.children:
                if stream == "messages":
                    items.extend(self._conversation(child, seen))
                    continue
                if isinstance(child, Mapping) and child.get("kind") == "t3":
                    item = self._post(child, seen)
                else:
                    item = await self._comment(child, seen, walks)
                if item is not None:
                    items.append(item)
            items.sort(key=lambda item: item.created_at)
        newest = _name(listing.children[0]) if listing.children else None
        return FetchResult(
            items=tuple(items),
            next_cursor=newest or cursor,
            has_more=cursor is not None and len(listing.children) >= PAGE,
        )

    async def send(self, request: OutboundRequest) -> SentRef:
        """Reply under a comment, post or message, or start a new private message."""
        if request.in_reply_to:
            form = {"api_type": "json", "thing_id": request.in_reply_to, "text": request.text}
            result = self._api_result(await self._request("POST", "/api/comment", data=form))
            try:
                created = CreatedThing.parse(result.things[0]) if result.things else None
            except Malformed as problem:
                raise PayloadInvalid(
                    f"/api/comment answered an unreadable thing: {problem}"
                ) from None
            if created is None:
                raise PayloadInvalid("/api/comment answered without the new thing")
            url = mapping.SITE + created.permalink if created.permalink else None
            return SentRef(external_id=created.name, url=url, sent_at=created.created_at)
        if request.kind == Kind.DM and request.recipient is not None:
            return await self._compose(request)
        raise ValueError("a Reddit send needs in_reply_to, or a recipient for a new message")

    async def find_sent(self, request: OutboundRequest, since: datetime) -> SentRef | None:
        """The comment or private message an interrupted `send` of `request` made, asked of Reddit.

        A reply under a comment or post (a `t1_` or `t3_` parent) is looked for among the
        account's own comments (`GET /user/{username}/comments?sort=new`): one whose
        `parent_id` is that parent, with the same text. A reply in a conversation (a `t4_`
        parent) and a new message are looked for in `GET /message/sent`: one answering the
        same message, or a first message to the same person under the same subject, with the
        same text. Both are read newest first down to `since`; an unreadable entry is skipped
        with a log line. More than `FIND_SENT_PAGES` pages since `since` raise
        `PlatformUnavailable`: it cannot tell yet.
        """
        parent = request.in_reply_to
        if parent and not parent.startswith(MESSAGE_PREFIX):
            return await self._find_comment(request.text, parent, since)
        if parent or (request.kind == Kind.DM and request.recipient is not None):
            return await self._find_message(request, since)
        return None

    async def _find_comment(self, text: str, parent: str, since: datetime) -> SentRef | None:
        own = mapping.username(self.account.handle)
        comment = await self._first_since(
            f"/user/{quote(own, safe='')}/comments",
            {"sort": "new"},
            OwnComment.parse,
            lambda comment: (
                comment.author.lower() == own
                and comment.parent_id == parent
                and same_text(text, comment.body)
            ),
            since,
        )
        if comment is None:
            return None
        url = mapping.SITE + comment.permalink if comment.permalink else None
        return SentRef(external_id=comment.name, url=url, sent_at=comment.created_at)

    async def _find_message(self, request: OutboundRequest, since: datetime) -> SentRef | None:
        recipient = mapping.username(request.recipient.handle) if request.recipient else None
        subject = self._dm_subject()

        def is_sending(message: PrivateMessage) -> bool:
            if not same_text(request.text, message.body):
                return False
            if request.in_reply_to:
                return message.parent_id == request.in_reply_to
            return (
                message.parent_id is None
                and (message.dest or "").lower() == recipient
                and same_text(subject, message.subject)
            )

        message = await self._first_since(
            "/message/sent", {}, PrivateMessage.parse, is_sending, since
        )
        if message is None:
            return None
        return SentRef(external_id=message.name, sent_at=message.created_at)

    async def _first_since(
        self,
        path: str,
        params: Mapping[str, Any],
        parse: Callable[[Any], _Sent],
        matches: Callable[[_Sent], bool],
        since: datetime,
    ) -> _Sent | None:
        """The newest thing of the newest-first listing `path` that `matches`, down to `since`.

        Pages with `after`; an unreadable thing is skipped with a log line. The walk ends at
        the first thing older than `since` or at the listing's end (None), and raises
        `PlatformUnavailable` after `FIND_SENT_PAGES` pages without reaching either.
        """
        paged: dict[str, Any] = {**params, "limit": PAGE, "raw_json": 1}
        for _ in range(FIND_SENT_PAGES):
            listing = self._listing(await self._request("GET", path, params=paged))
            with reading_page(f"Reddit {path}"):
                for child in listing.children:
                    try:
                        thing = parse(child)
                    except ITEM_FAULTS as problem:
                        self._log_skip(child, problem)
                        continue
                    if thing.created_at < since:
                        return None
                    if matches(thing):
                        return thing
            if not listing.children or listing.after is None:
                return None
            paged["after"] = listing.after
        raise PlatformUnavailable(
            f"GET {path} has more than {FIND_SENT_PAGES * PAGE} things since "
            f"{since.isoformat()}; cannot tell yet whether the message was posted"
        )

    def _dm_subject(self) -> str:
        """The subject of a new private message, as `compose` sends it."""
        subject = self.account.settings.get(
            "dm_subject", f"Message from u/{mapping.username(self.account.handle)}"
        )
        return str(subject)[:100]

    async def _compose(self, request: OutboundRequest) -> SentRef:
        """Send a new message, then read its id from `/message/sent` (compose answers none).

        The message is sent once compose answers, so a failure to read its id is logged,
        never raised: raising would make the outbox look for, or send, it again.
        """
        recipient = mapping.username(request.recipient.handle if request.recipient else "")
        form = {
            "api_type": "json",
            "to": recipient,
            "subject": self._dm_subject(),
            "text": request.text,
        }
        composed_at = self._clock()
        self._api_result(await self._request("POST", "/api/compose", data=form))
        try:
            found = await self._find_message(request, composed_at - COMPOSE_LOOKUP_MARGIN)
        except AdapterError as problem:
            log.warning(
                "sent a Reddit message from account %s but could not read its id: %s",
                self.account.id,
                problem,
            )
            found = None
        return found or SentRef(
            external_id=f"compose:{request.idempotency_key}", sent_at=composed_at
        )

    async def _comment(self, child: Any, seen: set[str], walks: _Walks) -> FetchedItem | None:
        try:
            comment = InboxComment.parse(child)
        except ITEM_FAULTS as problem:
            self._log_skip(child, problem)
            return None
        if comment.name in seen:
            return None
        seen.add(comment.name)
        top = mapping.top_comment_if_known(comment) or await self._top_comment(comment, walks)
        try:
            return mapping.comment_item(
                comment, top_comment_name=top, own_handle=self.account.handle
            )
        except ITEM_FAULTS as problem:
            self._log_skip(child, problem)
            return None

    def _post(self, child: Any, seen: set[str]) -> FetchedItem | None:
        try:
            post = Submission.parse(child)
            if post.name in seen:
                return None
            seen.add(post.name)
            return mapping.post_item(post, own_handle=self.account.handle)
        except ITEM_FAULTS as problem:
            self._log_skip(child, problem)
            return None

    def _conversation(self, child: Any, seen: set[str]) -> list[FetchedItem]:
        try:
            root = PrivateMessage.parse(child)
        except ITEM_FAULTS as problem:
            self._log_skip(child, problem)
            return []
        root_name = root.first_message_name or root.name
        items = []
        for message in (root, *self._replies(root)):
            if message.name in seen:
                continue
            seen.add(message.name)
            try:
                items.append(
                    mapping.message_item(
                        message, root_name=root_name, own_handle=self.account.handle
                    )
                )
            except ITEM_FAULTS as problem:
                self._log_skip({"data": message.raw}, problem)
        return items

    def _replies(self, root: PrivateMessage) -> list[PrivateMessage]:
        replies = []
        for child in root.replies:
            try:
                replies.append(PrivateMessage.parse(child))
            except ITEM_FAULTS as problem:
                self._log_skip(child, problem)
        return replies

    def _log_skip(self, child: Any, problem: Exception) -> None:
        log.warning(
            "skipped a malformed Reddit thing from account %s (%s), external id %s: %s",
            self.account.id,
            self.account.handle,
            shown(_name(child)),
            problem if isinstance(problem, Malformed) else type(problem).__name__,
        )

    async def _top_comment(self, comment: InboxComment, walks: _Walks) -> str:
        """The top-level comment above `comment`, walked up to through its context.

        Each context answer shows at most `CONTEXT_DEPTH` parents; while the highest one
        shown answers a comment, the walk asks again from it, at most `CONTEXT_CALLS` times.
        A comment already seen in an answer (in this fetch or an earlier one) needs no
        request. When the walk cannot go on (a rate limit, a parent that is gone, a chain
        deeper than the calls allow), the highest ancestor known stands for the top, with a
        log line: the item is kept, in a thread of that ancestor. A rate limit or an outage
        stops the walks for the rest of the fetch.
        """
        for name in (comment.name, comment.parent_id):
            known = walks.tops.get(name) or self._top_comments.get(name)
            if known:
                return known
        shown_names = [comment.name]
        asked, highest = comment.name, comment.parent_id
        top = None
        problem: str | None = None
        for _ in range(CONTEXT_CALLS):
            if walks.stopped:
                problem = "walks stopped for this fetch"
                break
            try:
                context = await self._context(comment.link_name, asked)
            except (RateLimited, PlatformUnavailable) as failure:
                walks.stopped = True
                problem = str(failure)
                break
            except (PayloadInvalid, *ITEM_FAULTS) as failure:
                problem = (
                    str(failure) if isinstance(failure, AdapterError) else type(failure).__name__
                )
                break
            shown_names.extend(context.comment_names)
            if not context.top_parent_id.startswith("t1_"):
                top = context.top_comment_name
                break
            if context.top_parent_id in shown_names:
                problem = "the chain loops"
                break
            highest = context.top_parent_id
            known = walks.tops.get(highest) or self._top_comments.get(highest)
            if known:
                top = known
                break
            if context.top_comment_name == asked:
                problem = "the answer shows no parent"
                break
            asked = context.top_comment_name
        else:
            problem = f"deeper than {CONTEXT_CALLS} context answers"
        if top is None:
            log.warning(
                "could not walk up to the top comment of Reddit comment %s (%s); "
                "its thread is keyed by %s",
                comment.name,
                problem,
                highest,
            )
        else:
            for name in shown_names:
                self._remember_top(name, top)
        for name in shown_names:
            walks.tops[name] = top or highest
        return top or highest

    async def _context(self, link_name: str, comment_name: str) -> CommentThread:
        """The context answer of a comment: `CONTEXT_DEPTH` parents above it, its replies below."""
        link = link_name.removeprefix("t3_")
        path = (
            f"/comments/{quote(link, safe='')}/_/{quote(comment_name.removeprefix('t1_'), safe='')}"
        )
        response = await self._request(
            "GET", path, params={"context": CONTEXT_DEPTH, "raw_json": 1}
        )
        try:
            return CommentThread.parse(json_body(response))
        except Malformed as problem:
            raise PayloadInvalid(f"Reddit answered an unreadable context: {problem}") from None

    def _remember_top(self, comment_name: str, top: str) -> None:
        """Keep `top` for `comment_name`, forgetting the oldest beyond `TOPS_KEPT`."""
        self._top_comments.pop(comment_name, None)
        self._top_comments[comment_name] = top
        while len(self._top_comments) > TOPS_KEPT:
            del self._top_comments[next(iter(self._top_comments))]

    def _listing(self, response: httpx.Response) -> Listing:
        body = json_body(response)
        try:
            return Listing.parse(body)
        except Malformed as problem:
            raise PayloadInvalid(f"Reddit answered an unreadable listing: {problem}") from None
        except ITEM_FAULTS as fault:
            raise PayloadInvalid(
                f"Reddit answered an unreadable listing ({type(fault).__name__})"
            ) from None

    def _api_result(self, response: httpx.Response) -> ApiResult:
        """The envelope of an `api_type=json` call; its error codes become errors."""
        try:
            result = ApiResult.parse(json_body(response))
        except Malformed as problem:
            raise PayloadInvalid(f"Reddit answered an unreadable result: {problem}") from None
        if "RATELIMIT" in result.error_codes:
            wait = (
                ACTION_RATE_LIMIT_WAIT
                if result.ratelimit_seconds is None
                else timedelta(seconds=result.ratelimit_seconds)
            )
            raise RateLimited(self._clock() + wait, "Reddit throttled this action")
        if result.error_codes:
            codes = ", ".join(result.error_codes)
            raise RequestRefused(f"Reddit refused {response.request.url.path}: {codes}", 200)
        return result

    async def verify(self) -> str:
        """Ask Reddit whose token this is (`GET /api/v1/me`), refreshing it first if needed."""
        body = json_object(await self._request("GET", "/api/v1/me"))
        return f"u/{body.get('name', '?')}"

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if self.client is None:
            raise ValueError("the Reddit adapter needs an httpx.AsyncClient")
        return await send_request(
            self.client,
            method,
            f"{self._api}{path}",
            reset=_RESET,
            clock=self._clock,
            budgets=self._budgets,
            auth=self._auth,
            headers={"User-Agent": self._user_agent},
            **kwargs,
        )


@dataclass(slots=True)
class _Walks:
    """What one fetch learned walking comment chains: each comment shown, with its top.

    A fallback (the highest ancestor known, when a walk could not finish) is kept here
    for the rest of the fetch, so the other replies of that chain land in the same thread
    without asking again, but never beyond it.
    """

    tops: dict[str, str] = field(default_factory=dict)
    stopped: bool = False
    """A rate limit or an outage ended the walks: the rest of the fetch asks no more."""


def _name(child: Any) -> str | None:
    data = child.get("data") if isinstance(child, Mapping) else None
    name = data.get("name") if isinstance(data, Mapping) else None
    return name if isinstance(name, str) and name else None
