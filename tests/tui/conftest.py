"""Fixtures for driving the real app with Pilot on a real SQLite workspace."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from textual.worker import WorkerCancelled

from inbox.core.config import Config
from inbox.core.database import open_engine
from inbox.service import InboxService
from tests.tui.workspace import Workspace, add_people, build_workspace
from tui.app import InboxApp


@pytest.fixture(autouse=True)
def utc_local_time(monkeypatch) -> Iterator[None]:
    """Show local times as UTC, so snapshots match on every machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def sqlite_engine(sqlite_url) -> Iterator[Engine]:
    engine = open_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def make_app(sqlite_engine, clock) -> Callable[..., tuple[InboxApp, Workspace]]:
    """Build a workspace of `threads` threads and an app on it, acting as alice (lead)."""

    def make(
        threads: int = 30, *, keymap: dict[str, str] | None = None, poll_seconds: float = 0.05
    ):
        workspace = build_workspace(sqlite_engine, clock(), threads)
        add_people(InboxService(sqlite_engine, clock=clock))
        service = InboxService(sqlite_engine, actor="alice", clock=clock)
        app = InboxApp(
            service, config=Config(keymap=keymap or {}), sync=False, poll_seconds=poll_seconds
        )
        return app, workspace

    return make


@pytest.fixture
def app(make_app) -> InboxApp:
    """The app on a fresh workspace, acting as alice (lead)."""
    app, _ = make_app()
    return app


@pytest.fixture
def lead(app, sqlite_engine, clock) -> InboxService:
    """alice, the lead, in another terminal: what she does there reaches the app as events."""
    return InboxService(sqlite_engine, actor="alice", clock=clock)


async def wait_for(pilot, condition: Callable[[], bool], *, seconds: float = 5.0) -> None:
    """Let the app run until `condition()` holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"gave up after {seconds}s waiting for {condition.__doc__ or condition}"
            )
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            pass  # a newer exclusive worker replaced it, as the app meant; keep waiting
        await pilot.pause()


async def settled(pilot) -> None:
    """Wait until the list, the preview and the accounts are on screen."""
    screen = pilot.app.screen

    def loaded() -> bool:
        """the first page, the preview and the account summary"""
        thread_list = screen.thread_list
        selected = thread_list.selected
        return (
            thread_list.loaded
            and (selected is None or screen.preview.thread_id == selected.id)
            and "accounts ·" in screen.status_line.plain_text
        )

    await wait_for(pilot, loaded)


class Held:
    """A call kept waiting until `release()`: a write held in flight, with no sleeping.

    Put in place of a service method (`service.x = held = Held(service.x)`), it lets a
    test press a key twice while the first write is still running, or leave a screen
    while its write is. `entered` and `returned` say where the call is.
    """

    def __init__(self, call: Callable[..., Any]) -> None:
        self.call = call
        self.entered = threading.Event()
        self.released = threading.Event()
        self.returned = threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.entered.set()
        try:
            if not self.released.wait(timeout=10):
                raise AssertionError("the held call was never released")
            return self.call(*args, **kwargs)
        finally:
            self.returned.set()

    def release(self) -> None:
        self.released.set()
