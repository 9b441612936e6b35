"""The SLA policy form: a lead reads and changes the team's targets; an agent only reads."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Input

from inbox.service import InboxService
from tests.tui.conftest import wait_for
from tui.app import InboxApp
from tui.screens.team_sla import SlaForm


def problems(form: SlaForm) -> str:
    return str(form.query_one("#form-problems").render())


async def open_form(pilot) -> SlaForm:
    await pilot.press("ctrl+p", *"team: response")
    await wait_for(
        pilot,
        lambda: (
            "team: Response-time targets"
            in str(pilot.app.screen.query_one("CommandList").get_option_at_index(0).prompt)
        ),
    )
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, SlaForm))
    form = pilot.app.screen
    await wait_for(pilot, lambda: form.team is not None)
    return form


async def test_a_lead_sees_the_policy_and_saves_a_change(app, lead):
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot)
        assert form.query_one("#timezone", Input).value == "UTC"
        assert form.query_one("#hours-mon", Input).value == "09:00-17:00"
        assert form.query_one("#targets-kind", Input).value == "dm=60, mention=240"
        assert "Showing the defaults: nobody has set the policy yet" in problems(form)

        form.query_one("#hours-sat", Input).value = "10-14"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert 'Not saved: hours.sat must be like "09:00-17:00"' in problems(form)
        assert lead.sla_settings().version == 0

        form.query_one("#hours-sat", Input).value = "10:00-14:00"
        form.query_one("#timezone", Input).value = "Europe/Berlin"
        form.query_one("#targets-kind", Input).value = "dm=30"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, SlaForm))

    team = lead.sla_settings()
    assert (team.version, team.updated_by) == (1, "alice")
    assert team.settings.timezone == "Europe/Berlin"
    assert (team.settings.hours["sat"], team.settings.kind) == ("10:00-14:00", {"dm": 30})


async def test_a_save_after_someone_elses_is_refused_with_who_and_the_fields_kept(app, lead):
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot)
        lead.set_sla_settings(replace(lead.sla_settings().settings, first_response_minutes=90), 0)

        form.query_one("#timezone", Input).value = "Europe/Paris"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Not saved" in problems(form))

        assert "alice saved version 1" in problems(form)
        assert "open the form again to see their version" in problems(form)
        assert form.query_one("#timezone", Input).value == "Europe/Paris"
    assert lead.sla_settings().settings.timezone == "UTC"


async def test_an_agent_sees_the_policy_and_is_told_only_leads_change_it(
    sqlite_engine, clock, lead
):
    agent = InboxService(sqlite_engine, actor="blake", clock=clock)
    app = InboxApp(agent, sync=False, poll_seconds=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot)

        assert form.query_one("#timezone", Input).value == "UTC"
        assert form.query_one("#timezone", Input).disabled
        refusal = "blake is an agent; only admin, lead may change the team's settings"
        assert refusal in problems(form)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form and refusal in problems(form), "ctrl+s saves nothing"
    assert lead.sla_settings().version == 0
