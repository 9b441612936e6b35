"""The OAuth 2.0 PKCE login with a loopback redirect, end to end on 127.0.0.1.

The browser is played by httpx: it follows the redirect to the real listener the login
opened. The token endpoint is hand-made (a MockTransport), because Google's cannot run
here; it checks what RFC 6749 and RFC 7636 say a client must send.
"""

from __future__ import annotations

import base64
import hashlib
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from adapters import _oauth_loopback
from adapters._oauth_loopback import Attempt, LoopbackListener, OAuthApp, authorize, bearer_auth
from adapters.base import AuthExpired

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CODE = "4/0AcvDMrB-test-code"
APP = OAuthApp(
    authorize_url="https://accounts.example.com/o/oauth2/v2/auth",
    token_url="https://oauth2.example.com/token",
    client_id="desktop-client",
    client_secret="desktop-secret",
    scopes=("scope.read", "scope.write"),
    extra_params={"access_type": "offline", "prompt": "consent"},
)


class Browser:
    """A `LoginPrompt` whose person opens the shown address in a browser (httpx here).

    `answer` says what the browser's redirect carries, given the authorization query;
    `pasted` is what the person types at the prompt (empty: they only press Enter).
    """

    def __init__(
        self,
        answer: Callable[[dict[str, str]], dict[str, str]] | None = None,
        *,
        pasted: str = "",
        opens_browser: bool = True,
    ) -> None:
        self.answer = answer or (lambda query: {"code": CODE, "state": query["state"]})
        self.pasted = pasted
        self.opens_browser = opens_browser
        self.shown: list[str] = []
        self.questions: list[str] = []
        self.pages: list[httpx.Response] = []

    @property
    def authorization_query(self) -> dict[str, str]:
        url = next(line.strip() for line in self.shown if "://" in line)
        return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}

    def show(self, text: str) -> None:
        self.shown.append(text)

    def ask(self, question: str, *, secret: bool = False) -> str:
        self.questions.append(question)
        query = self.authorization_query
        if self.opens_browser and not self.pages:
            redirect = f"{query['redirect_uri']}?{urlencode(self.answer(query))}"
            self.pages.append(httpx.get(redirect, timeout=5))
        return self.pasted


class TokenEndpoint:
    """A hand-made OAuth 2 token endpoint: it grants tokens for `CODE` with the right verifier."""

    def __init__(self, *, refuse: bool = False) -> None:
        self.refuse = refuse
        self.forms: list[dict[str, str]] = []
        self.challenge: str | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        self.forms.append(form)
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if self.refuse or form.get("code") != CODE or challenge != self.challenge:
            return httpx.Response(400, json={"error": "invalid_grant"})
        return httpx.Response(
            200,
            json={
                "access_token": "access-1",
                "refresh_token": "refresh-1",
                "expires_in": 3599,
                "token_type": "Bearer",
            },
        )


async def log_in(browser: Browser, endpoint: TokenEndpoint, **options) -> dict[str, str]:
    original = browser.ask

    def ask(question: str, *, secret: bool = False) -> str:
        endpoint.challenge = browser.authorization_query["code_challenge"]
        return original(question, secret=secret)

    browser.ask = ask  # type: ignore[method-assign]
    async with httpx.AsyncClient(transport=httpx.MockTransport(endpoint)) as client:
        return await authorize(
            client, APP, browser, platform="Example", clock=lambda: NOW, **options
        )


async def test_the_browser_redirect_reaches_the_listener_and_the_code_becomes_a_credential():
    browser, endpoint = Browser(), TokenEndpoint()

    credential = await log_in(browser, endpoint)

    assert credential == {
        "client_id": "desktop-client",
        "client_secret": "desktop-secret",
        "access_token": "access-1",
        "refresh_token": "refresh-1",
        "expires_at": (NOW + timedelta(seconds=3599 - 60)).isoformat(),
    }
    [page] = browser.pages
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/plain; charset=utf-8"
    assert "go back to the terminal" in page.text
    query = browser.authorization_query
    assert query["redirect_uri"].startswith("http://127.0.0.1:")
    assert query["code_challenge_method"] == "S256"
    assert query["scope"] == "scope.read scope.write"
    assert (query["access_type"], query["prompt"], query["response_type"]) == (
        "offline",
        "consent",
        "code",
    )
    [form] = endpoint.forms
    assert form["grant_type"] == "authorization_code"
    assert form["redirect_uri"] == query["redirect_uri"]
    assert (form["client_id"], form["client_secret"]) == ("desktop-client", "desktop-secret")


async def test_an_answer_with_another_state_is_refused_and_the_login_waits_for_its_own():
    browser, endpoint = Browser(), TokenEndpoint()
    original = browser.ask

    def ask(question: str, *, secret: bool = False) -> str:
        if not browser.pages:
            redirect = browser.authorization_query["redirect_uri"]
            forged = httpx.get(f"{redirect}?{urlencode({'code': 'evil', 'state': 'forged'})}")
            assert forged.status_code == 400 and "ignored" in forged.text
        return original(question, secret=secret)

    browser.ask = ask  # type: ignore[method-assign]
    credential = await log_in(browser, endpoint)

    assert credential["access_token"] == "access-1"
    assert [form["code"] for form in endpoint.forms] == [CODE]


async def test_a_person_without_a_browser_pastes_the_address_it_was_sent_to():
    browser = Browser(opens_browser=False)
    endpoint = TokenEndpoint()

    def pasted(question: str, *, secret: bool = False) -> str:
        endpoint.challenge = browser.authorization_query["code_challenge"]
        query = browser.authorization_query
        browser.questions.append(question)
        assert secret, "the pasted address holds the code: it is not echoed"
        return f"{query['redirect_uri']}?{urlencode({'state': query['state'], 'code': CODE})}"

    browser.ask = pasted  # type: ignore[method-assign]
    async with httpx.AsyncClient(transport=httpx.MockTransport(endpoint)) as client:
        credential = await authorize(client, APP, browser, platform="Example", clock=lambda: NOW)

    assert credential["refresh_token"] == "refresh-1"
    assert "paste the address Example sent the browser to" in browser.questions[0]


async def test_a_pasted_address_from_another_login_is_refused():
    browser = Browser(opens_browser=False, pasted="http://127.0.0.1:1/?code=abc&state=other")

    with pytest.raises(ValueError, match="not from this login"):
        await log_in(browser, TokenEndpoint())


async def test_a_refused_approval_says_so():
    browser = Browser(lambda query: {"error": "access_denied", "state": query["state"]})

    with pytest.raises(ValueError, match="access_denied"):
        await log_in(browser, TokenEndpoint())
    assert "not approved" in browser.pages[0].text


async def test_nothing_coming_back_ends_the_login_with_the_address_it_listened_on(monkeypatch):
    monkeypatch.setattr(_oauth_loopback, "BROWSER_WAIT_SECONDS", 0.0)
    browser = Browser(opens_browser=False)

    with pytest.raises(ValueError, match=r"no answer from Example reached http://127\.0\.0\.1:"):
        await log_in(browser, TokenEndpoint())
    assert len(browser.questions) == _oauth_loopback.ASKS


async def test_a_refused_code_is_an_expired_login():
    with pytest.raises(AuthExpired, match="refused the authorization code"):
        await log_in(Browser(), TokenEndpoint(refuse=True))


def test_a_fixed_port_in_use_is_named():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ValueError, match=f"port {port}"):
            LoopbackListener(port=port)


def test_a_fixed_port_is_the_redirect_address():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with LoopbackListener(port=port, path="/callback") as listener:
        assert listener.redirect_uri == f"http://127.0.0.1:{port}/callback"
        assert httpx.get(f"http://127.0.0.1:{port}/elsewhere").status_code == 404


def test_the_code_challenge_is_rfc_7636_s256():
    attempt = Attempt(
        redirect_uri="http://127.0.0.1:1/",
        code_verifier="dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    )
    assert attempt.code_challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_the_listener_logs_nothing_of_the_code(capfd):
    attempt = Attempt(redirect_uri="")
    with LoopbackListener() as listener:
        listener.expect(attempt)
        httpx.get(f"{listener.redirect_uri}?{urlencode({'code': CODE, 'state': attempt.state})}")
        assert listener.wait(5) is not None
    assert CODE not in capfd.readouterr().err


async def test_a_401_refreshes_the_token_once_keeps_the_new_credential_and_retries_once():
    calls: list[str] = []
    kept: list[dict[str, str]] = []

    def api(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            calls.append("refresh")
            form = dict(httpx.QueryParams(request.content.decode()))
            assert form == {"grant_type": "refresh_token", "refresh_token": "refresh-1"}
            assert request.headers["Authorization"].startswith("Basic ")
            return httpx.Response(200, json={"access_token": "access-2", "expires_in": 3600})
        calls.append(request.headers["Authorization"])
        if request.headers["Authorization"] != "Bearer access-2":
            return httpx.Response(401)
        return httpx.Response(200, json={"ok": True})

    credential = {
        "client_id": "desktop-client",
        "client_secret": "desktop-secret",
        "access_token": "access-1",
        "refresh_token": "refresh-1",
    }
    auth = bearer_auth(
        "https://oauth2.example.com/token", credential, on_refreshed=kept.append, clock=lambda: NOW
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(api)) as client:
        response = await client.get("https://api.example.com/thing", auth=auth)

    assert response.status_code == 200
    assert calls == ["Bearer access-1", "refresh", "Bearer access-2"]
    assert [entry["access_token"] for entry in kept] == ["access-2"]
    assert kept[0]["refresh_token"] == "refresh-1"
