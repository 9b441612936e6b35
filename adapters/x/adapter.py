"""The X adapter: HTTP only; payloads.py reads the JSON and mapping.py makes items.

Settings, from `account.settings`:

| key | meaning | default |
| --- | --- | --- |
| `user_id` | the brand's numeric user id; asked of `GET /2/users/me` when absent | - |
| `api_base` | the API host, for tests and proxies | `https://api.x.com` |
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Final

import httpx

from adapters._http import (
    X_RATE_LIMIT,
    RefreshingBearer,
    RequestBudgets,
    json_body,
    json_object,
    reset_from_epoch,
    send_request,
    utc_now,
)
from adapters._payload import ITEM_FAULTS, Malformed, reading_page, same_text, shown
from adapters.base import (
    AccountRef,
    AccountSetting,
    Adapter,
    FetchedItem,
    FetchResult,
    Kind,
    LengthRule,
    LoginPrompt,
    OutboundRequest,
    PayloadInvalid,
    PlatformUnavailable,
    SentRef,
)
from adapters.x import mapping, oauth
from adapters.x.payloads import Created, DmEvent, Page, Post, own_user_id

log = logging.getLogger(__name__)

API_BASE: Final = "https://api.x.com"
TOKEN_PATH: Final = "/2/oauth2/token"
PAGE: Final = 100
LOOK_UP_PAGES: Final = 10
"""Most pages (of `PAGE` posts or DM events) `find_sent` reads before it says it cannot tell."""
DM_HISTORY: Final = timedelta(days=30)
"""How far back X lists DM events; a direct message sent earlier cannot be looked up."""
SCOPES: Final = "tweet.read tweet.write users.read dm.read dm.write offline.access"
"""What the OAuth 2 PKCE login asks for; `offline.access` brings the refresh token."""

_MEDIA_FIELDS: Final = "type,url,preview_image_url,alt_text,width,height,variants"
_POST_FIELDS: Final = {
    "tweet.fields": (
        "author_id,created_at,conversation_id,in_reply_to_user_id,referenced_tweets,"
        "entities,attachments,note_tweet"
    ),
    "expansions": (
        "author_id,attachments.media_keys,attachments.poll_ids,"
        "referenced_tweets.id,referenced_tweets.id.author_id"
    ),
    "user.fields": "username,name",
    "media.fields": _MEDIA_FIELDS,
    "poll.fields": "options",
}
"""What a mention is read with: its links, media, poll and quoted post (with its author)."""
_OWN_POST_FIELDS: Final = {
    "tweet.fields": "author_id,created_at,conversation_id,in_reply_to_user_id,referenced_tweets",
    "exclude": "retweets",
}
_DM_FIELDS: Final = {
    "dm_event.fields": (
        "id,text,event_type,created_at,sender_id,dm_conversation_id,entities,attachments"
    ),
    "event_types": "MessageCreate",
    "expansions": "sender_id,attachments.media_keys",
    "user.fields": "username,name",
    "media.fields": _MEDIA_FIELDS,
}
_RESET = reset_from_epoch("x-rate-limit-reset")


@dataclass(frozen=True, slots=True)
class _Walk:
    """Where a stream stands: the newest id stored, and a newest-first walk in progress.

    A walk starts at the newest page and follows `next_token` down to `floor`; `newest` is
    the top of that first page, which becomes the next floor once the walk ends.
    """

    floor: str | None = None
    token: str | None = None
    newest: str | None = None

    @classmethod
    def read(cls, cursor: str | None) -> _Walk:
        if not cursor:
            return cls()
        try:
            fields = json.loads(cursor)
            return cls(**{key: fields.get(key) for key in ("floor", "token", "newest")})
        except (ValueError, TypeError, AttributeError):
            raise ValueError(f"not an X cursor: {cursor!r}") from None

    def write(self) -> str:
        return json.dumps(
            {key: value for key, value in asdict(self).items() if value}, sort_keys=True
        )

    def after(
        self, page_newest: str | None, next_token: str | None, reached_floor: bool
    ) -> tuple[_Walk, bool]:
        """The state after reading one page, and whether the walk goes on."""
        newest = self.newest or page_newest
        if next_token and not reached_floor:
            return _Walk(floor=self.floor, token=next_token, newest=newest), True
        return _Walk(floor=_larger(newest, self.floor)), False


class XAdapter(Adapter):
    """One brand account on X, through the v2 API with an OAuth 2 user token.

    `mentions` reads `GET /2/users/:id/mentions` with `since_id` = the newest stored id,
    walking `next_token` pages down to it; `dms` reads `GET /2/dm_events` newest first and
    stops at the newest stored event (DM events have no `since_id`). Both keep the walk
    in the cursor, so a long backlog comes page by page with `has_more`. Mentions are asked
    with their links, media, polls and quoted posts (`includes`), DM events with their
    links and media; mapping.py makes them the items' text and attachments.

    The access token is refreshed with the refresh token (`offline.access`) before it
    expires and after a 401; X rotates refresh tokens, so the new credential goes to
    `on_credential_refreshed` for the keyring.

    X has no idempotency keys, so `find_sent` asks X what the account posted since the
    first attempt: its own posts (`GET /2/users/:id/tweets`) for a reply to the same parent,
    or the DM events of the conversation (`GET /2/dm_conversations/.../dm_events`) for a
    message from the account, with the same text either way.
    """

    platform = "x"
    display_name = "X"
    streams = ("mentions", "dms")
    kinds = frozenset({Kind.MENTION, Kind.COMMENT, Kind.DM})
    finds_sent = frozenset({Kind.MENTION, Kind.COMMENT, Kind.DM})
    can_dm = True
    can_post_statement = True
    can_hide = True
    text_limit = 280
    length_rule = LengthRule.X_WEIGHTED
    poll_interval_seconds = 60.0
    credential_fields: ClassVar[tuple[str, ...]] = ("client_id", "access_token", "refresh_token")
    settings_fields = (
        AccountSetting("user_id", "the brand's numeric user id", default="asked of /2/users/me"),
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
        self._api = str(account.settings.get("api_base", API_BASE)).rstrip("/")
        self._auth = RefreshingBearer(
            token_url=self._api + TOKEN_PATH,
            credential=credential or {},
            basic_auth=bool((credential or {}).get("client_secret")),
            clock=clock,
            on_refreshed=on_credential_refreshed,
        )
        self._budgets = RequestBudgets(X_RATE_LIMIT, clock, per_path=True)
        configured = account.settings.get("user_id")
        self._user_id: str | None = str(configured) if configured else None

    def poll_delay(self) -> float | None:
        """The pace the tightest `x-rate-limit-*` window seen (one per endpoint) allows."""
        return self._budgets.poll_delay(len(self.streams))

    async def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        """Read the next page of mentions or DM events after `cursor`."""
        walk = _Walk.read(cursor)
        user_id = await self._own_id()
        params: dict[str, Any] = {"max_results": PAGE}
        if walk.token:
            params["pagination_token"] = walk.token
        if stream == "mentions":
            if walk.floor:
                params["since_id"] = walk.floor
            page = self._page(
                await self._request(
                    "GET", f"/2/users/{user_id}/mentions", params={**params, **_POST_FIELDS}
                )
            )
            with reading_page("X mentions"):
                items, reached_floor = self._mentions(page, user_id), False
        elif stream == "dms":
            page = self._page(
                await self._request("GET", "/2/dm_events", params={**params, **_DM_FIELDS})
            )
            with reading_page("X DM events"):
                items, reached_floor = self._dms(page, user_id, walk.floor)
        else:
            raise ValueError(f"X has no stream {stream!r}")
        page_newest = page.newest_id or _largest([_entry_id(raw) for raw in page.data])
        following, has_more = walk.after(page_newest, page.next_token, reached_floor)
        return FetchResult(items=tuple(items), next_cursor=following.write(), has_more=has_more)

    async def send(self, request: OutboundRequest) -> SentRef:
        """Post a reply, or send a direct message into a conversation or to a person.

        A reply with no parent post goes to its thread's root post (the conversation id).
        """
        if request.kind == Kind.DM:
            response = await self._request(
                "POST", f"{_dm_conversation_path(request)}/messages", json={"text": request.text}
            )
            created = self._created(Created.parse_dm, response)
            return SentRef(external_id=created.id, sent_at=self._clock())
        body: dict[str, Any] = {"text": request.text}
        parent_id = _parent_id(request)
        if parent_id is not None:
            body["reply"] = {"in_reply_to_tweet_id": parent_id}
        created = self._created(
            Created.parse_post, await self._request("POST", "/2/tweets", json=body)
        )
        return SentRef(
            external_id=created.id, url=mapping.post_url(created.id), sent_at=self._clock()
        )

    async def hide(self, external_id: str, *, hidden: bool = True) -> None:
        """Hide (or show again) a reply in a conversation the brand started
        (`PUT /2/tweets/:id/hidden`); X refuses it for other posts."""
        if not external_id.isdigit():
            raise PayloadInvalid(f"{shown(external_id)} is not an X post id")
        response = await self._request(
            "PUT", f"/2/tweets/{external_id}/hidden", json={"hidden": hidden}
        )
        data = json_object(response).get("data")
        if not isinstance(data, Mapping) or data.get("hidden") is not hidden:
            raise PayloadInvalid(f"X did not confirm the post {'hidden' if hidden else 'shown'}")

    async def find_sent(self, request: OutboundRequest, since: datetime) -> SentRef | None:
        """The post or direct message an interrupted `send` of `request` made, asked of X.

        A reply is looked for among the account's own posts since `since` (`start_time`):
        one replying to the post `send` answers, with the same text. A direct message is
        looked for in its conversation's events, newest first down to `since`: one the
        account sent, with the same text. An unreadable entry is skipped with a log line.
        More than `LOOK_UP_PAGES` pages raise `PlatformUnavailable`: it cannot tell yet.
        """
        if request.kind == Kind.DM:
            return await self._find_dm(request, since)
        return await self._find_post(request, since)

    async def _find_post(self, request: OutboundRequest, since: datetime) -> SentRef | None:
        user_id = await self._own_id()
        parent_id = _parent_id(request)
        params = {"max_results": PAGE, "start_time": _x_time(since), **_OWN_POST_FIELDS}
        async for page in self._look_up_pages(f"/2/users/{user_id}/tweets", params):
            for raw in page.data:
                try:
                    post = Post.parse(raw)
                except ITEM_FAULTS as problem:
                    self._log_skip("post", raw, problem)
                    continue
                if (
                    post.author_id == user_id
                    and post.created_at >= since
                    and post.replied_to_id == parent_id
                    and same_text(request.text, post.text)
                ):
                    return SentRef(
                        external_id=post.id, url=mapping.post_url(post.id), sent_at=post.created_at
                    )
        return None

    async def _find_dm(self, request: OutboundRequest, since: datetime) -> SentRef | None:
        # A conversation's events list every message in it, newest first, with its sender,
        # so a message from the account is certain to be there: for `DM_HISTORY` only.
        if since < self._clock() - DM_HISTORY:
            raise PlatformUnavailable(
                f"X lists DM events for {DM_HISTORY.days} days only; "
                "cannot tell whether a message sent before that was posted"
            )
        user_id = await self._own_id()
        path = f"{_dm_conversation_path(request)}/dm_events"
        async for page in self._look_up_pages(path, {"max_results": PAGE, **_DM_FIELDS}):
            reached_since = False
            for raw in page.data:
                try:
                    event = DmEvent.parse(raw)
                except ITEM_FAULTS as problem:
                    self._log_skip("DM event", raw, problem)
                    continue
                if event.created_at < since:
                    reached_since = True
                elif (
                    event.event_type == "MessageCreate"
                    and event.sender_id == user_id
                    and same_text(request.text, event.text)
                ):
                    return SentRef(external_id=event.id, sent_at=event.created_at)
            if reached_since:
                return None
        return None

    async def _look_up_pages(self, path: str, params: Mapping[str, Any]) -> AsyncIterator[Page]:
        """The pages of a list, following `meta.next_token`, at most `LOOK_UP_PAGES` of them."""
        token: str | None = None
        for _ in range(LOOK_UP_PAGES):
            paged = {**params, "pagination_token": token} if token else dict(params)
            page = self._page(await self._request("GET", path, params=paged))
            yield page
            token = page.next_token
            if token is None:
                return
        raise PlatformUnavailable(
            f"GET {path} has more than {LOOK_UP_PAGES * PAGE} entries to look through; "
            "cannot tell yet whether the message was posted"
        )

    def _mentions(self, page: Page, user_id: str) -> list[FetchedItem]:
        items = []
        for raw in page.data:
            try:
                post = Post.parse(raw)
                items.append(
                    mapping.mention_item(post, includes=page.includes, own_user_id=user_id)
                )
            except ITEM_FAULTS as problem:
                self._log_skip("post", raw, problem)
        return items

    def _dms(self, page: Page, user_id: str, floor: str | None) -> tuple[list[FetchedItem], bool]:
        items, reached_floor = [], False
        for raw in page.data:
            if floor is not None and _id_number(_entry_id(raw)) <= _id_number(floor):
                reached_floor = True
                continue
            try:
                event = DmEvent.parse(raw)
                if event.event_type == "MessageCreate":
                    items.append(
                        mapping.dm_item(event, includes=page.includes, own_user_id=user_id)
                    )
            except ITEM_FAULTS as problem:
                self._log_skip("DM event", raw, problem)
        return items, reached_floor

    def _log_skip(self, what: str, raw: Any, problem: Exception) -> None:
        log.warning(
            "skipped a malformed X %s from account %s (%s), external id %s: %s",
            what,
            self.account.id,
            self.account.handle,
            shown(_entry_id(raw)),
            problem if isinstance(problem, Malformed) else type(problem).__name__,
        )

    async def _own_id(self) -> str:
        if self._user_id is None:
            response = await self._request("GET", "/2/users/me")
            try:
                self._user_id = own_user_id(json_body(response))
            except Malformed as problem:
                raise PayloadInvalid(f"GET /2/users/me answered no id: {problem}") from None
        return self._user_id

    def _page(self, response: httpx.Response) -> Page:
        body = json_body(response)
        try:
            return Page.parse(body)
        except Malformed as problem:
            raise PayloadInvalid(f"X answered an unreadable page: {problem}") from None
        except ITEM_FAULTS as fault:
            raise PayloadInvalid(
                f"X answered an unreadable page ({type(fault).__name__})"
            ) from None

    def _created(self, parse: Callable[[Any], Created], response: httpx.Response) -> Created:
        try:
            return parse(json_body(response))
        except Malformed as problem:
            raise PayloadInvalid(f"X answered an unreadable creation: {problem}") from None

    @classmethod
    async def log_in(
        cls, account: AccountRef, client: httpx.AsyncClient, prompt: LoginPrompt
    ) -> Mapping[str, str] | None:
        """Authorize the person's X app for the brand account (OAuth 2.0 with PKCE)."""
        client_id = prompt.ask("Client ID of your X app (Keys and Tokens page)")
        client_secret = prompt.ask("Client secret (leave empty for a public client)", secret=True)
        redirect_uri = prompt.ask(
            "Callback address registered for the app (e.g. http://127.0.0.1:8765/callback)"
        )
        authorization = oauth.Authorization.start(client_id.strip(), redirect_uri.strip())
        prompt.show(f"Open this address, log in as {account.handle} and authorize the app:")
        prompt.show(f"  {authorization.url}")
        pasted = prompt.ask(
            "Paste the address X sent your browser to (or just its code)", secret=True
        )
        api_base = str(account.settings.get("api_base", API_BASE)).rstrip("/")
        return await oauth.exchange_code(
            client,
            api_base,
            authorization,
            authorization.code_from(pasted),
            client_secret.strip() or None,
        )

    async def verify(self) -> str:
        """Ask X whose token this is (`GET /2/users/me`)."""
        data = json_object(await self._request("GET", "/2/users/me")).get("data")
        username = data.get("username", "?") if isinstance(data, Mapping) else "?"
        return f"@{username}"

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if self.client is None:
            raise ValueError("the X adapter needs an httpx.AsyncClient")
        return await send_request(
            self.client,
            method,
            f"{self._api}{path}",
            reset=_RESET,
            clock=self._clock,
            budgets=self._budgets,
            auth=self._auth,
            **kwargs,
        )


def _parent_id(request: OutboundRequest) -> str | None:
    """The post a reply answers: its parent, else its thread's root post, else none."""
    if request.in_reply_to:
        return request.in_reply_to
    return mapping.conversation_root(request.thread_key) if request.thread_key else None


def _dm_conversation_path(request: OutboundRequest) -> str:
    """Where a direct message goes: its conversation (a `dm:` thread key), else its person."""
    thread_key = request.thread_key or ""
    if thread_key.startswith("dm:") and thread_key.removeprefix("dm:"):
        return f"/2/dm_conversations/{thread_key.removeprefix('dm:')}"
    if request.recipient is not None:
        return f"/2/dm_conversations/with/{request.recipient.external_id}"
    raise ValueError("an X direct message needs a dm: thread key or a recipient")


def _x_time(moment: datetime) -> str:
    """`moment` as X's `start_time` takes it: whole seconds (rounded down), UTC, with a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entry_id(raw: Any) -> str | None:
    identifier = raw.get("id") if isinstance(raw, Mapping) else None
    return (
        str(identifier)
        if isinstance(identifier, str | int) and not isinstance(identifier, bool)
        else None
    )


def _id_number(identifier: str | None) -> int:
    try:
        return int(identifier or "")
    except ValueError:
        return -1


def _largest(ids: list[str | None]) -> str | None:
    present = [identifier for identifier in ids if identifier]
    return max(present, key=_id_number) if present else None


def _larger(first: str | None, second: str | None) -> str | None:
    return _largest([first, second])
