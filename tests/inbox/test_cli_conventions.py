"""One convention for the whole command line, as a person (or their script) meets it.

`--format` on every command, the thread first, one table of exit codes, platforms named as
the TUI names them, global options anywhere, empty lists that say so, and the demo's
workspace pointed to when a plain command reads the default database instead.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex

import pytest

from adapters.base import Kind
from inbox.cli import exit_codes
from inbox.cli.main import build_parser, main
from inbox.core.database import open_engine
from inbox.core.paths import default_database, demo_database
from inbox.store.ingest import Store
from tests.conftest import REPO
from tests.support.items import add_account, item


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        status = main(list(argv))
    except SystemExit as exit:
        status = exit.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def db(tmp_path, capsys) -> str:
    """A lead (casey), an agent (alex), and three threads on the demo's Mastodon and X."""
    path = str(tmp_path / "inbox.db")
    run(capsys, "--db", path, "agents", "add", "root", "--role", "admin")
    run(capsys, "--db", path, "--as", "root", "agents", "add", "casey", "--role", "lead")
    run(capsys, "--db", path, "--as", "root", "agents", "add", "alex")
    engine = open_engine(f"sqlite:///{path}")
    mastodon = add_account(engine, "demo-mastodon", "@brand@demo.social")
    x = add_account(engine, "demo-x", "@brand")
    Store(engine).ingest(
        mastodon,
        "mentions",
        [
            item("m-1", "t1", kind=Kind.MENTION, text="is checkout down?", minutes=0),
            item("m-2", "t2", kind=Kind.MENTION, text="refund please", minutes=1),
        ],
        None,
    )
    Store(engine).ingest(x, "mentions", [item("x-1", "t3", text="love it", minutes=2)], None)
    engine.dispose()
    return path


def as_casey(db: str, *argv: str) -> list[str]:
    return ["--db", db, "--as", "casey", *argv]


# -- output format ------------------------------------------------------------------------


def _leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """Every runnable command as (its words, its parser)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _leaves(sub, (*path, name))
    if parser.get_default("handler") is not None:
        yield path, parser


NO_JSON = {
    ("demo",): "builds a workspace and opens the TUI",
    ("tui",): "the terminal UI",
    ("db", "status"): "two lines for people",
    ("export",): "its --format is the data's: jsonl or csv",
    ("report",): "writes a file",
    ("review",): "writes a file",
    ("canned", "edit"): "an editor session",
    ("canned", "new"): "an editor session",
    ("setup",): "a conversation at the terminal, then what to run next",
    ("worker",): "runs until stopped; its output is the log (--log-format json)",
    ("serve",): "serves the terminal UI to browsers until stopped",
    ("webhooks", "serve"): "runs until stopped; its output is the log (--log-format json)",
    ("webhooks", "secret"): "asks for two secrets at the terminal, prints a sentence",
}


def test_every_command_prints_json_when_asked():
    without = []
    for words, parser in _leaves(build_parser()):
        if words in NO_JSON:
            continue
        formats = [action for action in parser._actions if "--format" in action.option_strings]
        if not formats or "json" not in formats[0].choices:
            without.append(" ".join(words))
    assert without == []


def test_a_change_prints_what_changed_as_json(capsys, db):
    status, out, _ = run(
        capsys, *as_casey(db, "threads", "tag", "1", "2", "refund,vip", "--format", "json")
    )
    assert status == 0
    assert json.loads(out) == {
        "action": "tag",
        "tags": ["refund", "vip"],
        "changed": [1, 2],
        "not_changed": {},
    }

    status, out, _ = run(
        capsys, *as_casey(db, "threads", "note", "1", "ask @alex", "--format", "json")
    )
    assert status == 0 and json.loads(out)["mentions"] == ["alex"]

    status, out, _ = run(capsys, *as_casey(db, "reply", "3", "Thanks!", "--format", "json"))
    assert status == 0
    queued = json.loads(out)
    assert (queued["thread"], queued["status"], queued["text"]) == (3, "queued", "Thanks!")


def _unlisted(value):
    """The JSON without `listed_at`, the moment each listing was read."""
    if isinstance(value, list):
        return [_unlisted(entry) for entry in value]
    if isinstance(value, dict):
        return {key: _unlisted(entry) for key, entry in value.items() if key != "listed_at"}
    return value


def test_the_older_json_flag_still_prints_the_same_json(capsys, db):
    for command in (["threads", "list"], ["threads", "show", "1"]):
        _, older, _ = run(capsys, *as_casey(db, *command, "--json"))
        _, newer, _ = run(capsys, *as_casey(db, *command, "--format", "json"))
        assert _unlisted(json.loads(older)) == _unlisted(json.loads(newer))
    status, out, _ = run(capsys, *as_casey(db, "threads", "list", "--format", "csv"))
    assert status == 0 and out.splitlines()[0].startswith("id,status,platform,")


# -- argument order -----------------------------------------------------------------------


def test_the_thread_comes_first(capsys, db):
    status, out, err = run(capsys, *as_casey(db, "threads", "tag", "1", "2", "refund"))
    assert (status, out.strip(), err) == (0, "tagged refund: 1, 2", "")
    status, out, err = run(capsys, *as_casey(db, "threads", "assign", "1", "alex"))
    assert (status, out.strip(), err) == (0, "assigned to alex: 1", "")
    status, out, err = run(capsys, *as_casey(db, "threads", "priority", "2", "3", "urgent"))
    assert (status, out.strip(), err) == (0, "priority urgent: 2, 3", "")
    status, out, err = run(capsys, *as_casey(db, "threads", "snooze", "3", "2h"))
    assert status == 0 and out.startswith("snoozed until ") and out.strip().endswith(": 3")


def test_the_older_order_still_works_and_says_the_new_one(capsys, db):
    status, out, err = run(capsys, *as_casey(db, "threads", "tag", "billing", "1", "2"))
    assert (status, out.strip()) == (0, "tagged billing: 1, 2")
    assert err == "inbox: the thread ids come first now: inbox threads tag 1 2 billing\n"

    status, out, err = run(capsys, *as_casey(db, "threads", "assign", "alex", "2"))
    assert (status, out.strip()) == (0, "assigned to alex: 2")
    assert err == "inbox: the thread ids come first now: inbox threads assign 2 alex\n"

    status, _, err = run(capsys, *as_casey(db, "threads", "tag", "1", "refund", "2"))
    assert status == exit_codes.INVALID
    assert "give one TAG[,TAG...] after the thread ids, not 'refund 2'" in err


# -- exit codes ---------------------------------------------------------------------------


def test_the_readme_lists_every_exit_code_as_the_program_uses_them():
    readme = (REPO / "README.md").read_text()
    table = readme.split("### Exit codes", 1)[1].split("\n\n", 2)[2].split("\n\n")[0]
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", table, re.MULTILINE)
    listed = {int(code): meaning.replace("\\|", "|") for code, meaning in rows}
    assert listed == exit_codes.MEANINGS


@pytest.mark.parametrize(
    ("argv", "status", "said"),
    [
        (["threads", "show", "99"], exit_codes.NOT_FOUND, "no thread 99"),
        (["reply", "99", "hello"], exit_codes.NOT_FOUND, "no thread 99"),
        (["threads", "close", "99"], exit_codes.FAILED, "thread 99 not changed"),
        (["outbox", "retry", "99"], exit_codes.NOT_FOUND, "no outgoing message 99"),
        (["--as", "alex", "threads", "assign", "1", "casey"], exit_codes.REFUSED, "only leads"),
        (["--as", "alex", "agents", "add", "zoe"], exit_codes.REFUSED, "may manage people"),
        (["threads", "snooze", "1", "yesterday"], exit_codes.INVALID, "could not read"),
        (["stats", "--since", "last week"], exit_codes.INVALID, "cannot read 'last week'"),
        (["threads", "list", "--view", "later"], exit_codes.INVALID, "invalid choice"),
        (["agents", "add", "alex"], exit_codes.CONFLICT, "already a person"),
        (["accounts", "add", "demo-x", "@brand"], exit_codes.CONFLICT, "already connected"),
    ],
)
def test_each_kind_of_failure_has_its_own_exit_code(capsys, db, argv, status, said):
    actor = [] if "--as" in argv else ["--as", "root"]
    result, out, err = run(capsys, "--db", db, *actor, *argv)
    assert result == status, err
    assert said in err and "Traceback" not in err


def test_a_second_reply_on_its_way_is_a_conflict(capsys, db):
    assert run(capsys, *as_casey(db, "reply", "1", "On it."))[0] == 0
    status, out, err = run(capsys, *as_casey(db, "reply", "1", "Also this."))
    assert (status, out) == (exit_codes.CONFLICT, "")
    assert "add --again to send this one as well" in err


def test_a_database_that_cannot_be_used_is_unavailable(capsys, tmp_path):
    broken = tmp_path / "broken.db"
    broken.write_text("not a database\n" * 50)
    status, _, err = run(capsys, "--db", str(broken), "agents", "list")
    assert status == exit_codes.UNAVAILABLE and "not a SQLite database" in err
    status, _, err = run(capsys, "--db", str(tmp_path / "missing.db"), "threads", "list")
    assert status == exit_codes.UNAVAILABLE and "no inbox database at" in err


# -- platforms ----------------------------------------------------------------------------


def test_a_platform_is_named_as_the_tui_shows_it(capsys, db):
    status, out, err = run(
        capsys, *as_casey(db, "threads", "list", "--platform", "mastodon", "--format", "json")
    )
    assert status == 0, err
    assert [(row["id"], row["platform"]) for row in json.loads(out)] == [
        (2, "demo-mastodon"),
        (1, "demo-mastodon"),
    ]
    status, out, _ = run(capsys, *as_casey(db, "threads", "list", "--platform", "demo-x"))
    assert status == 0 and "love it" in out

    status, out, err = run(capsys, *as_casey(db, "threads", "list", "--platform", "bluesky"))
    assert status == exit_codes.NOT_FOUND and out == ""
    assert err == "inbox: no account on 'bluesky': the accounts here are on mastodon, x\n"

    status, out, err = run(
        capsys,
        *as_casey(db, "stats", "--platform", "mastodon", "--by", "platform", "--format", "json"),
    )
    assert status == 0, err
    assert [group["group"] for group in json.loads(out)["by"]] == ["demo-mastodon"]


def test_accounts_add_help_lists_the_platforms(capsys):
    status, out, _ = run(capsys, "accounts", "add", "--help")
    assert status == 0
    platforms = out.split("platforms: ", 1)[1]
    assert all(name in platforms for name in ("mastodon", "bluesky", "demo-mastodon", "email"))


# -- global options -----------------------------------------------------------------------


def test_global_options_may_follow_the_command(capsys, db):
    status, out, err = run(
        capsys, "threads", "list", "--db", db, "--as", "casey", "--format", "json"
    )
    assert status == 0, err
    assert len(json.loads(out)) == 3

    assert build_parser().parse_args(["sync", "--follow", "-v"]).verbose is True
    status, out, err = run(capsys, "--db", db, "sync", "-v", "--as", "root", "--format", "json")
    assert status == 0, err
    assert {stream["platform"] for stream in json.loads(out)["streams"]} == {
        "demo-mastodon",
        "demo-x",
    }

    status, _, err = run(
        capsys, "--as", "casey", "threads", "show", "1", "--as", "alex", "--db", db
    )
    assert status == 0, "the later --as wins, as a later option does"


# -- empty lists and the database in use --------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["approvals", "list"], "no messages wait for approval"),
        (["outbox", "list"], "no outgoing messages"),
        (["campaign", "list"], "no campaigns yet"),
        (["incident", "list", "--active"], "no active incidents"),
        (["alerts", "list"], "no alerts yet"),
        (["rules", "list"], "no listening rules (`inbox rules add` adds one)"),
        (["posts", "list"], "no scheduled posts"),
        (["threads", "list", "--view", "closed"], "no threads in the closed view"),
    ],
)
def test_an_empty_list_says_it_is_empty(capsys, db, argv, said):
    status, out, _ = run(capsys, *as_casey(db, *argv))
    assert (status, out.strip()) == (0, said)
    status, out, _ = run(capsys, *as_casey(db, *argv, "--format", "json"))
    assert (status, json.loads(out)) == (0, [])


def test_after_the_demo_a_plain_command_points_at_the_demos_workspace(capsys, isolated_machine):
    assert run(capsys, "demo", "--no-tui", "--days", "1")[0] == 0
    demo = demo_database()

    status, out, err = run(capsys, "--as", "alex", "threads", "list")
    assert status == exit_codes.UNAVAILABLE and out == ""
    assert f"no inbox database at {default_database()}" in err
    assert err.strip().endswith(
        f"the demo workspace is in {demo}: inbox --db {demo} --as alex threads list"
    )

    assert run(capsys, "db", "upgrade")[0] == 0  # an empty default database now exists
    status, out, err = run(capsys, "threads", "list")
    assert (status, out.strip()) == (0, "no threads in the open view")
    assert err == (
        f"inbox: read {default_database()}; the demo workspace is in {demo}: "
        f"inbox --db {demo} --as alex threads list\n"
    )

    status, out, err = run(capsys, "--db", str(demo), "--as", "alex", "threads", "list")
    assert status == 0 and len(out.splitlines()) > 1 and err == ""


def test_starting_the_demos_outage_on_a_workspace_says_when(capsys, tmp_path):
    path = str(tmp_path / "demo.db")
    assert run(capsys, "--db", path, "demo", "--no-tui", "--days", "1")[0] == 0
    status, out, err = run(
        capsys, "--db", path, "demo", "--keep", "--no-tui", "--crisis-after", "0"
    )
    assert status == 0, err
    assert re.search(
        r"^the scripted outage starts at \d\d:\d\d UTC \(now\); an open demo of this "
        r"workspace shows it at its next sync$",
        out,
        re.MULTILINE,
    )


# -- words --------------------------------------------------------------------------------


def test_counts_read_as_people_say_them(capsys, tmp_path):
    path = str(tmp_path / "demo.db")
    status, out, _ = run(capsys, "--db", path, "demo", "--no-tui", "--days", "1")
    assert status == 0 and " over 1 day, " in out and "9 accounts, 5 people" in out


def test_every_command_in_the_readme_parses():
    readme = (REPO / "README.md").read_text()
    block = readme.split("## Using it", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [
        shlex.split(line, comments=True) for line in block.splitlines() if line.startswith("inbox ")
    ]
    assert len(commands) > 20
    parser = build_parser()
    for words in commands:
        options = parser.parse_args(words[1:])
        assert options.handler is not None, words
