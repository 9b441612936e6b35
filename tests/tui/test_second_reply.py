"""One reply to a thread on its way at a time, in the thread screen, driven by Pilot.

A second reply while the person's first is still on its way asks in a dialog (no keeps the
draft, yes sends it); a colleague's reply that got in first refuses with their name.
"""

from __future__ import annotations

import asyncio

from inbox.service import InboxService
from tests.tui.conftest import Held, settled, wait_for
from tui.dialogs.forms import ConfirmForm
from tui.screens.thread import ThreadScreen

ALREADY_REPLYING = "You already have a reply on its way to this thread"


async def open_first_thread(pilot) -> ThreadScreen:
    """Open the first thread of the list and wait until its reply can be written."""
    await settled(pilot)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ThreadScreen))
    screen = pilot.app.screen
    await wait_for(pilot, lambda: screen.channel is not None)
    return screen


async def write_reply(pilot, screen: ThreadScreen, text: str, *, shows: str) -> None:
    """Write `text` in the composer and wait for its checks to show `shows`."""
    await pilot.press("r", *text)
    await wait_for(pilot, lambda: shows in screen.composer.problems_text)


def replies(app, screen: ThreadScreen) -> list[tuple[str | None, str]]:
    """The thread's outgoing replies: who wrote each, and what."""
    return [(row.author, row.text) for row in app.service.outbound_for_thread(screen.thread.id)]


def dialog_question(app) -> str:
    return str(app.screen.query_one("#form-problems").render())


async def test_a_second_reply_asks_first_no_keeps_the_draft_and_yes_sends_it(make_app):
    app, _ = make_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_first_thread(pilot)
        await write_reply(pilot, screen, "On it", shows="Ready to send")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Reply queued" in screen.composer.problems_text)

        await write_reply(pilot, screen, "One more thing", shows=ALREADY_REPLYING)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmForm))
        assert ALREADY_REPLYING in dialog_question(app)
        assert dialog_question(app).endswith("Send this one as well?")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert replies(app, screen) == [("alice", "On it")]
        assert screen.composer.text == "One more thing"
        assert ALREADY_REPLYING in screen.composer.problems_text

        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmForm))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(replies(app, screen)) == 2)
        assert replies(app, screen) == [("alice", "On it"), ("alice", "One more thing")]
        await wait_for(pilot, lambda: "Reply queued" in screen.composer.problems_text)
        assert screen.composer.text == ""


async def test_a_reply_that_went_in_from_another_terminal_meanwhile_asks_first(
    make_app, sqlite_engine, clock
):
    app, _ = make_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_first_thread(pilot)
        await write_reply(pilot, screen, "On it", shows="Ready to send")
        app.service.queue_reply = queueing = Held(app.service.queue_reply)
        await pilot.press("ctrl+s")
        assert await asyncio.to_thread(queueing.entered.wait, 5)
        elsewhere = InboxService(sqlite_engine, actor="alice", clock=clock)
        elsewhere.queue_reply(screen.thread.id, "From my other terminal")
        queueing.release()

        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmForm))
        assert replies(app, screen) == [("alice", "From my other terminal")]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(replies(app, screen)) == 2)
        assert replies(app, screen)[1] == ("alice", "On it")


async def test_a_colleagues_reply_that_got_in_first_is_named_and_nothing_asks(
    make_app, sqlite_engine, clock
):
    app, _ = make_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_first_thread(pilot)
        await write_reply(pilot, screen, "On it", shows="Ready to send")
        app.service.queue_reply = queueing = Held(app.service.queue_reply)
        await pilot.press("ctrl+s")
        assert await asyncio.to_thread(queueing.entered.wait, 5)
        blake = InboxService(sqlite_engine, actor="blake", clock=clock)
        blake.queue_reply(screen.thread.id, "Blake here, looking now.")
        queueing.release()

        await wait_for(pilot, lambda: "blake is already answering" in screen.composer.problems_text)
        assert app.screen is screen
        assert replies(app, screen) == [("blake", "Blake here, looking now.")]
        assert screen.composer.text == "On it"
