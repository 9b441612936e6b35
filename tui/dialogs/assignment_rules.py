"""The auto-assignment rules as a form: the default, the order, hand-back, and per channel.

Opened from the load screen with the rules and accounts it shows. Leads and admins save;
the form names the version it was filled from, so a save after someone else's is refused
with who saved when, and the fields are kept.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Select, Static

from inbox import (
    MODE_WORDS,
    ORDER_WORDS,
    AccountSummary,
    Action,
    AssignmentRules,
    AssignMode,
    AssignOrder,
    Conflict,
    InboxService,
    InvalidInput,
    TeamAssignment,
    edit_assignment_rules,
    first_line,
)
from tui.dialogs.forms import REFUSED, CrisisForm, form_buttons, form_row
from tui.messages import CrisisActionRefused
from tui.widgets.labels import platform_label

KIND_NAMES = {"dm": "DMs", "mention": "Mentions", "comment": "Comments"}
KINDS = tuple(KIND_NAMES)

MODES = [(MODE_WORDS[mode], str(mode)) for mode in AssignMode]
"""The choices of a mode, as people read them."""


class RulesSaved(Message, bubble=False):
    """The rules were saved (or were already so); `summary` says which."""

    def __init__(self, summary: str) -> None:
        super().__init__()
        self.summary = summary


class AssignmentRulesForm(CrisisForm):
    """How waiting threads find a person; ctrl+s saves (leads and admins)."""

    DEFAULT_CLASSES = "crisis-form assignment-form"

    def __init__(
        self, service: InboxService, team: TeamAssignment, accounts: list[AccountSummary]
    ) -> None:
        super().__init__()
        self.service = service
        self.team = team
        """What the form was filled from: its version is the one a save names."""
        self.accounts = accounts
        self.platforms = sorted({account.platform for account in accounts})

    def compose(self) -> ComposeResult:
        rules = self.team.rules
        with VerticalScroll(id="form-body") as body:
            body.border_title = "Team: auto-assignment rules"
            body.border_subtitle = "ctrl+s saves · escape cancels"
            yield form_row(
                "Default",
                Select(
                    MODES, value=str(rules.default), allow_blank=False, id="default", compact=True
                ),
            )
            yield form_row(
                "Order",
                Select(
                    [(ORDER_WORDS[order], str(order)) for order in AssignOrder],
                    value=str(rules.order),
                    allow_blank=False,
                    id="order",
                    compact=True,
                ),
            )
            yield form_row(
                "Hand back",
                Input(str(rules.hand_back_minutes), id="hand-back", compact=True),
                Label("minutes away or offline (0: never)", classes="form-unit"),
            )
            yield Static(
                "Per channel, the most specific rule wins: an account's, else its platform's, "
                "else the thread kind's, else the default.",
                classes="form-note",
            )
            yield Static("Per thread kind", classes="form-section")
            for kind in KINDS:
                yield form_row(
                    KIND_NAMES[kind], self._override(f"kind-{kind}", rules.kind.get(kind))
                )
            yield Static("Per platform", classes="form-section")
            for platform in self.platforms:
                yield form_row(
                    platform_label(platform),
                    self._override(f"platform-{platform}", rules.platform.get(platform)),
                )
            yield Static("Per account", classes="form-section")
            for account in self.accounts:
                yield form_row(
                    f"{platform_label(account.platform)} {first_line(account.handle, 12)}",
                    self._override(f"account-{account.id}", rules.account.get(str(account.id))),
                )
            yield Static(id="form-problems")
            yield form_buttons("Save")

    @staticmethod
    def _override(field_id: str, mode: str | None) -> Select[str]:
        """A channel's choice: a mode, or blank for the next less specific rule."""
        return Select(
            MODES,
            value=mode if mode is not None else Select.NULL,
            prompt="as the next rule",
            id=field_id,
            compact=True,
        )

    def on_mount(self) -> None:
        saved = (
            f"version {self.team.version}, saved by {self.team.updated_by}"
            if self.team.version
            else "the defaults: nobody has set the rules yet"
        )
        try:
            self.service.require(Action.MANAGE_ASSIGNMENT)
        except REFUSED as refusal:
            for field in (*self.query(Input), *self.query(Select)):
                field.disabled = True
            self.hold()
            self.show_problem(f"{refusal}. Showing {saved}.")
            return
        self.show_problem(f"Showing {saved}.", problem=False)
        self.query_one("#default", Select).focus()

    def _assignments(self) -> dict[str, str]:
        """The form's fields as `KEY=VALUE` edits, as `inbox team assign set` takes them."""

        def chosen(field_id: str) -> str:
            value: Any = self.query_one(f"#{field_id}", Select).value
            return "" if value == Select.NULL else str(value)

        values = {
            "default": chosen("default"),
            "order": chosen("order"),
            "hand_back_minutes": self.query_one("#hand-back", Input).value,
        }
        values.update({f"kind.{kind}": chosen(f"kind-{kind}") for kind in KINDS})
        values.update({f"platform.{name}": chosen(f"platform-{name}") for name in self.platforms})
        values.update(
            {f"account.{account.id}": chosen(f"account-{account.id}") for account in self.accounts}
        )
        return values

    def action_submit(self) -> None:
        if self.busy:
            return
        try:
            rules = edit_assignment_rules(self.team.rules, self._assignments())
        except InvalidInput as problem:
            self.show_problem(f"Not saved: {problem}.")
            return
        self.hold()
        self.save(rules, self.team.version)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="assignment-rules",
        description="team: save the auto-assignment rules",
    )
    def save(self, rules: AssignmentRules, version: int) -> None:
        try:
            saved = self.service.set_assignment_rules(rules, version)
        except REFUSED as error:
            reason = f"Not saved: {error}."
            if isinstance(error, Conflict):
                reason += (
                    " Cancel and open the form again to see their version; "
                    "your fields are kept here until then."
                )
            self.post_message(CrisisActionRefused(reason))
            return
        if saved.version == version:
            self.post_message(RulesSaved("Nothing changed: the rules already say that."))
        else:
            self.post_message(
                RulesSaved(f"Auto-assignment rules saved as version {saved.version}.")
            )

    @on(RulesSaved)
    def saved(self, message: RulesSaved) -> None:
        self.app.notify(message.summary, markup=False)
        self.dismiss(message.summary)
