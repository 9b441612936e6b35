"""The thread screen and its composer, driven with Pilot on a real SQLite workspace."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from inbox.service import InboxService
from inbox.store import Store
from tests.tui.conftest import settled, wait_for
from tests.tui.workspace import message
from tui.screens.answer_picker import AnswerPicker
from tui.screens.inbox import InboxScreen
from tui.screens.thread import ThreadScreen

STARTER_ANSWERS = Path(__file__).parents[2] / "canned_responses" / "starter"

X_ROW = 3
"""The list row of a thread on the X demo account (280 weighted characters)."""


@pytest.fixture
def make_thread_app(make_app, sqlite_engine, clock):
    """An app on the standard workspace with the starter prepared answers imported."""

    def make(threads: int = 10, **options):
        app, workspace = make_app(threads, **options)
        InboxService(sqlite_engine, actor="alice", clock=clock).import_canned(STARTER_ANSWERS)
        return app, workspace

    return make


async def open_thread(pilot, row_index: int = 0) -> ThreadScreen:
    """Move to a row of the list, press enter, and wait until the thread screen is ready."""
    await settled(pilot)
    for _ in range(row_index):
        await pilot.press("j")
    await pilot.press("enter")
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, ThreadScreen))
    screen = app.screen

    def ready() -> bool:
        """the conversation and the channel's rules"""
        return screen.channel is not None and "Loading" not in screen.conversation.plain_text

    await wait_for(pilot, ready)
    return screen


async def test_enter_opens_the_whole_conversation_and_escape_keeps_the_selection(make_thread_app):
    app, _ = make_thread_app(threads=10)
    async with app.run_test(size=(120, 40)) as pilot:
        inbox = app.screen
        screen = await open_thread(pilot, 2)
        shown = screen.conversation.plain_text
        assert "@erin" in shown
        assert "How do I change the email on my account?" in shown
        assert "Could you send the app version in a DM?" in shown
        assert shown.index("How do I change") < shown.index("Could you send")
        assert "@erin" in str(screen.query_one("#thread-title").render())
        assert app.focused is screen.composer.reply_area
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is inbox)
        assert isinstance(app.screen, InboxScreen)
        assert inbox.thread_list.cursor_index == 2
        assert app.focused is inbox.thread_list


async def test_the_counter_follows_the_channel_rule_and_turns_into_a_problem(make_thread_app):
    app, _ = make_thread_app(threads=10)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, X_ROW)
        composer = screen.composer
        assert screen.channel.rule == "x_weighted" and screen.channel.limit == 280
        assert composer.counter_text.startswith("0/280 weighted characters")
        await pilot.press("h", "i")
        assert composer.counter_text.startswith("2/280")
        composer.reply_area.insert("日本" * 69)  # CJK weighs two each: 2 + 276 = 278
        await pilot.pause()
        assert composer.counter_text.startswith("278/280")
        await pilot.press("!", "!", "!")
        assert composer.counter_text == "281/280 weighted characters · 1 too many"
        assert composer.query_one("#counter").has_class("-over")
        await wait_for(pilot, lambda: "Too long for X (demo) by 1" in composer.problems_text)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Checking" not in composer.problems_text)
        assert "Too long for X (demo) by 1" in composer.problems_text
        assert InboxService(app.service.engine, actor="alice").outbound_for_thread(
            screen.thread.id
        ) == []


async def test_slash_opens_the_picker_with_suggestions_and_enter_inserts_the_filled_answer(
    make_thread_app,
):
    app, _ = make_thread_app(threads=10)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 3)  # "Still waiting for a refund, it's been two weeks"
        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(app.screen, AnswerPicker))
        picker = app.screen
        await wait_for(pilot, lambda: picker.answer_ids != [])
        suggested = [
            match.answer.id for match in app.service.suggest_canned(screen.thread.id, limit=10)
        ]
        assert picker.answer_ids == suggested
        assert screen.composer.text == ""  # the slash opened the picker instead of being typed
        await pilot.press(*"apolog")
        apology = app.service.canned_response("apology")
        await wait_for(pilot, lambda: picker.query_shown == "apolog" and picker.answer_ids[:1] == [apology.id])
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.composer.text != "")
        expected = app.service.preview_reply(screen.thread.id, None, apology.id).rendered.text
        assert screen.composer.text == expected
        assert "{" not in expected or screen.composer.problems_text
        assert screen.canned_response_id == apology.id
        assert app.focused is screen.composer.reply_area


async def test_ctrl_o_opens_the_picker_and_escape_closes_it(make_thread_app):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, AnswerPicker))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert screen.composer.text == ""


async def test_ctrl_s_queues_the_reply_and_the_conversation_shows_it_queued(make_thread_app):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        await pilot.press(*"Sorry about that, we are on it.")
        await wait_for(pilot, lambda: "Ready to send" in screen.composer.problems_text)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "reply from alice · queued" in screen.conversation.plain_text)
        rows = app.service.outbound_for_thread(screen.thread.id)
        assert [(row.status, row.text) for row in rows] == [
            ("queued", "Sorry about that, we are on it.")
        ]
        assert screen.composer.text == ""
        assert "Reply queued" in screen.composer.problems_text


async def test_sending_after_someone_else_answered_asks_first(
    make_thread_app, sqlite_engine, clock
):
    app, workspace = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        Store(sqlite_engine, clock).ingest(
            workspace.accounts[0],
            "mentions",
            [
                message(
                    "other-1",
                    "thread-0",
                    clock() + timedelta(seconds=1),
                    "Looking into it now.",
                    author="brand",
                    direction="out",
                )
            ],
            None,
        )
        await wait_for(pilot, lambda: "Looking into it now." in screen.conversation.plain_text)
        await pilot.press(*"Me too")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "ctrl+s again" in screen.composer.problems_text)
        assert "changed since you opened it" in screen.composer.problems_text
        assert app.service.outbound_for_thread(screen.thread.id) == []
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(app.service.outbound_for_thread(screen.thread.id)) == 1)


async def test_a_reply_another_agent_is_sending_is_refused_with_the_reason(
    make_thread_app, sqlite_engine, clock
):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        InboxService(sqlite_engine, actor="blake", clock=clock).queue_reply(
            screen.thread.id, "Looking into it now."
        )
        await wait_for(
            pilot, lambda: "reply from blake · queued" in screen.conversation.plain_text
        )
        await pilot.press(*"Me too")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "blake is already answering" in screen.composer.problems_text)
        assert len(app.service.outbound_for_thread(screen.thread.id)) == 1


async def test_a_reply_sent_by_another_process_appears_live(make_thread_app, sqlite_engine, clock):
    app, workspace = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        await pilot.press(*"draft in progress")
        thread_key = "thread-0"
        Store(sqlite_engine, clock).ingest(
            workspace.accounts[0],
            "mentions",
            [
                message(
                    "other-1",
                    thread_key,
                    clock() + timedelta(seconds=1),
                    "Answered from the other terminal",
                    author="brand",
                    direction="out",
                ),
                message(
                    "in-2", thread_key, clock() + timedelta(seconds=2), "And another thing…"
                ),
            ],
            None,
        )
        await wait_for(pilot, lambda: "And another thing…" in screen.conversation.plain_text)
        shown = screen.conversation.plain_text
        assert shown.index("Answered from the other terminal") < shown.index("And another thing")
        assert screen.composer.text == "draft in progress"


async def test_hostile_markup_in_a_message_shows_literally(make_thread_app, sqlite_engine, clock):
    app, workspace = make_thread_app(threads=3)
    hostile = "[bold red]x[/] [@click=app.quit]hi[/] \x1b[31mred\x1b[0m \u202eevil\x07"
    Store(sqlite_engine, clock).ingest(
        workspace.accounts[0],
        "mentions",
        [message("evil-1", "evil", clock() - timedelta(seconds=5), hostile, author="[b]m[/b]")],
        None,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        shown = screen.conversation.plain_text
        assert "@[b]m[/b]" in shown
        assert "[bold red]x[/] [@click=app.quit]hi[/] red evil" in shown
        assert "[b]m[/b]" in str(screen.query_one("#thread-title").render())
        assert not any(character in shown for character in "\x1b\u202e\x07")
        await pilot.click("#conversation-body", offset=(8, 1))
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_a_draft_is_kept_when_leaving_the_thread(make_thread_app):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 1)
        await pilot.press(*"half a thought")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ThreadScreen))
        assert app.screen is not screen
        assert app.screen.composer.text == "half a thought"
