"""The statement and update forms say where a statement goes: the accounts, the status page
and the subscribers (with the email account that mails them)."""

from __future__ import annotations

from tests.support.items import add_account
from tests.tui.conftest import settled, wait_for
from tests.tui.test_crisis import declare
from tui.screens.crisis import CrisisScreen, StatementForm


async def _open_form(app, pilot, key: str) -> StatementForm:
    await settled(pilot)
    await pilot.press("exclamation_mark")
    await wait_for(pilot, lambda: isinstance(app.screen, CrisisScreen))
    await pilot.press(key)
    await wait_for(
        pilot,
        lambda: (
            isinstance(app.screen, StatementForm)
            and "Subscribers:" in str(app.screen.query_one("#destinations").render())
        ),
    )
    return app.screen


async def test_the_update_form_names_the_status_page_and_the_subscribers(app, lead, sqlite_engine):
    add_account(sqlite_engine, "demo-email", "support@brand.example")
    lead.set_status_page_settings({"base_url": "https://status.brand.example"}, 0)
    lead.import_subscribers("email,name\nana@example.com,Ana\nben@example.com,Ben\n")
    declare(lead)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await _open_form(app, pilot, "u")
        shown = str(form.query_one("#destinations").render())
        assert "Status page: the status page at https://status.brand.example/." in shown
        through = "2 subscribers by email through support@brand.example"
        assert f"Subscribers: {through}." in shown
        box = form.query_one("#subscribers")
        assert box.value and "(2 people)" in str(box.label)

        form.query_one("#statement").text = "Checkout works again for most of you."
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: form.plan is not None)
        summary = str(form.query_one("#form-problems").render())
        assert "and 2 subscribers by email." in summary
        assert "and mails 2 subscribers." in summary
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, CrisisScreen))
    mails = [row for row in lead.outbox() if row.kind == "email_update"]
    assert len(mails) == 2
    assert all("Status page: https://status.brand.example/" in m.rendered_text for m in mails)


async def test_without_subscribers_the_form_says_so_and_mails_nobody(app, lead):
    declare(lead)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await _open_form(app, pilot, "h")
        assert "Subscribers: no subscribers." in str(form.query_one("#destinations").render())
        box = form.query_one("#subscribers")
        assert box.disabled and not box.value
