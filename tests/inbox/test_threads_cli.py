"""`inbox threads` as a person uses it, on a real SQLite file."""

from __future__ import annotations

import json

import pytest

from adapters.base import Kind
from inbox.cli.main import main
from inbox.core.database import open_engine
from inbox.store.ingest import Store
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
    """A lead (casey), two agents (alex, blake), a supervisor (sam) and three threads."""
    path = str(tmp_path / "inbox.db")
    run(capsys, "--db", path, "agents", "add", "root", "--role", "admin")
    for handle, role in (
        ("casey", "lead"),
        ("alex", "agent"),
        ("blake", "agent"),
        ("sam", "supervisor"),
    ):
        run(capsys, "--db", path, "--as", "root", "agents", "add", handle, "--role", role)
    engine = open_engine(f"sqlite:///{path}")
    account = add_account(engine, "demo-x", "@brand")
    Store(engine).ingest(
        account,
        "mentions",
        [
            item("in-1", "t1", kind=Kind.MENTION, text="is checkout down?", minutes=0),
            item("in-2", "t2", kind=Kind.DM, text="I want a refund", minutes=1, author="dan"),
            item("in-3", "t3", kind=Kind.COMMENT, text="love the app", minutes=2, author="erin"),
        ],
        None,
    )
    engine.dispose()
    return path


def listed(capsys, db: str, *options: str, actor: str = "alex") -> list[dict]:
    status, out, err = run(capsys, "--db", db, "--as", actor, "threads", "list", "--json", *options)
    assert status == 0, err
    return json.loads(out)


def test_list_shows_a_view_in_a_sort_order_with_filters(capsys, db):
    assert [row["id"] for row in listed(capsys, db)] == [3, 2, 1]
    assert [row["id"] for row in listed(capsys, db, "--view", "dms")] == [2]
    assert [row["id"] for row in listed(capsys, db, "--sort", "waiting", "--limit", "2")] == [1, 2]
    assert [row["id"] for row in listed(capsys, db, "--search", "refund")] == [2]
    assert [row["id"] for row in listed(capsys, db, "--platform", "x")] == [3, 2, 1]
    row = listed(capsys, db, "--view", "comments")[0]
    assert (row["author"], row["preview"], row["tags"], row["account_handle"]) == (
        "@erin",
        "love the app",
        [],
        "@brand",
    )

    status, out, _ = run(capsys, "--db", db, "--as", "alex", "threads", "list", "--view", "mine")
    assert (status, out.strip()) == (0, "no threads in the mine view")
    status, out, _ = run(capsys, "--db", db, "--as", "alex", "threads", "list")
    header, *lines = out.splitlines()
    assert header.split()[:3] == ["ID", "STATUS", "PLATFORM"] and len(lines) == 3
    assert "love the app" in lines[0]


def test_bad_input_ends_with_status_2_and_a_plain_reason(capsys, db):
    status, _, err = run(capsys, "--db", db, "--as", "alex", "threads", "list", "--view", "later")
    assert status == 2 and "invalid choice: 'later'" in err
    status, _, err = run(capsys, "--db", db, "--as", "alex", "threads", "list", "--assignee", "zoe")
    assert (
        status == 2
        and "no person with the handle 'zoe'; handles: alex, blake, casey, root, sam" in err
    )
    status, _, err = run(capsys, "--db", db, "--as", "alex", "threads", "show", "99")
    assert status == 3 and err.strip() == "inbox: no thread 99"
    status, _, err = run(capsys, "--db", db, "--as", "alex", "threads", "snooze", "1", "yesterday")
    assert status == 2 and "could not read 'yesterday'" in err
    status, _, err = run(capsys, "--db", db, "--as", "alex", "threads", "note", "1", "ask @zoe")
    assert status == 2 and "@zoe is no colleague's handle" in err


def test_leads_assign_agents_take_and_refusals_are_named(capsys, db):
    status, out, _ = run(capsys, "--db", db, "--as", "casey", "threads", "assign", "1", "blake")
    assert (status, out.strip()) == (0, "assigned to blake: 1")
    status, _, err = run(capsys, "--db", db, "--as", "alex", "threads", "assign", "2", "alex")
    assert status == 4 and "only leads and admins assign threads" in err

    status, out, err = run(capsys, "--db", db, "--as", "alex", "threads", "take", "1", "2")
    assert status == 1 and out.strip() == "took: 2"
    assert err.strip() == (
        "inbox: thread 1 not changed: assigned to blake; "
        "agents change their own and unassigned threads"
    )
    assert [row["id"] for row in listed(capsys, db, "--view", "mine")] == [2]
    assert [row["id"] for row in listed(capsys, db, "--assignee", "blake", actor="casey")] == [1]

    status, _, err = run(capsys, "--db", db, "--as", "sam", "threads", "close", "3")
    assert (
        status == 4
        and "sam is a supervisor; supervisors read threads and do not change them" in err
    )


def test_tag_snooze_priority_close_and_reopen_from_the_shell(capsys, db):
    def act(*argv: str) -> str:
        status, out, err = run(capsys, "--db", db, "--as", "alex", "threads", *argv)
        assert status == 0, err
        return out.strip()

    assert act("tag", "2", "3", "Refund,VIP") == "tagged Refund, VIP: 2, 3"
    assert act("untag", "3", "vip") == "removed vip from: 3"
    assert [row["tags"] for row in listed(capsys, db, "--tag", "refund")] == [
        ["refund"],
        ["refund", "vip"],
    ]
    assert act("priority", "2", "urgent") == "priority urgent: 2"
    assert act("snooze", "3", "2h").startswith("snoozed until ")
    assert [row["id"] for row in listed(capsys, db, "--view", "snoozed")] == [3]
    assert act("close", "1") == "closed: 1"
    assert [row["id"] for row in listed(capsys, db, "--view", "closed")] == [1]
    assert act("reopen", "1", "3") == "reopened: 1, 3"
    assert [row["id"] for row in listed(capsys, db, "--priority", "urgent")] == [2]

    status, _, err = run(capsys, "--db", db, "--as", "alex", "threads", "close", "1", "1")
    assert status == 0
    status, out, err = run(capsys, "--db", db, "--as", "alex", "threads", "close", "1")
    assert (status, out, err.strip()) == (1, "", "inbox: thread 1 not changed: already closed")


def test_show_prints_the_thread_its_notes_and_history(capsys, db):
    run(capsys, "--db", db, "--as", "casey", "threads", "assign", "2", "blake")
    status, out, _ = run(
        capsys, "--db", db, "--as", "blake", "threads", "note", "2", "@casey refund over 100, ok?"
    )
    assert (status, out.strip()) == (0, "added note 1 to thread 2, mentioning casey")
    run(capsys, "--db", db, "--as", "blake", "threads", "tag", "2", "refund")

    status, out, _ = run(capsys, "--db", db, "--as", "casey", "threads", "show", "2")
    assert status == 0
    assert out.splitlines()[0] == "thread 2 · demo-x @brand · dm · new · normal · assigned to blake"
    assert "blake: @casey refund over 100, ok?" in out
    history = out.split("history:\n", 1)[1]
    arrival = history.splitlines()[0].strip()
    assert arrival.startswith("2026-11-02 08:01 the first message arrived (fetched 20"), (
        "the platform's time first, then when the inbox fetched it"
    )
    assert [line.strip().split(" ", 2)[2] for line in history.splitlines()[1:]] == [
        "casey assigned this to blake",
        "blake added a note mentioning casey",
        "blake tagged it refund",
    ]

    status, out, _ = run(capsys, "--db", db, "--as", "casey", "threads", "show", "2", "--json")
    shown = json.loads(out)
    assert (
        shown["thread"]["assignee"],
        shown["notes"][0]["mentions"],
        shown["history"][-1]["type"],
    ) == (
        "blake",
        ["casey"],
        "thread.tagged",
    )
    assert [row["id"] for row in listed(capsys, db, "--view", "mentions", actor="casey")] == [2, 1]


def test_show_prints_each_message_with_its_attachments_cleaned_for_the_terminal(capsys, tmp_path):
    from dataclasses import replace

    from adapters.base import Attachment, AttachmentKind

    path = str(tmp_path / "inbox.db")
    run(capsys, "--db", path, "agents", "add", "root", "--role", "admin")
    engine = open_engine(f"sqlite:///{path}")
    account = add_account(engine, "demo-mastodon", "@brand")
    carrying = replace(
        item("in-1", "t1", text="checkout \x1b[31mbroke\x1b[0m again", minutes=0),
        attachments=(
            Attachment(AttachmentKind.WARNING, description="billing rant"),
            Attachment(
                AttachmentKind.IMAGE,
                url="https://media.example/1.png",
                description="[bold]Screenshot\x1b]2;pwned\x07 of the error\u202e",
                title="shot.png",
                size=240_000,
            ),
            Attachment(AttachmentKind.QUOTE, author="@nimbus", description="Dark mode is here."),
            Attachment(AttachmentKind.POLL, title="Which plan?", options=("Monthly", "Yearly")),
        ),
    )
    photo_only = replace(
        item("in-2", "t1", text="", minutes=1),
        attachments=(Attachment(AttachmentKind.IMAGE, description="A cat on a keyboard"),),
    )
    Store(engine).ingest(account, "mentions", [carrying, photo_only], None)
    engine.dispose()

    status, out, _ = run(capsys, "--db", path, "--as", "root", "threads", "show", "1")
    assert status == 0
    messages = out.split("messages:\n", 1)[1].split("\n\nhistory:", 1)[0].splitlines()
    assert messages == [
        "  2026-11-02 08:00 @carol · message 1:",
        "    ⚠ Content warning: billing rant",
        "    checkout broke again",
        "    ▸ image: [bold]Screenshot of the error · shot.png, 240 KB",
        "      https://media.example/1.png",
        "    ▸ quote from @nimbus",
        "      │ Dark mode is here.",
        "    ▸ poll: Which plan?",
        "      ○ Monthly",
        "      ○ Yearly",
        "",
        "  2026-11-02 08:01 @carol · message 2:",
        "    ▸ image: A cat on a keyboard",
    ]
    assert not any(character in out for character in "\x1b\x07\u202e")

    status, out, _ = run(capsys, "--db", path, "--as", "root", "threads", "show", "1", "--json")
    shown = json.loads(out)
    assert [message["text"] for message in shown["messages"]] == [
        "checkout \x1b[31mbroke\x1b[0m again",
        "",
    ]
    assert shown["messages"][0]["attachments"][3] == {
        "kind": "poll",
        "title": "Which plan?",
        "options": ["Monthly", "Yearly"],
    }
