"""`inbox webhooks serve` as a real process on 127.0.0.1, on SQLite and on PostgreSQL.

Meta's side is played by the test: it signs bodies with the app secret the server's keyring
holds (a keyring file shared with the process) and posts them as Meta does. The Page is
served by `StandInPageAdapter` (tests/support/webhook_server.py), a stand-in for the
Facebook adapter registered only in the server process.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from inbox.core.credentials import CredentialStore
from inbox.core.database import open_engine
from inbox.core.models import Item, Thread
from inbox.webhooks.app_secret import WebhookSecrets, store_secrets
from tests.conftest import RECORDINGS
from tests.support.items import add_account
from tests.support.keyring_backend import KEYRING_FILE_VARIABLE
from tests.support.polling import wait_until
from tests.support.webhook_server import (
    APP_SECRET,
    PAGE_ID,
    STANDIN_PLATFORM,
    VERIFY_TOKEN,
    WebhookServer,
    comment_delivery,
    signed,
    start_server,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

MAX_BODY_BYTES = 65_536
PAGE_TOKEN = "page-token-not-for-logs"
UNHELD_PAGE_ID = "777000777"


@pytest.fixture
def served(database_url, tmp_path, monkeypatch) -> Iterator[tuple[object, WebhookServer]]:
    """The server on a database with the stand-in Page (its token in the server's keyring)
    and a second Page whose token this machine does not hold."""
    keyring_file = tmp_path / "keyring.json"
    monkeypatch.setenv(KEYRING_FILE_VARIABLE, str(keyring_file))
    credentials = CredentialStore()
    store_secrets(credentials, WebhookSecrets(APP_SECRET, VERIFY_TOKEN))
    credentials.set(STANDIN_PLATFORM, "brand-page", {"access_token": PAGE_TOKEN})
    engine = open_engine(database_url)
    add_account(engine, STANDIN_PLATFORM, "brand-page", page_id=PAGE_ID)
    add_account(engine, STANDIN_PLATFORM, "elsewhere-page", page_id=UNHELD_PAGE_ID)
    server = start_server(database_url, os.environ, "--max-body-bytes", str(MAX_BODY_BYTES))
    try:
        yield engine, server
    finally:
        server.stop()
        engine.dispose()


def _stored(engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(select(Item.__table__.c.external_id)).scalars())


def _threads(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Thread.__table__)).scalar()


def _post(server: WebhookServer, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{server.url}/webhooks/meta", content=body, headers=headers, timeout=30)


def _log_text(server: WebhookServer) -> str:
    return "\n".join(json.dumps(line) for line in server.events)


def test_the_handshake_answers_only_with_our_verify_token(served):
    _, server = served
    asked = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}
    right = httpx.get(
        f"{server.url}/webhooks/meta", params={**asked, "hub.verify_token": VERIFY_TOKEN}
    )
    assert (right.status_code, right.text) == (200, "1158201444")

    wrong = httpx.get(f"{server.url}/webhooks/meta", params={**asked, "hub.verify_token": "x"})
    assert wrong.status_code == 403
    assert "verify token" in wrong.json()["error"]
    unsubscribing = httpx.get(
        f"{server.url}/webhooks/meta",
        params={**asked, "hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN},
    )
    assert unsubscribing.status_code == 403
    assert server.saw("webhook.verified")
    assert VERIFY_TOKEN not in _log_text(server)


def test_a_signed_delivery_is_stored_once_even_when_meta_sends_it_again(served):
    engine, server = served
    body = comment_delivery("901097836652708_903438993085259", "is checkout down?")

    first = _post(server, body, signed(body))
    again = _post(server, body, signed(body))

    assert first.status_code == again.status_code == 200
    assert first.json() == {"entries": 1, "skipped": 0}
    assert _stored(engine) == ["901097836652708_903438993085259"]
    assert _threads(engine) == 1
    with engine.connect() as connection:
        assert connection.execute(select(Item.__table__.c.text)).scalar() == "is checkout down?"
    wait_until(lambda: server.saw("items.landed"), 10, "the landing to be logged")
    assert [line["new_items"] for line in server.saw("items.landed")] == [1]
    assert PAGE_TOKEN not in _log_text(server) and APP_SECRET not in _log_text(server)


def test_unsigned_and_wrongly_signed_deliveries_store_nothing(served):
    engine, server = served
    body = comment_delivery("c-1")
    legacy_sha1 = {"X-Hub-Signature": "sha1=" + "0" * 40}
    tampered = body.replace(b"is checkout down?", b"is checkout up?!!")
    refused = {
        "unsigned": (_post(server, body, {}), 401),
        "only the legacy SHA-1 header": (_post(server, body, legacy_sha1), 401),
        "signed with another secret": (_post(server, body, signed(body, "not-the-secret")), 403),
        "not sha256=<hex>": (_post(server, body, {"X-Hub-Signature-256": "sha256=zz"}), 403),
        "signature of other bytes": (_post(server, tampered, signed(body)), 403),
    }

    assert {what: answer.status_code for what, (answer, _) in refused.items()} == {
        what: status for what, (_, status) in refused.items()
    }
    assert all("error" in answer.json() for answer, _ in refused.values())
    assert _stored(engine) == []
    wait_until(lambda: len(server.saw("webhook.refused")) == 5, 10, "the refusals to be logged")
    assert sorted(line["status"] for line in server.saw("webhook.refused")) == [
        401,
        401,
        403,
        403,
        403,
    ]


def test_a_signed_body_that_is_not_a_delivery_is_refused_or_skipped(served):
    engine, server = served
    not_json = b'{"object": "page", "entry": [ \xff'
    no_entries = b'{"object": "page"}'
    answers = [_post(server, body, signed(body)).status_code for body in (not_json, no_entries)]
    unreadable = json.dumps(
        {
            "object": "page",
            "entry": [
                {"id": PAGE_ID, "changes": [{"field": "feed", "value": {"message": "SECRET PLAN"}}]}
            ],
        }
    ).encode()
    skipped = _post(server, unreadable, signed(unreadable))

    assert answers == [400, 400]
    assert (skipped.status_code, skipped.json()) == (200, {"entries": 1, "skipped": 1})
    assert _stored(engine) == []
    wait_until(lambda: server.saw("webhook.entry_invalid"), 10, "the skipped entry to be logged")
    assert "SECRET PLAN" not in _log_text(server)


def _raw_post(server: WebhookServer, head: str, body_parts: list[bytes]) -> bytes:
    """Send a request by hand (a head, then body parts until the server stops reading) and
    return the start of the answer."""
    assert server.port is not None
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(head.encode())
        for part in body_parts:
            try:
                connection.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                break
        return connection.recv(4096)


def test_an_oversized_body_is_refused_before_it_is_read(served):
    engine, server = served
    signature = signed(b"")["X-Hub-Signature-256"]
    head = (
        f"POST /webhooks/meta HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Hub-Signature-256: {signature}\r\n"
    )
    declared = _raw_post(server, head + "Content-Length: 100000000\r\n\r\n", [b'{"object": "page"'])
    chunk = b"x" * 1024
    chunked = _raw_post(
        server,
        head + "Transfer-Encoding: chunked\r\n\r\n",
        [b"400\r\n" + chunk + b"\r\n"] * (MAX_BODY_BYTES // 1024 + 8),
    )

    assert declared.startswith(b"HTTP/1.1 413")
    assert chunked.startswith(b"HTTP/1.1 413")
    assert _stored(engine) == []


def test_entries_for_accounts_not_served_here_are_acknowledged_and_skipped(served):
    engine, server = served
    unknown = comment_delivery("c-unknown", page="4242")
    unheld = comment_delivery("c-unheld", page=UNHELD_PAGE_ID)

    answers = [_post(server, body, signed(body)) for body in (unknown, unheld)]

    assert [(answer.status_code, answer.json()["skipped"]) for answer in answers] == [
        (200, 1),
        (200, 1),
    ]
    assert _stored(engine) == []
    wait_until(
        lambda: server.saw("webhook.unknown_account") and server.saw("account.not_held"),
        10,
        "the skipped entries to be logged",
    )


def test_a_stop_lands_what_came_and_exits_cleanly(served):
    engine, server = served
    body = comment_delivery("c-before-stop")
    assert _post(server, body, signed(body)).status_code == 200

    assert server.stop() == 0
    assert server.saw("webhooks.stopping") and server.saw("webhooks.stopped")
    assert _stored(engine) == ["c-before-stop"]


BURST = 2_000
REPLAYED = 200
CONCURRENCY = 50


async def _burst(url: str) -> tuple[list[int], list[float], float]:
    """Post `BURST` distinct deliveries and `REPLAYED` of them again, `CONCURRENCY` at a time;
    the statuses, each request's seconds to its answer, and the whole burst's seconds."""
    bodies = [
        comment_delivery(f"burst-{number}", f"outage report {number}") for number in range(BURST)
    ]
    bodies += bodies[:: BURST // REPLAYED]
    gate = asyncio.Semaphore(CONCURRENCY)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)

    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def post(body: bytes) -> tuple[int, float]:
            async with gate:
                began = time.perf_counter()
                answer = await client.post("/webhooks/meta", content=body, headers=signed(body))
                return answer.status_code, time.perf_counter() - began

        began = time.perf_counter()
        outcomes = await asyncio.gather(*(post(body) for body in bodies))
        elapsed = time.perf_counter() - began
    return [status for status, _ in outcomes], [seconds for _, seconds in outcomes], elapsed


def test_a_burst_is_stored_exactly_once(served, database_url):
    engine, server = served

    statuses, seconds, elapsed = asyncio.run(_burst(server.url))

    assert Counter(statuses) == {200: BURST + REPLAYED}
    stored = Counter(_stored(engine))
    assert len(stored) == BURST and set(stored.values()) == {1}
    assert stored.keys() == {f"burst-{number}" for number in range(BURST)}
    p95 = statistics.quantiles(seconds, n=20)[-1]
    print(
        f"\nwebhook burst on {database_url.split(':')[0]}: {len(statuses)} deliveries in "
        f"{elapsed:.2f} s ({len(statuses) / elapsed:.0f}/s), POST to stored and answered: "
        f"p50 {statistics.median(seconds) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
    )


# -- the real adapters, on Meta's recorded deliveries -------------------------------------------

RECORDED = RECORDINGS / "meta-webhooks"
RECORDED_ACCOUNTS = {
    ("facebook", "brand-page"): {"page_id": "1234567890321"},
    ("facebook", "messenger-page"): {"page_id": "12345654332"},
    ("facebook", "botman-page"): {"page_id": "111899832631525"},
    ("instagram", "brand-ig"): {"ig_user_id": "0"},
    ("instagram", "brand-ig-dms"): {"ig_user_id": "17841452691600098"},
}
RECORDED_BODIES = (
    "feed-comment-add-211.json",
    "messaging-message-basic.json",
    "messaging-message-basic-echo.json",
    "botman-messenger-text.json",
    "instagram-wh-comments-2021.json",
    "instagram-messaging-attachment-unsupported.json",
)


@pytest.fixture
def meta_accounts(database_url, tmp_path, monkeypatch) -> Iterator[tuple[object, WebhookServer]]:
    """The server with Facebook Pages and Instagram accounts named as the recordings name
    them, each with its token in the server's keyring."""
    monkeypatch.setenv(KEYRING_FILE_VARIABLE, str(tmp_path / "keyring.json"))
    credentials = CredentialStore()
    store_secrets(credentials, WebhookSecrets(APP_SECRET, VERIFY_TOKEN))
    engine = open_engine(database_url)
    for (platform, handle), settings in RECORDED_ACCOUNTS.items():
        credentials.set(platform, handle, {"access_token": f"{handle}-token"})
        add_account(engine, platform, handle, **settings)
    server = start_server(database_url, os.environ)
    try:
        yield engine, server
    finally:
        server.stop()
        engine.dispose()


def test_meta_recorded_deliveries_land_through_the_facebook_and_instagram_adapters(meta_accounts):
    engine, server = meta_accounts
    bodies = [(RECORDED / name).read_bytes() for name in RECORDED_BODIES]

    answers = [_post(server, body, signed(body)) for body in bodies + bodies]

    assert [answer.status_code for answer in answers] == [200] * len(answers)
    stored = Counter(_stored(engine))
    assert set(stored.values()) == {1}
    assert {
        "mid.1457764197618:41d102a3e1ae206a38",
        "mid.1480279487147:4388d3b344",
        "123456789",
    } <= stored.keys()
    assert any(external_id.startswith("aWdfZAG1") for external_id in stored)
    with engine.connect() as connection:
        texts = set(connection.execute(select(Item.__table__.c.text)).scalars())
    assert {"hello, world!", "Hi", "This is an example."} <= texts
