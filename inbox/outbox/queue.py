"""The outbox: every reply, DM and statement leaves through here, and each leaves once.

Queueing renders a message for its channel (a prepared answer's variant where it has one,
variables filled, length counted the channel's way) and refuses what cannot go out as it
is: too long, a variable without a value, outside the platform's reply window. Nothing
is ever shortened to fit. Rows that need a lead's approval wait as `awaiting_approval`.

A row's life::

    awaiting_approval ──approve──▶ queued ──claim──▶ sending ──▶ sent
            │                        ▲                  │
          reject                     │ rate limited,    ├──▶ failed    refused for good
            ▼                        │ 5xx, not posted  │
        rejected                     └──────────────────┤
                                                        └──▶ unknown   may have been posted:
                                                                       looked up with
                                                                       `find_sent` first

Senders claim a row with a conditional UPDATE (queued → sending only while still queued),
so two senders never send one row. A claim lasts `claim_ttl`; a row whose sender died
with it becomes `unknown`, and is looked up on the platform before anything is sent again.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, and_, func, insert, or_, select, update

from adapters.base import (
    AccountRef,
    Adapter,
    AuthExpired,
    Direction,
    FetchedContact,
    FetchedItem,
    Kind,
    OutboundRequest,
    PayloadInvalid,
    PlatformUnavailable,
    RateLimited,
    SentRef,
)
from adapters.registry import adapter_class
from inbox import events
from inbox.core.clock import Clock, utc_now
from inbox.core.database import write_transaction
from inbox.core.errors import InvalidInput, NotFound
from inbox.core.models import (
    Account,
    Agent,
    Campaign,
    CannedResponse,
    Contact,
    Incident,
    Item,
    Outbound,
    OutboundStatus,
    Thread,
)
from inbox.store.ingest import Store

if TYPE_CHECKING:
    import httpx

    from canned_responses.library import CannedResponse as PreparedAnswer
    from canned_responses.render import RenderContext, Rendered
    from inbox.sync.engine import AdapterFactory

log = logging.getLogger(__name__)

_account = Account.__table__
_agent = Agent.__table__
_campaign = Campaign.__table__
_canned = CannedResponse.__table__
_contact = Contact.__table__
_incident = Incident.__table__
_item = Item.__table__
_outbound = Outbound.__table__
_thread = Thread.__table__

CLAIM_TTL = timedelta(minutes=5)
"""How long a sender may hold a row; after that the row is presumed orphaned."""

SEND_TIMEOUT = timedelta(seconds=60)
"""Longest wait for one platform call; kept well inside `CLAIM_TTL`."""

MAX_ATTEMPTS = 8
"""Failed tries (rate limits aside) after which a row is given up as failed."""

OUTBOX_STREAM = "outbox"
"""The stream name sent replies are landed under in the store."""

PENDING_STATUSES = frozenset(
    {
        OutboundStatus.AWAITING_APPROVAL,
        OutboundStatus.QUEUED,
        OutboundStatus.SENDING,
        OutboundStatus.UNKNOWN,
    }
)
"""Rows still on their way: they count as an answer someone is already giving."""


class OutboundKind(enum.StrEnum):
    """What an outbound row is: an answer in a thread, a private message, or a new post."""

    REPLY = "reply"
    DM = "dm"
    POST = "post"


class CampaignKind(enum.StrEnum):
    """One message to many threads, or one statement to many accounts."""

    BULK_REPLY = "bulk_reply"
    BROADCAST = "broadcast"


# -- where a message goes -----------------------------------------------------------------


def style_platform(platform: str) -> str:
    """The real platform a registry name stands for, whose variants apply: `demo-x` -> `x`."""
    return platform.removeprefix("demo-")


def channel_name(platform: str) -> str:
    """How a platform is named to people, e.g. 'X (demo)'."""
    try:
        return adapter_class(platform).display_name
    except KeyError:
        return platform


@dataclass(frozen=True, slots=True)
class Target:
    """Where a message goes: an account, and for answers the thread and whom it answers."""

    account_id: int
    platform: str
    account_handle: str
    account_enabled: bool
    account_settings: dict[str, Any] = field(default_factory=dict)
    thread_id: int | None = None
    thread_key: str | None = None
    thread_kind: str | None = None
    thread_version: int | None = None
    assignee_id: int | None = None
    incident_id: int | None = None
    in_reply_to: str | None = None
    last_inbound_at: datetime | None = None
    contact_external_id: str | None = None
    author_name: str | None = None
    author_handle: str | None = None

    @property
    def channel(self) -> str:
        """The platform's name as people read it."""
        return channel_name(self.platform)

    @property
    def text_limit(self) -> int | None:
        """The longest text this account may send; an instance may set its own (Mastodon)."""
        configured = self.account_settings.get("text_limit")
        return (
            int(configured) if configured is not None else adapter_class(self.platform).text_limit
        )

    def describe(self) -> str:
        """'thread 12 on X (demo) @brand', or the account alone for a new post."""
        where = f"{self.channel} {self.account_handle}"
        return f"thread {self.thread_id} on {where}" if self.thread_id is not None else where


def thread_target(connection: Connection, thread_id: int) -> Target:
    """The target for answering a thread; NotFound if there is no such thread."""
    row = connection.execute(
        select(
            _thread.c.id,
            _thread.c.account_id,
            _thread.c.thread_key,
            _thread.c.kind,
            _thread.c.version,
            _thread.c.assignee_id,
            _thread.c.incident_id,
            _thread.c.last_inbound_at,
            _account.c.platform,
            _account.c.handle.label("account_handle"),
            _account.c.enabled,
            _account.c.settings,
            _contact.c.external_id.label("contact_external_id"),
            _contact.c.handle.label("contact_handle"),
            _contact.c.display_name.label("contact_name"),
        )
        .join(_account, _account.c.id == _thread.c.account_id)
        .outerjoin(_contact, _contact.c.id == _thread.c.contact_id)
        .where(_thread.c.id == thread_id)
    ).first()
    if row is None:
        raise NotFound(f"no thread {thread_id}")
    in_reply_to = connection.execute(
        select(_item.c.external_id)
        .where(_item.c.thread_id == thread_id, _item.c.direction == str(Direction.IN))
        .order_by(_item.c.created_at.desc(), _item.c.id.desc())
        .limit(1)
    ).scalar()
    return Target(
        account_id=row.account_id,
        platform=row.platform,
        account_handle=row.account_handle,
        account_enabled=row.enabled,
        account_settings=dict(row.settings or {}),
        thread_id=row.id,
        thread_key=row.thread_key,
        thread_kind=row.kind,
        thread_version=row.version,
        assignee_id=row.assignee_id,
        incident_id=row.incident_id,
        in_reply_to=in_reply_to,
        last_inbound_at=row.last_inbound_at,
        contact_external_id=row.contact_external_id,
        author_name=row.contact_name,
        author_handle=row.contact_handle,
    )


def account_target(connection: Connection, account_id: int) -> Target:
    """The target for a new post on an account; NotFound if there is no such account."""
    row = connection.execute(select(_account).where(_account.c.id == account_id)).first()
    if row is None:
        raise NotFound(f"no account {account_id} (`inbox accounts list` shows them)")
    return Target(
        account_id=row.id,
        platform=row.platform,
        account_handle=row.handle,
        account_enabled=row.enabled,
        account_settings=dict(row.settings or {}),
    )


def _row_target(connection: Connection, row: Any) -> Target:
    if row.thread_id is not None:
        return thread_target(connection, row.thread_id)
    return account_target(connection, row.account_id)


# -- rendering and checks -----------------------------------------------------------------


def answer_from_row(row: Any) -> PreparedAnswer:
    """The prepared answer stored in a `canned_response` row."""
    from canned_responses.library import CannedResponse as PreparedAnswer

    return PreparedAnswer(
        shortcode=row.shortcode,
        title=row.title,
        body=row.body,
        tags=tuple(row.tags or ()),
        language=row.language,
        variants=dict(row.variants or {}),
        needs_approval=row.needs_approval,
    )


def load_answer(connection: Connection, canned_response_id: int) -> PreparedAnswer:
    """A stored prepared answer by id; NotFound if there is none."""
    row = connection.execute(select(_canned).where(_canned.c.id == canned_response_id)).first()
    if row is None:
        raise NotFound(f"no prepared answer {canned_response_id} (`inbox canned list`)")
    return answer_from_row(row)


def render_context(connection: Connection, target: Target, agent_name: str | None) -> RenderContext:
    """The values a message to `target` fills its variables from."""
    from canned_responses.render import PLATFORM_DISPLAY_NAMES, RenderContext

    incident = None
    if target.incident_id is not None:
        incident = connection.execute(
            select(_incident.c.title, _incident.c.status_url).where(
                _incident.c.id == target.incident_id
            )
        ).first()
    if incident is None:
        incident = active_incident(connection)
    return RenderContext(
        author_name=target.author_name,
        author_handle=target.author_handle,
        agent_name=agent_name,
        incident_title=incident.title if incident is not None else None,
        incident_status_url=incident.status_url if incident is not None else None,
        platform=PLATFORM_DISPLAY_NAMES.get(style_platform(target.platform), target.channel),
    )


def active_incident(connection: Connection) -> Any:
    """The latest active incident (title, status_url, requires_approval), or None."""
    return connection.execute(
        select(
            _incident.c.id, _incident.c.title, _incident.c.status_url, _incident.c.requires_approval
        )
        .where(_incident.c.status == "active")
        .order_by(_incident.c.started_at.desc(), _incident.c.id.desc())
        .limit(1)
    ).first()


def render(
    target: Target,
    context: RenderContext,
    *,
    text: str | None = None,
    answer: PreparedAnswer | None = None,
) -> Rendered:
    """`text` (or, without it, `answer` in its variant for the channel) filled and measured."""
    from canned_responses.library import CannedResponse as PreparedAnswer
    from canned_responses.render import render_for

    if text is None and answer is None:
        raise InvalidInput("nothing to send: give a text or a prepared answer")
    template = (
        answer if text is None else PreparedAnswer(shortcode="typed", title="typed", body=text)
    )
    platform_class = adapter_class(target.platform)
    return render_for(
        template,
        style_platform(target.platform),
        str(platform_class.length_rule),
        target.text_limit,
        context,
    )


def pre_send_checks(
    target: Target,
    rendered: Rendered,
    *,
    kind: OutboundKind,
    now: datetime,
    seen_version: int | None = None,
    others_answering: Sequence[str] = (),
) -> list[str]:
    """Everything that stops this message going out as it is, in words for the composer.

    `seen_version` is the thread's version when the person opened it; `others_answering`
    names people whose answer to the same thread is already on its way.
    """
    problems: list[str] = []
    platform_class = adapter_class(target.platform)
    if not rendered.text.strip():
        problems.append("Nothing to send: the message is empty.")
    for name in rendered.unfilled:
        problems.append(f"{{{name}}} has no value here and no fallback; fill it in before sending.")
    if not rendered.fit.fits:
        problems.append(
            rendered.fit.explain(target.channel) + " Shorten it; nothing is cut for you."
        )
    if not target.account_enabled:
        problems.append(f"The account {target.account_handle} on {target.channel} is disabled.")
    private = kind == OutboundKind.DM or (
        kind == OutboundKind.REPLY and target.thread_kind == Kind.DM
    )
    if kind == OutboundKind.REPLY and not platform_class.can_reply:
        problems.append(f"{target.channel} does not allow replies from the inbox.")
    if kind == OutboundKind.DM and not platform_class.can_dm:
        problems.append(f"{target.channel} does not allow direct messages from the inbox.")
    if kind == OutboundKind.DM and target.contact_external_id is None:
        problems.append("There is no known author to send a direct message to.")
    window = platform_class.reply_window_hours
    if private and window is not None and target.last_inbound_at is not None:
        waited = now - target.last_inbound_at
        if waited > timedelta(hours=window):
            hours = int(waited.total_seconds() // 3600)
            problems.append(
                f"{target.channel} allows private replies only within {window} h of the "
                f"customer's last message, and that was {hours} h ago."
            )
    if seen_version is not None and target.thread_version not in (None, seen_version):
        problems.append(
            "This thread changed since you opened it (a new message or someone else's "
            "answer); read it again before sending."
        )
    for handle in others_answering:
        problems.append(f"{handle} is already answering this thread (a reply is on its way).")
    return problems


@dataclass(frozen=True, slots=True)
class Author:
    """Who writes a message, and whether they may approve what needs approval."""

    handle: str
    agent_id: int | None
    name: str | None
    may_approve: bool


@dataclass(frozen=True, slots=True)
class Draft:
    """A message made ready for one target, with what the composer must show before sending."""

    target: Target
    kind: OutboundKind
    text: str
    """What the person wrote, or the prepared answer's template."""
    rendered: Rendered
    canned_response_id: int | None
    problems: tuple[str, ...]
    """Anything here stops the message from being queued."""
    approval_reason: str | None
    """Why a lead must approve it first, or None."""

    @property
    def sendable(self) -> bool:
        """True when nothing stops the message from being queued."""
        return not self.problems


def approval_reason(
    connection: Connection, answer: PreparedAnswer | None, kind: OutboundKind
) -> str | None:
    """Why a message must wait for a lead: a flagged answer, a public statement, or crisis mode."""
    if answer is not None and answer.needs_approval:
        return f"the prepared answer {answer.shortcode!r} needs a lead's approval"
    if kind == OutboundKind.POST:
        return "a statement posted on the brand's accounts needs a lead's approval"
    incident = active_incident(connection)
    if incident is not None and incident.requires_approval:
        return f"during the incident {incident.title!r} every outgoing message needs approval"
    return None


def draft(
    connection: Connection,
    target: Target,
    *,
    kind: OutboundKind,
    author: Author,
    now: datetime,
    text: str | None = None,
    canned_response_id: int | None = None,
    seen_version: int | None = None,
) -> Draft:
    """Render a message for `target` and run every pre-send check on it."""
    answer = load_answer(connection, canned_response_id) if canned_response_id is not None else None
    rendered = render(
        target, render_context(connection, target, author.name), text=text, answer=answer
    )
    others = _others_answering(connection, target, author) if kind == OutboundKind.REPLY else []
    problems = pre_send_checks(
        target, rendered, kind=kind, now=now, seen_version=seen_version, others_answering=others
    )
    source = text if text is not None else answer.text_for(style_platform(target.platform))[0]
    return Draft(
        target=target,
        kind=kind,
        text=source,
        rendered=rendered,
        canned_response_id=canned_response_id,
        problems=tuple(problems),
        approval_reason=approval_reason(connection, answer, kind),
    )


def _others_answering(connection: Connection, target: Target, author: Author) -> list[str]:
    if target.thread_id is None:
        return []
    handles = connection.execute(
        select(func.coalesce(_agent.c.handle, "someone"))
        .select_from(_outbound)
        .outerjoin(_agent, _agent.c.id == _outbound.c.created_by)
        .where(
            _outbound.c.thread_id == target.thread_id,
            _outbound.c.kind == str(OutboundKind.REPLY),
            _outbound.c.status.in_([str(status) for status in PENDING_STATUSES]),
            or_(_outbound.c.created_by.is_(None), _outbound.c.created_by != author.agent_id)
            if author.agent_id is not None
            else _outbound.c.created_by.is_not(None),
        )
        .distinct()
    ).scalars()
    return sorted(handles)


def queue(
    connection: Connection,
    prepared: Draft,
    *,
    author: Author,
    now: datetime,
    campaign_id: int | None = None,
) -> int:
    """Add a checked draft to the outbox, waiting for approval if it needs it; returns its id."""
    if prepared.problems:
        raise InvalidInput(
            f"cannot send to {prepared.target.describe()}: " + " ".join(prepared.problems)
        )
    waits = prepared.approval_reason is not None and not author.may_approve
    status = OutboundStatus.AWAITING_APPROVAL if waits else OutboundStatus.QUEUED
    target = prepared.target
    outbound_id = connection.execute(
        insert(_outbound).values(
            account_id=target.account_id,
            thread_id=target.thread_id,
            kind=str(prepared.kind),
            in_reply_to=target.in_reply_to if prepared.kind == OutboundKind.REPLY else None,
            text=prepared.text,
            rendered_text=prepared.rendered.text,
            status=str(status),
            idempotency_key=uuid.uuid4().hex,
            attempts=0,
            canned_response_id=prepared.canned_response_id,
            campaign_id=campaign_id,
            created_by=author.agent_id,
            approved_by=author.agent_id
            if prepared.approval_reason is not None and not waits
            else None,
            created_at=now,
            updated_at=now,
        )
    ).inserted_primary_key[0]
    events.append(
        connection,
        at=now,
        actor=author.handle,
        type=events.OUTBOUND_AWAITING_APPROVAL if waits else events.OUTBOUND_QUEUED,
        thread_id=target.thread_id,
        payload={
            "outbound_id": outbound_id,
            "kind": str(prepared.kind),
            "account_id": target.account_id,
            "campaign_id": campaign_id,
            "reason": prepared.approval_reason,
        },
    )
    return outbound_id


def create_campaign(
    connection: Connection,
    *,
    title: str,
    kind: CampaignKind,
    author: Author,
    now: datetime,
    targets: int,
) -> int:
    """Record a campaign (its rows are queued separately); returns its id."""
    incident = active_incident(connection)
    campaign_id = connection.execute(
        insert(_campaign).values(
            title=title,
            kind=str(kind),
            incident_id=incident.id if incident is not None else None,
            created_by=author.agent_id,
            created_at=now,
        )
    ).inserted_primary_key[0]
    events.append(
        connection,
        at=now,
        actor=author.handle,
        type=events.CAMPAIGN_CREATED,
        incident_id=incident.id if incident is not None else None,
        payload={"campaign_id": campaign_id, "kind": str(kind), "title": title, "targets": targets},
    )
    return campaign_id


# -- approval -------------------------------------------------------------------------------


def _existing_row(connection: Connection, outbound_id: int) -> Any:
    row = connection.execute(select(_outbound).where(_outbound.c.id == outbound_id)).first()
    if row is None:
        raise NotFound(f"no outgoing message {outbound_id} (`inbox approvals list`)")
    return row


def approve(
    connection: Connection,
    outbound_id: int,
    *,
    reviewer: Author,
    now: datetime,
    text: str | None = None,
    note: str | None = None,
) -> None:
    """Let a waiting row go out, optionally with `text` in place of what was written.

    Edited text is rendered and checked for the row's channel like a new message.
    """
    row = _existing_row(connection, outbound_id)
    if row.status != OutboundStatus.AWAITING_APPROVAL:
        raise InvalidInput(f"outgoing message {outbound_id} is {row.status}, not awaiting approval")
    values: dict[str, Any] = {}
    if text is not None:
        target = _row_target(connection, row)
        author_name = connection.execute(
            select(_agent.c.name).where(_agent.c.id == row.created_by)
        ).scalar()
        rendered = render(target, render_context(connection, target, author_name), text=text)
        problems = pre_send_checks(target, rendered, kind=OutboundKind(row.kind), now=now)
        if problems:
            raise InvalidInput(
                f"the edited text cannot go to {target.describe()}: " + " ".join(problems)
            )
        values = {"text": text, "rendered_text": rendered.text}
    _decide(
        connection,
        row,
        reviewer=reviewer,
        now=now,
        note=note,
        status=OutboundStatus.QUEUED,
        event_type=events.OUTBOUND_APPROVED,
        payload={"edited": text is not None},
        approved_by=reviewer.agent_id,
        **values,
    )


def reject(
    connection: Connection, outbound_id: int, *, reviewer: Author, now: datetime, note: str
) -> None:
    """Stop a waiting row for good, with a note its author reads."""
    note = note.strip()
    if not note:
        raise InvalidInput("say why in --note: the author reads it")
    row = _existing_row(connection, outbound_id)
    _decide(
        connection,
        row,
        reviewer=reviewer,
        now=now,
        note=note,
        status=OutboundStatus.REJECTED,
        event_type=events.OUTBOUND_REJECTED,
        payload={},
    )


def _decide(
    connection: Connection,
    row: Any,
    *,
    reviewer: Author,
    now: datetime,
    note: str | None,
    status: OutboundStatus,
    event_type: str,
    payload: dict[str, Any],
    **values: Any,
) -> None:
    """Move a row out of awaiting approval, unless someone decided it meanwhile, and log it."""
    decided = connection.execute(
        update(_outbound)
        .where(
            _outbound.c.id == row.id,
            _outbound.c.status == str(OutboundStatus.AWAITING_APPROVAL),
        )
        .values(
            status=str(status),
            reviewed_by=reviewer.agent_id,
            review_note=note,
            updated_at=now,
            **values,
        )
    ).rowcount
    if not decided:
        current = _existing_row(connection, row.id).status
        raise InvalidInput(f"outgoing message {row.id} is {current} now, not awaiting approval")
    events.append(
        connection,
        at=now,
        actor=reviewer.handle,
        type=event_type,
        thread_id=row.thread_id,
        payload={"outbound_id": row.id, "note": note, **payload},
    )


def retry(connection: Connection, outbound_id: int, *, actor: str, now: datetime) -> None:
    """Put a failed row, or an unknown one a person checked was not posted, back in the queue."""
    row = _existing_row(connection, outbound_id)
    changed = connection.execute(
        update(_outbound)
        .where(
            _outbound.c.id == outbound_id,
            _outbound.c.status.in_([str(OutboundStatus.FAILED), str(OutboundStatus.UNKNOWN)]),
        )
        .values(status=str(OutboundStatus.QUEUED), attempts=0, next_attempt_at=None, updated_at=now)
    ).rowcount
    if not changed:
        raise InvalidInput(
            f"outgoing message {outbound_id} is {row.status}; "
            "only failed or unknown ones are retried"
        )
    events.append(
        connection,
        at=now,
        actor=actor,
        type=events.OUTBOUND_RETRYING,
        thread_id=row.thread_id,
        payload={"outbound_id": outbound_id, "by": "person"},
    )


def cancel(connection: Connection, outbound_id: int, *, actor: str, now: datetime) -> None:
    """Withdraw a row that has not started sending."""
    row = _existing_row(connection, outbound_id)
    cancellable = [
        str(OutboundStatus.DRAFT),
        str(OutboundStatus.AWAITING_APPROVAL),
        str(OutboundStatus.QUEUED),
        str(OutboundStatus.FAILED),
        str(OutboundStatus.UNKNOWN),
    ]
    changed = connection.execute(
        update(_outbound)
        .where(_outbound.c.id == outbound_id, _outbound.c.status.in_(cancellable))
        .values(status=str(OutboundStatus.CANCELLED), next_attempt_at=None, updated_at=now)
    ).rowcount
    if not changed:
        raise InvalidInput(
            f"outgoing message {outbound_id} is {row.status} and can no longer be withdrawn"
        )
    events.append(
        connection,
        at=now,
        actor=actor,
        type=events.OUTBOUND_CANCELLED,
        thread_id=row.thread_id,
        payload={"outbound_id": outbound_id},
    )


# -- reading --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboundRow:
    """One outgoing message as people see it, with the outcome its author waits for."""

    id: int
    status: str
    kind: str
    platform: str
    account_handle: str
    thread_id: int | None
    campaign_id: int | None
    author: str | None
    text: str
    rendered_text: str
    attempts: int
    error: str | None
    external_id: str | None
    approval_reason: str | None
    reviewer: str | None
    review_note: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None


def outbound_rows(connection: Connection, *conditions: Any, limit: int = 500) -> list[OutboundRow]:
    """Outgoing messages matching `conditions` (on the outbound table), oldest first."""
    author = _agent.alias("author")
    reviewer = _agent.alias("reviewer")
    query = (
        select(
            _outbound.c.id,
            _outbound.c.status,
            _outbound.c.kind,
            _account.c.platform,
            _account.c.handle.label("account_handle"),
            _outbound.c.thread_id,
            _outbound.c.campaign_id,
            author.c.handle.label("author"),
            _outbound.c.text,
            _outbound.c.rendered_text,
            _outbound.c.attempts,
            _outbound.c.error,
            _outbound.c.external_id,
            _canned.c.shortcode,
            _canned.c.needs_approval,
            reviewer.c.handle.label("reviewer"),
            _outbound.c.review_note,
            _outbound.c.created_at,
            _outbound.c.updated_at,
            _outbound.c.sent_at,
        )
        .join(_account, _account.c.id == _outbound.c.account_id)
        .outerjoin(author, author.c.id == _outbound.c.created_by)
        .outerjoin(reviewer, reviewer.c.id == _outbound.c.reviewed_by)
        .outerjoin(_canned, _canned.c.id == _outbound.c.canned_response_id)
        .where(*conditions)
        .order_by(_outbound.c.id)
        .limit(limit)
    )
    rows = []
    for row in connection.execute(query):
        values = dict(row._mapping)
        shortcode, flagged = values.pop("shortcode"), values.pop("needs_approval")
        needed = row.status == OutboundStatus.AWAITING_APPROVAL or row.reviewer is not None
        reason = None
        if needed:
            if flagged:
                reason = f"prepared answer {shortcode!r} needs approval"
            elif row.kind == OutboundKind.POST:
                reason = "statements need approval"
            else:
                reason = "crisis mode requires approval"
        rows.append(OutboundRow(**values, approval_reason=reason))
    return rows


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    """A campaign and how far it got: the number of targets in each status."""

    id: int
    title: str
    kind: str
    created_by: str | None
    created_at: datetime
    targets: int
    counts: dict[str, int]

    @property
    def status(self) -> str:
        """One word for the whole campaign: waiting, sending, done, or done with failures."""
        open_statuses = {str(status) for status in PENDING_STATUSES}
        if any(self.counts.get(status) for status in open_statuses):
            if self.counts.get(OutboundStatus.AWAITING_APPROVAL) == self.targets:
                return "awaiting approval"
            return "sending"
        if self.counts.get(OutboundStatus.SENT, 0) == self.targets:
            return "done"
        return "done with problems"


def campaign_summaries(
    connection: Connection, campaign_id: int | None = None
) -> list[CampaignSummary]:
    """Every campaign (or only `campaign_id`), newest first."""
    conditions = [] if campaign_id is None else [_campaign.c.id == campaign_id]
    creator = _agent.alias("creator")
    campaigns = connection.execute(
        select(
            _campaign.c.id,
            _campaign.c.title,
            _campaign.c.kind,
            creator.c.handle.label("created_by"),
            _campaign.c.created_at,
        )
        .outerjoin(creator, creator.c.id == _campaign.c.created_by)
        .where(*conditions)
        .order_by(_campaign.c.id.desc())
    ).all()
    if not campaigns:
        return []
    counts: dict[int, dict[str, int]] = {row.id: {} for row in campaigns}
    for owner_id, status, count in connection.execute(
        select(_outbound.c.campaign_id, _outbound.c.status, func.count())
        .where(_outbound.c.campaign_id.in_(list(counts)))
        .group_by(_outbound.c.campaign_id, _outbound.c.status)
    ):
        counts[owner_id][status] = count
    return [
        CampaignSummary(**row._mapping, targets=sum(counts[row.id].values()), counts=counts[row.id])
        for row in campaigns
    ]


# -- sending --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Claim:
    """A row this sender holds, with what sending it needs."""

    id: int
    previous_status: str
    attempts: int
    account: AccountRef
    kind: str
    idempotency_key: str
    rendered_text: str
    in_reply_to: str | None
    thread_id: int | None
    thread_key: str | None
    thread_kind: str | None
    recipient: FetchedContact | None
    author_id: int | None
    author_handle: str | None


@dataclass(frozen=True, slots=True)
class SendResult:
    """What happened to one row in one try, for progress displays and tests."""

    outbound_id: int
    status: str
    detail: str | None = None


@dataclass(slots=True)
class SendSummary:
    """What `send_once` did."""

    results: list[SendResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many tries ended in `status`."""
        return sum(1 for result in self.results if result.status == status)


def _backoff_after(failures: int) -> timedelta:
    from inbox.sync.engine import backoff_after

    return backoff_after(failures)


def can_look_up_sent(adapter: Adapter) -> bool:
    """Whether the adapter can tell if an interrupted send was posted (overrides `find_sent`)."""
    return type(adapter).find_sent is not Adapter.find_sent


def describe_failure(error: BaseException) -> str:
    """A platform's refusal in plain words, never with a credential in it."""
    import httpx

    if isinstance(error, AuthExpired):
        return f"the platform refused the account's credentials; log in again ({error})"
    if isinstance(error, PayloadInvalid):
        return f"the platform refused the message: {error}"
    if isinstance(error, RateLimited):
        return f"rate limited until {error.reset_at:%Y-%m-%d %H:%M:%S} UTC"
    if isinstance(error, TimeoutError | httpx.TimeoutException):
        return "the platform did not answer in time; the message may have been posted"
    return str(error) or type(error).__name__


class Sender:
    """Sends due outbound rows, each exactly once, however many senders run; scheduled
    posts whose time has come become outbound rows here first.

    Adapters are built once per account and kept, so an adapter that remembers what it
    sent (the demo) can answer `find_sent` for its own interrupted sends.
    """

    def __init__(
        self,
        engine: Engine,
        adapter_factory: AdapterFactory,
        *,
        clock: Clock = utc_now,
        holder: str | None = None,
        claim_ttl: timedelta = CLAIM_TTL,
        send_timeout: timedelta = SEND_TIMEOUT,
        max_attempts: int = MAX_ATTEMPTS,
        on_result: Callable[[SendResult], None] | None = None,
    ) -> None:
        from inbox.sync.engine import new_holder_name

        self.engine = engine
        self.adapter_factory = adapter_factory
        self.clock = clock
        self.holder = holder or new_holder_name()
        self.claim_ttl = claim_ttl
        self.send_timeout = min(send_timeout, claim_ttl / 2)
        self.max_attempts = max_attempts
        self.on_result = on_result
        self.store = Store(engine, clock)
        self._adapters: dict[int, tuple[AccountRef, Adapter]] = {}

    async def send_once(
        self, client: httpx.AsyncClient | None = None, concurrency: int = 1
    ) -> SendSummary:
        """Try every row that is due now, once each, and return what happened."""
        summary = SendSummary()
        tried: set[int] = set()

        async def work() -> None:
            while True:
                result = await self.send_next(client, skip=tried)
                if result is None:
                    return
                summary.results.append(result)

        await asyncio.gather(*(work() for _ in range(max(concurrency, 1))))
        return summary

    async def run_forever(
        self,
        client: httpx.AsyncClient | None,
        stop: asyncio.Event,
        *,
        concurrency: int = 4,
        idle_seconds: float = 1.0,
    ) -> None:
        """Send due rows as they come until `stop` is set; `concurrency` rows at a time."""

        async def work() -> None:
            while not stop.is_set():
                try:
                    result = await self.send_next(client)
                except Exception:
                    log.exception("the sender failed; trying again shortly")
                    result = None
                if result is None:
                    try:
                        await asyncio.wait_for(stop.wait(), timeout=idle_seconds)
                    except TimeoutError:
                        pass

        await asyncio.gather(*(work() for _ in range(max(concurrency, 1))))

    async def send_next(
        self, client: httpx.AsyncClient | None, skip: set[int] | None = None
    ) -> SendResult | None:
        """Claim one due row and try it; None when no row is due."""
        await asyncio.to_thread(self.release_orphans)
        await asyncio.to_thread(self.publish_due_posts)
        claim = await asyncio.to_thread(self._claim, skip)
        if claim is None:
            return None
        if skip is not None:
            skip.add(claim.id)
        result = await self._try(claim, client)
        if self.on_result is not None:
            self.on_result(result)
        return result

    # -- claiming -------------------------------------------------------------------------

    def publish_due_posts(self) -> int:
        """Queue the scheduled posts whose time has come (`crisis.publish_due_posts`); how many.

        A failure here is logged and left for the next round: it must not stop replies.
        """
        from inbox.crisis import toolkit as crisis

        try:
            return len(crisis.publish_due_posts(self.engine, self.clock()))
        except Exception:
            log.exception("publishing the scheduled posts that are due failed")
            return 0

    def release_orphans(self) -> int:
        """Mark rows whose sender's claim ran out as `unknown`, to be looked up before a retry."""
        now = self.clock()
        orphaned = select(_outbound.c.id, _outbound.c.thread_id, _outbound.c.attempts).where(
            _outbound.c.status == str(OutboundStatus.SENDING),
            _outbound.c.next_attempt_at < now,
        )
        with self.engine.connect() as connection:
            if connection.execute(orphaned.limit(1)).first() is None:
                return 0
        with write_transaction(self.engine) as connection:
            orphans = connection.execute(orphaned).all()
            for orphan in orphans:
                released = connection.execute(
                    update(_outbound)
                    .where(
                        _outbound.c.id == orphan.id,
                        _outbound.c.status == str(OutboundStatus.SENDING),
                        _outbound.c.attempts == orphan.attempts,
                    )
                    .values(
                        status=str(OutboundStatus.UNKNOWN),
                        next_attempt_at=now,
                        error="the sender stopped while sending; checking whether it was posted",
                        updated_at=now,
                    )
                ).rowcount
                if released:
                    events.append(
                        connection,
                        at=now,
                        actor=events.OUTBOX_ACTOR,
                        type=events.OUTBOUND_UNKNOWN,
                        thread_id=orphan.thread_id,
                        payload={"outbound_id": orphan.id, "reason": "sender stopped"},
                    )
        return len(orphans)

    def _claim(self, skip: set[int] | None) -> _Claim | None:
        now = self.clock()
        due = or_(
            and_(
                _outbound.c.status == str(OutboundStatus.QUEUED),
                or_(_outbound.c.next_attempt_at.is_(None), _outbound.c.next_attempt_at <= now),
            ),
            and_(
                _outbound.c.status == str(OutboundStatus.UNKNOWN),
                _outbound.c.next_attempt_at <= now,
            ),
        )
        if skip:
            due = and_(due, _outbound.c.id.not_in(list(skip)))
        with self.engine.connect() as connection:
            candidates = connection.execute(
                select(_outbound.c.id, _outbound.c.status, _outbound.c.attempts)
                .where(due)
                .order_by(_outbound.c.id)
                .limit(50)
            ).all()
        for candidate in candidates:
            with write_transaction(self.engine) as connection:
                taken = connection.execute(
                    update(_outbound)
                    .where(
                        _outbound.c.id == candidate.id,
                        _outbound.c.status == candidate.status,
                        _outbound.c.attempts == candidate.attempts,
                    )
                    .values(
                        status=str(OutboundStatus.SENDING),
                        attempts=candidate.attempts + 1,
                        next_attempt_at=now + self.claim_ttl,
                        updated_at=now,
                    )
                ).rowcount
                if taken:
                    return self._load_claim(connection, candidate.id, candidate.status)
        return None

    @staticmethod
    def _load_claim(connection: Connection, outbound_id: int, previous_status: str) -> _Claim:
        author = _agent.alias("author")
        row = connection.execute(
            select(
                _outbound,
                _account.c.platform,
                _account.c.handle.label("account_handle"),
                _account.c.base_url,
                _account.c.settings,
                _thread.c.thread_key,
                _thread.c.kind.label("thread_kind"),
                _contact.c.external_id.label("contact_external_id"),
                _contact.c.handle.label("contact_handle"),
                _contact.c.display_name.label("contact_name"),
                author.c.handle.label("author_handle"),
            )
            .join(_account, _account.c.id == _outbound.c.account_id)
            .outerjoin(_thread, _thread.c.id == _outbound.c.thread_id)
            .outerjoin(_contact, _contact.c.id == _thread.c.contact_id)
            .outerjoin(author, author.c.id == _outbound.c.created_by)
            .where(_outbound.c.id == outbound_id)
        ).one()
        recipient = None
        if row.contact_external_id is not None:
            recipient = FetchedContact(
                external_id=row.contact_external_id,
                handle=row.contact_handle,
                display_name=row.contact_name,
            )
        return _Claim(
            id=row.id,
            previous_status=previous_status,
            attempts=row.attempts,
            account=AccountRef(
                id=row.account_id,
                platform=row.platform,
                handle=row.account_handle,
                base_url=row.base_url,
                settings=dict(row.settings or {}),
            ),
            kind=row.kind,
            idempotency_key=row.idempotency_key,
            rendered_text=row.rendered_text,
            in_reply_to=row.in_reply_to,
            thread_id=row.thread_id,
            thread_key=row.thread_key,
            thread_kind=row.thread_kind,
            recipient=recipient,
            author_id=row.created_by,
            author_handle=row.author_handle,
        )

    # -- trying ---------------------------------------------------------------------------

    def _adapter(self, account: AccountRef, client: httpx.AsyncClient | None) -> Adapter:
        known = self._adapters.get(account.id)
        if known is not None and known[0] == account:
            return known[1]
        adapter = self.adapter_factory(account, client)
        self._adapters[account.id] = (account, adapter)
        return adapter

    def _request(self, claim: _Claim) -> OutboundRequest:
        if claim.kind == OutboundKind.DM:
            kind = Kind.DM
        elif claim.thread_kind is not None:
            kind = Kind(claim.thread_kind)
        else:
            kind = Kind.COMMENT
        return OutboundRequest(
            idempotency_key=claim.idempotency_key,
            kind=kind,
            text=claim.rendered_text,
            thread_key=claim.thread_key if claim.kind == OutboundKind.REPLY else None,
            in_reply_to=claim.in_reply_to,
            recipient=claim.recipient if kind == Kind.DM else None,
        )

    async def _try(self, claim: _Claim, client: httpx.AsyncClient | None) -> SendResult:
        import httpx

        timeout = self.send_timeout.total_seconds()
        try:
            adapter = self._adapter(claim.account, client)
        except Exception as error:  # noqa: BLE001 - a broken account must not stop the others
            return await asyncio.to_thread(
                self._fail,
                claim,
                f"cannot reach {claim.account.platform} {claim.account.handle}: {error}",
            )
        if claim.previous_status == OutboundStatus.UNKNOWN:
            if not can_look_up_sent(adapter):
                return await asyncio.to_thread(self._needs_person, claim)
            try:
                found = await asyncio.wait_for(adapter.find_sent(claim.idempotency_key), timeout)
            except (AuthExpired, PayloadInvalid) as error:
                return await asyncio.to_thread(self._fail, claim, describe_failure(error))
            except Exception as error:  # noqa: BLE001 - any failure to look means: look later
                return await asyncio.to_thread(self._unknown, claim, describe_failure(error))
            if found is not None:
                return await asyncio.to_thread(self._record_sent, claim, found, True)
        try:
            sent = await asyncio.wait_for(adapter.send(self._request(claim)), timeout)
        except RateLimited as error:
            return await asyncio.to_thread(self._rate_limited, claim, error)
        except (AuthExpired, PayloadInvalid) as error:
            return await asyncio.to_thread(self._fail, claim, describe_failure(error))
        except (PlatformUnavailable, httpx.HTTPError, OSError, TimeoutError) as error:
            timed_out = isinstance(error, TimeoutError | httpx.TimeoutException)
            if can_look_up_sent(adapter) or timed_out:
                return await asyncio.to_thread(self._unknown, claim, describe_failure(error))
            return await asyncio.to_thread(self._retry_later, claim, describe_failure(error))
        except Exception as error:
            log.exception("sending outgoing message %s failed unexpectedly", claim.id)
            return await asyncio.to_thread(
                self._needs_person,
                claim,
                f"unexpected error while sending: {type(error).__name__}: {error}",
            )
        return await asyncio.to_thread(self._record_sent, claim, sent, False)

    def _settle(
        self,
        claim: _Claim,
        event_type: str,
        payload: dict[str, Any],
        **values: Any,
    ) -> bool:
        """Move a claimed row on, only if this sender still holds it; with its event."""
        now = self.clock()
        with write_transaction(self.engine) as connection:
            settled = connection.execute(
                update(_outbound)
                .where(
                    _outbound.c.id == claim.id,
                    _outbound.c.status == str(OutboundStatus.SENDING),
                    _outbound.c.attempts == claim.attempts,
                )
                .values(updated_at=now, **values)
            ).rowcount
            if settled:
                events.append(
                    connection,
                    at=now,
                    actor=events.OUTBOX_ACTOR,
                    type=event_type,
                    thread_id=claim.thread_id,
                    payload={"outbound_id": claim.id, "attempt": claim.attempts, **payload},
                )
                if event_type == events.OUTBOUND_SENT and values.get("external_id") is not None:
                    connection.execute(
                        update(_item)
                        .where(
                            _item.c.account_id == claim.account.id,
                            _item.c.external_id == values["external_id"],
                        )
                        .values(agent_id=claim.author_id)
                    )
        if not settled:
            log.warning("outgoing message %s was taken over by another sender", claim.id)
        return bool(settled)

    def _record_sent(self, claim: _Claim, sent: SentRef, reconciled: bool) -> SendResult:
        now = self.clock()
        sent_at = sent.sent_at or now
        lands_in_thread = claim.thread_key is not None and (
            claim.kind == OutboundKind.REPLY
            or (claim.kind == OutboundKind.DM and claim.thread_kind == Kind.DM)
        )
        if lands_in_thread:
            item = FetchedItem(
                external_id=sent.external_id,
                thread_key=claim.thread_key,
                kind=Kind(claim.thread_kind),
                direction=Direction.OUT,
                author=FetchedContact(
                    external_id=f"account:{claim.account.id}", handle=claim.account.handle
                ),
                text=claim.rendered_text,
                created_at=sent_at,
                parent_external_id=claim.in_reply_to,
                url=sent.url,
            )
            self.store.ingest(claim.account, OUTBOX_STREAM, [item], None)
        self._settle(
            claim,
            events.OUTBOUND_SENT,
            {
                "external_id": sent.external_id,
                "author": claim.author_handle,
                "found_after_interruption": reconciled,
            },
            status=str(OutboundStatus.SENT),
            external_id=sent.external_id,
            sent_at=sent_at,
            next_attempt_at=None,
            error=None,
        )
        return SendResult(claim.id, str(OutboundStatus.SENT), sent.external_id)

    def _fail(self, claim: _Claim, reason: str) -> SendResult:
        self._settle(
            claim,
            events.OUTBOUND_FAILED,
            {"reason": reason},
            status=str(OutboundStatus.FAILED),
            error=reason,
            next_attempt_at=None,
        )
        return SendResult(claim.id, str(OutboundStatus.FAILED), reason)

    def _gave_up(self, claim: _Claim, reason: str) -> SendResult | None:
        if claim.attempts < self.max_attempts:
            return None
        return self._fail(claim, f"gave up after {claim.attempts} attempts; the last: {reason}")

    def _unknown(self, claim: _Claim, reason: str) -> SendResult:
        given_up = self._gave_up(claim, reason)
        if given_up is not None:
            return given_up
        retry_at = self.clock() + _backoff_after(claim.attempts)
        self._settle(
            claim,
            events.OUTBOUND_UNKNOWN,
            {"reason": reason, "check_at": retry_at.isoformat()},
            status=str(OutboundStatus.UNKNOWN),
            error=reason,
            next_attempt_at=retry_at,
        )
        return SendResult(claim.id, str(OutboundStatus.UNKNOWN), reason)

    def _needs_person(self, claim: _Claim, reason: str | None = None) -> SendResult:
        reason = reason or (
            f"{channel_name(claim.account.platform)} cannot tell whether the message was posted; "
            f"check there, then `inbox outbox retry {claim.id}` or `inbox outbox cancel {claim.id}`"
        )
        self._settle(
            claim,
            events.OUTBOUND_UNKNOWN,
            {"reason": reason, "needs_person": True},
            status=str(OutboundStatus.UNKNOWN),
            error=reason,
            next_attempt_at=None,
        )
        return SendResult(claim.id, str(OutboundStatus.UNKNOWN), reason)

    def _retry_later(self, claim: _Claim, reason: str) -> SendResult:
        given_up = self._gave_up(claim, reason)
        if given_up is not None:
            return given_up
        retry_at = self.clock() + _backoff_after(claim.attempts)
        self._settle(
            claim,
            events.OUTBOUND_RETRYING,
            {"reason": reason, "retry_at": retry_at.isoformat()},
            status=str(OutboundStatus.QUEUED),
            error=reason,
            next_attempt_at=retry_at,
        )
        return SendResult(claim.id, str(OutboundStatus.QUEUED), reason)

    def _rate_limited(self, claim: _Claim, error: RateLimited) -> SendResult:
        now = self.clock()
        retry_at = max(error.reset_at, now + timedelta(seconds=1))
        reason = describe_failure(error)
        self._settle(
            claim,
            events.OUTBOUND_RETRYING,
            {"reason": reason, "retry_at": retry_at.isoformat()},
            status=str(OutboundStatus.QUEUED),
            error=reason,
            next_attempt_at=retry_at,
            attempts=claim.attempts - 1,
        )
        with write_transaction(self.engine) as connection:
            connection.execute(
                update(_outbound)
                .where(
                    _outbound.c.account_id == claim.account.id,
                    _outbound.c.status == str(OutboundStatus.QUEUED),
                    or_(
                        _outbound.c.next_attempt_at.is_(None),
                        _outbound.c.next_attempt_at < retry_at,
                    ),
                )
                .values(next_attempt_at=retry_at)
            )
        return SendResult(claim.id, str(OutboundStatus.QUEUED), reason)
