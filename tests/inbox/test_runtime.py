"""inbox.runtime: the workers it builds keep the credential an adapter refreshed in the keyring.

X rotates its refresh token at every refresh: a sender that refreshes and forgets leaves
the keyring with a token X no longer accepts, and the next process cannot log in. The
fake X (tests/adapters/harness_x.py) refuses the old refresh token once it rotated.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from adapters.base import Kind
from inbox.cli.main import main
from inbox.core.credentials import CredentialStore
from inbox.core.database import open_engine
from inbox.runtime import build_sender
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.adapters.harness_x import CREDENTIAL, FakeX
from tests.support.items import add_account, item

EXPIRED = {**CREDENTIAL, "expires_at": "2000-01-01T00:00:00+00:00"}
"""The keyring's X credential, its access token long expired: the first call refreshes it."""


def add_x_thread(engine, api_base: str, clock=None) -> int:
    """An X account talking to `api_base`, and one mention on it; returns the thread id."""
    fake = FakeX()
    account = add_account(
        engine, "x", "@BrandCare", api_base=api_base, user_id=fake.data["brand_id"]
    )
    store = Store(engine, clock) if clock is not None else Store(engine)
    report = store.ingest(
        account, "mentions", [item("1900000000000000100", "t-1", kind=Kind.MENTION)], None
    )
    return report.thread_ids[0]


async def test_a_send_that_refreshed_the_token_keeps_the_rotated_one(engine, clock):
    keyring = CredentialStore()
    keyring.set("x", "@BrandCare", EXPIRED)
    InboxService(engine, clock=clock).add_agent("alex", "Alex Kim", "agent")
    thread_id = add_x_thread(engine, "https://api.x.com", clock)
    InboxService(engine, actor="alex", clock=clock).queue_reply(thread_id, "We are on it.", None)
    server = FakeX()

    sender = build_sender(engine, keyring, clock=clock)
    async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as client:
        summary = await sender.send_once(client)

    assert [result.status for result in summary.results] == ["sent"]
    assert server.refresh_token == "x-refresh-2", "the send refreshed the access token"
    kept = keyring.get("x", "@BrandCare")
    assert kept is not None
    assert (kept["refresh_token"], kept["access_token"]) == ("x-refresh-2", "x-access-2")


class ServedFakeX:
    """The fake X API on a real port of 127.0.0.1, for the `inbox` command's own client."""

    def __init__(self, fake: FakeX) -> None:
        self.fake = fake
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        served = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = httpx.Request(
                    self.command,
                    served.url + self.path,
                    headers=dict(self.headers.items()),
                    content=self.rfile.read(length),
                )
                response = served.fake(request)
                response.read()
                self.send_response(response.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(response.content)))
                self.end_headers()
                self.wfile.write(response.content)

            do_GET = do_POST = _answer

        return Handler

    def __enter__(self) -> ServedFakeX:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def served_x() -> Iterator[ServedFakeX]:
    with ServedFakeX(FakeX()) as served:
        yield served


def test_outbox_run_keeps_the_rotated_refresh_token_in_the_keyring(capsys, tmp_path, served_x):
    path = str(tmp_path / "inbox.db")
    assert main(["--db", path, "agents", "add", "root", "--role", "admin"]) == 0
    assert main(["--db", path, "--as", "root", "agents", "add", "alex"]) == 0
    engine = open_engine(f"sqlite:///{path}")
    thread_id = add_x_thread(engine, served_x.url)
    engine.dispose()
    CredentialStore().set("x", "@BrandCare", EXPIRED)
    assert main(["--db", path, "--as", "alex", "reply", str(thread_id), "We are on it."]) == 0
    capsys.readouterr()

    status = main(["--db", path, "--as", "alex", "outbox", "run"])

    out = capsys.readouterr().out
    assert status == 0 and out.strip() == "1 sent, 0 failed, 0 unknown, 0 to retry"
    posted = [r for r in served_x.fake.requests if r.url.path == "/2/tweets"]
    assert len(posted) == 1 and posted[0].headers["Authorization"] == "Bearer x-access-2"
    kept = CredentialStore().get("x", "@BrandCare")
    assert kept is not None and kept["refresh_token"] == "x-refresh-2", (
        "the refresh token X rotated during the send is in the keyring"
    )
