"""The email adapter: IMAP in, SMTP out, both from the standard library in a worker thread.

The account's handle is the mailbox address; `base_url` is the IMAP server
(`imap://host:port`, `imaps://host:port`; default port 143 / 993). Settings:

| key | meaning | default |
| --- | --- | --- |
| `smtp_url` | `smtp://`, `smtps://` or `smtp+starttls://host:port` | the IMAP host:587, STARTTLS |
| `username` | login name on both servers | the handle |
| `mailbox` | the folder to read | INBOX |
| `page_size` | messages per fetch | 50 |

The cursor is the last UID read, guarded by the mailbox's UIDVALIDITY: when the server
renumbers the mailbox, reading starts over and ingest drops what is already stored.
"""

from __future__ import annotations

import asyncio
import imaplib
import json
import logging
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Final, Protocol
from urllib.parse import urlsplit

import httpx

from adapters.base import (
    AccountRef,
    Adapter,
    AuthExpired,
    FetchedItem,
    FetchResult,
    Kind,
    LengthRule,
    OutboundRequest,
    PayloadInvalid,
    PlatformUnavailable,
    SentRef,
)
from adapters.email import mapping
from adapters.email.payloads import MailMessage, reply_message

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE: Final = 50
MAX_FETCHED_BYTES: Final = 256 * 1024
"""Bytes of each message fetched: text parts come first in practice; big attachments are cut off."""
TIMEOUT_S: Final = 30.0
_FETCH_HEADER: Final = re.compile(rb"UID (\d+)")
_INTERNALDATE: Final = re.compile(rb'INTERNALDATE "[^"]+"')


class ImapClient(Protocol):
    """The part of `imaplib.IMAP4` the adapter uses, so tests can hand in a fake."""

    def login(self, user: str, password: str) -> Any: ...
    def select(self, mailbox: str = ..., readonly: bool = ...) -> Any: ...
    def response(self, code: str) -> Any: ...
    def uid(self, command: str, *args: Any) -> Any: ...
    def logout(self) -> Any: ...


class SmtpClient(Protocol):
    """The part of `smtplib.SMTP` the adapter uses."""

    def login(self, user: str, password: str) -> Any: ...
    def send_message(self, message: Any) -> Any: ...
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
    kinds = frozenset({Kind.DM})
    can_reply = True
    can_dm = True
    text_limit = None
    length_rule = LengthRule.NONE
    poll_interval_seconds = 60.0
    credential_fields = ("password",)

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
        await asyncio.to_thread(self._with_smtp, lambda smtp: None)
        return f"{self.address} ({self.mailbox} on {self.imap_server.host})"

    async def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        """Messages after the cursor's UID, oldest first, a page at a time."""
        if stream != "inbox":
            raise ValueError(f"email has no stream {stream!r}")
        return await asyncio.to_thread(self._with_imap, lambda imap: self._fetch_page(imap, cursor))

    async def send(self, request: OutboundRequest) -> SentRef:
        """Send a reply (In-Reply-To and References from the stored original) or a new message."""
        if not request.text.strip():
            raise PayloadInvalid("refusing to send an empty email")
        original = None
        if request.in_reply_to is not None:
            original = await asyncio.to_thread(
                self._with_imap, lambda imap: self._find_by_message_id(imap, request.in_reply_to)
            )
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
        message = reply_message(
            sender=self.address,
            recipient=recipient,
            subject=mapping.reply_subject(original.subject if original is not None else ""),
            text=request.text,
            message_id=message_id,
            in_reply_to=request.in_reply_to,
            references=tuple(dict.fromkeys(references)),
            date=now,
        )
        await asyncio.to_thread(self._with_smtp, lambda smtp: smtp.send_message(message))
        return SentRef(external_id=message_id, sent_at=now)

    # -- in the worker thread -------------------------------------------------------------

    def _with_imap(self, work: Callable[[ImapClient], Any]) -> Any:
        try:
            imap = self._imap_factory(self.imap_server)
        except (OSError, imaplib.IMAP4.error) as error:
            raise PlatformUnavailable(
                f"cannot reach IMAP at {self.imap_server.host}: {type(error).__name__}"
            ) from None
        try:
            try:
                imap.login(self.username, self._password)
            except imaplib.IMAP4.abort:
                raise PlatformUnavailable(
                    f"IMAP at {self.imap_server.host} dropped the login"
                ) from None
            except imaplib.IMAP4.error:
                raise AuthExpired(f"the IMAP server refused the login of {self.username}") from None
            return work(imap)
        except imaplib.IMAP4.abort as error:
            raise PlatformUnavailable(f"IMAP connection lost: {type(error).__name__}") from None
        except imaplib.IMAP4.error as error:
            raise PlatformUnavailable(f"IMAP refused a command ({_response_code(error)})") from None
        except OSError as error:
            raise PlatformUnavailable(f"IMAP connection failed: {type(error).__name__}") from None
        finally:
            try:
                imap.logout()
            except (OSError, imaplib.IMAP4.error):
                pass

    def _with_smtp(self, work: Callable[[SmtpClient], Any]) -> Any:
        try:
            smtp = self._smtp_factory(self.smtp_server)
        except (OSError, smtplib.SMTPException) as error:
            raise PlatformUnavailable(
                f"cannot reach SMTP at {self.smtp_server.host}: {type(error).__name__}"
            ) from None
        try:
            if getattr(smtp, "has_extn", lambda name: True)("auth"):
                try:
                    smtp.login(self.username, self._password)
                except smtplib.SMTPAuthenticationError as error:
                    raise AuthExpired(
                        f"the SMTP server refused the login of {self.username} ({error.smtp_code})"
                    ) from None
            return work(smtp)
        except smtplib.SMTPRecipientsRefused:
            raise PayloadInvalid("the SMTP server refused the recipient") from None
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600:
                raise PayloadInvalid(
                    f"the SMTP server refused the message ({error.smtp_code})"
                ) from None
            raise PlatformUnavailable(f"the SMTP server failed ({error.smtp_code})") from None
        except (OSError, smtplib.SMTPException) as error:
            raise PlatformUnavailable(f"SMTP failed: {type(error).__name__}") from None
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass

    def _select(self, imap: ImapClient) -> int:
        status, _ = imap.select(_quoted(self.mailbox), readonly=True)
        if status != "OK":
            raise PlatformUnavailable(f"the IMAP server would not open {self.mailbox}")
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

    def _find_by_message_id(self, imap: ImapClient, message_id: str) -> MailMessage | None:
        if not re.fullmatch(r"<[^<>\s\"\\]{1,250}>", message_id):
            return None
        self._select(imap)
        status, data = imap.uid("SEARCH", None, "HEADER", "Message-ID", f'"{message_id}"')
        uids = b" ".join(data or [b""]).split() if status == "OK" else []
        if not uids:
            return None
        status, data = imap.uid("FETCH", uids[-1].decode(), "(UID BODY.PEEK[HEADER])")
        for entry in data or []:
            if isinstance(entry, tuple) and len(entry) >= 2:
                return MailMessage.parse(entry[1])
        return None


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


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _response_code(error: Exception) -> str:
    """The bracketed RFC 5530 response code of an IMAP error, never its human text."""
    match = re.search(r"\[([A-Z-]+)", str(error))
    return match.group(1) if match else type(error).__name__
