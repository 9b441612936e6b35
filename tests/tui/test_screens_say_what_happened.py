"""What the inbox and thread screens say is what happened, when it happened (issue 21).

The status line counts the whole view, not the page read; a conversation fetched weeks
after it was written is dated by its messages; the help screen explains every mark the
thread list draws.
"""

from __future__ import annotations

from datetime import timedelta

from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.tui.conftest import settled, wait_for
from tests.tui.workspace import message
from tui.screens.help import HelpScreen
from tui.screens.thread import ThreadScreen
from tui.widgets import labels


async def test_the_status_line_counts_every_thread_in_the_view_not_the_page_read(
    make_app, sqlite_engine, clock
):
    app, _ = make_app(threads=250)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        assert len(screen.thread_list.rows) < 250  # one page is read
        await wait_for(pilot, lambda: "All open: 250 threads" in screen.status_line.plain_text)

        last = screen.thread_list.rows[-1].id
        InboxService(sqlite_engine, actor="alice", clock=clock).close([last])

        await wait_for(pilot, lambda: "All open: 249 threads" in screen.status_line.plain_text)
        await pilot.press("slash", *"refund", "enter")
        await wait_for(pilot, lambda: screen.thread_list.loaded and screen.thread_list.complete)
        found = len(screen.thread_list.rows)
        assert found > 1
        assert f"All open: {found} threads" in screen.status_line.plain_text


async def test_a_conversation_fetched_weeks_late_is_dated_by_its_messages(
    make_app, sqlite_engine, clock
):
    app, workspace = make_app(threads=1)
    written = clock() - timedelta(days=23)
    Store(sqlite_engine, clock).ingest(
        workspace.accounts[0],
        "mentions",
        [
            message("old-1", "old", written, "Is anyone reading these?", author="zoe"),
            message("old-2", "old", written + timedelta(days=5), "Hello?", author="zoe"),
            message("old-3", "old", written + timedelta(days=10), "Still nothing.", author="zoe"),
        ],
        None,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await pilot.press("j", "enter")  # the old conversation is listed last
        await wait_for(pilot, lambda: isinstance(app.screen, ThreadScreen))
        screen = app.screen
        await wait_for(pilot, lambda: "Still nothing." in screen.conversation.plain_text)

        await pilot.press("h")
        await wait_for(pilot, lambda: "arrived" in screen.history.plain_text)
        assert screen.history.plain_text.splitlines()[-1] == (
            "Oct 20 09:00  the first 3 messages arrived, written from Oct 10 09:00,"
            " fetched 09:00 (sync)"
        )

        await pilot.press("i")
        await wait_for(pilot, lambda: "in all" in screen.author_card.plain_text)
        card = screen.author_card.plain_text.splitlines()
        assert card[3:6] == [
            "first wrote Oct 10 09:00 (3w ago)",
            "fetched 09:00",
            "1 thread in all",
        ]


async def test_help_explains_every_mark_the_thread_list_draws(make_app):
    drawn = {
        labels.MARKED,
        labels.UNREAD_MARK,
        labels.MENTIONED,
        *labels.PRESENCE_MARKS.values(),
        *labels.SENTIMENT_MARKS.values(),
        *labels.PRIORITY_MARKS.values(),
    } - {" "}
    explained = {mark for mark, _ in labels.LIST_LEGEND}
    assert drawn <= explained

    app, _ = make_app(threads=3)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table")
        text = "\n".join(strip.text for strip in table.render_lines(table.region.reset_offset))
        assert "Marks in the thread list" in text
        for mark, meaning in labels.LIST_LEGEND:
            line = next(line for line in text.splitlines() if meaning in line)
            assert line.lstrip().startswith(mark)
