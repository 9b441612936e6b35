"""Triage writes as people read about them: the summary sentences and the worker reporting them."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import pytest
from textual import on
from textual.app import App
from textual.screen import Screen

from inbox.service import InboxService
from inbox.triage.changes import BulkResult
from tests.tui.conftest import wait_for
from tests.tui.workspace import add_people, build_workspace
from tui.messages import ThreadsChanged, TriageRefused
from tui.screen_mixins import TriageWriter
from tui.triage_actions import (
    assigning,
    closing,
    prioritising,
    reopening,
    snoozing,
    summary,
    tagging,
    taking,
)

RULE = "assigned to blake; agents change their own and unassigned threads"


@pytest.mark.parametrize(
    ("action", "result", "says"),
    [
        (closing(), BulkResult((7,)), "Closed the thread."),
        (closing(3), BulkResult((1, 2, 3)), "Closed 3 threads."),
        (closing(4), BulkResult((1, 2, 3), {4: RULE}), f"Closed 3 threads; 1 refused: {RULE}."),
        (closing(), BulkResult((), {7: RULE}), f"Not closed: {RULE}."),
        (
            closing(3),
            BulkResult((1,), {2: RULE, 3: RULE}),
            f"Closed 1 thread; 2 refused: {RULE} (2 threads).",
        ),
        (
            reopening(3),
            BulkResult((), {1: "already open", 2: "already open", 3: RULE}),
            f"Not reopened: 3 refused: already open (2 threads) · {RULE}.",
        ),
        (assigning("blake", 2), BulkResult((1, 2)), "Assigned 2 threads to blake."),
        (assigning(None), BulkResult((1,)), "Unassigned the thread."),
        (taking(), BulkResult((1,)), "Assigned the thread to you."),
        (tagging(["refund"], ["spam"]), BulkResult((1,)), "Tags on the thread: +refund -spam."),
        (
            snoozing(datetime(2026, 11, 3, 9, 0, tzinfo=UTC)),
            BulkResult((1,)),
            "Snoozed the thread until Tue 3 Nov 09:00.",
        ),
        (prioritising("urgent", 2), BulkResult((1, 2)), "Set 2 threads to urgent priority."),
        (closing(), BulkResult(), "Not closed: nothing to change."),
    ],
)
def test_a_result_reads_as_one_plain_sentence(action, result, says):
    assert summary(action, result) == says


class Triage(TriageWriter, Screen[None]):
    """A screen that runs writes the way the inbox and thread screens do."""

    @on(ThreadsChanged)
    @on(TriageRefused)
    def report(self, message: ThreadsChanged | TriageRefused) -> None:
        self.report_triage(message)


class Host(App[None]):
    def on_mount(self) -> None:
        self.push_screen(Triage())


def notices(app: App) -> list[tuple[str, str, str]]:
    return [(note.title, note.message, note.severity) for note in app._notifications]


@pytest.fixture
def people(sqlite_engine, clock):
    """alice (lead), blake (agent), casey (supervisor), and three threads, two of them blake's."""
    build_workspace(sqlite_engine, clock(), 3)
    setup = InboxService(sqlite_engine, clock=clock)
    add_people(setup)
    setup.add_agent("casey", "Casey Lund", "supervisor")
    alice = InboxService(sqlite_engine, actor="alice", clock=clock)
    ids = [row.id for row in alice.list_threads()]
    alice.assign(ids[:2], "blake")
    return {
        handle: InboxService(sqlite_engine, actor=handle, clock=clock)
        for handle in ("alice", "blake", "casey")
    }, ids


async def test_a_write_is_run_and_summed_up_with_what_was_refused(people):
    services, ids = people
    app = Host()
    async with app.run_test() as pilot:
        app.screen.run_triage(closing(len(ids)), partial(services["blake"].close, ids))
        await wait_for(pilot, lambda: notices(app) != [])
        assert notices(app) == [("", "Closed 3 threads.", "information")]
        app._notifications.clear()
        services["alice"].reopen(ids)
        services["alice"].take([ids[2]])
        app.screen.run_triage(closing(len(ids)), partial(services["blake"].close, ids))
        await wait_for(pilot, lambda: notices(app) != [])
        assert notices(app) == [
            (
                "",
                (
                    "Closed 2 threads; 1 refused: assigned to alice; "
                    "agents change their own and unassigned threads."
                ),
                "warning",
            )
        ]
    assert [services["alice"].thread(thread_id).status for thread_id in ids] == [
        "closed",
        "closed",
        "open",
    ]


async def test_a_role_refused_outright_is_a_warning_in_the_services_words(people):
    services, ids = people
    app = Host()
    async with app.run_test() as pilot:
        app.screen.run_triage(closing(len(ids)), partial(services["casey"].close, ids))
        await wait_for(pilot, lambda: notices(app) != [])
        assert notices(app) == [
            (
                "Could not close",
                "casey is a supervisor; supervisors read threads and do not change them",
                "warning",
            )
        ]
    assert all(services["alice"].thread(thread_id).status != "closed" for thread_id in ids)


async def test_a_value_the_service_cannot_use_is_a_warning_too(people, clock):
    services, ids = people
    app = Host()
    async with app.run_test() as pilot:
        past = clock().replace(year=2020)
        app.screen.run_triage(snoozing(past), partial(services["alice"].snooze, ids, past))
        await wait_for(pilot, lambda: notices(app) != [])
        [(title, text, severity)] = notices(app)
        assert (title, severity) == ("Could not snooze", "warning")
        assert "has passed; snooze until a time to come" in text
