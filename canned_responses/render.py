"""Fill a prepared answer's variables and measure the result the way each channel counts.

Length rules are the values of the adapters' `LengthRule`, passed here as plain strings so
this package stays a leaf:

- ``"characters"``: Unicode code points, every ``http(s)://`` URL counting 23 (Mastodon's
  rule; code points are never fewer than Mastodon's grapheme count, so a fit here fits there).
- ``"graphemes"``: user-perceived characters (Bluesky), URLs counted in full.
- ``"x_weighted"``: twitter-text v3 after NFC: code points in the Latin and punctuation
  ranges weigh 1, everything else (CJK included) 2, an emoji (even a ZWJ sequence) 2, and a
  URL 23, also a bare one like ``example.com`` (common top-level domains, or a two-letter one
  followed by a path).
- ``"none"``: no limit (email).

A text that does not fit is never shortened here: `Fit` says by how much it is over.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Mapping

import regex

from canned_responses.library import KNOWN_VARIABLES, VARIABLE_PATTERN, CannedResponse

LENGTH_RULES: frozenset[str] = frozenset({"characters", "graphemes", "x_weighted", "none"})
"""Every rule `measure` and `fit` understand (the values of `adapters.base.LengthRule`)."""

URL_LENGTH = 23
"""What a URL counts for on X and Mastodon, however long it is."""

PLATFORM_DISPLAY_NAMES: Mapping[str, str] = {
    "x": "X",
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
    "reddit": "Reddit",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "youtube": "YouTube",
    "email": "email",
}
"""How `{platform}` reads for each platform name; other names are used as they are."""

_X_LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
_RULE_UNITS = {
    "characters": "characters",
    "graphemes": "characters (graphemes)",
    "x_weighted": "weighted characters",
    "none": "characters",
}
_TRAILING_URL_PUNCTUATION = ".,;:!?'\")]}>"
_SCHEME_URL = regex.compile(r"https?://[^\s<>\"]+", regex.IGNORECASE)
_BARE_DOMAIN_URL = regex.compile(
    r"(?<![\w@.\-/])"
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"(?:(?:com|net|org|edu|gov|info|biz|app|dev|io|co|me|tv|ly|help|support|status|page|blog"
    r"|shop|store|news|online|site|tech|xyz)(?![\w-])(?:/[^\s<>\"]*)?"
    r"|[a-z]{2}/[^\s<>\"]*)",
    regex.IGNORECASE,
)
_GRAPHEME = regex.compile(r"\X")
_EMOJI_GRAPHEME = regex.compile(
    r"\p{Emoji_Presentation}|\p{Regional_Indicator}"
    r"|\p{Extended_Pictographic}.*[\u200d\ufe0f\U0001f3fb-\U0001f3ff]"
    r"|[0-9#*]\ufe0f?\u20e3"
)


@dataclasses.dataclass(frozen=True, slots=True)
class RenderContext:
    """The values a template's variables are filled from; None or blank means unknown."""

    author_name: str | None = None
    author_handle: str | None = None
    agent_name: str | None = None
    incident_title: str | None = None
    incident_status_url: str | None = None
    platform: str | None = None
    """How `{platform}` reads; `render_for` uses the display name of its platform when None."""
    expected_reply: str | None = None
    """When the customer can expect an answer, by the team's SLA: "within 4 hours",
    "by 10:00 tomorrow"."""

    def values(self) -> dict[str, str | None]:
        """The value of every known variable, by the name templates use."""
        return {
            "author.name": self.author_name,
            "author.handle": self.author_handle,
            "agent.name": self.agent_name,
            "incident.title": self.incident_title,
            "incident.status_url": self.incident_status_url,
            "platform": self.platform,
            "sla.expected_reply": self.expected_reply,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class Filled:
    """A template with its variables filled, and the ones left without a value."""

    text: str
    unfilled: tuple[str, ...]
    """Variables with neither a value nor a fallback; they stay in `text` as `{name}`."""


@dataclasses.dataclass(frozen=True, slots=True)
class Fit:
    """How long a text is by a channel's rule, and whether it is within the limit."""

    rule: str
    length: int
    limit: int | None

    @property
    def fits(self) -> bool:
        """True when the text may be sent as it is."""
        return self.limit is None or self.rule == "none" or self.length <= self.limit

    @property
    def over_by(self) -> int:
        """How many units must go before the text fits; 0 when it fits."""
        return 0 if self.fits or self.limit is None else self.length - self.limit

    def explain(self, channel: str) -> str:
        """One sentence for the composer, like 'Too long for X by 12 weighted characters'."""
        units = _RULE_UNITS.get(self.rule, "characters")
        if self.fits:
            if self.limit is None or self.rule == "none":
                return f"Fits {channel} ({self.length} {units}, no limit)."
            return f"Fits {channel} ({self.length} of {self.limit} {units})."
        return f"Too long for {channel} by {self.over_by} {units} ({self.length} of {self.limit})."


@dataclasses.dataclass(frozen=True, slots=True)
class Rendered:
    """A prepared answer made ready for one channel, with everything the composer must show."""

    text: str
    variant: str | None
    """The platform whose short variant was used, or None for the full body."""
    unfilled: tuple[str, ...]
    fit: Fit

    @property
    def sendable(self) -> bool:
        """True when every variable was filled and the text fits the channel."""
        return not self.unfilled and self.fit.fits


def fill(template: str, context: RenderContext) -> Filled:
    """Replace each `{name}` or `{name|fallback}` with its value, else its fallback.

    A variable with neither stays in the text as written and is listed in `unfilled`, so
    nothing half-filled goes out unnoticed. Values are put on one line with single spaces.
    """
    values = context.values()
    unfilled: list[str] = []

    def replace(found: re.Match[str]) -> str:
        name = found.group("name")
        value = values.get(name) if name in KNOWN_VARIABLES else None
        tidy_value = " ".join(value.split()) if value else ""
        if tidy_value:
            return tidy_value
        fallback = found.group("fallback")
        if fallback is not None:
            return fallback
        if name not in unfilled:
            unfilled.append(name)
        return found.group(0)

    text = VARIABLE_PATTERN.sub(replace, template)
    return Filled(text=text, unfilled=tuple(unfilled))


def measure(text: str, rule: str) -> int:
    """The length of `text` as a channel with `rule` counts it."""
    if rule == "characters" or rule == "none":
        return _count_characters(text) if rule == "characters" else len(text)
    if rule == "graphemes":
        return sum(1 for _ in _GRAPHEME.finditer(text))
    if rule == "x_weighted":
        return _count_x_weighted(text)
    raise ValueError(f"unknown length rule {rule!r} (known: {', '.join(sorted(LENGTH_RULES))})")


def fit(text: str, rule: str, limit: int | None) -> Fit:
    """Whether `text` fits a channel counting by `rule` up to `limit` (None: no limit)."""
    return Fit(rule=rule, length=measure(text, rule), limit=limit)


def render_for(
    response: CannedResponse,
    platform: str,
    rule: str,
    limit: int | None,
    context: RenderContext | None = None,
) -> Rendered:
    """Render `response` for one channel: its variant if it has one, variables filled, fit checked.

    `platform` is the real platform name (callers map demo platforms to the one they imitate).
    """
    context = context or RenderContext()
    if context.platform is None:
        display_name = PLATFORM_DISPLAY_NAMES.get(platform, platform)
        context = dataclasses.replace(context, platform=display_name)
    template, variant = response.text_for(platform)
    filled = fill(template, context)
    return Rendered(
        text=filled.text,
        variant=variant,
        unfilled=filled.unfilled,
        fit=fit(filled.text, rule, limit),
    )


def _url_spans(text: str, pattern: regex.Pattern[str]) -> list[tuple[int, int]]:
    """Start and end of each URL, without the punctuation that usually follows one."""
    spans: list[tuple[int, int]] = []
    for found in pattern.finditer(text):
        url = found.group(0)
        trimmed = url.rstrip(_TRAILING_URL_PUNCTUATION)
        if url.endswith(")") and trimmed.count("(") > trimmed.count(")"):
            trimmed += ")"
        spans.append((found.start(), found.start() + len(trimmed)))
    return spans


def _count_characters(text: str) -> int:
    spans = _url_spans(text, _SCHEME_URL)
    url_characters = sum(end - start for start, end in spans)
    return len(text) - url_characters + URL_LENGTH * len(spans)


def _count_x_weighted(text: str) -> int:
    normalized = unicodedata.normalize("NFC", text)
    spans = sorted(_url_spans(normalized, _SCHEME_URL) + _url_spans(normalized, _BARE_DOMAIN_URL))
    weight = 0
    position = 0
    for start, end in spans:
        if start < position:
            continue
        weight += _x_weight_of_plain_text(normalized[position:start]) + URL_LENGTH
        position = end
    return weight + _x_weight_of_plain_text(normalized[position:])


def _x_weight_of_plain_text(text: str) -> int:
    weight = 0
    for grapheme in _GRAPHEME.findall(text):
        if _EMOJI_GRAPHEME.match(grapheme):
            weight += 2
            continue
        for character in grapheme:
            code_point = ord(character)
            light = any(low <= code_point <= high for low, high in _X_LIGHT_RANGES)
            weight += 1 if light else 2
    return weight
