"""The email adapter over hand-made .eml files in an in-memory mailbox."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from adapters.base import (
    AccountRef,
    AuthExpired,
    Direction,
    FetchedContact,
    Kind,
    OutboundRequest,
    PayloadInvalid,
)
from adapters.email.adapter import EmailAdapter
from adapters.email.payloads import MailMessage, html_to_text
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
    assert photo.text.endswith(
        "[attachments: box.jpg (image/jpeg, 51 bytes), "
        "invoice 4411\u202e.pdf (application/pdf, 48 bytes)]"
    )
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
