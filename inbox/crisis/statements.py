"""One statement everywhere: checked against every account and incident thread, then recorded."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update

from adapters.registry import UnknownPlatform, adapter_class
from inbox import events
from inbox.core.errors import InvalidInput
from inbox.core.models import Account, Campaign, Incident, Thread, ThreadStatus
from inbox.crisis.incidents import get_incident
from inbox.outbox.problems import ProblemCode, SendProblem

if TYPE_CHECKING:
    from inbox.core.access import Actor
    from inbox.crisis.email_updates import EmailAudience
    from inbox.outbox.drafts import Author

_account = Account.__table__
_thread = Thread.__table__
_incident = Incident.__table__
_campaign = Campaign.__table__


SUBSCRIBERS = "subscribers"
"""The target kind of a statement's mails to the subscribers."""

CANNOT_POST = "their platforms cannot publish a post from the inbox"


@dataclass(frozen=True, slots=True)
class StatementTarget:
    """Where a statement would go and how it reads there."""

    kind: str
    """`post` on an account, `reply` in an incident thread, or `subscribers`: one mail to
    every active subscriber through the email account."""
    account_id: int
    thread_id: int | None
    channel: str
    where: str
    rendered_text: str
    problems: tuple[SendProblem, ...]

    @property
    def fits(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class StatementPlan:
    """A statement checked against every target before anything is queued."""

    incident_id: int
    text: str
    targets: tuple[StatementTarget, ...]
    email: EmailAudience | None = None
    """The subscribers it would be mailed to; None when it is not for them."""
    status_page: str | None = None
    """Where the team's status page is (its link or folder); None when none is configured."""
    cannot_post: tuple[str, ...] = ()
    """The enabled accounts left out because their platform cannot publish a post from the
    inbox (Reddit, email, YouTube, Instagram), described for people."""

    @property
    def unfit(self) -> tuple[StatementTarget, ...]:
        return tuple(target for target in self.targets if not target.fits)

    @property
    def mailing(self) -> StatementTarget | None:
        """The target that mails every subscriber, if the statement goes to them."""
        return next((target for target in self.targets if target.kind == SUBSCRIBERS), None)

    def destinations(self) -> list[str]:
        """Where it goes besides the posts and replies: the status page and the subscribers."""
        page = (
            f"the status page at {self.status_page}"
            if self.status_page
            else "no status page configured"
        )
        if self.email is None:
            mail = "not mailed to subscribers"
        else:
            mail = self.email.describe()
        return [page, mail]

    def summary(self) -> str:
        """What goes where, and what does not fit, in lines for a person."""
        posts = [target for target in self.targets if target.kind == "post"]
        replies = [target for target in self.targets if target.kind == "reply"]
        lines = [
            (
                f"statement for incident {self.incident_id}: {len(posts)} account post"
                f"{'s' if len(posts) != 1 else ''}, {len(replies)} thread "
                f"repl{'ies' if len(replies) != 1 else 'y'}"
            )
        ]
        lines += [f"also: {where}" for where in self.destinations()]
        if self.cannot_post:
            lines.append(f"not posted on {', '.join(self.cannot_post)}: {CANNOT_POST}")
        by_channel = Counter(
            target.channel for target in self.targets if target.fits and target.kind != SUBSCRIBERS
        )
        if by_channel:
            lines.append(
                "fits: "
                + ", ".join(f"{channel} {count}" for channel, count in sorted(by_channel.items()))
            )
        if self.unfit:
            lines.append(f"does not fit ({len(self.unfit)}):")
            lines += [
                f"  {target.where}: {' '.join(problem.text for problem in target.problems)}"
                for target in self.unfit
            ]
        return "\n".join(lines)


def plan_statement(
    connection: Connection,
    incident_id: int,
    *,
    author: Author,
    now: datetime,
    text: str | None = None,
    account_ids: Sequence[int] | None = None,
    reply_to_threads: bool = False,
    to_subscribers: bool = False,
) -> StatementPlan:
    """Render the statement (default: the holding statement) for every chosen account,
    with `reply_to_threads` every open thread of the incident, and with `to_subscribers`
    the mail to every active subscriber; nothing is queued."""
    from inbox.crisis.email_updates import email_audience
    from inbox.outbox.drafts import OutboundKind
    from inbox.outbox.targets import account_target, thread_target

    incident = get_incident(connection, incident_id)
    statement = text if text is not None else incident.holding_statement
    if not statement or not statement.strip():
        raise InvalidInput(f"incident {incident_id} has no holding statement; give --text")
    chosen = account_ids is not None
    if account_ids is None:
        account_ids = list(
            connection.execute(
                select(_account.c.id).where(_account.c.enabled.is_(True)).order_by(_account.c.id)
            ).scalars()
        )
    targets: list[StatementTarget] = []
    cannot_post: list[str] = []
    for account_id in dict.fromkeys(account_ids):
        target = account_target(connection, account_id)
        if not chosen and not _can_post(target.platform):
            cannot_post.append(target.describe())
            continue
        targets.append(
            _statement_target("post", connection, target, OutboundKind.POST, author, now, statement)
        )
    if reply_to_threads:
        thread_ids = connection.execute(
            select(_thread.c.id)
            .where(_thread.c.incident_id == incident_id, _thread.c.status != ThreadStatus.CLOSED)
            .order_by(_thread.c.id)
        ).scalars()
        for thread_id in thread_ids:
            target = thread_target(connection, thread_id)
            targets.append(
                _statement_target(
                    "reply", connection, target, OutboundKind.REPLY, author, now, statement
                )
            )
    audience = email_audience(connection) if to_subscribers else None
    if audience is not None and audience.reachable and audience.account is not None:
        target = account_target(connection, audience.account.id)
        mailing = _statement_target(
            SUBSCRIBERS, connection, target, OutboundKind.EMAIL_UPDATE, author, now, statement
        )
        targets.append(replace(mailing, where=audience.describe()))
    if not targets:
        raise InvalidInput(
            "the statement has nowhere to go: no enabled account that can publish a post, "
            "no open incident thread and no subscriber"
        )
    return StatementPlan(
        incident_id, statement, tuple(targets), email=audience, cannot_post=tuple(cannot_post)
    )


def _can_post(platform: str) -> bool:
    """Whether accounts on `platform` can publish a statement (unknown platforms: no)."""
    try:
        return adapter_class(platform).can_post_statement
    except UnknownPlatform:
        return False


def _statement_target(
    kind: str,
    connection: Connection,
    target: Any,
    outbound_kind: Any,
    author: Author,
    now: datetime,
    text: str,
) -> StatementTarget:
    """The statement drafted for one target; a platform this inbox cannot send to does not fit."""
    from inbox.outbox.drafts import draft

    try:
        prepared = draft(connection, target, kind=outbound_kind, author=author, now=now, text=text)
    except KeyError:
        return StatementTarget(
            kind=kind,
            account_id=target.account_id,
            thread_id=target.thread_id,
            channel=target.channel,
            where=target.describe(),
            rendered_text="",
            problems=(
                SendProblem(
                    ProblemCode.NO_ADAPTER,
                    f"This inbox cannot send to {target.platform}: no adapter for it is installed.",
                ),
            ),
        )
    return StatementTarget(
        kind=kind,
        account_id=target.account_id,
        thread_id=target.thread_id,
        channel=target.channel,
        where=target.describe(),
        rendered_text=prepared.rendered.text,
        problems=prepared.problems,
    )


def record_statement(
    connection: Connection,
    incident_id: int,
    *,
    actor: Actor,
    now: datetime,
    text: str,
    campaign_ids: Sequence[int],
    plan: StatementPlan,
    subscribers: int = 0,
) -> None:
    """Tie the statement's campaigns to the incident, log it (with the number of
    `subscribers` mailed) and, when it went out publicly (a post on an account, or mail to
    the subscribers), restart the update clock: answers in the incident's threads alone are
    no public update."""
    if campaign_ids:
        connection.execute(
            update(_campaign)
            .where(_campaign.c.id.in_(list(campaign_ids)))
            .values(incident_id=incident_id)
        )
    sent = [target for target in plan.targets if target.fits]
    if any(target.kind in ("post", SUBSCRIBERS) for target in sent):
        connection.execute(
            update(_incident).where(_incident.c.id == incident_id).values(last_update_at=now)
        )
    events.record(
        connection,
        events.IncidentStatementSent(
            text=text,
            campaign_ids=list(campaign_ids),
            posts=sum(1 for target in sent if target.kind == "post"),
            replies=sum(1 for target in sent if target.kind == "reply"),
            channels=dict(Counter(target.channel for target in sent if target.kind != SUBSCRIBERS)),
            skipped=[target.where for target in plan.unfit],
            subscribers=subscribers,
        ),
        at=now,
        actor=actor.handle,
        incident_id=incident_id,
    )
