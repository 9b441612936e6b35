"""The acknowledgement pass: new threads the team's rules cover get one answer from the inbox
itself, queued through the outbox like any reply (approval rules apply), at most once each.

The rules and the choice of threads are in `inbox.triage.acknowledgements`. During an
incident with a holding statement the acknowledgement is that statement; otherwise the
rule's prepared answer for business hours or outside them. Exactly once is the database's
doing: a unique index takes one acknowledgement row per thread, so of two passes racing
(two workers, a worker and a terminal) the second's insert fails and is let go. A thread a
person is already answering, or whose acknowledgement cannot go as it is (too long, a
variable without a value, a closed reply window), gets none.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from inbox import events
from inbox.answers import canned_response
from inbox.core.database import write_transaction
from inbox.core.errors import NotFound
from inbox.core.models import Incident
from inbox.outbox.drafts import Author, Draft, OutboundKind, draft
from inbox.outbox.problems import SendRefused
from inbox.outbox.queue import queue
from inbox.outbox.targets import active_incident, thread_target
from inbox.sla import SlaPolicy
from inbox.store.team_settings import TeamSlaPolicy
from inbox.triage.acknowledgements import (
    PURPOSE,
    AcknowledgementRules,
    Unacknowledged,
    in_business_hours,
    read_rules,
    unacknowledged_threads,
)

log = logging.getLogger(__name__)

_incident = Incident.__table__

INBOX_AUTHOR = Author(handle=events.SYSTEM_ACTOR, agent_id=None, name=None, may_approve=False)
"""Who writes an acknowledgement: nobody, so whatever needs approval waits for a lead."""


class AcknowledgementPass:
    """Acknowledges the new threads the rules cover; one per process, run where sends run.

    It remembers the threads it looked at and could not acknowledge, so a thread whose
    answer does not fit its channel is reported once, not at every pass.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._team_sla = TeamSlaPolicy()
        self._passed_over: set[int] = set()

    def run(self, now: datetime, limit: int = 200) -> list[int]:
        """Queue the acknowledgements due at `now`; the ids of the outbound rows queued."""
        with self.engine.connect() as connection:
            rules = read_rules(connection)
            if not rules.enabled:
                return []
            waiting = [
                thread
                for thread in unacknowledged_threads(connection, now, limit)
                if thread.thread_id not in self._passed_over
            ]
        if not waiting:
            return []
        queued = []
        with write_transaction(self.engine) as connection:
            policy = self._team_sla.policy(connection)
            incident = _incident_now(connection)
            for thread in waiting:
                outbound_id = self._acknowledge(connection, thread, rules, policy, incident, now)
                if outbound_id is not None:
                    queued.append(outbound_id)
        return queued

    def _acknowledge(
        self,
        connection: Connection,
        thread: Unacknowledged,
        rules: AcknowledgementRules,
        policy: SlaPolicy,
        incident: Any,
        now: datetime,
    ) -> int | None:
        rule = rules.rule_for(thread.platform, thread.kind, in_incident=incident is not None)
        if rule is None:
            self._passed_over.add(thread.thread_id)
            return None
        problems: list[str] = []
        shortcode = rule.answer_for(in_hours=in_business_hours(policy, now))
        try:
            drafts = self._drafts(connection, thread, shortcode, incident, now, problems)
        except Exception:  # noqa: BLE001 - one odd thread must not cost the others theirs
            log.exception("could not prepare the acknowledgement of thread %s", thread.thread_id)
            self._passed_over.add(thread.thread_id)
            return None
        for prepared in drafts:
            try:
                with connection.begin_nested():
                    return queue(
                        connection, prepared, author=INBOX_AUTHOR, now=now, purpose=PURPOSE
                    )
            except IntegrityError:
                return None
            except SendRefused as refused:
                problems.append(str(refused))
        self._passed_over.add(thread.thread_id)
        log.info(
            "thread %s was not acknowledged (rule %s): %s",
            thread.thread_id,
            rule.name,
            " | ".join(problems) or "nothing to send",
        )
        return None

    @staticmethod
    def _drafts(
        connection: Connection,
        thread: Unacknowledged,
        shortcode: str,
        incident: Any,
        now: datetime,
        problems: list[str],
    ) -> list[Draft]:
        """The acknowledgements to try, best first: the holding statement during an incident,
        then the rule's prepared answer; those with a problem are said in `problems`."""
        target = thread_target(connection, thread.thread_id)
        tries: list[tuple[str | None, int | None]] = []
        if incident is not None and incident.holding_statement:
            tries.append((incident.holding_statement, None))
        try:
            tries.append((None, canned_response(connection, shortcode).id))
        except NotFound as missing:
            problems.append(str(missing))
        sendable = []
        for text, answer_id in tries:
            prepared = draft(
                connection,
                target,
                kind=OutboundKind.REPLY,
                author=INBOX_AUTHOR,
                now=now,
                text=text,
                canned_response_id=answer_id,
            )
            if prepared.sendable:
                sendable.append(prepared)
            else:
                problems.append(" ".join(prepared.problem_texts()))
        return sendable


def _incident_now(connection: Connection) -> Any:
    """The active incident with its holding statement, or None."""
    active = active_incident(connection)
    if active is None:
        return None
    return connection.execute(
        select(_incident.c.id, _incident.c.holding_statement).where(_incident.c.id == active.id)
    ).first()
