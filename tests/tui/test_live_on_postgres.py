"""A team's database: the inbox shows what another machine wrote as soon as it commits.

The app polls only once a minute here, and every wait gives up after a few seconds, so
what shows in time was brought by PostgreSQL's notification, not by the poll.
"""

from __future__ import annotations

import pytest

from adapters.base import AccountRef
from inbox.core.config import Config
from inbox.core.database import open_engine
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.conftest import skip_or_fail
from tests.tui.conftest import settled, wait_for
from tests.tui.workspace import add_people, build_workspace, message
from tui.app import InboxApp

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres_engine(request):
    server = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_template")
    if template is None:
        skip_or_fail(f"PostgreSQL: {server}")
    url = server.create_database(template_url=template)
    engine = open_engine(url)
    yield engine
    engine.dispose()
    server.drop_database(url)


async def test_a_message_landed_by_another_machine_shows_without_waiting_for_the_poll(
    postgres_engine, clock
):
    workspace = build_workspace(postgres_engine, clock(), 5)
    add_people(InboxService(postgres_engine, clock=clock))
    service = InboxService(postgres_engine, actor="alice", clock=clock)
    app = InboxApp(service, config=Config(), sync=False, poll_seconds=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        await wait_for(pilot, lambda: app._waker is not None and app._waker.listening)

        other_machine = open_engine(postgres_engine.url.render_as_string(hide_password=False))
        try:
            account = workspace.accounts[0]
            Store(other_machine, clock).ingest(
                AccountRef(id=account.id, platform=account.platform, handle=account.handle),
                "mentions",
                [
                    message(
                        "elsewhere-1",
                        "elsewhere",
                        clock(),
                        "Payments fail at checkout",
                        author="zed",
                    )
                ],
                None,
            )
        finally:
            other_machine.dispose()

        def arrived() -> bool:
            """the message from the other machine at the top of the list"""
            return screen.thread_list.rows[0].author == "@zed"

        await wait_for(pilot, arrived)
        assert len(screen.thread_list.rows) == 6
