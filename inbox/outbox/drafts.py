"""A message made ready for one target (`Draft`), with every check that stops it going out
as it is and the reason it may need a lead's approval.

Nothing is ever shortened to fit: a message too long, with a variable without a value, or
outside the platform's reply window is refused.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select

from adapters.base import Kind
from adapters.registry import adapter_class
from inbox.answers import load_answer
from inbox.core.models import Agent, Outbound, OutboundStatus
from inbox.core.sanitize import single_line
from inbox.outbox.problems import ProblemCode, SendProblem
from inbox.outbox.targets import Target, active_incident, render, render_context, style_platform

if TYPE_CHECKING:
    from canned_responses.library import CannedResponse as PreparedAnswer
    from canned_responses.render import Rendered

_agent = Agent.__table__
_outbound = Outbound.__table__

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
    EMAIL_UPDATE = "email_update"
    """An incident update mailed to one subscriber (`outbound.recipient`), outside any thread."""
    HIDE = "hide"
    """Hide a customer's comment (`outbound.in_reply_to`) on the platform; nothing is posted."""
    UNHIDE = "unhide"
    """Show a hidden comment again."""


def update_subject(incident_title: str | None) -> str:
    """The subject of an incident update mailed to subscribers: "[Update] <title>"."""
    title = single_line(incident_title or "")
    return f"[Update] {title}" if title else "[Update]"


def unsubscribe_subject(token: str) -> str:
    """The subject of a mail that unsubscribes the holder of `token` from incident updates."""
    return f"unsubscribe {token}"


def pre_send_checks(
    target: Target,
    rendered: Rendered,
    *,
    kind: OutboundKind,
    now: datetime,
    seen_version: int | None = None,
) -> list[SendProblem]:
    """Everything in the message and its target that stops it going out as it is, each with
    its code and sentence (replies already on their way: `answering_problems`).

    `seen_version` is the thread's version when the person opened it.
    """
    problems: list[SendProblem] = []

    def add(code: ProblemCode, text: str) -> None:
        problems.append(SendProblem(code, text))

    platform_class = adapter_class(target.platform)
    if not rendered.text.strip():
        add(ProblemCode.EMPTY, "Nothing to send: the message is empty.")
    for name in rendered.unfilled:
        add(
            ProblemCode.UNFILLED_VARIABLE,
            f"{{{name}}} has no value here and no fallback; fill it in before sending.",
        )
    if not rendered.fit.fits:
        add(
            ProblemCode.TOO_LONG,
            rendered.fit.explain(target.channel) + " Shorten it; nothing is cut for you.",
        )
    if not target.account_enabled:
        add(
            ProblemCode.ACCOUNT_DISABLED,
            f"The account {target.account_handle} on {target.channel} is disabled.",
        )
    private = kind == OutboundKind.DM or (
        kind == OutboundKind.REPLY and target.thread_kind == Kind.DM
    )
    if kind == OutboundKind.REPLY and not platform_class.can_reply:
        add(
            ProblemCode.REPLIES_NOT_ALLOWED,
            f"{target.channel} does not allow replies from the inbox.",
        )
    if kind == OutboundKind.DM and not platform_class.can_dm:
        add(
            ProblemCode.DMS_NOT_ALLOWED,
            f"{target.channel} does not allow direct messages from the inbox.",
        )
    if kind == OutboundKind.POST and not platform_class.can_post_statement:
        add(
            ProblemCode.POSTS_NOT_ALLOWED,
            f"{target.channel} cannot publish a post from the inbox; answer in its threads "
            "or reach its people another way.",
        )
    if kind == OutboundKind.DM and target.contact_external_id is None:
        add(ProblemCode.NO_RECIPIENT, "There is no known author to send a direct message to.")
    window = platform_class.reply_window_for(target.account_settings)
    if private and window is not None and target.last_inbound_at is not None:
        waited = now - target.last_inbound_at
        if waited > timedelta(hours=window):
            hours = int(waited.total_seconds() // 3600)
            add(
                ProblemCode.REPLY_WINDOW_CLOSED,
                f"{target.channel} allows private replies only within {window} h of the "
                f"customer's last message, and that was {hours} h ago.",
            )
    if seen_version is not None and target.thread_version not in (None, seen_version):
        add(
            ProblemCode.THREAD_CHANGED,
            "This thread changed since you opened it (a new message or someone else's "
            "answer); read it again before sending.",
        )
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
    problems: tuple[SendProblem, ...]
    """Anything here stops the message from being queued."""
    approval_reason: str | None
    """Why a lead must approve it first, or None."""

    @property
    def sendable(self) -> bool:
        """True when nothing stops the message from being queued."""
        return not self.problems

    def has(self, code: ProblemCode) -> bool:
        """True when a problem of this kind stops the message."""
        return any(problem.code == code for problem in self.problems)

    def problems_except(self, code: ProblemCode) -> tuple[SendProblem, ...]:
        """The problems of every other kind than `code`."""
        return tuple(problem for problem in self.problems if problem.code != code)

    def problem_texts(self) -> list[str]:
        """The problems' sentences, in order, as people read them."""
        return [problem.text for problem in self.problems]


def approval_reason(
    connection: Connection, answer: PreparedAnswer | None, kind: OutboundKind
) -> str | None:
    """Why a message must wait for a lead: a flagged answer, a public statement, or crisis mode."""
    if answer is not None and answer.needs_approval:
        return f"the prepared answer {answer.shortcode!r} needs a lead's approval"
    if kind in (OutboundKind.POST, OutboundKind.EMAIL_UPDATE):
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
    again: bool = False,
) -> Draft:
    """Render a message for `target` and run every pre-send check on it.

    `again` is the author's yes to a second reply while their first is still on its way.
    """
    answer = load_answer(connection, canned_response_id) if canned_response_id is not None else None
    rendered = render(
        target, render_context(connection, target, author.name, now), text=text, answer=answer
    )
    problems = pre_send_checks(target, rendered, kind=kind, now=now, seen_version=seen_version)
    if kind == OutboundKind.REPLY:
        problems += answering_problems(connection, target, author, again=again)
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


ANSWERING_CODES = frozenset({ProblemCode.ANOTHER_REPLY_ON_ITS_WAY, ProblemCode.ALREADY_REPLYING})
"""The problems `answering_problems` finds: they are read again under the thread's lock."""


def answering_problems(
    connection: Connection, target: Target, author: Author, *, again: bool = False
) -> list[SendProblem]:
    """The replies to the target's thread still on their way, as problems for one more.

    A colleague's stops it (one per colleague, named); the author's own stops it unless
    `again` says they mean to send a second. Only a read: `inbox.outbox.queue.queue` asks
    again with the thread locked, so two people cannot both get through at once. The
    inbox's own acknowledgement never stops a person's answer.
    """
    if target.thread_id is None:
        return []
    pending = connection.execute(
        select(_outbound.c.created_by, func.coalesce(_agent.c.handle, "someone"))
        .select_from(_outbound)
        .outerjoin(_agent, _agent.c.id == _outbound.c.created_by)
        .where(
            _outbound.c.thread_id == target.thread_id,
            _outbound.c.kind == str(OutboundKind.REPLY),
            _outbound.c.purpose.is_(None),
            _outbound.c.status.in_([str(status) for status in PENDING_STATUSES]),
        )
        .distinct()
    ).all()
    others = sorted({handle for created_by, handle in pending if created_by != author.agent_id})
    problems = [
        SendProblem(
            ProblemCode.ANOTHER_REPLY_ON_ITS_WAY,
            f"{handle} is already answering this thread (a reply is on its way).",
        )
        for handle in others
    ]
    own_pending = any(created_by == author.agent_id for created_by, _ in pending)
    if own_pending and not again:
        problems.append(
            SendProblem(
                ProblemCode.ALREADY_REPLYING,
                "You already have a reply on its way to this thread; "
                "a second one goes out only if you say so.",
            )
        )
    return problems
