"""An agent writes a note on a colleague's thread from the thread screen (`n`), and the
colleague it @mentions finds the thread under Mentions; closing it is still refused."""

from __future__ import annotations

from inbox.core.config import Config
from inbox.service import InboxService
from inbox.triage.lists import ThreadFilter, View
from tests.tui.conftest import settled, wait_for
from tests.tui.workspace import add_people, build_workspace
from tui.app import InboxApp
from tui.dialogs.pickers import NotePrompt
from tui.screens.thread import ThreadScreen


async def test_an_agent_notes_a_thread_a_colleague_holds(sqlite_engine, clock):
    build_workspace(sqlite_engine, clock(), 5)
    add_people(InboxService(sqlite_engine, clock=clock))
    alice = InboxService(sqlite_engine, actor="alice", clock=clock)
    blake = InboxService(sqlite_engine, actor="blake", clock=clock)
    app = InboxApp(blake, config=Config(), sync=False, poll_seconds=0.05)

    def told(text: str) -> bool:
        return any(text in str(note.message) for note in app._notifications)

    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        thread_id = app.screen.thread_list.rows[0].id
        alice.take([thread_id])
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ThreadScreen))
        screen = app.screen
        await wait_for(
            pilot, lambda: "assigned to alice" in str(screen.query_one("#thread-title").render())
        )

        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NotePrompt))
        await pilot.press(*"@alice she also wrote by mail")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: told("Note added; alice will see the thread under Mentions."))
        await wait_for(pilot, lambda: "internal note · blake" in screen.conversation.plain_text)
        assert "@alice she also wrote by mail" in screen.conversation.plain_text

        await pilot.press("c")
        await wait_for(pilot, lambda: told("Not closed: assigned to alice"))

    [note] = alice.notes(thread_id)
    assert (note.author, note.mentions) == ("blake", ("alice",))
    assert thread_id in [row.id for row in alice.list_threads(ThreadFilter(view=View.MENTIONS))]
    assert alice.thread(thread_id).status != "closed"
