"""The sender: claims due outgoing rows and sends each exactly once, however many senders run.

Senders claim a row with a conditional UPDATE (queued → sending only while still queued),
so two senders never send one row. A claim lasts `claim_ttl`; a row whose sender died
with it becomes `unknown`, and is looked up on the platform before anything is sent again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, and_, or_, select, update

from adapters.base import (
    AccountRef,
    Adapter,
    AuthExpired,
    Direction,
    FetchedContact,
    FetchedItem,
    Kind,
    ListUnsubscribe,
    NotReached,
    OutboundRequest,
    PayloadInvalid,
    PlatformUnavailable,
    RateLimited,
    SentRef,
)
from inbox import events
from inbox.core.clock import Clock, utc_now
from inbox.core.database import write_transaction
from inbox.core.models import (
    Account,
    Agent,
    Campaign,
    Contact,
    Incident,
    Item,
    Outbound,
    OutboundStatus,
    Subscriber,
    Thread,
)
from inbox.outbox.acknowledgements import AcknowledgementPass
from inbox.outbox.drafts import OutboundKind, unsubscribe_subject, update_subject
from inbox.outbox.scheduled import publish_due_posts
from inbox.outbox.targets import channel_name
from inbox.store.ingest import OUTBOX_STREAM, Store
from inbox.store.leases import backoff_after, new_holder_name
from inbox.store.serving import ServedAccounts
from inbox.triage.auto_assign import take_answered

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

_account = Account.__table__
_agent = Agent.__table__
_contact = Contact.__table__
_item = Item.__table__
_outbound = Outbound.__table__
_thread = Thread.__table__
_campaign = Campaign.__table__
_incident = Incident.__table__
_subscriber = Subscriber.__table__

CLAIM_TTL = timedelta(minutes=5)
"""How long a sender may hold a row; after that the row is presumed orphaned."""

SEND_TIMEOUT = timedelta(seconds=60)
"""Longest wait for one platform call; kept well inside `CLAIM_TTL`."""

MAX_ATTEMPTS = 8
"""Failed tries (rate limits aside) after which a row is given up as failed."""

LOOK_UP_MARGIN = timedelta(minutes=2)
"""How long before a row was queued `find_sent` looks: room for the platform's clock."""


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
    queued_at: datetime
    subject: str | None = None
    """An incident update's subject ("[Update] <incident title>")."""
    unsubscribe_token: str | None = None
    """The token of the subscriber an incident update goes to."""
    unsubscribed: bool = False
    """The subscriber has left since the update was queued: it must not go."""
    purpose: str | None = None
    """"acknowledgement" when the inbox queued it by itself: its message is not a first
    response."""


@dataclass(frozen=True, slots=True)
class SendResult:
    """What happened to one row in one try, for progress displays and tests."""

    outbound_id: int
    status: str
    detail: str | None = None
    rate_limited: bool = False
    """Put back in the queue until the platform's rate limit resets."""


@dataclass(slots=True)
class SendSummary:
    """What `send_once` did."""

    results: list[SendResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many tries ended in `status`."""
        return sum(1 for result in self.results if result.status == status)


def can_look_up_sent(adapter: Adapter, kind: Kind) -> bool:
    """Whether the platform can say if an interrupted send of this kind was posted."""
    return kind in type(adapter).finds_sent


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
    sent (the demo) can answer `find_sent` for its own interrupted sends. Only rows of the
    accounts this process serves (`served`: their secret is in its keyring) are claimed,
    failed or released; the others wait for a process that holds the secret.
    """

    def __init__(
        self,
        engine: Engine,
        adapter_factory: Callable[[AccountRef, httpx.AsyncClient | None], Adapter],
        *,
        clock: Clock = utc_now,
        holder: str | None = None,
        claim_ttl: timedelta = CLAIM_TTL,
        send_timeout: timedelta = SEND_TIMEOUT,
        max_attempts: int = MAX_ATTEMPTS,
        on_result: Callable[[SendResult], None] | None = None,
        served: ServedAccounts | None = None,
    ) -> None:
        self.engine = engine
        self.adapter_factory = adapter_factory
        self.clock = clock
        self.holder = holder or new_holder_name()
        self.claim_ttl = claim_ttl
        self.send_timeout = min(send_timeout, claim_ttl / 2)
        self.max_attempts = max_attempts
        self.on_result = on_result
        self.served = served or ServedAccounts(None)
        self.store = Store(engine, clock)
        self.acknowledgements = AcknowledgementPass(engine)
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
        await asyncio.to_thread(self.acknowledge_new_threads)
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
        """Queue the scheduled posts whose time has come (`inbox.outbox.scheduled`); how many.

        A failure here is logged and left for the next round: it must not stop replies.
        """
        try:
            return len(publish_due_posts(self.engine, self.clock()))
        except Exception:
            log.exception("publishing the scheduled posts that are due failed")
            return 0

    def acknowledge_new_threads(self) -> int:
        """Queue the acknowledgements the team's rules give new threads
        (`inbox.outbox.acknowledgements`); how many. A failure is logged and left for the
        next round: it must not stop replies."""
        try:
            return len(self.acknowledgements.run(self.clock()))
        except Exception:
            log.exception("acknowledging new threads failed")
            return 0

    def release_orphans(self) -> int:
        """Mark rows whose sender's claim ran out as `unknown`, to be looked up before a retry."""
        now = self.clock()
        orphaned = select(_outbound.c.id, _outbound.c.thread_id, _outbound.c.attempts).where(
            _outbound.c.status == str(OutboundStatus.SENDING),
            _outbound.c.next_attempt_at < now,
        )
        with self.engine.connect() as connection:
            served = self._served_account_ids(connection)
            if served is not None:
                orphaned = orphaned.where(_outbound.c.account_id.in_(served))
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
                    events.record(
                        connection,
                        events.OutboundUnknown(outbound_id=orphan.id, reason="sender stopped"),
                        at=now,
                        actor=events.OUTBOX_ACTOR,
                        thread_id=orphan.thread_id,
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
            served = self._served_account_ids(connection)
            if served is not None:
                due = and_(due, _outbound.c.account_id.in_(served))
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

    def _served_account_ids(self, connection: Connection) -> list[int] | None:
        """The accounts whose rows this sender may claim; None for every account."""
        if self.served.serves_everything:
            return None
        return sorted(self.served.account_ids(connection))

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
                _incident.c.title.label("incident_title"),
                _subscriber.c.unsubscribe_token,
                _subscriber.c.unsubscribed_at,
            )
            .join(_account, _account.c.id == _outbound.c.account_id)
            .outerjoin(_thread, _thread.c.id == _outbound.c.thread_id)
            .outerjoin(_contact, _contact.c.id == _thread.c.contact_id)
            .outerjoin(author, author.c.id == _outbound.c.created_by)
            .outerjoin(_campaign, _campaign.c.id == _outbound.c.campaign_id)
            .outerjoin(_incident, _incident.c.id == _campaign.c.incident_id)
            .outerjoin(_subscriber, _subscriber.c.email == _outbound.c.recipient)
            .where(_outbound.c.id == outbound_id)
        ).one()
        recipient = None
        mailed = row.kind == OutboundKind.EMAIL_UPDATE
        if mailed and row.recipient is not None:
            recipient = FetchedContact(external_id=row.recipient, handle=row.recipient)
        elif row.contact_external_id is not None:
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
            queued_at=row.created_at,
            subject=update_subject(row.incident_title) if mailed else None,
            unsubscribe_token=row.unsubscribe_token if mailed else None,
            unsubscribed=mailed and (row.unsubscribe_token is None or bool(row.unsubscribed_at)),
            purpose=row.purpose,
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
        if claim.kind == OutboundKind.EMAIL_UPDATE:
            token = claim.unsubscribe_token
            return OutboundRequest(
                idempotency_key=claim.idempotency_key,
                kind=Kind.DM,
                text=claim.rendered_text,
                recipient=claim.recipient,
                subject=claim.subject,
                unsubscribe=ListUnsubscribe(unsubscribe_subject(token)) if token else None,
            )
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
        if claim.unsubscribed:
            return await asyncio.to_thread(self._withdraw, claim)
        try:
            adapter = self._adapter(claim.account, client)
        except Exception as error:  # noqa: BLE001 - a broken account must not stop the others
            return await asyncio.to_thread(
                self._fail,
                claim,
                f"cannot reach {claim.account.platform} {claim.account.handle}: {error}",
            )
        if claim.kind in (OutboundKind.HIDE, OutboundKind.UNHIDE):
            return await self._moderate(claim, adapter)
        request = self._request(claim)
        can_look_up = can_look_up_sent(adapter, request.kind)
        if claim.previous_status == OutboundStatus.UNKNOWN:
            if not can_look_up:
                return await asyncio.to_thread(self._needs_person, claim)
            since = claim.queued_at - LOOK_UP_MARGIN
            try:
                found = await asyncio.wait_for(adapter.find_sent(request, since), timeout)
            except (AuthExpired, PayloadInvalid) as error:
                return await asyncio.to_thread(self._fail, claim, describe_failure(error))
            except Exception as error:  # noqa: BLE001 - any failure to look means: look later
                return await asyncio.to_thread(self._unknown, claim, describe_failure(error))
            if found is not None:
                return await asyncio.to_thread(self._record_sent, claim, found, True)
        try:
            sent = await asyncio.wait_for(adapter.send(request), timeout)
        except RateLimited as error:
            return await asyncio.to_thread(self._rate_limited, claim, error)
        except (AuthExpired, PayloadInvalid) as error:
            return await asyncio.to_thread(self._fail, claim, describe_failure(error))
        except (NotReached, httpx.ConnectError, ConnectionRefusedError) as error:
            return await asyncio.to_thread(self._retry_later, claim, describe_failure(error))
        except (PlatformUnavailable, httpx.HTTPError, OSError, TimeoutError) as error:
            # The platform may have posted it before failing: look before any new try.
            if can_look_up:
                return await asyncio.to_thread(self._unknown, claim, describe_failure(error))
            return await asyncio.to_thread(
                self._needs_person, claim, _cannot_tell(claim, describe_failure(error))
            )
        except Exception as error:
            log.exception("sending outgoing message %s failed unexpectedly", claim.id)
            return await asyncio.to_thread(
                self._needs_person,
                claim,
                f"unexpected error while sending: {type(error).__name__}: {error}",
            )
        return await asyncio.to_thread(self._record_sent, claim, sent, False)

    async def _moderate(self, claim: _Claim, adapter: Adapter) -> SendResult:
        """Hide (or show again) a comment. Doing it twice does what doing it once does, so an
        interrupted try is simply made again, with no look-up first."""
        hidden = claim.kind == OutboundKind.HIDE
        if not type(adapter).can_hide or claim.in_reply_to is None:
            name = channel_name(claim.account.platform)
            return await asyncio.to_thread(
                self._fail, claim, f"{name} cannot hide comments from the inbox"
            )
        try:
            await asyncio.wait_for(
                adapter.hide(claim.in_reply_to, hidden=hidden), self.send_timeout.total_seconds()
            )
        except RateLimited as error:
            return await asyncio.to_thread(self._rate_limited, claim, error)
        except (AuthExpired, PayloadInvalid, NotImplementedError) as error:
            return await asyncio.to_thread(self._fail, claim, describe_failure(error))
        except Exception as error:  # noqa: BLE001 - network and 5xx: hiding again is harmless
            return await asyncio.to_thread(self._retry_later, claim, describe_failure(error))
        await asyncio.to_thread(
            self._settle,
            claim,
            events.CommentHidden(outbound_id=claim.id, hidden=hidden),
            status=str(OutboundStatus.SENT),
            sent_at=self.clock(),
            next_attempt_at=None,
            error=None,
        )
        return SendResult(claim.id, str(OutboundStatus.SENT))

    def _settle(self, claim: _Claim, outcome: events.InboxEvent, **values: Any) -> bool:
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
                events.record(
                    connection,
                    outcome,
                    at=now,
                    actor=events.OUTBOX_ACTOR,
                    thread_id=claim.thread_id,
                )
                if isinstance(outcome, events.OutboundSent) and outcome.external_id is not None:
                    connection.execute(
                        update(_item)
                        .where(
                            _item.c.account_id == claim.account.id,
                            _item.c.external_id == outcome.external_id,
                        )
                        .values(agent_id=claim.author_id, automated=claim.purpose is not None)
                    )
                if isinstance(outcome, events.OutboundSent):
                    take_answered(connection, claim.id, now)
                if isinstance(outcome, events.CommentHidden):
                    connection.execute(
                        update(_item)
                        .where(
                            _item.c.account_id == claim.account.id,
                            _item.c.external_id == claim.in_reply_to,
                        )
                        .values(hidden_at=now if outcome.hidden else None)
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
            self.store.ingest(
                claim.account, OUTBOX_STREAM, [item], None, automated=claim.purpose is not None
            )
        self._settle(
            claim,
            events.OutboundSent(
                outbound_id=claim.id,
                attempt=claim.attempts,
                external_id=sent.external_id,
                author=claim.author_handle,
                found_after_interruption=reconciled,
            ),
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
            events.OutboundFailed(outbound_id=claim.id, attempt=claim.attempts, reason=reason),
            status=str(OutboundStatus.FAILED),
            error=reason,
            next_attempt_at=None,
        )
        return SendResult(claim.id, str(OutboundStatus.FAILED), reason)

    def _withdraw(self, claim: _Claim) -> SendResult:
        """Drop an incident update whose subscriber left after it was queued."""
        self._settle(
            claim,
            events.OutboundCancelled(outbound_id=claim.id),
            status=str(OutboundStatus.CANCELLED),
            error="the subscriber unsubscribed",
            next_attempt_at=None,
        )
        return SendResult(claim.id, str(OutboundStatus.CANCELLED), "the subscriber unsubscribed")

    def _gave_up(self, claim: _Claim, reason: str) -> SendResult | None:
        if claim.attempts < self.max_attempts:
            return None
        return self._fail(claim, f"gave up after {claim.attempts} attempts; the last: {reason}")

    def _unknown(self, claim: _Claim, reason: str) -> SendResult:
        given_up = self._gave_up(claim, reason)
        if given_up is not None:
            return given_up
        retry_at = self.clock() + backoff_after(claim.attempts)
        self._settle(
            claim,
            events.OutboundUnknown(
                outbound_id=claim.id,
                attempt=claim.attempts,
                reason=reason,
                check_at=retry_at.isoformat(),
            ),
            status=str(OutboundStatus.UNKNOWN),
            error=reason,
            next_attempt_at=retry_at,
        )
        return SendResult(claim.id, str(OutboundStatus.UNKNOWN), reason)

    def _needs_person(self, claim: _Claim, reason: str | None = None) -> SendResult:
        reason = reason or _cannot_tell(claim, "the sender stopped while sending")
        self._settle(
            claim,
            events.OutboundUnknown(
                outbound_id=claim.id, attempt=claim.attempts, reason=reason, needs_person=True
            ),
            status=str(OutboundStatus.UNKNOWN),
            error=reason,
            next_attempt_at=None,
        )
        return SendResult(claim.id, str(OutboundStatus.UNKNOWN), reason)

    def _retry_later(self, claim: _Claim, reason: str) -> SendResult:
        given_up = self._gave_up(claim, reason)
        if given_up is not None:
            return given_up
        retry_at = self.clock() + backoff_after(claim.attempts)
        self._settle(
            claim,
            events.OutboundRetrying(
                outbound_id=claim.id,
                attempt=claim.attempts,
                reason=reason,
                retry_at=retry_at.isoformat(),
            ),
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
            events.OutboundRetrying(
                outbound_id=claim.id,
                attempt=claim.attempts,
                reason=reason,
                retry_at=retry_at.isoformat(),
            ),
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
        return SendResult(claim.id, str(OutboundStatus.QUEUED), reason, rate_limited=True)


def _cannot_tell(claim: _Claim, what_happened: str) -> str:
    return (
        f"{what_happened}, and {channel_name(claim.account.platform)} cannot tell whether the "
        f"message was posted; check there, then `inbox outbox retry {claim.id}` or "
        f"`inbox outbox cancel {claim.id}`"
    )
