"""Team settings in the database: the SLA policy, one per team, versioned through events.

Monday 2026-11-02: a DM that arrives at 08:00 is due at 10:00 under the default policy
(09:00-17:00 UTC, DMs 60 business minutes).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from adapters.base import Kind
from inbox.core.errors import Conflict, PermissionDenied
from inbox.core.models import Thread, from_micros
from inbox.core.sla_settings import SlaSettings, edit_sla_settings
from inbox.events import TeamSettingChanged
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.support.items import add_account
from tests.tui.workspace import message

pytestmark = pytest.mark.postgres

MONDAY_8 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def people(engine):
    setup = InboxService(engine)
    setup.add_agent("ana", "Ana", "admin")
    admin = InboxService(engine, actor="ana")
    admin.add_agent("lee", "Lee", "lead")
    admin.add_agent("ben", "Ben", "agent")
    return engine


def service(engine, handle: str) -> InboxService:
    return InboxService(engine, actor=handle, clock=lambda: MONDAY_8)


def test_a_setting_never_set_reads_as_the_defaults_at_version_0(people):
    team = service(people, "ben").sla_settings()

    assert (team.settings, team.version, team.updated_by) == (SlaSettings(), 0, None)


def test_a_lead_saves_a_version_with_an_event_saying_what_changed(people):
    lead = service(people, "lee")
    edited = edit_sla_settings(
        SlaSettings(), {"timezone": "Europe/Berlin", "kind.dm": "30", "holidays": "2026-12-25"}
    )

    saved = lead.set_sla_settings(edited, 0)

    assert (saved.version, saved.updated_by) == (1, "lee")
    assert service(people, "ben").sla_settings().settings == edited
    [event] = [record for record in lead.events_after(0) if record.type == TeamSettingChanged.type]
    assert event.actor == "lee"
    assert event.payload["changes"] == {
        "timezone": ["UTC", "Europe/Berlin"],
        "holidays": [[], ["2026-12-25"]],
        "kind.dm": [60, 30],
    }
    assert "lee changed the SLA policy (version 1): timezone from UTC to Europe/Berlin" in (
        event.describe()
    )
    [change] = lead.team_setting_history()
    assert (change.key, change.version, change.actor) == ("sla", 1, "lee")


def test_saving_from_a_stale_version_is_a_conflict_naming_who_saved(people):
    lead, admin = service(people, "lee"), service(people, "ana")
    read_by_lead = lead.sla_settings()
    admin.set_sla_settings(replace(SlaSettings(), first_response_minutes=120), 0)

    with pytest.raises(Conflict) as refused:
        lead.set_sla_settings(replace(read_by_lead.settings, timezone="Europe/Paris"), 0)

    assert "ana saved version 1" in str(refused.value)
    assert "you edited version 0" in str(refused.value)
    team = admin.sla_settings()
    assert (team.version, team.settings.timezone, team.settings.first_response_minutes) == (
        1,
        "UTC",
        120,
    )
    assert len(admin.team_setting_history()) == 1


def test_an_agent_may_read_but_not_change_the_policy(people):
    agent = service(people, "ben")

    with pytest.raises(PermissionDenied) as refused:
        agent.set_sla_settings(replace(SlaSettings(), timezone="Europe/Paris"), 0)

    assert "only admin, lead may change the team's settings" in str(refused.value)
    assert agent.sla_settings().version == 0


def test_a_change_moves_waiting_threads_and_reaches_ingest_in_another_process(people):
    account = add_account(people, "demo-mastodon", "brand")
    store = Store(people, lambda: MONDAY_8)
    store.ingest(account, "dms", [message("1", "a", MONDAY_8, "hi", kind=Kind.DM)], None)

    def due(key: str) -> str:
        with people.connect() as connection:
            micros = connection.execute(
                select(Thread.__table__.c.due_at).where(Thread.__table__.c.thread_key == key)
            ).scalar()
        value = micros if isinstance(micros, datetime) else from_micros(micros)
        return f"{value.astimezone(UTC):%H:%M}"

    assert due("a") == "10:00"
    service(people, "lee").set_sla_settings(replace(SlaSettings(), kind={"dm": 30}), 0)
    assert due("a") == "09:30"

    store.ingest(account, "dms", [message("2", "b", MONDAY_8, "hello", kind=Kind.DM)], None)

    assert due("b") == "09:30"
