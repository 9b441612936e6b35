"""The email adapter over hand-made .eml files in an in-memory mailbox, then against real
mail servers on loopback (Dovecot behind an aiosmtpd front, `tests/servers/mail.py`) for
what only a real server can show: a sent message found again, and honest SMTP failures.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import imaplib
import json
import logging
import smtplib
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage, Message
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.base import (
    AccountRef,
    Attachment,
    AttachmentKind,
    AuthExpired,
    Direction,
    FetchedContact,
    FetchedItem,
    Kind,
    NotReached,
    OutboundRequest,
    PayloadInvalid,
    PlatformUnavailable,
)
from adapters.email.adapter import EmailAdapter
from adapters.email.mapping import mail_item
from adapters.email.payloads import MailMessage, decoded_text, html_to_text
from inbox.core.database import open_engine
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.servers.mail import MailServers, mail_servers_for_a_test
from tests.support.fake_mail import PASSWORD, FakeMailbox, fixture_bytes

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def adapter_for(mailbox: FakeMailbox, **settings) -> EmailAdapter:
    account = AccountRef(
        id=1, platform="email", handle="Support@Example.test", base_url="imap://127.0.0.1:10143",
        settings={"smtp_url": "smtp://127.0.0.1:10025", "username": "support", **settings},
    )  # fmt: skip
    return EmailAdapter(
        account,
        None,
        {"password": PASSWORD},
        clock=lambda: NOW,
        imap_factory=mailbox.imap,
        smtp_factory=mailbox.smtp,
    )


def test_the_plain_text_part_is_preferred_and_decoded():
    message = MailMessage.parse(fixture_bytes("multipart.eml"))

    assert message.text == "Hi, my order #4411 never arrived. Café ☕ is closed too."
    assert (message.from_name, message.from_address) == ("Carol Customer", "carol@example.test")
    assert message.date == datetime(2026, 3, 1, 10, 43, tzinfo=UTC)
    assert message.attachments == ()


def test_html_only_mail_becomes_readable_text():
    message = MailMessage.parse(fixture_bytes("html_only.eml"))

    assert message.text == "Still nothing. Café & co.\n\nLine two\nLine three"
    assert "alert" not in message.text and "color" not in message.text
    assert html_to_text("<p>a</p><p>b &lt;c&gt;</p>") == "a\n\nb <c>"


def test_attachments_are_listed_with_names_types_and_sizes():
    message = MailMessage.parse(fixture_bytes("attachments.eml"))

    assert message.text == "See the attached photo and invoice."
    assert [(a.filename, a.content_type) for a in message.attachments] == [
        ("box.jpg", "image/jpeg"), ("invoice 4411\u202e.pdf", "application/pdf"),
    ]  # fmt: skip
    assert all(attachment.size > 0 for attachment in message.attachments)


def test_hostile_headers_are_single_lines_and_never_crash():
    message = MailMessage.parse(fixture_bytes("hostile_headers.eml"))

    assert (
        "\r" not in message.subject
        and "\n" not in message.subject
        and "\x1b" not in message.subject
    )
    assert message.subject.startswith("Hello") and "Bcc:" in message.subject, (
        "kept as text, never as a header"
    )
    assert message.from_address == "evil@example.test"
    assert message.date is None and message.message_id is None
    assert message.references == ("<good-root@example.test>",)
    assert "Body with" in message.text


# -- addresses, charsets, line ends, links, attachments: mail as real clients write it ------


def parsed(name: str) -> MailMessage:
    return MailMessage.parse(fixture_bytes(name))


async def fetched_item(name: str) -> FetchedItem:
    (item,) = (
        await adapter_for(FakeMailbox(messages={1: fixture_bytes(name)})).fetch("inbox", None)
    ).items
    return item


async def test_a_q_encoded_last_comma_first_name_keeps_its_address():
    item = await fetched_item("q_encoded_comma_name.eml")

    assert item.author == FetchedContact(
        "maria.garcia@example.test", "maria.garcia@example.test", "García, María"
    ), "the encoded comma is part of the name, not a second mailbox"


async def test_a_name_encoded_to_look_like_an_address_never_becomes_the_author():
    message = parsed("encoded_word_address_spoof.eml")
    item = await fetched_item("encoded_word_address_spoof.eml")

    assert item.author.handle == item.author.external_id == "attacker@evil.example"
    assert item.author.display_name is None, "a name naming another address is not shown"
    assert message.reply_to_address is None, "an encoded word is never an address to reply to"


async def test_raw_utf8_headers_and_a_non_ascii_file_name_are_read():
    item = await fetched_item("raw_utf8_headers.eml")

    assert item.author.display_name == "Jürgen Müller"
    assert item.text == "Rechnung für März – 请查收\n\nAnbei die Rechnung für März."
    assert item.attachments == (
        Attachment(AttachmentKind.FILE, title="Rechnung März.pdf", size=48),
    )


def test_gb2312_mail_is_read_as_gbk_when_it_uses_characters_gb2312_lacks():
    message = parsed("gb2312_gbk_characters.eml")

    assert message.subject == "朱镕基与王喆的订单"
    assert message.from_name == "王喆"
    assert message.text == "您好，朱镕基先生和王喆先生的订单还没有到。\n请帮忙查一下，谢谢！"


def test_a_utf8_body_labelled_gb2312_is_read_as_utf8():
    message = parsed("utf8_labelled_gb2312.eml")

    assert message.text == "尊敬的管理员：系统检测到您的邮箱账号频繁登录失败，原因是密码错误"
    assert message.from_name == "腾讯企业邮箱"


def test_a_body_its_declared_charset_cannot_read_is_detected():
    message = parsed("cp1251_labelled_utf8.eml")

    assert message.text.startswith("Здравствуйте! Мой заказ 4411 так и не пришёл")
    assert "\ufffd" not in message.text


@pytest.mark.parametrize(
    ("data", "declared", "text"),
    [
        ("“Smart quotes” – 5 €".encode("cp1252"), "iso-8859-1", "“Smart quotes” – 5 €"),
        ("“Smart quotes”".encode("cp1252"), "us-ascii", "“Smart quotes”"),
        ("안녕하세요 똠방각하".encode("cp949"), "ks_c_5601-1987", "안녕하세요 똠방각하"),
        ("①番の髙橋".encode("cp932"), "shift_jis", "①番の髙橋"),
        ("香港增補字符集".encode("big5hkscs"), "big5", "香港增補字符集"),
        ("Café".encode(), "iso-8859-1", "Café"),
        ("Café".encode(), "no-such-charset", "Café"),
        (b"plain", "hex", "plain"),
    ],
    ids=["latin1-as-cp1252", "ascii-as-cp1252", "ks_c-as-cp949", "sjis-as-cp932",
         "big5-as-hkscs", "utf8-labelled-latin1", "unknown-charset", "not-a-text-codec"],
)  # fmt: skip
def test_declared_charsets_are_read_through_their_supersets(data, declared, text):
    assert decoded_text(data, declared) == text


def test_crlf_line_ends_become_newlines():
    message = parsed("crlf_outlook.eml")

    assert message.text == "First: where is my parcel?\nSecond: can I change the delivery address?"
    assert "\r" not in message.subject


def test_html_only_mail_keeps_the_target_of_every_link():
    message = parsed("html_links.eml")

    assert message.text == (
        "Your account signed in with a wrong password too often. Learn more "
        "(http://service.exmail.example/cgi-bin/help?subtype=1&no=1001023&id=23)\n\n"
        "Portal: http://exmail.example\n"
        "Help: https://service.exmail.example/cgi-bin/help?subtype=1&no=1001307&id=20078\n"
        "Write to help@exmail.example https://exmail.example/promo"
    ), "text unlike its target gains it, a cut-short link becomes whole, the same stays as is"


async def test_a_forwarded_mail_is_one_attachment_and_keeps_its_own_parts():
    item = await fetched_item("forwarded_with_attachment.eml")

    assert item.text == "Fwd: Your invoice 7781\n\nThe invoice below charges me twice."
    assert item.attachments == (
        Attachment(
            AttachmentKind.FORWARDED,
            title="Your invoice 7781",
            author="billing@shop.example",
            description="Dear customer, your invoice 7781 for 2 x 49.90 EUR is attached.",
        ),
    ), "the invoice PDF inside is the forwarded mail's, not the customer's"


def test_an_attachment_cut_off_by_the_partial_fetch_has_no_size():
    raw = fixture_bytes("attachments.eml")

    message = MailMessage.parse(raw[: raw.rindex(b"--mix--") - 20])

    assert [(a.filename, a.size) for a in message.attachments] == [
        ("box.jpg", 51), ("invoice 4411\u202e.pdf", None),
    ]  # fmt: skip


def test_a_message_nested_past_the_parsers_depth_is_read_for_its_headers():
    nested = b"".join(
        b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (depth, depth + 1)
        for depth in range(3000)
    )
    raw = b"From: a@example.test\nSubject: deep\nContent-Type: multipart/mixed; boundary=b0\n\n"

    message = MailMessage.parse(raw + nested)

    assert (message.from_address, message.subject, message.text) == ("a@example.test", "deep", "")


_MAIL_DAMAGE = [
    b"From: \xff\xfe\x81 =?gb2312?B?zqrKs?= <=?utf-8?Q?a=40b?=@x.test>",
    b"Subject: =?gb2312?B?zqrKssO00rW8qNfcsrvA7c/ro78?= =?hex?Q?=41?= =?utf-8*en?q?=E2=98?=",
    b"Content-Type: message/rfc822",
    b"Content-Type: text/html; charset=unicode-escape",
    b"Content-Type: multipart/mixed; boundary=inner",
    b"Content-Disposition: attachment; filename*=gb2312''%D6%EC%E9%D5.pdf",
    b'Content-Disposition: attachment; filename="\xe9\x80\xa0=?utf-8?B?4piV?="',
    b"Content-Transfer-Encoding: quoted-printable",
    b'<a href="https://x.test/">https://x.test/very/long/path\xe2\x80\xa6<a href="mailto:',
    b"--inner",
    b"",
]


@pytest.mark.parametrize(
    "name",
    ["raw_utf8_headers.eml", "gb2312_gbk_characters.eml", "html_links.eml",
     "forwarded_with_attachment.eml", "crlf_outlook.eml"],
)  # fmt: skip
def test_parsing_a_damaged_mail_never_raises(name: str):
    original = fixture_bytes(name)
    lines = original.split(b"\n")

    @settings(max_examples=25, deadline=None, derandomize=True)
    @given(
        at=st.integers(0, len(lines)),
        damage=st.lists(st.sampled_from(_MAIL_DAMAGE), min_size=1, max_size=4),
        cut=st.integers(0, len(original)),
    )
    def check(at: int, damage: list[bytes], cut: int) -> None:
        damaged = b"\n".join([*lines[:at], *damage, *lines[at:]])[: cut or None]
        message = MailMessage.parse(damaged)
        mail_item(
            message, fallback_id="<uid@x>", account_address="support@example.test", received_at=NOW
        )

    check()


async def test_a_mailbox_is_read_in_uid_order_and_threaded_by_references():
    mailbox = FakeMailbox()
    adapter = adapter_for(mailbox, page_size=10)

    page = await adapter.fetch("inbox", None)

    assert [item.external_id for item in page.items] == [
        "<order-4411.1@mail.example.test>", "<reply-2@mail.example.test>",
        "<photo-3@mail.example.test>", "<uid-1700000000-4@127.0.0.1>",
    ]  # fmt: skip
    first, reply, photo, hostile = page.items
    assert (
        first.thread_key
        == reply.thread_key
        == photo.thread_key
        == "<order-4411.1@mail.example.test>"
    )
    assert reply.parent_external_id == "<support-answer-1@example.test>"
    assert first.kind == Kind.DM and first.direction == Direction.IN
    assert first.author == FetchedContact(
        "carol@example.test", "carol@example.test", "Carol Customer"
    )
    assert first.text.startswith("Order #4411 never arrived\n\nHi, my order")
    assert photo.text == "Photo of the broken box\n\nSee the attached photo and invoice."
    assert photo.attachments == (
        Attachment(AttachmentKind.IMAGE, title="box.jpg", size=51),
        Attachment(AttachmentKind.FILE, title="invoice 4411\u202e.pdf", size=48),
    ), "attachments are the item's, named and sized, with no URL to open"
    assert hostile.thread_key == "<good-root@example.test>"
    assert hostile.created_at == datetime(2026, 3, 1, 12, 0, tzinfo=UTC), (
        "no Date header: the server's arrival time"
    )
    assert json.loads(page.next_cursor) == {"uidvalidity": 1700000000, "uid": 4}
    assert (
        "UID",
        "FETCH",
        "1,2,3,4",
        "(UID INTERNALDATE BODY.PEEK[]<0.262144>)",
    ) in mailbox.commands
    assert ("SELECT", '"INBOX"', True) in mailbox.commands, (
        "read-only: reading never marks mail as seen"
    )


async def test_the_uid_cursor_resumes_and_a_new_uidvalidity_starts_over():
    mailbox = FakeMailbox()
    adapter = adapter_for(mailbox)
    page = await adapter.fetch("inbox", None)

    assert (await adapter.fetch("inbox", page.next_cursor)).items == (), (
        "UID n+1:* answers the last message"
    )
    mailbox.messages[5] = fixture_bytes("multipart.eml").replace(b"order-4411.1@", b"order-4411.5@")
    newer = await adapter.fetch("inbox", page.next_cursor)
    assert [item.external_id for item in newer.items] == ["<order-4411.5@mail.example.test>"]
    mailbox.uid_validity += 1
    renumbered = await adapter.fetch("inbox", newer.next_cursor)
    assert len(renumbered.items) == 5, (
        "a renumbered mailbox is read again; ingest drops what it has"
    )


async def test_a_refused_login_is_auth_expired_and_keeps_the_password_out(caplog):
    mailbox = FakeMailbox(refuse_login=True)

    with caplog.at_level(logging.DEBUG), pytest.raises(AuthExpired) as refused:
        await adapter_for(mailbox).fetch("inbox", None)

    assert PASSWORD not in str(refused.value) and PASSWORD not in caplog.text
    assert PASSWORD not in repr(adapter_for(mailbox))


async def test_a_reply_threads_under_the_original_with_in_reply_to_and_references():
    mailbox = FakeMailbox()
    adapter = adapter_for(mailbox)

    sent = await adapter.send(
        OutboundRequest(
            idempotency_key="out-9", kind=Kind.DM, text="Sorry! A new parcel left today.",
            thread_key="<order-4411.1@mail.example.test>",
            in_reply_to="<reply-2@mail.example.test>",
        )
    )  # fmt: skip

    (message,) = mailbox.sent
    assert message["To"] == "dan@example.test" and message["From"] == "support@example.test"
    assert mailbox.envelopes == [("dan@example.test", "support@example.test")], (
        "the brand's own copy goes to its mailbox in the same transaction"
    )
    assert message["Cc"] is None and message["Bcc"] is None
    assert message["Subject"] == "Re: Order #4411 never arrived"
    assert message["In-Reply-To"] == "<reply-2@mail.example.test>"
    assert message["References"].split() == [
        "<order-4411.1@mail.example.test>", "<support-answer-1@example.test>",
        "<reply-2@mail.example.test>",
    ]  # fmt: skip
    assert message["Message-ID"] == sent.external_id
    assert message.get_content().strip() == "Sorry! A new parcel left today."


async def test_replying_to_a_hostile_subject_cannot_inject_headers():
    mailbox = FakeMailbox()
    mailbox.messages[4] = fixture_bytes("hostile_headers.eml").replace(
        b"References:", b"Message-ID: <hostile@x.test>\r\nReferences:"
    )
    adapter = adapter_for(mailbox)

    await adapter.send(
        OutboundRequest(
            idempotency_key="out-10", kind=Kind.DM, text="Hello", in_reply_to="<hostile@x.test>"
        )
    )

    (message,) = mailbox.sent
    assert message["To"] == "evil@example.test"
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"]


async def test_a_message_without_anyone_to_send_it_to_is_refused():
    with pytest.raises(PayloadInvalid):
        await adapter_for(FakeMailbox()).send(
            OutboundRequest(idempotency_key="x", kind=Kind.DM, text="Hi")
        )


# -- against real mail servers on loopback ----------------------------------------------

PASSWORDS = {"support": "support-pass", "customer": "customer-pass"}
COMPLAINT_ID = "<order-4411@customer.example.test>"


@pytest.fixture
def servers() -> Iterator[MailServers]:
    """Dovecot and its SMTP front, with a support and a customer mailbox, for one test."""
    with mail_servers_for_a_test(PASSWORDS) as running:
        yield running


def unused_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def support_adapter(
    servers: MailServers, *, smtp_port: int | None = None, imap_port: int | None = None, **settings
) -> EmailAdapter:
    account = AccountRef(
        id=1, platform="email", handle=servers.address("support"),
        base_url=f"imap://127.0.0.1:{imap_port or servers.imap_port}",
        settings={
            "username": "support", "smtp_url": f"smtp://127.0.0.1:{smtp_port or servers.smtp_port}",
            **settings,
        },
    )  # fmt: skip
    return EmailAdapter(account, None, {"password": PASSWORDS["support"]})


def complain(servers: MailServers, message_id: str = COMPLAINT_ID) -> None:
    """The customer writes to support, over SMTP."""
    complaint = EmailMessage()
    complaint["From"] = f"Carol Customer <{servers.address('customer')}>"
    complaint["To"] = servers.address("support")
    complaint["Subject"] = "Order #4411 never arrived"
    complaint["Message-ID"] = message_id
    complaint.set_content("Hi, my order #4411 never arrived.")
    with smtplib.SMTP("127.0.0.1", servers.smtp_port, timeout=10) as smtp:
        smtp.send_message(complaint)


def reply(key: str, text: str = "Sorry! A new parcel left today.") -> OutboundRequest:
    """The brand's answer to the complaint, as the outbox asks for it."""
    return OutboundRequest(
        idempotency_key=key, kind=Kind.DM, text=text, thread_key=COMPLAINT_ID,
        in_reply_to=COMPLAINT_ID,
    )  # fmt: skip


def delivered(servers: MailServers, user: str) -> list[Message]:
    """Every message in a user's INBOX, oldest first, read over IMAP."""
    imap = imaplib.IMAP4("127.0.0.1", servers.imap_port, timeout=10)
    try:
        imap.login(user, PASSWORDS[user])
        imap.select("INBOX", readonly=True)
        _, data = imap.uid("SEARCH", None, "ALL")
        found = []
        for uid in data[0].split():
            _, fetched = imap.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
            found.append(email.message_from_bytes(fetched[0][1], policy=email.policy.default))
        return found
    finally:
        imap.logout()


@pytest.mark.integration
async def test_a_sent_reply_is_found_by_its_own_id_and_only_by_it(servers: MailServers):
    complain(servers)
    adapter = support_adapter(servers)
    since = datetime.now(UTC) - timedelta(minutes=2)
    first, second = reply("reply-1"), reply("reply-2", "Here is the tracking number.")

    sent_first = await adapter.send(first)
    sent_second = await adapter.send(second)

    found = await adapter.find_sent(first, since)
    assert found is not None and found.external_id == sent_first.external_id
    assert found.sent_at == sent_first.sent_at.replace(microsecond=0), "the Date header it carries"
    found_second = await adapter.find_sent(second, since)
    assert found_second is not None and found_second.external_id == sent_second.external_id
    assert await adapter.find_sent(reply("reply-never-sent"), since) is None
    received = delivered(servers, "customer")
    assert [message["Message-ID"] for message in received] == [
        sent_first.external_id,
        sent_second.external_id,
    ]
    for message in received:
        assert message["To"] == servers.address("customer")
        assert message["Cc"] is None and message["Bcc"] is None, "the brand's copy is invisible"


@pytest.mark.integration
async def test_a_copy_the_server_filed_in_the_sent_folder_is_found(servers: MailServers):
    complain(servers)
    sender = support_adapter(servers)
    await sender.send(reply("reply-1"))
    (copy,) = [m for m in delivered(servers, "support") if m["Message-ID"] != COMPLAINT_ID]
    imap = imaplib.IMAP4("127.0.0.1", servers.imap_port, timeout=10)
    try:
        imap.login("support", PASSWORDS["support"])
        imap.create("Sent")
        imap.append("Sent", None, imaplib.Time2Internaldate(datetime.now(UTC)), copy.as_bytes())
        imap.select("INBOX")
        imap.uid("STORE", "1:*", "+FLAGS", r"(\Deleted)")
        imap.expunge()
    finally:
        imap.logout()
    since = datetime.now(UTC) - timedelta(minutes=2)

    assert await sender.find_sent(reply("reply-1"), since) is None, "INBOX alone has no copy now"
    found = await support_adapter(servers, sent_mailbox="Sent").find_sent(reply("reply-1"), since)
    assert found is not None and found.external_id == copy["Message-ID"]


@pytest.mark.integration
async def test_the_brands_copy_lands_as_its_outgoing_message_in_the_customers_thread(
    servers: MailServers, sqlite_url: str
):
    engine = open_engine(sqlite_url)
    setup = InboxService(engine)
    setup.add_agent("alex", "Alex Kim")
    account_id = setup.add_account("email", servers.address("support"))
    account = AccountRef(account_id, "email", servers.address("support"))
    store = Store(engine)
    complain(servers)
    adapter = support_adapter(servers)
    first_page = await adapter.fetch("inbox", None)
    (thread_id,) = store.ingest(account, "inbox", list(first_page.items), None).thread_ids
    alex = InboxService(engine, actor="alex")
    sent = await adapter.send(reply("reply-1"))
    alex.close([thread_id])

    next_page = await adapter.fetch("inbox", first_page.next_cursor)
    landed = store.ingest(account, "inbox", list(next_page.items), None)

    (copy,) = next_page.items
    assert (copy.external_id, copy.direction) == (sent.external_id, Direction.OUT)
    assert copy.thread_key == COMPLAINT_ID and copy.parent_external_id == COMPLAINT_ID
    assert (landed.new_threads, landed.reopened_threads, landed.thread_ids) == (0, 0, (thread_id,))
    thread = alex.thread(thread_id)
    assert thread.status == "closed", "the brand's own copy is no new customer message"
    assert thread.first_response_at is not None
    assert [entry.direction for entry in alex.thread_items(thread_id)] == ["in", "out"]
    engine.dispose()


@pytest.mark.integration
async def test_a_server_that_drops_the_line_after_taking_the_message_leaves_it_findable(
    servers: MailServers,
):
    complain(servers)
    adapter = support_adapter(servers)
    since = datetime.now(UTC) - timedelta(minutes=2)
    servers.smtp_controller.handler.drops_after_delivery = 1

    with pytest.raises(PlatformUnavailable) as failed:
        await adapter.send(reply("reply-1"))

    assert not isinstance(failed.value, NotReached), "the message may have gone: ambiguous"
    found = await adapter.find_sent(reply("reply-1"), since)
    assert found is not None
    assert [message["Message-ID"] for message in delivered(servers, "customer")] == [
        found.external_id
    ]


@pytest.mark.integration
async def test_a_refused_connection_is_not_reached(servers: MailServers):
    complain(servers)
    dm = OutboundRequest(
        idempotency_key="dm-1", kind=Kind.DM, text="Hello",
        recipient=FetchedContact(servers.address("customer"), servers.address("customer")),
    )  # fmt: skip

    with pytest.raises(NotReached):
        await support_adapter(servers, smtp_port=unused_port()).send(dm)
    with pytest.raises(NotReached):
        await support_adapter(servers, imap_port=unused_port()).send(reply("reply-1"))
    assert delivered(servers, "customer") == []


class RefusingSmtpHandler:
    """A hand-made aiosmtpd handler that refuses chosen recipients, or the message after
    its end, and keeps the envelopes it took.

    Hand-made because no real mail server here refuses a chosen address or message on cue;
    the SMTP conversation itself is real (smtplib against aiosmtpd).
    """

    def __init__(self, refused_recipients: dict[str, str], reply_after_data: str) -> None:
        self.refused_recipients = refused_recipients
        self.reply_after_data = reply_after_data
        self.taken: list[list[str]] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refused_recipients:
            return self.refused_recipients[address]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.taken.append(list(envelope.rcpt_tos))
        return self.reply_after_data


CUSTOMER = "carol@example.test"
OWN = "support@example.test"
DM = OutboundRequest(
    idempotency_key="dm-1", kind=Kind.DM, text="Hello",
    recipient=FetchedContact(CUSTOMER, CUSTOMER),
)  # fmt: skip


@contextlib.contextmanager
def smtp_front(handler: RefusingSmtpHandler, **options: Any) -> Iterator[int]:
    """An aiosmtpd server on loopback with `handler` (and SMTP `options`); yields its port."""
    from aiosmtpd.controller import Controller  # a test dependency: missing is a failure

    controller = Controller(handler, hostname="127.0.0.1", port=unused_port(), **options)
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def adapter_sending_to(smtp_port: int, password: str = PASSWORD) -> EmailAdapter:
    account = AccountRef(
        id=1, platform="email", handle=OWN, base_url=f"imap://127.0.0.1:{unused_port()}",
        settings={"smtp_url": f"smtp://127.0.0.1:{smtp_port}"},
    )  # fmt: skip
    return EmailAdapter(account, None, {"password": password})


@pytest.mark.integration
@pytest.mark.parametrize(
    ("refused_recipients", "reply_after_data", "raised", "ambiguous", "taken"),
    [
        ({CUSTOMER: "550 5.1.1 no such user"}, "250 OK", PayloadInvalid, False, []),
        ({CUSTOMER: "450 4.2.1 try later"}, "250 OK", NotReached, False, []),
        ({OWN: "552 5.2.2 mailbox full"}, "250 OK", PayloadInvalid, False, []),
        ({}, "554 5.6.0 message refused", PlatformUnavailable, True, [[CUSTOMER, OWN]]),
        ({}, "451 4.3.0 try again", PlatformUnavailable, True, [[CUSTOMER, OWN]]),
    ],
    ids=[
        "customer-refused",
        "customer-deferred",
        "own-copy-refused",
        "refused-after-data",
        "deferred-after-data",
    ],
)
async def test_smtp_refusals_say_whether_the_message_may_have_gone(
    refused_recipients, reply_after_data, raised, ambiguous, taken
):
    handler = RefusingSmtpHandler(refused_recipients, reply_after_data)

    with smtp_front(handler) as port, pytest.raises(raised) as failed:
        await adapter_sending_to(port).send(DM)

    assert isinstance(failed.value, NotReached) is (raised is NotReached)
    assert (type(failed.value) is PlatformUnavailable) is ambiguous
    assert handler.taken == taken, "a refused recipient stops the message for both"


@pytest.mark.integration
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_the_smtp_login_is_used_and_a_refused_one_is_auth_expired():
    from aiosmtpd import smtp as smtp_module  # a test dependency: missing is a failure

    def authenticator(server, session, envelope, mechanism, auth_data) -> Any:
        accepted = auth_data.password == PASSWORD.encode()
        return smtp_module.AuthResult(success=accepted, handled=False)

    handler = RefusingSmtpHandler({}, "250 OK")
    options = {"authenticator": authenticator, "auth_required": True, "auth_require_tls": False}
    with smtp_front(handler, **options) as port:
        await adapter_sending_to(port).send(DM)
        with pytest.raises(AuthExpired) as refused:
            await adapter_sending_to(port, password="a-stale-password").send(DM)

    assert handler.taken == [[CUSTOMER, OWN]], "sent once, with the right password only"
    assert "a-stale-password" not in str(refused.value)
