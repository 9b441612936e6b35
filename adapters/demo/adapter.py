"""The nine demo platforms behind the common adapter interface.

Each class copies its real platform's capabilities (limits, length rule, kinds, reply
window) and reads simulated traffic from a `Simulator`; nothing touches the network, and
the injected HTTP client is never used.

Settings, from `account.settings`:

| key | meaning | default |
| --- | --- | --- |
| `seed` | int; the same seed, the same traffic | 0 |
| `epoch` | ISO-8601 UTC start of every stream | start of today (UTC) by the clock |
| `rate_per_hour` | mean inbound items per hour over all streams, outside a crisis | 20 |
| `crisis_at`, `crisis_hours` | one crisis (x10 volume, mostly angry); null hours: no end | -, 6 |
| `crises` | several: a list of `{"at": ISO, "hours": float or null}` | none |
| `total_items` | each stream ends after this many items | unlimited |
| `send_latency_scale` | multiplies the simulated 0.2-1.5 s send time; 0 in tests | 1.0 |
| `send_failure_rate` | share of send attempts refused with `PlatformUnavailable` | 0.05 |
| `send_lost_rate` | share of sends that post but then time out (`PlatformUnavailable`) | 0.0 |
| `fail_auth` | true: every call raises `AuthExpired` | false |
| `rate_limited_until` | ISO-8601; before then every call raises `RateLimited` | none |

Crises may be added, never removed or moved into the past: traffic already fetched stays
what it was only if every crisis that changes it starts later.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any, ClassVar, Final

from adapters.base import (
    AccountRef,
    Adapter,
    AuthExpired,
    FetchResult,
    Kind,
    LengthRule,
    OutboundRequest,
    PayloadInvalid,
    PlatformUnavailable,
    RateLimited,
    SentRef,
)
from adapters.demo.simulator import DEFAULT_RATE_PER_HOUR, Simulator
from adapters.demo.timeline import DEFAULT_CRISIS_HOURS, Crisis

if TYPE_CHECKING:
    import httpx

PAGE_SIZE: Final = 100
DEFAULT_SEND_FAILURE_RATE: Final = 0.05
SEND_LATENCY_RANGE_SECONDS: Final = (0.2, 1.5)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _moment(name: str, value: object) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError(f"demo setting {name!r} needs a timezone (e.g. a trailing Z): {value!r}")
    return moment.astimezone(UTC)


def _crises(settings: Mapping[str, Any]) -> list[Crisis]:
    crises = []
    if settings.get("crisis_at") is not None:
        hours = settings.get("crisis_hours", DEFAULT_CRISIS_HOURS)
        crises.append(
            Crisis(
                _moment("crisis_at", settings["crisis_at"]), None if hours is None else float(hours)
            )
        )
    for entry in settings.get("crises") or ():
        hours = entry.get("hours", DEFAULT_CRISIS_HOURS)
        crises.append(
            Crisis(_moment("crises", entry["at"]), None if hours is None else float(hours))
        )
    return crises


def _unit(text: str) -> float:
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2.0**64


class DemoAdapter(Adapter):
    """A simulated platform: traffic on a clock, and replies that take time and sometimes fail.

    `send` is deterministic per (idempotency key, attempt number in this instance): the
    latency, a refusal (`send_failure_rate`) and a lost answer (`send_lost_rate`) are each
    drawn from a BLAKE2b digest of those two, so a retry of a refused send is a fresh draw.
    A key that was already sent answers with the same `SentRef`, as Mastodon's
    `Idempotency-Key` does. The demo keeps no server state across processes: `find_sent`
    knows only what `send` did in this instance.
    """

    style: ClassVar[str]
    """Which simulator style the platform's traffic follows."""

    can_dm = True
    finds_sent = frozenset(Kind)
    """The simulated platform is this process: a sender killed mid-send takes it along."""
    needs_credential = False
    poll_interval_seconds = 2.0

    def __init__(
        self,
        account: AccountRef,
        client: httpx.AsyncClient | None,
        credential: Mapping[str, str] | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(account, client, credential)
        self._clock = clock or _utc_now
        settings = account.settings
        epoch_setting = settings.get("epoch")
        if epoch_setting is None:
            epoch = datetime.combine(self._clock().astimezone(UTC).date(), time(), UTC)
        else:
            epoch = _moment("epoch", epoch_setting)
        total_items = settings.get("total_items")
        self.simulator = Simulator(
            seed=int(settings.get("seed", 0)),
            style=self.style,
            account_handle=account.handle,
            epoch=epoch,
            rate_per_hour=float(settings.get("rate_per_hour", DEFAULT_RATE_PER_HOUR)),
            crises=_crises(settings),
            total_items=None if total_items is None else int(total_items),
        )
        """The traffic generator behind this account; `inbox demo` builds history from it."""
        self._latency_scale = float(settings.get("send_latency_scale", 1.0))
        self._failure_rate = float(settings.get("send_failure_rate", DEFAULT_SEND_FAILURE_RATE))
        self._lost_rate = float(settings.get("send_lost_rate", 0.0))
        self._attempts: dict[str, int] = {}
        self._sent: dict[str, SentRef] = {}

    async def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        """Items of `stream` from index `cursor` (None: 0) posted by now, a page of at most 100."""
        self._refuse_if_configured()
        start = self._cursor_index(cursor)
        due = self.simulator.first_index_after(stream, self._clock())
        stop = max(min(due, start + PAGE_SIZE), start)
        items = tuple(self.simulator.items(stream, start, stop))
        return FetchResult(items=items, next_cursor=str(stop), has_more=due > stop)

    async def send(self, request: OutboundRequest) -> SentRef:
        """Pretend to post `request`: wait, perhaps fail, and say which id it got."""
        self._refuse_if_configured()
        if not request.text.strip():
            raise PayloadInvalid("the demo platform refuses an empty message")
        key = request.idempotency_key
        already_sent = self._sent.get(key)
        if already_sent is not None:
            return already_sent
        attempt = self._attempts.get(key, 0) + 1
        self._attempts[key] = attempt
        draw_key = f"{self.platform}:{key}:{attempt}"
        low, high = SEND_LATENCY_RANGE_SECONDS
        delay = (low + (high - low) * _unit(f"latency:{draw_key}")) * self._latency_scale
        if delay > 0:
            await asyncio.sleep(delay)
        if _unit(f"failure:{draw_key}") < self._failure_rate:
            raise PlatformUnavailable(f"{self.display_name} answered 503 (attempt {attempt})")
        sent = SentRef(
            external_id=self.simulator.sent_external_id(key, request.kind),
            url=None,
            sent_at=self._clock(),
        )
        self._sent[key] = sent
        if _unit(f"lost:{draw_key}") < self._lost_rate:
            raise PlatformUnavailable(f"{self.display_name} timed out after the message was sent")
        return sent

    async def find_sent(self, request: OutboundRequest, since: datetime) -> SentRef | None:
        """What `send` posted under the request's key in this instance, if anything."""
        return self._sent.get(request.idempotency_key)

    async def hide(self, external_id: str, *, hidden: bool = True) -> None:
        """Pretend to hide (or show again) a comment, where the real platform can."""
        self._refuse_if_configured()
        if not self.can_hide:
            raise NotImplementedError(f"{self.display_name} cannot hide comments")

    def start_crisis(
        self, at: datetime | None = None, hours: float | None = DEFAULT_CRISIS_HOURS
    ) -> Crisis:
        """Start an outage at `at` (not before now) here; persist it in `crises` to keep it.

        ValueError if it would overlap a crisis already under way or scheduled.
        """
        now = self._clock()
        crisis = Crisis(max(at or now, now), hours)
        self.simulator = self.simulator.with_crisis(crisis)
        return crisis

    def cursor_after(self, stream: str, moment: datetime) -> str:
        """The cursor that resumes `stream` just after `moment`, e.g. once history is stored."""
        return str(self.simulator.first_index_after(stream, moment))

    def _refuse_if_configured(self) -> None:
        settings = self.account.settings
        if settings.get("fail_auth"):
            raise AuthExpired(f"{self.display_name} refused the credential")
        limited_until = settings.get("rate_limited_until")
        if limited_until is not None:
            reset_at = _moment("rate_limited_until", limited_until)
            if reset_at > self._clock():
                raise RateLimited(reset_at)

    @staticmethod
    def _cursor_index(cursor: str | None) -> int:
        if cursor is None:
            return 0
        if not cursor.isdigit():
            raise PayloadInvalid(f"a demo cursor is an item index, not {cursor!r}")
        return int(cursor)


class DemoMastodonAdapter(DemoAdapter):
    """Mastodon, simulated: mentions and direct messages, 500 characters."""

    platform = "demo-mastodon"
    can_post_statement = True
    display_name = "Mastodon (demo)"
    style = "mastodon"
    streams = ("mentions", "dms")
    kinds = frozenset({Kind.MENTION, Kind.DM})
    text_limit = 500
    length_rule = LengthRule.CHARACTERS


class DemoBlueskyAdapter(DemoAdapter):
    """Bluesky, simulated: replies and mentions from notifications, chats, 300 graphemes."""

    platform = "demo-bluesky"
    can_post_statement = True
    display_name = "Bluesky (demo)"
    style = "bluesky"
    streams = ("notifications", "dms")
    kinds = frozenset({Kind.COMMENT, Kind.MENTION, Kind.DM})
    text_limit = 300
    length_rule = LengthRule.GRAPHEMES


class DemoXAdapter(DemoAdapter):
    """X, simulated: replies and mentions, DMs, 280 weighted characters."""

    platform = "demo-x"
    can_post_statement = True
    can_hide = True
    display_name = "X (demo)"
    style = "x"
    streams = ("mentions", "dms")
    kinds = frozenset({Kind.COMMENT, Kind.MENTION, Kind.DM})
    text_limit = 280
    length_rule = LengthRule.X_WEIGHTED


class DemoRedditAdapter(DemoAdapter):
    """Reddit, simulated: comments on the brand's posts, username mentions, private messages."""

    platform = "demo-reddit"
    display_name = "Reddit (demo)"
    style = "reddit"
    streams = ("comments", "mentions", "messages")
    kinds = frozenset({Kind.COMMENT, Kind.MENTION, Kind.DM})
    text_limit = 10_000
    length_rule = LengthRule.CHARACTERS


class DemoFacebookAdapter(DemoAdapter):
    """A Facebook Page, simulated: comments, and Messenger with its 24-hour reply window."""

    platform = "demo-facebook"
    can_post_statement = True
    can_hide = True
    display_name = "Facebook (demo)"
    style = "facebook"
    streams = ("comments", "dms")
    kinds = frozenset({Kind.COMMENT, Kind.DM})
    text_limit = 8000
    length_rule = LengthRule.CHARACTERS
    reply_window_hours = 24


class DemoInstagramAdapter(DemoAdapter):
    """An Instagram professional account, simulated: comments and @mentions, and direct
    messages with their 24-hour reply window; no text-only posts, so no statements."""

    platform = "demo-instagram"
    can_hide = True
    display_name = "Instagram (demo)"
    style = "instagram"
    streams = ("comments", "dms")
    kinds = frozenset({Kind.COMMENT, Kind.MENTION, Kind.DM})
    text_limit = 1000
    length_rule = LengthRule.CHARACTERS
    reply_window_hours = 24


class DemoYouTubeAdapter(DemoAdapter):
    """A YouTube channel, simulated: comment threads on its videos; no messages, no posts."""

    platform = "demo-youtube"
    can_dm = False
    can_hide = True
    display_name = "YouTube (demo)"
    style = "youtube"
    streams = ("comments",)
    kinds = frozenset({Kind.COMMENT})
    text_limit = 10_000
    length_rule = LengthRule.CHARACTERS


class DemoLinkedInAdapter(DemoAdapter):
    """A LinkedIn organization page, simulated: comments on its posts and posts mentioning
    it, 1,250 characters; organization posts for statements, no messages."""

    platform = "demo-linkedin"
    can_dm = False
    can_post_statement = True
    display_name = "LinkedIn (demo)"
    style = "linkedin"
    streams = ("comments", "mentions")
    kinds = frozenset({Kind.COMMENT, Kind.MENTION})
    text_limit = 1250
    length_rule = LengthRule.CHARACTERS


class DemoEmailAdapter(DemoAdapter):
    """A support mailbox, simulated: one inbox of threaded emails, no length limit."""

    platform = "demo-email"
    display_name = "Email (demo)"
    style = "email"
    streams = ("inbox",)
    kinds = frozenset({Kind.DM})
    text_limit = None
    length_rule = LengthRule.NONE


DEMO_ADAPTERS: Final[tuple[type[DemoAdapter], ...]] = (
    DemoMastodonAdapter,
    DemoBlueskyAdapter,
    DemoXAdapter,
    DemoRedditAdapter,
    DemoFacebookAdapter,
    DemoInstagramAdapter,
    DemoYouTubeAdapter,
    DemoLinkedInAdapter,
    DemoEmailAdapter,
)
"""Every demo platform, in the order `inbox demo` lists them."""
