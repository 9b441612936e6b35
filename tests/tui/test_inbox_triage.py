"""Triage from the inbox screen: views, filters, sort, marks, actions on many threads, presence.

Each test drives the real app with Pilot on a real SQLite workspace and checks what a
person would see (the list, the view bar, notifications) and what the database holds.
"""

from __future__ import annotations

from inbox.core.config import Config
from inbox.service import InboxService
from inbox.store.ingest import Store
from inbox.triage.lists import Sort, ThreadFilter, View
from tests.tui.conftest import settled, wait_for
from tests.tui.test_inbox_screen import list_line
from tests.tui.workspace import add_people, build_workspace, message
from tui.app import InboxApp
from tui.dialogs.bulk_reply import BulkReplyScreen
from tui.dialogs.filters import FilterScreen


def notifications(app) -> list[str]:
    return [notification.message for notification in app._notifications]


async def test_number_keys_switch_views_and_the_view_bar_says_which(make_app):
    app, _ = make_app(threads=30)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        service = app.service
        service.assign([screen.thread_list.rows[0].id], "alice")
        service.close([screen.thread_list.rows[1].id])
        await pilot.press("1")
        await wait_for(
            pilot, lambda: screen.query_shown.view == View.MINE and screen.thread_list.loaded
        )
        assert [row.assignee for row in screen.thread_list.rows] == ["alice"]
        assert "Mine: 1 thread" in screen.status_line.plain_text
        await pilot.press("9")
        await wait_for(
            pilot, lambda: screen.query_shown.view == View.CLOSED and screen.thread_list.loaded
        )
        assert [row.status for row in screen.thread_list.rows] == ["closed"]
        await pilot.press("5")
        await wait_for(
            pilot, lambda: screen.query_shown.view == View.DMS and screen.thread_list.loaded
        )
        assert {row.kind for row in screen.thread_list.rows} == {"dm"}
        assert "5 DMs" in screen.view_bar.plain_text
        assert "Closed" in screen.view_bar.plain_text


async def test_a_narrow_terminal_shows_only_the_current_view(make_app):
    app, _ = make_app(threads=5)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        bar = app.screen.view_bar.plain_text
        assert "All open" in bar and "v views" in bar
        assert "Unassigned" not in bar


async def test_the_filter_form_narrows_the_list_to_a_platform(make_app):
    app, _ = make_app(threads=30)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        await pilot.press("f")
        form = app.screen
        assert isinstance(form, FilterScreen)
        await wait_for(pilot, lambda: form.query_one("#filter-platforms").option_count == 6)
        await pilot.press(
            "down", "down", "down", "down", "space", "ctrl+s"
        )  # the fifth platform: x
        await wait_for(
            pilot, lambda: screen.query_shown.platforms == {"demo-x"} and screen.thread_list.loaded
        )
        rows = screen.thread_list.rows
        assert rows and {row.platform for row in rows} == {"demo-x"}
        assert "platform: x" in screen.view_bar.plain_text
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FilterScreen))
        await pilot.press("ctrl+l")
        await wait_for(
            pilot, lambda: not screen.query_shown.platforms and len(screen.thread_list.rows) == 30
        )


async def test_an_empty_filtered_list_says_how_to_change_it(make_app):
    app, _ = make_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        screen._show_query(ThreadFilter(tag="nothing-has-this"))
        await wait_for(pilot, lambda: screen.query_shown.tag and screen.thread_list.loaded)
        assert screen.thread_list.rows == []
        assert screen.thread_list._notice() == "No threads match these filters; f changes them."


async def test_the_sort_picker_orders_the_list_by_sla_due_time(make_app):
    app, _ = make_app(threads=20)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        await pilot.press("o")
        await pilot.press(*"SLA due", "enter")
        await wait_for(
            pilot, lambda: screen.query_shown.sort == Sort.DUE and screen.thread_list.loaded
        )
        due = [row.due_at for row in screen.thread_list.rows if row.due_at is not None]
        assert due == sorted(due)
        assert "sorted SLA due first" in screen.view_bar.plain_text


async def test_space_and_shift_mark_threads_and_escape_unmarks_them(make_app):
    app, _ = make_app(threads=10)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        thread_list = screen.thread_list
        rows = thread_list.rows
        await pilot.press("space")
        assert thread_list.marked_ids == [rows[0].id]
        assert thread_list.cursor_index == 1
        await pilot.press("shift+down", "shift+down")
        assert thread_list.marked_ids == [rows[0].id, rows[1].id, rows[2].id, rows[3].id]
        await pilot.pause()
        assert "4 marked" in screen.view_bar.plain_text
        await pilot.press("escape")
        assert thread_list.marked_ids == []
        await pilot.pause()
        assert "marked" not in screen.view_bar.plain_text


async def test_closing_marked_threads_closes_every_one_of_them(make_app):
    app, _ = make_app(threads=10)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        marked = [row.id for row in screen.thread_list.rows[:3]]
        await pilot.press("space", "space", "space", "c")
        await wait_for(pilot, lambda: len(screen.thread_list.rows) == 7)
        assert {app.service.thread(thread_id).status for thread_id in marked} == {"closed"}
        assert screen.thread_list.marked_ids == []
        assert any("Closed 3 threads" in text for text in notifications(app))


async def test_one_message_to_marked_threads_names_those_it_does_not_fit(make_app):
    app, _ = make_app(threads=12)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        rows = screen.thread_list.rows[:4]
        assert [row.platform for row in rows] == [
            "demo-mastodon",
            "demo-bluesky",
            "demo-reddit",
            "demo-x",
        ]
        await pilot.press("space", "space", "space", "space", "m")
        form = app.screen
        assert isinstance(form, BulkReplyScreen)
        form.text_area.text = (
            "We are sorry about the outage and we are on it. " * 7
        ).strip()  # 342 characters
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Fits" in str(form.summary.render()))
        summary = str(form.summary.render())
        assert "Fits 2 of 4 threads" in summary
        assert "Bluesky" in summary and "X" in summary
        assert (
            app.service.outbound_for_thread(rows[0].id) == []
        )  # nothing sent before the second yes
        await pilot.press("ctrl+s", "ctrl+s", "ctrl+s")  # an impatient person queues it once
        await wait_for(pilot, lambda: app.screen is screen)
        assert [len(app.service.outbound_for_thread(row.id)) for row in rows] == [1, 0, 1, 0]
        assert any("Queued to 2 threads" in text for text in notifications(app))


async def test_a_colleague_viewing_a_thread_shows_in_the_list_and_the_preview(
    make_app, sqlite_engine, clock
):
    app, _ = make_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        selected = screen.thread_list.selected
        InboxService(sqlite_engine, actor="blake", clock=clock).set_presence(
            selected.id, "replying"
        )
        await wait_for(pilot, lambda: "blake is replying" in str(screen.preview.border_subtitle))
        assert list_line(screen, screen.thread_list.cursor_index)[3] == "✎"


async def test_a_supervisor_is_told_why_they_cannot_close_a_thread(sqlite_engine, clock):
    build_workspace(sqlite_engine, clock(), 3)
    setup = InboxService(sqlite_engine, clock=clock)
    add_people(setup)
    setup.add_agent("sam", "Sam Reyes", "supervisor")
    app = InboxApp(
        InboxService(sqlite_engine, actor="sam", clock=clock), config=Config(), poll_seconds=0.05
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        inbox = app.screen
        selected = inbox.thread_list.selected
        await pilot.press("c")
        await wait_for(pilot, lambda: any("supervisor" in text for text in notifications(app)))
        assert app.service.thread(selected.id).status != "closed"
        await pilot.press("t")  # no tag prompt opens for a choice that would be refused
        await pilot.pause()
        assert app.screen is inbox
        assert sum("supervisors read threads" in text for text in notifications(app)) == 2


async def test_the_command_palette_offers_the_inbox_actions_by_name(make_app):
    app, _ = make_app(threads=3)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        await pilot.press("ctrl+p", *"views: breaching")
        await wait_for(
            pilot,
            lambda: (
                "inbox views: Breaching"
                in str(app.screen.query_one("CommandList").get_option_at_index(0).prompt)
            ),
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.query_shown.view == View.BREACHING)


async def test_a_note_mentioning_you_puts_the_thread_in_your_mentions_view(
    make_app, sqlite_engine, clock
):
    app, _ = make_app(threads=9)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        comment = next(row for row in screen.thread_list.rows if row.kind == "comment")
        InboxService(sqlite_engine, actor="blake", clock=clock).add_note(
            comment.id, "@alice can you check the refund policy here?"
        )
        await pilot.press("4")
        await wait_for(
            pilot, lambda: screen.query_shown.view == View.MENTIONS and screen.thread_list.loaded
        )
        rows = screen.thread_list.rows
        assert comment.id in [row.id for row in rows]
        assert {row.kind for row in rows if row.id != comment.id} <= {"mention"}
        line = list_line(screen, [row.id for row in rows].index(comment.id))
        assert line[1:4] == " ●@"  # not marked, unread, mentions you


async def test_a_thread_read_on_its_screen_loses_its_unread_mark_in_the_list(make_app):
    app, _ = make_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        assert list_line(screen, 0)[2] == "●"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is not screen)
        await wait_for(pilot, lambda: not app.service.thread(screen.thread_list.rows[0].id).unread)
        await pilot.press("escape")
        await wait_for(
            pilot, lambda: app.screen is screen and not screen.thread_list.rows[0].unread
        )
        assert list_line(screen, 0)[2] == " "


async def test_names_with_markup_show_literally_in_the_filter_form(sqlite_engine, clock):
    build_workspace(sqlite_engine, clock(), 3)
    setup = InboxService(sqlite_engine, clock=clock)
    add_people(setup)
    setup.add_agent("ops", "Blake [/] [@click=app.quit]Ops[/]", "agent")
    app = InboxApp(
        InboxService(sqlite_engine, actor="alice", clock=clock), config=Config(), poll_seconds=0.05
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await pilot.press("f")
        form = app.screen
        assert isinstance(form, FilterScreen)
        assignee = form.query_one("#filter-assignee")
        await wait_for(pilot, lambda: len(assignee._options) > 3)
        labels = [str(prompt) for prompt, _ in assignee._options]
        assert "ops (Blake [/] [@click=app.quit]Ops[/])" in labels
        await pilot.click("#filter-assignee")
        await pilot.pause()
        assert app.is_running


async def test_a_range_of_marks_starts_from_the_thread_marked_even_after_new_threads_arrive(
    make_app, sqlite_engine, clock
):
    app, workspace = make_app(threads=10)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        thread_list = screen.thread_list
        first, second, third = thread_list.rows[:3]
        await pilot.press("space")  # marks the first thread; the cursor moves to the second
        Store(sqlite_engine, clock).ingest(
            workspace.accounts[1],
            "mentions",
            [message("late-1", "late", clock(), "Anyone?", author="zed")],
            None,
        )
        await wait_for(pilot, lambda: thread_list.rows[0].author == "@zed")
        await pilot.press("shift+down")
        assert thread_list.marked_ids == [first.id, second.id, third.id]
