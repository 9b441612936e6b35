"""`inbox incident`, `rules`, `alerts`, `posts` and `review`: the crisis toolkit from the shell."""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING, Any

from inbox.cli import with_format

if TYPE_CHECKING:
    from datetime import datetime

    from inbox.cli.main import Context


def _group(commands: Any, name: str, help_text: str) -> Any:
    return commands.add_parser(name, help=help_text, description=help_text).add_subparsers(
        dest=f"{name}_command", metavar="ACTION", required=True
    )


def _words(text: str | None) -> list[str] | None:
    return None if text is None else [word.strip() for word in text.split(",") if word.strip()]


def register(commands: Any) -> None:
    """Add `incident`, `rules`, `alerts`, `posts` and `review` to the CLI."""
    incident = _group(
        commands, "incident", "declare, update, end and list incidents; send statements"
    )

    declare = incident.add_parser(
        "declare",
        help="declare an incident: pauses scheduled posts and tags matching threads",
        description=(
            "Declare an incident. Every scheduled post is paused with the incident as the "
            "reason, and threads whose messages match --match are tagged to it."
        ),
    )
    declare.add_argument("title", help="what is happening, e.g. 'Checkout outage'")
    _incident_fields(declare)
    declare.set_defaults(handler=cmd_incident_declare)

    change = incident.add_parser(
        "update", help="change an incident, or record that a public update went out"
    )
    change.add_argument("id", type=int, help="incident id")
    change.add_argument("--title")
    _incident_fields(change, defaults=False)
    change.add_argument(
        "--public-update", action="store_true", help="record that a public update went out now"
    )
    change.set_defaults(handler=cmd_incident_update)

    end = incident.add_parser("end", help="record the end of an incident (posts stay paused)")
    end.add_argument("id", type=int, help="incident id")
    end.add_argument("--note", help="a closing note for the record")
    end.set_defaults(handler=cmd_incident_end)

    listing = incident.add_parser("list", help="incidents, newest first")
    listing.add_argument("--active", action="store_true", help="only active incidents")
    with_format(listing)
    listing.set_defaults(handler=cmd_incident_list)

    statement = incident.add_parser(
        "statement",
        help="post the holding statement (or --text) on every account as one campaign",
        description=(
            "Render the statement for every (or each chosen) account and, with "
            "--reply-to-threads, every open thread of the incident; print what does not fit; "
            "then queue it all as campaigns. Nothing is sent if anything does not fit, "
            "unless --skip-unfit."
        ),
    )
    statement.add_argument("id", type=int, help="incident id")
    statement.add_argument(
        "--text", help="the statement (default: the incident's holding statement)"
    )
    statement.add_argument(
        "--accounts",
        metavar="IDS",
        help="comma-separated account ids or handles (default: all enabled)",
    )
    statement.add_argument(
        "--reply-to-threads",
        action="store_true",
        help="also reply with it in every open incident thread",
    )
    statement.add_argument(
        "--skip-unfit", action="store_true", help="send where it fits and skip the rest"
    )
    statement.add_argument("--dry-run", action="store_true", help="print the summary only")
    statement.set_defaults(handler=cmd_incident_statement)

    rules = _group(commands, "rules", "listening rules: keywords, volume spikes, negative share")
    listing = rules.add_parser("list", help="the enabled listening rules")
    with_format(listing)
    listing.set_defaults(handler=cmd_rules_list)
    add = rules.add_parser(
        "add",
        help="add a listening rule",
        description=(
            "keyword: --keywords 'outage,is down' [--platforms ...] [--languages en,de]; "
            "volume_spike: --window 60 --baseline-hours 12 --factor 3 --min-count 20; "
            "negative_share: --window 60 --share 0.5 --min-count 10. Every rule stays quiet "
            "for --cooldown minutes after it fires; --command runs with the alert as JSON on stdin."
        ),
    )
    add.add_argument("type", choices=("keyword", "volume_spike", "negative_share"))
    add.add_argument("name", help="a name people recognise, e.g. 'checkout outage'")
    add.add_argument("--keywords", help="comma-separated words or phrases (keyword rules)")
    add.add_argument("--platforms", help="comma-separated platforms to watch (default: all)")
    add.add_argument(
        "--languages", help="comma-separated language codes (keyword rules; default: all)"
    )
    add.add_argument(
        "--window",
        type=int,
        dest="window_minutes",
        metavar="MINUTES",
        help="the window looked at (default 60)",
    )
    add.add_argument(
        "--baseline-hours",
        type=int,
        help="volume_spike: hours before the window to compare with (default 12)",
    )
    add.add_argument(
        "--factor", type=float, help="volume_spike: how many times the usual volume (default 3)"
    )
    add.add_argument(
        "--share", type=float, help="negative_share: the share that alerts, 0-1 (default 0.5)"
    )
    add.add_argument("--min-count", type=int, help="fewest messages that can alert")
    add.add_argument(
        "--cooldown",
        type=int,
        dest="cooldown_minutes",
        metavar="MINUTES",
        help="quiet time after an alert (default 60)",
    )
    add.add_argument(
        "--command", help="command to run with the alert as JSON on stdin, e.g. to page someone"
    )
    add.set_defaults(handler=cmd_rules_add)
    remove = rules.add_parser("remove", help="switch a listening rule off")
    remove.add_argument("id", type=int)
    remove.set_defaults(handler=cmd_rules_remove)

    alerts = _group(commands, "alerts", "what the listening rules raised")
    listing = alerts.add_parser("list", help="alerts, newest first")
    listing.add_argument("--open", action="store_true", help="only alerts nobody acknowledged")
    with_format(listing)
    listing.set_defaults(handler=cmd_alerts_list)
    check = alerts.add_parser(
        "check", help="check every listening rule now (the sync loop does this too)"
    )
    check.add_argument(
        "--command", help="run this for each alert raised, with the alert as JSON on stdin"
    )
    check.set_defaults(handler=cmd_alerts_check)
    ack = alerts.add_parser("ack", help="acknowledge an alert")
    ack.add_argument("id", type=int)
    ack.set_defaults(handler=cmd_alerts_ack)

    posts = _group(
        commands,
        "posts",
        "scheduled posts: published by the outbox sender when due, paused as a whole in a crisis",
    )
    listing = posts.add_parser("list", help="scheduled posts, soonest first")
    listing.add_argument(
        "--status",
        action="append",
        choices=("scheduled", "paused", "posted", "cancelled"),
        help="only these (repeatable); posted ones show their outgoing message's status",
    )
    with_format(listing)
    listing.set_defaults(handler=cmd_posts_list)
    add = posts.add_parser("add", help="schedule a post")
    add.add_argument("account", help="account id or handle")
    add.add_argument("text")
    add.add_argument(
        "--at",
        required=True,
        metavar="WHEN",
        help="2026-11-03T09:00 (local time), an ISO time with offset, or +2h / +30m / +1d",
    )
    add.set_defaults(handler=cmd_posts_add)
    edit = posts.add_parser("edit", help="change a post's text or time")
    edit.add_argument("id", type=int)
    edit.add_argument("--text")
    edit.add_argument("--at", metavar="WHEN")
    edit.set_defaults(handler=cmd_posts_edit)
    cancel = posts.add_parser("cancel", help="withdraw a post")
    cancel.add_argument("id", type=int)
    cancel.set_defaults(handler=cmd_posts_cancel)
    pause = posts.add_parser(
        "pause", help="pause every scheduled post without an incident (`resume` lets them go)"
    )
    pause.add_argument("--reason", required=True, help="why, shown beside each paused post")
    pause.set_defaults(handler=cmd_posts_pause)
    resume = posts.add_parser("resume", help="resume paused posts, one by one or --all")
    resume.add_argument("ids", type=int, nargs="*", metavar="ID")
    resume.add_argument("--all", action="store_true", help="resume every paused post")
    resume.set_defaults(handler=cmd_posts_resume)

    review = commands.add_parser(
        "review",
        help="write an incident's post-crisis review (HTML or Markdown, plus a CSV of its threads)",
        description=(
            "The timeline, volume and sentiment per hour, first response time during the "
            "incident against the 30 days before, threads by outcome, who did what and the "
            "statements sent, to FILE (.html or .md); every incident thread goes to "
            "FILE-threads.csv."
        ),
    )
    review.add_argument("incident", type=int, help="incident id")
    review.add_argument("--out", required=True, metavar="FILE", help="review.html or review.md")
    review.set_defaults(handler=cmd_review)


def _incident_fields(parser: argparse.ArgumentParser, *, defaults: bool = True) -> None:
    parser.add_argument(
        "--severity",
        type=int,
        choices=(1, 2, 3),
        default=2 if defaults else None,
        help="1 (worst) to 3" + (" (default 2)" if defaults else ""),
    )
    parser.add_argument(
        "--scope", choices=("local", "national", "global"), default="national" if defaults else None
    )
    parser.add_argument("--status-url", help="the public status page")
    parser.add_argument("--statement", dest="holding_statement", help="the holding statement")
    parser.add_argument(
        "--update-every",
        type=int,
        dest="update_interval_minutes",
        default=60 if defaults else None,
        metavar="MINUTES",
        help="minutes between public updates" + (" (default 60)" if defaults else ""),
    )
    approval = parser.add_mutually_exclusive_group()
    approval.add_argument(
        "--require-approval",
        dest="requires_approval",
        action="store_true",
        default=None,
        help="every outgoing reply needs a lead's approval",
    )
    approval.add_argument("--no-require-approval", dest="requires_approval", action="store_false")
    parser.add_argument(
        "--match", help="comma-separated keywords; matching threads are tagged to the incident"
    )


def _local(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M")


def parse_when(text: str, now: datetime) -> datetime:
    """`+2h`, `+30m`, `+1d`, or an ISO time (local time when it has no offset)."""
    from datetime import timedelta

    from inbox.core.errors import InvalidInput

    relative = re.fullmatch(r"\+(\d+)([mhd])", text.strip())
    if relative:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[relative.group(2)]
        return now + timedelta(**{unit: int(relative.group(1))})
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"cannot read the time {text!r}: use 2026-11-03T09:00 or +2h") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(UTC)


# -- incidents --------------------------------------------------------------------------


def _incident_record(incident: Any) -> dict[str, Any]:
    return {
        "id": incident.id,
        "title": incident.title,
        "severity": incident.severity,
        "scope": incident.scope,
        "status": incident.status,
        "declared_by": incident.declared_by,
        "started": _local(incident.started_at),
        "next_update_due": _local(incident.next_update_due),
        "ended": _local(incident.ended_at),
        "threads": incident.threads,
        "open": incident.open_threads,
        "match": ",".join(incident.match),
        "requires_approval": incident.requires_approval,
        "status_url": incident.status_url,
        "holding_statement": incident.holding_statement,
    }


def _field_options(options: argparse.Namespace) -> dict[str, Any]:
    fields = {
        key: getattr(options, key)
        for key in (
            "severity",
            "scope",
            "status_url",
            "holding_statement",
            "update_interval_minutes",
            "requires_approval",
        )
        if getattr(options, key) is not None
    }
    if options.match is not None:
        fields["match"] = _words(options.match)
    return fields


def cmd_incident_declare(context: Context) -> int:
    service = context.service()
    incident, paused = service.declare_incident(
        context.options.title, **_field_options(context.options)
    )
    print(
        f"declared incident {incident.id}: {incident.title} "
        f"(severity {incident.severity}, {incident.scope}); "
        f"{len(paused)} scheduled post{'s' if len(paused) != 1 else ''} paused; "
        f"{incident.threads} thread{'s' if incident.threads != 1 else ''} tagged; "
        f"next public update due {_local(incident.next_update_due)}"
    )
    return 0


def cmd_incident_update(context: Context) -> int:
    options = context.options
    fields = _field_options(options)
    if options.title is not None:
        fields["title"] = options.title
    incident = context.service().update_incident(
        options.id, public_update=options.public_update, **fields
    )
    print(
        f"incident {incident.id} updated; next public update due {_local(incident.next_update_due)}"
    )
    return 0


def cmd_incident_end(context: Context) -> int:
    incident = context.service().end_incident(context.options.id, context.options.note)
    paused = context.service().scheduled_posts(["paused"])
    hint = f"; {len(paused)} posts are still paused (`inbox posts resume --all`)" if paused else ""
    print(f"incident {incident.id} ended at {_local(incident.ended_at)}{hint}")
    return 0


def cmd_incident_list(context: Context) -> int:
    from inbox.cli.main import emit

    rows = [
        _incident_record(incident)
        for incident in context.service(create=False).incidents(active_only=context.options.active)
    ]
    columns = [
        "id",
        "title",
        "severity",
        "scope",
        "status",
        "started",
        "next_update_due",
        "ended",
        "threads",
        "open",
        "match",
    ]
    if context.options.format != "table" and rows:
        columns = list(rows[0])
    emit(rows, columns, context.options.format)
    return 0


def _account_ids(service: Any, text: str | None) -> list[int] | None:
    if text is None:
        return None
    return [service.find_account(reference).id for reference in _words(text) or []]


def cmd_incident_statement(context: Context) -> int:
    import sys

    options = context.options
    service = context.service()
    accounts = _account_ids(service, options.accounts)
    plan = service.plan_statement(
        options.id,
        text=options.text,
        account_ids=accounts,
        reply_to_threads=options.reply_to_threads,
    )
    print(plan.summary())
    if options.dry_run:
        return 0
    if plan.unfit and not options.skip_unfit:
        print(
            "inbox: nothing was sent; shorten the statement or pass --skip-unfit", file=sys.stderr
        )
        return 1
    _, campaigns = service.send_statement(
        options.id,
        text=options.text,
        account_ids=accounts,
        reply_to_threads=options.reply_to_threads,
        skip_unfit=options.skip_unfit,
    )
    for campaign in campaigns:
        print(
            f"campaign {campaign.id} ({campaign.kind}): "
            f"{campaign.targets} targets, {campaign.status}"
        )
    return 0


# -- rules and alerts -------------------------------------------------------------------


def cmd_rules_list(context: Context) -> int:
    from inbox.cli.main import emit

    rows = [
        {
            "id": rule.id,
            "name": rule.name,
            "type": rule.type,
            "condition": rule.describe(),
            "config": rule.config,
        }
        for rule in context.service(create=False).listening_rules()
    ]
    emit(
        rows,
        ["id", "name", "type", "condition"]
        + (["config"] if context.options.format != "table" else []),
        context.options.format,
    )
    return 0


def cmd_rules_add(context: Context) -> int:
    options = context.options
    config = {
        key: getattr(options, key)
        for key in (
            "keywords",
            "platforms",
            "languages",
            "window_minutes",
            "baseline_hours",
            "factor",
            "share",
            "min_count",
            "cooldown_minutes",
            "command",
        )
        if getattr(options, key) is not None
    }
    rule_id = context.service().add_listening_rule(options.name, options.type, config)
    print(f"added listening rule {rule_id}")
    return 0


def cmd_rules_remove(context: Context) -> int:
    context.service().remove_listening_rule(context.options.id)
    print(f"listening rule {context.options.id} is off")
    return 0


def _alert_record(alert: Any) -> dict[str, Any]:
    return {
        "id": alert.id,
        "raised": _local(alert.raised_at),
        "rule": alert.rule_name,
        "type": alert.rule_type,
        "summary": alert.summary,
        "acknowledged_by": alert.acknowledged_by,
        "details": alert.payload,
    }


def cmd_alerts_list(context: Context) -> int:
    from inbox.cli.main import emit

    rows = [
        _alert_record(alert)
        for alert in context.service(create=False).alerts(unacknowledged=context.options.open)
    ]
    columns = ["id", "raised", "rule", "type", "summary", "acknowledged_by"]
    emit(
        rows,
        columns + (["details"] if context.options.format == "json" else []),
        context.options.format,
    )
    return 0


def cmd_alerts_check(context: Context) -> int:
    raised = context.service().evaluate_listening(alert_command=context.options.command)
    for alert in raised:
        print(f"alert {alert.id}: {alert.summary}")
    if not raised:
        print("no new alerts")
    return 0


def cmd_alerts_ack(context: Context) -> int:
    context.service().acknowledge_alert(context.options.id)
    print(f"alert {context.options.id} acknowledged")
    return 0


# -- scheduled posts --------------------------------------------------------------------


def _post_record(post: Any) -> dict[str, Any]:
    return {
        "id": post.id,
        "at": _local(post.scheduled_at),
        "status": post.status,
        "platform": post.platform,
        "account": post.account_handle,
        "text": post.text,
        "reason": post.paused_reason,
        "by": post.created_by,
        "outbound": post.outbound_status,
    }


def cmd_posts_list(context: Context) -> int:
    from inbox.cli.main import emit

    rows = [
        _post_record(post)
        for post in context.service(create=False).scheduled_posts(context.options.status or ())
    ]
    emit(
        rows,
        ["id", "at", "status", "outbound", "platform", "account", "text", "reason", "by"],
        context.options.format,
    )
    return 0


def cmd_posts_add(context: Context) -> int:
    service = context.service()
    account = service.find_account(context.options.account)
    post = service.schedule_post(
        account.id, context.options.text, parse_when(context.options.at, service.clock())
    )
    reason = f" ({post.paused_reason})" if post.paused_reason else ""
    print(f"scheduled post {post.id} for {_local(post.scheduled_at)}: {post.status}{reason}")
    return 0


def cmd_posts_edit(context: Context) -> int:
    service = context.service()
    options = context.options
    at = parse_when(options.at, service.clock()) if options.at else None
    post = service.edit_post(options.id, text=options.text, scheduled_at=at)
    print(f"scheduled post {post.id} changed ({post.status}, {_local(post.scheduled_at)})")
    return 0


def cmd_posts_cancel(context: Context) -> int:
    post = context.service().cancel_post(context.options.id)
    print(f"scheduled post {post.id} is cancelled")
    return 0


def cmd_posts_pause(context: Context) -> int:
    paused = context.service().pause_posts(context.options.reason)
    listed = f": {', '.join(map(str, paused))}" if paused else ""
    print(f"paused {len(paused)} post{'s' if len(paused) != 1 else ''}{listed}")
    return 0


def cmd_posts_resume(context: Context) -> int:
    from inbox.core.errors import InvalidInput

    options = context.options
    if options.all == bool(options.ids):
        raise InvalidInput("give the ids of the posts to resume, or --all")
    service = context.service()
    resumed = service.resume_posts(None if options.all else options.ids)
    print(
        f"resumed {len(resumed)} post{'s' if len(resumed) != 1 else ''}"
        + (f": {', '.join(map(str, resumed))}" if resumed else "")
    )
    now = service.clock()
    overdue = [
        post.id
        for post in service.scheduled_posts(["scheduled"])
        if post.id in resumed and post.scheduled_at <= now
    ]
    if overdue:
        print(
            f"{len(overdue)} of them were due already and go out with the next send: "
            f"{', '.join(map(str, overdue))}"
        )
    return 0


# -- review -----------------------------------------------------------------------------


def cmd_review(context: Context) -> int:
    from pathlib import Path

    from inbox.reports.review import write_review

    review = context.service(create=False).incident_review(context.options.incident)
    written, threads = write_review(review, Path(context.options.out).expanduser())
    print(
        f"wrote the review of incident {review.incident.id} to {written} "
        f"and its {len(review.threads)} threads to {threads}"
    )
    return 0
