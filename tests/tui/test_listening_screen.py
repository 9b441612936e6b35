"""The listening rules screen: a lead adds, edits, switches off and removes rules; an agent
only reads them; changes made elsewhere show at once."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Select

from inbox.crisis import listening
from inbox.service import InboxService
from tests.tui.conftest import wait_for
from tui.app import InboxApp
from tui.dialogs.listening_rule import RuleForm
from tui.screens.listening import ListeningScreen


def rows(screen: ListeningScreen) -> list[list[str]]:
    """The rules table as the person reads it, cell by cell."""
    table = screen.query_one("#rules", DataTable)
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


def problems(form: RuleForm) -> str:
    return str(form.query_one("#form-problems").render())


def notices(app: InboxApp) -> str:
    return " | ".join(notification.message for notification in app._notifications)


async def open_screen(pilot) -> ListeningScreen:
    await pilot.press("ctrl+p", *"team: listening")
    await wait_for(
        pilot,
        lambda: (
            "team: Listening rules"
            in str(pilot.app.screen.query_one("CommandList").get_option_at_index(0).prompt)
        ),
    )
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ListeningScreen))
    screen = pilot.app.screen
    await wait_for(pilot, lambda: screen.loaded)
    return screen


async def open_form(pilot, key: str) -> RuleForm:
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, RuleForm))
    return pilot.app.screen


async def test_a_lead_adds_a_keyword_rule_after_a_refused_empty_keyword_list(app, lead):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot)
        assert rows(screen) == []
        assert "a adds, e edits, o switches off or on, x removes" in str(
            screen.query_one("#listening-note").render()
        )

        form = await open_form(pilot, "a")
        form.query_one("#name", Input).value = "Checkout down"
        form.query_one("#keywords", Input).value = " , "
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert (
            "Not saved: Keywords: give at least one word or phrase, separated by commas."
            in problems(form)
        )

        form.query_one("#keywords", Input).value = "checkout, is down"
        form.query_one("#window_minutes", Input).value = "30"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: pilot.app.screen is screen and rows(screen) != [])

        assert rows(screen) == [
            ["1", "Checkout down", "Keywords", "mentions of checkout, is down", "on", "never"]
        ]
        assert "Listening rule 1 (Checkout down) added" in notices(pilot.app)
    [rule] = lead.listening_rules()
    assert rule.config["window_minutes"] == 30


async def test_a_lead_edits_a_spike_rule_and_a_bad_factor_is_refused_by_its_label(app, lead):
    lead.add_listening_rule("Surge", listening.VOLUME_SPIKE, {"factor": 3})
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot)
        form = await open_form(pilot, "e")
        assert form.query_one("#type", Select).disabled
        assert not form.query_one(".field-keywords").display
        assert form.query_one("#factor", Input).value == "3"

        form.query_one("#factor", Input).value = "0.5"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Not saved: Spike factor must be at least 1, not 0.5." in problems(form)
        form.query_one("#factor", Input).value = "many"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Not saved: Spike factor must be a number, not 'many'." in problems(form)
        assert lead.listening_rules()[0].config["factor"] == 3

        form.query_one("#factor", Input).value = "4"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "4x the usual" in " ".join(sum(rows(screen), [])))

        assert rows(screen)[0][3] == "4x the usual volume in 60 min (baseline 12 h, at least 20)"
    assert lead.listening_rules()[0].config["factor"] == 4


async def test_an_edit_after_someone_elses_is_refused_with_who_and_the_fields_kept(app, lead):
    rule_id = lead.add_listening_rule("Angry", listening.NEGATIVE_SHARE, {"share": 0.5})
    kim = InboxService(lead.engine, actor="alice", clock=lead.clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_screen(pilot)
        form = await open_form(pilot, "e")
        kim.edit_listening_rule(
            rule_id, config={"share": 0.6}, version=kim.listening_rule(rule_id).version
        )

        form.query_one("#share", Input).value = "70%"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Not saved" in problems(form))

        assert "changed since you read it: alice changed it at" in problems(form)
        assert form.query_one("#share", Input).value == "70%"
    assert lead.listening_rule(rule_id).config["share"] == 0.6


async def test_a_lead_switches_a_rule_off_and_removes_another_after_confirming(app, lead):
    lead.add_listening_rule("Surge", listening.VOLUME_SPIKE, {})
    lead.add_listening_rule("Outage", listening.KEYWORD, {"keywords": "outage"})
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot)
        await pilot.press("o")
        await wait_for(pilot, lambda: rows(screen)[0][4] == "off")
        assert "Listening rule 1 (Surge) is off: it raises no alerts." in notices(pilot.app)
        assert "off: raises no alerts" in screen.query_one("#rule-detail").border_title

        await pilot.press("down", "x")
        await wait_for(pilot, lambda: pilot.app.screen is not screen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: pilot.app.screen is screen)
        assert len(rows(screen)) == 2, "escape keeps the rule"

        await pilot.press("x")
        await wait_for(pilot, lambda: pilot.app.screen is not screen)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(rows(screen)) == 1)
        assert rows(screen)[0][:2] == ["1", "Surge"]
        assert "Listening rule 2 (Outage) is removed." in notices(pilot.app)
    assert [(rule.name, rule.enabled) for rule in lead.listening_rules()] == [("Surge", False)]


async def test_the_detail_names_the_command_a_rule_runs_and_where_it_is_defined(app, lead):
    lead.add_listening_rule(
        "Outage", listening.KEYWORD, {"keywords": "outage", "command": "page-oncall"}
    )
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot)
        detail = screen.query_one("#rule-detail")
        await wait_for(pilot, lambda: "page-oncall" in str(detail.render()))
        assert "runs page-oncall, if the config of the machine that checks the rules" in " ".join(
            str(detail.render()).split()
        )


async def test_the_list_follows_changes_made_elsewhere(app, lead):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot)
        lead.add_listening_rule("Refunds", listening.KEYWORD, {"keywords": "refund"})
        await wait_for(pilot, lambda: len(rows(screen)) == 1)
        assert rows(screen)[0][1:4] == ["Refunds", "Keywords", "mentions of refund"]


async def test_an_agent_reads_the_rules_and_is_told_only_leads_change_them(
    sqlite_engine, clock, lead
):
    lead.add_listening_rule("Outage", listening.KEYWORD, {"keywords": "outage"})
    agent = InboxService(sqlite_engine, actor="blake", clock=clock)
    app = InboxApp(agent, sync=False, poll_seconds=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot)
        assert rows(screen)[0][1] == "Outage"
        assert "blake is an agent: only leads and admins change listening rules" in str(
            screen.query_one("#listening-note").render()
        )

        for key in ("a", "e", "o", "x"):
            await pilot.press(key)
            await pilot.pause()
            assert pilot.app.screen is screen, f"{key} opens nothing for an agent"
        assert "blake is an agent; only admin, lead may manage listening rules" in notices(
            pilot.app
        )
    assert [(rule.name, rule.enabled) for rule in lead.listening_rules()] == [("Outage", True)]
