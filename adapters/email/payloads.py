"""A received email, read with the standard library and nothing trusted.

`MailMessage.parse` never raises on a hostile message: broken headers become empty
values, a broken body becomes empty text. The plain-text part is preferred; HTML-only
mail is turned into text with `html.parser`, keeping every link's target; attachments
are described, never kept; a forwarded message (message/rfc822) is read as a message of
its own, and its parts stay its own.

Text arrives in any charset, declared or not, often wrongly: `decoded_text` reads it.
Addresses are taken from a header before its encoded words are decoded, so a name can
never turn into an address.
RFC 5322 (headers), RFC 2045-2049 (MIME), RFC 2047 (encoded words), RFC 2231 (parameters):
https://www.rfc-editor.org/rfc/rfc5322
"""

from __future__ import annotations

import binascii
import codecs
import email.errors
import email.policy
import email.utils
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html.parser import HTMLParser
from typing import Any, Final

import charset_normalizer

from adapters._payload import plausible_moment

MAX_HEADER_CHARACTERS: Final = 2_000
MAX_REFERENCES: Final = 50
MAX_FORWARD_DEPTH: Final = 3
"""How deep forwarded messages inside forwarded messages are read as messages."""
_MAX_RAW_HEADER_CHARACTERS: Final = 8 * MAX_HEADER_CHARACTERS
_MESSAGE_ID: Final = re.compile(r"<[^<>\s]{1,250}>")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ENCODED_WORD: Final = re.compile(
    r"=\?([\x21-\x29\x2b-\x3e\x40-\x7e]+)(?:\*[\x21-\x3e\x40-\x7e]*)?\?([bBqQ])\?([\x21-\x3e\x40-\x7e]*)\?="
)
"""An RFC 2047 encoded word: charset (an RFC 2231 `*language` dropped), B or Q, the data."""
_ADDRESS_LIKE: Final = re.compile(r"[^\s<>()\"',;:\[\]]+@[^\s<>()\"',;:\[\]]+")
FORWARDED_TYPES: Final = frozenset({"message/rfc822", "message/global"})
"""Content types of a whole message carried inside another (a forward)."""
_CHARSET_SUPERSETS: Final = {
    "ascii": ("cp1252",),
    "iso8859-1": ("cp1252", "iso8859-1"),
    "iso8859-9": ("cp1254", "iso8859-9"),
    "iso8859-11": ("cp874", "iso8859-11"),
    "tis-620": ("cp874", "tis-620"),
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "euc_kr": ("cp949",),
    "shift_jis": ("cp932", "shift_jis"),
    "big5": ("big5hkscs", "cp950"),
}
"""Charsets mail declares, and the wider ones senders really write when they declare them
(a Windows or GB18030 superset): decoding through the superset reads what the narrow
charset cannot."""
_CHARSET_ALIASES: Final = {
    "x-gbk": "gbk",
    "gb_2312-80": "gb2312",
    "windows-874": "cp874",
    "x-sjis": "shift_jis",
    "x-euc-kr": "euc_kr",
    "ks_c_5601": "euc_kr",
}
"""Names mail clients write that Python's codec registry does not know."""
_NOT_CHARSETS: Final = frozenset(
    {"unicode-escape", "raw-unicode-escape", "punycode", "idna", "undefined", "palmos"}
)
"""Text codecs that are no mail charset: decoding with them would interpret the text."""
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
_HTML_SPACE: Final = re.compile(r"\s+")
"""Whitespace in HTML text outside <pre>: one space, as a browser shows it."""
_SHOWN_LINK_SCHEMES: Final = ("http://", "https://", "mailto:")


class _RawHeaders(email.policy.Compat32):
    """compat32, but a header is read back as it came, 8-bit bytes kept as surrogate escapes.

    Plain compat32 wraps a raw UTF-8 header in an `email.header.Header` that reads back as
    U+FFFD and breaks `get_filename`; the raw value lets `_unescaped` read those bytes.
    """

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        """The value unchanged (folding and all); the readers here unfold and decode it."""
        return value


_POLICY: Final = _RawHeaders()


@dataclass(frozen=True, slots=True)
class MailAttachment:
    """A part the message carries besides its text: a file, an inline image, a forwarded mail.

    `size` is in bytes, None when the fetch cut the part short (or for a forwarded mail);
    `forwarded` is the message inside a message/rfc822 part.
    """

    filename: str
    content_type: str
    size: int | None
    forwarded: MailMessage | None = None


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
    attachments: tuple[MailAttachment, ...]
    mailing: bool = False
    """It carries `List-Unsubscribe`: one of a mailing list's messages."""

    @classmethod
    def parse(cls, raw: bytes) -> MailMessage:
        """Read a message from its RFC 5322 bytes (perhaps cut short by a partial fetch).

        A message nested too deeply for the parser is read for its headers alone.
        """
        try:
            message = BytesParser(policy=_POLICY).parsebytes(raw)
        except RecursionError:
            message = BytesParser(policy=_POLICY).parsebytes(raw, headersonly=True)
            message.set_payload("")
        return cls.read(message)

    @classmethod
    def read(cls, message: Message, depth: int = 0) -> MailMessage:
        """The parts the inbox uses of a parsed message (`depth`: how deep it was forwarded)."""
        hint = _header_charset(message)
        from_name, from_address = _sender(_raw_header(message, "From"), hint)
        _, reply_to = _sender(_raw_header(message, "Reply-To"), hint)
        return cls(
            message_id=next(iter(_message_ids(_raw_header(message, "Message-ID"))), None),
            in_reply_to=next(iter(_message_ids(_raw_header(message, "In-Reply-To"))), None),
            references=tuple(_message_ids(_raw_header(message, "References"))[:MAX_REFERENCES]),
            from_name=from_name,
            from_address=from_address,
            to_addresses=tuple(
                address for _, address in _addresses(_raw_header(message, "To"), hint) if address
            ),
            reply_to_address=reply_to or None,
            subject=_one_line(_decoded_words(_raw_header(message, "Subject"), hint)),
            date=_date(_one_line(_raw_header(message, "Date"))),
            text=_body_text(message),
            attachments=tuple(_attachments(message, hint, depth)),
            mailing=bool(_raw_header(message, "List-Unsubscribe").strip()),
        )


def decoded_text(data: bytes, charset: str | None) -> str:
    """`data` as text, whatever charset it was written in and whatever `charset` claims.

    Valid UTF-8 is UTF-8 (legacy text is almost never valid UTF-8, while UTF-8 labelled
    as something else is common); else the declared charset read through its usual
    superset (GB2312 as GB18030, ISO-8859-1 as windows-1252 ...); else charset-normalizer's
    guess; else UTF-8 with U+FFFD for what no reading takes.
    """
    codec = _codec(charset)
    if data.isascii() and codec is None:
        return data.decode("ascii")
    candidates = _CHARSET_SUPERSETS.get(codec, (codec,)) if codec is not None else ()
    if not data.isascii() and not (codec or "").startswith(("utf-16", "utf-32")):
        candidates = ("utf-8", *candidates)
    for candidate in dict.fromkeys(candidates):
        try:
            return data.decode(candidate)
        except UnicodeError:
            continue
    guess = charset_normalizer.from_bytes(data).best()
    if guess is not None:
        return str(guess)
    return data.decode(candidates[-1] if candidates else "utf-8", errors="replace")


def _codec(charset: str | None) -> str | None:
    """Python's name for a declared charset; None when unknown or no text charset."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        name = codecs.lookup(name).name
        b"a".decode(name)  # LookupError for a codec that is not for text (hex, zlib)
    except UnicodeError:
        pass
    except (LookupError, ValueError, TypeError):
        return None
    return None if name in _NOT_CHARSETS else name


def _raw_header(message: Message, name: str) -> str:
    """A header's value as it came, unfolded, capped; '' when absent."""
    try:
        value = message.get(name)
    except (LookupError, TypeError, ValueError):
        return ""
    if not isinstance(value, str):
        return ""
    return " ".join(value[:_MAX_RAW_HEADER_CHARACTERS].splitlines())


def _header_charset(message: Message) -> str | None:
    """The charset a sender most likely wrote raw 8-bit headers in: the message's own."""
    codec = _codec(_content_charset(message))
    return None if codec is None or codec.startswith(("utf-16", "utf-32")) else codec


def _content_charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except (LookupError, TypeError, ValueError, UnicodeError):
        return None


def _unescaped(value: str, hint: str | None) -> str:
    """A raw header value as text: its 8-bit bytes read as UTF-8, else as `hint` or guessed."""
    if value.isascii():
        return value
    return decoded_text(value.encode("utf-8", "surrogateescape"), hint)


def _decoded_words(value: str, hint: str | None) -> str:
    """`value` with 8-bit bytes read and RFC 2047 encoded words decoded.

    Consecutive words in one charset are joined before decoding, so a character split
    between two words survives; whitespace between encoded words goes, as RFC 2047 says.
    A word that does not decode stays as it was written.
    """
    value = _unescaped(value, hint)
    tokens: list[str | tuple[str, bytes]] = []
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        gap = value[position : match.start()]
        charset, encoding, data = match.groups()
        word = _word_bytes(encoding, data)
        if word is None:
            tokens.append(gap + match.group(0))
        else:
            if gap and not (gap.isspace() and tokens and isinstance(tokens[-1], tuple)):
                tokens.append(gap)
            tokens.append((charset.lower(), word))
        position = match.end()
    tokens.append(value[position:])
    pieces: list[str] = []
    for charset, run in itertools.groupby(
        tokens, key=lambda token: token[0] if isinstance(token, tuple) else None
    ):
        if charset is None:
            pieces.extend(token for token in run if isinstance(token, str))
        else:
            data = b"".join(token[1] for token in run if isinstance(token, tuple))
            pieces.append(decoded_text(data, charset))
    return "".join(pieces)


def _word_bytes(encoding: str, data: str) -> bytes | None:
    """The bytes an encoded word carries; None when they cannot be read."""
    try:
        if encoding in "bB":
            return binascii.a2b_base64(data + "=" * (-len(data) % 4))
        return binascii.a2b_qp(data, header=True)
    except (binascii.Error, ValueError):
        return None


def _one_line(text: str) -> str:
    """Header text as one line without control characters, capped."""
    return _CONTROL.sub(" ", " ".join(text.split()))[:MAX_HEADER_CHARACTERS]


def _addresses(value: str, hint: str | None) -> list[tuple[str | None, str]]:
    """(display name, lower-case address) of every mailbox in an address header.

    The addresses are parsed from the header as written, and only then are the names'
    encoded words decoded: `=?utf-8?Q?Last=2C_First?= <a@b>` stays one mailbox, and a
    name that decodes to an address stays a name. An entry without an @ has address ''.
    """
    found = []
    for name, address in email.utils.getaddresses([_unescaped(value, hint)]):
        address = _one_line(address).lower()
        shown = _one_line(_decoded_words(name, hint)) or None
        found.append((shown, address if "@" in address and " " not in address else ""))
    return found


def _sender(value: str, hint: str | None) -> tuple[str | None, str]:
    """The first mailbox of a From or Reply-To header with an address, or (None, '').

    A display name naming another address (`"ceo@bank.example" <attacker@evil.example>`)
    is dropped, so the author shown is the address the mail came from.
    """
    for name, address in _addresses(value, hint):
        if not address:
            continue
        if name is not None and any(
            other.lower() != address for other in _ADDRESS_LIKE.findall(name)
        ):
            name = None
        return name, address
    return None, ""


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


def _leaves(message: Message) -> Iterator[tuple[Message, bool]]:
    """The message's parts that hold content, in order, and whether each may be cut short.

    A forwarded message (message/rfc822) is one leaf: its parts are its own. A part is cut
    short when it is the last of a multipart whose closing boundary never came.
    """
    stack: list[tuple[Message, bool]] = [(message, False)]
    while stack:
        part, cut = stack.pop()
        if part.get_content_type() in FORWARDED_TYPES or not part.is_multipart():
            yield part, cut
            continue
        children = [child for child in part.get_payload() if isinstance(child, Message)]
        unclosed = any(
            isinstance(defect, email.errors.CloseBoundaryNotFoundDefect) for defect in part.defects
        )
        stack.extend(
            (child, cut or (unclosed and index == len(children) - 1))
            for index, child in reversed(list(enumerate(children)))
        )


def _body_text(message: Message) -> str:
    """The first text/plain part that is not an attachment; else the first HTML part as text."""
    plain = html = None
    for part, _ in _leaves(message):
        if _is_attachment(part):
            continue
        content_type = part.get_content_type()
        if content_type == "text/plain" and plain is None:
            plain = _decoded(part)
        elif content_type == "text/html" and html is None:
            html = _decoded(part)
    if plain is not None and plain.strip():
        return _unix_lines(plain).strip()
    if html is not None:
        return html_to_text(html)
    return _unix_lines(plain or "").strip()


def _unix_lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return decoded_text(payload, _content_charset(part))


def _is_attachment(part: Message) -> bool:
    if part.get_content_type() in FORWARDED_TYPES:
        return True
    return (
        part.get_content_disposition() == "attachment"
        or (_filename(part, None) is not None and part.get_content_maintype() != "text")
        or part.get_content_maintype() in ("image", "audio", "video", "application")
    )


def _filename(part: Message, hint: str | None) -> str | None:
    """A part's file name (Content-Disposition's, else Content-Type's), decoded; None if none.

    RFC 2231 values are read in their declared charset, RFC 2047 words (as Outlook and
    Gmail write them) decoded, raw 8-bit names read as UTF-8.
    """
    for param, header in (("filename", "content-disposition"), ("name", "content-type")):
        try:
            value = part.get_param(param, None, header)
        except (LookupError, TypeError, ValueError, UnicodeError):
            continue
        if isinstance(value, tuple):
            charset, _, encoded = value
            data = email.utils.unquote(encoded).encode("raw-unicode-escape", "surrogateescape")
            return _one_line(decoded_text(data, charset or hint))[:255]
        if isinstance(value, str):
            return _one_line(_decoded_words(email.utils.unquote(value), hint))[:255]
    return None


def _attachments(message: Message, hint: str | None, depth: int) -> list[MailAttachment]:
    found = []
    for part, cut in _leaves(message):
        if not _is_attachment(part):
            continue
        content_type = part.get_content_type()
        if content_type in FORWARDED_TYPES:
            forwarded = _forwarded(part, depth + 1)
            found.append(
                MailAttachment(
                    filename=_filename(part, hint) or (forwarded.subject if forwarded else ""),
                    content_type=content_type,
                    size=None,
                    forwarded=forwarded,
                )
            )
            continue
        payload = part.get_payload(decode=True)
        found.append(
            MailAttachment(
                filename=_filename(part, hint) or "unnamed",
                content_type=content_type,
                size=len(payload) if isinstance(payload, bytes) and not cut else None,
            )
        )
    return found


def _forwarded(part: Message, depth: int) -> MailMessage | None:
    """The message a message/rfc822 part carries; None past `MAX_FORWARD_DEPTH`."""
    if depth > MAX_FORWARD_DEPTH:
        return None
    if part.is_multipart():
        inner = next((child for child in part.get_payload() if isinstance(child, Message)), None)
        return MailMessage.read(inner, depth) if inner is not None else None
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return None
    try:
        inner = BytesParser(policy=_POLICY).parsebytes(data)
    except RecursionError:
        return None
    return MailMessage.read(inner, depth)


class _TextExtractor(HTMLParser):
    """Collects the readable text of an HTML document, a line break per block (source line
    breaks are spaces, as in a browser, except in <pre>).

    A link keeps its target: `text (https://target)` where the text does not say it.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping = 0
        self._preformatted = 0
        self._link: tuple[str, int] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")
            self._preformatted += tag == "pre"
        elif tag == "a":
            self.end_link()
            href = "".join((dict(attrs).get("href") or "").split())
            if href.lower().startswith(_SHOWN_LINK_SCHEMES):
                self._link = (href, len(self.chunks))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(self._skipping - 1, 0)
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")
            if tag == "pre":
                self._preformatted = max(self._preformatted - 1, 0)
        elif tag == "a":
            self.end_link()

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        self.chunks.append(data if self._preformatted else _HTML_SPACE.sub(" ", data))

    def end_link(self) -> None:
        """Close the open link, if any, showing its target where its text does not."""
        if self._link is None:
            return
        href, start = self._link
        self._link = None
        self.chunks[start:] = [_with_target("".join(self.chunks[start:]), href)]


def _with_target(text: str, href: str) -> str:
    """A link's text as shown: as it is where it says the target, else with the target.

    Text that is the target cut short (`example.com/orders/44…`) becomes the whole target.
    """
    visible = " ".join(text.split())
    if not visible:
        return href
    shown, target = _bare_link(visible), _bare_link(href)
    if shown == target:
        return text
    cut = shown.removesuffix("…").removesuffix("...")
    if " " not in cut and "." in cut and target.startswith(cut):
        return href
    return f"{text} ({href})"


def _bare_link(link: str) -> str:
    """A link without its scheme, `www.` and trailing slash, for comparing text with target."""
    bare = link.strip().lower()
    for prefix in (*_SHOWN_LINK_SCHEMES, "www."):
        bare = bare.removeprefix(prefix)
    return bare.rstrip("/")


def html_to_text(html: str) -> str:
    """The text of an HTML body: tags dropped, scripts and styles skipped, entities decoded,
    every link's target kept."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except AssertionError:
        # html.parser gives up on some declarations (`<![foo[`); keep what it had read.
        pass
    extractor.end_link()
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
    list_unsubscribe: tuple[str, ...] = (),
) -> EmailMessage:
    """An outgoing plain-text message; `list_unsubscribe` holds a mailing's unsubscribe links
    (`mailto:` first), and an https one among them makes it one-click (RFC 8058).

    Header values are single lines, so nothing can be injected.
    """
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = _one_line(subject)
    message["Date"] = email.utils.format_datetime(date.astimezone(UTC))
    message["Message-ID"] = message_id
    if in_reply_to is not None:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = " ".join(references)
    if list_unsubscribe:
        links = [_one_line(link) for link in list_unsubscribe]
        message["List-Unsubscribe"] = ", ".join(f"<{link}>" for link in links)
        if any(link.startswith("https://") for link in links):
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    return message
