"""Snapshots of the crisis toolkit on a fixed clock and fixed data: the inbox with an alert
and the crisis bar (wide), the crisis bar with an overdue update (80x24), the crisis
screen and the incident review.

Update them after an intended change with
`pytest tests/tui/test_crisis_snapshots.py --snapshot-update`, and look at the report.
"""

from __future__ import annotations

import pytest

from inbox.service import InboxService
from tests.tui.conftest import settled, wait_for
from tui.app import InboxApp
from tui.screens.crisis import CrisisScreen
from tui.screens.review import ReviewScreen
from tui.widgets.alert_banner import AlertBanner
from tui.widgets.crisis_bar import CrisisBar


@pytest.fixture
def app(make_app) -> InboxApp:
    """The app on a fresh workspace, acting as alice (lead)."""
    app, _ = make_app(threads=40, poll_seconds=60)
    return app


@pytest.fixture
def lead(app, sqlite_engine, clock) -> InboxService:
    """alice, the lead, in another terminal: what she does there reaches the app as events."""
    return InboxService(sqlite_engine, actor="alice", clock=clock)


def crisis_under_way(lead: InboxService, clock, *, minutes: int, alert: bool = True) -> int:
    """An alert on outage words, then an incident declared five minutes later, `minutes` ago."""
    if alert:
        lead.add_listening_rule(
            "Outage words", "keyword", {"keywords": ["crashed", "down"], "window_minutes": 600}
        )
        lead.evaluate_listening()
    clock.advance(minutes=5)
    incident, _ = lead.declare_incident(
        "Checkout outage",
        severity=2,
        scope="national",
        status_url="https://status.brand.example",
        holding_statement=(
            "We know checkout is failing for some of you and are on it. "
            "Updates: {incident.status_url}"
        ),
        update_interval_minutes=30,
        match=["crashed", "timing out", "down"],
    )
    clock.advance(minutes=minutes)
    return incident.id


def bar_shown(pilot) -> bool:
    """the crisis bar is on screen"""
    bars = pilot.app.screen.query(CrisisBar)
    return bool(bars) and bars.first().display


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_the_crisis_bar_on_the_inbox(snap_compare, app, lead, clock, size):
    if size == (120, 40):
        crisis_under_way(lead, clock, minutes=12)
    else:
        crisis_under_way(lead, clock, minutes=42, alert=False)

    async def with_the_crisis_shown(pilot) -> None:
        await settled(pilot)
        await wait_for(pilot, lambda: bar_shown(pilot))
        if size == (120, 40):
            await wait_for(pilot, lambda: bool(pilot.app.screen.query(AlertBanner)))
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=with_the_crisis_shown)


def test_the_crisis_screen(snap_compare, app, lead, clock):
    crisis_under_way(lead, clock, minutes=12, alert=False)

    async def on_the_crisis_screen(pilot) -> None:
        await settled(pilot)
        await pilot.press("exclamation_mark")
        await wait_for(
            pilot,
            lambda: isinstance(pilot.app.screen, CrisisScreen) and pilot.app.screen.incident_ids,
        )
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=on_the_crisis_screen)


def test_the_review_screen(snap_compare, app, lead, clock):
    incident_id = crisis_under_way(lead, clock, minutes=10)
    lead.send_statement(incident_id, account_ids=[1, 2, 3], skip_unfit=True)
    clock.advance(minutes=40)
    lead.end_incident(incident_id, "fixed by the rollback")
    for alert in lead.alerts():
        lead.acknowledge_alert(alert.id)

    async def on_the_review(pilot) -> None:
        await settled(pilot)
        await pilot.press("R")
        await wait_for(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, ReviewScreen) and pilot.app.screen.review is not None
            ),
        )
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=on_the_review)
