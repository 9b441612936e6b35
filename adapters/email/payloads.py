"""A received email, read with the standard library and nothing trusted.

`MailMessage.parse` never raises on a hostile message: broken headers become empty
values, a broken body becomes empty text. The plain-text part is preferred; HTML-only
mail is turned into text with `html.parser`; attachments are listed, never kept.
RFC 5322 (headers), RFC 2045-2049 (MIME): https://www.rfc-editor.org/rfc/rfc5322
"""

from __future__ import annotations

import email.errors
import email.header
import email.policy
import email.utils
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html.parser import HTMLParser
from typing import Final

from adapters._payload import plausible_moment

MAX_HEADER_CHARACTERS: Final = 2_000
MAX_REFERENCES: Final = 50
_MESSAGE_ID: Final = re.compile(r"<[^<>\s]{1,250}>")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_BLOCK_TAGS: Final = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "table",
        "ul",
        "ol",
        "hr",
    }
)
_SKIPPED_TAGS: Final = frozenset({"script", "style", "head", "title"})


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attached file as the message describes it: its name, type and size in bytes."""

    filename: str
    content_type: str
    size: int


@dataclass(frozen=True, slots=True)
class MailMessage:
    """The parts of an email the inbox uses."""

    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    from_name: str | None
    from_address: str
    to_addresses: tuple[str, ...]
    reply_to_address: str | None
    subject: str
    date: datetime | None
    text: str
    attachments: tuple[Attachment, ...]

    @classmethod
    def parse(cls, raw: bytes) -> MailMessage:
        """Read a message from its RFC 5322 bytes (perhaps cut short by a partial fetch)."""
        message = BytesParser(policy=email.policy.compat32).parsebytes(raw)
        from_name, from_address = _address(_header(message, "From"))
        _, reply_to = _address(_header(message, "Reply-To"))
        return cls(
            message_id=next(iter(_message_ids(_header(message, "Message-ID"))), None),
            in_reply_to=next(iter(_message_ids(_header(message, "In-Reply-To"))), None),
            references=tuple(_message_ids(_header(message, "References"))[:MAX_REFERENCES]),
            from_name=from_name,
            from_address=from_address,
            to_addresses=tuple(
                address
                for _, address in email.utils.getaddresses([_header(message, "To")])
                if "@" in address
            ),
            reply_to_address=reply_to or None,
            subject=_header(message, "Subject"),
            date=_date(_header(message, "Date")),
            text=_body_text(message),
            attachments=tuple(_attachments(message)),
        )


def _header(message: Message, name: str) -> str:
    """A header decoded to text (RFC 2047 words included), one line, capped; '' when unreadable."""
    value = message.get(name)
    if value is None:
        return ""
    text = _decoded_words(str(value))
    return _CONTROL.sub(" ", " ".join(text.split()))[:MAX_HEADER_CHARACTERS]


def _decoded_words(value: str) -> str:
    """`value` with RFC 2047 encoded words decoded; left as it is when they are broken."""
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except (LookupError, UnicodeError, ValueError, email.errors.HeaderParseError):
        return value


def _address(value: str) -> tuple[str | None, str]:
    name, address = email.utils.parseaddr(value)
    return (name or None), (address.lower() if "@" in address else "")


def _message_ids(value: str) -> list[str]:
    return list(dict.fromkeys(_MESSAGE_ID.findall(value)))


def _date(value: str) -> datetime | None:
    """The Date header in UTC; None when absent, unreadable or outside 1970-2200."""
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment is None:
        return None
    return plausible_moment(moment)


def _body_text(message: Message) -> str:
    """The first text/plain part that is not an attachment; else the first HTML part as text."""
    plain = html = None
    for part in message.walk():
        if part.is_multipart() or _is_attachment(part):
            continue
        content_type = part.get_content_type()
        if content_type == "text/plain" and plain is None:
            plain = _decoded(part)
        elif content_type == "text/html" and html is None:
            html = _decoded(part)
    if plain is not None and plain.strip():
        return plain.strip()
    if html is not None:
        return html_to_text(html)
    return (plain or "").strip()


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def _is_attachment(part: Message) -> bool:
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    return (
        disposition == "attachment"
        or (part.get_filename() is not None and not part.get_content_type().startswith("text/"))
        or part.get_content_maintype() in ("image", "audio", "video", "application")
    )


def _attachments(message: Message) -> list[Attachment]:
    found = []
    for part in message.walk():
        if part.is_multipart() or not _is_attachment(part):
            continue
        payload = part.get_payload(decode=True)
        try:
            filename = _decoded_words(part.get_filename() or "") or "unnamed"
        except (LookupError, UnicodeError, ValueError):
            filename = "unnamed"
        found.append(
            Attachment(
                filename=_CONTROL.sub(" ", str(filename))[:255],
                content_type=part.get_content_type(),
                size=len(payload) if isinstance(payload, bytes) else 0,
            )
        )
    return found


class _TextExtractor(HTMLParser):
    """Collects the readable text of an HTML document, a line break per block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(self._skipping - 1, 0)
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    """The text of an HTML body: tags dropped, scripts and styles skipped, entities decoded."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except AssertionError:
        # html.parser gives up on some declarations (`<![foo[`); keep what it had read.
        pass
    lines = (" ".join(line.split()) for line in "".join(extractor.chunks).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def reply_message(
    *,
    sender: str,
    recipient: str,
    subject: str,
    text: str,
    message_id: str,
    in_reply_to: str | None,
    references: tuple[str, ...],
    date: datetime,
) -> EmailMessage:
    """An outgoing plain-text message.

    Header values are single lines, so nothing can be injected.
    """
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = _CONTROL.sub(" ", " ".join(subject.split()))[:MAX_HEADER_CHARACTERS]
    message["Date"] = email.utils.format_datetime(date.astimezone(UTC))
    message["Message-ID"] = message_id
    if in_reply_to is not None:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = " ".join(references)
    message.set_content(text)
    return message
