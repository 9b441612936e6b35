"""Notes go on any thread a person reads, a colleague's too, so an @mention always reaches
its colleague; every other change keeps the agents' rule. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from inbox.cli.main import main
from inbox.core.errors import PermissionDenied
from inbox.service import InboxService
from inbox.store.ingest import Store
from inbox.triage.lists import ThreadFilter, View
from tests.support.items import add_account, item

AGENT_RULE = "assigned to blake; agents change their own and unassigned threads"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        status = main(list(argv))
    except SystemExit as exit:
        status = exit.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def blakes_thread(engine) -> int:
    """alex and blake (agents), casey (lead), sam (supervisor); one thread, held by blake."""
    setup = InboxService(engine)
    setup.add_agent("root", "Root", "admin")
    admin = InboxService(engine, actor="root")
    for handle, role in (("alex", "agent"), ("blake", "agent"), ("casey", "lead")):
        admin.add_agent(handle, handle.title(), role)
    admin.add_agent("sam", "Sam", "supervisor")
    account = add_account(engine, "demo-x", "@brand")
    Store(engine).ingest(account, "mentions", [item("in-1", "t1", text="is checkout down?")], None)
    InboxService(engine, actor="casey").assign([1], "blake")
    return 1


def test_an_agent_notes_a_colleagues_thread_and_the_colleague_is_told(engine, blakes_thread):
    alex = InboxService(engine, actor="alex")

    note = alex.add_note(blakes_thread, "@blake this customer wrote to me by mail as well")

    assert (note.author, note.mentions) == ("alex", ("blake",))
    assert [row.body for row in alex.notes(blakes_thread)] == [
        "@blake this customer wrote to me by mail as well"
    ]
    blake = InboxService(engine, actor="blake")
    mentioned = blake.list_threads(ThreadFilter(view=View.MENTIONS))
    assert [row.id for row in mentioned] == [blakes_thread]


def test_every_other_change_to_a_colleagues_thread_is_still_refused(engine, blakes_thread):
    alex = InboxService(engine, actor="alex")
    for change in (
        lambda: alex.tag([blakes_thread], add=["vip"]),
        lambda: alex.close([blakes_thread]),
        lambda: alex.set_priority([blakes_thread], "high"),
        lambda: alex.take([blakes_thread]),
    ):
        assert change().refused == {blakes_thread: AGENT_RULE}
    assert alex.thread(blakes_thread).status != "closed"


def test_a_supervisor_still_only_reads(engine, blakes_thread):
    with pytest.raises(PermissionDenied, match="supervisors read threads and do not change them"):
        InboxService(engine, actor="sam").add_note(blakes_thread, "@blake please look")
    assert InboxService(engine, actor="alex").notes(blakes_thread) == []


def test_the_cli_adds_a_note_to_a_colleagues_thread(capsys, database_url, engine, blakes_thread):
    status, out, err = run(
        capsys,
        "--db",
        database_url,
        "--as",
        "alex",
        "threads",
        "note",
        str(blakes_thread),
        "@blake refund already approved",
    )

    assert (status, out.strip(), err) == (
        0,
        f"added note 1 to thread {blakes_thread}, mentioning blake",
        "",
    )
    status, _, err = run(
        capsys, "--db", database_url, "--as", "alex", "threads", "close", str(blakes_thread)
    )
    assert status == 1 and AGENT_RULE in err
