"""ctrl+z in the list and the thread: the latest close, snooze, priority, tag or assignment put
back exactly, for a few seconds after it; and the thread numbers the list shows for the CLI.

Each test drives the real app with Pilot on a real SQLite workspace and checks what the
person sees (notifications, the list, the thread's title line) and what the database holds.
"""

from __future__ import annotations

from inbox.service import InboxService
from tests.tui.conftest import settled, wait_for
from tests.tui.test_thread_screen import open_thread, title
from tui.app import UNDO_SECONDS
from tui.dialogs.pickers import AssignPicker, PriorityPicker, SnoozePicker, TagPrompt
from tui.screens.inbox import InboxScreen


def notifications(app) -> list[str]:
    return [notification.message for notification in app._notifications]


async def notified(pilot, text: str) -> None:
    def shown() -> bool:
        return any(text in note for note in notifications(pilot.app))

    shown.__doc__ = f"a notification saying {text!r}"
    await wait_for(pilot, shown)


def state(app, thread_id: int) -> tuple[object, ...]:
    """What undo restores, as the database holds it."""
    row = app.service.thread(thread_id)
    return (row.status, row.snoozed_until, row.priority, row.tags, row.assignee)


async def test_the_list_shows_each_threads_number_for_the_cli(make_app):
    app, _ = make_app(threads=12)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        thread_list = app.screen.thread_list
        assert thread_list.render_line(0).text.split()[0] == "#"
        for index, row in enumerate(thread_list.rows[:5]):
            assert f"#{row.id} " in thread_list.render_line(index + 1).text


async def test_closing_from_the_list_is_undone_with_ctrl_z(make_app):
    app, _ = make_app(threads=10)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        thread_list = app.screen.thread_list
        closed = thread_list.selected.id
        before = state(app, closed)

        await pilot.press("c")
        await notified(pilot, f"Closed the thread. Undo #{closed} with ctrl+z.")
        await wait_for(pilot, lambda: closed not in [row.id for row in thread_list.rows])

        await pilot.press("ctrl+z")
        await notified(pilot, "Undid the change to the thread.")
        await wait_for(pilot, lambda: closed in [row.id for row in thread_list.rows])
        assert state(app, closed) == before
        history = [entry.text for entry in app.service.history(closed)]
        assert "alice undid closing it" in history

        await pilot.press("ctrl+z")
        await notified(pilot, "Nothing to undo")
        assert app.service.thread(closed).status == before[0], "one ctrl+z, one undo"


async def test_closing_marked_threads_names_them_and_undoes_all(make_app):
    app, _ = make_app(threads=10)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        marked = [row.id for row in app.screen.thread_list.rows[:2]]

        await pilot.press("space", "space", "c")
        await notified(pilot, f"Closed 2 threads. Undo #{marked[0]} and #{marked[1]} with ctrl+z.")
        await pilot.press("ctrl+z")
        await notified(pilot, "Undid the change to 2 threads.")
        assert {app.service.thread(thread_id).status for thread_id in marked} != {"closed"}


async def test_after_the_few_seconds_ctrl_z_undoes_nothing(make_app, clock):
    app, _ = make_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        closed = app.screen.thread_list.selected.id
        await pilot.press("c")
        await notified(pilot, "Undo")

        clock.advance(seconds=UNDO_SECONDS + 1)
        await pilot.press("ctrl+z")

        await notified(pilot, "Nothing to undo: ctrl+z undoes a close, snooze, priority, tag")
        assert app.service.thread(closed).status == "closed"


async def test_undo_is_refused_when_someone_changed_the_thread_since(
    make_app, sqlite_engine, clock
):
    app, _ = make_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        closed = app.screen.thread_list.selected.id
        await pilot.press("c")
        await notified(pilot, "Undo")
        InboxService(sqlite_engine, actor="blake", clock=clock).tag([closed], add=["billing"])

        await pilot.press("ctrl+z")

        await notified(
            pilot,
            "Not undone: it changed since (blake tagged it billing); nothing was put back.",
        )
        assert app.service.thread(closed).status == "closed"


async def test_each_change_in_the_thread_screen_is_undone_exactly(make_app):
    app, _ = make_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        thread_id = screen.thread.id
        before = state(app, thread_id)
        shown_before = title(screen)

        for key, picker, answer in (
            ("t", TagPrompt, ["v", "i", "p", "enter"]),
            ("p", PriorityPicker, ["up", "enter"]),
            ("z", SnoozePicker, ["enter"]),
            ("a", AssignPicker, ["b", "l", "enter"]),
            ("c", None, []),
        ):
            await pilot.press(key)
            if picker is not None:
                await wait_for(pilot, lambda picker=picker: isinstance(app.screen, picker))
                await pilot.press(*answer)
            await notified(pilot, f"Undo #{thread_id} with ctrl+z.")
            await wait_for(pilot, lambda: state(app, thread_id) != before)
            app._notifications.clear()

            await pilot.press("ctrl+z")

            await notified(pilot, "Undid the change to the thread.")
            assert state(app, thread_id) == before, key
            await wait_for(pilot, lambda: title(screen) == shown_before)
            app._notifications.clear()


async def test_a_change_in_the_thread_is_undone_back_in_the_list(make_app):
    app, _ = make_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        thread_id = screen.thread.id
        await pilot.press("c")
        await notified(pilot, f"Undo #{thread_id} with ctrl+z.")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        inbox = app.screen

        await pilot.press("ctrl+z")

        await wait_for(pilot, lambda: thread_id in [row.id for row in inbox.thread_list.rows])
        assert app.service.thread(thread_id).status != "closed"


async def test_the_keymap_moves_undo_and_the_notice_says_so(make_app):
    app, _ = make_app(threads=5, keymap={"undo": "ctrl+u"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        closed = app.screen.thread_list.selected.id
        await pilot.press("c")
        await notified(pilot, f"Undo #{closed} with ctrl+u.")
        await pilot.press("ctrl+u")
        await notified(pilot, "Undid the change to the thread.")
        assert app.service.thread(closed).status != "closed"
