"""`inbox canned edit | new`: a lead changes prepared answers in $EDITOR, on a real SQLite file.

The editor is a small Python script that applies the next of a list of scripted edits, so
each test reads like a person's session: open, type, save, close.
"""

from __future__ import annotations

import json
import shlex
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from canned_responses.library import CannedResponse, dump_response
from inbox.cli.main import main
from inbox.core.database import open_engine
from inbox.core.models import CannedResponse as CannedResponseRow
from inbox.core.models import Event

_EDITOR_SCRIPT = """\
import json, sys
from pathlib import Path

steps_file = Path(__file__).with_name("steps.json")
steps = json.loads(steps_file.read_text())
step, rest = steps[0], steps[1:]
steps_file.write_text(json.dumps(rest))
target = Path(sys.argv[1])
with Path(__file__).with_name("opened.log").open("a") as log:
    log.write(str(target) + "\\n")
text = target.read_text()
for old, new in step.get("replace", []):
    assert old in text, (old, text)
    text = text.replace(old, new, 1)
target.write_text(text + step.get("append", ""))
"""


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


class Editor:
    """The scripted $EDITOR: `plan` the edits, then read what it opened."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        (directory / "editor.py").write_text(_EDITOR_SCRIPT)

    def plan(self, *steps: dict) -> None:
        (self.directory / "steps.json").write_text(json.dumps(list(steps)))

    @property
    def opened_files(self) -> list[str]:
        log = self.directory / "opened.log"
        return log.read_text().splitlines() if log.exists() else []


@pytest.fixture
def editor(tmp_path, monkeypatch) -> Editor:
    directory = tmp_path / "editor"
    directory.mkdir()
    scripted = Editor(directory)
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(directory / 'editor.py'))}"
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", command)
    temporary = tmp_path / "temporary"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    return scripted


@pytest.fixture
def answers(monkeypatch) -> list[str]:
    """What the person types at the `[e]dit again / [q]uit` prompt, in order."""
    typed: list[str] = []

    def fake_input(prompt: str = "") -> str:
        assert prompt == "[e]dit again / [q]uit? "
        return typed.pop(0)

    monkeypatch.setattr("builtins.input", fake_input)
    return typed


@pytest.fixture
def db(tmp_path, capsys) -> str:
    """A database with an admin, a lead (casey), an agent (alex) and one prepared answer."""
    path = str(tmp_path / "inbox.db")
    run(capsys, "--db", path, "agents", "add", "root", "--role", "admin")
    run(capsys, "--db", path, "--as", "root", "agents", "add", "casey", "--role", "lead")
    run(capsys, "--db", path, "--as", "root", "agents", "add", "alex")
    library = tmp_path / "library"
    library.mkdir()
    refund = CannedResponse(
        shortcode="refund",
        title="Refund request",
        body="Hi {author.name|there}, DM us your order number and we'll refund it.",
        tags=("refund", "billing"),
    )
    (library / "refund.md").write_text(dump_response(refund))
    status, out, _ = run(capsys, "--db", path, "--as", "casey", "canned", "import", str(library))
    assert (status, out.strip()) == (0, "1 added, 0 updated, 0 unchanged")
    return path


def stored_answers(path: str) -> dict[str, dict]:
    engine = open_engine(f"sqlite:///{path}")
    table = CannedResponseRow.__table__
    with engine.connect() as connection:
        rows = connection.execute(select(table)).all()
    engine.dispose()
    return {row.shortcode: dict(row._mapping) for row in rows}


def saved_events(path: str) -> list[tuple[str, dict]]:
    engine = open_engine(f"sqlite:///{path}")
    table = Event.__table__
    with engine.connect() as connection:
        rows = connection.execute(
            select(table.c.actor, table.c.payload)
            .where(table.c.type == "canned.saved")
            .order_by(table.c.id)
        ).all()
    engine.dispose()
    return [(row.actor, row.payload) for row in rows]


def test_a_lead_changes_the_title_and_it_is_saved(capsys, db, editor):
    editor.plan({"replace": [["title: Refund request", "title: Refunds and returns"]]})

    status, out, err = run(capsys, "--db", db, "--as", "casey", "canned", "edit", "refund")

    assert (status, out.strip(), err) == (0, "saved prepared answer 'refund': changed title", "")
    refund = stored_answers(db)["refund"]
    assert refund["title"] == "Refunds and returns"
    assert refund["tags"] == ["refund", "billing"]
    assert saved_events(db) == [("casey", {"shortcode": "refund"})]
    [opened] = editor.opened_files
    assert not Path(opened).exists()


def test_a_bad_header_is_shown_with_its_line_and_the_next_edit_saves(capsys, db, editor, answers):
    editor.plan(
        {"replace": [["needs_approval: false", "needs_approval: perhaps"]]},
        {
            "replace": [
                ["needs_approval: perhaps", "needs_approval: true"],
                ["order number", "order number and postcode"],
            ]
        },
    )
    answers.append("e")

    status, out, err = run(capsys, "--db", db, "--as", "casey", "canned", "edit", "refund")

    first, second = editor.opened_files
    assert first == second, "the second edit starts from what the person typed"
    assert f"{first}:6: needs_approval must be true or false" in err
    assert status == 0
    assert out.strip().endswith("saved prepared answer 'refund': changed body, needs approval")
    refund = stored_answers(db)["refund"]
    assert refund["needs_approval"] is True
    assert "order number and postcode" in refund["body"]
    assert saved_events(db) == [("casey", {"shortcode": "refund"})]


def test_quitting_after_a_bad_edit_keeps_the_text_and_saves_nothing(capsys, db, editor, answers):
    editor.plan({"append": "Thanks, {customer.name}!\n"})
    answers.append("q")

    status, _, err = run(capsys, "--db", db, "--as", "casey", "canned", "edit", "refund")

    [opened] = editor.opened_files
    assert status == 1
    assert f"{opened}:9: unknown variable {{customer.name}}" in err
    assert f"nothing was saved; your text is kept in {opened}" in err
    assert "Thanks, {customer.name}!" in Path(opened).read_text()
    assert "customer" not in stored_answers(db)["refund"]["body"]
    assert saved_events(db) == []


def test_an_agent_is_refused_before_any_editor_opens(capsys, db, editor):
    editor.plan({"replace": [["title: Refund request", "title: Mine now"]]})

    status, out, err = run(capsys, "--db", db, "--as", "alex", "canned", "edit", "refund")

    assert (status, out) == (4, "")
    assert "alex is an agent; only admin, lead may edit prepared answers" in err
    assert editor.opened_files == []
    assert stored_answers(db)["refund"]["title"] == "Refund request"


def test_closing_the_editor_without_changes_saves_nothing(capsys, db, editor):
    editor.plan({})

    status, out, _ = run(capsys, "--db", db, "--as", "casey", "canned", "edit", "refund")

    assert (status, out.strip()) == (0, "no changes")
    assert saved_events(db) == []
    [opened] = editor.opened_files
    assert not Path(opened).exists()


def test_new_writes_an_answer_from_a_blank_file(capsys, db, editor):
    editor.plan(
        {
            "replace": [["title: ''", "title: Opening hours"], ["tags: []", "tags: [hours]"]],
            "append": "We're open 9 to 5, {author.name|there}.\n",
        }
    )

    status, out, err = run(capsys, "--db", db, "--as", "casey", "canned", "new", "hours")

    assert (status, out.strip(), err) == (0, "added prepared answer 'hours'", "")
    hours = stored_answers(db)["hours"]
    assert (hours["title"], hours["tags"], hours["body"]) == (
        "Opening hours",
        ["hours"],
        "We're open 9 to 5, {author.name|there}.",
    )
    assert saved_events(db) == [("casey", {"shortcode": "hours"})]
    status, out, _ = run(capsys, "--db", db, "--as", "alex", "canned", "match", "opening hours")
    assert status == 0 and "hours" in out


def test_new_refuses_a_shortcode_that_exists(capsys, db, editor):
    status, _, err = run(capsys, "--db", db, "--as", "casey", "canned", "new", "refund")

    assert status == 5 and "prepared answer 'refund' already exists" in err
    assert editor.opened_files == []


def test_renaming_an_answer_in_the_editor_is_refused_on_its_line(capsys, db, editor, answers):
    editor.plan({"replace": [["shortcode: refund", "shortcode: refunds"]]})
    answers.append("q")

    status, _, err = run(capsys, "--db", db, "--as", "casey", "canned", "edit", "refund")

    [opened] = editor.opened_files
    assert status == 1 and f"{opened}:2: the shortcode must stay 'refund'" in err
    assert set(stored_answers(db)) == {"refund"}
