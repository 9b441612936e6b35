"""HTTP plumbing the web adapters share: status codes to the error tree, rate-limit resets, JSON.

Every adapter sends through `send_request`, so a timeout, a refused connection, a 5xx,
a 401 or a 429 turns into the same `adapters.base` error whatever the platform. Error
messages name the method, the path and the status, never a header, a query or a body:
tokens stay out of exceptions and logs.

`RequestRefused` is a `PayloadInvalid`: the platform read our request and refused it
(a 4xx other than 401 and 429), so sending it again unchanged will fail again.

`RequestBudgets` keeps what the rate-limit headers of the answers said (requests left in
the window, and when it resets), so an adapter's `poll_delay` can pace polling as fast as
the window allows and slower as it runs out.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx

from adapters.base import (
    AuthExpired,
    NotReached,
    PayloadInvalid,
    PlatformUnavailable,
    RateLimited,
)

Clock = Callable[[], datetime]
ResetReader = Callable[[httpx.Headers, datetime], datetime | None]
"""Reads when a rate limit ends from response headers, given the current time."""

DEFAULT_RATE_LIMIT_WAIT: Final = timedelta(minutes=5)
"""How long to wait after a 429 whose headers do not say."""
RESERVED_SHARE: Final = 0.2
"""The share of a rate-limit window polling leaves alone: replies, sends and look-ups."""
REQUESTS_PER_POLL: Final = 2
"""Requests one poll of a stream is counted as: its page, and a look-up it may need."""
FASTEST_POLL_SECONDS: Final = 5.0
"""However generous a window, a stream is not polled more often than this."""


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class RequestRefused(PayloadInvalid):
    """The platform refused the request itself (a 4xx other than 401 and 429)."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


def reset_from_iso(header: str) -> ResetReader:
    """A reader for a header holding an ISO-8601 time (Mastodon's `X-RateLimit-Reset`)."""

    def read(headers: httpx.Headers, now: datetime) -> datetime | None:
        try:
            moment = datetime.fromisoformat(headers.get(header, ""))
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
        except (ValueError, OverflowError):
            return None

    return read


def reset_from_epoch(header: str) -> ResetReader:
    """A reader for a header holding Unix seconds (X's `x-rate-limit-reset`)."""

    def read(headers: httpx.Headers, now: datetime) -> datetime | None:
        try:
            return datetime.fromtimestamp(int(float(headers.get(header, ""))), UTC)
        except (ValueError, OverflowError, OSError):
            return None

    return read


def reset_from_seconds(*headers_in_order: str) -> ResetReader:
    """A reader for headers holding seconds from now; the first present one wins (Reddit)."""

    def read(headers: httpx.Headers, now: datetime) -> datetime | None:
        for header in headers_in_order:
            try:
                seconds = float(headers.get(header, ""))
            except ValueError:
                continue
            return now + timedelta(seconds=max(seconds, 0))
        return None

    return read


def describe(request: httpx.Request) -> str:
    """`METHOD host/path` of a request: no query, no headers, no body."""
    return f"{request.method} {request.url.host}{request.url.path}"


def raise_for_status(response: httpx.Response, reset: ResetReader, now: datetime) -> None:
    """Raise the error-tree class a non-2xx `response` stands for."""
    status = response.status_code
    if status < 300:
        return
    where = f"{describe(response.request)} answered HTTP {status}"
    if status == 429:
        raise RateLimited(reset(response.headers, now) or now + DEFAULT_RATE_LIMIT_WAIT)
    if status == 401:
        raise AuthExpired(where)
    challenge = response.headers.get("www-authenticate", "")
    if status == 403 and ("invalid_token" in challenge or "insufficient_scope" in challenge):
        raise AuthExpired(f"{where} (the token lacks a permission)")
    if status >= 500:
        raise PlatformUnavailable(where)
    raise RequestRefused(where, status)


async def send_request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    reset: ResetReader,
    clock: Clock = utc_now,
    budgets: RequestBudgets | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request and map its failures onto the error tree; the response is a 2xx.

    `budgets`, when given, notes the rate-limit headers of the answer, whatever its status.
    """
    try:
        response = await client.request(method, url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
        raise NotReached(f"{method} {httpx.URL(url).path} could not connect") from error
    except httpx.TimeoutException as error:
        raise PlatformUnavailable(f"{method} {httpx.URL(url).path} timed out") from error
    except httpx.TransportError as error:
        raise PlatformUnavailable(f"{method} {httpx.URL(url).path} lost its connection") from error
    if budgets is not None:
        budgets.observe(response)
    raise_for_status(response, reset, clock())
    return response


@asynccontextmanager
async def open_stream(
    client: httpx.AsyncClient,
    url: str,
    *,
    reset: ResetReader,
    clock: Clock = utc_now,
    **kwargs: Any,
) -> AsyncIterator[AsyncIterator[str]]:
    """A long-lived `GET` (a push channel): its lines, as they come; failures as `send_request`.

    A read that times out, a dropped connection or the server ending the answer all raise
    `PlatformUnavailable`: for a push channel, every end is a break.
    """
    where = f"GET {httpx.URL(url).path}"
    try:
        async with client.stream("GET", url, **kwargs) as response:
            if response.status_code >= 300:
                await response.aread()
                raise_for_status(response, reset, clock())
            yield _lines(response, where)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
        raise NotReached(f"{where} could not connect") from error
    except httpx.TimeoutException as error:
        raise PlatformUnavailable(f"{where} went silent (no heartbeat)") from error
    except httpx.TransportError as error:
        raise PlatformUnavailable(f"{where} lost its connection") from error


async def _lines(response: httpx.Response, where: str) -> AsyncIterator[str]:
    async for line in response.aiter_lines():
        yield line
    raise PlatformUnavailable(f"{where} was closed by the server")


@dataclass(frozen=True, slots=True)
class RateLimitHeaders:
    """Which headers a platform states its rate-limit window in.

    `limit` names the window's size; where a platform states only what was used (Reddit's
    `X-Ratelimit-Used`), `used` names that, and the size is used + remaining.
    """

    remaining: str
    reset: ResetReader
    limit: str | None = None
    used: str | None = None


MASTODON_RATE_LIMIT: Final = RateLimitHeaders(
    remaining="X-RateLimit-Remaining",
    reset=reset_from_iso("X-RateLimit-Reset"),
    limit="X-RateLimit-Limit",
)
REDDIT_RATE_LIMIT: Final = RateLimitHeaders(
    remaining="X-Ratelimit-Remaining",
    reset=reset_from_seconds("X-Ratelimit-Reset"),
    used="X-Ratelimit-Used",
)
X_RATE_LIMIT: Final = RateLimitHeaders(
    remaining="x-rate-limit-remaining",
    reset=reset_from_epoch("x-rate-limit-reset"),
    limit="x-rate-limit-limit",
)


@dataclass(frozen=True, slots=True)
class RateWindow:
    """One rate-limit window as the platform last described it."""

    size: float | None
    remaining: float
    reset_at: datetime

    def poll_delay(self, streams: int, now: datetime) -> float | None:
        """Seconds between polls of each of `streams` that spend this window's spare requests
        evenly until it resets; None once it has reset (nothing is known about the next one).

        A window with no spare requests left (`RESERVED_SHARE` of it is kept for sends) is
        waited out to its reset.
        """
        seconds_left = (self.reset_at - now).total_seconds()
        if seconds_left <= 0:
            return None
        size = self.size if self.size is not None else self.remaining
        spare = self.remaining - RESERVED_SHARE * size
        per_round = max(streams, 1) * REQUESTS_PER_POLL
        if spare < per_round:
            return seconds_left
        return max(seconds_left * per_round / spare, FASTEST_POLL_SECONDS)


class RequestBudgets:
    """The rate-limit windows an adapter's answers described, and the poll pace they allow.

    `per_path` keeps one window per URL path (X limits each endpoint on its own); otherwise
    one window covers the account (Mastodon, Reddit).
    """

    def __init__(self, headers: RateLimitHeaders, clock: Clock, *, per_path: bool = False):
        self._headers = headers
        self._clock = clock
        self._per_path = per_path
        self._windows: dict[str, RateWindow] = {}

    def observe(self, response: httpx.Response) -> None:
        """Note the window `response` describes; an answer without the headers changes nothing."""
        window = self._read(response.headers)
        if window is not None:
            self._windows[response.request.url.path if self._per_path else ""] = window

    def poll_delay(self, streams: int) -> float | None:
        """Seconds to wait before the next poll, by the tightest window seen; None if none says."""
        now = self._clock()
        delays = [window.poll_delay(streams, now) for window in self._windows.values()]
        known = [delay for delay in delays if delay is not None]
        return max(known) if known else None

    def _read(self, headers: httpx.Headers) -> RateWindow | None:
        remaining = _number(headers.get(self._headers.remaining))
        reset_at = self._headers.reset(headers, self._clock())
        if remaining is None or reset_at is None:
            return None
        size = _number(headers.get(self._headers.limit)) if self._headers.limit else None
        if size is None and self._headers.used is not None:
            used = _number(headers.get(self._headers.used))
            size = None if used is None else used + remaining
        return RateWindow(size=size, remaining=remaining, reset_at=reset_at)


def _number(text: str | None) -> float | None:
    """A header's count (`9324.0` from Reddit), or None when absent or not a finite number."""
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and 0 <= value < float("inf") else None


def json_body(response: httpx.Response) -> Any:
    """The decoded JSON body of `response`; anything else raises `PayloadInvalid`.

    Nesting deeper than the interpreter's recursion limit is refused the same way.
    """
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise PayloadInvalid(f"{describe(response.request)} answered with invalid JSON") from None


def json_object(response: httpx.Response) -> Mapping[str, Any]:
    """The body of `response` when it is a JSON object."""
    body = json_body(response)
    if not isinstance(body, Mapping):
        raise PayloadInvalid(f"{describe(response.request)} answered with a non-object")
    return body


def json_array(response: httpx.Response) -> list[Any]:
    """The body of `response` when it is a JSON array."""
    body = json_body(response)
    if not isinstance(body, list):
        raise PayloadInvalid(f"{describe(response.request)} answered with a non-array")
    return body


class RefreshingBearer(httpx.Auth):
    """Bearer-token auth that refreshes an OAuth 2 access token with a refresh token.

    Used for Reddit and X. The token is fetched before the first request when none is
    stored or it has expired, and once more when the platform answers 401. A refused
    refresh token raises `AuthExpired`; a rotated refresh token (X rotates them) is
    reported through `on_refreshed` so whoever owns the keyring can store it.
    """

    def __init__(
        self,
        *,
        token_url: str,
        credential: Mapping[str, str],
        basic_auth: bool,
        headers: Mapping[str, str] | None = None,
        clock: Clock = utc_now,
        on_refreshed: Callable[[Mapping[str, str]], None] | None = None,
    ) -> None:
        self._token_url = token_url
        self._credential = dict(credential)
        self._basic_auth = basic_auth
        self._headers = dict(headers or {})
        self._clock = clock
        self._on_refreshed = on_refreshed
        self._lock: asyncio.Lock | None = None
        expires_at = self._credential.get("expires_at")
        self._expires_at = datetime.fromisoformat(expires_at) if expires_at else None

    def __repr__(self) -> str:
        return f"RefreshingBearer(token_url={self._token_url!r})"

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """Refuse synchronous clients: the adapters are async."""
        raise RuntimeError("RefreshingBearer works with httpx.AsyncClient only")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Attach the token, refreshing it first when missing or expired and after a 401."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._needs_refresh():
                refreshed = yield self._refresh_request()
                await refreshed.aread()
                self._accept(refreshed)
        used = self._credential["access_token"]
        request.headers["Authorization"] = f"Bearer {used}"
        response = yield request
        if response.status_code != 401:
            return
        async with self._lock:
            if self._credential.get("access_token") == used:
                refreshed = yield self._refresh_request()
                await refreshed.aread()
                self._accept(refreshed)
        request.headers["Authorization"] = f"Bearer {self._credential['access_token']}"
        yield request

    def _needs_refresh(self) -> bool:
        if not self._credential.get("access_token"):
            return True
        return self._expires_at is not None and self._clock() >= self._expires_at

    def _refresh_request(self) -> httpx.Request:
        refresh_token = self._credential.get("refresh_token")
        client_id = self._credential.get("client_id")
        if not refresh_token or not client_id:
            raise AuthExpired("no refresh token and client id stored; log in again")
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        headers = dict(self._headers)
        if self._basic_auth:
            secret = self._credential.get("client_secret", "")
            pair = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
            headers["Authorization"] = f"Basic {pair}"
        else:
            form["client_id"] = client_id
        return httpx.Request("POST", self._token_url, data=form, headers=headers)

    def _accept(self, response: httpx.Response) -> None:
        where = describe(response.request)
        if response.status_code in (400, 401, 403):
            raise AuthExpired(f"{where} refused the refresh token (HTTP {response.status_code})")
        raise_for_status(response, lambda headers, now: None, self._clock())
        body = json_object(response)
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise AuthExpired(f"{where} granted no access token")
        self._credential["access_token"] = token
        if isinstance(body.get("refresh_token"), str) and body["refresh_token"]:
            self._credential["refresh_token"] = body["refresh_token"]
        expires_in = body.get("expires_in")
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
            self._expires_at = self._clock() + timedelta(seconds=max(expires_in - 60, 0))
            self._credential["expires_at"] = self._expires_at.isoformat()
        if self._on_refreshed is not None:
            self._on_refreshed(dict(self._credential))
