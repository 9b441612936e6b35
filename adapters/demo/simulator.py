"""A deterministic generator of social traffic for the demo platforms; no I/O, no clock.

Item `n` of a stream is a pure function of (seed, style, stream, n) and the crisis
windows: its values come from a BLAKE2b digest of those four, never from Python's
salted `hash()`, so two runs (or two processes) with the same settings produce the same
ids, texts, authors and timestamps.

Timing: each stream has an expected volume curve (items per hour, shaped by hour of day,
day of week and a seeded wobble, and multiplied by `timeline.CRISIS_VOLUME_FACTOR` inside a crisis
window). Item `n` sits where the cumulative volume since `epoch` reaches `n + u_n`, with
`u_n` in [0, 1) drawn for that index; so items are ordered, busy hours are busy, and any
item's time is computed on its own without walking the ones before it.

Attachments: some complaints carry a screenshot, questions and rumours a link card, praise
a quote of the brand's post or only a photo, feature requests a poll (`attachments.py`).

Threads: a share of items are follow-ups by the same customer to an earlier, recent root
item of the same stream; roots open DM conversations (per customer on X, Bluesky and
Messenger, per first message elsewhere), top-level comments under a brand post, or
mentions.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import math
import random
import struct
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from adapters.base import Attachment, Direction, FetchedContact, FetchedItem, Kind
from adapters.demo import attachments, brand_replies, content, customer_texts, people
from adapters.demo.draws import (
    SLOT_BITS,
    SLOT_RANGE,
    Weighted,
    chance,
    pick,
    splitmix64,
    stable_int,
)
from adapters.demo.styles import STYLES, Person, StreamSpec, fits, truncate
from adapters.demo.timeline import HOURS_PER_WEEK, WEEK_ANCHOR_S, Crisis, Timeline

DEFAULT_RATE_PER_HOUR: Final = 20.0
CONTACT_POOL_SIZE: Final = 20_000
REPEAT_CUSTOMER_SHARE: Final = 0.25
"""Share of new conversations opened by a contact drawn from a Zipf-like (log-uniform) law."""
FOLLOWUP_SHARE: Final = 0.22
MAX_FOLLOWUP_DISTANCE: Final = 40
HOSTILE_SHARE: Final = 0.002
BRAND_POST_HOURS: Final = 8.0

_UNIX_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

_HOUR_OF_DAY_WEIGHTS: Final = (
    0.35, 0.3, 0.25, 0.25, 0.3, 0.4, 0.6, 0.9, 1.1, 1.2, 1.25, 1.3,
    1.35, 1.4, 1.45, 1.5, 1.55, 1.6, 1.6, 1.5, 1.3, 1.0, 0.7, 0.5,
)  # fmt: skip
_DAY_OF_WEEK_WEIGHTS: Final = (1.1, 1.05, 1.0, 1.0, 0.95, 0.8, 0.75)

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
    _ATTACHMENT,
    _ATTACHMENT_PICK,
) = range(24)
_SLOT_LAYOUT: Final = struct.Struct("<I30H")
"""A 64-byte digest read as one 32-bit jitter and thirty 16-bit draws."""


def _slots(key: bytes) -> tuple[int, ...]:
    """An item's random draws, one per decision, cut from a BLAKE2b digest of its key.

    Every decision reads its own slot whether or not an earlier branch needed it, so a
    root item reads the same when a later follow-up looks it up.
    """
    return _SLOT_LAYOUT.unpack(hashlib.blake2b(key).digest())


def _ascii_name(name: str) -> str:
    romaji = people.ROMAJI.get(name)
    if romaji is not None:
        return romaji
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return folded.lower()


_ASCII_NAMES: Final = {
    name: _ascii_name(name)
    for pool in (people.FIRST_NAMES, people.LAST_NAMES)
    for names in pool.values()
    for name in names
}


_Header = tuple[int, int, Kind, tuple[int, ...]]
"""What an item's first draws decide: when (Unix ms), who, what kind; and the draws themselves."""


@dataclass(frozen=True, slots=True)
class _Stream:
    spec: StreamSpec
    number: int
    key: bytes
    kinds: Weighted[Kind]
    timeline: Timeline
    recent_headers: dict[int, _Header]
    """Headers of recently generated items, so follow-ups find their roots without redrawing."""


_RECENT_HEADERS_KEPT: Final = 512
_LANGUAGES: Final = Weighted(content.LANGUAGE_WEIGHTS)
_NORMAL_MIX: Final = Weighted(content.NORMAL_MIX)
_CRISIS_MIX: Final = Weighted(content.CRISIS_MIX)
_NORMAL_FOLLOWUPS: Final = Weighted(content.NORMAL_FOLLOWUP_MIX)
_CRISIS_FOLLOWUPS: Final = Weighted(content.CRISIS_FOLLOWUP_MIX)
_POST_RECENCY: Final = Weighted(((0, 70), (1, 20), (2, 10)))
_FOLLOWUP_BELOW: Final = chance(FOLLOWUP_SHARE)
_REPEAT_BELOW: Final = chance(REPEAT_CUSTOMER_SHARE)
_HOSTILE_BELOW: Final = chance(HOSTILE_SHARE)
_CARRIES_BELOW: Final = attachments.CARRIES_BELOW
_EMOJI_BELOW: Final = chance(0.45)
_TRIPLE_EMOJI_BELOW: Final = chance(0.25)
_DATETIME_FROM_TIMESTAMP: Final = datetime.fromtimestamp
_LANGUAGE_POOLS: Final = {
    language: (
        customer_texts.TEXTS[language],
        content.PRODUCTS[language],
        content.FEATURES[language],
        content.DURATIONS[language],
        customer_texts.DETAILS[language],
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
        self._brand_key = stable_int(f"brand:{account_handle}")
        self._person_key = stable_int(f"people:{seed}:{style}")
        self._contacts: dict[int, FetchedContact] = {}
        self._people: dict[int, Person] = {}
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
            timeline = Timeline(rate_per_hour * spec.share, weights, crisis_seconds, epoch_seconds)
            key = f"{seed}:{style}:{spec.name}:".encode()
            self._streams[spec.name] = _Stream(
                spec, number, key, Weighted(spec.kinds), timeline, {}
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
        group = brand_replies.REPLY_GROUPS.get(category, category)
        replies = brand_replies.REPLIES.get(language, brand_replies.REPLIES["en"])
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
        return truncate(text, style)

    def sent_external_id(self, idempotency_key: str, kind: Kind) -> str:
        """The platform id a message sent with `idempotency_key` gets; the same key, the same id."""
        return self.style.sent_id(kind, stable_int(f"sent:{idempotency_key}"), self._brand_key)

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
            for hour in range(HOURS_PER_WEEK)
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
            contact_number = int(CONTACT_POOL_SIZE ** (slots[_CONTACT] / SLOT_RANGE)) - 1
        else:
            contact_number = (slots[_CONTACT] * CONTACT_POOL_SIZE) >> SLOT_BITS
        kinds = state.kinds
        kind = kinds.values[0] if len(kinds.values) == 1 else kinds.draw(slots[_KIND])
        header = (t_ms, contact_number, kind, slots)
        if len(recent) >= _RECENT_HEADERS_KEPT:
            recent.clear()
        recent[index] = header
        return header

    def _person(self, number: int) -> Person:
        person = self._people.get(number)
        if person is None:
            mixed = splitmix64(self._person_key ^ number)
            drawn = (mixed & 0xFFFF) * _LANGUAGES.total >> 16
            language = _LANGUAGES.values[bisect.bisect_right(_LANGUAGES.cumulative, drawn)]
            firsts = people.FIRST_NAMES[language]
            lasts = people.LAST_NAMES[language]
            first = firsts[(mixed >> 16) % len(firsts)]
            last = lasts[(mixed >> 32) % len(lasts)]
            person = Person(language, first, last, _ASCII_NAMES[first], _ASCII_NAMES[last])
            self._people[number] = person
        return person

    def _contact(self, number: int) -> FetchedContact:
        contact = self._contacts.get(number)
        if contact is None:
            person = self._person(number)
            shape = (splitmix64(self._person_key + number) >> 48) % 4
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
            post_number = int((t_ms / 1000.0 - WEEK_ANCHOR_S) // (BRAND_POST_HOURS * 3600.0))
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
        distance = 1 + ((slots[_DISTANCE] * min(index, MAX_FOLLOWUP_DISTANCE)) >> SLOT_BITS)
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
            text = f"{text} {pick(customer_texts.HOSTILE, slots[_HOSTILE_PICK])}"
        carried: tuple[Attachment, ...] = ()
        if slots[_ATTACHMENT] < _CARRIES_BELOW.get(category, 0):
            carried, textless = attachments.draw(
                style.name,
                kind,
                category,
                language,
                slots[_ATTACHMENT_PICK],
                stream_number=state.number,
                index=index,
                brand=self.account_handle,
            )
            if textless and not hostile:
                text = ""
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
            subjects = customer_texts.EMAIL_SUBJECTS[language]
            group = "outage" if category.startswith("outage") else category
            raw["subject"] = subjects.get(group) or subjects["question"]
        if len(text) > self._sure_fit_length or "://" in text:
            text = truncate(text, style)
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
            attachments=carried,
        )

    def _compose(
        self,
        slots: tuple[int, ...],
        language: str,
        category: str,
        sentiment: str,
        kind: Kind,
        person: Person,
        is_root: bool,
    ) -> str:
        texts, products, features, durations, details = _LANGUAGE_POOLS[language]
        templates = texts[category]
        template = templates[(slots[_TEMPLATE] * len(templates)) >> SLOT_BITS]
        emoji = ""
        if slots[_EMOJI_CHANCE] < _EMOJI_BELOW:
            emojis = content.EMOJI[sentiment]
            emoji = emojis[(slots[_EMOJI] * len(emojis)) >> SLOT_BITS]
            emoji = " " + emoji * 3 if slots[_EMOJI_TRIPLE] < _TRIPLE_EMOJI_BELOW else " " + emoji
        body = template.format(
            p=products[(slots[_PRODUCT] * len(products)) >> SLOT_BITS],
            f=features[(slots[_FEATURE] * len(features)) >> SLOT_BITS],
            d=durations[(slots[_DURATION] * len(durations)) >> SLOT_BITS],
            e=emoji,
        )
        if template[0] == "{":
            body = body[:1].upper() + body[1:]
        elif template.startswith("¿{"):
            body = "¿" + body[1:2].upper() + body[2:]
        style = self.style
        if is_root and slots[_LONG] < style.long_post_share * SLOT_RANGE and category != "spam":
            pool = details["negative" if sentiment == "negative" else "other"]
            count = 1 + ((slots[_DETAIL_COUNT] * 3) >> SLOT_BITS)
            extra = [pick(pool, slot) for slot in slots[_DETAIL_1 : _DETAIL_1 + count]]
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
