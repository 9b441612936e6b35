"""Every table of the inbox, in one place.

Times are timezone-aware UTC in Python and stored as integer microseconds since the Unix
epoch: exact, the same on SQLite and PostgreSQL, and cheap to subtract in SQL for stats.
Naive datetimes are refused at the boundary rather than guessed at.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime stored as microseconds since the epoch."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> int | None:
        if value is None:
            return None
        return to_micros(value)

    def process_result_value(self, value: int | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return from_micros(value)


def to_micros(value: datetime) -> int:
    """Microseconds since the epoch for an aware datetime; naive ones are refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: times must be timezone-aware")
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    """The aware UTC datetime for microseconds since the epoch."""
    seconds, micros = divmod(value, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)


def _when(**kwargs: Any) -> Any:
    return Field(sa_type=UtcDateTime, **kwargs)


class Role(enum.StrEnum):
    """What a person may do; see the permissions table in DESIGN.md."""

    AGENT = "agent"
    LEAD = "lead"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class ThreadStatus(enum.StrEnum):
    """Where a thread is in its life."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    SNOOZED = "snoozed"
    CLOSED = "closed"


class Priority(enum.StrEnum):
    """How urgent a thread is."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class OutboundStatus(enum.StrEnum):
    """Where an outgoing message is on its way out."""

    AWAITING_APPROVAL = "awaiting_approval"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class AccountHealth(enum.StrEnum):
    """How the last sync of an account went, as shown to people."""

    OK = "ok"
    AUTH_EXPIRED = "auth_expired"
    RATE_LIMITED = "rate_limited"
    FAILING = "failing"


class Account(SQLModel, table=True):
    """A connected brand account. Its secret lives in the keyring, named by (platform, handle)."""

    __table_args__ = (UniqueConstraint("platform", "handle"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(sa_type=String(40))
    handle: str = Field(sa_type=String(255))
    display_name: str | None = Field(default=None, sa_type=String(255))
    base_url: str | None = Field(default=None, sa_type=String(1024))
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    enabled: bool = True
    health: str = Field(default=AccountHealth.OK, sa_type=String(20))
    health_detail: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = _when()
    removed_at: datetime | None = _when(default=None)
    """When an admin removed the account: it is not polled and not listed, its history
    stays, and adding the same platform and handle again brings it back."""


class Contact(SQLModel, table=True):
    """A person on a platform who wrote to or about the brand."""

    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(sa_type=String(40))
    external_id: str = Field(sa_type=String(255))
    handle: str = Field(sa_type=String(255))
    display_name: str | None = Field(default=None, sa_type=String(255))
    first_seen_at: datetime = _when()
    blocked_at: datetime | None = _when(default=None)
    """When someone blocked this author: their new items close as spam."""
    blocked_by: int | None = Field(default=None, foreign_key="agent.id")


class Agent(SQLModel, table=True):
    """A person who uses the inbox."""

    __table_args__ = (Index("ix_agent_db_login", "db_login", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    handle: str = Field(sa_type=String(64), unique=True)
    name: str = Field(sa_type=String(255))
    role: str = Field(default=Role.AGENT, sa_type=String(20))
    capacity: int = 20
    active: bool = True
    created_at: datetime = _when()
    db_login: str | None = Field(default=None, sa_type=String(63))
    """The PostgreSQL login this person connects as; on a team database the login is the
    identity (None: no login of their own, as on SQLite)."""
    last_seen_at: datetime | None = _when(default=None)
    """The last heartbeat of this person's open TUI: who is online for auto-assignment."""
    away_since: datetime | None = _when(default=None)
    """When the person said they are away (None: here while their TUI is open)."""


class Incident(SQLModel, table=True):
    """A crisis, from declaration to end."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_type=String(255))
    severity: int = 2
    scope: str = Field(default="national", sa_type=String(20))
    status: str = Field(default="active", sa_type=String(20))
    status_url: str | None = Field(default=None, sa_type=String(1024))
    holding_statement: str | None = Field(default=None, sa_type=Text)
    update_interval_minutes: int = 60
    requires_approval: bool = False
    declared_by: int | None = Field(default=None, foreign_key="agent.id")
    started_at: datetime = _when()
    last_update_at: datetime | None = _when(default=None)
    ended_at: datetime | None = _when(default=None)


_NOT_CLOSED = text("status != 'closed'")
"""The condition of the partial indexes behind the lists of open threads (see inbox.triage.lists).

Ingest moves a thread's times often, so they are few: one per sort key that needs its
own, and others that hold only some open threads (those with no due time, or in an
incident)."""


class Thread(SQLModel, table=True):
    """One conversation to answer; `version` guards against two people answering at once."""

    __table_args__ = (
        UniqueConstraint("account_id", "thread_key"),
        Index("ix_thread_status_activity", "status", "last_activity_at", "id"),
        Index("ix_thread_activity", "last_activity_at", "id"),
        Index("ix_thread_assignee_status", "assignee_id", "status"),
        Index("ix_thread_due", "due_at"),
        Index("ix_thread_contact", "contact_id"),
        *(
            Index(f"ix_thread_{name}_open", *columns, sqlite_where=where, postgresql_where=where)
            for name, columns, where in (
                ("activity", ("last_activity_at", "id"), _NOT_CLOSED),
                ("inbound", ("last_inbound_at", "id"), _NOT_CLOSED),
                ("undue", ("id",), text(f"{_NOT_CLOSED.text} AND due_at IS NULL")),
                (
                    "incident",
                    ("incident_id",),
                    text(f"{_NOT_CLOSED.text} AND incident_id IS NOT NULL"),
                ),
                ("account", ("account_id",), _NOT_CLOSED),
            )
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    kind: str = Field(sa_type=String(20))
    thread_key: str = Field(sa_type=String(512))
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    status: str = Field(default=ThreadStatus.NEW, sa_type=String(20))
    assignee_id: int | None = Field(default=None, foreign_key="agent.id")
    priority: str = Field(default=Priority.NORMAL, sa_type=String(20))
    incident_id: int | None = Field(default=None, foreign_key="incident.id")
    preview: str = Field(default="", sa_type=Text)
    """The start of the latest inbound message, for lists that must not join `item`."""
    item_count: int = 0
    unread: bool = True
    sentiment: float | None = None
    first_inbound_at: datetime | None = _when(default=None)
    first_response_at: datetime | None = _when(default=None)
    last_inbound_at: datetime | None = _when(default=None)
    last_outbound_at: datetime | None = _when(default=None)
    last_activity_at: datetime = _when()
    due_at: datetime | None = _when(default=None)
    snoozed_until: datetime | None = _when(default=None)
    closed_at: datetime | None = _when(default=None)
    created_at: datetime = _when()
    version: int = 1
    spam_at: datetime | None = _when(default=None)
    """When the thread was marked spam: closed, and out of the SLA and response-time stats."""


class ThreadTag(SQLModel, table=True):
    """A tag on a thread; a table rather than a list so views can filter by tag with an index."""

    __tablename__ = "thread_tag"
    __table_args__ = (Index("ix_thread_tag_tag", "tag", "thread_id"),)

    thread_id: int = Field(foreign_key="thread.id", primary_key=True)
    tag: str = Field(sa_type=String(64), primary_key=True)


class Item(SQLModel, table=True):
    """One message, in or out. Unique per account and external id, so ingest is idempotent."""

    __table_args__ = (
        UniqueConstraint("account_id", "external_id"),
        Index("ix_item_thread_created", "thread_id", "created_at"),
        Index("ix_item_created", "created_at"),
        Index(
            "ix_item_unscored",
            "id",
            sqlite_where=text("sentiment IS NULL AND direction = 'in'"),
            postgresql_where=text("sentiment IS NULL AND direction = 'in'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    thread_id: int = Field(foreign_key="thread.id")
    direction: str = Field(sa_type=String(3))
    external_id: str = Field(sa_type=String(255))
    parent_external_id: str | None = Field(default=None, sa_type=String(255))
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    text: str = Field(sa_type=Text)
    created_at: datetime = _when()
    url: str | None = Field(default=None, sa_type=String(2048))
    sentiment: float | None = None
    """VADER compound score of inbound messages; None until scored, and for outbound ones."""
    raw: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    attachments: list[dict[str, Any]] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True))
    )
    """Media, link cards, quotes, polls, warnings (`adapters.base.Attachment` as objects)."""
    hidden_at: datetime | None = _when(default=None)
    """When the comment was hidden on the platform (moderation)."""
    automated: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    """Sent by the inbox itself (an acknowledgement), not by a person: not a first response."""


class Note(SQLModel, table=True):
    """An internal note on a thread; never sent out."""

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="thread.id", index=True)
    agent_id: int = Field(foreign_key="agent.id")
    body: str = Field(sa_type=Text)
    mentions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _when()


class NoteMention(SQLModel, table=True):
    """A colleague a note @mentions, other than its author: what the Mentions view reads."""

    __tablename__ = "note_mention"
    __table_args__ = (Index("ix_note_mention_agent_thread", "agent_id", "thread_id"),)

    note_id: int = Field(foreign_key="note.id", primary_key=True, ondelete="CASCADE")
    agent_id: int = Field(foreign_key="agent.id", primary_key=True)
    thread_id: int = Field(foreign_key="thread.id", ondelete="CASCADE")


class ReplyDraft(SQLModel, table=True):
    """A reply a person was writing on a thread and has not sent, restored when they reopen it.

    One per person and thread; queueing their reply deletes it.
    """

    __tablename__ = "draft"

    agent_id: int = Field(foreign_key="agent.id", primary_key=True)
    thread_id: int = Field(foreign_key="thread.id", primary_key=True, ondelete="CASCADE")
    text: str = Field(sa_type=Text)
    updated_at: datetime = _when()


class CannedResponse(SQLModel, table=True):
    """A prepared answer, imported from and exported to Markdown files."""

    __tablename__ = "canned_response"

    id: int | None = Field(default=None, primary_key=True)
    shortcode: str = Field(sa_type=String(64), unique=True)
    title: str = Field(sa_type=String(255))
    body: str = Field(sa_type=Text)
    variants: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    language: str = Field(default="en", sa_type=String(16))
    needs_approval: bool = False
    updated_at: datetime = _when()


class Campaign(SQLModel, table=True):
    """One message sent to many threads or accounts, tracked together."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_type=String(255))
    kind: str = Field(sa_type=String(20))
    incident_id: int | None = Field(default=None, foreign_key="incident.id")
    created_by: int | None = Field(default=None, foreign_key="agent.id")
    created_at: datetime = _when()


class Outbound(SQLModel, table=True):
    """The outbox: the only path to the network, one row per target."""

    __table_args__ = (
        Index("ix_outbound_status_next", "status", "next_attempt_at"),
        Index(
            "ux_outbound_acknowledgement",
            "thread_id",
            unique=True,
            sqlite_where=text("purpose = 'acknowledgement'"),
            postgresql_where=text("purpose = 'acknowledgement'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    thread_id: int | None = Field(default=None, foreign_key="thread.id", index=True)
    kind: str = Field(sa_type=String(20))
    in_reply_to: str | None = Field(default=None, sa_type=String(255))
    text: str = Field(sa_type=Text)
    rendered_text: str = Field(sa_type=Text)
    status: str = Field(default=OutboundStatus.QUEUED, sa_type=String(20))
    idempotency_key: str = Field(sa_type=String(64), unique=True)
    attempts: int = 0
    next_attempt_at: datetime | None = _when(default=None)
    error: str | None = Field(default=None, sa_type=Text)
    external_id: str | None = Field(default=None, sa_type=String(255))
    canned_response_id: int | None = Field(default=None, foreign_key="canned_response.id")
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True)
    created_by: int | None = Field(default=None, foreign_key="agent.id")
    approved_by: int | None = Field(default=None, foreign_key="agent.id")
    reviewed_by: int | None = Field(default=None, foreign_key="agent.id")
    """The lead who approved or rejected the row, if it needed approval."""
    review_note: str | None = Field(default=None, sa_type=Text)
    """What the reviewer told the author, e.g. why a reply was rejected."""
    created_at: datetime = _when()
    updated_at: datetime = _when()
    sent_at: datetime | None = _when(default=None)
    recipient: str | None = Field(default=None, sa_type=String(320))
    """The address of a message to one person outside any thread (an incident update mailed
    to a subscriber); None for replies and posts."""
    purpose: str | None = Field(default=None, sa_type=String(20))
    """Why the inbox queued this by itself ("acknowledgement"); None for people's messages.
    At most one acknowledgement per thread (a unique index)."""


class Subscriber(SQLModel, table=True):
    """Someone who asked for the brand's public updates by email during incidents."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_type=String(320), unique=True)
    name: str | None = Field(default=None, sa_type=String(255))
    unsubscribe_token: str = Field(sa_type=String(64), unique=True)
    """The secret in the subscriber's unsubscribe link, so nobody can unsubscribe another."""
    created_at: datetime = _when()
    unsubscribed_at: datetime | None = _when(default=None)


class SyncCursor(SQLModel, table=True):
    """Where reading a stream of an account got to; written with the items it covers."""

    __tablename__ = "sync_cursor"
    __table_args__ = (UniqueConstraint("account_id", "stream"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    stream: str = Field(sa_type=String(64))
    cursor: str | None = Field(default=None, sa_type=Text)
    last_success_at: datetime | None = _when(default=None)
    last_error: str | None = Field(default=None, sa_type=Text)
    last_error_at: datetime | None = _when(default=None)
    failures: int = 0
    backoff_until: datetime | None = _when(default=None)


class SyncLease(SQLModel, table=True):
    """Which process polls an account; a lease that stops being renewed expires."""

    __tablename__ = "sync_lease"

    account_id: int = Field(foreign_key="account.id", primary_key=True)
    holder: str = Field(sa_type=String(128))
    acquired_at: datetime = _when()
    expires_at: datetime = _when()


class Worker(SQLModel, table=True):
    """A running `inbox worker` (or a UI polling in-process), as its heartbeat reports it.

    Open UIs read these rows to say who polls and sends; a row whose heartbeat stopped
    belongs to a process that is gone.
    """

    name: str = Field(sa_type=String(128), primary_key=True)
    """The process's lease holder name: host, pid and a random tag."""
    kind: str = Field(default="worker", sa_type=String(20))
    """"worker" for `inbox worker`, "ui" for a terminal polling in-process."""
    host: str = Field(sa_type=String(255))
    pid: int
    version: str = Field(sa_type=String(40))
    started_at: datetime = _when()
    heartbeat_at: datetime = _when()
    stopped_at: datetime | None = _when(default=None)
    account_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """The accounts whose secrets this process holds: the only ones it polls and sends for."""


class TeamSetting(SQLModel, table=True):
    """One of the team's settings (the SLA policy and business calendar, assignment
    rules, ...): one value per key for the whole team, each change an event."""

    __tablename__ = "team_setting"

    key: str = Field(sa_type=String(64), primary_key=True)
    value: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = 1
    updated_at: datetime = _when()
    updated_by: str = Field(sa_type=String(64))


class Presence(SQLModel, table=True):
    """Who is looking at or answering a thread right now; rows expire on their own."""

    agent_id: int = Field(foreign_key="agent.id", primary_key=True)
    thread_id: int = Field(foreign_key="thread.id", primary_key=True)
    activity: str = Field(sa_type=String(20))
    expires_at: datetime = _when()


class Event(SQLModel, table=True):
    """The append-only log: audit trail, real-time feed and source of the crisis review."""

    __table_args__ = (Index("ix_event_thread", "thread_id", "id"),)

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    at: datetime = _when()
    actor: str = Field(sa_type=String(64))
    type: str = Field(sa_type=String(64))
    thread_id: int | None = Field(default=None, foreign_key="thread.id")
    incident_id: int | None = Field(default=None, foreign_key="incident.id")
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ScheduledPost(SQLModel, table=True):
    """Outgoing scheduled content; paused as a whole in a crisis."""

    __tablename__ = "scheduled_post"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    text: str = Field(sa_type=Text)
    scheduled_at: datetime = _when()
    status: str = Field(default="scheduled", sa_type=String(20))
    paused_reason: str | None = Field(default=None, sa_type=Text)
    created_by: int | None = Field(default=None, foreign_key="agent.id")
    created_at: datetime = _when()


class AlertRule(SQLModel, table=True):
    """A listening rule: keywords, a volume spike or a share of negative sentiment."""

    __tablename__ = "alert_rule"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(255))
    type: str = Field(sa_type=String(32))
    config: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    enabled: bool = True
    created_by: int | None = Field(default=None, foreign_key="agent.id")
    created_at: datetime = _when()


class Alert(SQLModel, table=True):
    """What a listening rule raised."""

    id: int | None = Field(default=None, primary_key=True)
    rule_id: int = Field(foreign_key="alert_rule.id")
    raised_at: datetime = _when()
    summary: str = Field(sa_type=Text)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    acknowledged_by: int | None = Field(default=None, foreign_key="agent.id")
    acknowledged_at: datetime | None = _when(default=None)


class Notification(SQLModel, table=True):
    """Something one person is told (assigned to them, @mentioned, their reply approved,
    rejected or failed, an approval waiting); listed in their "For me" view until read."""

    __table_args__ = (
        UniqueConstraint("agent_id", "event_id", "kind"),
        Index("ix_notification_agent_read", "agent_id", "read_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="agent.id")
    event_id: int = Field(sa_type=BigInteger)
    kind: str = Field(sa_type=String(32))
    thread_id: int | None = Field(default=None, foreign_key="thread.id")
    text: str = Field(sa_type=Text)
    created_at: datetime = _when()
    read_at: datetime | None = _when(default=None)


class AccountQuota(SQLModel, table=True):
    """The units of a platform's daily quota an account used on one day (UTC, YYYY-MM-DD)."""

    __tablename__ = "account_quota"

    account_id: int = Field(foreign_key="account.id", primary_key=True)
    day: str = Field(sa_type=String(10), primary_key=True)
    used: int = 0
