"""Incident updates mailed to subscribers: the headers the email adapter writes, and a statement
with three subscribers delivered through the real loopback mail servers, once each."""

from __future__ import annotations

import asyncio
import email
import email.policy
import imaplib
from collections import Counter
from collections.abc import Iterator

import pytest

from adapters.base import AccountRef, FetchedContact, Kind, ListUnsubscribe, OutboundRequest
from inbox.core.credentials import CredentialStore
from inbox.core.database import open_engine
from inbox.runtime import build_sender
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.adapters.test_email import adapter_for
from tests.servers.mail import MailServers, mail_servers_for_a_test
from tests.support.fake_mail import FakeMailbox
from tests.support.keyring_backend import KEYRING_FILE_VARIABLE


def update(
    key: str = "k1", url: str | None = None, subject: str = "[Update] Checkout outage"
) -> OutboundRequest:
    """An incident update to ana, as the sender asks for it."""
    return OutboundRequest(
        idempotency_key=key, kind=Kind.DM, text="Checkout is failing; we are on it.",
        recipient=FetchedContact("ana@example.com", "ana@example.com"), subject=subject,
        unsubscribe=ListUnsubscribe("unsubscribe tok-123", url),
    )  # fmt: skip


async def test_an_update_is_a_new_mail_with_a_mailto_unsubscribe_and_no_one_click_without_https():
    mailbox = FakeMailbox(messages={})
    sent = await adapter_for(mailbox).send(update())
    [message] = mailbox.sent
    assert message["Subject"] == "[Update] Checkout outage"
    assert message["To"] == "ana@example.com"
    assert message["In-Reply-To"] is None and message["References"] is None
    assert message["Message-ID"] == sent.external_id
    assert message["List-Unsubscribe"] == (
        "<mailto:support@example.test?subject=unsubscribe%20tok-123>"
    )
    assert message["List-Unsubscribe-Post"] is None, "one click needs an https link"
    assert mailbox.envelopes == [("ana@example.com", "support@example.test")]


async def test_an_https_link_makes_the_unsubscribe_one_click():
    mailbox = FakeMailbox(messages={})
    await adapter_for(mailbox).send(update(url="https://status.example/unsubscribe?t=tok-123"))
    [message] = mailbox.sent
    assert message["List-Unsubscribe"] == (
        "<mailto:support@example.test?subject=unsubscribe%20tok-123>, "
        "<https://status.example/unsubscribe?t=tok-123>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_a_subject_with_a_line_break_cannot_add_a_header():
    mailbox = FakeMailbox(messages={})
    await adapter_for(mailbox).send(update(subject="[Update] Outage\r\nBcc: all@example.com"))
    [message] = mailbox.sent
    assert message["Bcc"] is None
    assert message["Subject"] == "[Update] Outage Bcc: all@example.com"


async def test_the_brands_copy_of_an_update_is_not_read_back_as_a_conversation():
    mailbox = FakeMailbox(messages={})
    adapter = adapter_for(mailbox)
    await adapter.send(update())
    mailbox.messages[1] = mailbox.sent[0].as_bytes()
    page = await adapter.fetch("inbox", None)
    assert page.items == ()
    assert page.next_cursor is not None, "the cursor still moves past it"


# -- through real mail servers on loopback -----------------------------------------------

SUBSCRIBERS = ("ana", "ben", "cai")
PASSWORDS = {"support": "support-pass", **{name: f"{name}-pass" for name in SUBSCRIBERS}}


@pytest.fixture
def servers() -> Iterator[MailServers]:
    """Dovecot and its SMTP front, with the support mailbox and one per subscriber."""
    with mail_servers_for_a_test(PASSWORDS) as running:
        yield running


def inbox_of(servers: MailServers, user: str) -> list[email.message.EmailMessage]:
    """Every message in a user's INBOX, read over IMAP."""
    imap = imaplib.IMAP4("127.0.0.1", servers.imap_port, timeout=10)
    try:
        imap.login(user, servers.passwords[user])
        imap.select("INBOX", readonly=True)
        _, data = imap.uid("SEARCH", None, "ALL")
        found = []
        for uid in data[0].split():
            _, fetched = imap.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
            found.append(email.message_from_bytes(fetched[0][1], policy=email.policy.default))
        return found
    finally:
        imap.logout()


def subscribed_workspace(servers: MailServers, database_url: str, names=SUBSCRIBERS):
    """A lead, the support mailbox as the only account (its password in the keyring), the
    subscribers, and an incident with a holding statement; returns the engine, the lead and
    the incident id."""
    engine = open_engine(database_url)
    setup = InboxService(engine)
    setup.add_agent("casey", "Casey Morgan", "lead")
    handle = servers.address("support")
    setup.add_account(
        "email",
        handle,
        base_url=f"imap://127.0.0.1:{servers.imap_port}",
        settings={"username": "support", "smtp_url": f"smtp://127.0.0.1:{servers.smtp_port}"},
    )
    CredentialStore().set("email", handle, {"password": servers.passwords["support"]})
    lead = InboxService(engine, actor="casey")
    csv_text = "email,name\n" + "".join(f"{servers.address(n)},{n.title()}\n" for n in names)
    assert lead.import_subscribers(csv_text).added == len(names)
    incident, _ = lead.declare_incident(
        "Checkout outage", holding_statement="Checkout is failing; we are fixing it."
    )
    return engine, lead, incident.id


@pytest.mark.integration
@pytest.mark.postgres
def test_a_statement_reaches_each_subscriber_once_with_a_way_to_unsubscribe(
    servers, database_url, tmp_path, monkeypatch
):
    monkeypatch.setenv(KEYRING_FILE_VARIABLE, str(tmp_path / "keyring.json"))
    engine, lead, incident_id = subscribed_workspace(servers, database_url)
    plan, _ = lead.send_statement(incident_id, account_ids=[])
    assert plan.email is not None and plan.email.describe() == (
        f"3 subscribers by email through {servers.address('support')}"
    )
    summary = asyncio.run(build_sender(engine, CredentialStore()).send_once(concurrency=2))
    assert summary.count("sent") == 3, summary

    for name in SUBSCRIBERS:
        [mail] = inbox_of(servers, name)
        assert mail["Subject"] == "[Update] Checkout outage"
        assert mail["To"] == servers.address(name)
        assert mail["List-Unsubscribe"].startswith(
            f"<mailto:{servers.address('support')}?subject=unsubscribe%20"
        )
        assert mail.get_content().startswith("Checkout is failing; we are fixing it.")
    copies = Counter(str(mail["Message-ID"]) for mail in inbox_of(servers, "support"))
    assert len(copies) == 3 and set(copies.values()) == {1}, "one copy each for find_sent"

    account = lead.list_accounts()[0]
    ref = AccountRef(account.id, "email", account.handle, account.base_url, account.settings)
    adapter = build_sender(engine, CredentialStore())._adapter(ref, None)
    page = asyncio.run(adapter.fetch("inbox", None))
    landed = Store(engine).ingest(ref, "inbox", list(page.items), None)
    assert (landed.new_items, landed.new_threads) == (0, 0), "no thread per mailed subscriber"
    engine.dispose()
