"""The auto-assignment rules as settings: how waiting threads find a person, per channel.

The rules are a team setting, kept in the database (`inbox.store.team_settings`, key
"assignment"), the same for every person and machine. One set of checks reads every way
they come in: `KEY=VALUE` edits (`inbox team assign set`, the TUI's form) and the JSON the
database holds. What the rules do with threads is `inbox.triage.auto_assign`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from inbox.core.errors import InvalidInput


class AssignMode(enum.StrEnum):
    """How a channel's waiting threads are handed out."""

    OFF = "off"
    """Not at all: people take threads themselves, or a lead assigns them."""
    ROUND_ROBIN = "round_robin"
    """To each person in turn: whoever went longest without an automatic assignment."""
    LEAST_LOADED = "least_loaded"
    """To whoever holds the fewest threads that need work."""


class AssignOrder(enum.StrEnum):
    """Which waiting threads are handed out first."""

    OLDEST_WAITING = "oldest_waiting"
    """The customer who has waited longest first."""
    SLA_DUE = "sla_due"
    """The thread whose answer is due soonest (or most overdue) first."""


SCOPES = ("account", "platform", "kind")
"""The rule tables, most specific first: per account (by id), per platform, per thread kind."""

MODE_WORDS = {
    "off": "off",
    "round_robin": "round robin",
    "least_loaded": "least loaded",
}
"""How each mode is said to people."""

ORDER_WORDS = {
    "oldest_waiting": "oldest waiting first",
    "sla_due": "SLA due first",
}
"""How each order is said to people."""

DEFAULT_HAND_BACK_MINUTES = 15


@dataclass(frozen=True, slots=True)
class AssignmentRules:
    """Which channels are auto-assigned, how, in which order, and when away people hand back.

    A thread's mode is its account's rule if there is one, else its platform's, else its
    kind's, else `default`: the most specific rule wins.
    """

    default: str = AssignMode.OFF
    """The mode of threads no account, platform or kind rule names (off: the team has not
    turned auto-assignment on)."""

    order: str = AssignOrder.OLDEST_WAITING
    """Which waiting threads go first: oldest_waiting or sla_due."""

    hand_back_minutes: int = DEFAULT_HAND_BACK_MINUTES
    """Minutes a person may be away (or their inbox closed) before their unanswered threads
    go back to be assigned again; 0: never."""

    account: dict[str, str] = field(default_factory=dict)
    """Mode per account id (as text, "3"), e.g. {"3": "round_robin"}."""

    platform: dict[str, str] = field(default_factory=dict)
    """Mode per platform name as in `inbox accounts list`, e.g. {"reddit": "off"}."""

    kind: dict[str, str] = field(default_factory=dict)
    """Mode per thread kind (comment, dm, mention), e.g. {"dm": "least_loaded"}."""

    def mode_for(self, account_id: int, platform: str, kind: str) -> AssignMode:
        """The mode of a thread of `kind` on the account `account_id` of `platform`."""
        for table, key in ((self.account, str(account_id)), (self.platform, platform)):
            if key in table:
                return AssignMode(table[key])
        return AssignMode(self.kind.get(kind, self.default))

    @property
    def any_on(self) -> bool:
        """Whether any channel is auto-assigned at all."""
        modes = [self.default, *self.account.values(), *self.platform.values(), *self.kind.values()]
        return any(mode != AssignMode.OFF for mode in modes)

    def to_table(self) -> dict[str, Any]:
        """The rules as a JSON object, as the database stores them and `from_table` reads."""
        return {
            "default": str(self.default),
            "order": str(self.order),
            "hand_back_minutes": self.hand_back_minutes,
            "account": dict(self.account),
            "platform": dict(self.platform),
            "kind": dict(self.kind),
        }


def assignment_rules_from_table(content: Any) -> AssignmentRules:
    """The rules a stored (or edited) JSON object describes, every value checked.

    A problem is an InvalidInput naming the setting as typed: `platform.reddit`.
    """
    if not isinstance(content, dict):
        raise InvalidInput("the assignment rules must be a table")
    known = ("default", "order", "hand_back_minutes", *SCOPES)
    unknown = sorted(set(content) - set(known))
    if unknown:
        raise InvalidInput(f"unknown setting {unknown[0]!r} (known: {', '.join(known)})")
    values: dict[str, Any] = {}
    if "default" in content:
        values["default"] = _mode("default", content["default"])
    if "order" in content:
        order = content["order"]
        if order not in set(AssignOrder):
            raise InvalidInput(f"order must be {' or '.join(AssignOrder)}, not {order!r}")
        values["order"] = AssignOrder(order)
    if "hand_back_minutes" in content:
        minutes = content["hand_back_minutes"]
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
            raise InvalidInput(
                f"hand_back_minutes must be a whole number of minutes (0: never), not {minutes!r}"
            )
        values["hand_back_minutes"] = minutes
    names = _scope_names()
    for scope in SCOPES:
        if scope not in content:
            continue
        table = content[scope]
        if not isinstance(table, dict):
            raise InvalidInput(f"{scope} must be a table of {scope} to mode")
        rules = {}
        for name, mode in table.items():
            name = str(name)
            if scope == "account" and not name.isdigit():
                raise InvalidInput(f"account.{name}: name an account by its id, e.g. account.3")
            if scope != "account" and name not in names[scope]:
                raise InvalidInput(f"{name!r} is not a {scope} (known: {', '.join(names[scope])})")
            rules[name] = str(_mode(f"{scope}.{name}", mode))
        values[scope] = rules
    return AssignmentRules(**values)


def edit_assignment_rules(
    rules: AssignmentRules, assignments: Mapping[str, str]
) -> AssignmentRules:
    """`rules` with the typed `KEY=VALUE` changes made, checked as a whole.

    Keys: `default`, `order`, `hand_back_minutes`, and one entry of a table:
    `account.ID`, `platform.NAME`, `kind.KIND` (an empty value removes the entry, so the
    next less specific rule applies). Modes may be written with - or _: `round-robin`.
    """
    table = rules.to_table()
    for key, raw in assignments.items():
        key, value = key.strip(), raw.strip()
        head, _, entry = key.partition(".")
        if key in ("default", "order"):
            table[key] = value.replace("-", "_")
        elif key == "hand_back_minutes":
            table[key] = int(value) if value.isdigit() else value
        elif head in SCOPES and entry:
            if value:
                table[head][entry] = value.replace("-", "_")
            else:
                table[head].pop(entry, None)
        else:
            raise InvalidInput(
                f"unknown setting {key!r} (known: default, order, hand_back_minutes, "
                "account.ID, platform.NAME, kind.KIND)"
            )
    return assignment_rules_from_table(table)


def _mode(where: str, value: Any) -> AssignMode:
    if value not in set(AssignMode):
        raise InvalidInput(f"{where} must be {', '.join(AssignMode)}, not {value!r}")
    return AssignMode(value)


def _scope_names() -> dict[str, tuple[str, ...]]:
    from adapters.base import Kind
    from adapters.registry import platform_names

    return {"platform": tuple(platform_names()), "kind": tuple(str(kind) for kind in Kind)}


def rule_lines(rules: AssignmentRules, account_names: Mapping[str, str]) -> list[str]:
    """The rules as short lines, the general first: what the CLI and the load screen show.

    `account_names` names each account id ("3") for people: "mastodon @brand".
    """
    lines = [
        f"default: {MODE_WORDS[rules.default]}"
        + ("" if rules.any_on else " (no channel is auto-assigned)"),
        f"order: {ORDER_WORDS[rules.order]}",
        "hand back: "
        + (
            f"after {rules.hand_back_minutes} min away or offline"
            if rules.hand_back_minutes
            else "never"
        ),
    ]
    lines += [f"kind {kind}: {MODE_WORDS[mode]}" for kind, mode in rules.kind.items()]
    lines += [f"platform {name}: {MODE_WORDS[mode]}" for name, mode in rules.platform.items()]
    lines += [
        f"account {account_id} ({account_names.get(account_id, 'removed')}): {MODE_WORDS[mode]}"
        for account_id, mode in rules.account.items()
    ]
    return lines
