"""Scheduled posts: a lead's post waits for its time (paused during an incident), then the
sender hands it to the outbox.

A post whose time has come moves from `scheduled` to `posted` by a conditional update, in
the same transaction as the outbound row that carries it, so however many senders run it
goes out once. Paused and cancelled posts are never touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, insert, select, update

from inbox import events
from inbox.core.database import write_transaction
from inbox.core.errors import Conflict, InvalidInput, NotFound
from inbox.core.models import Account, Agent, Event, Outbound, ScheduledPost
from inbox.outbox.drafts import Author, Draft, OutboundKind, draft
from inbox.outbox.queue import queue
from inbox.outbox.targets import account_target, active_incident

if TYPE_CHECKING:
    from inbox.core.access import Actor

_post = ScheduledPost.__table__
_account = Account.__table__
_agent = Agent.__table__
_event = Event.__table__
_outbound = Outbound.__table__

SCHEDULED = "scheduled"
PAUSED = "paused"
POSTED = "posted"
CANCELLED = "cancelled"
POST_STATUSES = (SCHEDULED, PAUSED, POSTED, CANCELLED)
"""A scheduled post's life: scheduled (or paused) until its time, then posted; or cancelled."""


@dataclass(frozen=True, slots=True)
class PostRow:
    """A scheduled post."""

    id: int
    account_id: int
    platform: str
    account_handle: str
    text: str
    scheduled_at: datetime
    status: str
    paused_reason: str | None
    created_by: str | None
    outbound_status: str | None = None
    """For a posted post: how its outgoing message is doing (queued, sent, failed, ...)."""


@dataclass(frozen=True, slots=True)
class PublishedPost:
    """A due scheduled post handed to the outbox, or held back because it could not go."""

    post_id: int
    outbound_id: int | None
    problem: str | None = None


def list_posts(connection: Connection, statuses: Sequence[str] = ()) -> list[PostRow]:
    """Scheduled posts, soonest first."""
    query = (
        select(
            _post,
            _account.c.platform,
            _account.c.handle.label("account_handle"),
            _agent.c.handle.label("author"),
        )
        .join(_account, _account.c.id == _post.c.account_id)
        .outerjoin(_agent, _agent.c.id == _post.c.created_by)
        .order_by(_post.c.scheduled_at, _post.c.id)
    )
    if statuses:
        query = query.where(_post.c.status.in_(list(statuses)))
    rows = connection.execute(query).all()
    sending = _outbound_status_of_posts(
        connection, [row.id for row in rows if row.status == POSTED]
    )
    return [
        PostRow(
            id=row.id,
            account_id=row.account_id,
            platform=row.platform,
            account_handle=row.account_handle,
            text=row.text,
            scheduled_at=row.scheduled_at,
            status=row.status,
            paused_reason=row.paused_reason,
            created_by=row.author,
            outbound_status=sending.get(row.id),
        )
        for row in rows
    ]


def _outbound_status_of_posts(connection: Connection, post_ids: Sequence[int]) -> dict[int, str]:
    """{post id: status of the outgoing message it became}, from the `post.published` events."""
    if not post_ids:
        return {}
    wanted = set(post_ids)
    outbound_of = {}
    published = select(_event.c.payload).where(_event.c.type == events.PostPublished.type)
    for payload in connection.execute(published).scalars():
        post = events.PostPublished.from_payload(payload)
        if post.post_id in wanted:
            outbound_of[post.post_id] = post.outbound_id
    statuses = (
        dict(
            connection.execute(
                select(_outbound.c.id, _outbound.c.status).where(
                    _outbound.c.id.in_(list(outbound_of.values()))
                )
            ).all()
        )
        if outbound_of
        else {}
    )
    return {
        post_id: statuses[outbound_id]
        for post_id, outbound_id in outbound_of.items()
        if outbound_id in statuses
    }


def get_post(connection: Connection, post_id: int) -> PostRow:
    """One scheduled post; NotFound if there is none."""
    for post in list_posts(connection):
        if post.id == post_id:
            return post
    raise NotFound(f"no scheduled post {post_id} (`inbox posts list` shows them)")


def _post_author(connection: Connection, agent_id: int | None, handle: str) -> Author:
    """The author a scheduled post goes out as: leads and admins need no approval for it."""
    from inbox.core.access import Action, role_allows

    row = connection.execute(
        select(_agent.c.name, _agent.c.role).where(_agent.c.id == agent_id)
    ).first()
    if row is None:
        return Author(handle=handle, agent_id=agent_id, name=None, may_approve=agent_id is None)
    return Author(
        handle=handle,
        agent_id=agent_id,
        name=row.name,
        may_approve=role_allows(row.role, Action.APPROVE),
    )


def _draft_post(
    connection: Connection, account_id: int, text: str, author: Author, now: datetime
) -> Draft:
    """The post rendered for its account and checked like any outgoing message."""
    return draft(
        connection,
        account_target(connection, account_id),
        kind=OutboundKind.POST,
        author=author,
        now=now,
        text=text,
    )


def _check_post(
    connection: Connection, account_id: int, text: str, *, actor: Actor, now: datetime
) -> None:
    """Refuse a post that could not go out as it is (too long, the account disabled, ...)."""
    if not text.strip():
        raise InvalidInput("a scheduled post needs text")
    prepared = _draft_post(
        connection, account_id, text, _post_author(connection, actor.agent_id, actor.handle), now
    )
    if prepared.problems:
        raise InvalidInput(
            f"the post cannot go to {prepared.target.describe()}: "
            + " ".join(prepared.problem_texts())
        )


def add_post(
    connection: Connection,
    account_id: int,
    text: str,
    scheduled_at: datetime,
    *,
    actor: Actor,
    now: datetime,
) -> int:
    """Schedule a post, checked for its channel; during an active incident it starts paused."""
    _check_post(connection, account_id, text, actor=actor, now=now)
    active = active_incident(connection)
    status, reason = (
        (PAUSED, f"incident {active.id}: {active.title}")
        if active is not None
        else (SCHEDULED, None)
    )
    post_id = connection.execute(
        insert(_post).values(
            account_id=account_id,
            text=text,
            scheduled_at=scheduled_at,
            status=status,
            paused_reason=reason,
            created_by=actor.agent_id,
            created_at=now,
        )
    ).inserted_primary_key[0]
    events.record(
        connection,
        events.PostScheduled(
            post_id=post_id,
            account_id=account_id,
            scheduled_at=scheduled_at.isoformat(),
            status=status,
        ),
        at=now,
        actor=actor.handle,
    )
    return post_id


def _changeable_post(connection: Connection, post_id: int) -> PostRow:
    post = get_post(connection, post_id)
    if post.status not in (SCHEDULED, PAUSED):
        raise Conflict(
            f"scheduled post {post_id} is {post.status}; only scheduled or paused posts change"
        )
    return post


def edit_post(
    connection: Connection,
    post_id: int,
    *,
    actor: Actor,
    now: datetime,
    text: str | None = None,
    scheduled_at: datetime | None = None,
) -> PostRow:
    """Change a post's text or time; a paused post stays paused."""
    post = _changeable_post(connection, post_id)
    values: dict[str, Any] = {}
    if text is not None:
        _check_post(connection, post.account_id, text, actor=actor, now=now)
        values["text"] = text
    if scheduled_at is not None:
        values["scheduled_at"] = scheduled_at
    if not values:
        raise InvalidInput("nothing to change: give --text or --at")
    connection.execute(update(_post).where(_post.c.id == post_id).values(**values))
    events.record(
        connection,
        events.PostEdited(post_id=post_id, changed=sorted(values)),
        at=now,
        actor=actor.handle,
    )
    return get_post(connection, post_id)


def cancel_post(connection: Connection, post_id: int, *, actor: Actor, now: datetime) -> PostRow:
    """Withdraw a scheduled or paused post."""
    _changeable_post(connection, post_id)
    connection.execute(update(_post).where(_post.c.id == post_id).values(status=CANCELLED))
    events.record(connection, events.PostCancelled(post_id=post_id), at=now, actor=actor.handle)
    return get_post(connection, post_id)


def pause_scheduled_posts(
    connection: Connection,
    reason: str,
    *,
    actor: Actor,
    now: datetime,
    incident_id: int | None = None,
) -> list[int]:
    """Pause every scheduled post with `reason`; returns the ids paused."""
    ids = list(
        connection.execute(
            select(_post.c.id).where(_post.c.status == SCHEDULED).order_by(_post.c.id)
        ).scalars()
    )
    if ids:
        connection.execute(
            update(_post)
            .where(_post.c.id.in_(ids), _post.c.status == SCHEDULED)
            .values(status=PAUSED, paused_reason=reason)
        )
    events.record(
        connection,
        events.PostsPaused(post_ids=ids, reason=reason),
        at=now,
        actor=actor.handle,
        incident_id=incident_id,
    )
    return ids


def resume_posts(
    connection: Connection, post_ids: Sequence[int] | None, *, actor: Actor, now: datetime
) -> list[int]:
    """Resume the given paused posts, or every paused one when `post_ids` is None."""
    query = select(_post.c.id).where(_post.c.status == PAUSED)
    if post_ids is not None:
        for post_id in post_ids:
            post = get_post(connection, post_id)
            if post.status != PAUSED:
                raise Conflict(f"scheduled post {post_id} is {post.status}, not paused")
        query = query.where(_post.c.id.in_(list(post_ids)))
    ids = list(connection.execute(query.order_by(_post.c.id)).scalars())
    if ids:
        connection.execute(
            update(_post).where(_post.c.id.in_(ids)).values(status=SCHEDULED, paused_reason=None)
        )
    events.record(connection, events.PostsResumed(post_ids=ids), at=now, actor=actor.handle)
    return ids


def publish_due_posts(engine: Engine, now: datetime, *, limit: int = 50) -> list[PublishedPost]:
    """Hand the scheduled posts due by `now` to the outbox, each exactly once, oldest first.

    Each post is taken by a conditional update (`scheduled` to `posted`) in the transaction
    that queues its outgoing message, so a second sender finds nothing left to take. A post
    that cannot go as it is (grown too long for a changed limit, its account disabled or
    gone) is paused with the reason, for a lead to edit and resume.
    """
    with engine.connect() as connection:
        due = (
            connection.execute(
                select(_post.c.id)
                .where(_post.c.status == SCHEDULED, _post.c.scheduled_at <= now)
                .order_by(_post.c.scheduled_at, _post.c.id)
                .limit(limit)
            )
            .scalars()
            .all()
        )
    published = []
    for post_id in due:
        with write_transaction(engine) as connection:
            result = _publish_post(connection, post_id, now)
        if result is not None:
            published.append(result)
    return published


def _publish_post(connection: Connection, post_id: int, now: datetime) -> PublishedPost | None:
    taken = connection.execute(
        update(_post)
        .where(_post.c.id == post_id, _post.c.status == SCHEDULED, _post.c.scheduled_at <= now)
        .values(status=POSTED)
    ).rowcount
    if not taken:
        return None
    row = connection.execute(
        select(_post.c.account_id, _post.c.text, _post.c.created_by, _agent.c.handle)
        .outerjoin(_agent, _agent.c.id == _post.c.created_by)
        .where(_post.c.id == post_id)
    ).one()
    author = _post_author(connection, row.created_by, row.handle or events.SYSTEM_ACTOR)
    try:
        prepared = _draft_post(connection, row.account_id, row.text, author, now)
        problems = prepared.problem_texts()
    except (NotFound, InvalidInput) as error:
        prepared, problems = None, [str(error)]
    if problems or prepared is None:
        reason = "not published at its time: " + " ".join(problems)
        connection.execute(
            update(_post).where(_post.c.id == post_id).values(status=PAUSED, paused_reason=reason)
        )
        events.record(
            connection,
            events.PostsPaused(post_ids=[post_id], reason=reason),
            at=now,
            actor=events.OUTBOX_ACTOR,
        )
        return PublishedPost(post_id, None, reason)
    outbound_id = queue(connection, prepared, author=author, now=now)
    events.record(
        connection,
        events.PostPublished(post_id=post_id, outbound_id=outbound_id, account_id=row.account_id),
        at=now,
        actor=events.OUTBOX_ACTOR,
    )
    return PublishedPost(post_id, outbound_id)
