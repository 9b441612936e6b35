"""The outbox screen, driven with Pilot: failed and unconfirmed sends with their reason in
words; retrying (after a check, for one that may have been posted) and withdrawing (after
asking); an agent sees their own, a lead everyone's."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from adapters.demo.adapter import DemoRedditAdapter
from inbox.core.config import Config
from inbox.core.models import Account
from inbox.outbox.sender import Sender
from inbox.runtime import adapter_factory
from inbox.service import InboxService
from tests.tui.conftest import settled, wait_for
from tui.app import InboxApp
from tui.dialogs.forms import ConfirmForm
from tui.screens.outbox import OutboxScreen

QUIET = {"send_latency_scale": 0, "send_failure_rate": 0}


class BlindReddit(DemoRedditAdapter):
    """The demo Reddit, unable to say whether an interrupted send was posted."""

    finds_sent = frozenset()


def notes(app: InboxApp) -> list[str]:
    return [str(note.message) for note in app._notifications]


def rows(screen: OutboxScreen) -> list[tuple[str, ...]]:
    table = screen.table
    return [
        tuple(str(cell) for cell in table.get_row_at(index)) for index in range(table.row_count)
    ]


def detail(screen: OutboxScreen) -> str:
    return str(screen.query_one("#outbox-detail").render())


@pytest.fixture
async def troubled(make_app, sqlite_engine, clock) -> dict[str, int]:
    """Three replies by blake that went wrong: Mastodon refused the account's credentials,
    Bluesky's answer was lost (the inbox can look it up), Reddit's too (it cannot)."""
    make_app()
    with sqlite_engine.begin() as connection:
        for account_id, settings in (
            (1, {"fail_auth": True}),
            (2, {**QUIET, "send_lost_rate": 1}),
            (3, {**QUIET, "send_lost_rate": 1}),
        ):
            connection.execute(
                update(Account.__table__)
                .where(Account.__table__.c.id == account_id)
                .values(settings=settings)
            )
    blake = InboxService(sqlite_engine, actor="blake", clock=clock)
    ids = {
        name: blake.queue_reply(thread_id, "We're looking into it.").id
        for name, thread_id in (("failed", 2), ("checking", 6), ("check", 11))
    }
    demo = adapter_factory(None)

    def factory(account, client):
        return BlindReddit(account, client, None) if account.id == 3 else demo(account, client)

    await Sender(sqlite_engine, factory, clock=clock).send_once(None)
    assert {name: blake.outbound(row_id).status for name, row_id in ids.items()} == {
        "failed": "failed",
        "checking": "unknown",
        "check": "unknown",
    }
    return ids


def app_as(handle: str, engine, clock) -> InboxApp:
    service = InboxService(engine, actor=handle, clock=clock)
    return InboxApp(service, config=Config(), sync=False, poll_seconds=0.05)


async def open_outbox(pilot) -> OutboxScreen:
    await settled(pilot)
    await pilot.press("O")
    await wait_for(
        pilot,
        lambda: isinstance(pilot.app.screen, OutboxScreen) and pilot.app.screen.table.row_count,
    )
    return pilot.app.screen


async def test_each_send_says_what_went_wrong_in_words(troubled, sqlite_engine, clock):
    app = app_as("blake", sqlite_engine, clock)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await open_outbox(pilot)
        assert [row[1:5] for row in rows(screen)] == [
            ("failed", "now", "blake", "thread 2 (mastodon)"),
            ("checking", "now", "blake", "thread 6 (bluesky)"),
            ("check needed", "now", "blake", "thread 11 (reddit)"),
        ]
        assert rows(screen)[1][5] == "the inbox is checking whether it was posted"
        assert "Why: the platform refused the account's credentials; log in again" in detail(screen)
        assert "Your sends that failed or could not be confirmed." in str(
            screen.query_one(".waiting-note").render()
        )
        assert "r sends it again once the cause is fixed; x withdraws it." in detail(screen)

        await pilot.press("down")
        assert (
            "the inbox is checking whether it was posted on Bluesky (demo) and sends it again "
            "only if it was not"
        ) in detail(screen).replace("\n", " ")

        await pilot.press("down")
        assert "Reddit (demo) cannot tell whether the message was posted" in detail(screen)
        told = [(notice.kind, notice.text) for notice in app.service.notifications()]
        assert [kind for kind, _ in told] == ["failed", "failed"], (
            "told of the failure and of the send a person must check, not of the one being checked"
        )
        assert told[0][1].startswith("Your reply on thread 11 may or may not have been posted:")
        assert told[1][1].startswith("Your reply on thread 2 failed: the platform refused")
        assert "It may or may not be on Reddit (demo): look there first." in detail(screen)


async def test_a_failed_send_is_retried_and_an_unconfirmed_one_only_after_a_check(
    troubled, sqlite_engine, clock
):
    app = app_as("blake", sqlite_engine, clock)
    blake = app.service
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await open_outbox(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.table.row_count == 2)
        assert blake.outbound(troubled["failed"]).status == "queued"
        assert "blake's reply on thread 2 (Mastodon (demo)) is queued to be sent again." in notes(
            app
        )

        await pilot.press("down", "r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmForm))
        assert "may already be on Reddit (demo). Send it again only if you looked there" in str(
            app.screen.query_one("#form-problems").render()
        )
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert blake.outbound(troubled["check"]).status == "unknown"

        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmForm))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.table.row_count == 1)
        assert blake.outbound(troubled["check"]).status == "queued"


async def test_withdrawing_asks_first(troubled, sqlite_engine, clock):
    app = app_as("blake", sqlite_engine, clock)
    blake = app.service
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await open_outbox(pilot)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmForm))
        assert "Withdraw blake's reply on thread 2 (Mastodon (demo))? It will not be sent." in str(
            app.screen.query_one("#form-problems").render()
        )
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.table.row_count == 2)
        assert blake.outbound(troubled["failed"]).status == "cancelled"
        assert (
            "Withdrew blake's reply on thread 2 (Mastodon (demo)); it will not be sent."
            in notes(app)
        )


async def test_agents_see_their_own_sends_and_leads_everyones(troubled, sqlite_engine, clock):
    InboxService(sqlite_engine, clock=clock).add_agent("casey", "Casey Lin", "agent")
    casey = app_as("casey", sqlite_engine, clock)
    async with casey.run_test(size=(150, 40)) as pilot:
        await settled(pilot)
        await pilot.press("O")
        await wait_for(pilot, lambda: isinstance(casey.screen, OutboxScreen))
        screen = casey.screen
        await wait_for(pilot, lambda: screen.table.border_subtitle is not None)
        assert screen.table.border_subtitle == "nothing failed or waits for a check"

    alice = app_as("alice", sqlite_engine, clock)
    async with alice.run_test(size=(150, 40)) as pilot:
        screen = await open_outbox(pilot)
        assert [row[0] for row in rows(screen)] == [str(row_id) for row_id in troubled.values()]
        assert "Everyone's sends" in str(screen.query_one(".waiting-note").render())
