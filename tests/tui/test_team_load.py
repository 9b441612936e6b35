"""The load screen and auto-assignment in the TUI, driven with Pilot: a lead sees who holds
how much and who is here, changes the rules in a form and sees them take effect; a person
says they are away and back; the open inbox hands waiting threads out when it polls."""

from __future__ import annotations

from textual.widgets import Input, Select

from inbox.core.assignment_rules import AssignmentRules
from inbox.core.config import Config
from inbox.events import AgentAwayChanged
from inbox.service import InboxService
from inbox.triage.auto_assign import Availability, run_pass
from tests.tui.conftest import settled, wait_for
from tests.tui.workspace import add_people, build_workspace
from tui.app import InboxApp
from tui.dialogs.assignment_rules import AssignmentRulesForm
from tui.screens.team_load import TeamLoadScreen


def rows(screen: TeamLoadScreen) -> dict[str, tuple[str, ...]]:
    """The table by person handle: role, load, waiting on customer, presence."""
    table = screen.table
    found = {}
    for index in range(table.row_count):
        person, *rest = (str(cell) for cell in table.get_row_at(index))
        found[person.partition(" ")[0]] = tuple(rest)
    return found


def rules_text(screen: TeamLoadScreen) -> str:
    return str(screen.query_one("#rules").render())


def notes(app: InboxApp) -> list[str]:
    return [str(note.message) for note in app._notifications]


async def open_load(pilot) -> TeamLoadScreen:
    await settled(pilot)
    await pilot.press("G")
    await wait_for(
        pilot,
        lambda: isinstance(pilot.app.screen, TeamLoadScreen) and pilot.app.screen.table.row_count,
    )
    return pilot.app.screen


async def test_a_lead_sees_each_persons_load_capacity_and_presence(app, lead, clock):
    blake = InboxService(lead.engine, actor="blake", clock=clock)
    first, second = [row.id for row in lead.list_threads(limit=2)]
    lead.assign([first, second], "blake")
    lead.close([second])
    blake.set_away(True)
    clock.advance(seconds=20 * 60)

    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_load(pilot)

        assert rows(screen) == {
            "alice": ("lead", "0 / 20", "0", "online"),
            "blake": ("agent", "1 / 20", "0", "away for 20 min"),
        }
        assert screen.table.border_subtitle == "2 people, 1 online"
        shown = rules_text(screen)
        assert "default: off (no channel is auto-assigned)" in shown
        assert "hand back: after 15 min away or offline" in shown
        assert "the defaults: nobody has set them yet · e edits them" in shown

        lead.assign([row.id for row in lead.list_threads(limit=5)], "blake")
        await wait_for(pilot, lambda: rows(screen)["blake"][1] == "5 / 20")

        blake.set_away(False)  # an event: the screen reads again by itself
        await wait_for(pilot, lambda: rows(screen)["blake"][3] == "online")
        clock.advance(seconds=120)
        await pilot.press("r")  # a heartbeat running out writes no event: r reads again
        await wait_for(pilot, lambda: rows(screen)["blake"][3] == "offline for 2 min")

        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(pilot.app.screen, TeamLoadScreen))


async def test_a_lead_turns_auto_assignment_on_in_the_form_and_it_takes_effect(app, lead, clock):
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_load(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, AssignmentRulesForm))
        form = pilot.app.screen
        assert "Showing the defaults: nobody has set the rules yet." in str(
            form.query_one("#form-problems").render()
        )

        form.query_one("#hand-back", Input).value = "soon"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Not saved: hand_back_minutes must be a whole number" in str(
            form.query_one("#form-problems").render()
        )

        form.query_one("#hand-back", Input).value = "30"
        form.query_one("#default", Select).value = "least_loaded"
        form.query_one("#kind-dm", Select).value = "off"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: pilot.app.screen is screen)
        await wait_for(pilot, lambda: "default: least loaded" in rules_text(screen))

        shown = rules_text(screen)
        assert "kind dm: off" in shown
        assert "hand back: after 30 min away or offline" in shown
        assert "version 1, saved by alice" in shown
        assert "Auto-assignment rules saved as version 1." in notes(pilot.app)

        report = run_pass(lead.engine, clock())
        assigned = {change.thread_id for change in report.assigned}
        assert {change.handle for change in report.assigned} == {"alice"}, "alice is online"
        await wait_for(pilot, lambda: rows(screen)["alice"][1] == f"{len(assigned)} / 20")
        threads = lead.list_threads(limit=100)
        dms = {row.id for row in threads if row.kind == "dm"}
        assert dms and not assigned & dms, "DMs are off"
        waiting_others = {row.id for row in threads if row.kind != "dm" and row.due_at}
        assert assigned == waiting_others


async def test_escape_leaves_the_form_and_nothing_is_saved(app, lead):
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_load(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, AssignmentRulesForm))
        pilot.app.screen.query_one("#default", Select).value = "round_robin"
        await pilot.press("escape")
        await wait_for(pilot, lambda: pilot.app.screen is screen)
    assert lead.assignment_rules().version == 0


async def test_a_save_after_someone_elses_is_refused_with_the_fields_kept(app, lead):
    async with app.run_test(size=(120, 50)) as pilot:
        await open_load(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, AssignmentRulesForm))
        form = pilot.app.screen
        lead.set_assignment_rules(AssignmentRules(default="round_robin"), 0)

        form.query_one("#default", Select).value = "least_loaded"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Not saved" in str(form.query_one("#form-problems").render()))

        assert "alice saved version 1" in str(form.query_one("#form-problems").render())
        assert form.query_one("#default", Select).value == "least_loaded"
    assert lead.assignment_rules().rules.default == "round_robin"


async def test_a_supervisor_reads_the_loads_and_may_not_edit_the_rules(sqlite_engine, clock):
    build_workspace(sqlite_engine, clock(), 6)
    add_people(InboxService(sqlite_engine, clock=clock))
    InboxService(sqlite_engine, clock=clock).add_agent("sam", "Sam Admin", "admin")
    InboxService(sqlite_engine, actor="sam", clock=clock).add_agent("drew", "Drew", "supervisor")
    drew = InboxService(sqlite_engine, actor="drew", clock=clock)
    app = InboxApp(drew, sync=False, poll_seconds=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_load(pilot)

        assert set(rows(screen)) == {"alice", "blake", "sam"}, "supervisors hold no threads"
        assert "e edits them" not in rules_text(screen)
        assert not screen.active_bindings["e"].enabled
        assert "B" not in screen.active_bindings, "supervisors are never handed threads"
        await pilot.press("e")
        await pilot.pause()
        assert pilot.app.screen is screen


async def test_an_agent_is_not_offered_the_load_screen(sqlite_engine, clock, make_app):
    make_app()
    app = InboxApp(
        InboxService(sqlite_engine, actor="blake", clock=clock), sync=False, poll_seconds=0.05
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        assert "G" not in pilot.app.screen.active_bindings
        await pilot.press("G")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, TeamLoadScreen)


async def test_b_says_away_and_back_and_the_title_shows_it(app, lead):
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        assert "away" not in pilot.app.sub_title

        await pilot.press("B")
        await wait_for(pilot, lambda: "away (B: back)" in pilot.app.sub_title)
        assert "You are away: no threads are handed to you; B says you are back." in notes(
            pilot.app
        )
        alice = next(row for row in lead.team_load() if row.handle == "alice")
        assert alice.availability == Availability.AWAY

        await pilot.press("B")
        await wait_for(pilot, lambda: "away" not in pilot.app.sub_title)
        assert "You are back: waiting threads may be handed to you again." in notes(pilot.app)
    changes = [r.event() for r in lead.events_after(0) if r.type == AgentAwayChanged.type]
    assert [change.away for change in changes] == [True, False]


async def test_away_is_remembered_when_the_inbox_opens_again(app, lead):
    lead.set_away(True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await wait_for(pilot, lambda: "away (B: back)" in pilot.app.sub_title)


async def test_the_inbox_that_polls_hands_waiting_threads_out_itself(sqlite_engine, clock):
    """No worker runs: the inbox polls in-process, and runs the passes too."""
    build_workspace(sqlite_engine, clock(), 30)
    add_people(InboxService(sqlite_engine, clock=clock))
    lead = InboxService(sqlite_engine, actor="alice", clock=clock)
    current = lead.assignment_rules()
    lead.set_assignment_rules(AssignmentRules(default="round_robin"), current.version)
    app = InboxApp(lead, config=Config(), sync=True, poll_seconds=0.05)

    async with app.run_test(size=(120, 40)) as pilot:
        app.first_page_shown()
        await wait_for(
            pilot,
            lambda: next(row for row in lead.team_load() if row.handle == "alice").load == 20,
            seconds=20,
        )
        screen = await open_load(pilot)
        assert rows(screen)["alice"][1:] == ("20 / 20", "0", "online")
        assert rows(screen)["blake"] == ("agent", "0 / 20", "0", "never seen")
