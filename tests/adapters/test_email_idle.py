"""IMAP IDLE wakes the sync engine: mail delivered by SMTP to the real Dovecot on 127.0.0.1.

Dovecot and its SMTP front (`tests/servers/mail.py`) are real servers. The worker
(`SyncEngine.run_forever`, in this process) reaches IMAP through a TCP relay
(`tests.support.tcp_relay`) that can cut every open connection, as a network does. While
the mailbox is idled on, it is polled every five minutes only, so a mail that lands within
seconds came by IDLE, or by the catch-up after a reconnect.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import update

from adapters.email.adapter import EmailAdapter
from inbox.core.models import Account
from inbox.store.ingest import Store
from inbox.sync.engine import SyncEngine
from tests.servers.mail import MailServers, mail_servers_for_a_test
from tests.support.items import add_account
from tests.support.sync_running import stored, until, while_syncing
from tests.support.tcp_relay import TcpRelay

pytestmark = pytest.mark.integration

PASSWORDS = {"support": "support-pass", "ana": "ana-pass"}


@pytest.fixture(scope="module")
def servers() -> Iterator[MailServers]:
    with mail_servers_for_a_test(PASSWORDS) as running:
        yield running


@pytest.fixture
def relay(servers: MailServers) -> Iterator[TcpRelay]:
    with TcpRelay(servers.imap_port) as running:
        yield running


def deliver(servers: MailServers, subject: str) -> str:
    """Ana mails the support address over SMTP; the Message-ID, as the adapter stores it."""
    message = EmailMessage()
    message["From"] = servers.address("ana")
    message["To"] = servers.address("support")
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.test")
    message.set_content(f"{subject}: my order has not arrived.")
    with smtplib.SMTP("127.0.0.1", servers.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
    return message["Message-ID"]


async def test_mail_arrives_by_idle_and_mail_during_a_cut_lands_once(
    servers: MailServers, relay: TcpRelay, engine, caplog
):
    caplog.set_level(logging.INFO, logger="inbox.sync.engine")
    address = servers.address("support")
    account = add_account(engine, platform="email", handle=address)
    with engine.begin() as connection:
        connection.execute(
            update(Account.__table__)
            .where(Account.__table__.c.id == account.id)
            .values(base_url=f"imap://127.0.0.1:{relay.port}")
        )

    def adapter(account_ref, client):
        return EmailAdapter(account_ref, client, {"password": PASSWORDS["support"]})

    def opened() -> int:
        return sum(getattr(record, "event", None) == "push.open" for record in caplog.records)

    posted: list[str] = []

    async def mail(subject: str) -> None:
        posted.append(await asyncio.to_thread(deliver, servers, subject))

    def landed() -> set[str]:
        return {key for key in stored(engine, account.id) if key in posted}

    async def steps() -> None:
        await until(lambda: opened() == 1, "the mailbox to be idled on")
        await mail("first")
        await until(lambda: landed() == set(posted), "the first mail")

        relay.cut()
        await mail("during the cut")
        await mail("still during the cut")
        await until(lambda: opened() == 2, "IDLE again after the cut")
        await until(lambda: landed() == set(posted), "the mail of the cut")

        await mail("after the cut")
        await until(lambda: landed() == set(posted), "a mail after the reconnect")

    await while_syncing(SyncEngine(Store(engine), adapter), steps)

    assert {key: count for key, count in stored(engine, account.id).items() if key in posted} == (
        dict.fromkeys(posted, 1)
    )
    assert any("the push channel of email" in record.getMessage() for record in caplog.records)
