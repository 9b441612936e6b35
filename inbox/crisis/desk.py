"""The crisis toolkit as people use it: listening rules and alerts, incidents and
statements, scheduled posts and the review, each checked against the actor's role.

`CrisisDesk` is part of `InboxService` (`inbox.service`), which supplies the members it
declares; each method loads its crisis module on first use, so a front end's first paint
does not pay for the toolkit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from inbox.core.access import Action, Actor
from inbox.core.clock import Clock
from inbox.core.database import write_transaction
from inbox.core.errors import InvalidInput

if TYPE_CHECKING:
    from inbox.core.config import StatusPageOutput
    from inbox.crisis.incidents import CrisisStatus, IncidentRow
    from inbox.crisis.listening import AlertRow, RuleChange, RuleRow
    from inbox.crisis.review import Review
    from inbox.crisis.statements import StatementPlan
    from inbox.crisis.status_page import StatusPageFiles, StatusPageSettings
    from inbox.crisis.status_publisher import Regenerated
    from inbox.outbox.drafts import Author
    from inbox.outbox.queue import CampaignSummary
    from inbox.outbox.scheduled import PostRow


class CrisisDesk:
    """InboxService's crisis actions: who may do each, in which transaction."""

    engine: Engine
    clock: Clock
    actor: Actor
    status_page_output: StatusPageOutput | None
    """This machine's `[status_page]` config: the folder it writes the page to, if any."""

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

    def listening_rules(self, *, include_incident_matches: bool = True) -> list[RuleRow]:
        """The listening rules there are, switched on or off, each with its last alert;
        incidents' match rules too unless `include_incident_matches` is false."""
        from inbox.crisis.listening import list_rules

        with self.engine.connect() as connection:
            return list_rules(connection, include_incident_matches=include_incident_matches)

    def listening_rule(self, rule_id: int) -> RuleRow:
        """One listening rule, as an edit starts from (its `version`)."""
        from inbox.crisis.listening import read_rule

        with self.engine.connect() as connection:
            return read_rule(connection, rule_id)

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

    def edit_listening_rule(
        self,
        rule_id: int,
        *,
        name: str | None = None,
        config: dict[str, Any] | None = None,
        enabled: bool | None = None,
        version: str,
    ) -> RuleRow:
        """Rename a listening rule, change the settings given, or switch it off or on; leads
        and admins only. A `Conflict` when it changed since `version` (`RuleRow.version`)."""
        from inbox.crisis.listening import edit_rule

        self.require(Action.MANAGE_LISTENING)
        with write_transaction(self.engine) as connection:
            return edit_rule(
                connection,
                rule_id,
                name=name,
                config=config,
                enabled=enabled,
                version=version,
                actor=self.actor,
                now=self.clock(),
            )

    def listening_rule_history(self) -> list[RuleChange]:
        """Every change to the listening rules, oldest first."""
        from inbox.crisis.listening import rule_history

        with self.engine.connect() as connection:
            return rule_history(connection)

    def remove_listening_rule(self, rule_id: int) -> None:
        """Remove a listening rule for good; its alerts stay."""
        from inbox.crisis.listening import remove_rule

        self.require(Action.MANAGE_LISTENING)
        with write_transaction(self.engine) as connection:
            remove_rule(connection, rule_id, actor=self.actor, now=self.clock())

    def evaluate_listening(
        self, *, commands: Mapping[str, str] | None = None, alert_command: str | None = None
    ) -> list[AlertRow]:
        """Check every listening rule now and raise the alerts due; a rule's command runs
        when it names one of this machine's `commands` (its config's `[listening]`), a rule
        without one runs `alert_command`."""
        from inbox.crisis.listening import evaluate_rules

        self.require(Action.SYNC)
        return evaluate_rules(
            self.engine, self.clock(), commands=commands or {}, alert_command=alert_command
        )

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
            ended = end_incident(
                connection, incident_id, actor=self.actor, now=self.clock(), note=note
            )
        return ended

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
        to_subscribers: bool = True,
    ) -> StatementPlan:
        """The statement rendered for every target (with `to_subscribers`, the mail to every
        active subscriber too), what does not fit, and where the status page is."""
        from dataclasses import replace

        from inbox.crisis.statements import plan_statement

        self.require(Action.APPROVE)
        author = self._author()
        with self.engine.connect() as connection:
            plan = plan_statement(
                connection,
                incident_id,
                author=author,
                now=self.clock(),
                text=text,
                account_ids=account_ids,
                reply_to_threads=reply_to_threads,
                to_subscribers=to_subscribers,
            )
        return replace(plan, status_page=self.status_page_location())

    def status_page_location(self, output: StatusPageOutput | None = None) -> str | None:
        """The status page's link, else the folder of this machine's `output` (its config's
        `[status_page]`); None when no page is kept."""
        return self.status_page_settings(output).location

    def _status_page_link(self) -> str | None:
        """The status page's web link for the subscribers' mails, or None."""
        where = self.status_page_location()
        return where if where is not None and where.startswith(("https://", "http://")) else None

    def send_statement(
        self,
        incident_id: int,
        *,
        text: str | None = None,
        account_ids: Sequence[int] | None = None,
        reply_to_threads: bool = False,
        skip_unfit: bool = False,
        to_subscribers: bool = True,
    ) -> tuple[StatementPlan, list[CampaignSummary]]:
        """Post the statement on the accounts and reply with it in the open incident threads,
        each as one campaign, and (with `to_subscribers`) mail it to every active subscriber.
        Refuses if anything does not fit, unless `skip_unfit`.

        The mails join the posts' campaign and wait for approval exactly when the posts
        do; without posts they are a campaign of their own, held by the same rule.
        """
        from inbox.crisis.statements import record_statement
        from inbox.outbox.queue import campaign_summaries

        plan = self.plan_statement(
            incident_id,
            text=text,
            account_ids=account_ids,
            reply_to_threads=reply_to_threads,
            to_subscribers=to_subscribers,
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
        mailing = plan.mailing if plan.mailing in fitting else None
        if accounts:
            campaigns.append(self.queue_broadcast(accounts, plan.text, title=title))
        if threads:
            campaigns.append(self.queue_bulk_reply(threads, plan.text, title=title))
        mail_context = self._mail_context(incident_id) if mailing is not None else None
        with write_transaction(self.engine) as connection:
            mailed = 0
            if mailing is not None and mail_context is not None:
                mailed, mail_campaign = self._queue_mailing(
                    connection,
                    plan,
                    mailing.rendered_text,
                    campaigns[0] if accounts else None,
                    mail_context,
                )
                if not accounts:
                    campaigns.append(mail_campaign)
            record_statement(
                connection,
                incident_id,
                actor=self.actor,
                now=self.clock(),
                text=plan.text,
                campaign_ids=[campaign.id for campaign in campaigns],
                plan=plan,
                subscribers=mailed,
            )
            if mailed:
                refreshed = {
                    summary.id: summary
                    for campaign in campaigns
                    for summary in campaign_summaries(connection, campaign.id)
                }
                campaigns = [refreshed.get(campaign.id, campaign) for campaign in campaigns]
        return plan, campaigns

    def _mail_context(self, incident_id: int) -> tuple[Author, str, str | None]:
        """Who mails, the mails' subject and the status page link, read before the
        transaction that queues them."""
        from inbox.outbox.drafts import update_subject

        return (
            self._author(),
            update_subject(self.incident(incident_id).title),
            self._status_page_link(),
        )

    def _queue_mailing(
        self,
        connection: Any,
        plan: StatementPlan,
        rendered_text: str,
        posts: CampaignSummary | None,
        context: tuple[Author, str, str | None],
    ) -> tuple[int, CampaignSummary]:
        """Queue the statement's mail to every active subscriber, held for approval when
        its posts are (or, without posts, by the statement rule); how many, in which campaign."""
        from inbox.crisis.email_updates import queue_subscriber_mails
        from inbox.outbox.drafts import OutboundKind, approval_reason
        from inbox.outbox.queue import CampaignKind, campaign_summaries, create_campaign

        author, subject, status_page_link = context
        now = self.clock()
        if plan.email is None or plan.email.account is None:
            raise InvalidInput("there is no email account to mail the subscribers through")
        if posts is not None:
            waits = bool(posts.counts.get("awaiting_approval"))
            campaign_id = posts.id
        else:
            reason = approval_reason(connection, None, OutboundKind.EMAIL_UPDATE)
            waits = reason is not None and not author.may_approve
            campaign_id = create_campaign(
                connection,
                title=subject,
                kind=CampaignKind.BROADCAST,
                author=author,
                now=now,
                targets=plan.email.subscribers,
            )
        mailed = queue_subscriber_mails(
            connection,
            account=plan.email.account,
            text=plan.text,
            rendered_text=rendered_text,
            campaign_id=campaign_id,
            author=author,
            now=now,
            waits=waits,
            status_page_url=status_page_link,
        )
        return mailed, campaign_summaries(connection, campaign_id)[0]

    def status_page_settings(self, output: StatusPageOutput | None = None) -> StatusPageSettings:
        """The team's public status page (its address and title, with the version an edit
        names) and the folder of this machine's `output`, its config's `[status_page]`;
        `configured` says whether a page is kept, `location` where it is seen."""
        from inbox.crisis.status_publisher import status_page_settings

        with self.engine.connect() as connection:
            return status_page_settings(connection, output or self.status_page_output)

    def set_status_page_settings(
        self, changes: dict[str, str | None], version: int
    ) -> StatusPageSettings:
        """Change the status page's address or title, edited from `version`; leads and
        admins. Its folder and publish command are refused: the config file of the machine
        that writes the page holds them. A `Conflict` when someone saved it since `version`."""
        from inbox.crisis.status_page import MACHINE_KEYS, StatusPageSettings
        from inbox.crisis.status_publisher import status_page_settings
        from inbox.store.team_settings import STATUS_PAGE, write_setting

        self.require(Action.MANAGE_TEAM_SETTINGS)
        machine_keys = sorted(set(changes) & set(MACHINE_KEYS))
        if machine_keys:
            raise InvalidInput(
                f"{' and '.join(machine_keys)}: set in the config file of the machine that "
                "writes the page ([status_page] there), not in the team's settings: the "
                "worker runs the publish command beside every account's secret"
            )
        with write_transaction(self.engine) as connection:
            current = status_page_settings(connection)
            wanted = StatusPageSettings.from_table({**current.to_table(), **changes})
            write_setting(
                connection,
                STATUS_PAGE,
                wanted.to_table(),
                version=version,
                actor=self.actor.handle,
                now=self.clock(),
            )
            return status_page_settings(connection)

    def write_status_page(self, incident_id: int, folder: str) -> StatusPageFiles:
        """Write the public status page of an incident into `folder`: index.html,
        feed.atom and feed.json, from what the brand published only."""
        from pathlib import Path

        from inbox.crisis.status_page import load_status_page, write_status_page
        from inbox.crisis.status_publisher import folder_lock, status_page_settings

        target = Path(folder).expanduser().absolute()
        with self.engine.connect() as connection:
            page = load_status_page(connection, incident_id, status_page_settings(connection))
        with folder_lock(target):
            return write_status_page(page, target)

    def publish_status_page(
        self, output: StatusPageOutput, incident_id: int | None = None
    ) -> Regenerated | None:
        """Regenerate the status page (of `incident_id`, or of the latest incident with a
        published statement) into the folder of this machine's `output` and run its publish
        command, as the worker does; None when `output` names no folder or nothing is
        published yet."""
        from inbox.crisis.status_publisher import regenerate

        self.require(Action.DECLARE_INCIDENT)
        return regenerate(self.engine, output, incident_id)

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
