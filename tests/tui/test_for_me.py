"""Notifications in the TUI, driven with Pilot: an agent is told (a toast, once; the bell if
they asked for it) when a thread is assigned to them, a colleague @mentions them, or their
reply is approved, rejected or fails; For me lists what they were told until they read it."""

from __future__ import annotations

import pytest

from inbox.core.config import Config, NotificationSettings
from inbox.service import InboxService
from tests.tui.conftest import settled, wait_for
from tui.app import InboxApp
from tui.screens.for_me import ForMeScreen
from tui.screens.thread import ThreadScreen


def notes(app: InboxApp) -> list[str]:
    return [str(note.message) for note in app._notifications]


def titled(app: InboxApp) -> list[tuple[str, str]]:
    return [(note.title, str(note.message)) for note in app._notifications]


def rows(screen: ForMeScreen) -> list[tuple[str, ...]]:
    table = screen.table
    return [
        tuple(str(cell) for cell in table.get_row_at(index)) for index in range(table.row_count)
    ]


@pytest.fixture
def people(make_app, sqlite_engine, clock) -> tuple[InboxService, InboxService]:
    """alice (lead) and blake (agent), each in their own terminal, on the test workspace."""
    make_app()
    return (
        InboxService(sqlite_engine, actor="alice", clock=clock),
        InboxService(sqlite_engine, actor="blake", clock=clock),
    )


def blakes_app(people, *, bell: bool = False) -> InboxApp:
    _, blake = people
    config = Config(notifications=NotificationSettings(bell=bell))
    return InboxApp(blake, config=config, sync=False, poll_seconds=0.05)


async def test_an_agent_is_told_what_concerns_them_once_each(people):
    alice, blake = people
    app = blakes_app(people)
    async with app.run_test(size=(150, 40)) as pilot:
        await settled(pilot)
        status = app.screen.status_line
        assert "for you" not in status.plain_text

        alice.assign([3], "blake")
        await wait_for(
            pilot, lambda: ("Assigned to you", "alice assigned you thread 3") in titled(app)
        )
        await wait_for(pilot, lambda: "1 for you" in status.plain_text)

        alice.add_note(4, "@blake is this one a duplicate?")
        await wait_for(
            pilot,
            lambda: (
                (
                    "You were mentioned",
                    "alice mentioned you on thread 4: “@blake is this one a duplicate?”",
                )
                in titled(app)
            ),
        )
        alice.add_note(4, "note to self, nobody mentioned")
        alice.assign([5], "alice")
        await wait_for(pilot, lambda: "2 for you" in status.plain_text)

        alice.declare_incident("Checkout outage", requires_approval=True)
        approved = blake.queue_reply(2, "Thanks Carol, we're on it.")
        rejected = blake.queue_reply(3, "Have you tried turning it off and on?")
        alice.approve(approved.id)
        alice.reject(rejected.id, "Too flippant during an outage")
        await wait_for(pilot, lambda: "4 for you" in status.plain_text)
        assert ("Reply approved", "alice approved your reply on thread 2; it is on its way") in (
            titled(app)
        )
        assert (
            "Reply rejected",
            "alice rejected your reply on thread 3: “Too flippant during an outage”",
        ) in titled(app)
        assert len(notes(app)) == 4, "each notification is toasted once, and nothing else"


async def test_for_me_lists_them_until_read_and_enter_opens_the_thread(people):
    alice, blake = people
    alice.assign([3], "blake")
    alice.add_note(4, "@blake the customer wrote again")
    app = blakes_app(people)
    async with app.run_test(size=(150, 40)) as pilot:
        await settled(pilot)
        await wait_for(
            pilot,
            lambda: "2 notifications for you: F lists them until you read them." in notes(app),
        )
        assert "2 for you" in app.screen.status_line.plain_text

        await pilot.press("F")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ForMeScreen) and app.screen.table.row_count == 2,
        )
        screen = app.screen
        assert rows(screen) == [
            (
                "now",
                "You were mentioned",
                "alice mentioned you on thread 4: “@blake the customer wrote again”",
                "@ivan on mastodon: Can you DM me about the order #4411?",
            ),
            (
                "now",
                "Assigned to you",
                "alice assigned you thread 3",
                "@rupert on mastodon: How do I change the email on my account?",
            ),
        ]

        await pilot.press("down", "enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, ThreadScreen) and app.screen.thread.id == 3
        )
        await wait_for(pilot, lambda: "1 for you" in app.screen_stack[0].status_line.plain_text)
        assert [notice.text for notice in blake.notifications()] == [
            "alice mentioned you on thread 4: “@blake the customer wrote again”"
        ]

        await pilot.press("escape", "F")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ForMeScreen) and app.screen.table.row_count == 1,
        )
        await pilot.press("m")
        await wait_for(pilot, lambda: app.screen.table.row_count == 0)
        assert app.screen.table.border_subtitle == "nothing new for you"
        assert blake.notifications() == []
        assert len(blake.notifications(unread_only=False)) == 2


async def test_mark_all_read_empties_the_list_and_the_count(people):
    alice, blake = people
    for thread_id in (3, 4, 5):
        alice.assign([thread_id], "blake")
    app = blakes_app(people)
    async with app.run_test(size=(150, 40)) as pilot:
        await settled(pilot)
        await pilot.press("F")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ForMeScreen) and app.screen.table.row_count == 3,
        )
        await pilot.press("M")
        await wait_for(pilot, lambda: app.screen.table.row_count == 0)
        assert "Marked 3 notifications read." in notes(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: "for you" not in app.screen.status_line.plain_text)
        assert blake.waiting_counts().unread == 0


async def test_a_lead_is_told_an_approval_waits_and_enter_opens_the_approvals(people):
    alice, blake = people
    alice.declare_incident("Checkout outage", requires_approval=True)
    app = InboxApp(alice, config=Config(), sync=False, poll_seconds=0.05)
    async with app.run_test(size=(150, 40)) as pilot:
        await settled(pilot)
        blake.queue_reply(2, "Thanks Carol, we're on it.")
        await wait_for(
            pilot,
            lambda: (
                ("Approval waiting", "blake's reply on thread 2 waits for your approval")
                in titled(app)
            ),
        )
        await wait_for(
            pilot, lambda: "1 to approve · 1 for you" in app.screen.status_line.plain_text
        )
        await pilot.press("F")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ForMeScreen) and app.screen.table.row_count == 1,
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ApprovalsScreen")
        await wait_for(pilot, lambda: alice.waiting_counts().unread == 0)


@pytest.mark.parametrize("bell", [True, False])
async def test_the_bell_rings_only_for_those_who_asked(people, bell):
    alice, _ = people
    app = blakes_app(people, bell=bell)
    rings: list[None] = []
    app.bell = lambda: rings.append(None)
    async with app.run_test(size=(150, 40)) as pilot:
        await settled(pilot)
        alice.assign([3], "blake")
        await wait_for(pilot, lambda: "alice assigned you thread 3" in notes(app))
        assert len(rings) == (1 if bell else 0)


async def test_a_flood_is_one_toast_that_counts_them(people):
    alice, _ = people
    app = blakes_app(people)
    async with app.run_test(size=(150, 40)) as pilot:
        await settled(pilot)
        alice.assign([3, 4, 5, 6, 7], "blake")
        await wait_for(
            pilot,
            lambda: "5 notifications for you: F lists them until you read them." in notes(app),
        )
        assert len(notes(app)) == 1
