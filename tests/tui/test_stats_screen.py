"""The stats screen driven with Pilot: what a lead sees, live updates, opening a breach.

The workspace's 30 threads arrive between 05:30 and 09:00 on Monday 2026-11-02; with the
clock moved to 12:00, the unanswered DMs have waited three business hours, past their
one-hour target, while mentions and comments are still inside their four.
"""

from __future__ import annotations

from datetime import timedelta

from inbox.core.config import Config
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.tui.conftest import settled, wait_for
from tests.tui.workspace import message
from tui.app import InboxApp
from tui.screens.inbox import InboxScreen
from tui.screens.stats import StatsScreen


async def open_stats(pilot) -> StatsScreen:
    await settled(pilot)
    await pilot.press("s")
    screen = pilot.app.screen
    assert isinstance(screen, StatsScreen)

    def loaded() -> bool:
        """the stats on screen"""
        return screen.stats is not None

    await wait_for(pilot, loaded)
    return screen


def cell_texts(screen: StatsScreen, table_id: str) -> list[list[str]]:
    table = screen.query_one(f"#{table_id}")
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


async def test_a_lead_sees_tiles_tables_and_the_dms_past_their_target(make_app, clock):
    app, _ = make_app(threads=30)
    clock.advance(hours=3)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_stats(pilot)

        def tile(name: str) -> str:
            return str(screen.query_one(f"#tile-{name}").render())

        # 6 of the 30 threads were answered, each 3 minutes after it began
        assert tile("first-p50") == "3m 00s"
        assert tile("backlog").startswith("24 ")
        breaches = cell_texts(screen, "breaches")
        assert breaches and all(row[2] == "dm" for row in breaches)
        assert {row[0] for row in cell_texts(screen, "channels")} >= {"mastodon", "bluesky"}
        assert "Last 7 days" in str(screen.query_one("#stats-period").render())


async def test_enter_on_a_breach_selects_that_thread_in_the_inbox(make_app, clock):
    app, _ = make_app(threads=30)
    clock.advance(hours=3)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_stats(pilot)
        table = screen.query_one("#breaches")
        await pilot.press("down")
        wanted = int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        await pilot.press("enter")
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)
        await wait_for(
            pilot,
            lambda: (
                inbox.thread_list.selected is not None and inbox.thread_list.selected.id == wanted
            ),
        )


async def test_new_messages_update_the_numbers_live(make_app, clock, sqlite_engine):
    app, workspace = make_app(threads=10)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_stats(pilot)
        before = screen.stats.figures.inbound
        Store(sqlite_engine, clock).ingest(
            workspace.accounts[0],
            "mentions",
            [message("late-1", "late", clock() - timedelta(seconds=5), "Anyone there?")],
            None,
        )

        def counted() -> bool:
            """the new message in the numbers"""
            return screen.stats.figures.inbound == before + 1

        await wait_for(pilot, counted)


async def test_p_cycles_the_period(make_app):
    app, _ = make_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_stats(pilot)
        await pilot.press("p")
        await wait_for(
            pilot,
            lambda: screen.stats.period.until - screen.stats.period.since == timedelta(days=30),
        )
        assert "Last 30 days" in str(screen.query_one("#stats-period").render())
        await pilot.press("escape")
        assert isinstance(app.screen, InboxScreen)


async def test_an_agent_is_told_the_screen_is_for_leads(make_app, sqlite_engine, clock):
    make_app(threads=3)
    service = InboxService(sqlite_engine, actor="blake", clock=clock)
    app = InboxApp(service, config=Config(), sync=False, poll_seconds=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, InboxScreen)
        assert any("for leads and supervisors" in str(note.message) for note in app._notifications)
