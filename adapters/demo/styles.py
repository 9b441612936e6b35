"""How each demo platform looks: its streams, text limits, ids, handles, URLs and threading."""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Final

from adapters.base import FetchedContact, Kind, LengthRule
from adapters.demo import brand_replies, content, customer_texts, people
from adapters.demo.draws import splitmix64

_TID_ALPHABET: Final = "234567abcdefghijklmnopqrstuvwxyz"
_TWITTER_EPOCH_MS: Final = 1288834974657


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """One readable stream of a demo platform: its share of the traffic and its thread kinds."""

    name: str
    share: float
    kinds: tuple[tuple[Kind, int], ...]


_TID_PAIRS: Final = tuple(first + second for first in _TID_ALPHABET for second in _TID_ALPHABET)


def _tid(value: int) -> str:
    """An atproto record key (TID): 13 base32-sortable characters of a 63-bit number."""
    value &= (1 << 63) - 1
    pairs = _TID_PAIRS
    return (
        _TID_ALPHABET[value >> 60]
        + pairs[(value >> 50) & 1023]
        + pairs[(value >> 40) & 1023]
        + pairs[(value >> 30) & 1023]
        + pairs[(value >> 20) & 1023]
        + pairs[(value >> 10) & 1023]
        + pairs[value & 1023]
    )


def _x_weighted_length(text: str) -> int:
    """Length as X counts it (twitter-text v3), URLs over-counted so it is an upper bound."""
    weight = 0
    for character in text:
        code = ord(character)
        if (
            code <= 0x10FF
            or 0x2000 <= code <= 0x200D
            or 0x2010 <= code <= 0x201F
            or 0x2032 <= code <= 0x2037
        ):
            weight += 1
        else:
            weight += 2
    return weight + 23 * text.count("://")


def fits(text: str, rule: LengthRule, limit: int | None) -> bool:
    """Whether `text` is certainly within `limit` as `rule` counts it.

    Graphemes are counted as code points, which is never fewer.
    """
    if limit is None or rule is LengthRule.NONE:
        return True
    if rule is LengthRule.X_WEIGHTED:
        return len(text) * 2 + 23 * text.count("://") <= limit or _x_weighted_length(text) <= limit
    return len(text) <= limit


def truncate(text: str, style: Style) -> str:
    """`text` cut with an ellipsis to fit the style's limit."""
    limit, rule = style.text_limit, style.length_rule
    if limit is None or fits(text, rule, limit):
        return text
    keep = limit - 1
    if rule is LengthRule.X_WEIGHTED:
        keep = (limit - 1 - 23 * text.count("://")) // 2
    return text[: max(keep, 0)].rstrip() + "…"


@dataclass(slots=True)
class Person:
    language: str
    first: str
    last: str
    first_ascii: str
    last_ascii: str

    @property
    def display_name(self) -> str:
        return f"{self.last} {self.first}" if self.language == "ja" else f"{self.first} {self.last}"


class Style(abc.ABC):
    """How one demo platform looks: its streams, limits, ids, handles and threading."""

    name: ClassVar[str]
    streams: ClassVar[tuple[StreamSpec, ...]]
    text_limit: ClassVar[int | None]
    length_rule: ClassVar[LengthRule] = LengthRule.CHARACTERS
    long_post_share: ClassVar[float] = 0.2
    paragraph_separator: ClassVar[str] = " "
    dm_thread_per_contact: ClassVar[bool] = False
    """True where a DM thread is the pair of people (X, Bluesky, Messenger), not a first message."""

    def sure_fit_length(self) -> float:
        """A length in code points up to which any text without a URL fits the limit."""
        if self.text_limit is None or self.length_rule is LengthRule.NONE:
            return math.inf
        if self.length_rule is LengthRule.X_WEIGHTED:
            return self.text_limit // 2
        return self.text_limit

    def handle_name(self, person: Person, k: int, shape: int) -> str:
        """The account name part of a handle; it always ends in `k`, so handles are unique."""
        first, last = person.first_ascii, person.last_ascii
        if shape == 0:
            return f"{first}{last}{k}"
        if shape == 1:
            return f"{first}_{last}{k}"
        if shape == 2:
            return f"{first}{k}"
        return f"{first[:1]}{last}{k}"

    @abc.abstractmethod
    def contact(self, k: int, person: Person, shape: int) -> FetchedContact:
        """Contact `k` of the pool, as this platform names people."""

    @abc.abstractmethod
    def message_id(
        self, kind: Kind, stream_number: int, index: int, t_ms: int, author: FetchedContact
    ) -> str:
        """The platform id of an inbound message."""

    def post_id(self, post_number: int, brand_key: int) -> str:
        """The id of the brand's `post_number`-th post, which comments hang under."""
        return str(post_number)

    @abc.abstractmethod
    def sent_id(self, kind: Kind, digest: int, brand_key: int) -> str:
        """The platform id of a message the brand sent, from a digest of its idempotency key."""

    def url(self, kind: Kind, external_id: str, author: FetchedContact) -> str | None:
        """Where a public message would be seen; demo URLs live under `.example`."""
        if kind is Kind.DM:
            return None
        return f"https://{self.name}.demo.example/{author.handle.lstrip('@')}/{external_id}"

    def mention(self, brand_handle: str) -> str:
        """How a post names the brand account to notify it."""
        return "@" + brand_handle.lstrip("@")

    def reply_prefix(self, author: FetchedContact) -> str:
        """What a reply must start with to reach its author."""
        return ""

    def wrap(self, body: str, language: str, person: Person, is_root: bool) -> str:
        """The whole inbound text around its body (greeting and sign-off for email)."""
        return body

    def wrap_reply(self, body: str, language: str, agent_name: str | None) -> str:
        """The whole brand reply around its body."""
        if agent_name:
            return f"{body} ^{agent_name[:1].upper()}"
        return body


_MENTION_ONLY: Final = ((Kind.MENTION, 1),)
_COMMENT_ONLY: Final = ((Kind.COMMENT, 1),)
_DM_ONLY: Final = ((Kind.DM, 1),)
_REPLIES_AND_MENTIONS: Final = ((Kind.COMMENT, 6), (Kind.MENTION, 4))


class _Mastodon(Style):
    name = "mastodon"
    streams = (StreamSpec("mentions", 0.65, _MENTION_ONLY), StreamSpec("dms", 0.35, _DM_ONLY))
    text_limit = 500

    def contact(self, k: int, person: Person, shape: int) -> FetchedContact:
        instances = people.MASTODON_INSTANCES[person.language]
        instance = instances[k % len(instances)]
        name = self.handle_name(person, k, shape)
        return FetchedContact(
            str(109_330_000_000_000_000 + k), f"@{name}@{instance}", person.display_name
        )

    def message_id(
        self, kind: Kind, stream_number: int, index: int, t_ms: int, author: FetchedContact
    ) -> str:
        return str((t_ms << 16) | (stream_number << 14) | (index & 0x3FFF))

    def sent_id(self, kind: Kind, digest: int, brand_key: int) -> str:
        return str(900_000_000_000_000_000 + digest % 10**17)

    def reply_prefix(self, author: FetchedContact) -> str:
        return author.handle + " "

    def wrap_reply(self, body: str, language: str, agent_name: str | None) -> str:
        return f"{body} – {agent_name}" if agent_name else body


class _Bluesky(Style):
    name = "bluesky"
    streams = (
        StreamSpec("notifications", 0.7, _REPLIES_AND_MENTIONS),
        StreamSpec("dms", 0.3, _DM_ONLY),
    )
    text_limit = 300
    length_rule = LengthRule.GRAPHEMES
    long_post_share = 0.15
    dm_thread_per_contact = True

    def contact(self, k: int, person: Person, shape: int) -> FetchedContact:
        name = self.handle_name(person, k, shape).replace("_", "-")
        did = "did:plc:" + _tid(splitmix64(k)) + _tid(splitmix64(k + 1))[:11]
        return FetchedContact(did, f"{name}.bsky.social", person.display_name)

    def message_id(
        self, kind: Kind, stream_number: int, index: int, t_ms: int, author: FetchedContact
    ) -> str:
        tid = _tid(((t_ms * 1000 + index % 1000) << 10) | stream_number)
        if kind is Kind.DM:
            return tid
        return f"at://{author.external_id}/app.bsky.feed.post/{tid}"

    def post_id(self, post_number: int, brand_key: int) -> str:
        return f"at://{self._brand_did(brand_key)}/app.bsky.feed.post/{_tid(post_number << 10)}"

    def sent_id(self, kind: Kind, digest: int, brand_key: int) -> str:
        if kind is Kind.DM:
            return _tid(digest | 1)
        return f"at://{self._brand_did(brand_key)}/app.bsky.feed.post/{_tid(digest | 1)}"

    def url(self, kind: Kind, external_id: str, author: FetchedContact) -> str | None:
        if kind is Kind.DM:
            return None
        record_key = external_id.rpartition("/")[2]
        return f"https://bluesky.demo.example/profile/{author.handle}/post/{record_key}"

    @staticmethod
    def _brand_did(brand_key: int) -> str:
        return f"did:plc:brand{brand_key % 10**12:012d}"


class _X(Style):
    name = "x"
    streams = (
        StreamSpec("mentions", 0.75, _REPLIES_AND_MENTIONS),
        StreamSpec("dms", 0.25, _DM_ONLY),
    )
    text_limit = 280
    length_rule = LengthRule.X_WEIGHTED
    long_post_share = 0.1
    dm_thread_per_contact = True

    def handle_name(self, person: Person, k: int, shape: int) -> str:
        suffix = str(k)
        return (person.first_ascii + person.last_ascii)[: 15 - len(suffix)] + suffix

    def contact(self, k: int, person: Person, shape: int) -> FetchedContact:
        return FetchedContact(
            str(1_400_000_000 + k), "@" + self.handle_name(person, k, shape), person.display_name
        )

    def message_id(
        self, kind: Kind, stream_number: int, index: int, t_ms: int, author: FetchedContact
    ) -> str:
        return str(
            (max(t_ms - _TWITTER_EPOCH_MS, 0) << 22) | (stream_number << 20) | (index & 0xFFFFF)
        )

    def post_id(self, post_number: int, brand_key: int) -> str:
        return str((1 << 62) - (1 << 32) + post_number)

    def sent_id(self, kind: Kind, digest: int, brand_key: int) -> str:
        return str((1 << 62) | (digest & ((1 << 62) - 1)))

    def url(self, kind: Kind, external_id: str, author: FetchedContact) -> str | None:
        if kind is Kind.DM:
            return None
        return f"https://x.demo.example/{author.handle.lstrip('@')}/status/{external_id}"


class _Reddit(Style):
    name = "reddit"
    streams = (
        StreamSpec("comments", 0.55, _COMMENT_ONLY),
        StreamSpec("mentions", 0.2, _MENTION_ONLY),
        StreamSpec("messages", 0.25, _DM_ONLY),
    )
    text_limit = 10_000
    long_post_share = 0.5
    paragraph_separator = "\n\n"

    def handle_name(self, person: Person, k: int, shape: int) -> str:
        name = super().handle_name(person, k, shape)
        return name.capitalize() if shape == 1 else name

    def contact(self, k: int, person: Person, shape: int) -> FetchedContact:
        return FetchedContact(
            f"t2_{(1 << 24) + k:x}", "u/" + self.handle_name(person, k, shape), None
        )

    def message_id(
        self, kind: Kind, stream_number: int, index: int, t_ms: int, author: FetchedContact
    ) -> str:
        if kind is Kind.DM:
            return f"t4_{(1 << 28) + index:x}"
        return f"t1_{((stream_number + 1) << 28) + index:x}"

    def post_id(self, post_number: int, brand_key: int) -> str:
        return f"t3_{(1 << 24) + post_number:x}"

    def sent_id(self, kind: Kind, digest: int, brand_key: int) -> str:
        prefix = "t4_" if kind is Kind.DM else "t1_"
        return f"{prefix}{(1 << 40) | (digest & ((1 << 40) - 1)):x}"

    def url(self, kind: Kind, external_id: str, author: FetchedContact) -> str | None:
        if kind is Kind.DM:
            return None
        return f"https://reddit.demo.example/comments/{external_id.removeprefix('t1_')}/"

    def mention(self, brand_handle: str) -> str:
        return "u/" + brand_handle.removeprefix("u/").lstrip("@")


class _Facebook(Style):
    name = "facebook"
    streams = (StreamSpec("comments", 0.65, _COMMENT_ONLY), StreamSpec("dms", 0.35, _DM_ONLY))
    text_limit = 8000
    long_post_share = 0.3
    dm_thread_per_contact = True

    def handle_name(self, person: Person, k: int, shape: int) -> str:
        return f"{person.first_ascii}.{person.last_ascii}.{k}"

    def contact(self, k: int, person: Person, shape: int) -> FetchedContact:
        return FetchedContact(
            str(6_100_000_000_000_000 + k), self.handle_name(person, k, shape), person.display_name
        )

    def message_id(
        self, kind: Kind, stream_number: int, index: int, t_ms: int, author: FetchedContact
    ) -> str:
        if kind is Kind.DM:
            return f"m_{t_ms:x}{index:08x}"
        return f"{1_000_000_000_000_000 + index}"

    def post_id(self, post_number: int, brand_key: int) -> str:
        return f"{100_000_000_000 + brand_key % 10**11}_{200_000_000_000 + post_number}"

    def sent_id(self, kind: Kind, digest: int, brand_key: int) -> str:
        if kind is Kind.DM:
            return f"m_{digest:016x}"
        return str(9_000_000_000_000_000 + digest % 10**15)

    def mention(self, brand_handle: str) -> str:
        return content.BRAND_NAME


class _Instagram(Style):
    name = "instagram"
    streams = (
        StreamSpec("comments", 0.65, ((Kind.COMMENT, 8), (Kind.MENTION, 2))),
        StreamSpec("dms", 0.35, _DM_ONLY),
    )
    text_limit = 1000
    long_post_share = 0.15
    dm_thread_per_contact = True

    def handle_name(self, person: Person, k: int, shape: int) -> str:
        return super().handle_name(person, k, shape).lower()

    def contact(self, k: int, person: Person, shape: int) -> FetchedContact:
        return FetchedContact(
            str(17_841_400_000_000_000 + k),
            "@" + self.handle_name(person, k, shape),
            person.display_name,
        )

    def message_id(
        self, kind: Kind, stream_number: int, index: int, t_ms: int, author: FetchedContact
    ) -> str:
        if kind is Kind.DM:
            return f"aWdfZAG1_{t_ms:x}{index:08x}"
        return str(17_900_000_000_000_000 + (stream_number << 40) + index)

    def post_id(self, post_number: int, brand_key: int) -> str:
        return str(18_000_000_000_000_000 + post_number)

    def sent_id(self, kind: Kind, digest: int, brand_key: int) -> str:
        if kind is Kind.DM:
            return f"aWdfZAG1_{digest:016x}"
        return str(17_990_000_000_000_000 + digest % 10**15)

    def url(self, kind: Kind, external_id: str, author: FetchedContact) -> str | None:
        if kind is Kind.DM:
            return None
        return f"https://instagram.demo.example/p/{external_id}/"


class _YouTube(Style):
    name = "youtube"
    streams = (StreamSpec("comments", 1.0, _COMMENT_ONLY),)
    text_limit = 10_000
    long_post_share = 0.3

    def handle_name(self, person: Person, k: int, shape: int) -> str:
        return f"{person.first_ascii.capitalize()}{person.last_ascii.capitalize()}{k}"

    def contact(self, k: int, person: Person, shape: int) -> FetchedContact:
        channel = "UC" + _tid(splitmix64(k)) + _tid(splitmix64(k + 1))[:9]
        return FetchedContact(
            channel, "@" + self.handle_name(person, k, shape), person.display_name
        )

    def message_id(
        self, kind: Kind, stream_number: int, index: int, t_ms: int, author: FetchedContact
    ) -> str:
        return f"Ugz{_tid((t_ms << 8) | (index & 0xFF))}{index:07x}AaABAg"

    def post_id(self, post_number: int, brand_key: int) -> str:
        return "v" + _tid((brand_key << 20) | post_number)[3:]

    def sent_id(self, kind: Kind, digest: int, brand_key: int) -> str:
        return f"Ugw{_tid(digest)}{digest % 0xFFFFFFF:07x}AaABAg"

    def url(self, kind: Kind, external_id: str, author: FetchedContact) -> str | None:
        return f"https://youtube.demo.example/watch?lc={external_id}"


class _LinkedIn(Style):
    name = "linkedin"
    streams = (
        StreamSpec("comments", 0.75, _COMMENT_ONLY),
        StreamSpec("mentions", 0.25, _MENTION_ONLY),
    )
    text_limit = 1250
    long_post_share = 0.35
    paragraph_separator = "\n\n"

    def contact(self, k: int, person: Person, shape: int) -> FetchedContact:
        urn = "urn:li:person:" + _tid(splitmix64(k))[:10]
        return FetchedContact(urn, urn, person.display_name)

    def message_id(
        self, kind: Kind, stream_number: int, index: int, t_ms: int, author: FetchedContact
    ) -> str:
        number = (t_ms << 12) | (index & 0xFFF)
        if kind is Kind.MENTION:
            return f"urn:li:share:{number}"
        return f"urn:li:comment:(urn:li:activity:{t_ms << 12},{number})"

    def post_id(self, post_number: int, brand_key: int) -> str:
        return f"urn:li:share:{7_300_000_000_000_000_000 + post_number}"

    def sent_id(self, kind: Kind, digest: int, brand_key: int) -> str:
        return f"urn:li:comment:(urn:li:activity:{brand_key % 10**12},{digest % 10**19})"

    def url(self, kind: Kind, external_id: str, author: FetchedContact) -> str | None:
        return f"https://linkedin.demo.example/feed/update/{external_id}/"

    def mention(self, brand_handle: str) -> str:
        return "@" + content.BRAND_NAME


class _Email(Style):
    name = "email"
    streams = (StreamSpec("inbox", 1.0, _DM_ONLY),)
    text_limit = None
    length_rule = LengthRule.NONE
    long_post_share = 0.6
    paragraph_separator = "\n\n"

    def contact(self, k: int, person: Person, shape: int) -> FetchedContact:
        domain = people.EMAIL_DOMAINS[k % len(people.EMAIL_DOMAINS)]
        address = f"{person.first_ascii}.{person.last_ascii}{k}@{domain}"
        return FetchedContact(address, address, person.display_name)

    def message_id(
        self, kind: Kind, stream_number: int, index: int, t_ms: int, author: FetchedContact
    ) -> str:
        domain = author.external_id.rpartition("@")[2]
        return f"<{t_ms:x}.{index:x}@{domain}>"

    def sent_id(self, kind: Kind, digest: int, brand_key: int) -> str:
        return f"<{digest:016x}@nimbus.example>"

    def url(self, kind: Kind, external_id: str, author: FetchedContact) -> str | None:
        return None

    def wrap(self, body: str, language: str, person: Person, is_root: bool) -> str:
        signoff = customer_texts.EMAIL_SIGNOFFS[language]
        if not is_root:
            return f"{body}\n\n{person.first}"
        return f"{customer_texts.EMAIL_GREETINGS[language]}\n\n{body}\n\n{signoff}\n{person.first}"

    def wrap_reply(self, body: str, language: str, agent_name: str | None) -> str:
        signature = agent_name or "Nimbus Support"
        return f"{body}\n\n{brand_replies.EMAIL_REPLY_SIGNOFFS[language]}\n{signature}"


STYLES: Final[Mapping[str, Style]] = {
    style.name: style
    for style in (
        _Mastodon(),
        _Bluesky(),
        _X(),
        _Reddit(),
        _Facebook(),
        _Instagram(),
        _YouTube(),
        _LinkedIn(),
        _Email(),
    )
}
"""Every demo platform style by name: mastodon, bluesky, x, reddit, facebook, instagram,
youtube, linkedin, email."""
