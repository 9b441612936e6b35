"""The Mastodon adapter: HTTP only; payloads.py reads the JSON and mapping.py makes items.

Settings, from `account.settings` (the instance URL is `account.base_url`):

| key | meaning | default |
| --- | --- | --- |
| `text_limit` | the instance's status length, kept by each sync from `read_text_limit` | 500 |
| `reply_visibility` | public replies: `public`, `unlisted`, `private` or `direct` | `public` |
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Final
from urllib.parse import quote

import httpx

from adapters._http import (
    MASTODON_RATE_LIMIT,
    RequestBudgets,
    RequestRefused,
    json_array,
    json_body,
    json_object,
    open_stream,
    reset_from_iso,
    send_request,
    utc_now,
)
from adapters._payload import ITEM_FAULTS, Malformed, reading_page, same_text, shown
from adapters.base import (
    AccountRef,
    AccountSetting,
    Adapter,
    AdapterError,
    AuthExpired,
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
from adapters.mastodon import mapping, oauth
from adapters.mastodon.payloads import (
    Account,
    Context,
    Conversation,
    Notification,
    Status,
    instance_text_limit,
)

log = logging.getLogger(__name__)

NOTIFICATIONS_PAGE: Final = 40
CONVERSATIONS_PAGE: Final = 40
OWN_STATUSES_PAGE: Final = 40
"""Statuses per page of `GET /api/v1/accounts/:id/statuses` (the API's maximum)."""
FIND_SENT_PAGES: Final = 5
"""Most pages of its own statuses `find_sent` reads before it says it cannot tell."""
DEFAULT_TEXT_LIMIT: Final = 500
STREAMING_PATHS: Final = {
    "mentions": "/api/v1/streaming/user/notification",
    "direct": "/api/v1/streaming/direct",
}
"""The server-sent-event streams `listen` holds open, by the stream whose news they carry."""
STREAMING_READ_TIMEOUT_S: Final = 60.0
"""Silence after which a stream is taken for dead: Mastodon sends a `:thump` every 15 s."""
_RESET = reset_from_iso("X-RateLimit-Reset")


class MastodonAdapter(Adapter):
    """One brand account on one Mastodon instance.

    `mentions` reads `GET /api/v1/notifications?types[]=mention` forward with `min_id`
    (the cursor is the newest notification id; the first poll reads the newest page). A
    mention whose status was deleted (`status: null`) is passed over without a warning.
    Direct messages are left to `direct`, which reads `GET /api/v1/conversations` the same
    way and, for a conversation that moved, its earlier messages from `/context`. The
    thread key of a public mention is its conversation root, found through `/context`.

    `listen` holds the streaming API's `user/notification` and `direct` server-sent-event
    streams open (on the host `configuration.urls.streaming` of `GET /api/v2/instance`
    names); a `notification` event of a mention wakes `mentions`, a `conversation` event
    `direct`. `poll_delay` paces polling by the `X-RateLimit-*` headers last seen.

    Sends post `POST /api/v1/statuses` with the outbound row's key as `Idempotency-Key`: a
    retry within the hour the server keeps that key answers the status it already created.
    Mastodon cannot look a status up by that key, so `find_sent` reads the account's own
    statuses (`GET /api/v1/accounts/:id/statuses`; the owner sees its direct ones there too)
    for one answering the same parent with the same text.
    """

    platform = "mastodon"
    display_name = "Mastodon"
    streams = ("mentions", "direct")
    kinds = frozenset({Kind.MENTION, Kind.COMMENT, Kind.DM})
    finds_sent = frozenset({Kind.MENTION, Kind.COMMENT, Kind.DM})
    can_dm = True
    can_post_statement = True
    pushes = frozenset({"mentions", "direct"})
    text_limit = DEFAULT_TEXT_LIMIT
    length_rule = LengthRule.CHARACTERS
    poll_interval_seconds = 60.0
    credential_fields: ClassVar[tuple[str, ...]] = ("access_token",)
    settings_fields = (
        AccountSetting(
            "reply_visibility",
            "who sees a reply to a public post",
            choices=("public", "unlisted", "private", "direct"),
            default="public",
        ),
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
        if not account.base_url:
            raise ValueError(f"Mastodon account {account.handle!r} has no instance URL")
        self._base_url = account.base_url.rstrip("/")
        self._clock = clock
        self._roots: dict[str, tuple[str, bool]] = {}
        self._own_account_id: str | None = None
        self._budgets = RequestBudgets(MASTODON_RATE_LIMIT, clock)

    async def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        """Read the mentions or direct conversations that arrived after `cursor`."""
        if stream == "mentions":
            return await self._fetch_mentions(cursor)
        if stream == "direct":
            return await self._fetch_direct(cursor)
        raise ValueError(f"Mastodon has no stream {stream!r}")

    async def send(self, request: OutboundRequest) -> SentRef:
        """Post a reply or a direct message as a status."""
        form = {"status": request.text}
        if request.kind == Kind.DM:
            form["visibility"] = "direct"
            if request.recipient is not None:
                mention = "@" + request.recipient.handle.lstrip("@")
                if mention.lower() not in request.text.lower():
                    form["status"] = f"{mention} {request.text}"
        else:
            form["visibility"] = str(self.account.settings.get("reply_visibility", "public"))
        parent_id = _parent_id(request)
        if parent_id is not None:
            form["in_reply_to_id"] = parent_id
        response = await self._request(
            "POST",
            "/api/v1/statuses",
            data=form,
            headers={"Idempotency-Key": request.idempotency_key},
        )
        try:
            status = Status.parse(json_object(response))
        except Malformed as problem:
            raise PayloadInvalid(
                f"POST /api/v1/statuses answered an unreadable status: {problem}"
            ) from None
        return SentRef(external_id=status.id, url=status.url, sent_at=status.created_at)

    async def find_sent(self, request: OutboundRequest, since: datetime) -> SentRef | None:
        """The status an interrupted `send` of `request` posted, read from the account's own.

        Reads newest first, with `max_id` from the `Link` header, until a status is older
        than `since`; an unreadable status is skipped with a log line. More than
        `FIND_SENT_PAGES` pages since `since` raise `PlatformUnavailable`: it cannot tell.
        """
        own_id = await self._own_id()
        path = f"/api/v1/accounts/{quote(own_id, safe='')}/statuses"
        params: dict[str, Any] = {"limit": OWN_STATUSES_PAGE, "exclude_reblogs": "true"}
        for _ in range(FIND_SENT_PAGES):
            response = await self._request("GET", path, params=params)
            raw_page = json_array(response)
            if not raw_page:
                return None
            with reading_page(f"GET {path}"):
                statuses = []
                for raw in raw_page:
                    try:
                        statuses.append(Status.parse(raw))
                    except ITEM_FAULTS as problem:
                        self._log_skip("status", _raw_id(raw), problem)
                for status in statuses:
                    if status.created_at >= since and _is_sending_of(status, request):
                        return SentRef(
                            external_id=status.id, url=status.url, sent_at=status.created_at
                        )
                if any(status.created_at < since for status in statuses):
                    return None
                max_id = _link_param(response, "next", "max_id") or _oldest_id(raw_page)
            if max_id is None:
                raise PayloadInvalid(f"GET {path} answered a page with no id to page on from")
            params = {**params, "max_id": max_id}
        raise PlatformUnavailable(
            f"more than {FIND_SENT_PAGES * OWN_STATUSES_PAGE} own statuses since "
            f"{since.isoformat()}; cannot tell whether the message was posted"
        )

    async def read_text_limit(self) -> int | None:
        """The instance's status length from `GET /api/v2/instance`; None if it does not say."""
        try:
            response = await self._request("GET", "/api/v2/instance")
        except RequestRefused:
            return None
        return instance_text_limit(json_body(response))

    def poll_delay(self) -> float | None:
        """The pace the account's rate-limit window (300 requests / 5 min by default) allows."""
        return self._budgets.poll_delay(len(self.streams))

    async def listen(self) -> AsyncIterator[str]:
        """Yield `mentions` or `direct` each time the streaming API says one has news.

        Once both streams are open it yields each stream once: what arrived while nothing
        listened is fetched then. Any end of either stream raises an `AdapterError`.
        """
        news: asyncio.Queue[_News] = asyncio.Queue()
        base = await self._streaming_base()
        readers = [
            asyncio.create_task(self._read_stream(f"{base}{path}", stream, news))
            for stream, path in STREAMING_PATHS.items()
        ]
        try:
            opened: set[str] = set()
            while True:
                event = await news.get()
                if isinstance(event, AdapterError):
                    raise event
                if isinstance(event, _Opened):
                    opened.add(event.stream)
                    if opened == set(STREAMING_PATHS):
                        for stream in STREAMING_PATHS:
                            yield stream
                elif opened == set(STREAMING_PATHS):
                    yield event
        finally:
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)

    async def _streaming_base(self) -> str:
        """Where the streaming API lives: the instance's `configuration.urls.streaming`
        (as http(s), the scheme matching the instance's), else the instance itself."""
        try:
            body = json_body(await self._request("GET", "/api/v2/instance"))
        except RequestRefused:
            return self._base_url
        configuration = body.get("configuration") if isinstance(body, Mapping) else None
        urls = configuration.get("urls") if isinstance(configuration, Mapping) else None
        streaming = urls.get("streaming") if isinstance(urls, Mapping) else None
        if not isinstance(streaming, str):
            return self._base_url
        try:
            url = httpx.URL(streaming)
        except httpx.InvalidURL:
            return self._base_url
        secure = self._base_url.startswith("https://")
        if url.scheme != ("wss" if secure else "ws") or not url.host:
            return self._base_url
        return str(url.copy_with(scheme="https" if secure else "http")).rstrip("/")

    async def _read_stream(self, url: str, stream: str, news: asyncio.Queue[_News]) -> None:
        """Put `_Opened(stream)`, then the stream each event wakes, then the break, on `news`."""
        try:
            async with open_stream(
                self._client(),
                url,
                reset=_RESET,
                clock=self._clock,
                headers={"Authorization": f"Bearer {self._token()}"},
                timeout=httpx.Timeout(10.0, read=STREAMING_READ_TIMEOUT_S),
            ) as lines:
                news.put_nowait(_Opened(stream))
                event = None
                async for line in lines:
                    if line.startswith("event:"):
                        event = line.removeprefix("event:").strip()
                    elif line.startswith("data:") and event is not None:
                        woken = _woken_stream(event, line.removeprefix("data:"))
                        if woken is not None:
                            news.put_nowait(woken)
                    elif not line:
                        event = None
        except AdapterError as error:
            news.put_nowait(error)
        except Exception as error:  # noqa: BLE001 - any end of a stream is a break to report
            news.put_nowait(
                PlatformUnavailable(f"{stream} streaming failed: {type(error).__name__}")
            )

    async def _fetch_mentions(self, cursor: str | None) -> FetchResult:
        params: dict[str, Any] = {"types[]": "mention", "limit": NOTIFICATIONS_PAGE}
        if cursor:
            params["min_id"] = cursor
        response = await self._request("GET", "/api/v1/notifications", params=params)
        raw_page = json_array(response)
        with reading_page("GET /api/v1/notifications"):
            notifications = []
            for raw in raw_page:
                try:
                    notifications.append(Notification.parse(raw))
                except ITEM_FAULTS as problem:
                    self._log_skip("notification", _raw_id(raw), problem)
            notifications.sort(key=lambda notification: mapping.id_order(notification.id))
            items = []
            deleted = 0
            for notification in notifications:
                status = notification.status
                if notification.type != "mention":
                    continue
                if status is None:
                    deleted += 1
                    continue
                if status.visibility == "direct":
                    continue
                root_id, root_is_own = await self._root(status)
                kind = Kind.COMMENT if root_is_own and root_id != status.id else Kind.MENTION
                try:
                    item = mapping.status_item(
                        status,
                        kind=kind,
                        thread_key=mapping.status_thread_key(root_id),
                        own_handle=self.account.handle,
                    )
                except ITEM_FAULTS as problem:
                    self._log_skip("status", status.id, problem)
                    continue
                items.append(item)
            if deleted:
                log.debug(
                    "%d Mastodon mentions for account %s had their status deleted; skipped",
                    deleted,
                    self.account.id,
                )
            newest = _newest([notification.id for notification in notifications])
            return FetchResult(
                items=tuple(items),
                next_cursor=_prev_min_id(response) or newest or cursor,
                has_more=cursor is not None and len(raw_page) >= NOTIFICATIONS_PAGE,
            )

    async def _fetch_direct(self, cursor: str | None) -> FetchResult:
        params: dict[str, Any] = {"limit": CONVERSATIONS_PAGE}
        if cursor:
            params["min_id"] = cursor
        response = await self._request("GET", "/api/v1/conversations", params=params)
        raw_page = json_array(response)
        with reading_page("GET /api/v1/conversations"):
            items: dict[str, FetchedItem] = {}
            newest: list[str] = []
            for raw in raw_page:
                try:
                    conversation = Conversation.parse(raw)
                except ITEM_FAULTS as problem:
                    self._log_skip("conversation", _raw_id(raw), problem)
                    continue
                last = conversation.last_status
                if last is None:
                    continue
                newest.append(last.id)
                thread_key = mapping.conversation_thread_key(conversation.id)
                for status in (*await self._earlier_direct(last, cursor), last):
                    if status.id in items:
                        continue
                    try:
                        items[status.id] = mapping.status_item(
                            status,
                            kind=Kind.DM,
                            thread_key=thread_key,
                            own_handle=self.account.handle,
                        )
                    except ITEM_FAULTS as problem:
                        self._log_skip("status", status.id, problem)
            ordered = sorted(items.values(), key=lambda item: mapping.id_order(item.external_id))
            return FetchResult(
                items=tuple(ordered),
                next_cursor=_prev_min_id(response) or _newest(newest) or cursor,
                has_more=cursor is not None and len(raw_page) >= CONVERSATIONS_PAGE,
            )

    async def _earlier_direct(self, last: Status, cursor: str | None) -> tuple[Status, ...]:
        """Messages of a conversation before its last one and after `cursor`."""
        if last.in_reply_to_id is None:
            return ()
        context = await self._context(last.id)
        if context is None:
            return ()
        floor = mapping.id_order(cursor) if cursor else None
        return tuple(
            status
            for status in context.ancestors
            if status.visibility == "direct"
            and (floor is None or mapping.id_order(status.id) > floor)
        )

    async def _root(self, status: Status) -> tuple[str, bool]:
        """The conversation root of `status`, and whether the brand wrote it."""
        if status.in_reply_to_id is None:
            return status.id, mapping.is_own(status.account, self.account.handle)
        if status.id not in self._roots:
            context = await self._context(status.id)
            if context is not None and context.ancestors:
                root = context.ancestors[0]
                self._roots[status.id] = (
                    root.id,
                    mapping.is_own(root.account, self.account.handle),
                )
            else:
                self._roots[status.id] = (status.in_reply_to_id, False)
        return self._roots[status.id]

    async def _context(self, status_id: str) -> Context | None:
        """The ancestors of a status; None when it is gone or they cannot be read."""
        try:
            response = await self._request("GET", f"/api/v1/statuses/{status_id}/context")
            return Context.parse(json_body(response))
        except (RequestRefused, *ITEM_FAULTS) as problem:
            log.warning(
                "could not read the context of Mastodon status %s: %s", shown(status_id), problem
            )
            return None

    def _log_skip(self, what: str, identifier: Any, problem: Exception) -> None:
        log.warning(
            "skipped a malformed Mastodon %s from account %s (%s), external id %s: %s",
            what,
            self.account.id,
            self.account.handle,
            shown(identifier),
            problem if isinstance(problem, Malformed) else type(problem).__name__,
        )

    @classmethod
    async def log_in(
        cls, account: AccountRef, client: httpx.AsyncClient, prompt: LoginPrompt
    ) -> Mapping[str, str] | None:
        """Register the inbox on the instance, have the person authorize it, take the code."""
        if not account.base_url:
            raise ValueError("a Mastodon account needs its instance: pass --base-url https://...")
        base_url = account.base_url.rstrip("/")
        app = await oauth.register_app(client, base_url)
        prompt.show(f"Open this address, log in as {account.handle} and authorize social-inbox:")
        prompt.show(f"  {oauth.authorize_url(base_url, app)}")
        code = prompt.ask("Paste the authorization code the instance shows", secret=True)
        return {"access_token": await oauth.exchange_code(client, base_url, app, code)}

    async def _own_id(self) -> str:
        """The brand's account id on the instance, asked once (`verify_credentials`)."""
        if self._own_account_id is None:
            body = json_object(await self._request("GET", "/api/v1/accounts/verify_credentials"))
            try:
                self._own_account_id = Account.parse(body).id
            except Malformed as problem:
                raise PayloadInvalid(
                    f"GET /api/v1/accounts/verify_credentials answered an unreadable account: "
                    f"{problem}"
                ) from None
        return self._own_account_id

    async def verify(self) -> str:
        """Ask the instance whose token this is (`GET /api/v1/accounts/verify_credentials`)."""
        body = json_object(await self._request("GET", "/api/v1/accounts/verify_credentials"))
        return f"@{body.get('acct', '?')} on {self._base_url}"

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {self._token()}"}
        return await send_request(
            self._client(),
            method,
            f"{self._base_url}{path}",
            reset=_RESET,
            clock=self._clock,
            budgets=self._budgets,
            headers=headers,
            **kwargs,
        )

    def _token(self) -> str:
        token = (self.credential or {}).get("access_token")
        if not token:
            raise AuthExpired(f"no access token stored for Mastodon account {self.account.handle}")
        return token

    def _client(self) -> httpx.AsyncClient:
        if self.client is None:
            raise ValueError("the Mastodon adapter needs an httpx.AsyncClient")
        return self.client


@dataclass(frozen=True, slots=True)
class _Opened:
    """A streaming-API stream answered and is open."""

    stream: str


_News = str | _Opened | AdapterError
"""What a stream reader tells `listen`: a stream woken, a stream opened, or its break."""


def _woken_stream(event: str, data: str) -> str | None:
    """The stream a streaming-API event brings news of, or None (a favourite, a home post).

    A notification that cannot be read wakes `mentions` all the same: fetching finds out.
    A direct mention is left to the `conversation` event of the same message.
    """
    if event == "conversation":
        return "direct"
    if event != "notification":
        return None
    try:
        notification = json.loads(data)
    except (ValueError, RecursionError):
        return "mentions"
    if not isinstance(notification, Mapping):
        return "mentions"
    status = notification.get("status")
    visibility = status.get("visibility") if isinstance(status, Mapping) else None
    if notification.get("type") != "mention" or visibility == "direct":
        return None
    return "mentions"


def _newest(ids: list[str]) -> str | None:
    return max(ids, key=mapping.id_order) if ids else None


def _prev_min_id(response: httpx.Response) -> str | None:
    """The `min_id` of the Link header's `rel="prev"`: where reading forward continues."""
    return _link_param(response, "prev", "min_id")


def _link_param(response: httpx.Response, rel: str, param: str) -> str | None:
    """Query parameter `param` of the Link header's link named `rel`, if there is one."""
    link = response.links.get(rel, {}).get("url")
    if not link:
        return None
    try:
        return httpx.URL(link).params.get(param)
    except httpx.InvalidURL:
        return None


def _oldest_id(raw_page: list[Any]) -> str | None:
    """The oldest id on a page, read leniently: where to page on when no Link header says."""
    ids = [
        str(identifier)
        for identifier in map(_raw_id, raw_page)
        if isinstance(identifier, str | int) and not isinstance(identifier, bool)
    ]
    return min(ids, key=mapping.id_order) if ids else None


def _parent_id(request: OutboundRequest) -> str | None:
    """The status a send of `request` answers: its parent, else its thread's root status."""
    if request.in_reply_to:
        return request.in_reply_to
    return mapping.status_thread_root(request.thread_key) if request.thread_key else None


def _is_sending_of(status: Status, request: OutboundRequest) -> bool:
    """Whether `status` is what a `send` of `request` posts: same parent, kind and text."""
    return (
        status.in_reply_to_id == _parent_id(request)
        and (status.visibility == "direct") == (request.kind == Kind.DM)
        and same_text(request.text, mapping.html_to_text(status.content))
    )


def _raw_id(raw: Any) -> Any:
    return raw.get("id") if isinstance(raw, Mapping) else None
