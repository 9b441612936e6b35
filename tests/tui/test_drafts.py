"""Reply drafts outlive the app: typed, quit, opened again (another app, same database).

Pilot drives two real apps one after the other on one SQLite workspace, as a person would
quit a terminal and open another; the database is read through the service, as a
colleague's terminal would read it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from inbox.core.config import Config
from inbox.service import InboxService
from tests.tui.conftest import Held, settled, wait_for
from tui.app import InboxApp
from tui.screens.thread import ThreadScreen

DRAFT = "Thanks Erin we are on it"


@pytest.fixture
def new_app(sqlite_engine, clock) -> Callable[[], InboxApp]:
    """Another app on the same database, as alice (lead) would open it in a new terminal."""

    def open_app() -> InboxApp:
        service = InboxService(sqlite_engine, actor="alice", clock=clock)
        return InboxApp(service, config=Config(), sync=False, poll_seconds=0.05)

    return open_app


async def open_thread(pilot, row_index: int) -> ThreadScreen:
    """Move to a row of the list, press enter, and wait until the thread can be answered."""
    await settled(pilot)
    for _ in range(row_index):
        await pilot.press("j")
    await pilot.press("enter")
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, ThreadScreen))
    screen = app.screen
    await wait_for(pilot, lambda: screen.channel is not None and not screen.draft_unread)
    return screen


def typed(text: str) -> list[str]:
    """The keys that type `text`."""
    return ["space" if character == " " else character for character in text]


async def test_a_draft_typed_then_quit_comes_back_in_a_new_app_and_goes_once_sent(
    app, new_app, lead
):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 2)
        thread_id = screen.thread.id
        await pilot.press("r", *typed(DRAFT))
        assert screen.composer.text == DRAFT
        await pilot.press("ctrl+q")  # at once: before the pause that keeps it

    assert lead.draft(thread_id) == DRAFT

    again = new_app()
    async with again.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 2)
        assert screen.thread.id == thread_id
        assert screen.composer.text == DRAFT
        assert again.focused is screen.composer.reply_area

        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Reply queued" in screen.composer.problems_text)
        assert screen.composer.text == ""
        assert [row.text for row in lead.outbound_for_thread(thread_id)] == [DRAFT]
        assert lead.draft(thread_id) is None
        await pilot.press("escape", "escape")

    last = new_app()
    async with last.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 2)
        assert screen.composer.text == ""


async def test_a_pause_in_typing_keeps_the_draft_while_the_app_runs(app, lead):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 1)
        thread_id = screen.thread.id
        await pilot.press("r", *typed("Checking"))

        def kept() -> bool:
            """the draft in the database, as another terminal reads it"""
            return lead.draft(thread_id) == "Checking"

        await wait_for(pilot, kept)

        await pilot.press(*["backspace"] * len("Checking"))
        await wait_for(pilot, lambda: lead.draft(thread_id) is None)


async def test_leaving_the_thread_keeps_the_draft_and_another_app_shows_it(app, new_app, lead):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        thread_id = screen.thread.id
        await pilot.press("r", *typed("One moment"), "escape", "escape")
        await wait_for(pilot, lambda: lead.draft(thread_id) == "One moment")

    other = new_app()
    async with other.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        assert screen.composer.text == "One moment"


async def test_leaving_before_the_thread_is_read_keeps_the_draft_from_another_terminal(app, lead):
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        inbox = app.screen
        thread_id = inbox.thread_list.rows[0].id
        lead.save_draft(thread_id, "Written in the other terminal")
        app.service.draft = held = Held(app.service.draft)

        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ThreadScreen))
        await wait_for(pilot, held.entered.is_set)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is inbox)
        held.release()
        await wait_for(pilot, held.returned.is_set)

    assert lead.draft(thread_id) == "Written in the other terminal"
