"""Email end to end: Dovecot IMAP and an SMTP front (aiosmtpd → LMTP) on 127.0.0.1.

A customer's mail goes in over SMTP and comes out of the support mailbox as an inbox
item through the adapter; the adapter's reply arrives in the customer's mailbox over
real IMAP, with In-Reply-To and References pointing at the customer's message.
"""

from __future__ import annotations

import email
import imaplib
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from adapters.base import AccountRef, Direction, Kind, OutboundRequest
from adapters.email.adapter import EmailAdapter
from tests.conftest import skip_or_fail
from tests.servers.mail import (
    MailServerFailed,
    MailServers,
    MailServerUnavailable,
    start_mail_servers,
)
from tests.support.polling import wait_until

pytestmark = pytest.mark.integration

PASSWORDS = {"support": "support-pass", "customer": "customer-pass"}


@pytest.fixture(scope="module")
def servers() -> Iterator[MailServers]:
    try:
        running = start_mail_servers(PASSWORDS)
    except MailServerUnavailable as error:
        skip_or_fail(f"mail servers: {error}")
    except MailServerFailed as error:
        pytest.fail(f"mail servers: {error}")
    print(f"mail servers: start {running.start_seconds:.2f} s")
    try:
        yield running
    finally:
        running.stop()


def support_adapter(servers: MailServers, password: str = PASSWORDS["support"]) -> EmailAdapter:
    account = AccountRef(
        id=1, platform="email", handle=servers.address("support"),
        base_url=f"imap://127.0.0.1:{servers.imap_port}",
        settings={"username": "support", "smtp_url": f"smtp://127.0.0.1:{servers.smtp_port}"},
    )  # fmt: skip
    return EmailAdapter(account, None, {"password": password})


def mailbox_messages(servers: MailServers, user: str) -> list[email.message.Message]:
    imap = imaplib.IMAP4("127.0.0.1", servers.imap_port, timeout=10)
    try:
        imap.login(user, PASSWORDS[user])
        imap.select("INBOX", readonly=True)
        _, data = imap.uid("SEARCH", None, "ALL")
        found = []
        for uid in data[0].split():
            _, fetched = imap.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
            found.append(email.message_from_bytes(fetched[0][1]))
        return found
    finally:
        imap.logout()


async def test_customer_mail_arrives_as_an_item_and_the_reply_reaches_the_customer(
    servers: MailServers,
):
    complaint = EmailMessage()
    complaint["From"] = f"Carol Customer <{servers.address('customer')}>"
    complaint["To"] = servers.address("support")
    complaint["Subject"] = "Order #4411 never arrived"
    complaint["Message-ID"] = "<order-4411@customer.example.test>"
    complaint.set_content("Hi, my order #4411 never arrived. Café closed too.")
    with smtplib.SMTP("127.0.0.1", servers.smtp_port, timeout=10) as smtp:
        smtp.send_message(complaint)
    adapter = support_adapter(servers)

    page = await adapter.fetch("inbox", None)

    (item,) = page.items
    assert item.external_id == item.thread_key == "<order-4411@customer.example.test>"
    assert (item.kind, item.direction) == (Kind.DM, Direction.IN)
    assert (
        item.author.external_id == servers.address("customer")
        and item.author.display_name == "Carol Customer"
    )
    assert (
        item.text
        == "Order #4411 never arrived\n\nHi, my order #4411 never arrived. Café closed too."
    )
    assert (await adapter.fetch("inbox", page.next_cursor)).items == ()

    sent = await adapter.send(
        OutboundRequest(
            idempotency_key="email-e2e-1", kind=Kind.DM,
            text="Sorry, Carol! A new parcel left today.",
            thread_key=item.thread_key, in_reply_to=item.external_id,
        )
    )  # fmt: skip

    wait_until(
        lambda: mailbox_messages(servers, "customer"), 10, "the reply in the customer's mailbox"
    )
    (reply,) = mailbox_messages(servers, "customer")
    assert reply["Message-ID"] == sent.external_id
    assert reply["In-Reply-To"] == "<order-4411@customer.example.test>"
    assert reply["References"] == "<order-4411@customer.example.test>"
    assert reply["Subject"] == "Re: Order #4411 never arrived"
    assert reply["From"] == servers.address("support")
    assert (
        reply.get_payload(decode=True).decode().strip() == "Sorry, Carol! A new parcel left today."
    )


async def test_a_wrong_password_is_auth_expired(servers: MailServers):
    from adapters.base import AuthExpired

    adapter = support_adapter(servers, password="a-stale-password")
    with pytest.raises(AuthExpired):
        await adapter.fetch("inbox", None)
