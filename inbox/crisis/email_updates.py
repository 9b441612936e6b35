"""Incident updates by email: each public statement mailed to every active subscriber.

The mails leave through the outbox like every other message: one `email_update` row per
subscriber (`outbound.recipient` is the address), sent by the email adapter as a new
message with `List-Unsubscribe` headers, exactly once (its Message-ID comes from the row's
idempotency key, so an interrupted send is looked up in the brand's mailbox, as replies
are). The rows are queued in batches in the statement's transaction; the sender's
concurrency spreads them out.

Which account sends them: the first enabled email account (the lowest id). A team with
several email accounts sees in the statement form and the CLI preview which one that is.

Approval follows the statement: the mails wait for a lead exactly when the statement's
posts do, and approving the statement lets them go together (`outbox.queue.approve`).

The `List-Unsubscribe` mailto asks the subscriber's mail program to send the brand a mail
whose subject is "unsubscribe TOKEN"; `unsubscribe_by_mail` finds such mails as they land
and unsubscribes the token's holder, closing the thread the mail opened.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, func, insert, select

from inbox import events
from inbox.core.access import Actor
from inbox.core.database import write_transaction
from inbox.core.errors import NotFound
from inbox.core.models import Account, Item, Outbound, OutboundStatus, Role, Thread, ThreadStatus
from inbox.core.plurals import counted
from inbox.outbox.drafts import Author, OutboundKind, unsubscribe_subject
from inbox.outbox.targets import style_platform
from inbox.store.subscribers import active_count, active_recipients, unsubscribe
from inbox.triage.changes import close

_account = Account.__table__
_outbound = Outbound.__table__
_item = Item.__table__
_thread = Thread.__table__

UNSUBSCRIBE_DESK = Actor(handle="inbox", role=Role.ADMIN, agent_id=None)
"""Who unsubscribes people who asked by mail, and closes the threads their mails opened."""

RECENT_ITEMS_ON_START = 10_000
"""How many of the newest items a process looks through for unsubscribe mails when it starts."""

BATCH = 1_000
"""Rows inserted per statement when a mailing is queued."""


@dataclass(frozen=True, slots=True)
class MailAccount:
    """The account subscriber mails leave from."""

    id: int
    handle: str
    platform: str


@dataclass(frozen=True, slots=True)
class EmailAudience:
    """Who a statement reaches by email: the active subscribers and the account mailing them."""

    subscribers: int
    account: MailAccount | None
    email_accounts: int
    """How many enabled email accounts there are (the first one mails)."""

    @property
    def reachable(self) -> bool:
        """Whether anyone would get a mail."""
        return self.subscribers > 0 and self.account is not None

    def describe(self) -> str:
        """Where the mails go, in words: "3 subscribers by email through support@brand.com"."""
        if not self.subscribers:
            return "no subscribers"
        if self.account is None:
            return (
                f"{counted(self.subscribers, 'subscriber')}, but no email account is "
                "connected to mail them"
            )
        through = (
            f"{counted(self.subscribers, 'subscriber')} by email through {self.account.handle}"
        )
        if self.email_accounts > 1:
            through += f" (the first of {self.email_accounts} email accounts)"
        return through


def mail_accounts(connection: Connection) -> list[MailAccount]:
    """The enabled email accounts, the one that mails subscribers first."""
    rows = connection.execute(
        select(_account.c.id, _account.c.handle, _account.c.platform)
        .where(_account.c.enabled.is_(True))
        .order_by(_account.c.id)
    ).all()
    return [
        MailAccount(row.id, row.handle, row.platform)
        for row in rows
        if style_platform(row.platform) == "email"
    ]


def email_audience(connection: Connection) -> EmailAudience:
    """The active subscribers and the account their mails would leave from."""
    accounts = mail_accounts(connection)
    return EmailAudience(
        subscribers=active_count(connection),
        account=accounts[0] if accounts else None,
        email_accounts=len(accounts),
    )


def mail_body(
    text: str, *, brand_address: str, token: str, status_page_url: str | None = None
) -> str:
    """One subscriber's mail: the statement, the status page link, and how to unsubscribe."""
    parts = [text.strip()]
    if status_page_url:
        parts.append(f"Status page: {status_page_url}")
    parts.append(
        "--\n"
        "You get these updates because you subscribed to them.\n"
        f"To stop them, send a mail to {brand_address} with the subject "
        f'"{unsubscribe_subject(token)}".'
    )
    return "\n\n".join(parts) + "\n"


def queue_subscriber_mails(
    connection: Connection,
    *,
    account: MailAccount,
    text: str,
    rendered_text: str,
    campaign_id: int,
    author: Author,
    now: datetime,
    waits: bool,
    status_page_url: str | None = None,
) -> int:
    """Queue one mail per active subscriber in `campaign_id`; how many were queued.

    Call it inside `write_transaction`: every row lands, or none. `waits` holds them for a
    lead's approval, as the statement's own posts are held.
    """
    status = OutboundStatus.AWAITING_APPROVAL if waits else OutboundStatus.QUEUED
    queued = 0
    for batch in _batches(active_recipients(connection), BATCH):
        connection.execute(
            insert(_outbound),
            [
                {
                    "account_id": account.id,
                    "thread_id": None,
                    "kind": str(OutboundKind.EMAIL_UPDATE),
                    "in_reply_to": None,
                    "text": text,
                    "rendered_text": mail_body(
                        rendered_text,
                        brand_address=account.handle,
                        token=token,
                        status_page_url=status_page_url,
                    ),
                    "status": str(status),
                    "idempotency_key": uuid.uuid4().hex,
                    "attempts": 0,
                    "campaign_id": campaign_id,
                    "created_by": author.agent_id,
                    "approved_by": None if waits else author.agent_id,
                    "created_at": now,
                    "updated_at": now,
                    "recipient": address,
                }
                for address, token in batch
            ],
        )
        queued += len(batch)
    if queued:
        events.record(
            connection,
            events.SubscriberMailsQueued(
                campaign_id=campaign_id,
                account_id=account.id,
                mails=queued,
                awaiting_approval=waits,
            ),
            at=now,
            actor=author.handle,
        )
    return queued


def _batches(rows: list[tuple[str, str]], size: int) -> Iterator[list[tuple[str, str]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def unsubscribe_by_mail(engine: Engine, now: datetime, after_item_id: int | None) -> int:
    """Unsubscribe the holders of the tokens in unsubscribe mails that landed after
    `after_item_id` (None: among the newest `RECENT_ITEMS_ON_START`), closing the threads
    those mails opened; returns the id to look after next time.

    A mail whose token nobody holds is left as it is: a person reads it.
    """
    with engine.connect() as connection:
        newest = connection.execute(select(func.max(_item.c.id))).scalar() or 0
    start = max(newest - RECENT_ITEMS_ON_START, 0) if after_item_id is None else after_item_id
    prefix = unsubscribe_subject("")
    with write_transaction(engine) as connection:
        asks = connection.execute(
            select(_item.c.text, _item.c.thread_id)
            .join(_thread, _thread.c.id == _item.c.thread_id)
            .where(
                _item.c.id > start,
                _item.c.id <= newest,
                _item.c.direction == "in",
                _thread.c.status != ThreadStatus.CLOSED,
                func.lower(func.substr(_item.c.text, 1, len(prefix))) == prefix,
            )
        ).all()
        for text, thread_id in asks:
            token = text[len(prefix) :].split(maxsplit=1)[0] if text[len(prefix) :].strip() else ""
            try:
                unsubscribe(connection, token, actor=UNSUBSCRIBE_DESK.handle, now=now)
            except NotFound:
                continue
            close(connection, [thread_id], actor=UNSUBSCRIBE_DESK, now=now)
    return newest
