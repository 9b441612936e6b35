"""The declare form says which threads its words tag, and the count it reports is the count
tagged: an open thread mentioning "backup" three days ago is tagged, a closed one is not."""

from __future__ import annotations

from datetime import timedelta

from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.tui.conftest import settled, wait_for
from tests.tui.workspace import message
from tui.screens.crisis import CrisisScreen, DeclareForm


async def test_declaring_tags_an_old_open_thread_and_says_one_thread(
    make_app, sqlite_engine, clock
):
    app, workspace = make_app()
    lead = InboxService(sqlite_engine, actor="alice", clock=clock)
    three_days_ago = clock() - timedelta(days=3)
    Store(sqlite_engine, clock).ingest(
        workspace.accounts[0],
        "mentions",
        [
            message("old-1", "old-open", three_days_ago, "My backup has been stuck all week"),
            message("old-2", "old-closed", three_days_ago, "The backup failed, fixed now"),
        ],
        None,
    )
    thread_of = {row.text: row.thread_id for row in lead.search("backup")}
    open_thread = thread_of["My backup has been stuck all week"]
    closed_thread = thread_of["The backup failed, fixed now"]
    lead.close([closed_thread])

    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, CrisisScreen))
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DeclareForm))
        form = app.screen
        assert "open threads whose messages mention any of these words, however old" in str(
            form.query_one("#match-rule").render()
        )
        await pilot.press(*"Backups stuck")
        form.query_one("#match").value = "backup, sync"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, CrisisScreen))
        await wait_for(
            pilot,
            lambda: any("1 thread tagged." in str(note.message) for note in app._notifications),
        )

    assert lead.thread(open_thread).incident_id == 1
    assert lead.thread(closed_thread).incident_id is None
