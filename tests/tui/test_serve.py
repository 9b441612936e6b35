"""`inbox serve`: the inbox in a browser, each session its own `inbox tui` as its own person.

A real server process on loopback, over a small workspace (tests/tui/workspace.py): plain
HTTP for the refusals, a real headless Chromium (tests/servers/browser.py) for the page
itself. The browser tests keep their screenshots in `test-artifacts/serve/` at the top of
the repository (git-ignored), to look at after a run.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from inbox.cli.main import main
from inbox.core.database import open_engine
from inbox.service import InboxService
from tests.conftest import skip_or_fail
from tests.servers.browser import BrowserUnavailable, TerminalPage, start_browser
from tests.support.header_proxy import HeaderProxy
from tests.support.polling import wait_until
from tests.tui.workspace import add_people, build_workspace
from tui import launcher
from tui.launcher import serve_web

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "serve"
"""Where the browser tests leave their screenshots (git-ignored)."""

HEADER = "X-Forwarded-User"
START_SECONDS = 30.0
STEP_SECONDS = 30.0
REMOVED = "robin"
"""A person who was removed from the inbox: known, and no longer allowed to act."""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """Thirty threads; alice (lead), blake (agent), and robin, removed."""
    path = tmp_path_factory.mktemp("serve") / "inbox.db"
    engine = open_engine(f"sqlite:///{path}")
    build_workspace(engine, datetime.now(UTC), threads=30)
    setup = InboxService(engine)
    add_people(setup)
    setup.add_agent(REMOVED, "Robin Vale", "agent")
    setup.remove_agent(REMOVED)
    engine.dispose()
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningServer:
    """`inbox serve` in a process of its own on 127.0.0.1, stopped by its pid."""

    def __init__(self, database: Path, *arguments: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.output = database.parent / f"serve-{self.port}.log"
        with self.output.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tui.launcher", "--db", str(database), "serve"]
                + ["--port", str(self.port), *arguments],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(self.listening_or_ended, START_SECONDS, "inbox serve to listen")
        if self.process.poll() is not None:
            raise AssertionError(f"inbox serve ended: {self.log()}")

    def listening_or_ended(self) -> bool:
        if self.process.poll() is not None:
            return True
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def log(self) -> str:
        return self.output.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STEP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STEP_SECONDS)


@pytest.fixture
def proxied(workspace) -> Iterator[RunningServer]:
    """The server as it runs behind a reverse proxy: the person comes in X-Forwarded-User."""
    server = RunningServer(workspace, "--user-header", HEADER)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def behind_a_proxy(workspace) -> Iterator[tuple[RunningServer, HeaderProxy]]:
    """The server behind a real reverse proxy that names alice on every request, the
    websocket's included (the browser cannot add a header to that one itself)."""
    port = free_port()
    with HeaderProxy(port, HEADER, "alice") as proxy:
        server = RunningServer(
            workspace, "--user-header", HEADER, "--public-url", proxy.url, port=port
        )
        try:
            yield server, proxy
        finally:
            server.stop()


@pytest.fixture
def browser() -> Iterator[TerminalPage]:
    try:
        page = start_browser()
    except BrowserUnavailable as error:
        skip_or_fail(f"headless Chromium: {error}")
    try:
        yield page
    finally:
        page.close()


# -- who may start a session ----------------------------------------------------------


def test_without_the_header_nothing_starts_and_the_page_says_why(proxied):
    response = httpx.get(proxied.url + "/")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/plain")
    assert "not signed in" in response.text and HEADER in response.text
    assert "<html" not in response.text


@pytest.mark.parametrize(
    ("handle", "status", "said"),
    [
        ("ghost", 403, "no person with the handle 'ghost'"),
        (REMOVED, 403, f"{REMOVED} was removed from the inbox"),
        ("alice@example.com", 403, "names no handle"),
    ],
)
def test_a_header_naming_nobody_who_may_act_is_refused(proxied, handle, status, said):
    response = httpx.get(proxied.url + "/", headers={HEADER: handle})
    assert response.status_code == status
    assert said in response.text


def test_a_header_naming_a_person_gets_the_page(proxied):
    response = httpx.get(proxied.url + "/", headers={HEADER: "alice"})
    assert response.status_code == 200
    assert "<title>Social inbox</title>" in response.text
    assert f'data-session-websocket-url="ws://127.0.0.1:{proxied.port}/ws"' in response.text
    assert "googleapis" not in response.text


def test_another_site_cannot_open_a_session(proxied):
    """A page on another origin, or a name rebound to this machine, gets nothing started."""
    upgrade = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13"}
    upgrade["Sec-WebSocket-Key"] = "dGhlIHNhbXBsZSBub25jZQ=="
    foreign = httpx.get(
        proxied.url + "/ws", headers={**upgrade, HEADER: "alice", "Origin": "http://evil.test"}
    )
    assert foreign.status_code == 403
    assert "not the inbox's own" in foreign.text
    rebound = httpx.get(
        proxied.url + "/", headers={HEADER: "alice", "Host": f"evil.test:{proxied.port}"}
    )
    assert rebound.status_code == 421


async def test_a_websocket_for_nobody_shows_why_on_the_terminal(proxied):
    from aiohttp import ClientSession

    async with ClientSession() as session:
        async with session.ws_connect(
            proxied.url + "/ws",
            headers={HEADER: "ghost", "Origin": proxied.url},
        ) as websocket:
            message = await asyncio.wait_for(websocket.receive(), STEP_SECONDS)
    assert b"no person with the handle 'ghost'" in message.data
    assert b"Reload the page" in message.data


def test_serving_beyond_this_machine_needs_the_proxy_header(workspace, capsys):
    database = str(workspace)
    status = main(
        ["--db", database, "--as", "alice", "serve", "--host", "0.0.0.0"], serve_web=serve_web
    )
    assert status == 2
    error = capsys.readouterr().err
    assert "--user-header" in error and "anyone who reaches it act as alice" in error


def test_serving_needs_to_know_who_it_serves(workspace, capsys):
    assert main(["--db", str(workspace), "serve"], serve_web=serve_web) == 2
    assert "pass --as HANDLE" in capsys.readouterr().err
    assert main(["--db", str(workspace), "--as", "ghost", "serve"], serve_web=serve_web) != 0
    assert "no person with the handle 'ghost'" in capsys.readouterr().err
    both = ["--db", str(workspace), "--as", "alice", "serve", "--user-header", HEADER]
    assert main(both, serve_web=serve_web) == 2
    assert "do not go together" in capsys.readouterr().err


def test_the_terminal_ui_runs_on_pipes_only_under_the_web_driver(monkeypatch):
    monkeypatch.setattr(launcher.sys, "__stdin__", None)
    monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)
    assert launcher._not_a_terminal() == "standard input"
    monkeypatch.setenv("TEXTUAL_DRIVER", "textual.drivers.linux_driver:LinuxDriver")
    assert launcher._not_a_terminal() == "standard input"
    monkeypatch.setenv("TEXTUAL_DRIVER", launcher.WEB_DRIVER)
    assert launcher._not_a_terminal() is None


# -- in a real browser ----------------------------------------------------------------


@pytest.mark.integration
def test_the_inbox_in_a_browser_as_the_proxy_named_person(behind_a_proxy, browser):
    """The page loads, the rows appear, enter opens the thread; screenshots are kept."""
    _, proxy = behind_a_proxy
    browser.open(proxy.url + "/")
    drawn = browser.wait_for("@erin", "the inbox rows", timeout=START_SECONDS)
    assert "alice (lead)" in drawn
    assert "@carol" in drawn and "Love the new dark mode, thank you!" in drawn
    browser.screenshot(ARTIFACTS / "inbox.png")

    browser.forget()
    browser.press("\ue007")  # selenium's Keys.ENTER
    thread = browser.wait_for("Reply on ", "the thread screen with its composer")
    assert "The app crashed again after the update, I lost my whole draft." in thread
    assert "priority normal" in thread
    browser.screenshot(ARTIFACTS / "thread.png")
    assert (ARTIFACTS / "thread.png").stat().st_size > 10_000


@pytest.mark.integration
def test_one_person_on_this_machine_with_as(workspace, browser):
    server = RunningServer(workspace, "--as", "blake")
    try:
        browser.open(server.url + "/")
        drawn = browser.wait_for("blake (agent)", "blake's inbox", timeout=START_SECONDS)
        assert "@carol" in drawn or "Loading threads" in drawn
        browser.screenshot(ARTIFACTS / "as-blake.png")
    finally:
        server.stop()
    assert "serving the inbox on" in server.log() and "as blake, for this machine only" in (
        server.log()
    )


@pytest.mark.integration
def test_a_stopped_server_leaves_no_session_behind(behind_a_proxy, browser):
    server, proxy = behind_a_proxy
    browser.open(proxy.url + "/")
    browser.wait_for("alice (lead)", "alice's inbox", timeout=START_SECONDS)
    children = _children(server.process.pid)
    assert children, "the session's inbox tui runs in a process of its own"
    server.stop()
    wait_until(
        lambda: not any(os.path.exists(f"/proc/{pid}") and _alive(pid) for pid in children),
        STEP_SECONDS,
        "the session's inbox tui to end with the server",
    )


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"
