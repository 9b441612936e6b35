"""Snapshots of the inbox screen on a fixed clock and fixed data, wide and at 80x24.

Update them after an intended change with `pytest tests/tui --snapshot-update`, and look
at the report before committing.
"""

from __future__ import annotations

import pytest

from tests.tui.conftest import settled, wait_for


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_the_inbox_screen(snap_compare, make_app, size):
    app, _ = make_app(threads=40, poll_seconds=60)

    async def on_a_thread_with_a_reply(pilot) -> None:
        await settled(pilot)
        await pilot.press("j", "j")
        screen = pilot.app.screen
        await wait_for(pilot, lambda: screen.preview.thread_id == screen.thread_list.rows[2].id)

    assert snap_compare(app, terminal_size=size, run_before=on_a_thread_with_a_reply)


def test_the_help_screen(snap_compare, make_app):
    app, _ = make_app(threads=5, poll_seconds=60)

    async def open_help(pilot) -> None:
        await settled(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=open_help)


def test_the_inbox_screen_on_a_light_theme(snap_compare, make_app):
    app, _ = make_app(threads=40, poll_seconds=60)

    async def in_light(pilot) -> None:
        pilot.app.theme = "textual-light"
        await settled(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=in_light)


def test_the_stats_screen(snap_compare, make_app, clock):
    app, _ = make_app(threads=40, poll_seconds=60)
    clock.advance(hours=3)

    async def on_the_stats(pilot) -> None:
        await settled(pilot)
        await pilot.press("s")
        screen = pilot.app.screen
        await wait_for(pilot, lambda: getattr(screen, "stats", None) is not None)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=on_the_stats)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_the_thread_screen(snap_compare, make_app, sqlite_engine, clock, size):
    from pathlib import Path

    from inbox.service import InboxService
    from tui.screens.thread import ThreadScreen

    app, _ = make_app(threads=40, poll_seconds=60)
    service = InboxService(sqlite_engine, actor="alice", clock=clock)
    service.import_canned(Path(__file__).parents[2] / "canned_responses" / "starter")
    thread_id = service.list_threads(limit=3)[2].id
    service.queue_reply(thread_id, "We have passed this on to the team; expect an update today.")

    async def on_a_thread_with_a_draft(pilot) -> None:
        await settled(pilot)
        await pilot.press("j", "j", "enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ThreadScreen))
        screen = pilot.app.screen
        await wait_for(
            pilot, lambda: screen.channel is not None and "queued" in screen.conversation.plain_text
        )
        screen.composer.reply_area.cursor_blink = False  # a blinking cursor is not stable
        await pilot.press("r", *"Thanks Erin, the email is under Settings")
        await wait_for(pilot, lambda: "already have a reply" in screen.composer.problems_text)

    assert snap_compare(app, terminal_size=size, run_before=on_a_thread_with_a_draft)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
@pytest.mark.parametrize("pane", ["author", "history"])
def test_the_thread_screen_with_a_side_pane(
    snap_compare, make_app, sqlite_engine, clock, size, pane
):
    """A triaged thread with a note and a colleague replying; the author card or history open."""
    from inbox.service import InboxService
    from tui.screens.thread import ThreadScreen

    app, _ = make_app(threads=40, poll_seconds=60)
    alice = InboxService(sqlite_engine, actor="alice", clock=clock)
    thread_id = alice.list_threads(limit=3)[2].id
    alice.tag([thread_id], add=["account", "email"])
    alice.assign([thread_id], "blake")
    clock.advance(minutes=4)
    alice.add_note(thread_id, "@blake she wrote twice about this; check the old address first.")
    blake = InboxService(sqlite_engine, actor="blake", clock=clock)
    blake.set_presence(thread_id, "replying")

    async def with_the_pane_open(pilot) -> None:
        await settled(pilot)
        await pilot.press("j", "j", "enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ThreadScreen))
        screen = pilot.app.screen
        await wait_for(
            pilot,
            lambda: (
                "internal note" in screen.conversation.plain_text and screen.presence_text != ""
            ),
        )
        await pilot.press("i" if pane == "author" else "h")
        shown = screen.author_card if pane == "author" else screen.history
        await wait_for(pilot, lambda: "Reading" not in shown.plain_text and shown.plain_text != "")

    assert snap_compare(app, terminal_size=size, run_before=with_the_pane_open)


def test_the_accounts_screen(snap_compare, make_app, sqlite_engine, clock):
    from datetime import timedelta

    from inbox.core.config import Config
    from inbox.core.models import AccountHealth
    from inbox.service import InboxService
    from inbox.store.ingest import Store
    from tui.app import InboxApp

    _, workspace = make_app(threads=12, poll_seconds=60)
    InboxService(sqlite_engine, clock=clock).add_agent("sam", "Sam Admin", "admin")
    Store(sqlite_engine, clock).record_failure(
        workspace.accounts[2].id,
        "mentions",
        "the platform refused the credentials; log in again (401 Unauthorized)",
        clock() + timedelta(days=1),
        AccountHealth.AUTH_EXPIRED,
    )
    service = InboxService(sqlite_engine, actor="sam", clock=clock)
    app = InboxApp(service, config=Config(), sync=False, poll_seconds=60)

    async def on_the_accounts(pilot) -> None:
        await settled(pilot)
        await pilot.press("C")
        await wait_for(pilot, lambda: bool(getattr(pilot.app.screen, "accounts", None)))
        await pilot.press("down", "down")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 30), run_before=on_the_accounts)


def test_the_listening_rules_screen(snap_compare, make_app, sqlite_engine, clock):
    from inbox.crisis.listening import evaluate_rules
    from inbox.service import InboxService

    app, _ = make_app(threads=12, poll_seconds=60)
    lead = InboxService(sqlite_engine, actor="alice", clock=clock)
    lead.add_listening_rule("Service down", "keyword", {"keywords": "down, outage"})
    surge = lead.add_listening_rule("Surge", "volume_spike", {"window_minutes": 15})
    evaluate_rules(sqlite_engine, clock(), run_commands=False)
    lead.edit_listening_rule(surge, enabled=False, version=lead.listening_rule(surge).version)

    async def on_the_rules(pilot) -> None:
        await settled(pilot)
        await pilot.press("L")
        await wait_for(pilot, lambda: getattr(pilot.app.screen, "loaded", False))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 30), run_before=on_the_rules)
