"""X's OAuth 2.0 authorization code flow with PKCE, for a person pasting the redirect back.

The person's X app has a callback address registered; X sends the browser there with
`?code=...&state=...`, and the person pastes that whole address (or just the code).
Docs: https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from adapters._http import json_object, reset_from_epoch, send_request, utc_now
from adapters.base import PayloadInvalid

AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
SCOPES = "tweet.read tweet.write users.read dm.read dm.write offline.access"
_RESET = reset_from_epoch("x-rate-limit-reset")


@dataclass(frozen=True, slots=True)
class Authorization:
    """One attempt at authorizing: what the authorize address carries, kept for the exchange."""

    client_id: str
    redirect_uri: str
    state: str
    code_verifier: str

    @classmethod
    def start(cls, client_id: str, redirect_uri: str) -> Authorization:
        """A fresh state and PKCE verifier."""
        return cls(client_id, redirect_uri, secrets.token_urlsafe(24), secrets.token_urlsafe(64))

    @property
    def url(self) -> str:
        """The address the person opens to approve the app."""
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(self.code_verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": SCOPES,
                "state": self.state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{AUTHORIZE_URL}?{query}"

    def code_from(self, pasted: str) -> str:
        """The code in what the person pasted: the redirected address, or the bare code."""
        pasted = pasted.strip()
        if "?" not in pasted and "=" not in pasted:
            return pasted
        query = parse_qs(urlsplit(pasted).query or pasted)
        if "error" in query:
            raise ValueError(f"X said: {query['error'][0]} (the app was not authorized)")
        if query.get("state", [None])[0] != self.state:
            raise ValueError("that address is from another attempt (its state does not match)")
        code = query.get("code", [""])[0]
        if not code:
            raise ValueError("that address has no code in it")
        return code


async def exchange_code(
    client: httpx.AsyncClient,
    api_base: str,
    authorization: Authorization,
    code: str,
    client_secret: str | None,
    now: datetime | None = None,
) -> dict[str, str]:
    """The credential for an authorization code: tokens, their expiry and the client id."""
    auth = (authorization.client_id, client_secret) if client_secret else None
    response = await send_request(
        client,
        "POST",
        f"{api_base}/2/oauth2/token",
        reset=_RESET,
        clock=utc_now,
        auth=auth,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": authorization.redirect_uri,
            "code_verifier": authorization.code_verifier,
            "client_id": authorization.client_id,
        },
    )
    body = json_object(response)
    access_token, refresh_token = body.get("access_token"), body.get("refresh_token")
    if not isinstance(access_token, str) or not isinstance(refresh_token, str):
        raise PayloadInvalid(
            "X's token answer has no access and refresh token (was offline.access granted?)"
        )
    expires_in = body.get("expires_in")
    credential = {
        "client_id": authorization.client_id,
        "access_token": access_token,
        "refresh_token": refresh_token,
    }
    if client_secret:
        credential["client_secret"] = client_secret
    if isinstance(expires_in, int):
        credential["expires_at"] = ((now or utc_now()) + timedelta(seconds=expires_in)).isoformat()
    return credential
