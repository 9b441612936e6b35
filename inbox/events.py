"""The event log: every write appends one typed event here in the same transaction.

It is the audit trail, the real-time feed that every open UI polls by id, and the source
of the post-crisis review. Each event type is one frozen dataclass below (a past-tense
fact): its `type` is the dotted name stored in the row, its fields are the row's payload,
and `describe` is the one sentence people read, in a thread's history and in the review's
timeline alike. Rows written by older versions parse too: a missing field reads as None.
"""

from __future__ import annotations

import functools
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import MISSING, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from sqlalchemy import Connection, insert, select, text

from inbox.core import notifications
from inbox.core.models import Event
from inbox.core.notify import EVENTS_CHANNEL
from inbox.core.plurals import counted


class InboxEvent:
    """What every event type has: its stored name, its payload and its sentence."""

    type: ClassVar[str]
    """The dotted past-tense name stored in `event.type`."""

    KEYS: ClassVar[dict[str, str]] = {}
    """Fields stored under another payload key (a keyword such as `from` cannot be a field)."""

    EXTRA: ClassVar[str | None] = None
    """The dict field whose entries are stored beside the others in the payload, if any."""

    OMITTED_WHEN_NONE: ClassVar[frozenset[str]] = frozenset()
    """Fields left out of the payload when None: their writers store the key only when set."""

    def payload(self) -> dict[str, Any]:
        """The JSON object stored in `event.payload`."""
        stored: dict[str, Any] = {}
        for each in fields(self):  # type: ignore[arg-type]
            value = getattr(self, each.name)
            if each.name == self.EXTRA:
                stored.update(value or {})
            elif value is not None or each.name not in self.OMITTED_WHEN_NONE:
                stored[self.KEYS.get(each.name, each.name)] = value
        return stored

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        """The event a stored payload describes; keys it lacks read as None."""
        names, required = _layout(cls)
        values: dict[str, Any] = dict.fromkeys(required)
        extra: dict[str, Any] = {}
        for key, value in payload.items():
            if key in names and names[key] != cls.EXTRA:
                values[names[key]] = value
            else:
                extra[key] = value
        if cls.EXTRA is not None:
            values[cls.EXTRA] = extra
        return cls(**values)

    def describe(self, actor: str) -> str:
        """One plain sentence for people; `actor` is who did it."""
        return f"{self.type.replace('.', ' ').replace('_', ' ')} ({actor})"


@functools.cache
def _layout(event_type: type[InboxEvent]) -> tuple[dict[str, str], tuple[str, ...]]:
    """Stored key -> field name, and the fields without a default (read once per type)."""
    declared = fields(event_type)  # type: ignore[arg-type]
    names = {event_type.KEYS.get(each.name, each.name): each.name for each in declared}
    required = tuple(
        each.name
        for each in declared
        if each.default is MISSING
        and each.default_factory is MISSING
        and each.name != event_type.EXTRA
    )
    return names, required


def _plural(count: int | None, word: str) -> str:
    count = 1 if count is None else count
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _moment(iso_time: str | None) -> datetime | None:
    """An ISO time as stored in a payload, or None when it is missing or not a time."""
    try:
        moment = datetime.fromisoformat(iso_time)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)


def _utc_minute(iso_time: str | None) -> str:
    try:
        return f"{datetime.fromisoformat(iso_time):%Y-%m-%d %H:%M} UTC"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "an unknown time"


# -- threads -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Arrival:
    """What every arrival of messages in a thread says: how many, and when they were written.

    The times are the platform's (the messages' own `created_at`), not when the inbox
    fetched them, which is the event's `at`; rows from before these fields read as None.
    """

    OMITTED_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"first_at", "last_at", "posted_on"})

    count: int = 1
    first_at: str | None = None
    """When the earliest of these messages was written, on the platform (an ISO time)."""
    last_at: str | None = None
    """When the latest of them was written, on the platform (an ISO time)."""
    posted_on: str | None = None
    """The platform's name when these are the inbox's own replies, landed once it confirmed them."""

    def written(self) -> tuple[datetime | None, datetime | None]:
        """When the earliest and the latest of these messages were written (None: not known)."""
        return _moment(self.first_at), _moment(self.last_at)

    def posted(self) -> str:
        """The sentence for the inbox's own replies, confirmed by their platform."""
        if (self.count or 1) == 1:
            return f"the reply was posted on {self.posted_on}"
        return f"{counted(self.count, 'reply', 'replies')} were posted on {self.posted_on}"


@dataclass(frozen=True, slots=True)
class ThreadCreated(Arrival, InboxEvent):
    type: ClassVar[str] = "thread.created"

    def describe(self, actor: str) -> str:
        if self.posted_on:
            return self.posted()
        if (self.count or 1) == 1:
            return "the first message arrived"
        return f"the first {self.count:,} messages arrived"


@dataclass(frozen=True, slots=True)
class ItemsArrived(Arrival, InboxEvent):
    type: ClassVar[str] = "items.arrived"

    def describe(self, actor: str) -> str:
        if self.posted_on:
            return self.posted()
        return f"{counted(self.count or 1, 'new message')} arrived"


@dataclass(frozen=True, slots=True)
class ThreadReopened(Arrival, InboxEvent):
    type: ClassVar[str] = "thread.reopened"

    def describe(self, actor: str) -> str:
        if (self.count or 1) == 1:
            return "a new message reopened it"
        return f"{counted(self.count, 'new message')} reopened it"


@dataclass(frozen=True, slots=True)
class ThreadAssigned(InboxEvent):
    type: ClassVar[str] = "thread.assigned"
    KEYS: ClassVar[dict[str, str]] = {"before": "from", "after": "to"}
    OMITTED_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"reason"})
    before: str | None
    """The handle it was assigned to, or None."""
    after: str | None
    """The handle it is assigned to now, or None."""
    reason: str | None = None
    """Why, when it was not a person's choice ("alex was removed", "answered it", an
    auto-assignment's rule: "least loaded on Mastodon mentions, now 4 of 20"), or None."""

    def describe(self, actor: str) -> str:
        why = f" ({self.reason})" if self.reason else ""
        if self.after is None:
            text = f"{actor} unassigned it" + (f" from {self.before}" if self.before else "")
            return text + why
        if self.after == actor and self.before is None:
            return f"{actor} took it{why}"
        was = f" (was {self.before})" if self.before else ""
        return f"{actor} assigned this to {self.after}{was}{why}"


@dataclass(frozen=True, slots=True)
class ThreadStatusChanged(InboxEvent):
    """The SLA clock reads these: a thread waiting on the customer or snoozed does not count."""

    type: ClassVar[str] = "thread.status_changed"
    KEYS: ClassVar[dict[str, str]] = {"before": "from", "after": "to"}
    OMITTED_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"until"})
    before: str | None
    after: str | None
    until: str | None = None
    """When a snooze ends (an ISO time), or None."""

    def describe(self, actor: str) -> str:
        text = f"status {self.before or '?'} -> {self.after or '?'}"
        if self.until:
            text += f" until {_utc_minute(self.until)}"
        return f"{text} by {actor}"


@dataclass(frozen=True, slots=True)
class ThreadTagged(InboxEvent):
    """A person's tags are `tags`; an incident's match stores its one `tag` and `incident_id`."""

    type: ClassVar[str] = "thread.tagged"
    OMITTED_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"tags", "tag", "incident_id"})
    tags: list[str] | None = None
    tag: str | None = None
    incident_id: int | None = None

    def describe(self, actor: str) -> str:
        tags = self.tags or ([self.tag] if self.tag else [])
        return f"{actor} tagged it {', '.join(tags)}"


@dataclass(frozen=True, slots=True)
class ThreadUntagged(InboxEvent):
    type: ClassVar[str] = "thread.untagged"
    tags: list[str]

    def describe(self, actor: str) -> str:
        return f"{actor} removed the tag {', '.join(self.tags or [])}"


@dataclass(frozen=True, slots=True)
class ThreadPriorityChanged(InboxEvent):
    type: ClassVar[str] = "thread.priority_changed"
    KEYS: ClassVar[dict[str, str]] = {"before": "from", "after": "to"}
    before: str | None
    after: str | None

    def describe(self, actor: str) -> str:
        return f"{actor} set the priority to {self.after} (was {self.before})"


UNDONE_CHANGES = {
    "close": "closing it",
    "snooze": "snoozing it",
    "priority": "the priority change",
    "tag": "the tag change",
    "assign": "the assignment",
    "take": "taking it",
}
"""What each undoable change is called once undone, by the verb stored in `change`."""


@dataclass(frozen=True, slots=True)
class ThreadChangeUndone(InboxEvent):
    """Someone undid their own change a moment after making it.

    The events recorded right after it put each field back (status, priority, tags,
    assignee), so every reader of those (the SLA clock, the review) sees the state restored.
    """

    type: ClassVar[str] = "thread.change_undone"
    change: str
    """The change undone: close, snooze, priority, tag, assign or take."""

    def describe(self, actor: str) -> str:
        return f"{actor} undid {UNDONE_CHANGES.get(self.change, 'a change')}"


@dataclass(frozen=True, slots=True)
class NoteAdded(InboxEvent):
    type: ClassVar[str] = "note.added"
    note_id: int
    mentions: list[str] = field(default_factory=list)

    def describe(self, actor: str) -> str:
        mentions = self.mentions or []
        return f"{actor} added a note" + (" mentioning " + ", ".join(mentions) if mentions else "")


@dataclass(frozen=True, slots=True)
class PresenceChanged(InboxEvent):
    type: ClassVar[str] = "presence.changed"
    activity: str | None
    """viewing, replying, or None when the person left."""

    def describe(self, actor: str) -> str:
        return f"{actor} is {self.activity}" if self.activity else f"{actor} left"


# -- spam, blocked authors, hidden comments -------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThreadMarkedSpam(InboxEvent):
    """Closed as spam: out of the SLA and the response-time stats."""

    type: ClassVar[str] = "thread.marked_spam"
    OMITTED_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"blocked_author"})
    before: str | None = None
    """The status it had."""
    blocked_author: str | None = None
    """The blocked author whose new message closed it (ingest), or None: a person's choice."""

    def describe(self, actor: str) -> str:
        if self.blocked_author:
            return f"closed as spam: {self.blocked_author} is blocked"
        return f"{actor} marked it as spam"


@dataclass(frozen=True, slots=True)
class ThreadUnmarkedSpam(InboxEvent):
    type: ClassVar[str] = "thread.unmarked_spam"

    def describe(self, actor: str) -> str:
        return f"{actor} said it is not spam and reopened it"


@dataclass(frozen=True, slots=True)
class AuthorBlocked(InboxEvent):
    """Their new messages close as spam from now on."""

    type: ClassVar[str] = "author.blocked"
    contact_id: int
    handle: str | None = None

    def describe(self, actor: str) -> str:
        return f"{actor} blocked the author {self.handle or self.contact_id}"


@dataclass(frozen=True, slots=True)
class AuthorUnblocked(InboxEvent):
    type: ClassVar[str] = "author.unblocked"
    contact_id: int
    handle: str | None = None

    def describe(self, actor: str) -> str:
        return f"{actor} unblocked the author {self.handle or self.contact_id}"


@dataclass(frozen=True, slots=True)
class CommentHidden(InboxEvent):
    """The platform confirmed a comment hidden (or shown again)."""

    type: ClassVar[str] = "comment.hidden"
    outbound_id: int
    hidden: bool = True

    def describe(self, actor: str) -> str:
        if self.hidden is False:
            return "a hidden comment was shown again on the platform"
        return "a comment was hidden on the platform"


# -- accounts, people, sync ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountAdded(InboxEvent):
    type: ClassVar[str] = "account.added"
    account_id: int
    platform: str
    handle: str

    def describe(self, actor: str) -> str:
        return f"{actor} connected {self.platform} {self.handle}"


@dataclass(frozen=True, slots=True)
class AccountRemoved(InboxEvent):
    type: ClassVar[str] = "account.removed"
    account_id: int
    purged: bool = False

    def describe(self, actor: str) -> str:
        history = " and its history" if self.purged else ""
        return f"{actor} removed account {self.account_id}{history}"


@dataclass(frozen=True, slots=True)
class AccountHealthChanged(InboxEvent):
    type: ClassVar[str] = "account.health_changed"
    account_id: int
    health: str
    detail: str | None = None

    def describe(self, actor: str) -> str:
        detail = f": {self.detail}" if self.detail else ""
        return f"account {self.account_id} is {self.health}{detail}"


@dataclass(frozen=True, slots=True)
class AccountRestored(InboxEvent):
    type: ClassVar[str] = "account.restored"
    account_id: int
    platform: str
    handle: str

    def describe(self, actor: str) -> str:
        return f"{actor} brought back {self.platform} {self.handle}, its history kept"


@dataclass(frozen=True, slots=True)
class AccountLoggedIn(InboxEvent):
    type: ClassVar[str] = "account.logged_in"
    account_id: int
    checked: bool = True

    def describe(self, actor: str) -> str:
        unchecked = " (not checked against the platform)" if self.checked is False else ""
        return f"{actor} logged account {self.account_id} in again{unchecked}"


@dataclass(frozen=True, slots=True)
class AccountEnabled(InboxEvent):
    type: ClassVar[str] = "account.enabled"
    account_id: int

    def describe(self, actor: str) -> str:
        return f"{actor} enabled account {self.account_id}"


@dataclass(frozen=True, slots=True)
class AccountDisabled(InboxEvent):
    type: ClassVar[str] = "account.disabled"
    account_id: int

    def describe(self, actor: str) -> str:
        return f"{actor} disabled account {self.account_id}"


@dataclass(frozen=True, slots=True)
class AccountSettingsChanged(InboxEvent):
    type: ClassVar[str] = "account.settings_changed"
    account_id: int
    changes: dict[str, Any] = field(default_factory=dict)
    """Each changed setting's new value; None means it went back to its default."""

    def describe(self, actor: str) -> str:
        said = ", ".join(
            f"{name} back to its default" if value is None else f"{name}={value}"
            for name, value in sorted((self.changes or {}).items())
        )
        return f"{actor} changed the settings of account {self.account_id}: {said}"


@dataclass(frozen=True, slots=True)
class AgentAdded(InboxEvent):
    type: ClassVar[str] = "agent.added"
    agent_id: int
    handle: str
    role: str

    def describe(self, actor: str) -> str:
        return f"{actor} added {self.handle} as {self.role}"


@dataclass(frozen=True, slots=True)
class AgentRemoved(InboxEvent):
    """A person can no longer act; their name stays in the history."""

    type: ClassVar[str] = "agent.removed"
    agent_id: int
    handle: str
    released_threads: int = 0
    """How many open threads they held went back to unassigned."""

    def describe(self, actor: str) -> str:
        released = counted(self.released_threads or 0, "open thread")
        return f"{actor} removed {self.handle} ({released} back to unassigned)"


@dataclass(frozen=True, slots=True)
class AgentRoleChanged(InboxEvent):
    type: ClassVar[str] = "agent.role_changed"
    KEYS: ClassVar[dict[str, str]] = {"before": "from", "after": "to"}
    agent_id: int
    handle: str
    before: str
    after: str

    def describe(self, actor: str) -> str:
        return f"{actor} made {self.handle} {self.after} (was {self.before})"


@dataclass(frozen=True, slots=True)
class AgentAwayChanged(InboxEvent):
    """A person said they are away (no threads are handed to them) or back."""

    type: ClassVar[str] = "agent.away_changed"
    away: bool

    def describe(self, actor: str) -> str:
        return f"{actor} is away" if self.away else f"{actor} is back"


@dataclass(frozen=True, slots=True)
class SentimentScored(InboxEvent):
    type: ClassVar[str] = "sentiment.scored"
    items: int
    threads: int

    def describe(self, actor: str) -> str:
        return f"sentiment scored for {_plural(self.items, 'message')}"


# -- the outbox ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboundQueued(InboxEvent):
    type: ClassVar[str] = "outbound.queued"
    OMITTED_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"purpose"})
    outbound_id: int
    kind: str = "reply"
    account_id: int | None = None
    campaign_id: int | None = None
    reason: str | None = None
    """Why it needs approval (None: it does not)."""
    purpose: str | None = None
    """Why the inbox queued it by itself ("acknowledgement"); None for a person's message."""

    def describe(self, actor: str) -> str:
        if self.purpose:
            return f"the inbox queued an {self.purpose}"
        return f"{self.kind or 'reply'} queued by {actor}"


@dataclass(frozen=True, slots=True)
class OutboundAwaitingApproval(InboxEvent):
    type: ClassVar[str] = "outbound.awaiting_approval"
    OMITTED_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"purpose"})
    outbound_id: int
    kind: str = "reply"
    account_id: int | None = None
    campaign_id: int | None = None
    reason: str | None = None
    purpose: str | None = None
    """Why the inbox queued it by itself ("acknowledgement"); None for a person's message."""

    def describe(self, actor: str) -> str:
        if self.purpose:
            return f"the inbox's {self.purpose} waits for a lead's approval"
        return f"{self.kind or 'reply'} by {actor} waits for a lead's approval"


@dataclass(frozen=True, slots=True)
class OutboundApproved(InboxEvent):
    type: ClassVar[str] = "outbound.approved"
    outbound_id: int
    note: str | None = None
    edited: bool = False

    def describe(self, actor: str) -> str:
        return f"{actor} approved the reply"


@dataclass(frozen=True, slots=True)
class OutboundRejected(InboxEvent):
    type: ClassVar[str] = "outbound.rejected"
    outbound_id: int
    note: str | None = None

    def describe(self, actor: str) -> str:
        return f"{actor} rejected the reply" + (f": {self.note}" if self.note else "")


@dataclass(frozen=True, slots=True)
class OutboundRetrying(InboxEvent):
    type: ClassVar[str] = "outbound.retrying"
    OMITTED_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"attempt", "reason", "retry_at", "by"})
    outbound_id: int
    attempt: int | None = None
    reason: str | None = None
    retry_at: str | None = None
    by: str | None = None
    """"person" when someone asked for the retry; None when the sender backs off by itself."""

    def describe(self, actor: str) -> str:
        return "sending failed; trying again"


@dataclass(frozen=True, slots=True)
class OutboundUnknown(InboxEvent):
    type: ClassVar[str] = "outbound.unknown"
    OMITTED_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"attempt", "check_at", "needs_person"})
    outbound_id: int
    attempt: int | None = None
    reason: str | None = None
    check_at: str | None = None
    needs_person: bool | None = None

    def describe(self, actor: str) -> str:
        return "reply may or may not have gone out; check before sending again"


@dataclass(frozen=True, slots=True)
class OutboundSent(InboxEvent):
    type: ClassVar[str] = "outbound.sent"
    outbound_id: int
    attempt: int | None = None
    external_id: str | None = None
    author: str | None = None
    found_after_interruption: bool | None = None

    def describe(self, actor: str) -> str:
        return "reply sent"


@dataclass(frozen=True, slots=True)
class OutboundFailed(InboxEvent):
    type: ClassVar[str] = "outbound.failed"
    outbound_id: int
    attempt: int | None = None
    reason: str | None = None
    """Why, in plain words."""

    def describe(self, actor: str) -> str:
        return "reply failed" + (f": {self.reason}" if self.reason else "")


@dataclass(frozen=True, slots=True)
class OutboundCancelled(InboxEvent):
    type: ClassVar[str] = "outbound.cancelled"
    outbound_id: int

    def describe(self, actor: str) -> str:
        return f"{actor} withdrew the reply"


@dataclass(frozen=True, slots=True)
class CampaignCreated(InboxEvent):
    type: ClassVar[str] = "campaign.created"
    campaign_id: int
    kind: str
    title: str | None
    targets: int

    def describe(self, actor: str) -> str:
        return f"{actor} sent one message to {_plural(self.targets, 'target')}"


@dataclass(frozen=True, slots=True)
class CannedImported(InboxEvent):
    type: ClassVar[str] = "canned.imported"
    added: int
    updated: int
    problems: int

    def describe(self, actor: str) -> str:
        return f"{actor} imported prepared answers: {self.added} added, {self.updated} updated"


@dataclass(frozen=True, slots=True)
class CannedSaved(InboxEvent):
    type: ClassVar[str] = "canned.saved"
    shortcode: str

    def describe(self, actor: str) -> str:
        return f"{actor} saved the prepared answer /{self.shortcode}"


# -- listening and incidents ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertRuleAdded(InboxEvent):
    type: ClassVar[str] = "alert_rule.added"
    KEYS: ClassVar[dict[str, str]] = {"rule_type": "type"}
    rule_id: int
    name: str
    rule_type: str
    config: dict[str, Any]

    def describe(self, actor: str) -> str:
        return f"{actor} added the listening rule {self.name!r}"


@dataclass(frozen=True, slots=True)
class AlertRuleChanged(InboxEvent):
    """A lead edited a listening rule or switched it off or on; `before` and `after` each
    hold its `name`, whether it is `enabled` and its `config`."""

    type: ClassVar[str] = "alert_rule.changed"
    rule_id: int
    name: str
    before: dict[str, Any]
    after: dict[str, Any]

    def changes(self) -> dict[str, Any]:
        """Each changed name (a setting's own, or `name`, `enabled`) as [before, after]."""

        def flat(state: dict[str, Any] | None) -> dict[str, Any]:
            state = state or {}
            return {"name": state.get("name"), "enabled": state.get("enabled")} | dict(
                state.get("config") or {}
            )

        before, after = flat(self.before), flat(self.after)
        return {
            name: [before.get(name), after.get(name)]
            for name in dict.fromkeys([*before, *after])
            if before.get(name) != after.get(name)
        }

    def describe(self, actor: str) -> str:
        rule = f"the listening rule {self.name!r}" if self.name else "a listening rule"
        changes = self.changes()
        switch = changes.pop("enabled", None)
        said = [_setting_change(name, values) for name, values in changes.items()]
        if switch is not None:
            said.append("switched on" if switch[1] else "switched off")
        if said == ["switched on"] or said == ["switched off"]:
            return f"{actor} {said[0]} {rule}"
        return f"{actor} changed {rule}: {'; '.join(said) or 'nothing'}"


@dataclass(frozen=True, slots=True)
class AlertRuleRemoved(InboxEvent):
    type: ClassVar[str] = "alert_rule.removed"
    rule_id: int
    name: str

    def describe(self, actor: str) -> str:
        return f"{actor} removed the listening rule {self.name!r}"


TEAM_SETTING_NAMES: dict[str, str] = {
    "sla": "SLA policy",
    "status_page": "status page",
    "acknowledgements": "acknowledgement rules",
    "assignment": "assignment rules",
}
"""What each team setting's key is called in sentences (`inbox.store.team_settings`)."""


@dataclass(frozen=True, slots=True)
class TeamSettingChanged(InboxEvent):
    """A lead changed one of the team's settings; `changes` maps each changed name
    (dotted for nested values: `hours.mon`, `kind.dm`) to its [before, after] values."""

    type: ClassVar[str] = "team_setting.changed"
    key: str
    version: int
    changes: dict[str, Any]

    def describe(self, actor: str) -> str:
        name = TEAM_SETTING_NAMES.get(self.key, f"team setting {self.key!r}")
        what = "; ".join(
            _setting_change(changed, values) for changed, values in (self.changes or {}).items()
        )
        if not what:
            return f"{actor} kept the {name} as it was (version {self.version})"
        return f"{actor} changed the {name} (version {self.version}): {what}"


def _setting_change(name: str, values: Any) -> str:
    if isinstance(values, list) and len(values) == 2:
        return f"{name} from {_setting_value(values[0])} to {_setting_value(values[1])}"
    return f"{name} to {_setting_value(values)}"


def _setting_value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(str(each) for each in value) or "(none)"
    return str(value)


@dataclass(frozen=True, slots=True)
class AlertRaised(InboxEvent):
    type: ClassVar[str] = "alert.raised"
    EXTRA: ClassVar[str | None] = "details"
    alert_id: int
    rule_id: int
    rule: str
    rule_type: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    """What the rule saw (counts, shares, matched words), stored beside the fields."""

    def describe(self, actor: str) -> str:
        return f"alert: {self.summary or ''}"


@dataclass(frozen=True, slots=True)
class AlertAcknowledged(InboxEvent):
    type: ClassVar[str] = "alert.acknowledged"
    alert_id: int

    def describe(self, actor: str) -> str:
        return f"{actor} acknowledged alert {self.alert_id}"


@dataclass(frozen=True, slots=True)
class IncidentDeclared(InboxEvent):
    type: ClassVar[str] = "incident.declared"
    OMITTED_WHEN_NONE: ClassVar[frozenset[str]] = frozenset(
        {"status_url", "holding_statement", "update_interval_minutes"}
    )
    title: str
    severity: int
    scope: str
    status_url: str | None = None
    holding_statement: str | None = None
    update_interval_minutes: int | None = None
    requires_approval: bool = False
    match: list[str] = field(default_factory=list)

    def describe(self, actor: str) -> str:
        return f"declared: {self.title} (severity {self.severity}, {self.scope})"


@dataclass(frozen=True, slots=True)
class IncidentUpdated(InboxEvent):
    type: ClassVar[str] = "incident.updated"
    changed: dict[str, Any]
    public_update: bool = False

    def describe(self, actor: str) -> str:
        changed = ", ".join(sorted(self.changed or {}))
        public = "public update" if self.public_update else "changed"
        return f"{public}{': ' + changed if changed else ''}"


@dataclass(frozen=True, slots=True)
class IncidentEnded(InboxEvent):
    type: ClassVar[str] = "incident.ended"
    note: str | None = None
    duration_seconds: float | None = None

    def describe(self, actor: str) -> str:
        return "ended" + (f": {self.note}" if self.note else "")


@dataclass(frozen=True, slots=True)
class IncidentStatementSent(InboxEvent):
    type: ClassVar[str] = "incident.statement_sent"
    text: str
    campaign_ids: list[int]
    posts: int
    replies: int
    channels: dict[str, int]
    """Targets per channel."""
    skipped: list[str] = field(default_factory=list)
    """Where the text did not fit, in words."""
    subscribers: int = 0
    """Subscribers mailed the statement."""

    def describe(self, actor: str) -> str:
        targets = sorted((self.channels or {}).items())
        channels = ", ".join(f"{name} {count}" for name, count in targets)
        posts = counted(self.posts or 0, "post")
        replies = counted(self.replies or 0, "reply", "replies")
        mailed = f", {counted(self.subscribers, 'subscriber')} by email" if self.subscribers else ""
        return f"statement: {posts}, {replies} ({channels}){mailed}"


# -- subscribers to incident updates by email ----------------------------------------------


@dataclass(frozen=True, slots=True)
class SubscribersImported(InboxEvent):
    type: ClassVar[str] = "subscribers.imported"
    added: int
    already_subscribed: int = 0
    unsubscribed_earlier: int = 0
    rejected: int = 0

    def describe(self, actor: str) -> str:
        return f"{actor} imported {_plural(self.added, 'subscriber')}"


@dataclass(frozen=True, slots=True)
class SubscriberRemoved(InboxEvent):
    type: ClassVar[str] = "subscriber.removed"
    subscriber_id: int
    withdrawn_mails: int = 0

    def describe(self, actor: str) -> str:
        return f"{actor} removed subscriber {self.subscriber_id} from the list"


@dataclass(frozen=True, slots=True)
class SubscriberUnsubscribed(InboxEvent):
    type: ClassVar[str] = "subscriber.unsubscribed"
    subscriber_id: int
    withdrawn_mails: int = 0

    def describe(self, actor: str) -> str:
        return f"subscriber {self.subscriber_id} unsubscribed from incident updates"


@dataclass(frozen=True, slots=True)
class SubscriberMailsQueued(InboxEvent):
    type: ClassVar[str] = "subscriber_mails.queued"
    campaign_id: int
    account_id: int
    mails: int
    awaiting_approval: bool = False

    def describe(self, actor: str) -> str:
        waits = ", waiting for a lead's approval" if self.awaiting_approval else ""
        return f"{actor} queued the update for {_plural(self.mails, 'subscriber')} by email{waits}"


@dataclass(frozen=True, slots=True)
class SubscriberMailsDecided(InboxEvent):
    type: ClassVar[str] = "subscriber_mails.decided"
    campaign_id: int
    mails: int
    approved: bool

    def describe(self, actor: str) -> str:
        verb = "approved" if self.approved else "rejected"
        return f"{actor} {verb} the update by email to {_plural(self.mails, 'subscriber')}"


# -- scheduled posts -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostsPaused(InboxEvent):
    type: ClassVar[str] = "posts.paused"
    post_ids: list[int]
    reason: str

    def describe(self, actor: str) -> str:
        return f"{_plural(len(self.post_ids or []), 'scheduled post')} paused"


@dataclass(frozen=True, slots=True)
class PostsResumed(InboxEvent):
    type: ClassVar[str] = "posts.resumed"
    post_ids: list[int]

    def describe(self, actor: str) -> str:
        return f"{_plural(len(self.post_ids or []), 'scheduled post')} resumed"


@dataclass(frozen=True, slots=True)
class PostScheduled(InboxEvent):
    type: ClassVar[str] = "post.scheduled"
    post_id: int
    account_id: int
    scheduled_at: str
    status: str

    def describe(self, actor: str) -> str:
        return f"{actor} scheduled post {self.post_id} for {_utc_minute(self.scheduled_at)}"


@dataclass(frozen=True, slots=True)
class PostEdited(InboxEvent):
    type: ClassVar[str] = "post.edited"
    post_id: int
    changed: list[str]

    def describe(self, actor: str) -> str:
        return f"{actor} changed the {' and '.join(self.changed or [])} of post {self.post_id}"


@dataclass(frozen=True, slots=True)
class PostCancelled(InboxEvent):
    type: ClassVar[str] = "post.cancelled"
    post_id: int

    def describe(self, actor: str) -> str:
        return f"{actor} cancelled post {self.post_id}"


@dataclass(frozen=True, slots=True)
class PostPublished(InboxEvent):
    type: ClassVar[str] = "post.published"
    post_id: int
    outbound_id: int
    account_id: int

    def describe(self, actor: str) -> str:
        return f"post {self.post_id} queued to go out"


EVENT_TYPES: dict[str, type[InboxEvent]] = {
    kind.type: kind
    for kind in (
        ThreadCreated,
        ItemsArrived,
        ThreadReopened,
        ThreadAssigned,
        ThreadStatusChanged,
        ThreadTagged,
        ThreadUntagged,
        ThreadPriorityChanged,
        ThreadChangeUndone,
        NoteAdded,
        PresenceChanged,
        ThreadMarkedSpam,
        ThreadUnmarkedSpam,
        AuthorBlocked,
        AuthorUnblocked,
        CommentHidden,
        AccountAdded,
        AccountRemoved,
        AccountHealthChanged,
        AccountRestored,
        AccountLoggedIn,
        AccountEnabled,
        AccountDisabled,
        AccountSettingsChanged,
        AgentAdded,
        AgentRemoved,
        AgentRoleChanged,
        AgentAwayChanged,
        SentimentScored,
        OutboundQueued,
        OutboundAwaitingApproval,
        OutboundApproved,
        OutboundRejected,
        OutboundRetrying,
        OutboundUnknown,
        OutboundSent,
        OutboundFailed,
        OutboundCancelled,
        CampaignCreated,
        CannedImported,
        CannedSaved,
        AlertRuleAdded,
        AlertRuleChanged,
        AlertRuleRemoved,
        TeamSettingChanged,
        AlertRaised,
        AlertAcknowledged,
        IncidentDeclared,
        IncidentUpdated,
        IncidentEnded,
        IncidentStatementSent,
        SubscribersImported,
        SubscriberRemoved,
        SubscriberUnsubscribed,
        SubscriberMailsQueued,
        SubscriberMailsDecided,
        PostsPaused,
        PostsResumed,
        PostScheduled,
        PostEdited,
        PostCancelled,
        PostPublished,
    )
}
"""Every event type by its stored name."""


@dataclass(frozen=True, slots=True)
class UnknownEvent(InboxEvent):
    """A row of a type this version does not know (written by a newer one): shown by name."""

    type_name: str
    raw: dict[str, Any]

    @property
    def type(self) -> str:  # type: ignore[override]
        return self.type_name

    def payload(self) -> dict[str, Any]:
        return dict(self.raw)


def parse(event_type: str, payload: dict[str, Any] | None) -> InboxEvent:
    """The typed event a stored row holds."""
    kind = EVENT_TYPES.get(event_type)
    if kind is None:
        return UnknownEvent(type_name=event_type, raw=dict(payload or {}))
    return kind.from_payload(payload or {})


def describe(actor: str, event_type: str, payload: dict[str, Any] | None) -> str:
    """A stored row as the sentence people read (history, timeline)."""
    return parse(event_type, payload).describe(actor)


SYSTEM_ACTOR = "system"
SYNC_ACTOR = "sync"
OUTBOX_ACTOR = "outbox"
LISTENING_ACTOR = "listening"
ASSIGN_ACTOR = "auto-assign"
"""Who auto-assignment's events name (`inbox.triage.auto_assign`)."""

_event = Event.__table__


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One row of the event log, as read back."""

    id: int
    at: datetime
    actor: str
    type: str
    thread_id: int | None
    incident_id: int | None
    payload: dict[str, Any]

    def event(self) -> InboxEvent:
        """The typed event this row holds."""
        return parse(self.type, self.payload)

    def describe(self) -> str:
        """The row as the sentence people read."""
        return self.event().describe(self.actor)


def record(
    connection: Connection,
    event: InboxEvent,
    *,
    at: datetime,
    actor: str,
    thread_id: int | None = None,
    incident_id: int | None = None,
) -> None:
    """Record one event in the caller's transaction, and tell the people it concerns."""
    stored = row(event, at=at, actor=actor, thread_id=thread_id, incident_id=incident_id)
    _insert(connection, [stored])
    _announce(connection)


def row(
    event: InboxEvent,
    *,
    at: datetime,
    actor: str,
    thread_id: int | None = None,
    incident_id: int | None = None,
) -> dict[str, Any]:
    """The event log row of `event`, for `record_many`."""
    return {
        "at": at,
        "actor": actor,
        "type": event.type,
        "thread_id": thread_id,
        "incident_id": incident_id,
        "payload": event.payload(),
    }


def record_many(connection: Connection, rows: Iterable[dict[str, Any]]) -> None:
    """Record many events at once; each row is made by `row`."""
    rows = list(rows)
    if rows:
        _insert(connection, rows)
        _announce(connection)


def _insert(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert event rows; those that tell someone (`inbox.core.notifications`) tell them."""
    if not any(stored["type"] in notifications.NOTIFYING_TYPES for stored in rows):
        connection.execute(insert(_event), rows)
        return
    event_ids = connection.execute(
        insert(_event).returning(_event.c.id, sort_by_parameter_order=True), rows
    ).scalars()
    notifications.tell(
        connection,
        [
            notifications.RecordedEvent(id=event_id, **stored)
            for event_id, stored in zip(event_ids, rows, strict=True)
        ],
    )


_ANNOUNCED = "events_announced_in"
"""`connection.info` key: a weak reference to the transaction that already notified."""


def _announce(connection: Connection) -> None:
    """On PostgreSQL, tell listeners at commit that events were appended: once per transaction.

    The server delivers the notification only if the transaction commits, after its rows
    became visible (`inbox.core.notify` listens). SQLite has no such thing.
    """
    if connection.dialect.name != "postgresql":
        return
    transaction = connection.get_transaction()
    announced = connection.info.get(_ANNOUNCED)
    if transaction is not None and announced is not None and announced() is transaction:
        return
    connection.execute(text("SELECT pg_notify(:channel, '')"), {"channel": EVENTS_CHANNEL})
    connection.info[_ANNOUNCED] = weakref.ref(transaction) if transaction is not None else None


def after(connection: Connection, last_id: int, limit: int = 500) -> Sequence[EventRecord]:
    """Events with an id above `last_id`, oldest first."""
    rows = connection.execute(
        select(_event).where(_event.c.id > last_id).order_by(_event.c.id).limit(limit)
    )
    return [EventRecord(**row._mapping) for row in rows]


class EventFollower:
    """Reads the event log as it grows, without losing events that commit out of order.

    On PostgreSQL an event takes its id when its transaction inserts it and becomes
    visible when that transaction commits, so a reader can see id 12 while 11 is still in
    flight; asking for `id > 12` next time would skip 11 for good. The follower remembers
    the ids it stepped over and asks for them again for `grace_seconds` (a rolled-back
    transaction leaves a gap that never fills). SQLite writes one transaction at a time,
    so there it never finds a gap. One follower serves one reader at a time.
    """

    MAX_MISSING = 1_000
    """Gaps remembered at most; a gap wider than this is a sequence jump, not writers in flight."""

    def __init__(
        self,
        last_id: int,
        *,
        grace_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.last_id = last_id
        """The highest id read so far."""
        self._grace = grace_seconds
        self._clock = clock
        self._missing: dict[int, float] = {}
        """Ids stepped over, with when they were first missed."""

    def read(self, connection: Connection, limit: int = 500) -> list[EventRecord]:
        """Events not read before: late arrivals in old gaps first, then newer ones in id order."""
        now = self._clock()
        self._missing = {
            event_id: since
            for event_id, since in self._missing.items()
            if now - since < self._grace
        }
        late: list[EventRecord] = []
        if self._missing:
            rows = connection.execute(
                select(_event).where(_event.c.id.in_(list(self._missing))).order_by(_event.c.id)
            )
            late = [EventRecord(**row._mapping) for row in rows]
            for record in late:
                del self._missing[record.id]
        batch = after(connection, self.last_id, limit)
        expected = self.last_id + 1
        for record in batch:
            if record.id - expected <= self.MAX_MISSING - len(self._missing):
                self._missing.update(dict.fromkeys(range(expected, record.id), now))
            expected = record.id + 1
        if batch:
            self.last_id = batch[-1].id
        return [*late, *batch]


def latest_id(connection: Connection) -> int:
    """The id of the newest event (0 when there are none)."""
    newest = connection.execute(select(_event.c.id).order_by(_event.c.id.desc()).limit(1))
    return newest.scalar() or 0
