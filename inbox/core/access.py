"""Who may do what: the actions, the roles that may take them, and the acting person.

This is the only place role rules live (DESIGN.md, "Roles and permissions"). The service
checks an action before it acts; lower modules ask the questions below instead of
comparing roles themselves, and the UI asks the service (`InboxService.can`) before it
offers a key.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from inbox.core.errors import PermissionDenied
from inbox.core.models import Role


class Action(enum.StrEnum):
    """Things a person may or may not be allowed to do; the value reads after "may"."""

    MANAGE_ACCOUNTS = "manage accounts"
    MANAGE_PEOPLE = "manage people"
    SYNC = "sync accounts"
    EXPORT = "export data"
    TRIAGE = "change threads"
    NOTE = "write internal notes"
    REPLY = "reply"
    ASSIGN = "assign threads to others"
    APPROVE = "approve"
    EDIT_PREPARED_ANSWERS = "edit prepared answers"
    DECLARE_INCIDENT = "declare incidents and pause publishing"
    MANAGE_LISTENING = "manage listening rules"
    MANAGE_TEAM_SETTINGS = "change the team's settings (SLA policy, business hours)"
    SEE_TEAM_STATS = "see the team's stats"
    MANAGE_SUBSCRIBERS = "keep the list of subscribers to incident updates"
    MANAGE_ASSIGNMENT = "set the auto-assignment rules"
    MODERATE = "mark spam, block authors and hide comments"


ALLOWED: dict[Action, frozenset[Role]] = {
    Action.MANAGE_ACCOUNTS: frozenset({Role.ADMIN}),
    Action.MANAGE_PEOPLE: frozenset({Role.ADMIN}),
    Action.SYNC: frozenset({Role.AGENT, Role.LEAD, Role.SUPERVISOR, Role.ADMIN}),
    Action.EXPORT: frozenset({Role.LEAD, Role.SUPERVISOR, Role.ADMIN}),
    Action.TRIAGE: frozenset({Role.AGENT, Role.LEAD, Role.ADMIN}),
    Action.NOTE: frozenset({Role.AGENT, Role.LEAD, Role.ADMIN}),
    Action.REPLY: frozenset({Role.AGENT, Role.LEAD, Role.ADMIN}),
    Action.ASSIGN: frozenset({Role.LEAD, Role.ADMIN}),
    Action.APPROVE: frozenset({Role.LEAD, Role.ADMIN}),
    Action.EDIT_PREPARED_ANSWERS: frozenset({Role.LEAD, Role.ADMIN}),
    Action.DECLARE_INCIDENT: frozenset({Role.LEAD, Role.ADMIN}),
    Action.MANAGE_LISTENING: frozenset({Role.LEAD, Role.ADMIN}),
    Action.MANAGE_TEAM_SETTINGS: frozenset({Role.LEAD, Role.ADMIN}),
    Action.SEE_TEAM_STATS: frozenset({Role.LEAD, Role.SUPERVISOR, Role.ADMIN}),
    Action.MANAGE_SUBSCRIBERS: frozenset({Role.LEAD, Role.ADMIN}),
    Action.MANAGE_ASSIGNMENT: frozenset({Role.LEAD, Role.ADMIN}),
    Action.MODERATE: frozenset({Role.AGENT, Role.LEAD, Role.ADMIN}),
}
"""The roles allowed each action."""

ASSIGNABLE_ROLES = frozenset({Role.AGENT, Role.LEAD, Role.ADMIN})
"""Roles that can be handed threads: supervisors only read."""

AGENT_THREAD_RULE = "agents change their own and unassigned threads"

ON_ANY_THREAD = frozenset({Action.NOTE})
"""What people whose role allows it do on every thread they read, a colleague's too.

A note changes nothing a customer sees, and an @mention in it must reach whoever holds
the thread; the agents' rule above governs every other change.
"""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting. Before any person exists, a bootstrap admin sets the inbox up."""

    handle: str
    role: Role
    agent_id: int | None

    def can(self, action: Action) -> bool:
        """Whether this person's role allows `action`."""
        return role_allows(self.role, action)

    def require(self, action: Action) -> None:
        """Raise PermissionDenied, in words, unless this person's role allows `action`."""
        if not self.can(action):
            allowed = ", ".join(sorted(ALLOWED[action]))
            raise PermissionDenied(
                f"{self.handle} is {_article(self.role)} {self.role}; only {allowed} may {action}"
            )

    def thread_refusal(
        self, assignee_id: int | None, assignee: str | None, action: Action = Action.TRIAGE
    ) -> str | None:
        """Why this person may not take `action` on a thread held by `assignee`, or None."""
        if action in ON_ANY_THREAD or self.role != Role.AGENT:
            return None
        if assignee_id in (None, self.agent_id):
            return None
        return f"assigned to {assignee}; {AGENT_THREAD_RULE}"

    def stats_scope(self) -> tuple[str, tuple[int, ...] | None]:
        """Whose numbers this person sees: a description and the agent ids (None: everyone's)."""
        if self.role in (Role.SUPERVISOR, Role.ADMIN) or self.agent_id is None:
            return "all", None
        if self.role == Role.LEAD:
            return "team (everyone: no teams are set up)", None
        return f"own ({self.handle})", (self.agent_id,)


BOOTSTRAP_ACTOR = Actor(handle="setup", role=Role.ADMIN, agent_id=None)


def role_allows(role: str, action: Action) -> bool:
    """Whether `role` may take `action`."""
    return role in ALLOWED[action]


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
