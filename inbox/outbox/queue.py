"""The outbox queue: checked drafts become outgoing rows, which wait for a lead's approval,
are retried or withdrawn, and are read back with their outcome; campaigns group them.

Every reply, DM and statement leaves through here, and each leaves once (the sender,
`inbox.outbox.sender`, sends them). Rows that need a lead's approval wait as
`awaiting_approval`.

A row's life::

    awaiting_approval ──approve──▶ queued ──claim──▶ sending ──▶ sent
            │                        ▲                  │
          reject                     │ rate limited,    ├──▶ failed    refused for good
            ▼                        │ 5xx, not posted  │
        rejected                     └──────────────────┤
                                                        └──▶ unknown   may have been posted:
                                                                       looked up with
                                                                       `find_sent` first
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select, update

from adapters.base import Kind
from adapters.registry import adapter_class
from inbox import events
from inbox.core.errors import Conflict, InvalidInput, NotFound
from inbox.core.models import (
    Account,
    Agent,
    Campaign,
    CannedResponse,
    Outbound,
    OutboundStatus,
    Thread,
)
from inbox.core.sanitize import first_line
from inbox.outbox.drafts import (
    ANSWERING_CODES,
    PENDING_STATUSES,
    Author,
    Draft,
    OutboundKind,
    answering_problems,
    pre_send_checks,
)
from inbox.outbox.problems import SendRefused
from inbox.outbox.targets import active_incident, render, render_context, row_target

if TYPE_CHECKING:
    from inbox.core.access import Actor

_account = Account.__table__
_agent = Agent.__table__
_campaign = Campaign.__table__
_canned = CannedResponse.__table__
_outbound = Outbound.__table__
_thread = Thread.__table__


class CampaignKind(enum.StrEnum):
    """One message to many threads, or one statement to many accounts."""

    BULK_REPLY = "bulk_reply"
    BROADCAST = "broadcast"


def queue(
    connection: Connection,
    prepared: Draft,
    *,
    author: Author,
    now: datetime,
    campaign_id: int | None = None,
    again: bool = False,
    purpose: str | None = None,
) -> int:
    """Add a checked draft to the outbox, waiting for approval if it needs it; returns its id.

    Call it inside `write_transaction`. A reply locks its thread and asks again which
    replies are on their way before its row is added, so of two people answering one thread
    at once the second is refused, as is the author's own second reply unless `again`.
    Refusals are `SendRefused`, with every problem's code. `purpose` marks a message the
    inbox queued by itself ("acknowledgement": the database takes one per thread).
    """
    target = prepared.target
    problems = prepared.problems
    if prepared.kind == OutboundKind.REPLY and target.thread_id is not None:
        lock_threads(connection, [target.thread_id])
        problems = (
            *(problem for problem in problems if problem.code not in ANSWERING_CODES),
            *answering_problems(connection, target, author, again=again),
        )
    if problems:
        raise SendRefused(
            f"cannot send to {target.describe()}: "
            + " ".join(problem.text for problem in problems),
            problems,
        )
    waits = prepared.approval_reason is not None and not author.may_approve
    status = OutboundStatus.AWAITING_APPROVAL if waits else OutboundStatus.QUEUED
    outbound_id = connection.execute(
        insert(_outbound).values(
            account_id=target.account_id,
            thread_id=target.thread_id,
            kind=str(prepared.kind),
            in_reply_to=target.in_reply_to if _answers_a_message(prepared, target) else None,
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
            purpose=purpose,
        )
    ).inserted_primary_key[0]
    queued = events.OutboundAwaitingApproval if waits else events.OutboundQueued
    events.record(
        connection,
        queued(
            outbound_id=outbound_id,
            kind=str(prepared.kind),
            account_id=target.account_id,
            campaign_id=campaign_id,
            reason=prepared.approval_reason,
            purpose=purpose,
        ),
        at=now,
        actor=author.handle,
        thread_id=target.thread_id,
    )
    return outbound_id


def _answers_a_message(prepared: Any, target: Any) -> bool:
    """Whether the row names the message it answers: every reply, and a direct message on a
    comment thread where the platform sends it as a private reply to that comment."""
    if prepared.kind == OutboundKind.REPLY:
        return True
    return (
        prepared.kind == OutboundKind.DM
        and target.thread_kind == Kind.COMMENT
        and adapter_class(target.platform).can_reply_privately
    )


def lock_threads(connection: Connection, thread_ids: Sequence[int]) -> None:
    """Hold these threads until the transaction ends, so what is on its way to them holds.

    On PostgreSQL the rows are locked (`FOR UPDATE`) in id order, so two transactions
    locking overlapping threads cannot deadlock. On SQLite the write transaction
    (`BEGIN IMMEDIATE`) already holds the whole database and this only reads.
    """
    if not thread_ids:
        return
    connection.execute(
        select(_thread.c.id)
        .where(_thread.c.id.in_(sorted(set(thread_ids))))
        .order_by(_thread.c.id)
        .with_for_update()
    ).all()


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
    events.record(
        connection,
        events.CampaignCreated(
            campaign_id=campaign_id, kind=str(kind), title=title, targets=targets
        ),
        at=now,
        actor=author.handle,
        incident_id=incident.id if incident is not None else None,
    )
    return campaign_id


def queue_campaign(
    connection: Connection,
    drafts: Sequence[Draft],
    kind: CampaignKind,
    *,
    title: str | None,
    author: Author,
    now: datetime,
) -> CampaignSummary:
    """Queue one message to many targets as one campaign, all or nothing.

    If any draft has a problem nothing is queued, and InvalidInput names every problem.
    Without a `title` the campaign is named by the message's first line.
    """
    problems = [
        f"{prepared.target.describe()}: {' '.join(prepared.problem_texts())}"
        for prepared in drafts
        if prepared.problems
    ]
    if problems:
        raise InvalidInput("nothing was queued; " + " | ".join(problems))
    lock_threads(
        connection, [prepared.target.thread_id for prepared in drafts if prepared.target.thread_id]
    )
    campaign_id = create_campaign(
        connection,
        title=title or first_line(drafts[0].rendered.text, 80),
        kind=kind,
        author=author,
        now=now,
        targets=len(drafts),
    )
    for prepared in drafts:
        queue(connection, prepared, author=author, now=now, campaign_id=campaign_id)
    return campaign_summaries(connection, campaign_id)[0]


# -- approval -------------------------------------------------------------------------------


def _existing_row(connection: Connection, outbound_id: int) -> Any:
    row = connection.execute(select(_outbound).where(_outbound.c.id == outbound_id)).first()
    if row is None:
        raise NotFound(f"no outgoing message {outbound_id} (`inbox approvals list`)")
    return row


def author_id(connection: Connection, outbound_id: int) -> int | None:
    """The id of the person who wrote an outgoing message (None: nobody, or no such message)."""
    return connection.execute(
        select(_outbound.c.created_by).where(_outbound.c.id == outbound_id)
    ).scalar()


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
        raise Conflict(f"outgoing message {outbound_id} is {row.status}, not awaiting approval")
    if text is not None and row.kind == OutboundKind.EMAIL_UPDATE:
        raise InvalidInput(
            "one subscriber's mail cannot be edited alone: reject the statement and send it again"
        )
    values: dict[str, Any] = {}
    if text is not None:
        target = row_target(connection, row)
        author_name = connection.execute(
            select(_agent.c.name).where(_agent.c.id == row.created_by)
        ).scalar()
        rendered = render(target, render_context(connection, target, author_name, now), text=text)
        problems = pre_send_checks(target, rendered, kind=OutboundKind(row.kind), now=now)
        if problems:
            raise InvalidInput(
                f"the edited text cannot go to {target.describe()}: "
                + " ".join(problem.text for problem in problems)
            )
        values = {"text": text, "rendered_text": rendered.text}
    _decide(
        connection,
        row,
        reviewer=reviewer,
        now=now,
        note=note,
        status=OutboundStatus.QUEUED,
        decision=events.OutboundApproved(outbound_id=row.id, note=note, edited=text is not None),
        approved_by=reviewer.agent_id,
        **values,
    )
    if row.campaign_id is not None:
        decide_subscriber_mails(
            connection, row.campaign_id, reviewer=reviewer, now=now, approved=True
        )


def decide_subscriber_mails(
    connection: Connection, campaign_id: int, *, reviewer: Author, now: datetime, approved: bool
) -> int:
    """Approve (or reject) together every subscriber mail of a campaign still waiting.

    A statement's mails to its subscribers follow the statement: approving any of its
    waiting messages lets them all go, and rejecting one mail rejects the mailing. One
    event for the lot; returns how many rows were decided.
    """
    status = OutboundStatus.QUEUED if approved else OutboundStatus.REJECTED
    decided = connection.execute(
        update(_outbound)
        .where(
            _outbound.c.campaign_id == campaign_id,
            _outbound.c.kind == str(OutboundKind.EMAIL_UPDATE),
            _outbound.c.status == str(OutboundStatus.AWAITING_APPROVAL),
        )
        .values(
            status=str(status),
            reviewed_by=reviewer.agent_id,
            approved_by=reviewer.agent_id if approved else None,
            updated_at=now,
        )
    ).rowcount
    if decided:
        events.record(
            connection,
            events.SubscriberMailsDecided(
                campaign_id=campaign_id, mails=decided, approved=approved
            ),
            at=now,
            actor=reviewer.handle,
        )
    return decided


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
        decision=events.OutboundRejected(outbound_id=row.id, note=note),
    )
    if row.kind == OutboundKind.EMAIL_UPDATE and row.campaign_id is not None:
        decide_subscriber_mails(
            connection, row.campaign_id, reviewer=reviewer, now=now, approved=False
        )


def _decide(
    connection: Connection,
    row: Any,
    *,
    reviewer: Author,
    now: datetime,
    note: str | None,
    status: OutboundStatus,
    decision: events.OutboundApproved | events.OutboundRejected,
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
        raise Conflict(f"outgoing message {row.id} is {current} now, not awaiting approval")
    events.record(connection, decision, at=now, actor=reviewer.handle, thread_id=row.thread_id)


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
        raise Conflict(
            f"outgoing message {outbound_id} is {row.status}; "
            "only failed or unknown ones are retried"
        )
    events.record(
        connection,
        events.OutboundRetrying(outbound_id=outbound_id, by="person"),
        at=now,
        actor=actor,
        thread_id=row.thread_id,
    )


def cancel(connection: Connection, outbound_id: int, *, actor: str, now: datetime) -> None:
    """Withdraw a row that has not started sending."""
    row = _existing_row(connection, outbound_id)
    cancellable = [
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
        raise Conflict(
            f"outgoing message {outbound_id} is {row.status} and can no longer be withdrawn"
        )
    events.record(
        connection,
        events.OutboundCancelled(outbound_id=outbound_id),
        at=now,
        actor=actor,
        thread_id=row.thread_id,
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
    waits_for_person: bool = False
    """The outcome is unknown and the platform cannot be asked: someone must check there,
    then retry or cancel it (the sender never sends it again by itself)."""
    purpose: str | None = None
    """Why the inbox queued it by itself ("acknowledgement"), or None: a person wrote it."""


def outbound_rows(
    connection: Connection,
    *,
    outbound_id: int | None = None,
    thread_id: int | None = None,
    campaign_id: int | None = None,
    statuses: Sequence[str] = (),
    written_by: Actor | None = None,
    limit: int = 500,
) -> list[OutboundRow]:
    """Outgoing messages, oldest first: all, or only those matching each filter given.

    `written_by` keeps the rows that person wrote (the bootstrap admin's have no author).
    """
    conditions = [
        column == value
        for column, value in (
            (_outbound.c.id, outbound_id),
            (_outbound.c.thread_id, thread_id),
            (_outbound.c.campaign_id, campaign_id),
        )
        if value is not None
    ]
    if statuses:
        conditions.append(_outbound.c.status.in_([str(status) for status in statuses]))
    if written_by is not None:
        conditions.append(_outbound.c.created_by == written_by.agent_id)
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
            _outbound.c.next_attempt_at,
            _outbound.c.purpose,
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
        next_attempt_at = values.pop("next_attempt_at")
        needed = row.status == OutboundStatus.AWAITING_APPROVAL or row.reviewer is not None
        reason = None
        if needed:
            if flagged:
                reason = f"prepared answer {shortcode!r} needs approval"
            elif row.kind in (OutboundKind.POST, OutboundKind.EMAIL_UPDATE):
                reason = "statements need approval"
            else:
                reason = "crisis mode requires approval"
        waits = row.status == OutboundStatus.UNKNOWN and next_attempt_at is None
        rows.append(OutboundRow(**values, approval_reason=reason, waits_for_person=waits))
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
