"""OAuth 2.0 authorization code with PKCE and a loopback redirect, for platforms that log in so.

Google (YouTube) and LinkedIn let a desktop program log a person in like this (RFC 8252):
the program listens on 127.0.0.1, shows the person the platform's authorization address,
and the platform sends the browser back to `http://127.0.0.1:<port>/?code=...&state=...`.
The listener takes that one answer and tells the browser, in a short plain page, to go back
to the terminal. On a machine with no browser (a server over SSH) the redirect fails in the
person's own browser, and they paste the address it tried to open instead; forwarding the
port (`ssh -L`) with a fixed `port` makes the listener work there too.

Both ways, the `state` must be this attempt's (anything else is refused: another site may
have sent it), and the code is exchanged with the PKCE verifier (S256). The credential
holds the client id and secret with the tokens, so `bearer_auth` can refresh the access
token later and hand the new credential to the adapter's `on_credential_refreshed`.
Docs: https://developers.google.com/identity/protocols/oauth2/native-app,
https://datatracker.ietf.org/doc/html/rfc7636 (PKCE).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Final
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from adapters._http import (
    Clock,
    RefreshingBearer,
    RequestRefused,
    json_object,
    send_request,
    utc_now,
)
from adapters.base import AuthExpired, LoginPrompt, PayloadInvalid

LOOPBACK_HOST: Final = "127.0.0.1"
EXPIRY_MARGIN: Final = timedelta(seconds=60)
"""How long before its stated end an access token counts as expired (as `RefreshingBearer`)."""
BROWSER_WAIT_SECONDS: Final = 5.0
"""How long, after the person says the browser is done, the listener may still take to hear it."""
SHUTDOWN_POLL_SECONDS: Final = 0.05
"""How often the listener's thread checks whether the login has ended."""
ASKS: Final = 3
"""How many times the person is asked before the login gives up with nothing received."""


@dataclass(frozen=True, slots=True)
class OAuthApp:
    """A platform's OAuth 2 endpoints and the app (client) registered there.

    `extra_params` go on the authorization address as they are (Google:
    `access_type=offline`, `prompt=consent`, which bring a refresh token every time).
    """

    authorize_url: str
    token_url: str
    client_id: str
    client_secret: str | None
    scopes: tuple[str, ...]
    extra_params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One login attempt: its `state`, its PKCE verifier and where the browser comes back."""

    redirect_uri: str
    state: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    code_verifier: str = field(default_factory=lambda: secrets.token_urlsafe(64))

    @property
    def code_challenge(self) -> str:
        """The S256 challenge of the verifier: base64url of its SHA-256, unpadded."""
        digest = hashlib.sha256(self.code_verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def authorization_url(self, app: OAuthApp) -> str:
        """The address the person opens to approve `app`."""
        query = {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(app.scopes),
            "state": self.state,
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256",
            **app.extra_params,
        }
        return f"{app.authorize_url}?{urlencode(query)}"

    def code_from(self, query: str) -> str:
        """The code in a redirect's query (or a whole pasted address); ValueError says why not.

        A state other than this attempt's is refused before anything else is read.
        """
        answer = parse_qs(urlsplit(query.strip()).query if "?" in query else query.strip())
        if not same_state(answer.get("state", [""])[0], self.state):
            raise ValueError("that answer is not from this login (its state does not match)")
        if "error" in answer:
            raise ValueError(f"the platform said {answer['error'][0]!r}: the app was not approved")
        code = answer.get("code", [""])[0]
        if not code:
            raise ValueError("that answer has no code in it")
        return code


class LoopbackListener:
    """A one-shot HTTP listener on 127.0.0.1 that waits for the browser's redirect.

    It answers every request with a short plain page and keeps the first one that carries
    this attempt's state (a code or the platform's refusal); requests with another state or
    none are refused and it keeps listening. Use it as a context manager: it serves from a
    thread, so the login can ask the person questions meanwhile.
    """

    def __init__(self, *, port: int = 0, path: str = "/") -> None:
        self._path = path
        self._received = threading.Event()
        self._query: str | None = None
        self._attempt: Attempt | None = None
        try:
            self._server = HTTPServer((LOOPBACK_HOST, port), self._handler())
        except OSError as error:
            raise ValueError(
                f"cannot listen on {LOOPBACK_HOST} port {port} ({error.strerror}); "
                "choose another port"
            ) from None
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name="oauth-loopback",
            daemon=True,
        )

    @property
    def redirect_uri(self) -> str:
        """Where the platform sends the browser back: this listener's address."""
        return f"http://{LOOPBACK_HOST}:{self._server.server_address[1]}{self._path}"

    def __enter__(self) -> LoopbackListener:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def expect(self, attempt: Attempt) -> None:
        """Take answers for `attempt` only."""
        self._attempt = attempt

    def wait(self, timeout: float) -> str | None:
        """The query of the answer that arrived (at most `timeout` seconds from now), or None."""
        self._received.wait(timeout)
        return self._query

    def _accept(self, path: str, query: str) -> tuple[int, str]:
        """The status and page for one request; keeps the query of the awaited answer."""
        if path != self._path:
            return 404, "Nothing here."
        attempt = self._attempt
        state = parse_qs(query).get("state", [""])[0]
        if attempt is None or not same_state(state, attempt.state):
            return 400, "This answer does not belong to the login in progress; it was ignored."
        if self._received.is_set():
            return 200, "This login has already been answered. You can close this tab."
        self._query = query
        self._received.set()
        if "error" in parse_qs(query):
            return 200, "The app was not approved. You can close this tab."
        return 200, "Logged in. You can close this tab and go back to the terminal."

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                address = urlsplit(self.path)
                status, page = listener._accept(address.path, address.query)
                body = (page + "\n").encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Log nothing: the request line holds the authorization code."""

        return Handler


async def authorize(
    client: httpx.AsyncClient,
    app: OAuthApp,
    prompt: LoginPrompt,
    *,
    platform: str,
    port: int = 0,
    path: str = "/",
    clock: Clock = utc_now,
) -> dict[str, str]:
    """Walk the person through approving `app` and return the credential it grants.

    The credential holds `client_id`, `client_secret` (when the app has one),
    `access_token`, `refresh_token` (when granted) and `expires_at` (ISO-8601 UTC).
    A refused approval, a foreign state or no answer at all raises ValueError; a refused
    code raises `AuthExpired`. `platform` names the platform in what the person reads.
    """
    with LoopbackListener(port=port, path=path) as listener:
        attempt = Attempt(redirect_uri=listener.redirect_uri)
        listener.expect(attempt)
        prompt.show(f"Open this address in a browser, log in to {platform} and approve the app:")
        prompt.show(f"  {attempt.authorization_url(app)}")
        code = attempt.code_from(_answer(listener, prompt, platform))
    return await exchange_code(client, app, attempt, code, clock=clock)


def _answer(listener: LoopbackListener, prompt: LoginPrompt, platform: str) -> str:
    """The redirect's query: from the listener, or pasted by a person with no browser here."""
    question = (
        "Once the browser says you are logged in, press Enter. With no browser on this "
        f"machine, paste the address {platform} sent the browser to"
    )
    for _ in range(ASKS):
        pasted = prompt.ask(question, secret=True).strip()
        if pasted:
            return pasted
        query = listener.wait(BROWSER_WAIT_SECONDS)
        if query is not None:
            return query
        question = (
            f"Nothing has come back to {listener.redirect_uri} yet. Press Enter once the "
            "browser says you are logged in, or paste the address it was sent to"
        )
    raise ValueError(f"no answer from {platform} reached {listener.redirect_uri}")


async def exchange_code(
    client: httpx.AsyncClient,
    app: OAuthApp,
    attempt: Attempt,
    code: str,
    *,
    clock: Clock = utc_now,
) -> dict[str, str]:
    """The credential for an authorization code (`grant_type=authorization_code` with PKCE)."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": attempt.redirect_uri,
        "code_verifier": attempt.code_verifier,
        "client_id": app.client_id,
    }
    if app.client_secret:
        form["client_secret"] = app.client_secret
    try:
        response = await send_request(
            client, "POST", app.token_url, reset=_no_reset, clock=clock, data=form
        )
    except RequestRefused as refused:
        raise AuthExpired(
            f"{httpx.URL(app.token_url).host} refused the authorization code "
            f"(HTTP {refused.status_code}); log in again"
        ) from None
    return credential_from(json_object(response), app, clock())


def credential_from(body: Mapping[str, object], app: OAuthApp, now: datetime) -> dict[str, str]:
    """The credential a token endpoint's answer grants, with the app's id and secret."""
    access_token = body.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise PayloadInvalid("the token endpoint granted no access token")
    credential = {"client_id": app.client_id, "access_token": access_token}
    if app.client_secret:
        credential["client_secret"] = app.client_secret
    refresh_token = body.get("refresh_token")
    if isinstance(refresh_token, str) and refresh_token:
        credential["refresh_token"] = refresh_token
    expires_in = body.get("expires_in")
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
        lasts = max(timedelta(seconds=expires_in) - EXPIRY_MARGIN, timedelta(0))
        credential["expires_at"] = (now + lasts).isoformat()
    return credential


def bearer_auth(
    token_url: str,
    credential: Mapping[str, str],
    *,
    on_refreshed: Callable[[Mapping[str, str]], None] | None,
    clock: Clock = utc_now,
) -> httpx.Auth:
    """Bearer auth with `credential` that refreshes the access token (`refresh_token` grant)
    before it expires and once after a 401, then retries once; each new credential goes to
    `on_refreshed` (the adapter's `on_credential_refreshed`, which keeps it in the keyring).

    The app's secret, when it has one, is sent as HTTP Basic (`client_secret_basic`).
    """
    return RefreshingBearer(
        token_url=token_url,
        credential=credential,
        basic_auth=bool(credential.get("client_secret")),
        clock=clock,
        on_refreshed=on_refreshed,
    )


def same_state(received: str, expected: str) -> bool:
    """Whether a redirect's `state` is the attempt's, compared in constant time."""
    return secrets.compare_digest(
        received.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


def _no_reset(headers: httpx.Headers, now: datetime) -> datetime | None:
    return None
