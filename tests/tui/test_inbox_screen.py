"""The inbox screen driven with Pilot on a real SQLite workspace, checked as a person sees it."""

from __future__ import annotations

from datetime import timedelta

from adapters.base import AccountRef
from inbox.core.database import open_engine
from inbox.core.models import AccountHealth
from inbox.store.ingest import Store
from inbox.triage.lists import ThreadFilter
from tests.tui.conftest import settled, wait_for
from tests.tui.workspace import message
from tui.messages import EventsArrived, ThreadsLoaded
from tui.screens.help import HelpScreen
from tui.screens.inbox import PAGE_SIZE
from tui.screens.thread import ThreadScreen
from tui.widgets.key_bar import KeyBar


def list_line(screen, row_index: int) -> str:
    """The text of a thread's line as drawn (the list must be scrolled to the top)."""
    return screen.thread_list.render_line(row_index + 1).text


async def test_the_list_shows_the_newest_threads_first_with_their_columns(make_app):
    app, _ = make_app(threads=30)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        rows = screen.thread_list.rows
        assert len(rows) == 30
        assert [row.last_activity_at for row in rows] == sorted(
            (row.last_activity_at for row in rows), reverse=True
        )
        header = screen.thread_list.render_line(0).text
        for column in ("platform", "kind", "author", "latest message", "age", "status"):
            assert column in header
        first = list_line(screen, 0)
        assert "mastodon" in first and "demo-" not in first
        assert "mention" in first and "@carol" in first
        assert "The app crashed again after the update" in first
        assert " 1m " in first and first.rstrip().endswith("new")
        assert "●" in first  # unread
        assert " - The app crashed" in first  # negative sentiment
        assert " + Love the new dark mode" in list_line(screen, 1)


async def test_the_header_says_who_you_are_and_which_workspace(make_app):
    app, _ = make_app(threads=3)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        assert app.sub_title == "alice (lead) · inbox.db"
        assert app.screen.status_line.plain_text.startswith("6 accounts · all ok · sync off · live")


async def test_moving_the_cursor_shows_that_threads_messages_in_the_preview(make_app):
    app, _ = make_app(threads=10)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        assert "The app crashed again" in screen.preview.plain_text
        await pilot.press("j", "j")
        await wait_for(pilot, lambda: screen.preview.thread_id == screen.thread_list.rows[2].id)
        shown = screen.preview.plain_text
        assert "@erin" in shown
        assert "How do I change the email on my account?" in shown
        assert "↳ reply" in shown
        assert "Could you send the app version in a DM?" in shown
        assert shown.index("How do I change") < shown.index("Could you send")
        await pilot.press("k")
        await wait_for(pilot, lambda: screen.preview.thread_id == screen.thread_list.rows[1].id)
        assert "Love the new dark mode" in screen.preview.plain_text


async def test_tab_focuses_the_preview_and_escape_returns_to_the_list(make_app):
    app, _ = make_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await pilot.press("tab")
        assert app.focused is app.screen.preview
        await pilot.press("escape")
        assert app.focused is app.screen.thread_list


async def test_clicking_a_key_in_the_key_bar_presses_it(make_app):
    app, _ = make_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        inbox = app.screen
        key_bar = inbox.query_one(KeyBar)
        await pilot.click(KeyBar, offset=(key_bar.plain_text.index("Open"), 0))
        await wait_for(pilot, lambda: isinstance(app.screen, ThreadScreen))
        thread_screen = app.screen
        await wait_for(pilot, lambda: "Back" in thread_screen.query_one(KeyBar).plain_text)
        back = thread_screen.query_one(KeyBar).plain_text.index("Back")
        await pilot.click(KeyBar, offset=(back, 0))
        await wait_for(pilot, lambda: app.screen is inbox)


async def test_hostile_markup_and_escapes_show_literally_and_do_nothing(
    make_app, sqlite_engine, clock
):
    app, workspace = make_app(threads=3)
    hostile = "[bold red]x[/] [@click=app.quit]hi[/] \x1b[31mred\x1b[0m \u202eevil\x07"
    Store(sqlite_engine, clock).ingest(
        workspace.accounts[0],
        "mentions",
        [
            message(
                "evil-1", "evil", clock() - timedelta(seconds=5), hostile, author="[b]mallory[/b]"
            )
        ],
        None,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        line = list_line(screen, 0)
        assert "@[b]mallory[/b]" in line
        assert "[bold red]x[/] [@click=app.quit]hi" in line
        shown = screen.preview.plain_text
        assert "[bold red]x[/] [@click=app.quit]hi[/] red evil" in shown
        assert not any(character in shown + line for character in "\x1b\u202e\x07")
        await pilot.click("#preview-body", offset=(12, 1))
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_a_message_ingested_elsewhere_appears_and_the_selection_stays(
    make_app, sqlite_url, clock
):
    app, workspace = make_app(threads=10)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        await pilot.press("j", "j", "j")
        selected = screen.thread_list.selected
        await wait_for(pilot, lambda: screen.preview.thread_id == selected.id)

        other_process = open_engine(sqlite_url)
        try:
            account = workspace.accounts[1]
            Store(other_process, clock).ingest(
                AccountRef(id=account.id, platform=account.platform, handle=account.handle),
                "mentions",
                [
                    message(
                        "late-1",
                        "late",
                        clock(),
                        "Is anyone there? Checkout is broken",
                        author="zed",
                    )
                ],
                None,
            )
        finally:
            other_process.dispose()

        def arrived() -> bool:
            """the new thread at the top of the list"""
            return screen.thread_list.rows[0].author == "@zed"

        await wait_for(pilot, arrived)
        assert len(screen.thread_list.rows) == 11
        assert screen.thread_list.selected.id == selected.id
        assert screen.thread_list.cursor_index == 4
        assert screen.preview.thread_id == selected.id
        assert "Is anyone there? Checkout is broken" in list_line(screen, 0)


async def test_new_replies_to_the_selected_thread_refresh_its_preview(
    make_app, sqlite_engine, clock
):
    app, workspace = make_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        selected = screen.thread_list.selected
        Store(sqlite_engine, clock).ingest(
            workspace.accounts[0],
            "mentions",
            [message("m0-followup", "thread-0", clock(), "Hello? Anyone?", author="carol")],
            None,
        )
        await wait_for(pilot, lambda: "Hello? Anyone?" in screen.preview.plain_text)
        assert screen.thread_list.selected.id == selected.id


async def test_moving_past_the_first_page_loads_the_next(make_app, sqlite_engine, clock):
    app, _ = make_app(threads=250)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        assert len(screen.thread_list.rows) == PAGE_SIZE
        # a page is read, but the status line counts the whole view
        await wait_for(pilot, lambda: "All open: 250 threads" in screen.status_line.plain_text)
        for _ in range(6):
            await pilot.press("pagedown")
        await wait_for(pilot, lambda: len(screen.thread_list.rows) == 2 * PAGE_SIZE)
        await pilot.press("end")
        await wait_for(pilot, lambda: screen.thread_list.complete)
        await pilot.press("end")
        rows = screen.thread_list.rows
        assert len(rows) == 250 == len({row.id for row in rows})
        everything = app.service.list_threads(ThreadFilter(), limit=1_000)
        assert [row.id for row in rows] == [row.id for row in everything]
        assert screen.thread_list.cursor_index == 249
        await wait_for(pilot, lambda: screen.preview.thread_id == rows[-1].id)
        assert "All open: 250 threads" in screen.status_line.plain_text


async def test_search_lists_matching_threads_and_escape_brings_the_inbox_back(make_app):
    app, _ = make_app(threads=30)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        await pilot.press("slash")
        assert app.focused.id == "search"
        await pilot.press(*"refund", "enter")
        await wait_for(pilot, lambda: screen.query_shown.search_text and screen.thread_list.loaded)
        rows = screen.thread_list.rows
        assert len(rows) == 3
        assert all("refund" in row.preview for row in rows)
        assert "All open: 3 threads" in screen.status_line.plain_text
        assert "search: refund" in screen.view_bar.plain_text
        assert app.focused is screen.thread_list
        await pilot.press("escape")
        await wait_for(
            pilot, lambda: not screen.query_shown.search_text and len(screen.thread_list.rows) == 30
        )


async def test_a_search_without_matches_says_so(make_app):
    app, _ = make_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        await pilot.press("slash", *"xylophone", "enter")
        await wait_for(pilot, lambda: screen.query_shown.search_text and screen.thread_list.loaded)
        assert screen.thread_list.rows == []
        assert "No messages match" in list_line(screen, 0)
        assert screen.preview.plain_text == "No thread selected."


async def test_an_empty_inbox_says_so(make_app):
    app, _ = make_app(threads=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        assert "No open threads" in list_line(app.screen, 0)


async def test_refresh_shows_a_changed_account_health(make_app, sqlite_engine, clock):
    app, workspace = make_app(threads=3, poll_seconds=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        Store(sqlite_engine, clock).record_health(
            workspace.accounts[2].id, AccountHealth.AUTH_EXPIRED, "token refused"
        )
        await pilot.press("r")
        await wait_for(pilot, lambda: "1 needs login" in app.screen.status_line.plain_text)


async def test_a_failing_account_shows_up_live(make_app, sqlite_engine, clock):
    app, workspace = make_app(threads=3)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        Store(sqlite_engine, clock).record_health(
            workspace.accounts[0].id, AccountHealth.FAILING, "HTTP 503"
        )
        await wait_for(pilot, lambda: "6 accounts · 1 failing" in app.screen.status_line.plain_text)


async def test_help_lists_every_binding_and_closes(make_app):
    app, _ = make_app(threads=3)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table")
        text = "\n".join(strip.text for strip in table.render_lines(table.region.reset_offset))
        for words in (
            "Find threads by words",
            "Reload the thread list",
            "Leave the inbox",
            "Move to the next thread",
        ):
            assert words in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_the_keymap_in_the_config_moves_a_binding(make_app):
    app, _ = make_app(threads=5, keymap={"cursor-down": "n"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        thread_list = app.screen.thread_list
        await pilot.press("j")
        assert thread_list.cursor_index == 0
        await pilot.press("n")
        assert thread_list.cursor_index == 1


async def test_q_quits(make_app):
    app, _ = make_app(threads=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_a_flood_of_events_refreshes_the_list_once_per_poll(make_app, sqlite_engine, clock):
    app, workspace = make_app(threads=5, poll_seconds=3600)
    received = []
    async with app.run_test(size=(120, 40), message_hook=received.append) as pilot:
        await settled(pilot)
        screen = app.screen
        store = Store(sqlite_engine, clock)
        for number in range(40):
            store.ingest(
                workspace.accounts[number % 6],
                "mentions",
                [message(f"flood-{number}", f"flood-{number}", clock(), f"outage report {number}")],
                None,
            )
        received.clear()
        baseline = app.last_event_id
        await app.poll_events(app._follower).wait()
        await wait_for(pilot, lambda: len(screen.thread_list.rows) == 45)
        await app.workers.wait_for_complete()
        await pilot.pause()
        arrived = [seen for seen in received if isinstance(seen, EventsArrived)]
        loaded = [seen for seen in received if isinstance(seen, ThreadsLoaded)]
        assert len(arrived) == 1
        assert arrived[0].count == len(app.service.events_after(baseline, limit=1_000)) >= 40
        assert len(loaded) == 1


async def test_new_threads_do_not_move_the_line_under_the_eye_when_scrolled(
    make_app, sqlite_engine, clock
):
    app, workspace = make_app(threads=80)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        thread_list = app.screen.thread_list
        await pilot.press("pagedown", "pagedown", "j", "j")
        selected = thread_list.selected
        line_on_screen = thread_list.cursor_index - round(thread_list.scroll_y)
        assert thread_list.scroll_y > 0
        Store(sqlite_engine, clock).ingest(
            workspace.accounts[0],
            "mentions",
            [message(f"new-{n}", f"new-{n}", clock(), f"new {n}") for n in range(3)],
            None,
        )
        await wait_for(pilot, lambda: len(thread_list.rows) == 83)
        assert thread_list.selected.id == selected.id
        assert thread_list.cursor_index - round(thread_list.scroll_y) == line_on_screen
