"""`inbox incident`, `rules`, `alerts`, `posts` and `review`: the crisis toolkit from the shell."""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING, Any

from inbox.cli import with_change_format, with_format

if TYPE_CHECKING:
    from datetime import datetime

    from inbox.cli.main import Context


def _group(commands: Any, name: str, help_text: str) -> Any:
    return commands.add_parser(name, help=help_text, description=help_text).add_subparsers(
        dest=f"{name}_command", metavar="ACTION", required=True
    )


def _words(text: str | None) -> list[str] | None:
    return None if text is None else [word.strip() for word in text.split(",") if word.strip()]


RULE_SETTINGS = (
    "keyword: --keywords 'outage,is down' [--platforms ...] [--languages en,de]; "
    "volume_spike: --window 60 --baseline-hours 12 --factor 3 --min-count 20; "
    "negative_share: --window 60 --share 0.5 --min-count 10. Every rule stays quiet "
    "for --cooldown minutes after it fires; --command NAME runs one of the commands the "
    "checking machine's config file defines ([listening] commands) with the alert as JSON "
    "on stdin."
)
"""Each rule type's settings, as `rules add` and `rules edit` take them."""

RULE_SETTING_KEYS = (
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
"""The rule settings options, by their config key."""


def _rule_settings(parser: Any) -> None:
    parser.add_argument("--keywords", help="comma-separated words or phrases (keyword rules)")
    parser.add_argument("--platforms", help="comma-separated platforms to watch (default: all)")
    parser.add_argument(
        "--languages", help="comma-separated language codes (keyword rules; default: all)"
    )
    parser.add_argument(
        "--window",
        type=int,
        dest="window_minutes",
        metavar="MINUTES",
        help="the window looked at (default 60)",
    )
    parser.add_argument(
        "--baseline-hours",
        type=int,
        help="volume_spike: hours before the window to compare with (default 12)",
    )
    parser.add_argument(
        "--factor", type=float, help="volume_spike: how many times the usual volume (default 3)"
    )
    parser.add_argument(
        "--share", type=float, help="negative_share: the share that alerts, 0-1 (default 0.5)"
    )
    parser.add_argument("--min-count", type=int, help="fewest messages that can alert")
    parser.add_argument(
        "--cooldown",
        type=int,
        dest="cooldown_minutes",
        metavar="MINUTES",
        help="quiet time after an alert (default 60)",
    )
    parser.add_argument(
        "--command",
        metavar="NAME",
        help=(
            "the name of a command to run with the alert as JSON on stdin, e.g. to page "
            "someone: the config file of the machine that checks the rules (the worker's) "
            "defines what each name runs, as [listening] commands = { page-oncall = "
            '"/usr/local/bin/page-oncall --team brand" }; a name it does not define is '
            "logged and nothing runs"
        ),
    )


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
            "reason, and the open threads whose messages mention any of the --match words "
            "(however old the messages; closed threads are left out) are tagged to it."
        ),
    )
    declare.add_argument("title", help="what is happening, e.g. 'Checkout outage'")
    _incident_fields(declare)
    with_change_format(declare)
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
    with_change_format(change)
    change.set_defaults(handler=cmd_incident_update)

    end = incident.add_parser("end", help="record the end of an incident (posts stay paused)")
    end.add_argument("id", type=int, help="incident id")
    end.add_argument("--note", help="a closing note for the record")
    with_change_format(end)
    end.set_defaults(handler=cmd_incident_end)

    listing = incident.add_parser("list", help="incidents, newest first")
    listing.add_argument("--active", action="store_true", help="only active incidents")
    with_format(listing)
    listing.set_defaults(handler=cmd_incident_list)

    statement = incident.add_parser(
        "statement",
        help=(
            "post the holding statement (or --text: a public update) on every account as one "
            "campaign, and mail it to the subscribers"
        ),
        description=(
            "Render the statement for every (or each chosen) account, with "
            "--reply-to-threads every open thread of the incident, and (unless "
            "--no-subscribers) the mail to every subscriber; print where it goes (the "
            "accounts, the status page, the subscribers) and what does not fit; then queue "
            "it all as campaigns. Nothing is sent if anything does not fit, unless "
            "--skip-unfit."
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
        "--no-subscribers",
        dest="to_subscribers",
        action="store_false",
        help="do not mail it to the subscribers (`inbox subscribers count` says who they are)",
    )
    statement.add_argument(
        "--skip-unfit", action="store_true", help="send where it fits and skip the rest"
    )
    statement.add_argument("--dry-run", action="store_true", help="print the summary only")
    with_change_format(statement)
    statement.set_defaults(handler=cmd_incident_statement)

    page = incident.add_parser(
        "page",
        help="write an incident's public status page: index.html, feed.atom, feed.json",
        description=(
            "Write the public status page of INCIDENT into DIR: its status, severity, reach "
            "and when the next update is due, and every statement the brand published "
            "(posted on at least one account), newest first, with an Atom and a JSON feed. "
            "Nothing else: no customer's message, no internal note. Each file is replaced "
            "atomically. Without --out, the folder of this machine's config file "
            "([status_page] out_dir) is written and its publish_command run, as the worker "
            "does after every statement."
        ),
    )
    page.add_argument("id", type=int, help="incident id")
    page.add_argument("--out", metavar="DIR", help="the folder to write the page into")
    with_change_format(page)
    page.set_defaults(handler=cmd_incident_page)

    rules = _group(commands, "rules", "listening rules: keywords, volume spikes, negative share")
    listing = rules.add_parser("list", help="the listening rules, switched on or off")
    with_format(listing)
    listing.set_defaults(handler=cmd_rules_list)
    add = rules.add_parser("add", help="add a listening rule", description=RULE_SETTINGS)
    add.add_argument("type", choices=("keyword", "volume_spike", "negative_share"))
    add.add_argument("name", help="a name people recognise, e.g. 'checkout outage'")
    _rule_settings(add)
    with_change_format(add)
    add.set_defaults(handler=cmd_rules_add)
    edit = rules.add_parser(
        "edit",
        help="change a listening rule's name or settings (leads and admins)",
        description=(
            "Change the settings given and keep the rest; an empty value puts a list back to "
            f"all (--platforms '') or drops the --command. {RULE_SETTINGS} A rule's type "
            "stays: remove it and add another."
        ),
    )
    edit.add_argument("rule", metavar="RULE", help="the rule's id or name")
    edit.add_argument("--name", help="a new name")
    _rule_settings(edit)
    with_change_format(edit)
    edit.set_defaults(handler=cmd_rules_edit)
    for switch, help_text in (
        ("enable", "switch a listening rule back on"),
        ("disable", "switch a listening rule off: it raises no alerts and is kept"),
    ):
        command = rules.add_parser(switch, help=f"{help_text} (leads and admins)")
        command.add_argument("rule", metavar="RULE", help="the rule's id or name")
        with_change_format(command)
        command.set_defaults(handler=cmd_rules_switch, switch_on=switch == "enable")
    remove = rules.add_parser(
        "remove", help="remove a listening rule for good (its alerts stay); disable keeps it"
    )
    remove.add_argument("id", type=int)
    with_change_format(remove)
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
        "--command",
        help=(
            "run this for each alert raised by a rule without a command of its own, with the "
            "alert as JSON on stdin (a rule's named command comes from [listening] commands "
            "in this machine's config file)"
        ),
    )
    with_change_format(check)
    check.set_defaults(handler=cmd_alerts_check)
    ack = alerts.add_parser("ack", help="acknowledge an alert")
    ack.add_argument("id", type=int)
    with_change_format(ack)
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
    add.add_argument("account", help="account id, handle, or PLATFORM:HANDLE")
    add.add_argument("text")
    add.add_argument(
        "--at",
        required=True,
        metavar="WHEN",
        help="YYYY-MM-DDTHH:MM (local time), an ISO time with offset, or +2h / +30m / +1d",
    )
    with_change_format(add)
    add.set_defaults(handler=cmd_posts_add)
    edit = posts.add_parser("edit", help="change a post's text or time")
    edit.add_argument("id", type=int)
    edit.add_argument("--text")
    edit.add_argument("--at", metavar="WHEN")
    with_change_format(edit)
    edit.set_defaults(handler=cmd_posts_edit)
    cancel = posts.add_parser("cancel", help="withdraw a post")
    cancel.add_argument("id", type=int)
    with_change_format(cancel)
    cancel.set_defaults(handler=cmd_posts_cancel)
    pause = posts.add_parser(
        "pause", help="pause every scheduled post without an incident (`resume` lets them go)"
    )
    pause.add_argument("--reason", required=True, help="why, shown beside each paused post")
    with_change_format(pause)
    pause.set_defaults(handler=cmd_posts_pause)
    resume = posts.add_parser("resume", help="resume paused posts, one by one or --all")
    resume.add_argument("ids", type=int, nargs="*", metavar="ID")
    resume.add_argument("--all", action="store_true", help="resume every paused post")
    with_change_format(resume)
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
        "--match",
        metavar="WORDS",
        help=(
            "comma-separated words or phrases; open threads whose messages mention any of "
            "them are tagged to the incident"
        ),
    )


def _changed(context: Context, sentence: str, record: dict[str, Any]) -> None:
    """Say what a command changed, or with `--format json` print `record`."""
    from inbox.cli.main import emit_change

    emit_change(context, sentence, record)


def _listed(statuses: list[str] | None) -> str:
    return f" ({', '.join(statuses)})" if statuses else ""


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
        example = f"{now + timedelta(days=14):%Y-%m-%d}T09:00"
        raise InvalidInput(f"cannot read the time {text!r}: use {example} or +2h") from None
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
    matched = (
        f"open threads mentioning {', '.join(incident.match)}"
        if incident.match
        else "no --match words given"
    )
    from inbox.core.plurals import counted

    tagged = f"{counted(incident.threads, 'thread')} tagged ({matched})"
    _changed(
        context,
        f"declared incident {incident.id}: {incident.title} "
        f"(severity {incident.severity}, {incident.scope}); "
        f"{counted(len(paused), 'scheduled post')} paused; "
        f"{tagged}; next public update due {_local(incident.next_update_due)}",
        {**_incident_record(incident), "paused_posts": list(paused)},
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
    _changed(
        context,
        f"incident {incident.id} updated; "
        f"next public update due {_local(incident.next_update_due)}",
        _incident_record(incident),
    )
    return 0


def cmd_incident_end(context: Context) -> int:
    from inbox.core.plurals import counted

    incident = context.service().end_incident(context.options.id, context.options.note)
    paused = context.service().scheduled_posts(["paused"])
    still = f"{counted(len(paused), 'post is', 'posts are')} still paused"
    hint = f"; {still} (`inbox posts resume --all`)" if paused else ""
    _changed(
        context,
        f"incident {incident.id} ended at {_local(incident.ended_at)}{hint}",
        {**_incident_record(incident), "paused_posts": [post.id for post in paused]},
    )
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
    empty = "no active incidents" if context.options.active else "no incidents yet"
    emit(rows, columns, context.options.format, empty=empty)
    return 0


def _account_ids(service: Any, text: str | None) -> list[int] | None:
    if text is None:
        return None
    return [service.find_account(reference).id for reference in _words(text) or []]


def cmd_incident_statement(context: Context) -> int:
    from inbox.cli.main import say_along
    from inbox.core.errors import InvalidInput
    from inbox.core.plurals import counted

    options = context.options
    service = context.service()
    accounts = _account_ids(service, options.accounts)
    plan = service.plan_statement(
        options.id,
        text=options.text,
        account_ids=accounts,
        reply_to_threads=options.reply_to_threads,
        to_subscribers=options.to_subscribers,
    )
    say_along(context, plan.summary())
    if options.dry_run:
        _changed(
            context,
            "a dry run: nothing was sent",
            {"incident": options.id, "dry_run": True, "campaigns": []},
        )
        return 0
    if plan.unfit and not options.skip_unfit:
        raise InvalidInput("nothing was sent; shorten the statement or pass --skip-unfit")
    sent, campaigns = service.send_statement(
        options.id,
        text=options.text,
        account_ids=accounts,
        reply_to_threads=options.reply_to_threads,
        skip_unfit=options.skip_unfit,
        to_subscribers=options.to_subscribers,
    )
    mailed = [sent.email.describe()] if sent.mailing is not None and sent.email else []
    _changed(
        context,
        "\n".join(
            [
                *(
                    f"campaign {campaign.id} ({campaign.kind}): "
                    f"{counted(campaign.targets, 'target')}, {campaign.status}"
                    for campaign in campaigns
                ),
                *(f"of which {line}" for line in mailed),
            ]
        ),
        {
            "incident": options.id,
            "dry_run": False,
            "campaigns": [
                {"id": c.id, "kind": c.kind, "targets": c.targets, "status": c.status}
                for c in campaigns
            ],
        },
    )
    return 0


def cmd_incident_page(context: Context) -> int:
    from inbox.core.errors import InvalidInput
    from inbox.core.plurals import counted

    options = context.options
    service = context.service(create=False)
    published = None
    if options.out is not None:
        files = service.write_status_page(options.id, options.out)
    else:
        regenerated = service.publish_status_page(context.config.status_page, options.id)
        if regenerated is None:
            raise InvalidInput(
                "give --out DIR, or name this machine's status page folder in its config "
                'file: [status_page] out_dir = "DIR"'
            )
        files, published = regenerated.files, regenerated.published
    publish = {
        None: "",
        True: "; the publish command succeeded",
        False: "; the publish command failed (its exit code and stderr are logged)",
    }[published]
    _changed(
        context,
        f"wrote the status page of incident {options.id} to {files.folder} "
        f"({counted(files.statements, 'published statement')}): "
        f"{files.index.name}, {files.atom.name}, {files.json.name}{publish}",
        {
            "incident": options.id,
            "folder": str(files.folder),
            "files": [str(files.index), str(files.atom), str(files.json)],
            "statements": files.statements,
            "published": published,
        },
    )
    from inbox.cli import exit_codes

    return exit_codes.FAILED if published is False else exit_codes.OK


# -- rules and alerts -------------------------------------------------------------------


def cmd_rules_list(context: Context) -> int:
    from inbox.cli.main import emit

    table = context.options.format == "table"
    rows = [
        {
            "id": rule.id,
            "name": rule.name,
            "type": rule.type,
            "enabled": ("on" if rule.enabled else "off") if table else rule.enabled,
            "condition": rule.describe(),
            "last_alert": _local(rule.last_alert_at),
            "config": rule.config,
        }
        for rule in context.service(create=False).listening_rules()
    ]
    emit(
        rows,
        ["id", "name", "type", "enabled", "condition", "last_alert"]
        + (["config"] if context.options.format != "table" else []),
        context.options.format,
        empty="no listening rules (`inbox rules add` adds one)",
    )
    return 0


def _rule_config(options: argparse.Namespace) -> dict[str, Any]:
    return {
        key: getattr(options, key) for key in RULE_SETTING_KEYS if getattr(options, key) is not None
    }


def _named_rule(service: Any, wanted: str) -> Any:
    """The rule `wanted` names: its id, or its name (any case) when exactly one has it."""
    from inbox.core.errors import InvalidInput, NotFound

    if wanted.strip().isdigit():
        return service.listening_rule(int(wanted))
    found = [
        rule
        for rule in service.listening_rules(include_incident_matches=False)
        if rule.name.casefold() == wanted.strip().casefold()
    ]
    if not found:
        raise NotFound(f"no listening rule named {wanted!r} (`inbox rules list` shows them)")
    if len(found) > 1:
        ids = ", ".join(str(rule.id) for rule in found)
        raise InvalidInput(f"{len(found)} rules are named {wanted!r}: give the id ({ids})")
    return found[0]


def _rule_record(rule: Any) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "type": rule.type,
        "enabled": rule.enabled,
        "condition": rule.describe(),
        "config": rule.config,
    }


def cmd_rules_edit(context: Context) -> int:
    from inbox.core.errors import InvalidInput
    from inbox.events import AlertRuleChanged

    options = context.options
    config = _rule_config(options)
    if options.name is None and not config:
        raise InvalidInput(
            "say what to change: --name, or a setting such as --keywords, --factor, --share, "
            "--window, --min-count (`inbox rules edit --help` lists them)"
        )
    service = context.service()
    before = _named_rule(service, options.rule)
    after = service.edit_listening_rule(
        before.id, name=options.name, config=config, enabled=None, version=before.version
    )
    change = AlertRuleChanged(
        rule_id=after.id,
        name=after.name,
        before={"name": before.name, "enabled": before.enabled, "config": before.config},
        after={"name": after.name, "enabled": after.enabled, "config": after.config},
    )
    sentence = (
        change.describe(service.actor.handle)
        if change.changes()
        else f"nothing changed: listening rule {after.id} already says that"
    )
    _changed(context, sentence, {**_rule_record(after), "changes": change.changes()})
    return 0


def cmd_rules_switch(context: Context) -> int:
    switch_on = context.options.switch_on
    service = context.service()
    rule = _named_rule(service, context.options.rule)
    word = "on" if switch_on else "off"
    if rule.enabled == switch_on:
        sentence = f"listening rule {rule.id} ({rule.name}) is already {word}"
    else:
        rule = service.edit_listening_rule(rule.id, enabled=switch_on, version=rule.version)
        sentence = f"listening rule {rule.id} ({rule.name}) is {word}" + (
            "" if switch_on else f": it raises no alerts until `inbox rules enable {rule.id}`"
        )
    _changed(context, sentence, _rule_record(rule))
    return 0


def cmd_rules_add(context: Context) -> int:
    options = context.options
    config = _rule_config(options)
    rule_id = context.service().add_listening_rule(options.name, options.type, config)
    _changed(
        context,
        f"added listening rule {rule_id}",
        {"id": rule_id, "name": options.name, "type": options.type, "config": config},
    )
    return 0


def cmd_rules_remove(context: Context) -> int:
    context.service().remove_listening_rule(context.options.id)
    _changed(
        context,
        f"listening rule {context.options.id} is removed",
        {"id": context.options.id, "enabled": False},
    )
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
        empty="no open alerts" if context.options.open else "no alerts yet",
    )
    return 0


def cmd_alerts_check(context: Context) -> int:
    raised = context.service().evaluate_listening(
        commands=context.config.listening.commands, alert_command=context.options.command
    )
    _changed(
        context,
        "\n".join(f"alert {alert.id}: {alert.summary}" for alert in raised) or "no new alerts",
        {"raised": [_alert_record(alert) for alert in raised]},
    )
    return 0


def cmd_alerts_ack(context: Context) -> int:
    context.service().acknowledge_alert(context.options.id)
    _changed(
        context,
        f"alert {context.options.id} acknowledged",
        {"id": context.options.id, "acknowledged": True},
    )
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
        empty="no scheduled posts" + _listed(context.options.status),
    )
    return 0


def cmd_posts_add(context: Context) -> int:
    service = context.service()
    account = service.find_account(context.options.account)
    post = service.schedule_post(
        account.id, context.options.text, parse_when(context.options.at, service.clock())
    )
    reason = f" ({post.paused_reason})" if post.paused_reason else ""
    _changed(
        context,
        f"scheduled post {post.id} for {_local(post.scheduled_at)}: {post.status}{reason}",
        _post_record(post),
    )
    return 0


def cmd_posts_edit(context: Context) -> int:
    service = context.service()
    options = context.options
    at = parse_when(options.at, service.clock()) if options.at else None
    post = service.edit_post(options.id, text=options.text, scheduled_at=at)
    _changed(
        context,
        f"scheduled post {post.id} changed ({post.status}, {_local(post.scheduled_at)})",
        _post_record(post),
    )
    return 0


def cmd_posts_cancel(context: Context) -> int:
    post = context.service().cancel_post(context.options.id)
    _changed(context, f"scheduled post {post.id} is cancelled", _post_record(post))
    return 0


def cmd_posts_pause(context: Context) -> int:
    from inbox.core.plurals import counted

    paused = context.service().pause_posts(context.options.reason)
    listed = f": {', '.join(map(str, paused))}" if paused else ""
    _changed(context, f"paused {counted(len(paused), 'post')}{listed}", {"paused": list(paused)})
    return 0


def cmd_posts_resume(context: Context) -> int:
    from inbox.core.errors import InvalidInput
    from inbox.core.plurals import counted

    options = context.options
    if options.all == bool(options.ids):
        raise InvalidInput("give the ids of the posts to resume, or --all")
    service = context.service()
    resumed = service.resume_posts(None if options.all else options.ids)
    now = service.clock()
    overdue = [
        post.id
        for post in service.scheduled_posts(["scheduled"])
        if post.id in resumed and post.scheduled_at <= now
    ]
    sentence = f"resumed {counted(len(resumed), 'post')}" + (
        f": {', '.join(map(str, resumed))}" if resumed else ""
    )
    if overdue:
        sentence += (
            f"\n{len(overdue)} of them were due already and go out with the next send: "
            f"{', '.join(map(str, overdue))}"
        )
    _changed(context, sentence, {"resumed": list(resumed), "due_already": overdue})
    return 0


# -- review -----------------------------------------------------------------------------


def cmd_review(context: Context) -> int:
    from pathlib import Path

    from inbox.core.plurals import counted
    from inbox.reports.review import write_review

    review = context.service(create=False).incident_review(context.options.incident)
    written = write_review(review, Path(context.options.out).expanduser())
    print(
        f"wrote the review of incident {review.incident.id} to {written.document} "
        f"and its {counted(len(review.threads), 'thread')} to {written.threads}"
    )
    if written.charts:
        print(f"its charts, beside it: {', '.join(chart.name for chart in written.charts)}")
    return 0
