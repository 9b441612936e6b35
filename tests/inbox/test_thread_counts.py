"""A view's size, as the inbox's status line shows it: the count of what the view lists."""

from __future__ import annotations

from datetime import timedelta

from inbox.service import InboxService
from inbox.store.ingest import Store
from inbox.triage.lists import ThreadFilter, View
from tests.support.items import add_account, item


def test_every_view_counts_exactly_the_threads_it_lists(engine, clock):
    setup = InboxService(engine, clock=clock)
    setup.add_agent("alex", "Alex Kim", "lead")
    alex = InboxService(engine, actor="alex", clock=clock)
    account = add_account(engine, "demo-x")
    page = [item(str(number), f"t{number}", minutes=number) for number in range(7)]
    thread_ids = list(Store(engine, clock).ingest(account, "mentions", page, None).thread_ids)
    alex.close(thread_ids[:2])
    alex.snooze(thread_ids[2:3], clock() + timedelta(hours=1))
    alex.take(thread_ids[3:4])

    for view in View:
        query = ThreadFilter(view=view)
        listed = alex.list_threads(query, limit=1_000)
        assert alex.count_threads(query) == len(listed), view
    assert alex.count_threads() == 4
    assert alex.count_threads(ThreadFilter(view=View.CLOSED)) == 2
    assert alex.count_threads(ThreadFilter(search_text="message 5")) == 1
