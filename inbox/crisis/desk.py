"""The crisis toolkit as people use it: listening rules and alerts, incidents and
statements, scheduled posts and the review, each checked against the actor's role.

`CrisisDesk` is part of `InboxService` (`inbox.service`), which supplies the members it
declares; each method loads its crisis module on first use, so a front end's first paint
does not pay for the toolkit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from inbox.core.access import Action, Actor
from inbox.core.clock import Clock
from inbox.core.database import write_transaction
from inbox.core.errors import InvalidInput

if TYPE_CHECKING:
    from inbox.crisis.incidents import CrisisStatus, IncidentRow
    from inbox.crisis.listening import AlertRow, RuleRow
    from inbox.crisis.review import Review
    from inbox.crisis.statements import StatementPlan
    from inbox.outbox.drafts import Author
    from inbox.outbox.queue import CampaignSummary
    from inbox.outbox.scheduled import PostRow


class CrisisDesk:
    """InboxService's crisis actions: who may do each, in which transaction."""

    engine: Engine
    clock: Clock
    actor: Actor

    if TYPE_CHECKING:

        def require(self, action: Action) -> None: ...

        def _author(self) -> Author: ...

        def queue_broadcast(
            self,
            account_ids: Sequence[int],
            text: str | None = None,
            canned_response_id: int | None = None,
            *,
            title: str | None = None,
        ) -> CampaignSummary: ...

        def queue_bulk_reply(
            self,
            thread_ids: Sequence[int],
            text: str | None = None,
            canned_response_id: int | None = None,
            *,
            title: str | None = None,
        ) -> CampaignSummary: ...

    def listening_rules(self) -> list[RuleRow]:
        """The enabled listening rules, incidents' match rules included."""
        from inbox.crisis.listening import list_rules

        with self.engine.connect() as connection:
            return list_rules(connection)

    def add_listening_rule(self, name: str, rule_type: str, config: dict[str, Any]) -> int:
        """Add a keyword, volume_spike or negative_share rule; returns its id."""
        from inbox.crisis.listening import add_rule

        self.require(Action.MANAGE_LISTENING)
        with write_transaction(self.engine) as connection:
            return add_rule(
                connection,
                name=name,
                rule_type=rule_type,
                config=config,
                actor=self.actor,
                now=self.clock(),
            )

    def remove_listening_rule(self, rule_id: int) -> None:
        """Switch a listening rule off; its alerts stay."""
        from inbox.crisis.listening import remove_rule

        self.require(Action.MANAGE_LISTENING)
        with write_transaction(self.engine) as connection:
            remove_rule(connection, rule_id, actor=self.actor, now=self.clock())

    def evaluate_listening(self, *, alert_command: str | None = None) -> list[AlertRow]:
        """Check every listening rule now and raise the alerts due."""
        from inbox.crisis.listening import evaluate_rules

        self.require(Action.SYNC)
        return evaluate_rules(self.engine, self.clock(), alert_command=alert_command)

    def alerts(self, *, unacknowledged: bool = False, limit: int = 200) -> list[AlertRow]:
        """Alerts, newest first."""
        from inbox.crisis.listening import list_alerts

        with self.engine.connect() as connection:
            return list_alerts(connection, unacknowledged=unacknowledged, limit=limit)

    def acknowledge_alert(self, alert_id: int) -> None:
        """Record that the actor has seen an alert and is on it."""
        from inbox.crisis.listening import acknowledge_alert

        self.require(Action.REPLY)
        with write_transaction(self.engine) as connection:
            acknowledge_alert(connection, alert_id, actor=self.actor, now=self.clock())

    def incidents(self, *, active_only: bool = False) -> list[IncidentRow]:
        """Incidents, newest first."""
        from inbox.crisis.incidents import list_incidents

        with self.engine.connect() as connection:
            return list_incidents(connection, active_only=active_only)

    def crisis_status(self) -> CrisisStatus | None:
        """The active incident with its counts for the crisis bar, or None."""
        from inbox.crisis.incidents import crisis_status

        with self.engine.connect() as connection:
            return crisis_status(connection)

    def incident(self, incident_id: int) -> IncidentRow:
        """One incident (with `next_update_due`)."""
        from inbox.crisis.incidents import get_incident

        with self.engine.connect() as connection:
            return get_incident(connection, incident_id)

    def declare_incident(self, title: str, **fields: Any) -> tuple[IncidentRow, list[int]]:
        """Declare an incident, pause every scheduled post and tag the open threads, of any
        age, whose messages mention its `match` words.

        `fields`: severity, scope, status_url, holding_statement, update_interval_minutes,
        requires_approval, match (keywords). Returns the incident and the posts paused.
        """
        from inbox.crisis.incidents import declare_incident, tag_incident_threads

        self.require(Action.DECLARE_INCIDENT)
        now = self.clock()
        with write_transaction(self.engine) as connection:
            incident_id, paused = declare_incident(
                connection, actor=self.actor, now=now, title=title, **fields
            )
        tag_incident_threads(self.engine, incident_id, now, actor=self.actor.handle)
        return self.incident(incident_id), paused

    def update_incident(
        self, incident_id: int, *, public_update: bool = False, **fields: Any
    ) -> IncidentRow:
        """Change an active incident; `public_update` records that a public update went out now."""
        from inbox.crisis.incidents import tag_incident_threads, update_incident

        self.require(Action.DECLARE_INCIDENT)
        now = self.clock()
        with write_transaction(self.engine) as connection:
            update_incident(
                connection,
                incident_id,
                actor=self.actor,
                now=now,
                public_update=public_update,
                **fields,
            )
        if fields.get("match") is not None:
            tag_incident_threads(self.engine, incident_id, now, actor=self.actor.handle)
        return self.incident(incident_id)

    def end_incident(self, incident_id: int, note: str | None = None) -> IncidentRow:
        """Record the end of an incident; paused posts stay paused until resumed."""
        from inbox.crisis.incidents import end_incident

        self.require(Action.DECLARE_INCIDENT)
        with write_transaction(self.engine) as connection:
            return end_incident(
                connection, incident_id, actor=self.actor, now=self.clock(), note=note
            )

    def tag_incident_threads(self, incident_id: int) -> int:
        """Tag to an active incident the open threads that mention its words; returns how many."""
        from inbox.crisis.incidents import tag_incident_threads

        self.require(Action.REPLY)
        return tag_incident_threads(self.engine, incident_id, self.clock(), actor=self.actor.handle)

    def plan_statement(
        self,
        incident_id: int,
        *,
        text: str | None = None,
        account_ids: Sequence[int] | None = None,
        reply_to_threads: bool = False,
    ) -> StatementPlan:
        """The statement rendered for every target, and what does not fit."""
        from inbox.crisis.statements import plan_statement

        self.require(Action.APPROVE)
        author = self._author()
        with self.engine.connect() as connection:
            return plan_statement(
                connection,
                incident_id,
                author=author,
                now=self.clock(),
                text=text,
                account_ids=account_ids,
                reply_to_threads=reply_to_threads,
            )

    def send_statement(
        self,
        incident_id: int,
        *,
        text: str | None = None,
        account_ids: Sequence[int] | None = None,
        reply_to_threads: bool = False,
        skip_unfit: bool = False,
    ) -> tuple[StatementPlan, list[CampaignSummary]]:
        """Post the statement on the accounts and reply with it in the open incident threads,
        each as one campaign. Refuses if anything does not fit, unless `skip_unfit`."""
        from inbox.crisis.statements import record_statement

        plan = self.plan_statement(
            incident_id, text=text, account_ids=account_ids, reply_to_threads=reply_to_threads
        )
        if plan.unfit and not skip_unfit:
            raise InvalidInput("nothing was sent; " + plan.summary())
        fitting = [target for target in plan.targets if target.fits]
        if not fitting:
            raise InvalidInput("nothing fits anywhere; " + plan.summary())
        title = f"Incident {incident_id} statement"
        campaigns = []
        accounts = [target.account_id for target in fitting if target.kind == "post"]
        threads = [target.thread_id for target in fitting if target.kind == "reply"]
        if accounts:
            campaigns.append(self.queue_broadcast(accounts, plan.text, title=title))
        if threads:
            campaigns.append(self.queue_bulk_reply(threads, plan.text, title=title))
        with write_transaction(self.engine) as connection:
            record_statement(
                connection,
                incident_id,
                actor=self.actor,
                now=self.clock(),
                text=plan.text,
                campaign_ids=[campaign.id for campaign in campaigns],
                plan=plan,
            )
        return plan, campaigns

    def scheduled_posts(self, statuses: Sequence[str] = ()) -> list[PostRow]:
        """Scheduled posts, soonest first."""
        from inbox.outbox.scheduled import list_posts

        with self.engine.connect() as connection:
            return list_posts(connection, statuses)

    def schedule_post(self, account_id: int, text: str, scheduled_at: datetime) -> PostRow:
        """Schedule a post (paused at once during an active incident)."""
        from inbox.outbox.scheduled import add_post, get_post

        self.require(Action.APPROVE)
        with write_transaction(self.engine) as connection:
            post_id = add_post(
                connection, account_id, text, scheduled_at, actor=self.actor, now=self.clock()
            )
            return get_post(connection, post_id)

    def edit_post(
        self, post_id: int, *, text: str | None = None, scheduled_at: datetime | None = None
    ) -> PostRow:
        """Change a scheduled or paused post's text or time."""
        from inbox.outbox.scheduled import edit_post

        self.require(Action.APPROVE)
        with write_transaction(self.engine) as connection:
            return edit_post(
                connection,
                post_id,
                actor=self.actor,
                now=self.clock(),
                text=text,
                scheduled_at=scheduled_at,
            )

    def cancel_post(self, post_id: int) -> PostRow:
        """Withdraw a scheduled or paused post."""
        from inbox.outbox.scheduled import cancel_post

        self.require(Action.APPROVE)
        with write_transaction(self.engine) as connection:
            return cancel_post(connection, post_id, actor=self.actor, now=self.clock())

    def pause_posts(self, reason: str) -> list[int]:
        """Pause every scheduled post with `reason`."""
        from inbox.outbox.scheduled import pause_scheduled_posts

        self.require(Action.DECLARE_INCIDENT)
        with write_transaction(self.engine) as connection:
            return pause_scheduled_posts(connection, reason, actor=self.actor, now=self.clock())

    def resume_posts(self, post_ids: Sequence[int] | None = None) -> list[int]:
        """Resume the given paused posts, or all of them when `post_ids` is None."""
        from inbox.outbox.scheduled import resume_posts

        self.require(Action.DECLARE_INCIDENT)
        with write_transaction(self.engine) as connection:
            return resume_posts(connection, post_ids, actor=self.actor, now=self.clock())

    def incident_review(self, incident_id: int) -> Review:
        """The post-crisis review of an incident."""
        from inbox.crisis.review import build_review

        self.require(Action.EXPORT)
        return build_review(self.engine, self.actor, incident_id, self.clock())
