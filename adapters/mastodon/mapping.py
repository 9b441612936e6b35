"""Mastodon payloads to inbox items: pure functions, no HTTP."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from urllib.parse import unquote

from adapters.base import (
    Attachment,
    AttachmentKind,
    Direction,
    FetchedContact,
    FetchedItem,
    Kind,
)
from adapters.mastodon.payloads import Account, MediaAttachment, Poll, Quote, Status

_BLOCK_TAGS = frozenset({"p", "div", "blockquote", "li", "ul", "ol", "pre", "h1", "h2", "h3", "h4"})
_VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_END_TAG_REACH = 32
"""How far back in the open elements an end tag looks for its start: Mastodon's HTML is
shallow, and a bounded look keeps hostile markup linear."""
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_BLANK_LINES = re.compile(r"\n{3,}")
_TAG = re.compile(r"<[^>]*>")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_MEDIA_KINDS = {
    "image": AttachmentKind.IMAGE,
    "gifv": AttachmentKind.VIDEO,
    "video": AttachmentKind.VIDEO,
    "audio": AttachmentKind.AUDIO,
}
"""Mastodon's media types; anything else (`unknown`) is a file."""


@dataclass
class _Element:
    tag: str
    invisible: bool
    quote_inline: bool


@dataclass
class _Link:
    href: str
    tagged: bool
    """Marked as a mention or hashtag (`mention`, `hashtag` class, `rel="tag"`)."""
    shown: list[str] = field(default_factory=list)
    whole: list[str] = field(default_factory=list)
    """The text with Mastodon's `invisible` spans, which make a shortened link whole."""


class _TextCollector(HTMLParser):
    """Collects the text of status HTML, paragraphs and line breaks kept, links resolved.

    `quote_inline=False` leaves out `quote-inline` elements: the "RE: link" Mastodon puts
    in a quoting status for clients that cannot show the quote.
    """

    def __init__(self, *, quote_inline: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._keep_quote_inline = quote_inline
        self._open: list[_Element] = []
        self._invisible = 0
        self._hidden = 0
        self._link: _Link | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        classes = frozenset((values.get("class") or "").split())
        if tag not in _VOID_TAGS:
            element = _Element(
                tag,
                invisible="invisible" in classes,
                quote_inline="quote-inline" in classes and not self._keep_quote_inline,
            )
            self._open.append(element)
            self._invisible += element.invisible
            self._hidden += element.quote_inline
        if self._hidden:
            return
        if tag == "a":
            self._end_link()
            rel = frozenset((values.get("rel") or "").split())
            self._link = _Link(
                href=(values.get("href") or "").strip(),
                tagged=bool({"mention", "hashtag"} & classes or "tag" in rel),
            )
        elif tag == "br":
            self._text("\n")
        elif tag in _BLOCK_TAGS:
            self._text("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_TAGS:
            return
        reach = self._open[-_END_TAG_REACH:]
        for depth, element in enumerate(reversed(reach), start=1):
            if element.tag == tag:
                for closed in self._open[-depth:]:
                    self._invisible -= closed.invisible
                    self._hidden -= closed.quote_inline
                del self._open[-depth:]
                break
        else:
            return
        if self._hidden:
            return
        if tag == "a":
            self._end_link()
        elif tag in _BLOCK_TAGS:
            self._text("\n\n")

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._link is None:
            self.parts.append(data)
            return
        self._link.whole.append(data)
        if not self._invisible:
            self._link.shown.append(data)

    def close(self) -> None:
        """Finish the text, a link left open included."""
        super().close()
        self._end_link()

    def _text(self, text: str) -> None:
        if self._link is None:
            self.parts.append(text)
        else:
            self._link.whole.append(text)
            self._link.shown.append(text)

    def _end_link(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            self.parts.append(
                link_text(link.href, "".join(link.shown), "".join(link.whole), link.tagged)
            )


def link_text(href: str, shown: str, whole: str, tagged: bool = False) -> str:
    """How a link reads in plain text: its full target wherever the text does not say it.

    A mention or hashtag reads as itself (`@user`, `#tag`). A link whose text is its target,
    or a shortened form of it (Mastodon's hidden spans, `bsky.app/profile/h4lc...`), reads
    as the target; any other text is kept with the target after it: `text (target)`.
    """
    shown = " ".join(shown.split())
    if not href or (tagged and shown.startswith(("@", "#"))):
        return shown
    if not shown or _same_link(whole.strip(), href) or _shortened(shown, href):
        return href
    return f"{shown} ({href})"


def _same_link(text: str, href: str) -> bool:
    return unquote(text) == unquote(href)


def _shortened(text: str, href: str) -> bool:
    """Whether `text` is the start of `href`, perhaps without its scheme and `www.`."""
    stem = text.removesuffix("\u2026").removesuffix("...").strip()
    return bool(stem) and _bare(href).startswith(_bare(stem))


def _bare(url: str) -> str:
    return _SCHEME.sub("", unquote(url)).removeprefix("www.").casefold()


def html_to_text(html: str, *, quote_inline: bool = True) -> str:
    """Plain text of Mastodon's status HTML: line breaks kept, every link's target shown.

    A link reads as `link_text` says. `quote_inline=False` leaves out the "RE: link"
    fallback of a status whose quote is shown as an attachment.
    """
    try:
        text = _collected(html, quote_inline=quote_inline)
    except AssertionError:
        # html.parser gives up on some declarations (`<![foo[`): read them as text.
        try:
            text = _collected(html.replace("<!", "&lt;!"), quote_inline=quote_inline)
        except AssertionError:
            text = unescape(_TAG.sub("", html))
    text = _TRAILING_SPACE.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def _collected(html: str, *, quote_inline: bool) -> str:
    collector = _TextCollector(quote_inline=quote_inline)
    collector.feed(html)
    collector.close()
    return "".join(collector.parts)


def local_username(handle: str) -> str:
    """The account's username from a handle written `brand`, `@brand` or `@brand@host`."""
    return handle.lstrip("@").split("@", 1)[0].lower()


def is_own(account: Account, handle: str) -> bool:
    """Whether `account` is the brand: own statuses are local, so `acct` has no domain."""
    return account.acct.lower() == local_username(handle)


def contact(account: Account) -> FetchedContact:
    """The person behind a Mastodon account."""
    return FetchedContact(
        external_id=account.id, handle=f"@{account.acct}", display_name=account.display_name or None
    )


def status_text(status: Status) -> str:
    """The text of a status; its content warning is an attachment (`status_attachments`)."""
    return html_to_text(status.content, quote_inline=quoted(status.quote) is None)


def status_attachments(status: Status) -> tuple[Attachment, ...]:
    """What a status carries besides its text, as the web shows it: the content warning
    first, then media, the poll, the quoted status and the link card."""
    found: list[Attachment] = []
    if status.spoiler_text.strip():
        found.append(Attachment(kind=AttachmentKind.WARNING, description=status.spoiler_text))
    found.extend(media_attachment(media) for media in status.media)
    if status.poll is not None:
        found.append(poll_attachment(status.poll))
    quote = quoted(status.quote)
    if quote is not None:
        found.append(quote_attachment(quote))
    if status.card is not None:
        found.append(
            Attachment(
                kind=AttachmentKind.LINK,
                url=status.card.url,
                title=status.card.title or None,
                description=status.card.description or None,
            )
        )
    return tuple(found)


def media_attachment(media: MediaAttachment) -> Attachment:
    """A media attachment, its alt text as the description."""
    return Attachment(
        kind=_MEDIA_KINDS.get(media.type, AttachmentKind.FILE),
        url=media.url,
        description=media.description,
    )


def poll_attachment(poll: Poll) -> Attachment:
    """A poll: its options, and the votes so far where the instance shows them."""
    options = tuple(option.title for option in poll.options)
    counts = [option.votes_count for option in poll.options]
    results = None
    if poll.options and all(count is not None for count in counts):
        tally = ", ".join(f"{title}: {count}" for title, count in zip(options, counts, strict=True))
        total = [f"{poll.votes_count} votes"] if poll.votes_count is not None else []
        notes = ", ".join([*total, *(["closed"] if poll.expired else [])])
        results = f"{tally} ({notes})" if notes else tally
    return Attachment(kind=AttachmentKind.POLL, options=options, description=results)


def quoted(quote: Quote | None) -> Status | None:
    """The quoted status when the instance lets it be shown (the quote was accepted)."""
    if quote is None or quote.state != "accepted":
        return None
    return quote.quoted_status


def quote_attachment(quote: Status) -> Attachment:
    """A quoted status: its author, its text (or its media when it has none) and address."""
    text = html_to_text(quote.content)
    if quote.spoiler_text.strip():
        text = f"CW: {quote.spoiler_text}\n\n{text}".strip()
    media = " ".join(media_attachment(item).summary() for item in quote.media)
    return Attachment(
        kind=AttachmentKind.QUOTE,
        url=quote.url,
        description=text or media or None,
        author=f"@{quote.account.acct}",
    )


def status_thread_key(root_id: str) -> str:
    """The thread key of a public conversation: its root status."""
    return f"status:{root_id}"


def status_thread_root(thread_key: str) -> str | None:
    """The root status of a public conversation's thread key; None for any other key."""
    prefix, _, root_id = thread_key.partition(":")
    return root_id if prefix == "status" and root_id else None


def conversation_thread_key(conversation_id: str) -> str:
    """The thread key of a direct-message conversation."""
    return f"conversation:{conversation_id}"


def status_item(status: Status, *, kind: Kind, thread_key: str, own_handle: str) -> FetchedItem:
    """One status as an inbox item; the brand's own statuses are outbound."""
    return FetchedItem(
        external_id=status.id,
        thread_key=thread_key,
        kind=kind,
        direction=Direction.OUT if is_own(status.account, own_handle) else Direction.IN,
        author=contact(status.account),
        text=status_text(status),
        created_at=status.created_at,
        parent_external_id=status.in_reply_to_id,
        url=status.url,
        raw=status.raw,
        attachments=status_attachments(status),
    )


def id_order(status_id: str) -> tuple[int, str]:
    """Sort key for Mastodon ids: opaque strings, ordered by length, then lexically."""
    return (len(status_id), status_id)
