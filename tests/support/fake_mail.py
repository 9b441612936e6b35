"""In-memory stand-ins for `imaplib.IMAP4` and `smtplib.SMTP`, fed by tests/data/email.

They answer the few commands the email adapter sends, the way imaplib and smtplib
return them, and remember what was sent. The real servers are tested in
tests/servers/test_email_servers.py.
"""

from __future__ import annotations

import email
import email.policy
import imaplib
import re
import smtplib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data" / "email"
PASSWORD = "support-secret-pass"
FIXTURES = ("multipart.eml", "html_only.eml", "attachments.eml", "hostile_headers.eml")


def fixture_bytes(name: str) -> bytes:
    """One .eml file under tests/data/email."""
    return (DATA / name).read_bytes()


@dataclass
class FakeMailbox:
    """A mailbox (UID → message bytes), its UIDVALIDITY, and the mail sent through SMTP."""

    messages: dict[int, bytes] = field(
        default_factory=lambda: {i + 1: fixture_bytes(n) for i, n in enumerate(FIXTURES)}
    )
    uid_validity: int = 1700000000
    refuse_login: bool = False
    sent: list[Any] = field(default_factory=list)
    envelopes: list[tuple[str, ...]] = field(default_factory=list)
    commands: list[tuple] = field(default_factory=list)

    def imap(self, server: Any) -> FakeImap:
        """An IMAP connection factory for the adapter's `imap_factory`."""
        return FakeImap(self)

    def smtp(self, server: Any) -> FakeSmtp:
        """An SMTP connection factory for the adapter's `smtp_factory`."""
        return FakeSmtp(self)


class FakeImap:
    """The commands of imaplib.IMAP4 the adapter uses, with imaplib's return shapes."""

    def __init__(self, mailbox: FakeMailbox) -> None:
        self.mailbox = mailbox

    def login(self, user: str, password: str) -> tuple[str, list[bytes]]:
        self.mailbox.commands.append(("LOGIN", user))
        if self.mailbox.refuse_login or password != PASSWORD:
            raise imaplib.IMAP4.error(b"[AUTHENTICATIONFAILED] Authentication failed.")
        return "OK", [b"Logged in"]

    def select(self, mailbox: str = "INBOX", readonly: bool = False) -> tuple[str, list[bytes]]:
        self.mailbox.commands.append(("SELECT", mailbox, readonly))
        return "OK", [str(len(self.mailbox.messages)).encode()]

    def response(self, code: str) -> tuple[str, list[bytes]]:
        return code, [str(self.mailbox.uid_validity).encode()] if code == "UIDVALIDITY" else [None]

    def uid(self, command: str, *args: Any) -> tuple[str, list[Any]]:
        self.mailbox.commands.append(("UID", command, *args))
        if command == "SEARCH" and args[1].startswith("UID "):
            start = int(args[1].split()[1].split(":")[0])
            uids = [uid for uid in sorted(self.mailbox.messages) if uid >= start] or sorted(
                self.mailbox.messages
            )[-1:]
            return "OK", [" ".join(map(str, uids)).encode()]
        if command == "SEARCH" and args[1] == "HEADER":
            wanted = args[3].strip('"')
            uids = [
                uid for uid, raw in self.mailbox.messages.items()
                if email.message_from_bytes(raw).get("Message-ID", "").strip() == wanted
            ]  # fmt: skip
            return "OK", [" ".join(map(str, uids)).encode()]
        if command == "FETCH":
            answer: list[Any] = []
            for uid in (int(token) for token in args[0].split(",")):
                raw = self.mailbox.messages[uid]
                if "HEADER" in args[1]:
                    raw = (
                        raw.split(b"\r\n\r\n", 1)[0]
                        if b"\r\n\r\n" in raw
                        else raw.split(b"\n\n", 1)[0]
                    )
                limit = re.search(r"<0\.(\d+)>", args[1])
                raw = raw[: int(limit.group(1))] if limit else raw
                header = (
                    f'{uid} (UID {uid} INTERNALDATE "01-Mar-2026 12:00:00 +0000" '
                    f"BODY[] {{{len(raw)}}}"
                )
                answer += [(header.encode(), raw), b")"]
            return "OK", answer
        raise AssertionError(f"the fake IMAP server does not know UID {command} {args}")

    def logout(self) -> tuple[str, list[bytes]]:
        return "BYE", [b"Logging out"]


class FakeSmtp:
    """The commands of smtplib.SMTP the adapter uses; each message's envelope recipients
    go to `mailbox.envelopes`, the message itself (parsed) to `mailbox.sent`."""

    def __init__(self, mailbox: FakeMailbox) -> None:
        self.mailbox = mailbox
        self.recipients: list[str] = []

    def ehlo_or_helo_if_needed(self) -> None:
        pass

    def has_extn(self, name: str) -> bool:
        return name.lower() == "auth"

    def login(self, user: str, password: str) -> None:
        if password != PASSWORD:
            raise smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication failed")

    def mail(self, sender: str, options: Any = ()) -> tuple[int, bytes]:
        self.recipients = []
        return 250, b"2.1.0 Ok"

    def rcpt(self, recipient: str, options: Any = ()) -> tuple[int, bytes]:
        self.recipients.append(recipient)
        return 250, b"2.1.5 Ok"

    def data(self, message: bytes) -> tuple[int, bytes]:
        self.mailbox.sent.append(email.message_from_bytes(message, policy=email.policy.default))
        self.mailbox.envelopes.append(tuple(self.recipients))
        return 250, b"2.0.0 Ok"

    def rset(self) -> None:
        self.recipients = []

    def quit(self) -> None:
        pass
