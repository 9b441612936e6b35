"""The email adapter in the contract suite, over an in-memory mailbox of tests/data/email."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.base import AccountRef, Adapter
from adapters.email.adapter import EmailAdapter
from tests.support.contract import Harness
from tests.support.fake_mail import PASSWORD, FakeMailbox, fixture_bytes

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RICH_FIXTURES = (
    "html_links.eml",
    "forwarded_with_attachment.eml",
    "raw_utf8_headers.eml",
    "attachments.eml",
)
"""Mail with links whose text is not their target, attached files and a forwarded mail."""


def build(extra: dict) -> Adapter:
    """An email adapter reading two messages per page; `refuse_login` makes IMAP refuse it,
    `rich` fills the mailbox with `RICH_FIXTURES` instead of the plain mail."""
    settings = dict(extra)
    rich = settings.pop("rich", False)
    mailbox = FakeMailbox(refuse_login=bool(settings.get("refuse_login")))
    if rich:
        mailbox.messages = {uid: fixture_bytes(name) for uid, name in enumerate(RICH_FIXTURES, 1)}
    account = AccountRef(
        id=1, platform="email", handle="support@example.test", base_url="imap://imap.example.test:143",
        settings={"page_size": 2, "smtp_url": "smtp://smtp.example.test:25", **settings},
    )  # fmt: skip
    return EmailAdapter(
        account,
        None,
        {"password": PASSWORD},
        clock=lambda: NOW,
        imap_factory=mailbox.imap,
        smtp_factory=mailbox.smtp,
    )


HARNESS = Harness(
    build=build,
    failures={"auth_expired": {"refuse_login": True}},
    rich_posts={"rich": True},
    rich_links=frozenset(
        {
            "http://service.exmail.example/cgi-bin/help?subtype=1&no=1001023&id=23",
            "https://service.exmail.example/cgi-bin/help?subtype=1&no=1001307&id=20078",
            "https://exmail.example/promo",
        }
    ),
)
