"""The webhook server's HTTP side: Meta's handshake, and deliveries checked before they are read.

=====  ==============  ==============================================================
GET    /webhooks/meta  the handshake the Meta app dashboard sends when the callback URL
                       is set: `hub.challenge` back when `hub.verify_token` is ours
POST   /webhooks/meta  a delivery (`{"object", "entry": [...]}`), signed by Meta
GET    /health         200 while the server runs, for the reverse proxy and for tests
=====  ==============  ==============================================================

A POST is checked in this order, and the first check that fails answers, with a JSON
`{"error": sentence}` and nothing stored:

1. a body declared (`Content-Length`) larger than the limit: 413, before a byte is read;
2. no `X-Hub-Signature-256` header: 401 (the legacy SHA-1 `X-Hub-Signature` alone is not
   enough); one not of the form `sha256=<64 hex digits>`: 403;
3. the body is read, and refused with 413 the moment it passes the limit;
4. the signature is compared, in constant time, with HMAC-SHA256 of those raw bytes under
   the app secret: 403 when it differs. Nothing is parsed before this point;
5. a body that is not a JSON delivery: 400;
6. the entries are landed (`Deliveries`): 200 once committed, `{"entries", "skipped"}`.
   500 (the database refused them) or 503 (the platform was unreachable while an entry
   was read) make Meta deliver it again, so an acknowledged delivery is never lost.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from inbox.webhooks import DEFAULT_MAX_BODY_BYTES
from inbox.webhooks.deliveries import Deliveries, DeliveryUnready
from inbox.webhooks.landing import LandingFailed

if TYPE_CHECKING:
    from starlette.types import Lifespan

    from inbox.webhooks.app_secret import WebhookSecrets

log = logging.getLogger(__name__)

META_PATH = "/webhooks/meta"
"""Where Meta delivers: the callback URL is `https://<your host>/webhooks/meta`."""

SIGNATURE_HEADER = "x-hub-signature-256"

_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")
_CHALLENGE = re.compile(r"[A-Za-z0-9_.-]{1,128}")


class Refused(Exception):
    """A request answered with an error status and a sentence saying why."""

    def __init__(self, status: int, sentence: str) -> None:
        super().__init__(sentence)
        self.status = status
        self.sentence = sentence


def webhook_app(
    deliveries: Deliveries,
    secrets: WebhookSecrets,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    lifespan: Lifespan[Starlette] | None = None,
) -> Starlette:
    """The ASGI app that takes Meta's deliveries into `deliveries`."""
    app_secret = secrets.app_secret.encode()
    verify_token = secrets.verify_token.encode()

    async def handshake(request: Request) -> Response:
        try:
            challenge = _answer_handshake(request.query_params, verify_token)
        except Refused as refusal:
            return _refused(request, refusal)
        log.info("answered Meta's verification handshake", extra={"event": "webhook.verified"})
        return PlainTextResponse(challenge)

    async def receive(request: Request) -> Response:
        try:
            signature = _signature(request)
            body = await _read_body(request, max_body_bytes)
            _check_signature(app_secret, body, signature)
            webhook_object, entries = _delivery(body)
            report = await deliveries.deliver(webhook_object, entries)
        except Refused as refusal:
            return _refused(request, refusal)
        except LandingFailed as failure:
            return _refused(request, Refused(500, f"not stored, deliver it again: {failure}"))
        except DeliveryUnready as failure:
            return _refused(request, Refused(503, f"not read, deliver it again: {failure}"))
        return JSONResponse({"entries": report.entries, "skipped": report.skipped_entries})

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route(META_PATH, handshake, methods=["GET"]),
            Route(META_PATH, receive, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        lifespan=lifespan,
    )


def _answer_handshake(query: Mapping[str, str], verify_token: bytes) -> str:
    """The challenge to send back, when the handshake names our verify token."""
    token = query.get("hub.verify_token", "")
    matches = hmac.compare_digest(token.encode(), verify_token)
    if query.get("hub.mode") != "subscribe" or not matches:
        raise Refused(403, "the verify token is not this server's (`inbox webhooks secret`)")
    challenge = query.get("hub.challenge", "")
    if not _CHALLENGE.fullmatch(challenge):
        raise Refused(400, "hub.challenge is missing or not a plain token")
    return challenge


def _signature(request: Request) -> str:
    """The hex digest the request is signed with, checked for form before the body is read."""
    declared = request.headers.get("content-length")
    if declared is not None and not declared.isdigit():
        raise Refused(400, "the Content-Length header is not a number")
    header = request.headers.get(SIGNATURE_HEADER)
    if header is None:
        raise Refused(401, "unsigned: Meta signs every delivery in X-Hub-Signature-256")
    signature = _SIGNATURE.fullmatch(header.strip())
    if signature is None:
        raise Refused(403, "X-Hub-Signature-256 is not of the form sha256=<hex>")
    return signature.group(1).lower()


async def _read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused as soon as it is (or is declared) larger than `limit` bytes."""
    too_large = Refused(413, f"the body is larger than {limit} bytes")
    declared = request.headers.get("content-length")
    if declared is not None and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def _check_signature(app_secret: bytes, body: bytes, signature: str) -> None:
    expected = hmac.new(app_secret, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise Refused(403, "the signature does not match the body and this app's secret")


def _delivery(body: bytes) -> tuple[str, list[Any]]:
    """The `object` and the entries of a signed body."""
    try:
        delivery = json.loads(body)
    except (ValueError, RecursionError):
        raise Refused(400, "the body is not JSON") from None
    if not isinstance(delivery, dict):
        raise Refused(400, "the body is not a JSON object")
    webhook_object, entries = delivery.get("object"), delivery.get("entry")
    if not isinstance(webhook_object, str) or not isinstance(entries, list):
        raise Refused(400, "the body has no `object` text and `entry` list")
    return webhook_object, entries


def _refused(request: Request, refusal: Refused) -> Response:
    log.warning(
        "refused a %s %s: %s",
        request.method,
        request.url.path,
        refusal.sentence,
        extra={
            "event": "webhook.refused",
            "status": refusal.status,
            "host": request.client.host if request.client else None,
        },
    )
    headers = {"Connection": "close"} if refusal.status == 413 else None
    return JSONResponse({"error": refusal.sentence}, refusal.status, headers=headers)


async def _http_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    return JSONResponse({"error": str(error.detail).lower()}, error.status_code)


async def _server_error(_request: Request, error: Exception) -> Response:
    log.error(
        "a webhook request failed: %s",
        type(error).__name__,
        exc_info=error,
        extra={"event": "webhook.failed"},
    )
    return JSONResponse({"error": "the server failed; deliver it again"}, 500)
