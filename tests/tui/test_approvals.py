"""The approvals screen, driven with Pilot: a lead sees what waits (the status line counts it,
a toast says so), reads it with the message it answers, and approves, rejects with a reason
or edits then approves it, all from keys; the author is told each time."""

from __future__ import annotations

import pytest

from inbox.service import InboxService
from tests.tui.conftest import settled, wait_for
from tui.app import InboxApp
from tui.dialogs.approval import EditApprovalForm, RejectForm
from tui.screens.approvals import ApprovalsScreen


def notes(app: InboxApp) -> list[str]:
    return [str(note.message) for note in app._notifications]


def rows(screen: ApprovalsScreen) -> list[tuple[str, ...]]:
    table = screen.table
    return [
        tuple(str(cell) for cell in table.get_row_at(index)) for index in range(table.row_count)
    ]


def problem_line(app: InboxApp) -> str:
    return str(app.screen.query_one("#form-problems").render())


@pytest.fixture
def waiting_reply(app, lead, sqlite_engine, clock) -> tuple[InboxService, int, int]:
    """During an incident that needs approval, blake (an agent, in another terminal) answers
    thread 2, carol's; his reply waits for a lead."""
    lead.declare_incident("Checkout outage", requires_approval=True)
    blake = InboxService(sqlite_engine, actor="blake", clock=clock)
    row = blake.queue_reply(2, "Thanks Carol, we're on it.")
    assert row.status == "awaiting_approval"
    return blake, row.id, row.thread_id


async def open_approvals(pilot) -> ApprovalsScreen:
    await settled(pilot)
    await pilot.press("V")
    await wait_for(
        pilot,
        lambda: isinstance(pilot.app.screen, ApprovalsScreen) and pilot.app.screen.table.row_count,
    )
    return pilot.app.screen


async def test_a_lead_sees_the_waiting_reply_counted_and_approves_it(app, waiting_reply):
    blake, outbound_id, thread_id = waiting_reply
    async with app.run_test(size=(140, 40)) as pilot:
        await settled(pilot)
        inbox = app.screen
        await wait_for(pilot, lambda: "1 to approve · 1 for you" in inbox.status_line.plain_text)
        assert "1 notification for you: F lists them until you read them." in notes(app)

        screen = await open_approvals(pilot)
        assert rows(screen) == [
            (
                str(outbound_id),
                "now",
                "blake",
                "reply",
                f"thread {thread_id}, @carol on mastodon",
                "crisis mode requires approval",
                "Thanks Carol, we're on it.",
            )
        ]
        detail = str(screen.query_one("#approval-detail").render())
        assert "@carol wrote: The checkout page keeps timing out on mobile" in detail
        assert "Reply on Mastodon (demo):\nThanks Carol, we're on it." in detail
        assert "Waits because: crisis mode requires approval" in detail

        await pilot.press("a")
        await wait_for(pilot, lambda: screen.table.row_count == 0)
        assert "Approved blake's reply on thread 2 (Mastodon (demo)); it is on its way." in notes(
            app
        )
        assert screen.table.border_subtitle == "nothing waits for approval"
        assert blake.outbound(outbound_id).status == "queued"
        assert [notice.text for notice in blake.notifications()] == [
            "alice approved your reply on thread 2; it is on its way"
        ]

        await pilot.press("escape")
        await wait_for(pilot, lambda: "to approve" not in inbox.status_line.plain_text)
        assert "for you" not in inbox.status_line.plain_text, (
            "opening the approvals read the notice that one was waiting"
        )


async def test_rejecting_asks_why_and_the_author_reads_it(app, waiting_reply):
    blake, outbound_id, _ = waiting_reply
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_approvals(pilot)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, RejectForm))
        await pilot.press("ctrl+s")
        assert problem_line(app) == "Say why: its author reads the reason."
        assert blake.outbound(outbound_id).status == "awaiting_approval"

        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert blake.outbound(outbound_id).status == "awaiting_approval"

        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, RejectForm))
        await pilot.press(*"Ask for the order number first", "enter")
        await wait_for(pilot, lambda: app.screen is screen and screen.table.row_count == 0)
        assert (
            "Rejected blake's reply on thread 2 (Mastodon (demo)); its author is told why."
            in notes(app)
        )
        row = blake.outbound(outbound_id)
        assert (row.status, row.review_note) == ("rejected", "Ask for the order number first")
        assert [notice.text for notice in blake.notifications()] == [
            "alice rejected your reply on thread 2: “Ask for the order number first”"
        ]


async def test_an_edit_is_checked_like_any_reply_before_it_is_approved(app, waiting_reply):
    blake, outbound_id, _ = waiting_reply
    async with app.run_test(size=(140, 40)) as pilot:
        await open_approvals(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditApprovalForm))
        form = app.screen
        assert form.query_one("#text").text == "Thanks Carol, we're on it."

        form.query_one("#text").text = "word " * 120
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Too long for Mastodon (demo)" in problem_line(app))
        form.query_one("#text").text = "Status: {incident.status_url}"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "{incident.status_url} has no value" in problem_line(app))
        assert blake.outbound(outbound_id).status == "awaiting_approval"
        assert app.screen is form, "the form stays open with the text kept"

        form.query_one("#text").text = "Sorry {author.name|there}, a fix is rolling out now."
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalsScreen))
        assert "Approved blake's reply on thread 2 (Mastodon (demo)) with your edit." in notes(app)
        row = blake.outbound(outbound_id)
        assert (row.status, row.rendered_text) == (
            "queued",
            "Sorry Carol, a fix is rolling out now.",
        )
        assert [notice.text for notice in blake.notifications()] == [
            "alice approved your reply on thread 2 with edits; it is on its way"
        ]


async def test_a_colleagues_decision_takes_the_reply_off_the_list(
    app, waiting_reply, sqlite_engine, clock
):
    _, outbound_id, _ = waiting_reply
    InboxService(sqlite_engine, clock=clock).add_agent("dana", "Dana Ruiz", "lead")
    dana = InboxService(sqlite_engine, actor="dana", clock=clock)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_approvals(pilot)
        dana.approve(outbound_id)
        await wait_for(pilot, lambda: screen.table.row_count == 0)


async def test_the_palette_finds_approvals_and_agents_are_told_they_are_for_leads(
    make_app, sqlite_engine, clock
):
    app, _ = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await settled(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"approv")
        await wait_for(
            pilot,
            lambda: (
                "for you: Approvals"
                in str(app.screen.query_one("CommandList").get_option_at_index(0).prompt)
            ),
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalsScreen))
        assert app.screen.table.border_subtitle == "nothing waits for approval"

    agent_app = InboxApp(InboxService(sqlite_engine, actor="blake", clock=clock))
    async with agent_app.run_test(size=(140, 40)) as pilot:
        await settled(pilot)
        await pilot.press("V")
        await wait_for(
            pilot, lambda: any("for leads and admins" in note for note in notes(agent_app))
        )
        assert not isinstance(agent_app.screen, ApprovalsScreen)
