"""An incident after it is declared: corrected (E), its statements started from prepared
answers (ctrl+o), and ended with an all-clear posted first.

Each test drives the real app with Pilot on a real SQLite workspace, from the crisis screen,
and checks what the lead sees and what the database and the outbox hold.
"""

from __future__ import annotations

from pathlib import Path

from inbox.core.config import Config
from inbox.service import InboxService
from tests.tui.conftest import settled, wait_for
from tests.tui.test_crisis import declare
from tui.app import InboxApp
from tui.dialogs.answer_picker import AnswerPicker
from tui.screens.crisis import ALL_CLEAR_TEXT, CrisisScreen, EditForm, EndForm, StatementForm

STARTER = Path(__file__).parents[2] / "canned_responses" / "starter"


def notifications(app) -> list[str]:
    return [str(note.message) for note in app._notifications]


def problems(form) -> str:
    return str(form.query_one("#form-problems").render())


def summary(app) -> str:
    return str(app.screen.query_one("#crisis-summary").render())


async def on_the_crisis_screen(pilot) -> CrisisScreen:
    await settled(pilot)
    await pilot.press("exclamation_mark")
    app = pilot.app
    await wait_for(
        pilot, lambda: isinstance(app.screen, CrisisScreen) and app.crisis.status is not None
    )
    return app.screen


async def test_a_lead_corrects_the_status_page_and_the_update_interval(app, lead):
    incident = declare(lead, status_url="https://status.brand.exmaple", update_interval_minutes=30)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_the_crisis_screen(pilot)
        await pilot.press("E")
        await wait_for(pilot, lambda: isinstance(app.screen, EditForm))
        form = app.screen
        assert form.query_one("#title").value == "Checkout outage"
        assert form.query_one("#status-url").value == "https://status.brand.exmaple"
        assert form.query_one("#interval").value == "30"

        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Nothing changed" in problems(form))

        form.query_one("#status-url").value = "status.brand.example"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "The status page is a web address" in problems(form))
        assert lead.incident(incident.id).status_url == "https://status.brand.exmaple"

        form.query_one("#status-url").value = "https://status.brand.example"
        form.query_one("#interval").value = "45"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, CrisisScreen))

        changed = lead.incident(incident.id)
        assert (changed.status_url, changed.update_interval_minutes) == (
            "https://status.brand.example",
            45,
        )
        assert "Incident 1: changed the status page and update interval." in notifications(app)
        await wait_for(pilot, lambda: "Status page: https://status.brand.example" in summary(app))
        assert "(every 45 min)" in summary(app)


async def test_the_title_severity_and_scope_are_changed_too(app, lead):
    incident = declare(lead)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_the_crisis_screen(pilot)
        await pilot.press("E")
        await wait_for(pilot, lambda: isinstance(app.screen, EditForm))
        form = app.screen
        form.query_one("#title").value = "Checkout and login outage"
        form.query_one("#severity").value = 2
        form.query_one("#scope").value = "national"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, CrisisScreen))

        changed = lead.incident(incident.id)
        assert (changed.title, changed.severity, changed.scope) == (
            "Checkout and login outage",
            2,
            "national",
        )
        assert "Incident 1: changed the title, severity and scope." in notifications(app)
        await wait_for(pilot, lambda: "Checkout and login outage" in summary(app))


async def test_an_agent_is_told_why_they_cannot_edit_and_calm_has_nothing_to_edit(
    sqlite_engine, clock, app, lead
):
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, CrisisScreen))
        await pilot.press("E")
        await wait_for(
            pilot, lambda: "No incident is active; d declares one." in notifications(app)
        )
        assert isinstance(app.screen, CrisisScreen)

    declare(lead)
    agent = InboxApp(
        InboxService(sqlite_engine, actor="blake", clock=clock), config=Config(), poll_seconds=0.05
    )
    async with agent.run_test(size=(120, 40)) as pilot:
        await on_the_crisis_screen(pilot)
        await pilot.press("E")
        await pilot.pause()
        assert isinstance(agent.screen, CrisisScreen), "no form opens"
        assert (
            "blake is an agent; only admin, lead may declare incidents and pause publishing"
            in notifications(agent)
        )


async def test_ctrl_o_starts_a_public_update_from_a_prepared_answer(app, lead):
    lead.import_canned(STARTER)
    declare(lead)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_the_crisis_screen(pilot)
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, StatementForm))
        form = app.screen
        assert form.query_one("#statement").text == ""

        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, AnswerPicker))
        picker = app.screen
        await wait_for(pilot, lambda: picker.answers.option_count > 0)
        assert str(picker.query_one("#picker-heading").render()) == "Suggested:"
        assert "/progress-update" in str(picker.answers.get_option_at_index(0).prompt)
        await pilot.press("enter")

        await wait_for(pilot, lambda: app.screen is form)
        await wait_for(
            pilot,
            lambda: form.query_one("#statement").text.startswith("Update on {incident.title}:"),
        )
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: form.plan is not None)
        assert "Update on Checkout outage:" in form.plan.targets[0].rendered_text


async def test_ending_with_an_all_clear_posts_it_then_ends_the_incident(app, lead):
    lead.import_canned(STARTER)
    incident = declare(lead)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_the_crisis_screen(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EndForm))
        end_form = app.screen
        await pilot.press(*"rolled back")
        end_form.query_one("#all-clear").value = True
        await wait_for(pilot, lambda: str(end_form.query_one("#form-submit").label) == "All-clear…")
        await pilot.press("ctrl+s")

        await wait_for(pilot, lambda: isinstance(app.screen, StatementForm))
        form = app.screen
        await wait_for(
            pilot,
            lambda: form.query_one("#statement").text.startswith(
                "Everything is working again after {incident.title}."
            ),
        )
        assert lead.incident(incident.id).status == "active", "nothing ends before it is sent"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: form.plan is not None)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, CrisisScreen))

        posts = lead.outbox()
        assert posts and all(
            row.rendered_text.startswith("Everything is working again after Checkout outage.")
            for row in posts
        )
        assert lead.incident(incident.id).status == "ended"
        said = notifications(app)
        assert any(text.startswith("Incident 1 ended after") for text in said)
        assert not any("next public update" in text for text in said), "nothing follows it"
        await wait_for(pilot, lambda: "No incident is active." in summary(app))
    review = lead.incident_review(incident.id)
    assert any("rolled back" in entry.text for entry in review.timeline)


async def test_without_the_starter_answer_the_all_clear_starts_from_a_plain_text(app, lead):
    declare(lead)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_the_crisis_screen(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EndForm))
        app.screen.query_one("#all-clear").value = True
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, StatementForm))
        form = app.screen
        await wait_for(pilot, lambda: form.query_one("#statement").text == ALL_CLEAR_TEXT)

        await pilot.press("escape")

        await wait_for(pilot, lambda: isinstance(app.screen, CrisisScreen))
        assert "No all-clear was posted and the incident goes on; e ends it." in notifications(app)
        assert lead.crisis_status() is not None
        assert lead.outbox() == []
