"""The YouTube adapter: HTTP only; payloads.py reads the JSON and mapping.py makes items.

Settings, from `account.settings`:

| key | meaning | default |
| --- | --- | --- |
| `channel_id` | the brand's channel id (`UC...`); asked of `channels.list` when absent | - |
| `login_port` | the 127.0.0.1 port the login listens on (fix it for `ssh -L`) | any free |
| `api_base` | the API host, for tests and proxies | `https://www.googleapis.com` |
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any, ClassVar, Final
from zoneinfo import ZoneInfo

import httpx

from adapters import _oauth_loopback
from adapters._http import (
    RequestRefused,
    describe,
    json_body,
    raise_for_status,
    utc_now,
)
from adapters._payload import ITEM_FAULTS, Malformed, iso_time, reading_page, same_text, shown
from adapters.base import (
    AccountRef,
    AccountSetting,
    Adapter,
    AuthExpired,
    FetchedItem,
    FetchResult,
    Kind,
    LoginPrompt,
    NotReached,
    OutboundRequest,
    PayloadInvalid,
    PlatformUnavailable,
    RateLimited,
    SentRef,
)
from adapters.youtube import mapping
from adapters.youtube.payloads import Channel, Comment, CommentThread, GoogleError, ListPage

log = logging.getLogger(__name__)

API_BASE: Final = "https://www.googleapis.com"
API_PATH: Final = "/youtube/v3"
GOOGLE_AUTHORIZE_URL: Final = "https://accounts.google.com/o/oauth2/v2/auth"
GOOGLE_TOKEN_URL: Final = "https://oauth2.googleapis.com/token"
SCOPE: Final = "https://www.googleapis.com/auth/youtube.force-ssl"
"""Reads the channel's comments, replies and moderates them (no narrower scope does)."""
PAGE: Final = 100
"""The most threads or replies one list call returns (`maxResults`)."""
BACKFILL_PAGES: Final = 20
"""How many pages of threads the first fetches read (2,000 threads, 20 quota units)."""
KEPT_REPLY_COUNTS: Final = 500
"""How many recent threads the cursor remembers the reply count of, to notice new replies."""
LOOK_UP_PAGES: Final = 10
"""Most pages of replies `find_sent` reads before it says it cannot tell."""
PACIFIC: Final = ZoneInfo("America/Los_Angeles")
"""YouTube's daily quota resets at midnight Pacific time."""
SHORT_WAIT: Final = timedelta(minutes=1)
"""How long to wait after `rateLimitExceeded` (too many requests at once) with no Retry-After."""

_DAILY_QUOTA_SPENT: Final = frozenset({"quotaExceeded", "dailyLimitExceeded"})
_TOO_FAST: Final = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_REFUSED: Final = {
    "commentsDisabled": "comments are turned off on that video",
    "forbidden": "the channel may not do this (is the comment on one of its videos?)",
    "parentNotFound": "the comment answered no longer exists",
    "commentNotFound": "the comment no longer exists",
    "processingFailure": "YouTube could not process the request (was the comment deleted?)",
    "operationNotSupported": "YouTube does not allow this on that comment",
    "commentTextTooLong": "the text is too long for a YouTube comment",
}
"""Reasons YouTube refuses a request for, in words; any other is named as it is."""


@dataclass(frozen=True, slots=True)
class _Round:
    """Where the comments stream stands, as the cursor keeps it.

    A round walks the thread pages newest first (`token`), then reads the replies of the
    threads that have more than YouTube embeds (`replies`: thread id and page token).
    `floor` is the newest change (publish or edit time) of earlier rounds and `edge` the ids
    changed at that very moment; anything later is new. `counts` remembers the reply count
    of recent threads, so a new reply to an older thread is read even when YouTube does
    not embed it. Every fetch makes exactly one API call (one quota unit).
    """

    floor: str | None = None
    edge: tuple[str, ...] = ()
    token: str | None = None
    walked: bool = False
    pages: int = 0
    newest: str | None = None
    newest_ids: tuple[str, ...] = ()
    replies: tuple[tuple[str, str], ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def read(cls, cursor: str | None) -> _Round:
        if not cursor:
            return cls()
        try:
            fields = json.loads(cursor)
            return cls(
                floor=fields.get("floor"),
                edge=tuple(fields.get("edge", ())),
                token=fields.get("token"),
                walked=bool(fields.get("walked", False)),
                pages=int(fields.get("pages", 0)),
                newest=fields.get("newest"),
                newest_ids=tuple(fields.get("newest_ids", ())),
                replies=tuple((str(a), str(b)) for a, b in fields.get("replies", ())),
                counts={str(k): int(v) for k, v in fields.get("counts", {}).items()},
            )
        except (ValueError, TypeError, AttributeError):
            raise ValueError(f"not a YouTube cursor: {cursor!r}") from None

    def write(self) -> str:
        return json.dumps({key: value for key, value in asdict(self).items() if value})

    def is_new(self, comment: Comment) -> bool:
        """Whether `comment` was written or edited after what earlier rounds saw."""
        floor = iso_time(self.floor)
        if floor is None:
            return True
        changed = comment.last_change
        return changed > floor or (changed == floor and comment.id not in self.edge)

    def seen(self, comments: list[Comment]) -> _Round:
        """This round with `comments` counted towards its newest change."""
        newest, ids = iso_time(self.newest), list(self.newest_ids)
        for comment in comments:
            if newest is None or comment.last_change > newest:
                newest, ids = comment.last_change, [comment.id]
            elif comment.last_change == newest and comment.id not in ids:
                ids.append(comment.id)
        return replace(self, newest=newest.isoformat() if newest else None, newest_ids=tuple(ids))

    def finished(self) -> _Round:
        """The state after a whole round: its newest change is the next floor."""
        floor, edge = self.floor, self.edge
        newest = iso_time(self.newest)
        if newest is not None and (iso_time(floor) is None or newest >= iso_time(floor)):
            edge = self.newest_ids if newest != iso_time(floor) else (*edge, *self.newest_ids)
            floor = newest.isoformat()
        return _Round(floor=floor, edge=tuple(dict.fromkeys(edge)), counts=self.counts)


class YouTubeAdapter(Adapter):
    """One brand channel on YouTube, through the Data API v3 with a Google OAuth token.

    `comments` reads `commentThreads.list?allThreadsRelatedToChannelId=` (the comments on
    the channel and all its videos) newest first, with the replies YouTube embeds, down to
    what the cursor has seen; threads with more replies than embedded, new ones or ones
    whose reply count changed, are read whole with `comments.list?parentId=`. One thread
    is one inbox thread. An answer is a reply to the top-level comment (`comments.insert`).
    YouTube has no API for posting a statement to the channel, and no idempotency keys:
    `find_sent` reads the thread's replies for the channel's own one with the same text.

    `hide` holds a comment for review (`comments.setModerationStatus`, for the owner of the
    channel), which takes it out of public view and can be undone (`published`).

    Every call spends the project's daily quota (10,000 units, reset at midnight Pacific):
    each fetch makes one list call (1 unit), a reply or a hide costs 50. A spent quota is
    `RateLimited` until the reset. The access token is refreshed with the refresh token
    and the new credential goes to `on_credential_refreshed` for the keyring.
    """

    platform = "youtube"
    display_name = "YouTube"
    streams = ("comments",)
    kinds = frozenset({Kind.COMMENT})
    finds_sent = frozenset({Kind.COMMENT})
    can_post_statement = False
    can_hide = True
    text_limit = 10_000
    poll_interval_seconds = 120.0
    """720 units a day for polling, leaving room for about 185 replies in the daily quota."""
    daily_quota = 10_000
    quota_costs: ClassVar[Mapping[str, int]] = {"comments": 1, "send": 50, "hide": 50}
    credential_fields: ClassVar[tuple[str, ...]] = (
        "client_id",
        "client_secret",
        "access_token",
        "refresh_token",
    )
    settings_fields = (
        AccountSetting(
            "channel_id", "the brand's channel id (UC...)", default="asked of channels.list"
        ),
        AccountSetting(
            "login_port",
            "the 127.0.0.1 port the login listens on; 0 picks a free one",
            default=0,
            kind=int,
        ),
        AccountSetting("api_base", "the API host, for proxies and tests", default=API_BASE),
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
        self._clock = clock
        self._api = str(account.settings.get("api_base", API_BASE)).rstrip("/") + API_PATH
        self._auth = _oauth_loopback.bearer_auth(
            GOOGLE_TOKEN_URL, credential or {}, on_refreshed=on_credential_refreshed, clock=clock
        )
        configured = account.settings.get("channel_id")
        self._channel_id: str | None = str(configured) if configured else None

    async def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        """Read the next page of comment threads, or of one thread's replies, after `cursor`."""
        if stream != "comments":
            raise ValueError(f"YouTube has no stream {stream!r}")
        state = _Round.read(cursor)
        channel_id = await self._own_channel_id()
        if state.replies:
            items, state = await self._read_replies(state, channel_id)
        else:
            items, state = await self._read_threads(state, channel_id)
        if state.walked and not state.replies:
            state = state.finished()
        has_more = bool(state.token or state.replies)
        return FetchResult(items=tuple(items), next_cursor=state.write(), has_more=has_more)

    async def _read_threads(
        self, state: _Round, channel_id: str
    ) -> tuple[list[FetchedItem], _Round]:
        params = {
            "part": "snippet,replies",
            "allThreadsRelatedToChannelId": channel_id,
            "order": "time",
            "maxResults": PAGE,
        }
        if state.token:
            params["pageToken"] = state.token
        page = self._page(await self._request("GET", "/commentThreads", params=params))
        items: list[FetchedItem] = []
        queued: list[tuple[str, str]] = []
        counts: dict[str, int] = {}
        reached_floor = False
        floor = iso_time(state.floor)
        with reading_page("YouTube comment threads"):
            for raw in page.items:
                thread = self._thread(raw)
                if thread is None:
                    continue
                known_count = state.counts.get(thread.id, thread.total_reply_count)
                read_whole = thread.total_reply_count > len(thread.replies) and (
                    floor is None
                    or state.is_new(thread.top)
                    or known_count != thread.total_reply_count
                )
                # A thread read whole gets all its replies from comments.list, embedded or not.
                embedded = [] if read_whole else self._comments(thread.replies, thread.id)
                comments = [thread.top, *embedded]
                items += self._new_items(state, comments, thread.id, thread.video_id, channel_id)
                state = state.seen(comments)
                if read_whole:
                    queued.append((thread.id, ""))
                counts[thread.id] = thread.total_reply_count
                reached_floor = reached_floor or (
                    floor is not None and thread.top.published_at < floor
                )
        pages = state.pages + 1
        goes_on = (
            page.next_page_token is not None
            and not reached_floor
            and (floor is not None or pages < BACKFILL_PAGES)
        )
        counts.update((key, count) for key, count in state.counts.items() if key not in counts)
        kept_counts = dict(list(counts.items())[:KEPT_REPLY_COUNTS])
        return items, replace(
            state,
            token=page.next_page_token if goes_on else None,
            walked=not goes_on,
            pages=pages,
            replies=(*state.replies, *queued),
            counts=kept_counts,
        )

    async def _read_replies(
        self, state: _Round, channel_id: str
    ) -> tuple[list[FetchedItem], _Round]:
        (thread_id, token), rest = state.replies[0], state.replies[1:]
        page = await self._replies_page(thread_id, token or None)
        with reading_page("YouTube replies"):
            comments = self._comments(page.items, thread_id)
            items = self._new_items(state, comments, thread_id, None, channel_id)
        if page.next_page_token:
            rest = ((thread_id, page.next_page_token), *rest)
        return items, replace(state.seen(comments), replies=rest)

    async def _replies_page(self, thread_id: str, token: str | None) -> ListPage:
        params = {"part": "snippet", "parentId": thread_id, "maxResults": PAGE}
        if token:
            params["pageToken"] = token
        return self._page(await self._request("GET", "/comments", params=params))

    def _new_items(
        self,
        state: _Round,
        comments: list[Comment],
        thread_id: str,
        video_id: str | None,
        channel_id: str,
    ) -> list[FetchedItem]:
        items = []
        for comment in comments:
            if not state.is_new(comment):
                continue
            try:
                items.append(
                    mapping.comment_item(
                        comment, thread_id=thread_id, video_id=video_id, own_channel_id=channel_id
                    )
                )
            except ITEM_FAULTS as problem:
                self._log_skip("comment", comment.id, problem)
        return items

    def _thread(self, raw: Any) -> CommentThread | None:
        try:
            return CommentThread.parse(raw)
        except ITEM_FAULTS as problem:
            self._log_skip("comment thread", _raw_id(raw), problem)
            return None

    def _comments(self, raws: tuple[Any, ...], thread_id: str) -> list[Comment]:
        comments = []
        for raw in raws:
            try:
                comment = Comment.parse(raw)
            except ITEM_FAULTS as problem:
                self._log_skip("reply", _raw_id(raw), problem)
                continue
            if mapping.top_level_id(comment.id) == thread_id or comment.parent_id == thread_id:
                comments.append(comment)
        return comments

    def _log_skip(self, what: str, identifier: Any, problem: Exception) -> None:
        log.warning(
            "skipped a malformed YouTube %s from account %s (%s), id %s: %s",
            what,
            self.account.id,
            self.account.handle,
            shown(identifier),
            problem if isinstance(problem, Malformed) else type(problem).__name__,
        )

    async def send(self, request: OutboundRequest) -> SentRef:
        """Reply to the thread's top-level comment (`comments.insert`, 50 quota units)."""
        body = {"snippet": {"parentId": _parent_id(request), "textOriginal": request.text}}
        response = await self._request("POST", "/comments", params={"part": "snippet"}, json=body)
        try:
            comment = Comment.parse(json_body(response))
        except ITEM_FAULTS as problem:
            raise PayloadInvalid(f"YouTube answered an unreadable comment ({problem})") from None
        return SentRef(
            external_id=comment.id,
            url=mapping.comment_url(comment.id, comment.video_id),
            sent_at=comment.published_at,
        )

    async def find_sent(self, request: OutboundRequest, since: datetime) -> SentRef | None:
        """The reply an interrupted `send` of `request` posted, asked of YouTube.

        The thread's replies are read (`comments.list?parentId=`, 1 unit a page) for one
        by the channel since `since` with the same text. More than `LOOK_UP_PAGES` pages
        raise `PlatformUnavailable`: it cannot tell yet.
        """
        thread_id = _parent_id(request)
        channel_id = await self._own_channel_id()
        token: str | None = None
        for _ in range(LOOK_UP_PAGES):
            page = await self._replies_page(thread_id, token)
            for comment in self._comments(page.items, thread_id):
                if (
                    comment.author_channel_id == channel_id
                    and comment.published_at >= since
                    and same_text(request.text, mapping.comment_text(comment))
                ):
                    return SentRef(
                        external_id=comment.id,
                        url=mapping.comment_url(comment.id, comment.video_id),
                        sent_at=comment.published_at,
                    )
            token = page.next_page_token
            if token is None:
                return None
        raise PlatformUnavailable(
            f"the thread has more than {LOOK_UP_PAGES * PAGE} replies to look through; "
            "cannot tell yet whether the reply was posted"
        )

    async def hide(self, external_id: str, *, hidden: bool = True) -> None:
        """Hold the comment for review (out of public view), or publish it again.

        `comments.setModerationStatus` (50 quota units); YouTube allows it to the owner of
        the channel or video. A held comment can be published again, unlike a rejected one.
        """
        status = "heldForReview" if hidden else "published"
        await self._request(
            "POST",
            "/comments/setModerationStatus",
            params={"id": external_id, "moderationStatus": status},
        )

    async def verify(self) -> str:
        """Ask YouTube whose channel the token is for (`channels.list?mine=true`)."""
        channel = await self._mine()
        return f"{channel.title or 'a channel'} ({channel.id})"

    async def _own_channel_id(self) -> str:
        if self._channel_id is None:
            self._channel_id = (await self._mine()).id
        return self._channel_id

    async def _mine(self) -> Channel:
        page = self._page(
            await self._request("GET", "/channels", params={"part": "snippet", "mine": "true"})
        )
        if not page.items:
            raise PayloadInvalid("the Google account that logged in has no YouTube channel")
        try:
            return Channel.parse(page.items[0])
        except ITEM_FAULTS as problem:
            raise PayloadInvalid(f"YouTube answered an unreadable channel ({problem})") from None

    def _page(self, response: httpx.Response) -> ListPage:
        try:
            return ListPage.parse(json_body(response))
        except ITEM_FAULTS as problem:
            raise PayloadInvalid(f"YouTube answered an unreadable page ({problem})") from None

    @classmethod
    async def log_in(
        cls, account: AccountRef, client: httpx.AsyncClient, prompt: LoginPrompt
    ) -> Mapping[str, str] | None:
        """Authorize the person's Google OAuth client (type Desktop) for the brand channel.

        OAuth 2.0 with PKCE and a loopback redirect; `access_type=offline` and
        `prompt=consent` make Google grant a refresh token every time.
        """
        client_id = prompt.ask("OAuth client ID of your Google Cloud project (type Desktop app)")
        client_secret = prompt.ask("Its client secret", secret=True)
        app = _oauth_loopback.OAuthApp(
            authorize_url=GOOGLE_AUTHORIZE_URL,
            token_url=GOOGLE_TOKEN_URL,
            client_id=client_id.strip(),
            client_secret=client_secret.strip() or None,
            scopes=(SCOPE,),
            extra_params={"access_type": "offline", "prompt": "consent"},
        )
        credential = await _oauth_loopback.authorize(
            client,
            app,
            prompt,
            platform="Google",
            port=int(account.settings.get("login_port", 0) or 0),
        )
        if "refresh_token" not in credential:
            raise PayloadInvalid("Google granted no refresh token; log in again")
        return credential

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one API call as the channel; a refusal maps by YouTube's `reason`."""
        if self.client is None:
            raise ValueError("the YouTube adapter needs an httpx.AsyncClient")
        url = f"{self._api}{path}"
        try:
            response = await self.client.request(method, url, auth=self._auth, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise NotReached(f"{method} {API_PATH}{path} could not connect") from error
        except httpx.TimeoutException as error:
            raise PlatformUnavailable(f"{method} {API_PATH}{path} timed out") from error
        except httpx.TransportError as error:
            raise PlatformUnavailable(f"{method} {API_PATH}{path} lost its connection") from error
        if response.status_code >= 300:
            raise_refusal(response, self._clock())
        return response


def raise_refusal(response: httpx.Response, now: datetime) -> None:
    """Raise the error-tree class a YouTube refusal stands for, decided by its `reason`.

    A spent daily quota waits until the next midnight Pacific time; too many requests at
    once wait `SHORT_WAIT` (or `Retry-After`); a refused or under-scoped token means
    logging in again; the known refusals get a sentence; the rest map by status.
    """
    where = f"{describe(response.request)} answered HTTP {response.status_code}"
    try:
        reasons = GoogleError.parse(json.loads(response.content)).reasons
    except (ValueError, UnicodeDecodeError, RecursionError):
        reasons = ()
    if _DAILY_QUOTA_SPENT.intersection(reasons):
        raise RateLimited(next_quota_reset(now), "YouTube's daily quota is spent")
    if _TOO_FAST.intersection(reasons) or response.status_code == 429:
        raise RateLimited(_retry_after(response, now), "YouTube asked us to slow down")
    if response.status_code == 401 or "authError" in reasons:
        raise AuthExpired(f"{where}: Google refused the login; log in again")
    if "insufficientPermissions" in reasons:
        raise AuthExpired(
            f"{where}: the login lacks the youtube.force-ssl permission; log in again"
        )
    for reason in reasons:
        if reason in _REFUSED:
            raise RequestRefused(f"{where}: {_REFUSED[reason]}", response.status_code)
    if reasons and 400 <= response.status_code < 500:
        raise RequestRefused(
            f"{where}: YouTube refused it ({shown(reasons[0])})", response.status_code
        )
    raise_for_status(response, lambda headers, moment: None, now)


def next_quota_reset(now: datetime) -> datetime:
    """The next midnight Pacific time after `now` (when YouTube's daily quota resets), in UTC."""
    tomorrow = now.astimezone(PACIFIC).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=PACIFIC).astimezone(UTC)


def _retry_after(response: httpx.Response, now: datetime) -> datetime:
    try:
        seconds = float(response.headers.get("retry-after", ""))
    except ValueError:
        return now + SHORT_WAIT
    return now + timedelta(seconds=min(max(seconds, 0), 86_400))


def _parent_id(request: OutboundRequest) -> str:
    """The top-level comment a reply answers: its thread's root, else the comment's own top."""
    root = mapping.thread_root(request.thread_key or "")
    if root is not None:
        return root
    if request.in_reply_to:
        return mapping.top_level_id(request.in_reply_to)
    raise ValueError("a YouTube reply needs a thread: key or a comment to answer")


def _raw_id(raw: Any) -> Any:
    return raw.get("id") if isinstance(raw, Mapping) else None
