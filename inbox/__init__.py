"""The social inbox backend: the names the terminal UI (and any other front end) may use.

Never imports Textual. Everything below this package is reached through the names in
`__all__`; each name's module is imported when the name is first used, so a front end's
start-up pays only for what it shows (the crisis toolkit, the stats and the reports load
when a screen first needs them). `docs/architecture.md` shows the layout.
"""

from __future__ import annotations

import importlib

_PUBLIC: dict[str, str] = {
    "Attachment": "adapters.base",
    "AttachmentKind": "adapters.base",
    "AnswerMatch": "inbox.answers",
    "Context": "inbox.cli.main",
    "main": "inbox.cli.main",
    "ASSIGNABLE_ROLES": "inbox.core.access",
    "Action": "inbox.core.access",
    "Actor": "inbox.core.access",
    "Clock": "inbox.core.clock",
    "Config": "inbox.core.config",
    "CredentialStore": "inbox.core.credentials",
    "EventWaker": "inbox.core.notify",
    "NotificationKind": "inbox.core.notifications",
    "Conflict": "inbox.core.errors",
    "InvalidInput": "inbox.core.errors",
    "NotFound": "inbox.core.errors",
    "PermissionDenied": "inbox.core.errors",
    "Priority": "inbox.core.models",
    "Role": "inbox.core.models",
    "AssignmentRules": "inbox.core.assignment_rules",
    "AssignMode": "inbox.core.assignment_rules",
    "AssignOrder": "inbox.core.assignment_rules",
    "MODE_WORDS": "inbox.core.assignment_rules",
    "ORDER_WORDS": "inbox.core.assignment_rules",
    "edit_assignment_rules": "inbox.core.assignment_rules",
    "rule_lines": "inbox.core.assignment_rules",
    "SlaSettings": "inbox.core.sla_settings",
    "WEEKDAYS": "inbox.core.sla_settings",
    "edit_sla_settings": "inbox.core.sla_settings",
    "targets_text": "inbox.core.sla_settings",
    "first_line": "inbox.core.sanitize",
    "for_display": "inbox.core.sanitize",
    "link_scheme": "inbox.core.sanitize",
    "name_for_display": "inbox.core.sanitize",
    "sanitize": "inbox.core.sanitize",
    "single_line": "inbox.core.sanitize",
    "web_link": "inbox.core.sanitize",
    "counted": "inbox.core.plurals",
    "sentiment": "inbox.core.sentiment",
    "when_examples": "inbox.core.when",
    "describe": "inbox.core.when",
    "parse_when": "inbox.core.when",
    "presets": "inbox.core.when",
    "workspace_in_use": "inbox.core.workspace_lock",
    "EmailAudience": "inbox.crisis.email_updates",
    "CrisisStatus": "inbox.crisis.incidents",
    "IncidentRow": "inbox.crisis.incidents",
    "AlertRow": "inbox.crisis.listening",
    "RULE_DEFAULTS": "inbox.crisis.listening",
    "RULE_EVENTS": "inbox.crisis.listening",
    "RULE_TYPES": "inbox.crisis.listening",
    "RuleRow": "inbox.crisis.listening",
    "setting_value": "inbox.crisis.listening",
    "Review": "inbox.crisis.review",
    "StatementPlan": "inbox.crisis.statements",
    "EventFollower": "inbox.events",
    "PresenceChanged": "inbox.events",
    "ProblemCode": "inbox.outbox.problems",
    "SendProblem": "inbox.outbox.problems",
    "SendRefused": "inbox.outbox.problems",
    "CampaignSummary": "inbox.outbox.queue",
    "OutboundRow": "inbox.outbox.queue",
    "PAUSED": "inbox.outbox.scheduled",
    "PostRow": "inbox.outbox.scheduled",
    "SCHEDULED": "inbox.outbox.scheduled",
    "channel_name": "inbox.outbox.targets",
    "hide_refusal": "inbox.outbox.moderation",
    "review_sections": "inbox.reports.review",
    "write_review": "inbox.reports.review",
    "duration_text": "inbox.reports.text",
    "percent_text": "inbox.reports.text",
    "build_sender": "inbox.runtime",
    "build_sync_engine": "inbox.runtime",
    "http_client": "inbox.runtime",
    "InboxService": "inbox.service",
    "DUE_SOON_LIMIT": "inbox.sla",
    "DueThread": "inbox.sla",
    "SlaPolicy": "inbox.sla",
    "TeamSla": "inbox.store.team_settings",
    "Stats": "inbox.stats.figures",
    "parse_period": "inbox.stats.periods",
    "AccountSummary": "inbox.store.accounts",
    "AgentSummary": "inbox.store.people",
    "AcknowledgementRule": "inbox.triage.acknowledgements",
    "AcknowledgementRules": "inbox.triage.acknowledgements",
    "edit_acknowledgement_rule": "inbox.triage.acknowledgements",
    "remove_acknowledgement_rule": "inbox.triage.acknowledgements",
    "BulkResult": "inbox.triage.changes",
    "Undo": "inbox.triage.undo",
    "UndoableResult": "inbox.triage.undo",
    "AuthorCard": "inbox.triage.history",
    "HistoryEntry": "inbox.triage.history",
    "Sort": "inbox.triage.lists",
    "ThreadFilter": "inbox.triage.lists",
    "ThreadRow": "inbox.triage.lists",
    "View": "inbox.triage.lists",
    "ItemRow": "inbox.triage.messages",
    "AttachmentText": "inbox.triage.messages",
    "attachment_text": "inbox.triage.messages",
    "NoteRow": "inbox.triage.notes",
    "NotificationRow": "inbox.triage.notifications",
    "WaitingCounts": "inbox.triage.notifications",
    "PresenceRow": "inbox.triage.notes",
    "AutoAssigner": "inbox.triage.auto_assign",
    "Availability": "inbox.triage.auto_assign",
    "HEARTBEAT": "inbox.triage.auto_assign",
    "PersonLoad": "inbox.triage.auto_assign",
    "TeamAssignment": "inbox.triage.auto_assign",
}
"""Each public name and the module that defines it."""

_MODULES = frozenset({"sanitize", "sentiment"})
"""Public names that are whole modules rather than a name inside one."""

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> object:
    """Import the module behind a public name the first time it is asked for."""
    try:
        module_name = _PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module 'inbox' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if name in _MODULES else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
