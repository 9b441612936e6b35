"""`inbox demo --no-tui --crisis`: the scripted crisis, played headless, step by step."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from adapters.registry import adapter_class
from inbox.cli.main import main
from inbox.core.clock import FixedClock
from inbox.core.database import open_engine
from inbox.demo.crisis import CRISIS_LEAD, CRISIS_STEP, SPIKE_RULE, play_crisis
from inbox.demo.workspace import ACCOUNTS, build_workspace

NOW = datetime(2026, 11, 19, 14, 0, tzinfo=UTC)  # a Thursday afternoon: ordinary traffic

pytestmark = pytest.mark.slow  # each plays about two simulated hours of six accounts: ~3 s


def query(path, sql: str, *args):
    with sqlite3.connect(path) as connection:
        return connection.execute(sql, args).fetchall()


def test_the_scripted_crisis_plays_from_spike_to_review(tmp_path, capsys, monkeypatch):
    path = tmp_path / "demo.db"
    engine = open_engine(f"sqlite:///{path}")
    clock = FixedClock(NOW)
    build_workspace(engine, seed=7, days=2, clock=clock)
    lines: list[str] = []
    summary = play_crisis(engine, clock, lines.append)
    engine.dispose()

    # the spike raises an alert at the first poll that sees the outage
    assert summary.alert_rule == SPIKE_RULE
    assert summary.alert_at == summary.outage_at + CRISIS_STEP and summary.polls_to_alert == 1
    assert (
        query(
            path,
            "SELECT rule.name, alert.raised_at FROM alert "
            "JOIN alert_rule AS rule ON rule.id = alert.rule_id WHERE alert.id = ?",
            summary.alert_id,
        )[0][0]
        == SPIKE_RULE
    )
    assert any(f"ALERT {summary.alert_id}: {SPIKE_RULE}" in line for line in lines)

    # casey declares it; the scheduled posts pause
    (title, severity, scope, url, statement, declared_by, status) = query(
        path,
        "SELECT incident.title, severity, scope, status_url, holding_statement, agent.handle, "
        "status FROM incident JOIN agent ON agent.id = incident.declared_by "
        "WHERE incident.id = ?",
        summary.incident_id,
    )[0]
    assert declared_by == CRISIS_LEAD and severity == 2 and scope == "national" and url
    assert title in statement and url in statement and "{" not in statement
    assert len(summary.paused_posts) == 2
    assert query(
        path,
        "SELECT count(*) FROM event WHERE type = 'posts.paused' AND incident_id = ?",
        summary.incident_id,
    ) == [(1,)]

    # the holding statement: one campaign with one post per account that can publish
    # posts (not Reddit or the mailbox), all sent
    posting = [platform for platform, *_ in ACCOUNTS if adapter_class(platform).can_post_statement]
    assert "demo-reddit" not in posting and "demo-email" not in posting
    posts_campaign, replies_campaign = summary.statement_campaigns
    rows = query(
        path,
        "SELECT account_id, kind, status, rendered_text FROM outbound WHERE campaign_id = ?",
        posts_campaign,
    )
    assert len(rows) == len(posting) and len({row[0] for row in rows}) == len(posting)
    assert {(kind, status) for _, kind, status, _ in rows} == {("post", "sent")}
    assert all(title in text for *_, text in rows)

    # and a reply in every open incident thread, sent
    replies = query(
        path,
        "SELECT outbound.status, thread.incident_id FROM outbound "
        "JOIN thread ON thread.id = outbound.thread_id WHERE campaign_id = ?",
        replies_campaign,
    )
    assert replies and {row for row in replies} == {("sent", summary.incident_id)}
    assert summary.replies_sent == len(replies)
    assert sum(summary.failed.values()) == 0
    assert sum(summary.sent.values()) == len(rows) + len(replies) + len(posting)  # + the update

    # one public update, then the end
    assert query(
        path,
        "SELECT count(*) FROM outbound WHERE campaign_id = ? AND status = 'sent'",
        summary.update_campaign,
    ) == [(len(posting),)]
    assert status == "ended"
    assert query(
        path, "SELECT ended_at IS NOT NULL FROM incident WHERE id = ?", summary.incident_id
    ) == [(1,)]

    # afterwards, the review renders its timeline
    monkeypatch.chdir(tmp_path)
    assert (
        main(
            [
                "--db",
                str(path),
                "--as",
                CRISIS_LEAD,
                "review",
                str(summary.incident_id),
                "--out",
                "review.html",
            ]
        )
        == 0
    )
    html = (tmp_path / "review.html").read_text()
    import html as html_module

    text = html_module.unescape(html)
    for entry in (
        f"alert: {SPIKE_RULE}: ",
        f"declared: {title} (severity 2, national)",
        "2 scheduled posts paused",
        f"statement: {len(posting)} posts, {len(replies)} replies",
        f"statement: {len(posting)} posts, 0 replies",
        "ended: ",
    ):
        assert entry in text, entry


def test_demo_crisis_from_the_command_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("inbox.cli.demo.utc_now", lambda: NOW)
    target = tmp_path / "crisis.db"
    assert main(["--db", str(target), "demo", "--no-tui", "--crisis", "--days", "2"]) == 0
    out = capsys.readouterr().out
    assert "ALERT" in out and "declared incident 1" in out and "sent the holding statement" in out
    assert (
        f"render its review with: inbox --db {target} --as casey review 1 --out review.html" in out
    )
    assert "the spike rule fired 1 poll(s) after the outage began" in out
    assert query(target, "SELECT status FROM incident") == [("ended",)]
