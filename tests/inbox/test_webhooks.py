"""The webhook server's app in-process: signatures over any bytes, landings the database
refuses, batching, and the `inbox webhooks` commands.

The Page is served by `StandInPageAdapter` (tests/support/webhook_server.py), a stand-in for
the Facebook adapter registered in the registry for these tests only.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from adapters import registry
from adapters.base import AccountRef, AuthExpired, PlatformUnavailable, RateLimited
from inbox.cli.main import main
from inbox.core.credentials import CredentialStore
from inbox.core.database import open_engine
from inbox.core.models import Account, Item
from inbox.store.ingest import Store
from inbox.webhooks.app import webhook_app
from inbox.webhooks.app_secret import WebhookSecrets, load_secrets
from inbox.webhooks.deliveries import RECHECK_SECONDS, AccountDirectory, Deliveries
from inbox.webhooks.landing import Lander
from tests.support.items import add_account, item
from tests.support.webhook_server import (
    APP_SECRET,
    PAGE_ID,
    STANDIN_PLATFORM,
    VERIFY_TOKEN,
    StandInPageAdapter,
    comment_delivery,
    signed,
)

MAX_BODY_BYTES = 16_384


@pytest.fixture
def standin(monkeypatch) -> None:
    """The stand-in Page adapter, known to the registry for this test only."""
    monkeypatch.setitem(
        registry._ADAPTER_PATHS,
        STANDIN_PLATFORM,
        "tests.support.webhook_server:StandInPageAdapter",
    )


@pytest.fixture
def engine(sqlite_url, standin):
    engine = open_engine(sqlite_url)
    add_account(engine, STANDIN_PLATFORM, "brand-page", page_id=PAGE_ID)
    yield engine
    engine.dispose()


class Meta:
    """Requests to the app as Meta (or anyone) sends them, from synchronous tests: the app
    and its writer run on the event loop of a blocking portal."""

    def __init__(self, portal: BlockingPortal, client: httpx.AsyncClient) -> None:
        self.portal = portal
        self.client = client

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        return self.portal.call(functools.partial(self.client.request, method, path, **options))

    def post(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return self.request("POST", "/webhooks/meta", content=body, headers=headers)


@contextlib.asynccontextmanager
async def _running_app(store: Store) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the stand-in Page, every account served (no keyring consulted)."""
    lander = Lander(store)
    lander.start()
    try:
        async with httpx.AsyncClient() as platform_client:
            deliveries = Deliveries(store.engine, None, lander, platform_client)
            app = webhook_app(
                deliveries, WebhookSecrets(APP_SECRET, VERIFY_TOKEN), max_body_bytes=MAX_BODY_BYTES
            )
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://inbox") as client:
                yield client
    finally:
        await lander.close()


@pytest.fixture
def meta(engine) -> Iterator[Meta]:
    with start_blocking_portal() as portal:
        with portal.wrap_async_context_manager(_running_app(Store(engine))) as client:
            yield Meta(portal, client)


def _stored(engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(select(Item.__table__.c.external_id)).scalars())


# -- signatures -----------------------------------------------------------------------------


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=2_000), key=st.text(min_size=1, max_size=40))
def test_no_body_signed_with_another_key_is_stored(meta, engine, body, key):
    assume(key != APP_SECRET)
    answer = meta.post(body, signed(body, key))

    assert answer.status_code == 403
    assert _stored(engine) == []


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    entries=st.lists(
        st.fixed_dictionaries(
            {"id": st.sampled_from([PAGE_ID, int(PAGE_ID), "0"])},
            optional={"changes": _json, "messaging": _json, "time": _json},
        ),
        max_size=3,
    )
    | _json
)
def test_any_signed_payload_is_answered_without_a_server_error(meta, entries):
    body = json.dumps({"object": "page", "entry": entries}).encode()

    answer = meta.post(body, signed(body))

    assert answer.status_code in (200, 400)
    assert "error" in answer.json() or set(answer.json()) == {"entries", "skipped"}


def test_a_signed_body_nested_too_deep_is_refused_as_not_json(meta, engine):
    body = b"[" * 5_000 + b"]" * 5_000

    answer = meta.post(body, signed(body))

    assert (answer.status_code, answer.json()["error"]) == (400, "the body is not JSON")
    deeper = b'{"a":' * 100_000
    assert meta.post(deeper[:MAX_BODY_BYTES], signed(deeper[:MAX_BODY_BYTES])).status_code == 400


def test_the_handshake_echoes_only_a_plain_challenge(meta):
    asked = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN}

    plain = meta.request("GET", "/webhooks/meta", params={**asked, "hub.challenge": "1158201444"})
    markup = meta.request(
        "GET", "/webhooks/meta", params={**asked, "hub.challenge": "<script>x</script>"}
    )

    assert (plain.status_code, plain.text) == (200, "1158201444")
    assert plain.headers["content-type"].startswith("text/plain")
    assert markup.status_code == 400


def test_other_paths_and_methods_answer_json(meta):
    assert meta.request("GET", "/nowhere").json() == {"error": "not found"}
    assert meta.request("PUT", "/webhooks/meta").status_code == 405


# -- landing ----------------------------------------------------------------------------------


def test_a_delivery_the_database_refuses_is_answered_500_and_stored_once_when_sent_again(
    meta, engine, monkeypatch
):
    refusals = []
    ingest = Store.ingest

    def locked(store, *arguments):
        if len(refusals) < 2:
            refusals.append(arguments)
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return ingest(store, *arguments)

    monkeypatch.setattr(Store, "ingest", locked)
    body = comment_delivery("c-locked")

    refused = meta.post(body, signed(body))
    assert refused.status_code == 500
    assert "deliver it again" in refused.json()["error"]
    assert _stored(engine) == []

    assert meta.post(body, signed(body)).status_code == 200
    assert meta.post(body, signed(body)).status_code == 200
    assert _stored(engine) == ["c-locked"]


@pytest.mark.parametrize(
    ("failure", "status", "skipped"),
    [
        (PlatformUnavailable("graph.facebook.com timed out"), 503, None),
        (RateLimited(datetime(2026, 11, 2, 10, tzinfo=UTC)), 503, None),
        (AuthExpired("the Page token was revoked"), 200, 1),
    ],
    ids=["unreachable", "rate limited", "token refused"],
)
def test_only_a_failure_that_passes_makes_meta_deliver_again(
    meta, engine, monkeypatch, failure, status, skipped
):
    async def failing(self, entry):
        raise failure

    monkeypatch.setattr(StandInPageAdapter, "webhook_items", failing)
    body = comment_delivery("c-later")

    answer = meta.post(body, signed(body))

    assert answer.status_code == status
    assert answer.json().get("skipped") == skipped
    assert _stored(engine) == []


async def test_what_arrives_while_a_batch_lands_lands_together(engine):
    """Ten deliveries that arrive while the writer is busy land in one more transaction."""
    store = Store(engine)
    batch_sizes: list[int] = []
    first_may_finish = threading.Event()
    ingest = store.ingest

    def held_first(account, stream, items, cursor):
        batch_sizes.append(len(items))
        if len(batch_sizes) == 1:
            first_may_finish.wait(30)
        return ingest(account, stream, items, cursor)

    store.ingest = held_first  # type: ignore[method-assign]
    lander = Lander(store)
    lander.start()
    page = AccountRef(
        id=1, platform=STANDIN_PLATFORM, handle="brand-page", settings={"page_id": PAGE_ID}
    )
    first = asyncio.create_task(lander.land(page, [item("first", "t0")]))
    await _until(lambda: batch_sizes == [1])
    rest = [
        asyncio.create_task(lander.land(page, [item(f"next-{number}", f"t{number}")]))
        for number in range(10)
    ]
    await _until(lambda: len(lander._waiting) == 10)
    first_may_finish.set()
    await asyncio.gather(first, *rest)
    await lander.close()

    assert batch_sizes == [1, 10]
    assert len(_stored(engine)) == 11


async def _until(condition, timeout: float = 30) -> None:
    """Wait on the running loop until `condition` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting on the lander")
        await asyncio.sleep(0.01)


# -- the commands -----------------------------------------------------------------------------


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        status = main(list(argv))
    except SystemExit as exit:
        status = exit.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_the_secrets_are_asked_without_echo_and_kept_in_the_keyring(capsys, monkeypatch):
    answers = iter(["  f00dfeed  ", "my-verify-token"])
    prompts = []

    def getpass(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("getpass.getpass", getpass)

    status, out, err = _run(capsys, "webhooks", "secret")

    assert status == 0
    assert prompts == ["Meta app secret: ", "verify token (empty: make one): "]
    assert load_secrets(CredentialStore()) == WebhookSecrets("f00dfeed", "my-verify-token")
    assert "f00dfeed" not in out + err and "my-verify-token" not in out + err
    assert "stored the Meta app secret" in out


def test_an_empty_verify_token_is_made_and_shown_once(capsys, monkeypatch):
    answers = iter(["f00dfeed", ""])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))

    status, out, _ = _run(capsys, "webhooks", "secret")

    made = load_secrets(CredentialStore())
    assert status == 0 and made is not None and len(made.verify_token) >= 24
    assert f"verify token (type it into the Meta app dashboard): {made.verify_token}" in out


def test_an_app_secret_with_spaces_stores_nothing(capsys, monkeypatch):
    answers = iter(["two words", "token"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))

    status, _, err = _run(capsys, "webhooks", "secret")

    assert status == 2
    assert "nothing stored" in err
    assert load_secrets(CredentialStore()) is None


def test_serve_refuses_to_start_without_the_secrets(capsys, tmp_path):
    database = tmp_path / "inbox.db"

    status, _, err = _run(capsys, "--db", str(database), "webhooks", "serve")

    assert status == 2
    assert "`inbox webhooks secret` stores them" in err
    assert not database.exists()


def test_serve_refuses_a_port_that_cannot_be(capsys, tmp_path):
    status, _, err = _run(
        capsys, "--db", str(tmp_path / "x.db"), "webhooks", "serve", "--port", "70000"
    )

    assert status == 2 and "--port is 0 to 65535" in err


def test_the_secrets_never_show_in_a_repr():
    assert APP_SECRET not in repr(WebhookSecrets(APP_SECRET, VERIFY_TOKEN))


# -- routing ------------------------------------------------------------------------------------


async def test_an_account_connected_or_disabled_meanwhile_is_seen(engine):
    moments = iter(float(second) for second in range(1_000))
    directory = AccountDirectory(
        engine, {"page": (StandInPageAdapter,)}, monotonic=lambda: next(moments)
    )
    assert [account.handle for account in await directory.accounts("page", PAGE_ID)] == [
        "brand-page"
    ]
    assert await directory.accounts("page", "555") == []

    add_account(engine, STANDIN_PLATFORM, "new-page", page_id="555")
    with engine.begin() as connection:
        connection.execute(
            update(Account.__table__)
            .values(enabled=False)
            .where(Account.__table__.c.handle == "brand-page")
        )
    for _ in range(int(RECHECK_SECONDS)):
        await directory.accounts("page", "555")

    assert [account.handle for account in await directory.accounts("page", "555")] == ["new-page"]
    assert await directory.accounts("page", PAGE_ID) == []
    assert await directory.accounts("instagram", "555") == []
