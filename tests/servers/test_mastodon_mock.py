"""Mastodon end to end against mastodon-mock on 127.0.0.1: an imitation, not a real Mastodon.

No real Mastodon-API server can be installed here (docs/real-servers.md §3), so this runs
against `mastodon-mock` (PyPI), a stateful FastAPI + SQLite mock of Mastodon's REST API.
It proves the inbox works with a server that speaks the API as the mock's author read it,
over real HTTP; where the mock differs from Mastodon, this test cannot tell.

Two accounts: the brand (signed up through the real path: register an app, a
client-credentials token, `POST /api/v1/accounts`) and a customer (the mock's dev-user
shortcut). The customer replies to the brand's post, mentions the brand, and sends it a
direct message; `inbox accounts add` and `inbox sync` (the real CLI, in this process, so
the token sits in the test's in-memory keyring) land all three as items. A reply queued
with `inbox reply` and sent by `inbox outbox run` appears under the customer's status.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from adapters.base import Direction, Kind
from inbox.cli.main import main
from inbox.core.database import open_engine
from inbox.core.models import Item, Outbound, Thread
from tests.conftest import skip_or_fail
from tests.servers.mastodon_mock import (
    MastodonMock,
    MastodonMockFailed,
    MastodonMockUnavailable,
    start_mastodon_mock,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def mock() -> Iterator[MastodonMock]:
    try:
        running = start_mastodon_mock()
    except MastodonMockUnavailable as error:
        skip_or_fail(f"mastodon-mock: {error}")
    except MastodonMockFailed as error:
        pytest.fail(f"mastodon-mock: {error}")
    print(
        f"mastodon-mock: install {running.install_seconds:.1f} s, "
        f"start {running.start_seconds:.2f} s"
    )
    try:
        yield running
    finally:
        running.stop()


class Person:
    """Someone on the mock instance, posting through plain API calls with their token."""

    def __init__(self, mock: MastodonMock, username: str, token: str) -> None:
        self.mock, self.username, self.token = mock, username, token

    @classmethod
    def sign_up(cls, mock: MastodonMock, username: str) -> Person:
        """Mastodon's signup path: an app, its client-credentials token, then the account."""
        app = _ok(httpx.post(f"{mock.base_url}/api/v1/apps", data={
            "client_name": "inbox-tests", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read write",
        }))  # fmt: skip
        app_token = _ok(httpx.post(f"{mock.base_url}/oauth/token", data={
            "grant_type": "client_credentials", "client_id": app["client_id"],
            "client_secret": app["client_secret"], "scope": "read write",
        }))["access_token"]  # fmt: skip
        account = _ok(httpx.post(
            f"{mock.base_url}/api/v1/accounts",
            data={"username": username, "email": f"{username}@example.test",
                  "password": f"{username}-password-1", "agreement": "true", "locale": "en"},
            headers={"Authorization": f"Bearer {app_token}"},
        ))  # fmt: skip
        return cls(mock, username, account["access_token"])

    @classmethod
    def dev_user(cls, mock: MastodonMock, username: str) -> Person:
        """The mock's shortcut (not in Mastodon): an account and a token in one call."""
        created = _ok(
            httpx.post(f"{mock.base_url}/api/v1/_mock/dev_user", json={"username": username})
        )
        return cls(mock, username, created["access_token"])

    def call(self, method: str, path: str, **kwargs) -> dict | list:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return _ok(
            httpx.request(
                method, f"{self.mock.base_url}{path}", headers=headers, timeout=10, **kwargs
            )
        )

    def post(self, text: str, headers: dict[str, str] | None = None, **fields: str) -> dict:
        return self.call(
            "POST", "/api/v1/statuses", data={"status": text, **fields}, headers=headers or {}
        )


def _ok(response: httpx.Response) -> dict | list:
    assert response.is_success, (
        f"{response.request.url.path} answered {response.status_code}: {response.text[:300]}"
    )
    return response.json()


def test_a_reply_a_mention_and_a_dm_arrive_through_inbox_sync_and_a_reply_goes_out(
    mock: MastodonMock, tmp_path, monkeypatch, capsys
):
    brand = Person.sign_up(mock, "brand")
    carol = Person.dev_user(mock, "carol")
    announcement = brand.post("Checkout is slow right now; we are on it.")
    reply = carol.post("@brand still broken for me", in_reply_to_id=announcement["id"])
    mention = carol.post("Hey @brand, is the app down?")
    direct = carol.post("@brand my order #4411 never arrived", visibility="direct")
    handle = f"@brand@{mock.domain}"

    database = str(tmp_path / "inbox.db")
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": brand.token)
    account = ["mastodon", handle, "--base-url", mock.base_url, "--manual"]
    added = main(["--db", database, "accounts", "add", *account])
    assert added == 0, capsys.readouterr().err
    assert f"the credentials work: @brand on {mock.base_url}" in capsys.readouterr().out
    assert main(["--db", database, "sync"]) == 0, capsys.readouterr().err
    assert "3 new items" in capsys.readouterr().out

    engine = open_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        rows = connection.execute(
            select(Item.external_id, Item.direction, Item.text, Item.parent_external_id,
                   Thread.id.label("thread_id"), Thread.thread_key, Thread.kind)
            .join(Thread, Thread.id == Item.thread_id)
        ).all()  # fmt: skip
    by_id = {row.external_id: row for row in rows}
    assert set(by_id) == {reply["id"], mention["id"], direct["id"]}, (
        "the brand's own post is no item"
    )
    assert all(row.direction == Direction.IN for row in rows)
    stored_reply = by_id[reply["id"]]
    assert (stored_reply.kind, stored_reply.thread_key) == (
        Kind.COMMENT,
        f"status:{announcement['id']}",
    )
    assert stored_reply.parent_external_id == announcement["id"]
    assert stored_reply.text == "@brand still broken for me"
    assert (by_id[mention["id"]].kind, by_id[mention["id"]].thread_key) == (
        Kind.MENTION,
        f"status:{mention['id']}",
    )
    (conversation,) = brand.call("GET", "/api/v1/conversations")
    stored_dm = by_id[direct["id"]]
    assert (stored_dm.kind, stored_dm.thread_key) == (Kind.DM, f"conversation:{conversation['id']}")
    assert stored_dm.text == "@brand my order #4411 never arrived"

    assert main(["--db", database, "agents", "add", "dana", "--name", "Dana Agent"]) == 0
    assert main(["--db", database, "--as", "dana", "reply", str(stored_reply.thread_id),
                 "@carol sorry about that! Fixed now."]) == 0, capsys.readouterr().err  # fmt: skip
    capsys.readouterr()
    assert main(["--db", database, "--as", "dana", "outbox", "run"]) == 0, capsys.readouterr().err
    assert "1 sent, 0 failed" in capsys.readouterr().out

    with engine.connect() as connection:
        (outbound,) = connection.execute(
            select(Outbound.status, Outbound.external_id, Outbound.idempotency_key)
        ).all()
    engine.dispose()
    assert outbound.status == "sent"
    descendants = carol.call("GET", f"/api/v1/statuses/{reply['id']}/context")["descendants"]
    (answer,) = [status for status in descendants if status["id"] == outbound.external_id]
    assert answer["account"]["acct"] == "brand"
    assert answer["in_reply_to_id"] == reply["id"]
    assert answer["visibility"] == "public"
    assert "sorry about that! Fixed now." in answer["content"]
    # The mock keeps Idempotency-Keys as Mastodon does: the same key answers the same status.
    again = brand.post(
        "a retry that must not post twice", headers={"Idempotency-Key": outbound.idempotency_key}
    )
    assert again["id"] == answer["id"], (
        "the reply was posted under the outbound row's Idempotency-Key"
    )
