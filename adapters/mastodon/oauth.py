"""Mastodon's OAuth: register an app on the instance, let the person authorize it, take the code.

The out-of-band redirect makes the instance show the code on its page, and the person
pastes it back; no local web server is needed. Docs: https://docs.joinmastodon.org/client/token/
and https://docs.joinmastodon.org/methods/apps/.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import httpx

from adapters._http import json_object, reset_from_iso, send_request, utc_now
from adapters.base import PayloadInvalid

OUT_OF_BAND = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = "read:accounts read:notifications read:statuses write:statuses write:conversations"
CLIENT_NAME = "social-inbox"
_RESET = reset_from_iso("X-RateLimit-Reset")


@dataclass(frozen=True, slots=True)
class RegisteredApp:
    """The app the instance registered for us."""

    client_id: str
    client_secret: str


async def register_app(client: httpx.AsyncClient, base_url: str) -> RegisteredApp:
    """Register the inbox as an app on the instance (`POST /api/v1/apps`)."""
    response = await send_request(
        client,
        "POST",
        f"{base_url}/api/v1/apps",
        reset=_RESET,
        clock=utc_now,
        data={"client_name": CLIENT_NAME, "redirect_uris": OUT_OF_BAND, "scopes": SCOPES},
    )
    body = json_object(response)
    return RegisteredApp(
        client_id=_text(body, "client_id"), client_secret=_text(body, "client_secret")
    )


def authorize_url(base_url: str, app: RegisteredApp) -> str:
    """The page where the person approves the app and is shown a code."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": OUT_OF_BAND,
            "scope": SCOPES,
        }
    )
    return f"{base_url}/oauth/authorize?{query}"


async def exchange_code(
    client: httpx.AsyncClient, base_url: str, app: RegisteredApp, code: str
) -> str:
    """The access token for an authorization code (`POST /oauth/token`)."""
    response = await send_request(
        client,
        "POST",
        f"{base_url}/oauth/token",
        reset=_RESET,
        clock=utc_now,
        data={
            "grant_type": "authorization_code",
            "code": code.strip(),
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "redirect_uri": OUT_OF_BAND,
            "scope": SCOPES,
        },
    )
    return _text(json_object(response), "access_token")


def _text(body, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise PayloadInvalid(f"the instance's answer has no {name}")
    return value
