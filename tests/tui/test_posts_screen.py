"""The scheduled posts screen, driven with Pilot: a lead lists, adds, edits, cancels and
resumes posts; paused ones say why, posted ones how they went; an agent only reads."""

from __future__ import annotations

from datetime import timedelta

from inbox.core.config import Config
from inbox.outbox.scheduled import publish_due_posts
from inbox.service import InboxService
from tests.tui.conftest import Held, settled, wait_for
from tui.app import InboxApp
from tui.dialogs.forms import ConfirmForm
from tui.screens.posts import PostForm, PostsScreen


def notes(app: InboxApp) -> list[str]:
    return [str(note.message) for note in app._notifications]


def rows(screen: PostsScreen) -> list[tuple[str, ...]]:
    table = screen.table
    return [
        tuple(str(cell) for cell in table.get_row_at(index)) for index in range(table.row_count)
    ]


async def open_posts(pilot) -> PostsScreen:
    await settled(pilot)
    await pilot.press("P")
    await wait_for(
        pilot,
        lambda: isinstance(pilot.app.screen, PostsScreen) and pilot.app.screen.table.row_count > 0,
    )
    return pilot.app.screen


async def test_paused_posts_show_why_and_a_lead_resumes_them(app, lead, clock):
    lead.schedule_post(1, "Shared albums keep their order now.", clock() + timedelta(minutes=30))
    lead.schedule_post(4, "Weekend tip: turn on auto-backup.", clock() + timedelta(days=1))
    incident, _ = lead.declare_incident("Checkout outage")
    clock.advance(hours=1)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_posts(pilot)
        assert [row[:3] + row[5:] for row in rows(screen)] == [
            ("1", "09:30", "paused", "incident 1: Checkout outage"),
            ("2", "Nov 3 09:00", "paused", "incident 1: Checkout outage"),
        ]
        detail = str(screen.query_one("#post-detail").render())
        assert (
            "Shared albums keep their order now." in detail
            and "Paused: incident 1: Checkout outage" in detail
        )

        await pilot.press("u")
        await wait_for(pilot, lambda: rows(screen)[0][2] == "scheduled")
        assert (
            "Resumed 1 post. 1 past its time goes out with the next send. "
            "An incident is still active: they go out anyway." in notes(app)
        )

        publish_due_posts(lead.engine, clock())
        await wait_for(pilot, lambda: rows(screen)[0][2] == "posted · queued")

        lead.end_incident(incident.id)
        await pilot.press("U")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmForm))
        assert "Resume all 1 paused posts?" in str(app.screen.query_one("#form-problems").render())
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: rows(screen)[1][2] == "scheduled")
        assert [post.status for post in lead.scheduled_posts()] == ["posted", "scheduled"]


async def test_a_lead_adds_edits_and_cancels_a_post(app, lead):
    lead.schedule_post(2, "Our podcast is back on Friday.", lead.clock() + timedelta(hours=5))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_posts(pilot)

        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, PostForm))
        form = app.screen
        form.query_one("#account").value = 4
        form.query_one("#when").value = "yesterday"
        await pilot.pause()
        assert "could not read 'yesterday' as a time" in str(
            form.query_one("#form-problems").render()
        )
        form.query_one("#when").value = "2h"
        await pilot.pause()
        assert str(form.query_one("#form-problems").render()) == "Goes out Mon 2 Nov 11:00."
        form.query_one("#text").text = "word " * 80
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: "Too long for X" in str(form.query_one("#form-problems").render())
        )
        form.query_one("#text").text = "New colours in the shop today!"
        app.service.schedule_post = scheduling = Held(app.service.schedule_post)
        await pilot.press("ctrl+s", "ctrl+s")  # the second while the first is still saving
        scheduling.release()
        await wait_for(
            pilot, lambda: isinstance(app.screen, PostsScreen) and screen.table.row_count == 2
        )
        assert [post.text for post in lead.scheduled_posts()].count(
            "New colours in the shop today!"
        ) == 1
        assert rows(screen)[0][2:5] == (
            "scheduled",
            "X (demo) brand",
            "New colours in the shop today!",
        )
        assert "Post 2 scheduled for Mon 2 Nov 11:00." in notes(app)
        assert screen.selected.id == 1, "the cursor stays on the post it was on"

        await pilot.press("up", "e")
        await wait_for(pilot, lambda: isinstance(app.screen, PostForm))
        app.screen.query_one("#text").text = "New colours in the shop, today only!"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: rows(screen)[0][4] == "New colours in the shop, today only!")

        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmForm))
        await pilot.press("escape")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmForm))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: rows(screen)[0][2] == "cancelled")
        assert [post.status for post in lead.scheduled_posts()] == ["cancelled", "scheduled"]


async def test_an_agent_reads_the_posts_and_is_told_why_they_cannot_change_them(
    sqlite_engine, clock, lead
):
    lead.schedule_post(1, "Shared albums keep their order now.", clock() + timedelta(hours=3))
    app = InboxApp(
        InboxService(sqlite_engine, actor="blake", clock=clock), config=Config(), poll_seconds=0.05
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await open_posts(pilot)
        await pilot.press("a")
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, PostsScreen)
        assert notes(app) == ["blake is an agent; only admin, lead may approve"] * 2
