"""A reply the outbox cannot settle alone: the thread says so, R sends it again, W withdraws."""

from __future__ import annotations

from sqlalchemy import update

from inbox.core.models import Outbound
from inbox.service import InboxService
from tests.tui.conftest import wait_for
from tests.tui.test_thread_screen import (  # noqa: F401 - the fixture is used by name
    make_thread_app,
    notifications,
    open_thread,
)

CANNOT_TELL = (
    "the platform did not answer in time, and Bluesky cannot tell whether the message was "
    "posted; check there, then `inbox outbox retry 1` or `inbox outbox cancel 1`"
)


def _leave_unconfirmed(engine, outbound_id: int) -> None:
    """What the sender leaves after an ambiguous send the platform cannot be asked about."""
    with engine.begin() as connection:
        connection.execute(
            update(Outbound.__table__)
            .where(Outbound.__table__.c.id == outbound_id)
            .values(status="unknown", next_attempt_at=None, error=CANNOT_TELL)
        )


async def test_an_unconfirmed_reply_says_so_and_r_sends_it_again_after_asking(
    make_thread_app,  # noqa: F811 - the fixture, by name
    sqlite_engine,
    clock,
):
    app, _ = make_thread_app(threads=3)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        alice = InboxService(sqlite_engine, actor="alice", clock=clock)
        row = alice.queue_reply(screen.thread.id, "We are looking into it.")
        _leave_unconfirmed(sqlite_engine, row.id)
        screen.load_thread(screen.thread.id)
        await wait_for(pilot, lambda: "not confirmed" in screen.conversation.plain_text)
        assert "check the platform; R sends again, W withdraws" in screen.conversation.plain_text

        await pilot.press("R")
        await wait_for(pilot, lambda: app.screen is not screen)
        await pilot.press("escape")  # no: nothing changes
        await wait_for(pilot, lambda: app.screen is screen)
        assert alice.outbound(row.id).status == "unknown"

        await pilot.press("R")
        await wait_for(pilot, lambda: app.screen is not screen)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Sent again." in notifications(app))
        assert alice.outbound(row.id).status == "queued"
        await wait_for(pilot, lambda: "not confirmed" not in screen.conversation.plain_text)


async def test_w_withdraws_an_unconfirmed_reply_and_r_says_when_there_is_none(
    make_thread_app,  # noqa: F811 - the fixture, by name
    sqlite_engine,
    clock,
):
    app, _ = make_thread_app(threads=3)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        await pilot.press("R")
        await wait_for(
            pilot, lambda: "No reply here failed or waits to be checked." in notifications(app)
        )
        alice = InboxService(sqlite_engine, actor="alice", clock=clock)
        row = alice.queue_reply(screen.thread.id, "We are looking into it.")
        _leave_unconfirmed(sqlite_engine, row.id)
        screen.load_thread(screen.thread.id)
        await wait_for(pilot, lambda: "not confirmed" in screen.conversation.plain_text)

        await pilot.press("W")
        await wait_for(pilot, lambda: app.screen is not screen)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Withdrawn." in notifications(app))
        assert alice.outbound(row.id).status == "cancelled"
