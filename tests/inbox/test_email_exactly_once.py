"""Email replies reach each customer exactly once, whatever happens to the senders.

Real `inbox outbox run` processes (through `tests.support.outbox_runner`) send five replies
through Dovecot and its SMTP front on 127.0.0.1 (`tests/servers/mail.py`): one round meets
an SMTP server that takes a message and drops the line before answering, the next rounds
are killed with SIGKILL at moments drawn from a seeded random generator (the seed is in
every assertion message; set INBOX_TEST_SEED to replay one), then a clean sender finishes.
What the customers' mailboxes hold is the verdict.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import imaplib
import os
import random
import signal
import smtplib
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.base import AccountRef
from adapters.email.adapter import EmailAdapter
from inbox.core.credentials import CredentialStore
from inbox.core.database import open_engine
from inbox.core.models import Event, Outbound
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.conftest import REPO
from tests.servers.mail import MailServers, mail_servers_for_a_test
from tests.support.keyring_backend import KEYRING_FILE_VARIABLE
from tests.support.polling import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.integration]

CUSTOMERS = ("ana", "ben", "cai", "dee", "eli")
PASSWORDS = {"support": "support-pass", **{name: f"{name}-pass" for name in CUSTOMERS}}
KILL_ROUNDS = 4
CLAIM_SECONDS = "2"
WAIT_S = 90


@pytest.fixture
def servers() -> Iterator[MailServers]:
    """Dovecot and its SMTP front with the support mailbox and one per customer."""
    with mail_servers_for_a_test(PASSWORDS) as running:
        yield running


@pytest.fixture
def workspace(database_url, servers, tmp_path, monkeypatch):
    """A database with the support account and an agent; its password in a keyring file the
    sender processes share."""
    monkeypatch.setenv(KEYRING_FILE_VARIABLE, str(tmp_path / "keyring.json"))
    engine = open_engine(database_url)
    setup = InboxService(engine)
    setup.add_agent("alex", "Alex Kim")
    handle = servers.address("support")
    base_url = f"imap://127.0.0.1:{servers.imap_port}"
    settings = {"username": "support", "smtp_url": f"smtp://127.0.0.1:{servers.smtp_port}"}
    account_id = setup.add_account("email", handle, base_url=base_url, settings=settings)
    CredentialStore().set("email", handle, {"password": PASSWORDS["support"]})
    yield engine, database_url, AccountRef(account_id, "email", handle, base_url, settings)
    engine.dispose()


def _support_adapter(account: AccountRef) -> EmailAdapter:
    return EmailAdapter(account, None, {"password": PASSWORDS["support"]})


def _queue_replies(servers: MailServers, engine, account: AccountRef) -> dict[int, str]:
    """Every customer complains, the support mailbox is read, and alex answers each one;
    returns each reply's outbound id with the address it must reach."""
    for name in CUSTOMERS:
        complaint = EmailMessage()
        complaint["From"] = servers.address(name)
        complaint["To"] = servers.address("support")
        complaint["Subject"] = f"Order for {name} never arrived"
        complaint["Message-ID"] = f"<order-{name}@customer.example.test>"
        complaint.set_content(f"Hi, this is {name}: my order never arrived.")
        with smtplib.SMTP("127.0.0.1", servers.smtp_port, timeout=10) as smtp:
            smtp.send_message(complaint)
    page = asyncio.run(_support_adapter(account).fetch("inbox", None))
    Store(engine).ingest(account, "inbox", list(page.items), None)
    alex = InboxService(engine, actor="alex")
    replies = {}
    for thread in alex.list_threads(limit=len(CUSTOMERS)):
        row = alex.queue_reply(thread.id, "Sorry, {author.name|there}! A new parcel left today.")
        replies[row.id] = thread.author
    assert sorted(replies.values()) == sorted(servers.address(name) for name in CUSTOMERS)
    return replies


def _sender(database_url: str, stderr: Path) -> subprocess.Popen:
    with stderr.open("ab") as log:
        return subprocess.Popen(
            [
                sys.executable, "-m", "tests.support.outbox_runner", "--db", database_url,
                "--as", "alex", "outbox", "run", "--follow", "--concurrency", "2",
                "--claim-seconds", CLAIM_SECONDS,
            ],
            cwd=REPO, env={**os.environ}, stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip


def _statuses(engine) -> dict[int, str]:
    outbound = Outbound.__table__
    with engine.connect() as connection:
        return dict(connection.execute(select(outbound.c.id, outbound.c.status)).all())


def _outbound_history(engine) -> str:
    """Every outbound event, one a line, for a failure message."""
    event = Event.__table__
    with engine.connect() as connection:
        rows = connection.execute(
            select(event.c.type, event.c.payload)
            .where(event.c.type.like("outbound.%"))
            .order_by(event.c.id)
        ).all()
    return "\n".join(f"{row.type} {row.payload}" for row in rows)


def _message_ids(servers: MailServers, user: str) -> Counter[str]:
    """How many times each Message-ID was delivered to a user's INBOX."""
    imap = imaplib.IMAP4("127.0.0.1", servers.imap_port, timeout=10)
    try:
        imap.login(user, PASSWORDS[user])
        imap.select("INBOX", readonly=True)
        _, data = imap.uid("SEARCH", None, "ALL")
        found: Counter[str] = Counter()
        for uid in data[0].split():
            _, fetched = imap.uid("FETCH", uid.decode(), "(BODY.PEEK[HEADER])")
            header = email.message_from_bytes(fetched[0][1], policy=email.policy.default)
            found[str(header["Message-ID"])] += 1
        return found
    finally:
        imap.logout()


def _brand_copies(servers: MailServers) -> int:
    """How many messages the brand sent have reached its own mailbox (its envelope copies)."""
    imap = imaplib.IMAP4("127.0.0.1", servers.imap_port, timeout=10)
    try:
        imap.login("support", PASSWORDS["support"])
        imap.select("INBOX", readonly=True)
        _, data = imap.uid("SEARCH", None, "FROM", servers.address("support"))
        return len(data[0].split())
    finally:
        imap.logout()


def _kill_at_random_moment(
    process: subprocess.Popen, progress: Callable[[], int], done: Callable[[], bool], steps: int
) -> None:
    """SIGKILL `process` once `progress` has moved `steps` on (0: at once), or all is done."""
    target = progress() + steps
    wait_until(
        lambda: progress() >= target or done() or process.poll() is not None,
        WAIT_S,
        f"the sender to move {steps} steps on",
        interval=0.005,
    )
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def test_killed_senders_and_a_dropped_line_still_reach_each_customer_once(
    workspace, servers, tmp_path
):
    engine, database_url, account = workspace
    replies = _queue_replies(servers, engine, account)
    seed = int(os.environ.get("INBOX_TEST_SEED") or random.randrange(2**32))
    draw = random.Random(seed)
    stderr = tmp_path / "senders.log"
    handler = servers.smtp_controller.handler

    def all_sent() -> bool:
        return set(_statuses(engine).values()) == {"sent"}

    def copies_delivered() -> int:
        return _brand_copies(servers)

    def replies_recorded_sent() -> int:
        return list(_statuses(engine).values()).count("sent")

    handler.drops_after_delivery = 1
    dropped = _sender(database_url, stderr)
    wait_until(lambda: handler.drops_after_delivery == 0 or all_sent(), WAIT_S, "the dropped line")
    _kill_at_random_moment(dropped, copies_delivered, all_sent, draw.randint(0, 2))
    assert handler.drops_after_delivery == 0, f"seed {seed}: no message met the dropped line"
    for _ in range(KILL_ROUNDS):
        sender = _sender(database_url, stderr)
        yardstick = draw.choice((copies_delivered, replies_recorded_sent))
        _kill_at_random_moment(sender, yardstick, all_sent, draw.randint(0, 2))
    clean = _sender(database_url, stderr)
    try:
        wait_until(all_sent, WAIT_S, f"a clean sender to settle every reply (seed {seed})")
    finally:
        if clean.poll() is None:
            clean.send_signal(signal.SIGTERM)
        clean.wait(timeout=30)

    log = stderr.read_text(errors="replace")[-3000:] + "\n" + _outbound_history(engine)
    alex = InboxService(engine, actor="alex")
    sent = {outbound_id: alex.outbound(outbound_id) for outbound_id in replies}
    assert {row.status for row in sent.values()} == {"sent"}, f"seed {seed}; senders:\n{log}"
    for outbound_id, address in replies.items():
        customer = address.split("@")[0]
        delivered = _message_ids(servers, customer)
        assert delivered == Counter({sent[outbound_id].external_id: 1}), (
            f"seed {seed}: {customer} got {dict(delivered)} for reply {outbound_id}; "
            f"senders:\n{log}"
        )
    copies = _message_ids(servers, "support")
    assert all(copies[row.external_id] == 1 for row in sent.values()), f"seed {seed}: {copies}"

    page = asyncio.run(_support_adapter(account).fetch("inbox", None))
    landed = Store(engine).ingest(account, "inbox", list(page.items), None)
    assert (landed.new_items, landed.new_threads) == (0, 0), (
        f"seed {seed}: the brand's copies came back as new messages"
    )
    for row in sent.values():
        directions = [entry.direction for entry in alex.thread_items(row.thread_id)]
        assert directions == ["in", "out"], f"seed {seed}: thread {row.thread_id} {directions}"
