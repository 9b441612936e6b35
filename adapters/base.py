"""The one interface every platform adapter implements, and the values that cross it.

Adapters are leaves: they speak HTTP (or IMAP/SMTP) and the platform's JSON, and return
the frozen dataclasses below. They never touch the database, the keyring or the config;
the sync engine and the outbox hand them an account, a client and a credential.

Errors form a small tree, so callers decide on the class, never on message text::

    AdapterError
    ├── AuthExpired          the token was refused; a person must log in again
    ├── RateLimited          wait until `reset_at` before asking again
    ├── PlatformUnavailable  5xx, timeouts, dropped connections: retry with backoff
    │   └── NotReached       the request never reached the platform: nothing was posted
    └── PayloadInvalid       the platform answered with something we cannot read
"""

from __future__ import annotations

import abc
import enum
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    import httpx


class Kind(enum.StrEnum):
    """What sort of conversation a thread is."""

    COMMENT = "comment"
    DM = "dm"
    MENTION = "mention"


class Direction(enum.StrEnum):
    """Whether a message came to the brand or went out from it."""

    IN = "in"
    OUT = "out"


class LengthRule(enum.StrEnum):
    """How a platform counts the length of a text against its limit."""

    CHARACTERS = "characters"
    GRAPHEMES = "graphemes"
    X_WEIGHTED = "x_weighted"
    NONE = "none"


class AdapterError(Exception):
    """Base of every error an adapter raises."""


class AuthExpired(AdapterError):
    """The platform refused the credential; someone has to log in again."""


class RateLimited(AdapterError):
    """The platform asked us to slow down until `reset_at` (UTC)."""

    def __init__(self, reset_at: datetime, message: str = "rate limited") -> None:
        super().__init__(f"{message} until {reset_at.isoformat()}")
        self.reset_at = reset_at


class PlatformUnavailable(AdapterError):
    """The platform could not be reached or failed on its side (5xx, timeout).

    Raised by `send`, it means the outcome is unknown: the platform may have posted the
    message before failing, so the outbox looks it up (`find_sent`) before sending again.
    """


class NotReached(PlatformUnavailable):
    """The request never left this machine (no connection was made): nothing was posted."""


class PayloadInvalid(AdapterError):
    """The platform answered with something that is not what its API documents."""


@dataclass(frozen=True, slots=True)
class AccountRef:
    """The brand account an adapter works for: what it needs, and nothing secret."""

    id: int
    platform: str
    handle: str
    base_url: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FetchedContact:
    """A person on a platform, as the platform names them."""

    external_id: str
    handle: str
    display_name: str | None = None


class AttachmentKind(enum.StrEnum):
    """What an attachment to a message is."""

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    FILE = "file"
    LINK = "link"
    """A link card: the page a post links to, with its title and description."""
    QUOTE = "quote"
    """Another post quoted in this one: its author, text and address."""
    POLL = "poll"
    WARNING = "warning"
    """A content warning the author put before the text (Mastodon's spoiler text)."""
    FORWARDED = "forwarded"
    """A message forwarded inside this one (email's message/rfc822)."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """Something a message carries besides its text, so an agent sees what the customer sent.

    Every field is the platform's and untrusted; `url` is where it can be opened (the
    screen opens only http(s) links).
    """

    kind: AttachmentKind
    url: str | None = None
    description: str | None = None
    """Alt text of media, a link card's description, a quote's text, a warning's words."""
    title: str | None = None
    """A link card's title, a file's name, a poll's question, a forwarded mail's subject."""
    author: str | None = None
    """Who wrote a quoted post or a forwarded mail."""
    options: tuple[str, ...] = ()
    """A poll's options, in order."""
    size: int | None = None
    """Bytes, where the platform says."""

    def summary(self) -> str:
        """One line naming the attachment, for a preview or a message with no text."""
        words = self.description or self.title or self.url or ""
        if self.kind == AttachmentKind.POLL:
            words = " ".join(filter(None, [self.title, " / ".join(self.options)])) or words
        if self.kind in (AttachmentKind.QUOTE, AttachmentKind.FORWARDED) and self.author:
            words = f"{self.author}: {words}" if words else self.author
        label = {AttachmentKind.WARNING: "content warning", AttachmentKind.LINK: "link"}.get(
            self.kind, str(self.kind)
        )
        return f"[{label}: {' '.join(words.split())}]" if words else f"[{label}]"


@dataclass(frozen=True, slots=True)
class FetchedItem:
    """One message read from a platform, already mapped to the inbox's terms.

    `thread_key` is the adapter's decision about which conversation the message belongs
    to (Mastodon: the conversation root; Bluesky: the reply root uri; DMs: the
    conversation id; email: the first message id of the References chain).
    """

    external_id: str
    thread_key: str
    kind: Kind
    direction: Direction
    author: FetchedContact
    text: str
    created_at: datetime
    parent_external_id: str | None = None
    url: str | None = None
    raw: Mapping[str, Any] | None = None
    attachments: tuple[Attachment, ...] = ()
    """Media, link cards, quotes, polls, content warnings, forwarded mail, in the order the
    post shows them; `text` keeps the real target of every link it shows."""


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A page of items and the cursor to ask from next time.

    `next_cursor` is opaque to everyone but the adapter. `has_more` says another page is
    ready now (a backfill in progress); the sync engine then fetches again at once.
    """

    items: tuple[FetchedItem, ...]
    next_cursor: str | None
    has_more: bool = False


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    """A message the outbox asks an adapter to send."""

    idempotency_key: str
    kind: Kind
    text: str
    thread_key: str | None = None
    in_reply_to: str | None = None
    recipient: FetchedContact | None = None
    subject: str | None = None
    """The subject of a new email (an incident update); platforms without one ignore it."""
    unsubscribe: ListUnsubscribe | None = None
    """How the recipient of a mailing stops it; only mail carries it."""


@dataclass(frozen=True, slots=True)
class ListUnsubscribe:
    """How the recipient of a mailing unsubscribes: RFC 2369's `List-Unsubscribe` links.

    The mail adapter makes the `mailto:` link to its own address with `mailto_subject`;
    `url` is an https link that unsubscribes in one click (RFC 8058), when the inbox has one.
    """

    mailto_subject: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class SentRef:
    """Where a sent message now lives on the platform."""

    external_id: str
    url: str | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AccountSetting:
    """One option an adapter reads from `account.settings`, as people set it.

    `inbox accounts settings` lists and checks these; a value is kept as `kind` (str, int
    or bool) in the account's settings, and `default` is what the adapter uses without one.
    """

    name: str
    help: str
    choices: tuple[str, ...] | None = None
    default: Any = None
    kind: type = str

    def parse(self, text: str) -> Any:
        """The value `text` means for this setting; ValueError says what it takes."""
        text = text.strip()
        if self.choices is not None and text not in self.choices:
            raise ValueError(f"{self.name} is one of {', '.join(self.choices)}, not {text!r}")
        if self.kind is bool:
            if text.lower() in ("true", "yes", "on", "1"):
                return True
            if text.lower() in ("false", "no", "off", "0"):
                return False
            raise ValueError(f"{self.name} is true or false, not {text!r}")
        if self.kind is int:
            try:
                return int(text)
            except ValueError:
                raise ValueError(f"{self.name} is a whole number, not {text!r}") from None
        return text

    def describe(self) -> str:
        """The setting in one line, for `--help`: its meaning, choices and default."""
        words = self.help
        if self.choices is not None:
            words += f" ({', '.join(self.choices)})"
        elif self.kind is not str:
            words += f" ({'true or false' if self.kind is bool else 'a whole number'})"
        if self.default is not None:
            default = str(self.default).lower() if self.kind is bool else self.default
            words += f"; default {default}"
        return words


class LoginPrompt(Protocol):
    """How an adapter's login flow talks to the person connecting an account."""

    def show(self, text: str) -> None:
        """Tell the person something (an address to open, what to do next)."""

    def ask(self, question: str, *, secret: bool = False) -> str:
        """Ask the person for a value; `secret` values are not echoed."""


class Adapter(abc.ABC):
    """A platform, seen through the inbox's eyes.

    Capabilities are class data so the UI and the outbox can ask without an instance.
    The HTTP client and the credential are injected: tests hand in an
    `httpx.AsyncClient(transport=httpx.MockTransport(...))`. Adapters that speak no
    HTTP (the demo, email) accept None.
    """

    platform: ClassVar[str]
    """Registry name, also stored on the account row (`mastodon`, `bluesky`, ...)."""

    display_name: ClassVar[str]
    """How the platform is named to people."""

    streams: ClassVar[tuple[str, ...]]
    """What `fetch` can read; each stream has its own cursor and schedule."""

    kinds: ClassVar[frozenset[Kind]]
    """Which thread kinds this platform produces."""

    can_reply: ClassVar[bool] = True
    can_dm: ClassVar[bool] = False

    text_limit: ClassVar[int | None]
    """Longest text a reply may have, counted by `length_rule`; None means no limit."""

    length_rule: ClassVar[LengthRule] = LengthRule.CHARACTERS

    reply_window_hours: ClassVar[int | None] = None
    """Hours after the customer's last message during which a DM reply is allowed."""

    can_reply_privately: ClassVar[bool] = False
    """Whether a direct message on a comment thread goes to the commenter as a private reply
    to that comment (Messenger's private replies): the outbox then passes the comment's id
    as `in_reply_to`. Elsewhere a direct message never carries one."""

    poll_interval_seconds: ClassVar[float] = 60.0
    """How often the sync engine polls each stream when nothing is pending."""

    finds_sent: ClassVar[frozenset[Kind]] = frozenset()
    """The kinds of message `find_sent` can look up on the platform after an interrupted
    send. For any other kind an interrupted send waits for a person: never sent blindly."""

    can_post_statement: ClassVar[bool] = False
    """Whether the account can publish a public post of its own (an incident statement).
    The statement plan offers only accounts that can; the others say why not."""

    can_hide: ClassVar[bool] = False
    """Whether a comment on the account's posts can be hidden from the public (`hide`)."""

    daily_quota: ClassVar[int | None] = None
    """Units the platform allows the account per day (YouTube: 10,000), or None. The sync
    engine counts what `quota_costs` says each call spends and paces polling to fit."""

    quota_costs: ClassVar[Mapping[str, int]] = {}
    """Units one `fetch` of each stream costs (by stream name), and one `send` ("send")."""

    pushes: ClassVar[frozenset[str]] = frozenset()
    """The streams whose news the platform pushes (`listen`); the others are only polled."""

    webhook_object: ClassVar[str | None] = None
    """The `object` of the webhook deliveries this platform sends (Meta: "page",
    "instagram"); None when it sends none. See `webhook_key` and `webhook_items`."""

    needs_credential: ClassVar[bool] = True
    """Whether the account has a secret in the keyring; the demo has none."""

    credential_fields: ClassVar[tuple[str, ...]] = ("access_token",)
    """What `inbox accounts add` asks a person for; stored together in the keyring."""

    settings_fields: ClassVar[tuple[AccountSetting, ...]] = ()
    """The options of `account.settings` a person may set (`inbox accounts settings`)."""

    def __init__(
        self,
        account: AccountRef,
        client: httpx.AsyncClient | None,
        credential: Mapping[str, str] | None = None,
        *,
        on_credential_refreshed: Callable[[Mapping[str, str]], None] | None = None,
    ) -> None:
        self.account = account
        self.client = client
        self.credential = credential
        self.on_credential_refreshed = on_credential_refreshed
        """Called with the whole new credential when a refresh changed it, to keep it."""

    @abc.abstractmethod
    async def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        """Read the next page of `stream` after `cursor` (None: start of the backfill)."""

    @abc.abstractmethod
    async def send(self, request: OutboundRequest) -> SentRef:
        """Post `request` to the platform and say where it landed."""

    @classmethod
    async def log_in(
        cls, account: AccountRef, client: httpx.AsyncClient, prompt: LoginPrompt
    ) -> Mapping[str, str] | None:
        """Walk a person through getting a credential (an OAuth flow) and return it.

        None means the platform has no such flow, and `credential_fields` are asked for.
        """
        return None

    async def verify(self) -> str:
        """Check the credential against the platform and say who the account is there.

        `inbox accounts add` calls this before it stores anything; a refused credential
        raises `AuthExpired`. The default says nothing can be checked.
        """
        raise NotImplementedError(f"{self.display_name} cannot check credentials")

    async def find_sent(self, request: OutboundRequest, since: datetime) -> SentRef | None:
        """The message an earlier, interrupted `send` of `request` posted, or None if none was.

        The outbox calls this, for the kinds in `finds_sent`, before sending again a message
        whose outcome is unknown; `since` is a moment before the first attempt. It asks the
        platform itself (never this process's memory: the process that sent may have been
        killed): the account's own posts since then, answering the same parent with the same
        text (`adapters._payload.same_text`). A failure to look raises, and the outbox looks
        again later; None must mean "the platform has no such message".
        """
        return None

    async def read_text_limit(self) -> int | None:
        """The longest text this account may send, as the platform says now, or None.

        A Mastodon instance sets its own; the sync engine asks once per run and keeps the
        answer in the account's settings (`text_limit`). The default says nothing (None).
        """
        return None

    @classmethod
    def reply_window_for(cls, settings: Mapping[str, Any]) -> int | None:
        """The reply window, in hours, of an account with `settings` (Messenger's
        `HUMAN_AGENT` tag stretches it to 7 days); by default `reply_window_hours`."""
        return cls.reply_window_hours

    async def hide(self, external_id: str, *, hidden: bool = True) -> None:
        """Hide (or show again) the comment `external_id` on the account's posts.

        Only for platforms with `can_hide`; the outbox calls it, like `send`.
        """
        raise NotImplementedError(f"{self.display_name} cannot hide comments")

    def poll_delay(self) -> float | None:
        """Seconds to wait before polling again, from the rate-limit headers last seen.

        None means the platform said nothing that matters, and `poll_interval_seconds`
        applies. Adapters whose platform sends usage headers (Graph's `X-App-Usage`,
        Mastodon's `X-RateLimit-Remaining`) answer with the fastest pace that stays inside.
        """
        return None

    def listen(self) -> AsyncIterator[str]:
        """Wait on the platform's push channel and yield a stream name each time it has news.

        Only for the streams in `pushes`. The sync engine then fetches that stream from its
        cursor at once, so a push only wakes polling up: nothing is lost or doubled across
        a reconnect. Raises an `AdapterError` when the channel breaks (the engine polls
        meanwhile and listens again with backoff).
        """
        raise NotImplementedError(f"{self.display_name} pushes nothing")

    @classmethod
    def webhook_key(cls, account: AccountRef) -> str | None:
        """The id a webhook delivery names this account by (Meta: `entry.id`, the Page or
        Instagram account id, from the account's settings), or None."""
        return None

    async def webhook_items(self, entry: Mapping[str, Any]) -> tuple[FetchedItem, ...]:
        """The messages one verified webhook `entry` carries for this account.

        Mostly pure mapping; where the delivery holds only ids (an Instagram mention) the
        adapter asks the platform. Raises `PayloadInvalid` on an entry it cannot read.
        """
        raise NotImplementedError(f"{self.display_name} sends no webhooks")
