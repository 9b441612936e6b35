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
from tui.screens.thread import ThreadScreen
from tui.widgets.time_chart import NO_DATA, TimeChart, bar_rows, column_values


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
        assert {row[0] for row in cell_texts(screen, "channels")} >= {
            "Mastodon (demo)",
            "Bluesky (demo)",
        }
        assert "Last 7 days" in str(screen.query_one("#stats-period").render())


async def test_the_charts_show_their_scale_and_time_range(make_app, clock):
    app, _ = make_app(threads=30)
    clock.advance(hours=3)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_stats(pilot)
        volume = screen.query_one("#volume-chart", TimeChart)
        stats = screen.stats
        busiest = max(bucket.inbound for bucket in stats.hourly)

        lines = volume.plain_text.splitlines()
        assert lines[0] == "Messages in per hour"
        assert lines[1].split()[0] == str(busiest), "the top of the value axis"
        assert lines[-1].split()[:2] == ["0", "└" + f"{stats.hourly[0].start:%b}"]
        assert lines[-1].endswith(f"{stats.hourly[-1].start:%b %d %H:00} UTC")
        first_response = screen.query_one("#first-response-chart", TimeChart).plain_text
        assert "3m 00s ┤" in first_response, "6 threads answered in 3 minutes"


async def test_an_empty_inbox_has_empty_charts_that_say_so(make_app):
    app, _ = make_app(threads=0)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_stats(pilot)
        for chart in screen.query(TimeChart):
            assert chart.plain_text.splitlines()[1] == NO_DATA
            assert "█" not in chart.plain_text

        def period() -> str:
            return str(screen.query_one("#stats-period").render())

        await pilot.press("p")
        await wait_for(pilot, lambda: period().startswith("Last 30 days: "))
        await pilot.press("p")
        await wait_for(pilot, lambda: period().startswith("Last 1 day: "))


async def test_enter_on_a_breach_opens_that_thread_and_back_the_inbox_is_on_it(make_app, clock):
    app, _ = make_app(threads=30)
    clock.advance(hours=3)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_stats(pilot)
        inbox = app.screen_stack[-2]
        table = screen.query_one("#breaches")
        await pilot.press("down")
        wanted = int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        assert inbox.thread_list.selected.id != wanted
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ThreadScreen))
        assert app.screen.thread.id == wanted
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is inbox)
        await wait_for(pilot, lambda: inbox.thread_list.selected.id == wanted)


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


def test_the_bars_start_at_zero_so_half_the_peak_is_half_as_tall():
    assert bar_rows(column_values([5, 10], 2), 10, 2) == [" █", "██"]
    assert bar_rows(column_values([1, 100], 2), 100, 1) == ["▁█"], "a small value still shows"
    assert column_values([3, 1], 6) == [3, 3, None, 1, 1, None], "few values drawn wide"
