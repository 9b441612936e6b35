"""The commands `inbox reply | outbox | approvals | campaign | canned` as a person uses them.

They run on a real SQLite file.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from adapters.base import Kind
from canned_responses.library import STARTER_DIRECTORY
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
    """A database with a lead (casey), an agent (alex), the starter answers and two threads."""
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
    quiet = {"send_latency_scale": 0, "send_failure_rate": 0}
    for platform, key in (("demo-x", "x-1"), ("demo-mastodon", "m-1")):
        account = add_account(engine, platform, "@brand", **quiet)
        store.ingest(
            account,
            "mentions",
            [item(f"in-{key}", key, kind=Kind.MENTION, text="is checkout down?")],
            None,
        )
    engine.dispose()
    status, out, _ = run(
        capsys, "--db", path, "--as", "casey", "canned", "import", str(STARTER_DIRECTORY)
    )
    assert status == 0 and "added" in out
    return path


def test_prepared_answers_are_imported_by_leads_listed_matched_and_exported(capsys, db, tmp_path):
    status, _, err = run(
        capsys, "--db", db, "--as", "alex", "canned", "import", str(STARTER_DIRECTORY)
    )
    assert status == 4 and "alex is an agent; only admin, lead may edit prepared answers" in err

    status, out, _ = run(capsys, "--db", db, "--as", "alex", "canned", "list", "--format", "json")
    shortcodes = [answer["shortcode"] for answer in json.loads(out)]
    assert status == 0 and "holding-statement" in shortcodes and len(shortcodes) >= 30

    status, out, _ = run(
        capsys, "--db", db, "--as", "alex", "canned", "match", "refnud", "--format", "csv"
    )
    assert next(csv.DictReader(io.StringIO(out)))["shortcode"] == "refund"

    exported = tmp_path / "exported"
    status, out, _ = run(capsys, "--db", db, "--as", "alex", "canned", "export", str(exported))
    assert status == 0 and (exported / "refund.md").is_file()
    status, out, _ = run(capsys, "--db", db, "--as", "casey", "canned", "import", str(exported))
    assert out.strip() == f"0 added, 0 updated, {len(shortcodes)} unchanged"


def test_a_reply_is_queued_sent_and_shown_in_the_outbox(capsys, db):
    status, out, _ = run(
        capsys, "--db", db, "--as", "alex", "reply", "1", "Thanks {author.name|there}, we're on it."
    )
    assert status == 0 and out.strip() == "queued outgoing message 1 to demo-x @brand"

    status, out, _ = run(capsys, "--db", db, "--as", "alex", "outbox", "run")
    assert status == 0 and out.strip() == "1 sent, 0 failed, 0 unknown, 0 to retry"

    status, out, _ = run(capsys, "--db", db, "--as", "alex", "outbox", "list", "--format", "json")
    [row] = json.loads(out)
    assert (row["status"], row["author"], row["text"]) == (
        "sent",
        "alex",
        "Thanks Carol, we're on it.",
    )
    assert row["external_id"]


def test_a_reply_too_long_for_x_is_refused_with_the_excess(capsys, db):
    status, _, err = run(capsys, "--db", db, "--as", "alex", "reply", "1", "a" * 290)
    assert status == 2 and "Too long for X (demo) by 10 weighted characters (290 of 280)" in err
    status, out, _ = run(capsys, "--db", db, "--as", "alex", "outbox", "list", "--format", "json")
    assert json.loads(out) == []


def test_approval_flow_from_the_shell(capsys, db):
    status, out, _ = run(capsys, "--db", db, "--as", "alex", "reply", "2", "--canned", "apology")
    assert (
        status == 0
        and "waits for a lead's approval: prepared answer 'apology' needs approval" in out
    )

    status, _, err = run(capsys, "--db", db, "--as", "alex", "approvals", "approve", "1")
    assert status == 4 and "only admin, lead may approve" in err
    with pytest.raises(SystemExit):
        main(["--db", db, "--as", "casey", "approvals", "reject", "1"])
    capsys.readouterr()

    status, out, _ = run(
        capsys, "--db", db, "--as", "casey", "approvals", "list", "--format", "json"
    )
    assert [(row["id"], row["author"], row["platform"]) for row in json.loads(out)] == [
        (1, "alex", "demo-mastodon")
    ]
    status, out, _ = run(
        capsys,
        "--db",
        db,
        "--as",
        "casey",
        "approvals",
        "reject",
        "1",
        "--note",
        "Wait for the status page",
    )
    assert status == 0 and "alex sees your note" in out

    status, out, _ = run(
        capsys, "--db", db, "--as", "alex", "outbox", "list", "--mine", "--format", "json"
    )
    [row] = json.loads(out)
    assert (row["status"], row["note"]) == ("rejected", "casey: Wait for the status page")


def test_a_bulk_reply_campaign_is_listed_and_followed_target_by_target(capsys, db):
    status, out, _ = run(
        capsys,
        "--db",
        db,
        "--as",
        "alex",
        "campaign",
        "reply",
        "1",
        "2",
        "--canned",
        "refund",
        "--title",
        "Refunds",
    )
    assert status == 0 and out.strip() == "campaign 1: 2 replies, sending"

    run(capsys, "--db", db, "--as", "alex", "outbox", "run")

    status, out, _ = run(capsys, "--db", db, "--as", "alex", "campaign", "list", "--format", "json")
    [campaign] = json.loads(out)
    assert (campaign["title"], campaign["status"], campaign["sent"], campaign["targets"]) == (
        "Refunds",
        "done",
        2,
        2,
    )
    status, out, _ = run(capsys, "--db", db, "--as", "alex", "campaign", "status", "1")
    assert "done: 2 of 2 sent, 0 pending, 0 failed or stopped" in out
    assert "demo-x" in out and "demo-mastodon" in out
