"""`inbox team`: the team's settings, kept in the database for every person and machine.

`inbox team sla show|set|import` reads and changes the SLA policy and its business
calendar (leads and admins change it); `inbox team assign show|set|load` the auto-assignment
rules and each person's load against their capacity; `inbox team away|back` says whether
you can be handed threads; `inbox team history` lists every saved version, and every
change to the listening rules (`inbox rules`) among them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inbox.cli import with_change_format, with_format

if TYPE_CHECKING:
    from inbox.cli.main import Context
    from inbox.core.sla_settings import SlaSettings
    from inbox.store.team_settings import TeamSla
    from inbox.triage.auto_assign import TeamAssignment

SET_EXAMPLES = (
    "timezone=Europe/Berlin  hours.mon=08:00-16:00  hours.sat=closed  "
    "holidays=2026-12-25,2026-12-26  first_response_minutes=120  kind.dm=30  "
    "priority.urgent=10  platform.reddit=480  (an empty value removes a target: kind.dm=)"
)


ASSIGN_EXAMPLES = (
    "default=least_loaded  order=sla_due  hand_back_minutes=30  kind.dm=round_robin  "
    "platform.reddit=off  account.3=least_loaded  (modes: off, round_robin, least_loaded; an "
    "empty value removes a channel's rule: kind.dm=)"
)

STATUS_PAGE_EXAMPLES = (
    "base_url=https://status.brand.example/  title='Brand status'  "
    "(an empty value removes a setting: title=)"
)

STATUS_PAGE_MACHINE = (
    "The folder the page is written into and the command that publishes it are no team "
    "setting: they are in the config file of the machine that writes the page, the "
    'worker\'s, as [status_page] out_dir = "/srv/status" and publish_command = "rsync -a '
    '--delete {dir}/ web:/var/www/status/" (split like a shell would, run without one, '
    "with STATUS_PAGE_DIR set and {dir} replaced by the folder). The worker holds every "
    "account's secret, and the database is writable by leads, so the machine decides what "
    "runs on it."
)


def register(commands: Any) -> None:
    """Add `team` to the CLI."""
    team = commands.add_parser(
        "team",
        help="the team's settings: the SLA policy, business hours and auto-assignment",
        description=(
            "Settings the whole team shares, kept in the database so every machine uses the "
            "same: the SLA policy (response-time targets) and its business calendar, the "
            "status page, the auto-assignment rules. Everyone may read them; leads and admins "
            "change them."
        ),
    ).add_subparsers(dest="team_command", metavar="ACTION", required=True)

    sla = team.add_parser(
        "sla", help="the SLA policy: response-time targets, opening hours, holidays"
    ).add_subparsers(dest="sla_command", metavar="ACTION", required=True)
    show = sla.add_parser("show", help="show the SLA policy and its business calendar")
    with_format(show, ("table", "json"))
    show.set_defaults(handler=cmd_sla_show)

    change = sla.add_parser(
        "set",
        help="change settings of the SLA policy (leads and admins)",
        description="Change one or more settings of the team's SLA policy, checked together.",
        epilog=f"examples: {SET_EXAMPLES}",
    )
    change.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    with_change_format(change)
    change.set_defaults(handler=cmd_sla_set)

    imported = sla.add_parser(
        "import",
        help="make the [sla] table of a TOML file the team's SLA policy (leads and admins)",
        description=(
            "Read the [sla] table of FILE (an old config file, say), check it and store it as "
            "the team's SLA policy; afterwards delete [sla] from the file."
        ),
    )
    imported.add_argument("file", metavar="FILE")
    with_change_format(imported)
    imported.set_defaults(handler=cmd_sla_import, config_may_hold_sla=True)

    status_page = team.add_parser(
        "status-page",
        help="the public status page: its address and title",
        description=(
            "The address the public status page is served at, for the feeds' links and "
            f"the subscribers' mails (base_url), and its title. {STATUS_PAGE_MACHINE}"
        ),
    ).add_subparsers(dest="status_page_command", metavar="ACTION", required=True)
    show = status_page.add_parser(
        "show", help="show the status page's settings, and this machine's folder and command"
    )
    with_format(show, ("table", "json"))
    show.set_defaults(handler=cmd_status_page_show)
    change = status_page.add_parser(
        "set",
        help="change the status page's address or title (leads and admins)",
        description=f"Change the status page's base_url or title. {STATUS_PAGE_MACHINE}",
        epilog=f"examples: {STATUS_PAGE_EXAMPLES}",
    )
    change.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    with_change_format(change)
    change.set_defaults(handler=cmd_status_page_set)

    _register_assignment(team)

    history = team.add_parser(
        "history", help="every saved version of the team's settings and listening rules"
    )
    with_format(history)
    history.set_defaults(handler=cmd_history)


def cmd_sla_show(context: Context) -> int:
    import sys

    from inbox.cli.main import emit
    from inbox.core.sanitize import json_text

    team = context.service(create=False, identity_required=False).sla_settings()
    if context.options.format == "json":
        sys.stdout.write(json_text(_json_record(team), default=str, indent=2) + "\n")
        return 0
    print(_version_line(team))
    emit(sla_rows(team.settings), ["setting", "value"], "table")
    return 0


def sla_rows(settings: SlaSettings) -> list[dict[str, Any]]:
    """The policy as `setting`/`value` rows, named as `inbox team sla set` takes them."""
    from inbox.core.sla_settings import TABLES, WEEKDAYS

    rows: list[dict[str, Any]] = [{"setting": "timezone", "value": settings.timezone}]
    rows += [{"setting": f"hours.{day}", "value": settings.hours[day]} for day in WEEKDAYS]
    rows.append(
        {
            "setting": "holidays",
            "value": ", ".join(day.isoformat() for day in settings.holidays) or "(none)",
        }
    )
    rows.append(
        {
            "setting": "first_response_minutes",
            "value": f"{settings.first_response_minutes} (when no target below matches)",
        }
    )
    for table in TABLES:
        targets = getattr(settings, table)
        if not targets:
            rows.append({"setting": table, "value": f"(none; {table}.NAME=MINUTES adds one)"})
        rows += [
            {"setting": f"{table}.{name}", "value": minutes} for name, minutes in targets.items()
        ]
    return rows


def _version_line(team: TeamSla) -> str:
    if team.version == 0:
        return (
            "SLA policy: the defaults (nobody has set it yet); business minutes, the smallest "
            "matching target applies"
        )
    return (
        f"SLA policy version {team.version}, saved by {team.updated_by} at "
        f"{team.updated_at:%Y-%m-%d %H:%M} UTC; business minutes, the smallest matching "
        "target applies"
    )


def _json_record(team: TeamSla) -> dict[str, Any]:
    return {
        "version": team.version,
        "updated_at": team.updated_at.isoformat() if team.updated_at else None,
        "updated_by": team.updated_by,
        "settings": team.settings.to_table(),
    }


def cmd_sla_set(context: Context) -> int:
    from inbox.core.errors import InvalidInput
    from inbox.core.sla_settings import edit_sla_settings

    assignments: dict[str, str] = {}
    for word in context.options.assignments:
        key, equals, value = word.partition("=")
        if not equals or not key.strip():
            raise InvalidInput(
                f"give settings as KEY=VALUE, not {word!r}; for example: {SET_EXAMPLES}"
            )
        assignments[key.strip()] = value
    service = context.service()
    current = service.sla_settings()
    return _save(context, service, current, edit_sla_settings(current.settings, assignments))


def cmd_sla_import(context: Context) -> int:
    import tomllib
    from pathlib import Path

    from inbox.core.errors import InvalidInput
    from inbox.core.sla_settings import sla_settings_from_table

    path = Path(context.options.file).expanduser()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"{path}: cannot read it ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"{path}: not valid TOML: {error}") from None
    if "sla" not in document:
        raise InvalidInput(f"{path}: there is no [sla] table to import")
    settings = sla_settings_from_table(document["sla"], source=str(path))
    service = context.service()
    status = _save(context, service, service.sla_settings(), settings)
    if context.options.format != "json":
        print(f"the team's policy is in the database now: delete [sla] from {path}")
    return status


def _save(context: Context, service: Any, current: TeamSla, settings: SlaSettings) -> int:
    from inbox.cli.main import emit_change
    from inbox.events import TeamSettingChanged
    from inbox.store.team_settings import SLA, changed_values

    changes = changed_values(current.settings.to_table(), settings.to_table())
    saved = service.set_sla_settings(settings, current.version)
    if saved.version == current.version:
        sentence = f"nothing changed: the SLA policy already says that (version {saved.version})"
    else:
        change = TeamSettingChanged(key=SLA, version=saved.version, changes=changes)
        sentence = change.describe(service.actor.handle)
    record = {**_json_record(saved), "changes": changes}
    emit_change(context, sentence, record)
    return 0


def cmd_status_page_show(context: Context) -> int:
    import sys

    from inbox.cli.main import emit
    from inbox.core.sanitize import json_text

    output = context.config.status_page
    service = context.service(create=False, identity_required=False)
    settings = service.status_page_settings(output)
    machine = {
        "out_dir": str(output.out_dir) if output.out_dir is not None else None,
        "publish_command": output.publish_command,
    }
    record = {**_status_page_record(settings), "this_machine": machine}
    if context.options.format == "json":
        sys.stdout.write(json_text(record, default=str, indent=2) + "\n")
        return 0
    if settings.version == 0:
        print("status page: the team has not set its address or title")
    else:
        print(
            f"status page version {settings.version}, saved by {settings.updated_by} at "
            f"{settings.updated_at:%Y-%m-%d %H:%M} UTC"
        )
    rows = [
        {"setting": key, "value": "(none)" if value is None else value}
        for key, value in settings.to_table().items()
    ]
    source = context.config.path or "no config file"
    rows += [
        {"setting": f"{key} (this machine: {source})", "value": value or "(none)"}
        for key, value in machine.items()
    ]
    emit(rows, ["setting", "value"], "table")
    if output.out_dir is None:
        print("this machine writes no page: [status_page] out_dir in its config file sets one")
    return 0


def _status_page_record(settings: Any) -> dict[str, Any]:
    return {
        "version": settings.version,
        "updated_at": settings.updated_at.isoformat() if settings.updated_at else None,
        "updated_by": settings.updated_by,
        "settings": settings.to_table(),
    }


def cmd_status_page_set(context: Context) -> int:
    from inbox.cli.main import emit_change
    from inbox.core.errors import InvalidInput
    from inbox.store.team_settings import changed_values

    changes: dict[str, str | None] = {}
    for word in context.options.assignments:
        key, equals, value = word.partition("=")
        if not equals or not key.strip():
            raise InvalidInput(
                f"give settings as KEY=VALUE, not {word!r}; for example: {STATUS_PAGE_EXAMPLES}"
            )
        changes[key.strip()] = value.strip() or None
    service = context.service()
    current = service.status_page_settings()
    saved = service.set_status_page_settings(changes, current.version)
    changed = changed_values(current.to_table(), saved.to_table())
    if saved.version == current.version:
        sentence = f"nothing changed: the status page already says that (version {saved.version})"
    else:
        sentence = f"status page version {saved.version}: " + "; ".join(
            f"{key} {before!r} → {after!r}" for key, (before, after) in changed.items()
        )
    emit_change(context, sentence, {**_status_page_record(saved), "changes": changed})
    return 0


def cmd_history(context: Context) -> int:
    from inbox.cli.main import emit

    service = context.service(create=False, identity_required=False)
    as_json = context.options.format == "json"
    dated = [
        (
            change.at,
            {
                "setting": change.key,
                "version": change.version,
                "at": f"{change.at:%Y-%m-%d %H:%M}",
                "by": change.actor,
                "changes": change.changes if as_json else change.sentence.partition(": ")[2],
            },
        )
        for change in service.team_setting_history()
    ]
    dated += [
        (
            change.at,
            {
                "setting": f"listening rule {change.rule_id}",
                "version": None,
                "at": f"{change.at:%Y-%m-%d %H:%M}",
                "by": change.actor,
                "changes": change.changes
                if as_json
                else change.sentence.removeprefix(f"{change.actor} "),
            },
        )
        for change in service.listening_rule_history()
    ]
    rows = [row for _, row in sorted(dated, key=lambda pair: pair[0])]
    emit(
        rows,
        ["setting", "version", "at", "by", "changes"],
        context.options.format,
        empty="no team setting has been changed yet; everything is at its defaults",
    )
    return 0


# -- auto-assignment -------------------------------------------------------------------------


def _register_assignment(team: Any) -> None:
    """Add `team assign show|set|load` and `team away|back`."""
    assign = team.add_parser(
        "assign",
        help="auto-assignment: the rules, and each person's load against their capacity",
        description=(
            "Waiting threads are handed to people who are online (their inbox is open and "
            "they are not away) and under their capacity, per channel round robin or least "
            "loaded, oldest waiting or SLA due first. The worker (or the inbox that polls) "
            "runs it every few seconds. Everyone may read the rules; leads and admins change "
            "them."
        ),
    ).add_subparsers(dest="assign_command", metavar="ACTION", required=True)
    show = assign.add_parser("show", help="show the auto-assignment rules")
    with_format(show, ("table", "json"))
    show.set_defaults(handler=cmd_assign_show)
    change = assign.add_parser(
        "set",
        help="change the auto-assignment rules (leads and admins)",
        description=(
            "Change one or more auto-assignment rules, checked together. Per channel the most "
            "specific rule wins: an account's (by id, see `inbox accounts list`), else its "
            "platform's, else the thread kind's, else the default."
        ),
        epilog=f"examples: {ASSIGN_EXAMPLES}",
    )
    change.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    with_change_format(change)
    change.set_defaults(handler=cmd_assign_set)
    load = assign.add_parser(
        "load",
        help="each person's load against their capacity, and who is online (leads, supervisors)",
        description=(
            "Load: the threads a person holds that need work (new or open); pending threads "
            "(the customer's turn), snoozed and closed ones do not count."
        ),
    )
    with_format(load)
    load.set_defaults(handler=cmd_assign_load)
    for name, away, words in (
        ("away", True, "say you are away: no threads are handed to you"),
        ("back", False, "say you are back: waiting threads may be handed to you again"),
    ):
        presence = team.add_parser(name, help=words, description=f"{words[0].upper()}{words[1:]}.")
        with_change_format(presence)
        presence.set_defaults(handler=cmd_away, away=away)


def cmd_assign_show(context: Context) -> int:
    import sys

    from inbox.cli.main import emit
    from inbox.core.assignment_rules import rule_lines
    from inbox.core.sanitize import json_text

    service = context.service(create=False, identity_required=False)
    team = service.assignment_rules()
    if context.options.format == "json":
        sys.stdout.write(json_text(_assign_record(team), default=str, indent=2) + "\n")
        return 0
    print(_assign_version_line(team))
    names = {
        str(account.id): f"{account.platform} {account.handle}"
        for account in service.list_accounts(include_removed=True)
    }
    rows = [
        {"setting": setting, "value": value}
        for setting, _, value in (line.partition(": ") for line in rule_lines(team.rules, names))
    ]
    emit(rows, ["setting", "value"], "table")
    return 0


def _assign_version_line(team: TeamAssignment) -> str:
    if team.version == 0:
        return "auto-assignment rules: the defaults (nobody has set them yet)"
    return (
        f"auto-assignment rules version {team.version}, saved by {team.updated_by} at "
        f"{team.updated_at:%Y-%m-%d %H:%M} UTC"
    )


def _assign_record(team: TeamAssignment) -> dict[str, Any]:
    return {
        "version": team.version,
        "updated_at": team.updated_at.isoformat() if team.updated_at else None,
        "updated_by": team.updated_by,
        "rules": team.rules.to_table(),
    }


def cmd_assign_set(context: Context) -> int:
    from inbox.cli.main import emit_change
    from inbox.core.assignment_rules import edit_assignment_rules
    from inbox.core.errors import InvalidInput
    from inbox.events import TeamSettingChanged
    from inbox.store.team_settings import ASSIGNMENT, changed_values

    assignments: dict[str, str] = {}
    for word in context.options.assignments:
        key, equals, value = word.partition("=")
        if not equals or not key.strip():
            raise InvalidInput(
                f"give settings as KEY=VALUE, not {word!r}; for example: {ASSIGN_EXAMPLES}"
            )
        assignments[key.strip()] = value
    service = context.service()
    current = service.assignment_rules()
    rules = edit_assignment_rules(current.rules, assignments)
    changes = changed_values(current.rules.to_table(), rules.to_table())
    saved = service.set_assignment_rules(rules, current.version)
    if saved.version == current.version:
        sentence = f"nothing changed: the rules already say that (version {saved.version})"
    else:
        change = TeamSettingChanged(key=ASSIGNMENT, version=saved.version, changes=changes)
        sentence = change.describe(service.actor.handle)
    emit_change(context, sentence, {**_assign_record(saved), "changes": changes})
    return 0


def cmd_assign_load(context: Context) -> int:
    from inbox.cli.main import emit

    service = context.service()
    now = service.clock()
    rows = [
        {
            "person": person.handle,
            "role": person.role,
            "load": person.load,
            "capacity": person.capacity,
            "waiting_on_customer": person.pending,
            "presence": str(person.availability)
            if context.options.format != "table"
            else person.presence_text(now),
            "since": person.since.isoformat() if person.since else None,
        }
        for person in service.team_load()
    ]
    columns = ["person", "role", "load", "capacity", "waiting_on_customer", "presence"]
    if context.options.format != "table":
        columns.append("since")
    emit(rows, columns, context.options.format, empty="nobody answers threads yet")
    return 0


def cmd_away(context: Context) -> int:
    from inbox.cli.main import emit_change

    service = context.service()
    away = context.options.away
    changed = service.set_away(away)
    handle = service.actor.handle
    if away:
        sentence = f"{handle} is away: no threads are handed to them"
    else:
        sentence = f"{handle} is back: waiting threads may be handed to them"
    if not changed:
        sentence = f"nothing changed: {sentence}"
    emit_change(context, sentence, {"person": handle, "away": away, "changed": changed})
    return 0
