"""The email adapter in the contract suite, over an in-memory mailbox of tests/data/email."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.base import AccountRef, Adapter
from adapters.email.adapter import EmailAdapter
from tests.support.contract import Harness
from tests.support.fake_mail import PASSWORD, FakeMailbox

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def build(extra: dict) -> Adapter:
    """An email adapter reading two messages per page; `refuse_login` makes IMAP refuse it."""
    mailbox = FakeMailbox(refuse_login=bool(extra.get("refuse_login")))
    account = AccountRef(
        id=1, platform="email", handle="support@example.test", base_url="imap://imap.example.test:143",
        settings={"page_size": 2, "smtp_url": "smtp://smtp.example.test:25", **extra},
    )  # fmt: skip
    return EmailAdapter(
        account,
        None,
        {"password": PASSWORD},
        clock=lambda: NOW,
        imap_factory=mailbox.imap,
        smtp_factory=mailbox.smtp,
    )


HARNESS = Harness(build=build, failures={"auth_expired": {"refuse_login": True}})
