"""Pure functions from a received email to an inbox item, and the ids of outgoing mail."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Final
from urllib.parse import quote

from adapters.base import (
    Attachment,
    AttachmentKind,
    Direction,
    FetchedContact,
    FetchedItem,
    Kind,
    ListUnsubscribe,
)
from adapters.email.payloads import FORWARDED_TYPES, MailAttachment, MailMessage

FORWARDED_OPENING_CHARACTERS: Final = 300
"""How much of a forwarded mail's text its attachment describes it by."""
_MEDIA_KINDS: Final = {
    "image": AttachmentKind.IMAGE,
    "video": AttachmentKind.VIDEO,
    "audio": AttachmentKind.AUDIO,
}


def thread_key(message: MailMessage, fallback_id: str) -> str:
    """The conversation a message belongs to: the first id of its References chain.

    Without References, the message it answers (In-Reply-To); without either, itself.
    """
    if message.references:
        return message.references[0]
    if message.in_reply_to is not None:
        return message.in_reply_to
    return message.message_id or fallback_id


def mail_item(
    message: MailMessage, *, fallback_id: str, account_address: str, received_at: datetime | None
) -> FetchedItem:
    """The inbox item of one email: a DM thread, inbound unless the account itself sent it.

    `fallback_id` names a message without a Message-ID (mailbox UIDVALIDITY and UID).
    Attached files and forwarded mail become the item's attachments, never downloaded.
    """
    external_id = message.message_id or fallback_id
    parent = message.in_reply_to or (message.references[-1] if message.references else None)
    text = message.text
    if message.subject:
        text = f"{message.subject}\n\n{text}" if text else message.subject
    address = message.from_address or "unknown@invalid"
    return FetchedItem(
        external_id=external_id,
        thread_key=thread_key(message, external_id),
        kind=Kind.DM,
        direction=Direction.OUT if address == account_address.lower() else Direction.IN,
        author=FetchedContact(external_id=address, handle=address, display_name=message.from_name),
        text=text,
        created_at=message.date or received_at or datetime.fromtimestamp(0).astimezone(),
        parent_external_id=parent if parent != external_id else None,
        attachments=tuple(item_attachment(part) for part in message.attachments),
        raw={
            "message_id": message.message_id,
            "in_reply_to": message.in_reply_to,
            "references": list(message.references),
            "subject": message.subject,
            "from": message.from_address,
            "reply_to": message.reply_to_address,
            "to": list(message.to_addresses),
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": a.size}
                for a in message.attachments
            ],
        },
    )


def item_attachment(part: MailAttachment) -> Attachment:
    """What the inbox shows of an attached part: a forwarded mail by its subject, sender and
    opening words; a file or inline image by its name and size (there is no URL to it)."""
    forwarded = part.forwarded
    if part.content_type in FORWARDED_TYPES:
        return Attachment(
            kind=AttachmentKind.FORWARDED,
            title=(forwarded.subject if forwarded else part.filename) or None,
            author=(forwarded.from_address if forwarded else "") or None,
            description=_opening(forwarded.text) if forwarded else None,
        )
    kind = _MEDIA_KINDS.get(part.content_type.partition("/")[0], AttachmentKind.FILE)
    return Attachment(kind=kind, title=part.filename, size=part.size)


def _opening(text: str) -> str | None:
    """The start of a text, cut at a word with an ellipsis when it goes on."""
    words = " ".join(text.split())
    if len(words) <= FORWARDED_OPENING_CHARACTERS:
        return words or None
    return words[:FORWARDED_OPENING_CHARACTERS].rsplit(" ", 1)[0] + " …"


def outgoing_message_id(idempotency_key: str, sender: str) -> str:
    """A Message-ID that is the same for every attempt to send one outbound message."""
    digest = hashlib.blake2b(idempotency_key.encode(), digest_size=12).hexdigest()
    domain = sender.rsplit("@", 1)[-1] if "@" in sender else "social-inbox.invalid"
    return f"<inbox.{digest}@{domain}>"


def reply_subject(subject: str) -> str:
    """`Re: subject`, without piling up prefixes."""
    stripped = subject.strip()
    return stripped if stripped.lower().startswith("re:") else f"Re: {stripped or '(no subject)'}"


def unsubscribe_links(unsubscribe: ListUnsubscribe | None, address: str) -> tuple[str, ...]:
    """The `List-Unsubscribe` links of a mailing: a `mailto:` to the account's own address
    with the token in the subject, then the one-click https link when there is one."""
    if unsubscribe is None:
        return ()
    mailto = f"mailto:{address}?subject={quote(unsubscribe.mailto_subject, safe='')}"
    url = unsubscribe.url if unsubscribe.url and unsubscribe.url.startswith("https://") else None
    return (mailto, *((url,) if url else ()))
