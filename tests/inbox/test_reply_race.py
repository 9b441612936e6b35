"""One reply to a thread on its way at a time: two people answering at the same instant, on
SQLite and on a real PostgreSQL, and one person answering twice.

The races run two OS threads, each with its own engine (as two terminals have), meeting at
a barrier before every thread so both queue on it together.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from inbox.cli.main import main
from inbox.core.database import open_engine
from inbox.core.models import OutboundStatus
from inbox.outbox.drafts import PENDING_STATUSES
from inbox.outbox.problems import ProblemCode, SendProblem, SendRefused
from inbox.outbox.queue import OutboundRow
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.support.items import add_account, item

THREAD_COUNT = 30
BARRIER_TIMEOUT_S = 60
ALREADY_REPLYING_TEXT = (
    "You already have a reply on its way to this thread; a second one goes out only if you say so."
)


@dataclass
class Attempt:
    """What one person's try to queue on one thread came to: a row, or the refusal."""

    thread_id: int
    row: OutboundRow | None = None
    refused: SendRefused | None = None


@dataclass
class Racer:
    """One person in their own terminal: their own engine, their own tries."""

    handle: str
    url: str
    clock: object
    attempts: list[Attempt] = field(default_factory=list)
    crashed: BaseException | None = None

    def run(self, thread_ids: list[int], barrier: threading.Barrier) -> None:
        engine = open_engine(self.url)
        service = InboxService(engine, actor=self.handle, clock=self.clock)
        try:
            for thread_id in thread_ids:
                barrier.wait(BARRIER_TIMEOUT_S)
                attempt = Attempt(thread_id)
                try:
                    attempt.row = service.queue_reply(thread_id, f"{self.handle} here, on it.")
                except SendRefused as refused:
                    attempt.refused = refused
                self.attempts.append(attempt)
        except BaseException as error:  # noqa: BLE001 - reported by the test, not lost in a thread
            self.crashed = error
            barrier.abort()
        finally:
            engine.dispose()


@pytest.fixture
def threads(engine, clock) -> Iterator[list[int]]:
    """Agents alex and blake, and THREAD_COUNT unassigned threads on one X account."""
    setup = InboxService(engine, clock=clock)
    for handle, name in (("alex", "Alex Kim"), ("blake", "Blake Okafor")):
        setup.add_agent(handle, name, "agent")
    account = add_account(engine, "demo-x", "brand", send_latency_scale=0, send_failure_rate=0)
    report = Store(engine, clock).ingest(
        account,
        "mentions",
        [item(f"in-{number}", f"thread-{number}") for number in range(THREAD_COUNT)],
        None,
    )
    yield sorted(set(report.thread_ids))


def race(url: str, clock, handles: tuple[str, str], thread_ids: list[int]) -> list[Racer]:
    """Both people queue a reply on every thread, together, one thread at a time."""
    barrier = threading.Barrier(2)
    racers = [Racer(handle, url, clock) for handle in handles]
    workers = [
        threading.Thread(target=racer.run, args=(thread_ids, barrier), name=f"race-{racer.handle}")
        for racer in racers
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for racer in racers:
        if racer.crashed is not None:
            raise racer.crashed
    return racers


def pending_replies(engine, clock, thread_id: int) -> list[OutboundRow]:
    """The replies on their way to a thread, as anyone reading the outbox sees them."""
    rows = InboxService(engine, actor="alex", clock=clock).outbound_for_thread(thread_id)
    return [row for row in rows if row.status in {str(status) for status in PENDING_STATUSES}]


def test_two_people_answering_every_thread_at_once_get_one_reply_each_and_the_other_is_told(
    engine, database_url, clock, threads
):
    alex, blake = race(database_url, clock, ("alex", "blake"), threads)

    for thread_id in threads:
        pending = pending_replies(engine, clock, thread_id)
        assert len(pending) == 1, f"thread {thread_id}: {[row.author for row in pending]}"
    for mine, theirs in ((alex, blake), (blake, alex)):
        for attempt, other in zip(mine.attempts, theirs.attempts, strict=True):
            if attempt.row is not None:
                continue
            assert other.row is not None
            assert attempt.refused.problems == (
                SendProblem(
                    ProblemCode.ANOTHER_REPLY_ON_ITS_WAY,
                    f"{theirs.handle} is already answering this thread (a reply is on its way).",
                ),
            )
    won = [
        attempt.thread_id for racer in (alex, blake) for attempt in racer.attempts if attempt.row
    ]
    assert sorted(won) == threads


def test_one_person_in_two_terminals_at_once_queues_one_reply_per_thread(
    engine, database_url, clock, threads
):
    first, second = race(database_url, clock, ("alex", "alex"), threads[:10])

    for thread_id in threads[:10]:
        assert [row.author for row in pending_replies(engine, clock, thread_id)] == ["alex"]
    refusals = [
        attempt.refused
        for racer in (first, second)
        for attempt in racer.attempts
        if attempt.refused
    ]
    assert len(refusals) == 10
    assert {refused.codes for refused in refusals} == {frozenset({ProblemCode.ALREADY_REPLYING})}


def test_a_second_reply_by_the_same_person_asks_first_and_goes_with_the_yes(engine, clock, threads):
    alex = InboxService(engine, actor="alex", clock=clock)
    thread_id = threads[0]
    first = alex.queue_reply(thread_id, "On it.")

    for attempt in range(3):
        with pytest.raises(SendRefused) as refused:
            alex.queue_reply(thread_id, f"Also: {attempt}")
        assert refused.value.problems == (
            SendProblem(ProblemCode.ALREADY_REPLYING, ALREADY_REPLYING_TEXT),
        )
    assert alex.preview_reply(thread_id, "Also").has(ProblemCode.ALREADY_REPLYING)
    assert alex.preview_reply(thread_id, "Also", again=True).sendable

    second = alex.queue_reply(thread_id, "Also: the refund is on its way.", again=True)

    assert second.status == "queued"
    assert [row.id for row in pending_replies(engine, clock, thread_id)] == [first.id, second.id]


def test_saying_yes_to_a_second_reply_does_not_pass_a_colleagues_reply(engine, clock, threads):
    alex = InboxService(engine, actor="alex", clock=clock)
    blake = InboxService(engine, actor="blake", clock=clock)
    thread_id = threads[0]
    blake.queue_reply(thread_id, "On it.")

    with pytest.raises(SendRefused) as refused:
        alex.queue_reply(thread_id, "Me too.", again=True)

    assert refused.value.codes == {ProblemCode.ANOTHER_REPLY_ON_ITS_WAY}
    assert "blake is already answering this thread" in str(refused.value)
    assert [row.author for row in pending_replies(engine, clock, thread_id)] == ["blake"]


def test_a_reply_that_left_or_was_withdrawn_no_longer_holds_the_thread(engine, clock, threads):
    alex = InboxService(engine, actor="alex", clock=clock)
    blake = InboxService(engine, actor="blake", clock=clock)
    thread_id = threads[0]
    withdrawn = alex.queue_reply(thread_id, "On it.")
    alex.cancel_outbound(withdrawn.id)

    assert alex.queue_reply(thread_id, "On it, for real.").status == OutboundStatus.QUEUED
    assert blake.preview_reply(thread_id, "Me?").problem_texts() == [
        "alex is already answering this thread (a reply is on its way)."
    ]


def test_a_direct_message_is_not_held_by_a_reply_on_its_way(engine, clock, threads):
    alex = InboxService(engine, actor="alex", clock=clock)
    thread_id = threads[0]
    alex.queue_reply(thread_id, "On it.")

    dm = alex.queue_reply(thread_id, "Could you send your order number?", direct_message=True)

    assert dm.kind == "dm" and dm.status == "queued"


# -- the command line ---------------------------------------------------------------------


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_inbox_reply_refuses_a_second_reply_and_says_how_to_send_it_anyway(
    capsys, database_url, threads
):
    path, thread = database_url, str(threads[0])

    status, out, _ = run(capsys, "--db", path, "--as", "alex", "reply", thread, "On it.")
    assert status == 0 and out.startswith("queued outgoing message")

    status, out, err = run(capsys, "--db", path, "--as", "alex", "reply", thread, "Also this.")
    assert status == 5 and out == ""
    assert ALREADY_REPLYING_TEXT in err
    assert "nothing was queued; add --again to send this one as well" in err

    status, out, _ = run(
        capsys, "--db", path, "--as", "alex", "reply", thread, "Also this.", "--again"
    )
    assert status == 0 and out.startswith("queued outgoing message")

    status, _, err = run(capsys, "--db", path, "--as", "blake", "reply", thread, "Me?", "--again")
    assert status == 5
    assert "alex is already answering this thread (a reply is on its way)." in err
    assert "--again" not in err

    status, out, _ = run(capsys, "--db", path, "--as", "alex", "outbox", "list", "--format", "json")
    assert status == 0 and out.count('"status": "queued"') == 2
