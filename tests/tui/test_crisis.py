"""The crisis toolkit in the TUI, driven with Pilot on a real workspace: the alert banner and
bell, the crisis bar, the crisis screen's forms, and the incident review."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from inbox.core.config import Config
from inbox.service import InboxService
from tests.tui.conftest import Held, settled, wait_for
from tui.app import InboxApp
from tui.screens.crisis import CrisisScreen, DeclareForm, EndForm, StatementForm
from tui.screens.review import ReviewScreen, WriteReviewForm
from tui.widgets.alert_banner import AlertBanner
from tui.widgets.crisis_bar import CrisisBar
from tui.widgets.time_chart import TimeChart

STATEMENT = (
    "We know checkout is failing for some of you and are on it. Updates: {incident.status_url}"
)


def raise_alert(lead: InboxService, rule: str = "Outage words") -> None:
    lead.add_listening_rule(
        rule, "keyword", {"keywords": ["crashed", "down"], "window_minutes": 600}
    )
    [_alert] = lead.evaluate_listening()


def declare(lead: InboxService, **fields):
    defaults = {
        "severity": 1,
        "scope": "global",
        "status_url": "https://status.brand.example",
        "holding_statement": STATEMENT,
        "update_interval_minutes": 30,
        "match": ["crashed", "timing out", "down"],
    }
    incident, _ = lead.declare_incident("Checkout outage", **{**defaults, **fields})
    return incident


def banners(app: InboxApp) -> list[AlertBanner]:
    return [banner for screen in app.screen_stack for banner in screen.query(AlertBanner)]


def bar(app: InboxApp) -> CrisisBar:
    return app.screen.query_one(CrisisBar)


def count_bells(app: InboxApp) -> list[int]:
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    return rings


# -- alerts ---------------------------------------------------------------------------------


async def test_an_alert_raised_elsewhere_shows_a_banner_rings_and_is_acknowledged_everywhere(
    app, lead
):
    rings = count_bells(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        assert not any(banner.display for banner in banners(app))

        raise_alert(lead, rule="[bold red]Outage[/] words")
        await wait_for(pilot, lambda: any(banner.display for banner in banners(app)))

        [banner] = banners(app)
        assert "ALERT" in banner.plain_text
        assert "[bold red]Outage[/] words: " in banner.plain_text, (
            "rule names are shown as typed, not as markup"
        )
        assert "messages mention crashed, down in the last 600 min" in banner.plain_text
        assert "A acknowledges it for everyone" in banner.plain_text
        assert rings == [1]

        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: app.screen.query(AlertBanner) and app.screen.query_one(AlertBanner).display,
        )
        assert "A acknowledges it" in app.screen.query_one(AlertBanner).plain_text, (
            "the thread screen shows it too"
        )

        await pilot.press("A")
        await wait_for(pilot, lambda: not any(banner.display for banner in banners(app)))
        assert lead.alerts(unacknowledged=True) == []
        assert [alert.acknowledged_by for alert in lead.alerts()] == ["alice"]
        assert rings == [1]


async def test_open_alerts_show_at_start_up_and_go_when_someone_else_acknowledges_them(
    app, lead, sqlite_engine, clock
):
    raise_alert(lead)
    rings = count_bells(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await wait_for(pilot, lambda: any(banner.display for banner in banners(app)))
        assert rings == [], "alerts from before the app opened are shown, not rung"

        [alert] = lead.alerts(unacknowledged=True)
        InboxService(sqlite_engine, actor="blake", clock=clock).acknowledge_alert(alert.id)
        await wait_for(pilot, lambda: not any(banner.display for banner in banners(app)))


# -- the crisis bar -------------------------------------------------------------------------


async def test_the_crisis_bar_follows_an_incident_from_declaration_to_an_overdue_update_and_the_end(
    app, lead, clock
):
    rings = count_bells(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        assert not bar(app).display, "no incident, no bar"

        incident = declare(lead)
        await wait_for(pilot, lambda: bar(app).display)
        assert bar(app).plain_text.startswith(
            " SEV 1  Checkout outage · 0 min since start · next update in 30 min"
        )
        assert (
            f"threads {incident.threads} open / 0 answered · 0 statements sent"
            in bar(app).plain_text
        )

        clock.advance(minutes=20)
        app.tick_crisis_clock()
        await pilot.pause()
        assert "20 min since start · next update in 10 min" in bar(app).plain_text

        lead.send_statement(incident.id, account_ids=[1], skip_unfit=True)
        await wait_for(pilot, lambda: "1 statement sent" in bar(app).plain_text)
        assert "next update in 30 min" in bar(app).plain_text, (
            "a statement counts as the public update"
        )

        clock.advance(minutes=35)
        app.tick_crisis_clock()
        await pilot.pause()
        await wait_for(pilot, lambda: "PUBLIC UPDATE OVERDUE by 5 min" in bar(app).plain_text)
        assert rings == [1]
        assert any(
            "A public update on Checkout outage is due" in str(note.message)
            for note in app._notifications
        )
        app.tick_crisis_clock()
        await pilot.pause()
        assert rings == [1], "reminded once per due update"

        await pilot.press("enter")
        await wait_for(
            pilot, lambda: app.screen.query(CrisisBar) and "OVERDUE" in bar(app).plain_text
        )

        lead.end_incident(incident.id)
        await wait_for(pilot, lambda: not bar(app).display)


async def test_the_crisis_bar_says_less_on_a_narrow_terminal(app, lead):
    declare(lead)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await wait_for(pilot, lambda: bar(app).display)
        assert (
            bar(app).plain_text
            == " SEV 1  Checkout outage · for 0m · update in 30m · 9 open/0 answered · 0 sent"
        )


# -- the crisis screen ----------------------------------------------------------------------


async def test_a_lead_declares_an_incident_from_the_crisis_screen(app, lead):
    lead.import_canned(Path(__file__).parents[2] / "canned_responses" / "starter")
    lead.schedule_post(1, "Shared albums keep their order now.", lead.clock() + timedelta(hours=3))
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, CrisisScreen))
        assert "No incident is active." in str(app.screen.query_one("#crisis-summary").render())

        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DeclareForm))
        form = app.screen
        await pilot.press("ctrl+s")
        await wait_for(
            pilot,
            lambda: "an incident needs a title" in str(form.query_one("#form-problems").render()),
        )

        await pilot.press(*"Checkout outage")
        form.query_one("#status-url").value = "https://status.brand.example"
        form.query_one("#interval").value = "45"
        form.query_one("#match").value = "timing out, crashed"
        app.service.declare_incident = declaring = Held(app.service.declare_incident)
        await pilot.press("ctrl+s", "ctrl+s")  # the second while the first is still declaring
        declaring.release()
        await wait_for(pilot, lambda: isinstance(app.screen, CrisisScreen))

        [incident] = lead.incidents()
        assert (incident.title, incident.severity, incident.update_interval_minutes) == (
            "Checkout outage",
            2,
            45,
        )
        assert incident.holding_statement.startswith(
            "We know some of you are affected by {incident.title}."
        ), "the starter holding statement is offered, in its version short enough for every channel"
        assert [post.status for post in lead.scheduled_posts()] == ["paused"]
        assert any("1 scheduled post paused" in str(note.message) for note in app._notifications)
        await wait_for(
            pilot,
            lambda: (
                "Incident 1 · Checkout outage"
                in str(app.screen.query_one("#crisis-summary").render())
            ),
        )

        await pilot.press("escape")
        await wait_for(pilot, lambda: bar(app).display and "Checkout outage" in bar(app).plain_text)


async def test_the_holding_statement_shows_what_does_not_fit_before_anything_is_sent(app, lead):
    incident = declare(lead)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, CrisisScreen))
        await pilot.press("h")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, StatementForm)
                and app.screen.query_one("#accounts").option_count == 6
            ),
        )
        form = app.screen
        assert form.query_one("#statement").text == STATEMENT
        accounts = form.query_one("#accounts")
        options = [accounts.get_option_at_index(index) for index in range(accounts.option_count)]
        assert [str(option.prompt) for option in options if option.disabled] == [
            f"{name} (demo) brand (cannot publish posts)"
            for name in ("Reddit", "Instagram", "YouTube")
        ]
        longer = STATEMENT + " More details follow here." * 10  # over X's and Bluesky's limit
        form.query_one("#statement").load_text(longer)

        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: form.plan is not None)
        summary = str(form.query_one("#form-problems").render())
        assert "Checked for 3 account posts." in summary
        assert "Does not fit 2 and would be skipped:" in summary
        assert "Too long for X (demo)" in summary
        assert str(form.query_one("#form-submit").label) == "Send to 1, skip 2"
        assert lead.outbox() == [], "checking queues nothing"

        app.service.send_statement = sending = Held(app.service.send_statement)
        await pilot.press("ctrl+s", "ctrl+s")  # the second while the first is still queueing
        sending.release()
        await wait_for(pilot, lambda: isinstance(app.screen, CrisisScreen))
        posts = lead.outbox()
        assert [row.platform for row in posts] == ["demo-mastodon"], "sent once"
        assert {row.kind for row in posts} == {"post"}
        assert "Updates: https://status.brand.example" in posts[0].rendered_text
        assert lead.crisis_status().statements_sent == 1
        assert lead.incident(incident.id).last_update_at is not None


async def test_replying_to_every_open_incident_thread_in_one_step(app, lead):
    declare(lead)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, CrisisScreen))
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, StatementForm)
                and app.screen.query_one("#accounts").option_count == 6
            ),
        )
        form = app.screen
        assert form.query_one("#accounts").selected == [], "replies only: no account is checked"

        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: form.plan is not None)
        summary = str(form.query_one("#form-problems").render())
        assert "Checked for 9 thread replies." in summary
        assert "Fits: Instagram (demo) 3, Mastodon (demo) 3, Reddit (demo) 3." in summary
        form.query_one("#statement").text = "Sorry, checkout is failing; we are fixing it."
        await wait_for(pilot, lambda: str(form.query_one("#form-submit").label) == "Check")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: form.plan is not None and form.planned_for is not None)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, CrisisScreen))

    replies = lead.outbox()
    assert [(row.kind, row.rendered_text) for row in replies] == [
        ("reply", "Sorry, checkout is failing; we are fixing it.")
    ] * 9
    assert {lead.thread(row.thread_id).incident_id for row in replies} == {1}


async def test_ending_the_incident_from_the_crisis_screen(app, lead):
    declare(lead)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await pilot.press("exclamation_mark")
        await wait_for(
            pilot, lambda: isinstance(app.screen, CrisisScreen) and app.crisis.status is not None
        )
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EndForm))
        await pilot.press(*"fixed by the rollback", "enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, CrisisScreen) and app.crisis.status is None
        )
        assert "No incident is active." in str(app.screen.query_one("#crisis-summary").render())
        [incident] = lead.incidents()
        assert incident.status == "ended"


async def test_an_agent_reads_the_crisis_but_is_told_why_they_cannot_act(
    sqlite_engine, clock, lead
):
    declare(lead)
    app = InboxApp(
        InboxService(sqlite_engine, actor="blake", clock=clock), config=Config(), poll_seconds=0.05
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, CrisisScreen))
        assert "you can follow the crisis here" in str(
            app.screen.query_one("#crisis-note").render()
        )
        for key in ("h", "e"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, CrisisScreen), "no form opens"
        messages = [str(note.message) for note in app._notifications]
        assert "blake is an agent; only admin, lead may approve" in messages
        assert (
            "blake is an agent; only admin, lead may declare incidents and pause publishing"
            in messages
        )
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await wait_for(
            pilot,
            lambda: any("may export data" in str(note.message) for note in app._notifications),
        )


# -- the review -----------------------------------------------------------------------------


async def test_the_review_screen_shows_the_review_and_writes_it_to_a_file(
    app, lead, clock, tmp_path, monkeypatch
):
    raise_alert(lead)
    incident = declare(lead)
    lead.send_statement(incident.id, account_ids=[1, 2], skip_unfit=True)
    clock.advance(minutes=50)
    lead.end_incident(incident.id, "fixed")
    monkeypatch.chdir(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await pilot.press("R")
        await wait_for(
            pilot, lambda: isinstance(app.screen, ReviewScreen) and app.screen.review is not None
        )
        screen = app.screen
        shown = "\n".join(
            str(widget.render()) for widget in screen.query(".review-text, .review-heading")
        )
        for expected in (
            "Incident 1: Checkout outage",
            "Timeline",
            "First response time",
            "The 30 days before (all threads)",
            "Threads by outcome",
            "Who did what",
            "Statements sent",
            # the statement as it went out, variables filled
            "We know checkout is failing for some of you and are on it. "
            "Updates: https://status.brand.example",
            "alice declared the incident, sent 1 statement, tagged",
            "and ended the incident.",
        ):
            assert expected in shown
        assert "{incident." not in shown
        volume = screen.query_one(".review-chart", TimeChart).plain_text.splitlines()
        assert volume[0] == "Messages in per hour" and volume[-1].endswith(" UTC")
        timeline = screen.query("DataTable").first()
        assert "declared: Checkout outage (severity 1, global)" in [
            str(timeline.get_cell_at((row, 2))) for row in range(timeline.row_count)
        ]

        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, WriteReviewForm))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
    written = (tmp_path / "incident-1-review.html").read_text()
    assert "declared: Checkout outage (severity 1, global)" in written and "ended: fixed" in written
    assert (tmp_path / "incident-1-review-threads.csv").exists()


async def test_the_crisis_keys_are_text_while_typing(app, lead):
    raise_alert(lead)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await pilot.press("slash", *"A!RP")
        await pilot.pause()
        assert app.screen.query_one("#search").value == "A!RP"
        assert len(lead.alerts(unacknowledged=True)) == 1 and not isinstance(
            app.screen, (CrisisScreen, ReviewScreen)
        )
