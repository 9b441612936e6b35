"""The LinkedIn adapter: HTTP only; payloads.py reads the JSON and mapping.py makes items.

Settings, from `account.settings`:

| key | meaning | default |
| --- | --- | --- |
| `organization_id` | the organization's id (`urn:li:organization:<id>`) | the one administered |
| `api_version` | the `LinkedIn-Version` sent (`YYYYMM`, served a year) | `API_VERSION` |
| `recent_posts` | how many of the organization's newest posts each round reads comments on | 5 |
| `daily_calls` | API calls a day the account may make (Development tier: 100 per member) | 100 |
| `scopes` | the OAuth scopes the login asks for, space-separated | `DEFAULT_SCOPES` |
| `login_port` | the 127.0.0.1 port the login listens on (registered in the app) | 8400 |
| `api_base` | the API host, for tests and proxies | `https://api.linkedin.com` |
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any, ClassVar, Final
from urllib.parse import quote

import httpx

from adapters import _oauth_loopback
from adapters._http import (
    RefreshingBearer,
    RequestRefused,
    describe,
    json_body,
    raise_for_status,
    utc_now,
)
from adapters._payload import ITEM_FAULTS, Malformed, reading_page, same_text, shown
from adapters.base import (
    AccountRef,
    AccountSetting,
    Adapter,
    AuthExpired,
    FetchedItem,
    FetchResult,
    Kind,
    LengthRule,
    LoginPrompt,
    NotReached,
    OutboundRequest,
    PayloadInvalid,
    PlatformUnavailable,
    RateLimited,
    SentRef,
)
from adapters.linkedin import mapping
from adapters.linkedin.payloads import (
    AdministeredOrganization,
    Collection,
    Comment,
    LinkedInError,
    Mention,
    Organization,
    Post,
)

log = logging.getLogger(__name__)

API_BASE: Final = "https://api.linkedin.com"
API_VERSION: Final = "202601"
"""The `LinkedIn-Version` sent unless the account sets another; each version is served for
at least a year (https://learn.microsoft.com/en-us/linkedin/marketing/versioning)."""
AUTHORIZE_URL: Final = "https://www.linkedin.com/oauth/v2/authorization"
NATIVE_AUTHORIZE_URL: Final = "https://www.linkedin.com/oauth/native-pkce/authorization"
"""LinkedIn's PKCE flow for apps without a secret; LinkedIn turns it on for an app on request
(https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow-native)."""
TOKEN_URL: Final = "https://www.linkedin.com/oauth/v2/accessToken"
DEFAULT_SCOPES: Final = ("r_organization_social", "w_organization_social", "rw_organization_admin")
"""Read and write the organization's posts and comments, read its notifications; newer
apps may be granted them as `r_organization_social_feed` and `w_organization_social_feed`."""
LOGIN_PORT: Final = 8400
LOGIN_PATH: Final = "/linkedin"
"""The login comes back to http://127.0.0.1:8400/linkedin, which the app must list."""
DEVELOPMENT_DAILY_CALLS: Final = 100
"""Calls a member may make through one app per day on the Development tier (500 per app)."""
DEFAULT_RECENT_POSTS: Final = 5
PAGE: Final = 100
"""Comments or notifications asked for per call (`count`)."""
PAGES_PER_THREAD: Final = 10
"""Most pages of comments one round reads under one post or comment."""
MENTION_BACKFILL: Final = timedelta(days=7)
"""How far back the first poll of mentions reads."""
NOTIFICATION_RETENTION: Final = timedelta(days=59)
"""LinkedIn keeps organization notifications 60 days; a window never starts earlier."""
KEPT_REPLY_COUNTS: Final = 500
"""How many comments the cursor remembers the reply count of, to notice new replies."""
LOOK_UP_PAGES: Final = 5
"""Most pages `find_sent` reads before it says it cannot tell."""
COMMENT_THROTTLE: Final = timedelta(minutes=1)
"""How long LinkedIn's comment-creation throttle lasts when its 429 says no more."""
_FORBIDDEN: Final = (
    "LinkedIn refused access: the app needs the Community Management API product, and the "
    "member who logged in must be an administrator of the organization"
)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _urn(value: str) -> str:
    """A URN as Rest.li 2.0 wants it in a path or query: percent-encoded whole."""
    return quote(value, safe="")


@dataclass(frozen=True, slots=True)
class _CommentsRound:
    """Where the comments stream stands, as its cursor keeps it.

    A round lists the organization's newest posts (`posts`: post URN and `start`), reads
    the comments under each, then the replies of comments whose reply count moved
    (`replies`: comment URN and `start`); each fetch makes one call. `floor` is the newest
    creation time (ms) of earlier rounds and `edge` the comments created at that very
    moment; anything later is new. `counts` remembers reply counts of recent comments.
    """

    floor: int | None = None
    edge: tuple[str, ...] = ()
    walked: bool = False
    posts: tuple[tuple[str, int], ...] = ()
    replies: tuple[tuple[str, int], ...] = ()
    newest: int | None = None
    newest_ids: tuple[str, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def read(cls, cursor: str | None) -> _CommentsRound:
        if not cursor:
            return cls()
        try:
            fields = json.loads(cursor)
            return cls(
                floor=_optional_int(fields.get("floor")),
                edge=tuple(str(urn) for urn in fields.get("edge", ())),
                walked=bool(fields.get("walked", False)),
                posts=tuple((str(urn), int(start)) for urn, start in fields.get("posts", ())),
                replies=tuple((str(urn), int(start)) for urn, start in fields.get("replies", ())),
                newest=_optional_int(fields.get("newest")),
                newest_ids=tuple(str(urn) for urn in fields.get("newest_ids", ())),
                counts={str(k): int(v) for k, v in fields.get("counts", {}).items()},
            )
        except (ValueError, TypeError, AttributeError):
            raise PayloadInvalid(f"not a LinkedIn comments cursor: {shown(cursor)}") from None

    def write(self) -> str:
        return json.dumps({key: value for key, value in asdict(self).items() if value})

    def is_new(self, comment: Comment) -> bool:
        """Whether `comment` was written after what earlier rounds saw."""
        created = _ms(comment.created_at)
        if self.floor is None:
            return True
        return created > self.floor or (created == self.floor and comment.urn not in self.edge)

    def seen(self, comments: list[Comment]) -> _CommentsRound:
        """This round with `comments` counted towards its newest creation time."""
        newest, ids = self.newest, list(self.newest_ids)
        for comment in comments:
            created = _ms(comment.created_at)
            if newest is None or created > newest:
                newest, ids = created, [comment.urn]
            elif created == newest and comment.urn not in ids:
                ids.append(comment.urn)
        return replace(self, newest=newest, newest_ids=tuple(ids))

    def finished(self) -> _CommentsRound:
        """The state after a whole round: its newest creation time is the next floor."""
        floor, edge = self.floor, self.edge
        if self.newest is not None and (floor is None or self.newest >= floor):
            edge = self.newest_ids if self.newest != floor else (*edge, *self.newest_ids)
            floor = self.newest
        counts = dict(list(self.counts.items())[:KEPT_REPLY_COUNTS])
        return _CommentsRound(floor=floor, edge=tuple(dict.fromkeys(edge)), counts=counts)


@dataclass(frozen=True, slots=True)
class _MentionsWindow:
    """Where the mentions stream stands: notifications are read by time window.

    `since` is the newest notification time (ms) read so far and `edge` the ids at that
    moment; a window runs from `since` to `until` in pages (`start`); `posts` are
    mentioning posts whose notification held no text, read one per fetch.
    """

    since: int | None = None
    edge: tuple[str, ...] = ()
    until: int | None = None
    start: int = 0
    posts: tuple[str, ...] = ()
    newest: int | None = None
    newest_ids: tuple[str, ...] = ()

    @classmethod
    def read(cls, cursor: str | None) -> _MentionsWindow:
        if not cursor:
            return cls()
        try:
            fields = json.loads(cursor)
            return cls(
                since=_optional_int(fields.get("since")),
                edge=tuple(str(key) for key in fields.get("edge", ())),
                until=_optional_int(fields.get("until")),
                start=int(fields.get("start", 0)),
                posts=tuple(str(urn) for urn in fields.get("posts", ())),
                newest=_optional_int(fields.get("newest")),
                newest_ids=tuple(str(key) for key in fields.get("newest_ids", ())),
            )
        except (ValueError, TypeError, AttributeError):
            raise PayloadInvalid(f"not a LinkedIn mentions cursor: {shown(cursor)}") from None

    def write(self) -> str:
        return json.dumps({key: value for key, value in asdict(self).items() if value})

    def is_new(self, mention: Mention) -> bool:
        at = _ms(mention.at)
        if self.since is None:
            return True
        return at > self.since or (at == self.since and mention.notification_id not in self.edge)

    def seen(self, mention: Mention) -> _MentionsWindow:
        at = _ms(mention.at)
        if self.newest is None or at > self.newest:
            return replace(self, newest=at, newest_ids=(mention.notification_id,))
        if at == self.newest and mention.notification_id not in self.newest_ids:
            return replace(self, newest_ids=(*self.newest_ids, mention.notification_id))
        return self

    def closed(self) -> _MentionsWindow:
        """The state once the window is read: the next one starts at its newest notification."""
        since, edge = self.since, self.edge
        if self.newest is not None and (since is None or self.newest >= since):
            edge = self.newest_ids if self.newest != since else (*edge, *self.newest_ids)
            since = self.newest
        elif since is None:
            since = self.until
        return _MentionsWindow(since=since, edge=tuple(dict.fromkeys(edge)), posts=self.posts)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


class _FormSecretBearer(RefreshingBearer):
    """Bearer auth whose refresh sends the client secret in the form, as LinkedIn documents
    (https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens);
    `_oauth_loopback.bearer_auth` sends it as HTTP Basic, which LinkedIn does not document."""

    def __init__(
        self,
        credential: Mapping[str, str],
        *,
        clock: Callable[[], datetime],
        on_refreshed: Callable[[Mapping[str, str]], None] | None,
    ) -> None:
        super().__init__(
            token_url=TOKEN_URL,
            credential=credential,
            basic_auth=False,
            clock=clock,
            on_refreshed=on_refreshed,
        )
        self._client_secret = credential.get("client_secret")
        self._can_refresh = bool(credential.get("refresh_token") and credential.get("client_id"))

    def _refresh_request(self) -> httpx.Request:
        if not self._can_refresh:
            raise AuthExpired(
                "LinkedIn refused the token (tokens last 60 days, the member may have revoked "
                "the app, and only approved partners get refresh tokens); log in again"
            )
        request = super()._refresh_request()
        if not self._client_secret:
            return request
        form = dict(httpx.QueryParams(request.content.decode()))
        form["client_secret"] = self._client_secret
        return httpx.Request("POST", request.url, data=form)


class LinkedInAdapter(Adapter):
    """One organization (company page) on LinkedIn, through the Community Management API.

    `comments` reads the organization's newest posts (`GET /rest/posts?q=author`), the
    comments under each (`GET /rest/socialActions/{post}/comments`, paged by `start` and
    `count`) and the replies of comments whose reply count moved (the same call on the
    comment's URN); LinkedIn has no "since", so every round lists again and the cursor
    keeps the newest creation time seen. `mentions` reads `SHARE_MENTION` notifications
    (`GET /rest/organizationalEntityNotifications`) by time window, and the mentioning post
    (`GET /rest/posts/{urn}`) when the notification does not carry its text. Every fetch
    makes one call: the Development tier allows a member 100 a day, which `daily_quota`
    (the `daily_calls` setting) paces polling to; a spent limit (429) waits until the next
    midnight UTC, when LinkedIn resets it.

    Answers: a reply to a comment thread is a comment as the organization under its
    top-level comment (`POST /rest/socialActions/{comment}/comments` with `parentComment`);
    a reply to a mention is a comment on the mentioning post; a comment item with no thread
    is an organization post (`POST /rest/posts`), the incident statement. LinkedIn has no
    idempotency keys: `find_sent` reads the comments (or the organization's posts) for the
    organization's own with the same text. There are no direct messages for organizations.

    What this inbox keeps: the text of comments and mentions, their URNs and times, and
    each member's URN; no profile data (names are not read). LinkedIn's terms let members'
    social activity be stored 48 hours (profile data 24 hours): a brand connecting LinkedIn
    must delete older LinkedIn threads on that schedule (`inbox accounts remove --purge`
    deletes an account's history) or hold LinkedIn's written consent to keep them.
    """

    platform = "linkedin"
    display_name = "LinkedIn"
    streams = ("comments", "mentions")
    kinds = frozenset({Kind.COMMENT, Kind.MENTION})
    finds_sent = frozenset({Kind.COMMENT, Kind.MENTION})
    can_dm = False
    can_post_statement = True
    can_hide = False
    text_limit = 1250
    """A comment's limit as LinkedIn's clients enforce it (a post takes 3,000): the lower
    rules, so one prepared answer fits every LinkedIn thread and the statement too."""
    length_rule = LengthRule.CHARACTERS
    poll_interval_seconds = 900.0
    daily_quota = DEVELOPMENT_DAILY_CALLS
    quota_costs: ClassVar[Mapping[str, int]] = {"comments": 1, "mentions": 1, "send": 1}
    credential_fields: ClassVar[tuple[str, ...]] = ("access_token",)
    settings_fields = (
        AccountSetting(
            "organization_id",
            "the organization's id (the number in urn:li:organization:<id>)",
            default="the one the member administers",
        ),
        AccountSetting(
            "api_version", "the LinkedIn-Version (YYYYMM) the API is asked in", default=API_VERSION
        ),
        AccountSetting(
            "recent_posts",
            "how many of the organization's newest posts each round reads comments on",
            default=DEFAULT_RECENT_POSTS,
            kind=int,
        ),
        AccountSetting(
            "daily_calls",
            "API calls a day polling is paced to: 100 on the Development tier; on the "
            "Standard tier, the figure the app's Analytics tab shows",
            default=DEVELOPMENT_DAILY_CALLS,
            kind=int,
        ),
        AccountSetting(
            "scopes", "the OAuth scopes the login asks for", default=" ".join(DEFAULT_SCOPES)
        ),
        AccountSetting(
            "login_port",
            "the 127.0.0.1 port the login listens on (http://127.0.0.1:PORT/linkedin must "
            "be a redirect URL of the app)",
            default=LOGIN_PORT,
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
        settings = account.settings
        self._clock = clock
        self._api = str(settings.get("api_base", API_BASE)).rstrip("/") + "/rest"
        self._version = str(settings.get("api_version") or API_VERSION)
        self._recent_posts = int(settings.get("recent_posts") or DEFAULT_RECENT_POSTS)
        self.daily_quota = int(settings.get("daily_calls") or DEVELOPMENT_DAILY_CALLS)
        self._auth = _FormSecretBearer(
            credential or {}, clock=clock, on_refreshed=on_credential_refreshed
        )
        configured = settings.get("organization_id") or (credential or {}).get("organization_id")
        self._organization: str | None = _organization_urn(str(configured)) if configured else None

    # -- reading ---------------------------------------------------------------------------

    async def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        """Read the next page of `stream` after `cursor`: one API call."""
        if stream == "comments":
            return await self._fetch_comments(_CommentsRound.read(cursor))
        if stream == "mentions":
            return await self._fetch_mentions(_MentionsWindow.read(cursor))
        raise ValueError(f"LinkedIn has no stream {stream!r}")

    async def _fetch_comments(self, state: _CommentsRound) -> FetchResult:
        organization = await self.organization()
        items: list[FetchedItem] = []
        if state.replies:
            (urn, start), rest = state.replies[0], state.replies[1:]
            page, comments = await self._comments_page(urn, start)
            items, state = self._new_comments(state, comments, organization, top=urn)
            state = replace(state, replies=(*self._next(urn, start, page), *rest))
        elif state.posts:
            (urn, start), rest = state.posts[0], state.posts[1:]
            page, comments = await self._comments_page(urn, start)
            items, state = self._new_comments(state, comments, organization, post=urn)
            state = replace(state, posts=(*self._next(urn, start, page), *rest))
        else:
            state = replace(state, walked=True, posts=await self._recent_posts_of(organization))
        if state.walked and not state.posts and not state.replies:
            state = state.finished()
        return FetchResult(
            items=tuple(items),
            next_cursor=state.write(),
            has_more=bool(state.posts or state.replies),
        )

    @staticmethod
    def _next(urn: str, start: int, page: Collection) -> tuple[tuple[str, int], ...]:
        """The next page of comments under `urn`, unless this was the last one a round reads."""
        following = start + len(page.elements)
        if page.has_next and page.elements and following < PAGE * PAGES_PER_THREAD:
            return ((urn, following),)
        return ()

    async def _recent_posts_of(self, organization: str) -> tuple[tuple[str, int], ...]:
        query = f"q=author&author={_urn(organization)}&count={self._recent_posts}"
        page = self._collection(await self._request("GET", "/posts", query=query))
        posts = []
        for raw in page.elements:
            try:
                posts.append((Post.parse(raw).id, 0))
            except ITEM_FAULTS as problem:
                self._log_skip("post", raw, problem)
        return tuple(dict.fromkeys(posts))

    async def _comments_page(self, urn: str, start: int) -> tuple[Collection, list[Comment]]:
        path = f"/socialActions/{_urn(urn)}/comments"
        page = self._collection(
            await self._request("GET", path, query=f"start={start}&count={PAGE}")
        )
        comments = []
        for raw in page.elements:
            try:
                comments.append(Comment.parse(raw))
            except ITEM_FAULTS as problem:
                self._log_skip("comment", raw, problem)
        return page, comments

    def _new_comments(
        self,
        state: _CommentsRound,
        comments: list[Comment],
        organization: str,
        *,
        post: str | None = None,
        top: str | None = None,
    ) -> tuple[list[FetchedItem], _CommentsRound]:
        """The new items among `comments` read under `post` (or as replies of `top`), and
        the state with the replies that need reading queued."""
        items: list[FetchedItem] = []
        queued: list[tuple[str, int]] = []
        counts: dict[str, int] = {}
        with reading_page("LinkedIn comments"):
            for comment in comments:
                thread = top or comment.parent or comment.urn
                if state.is_new(comment):
                    try:
                        items.append(
                            mapping.comment_item(
                                comment, top_urn=thread, organization=organization, post_urn=post
                            )
                        )
                    except ITEM_FAULTS as problem:
                        self._log_skip("comment", comment.raw, problem)
                if thread != comment.urn or comment.reply_count == 0:
                    continue
                known = state.counts.get(comment.urn, comment.reply_count)
                if state.floor is None or state.is_new(comment) or known != comment.reply_count:
                    queued.append((comment.urn, 0))
                counts[comment.urn] = comment.reply_count
        counts.update((urn, count) for urn, count in state.counts.items() if urn not in counts)
        state = state.seen(comments)
        return items, replace(state, replies=(*state.replies, *queued), counts=counts)

    async def _fetch_mentions(self, window: _MentionsWindow) -> FetchResult:
        items: list[FetchedItem] = []
        if window.posts:
            urn, rest = window.posts[0], window.posts[1:]
            post = await self._post(urn)
            if post is not None:
                items.append(mapping.mention_item(post))
            window = replace(window, posts=rest)
        else:
            items, window = await self._read_notifications(window)
        return FetchResult(
            items=tuple(items),
            next_cursor=window.write(),
            has_more=bool(window.posts or window.until is not None),
        )

    async def _read_notifications(
        self, window: _MentionsWindow
    ) -> tuple[list[FetchedItem], _MentionsWindow]:
        organization = await self.organization()
        now = self._clock()
        oldest = _ms(now - NOTIFICATION_RETENTION)
        since = max(
            window.since if window.since is not None else _ms(now - MENTION_BACKFILL), oldest
        )
        until = window.until if window.until is not None else _ms(now)
        query = (
            f"q=criteria&actions=List(SHARE_MENTION)&organizationalEntity={_urn(organization)}"
            f"&timeRange=(start:{since},end:{until})&start={window.start}&count={PAGE}"
        )
        page = self._collection(
            await self._request("GET", "/organizationalEntityNotifications", query=query)
        )
        items: list[FetchedItem] = []
        posts = list(window.posts)
        window = replace(window, until=until)
        for raw in page.elements:
            try:
                mention = Mention.parse(raw)
            except ITEM_FAULTS as problem:
                self._log_skip("notification", raw, problem)
                continue
            if not window.is_new(mention):
                continue
            window = window.seen(mention)
            item = mapping.mention_item_from_notification(mention)
            if item is not None:
                items.append(item)
            elif mention.post not in posts:
                posts.append(mention.post)
        window = replace(window, posts=tuple(posts))
        if page.has_next and page.elements:
            return items, replace(window, start=window.start + len(page.elements))
        return items, window.closed()

    async def _post(self, urn: str) -> Post | None:
        try:
            return Post.parse(json_body(await self._request("GET", f"/posts/{_urn(urn)}")))
        except RequestRefused as refused:
            if refused.status_code not in (403, 404):
                raise
            log.info("a mentioning LinkedIn post is gone or not visible (%s)", refused)
            return None
        except ITEM_FAULTS as problem:
            self._log_skip("post", urn, problem)
            return None

    def _log_skip(self, what: str, raw: Any, problem: Exception) -> None:
        identifier = raw
        if isinstance(raw, Mapping):
            identifier = raw.get("commentUrn") or raw.get("id") or raw.get("notificationId")
        log.warning(
            "skipped a malformed LinkedIn %s from account %s (%s), id %s: %s",
            what,
            self.account.id,
            self.account.handle,
            shown(identifier),
            problem if isinstance(problem, Malformed) else type(problem).__name__,
        )

    # -- writing ---------------------------------------------------------------------------

    async def send(self, request: OutboundRequest) -> SentRef:
        """Comment as the organization in the request's thread, or post for the organization."""
        organization = await self.organization()
        target = _comment_target(request)
        if target is None:
            return await self._post_for(organization, request.text)
        path_urn, body = target
        body = {"actor": organization, **body, "message": {"text": request.text}}
        response = await self._request(
            "POST", f"/socialActions/{_urn(path_urn)}/comments", json=body
        )
        return self._sent_comment(response, on=body["object"])

    async def _post_for(self, organization: str, text: str) -> SentRef:
        body = {
            "author": organization,
            "commentary": mapping.little_text(text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        response = await self._request("POST", "/posts", json=body)
        urn = response.headers.get("x-restli-id", "")
        if not urn.startswith("urn:li:"):
            raise PayloadInvalid("POST /rest/posts answered no post URN (x-restli-id)")
        return SentRef(external_id=urn, url=mapping.post_url(urn), sent_at=self._clock())

    def _sent_comment(self, response: httpx.Response, *, on: str) -> SentRef:
        """Where the new comment is: the comment LinkedIn echoes, else its id (`x-restli-id`)
        on the activity it was written on."""
        try:
            comment = Comment.parse(json_body(response))
        except (PayloadInvalid, *ITEM_FAULTS):
            comment_id = response.headers.get("x-restli-id", "")
            if not comment_id.isdigit() or not on.startswith("urn:li:activity:"):
                raise PayloadInvalid(
                    "LinkedIn answered the new comment without a readable comment URN"
                ) from None
            urn = f"urn:li:comment:({on},{comment_id})"
            return SentRef(external_id=urn, url=mapping.comment_url(urn), sent_at=self._clock())
        return SentRef(
            external_id=comment.urn,
            url=mapping.comment_url(comment.urn),
            sent_at=comment.created_at,
        )

    async def find_sent(self, request: OutboundRequest, since: datetime) -> SentRef | None:
        """The comment (or post) an interrupted `send` of `request` made, asked of LinkedIn.

        Reads the comments of the answered thread (or the organization's newest posts) for
        the organization's own since `since` with the same text; more than `LOOK_UP_PAGES`
        pages raise `PlatformUnavailable`: it cannot tell yet.
        """
        organization = await self.organization()
        target = _comment_target(request)
        if target is None:
            return await self._find_post(organization, request.text, since)
        path_urn, _ = target
        start = 0
        for _ in range(LOOK_UP_PAGES):
            page, comments = await self._comments_page(path_urn, start)
            for comment in comments:
                if (
                    comment.actor == organization
                    and comment.created_at >= since
                    and same_text(request.text, comment.text)
                ):
                    return SentRef(
                        external_id=comment.urn,
                        url=mapping.comment_url(comment.urn),
                        sent_at=comment.created_at,
                    )
            if not page.has_next or not page.elements:
                return None
            start += len(page.elements)
        raise PlatformUnavailable(
            f"the thread has more than {LOOK_UP_PAGES * PAGE} comments to look through; "
            "cannot tell yet whether the reply was posted"
        )

    async def _find_post(self, organization: str, text: str, since: datetime) -> SentRef | None:
        query = f"q=author&author={_urn(organization)}&count={PAGE}"
        page = self._collection(await self._request("GET", "/posts", query=query))
        for raw in page.elements:
            try:
                post = Post.parse(raw)
            except ITEM_FAULTS as problem:
                self._log_skip("post", raw, problem)
                continue
            if post.created_at >= since and same_text(text, mapping.plain_text(post.commentary)):
                return SentRef(
                    external_id=post.id, url=mapping.post_url(post.id), sent_at=post.created_at
                )
        return None

    # -- the account -------------------------------------------------------------------------

    async def verify(self) -> str:
        """Ask LinkedIn for the organization's name (`GET /rest/organizations/{id}`)."""
        organization = await self.organization()
        number = organization.rpartition(":")[2]
        try:
            found = Organization.parse(
                json_body(await self._request("GET", f"/organizations/{number}"))
            )
        except ITEM_FAULTS as problem:
            raise PayloadInvalid(
                f"LinkedIn answered an unreadable organization ({problem})"
            ) from None
        return f"the organization {found.name or '?'} ({organization})"

    async def organization(self) -> str:
        """The organization's URN: from the settings or the credential, else the only one the
        member administers (`GET /rest/organizationAcls?q=roleAssignee`)."""
        if self._organization is None:
            administered = await self.administered()
            if len(administered) != 1:
                raise PayloadInvalid(
                    f"the member administers {len(administered)} organizations on LinkedIn; "
                    "set organization_id to the one this account answers for"
                )
            self._organization = administered[0]
        return self._organization

    async def administered(self) -> list[str]:
        """The URNs of the organizations the logged-in member is an approved administrator of."""
        query = "q=roleAssignee&role=ADMINISTRATOR&state=APPROVED"
        page = self._collection(await self._request("GET", "/organizationAcls", query=query))
        found = []
        for raw in page.elements:
            try:
                acl = AdministeredOrganization.parse(raw)
            except ITEM_FAULTS as problem:
                self._log_skip("organization ACL", raw, problem)
                continue
            if acl.role == "ADMINISTRATOR" and acl.state in ("", "APPROVED"):
                found.append(acl.organization)
        return list(dict.fromkeys(found))

    @classmethod
    async def log_in(
        cls, account: AccountRef, client: httpx.AsyncClient, prompt: LoginPrompt
    ) -> Mapping[str, str] | None:
        """Authorize the brand's LinkedIn app for an administrator of the organization.

        OAuth 2.0 authorization code with PKCE and a loopback redirect
        (http://127.0.0.1:PORT/linkedin, listed in the app's Auth tab). With the app's
        client secret it is LinkedIn's standard flow; without one, LinkedIn's native PKCE
        flow, which LinkedIn enables for an app on request. The organization is the one
        the member administers (asked when several).
        """
        configured_port = account.settings.get("login_port")
        port = LOGIN_PORT if configured_port is None else int(configured_port)
        prompt.show(
            "LinkedIn answers as an organization through the Community Management API: the "
            "app needs that product, and you must be an administrator of the organization. "
            f"The app must list http://127.0.0.1:{port}{LOGIN_PATH} as a redirect URL."
        )
        client_id = prompt.ask("Client ID of your LinkedIn app").strip()
        client_secret = prompt.ask(
            "Its client secret (empty if LinkedIn enabled native PKCE for the app)", secret=True
        ).strip()
        scopes = str(account.settings.get("scopes") or " ".join(DEFAULT_SCOPES)).split()
        app = _oauth_loopback.OAuthApp(
            authorize_url=AUTHORIZE_URL if client_secret else NATIVE_AUTHORIZE_URL,
            token_url=TOKEN_URL,
            client_id=client_id,
            client_secret=client_secret or None,
            scopes=tuple(scopes),
        )
        credential = await _oauth_loopback.authorize(
            client, app, prompt, platform="LinkedIn", port=port, path=LOGIN_PATH
        )
        if account.settings.get("organization_id"):
            return credential
        administered = await cls(account, client, credential).administered()
        credential["organization_id"] = _choose(prompt, administered).rpartition(":")[2]
        return credential

    # -- HTTP --------------------------------------------------------------------------------

    def _collection(self, response: httpx.Response) -> Collection:
        try:
            return Collection.parse(json_body(response))
        except ITEM_FAULTS as problem:
            raise PayloadInvalid(f"LinkedIn answered an unreadable page ({problem})") from None

    async def _request(
        self, method: str, path: str, *, query: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send one versioned API call; a refusal maps to the error tree with a sentence."""
        if self.client is None:
            raise ValueError("the LinkedIn adapter needs an httpx.AsyncClient")
        url = f"{self._api}{path}" + (f"?{query}" if query else "")
        headers = {"LinkedIn-Version": self._version, "X-Restli-Protocol-Version": "2.0.0"}
        where = f"{method} /rest/{path.lstrip('/').partition('/')[0]}"
        try:
            response = await self.client.request(
                method, url, headers=headers, auth=self._auth, **kwargs
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise NotReached(f"{where} could not connect") from error
        except httpx.TimeoutException as error:
            raise PlatformUnavailable(f"{where} timed out") from error
        except httpx.TransportError as error:
            raise PlatformUnavailable(f"{where} lost its connection") from error
        if response.status_code >= 300:
            raise_refusal(response, self._clock(), version=self._version)
        return response


def raise_refusal(response: httpx.Response, now: datetime, *, version: str) -> None:
    """Raise the error-tree class a LinkedIn refusal stands for, with a sentence for people.

    A 429 waits for `Retry-After` when sent; else a comment's creation throttle a minute,
    and the daily limit until the next midnight UTC. A 401 means logging in again; a 403
    names the access LinkedIn wants (and needs a login again when it refused a read).
    """
    status = response.status_code
    where = f"{describe(response.request)} answered HTTP {status}"
    if status == 429:
        raise RateLimited(_retry_at(response, now), "LinkedIn asked us to slow down")
    if status == 401:
        raise AuthExpired(
            f"{where}: LinkedIn refused the token (tokens last 60 days, and the member may "
            "have revoked the app); log in again"
        )
    if status == 403 and response.request.method == "GET":
        raise AuthExpired(f"{where}: {_FORBIDDEN}; log in again once both hold")
    if status == 403:
        raise RequestRefused(f"{where}: {_FORBIDDEN}", status)
    if status == 426:
        raise RequestRefused(
            f"{where}: LinkedIn no longer serves API version {version}; set api_version to "
            "a newer YYYYMM",
            status,
        )
    if 400 <= status < 500:
        try:
            error = LinkedInError.parse(json.loads(response.content))
        except (ValueError, UnicodeDecodeError, RecursionError):
            error = LinkedInError(code=None, message=None)
        said = error.code or error.message
        raise RequestRefused(
            f"{where}: LinkedIn refused it" + (f" ({shown(said)})" if said else ""), status
        )
    raise_for_status(response, lambda headers, moment: None, now)


def _retry_at(response: httpx.Response, now: datetime) -> datetime:
    try:
        seconds = float(response.headers.get("retry-after", ""))
    except ValueError:
        if response.request.method == "POST" and response.request.url.path.endswith("/comments"):
            return now + COMMENT_THROTTLE
        return next_utc_midnight(now)
    return now + timedelta(seconds=min(max(seconds, 0), 86_400))


def next_utc_midnight(now: datetime) -> datetime:
    """The next midnight UTC after `now`, when LinkedIn's daily limits reset."""
    return datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(0), tzinfo=UTC)


def _organization_urn(configured: str) -> str:
    return configured if configured.startswith("urn:li:") else f"urn:li:organization:{configured}"


def _comment_target(request: OutboundRequest) -> tuple[str, dict[str, str]] | None:
    """The URN a comment goes under and its `object`/`parentComment`; None for a new post.

    A reply in a comment thread goes under the top-level comment (LinkedIn nests one level),
    on the activity the comment's URN names; an answer to a mention is a comment on the post.
    """
    key = request.thread_key or ""
    top = mapping.comment_root(key)
    if top is not None:
        activity = mapping.activity_of(top)
        if activity is None:
            raise ValueError(f"not a LinkedIn comment URN: {shown(top)}")
        return top, {"object": activity, "parentComment": top}
    post = mapping.mention_post(key)
    if post is not None:
        return post, {"object": post}
    if key:
        raise ValueError(f"not a LinkedIn thread: {shown(key)}")
    return None


def _choose(prompt: LoginPrompt, administered: list[str]) -> str:
    """The organization the account answers for: the only one, or the one the person picks."""
    if not administered:
        raise ValueError(
            "the member who logged in administers no organization on LinkedIn; log in as an "
            "administrator of the brand's page"
        )
    if len(administered) == 1:
        return administered[0]
    prompt.show("You administer these organizations:")
    for urn in administered:
        prompt.show(f"  {urn.rpartition(':')[2]}")
    picked = prompt.ask("Which one does this account answer for (its id)").strip()
    chosen = _organization_urn(picked)
    if chosen not in administered:
        raise ValueError(f"{shown(picked)} is not one of the organizations listed")
    return chosen
