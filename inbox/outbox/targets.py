"""Where an outgoing message goes (`Target`), and the message rendered for that channel:
a prepared answer's variant, its variables filled, its length counted the channel's way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from adapters.base import Direction
from adapters.registry import adapter_class
from inbox.core.errors import InvalidInput, NotFound
from inbox.core.models import Account, Contact, Incident, Item, Thread

if TYPE_CHECKING:
    from canned_responses.library import CannedResponse as PreparedAnswer
    from canned_responses.render import RenderContext, Rendered

_account = Account.__table__
_contact = Contact.__table__
_incident = Incident.__table__
_item = Item.__table__
_thread = Thread.__table__


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


def row_target(connection: Connection, row: Any) -> Target:
    if row.thread_id is not None:
        return thread_target(connection, row.thread_id)
    return account_target(connection, row.account_id)


# -- rendering --------------------------------------------------------------------------


def render_context(
    connection: Connection, target: Target, agent_name: str | None, now: datetime | None = None
) -> RenderContext:
    """The values a message to `target` fills its variables from; with `now`, when a thread's
    customer can expect an answer (`{sla.expected_reply}`)."""
    from canned_responses.render import PLATFORM_DISPLAY_NAMES, RenderContext
    from inbox.triage.acknowledgements import expected_reply_for_thread

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
        expected_reply=(
            expected_reply_for_thread(connection, target.thread_id, now)
            if now is not None and target.thread_id is not None
            else None
        ),
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
