"""The SLA warning on the inbox screen: counts in the status line, a notice per thread, a jump key.

The workspace's messages all arrive before 09:00 on Monday 2026-11-02, when the default
business hours open, so its unanswered DMs (60 business minutes) are due at 10:00 and
its mentions and comments (240) at 13:00. The clock starts at 09:00.
"""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.base import Kind
from inbox.store.ingest import Store
from tests.tui.conftest import settled, wait_for
from tests.tui.workspace import message


def sla_notices(app) -> list[str]:
    return [
        str(note.message)
        for note in app._notifications
        if note.title == "SLA" and note.severity == "warning"
    ]


async def test_time_passing_brings_threads_into_the_warning_once(make_app, clock):
    app, _ = make_app(threads=10)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        await wait_for(pilot, lambda: screen._warned_thread_ids is not None)
        assert "due within" not in screen.status_line.plain_text
        assert "overdue" not in screen.status_line.plain_text
        selected = screen.thread_list.selected
        await pilot.press("d")
        assert screen.thread_list.selected == selected

        clock.advance(minutes=50)
        screen.load_due_soon()  # what the once-a-minute timer calls
        await wait_for(pilot, lambda: "2 due within 15 min" in screen.status_line.plain_text)
        assert screen.status_line.plain_text.startswith("2 due within 15 min · 6 accounts")
        assert sorted(sla_notices(app)) == [
            "@heidi's DM on youtube is due in 10 min.",
            "@mallory's DM on reddit is due in 10 min.",
        ]

        previous_reading = screen.due_threads
        screen.load_due_soon()
        await wait_for(pilot, lambda: screen.due_threads is not previous_reading)
        assert len(sla_notices(app)) == 2

        clock.advance(minutes=15)
        screen.load_due_soon()
        await wait_for(pilot, lambda: "2 overdue" in screen.status_line.plain_text)
        assert "due within" not in screen.status_line.plain_text
        assert len(sla_notices(app)) == 2


async def test_a_thread_arriving_inside_the_window_is_announced_and_counted(
    make_app, sqlite_engine, clock
):
    app, workspace = make_app(threads=10)
    clock.advance(minutes=50)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        await wait_for(pilot, lambda: "2 due within 15 min" in screen.status_line.plain_text)
        assert sla_notices(app) == []  # what was due before the inbox opened is only counted

        hostile_author = "[b]zoe[/b]\x1b[31m"
        Store(sqlite_engine, clock).ingest(
            workspace.accounts[0],
            "direct",
            [
                message(
                    "late-dm",
                    "late-dm",
                    datetime(2026, 11, 2, 8, 55, tzinfo=UTC),
                    "Where is my order?",
                    author=hostile_author,
                    kind=Kind.DM,
                )
            ],
            None,
        )
        await wait_for(pilot, lambda: "3 due within 15 min" in screen.status_line.plain_text)
        assert sla_notices(app) == ["@[b]zoe[/b]'s DM on mastodon is due in 10 min."]


async def test_d_jumps_to_the_most_urgent_thread_even_when_not_loaded(
    make_app, sqlite_engine, clock
):
    app, workspace = make_app(threads=120)
    friday = datetime(2026, 10, 30, 16, 30, tzinfo=UTC)  # due 09:30 Monday
    Store(sqlite_engine, lambda: friday).ingest(
        workspace.accounts[1],
        "direct",
        [message("friday-dm", "friday-dm", friday, "Anyone there?", author="zed", kind=Kind.DM)],
        None,
    )
    clock.advance(minutes=50)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        await wait_for(pilot, lambda: "1 overdue" in screen.status_line.plain_text)
        assert "due within 15 min · 1 overdue" in screen.status_line.plain_text
        friday_id = screen.due_threads[0].id
        assert screen.due_threads[0].author == "@zed"
        assert friday_id not in {row.id for row in screen.thread_list.rows}

        await pilot.press("d")
        await wait_for(
            pilot,
            lambda: (
                screen.thread_list.selected is not None
                and screen.thread_list.selected.id == friday_id
                and screen.preview.thread_id == friday_id
            ),
        )
        assert "Anyone there?" in screen.preview.plain_text
        assert app.focused is screen.thread_list


def test_the_summary_marks_the_truncated_count_as_a_lower_bound():
    from tui.widgets.status_line import due_summary

    def words(*args, **kwargs) -> list[str]:
        return [text for text, _ in due_summary(*args, within_minutes=15, **kwargs)]

    assert words(0, 0) == []
    assert words(2, 1) == ["2 due within 15 min", "1 overdue"]
    assert words(3, 47, more=True) == ["3+ due within 15 min", "47 overdue"]
    assert words(0, 50, more=True) == ["50+ overdue"]
