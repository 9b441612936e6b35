"""Drives real `inbox outbox run` processes through kills and ambiguous answers.

Each round starts a sender, sets a fault on the platform (it creates the post, then
answers 500, never answers, or drops the connection) and kills the sender with SIGKILL at
a random moment. A last, undisturbed sender then settles every row. The caller checks
the platform: every reply exactly once.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from adapters.base import AccountRef, Kind
from inbox.core.credentials import CredentialStore
from inbox.core.database import open_engine
from inbox.core.models import Outbound
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.conftest import REPO
from tests.support.items import item
from tests.support.loopback import Fault, LoopbackPlatform
from tests.support.polling import wait_until

CLAIM_SECONDS = "2"
"""How long a killed sender's claim lasts; the platform call may take half of it."""


@dataclass
class Chaos:
    """What the rounds did, for assertion messages."""

    seed: int
    faults: list[str] = field(default_factory=list)
    kills: int = 0

    def __str__(self) -> str:
        return f"seed {self.seed}, {self.kills} kills, faults {self.faults}"


def replies_waiting(
    platform: LoopbackPlatform, database_url: str, questions: int
) -> tuple[Engine, list[tuple[str, str]], list[int]]:
    """A database where alex has queued a reply to each of `questions` customer posts on
    `platform`, whose credential is in the keyring (point INBOX_TEST_KEYRING_FILE at a file
    first, so the sender processes find it).

    Returns the engine, the questions' (external id, thread key) and the outbound row ids.
    """
    engine = open_engine(database_url)
    setup = InboxService(engine)
    setup.add_agent("alex", "Alex Kim")
    account_id = setup.add_account(
        platform.platform,
        platform.handle,
        base_url=platform.base_url,
        settings=dict(platform.settings),
    )
    CredentialStore().set(platform.platform, platform.handle, platform.credential)
    account = AccountRef(
        account_id, platform.platform, platform.handle, platform.base_url, platform.settings
    )
    asked = [platform.incoming(number) for number in range(questions)]
    Store(engine).ingest(
        account,
        "mentions",
        [
            item(external_id, thread_key, kind=Kind.MENTION, text=f"is it down? ({number})")
            for number, (external_id, thread_key) in enumerate(asked)
        ],
        None,
    )
    alex = InboxService(engine, actor="alex")
    rows = [
        alex.queue_reply(thread.id, f"Sorry about that, fixed ({thread.id}).").id
        for thread in alex.list_threads(limit=questions)
    ]
    return engine, asked, rows


def sender(
    database_url: str, *extra: str, env: Mapping[str, str] | None = None
) -> subprocess.Popen:
    """A real `inbox outbox run --follow` process acting as alex."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.outbox_runner",
            "--db",
            database_url,
            "--as",
            "alex",
            "outbox",
            "run",
            "--follow",
            "--claim-seconds",
            CLAIM_SECONDS,
            *extra,
        ],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def statuses(engine: Engine) -> dict[int, str]:
    """Every outbound row's status by id."""
    outbound = Outbound.__table__
    with engine.connect() as connection:
        return dict(connection.execute(select(outbound.c.id, outbound.c.status)).all())


def send_through_chaos(
    database_url: str,
    engine: Engine,
    set_fault: Callable[[Fault], None],
    *,
    rounds: int,
    seed: int | None = None,
    env: Mapping[str, str] | None = None,
    settle_seconds: float = 120,
) -> Chaos:
    """Rounds of killed senders and failing answers, then one sender that settles all rows."""
    chaos = Chaos(seed if seed is not None else random.randrange(1_000_000))
    draw = random.Random(chaos.seed)
    for _ in range(rounds):
        fault = draw.choice(list(Fault))
        chaos.faults.append(str(fault))
        set_fault(fault)
        process = sender(database_url, env=env)
        try:
            process.wait(timeout=draw.uniform(0.3, 4.0))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            chaos.kills += 1
    set_fault(Fault.NONE)
    settler = sender(database_url, env=env)
    try:
        wait_until(
            lambda: set(statuses(engine).values()) <= {"sent"},
            settle_seconds,
            f"a last sender to settle every reply ({chaos})",
        )
    finally:
        if settler.poll() is None:
            settler.send_signal(signal.SIGTERM)
        settler.wait(timeout=30)
    return chaos
