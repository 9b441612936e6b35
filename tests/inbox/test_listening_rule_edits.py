"""Leads edit listening rules and switch them off or on, versioned through events, on SQLite
and PostgreSQL; `inbox rules edit|enable|disable` and `inbox team history` show it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from inbox.cli.main import main
from inbox.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from inbox.crisis import listening
from inbox.events import AlertRuleChanged
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.support.items import add_account, item

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def people(engine):
    setup = InboxService(engine)
    setup.add_agent("ana", "Ana", "admin")
    admin = InboxService(engine, actor="ana")
    admin.add_agent("lee", "Lee", "lead")
    admin.add_agent("kim", "Kim", "lead")
    admin.add_agent("ben", "Ben", "agent")
    return engine


def service(engine, handle: str) -> InboxService:
    return InboxService(engine, actor=handle, clock=lambda: NOW)


def an_outage_mention(engine) -> None:
    account = add_account(engine, "demo-x", "@brand")
    Store(engine).ingest(
        account,
        "mentions",
        [
            replace(
                item("m-1", "m-1", text="is the app down?"), created_at=NOW - timedelta(minutes=5)
            )
        ],
        None,
    )


def test_a_lead_edits_a_rule_and_the_event_says_what_changed(people):
    lee = service(people, "lee")
    rule_id = lee.add_listening_rule("outage", listening.KEYWORD, {"keywords": "outage"})
    rule = lee.listening_rule(rule_id)

    saved = lee.edit_listening_rule(
        rule_id, name="Outage words", config={"keywords": "outage, down"}, version=rule.version
    )

    assert (saved.name, saved.config["keywords"], saved.enabled) == (
        "Outage words",
        ["outage", "down"],
        True,
    )
    assert saved.version != rule.version
    assert service(people, "ben").listening_rules()[0].describe() == "mentions of outage, down"
    [change] = [e for e in lee.events_after(0) if e.type == AlertRuleChanged.type]
    assert change.actor == "lee"
    assert change.describe() == (
        "lee changed the listening rule 'Outage words': name from outage to Outage words; "
        "keywords from outage to outage, down"
    )
    assert change.event().before["config"]["keywords"] == ["outage"]


def test_an_edit_from_an_older_version_is_refused_naming_who_changed_it(people):
    lee, kim = service(people, "lee"), service(people, "kim")
    rule_id = lee.add_listening_rule("surge", listening.VOLUME_SPIKE, {"factor": 3})
    read_by_lee = lee.listening_rule(rule_id)
    kim.edit_listening_rule(rule_id, config={"factor": 5}, version=read_by_lee.version)

    with pytest.raises(Conflict, match="changed since you read it: kim changed it at 2026-11-02"):
        lee.edit_listening_rule(rule_id, config={"factor": 4}, version=read_by_lee.version)

    assert lee.listening_rule(rule_id).config["factor"] == 5


def test_a_switched_off_rule_stays_listed_and_raises_nothing_until_switched_on(people):
    an_outage_mention(people)
    lee = service(people, "lee")
    rule_id = lee.add_listening_rule("down", listening.KEYWORD, {"keywords": "down"})
    rule = lee.listening_rule(rule_id)

    off = lee.edit_listening_rule(rule_id, enabled=False, version=rule.version)

    assert [(each.name, each.enabled) for each in lee.listening_rules()] == [("down", False)]
    assert listening.evaluate_rules(people, NOW) == []
    lee.edit_listening_rule(rule_id, enabled=True, version=off.version)
    [alert] = listening.evaluate_rules(people, NOW)
    assert alert.rule_name == "down"
    assert lee.listening_rules()[0].last_alert_summary == alert.summary


def test_bad_values_agents_removed_rules_and_no_change_are_told_apart(people):
    lee, ben = service(people, "lee"), service(people, "ben")
    rule_id = lee.add_listening_rule("angry", listening.NEGATIVE_SHARE, {"share": 0.5})
    version = lee.listening_rule(rule_id).version

    with pytest.raises(InvalidInput, match="share must be between 0.01 and 1, not 5"):
        lee.edit_listening_rule(rule_id, config={"share": 5}, version=version)
    with pytest.raises(InvalidInput, match="has no setting keywords"):
        lee.edit_listening_rule(rule_id, config={"keywords": "x"}, version=version)
    with pytest.raises(PermissionDenied, match="only admin, lead may manage listening rules"):
        ben.edit_listening_rule(rule_id, enabled=False, version=version)
    unchanged = lee.edit_listening_rule(rule_id, config={"share": 0.5}, version=version)
    assert unchanged.version == version
    assert not [e for e in lee.events_after(0) if e.type == AlertRuleChanged.type]
    lee.remove_listening_rule(rule_id)
    with pytest.raises(NotFound, match="no listening rule"):
        lee.edit_listening_rule(rule_id, enabled=True, version=version)
    assert lee.listening_rules() == []


def run(capsys, url: str, *argv: str) -> tuple[int, str, str]:
    status = main(["--db", url, *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_cli_edits_switches_and_lists_rules_and_team_history_shows_it(
    capsys, people, database_url
):
    lead = ("--as", "lee")
    assert run(capsys, database_url, *lead, "rules", "add", "volume_spike", "Surge")[0] == 0

    status, out, _ = run(
        capsys, database_url, *lead, "rules", "edit", "surge", "--factor", "4", "--window", "30"
    )
    assert status == 0
    assert out.strip() == (
        "lee changed the listening rule 'Surge': window_minutes from 60 to 30; "
        "factor from 3.0 to 4.0"
    )
    status, _, err = run(capsys, database_url, *lead, "rules", "edit", "1", "--factor", "0.5")
    assert status == 2 and "factor must be at least 1, not 0.5" in err
    status, _, err = run(capsys, database_url, "--as", "ben", "rules", "disable", "Surge")
    assert status == 4 and "only admin, lead may manage listening rules" in err

    status, out, _ = run(capsys, database_url, *lead, "rules", "disable", "Surge")
    assert out.strip() == (
        "listening rule 1 (Surge) is off: it raises no alerts until `inbox rules enable 1`"
    )
    status, out, _ = run(capsys, database_url, "--as", "ben", "rules", "list", "--format", "json")
    [listed] = json.loads(out)
    assert (listed["enabled"], listed["config"]["factor"]) == (False, 4.0)
    assert "disabled" not in listed["config"]
    status, out, _ = run(capsys, database_url, *lead, "rules", "enable", "1")
    assert out.strip() == "listening rule 1 (Surge) is on"

    status, out, _ = run(capsys, database_url, "team", "history")
    changes = [line.split("  ")[-1].strip() for line in out.splitlines()[1:]]
    assert changes == [
        "added the listening rule 'Surge'",
        "changed the listening rule 'Surge': window_minutes from 60 to 30; factor from 3.0 to 4.0",
        "switched off the listening rule 'Surge'",
        "switched on the listening rule 'Surge'",
    ]
    status, out, _ = run(capsys, database_url, "team", "history", "--format", "json")
    assert json.loads(out)[1]["changes"] == {"window_minutes": [60, 30], "factor": [3.0, 4.0]}
