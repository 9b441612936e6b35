"""`inbox acknowledgements`: the rules by which the inbox answers new threads by itself.

An acknowledgement tells a customer, at once, that their message arrived and when to
expect a person's answer (`{sla.expected_reply}`, from the SLA policy and business
hours); during an incident it is the holding statement. Each thread gets at most one, sent
through the outbox like any reply (approval rules apply), and it never counts as a first
response. Off until a lead switches it on: `inbox acknowledgements on`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inbox.cli import with_change_format, with_format

if TYPE_CHECKING:
    from inbox.cli.main import Context
    from inbox.triage.acknowledgements import AcknowledgementRules

RULE_EXAMPLES = (
    "kinds=dm,comment  platforms=x,bluesky  incident_only=yes  answer=received  "
    "outside_hours_answer=out-of-hours  (empty: every kind, every platform, no other answer)"
)


def register(commands: Any) -> None:
    """Add `acknowledgements` to the CLI."""
    acknowledgements = commands.add_parser(
        "acknowledgements",
        help="the rules by which the inbox acknowledges new threads by itself",
        description=__doc__.split("\n\n", 1)[1].strip(),
    ).add_subparsers(dest="acknowledgements_command", metavar="ACTION", required=True)

    show = acknowledgements.add_parser("show", help="whether they are on, and every rule")
    with_format(show, ("table", "json"))
    show.set_defaults(handler=cmd_show)

    for name, help_text in (
        ("on", "switch acknowledgements on (leads and admins)"),
        ("off", "switch acknowledgements off (leads and admins)"),
    ):
        switch = acknowledgements.add_parser(name, help=help_text)
        with_change_format(switch)
        switch.set_defaults(handler=cmd_switch)

    change = acknowledgements.add_parser(
        "set",
        help="change a rule, or add it at the end (leads and admins)",
        description=(
            "Change the rule NAME with KEY=VALUE settings, checked together; a rule that "
            "does not exist yet is added after the others. The first rule that covers a new "
            "thread decides its acknowledgement."
        ),
        epilog=f"settings: {RULE_EXAMPLES}",
    )
    change.add_argument("rule", metavar="NAME")
    change.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    with_change_format(change)
    change.set_defaults(handler=cmd_set)

    remove = acknowledgements.add_parser("remove", help="remove a rule (leads and admins)")
    remove.add_argument("rule", metavar="NAME")
    with_change_format(remove)
    remove.set_defaults(handler=cmd_remove)


def cmd_show(context: Context) -> int:
    import sys

    from inbox.cli.main import emit
    from inbox.core.sanitize import json_text

    rules = context.service(create=False, identity_required=False).acknowledgement_rules()
    if context.options.format == "json":
        sys.stdout.write(json_text(_record(rules), indent=2) + "\n")
        return 0
    print(_state_line(rules))
    emit(
        [
            {
                "rule": rule.name,
                "kinds": ", ".join(rule.kinds) or "any",
                "platforms": ", ".join(rule.platforms) or "any",
                "when": "during an incident" if rule.incident_only else "always",
                "answer": rule.answer,
                "outside hours": rule.outside_hours_answer or rule.answer,
            }
            for rule in rules.rules
        ],
        ["rule", "kinds", "platforms", "when", "answer", "outside hours"],
        "table",
        empty="no rules: `inbox acknowledgements set NAME ...` adds one",
    )
    return 0


def _state_line(rules: AcknowledgementRules) -> str:
    state = "on" if rules.enabled else "off (`inbox acknowledgements on` switches them on)"
    saved = f"version {rules.version}" if rules.version else "the defaults, never saved"
    return (
        f"acknowledgements: {state}; {saved}. The first rule that covers a new thread decides; "
        "during an incident the holding statement goes instead."
    )


def _record(rules: AcknowledgementRules) -> dict[str, Any]:
    return {"version": rules.version, **rules.to_table()}


def _save(context: Context, edited: AcknowledgementRules, done: str) -> int:
    from inbox.cli.main import emit_change

    service = context.service()
    saved = service.set_acknowledgement_rules(edited)
    sentence = done if saved.version != edited.version else "nothing changed"
    emit_change(context, f"{sentence} (version {saved.version})", _record(saved))
    return 0


def cmd_switch(context: Context) -> int:
    from dataclasses import replace

    on = context.options.acknowledgements_command == "on"
    rules = context.service().acknowledgement_rules()
    done = "acknowledgements are on" if on else "acknowledgements are off"
    return _save(context, replace(rules, enabled=on), done)


def cmd_set(context: Context) -> int:
    from inbox.core.errors import InvalidInput
    from inbox.triage.acknowledgements import edit_acknowledgement_rule

    assignments: dict[str, str] = {}
    for word in context.options.assignments:
        key, equals, value = word.partition("=")
        if not equals or not key.strip():
            raise InvalidInput(
                f"give settings as KEY=VALUE, not {word!r}; for example: {RULE_EXAMPLES}"
            )
        assignments[key.strip()] = value
    name = " ".join(context.options.rule.split())
    edited = edit_acknowledgement_rule(context.service().acknowledgement_rules(), name, assignments)
    return _save(context, edited, f"saved the rule {edited.rule(name).describe()}")


def cmd_remove(context: Context) -> int:
    from inbox.triage.acknowledgements import remove_acknowledgement_rule

    rules = context.service().acknowledgement_rules()
    edited = remove_acknowledgement_rule(rules, context.options.rule)
    return _save(context, edited, f"removed the rule {context.options.rule}")
