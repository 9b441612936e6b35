"""A deterministic generator of social traffic for the demo platforms; no I/O, no clock.

Item `n` of a stream is a pure function of (seed, style, stream, n) and the crisis
windows: its values come from a BLAKE2b digest of those four, never from Python's
salted `hash()`, so two runs (or two processes) with the same settings produce the same
ids, texts, authors and timestamps.

Timing: each stream has an expected volume curve (items per hour, shaped by hour of day,
day of week and a seeded wobble, and multiplied by `CRISIS_VOLUME_FACTOR` inside a crisis
window). Item `n` sits where the cumulative volume since `epoch` reaches `n + u_n`, with
`u_n` in [0, 1) drawn for that index; so items are ordered, busy hours are busy, and any
item's time is computed on its own without walking the ones before it.

Threads: a share of items are follow-ups by the same customer to an earlier, recent root
item of the same stream; roots open DM conversations (per customer on X, Bluesky and
Messenger, per first message elsewhere), top-level comments under a brand post, or
mentions.
"""

from __future__ import annotations

import abc
import bisect
import hashlib
import heapq
import math
import random
import struct
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Final, Generic, TypeVar

from adapters.base import Direction, FetchedContact, FetchedItem, Kind, LengthRule
from adapters.demo import content

CRISIS_VOLUME_FACTOR: Final = 10.0
DEFAULT_CRISIS_HOURS: Final = 6.0
DEFAULT_RATE_PER_HOUR: Final = 20.0
CONTACT_POOL_SIZE: Final = 20_000
REPEAT_CUSTOMER_SHARE: Final = 0.25
"""Share of new conversations opened by a contact drawn from a Zipf-like (log-uniform) law."""
FOLLOWUP_SHARE: Final = 0.22
MAX_FOLLOWUP_DISTANCE: Final = 40
HOSTILE_SHARE: Final = 0.002
BRAND_POST_HOURS: Final = 8.0

_UNIX_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_WEEK_ANCHOR_S: Final = 4 * 86400.0
_HOURS_PER_WEEK: Final = 168
_MASK64: Final = (1 << 64) - 1
_TID_ALPHABET: Final = "234567abcdefghijklmnopqrstuvwxyz"
_TWITTER_EPOCH_MS: Final = 1288834974657

_HOUR_OF_DAY_WEIGHTS: Final = (
    0.35, 0.3, 0.25, 0.25, 0.3, 0.4, 0.6, 0.9, 1.1, 1.2, 1.25, 1.3,
    1.35, 1.4, 1.45, 1.5, 1.55, 1.6, 1.6, 1.5, 1.3, 1.0, 0.7, 0.5,
)  # fmt: skip
_DAY_OF_WEEK_WEIGHTS: Final = (1.1, 1.05, 1.0, 1.0, 0.95, 0.8, 0.75)

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Crisis:
    """An outage: traffic is `CRISIS_VOLUME_FACTOR` times heavier and mostly angry from `start`."""

    start: datetime
    hours: float | None = DEFAULT_CRISIS_HOURS
    """How long the surge lasts; None keeps it going."""

    @property
    def end(self) -> datetime | None:
        """When traffic calms down again, or None for an open-ended crisis."""
        return None if self.hours is None else self.start + timedelta(hours=self.hours)


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """One readable stream of a demo platform: its share of the traffic and its thread kinds."""

    name: str
    share: float
    kinds: tuple[tuple[Kind, int], ...]


class _Weighted(Generic[_T]):
    """A weighted choice table drawn from with one integer."""

    __slots__ = ("cumulative", "total", "values")

    def __init__(self, pairs: Sequence[tuple[_T, int]]) -> None:
        self.values = tuple(value for value, _ in pairs)
        running = 0
        cumulative = []
        for _, weight in pairs:
            running += weight
            cumulative.append(running)
        self.cumulative = tuple(cumulative)
        self.total = running

    def draw(self, slot: int) -> _T:
        return self.values[bisect.bisect_right(self.cumulative, (slot * self.total) >> _SLOT_BITS)]


_SLOT_BITS: Final = 16
_SLOT_RANGE: Final = 1 << _SLOT_BITS
_JITTER_RANGE: Final = float(1 << 32)
(
    _JITTER,
    _FOLLOWUP,
    _DISTANCE,
    _REPEAT,
    _CONTACT,
    _KIND,
    _RECENCY,
    _CATEGORY,
    _TEMPLATE,
    _EMOJI_CHANCE,
    _EMOJI,
    _EMOJI_TRIPLE,
    _PRODUCT,
    _FEATURE,
    _DURATION,
    _LONG,
    _DETAIL_COUNT,
    _DETAIL_1,
    _DETAIL_2,
    _DETAIL_3,
    _HOSTILE,
    _HOSTILE_PICK,
) = range(22)
_SLOT_LAYOUT: Final = struct.Struct("<I30H")
"""A 64-byte digest read as one 32-bit jitter and thirty 16-bit draws."""


def _slots(key: bytes) -> tuple[int, ...]:
    """An item's random draws, one per decision, cut from a BLAKE2b digest of its key.

    Every decision reads its own slot whether or not an earlier branch needed it, so a
    root item reads the same when a later follow-up looks it up.
    """
    return _SLOT_LAYOUT.unpack(hashlib.blake2b(key).digest())


def _pick(options: Sequence[_T], slot: int) -> _T:
    return options[(slot * len(options)) >> _SLOT_BITS]


def _chance(share: float) -> int:
    """The slot values below which an event of probability `share` happens."""
    return int(share * _SLOT_RANGE)


def _splitmix64(value: int) -> int:
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def _stable_int(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


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


def _ascii_name(name: str) -> str:
    romaji = content.ROMAJI.get(name)
    if romaji is not None:
        return romaji
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return folded.lower()


_ASCII_NAMES: Final = {
    name: _ascii_name(name)
    for pool in (content.FIRST_NAMES, content.LAST_NAMES)
    for names in pool.values()
    for name in names
}


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


def _truncate(text: str, style: Style) -> str:
    """`text` cut with an ellipsis to fit the style's limit."""
    limit, rule = style.text_limit, style.length_rule
    if limit is None or fits(text, rule, limit):
        return text
    keep = limit - 1
    if rule is LengthRule.X_WEIGHTED:
        keep = (limit - 1 - 23 * text.count("://")) // 2
    return text[: max(keep, 0)].rstrip() + "…"


@dataclass(slots=True)
class _Person:
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

    def handle_name(self, person: _Person, k: int, shape: int) -> str:
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
    def contact(self, k: int, person: _Person, shape: int) -> FetchedContact:
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

    def wrap(self, body: str, language: str, person: _Person, is_root: bool) -> str:
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

    def contact(self, k: int, person: _Person, shape: int) -> FetchedContact:
        instances = content.MASTODON_INSTANCES[person.language]
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

    def contact(self, k: int, person: _Person, shape: int) -> FetchedContact:
        name = self.handle_name(person, k, shape).replace("_", "-")
        did = "did:plc:" + _tid(_splitmix64(k)) + _tid(_splitmix64(k + 1))[:11]
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

    def handle_name(self, person: _Person, k: int, shape: int) -> str:
        suffix = str(k)
        return (person.first_ascii + person.last_ascii)[: 15 - len(suffix)] + suffix

    def contact(self, k: int, person: _Person, shape: int) -> FetchedContact:
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

    def handle_name(self, person: _Person, k: int, shape: int) -> str:
        name = super().handle_name(person, k, shape)
        return name.capitalize() if shape == 1 else name

    def contact(self, k: int, person: _Person, shape: int) -> FetchedContact:
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

    def handle_name(self, person: _Person, k: int, shape: int) -> str:
        return f"{person.first_ascii}.{person.last_ascii}.{k}"

    def contact(self, k: int, person: _Person, shape: int) -> FetchedContact:
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


class _Email(Style):
    name = "email"
    streams = (StreamSpec("inbox", 1.0, _DM_ONLY),)
    text_limit = None
    length_rule = LengthRule.NONE
    long_post_share = 0.6
    paragraph_separator = "\n\n"

    def contact(self, k: int, person: _Person, shape: int) -> FetchedContact:
        domain = content.EMAIL_DOMAINS[k % len(content.EMAIL_DOMAINS)]
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

    def wrap(self, body: str, language: str, person: _Person, is_root: bool) -> str:
        signoff = content.EMAIL_SIGNOFFS[language]
        if not is_root:
            return f"{body}\n\n{person.first}"
        return f"{content.EMAIL_GREETINGS[language]}\n\n{body}\n\n{signoff}\n{person.first}"

    def wrap_reply(self, body: str, language: str, agent_name: str | None) -> str:
        signature = agent_name or "Nimbus Support"
        return f"{body}\n\n{content.EMAIL_REPLY_SIGNOFFS[language]}\n{signature}"


STYLES: Final[Mapping[str, Style]] = {
    style.name: style for style in (_Mastodon(), _Bluesky(), _X(), _Reddit(), _Facebook(), _Email())
}
"""Every demo platform style by name: mastodon, bluesky, x, reddit, facebook, email."""


class _Timeline:
    """Where the positions of one stream's items fall in time (seconds since the Unix epoch)."""

    __slots__ = ("_cumulative", "_hourly_rate", "_origin", "_weights", "_windows")

    def __init__(
        self,
        hourly_rate: float,
        weights: Sequence[float],
        crisis_seconds: Sequence[tuple[float, float]],
        epoch_seconds: float,
    ) -> None:
        self._hourly_rate = hourly_rate
        self._weights = tuple(weights)
        running = 0.0
        cumulative = [0.0]
        for weight in self._weights:
            running += weight
            cumulative.append(running)
        self._cumulative = tuple(cumulative)
        self._windows = tuple(
            (self._base(start), math.inf if math.isinf(end) else self._base(end))
            for start, end in crisis_seconds
        )
        self._origin = 0.0
        self._origin = self.position(epoch_seconds)

    def _base(self, seconds: float) -> float:
        hours = (seconds - _WEEK_ANCHOR_S) / 3600.0
        week = math.floor(hours / _HOURS_PER_WEEK)
        within = hours - week * _HOURS_PER_WEEK
        hour = min(int(within), _HOURS_PER_WEEK - 1)
        volume = (
            week * _HOURS_PER_WEEK + self._cumulative[hour] + self._weights[hour] * (within - hour)
        )
        return volume * self._hourly_rate

    def _base_inverse(self, volume: float) -> float:
        scaled = volume / self._hourly_rate
        week = scaled // _HOURS_PER_WEEK
        within = scaled - week * _HOURS_PER_WEEK
        hour = bisect.bisect_right(self._cumulative, within) - 1
        if hour >= _HOURS_PER_WEEK:
            hour = _HOURS_PER_WEEK - 1
        fraction = (within - self._cumulative[hour]) / self._weights[hour]
        return _WEEK_ANCHOR_S + (week * _HOURS_PER_WEEK + hour + fraction) * 3600.0

    def position(self, seconds: float) -> float:
        """Expected number of items between the epoch and `seconds`, crises included."""
        base = self._base(seconds)
        surge = 0.0
        for start, end in self._windows:
            if base <= start:
                break
            surge += min(base, end) - start
        return base + (CRISIS_VOLUME_FACTOR - 1.0) * surge - self._origin

    def seconds_at(self, position: float) -> float:
        """The moment the expected number of items since the epoch reaches `position`."""
        target = position + self._origin
        extra = 0.0
        for start, end in self._windows:
            surge_start = start + extra
            if target <= surge_start:
                break
            if math.isinf(end) or target < end + extra + (CRISIS_VOLUME_FACTOR - 1.0) * (
                end - start
            ):
                return self._base_inverse(start + (target - surge_start) / CRISIS_VOLUME_FACTOR)
            extra += (CRISIS_VOLUME_FACTOR - 1.0) * (end - start)
        return self._base_inverse(target - extra)


_Header = tuple[int, int, Kind, tuple[int, ...]]
"""What an item's first draws decide: when (Unix ms), who, what kind; and the draws themselves."""


@dataclass(frozen=True, slots=True)
class _Stream:
    spec: StreamSpec
    number: int
    key: bytes
    kinds: _Weighted[Kind]
    timeline: _Timeline
    recent_headers: dict[int, _Header]
    """Headers of recently generated items, so follow-ups find their roots without redrawing."""


_RECENT_HEADERS_KEPT: Final = 512
_LANGUAGES: Final = _Weighted(content.LANGUAGE_WEIGHTS)
_NORMAL_MIX: Final = _Weighted(content.NORMAL_MIX)
_CRISIS_MIX: Final = _Weighted(content.CRISIS_MIX)
_NORMAL_FOLLOWUPS: Final = _Weighted(content.NORMAL_FOLLOWUP_MIX)
_CRISIS_FOLLOWUPS: Final = _Weighted(content.CRISIS_FOLLOWUP_MIX)
_POST_RECENCY: Final = _Weighted(((0, 70), (1, 20), (2, 10)))
_FOLLOWUP_BELOW: Final = _chance(FOLLOWUP_SHARE)
_REPEAT_BELOW: Final = _chance(REPEAT_CUSTOMER_SHARE)
_HOSTILE_BELOW: Final = _chance(HOSTILE_SHARE)
_EMOJI_BELOW: Final = _chance(0.45)
_TRIPLE_EMOJI_BELOW: Final = _chance(0.25)
_DATETIME_FROM_TIMESTAMP: Final = datetime.fromtimestamp
_LANGUAGE_POOLS: Final = {
    language: (
        content.TEXTS[language],
        content.PRODUCTS[language],
        content.FEATURES[language],
        content.DURATIONS[language],
        content.DETAILS[language],
    )
    for language, _ in content.LANGUAGE_WEIGHTS
}


class Simulator:
    """The traffic of one demo account: every stream's items, computable one at a time.

    `epoch` is where every stream starts (item 0 comes just after it); `rate_per_hour` is
    the account's mean inbound volume over all its streams outside a crisis;
    `total_items` ends each stream after that many items.
    """

    def __init__(
        self,
        seed: int,
        style: str,
        account_handle: str,
        epoch: datetime,
        rate_per_hour: float = DEFAULT_RATE_PER_HOUR,
        crises: Sequence[Crisis] = (),
        total_items: int | None = None,
    ) -> None:
        if style not in STYLES:
            raise ValueError(f"unknown demo style {style!r} (known: {', '.join(STYLES)})")
        if epoch.tzinfo is None:
            raise ValueError("epoch must be timezone-aware")
        if not rate_per_hour > 0:
            raise ValueError(f"rate_per_hour must be positive, not {rate_per_hour!r}")
        if total_items is not None and total_items < 0:
            raise ValueError(f"total_items must not be negative, not {total_items!r}")
        self.seed = seed
        self.style = STYLES[style]
        self.account_handle = account_handle
        self.epoch = epoch.astimezone(UTC)
        self.rate_per_hour = rate_per_hour
        self.crises = tuple(sorted(crises, key=lambda crisis: crisis.start))
        self.total_items = total_items
        self._check_crises()
        self._crisis_ms = tuple(
            (self._to_ms(crisis.start), math.inf if crisis.end is None else self._to_ms(crisis.end))
            for crisis in self.crises
        )
        self._brand_key = _stable_int(f"brand:{account_handle}")
        self._person_key = _stable_int(f"people:{seed}:{style}")
        self._contacts: dict[int, FetchedContact] = {}
        self._people: dict[int, _Person] = {}
        self._post_ids: dict[int, str] = {}
        self.brand = FetchedContact(f"self:{account_handle}", account_handle, content.BRAND_NAME)
        """The brand account itself, the author of everything sent."""
        self._mention = self.style.mention(account_handle)
        self._sure_fit_length = self.style.sure_fit_length()
        crisis_seconds = [(ms / 1000.0, end / 1000.0) for ms, end in self._crisis_ms]
        epoch_seconds = (self.epoch - _UNIX_EPOCH).total_seconds()
        self._streams: dict[str, _Stream] = {}
        for number, spec in enumerate(self.style.streams):
            weights = self._week_weights(spec.name)
            timeline = _Timeline(rate_per_hour * spec.share, weights, crisis_seconds, epoch_seconds)
            key = f"{seed}:{style}:{spec.name}:".encode()
            self._streams[spec.name] = _Stream(
                spec, number, key, _Weighted(spec.kinds), timeline, {}
            )

    @property
    def streams(self) -> tuple[str, ...]:
        """The names of this style's streams."""
        return tuple(self._streams)

    def with_crisis(self, crisis: Crisis) -> Simulator:
        """The same traffic with one more crisis; items before its start do not change."""
        return Simulator(
            self.seed,
            self.style.name,
            self.account_handle,
            self.epoch,
            self.rate_per_hour,
            (*self.crises, crisis),
            self.total_items,
        )

    def in_crisis(self, moment: datetime) -> bool:
        """Whether `moment` falls inside one of the crisis windows."""
        return self._crisis_at_ms(self._to_ms(moment))

    def created_at(self, stream: str, index: int) -> datetime:
        """When item `index` of `stream` was posted."""
        state = self._stream(stream)
        return _DATETIME_FROM_TIMESTAMP(self._header(state, index)[0] / 1000, UTC)

    def first_index_after(self, stream: str, moment: datetime) -> int:
        """How many items of `stream` were posted at or before `moment`: the cursor after it."""
        state = self._stream(stream)
        moment_ms = (moment - _UNIX_EPOCH) // timedelta(milliseconds=1)
        position = state.timeline.position(moment_ms / 1000.0)
        guess = max(math.floor(position), 0)
        while guess > 0 and self._header(state, guess - 1)[0] > moment_ms:
            guess -= 1
        while self._header(state, guess)[0] <= moment_ms:
            guess += 1
            if self.total_items is not None and guess >= self.total_items:
                break
        return guess if self.total_items is None else min(guess, self.total_items)

    def item(self, stream: str, index: int) -> FetchedItem:
        """Item `index` of `stream`; the same for the same settings, every time."""
        state = self._stream(stream)
        if index < 0 or (self.total_items is not None and index >= self.total_items):
            raise IndexError(f"{stream} has no item {index}")
        return self._item(state, index)

    def items(self, stream: str, start: int, stop: int) -> list[FetchedItem]:
        """Items `start` up to (not including) `stop` of `stream`, cut at `total_items`."""
        state = self._stream(stream)
        if self.total_items is not None:
            stop = min(stop, self.total_items)
        return [self._item(state, index) for index in range(max(start, 0), stop)]

    def stream_items_between(
        self, stream: str, start: datetime, end: datetime
    ) -> Iterator[FetchedItem]:
        """The items of `stream` posted after `start` and at or before `end`, oldest first."""
        state = self._stream(stream)
        first = self.first_index_after(stream, start)
        stop = self.first_index_after(stream, end)
        for index in range(first, stop):
            yield self._item(state, index)

    def items_between(self, start: datetime, end: datetime) -> Iterator[FetchedItem]:
        """Every stream's items posted after `start` and at or before `end`, merged oldest first.

        Build history with `items_between(epoch, now)`, then resume each stream's sync
        at `first_index_after(stream, now)`.
        """
        per_stream = [self.stream_items_between(stream, start, end) for stream in self._streams]
        return heapq.merge(*per_stream, key=lambda item: item.created_at)

    def stream_of(self, item: FetchedItem) -> str:
        """Which stream an item generated here came from."""
        return str((item.raw or {}).get("stream", self.style.streams[0].name))

    def agent_reply_text(
        self, item: FetchedItem, rng: random.Random, agent_name: str | None = None
    ) -> str:
        """A plausible brand answer to `item`, in its language and within this platform's limit."""
        raw = item.raw or {}
        language = str(raw.get("language", "en"))
        category = str(raw.get("category", "question"))
        group = content.REPLY_GROUPS.get(category, category)
        replies = content.REPLIES.get(language, content.REPLIES["en"])
        templates = replies.get(group) or replies["question"]
        name = self._first_name(item.author)
        prefix = self.style.reply_prefix(item.author)
        style = self.style
        text = prefix + style.wrap_reply(
            rng.choice(templates).format(name=name), language, agent_name
        )
        if fits(text, style.length_rule, style.text_limit):
            return text
        for template in sorted(templates, key=len):
            text = prefix + style.wrap_reply(template.format(name=name), language, None)
            if fits(text, style.length_rule, style.text_limit):
                return text
        return _truncate(text, style)

    def sent_external_id(self, idempotency_key: str, kind: Kind) -> str:
        """The platform id a message sent with `idempotency_key` gets; the same key, the same id."""
        return self.style.sent_id(kind, _stable_int(f"sent:{idempotency_key}"), self._brand_key)

    def brand_reply(
        self,
        item: FetchedItem,
        text: str,
        created_at: datetime,
        idempotency_key: str | None = None,
    ) -> FetchedItem:
        """The brand's answer to `item`, an outbound item of its thread, for building history."""
        key = idempotency_key if idempotency_key is not None else f"reply:{item.external_id}"
        external_id = self.sent_external_id(key, item.kind)
        return FetchedItem(
            external_id=external_id,
            thread_key=item.thread_key,
            kind=item.kind,
            direction=Direction.OUT,
            author=self.brand,
            text=text,
            created_at=created_at,
            parent_external_id=item.external_id,
            url=self.style.url(item.kind, external_id, self.brand),
            raw={"category": "brand_reply", "stream": self.stream_of(item)},
        )

    def _check_crises(self) -> None:
        previous_end: datetime | None = self.epoch - timedelta(days=36500)
        for crisis in self.crises:
            if crisis.start.tzinfo is None:
                raise ValueError("crisis start must be timezone-aware")
            if crisis.hours is not None and crisis.hours <= 0:
                raise ValueError(f"crisis hours must be positive, not {crisis.hours!r}")
            if previous_end is None or crisis.start < previous_end:
                raise ValueError(f"crisis at {crisis.start.isoformat()} overlaps an earlier one")
            previous_end = crisis.end

    def _week_weights(self, stream: str) -> list[float]:
        wobble = random.Random(f"{self.seed}:{self.style.name}:{stream}:week")
        weights = [
            _DAY_OF_WEEK_WEIGHTS[hour // 24]
            * _HOUR_OF_DAY_WEIGHTS[hour % 24]
            * wobble.uniform(0.75, 1.3)
            for hour in range(_HOURS_PER_WEEK)
        ]
        mean = sum(weights) / len(weights)
        return [weight / mean for weight in weights]

    @staticmethod
    def _to_ms(moment: datetime) -> int:
        return (moment - _UNIX_EPOCH) // timedelta(milliseconds=1)

    def _stream(self, stream: str) -> _Stream:
        try:
            return self._streams[stream]
        except KeyError:
            known = ", ".join(self._streams)
            raise ValueError(
                f"demo {self.style.name} has no stream {stream!r} (known: {known})"
            ) from None

    def _crisis_at_ms(self, t_ms: int) -> bool:
        """Whether `t_ms` falls in a crisis window; a plain loop is twice as fast as any() here."""
        for start, end in self._crisis_ms:
            if start <= t_ms < end:
                return True
        return False

    def _header(self, state: _Stream, index: int) -> _Header:
        recent = state.recent_headers
        header = recent.get(index)
        if header is not None:
            return header
        slots = _slots(state.key + str(index).encode())
        t_ms = math.floor(
            state.timeline.seconds_at(index + slots[_JITTER] / _JITTER_RANGE) * 1000.0
        )
        if slots[_REPEAT] < _REPEAT_BELOW:
            contact_number = int(CONTACT_POOL_SIZE ** (slots[_CONTACT] / _SLOT_RANGE)) - 1
        else:
            contact_number = (slots[_CONTACT] * CONTACT_POOL_SIZE) >> _SLOT_BITS
        kinds = state.kinds
        kind = kinds.values[0] if len(kinds.values) == 1 else kinds.draw(slots[_KIND])
        header = (t_ms, contact_number, kind, slots)
        if len(recent) >= _RECENT_HEADERS_KEPT:
            recent.clear()
        recent[index] = header
        return header

    def _person(self, number: int) -> _Person:
        person = self._people.get(number)
        if person is None:
            mixed = _splitmix64(self._person_key ^ number)
            drawn = (mixed & 0xFFFF) * _LANGUAGES.total >> 16
            language = _LANGUAGES.values[bisect.bisect_right(_LANGUAGES.cumulative, drawn)]
            firsts = content.FIRST_NAMES[language]
            lasts = content.LAST_NAMES[language]
            first = firsts[(mixed >> 16) % len(firsts)]
            last = lasts[(mixed >> 32) % len(lasts)]
            person = _Person(language, first, last, _ASCII_NAMES[first], _ASCII_NAMES[last])
            self._people[number] = person
        return person

    def _contact(self, number: int) -> FetchedContact:
        contact = self._contacts.get(number)
        if contact is None:
            person = self._person(number)
            shape = (_splitmix64(self._person_key + number) >> 48) % 4
            contact = self.style.contact(number, person, shape)
            self._contacts[number] = contact
        return contact

    def _root_identity(
        self, state: _Stream, index: int, header: _Header, author: FetchedContact
    ) -> tuple[str, str, str | None]:
        """The external id, thread key and parent of a root item by `author`."""
        t_ms, _, kind, slots = header
        style = self.style
        external_id = style.message_id(kind, state.number, index, t_ms, author)
        if kind is Kind.DM:
            if style.dm_thread_per_contact:
                return external_id, f"dm:{author.external_id}", None
            return external_id, f"dm:{external_id}", None
        if kind is Kind.COMMENT:
            post_number = int((t_ms / 1000.0 - _WEEK_ANCHOR_S) // (BRAND_POST_HOURS * 3600.0))
            post_number -= _POST_RECENCY.draw(slots[_RECENCY])
            post_id = self._post_ids.get(post_number)
            if post_id is None:
                post_id = self._post_ids[post_number] = style.post_id(post_number, self._brand_key)
            return external_id, f"comment:{post_id}/{external_id}", post_id
        return external_id, f"mention:{external_id}", None

    def _root_index(self, state: _Stream, index: int, slots: tuple[int, ...]) -> int | None:
        """The earlier item this one follows up, or None when it opens a conversation.

        Only roots are followed up: a follow-up whose pick is itself a follow-up opens a
        conversation instead, so finding a thread never takes more than one look back.
        """
        if index == 0 or slots[_FOLLOWUP] >= _FOLLOWUP_BELOW:
            return None
        distance = 1 + ((slots[_DISTANCE] * min(index, MAX_FOLLOWUP_DISTANCE)) >> _SLOT_BITS)
        root_index = index - distance
        if root_index > 0 and self._header(state, root_index)[3][_FOLLOWUP] < _FOLLOWUP_BELOW:
            return None
        return root_index

    def _item(self, state: _Stream, index: int) -> FetchedItem:
        header = self._header(state, index)
        t_ms, author_number, kind, slots = header
        style = self.style
        crisis = bool(self._crisis_ms) and self._crisis_at_ms(t_ms)
        root_index = self._root_index(state, index, slots)
        if root_index is None:
            author = self._contact(author_number)
            external_id, thread_key, parent = self._root_identity(state, index, header, author)
            category = (_CRISIS_MIX if crisis else _NORMAL_MIX).draw(slots[_CATEGORY])
        else:
            root = self._header(state, root_index)
            _, author_number, kind, _ = root
            author = self._contact(author_number)
            root_id, thread_key, _ = self._root_identity(state, root_index, root, author)
            external_id = style.message_id(kind, state.number, index, t_ms, author)
            parent = None if kind is Kind.DM and style.dm_thread_per_contact else root_id
            category = (_CRISIS_FOLLOWUPS if crisis else _NORMAL_FOLLOWUPS).draw(slots[_CATEGORY])
        is_root = root_index is None
        person = self._people[author_number]
        language = person.language
        sentiment = content.CATEGORY_SENTIMENT[category]
        text = self._compose(slots, language, category, sentiment, kind, person, is_root)
        hostile = slots[_HOSTILE] < _HOSTILE_BELOW
        if hostile:
            text = f"{text} {_pick(content.HOSTILE, slots[_HOSTILE_PICK])}"
        raw: dict[str, object] = {
            "index": index,
            "stream": state.spec.name,
            "category": category,
            "sentiment": sentiment,
            "language": language,
            "crisis": crisis,
            "hostile": hostile,
        }
        if is_root and style.name == "email":
            subjects = content.EMAIL_SUBJECTS[language]
            group = "outage" if category.startswith("outage") else category
            raw["subject"] = subjects.get(group) or subjects["question"]
        if len(text) > self._sure_fit_length or "://" in text:
            text = _truncate(text, style)
        return FetchedItem(
            external_id=external_id,
            thread_key=thread_key,
            kind=kind,
            direction=Direction.IN,
            author=author,
            text=text,
            created_at=_DATETIME_FROM_TIMESTAMP(t_ms / 1000, UTC),
            parent_external_id=parent,
            url=style.url(kind, external_id, author),
            raw=raw,
        )

    def _compose(
        self,
        slots: tuple[int, ...],
        language: str,
        category: str,
        sentiment: str,
        kind: Kind,
        person: _Person,
        is_root: bool,
    ) -> str:
        texts, products, features, durations, details = _LANGUAGE_POOLS[language]
        templates = texts[category]
        template = templates[(slots[_TEMPLATE] * len(templates)) >> _SLOT_BITS]
        emoji = ""
        if slots[_EMOJI_CHANCE] < _EMOJI_BELOW:
            emojis = content.EMOJI[sentiment]
            emoji = emojis[(slots[_EMOJI] * len(emojis)) >> _SLOT_BITS]
            emoji = " " + emoji * 3 if slots[_EMOJI_TRIPLE] < _TRIPLE_EMOJI_BELOW else " " + emoji
        body = template.format(
            p=products[(slots[_PRODUCT] * len(products)) >> _SLOT_BITS],
            f=features[(slots[_FEATURE] * len(features)) >> _SLOT_BITS],
            d=durations[(slots[_DURATION] * len(durations)) >> _SLOT_BITS],
            e=emoji,
        )
        if template[0] == "{":
            body = body[:1].upper() + body[1:]
        elif template.startswith("¿{"):
            body = "¿" + body[1:2].upper() + body[2:]
        style = self.style
        if is_root and slots[_LONG] < style.long_post_share * _SLOT_RANGE and category != "spam":
            pool = details["negative" if sentiment == "negative" else "other"]
            count = 1 + ((slots[_DETAIL_COUNT] * 3) >> _SLOT_BITS)
            extra = [_pick(pool, slot) for slot in slots[_DETAIL_1 : _DETAIL_1 + count]]
            parts = [body, *dict.fromkeys(extra)]
            body = style.paragraph_separator.join(parts)
            while len(parts) > 1 and not fits(body, style.length_rule, style.text_limit):
                parts.pop()
                body = style.paragraph_separator.join(parts)
        if kind is Kind.MENTION and is_root:
            body = f"{self._mention} {body}"
        return style.wrap(body, language, person, is_root)

    @staticmethod
    def _first_name(author: FetchedContact) -> str:
        display = author.display_name or author.handle.lstrip("@").removeprefix("u/")
        return display.split()[0] if display.split() else display
