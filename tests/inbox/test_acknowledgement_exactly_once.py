"""Every new thread acknowledged exactly once, however often the worker is killed.

Real `inbox worker` processes poll the loopback Mastodon on 127.0.0.1 (customers' mentions),
land the threads, queue their acknowledgements and send them; each is killed with SIGKILL at
a random moment (between landing and queueing, mid-send, after the post but before the
row says so). More customers write between rounds. A last worker settles what is left. The
platform is then asked: each customer's post has exactly one answer from the brand, and the
database one acknowledgement row per thread, sent, that is no thread's first response.
"""

from __future__ import annotations

import random
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import select

from canned_responses.library import STARTER_DIRECTORY
from inbox.core.credentials import CredentialStore
from inbox.core.database import open_engine
from inbox.core.models import Item, Outbound, Thread
from inbox.service import InboxService
from inbox.triage.acknowledgements import edit_acknowledgement_rule
from tests.support.keyring_backend import KEYRING_FILE_VARIABLE
from tests.support.polling import wait_until
from tests.support.worker_processes import Machine, ReadableMastodon

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CUSTOMERS_PER_ROUND = 3
ROUNDS = 6

_outbound = Outbound.__table__
_thread = Thread.__table__
_item = Item.__table__


@pytest.fixture
def platform() -> Iterator[ReadableMastodon]:
    with ReadableMastodon() as running:
        yield running


def acknowledgement_rows(engine) -> list:
    with engine.connect() as connection:
        return connection.execute(
            select(_outbound.c.thread_id, _outbound.c.status).where(
                _outbound.c.purpose == "acknowledgement"
            )
        ).all()


def thread_count(engine) -> int:
    with engine.connect() as connection:
        return len(connection.execute(select(_thread.c.id)).all())


def test_every_thread_is_acknowledged_exactly_once_through_kill_9(
    platform, database_url, tmp_path, monkeypatch
):
    keyring = tmp_path / "keyring.json"
    monkeypatch.setenv(KEYRING_FILE_VARIABLE, str(keyring))
    engine = open_engine(database_url)
    setup = InboxService(engine)
    setup.add_account(platform.platform, platform.handle, base_url=platform.base_url)
    setup.add_agent("alex", "Alex Kim", "lead")
    lead = InboxService(engine, actor="alex")
    lead.import_canned(STARTER_DIRECTORY)
    every_kind = edit_acknowledgement_rule(lead.acknowledgement_rules(), "first-dm", {"kinds": ""})
    lead.set_acknowledgement_rules(replace(every_kind, enabled=True))
    CredentialStore().set(platform.platform, platform.handle, platform.credential)
    machine = Machine(keyring, database_url)

    seed = random.randrange(1_000_000)
    draw = random.Random(seed)
    questions: list[str] = []
    kills = 0
    for round_number in range(ROUNDS):
        for number in range(CUSTOMERS_PER_ROUND):
            questions.append(platform.incoming(round_number * CUSTOMERS_PER_ROUND + number)[0])
        worker = machine.start_worker()
        try:
            worker.process.wait(timeout=draw.uniform(0.5, 4.0))
        except subprocess.TimeoutExpired:
            assert worker.stop(signal.SIGKILL) == -signal.SIGKILL
            kills += 1
    chaos = f"seed {seed}, {kills} kills"

    settler = machine.start_worker()
    try:
        wait_until(
            lambda: (
                thread_count(engine) == len(questions)
                and len(acknowledgement_rows(engine)) == len(questions)
                and {row.status for row in acknowledgement_rows(engine)} == {"sent"}
            ),
            180,
            f"a last worker to land and acknowledge every thread ({chaos})",
        )
    finally:
        settler.stop()

    answers = {question: platform.replies_to(question) for question in questions}
    assert sorted(len(texts) for texts in answers.values()) == [1] * len(questions), (
        f"every customer acknowledged exactly once ({chaos}): {answers}"
    )
    assert all("We've got it" in texts[0] or "offline" in texts[0] for texts in answers.values())
    rows = acknowledgement_rows(engine)
    assert len({row.thread_id for row in rows}) == len(rows) == len(questions)
    with engine.connect() as connection:
        answered = connection.execute(
            select(_thread.c.id).where(_thread.c.first_response_at.is_not(None))
        ).all()
        automated = (
            connection.execute(select(_item.c.automated).where(_item.c.direction == "out"))
            .scalars()
            .all()
        )
    assert answered == [], "no acknowledgement is a first response"
    assert automated == [True] * len(questions)
    engine.dispose()
