"""The form that adds or edits a listening rule, its settings as `inbox rules add` takes them.

Only the fields of the chosen rule type show: keywords (and languages) for a keyword
rule, a factor and a baseline for a volume spike, a share for negative sentiment; the
window, the fewest messages, the cooldown and the platforms for all. Each field is read
and checked here, so a mistake is named by its label before anything is sent; an empty
number is the setting's default. An edit names the version of the rule it was opened on:
if someone changed the rule since, the save is refused with who and when, fields kept.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Select, Static

from inbox import (
    RULE_DEFAULTS,
    RULE_TYPES,
    Conflict,
    InboxService,
    InvalidInput,
    RuleRow,
    setting_value,
)
from tui.dialogs.forms import REFUSED, CrisisForm, form_buttons, form_row
from tui.messages import CrisisActionRefused

TYPE_NAMES = {
    "keyword": "Keywords",
    "volume_spike": "Volume spike",
    "negative_share": "Negative share",
}
"""Each rule type as people call it."""

TYPE_HINTS = {
    "keyword": "Alerts when messages mention any of the keywords (whole words, any case).",
    "volume_spike": (
        "Alerts when the window holds factor times the messages usual for the baseline hours "
        "before it."
    ),
    "negative_share": (
        "Alerts when at least this share of the window's scored messages is negative."
    ),
}
"""What a rule of each type watches, shown under the fields."""

NUMBERS = (
    ("factor", "Spike factor", "x the usual volume"),
    ("baseline_hours", "Baseline", "hours before, the usual"),
    ("share", "Negative share", "0.5 or 50% of scored"),
    ("window_minutes", "Window", "minutes looked at"),
    ("min_count", "Minimum", "messages at least"),
    ("cooldown_minutes", "Cooldown", "quiet minutes"),
)
"""The numeric settings: config key, label, what the number means (shown beside it)."""

LISTS = (
    ("keywords", "Keywords", "outage, is down, refund"),
    ("languages", "Languages", "en, de (empty: all)"),
    ("platforms", "Platforms", "mastodon, reddit (empty: all)"),
)
"""The comma-separated settings: config key, label, an example."""

LIST_KEYS = frozenset(key for key, _, _ in LISTS)


def type_fields(rule_type: str) -> list[str]:
    """The config keys the form shows for `rule_type`."""
    shown = [*RULE_DEFAULTS[rule_type], "platforms"]
    if rule_type == "keyword":
        shown += ["keywords", "languages"]
    return shown


def _words(text: str) -> list[str]:
    return [word.strip() for word in text.split(",") if word.strip()]


def _percent(text: str) -> float | str:
    try:
        return float(text[:-1]) / 100
    except ValueError:
        return text


def read_fields(rule_type: str, values: dict[str, str]) -> dict[str, Any]:
    """The rule's settings from the form's text, by config key; InvalidInput names the field."""
    config: dict[str, Any] = {}
    labels = {key: label for key, label, _ in (*NUMBERS, *LISTS)}
    for key in type_fields(rule_type):
        text = values.get(key, "").strip()
        if key in LIST_KEYS:
            config[key] = _words(text)
            continue
        if not text:
            config[key] = RULE_DEFAULTS[rule_type][key]
            continue
        percent = key == "share" and text.endswith("%")
        try:
            config[key] = setting_value(key, _percent(text) if percent else text)
        except InvalidInput as problem:
            said = f"must be between 1% and 100%, not {text!r}" if percent else str(problem)
            raise InvalidInput(f"{labels[key]} {said}") from None
    if rule_type == "keyword" and not config["keywords"]:
        raise InvalidInput("Keywords: give at least one word or phrase, separated by commas")
    return config


def field_text(value: Any) -> str:
    """A stored setting as the form shows it."""
    if isinstance(value, list):
        return ", ".join(str(each) for each in value)
    if isinstance(value, float):
        return f"{value:g}"
    return "" if value is None else str(value)


class RuleSaved(Message, bubble=False):
    """The rule was added or changed; `summary` says what happened."""

    def __init__(self, summary: str) -> None:
        super().__init__()
        self.summary = summary


class RuleForm(CrisisForm):
    """Add a listening rule, or change one's name and settings (leads and admins)."""

    def __init__(self, service: InboxService, rule: RuleRow | None) -> None:
        super().__init__()
        self.service = service
        self.rule = rule
        """The rule as the form was opened on it: its version is the one a save names."""

    @property
    def rule_type(self) -> str:
        """The type chosen (or the edited rule's)."""
        if self.rule is not None:
            return self.rule.type
        chosen = self.query_one("#type", Select).value
        return str(chosen) if chosen in RULE_TYPES else RULE_TYPES[0]

    def compose(self) -> ComposeResult:
        rule = self.rule
        with VerticalScroll(id="form-body") as body:
            body.border_title = f"Edit listening rule {rule.id}" if rule else "Add a listening rule"
            body.border_subtitle = "ctrl+s saves · escape cancels"
            yield form_row(
                "Name",
                Input(
                    rule.name if rule else "",
                    placeholder="a name people recognise: checkout outage",
                    id="name",
                    compact=True,
                ),
            )
            kind = Select(
                [(TYPE_NAMES[name], name) for name in RULE_TYPES],
                value=rule.type if rule else RULE_TYPES[0],
                allow_blank=False,
                id="type",
                compact=True,
            )
            kind.disabled = rule is not None
            yield form_row("Type", kind)
            config = rule.config if rule else {}
            for key, label, example in LISTS:
                yield form_row(
                    label,
                    Input(
                        field_text(config.get(key)),
                        placeholder=example,
                        id=key,
                        compact=True,
                    ),
                ).add_class(f"field-{key}")
            for key, label, meaning in NUMBERS:
                yield form_row(
                    label,
                    Input(field_text(config.get(key)), id=key, compact=True),
                    Label(meaning, id=f"unit-{key}", classes="form-unit"),
                ).add_class(f"field-{key}")
            yield Static(id="form-problems")
            yield form_buttons("Save" if rule else "Add")

    def on_mount(self) -> None:
        self._show_type_fields()
        self.query_one("#name", Input).focus()

    @on(Select.Changed, "#type")
    def type_changed(self) -> None:
        self._show_type_fields()

    def _show_type_fields(self) -> None:
        rule_type = self.rule_type
        shown = type_fields(rule_type)
        defaults = RULE_DEFAULTS[rule_type]
        for key, _, meaning in NUMBERS:
            self.query_one(f".field-{key}").display = key in shown
            if key in defaults:
                default = field_text(defaults[key])
                self.query_one(f"#{key}", Input).placeholder = f"{default} (empty: the default)"
                self.query_one(f"#unit-{key}", Label).update(f"{meaning} (default {default})")
        for key, _, _ in LISTS:
            self.query_one(f".field-{key}").display = key in shown
        self.show_problem(TYPE_HINTS[rule_type], problem=False)

    def _values(self) -> dict[str, str]:
        return {
            key: self.query_one(f"#{key}", Input).value
            for key in (*(key for key, _, _ in NUMBERS), *(key for key, _, _ in LISTS))
        }

    def action_submit(self) -> None:
        if self.busy:
            return
        name = self.query_one("#name", Input).value.strip()
        if not name:
            self.show_problem(
                "Name: give the rule a name people recognise, like 'checkout outage'."
            )
            return
        try:
            config = read_fields(self.rule_type, self._values())
        except InvalidInput as problem:
            self.show_problem(f"Not saved: {problem}.")
            return
        self.hold()
        self.save(name, config)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="save-rule",
        description="listening: save the rule",
    )
    def save(self, name: str, config: dict[str, Any]) -> None:
        rule = self.rule
        try:
            if rule is None:
                rule_id = self.service.add_listening_rule(name, self.rule_type, config)
                summary = f"Listening rule {rule_id} ({name}) added: it watches from now on."
            else:
                saved = self.service.edit_listening_rule(
                    rule.id, name=name, config=config, version=rule.version
                )
                summary = (
                    f"Listening rule {saved.id} ({saved.name}) saved: {saved.describe()}."
                    if saved.version != rule.version
                    else "Nothing changed: the rule already says that."
                )
        except REFUSED as error:
            reason = f"Not saved: {error}."
            if isinstance(error, Conflict):
                reason += (
                    " Cancel and open the rule again to see theirs; "
                    "your fields are kept here until then."
                )
            self.post_message(CrisisActionRefused(reason))
            return
        self.post_message(RuleSaved(summary))

    @on(RuleSaved)
    def saved(self, message: RuleSaved) -> None:
        self.dismiss(message.summary)
