"""The email adapter: IMAP in, SMTP out, both from the standard library in a worker thread.

The account's handle is the mailbox address; `base_url` is the IMAP server
(`imap://host:port`, `imaps://host:port`; default port 143 / 993). Settings:

| key | meaning | default |
| --- | --- | --- |
| `smtp_url` | `smtp://`, `smtps://` or `smtp+starttls://host:port` | the IMAP host:587, STARTTLS |
| `username` | login name on both servers | the handle |
| `mailbox` | the folder to read | INBOX |
| `sent_mailbox` | a folder the server files sent mail in, also searched by `find_sent` | none |
| `page_size` | messages per fetch | 50 |

The cursor is the last UID read, guarded by the mailbox's UIDVALIDITY: when the server
renumbers the mailbox, reading starts over and ingest drops what is already stored.

`listen` keeps one more connection idling on the mailbox (IMAP IDLE, RFC 2177, idle.py)
and wakes `inbox` each time the server says a message arrived.

Every message is sent with the account's own address as a second envelope recipient (never
in a header: the customer sees nothing), in the same SMTP transaction, so the server takes
the message for both or for neither. Its copy in the account's mailbox is how `find_sent`
tells, after an interrupted send, whether the message went out; read back by `fetch`, the
copy is the brand's outgoing message with the same Message-ID, which ingest keeps once.

SMTP failures say whether the message may have gone: before the server answered DATA with
354 nothing was handed over (`NotReached`, or `PayloadInvalid` for a permanent refusal);
from then on a failure is ambiguous (`PlatformUnavailable`) and the outbox looks first.
"""

from __future__ import annotations

import asyncio
import imaplib
import json
import logging
import re
import smtplib
import ssl
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any, ClassVar, Final, Protocol
from urllib.parse import urlsplit

import httpx

from adapters.base import (
    AccountRef,
    AccountSetting,
    Adapter,
    AdapterError,
    AuthExpired,
    FetchedItem,
    FetchResult,
    Kind,
    LengthRule,
    NotReached,
    OutboundRequest,
    PayloadInvalid,
    PlatformUnavailable,
    SentRef,
)
from adapters.email import mapping
from adapters.email.idle import IdleClient, MailboxWatch
from adapters.email.payloads import MailMessage, reply_message

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE: Final = 50
MAX_FETCHED_BYTES: Final = 256 * 1024
"""Bytes of each message fetched: text parts come first in practice; big attachments are cut off."""
TIMEOUT_S: Final = 30.0
_FETCH_HEADER: Final = re.compile(rb"UID (\d+)")
_INTERNALDATE: Final = re.compile(rb'INTERNALDATE "[^"]+"')
_SEARCHABLE_MESSAGE_ID: Final = re.compile(r"<[^<>\s\"\\]{1,250}>")
_MONTHS: Final = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_ACCEPTED: Final = frozenset({250, 251})


class ImapClient(IdleClient, Protocol):
    """The part of `imaplib.IMAP4` the adapter uses, so tests can hand in a fake."""

    def login(self, user: str, password: str) -> Any: ...
    def select(self, mailbox: str = ..., readonly: bool = ...) -> Any: ...
    def response(self, code: str) -> Any: ...
    def uid(self, command: str, *args: Any) -> Any: ...
    def logout(self) -> Any: ...
    def capability(self) -> Any: ...


class SmtpClient(Protocol):
    """The part of `smtplib.SMTP` the adapter uses: one transaction, a command at a time."""

    def ehlo_or_helo_if_needed(self) -> Any: ...
    def has_extn(self, name: str) -> bool: ...
    def login(self, user: str, password: str) -> Any: ...
    def mail(self, sender: str, options: Any = ...) -> tuple[int, bytes]: ...
    def rcpt(self, recipient: str, options: Any = ...) -> tuple[int, bytes]: ...
    def data(self, message: bytes) -> tuple[int, bytes]: ...
    def rset(self) -> Any: ...
    def quit(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class Server:
    """Where a server is and how to speak to it."""

    scheme: str
    host: str
    port: int


def _server(url: str, default_ports: Mapping[str, int]) -> Server:
    parts = urlsplit(url if "://" in url else f"{next(iter(default_ports))}://{url}")
    if parts.scheme not in default_ports or not parts.hostname:
        raise ValueError(
            f"{url!r} is not one of {', '.join(s + '://host:port' for s in default_ports)}"
        )
    return Server(parts.scheme, parts.hostname, parts.port or default_ports[parts.scheme])


def _default_imap(server: Server) -> ImapClient:
    if server.scheme == "imaps":
        return imaplib.IMAP4_SSL(
            server.host, server.port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT_S
        )
    return imaplib.IMAP4(server.host, server.port, timeout=TIMEOUT_S)


def _default_smtp(server: Server) -> SmtpClient:
    if server.scheme == "smtps":
        return smtplib.SMTP_SSL(
            server.host, server.port, timeout=TIMEOUT_S, context=ssl.create_default_context()
        )
    client = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_S)
    if server.scheme == "smtp+starttls":
        client.starttls(context=ssl.create_default_context())
    return client


def _utc_now() -> datetime:
    return datetime.now(UTC)


class EmailAdapter(Adapter):
    """A support mailbox: every message a DM thread keyed by its References chain."""

    platform = "email"
    display_name = "Email"
    streams: ClassVar[tuple[str, ...]] = ("inbox",)
    pushes = frozenset({"inbox"})
    kinds = frozenset({Kind.DM})
    can_reply = True
    can_dm = True
    text_limit = None
    length_rule = LengthRule.NONE
    poll_interval_seconds = 60.0
    finds_sent = frozenset(Kind)
    """Whatever kind it is, a sent message is found by its Message-ID (`find_sent`)."""
    credential_fields = ("password",)
    settings_fields = (
        AccountSetting(
            "smtp_url",
            "smtp://, smtps:// or smtp+starttls://host:port",
            default="the IMAP host:587, STARTTLS",
        ),
        AccountSetting("username", "login name on both servers", default="the address"),
        AccountSetting("mailbox", "the folder to read", default="INBOX"),
        AccountSetting("sent_mailbox", "a folder the server files sent mail in (find_sent)"),
        AccountSetting("page_size", "messages per fetch", default=DEFAULT_PAGE_SIZE, kind=int),
    )

    def __init__(
        self,
        account: AccountRef,
        client: httpx.AsyncClient | None,
        credential: Mapping[str, str] | None = None,
        *,
        on_credential_refreshed: Callable[[Mapping[str, str]], None] | None = None,
        clock: Callable[[], datetime] | None = None,
        imap_factory: Callable[[Server], ImapClient] | None = None,
        smtp_factory: Callable[[Server], SmtpClient] | None = None,
    ) -> None:
        super().__init__(
            account, client, credential, on_credential_refreshed=on_credential_refreshed
        )
        password = (credential or {}).get("password")
        if not password:
            raise ValueError(f"no email password is stored for {account.handle}")
        self._password = password
        self._clock = clock or _utc_now
        settings = account.settings
        self.address = account.handle.lower()
        self.username = str(settings.get("username") or account.handle)
        self.mailbox = str(settings.get("mailbox") or "INBOX")
        self.sent_mailbox = str(settings.get("sent_mailbox") or "") or None
        self.imap_server = _server(
            account.base_url or f"imap://{self.address.rsplit('@', 1)[-1]}",
            {"imap": 143, "imaps": 993},
        )
        smtp_url = settings.get("smtp_url") or f"smtp+starttls://{self.imap_server.host}:587"
        self.smtp_server = _server(str(smtp_url), {"smtp": 25, "smtps": 465, "smtp+starttls": 587})
        self._page_size = max(1, int(settings.get("page_size", DEFAULT_PAGE_SIZE)))
        self._imap_factory = imap_factory or _default_imap
        self._smtp_factory = smtp_factory or _default_smtp

    def __repr__(self) -> str:
        return (
            f"EmailAdapter(address={self.address!r}, imap={self.imap_server!r}, "
            f"smtp={self.smtp_server!r})"
        )

    async def verify(self) -> str:
        """Log in to IMAP and SMTP and say which mailbox this is; `AuthExpired` when refused."""
        await asyncio.to_thread(self._with_imap, lambda imap: None)
        await asyncio.to_thread(lambda: _quit(self._open_smtp()))
        return f"{self.address} ({self.mailbox} on {self.imap_server.host})"

    async def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        """Messages after the cursor's UID, oldest first, a page at a time."""
        if stream != "inbox":
            raise ValueError(f"email has no stream {stream!r}")
        return await asyncio.to_thread(self._with_imap, lambda imap: self._fetch_page(imap, cursor))

    async def send(self, request: OutboundRequest) -> SentRef:
        """Send a reply (In-Reply-To and References from the stored original) or a new message
        (an incident update: `request.subject`, and `List-Unsubscribe` from `request.unsubscribe`).

        The account's own address is an extra envelope recipient, so the mailbox keeps a
        copy `find_sent` can look for; the headers name the customer alone. `fetch` skips
        the copies of updates (the brand's own mail with `List-Unsubscribe`).
        """
        if not request.text.strip():
            raise PayloadInvalid("refusing to send an empty email")
        original = None
        if request.in_reply_to is not None:
            in_reply_to = request.in_reply_to
            try:
                found = await asyncio.to_thread(
                    self._with_imap, lambda imap: self._find_by_message_id(imap, in_reply_to)
                )
            except PlatformUnavailable as error:
                raise NotReached(f"nothing was sent: {error}") from None
            original = found[0] if found is not None else None
        recipient = request.recipient.external_id if request.recipient is not None else None
        if original is not None:
            recipient = original.reply_to_address or original.from_address or recipient
        if not recipient or "@" not in recipient:
            raise PayloadInvalid(
                "an email needs a recipient address, and the original was not found"
            )
        references: tuple[str, ...] = ()
        if original is not None:
            chain = original.references or ((original.in_reply_to,) if original.in_reply_to else ())
            references = (*chain, *((original.message_id,) if original.message_id else ()))
        elif request.in_reply_to is not None:
            references = tuple(
                dict.fromkeys(key for key in (request.thread_key, request.in_reply_to) if key)
            )
        message_id = mapping.outgoing_message_id(request.idempotency_key, self.address)
        now = self._clock()
        if request.subject is not None and request.in_reply_to is None:
            subject = request.subject
        else:
            subject = mapping.reply_subject(original.subject if original is not None else "")
        message = reply_message(
            sender=self.address,
            recipient=recipient,
            subject=subject,
            text=request.text,
            message_id=message_id,
            in_reply_to=request.in_reply_to,
            references=tuple(dict.fromkeys(references)),
            date=now,
            list_unsubscribe=mapping.unsubscribe_links(request.unsubscribe, self.address),
        )
        envelope = tuple(dict.fromkeys((recipient, self.address)))
        await asyncio.to_thread(self._send_mail, message, envelope)
        return SentRef(external_id=message_id, sent_at=now)

    async def find_sent(self, request: OutboundRequest, since: datetime) -> SentRef | None:
        """The copy of `request` an earlier `send` left in the account's mailbox, or None.

        Looked for by its Message-ID (the same for every attempt) in the mailbox read, INBOX
        (where the envelope copy lands) and `sent_mailbox`, among mail that arrived since the
        day before `since`; a match must carry exactly that id.
        """
        message_id = mapping.outgoing_message_id(request.idempotency_key, self.address)
        folders = [self.mailbox, "INBOX", *([self.sent_mailbox] if self.sent_mailbox else [])]

        def look(imap: ImapClient) -> SentRef | None:
            for folder in dict.fromkeys(folders):
                found = self._find_by_message_id(imap, message_id, folder, since=since)
                if found is not None:
                    copy, received_at = found
                    return SentRef(external_id=message_id, sent_at=copy.date or received_at)
            return None

        return await asyncio.to_thread(self._with_imap, look)

    async def listen(self) -> AsyncIterator[str]:
        """Yield `inbox` each time the server says a message arrived (IMAP IDLE, idle.py).

        Once the server idles it yields `inbox` once: what arrived while nothing listened
        is fetched then. A dropped connection, or a server that stops answering, raises
        `PlatformUnavailable`. On cancel the round is ended with `DONE` and the connection
        logged out.
        """
        loop = asyncio.get_running_loop()
        news: asyncio.Queue[str] = asyncio.Queue()
        stop = threading.Event()
        idling = threading.Event()

        def on_idling() -> None:
            if not idling.is_set():
                idling.set()
                loop.call_soon_threadsafe(news.put_nowait, "inbox")

        def on_news() -> None:
            loop.call_soon_threadsafe(news.put_nowait, "inbox")

        imap = await asyncio.to_thread(self._watching_imap)
        watch = MailboxWatch(imap, read_timeout=TIMEOUT_S)
        idle_round: asyncio.Future[None] | None = None
        try:
            while True:
                idle_round = asyncio.ensure_future(
                    asyncio.to_thread(_imap_mapped, watch.idle, on_idling, on_news, stop)
                )
                while not idle_round.done():
                    waiting = asyncio.ensure_future(news.get())
                    await asyncio.wait({waiting, idle_round}, return_when=asyncio.FIRST_COMPLETED)
                    if waiting.done():
                        yield waiting.result()
                    else:
                        waiting.cancel()
                idle_round.result()
        finally:
            stop.set()
            if idle_round is not None:
                await asyncio.gather(idle_round, return_exceptions=True)
            await asyncio.to_thread(_log_out, imap)

    # -- in the worker thread -------------------------------------------------------------

    def _watching_imap(self) -> ImapClient:
        """A connection for `listen`: logged in, the mailbox selected, IDLE offered."""
        imap = self._logged_in_imap()
        try:
            status, data = imap.capability()
            offered = b" ".join(part for part in data or [] if isinstance(part, bytes)).upper()
            if status != "OK" or b"IDLE" not in offered.split():
                raise PlatformUnavailable(
                    f"the IMAP server at {self.imap_server.host} does not offer IDLE"
                )
            self._select(imap)
        except (imaplib.IMAP4.error, OSError) as error:
            _log_out(imap)
            raise _imap_failure(error) from None
        except BaseException:
            _log_out(imap)
            raise
        return imap

    def _logged_in_imap(self) -> ImapClient:
        try:
            imap = self._imap_factory(self.imap_server)
        except (OSError, imaplib.IMAP4.error) as error:
            raise NotReached(
                f"cannot reach IMAP at {self.imap_server.host}: {type(error).__name__}"
            ) from None
        try:
            imap.login(self.username, self._password)
        except (OSError, imaplib.IMAP4.abort):
            _log_out(imap)
            raise NotReached(f"IMAP at {self.imap_server.host} dropped the login") from None
        except imaplib.IMAP4.error:
            _log_out(imap)
            raise AuthExpired(f"the IMAP server refused the login of {self.username}") from None
        return imap

    def _with_imap(self, work: Callable[[ImapClient], Any]) -> Any:
        imap = self._logged_in_imap()
        try:
            return work(imap)
        except (imaplib.IMAP4.error, OSError) as error:
            raise _imap_failure(error) from None
        finally:
            _log_out(imap)

    def _open_smtp(self) -> SmtpClient:
        """A connection, logged in when the server offers AUTH; nothing has been sent on it.

        `NotReached` when it cannot be had, `AuthExpired` when the server refuses the login.
        """
        host = self.smtp_server.host
        try:
            smtp = self._smtp_factory(self.smtp_server)
        except (OSError, smtplib.SMTPException) as error:
            raise NotReached(f"cannot reach SMTP at {host}: {type(error).__name__}") from None
        try:
            smtp.ehlo_or_helo_if_needed()
            if smtp.has_extn("auth"):
                smtp.login(self.username, self._password)
        except smtplib.SMTPAuthenticationError as error:
            _quit(smtp)
            if error.smtp_code >= 500:
                raise AuthExpired(
                    f"the SMTP server refused the login of {self.username} ({error.smtp_code})"
                ) from None
            raise NotReached(f"SMTP at {host} cannot log in now ({error.smtp_code})") from None
        except (OSError, smtplib.SMTPException) as error:
            _quit(smtp)
            raise NotReached(
                f"SMTP at {host} failed before sending: {type(error).__name__}"
            ) from None
        return smtp

    def _send_mail(self, message: EmailMessage, recipients: tuple[str, ...]) -> None:
        smtp = self._open_smtp()
        try:
            _transmit(smtp, message, self.address, recipients)
        finally:
            _quit(smtp)

    def _select(self, imap: ImapClient, mailbox: str | None = None) -> int:
        mailbox = mailbox or self.mailbox
        status, _ = imap.select(_quoted(mailbox), readonly=True)
        if status != "OK":
            raise PlatformUnavailable(f"the IMAP server would not open {mailbox}")
        _, values = imap.response("UIDVALIDITY")
        try:
            return int(values[0])
        except (TypeError, ValueError, IndexError):
            raise PayloadInvalid("the IMAP server sent no UIDVALIDITY for the mailbox") from None

    def _fetch_page(self, imap: ImapClient, cursor: str | None) -> FetchResult:
        uid_validity = self._select(imap)
        last_uid = _last_uid(cursor, uid_validity)
        status, data = imap.uid("SEARCH", None, f"UID {last_uid + 1}:*")
        if status != "OK":
            raise PlatformUnavailable("the IMAP server refused the UID search")
        uids = sorted(
            uid
            for uid in (int(token) for token in b" ".join(data or [b""]).split())
            if uid > last_uid
        )
        page, has_more = uids[: self._page_size], len(uids) > self._page_size
        items: list[FetchedItem] = []
        if page:
            items = self._read(imap, page, uid_validity)
            last_uid = page[-1]
        next_cursor = json.dumps(
            {"uidvalidity": uid_validity, "uid": last_uid}, separators=(",", ":")
        )
        return FetchResult(items=tuple(items), next_cursor=next_cursor, has_more=has_more)

    def _read(self, imap: ImapClient, uids: list[int], uid_validity: int) -> list[FetchedItem]:
        status, data = imap.uid(
            "FETCH",
            ",".join(map(str, uids)),
            f"(UID INTERNALDATE BODY.PEEK[]<0.{MAX_FETCHED_BYTES}>)",
        )
        if status != "OK":
            raise PlatformUnavailable("the IMAP server refused to fetch messages")
        items = []
        for entry in data or []:
            if not isinstance(entry, tuple) or len(entry) < 2:
                continue
            header, body = entry[0], entry[1]
            uid_match = _FETCH_HEADER.search(header)
            if uid_match is None:
                continue
            fallback_id = f"<uid-{uid_validity}-{int(uid_match.group(1))}@{self.imap_server.host}>"
            try:
                message = MailMessage.parse(body)
                if message.mailing and message.from_address == self.address:
                    continue  # the copy of an update mailed to subscribers: not a conversation
                items.append(
                    mapping.mail_item(
                        message,
                        fallback_id=fallback_id,
                        account_address=self.address,
                        received_at=_internal_date(header),
                    )
                )
            except Exception as error:  # noqa: BLE001 - one unreadable message must not stop the mailbox
                log.warning(
                    "skipped unreadable email %s of account %s (%s): %s",
                    fallback_id,
                    self.account.id,
                    self.account.handle,
                    type(error).__name__,
                )
        return items

    def _find_by_message_id(
        self,
        imap: ImapClient,
        message_id: str,
        mailbox: str | None = None,
        *,
        since: datetime | None = None,
    ) -> tuple[MailMessage, datetime | None] | None:
        """The headers and arrival time of the message with exactly this Message-ID, or None."""
        if not _SEARCHABLE_MESSAGE_ID.fullmatch(message_id):
            return None
        self._select(imap, mailbox)
        criteria = ["HEADER", "Message-ID", f'"{message_id}"']
        if since is not None:
            criteria += ["SINCE", _imap_date(since - timedelta(days=1))]
        status, data = imap.uid("SEARCH", None, *criteria)
        if status != "OK":
            raise PlatformUnavailable("the IMAP server refused the Message-ID search")
        uids = b" ".join(data or [b""]).split()
        if not uids:
            return None
        status, data = imap.uid(
            "FETCH", b",".join(uids).decode(), "(UID INTERNALDATE BODY.PEEK[HEADER])"
        )
        if status != "OK":
            raise PlatformUnavailable("the IMAP server refused to fetch message headers")
        for entry in reversed(data or []):
            if isinstance(entry, tuple) and len(entry) >= 2:
                message = MailMessage.parse(entry[1])
                if message.message_id == message_id:
                    return message, _internal_date(entry[0])
        return None


def _transmit(
    smtp: SmtpClient, message: EmailMessage, sender: str, recipients: Iterable[str]
) -> None:
    """MAIL, RCPT for every recipient, DATA: taken for all recipients, or none sent.

    Until the server answers DATA with 354 nothing is handed over; after that, a failure
    or a refusal leaves it unknown whether the message was delivered.
    """
    recipients = tuple(recipients)
    international = not all(address.isascii() for address in (sender, *recipients))
    try:
        if international and not smtp.has_extn("smtputf8"):
            raise PayloadInvalid("the SMTP server cannot take a non-ASCII address (no SMTPUTF8)")
        options = ["SMTPUTF8", "BODY=8BITMIME"] if international else []
        code, _ = smtp.mail(sender, options)
        if code != 250:
            raise _refused(smtp, code, "the sender address")
        for address in recipients:
            code, _ = smtp.rcpt(address)
            if code not in _ACCEPTED:
                whose = "the account's own address" if address == sender else "the recipient"
                raise _refused(smtp, code, whose)
    except (OSError, smtplib.SMTPException) as error:
        raise NotReached(
            f"SMTP failed before the message was sent: {type(error).__name__}"
        ) from None
    content = message.as_bytes(policy=message.policy.clone(utf8=international))
    try:
        code, _ = smtp.data(content)
    except smtplib.SMTPDataError as error:
        raise _refused(smtp, error.smtp_code, "the message") from None
    except (OSError, smtplib.SMTPException) as error:
        raise PlatformUnavailable(
            f"the SMTP connection failed during the message ({type(error).__name__}); "
            "it may have been delivered"
        ) from None
    if code != 250:
        raise PlatformUnavailable(
            f"the SMTP server answered {code} after the message; it may have been delivered"
        )


def _refused(smtp: SmtpClient, code: int, what: str) -> AdapterError:
    """A refusal before the message was handed over: permanent (5xx) or for now."""
    try:
        smtp.rset()
    except (OSError, smtplib.SMTPException):
        pass
    if 500 <= code < 600:
        return PayloadInvalid(f"the SMTP server refused {what} ({code})")
    return NotReached(f"the SMTP server turned {what} away for now ({code}); nothing was sent")


def _quit(smtp: SmtpClient) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        pass


def _imap_date(moment: datetime) -> str:
    """An IMAP SEARCH date (`1-Mar-2026`), in English whatever the locale."""
    day = moment.astimezone(UTC)
    return f"{day.day}-{_MONTHS[day.month - 1]}-{day.year}"


def _last_uid(cursor: str | None, uid_validity: int) -> int:
    """The last UID read, or 0 when there is none or the mailbox was renumbered since."""
    if cursor is None:
        return 0
    try:
        state = json.loads(cursor)
        if int(state["uidvalidity"]) != uid_validity:
            log.warning("the mailbox UIDVALIDITY changed; reading it again from the start")
            return 0
        return int(state["uid"])
    except (ValueError, KeyError, TypeError):
        log.warning("the stored email cursor is unreadable; reading the mailbox from the start")
        return 0


def _internal_date(header: bytes) -> datetime | None:
    match = _INTERNALDATE.search(header)
    if match is None:
        return None
    try:
        parsed = imaplib.Internaldate2tuple(match.group(0))
        if parsed is None:
            return None
        return datetime.fromtimestamp(time.mktime(parsed), UTC)
    except (ValueError, KeyError, OverflowError, OSError):
        return None


def _imap_failure(error: imaplib.IMAP4.error | OSError) -> AdapterError:
    """The adapter error an imaplib or socket failure during a command stands for."""
    if isinstance(error, imaplib.IMAP4.abort):
        return PlatformUnavailable(f"IMAP connection lost: {type(error).__name__}")
    if isinstance(error, imaplib.IMAP4.error):
        return PlatformUnavailable(f"IMAP refused a command ({_response_code(error)})")
    return PlatformUnavailable(f"IMAP connection failed: {type(error).__name__}")


def _imap_mapped(work: Callable[..., Any], *args: Any) -> Any:
    """`work(*args)`, its imaplib and socket failures as adapter errors (in a worker thread)."""
    try:
        return work(*args)
    except (imaplib.IMAP4.error, OSError) as error:
        raise _imap_failure(error) from None


def _log_out(imap: ImapClient) -> None:
    """Log out, quietly: the connection may already be gone."""
    try:
        imap.logout()
    except (OSError, imaplib.IMAP4.error):
        pass


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _response_code(error: Exception) -> str:
    """The bracketed RFC 5530 response code of an IMAP error, never its human text."""
    match = re.search(r"\[([A-Z-]+)", str(error))
    return match.group(1) if match else type(error).__name__
