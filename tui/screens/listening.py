"""The team's listening rules (`L`, or "team: Listening rules"): what raises an alert.

Each row says what the rule watches in words, whether it is on and when it last raised an
alert. Leads and admins add (`a`), edit (`e`), switch off or on (`o`: a switched-off rule
is kept and raises nothing) and remove (`x`, after asking) rules; everyone else reads the
list and is told only leads change it. The list follows the event log, so a change made
in another terminal or with `inbox rules` shows here at once, as does a new alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static
from textual.worker import get_current_worker

from inbox import RULE_EVENTS, Action, InboxService, RuleRow, first_line, for_display
from tui import bindings
from tui.dialogs.forms import REFUSED, ConfirmForm, refuse_unless_allowed
from tui.dialogs.listening_rule import TYPE_NAMES, RuleForm
from tui.messages import CrisisActionRefused, EventsArrived
from tui.screen_mixins import WorkerFailures
from tui.widgets.key_bar import KeyBar
from tui.widgets.labels import local_time_label

if TYPE_CHECKING:
    from tui.host import HostApp

RELOAD_EVENTS = (*RULE_EVENTS, "alert.raised")
"""Events after which the list is read again: rule changes, and alerts (the last-alert column)."""

RULE_COLUMNS = ("#", "name", "type", "watches", "on", "last alert")


class RulesLoaded(Message, bubble=False):
    """The listening rules as the database holds them, oldest first."""

    def __init__(self, rules: Sequence[RuleRow]) -> None:
        super().__init__()
        self.rules = rules


class RulesChanged(Message, bubble=False):
    """A rule was added, changed, switched or removed; `summary` says what happened."""

    def __init__(self, summary: str) -> None:
        super().__init__()
        self.summary = summary


def lead_note(service: InboxService) -> str:
    """The line above the list: how rules work, and for anyone but a lead, who changes them."""
    note = (
        "A rule raises an alert (the red banner) when what it watches happens, then stays "
        "quiet for its cooldown."
    )
    if service.can(Action.MANAGE_LISTENING):
        return f"{note} Keys: a adds, e edits, o switches off or on, x removes."
    actor = service.actor
    article = "an" if actor.role[:1] in "aeiou" else "a"
    return (
        f"{note} You can read them here; {actor.handle} is {article} {actor.role}: "
        "only leads and admins change listening rules."
    )


class ListeningScreen(WorkerFailures, Screen[None]):
    """Every listening rule, switched on or off, and what a lead can do with them."""

    BINDINGS = bindings.LISTENING
    CSS_PATH = "../styles/listening.tcss"

    app: HostApp

    def __init__(self, service: InboxService) -> None:
        super().__init__()
        self.service = service
        self.rules: list[RuleRow] = []
        self.loaded = False
        """The first reading arrived."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(lead_note(self.service), id="listening-note")
        yield DataTable(id="rules", cursor_type="row", zebra_stripes=True)
        yield Static(id="rule-detail")
        yield KeyBar()

    @property
    def table(self) -> DataTable:
        return self.query_one("#rules", DataTable)

    def on_mount(self) -> None:
        self.table.border_title = "Listening rules"
        self.table.focus()
        self.query_one("#rule-detail", Static).display = False
        self.load_rules()
        self.app.inbox_changed.subscribe(self, self.inbox_changed)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="rules",
        description="listening: read the listening rules",
    )
    def load_rules(self) -> None:
        rules = self.service.listening_rules(include_incident_matches=False)
        if not get_current_worker().is_cancelled:
            self.post_message(RulesLoaded(rules))

    def inbox_changed(self, message: EventsArrived) -> None:
        if any(kind in RELOAD_EVENTS for kind in message.event_types):
            self.load_rules()

    @on(RulesLoaded)
    def show_rules(self, message: RulesLoaded) -> None:
        keep = self.selected
        self.rules = list(message.rules)
        self.loaded = True
        table = self.table
        table.clear(columns=True)  # columns again: a cleared table keeps its old widths
        table.add_columns(*RULE_COLUMNS)
        now = self.service.clock()
        for rule in self.rules:
            table.add_row(
                str(rule.id),
                Text(first_line(rule.name, 30)),
                TYPE_NAMES.get(rule.type, rule.type),
                Text(first_line(rule.describe(), 60)),
                "on" if rule.enabled else Text("off", style="bold"),
                local_time_label(rule.last_alert_at, now) if rule.last_alert_at else "never",
                key=str(rule.id),
            )
        table.border_subtitle = (
            f"{len(self.rules)} rules, {sum(rule.enabled for rule in self.rules)} on"
            if self.rules
            else "none yet: a adds one"
        )
        if keep is not None and keep.id in {rule.id for rule in self.rules}:
            table.move_cursor(row=table.get_row_index(str(keep.id)))
        self._show_detail()
        self.refresh_bindings()

    @property
    def selected(self) -> RuleRow | None:
        """The highlighted rule."""
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((rule for rule in self.rules if str(rule.id) == key), None)

    @on(DataTable.RowHighlighted, "#rules")
    def highlighted(self) -> None:
        self._show_detail()
        self.refresh_bindings()

    def _show_detail(self) -> None:
        detail = self.query_one("#rule-detail", Static)
        rule = self.selected
        detail.display = rule is not None
        if rule is None:
            return
        detail.border_title = (
            f"Rule {rule.id} · {TYPE_NAMES.get(rule.type, rule.type)} · "
            f"{'on' if rule.enabled else 'off: raises no alerts'}"
        )
        text = Text(f"Watches {for_display(rule.describe())}; quiet for ")
        text.append(f"{rule.config.get('cooldown_minutes', 60)} min after an alert.")
        if rule.last_alert_at is not None:
            text.append("\nLast alert: ", style="bold")
            text.append(
                f"{local_time_label(rule.last_alert_at, self.service.clock())} · "
                f"{first_line(rule.last_alert_summary or '', 200)}"
            )
        else:
            text.append("\nNo alert yet.")
        if rule.config.get("command"):
            name = first_line(for_display(str(rule.config["command"])), 64)
            text.append(
                f"\nWith each alert, runs {name}, if the config of the machine that checks the "
                "rules defines it ([listening] commands); `inbox rules edit` changes it."
            )
        detail.update(text)

    @on(CrisisActionRefused)
    def say_refused(self, message: CrisisActionRefused) -> None:
        self.notify(message.reason, severity="warning", markup=False)
        self.load_rules()

    @on(RulesChanged)
    def changed(self, message: RulesChanged) -> None:
        self.notify(message.summary, markup=False)
        self.load_rules()

    # -- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim what needs a highlighted rule when there is none."""
        if action in ("edit_rule", "switch_rule", "remove_rule"):
            return True if self.selected is not None else None
        return True

    def action_add_rule(self) -> None:
        if refuse_unless_allowed(self, self.service, Action.MANAGE_LISTENING):
            return
        self.app.push_screen(RuleForm(self.service, None), self._saved)

    def action_edit_rule(self) -> None:
        rule = self.selected
        if rule is None or refuse_unless_allowed(self, self.service, Action.MANAGE_LISTENING):
            return
        self.app.push_screen(RuleForm(self.service, rule), self._saved)

    def _saved(self, summary: str | None) -> None:
        if summary is not None:
            self.changed(RulesChanged(summary))

    def action_switch_rule(self) -> None:
        rule = self.selected
        if rule is None or refuse_unless_allowed(self, self.service, Action.MANAGE_LISTENING):
            return
        self.switch_rule(rule)

    @work(
        thread=True,
        exit_on_error=False,
        group="rule-change",
        description="listening: switch the rule",
    )
    def switch_rule(self, rule: RuleRow) -> None:
        try:
            saved = self.service.edit_listening_rule(
                rule.id, enabled=not rule.enabled, version=rule.version
            )
        except REFUSED as error:
            self.post_message(CrisisActionRefused(f"Not switched: {error}."))
            return
        self.post_message(
            RulesChanged(
                f"Listening rule {saved.id} ({saved.name}) is on."
                if saved.enabled
                else f"Listening rule {saved.id} ({saved.name}) is off: it raises no alerts."
            )
        )

    def action_remove_rule(self) -> None:
        rule = self.selected
        if rule is None or refuse_unless_allowed(self, self.service, Action.MANAGE_LISTENING):
            return
        question = (
            f"Remove the listening rule {rule.id} ({first_line(rule.name, 60)}) for good? "
            "Its alerts stay on record. To pause it instead, switch it off with o."
        )
        self.app.push_screen(
            ConfirmForm("Remove the listening rule", question, "Remove it"),
            lambda yes: yes and self.remove_rule(rule.id, rule.name),
        )

    @work(
        thread=True,
        exit_on_error=False,
        group="rule-change",
        description="listening: remove the rule",
    )
    def remove_rule(self, rule_id: int, name: str) -> None:
        try:
            self.service.remove_listening_rule(rule_id)
        except REFUSED as error:
            self.post_message(CrisisActionRefused(f"Not removed: {error}."))
            return
        self.post_message(RulesChanged(f"Listening rule {rule_id} ({name}) is removed."))

    def action_close(self) -> None:
        self.dismiss()
