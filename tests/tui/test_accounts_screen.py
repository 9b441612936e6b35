"""The accounts screen, driven with Pilot: an admin sees each account's health and polling,
reconnects one through its platform's login flow in dialogs, and enables or disables it;
nobody else is offered the screen."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import pytest

from adapters.base import AccountRef, LoginPrompt
from inbox.core.config import Config
from inbox.core.models import AccountHealth
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.inbox.test_sync import ScriptedAdapter
from tests.support.items import add_account
from tests.tui.conftest import settled, wait_for
from tui.app import InboxApp
from tui.dialogs.login import LoginQuestion
from tui.screens.accounts import AccountsScreen
from tui.screens.inbox import InboxScreen

SECRET_CODE = "code-8f3a-SECRET"


class TokenAdapter(ScriptedAdapter):
    """A platform whose login shows an address and asks for a code, like an OAuth flow."""

    platform = "token-test"
    display_name = "Token test"
    needs_credential = True

    @classmethod
    async def log_in(cls, account: AccountRef, client, prompt: LoginPrompt) -> Mapping[str, str]:
        prompt.show(f"Open this address, log in as {account.handle} and authorize the app:")
        prompt.show("  https://token.example/authorize?client_id=inbox")
        return {"access_token": prompt.ask("Paste the code the page shows", secret=True)}

    async def verify(self) -> str:
        return "@brand on token.example"


@pytest.fixture
def admin_app(make_app, sqlite_engine, clock, monkeypatch):
    """The app on the workspace acting as sam (admin), with a token-test account that
    needs a login (the platform refused its token) and a demo account that is failing."""
    from adapters import registry

    monkeypatch.setitem(
        registry._ADAPTER_PATHS, "token-test", "tests.tui.test_accounts_screen:TokenAdapter"
    )
    _, workspace = make_app()
    InboxService(sqlite_engine, clock=clock).add_agent("sam", "Sam Admin", "admin")
    token = add_account(sqlite_engine, "token-test", "@brand")
    store = Store(sqlite_engine, clock)
    store.record_failure(
        token.id,
        "mentions",
        "the platform refused the credentials; log in again (401)",
        clock() + timedelta(days=1),
        AccountHealth.AUTH_EXPIRED,
    )
    store.record_failure(
        workspace.accounts[1].id,
        "mentions",
        "Service Unavailable",
        clock() + timedelta(minutes=4),
        AccountHealth.FAILING,
    )
    service = InboxService(sqlite_engine, actor="sam", clock=clock)
    return InboxApp(service, config=Config(), sync=False, poll_seconds=0.05)


def notes(app: InboxApp) -> list[str]:
    return [str(note.message) for note in app._notifications]


def rows(screen: AccountsScreen) -> list[tuple[str, ...]]:
    table = screen.table
    return [
        tuple(str(cell) for cell in table.get_row_at(index)) for index in range(table.row_count)
    ]


async def open_accounts(pilot) -> AccountsScreen:
    await settled(pilot)
    await pilot.press("C")
    await wait_for(
        pilot,
        lambda: isinstance(pilot.app.screen, AccountsScreen) and pilot.app.screen.table.row_count,
    )
    return pilot.app.screen


async def to_the_last(pilot, screen: AccountsScreen) -> None:
    """Highlight the last account (the token-test one)."""
    await pilot.press(*["down"] * (screen.table.row_count - 1))
    await wait_for(pilot, lambda: screen.selected is screen.accounts[-1])


async def test_an_admin_sees_each_accounts_health_last_success_error_and_next_poll(admin_app):
    async with admin_app.run_test(size=(120, 40)) as pilot:
        screen = await open_accounts(pilot)
        listed = rows(screen)
        assert listed[0] == ("1", "mastodon", "brand", "yes", "ok", "09:00", "", "in 2 s")
        assert listed[1] == (
            "2",
            "bluesky",
            "brand",
            "yes",
            "failing",
            "09:00",
            "Service Unavailable",
            "in 4 min",
        )
        assert listed[-1][1:6] == ("token-test", "@brand", "yes", "needs login", "")
        assert listed[-1][7] == "after login (l)"

        await to_the_last(pilot, screen)
        detail = str(screen.query_one("#account-detail").render())
        assert "Its platform refused its credentials: l logs it in again." in detail


async def test_reconnect_asks_in_dialogs_and_the_account_is_healthy_at_once(
    admin_app, isolated_machine
):
    async with admin_app.run_test(size=(120, 40)) as pilot:
        screen = await open_accounts(pilot)
        await to_the_last(pilot, screen)
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, LoginQuestion))
        dialog = pilot.app.screen
        shown = str(dialog.query_one("#login-shown").render())
        assert "https://token.example/authorize?client_id=inbox" in shown
        assert "Paste the code the page shows" in str(dialog.query_one("#login-question").render())
        assert dialog.query_one("#login-answer").password, "the code is typed hidden"

        await pilot.press(*SECRET_CODE, "enter")
        await wait_for(pilot, lambda: rows(screen)[-1][4] == "ok")

        assert rows(screen)[-1][7] == "next sync"
        said = notes(pilot.app)
        assert (
            "Logged token-test @brand in again (the platform says: @brand on token.example); "
            "it is polled at the next sync." in said
        )
        assert not any(SECRET_CODE in note for note in said)
        assert (
            isolated_machine.entries[("social-inbox", "token-test/@brand")]
            == f'{{"access_token": "{SECRET_CODE}"}}'
        )


async def test_escape_stops_a_reconnect_and_nothing_is_stored(admin_app, isolated_machine):
    async with admin_app.run_test(size=(120, 40)) as pilot:
        screen = await open_accounts(pilot)
        await to_the_last(pilot, screen)
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, LoginQuestion))
        await pilot.press("escape")
        await wait_for(
            pilot,
            lambda: (
                "Reconnecting token-test @brand stopped; nothing was stored." in notes(pilot.app)
            ),
        )
        assert rows(screen)[-1][4] == "needs login"
        assert ("social-inbox", "token-test/@brand") not in isolated_machine.entries


async def test_an_admin_disables_and_enables_an_account(admin_app):
    async with admin_app.run_test(size=(120, 40)) as pilot:
        screen = await open_accounts(pilot)
        await pilot.press("d")
        await wait_for(pilot, lambda: rows(screen)[0][3] == "no")
        assert rows(screen)[0][7] == "disabled"
        assert (
            "Disabled mastodon brand: not polled, nothing sent from it; its threads stay."
            in notes(pilot.app)
        )
        await pilot.press("e")
        await wait_for(pilot, lambda: rows(screen)[0][3] == "yes")
        assert "Enabled mastodon brand; it is polled at the next sync." in notes(pilot.app)


async def test_the_palette_opens_the_accounts_screen(admin_app):
    async with admin_app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        assert pilot.app.screen.active_bindings["C"].enabled
        await pilot.press("ctrl+p")
        await pilot.press(*"accounts: open")
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, AccountsScreen))


async def test_the_accounts_screen_is_offered_to_admins_only(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        assert "C" not in pilot.app.screen.active_bindings, "alice is a lead: not offered"
        await pilot.press("C")
        await pilot.pause()
        assert isinstance(pilot.app.screen, InboxScreen)


async def test_a_handle_that_looks_like_markup_is_shown_as_typed(admin_app, sqlite_engine):
    from sqlalchemy import update

    from inbox.core.database import write_transaction
    from inbox.core.models import Account

    account = Account.__table__
    with write_transaction(sqlite_engine) as connection:
        connection.execute(
            update(account).where(account.c.platform == "token-test").values(handle="@b[/b]")
        )
    async with admin_app.run_test(size=(120, 40)) as pilot:
        screen = await open_accounts(pilot)
        await to_the_last(pilot, screen)
        shown_as_typed = "token-test @b\\[/b]"  # the title's markup, the bracket escaped
        assert shown_as_typed in screen.query_one("#account-detail").border_title
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, LoginQuestion))
        box = pilot.app.screen.query_one("#login-box")
        assert box.border_title == f"Reconnect {shown_as_typed}"
