"""Meta's Graph API, shared by the Facebook and Instagram adapters: requests, errors, paging.

Both `adapters.facebook` and `adapters.instagram` (the Instagram API with Facebook Login,
on the same host with a Page token) speak Graph through this module, so a token, an error
or a usage header means the same on both:

- `GraphClient` sends a request with the token in the `Authorization: Bearer` header
  (never in the query, so no address that reaches a log line carries it) and returns the
  decoded body. Its failures map onto the adapter error tree by Graph's error `code`,
  whatever the HTTP status (Graph answers most errors with 400):

  | Graph says | raised |
  | --- | --- |
  | 190, 102 (token expired, revoked, invalid); 10, 200-299 (a permission) | `AuthExpired` |
  | 4, 17, 32, 341, 613, 80000-80014 (throttled) | `RateLimited` (see below) |
  | 1, 2, `is_transient`, a 5xx, a timeout, a dropped connection | `PlatformUnavailable` |
  | anything else | `GraphRefused` |

  `RateLimited.reset_at` is Meta's `estimated_time_to_regain_access` when it names one,
  else `RATE_LIMIT_WAIT` from now; `NotReached` (a `PlatformUnavailable`) means no
  connection was made; `GraphRefused` is a `RequestRefused`, so a `PayloadInvalid`, and
  quotes Graph's message cleaned of control characters and of the token.

- `GraphUsage` reads `X-App-Usage` and `X-Business-Use-Case-Usage` from every response and
  answers `poll_delay`: the normal pace below `SLOW_DOWN_FROM` percent, stretching towards
  the hour Meta's windows span as the highest share nears 100, and Meta's own regain time
  when it names one.
- `GraphClient.pages` and `GraphClient.items` page a listing by `paging.cursors.after`
  (or the query of `paging.next`, for time-paged edges) until Graph gives no `next`.
- `list_pages` and `choose_page` are the login: a person's user token lists the Pages they
  manage (`GET /me/accounts`) with each Page's own token and its linked Instagram
  professional account, and the person picks one. Facebook keeps the Page token; Instagram
  keeps the same token and the Page's `instagram_account_id`.

Docs: https://developers.facebook.com/docs/graph-api/guides/error-handling,
https://developers.facebook.com/docs/graph-api/overview/rate-limiting/,
https://developers.facebook.com/docs/graph-api/results/,
https://developers.facebook.com/docs/pages-api/overview (Page tokens from `/me/accounts`).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import parse_qsl, quote

import httpx

from adapters._http import Clock, RequestRefused, describe, json_body, utc_now
from adapters._payload import (
    ITEM_FAULTS,
    Malformed,
    as_list,
    as_object,
    optional_text,
    required_text,
)
from adapters.base import (
    AuthExpired,
    LoginPrompt,
    NotReached,
    PayloadInvalid,
    PlatformUnavailable,
    RateLimited,
)

GRAPH_VERSION: Final = "v25.0"
"""The Graph API version every call names (released February 2026, available until July 2028:
https://developers.facebook.com/docs/graph-api/changelog/versions/)."""

GRAPH_BASE_URL: Final = f"https://graph.facebook.com/{GRAPH_VERSION}"

RATE_LIMIT_WAIT: Final = timedelta(minutes=10)
"""How long to wait after a throttling error when Meta names no regain time."""

USAGE_WINDOW_SECONDS: Final = 3600.0
"""Meta's usage percentages cover a rolling hour."""

SLOW_DOWN_FROM: Final = 50.0
"""The usage percentage from which polling slows down."""

PAGE_SIZE: Final = 50
MAX_PAGES: Final = 10
"""Most pages `GraphClient.items` reads by default: a backstop against a paging loop."""

MESSAGE_CHARACTERS: Final = 200
"""How much of Graph's error message an exception quotes."""

_AUTH_CODES: Final = frozenset({102, 190})
_PERMISSION_CODES: Final = frozenset({10, *range(200, 300)})
_THROTTLE_CODES: Final = frozenset({4, 17, 32, 341, 613, *range(80000, 80015)})
_TRANSIENT_CODES: Final = frozenset({1, 2})
_OUTSIDE_WINDOW_SUBCODES: Final = frozenset({2018278, 2534022})
"""Send API refusals for a message outside the allowed window: about the message, not the
token, so they are refusals even though their code (10) is a permission code."""

USAGE_HEADERS: Final = ("x-app-usage", "x-page-usage", "x-business-use-case-usage")
_PERCENT_FIELDS: Final = ("call_count", "total_cputime", "total_time")


class GraphRefused(RequestRefused):
    """Graph refused the request itself: its error `code` and `subcode` say why."""

    def __init__(
        self, message: str, status_code: int, *, code: int | None, subcode: int | None
    ) -> None:
        super().__init__(message, status_code)
        self.code = code
        self.subcode = subcode


@dataclass(frozen=True, slots=True)
class GraphError:
    """The `error` object of a Graph error body.

    https://developers.facebook.com/docs/graph-api/guides/error-handling
    """

    code: int | None
    subcode: int | None
    message: str
    transient: bool

    @classmethod
    def parse(cls, body: Any) -> GraphError | None:
        """The error `body` carries, or None when it is not a Graph error body."""
        if not isinstance(body, Mapping) or not isinstance(body.get("error"), Mapping):
            return None
        error = body["error"]
        return cls(
            code=_whole(error.get("code")),
            subcode=_whole(error.get("error_subcode")),
            message=error["message"] if isinstance(error.get("message"), str) else "",
            transient=error.get("is_transient") is True,
        )


def clean_message(text: str, *secrets: str) -> str:
    """Graph's words made safe to keep in an error: secrets cut out, control and format
    characters dropped, whitespace folded, at most `MESSAGE_CHARACTERS` long."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[token]")
    text = "".join(
        " " if unicodedata.category(character).startswith("C") else character for character in text
    )
    text = " ".join(text.split())
    if len(text) > MESSAGE_CHARACTERS:
        text = text[: MESSAGE_CHARACTERS - 3] + "..."
    return text


class GraphUsage:
    """How much of its hourly budgets the app and the Page have used, as Meta last said.

    One per adapter instance (never on the class: two accounts do not share a Page
    budget). `read` takes every response's headers; `poll_delay` turns them into a pace.
    """

    def __init__(self, clock: Clock = utc_now) -> None:
        self._clock = clock
        self.highest_percent = 0.0
        """The largest of every percentage the last response's usage headers carried."""
        self.regain_at: datetime | None = None
        """When Meta said a throttled business use case may call again, if it did."""

    def read(self, headers: httpx.Headers) -> None:
        """Take the usage headers of a response; a response without them means low usage."""
        percents: list[float] = []
        regain_minutes: list[float] = []
        for name in USAGE_HEADERS:
            value = _json_header(headers.get(name))
            if name == "x-business-use-case-usage":
                for entry in _business_use_cases(value):
                    percents.extend(_percents(entry))
                    minutes = _number(entry.get("estimated_time_to_regain_access"))
                    if minutes:
                        regain_minutes.append(minutes)
            elif isinstance(value, Mapping):
                percents.extend(_percents(value))
        self.highest_percent = max(percents, default=0.0)
        self.regain_at = (
            self._clock() + timedelta(minutes=min(max(regain_minutes), 24 * 60))
            if regain_minutes
            else None
        )

    def poll_delay(self, interval: float) -> float | None:
        """Seconds to wait before the next poll that normally comes every `interval` seconds.

        None below `SLOW_DOWN_FROM` percent (the normal pace applies); above it the wait
        grows with the square of how far the highest share is towards 100, from `interval`
        to the whole `USAGE_WINDOW_SECONDS`; Meta's regain time, when it names one, wins.
        """
        if self.regain_at is not None:
            remaining = (self.regain_at - self._clock()).total_seconds()
            if remaining > 0:
                return max(remaining, interval)
        if self.highest_percent < SLOW_DOWN_FROM:
            return None
        share = min((self.highest_percent - SLOW_DOWN_FROM) / (100.0 - SLOW_DOWN_FROM), 1.0)
        return interval + (max(USAGE_WINDOW_SECONDS, interval) - interval) * share**2

    def reset_at(self) -> datetime:
        """When a throttled caller may try again: Meta's regain time, or `RATE_LIMIT_WAIT`."""
        now = self._clock()
        if self.regain_at is not None and self.regain_at > now:
            return self.regain_at
        return now + RATE_LIMIT_WAIT


@dataclass(frozen=True, slots=True)
class GraphPage:
    """One page of a Graph listing: its `data` entries, and whether Graph has a next page."""

    entries: tuple[Any, ...]
    more: bool


class GraphClient:
    """Graph requests with one token, their failures on the adapter error tree.

    `client` is the injected httpx client; `base_url` is `GRAPH_BASE_URL` except in tests
    (an account's `api_base` setting). Every response's usage headers go to `usage`.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        token: str,
        *,
        base_url: str = GRAPH_BASE_URL,
        usage: GraphUsage | None = None,
        clock: Clock = utc_now,
    ) -> None:
        if not token:
            raise AuthExpired("no Graph access token stored; log in again")
        self._client = client
        self._token = token
        self._base_url = base_url.rstrip("/")
        self._clock = clock
        self.usage = usage if usage is not None else GraphUsage(clock)

    def __repr__(self) -> str:
        return f"GraphClient(base_url={self._base_url!r})"

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
        """`GET path` (from `graph_path`) and its JSON object."""
        return _object(await self.request("GET", path, params=params))

    async def post(
        self,
        path: str,
        data: Mapping[str, Any] | None = None,
        *,
        json_body: Mapping[str, Any] | None = None,
    ) -> Mapping[str, Any]:
        """`POST path` with form `data` or a JSON body, and the JSON object it answers."""
        if json_body is not None:
            return _object(await self.request("POST", path, json=json_body))
        return _object(await self.request("POST", path, data=data))

    async def pages(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        max_pages: int = MAX_PAGES,
    ) -> AsyncIterator[GraphPage]:
        """The pages of the listing at `path`, until Graph gives no `next` or `max_pages`.

        Pages on `paging.cursors.after`, or on the query of `paging.next` for time-paged
        edges (only its parameters are used: the token stays in the header, and a `next`
        on another host is never followed).
        """
        query = dict(params or {})
        for _ in range(max_pages):
            body = await self.get(path, query)
            following = _next_query(body)
            yield GraphPage(tuple(_page_data(body, path)), more=following is not None)
            if following is None:
                return
            query = {**query, **following}

    async def items(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        max_pages: int = MAX_PAGES,
    ) -> AsyncIterator[Any]:
        """Every entry of the listing at `path`, page after page (see `pages`)."""
        async for page in self.pages(path, params, max_pages=max_pages):
            for entry in page.entries:
                yield entry

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one request; a 2xx response comes back, anything else raises."""
        url = f"{self._base_url}{path}"
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {self._token}"}
        try:
            response = await self._client.request(method, url, headers=headers, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise NotReached(f"{method} {httpx.URL(url).path} could not connect") from error
        except httpx.TimeoutException as error:
            raise PlatformUnavailable(f"{method} {httpx.URL(url).path} timed out") from error
        except httpx.TransportError as error:
            raise PlatformUnavailable(
                f"{method} {httpx.URL(url).path} lost its connection"
            ) from error
        self.usage.read(response.headers)
        if response.status_code >= 300:
            raise self.error_for(response)
        return response

    def error_for(self, response: httpx.Response) -> Exception:
        """The error-tree exception a non-2xx Graph `response` stands for."""
        status = response.status_code
        where = f"{describe(response.request)} answered HTTP {status}"
        try:
            error = GraphError.parse(json.loads(response.content))
        except (ValueError, UnicodeDecodeError, RecursionError):
            error = None
        if error is None:
            return _status_error(where, status, self.usage)
        said = clean_message(error.message, self._token)
        where = f"{where}, Graph error {error.code}" + (
            f"/{error.subcode}" if error.subcode is not None else ""
        )
        if error.code in _THROTTLE_CODES:
            return RateLimited(self.usage.reset_at(), f"Meta throttled the app ({said})")
        if error.code in _AUTH_CODES:
            return AuthExpired(f"{where}: the token was refused ({said})")
        if error.code in _PERMISSION_CODES and error.subcode not in _OUTSIDE_WINDOW_SUBCODES:
            return AuthExpired(f"{where}: the token lacks a permission ({said})")
        if error.code in _TRANSIENT_CODES or error.transient or status >= 500:
            return PlatformUnavailable(f"{where}: {said}")
        return GraphRefused(f"{where}: {said}", status, code=error.code, subcode=error.subcode)


def graph_path(*segments: str) -> str:
    """`/a/b/c` with each segment escaped, so an id from a payload cannot change the path."""
    return "".join("/" + quote(segment, safe="") for segment in segments)


@dataclass(frozen=True, slots=True)
class PageGrant:
    """A Facebook Page the person manages, with its own token, as `GET /me/accounts` lists it.

    https://developers.facebook.com/docs/pages-api/overview (Get a Page access token);
    `instagram_business_account` is the Instagram professional account linked to the Page.
    """

    id: str
    name: str
    access_token: str = field(repr=False)
    instagram_account_id: str | None = None

    @classmethod
    def parse(cls, data: Any) -> PageGrant:
        """One entry of `/me/accounts`."""
        data = as_object(data, "page")
        linked = data.get("instagram_business_account")
        return cls(
            id=required_text(data, "id"),
            name=optional_text(data, "name") or required_text(data, "id"),
            access_token=required_text(data, "access_token"),
            instagram_account_id=(
                required_text(as_object(linked, "instagram_business_account"), "id")
                if linked is not None
                else None
            ),
        )


async def list_pages(graph: GraphClient) -> tuple[PageGrant, ...]:
    """The Pages the owner of `graph`'s user token manages, each with its Page token.

    An entry Graph gives without a token (the person lacks a task on that Page) is left out.
    """
    pages = []
    fields = "id,name,access_token,instagram_business_account"
    async for entry in graph.items("/me/accounts", {"fields": fields, "limit": PAGE_SIZE}):
        try:
            pages.append(PageGrant.parse(entry))
        except ITEM_FAULTS:
            continue
    return tuple(pages)


def choose_page(
    prompt: LoginPrompt, pages: Iterable[PageGrant], *, page_id: str | None = None
) -> PageGrant:
    """The Page the person means: the one with `page_id` when given, else the only one, else
    the one they pick from a numbered list. ValueError says why none fits."""
    pages = tuple(pages)
    if not pages:
        raise ValueError(
            "this token manages no Page the inbox can use (it needs a task on the Page and "
            "the pages_show_list permission)"
        )
    if page_id is not None:
        for page in pages:
            if page.id == page_id:
                return page
        raise ValueError(f"this token does not manage the Page {page_id}")
    if len(pages) == 1:
        prompt.show(f"Using the Page {pages[0].name} ({pages[0].id}).")
        return pages[0]
    for number, page in enumerate(pages, start=1):
        prompt.show(f"  {number}. {page.name} ({page.id})")
    answer = prompt.ask("Which Page? (its number or id)").strip()
    for number, page in enumerate(pages, start=1):
        if answer in (str(number), page.id):
            return page
    raise ValueError(f"{answer[:40]!r} is none of the Pages listed")


def _status_error(where: str, status: int, usage: GraphUsage) -> Exception:
    """The error for a failure without a Graph error body."""
    if status == 429:
        return RateLimited(usage.reset_at(), "Meta throttled the app")
    if status == 401:
        return AuthExpired(where)
    if status >= 500:
        return PlatformUnavailable(where)
    return GraphRefused(where, status, code=None, subcode=None)


def _object(response: httpx.Response) -> Mapping[str, Any]:
    body = json_body(response)
    if not isinstance(body, Mapping):
        raise PayloadInvalid(f"{describe(response.request)} answered with a non-object")
    return body


def _page_data(page: Mapping[str, Any], path: str) -> list[Any]:
    try:
        return as_list(page.get("data"), "data")
    except Malformed as problem:
        raise PayloadInvalid(f"GET {path} answered a page without a list: {problem}") from None


def _next_query(page: Mapping[str, Any]) -> dict[str, str] | None:
    """The parameters that ask for the page after `page`, or None at the end."""
    paging = page.get("paging")
    if not isinstance(paging, Mapping) or not isinstance(paging.get("next"), str):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, Mapping) else None
    if isinstance(after, str) and after:
        return {"after": after}
    try:
        following = httpx.URL(paging["next"])
    except httpx.InvalidURL:
        return None
    query = {
        name: value
        for name, value in parse_qsl(following.query.decode("ascii", "replace"))
        if name != "access_token"
    }
    return query or None


def _json_header(value: str | None) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return None


def _business_use_cases(value: Any) -> list[Mapping[str, Any]]:
    """Every `{type, call_count, ...}` of an `X-Business-Use-Case-Usage` value."""
    if not isinstance(value, Mapping):
        return []
    return [
        entry
        for entries in value.values()
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, Mapping)
    ]


def _percents(usage: Mapping[str, Any]) -> list[float]:
    return [
        min(number, 100.0)
        for name in _PERCENT_FIELDS
        if (number := _number(usage.get(name))) is not None
    ]


def _number(value: Any) -> float | None:
    """A non-negative finite JSON number, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{1,9}", value):
        return int(value)
    return None
