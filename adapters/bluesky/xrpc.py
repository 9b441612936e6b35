"""XRPC over httpx for one Bluesky account: the session, its refresh, and the error mapping.

The session is created once with the app password and kept; an expired access token is
renewed with refreshSession, and a new login happens only when the refresh token itself
is refused. createSession is limited to a handful per day, so a login per poll would
lock the account out. Errors are decided by the XRPC `error` code, never by the message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx

from adapters.base import AuthExpired, PayloadInvalid, PlatformUnavailable, RateLimited
from adapters.bluesky.payloads import Session

log = logging.getLogger(__name__)

CHAT_PROXY: Final = "did:web:api.bsky.chat#bsky_chat"
"""The `atproto-proxy` target that sends chat.bsky.* calls on to Bluesky's chat service."""

DEFAULT_RATE_LIMIT_WAIT: Final = timedelta(minutes=1)

_REFRESHABLE: Final = frozenset({"ExpiredToken"})
_LOGIN_AGAIN: Final = frozenset({"InvalidToken", "ExpiredToken"})
_AUTH_REFUSED: Final = frozenset(
    {
        "AuthenticationRequired",
        "AccountTakedown",
        "AccountDeactivated",
        "AuthFactorTokenRequired",
        "InvalidToken",
        "ExpiredToken",
        "AuthMissing",
    }
)
_UNAVAILABLE: Final = frozenset(
    {
        "UpstreamFailure",
        "UpstreamTimeout",
        "MethodNotImplemented",
        "NotEnoughResources",
        "InternalServerError",
    }
)
_MESSAGE_CHARACTERS: Final = 200


class XrpcError(PayloadInvalid):
    """The platform refused a call for a reason of its own, named by the XRPC `error` code.

    It is a `PayloadInvalid` to the rest of the inbox (asking again will not help); the
    adapter itself looks at `code` where one code means something (`RecordNotFound`).
    """

    def __init__(self, nsid: str, status: int, code: str | None, message: str | None) -> None:
        shown = f": {message[:_MESSAGE_CHARACTERS]}" if message else ""
        super().__init__(f"{nsid} answered {status} {code or 'without an error code'}{shown}")
        self.nsid = nsid
        self.status = status
        self.code = code


class XrpcSession:
    """Calls XRPC methods as one account, logging in only when it has to."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        service_url: str,
        identifier: str,
        app_password: str,
        *,
        clock: Callable[[], datetime],
        refresh_jwt: str | None = None,
        on_session: Callable[[Session], None] | None = None,
    ) -> None:
        self._client = client
        self._service_url = service_url.rstrip("/")
        self._identifier = identifier
        self._app_password = app_password
        self._clock = clock
        self._stored_refresh_jwt = refresh_jwt
        self._on_session = on_session
        self._session: Session | None = None
        self._lock = asyncio.Lock()
        self.logins = 0
        """How many times this session called createSession (tests check it stays at one)."""

    def __repr__(self) -> str:
        return f"XrpcSession(service_url={self._service_url!r}, identifier={self._identifier!r})"

    async def current(self) -> Session:
        """The session: resumed from a kept refresh token, or else a new login.

        createSession is limited to a few dozen a day, so a refresh token kept from an
        earlier process is tried first; every new session is handed to `on_session`.
        """
        if self._session is None:
            async with self._lock:
                if self._session is None:
                    self._session = await self._resume() or await self._create()
                    self._keep(self._session)
        return self._session

    async def _resume(self) -> Session | None:
        if not self._stored_refresh_jwt:
            return None
        token, self._stored_refresh_jwt = self._stored_refresh_jwt, None
        try:
            data = await self._call(
                "POST", "com.atproto.server.refreshSession", None, token, None, None, None
            )
        except XrpcError as error:
            if error.code in _LOGIN_AGAIN or error.status == 401:
                log.info("the kept Bluesky session of %s has expired; logging in", self._identifier)
                return None
            raise _mapped(error) from None
        return Session.parse(data)

    def _keep(self, session: Session) -> None:
        if self._on_session is not None:
            self._on_session(session)

    async def query(
        self, nsid: str, params: Mapping[str, Any] | None = None, *, proxy: str | None = None
    ) -> Any:
        """GET an XRPC query as the account and return its JSON."""
        return await self._authorized("GET", nsid, params=params, body=None, proxy=proxy)

    async def procedure(
        self, nsid: str, body: Mapping[str, Any], *, proxy: str | None = None
    ) -> Any:
        """POST an XRPC procedure as the account and return its JSON."""
        return await self._authorized("POST", nsid, params=None, body=body, proxy=proxy)

    async def _authorized(
        self,
        method: str,
        nsid: str,
        *,
        params: Mapping[str, Any] | None,
        body: Mapping[str, Any] | None,
        proxy: str | None,
    ) -> Any:
        session = await self.current()
        try:
            return await self._call(method, nsid, session, session.access_jwt, params, body, proxy)
        except XrpcError as error:
            if error.code not in _REFRESHABLE:
                raise _mapped(error) from None
        session = await self._renew(session)
        try:
            return await self._call(method, nsid, session, session.access_jwt, params, body, proxy)
        except XrpcError as error:
            raise _mapped(error) from None

    async def _renew(self, expired: Session) -> Session:
        """A fresh session after `expired` was refused: refreshSession, or log in again."""
        async with self._lock:
            if self._session is not None and self._session is not expired:
                return self._session
            try:
                data = await self._call(
                    "POST",
                    "com.atproto.server.refreshSession",
                    expired,
                    expired.refresh_jwt,
                    None,
                    None,
                    None,
                )
                renewed = Session.parse(data)
                if renewed.pds_url is None:
                    renewed = Session(
                        renewed.did,
                        renewed.handle,
                        renewed.access_jwt,
                        renewed.refresh_jwt,
                        expired.pds_url,
                    )
            except XrpcError as error:
                if error.code not in _LOGIN_AGAIN:
                    raise _mapped(error) from None
                log.info(
                    "the Bluesky refresh token of %s expired; logging in again", self._identifier
                )
                renewed = await self._create()
            self._session = renewed
            self._keep(renewed)
            return renewed

    async def _create(self) -> Session:
        self.logins += 1
        try:
            data = await self._call(
                "POST",
                "com.atproto.server.createSession",
                None,
                None,
                None,
                {"identifier": self._identifier, "password": self._app_password},
                None,
            )
        except XrpcError as error:
            if error.code in _AUTH_REFUSED or error.status == 401:
                raise AuthExpired(
                    f"Bluesky refused the app password of {self._identifier} "
                    f"({error.code or error.status})"
                ) from None
            raise _mapped(error) from None
        return Session.parse(data)

    async def _call(
        self,
        method: str,
        nsid: str,
        session: Session | None,
        token: str | None,
        params: Mapping[str, Any] | None,
        body: Mapping[str, Any] | None,
        proxy: str | None,
    ) -> Any:
        base = (session.pds_url if session is not None else None) or self._service_url
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if proxy is not None:
            headers["atproto-proxy"] = proxy
        try:
            response = await self._client.request(
                method, f"{base}/xrpc/{nsid}", params=params, json=body, headers=headers
            )
        except httpx.TransportError as error:
            raise PlatformUnavailable(f"Bluesky {nsid}: {type(error).__name__}") from None
        if response.status_code == 429:
            raise RateLimited(_reset_at(response, self._clock()), f"Bluesky {nsid} rate limited")
        if response.is_success:
            try:
                return response.json()
            except (ValueError, RecursionError):
                raise PayloadInvalid(
                    f"Bluesky {nsid} answered {response.status_code} "
                    "with something that is not JSON"
                ) from None
        code, message = _error_body(response)
        if code == "RateLimitExceeded":
            raise RateLimited(_reset_at(response, self._clock()), f"Bluesky {nsid} rate limited")
        raise XrpcError(nsid, response.status_code, code, message)


def _error_body(response: httpx.Response) -> tuple[str | None, str | None]:
    """The `error` code and `message` of an XRPC error answer, when it has them."""
    try:
        data = response.json()
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(data, Mapping):
        return None, None
    code, message = data.get("error"), data.get("message")
    return (code if isinstance(code, str) else None, message if isinstance(message, str) else None)


def _reset_at(response: httpx.Response, now: datetime) -> datetime:
    """When a rate limit ends: `RateLimit-Reset` (epoch seconds), `Retry-After`, or a minute."""
    reset = response.headers.get("RateLimit-Reset")
    try:
        if reset is not None and reset.strip().isdigit():
            return datetime.fromtimestamp(int(reset.strip()), UTC)
        retry_after = response.headers.get("Retry-After")
        if retry_after is not None and retry_after.strip().isdigit():
            return now + timedelta(seconds=int(retry_after.strip()))
    except (ValueError, OverflowError, OSError):
        pass
    return now + DEFAULT_RATE_LIMIT_WAIT


def _mapped(error: XrpcError) -> Exception:
    """The adapter error an XRPC error stands for; any other 4xx stays an `XrpcError`."""
    if error.code in _AUTH_REFUSED or error.status == 401:
        return AuthExpired(str(error))
    if error.code in _UNAVAILABLE or error.status >= 500:
        return PlatformUnavailable(str(error))
    return error
