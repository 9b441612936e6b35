"""The acknowledgement rules as a small form: whether the inbox acknowledges new threads by
itself, and per rule which threads and which prepared answers.

Everyone may read it; leads and admins save it. The form remembers the version it showed,
so a save after someone else's is refused with who saved when, and the fields are kept.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Checkbox, Input, Label, Static

from inbox import (
    AcknowledgementRules,
    Action,
    Conflict,
    InboxService,
    InvalidInput,
    edit_acknowledgement_rule,
)
from tui.dialogs.forms import REFUSED, CrisisForm, form_buttons, form_row
from tui.messages import CrisisActionRefused

FIELDS = (
    ("kinds", "Kinds", "dm, comment, mention (empty: all)"),
    ("platforms", "Platforms", "x, bluesky (empty: all)"),
    ("answer", "Answer", "shortcode, e.g. received"),
    ("outside_hours_answer", "Outside hours", "shortcode, e.g. out-of-hours (empty: the same)"),
)
"""Each rule's text fields: the rule setting, its label, a hint."""


class RulesLoaded(Message, bubble=False):
    """The rules as the database holds them, to fill the form with."""

    def __init__(self, rules: AcknowledgementRules) -> None:
        super().__init__()
        self.rules = rules


class RulesSaved(Message, bubble=False):
    """The rules were saved; `summary` says as what."""

    def __init__(self, summary: str) -> None:
        super().__init__()
        self.summary = summary


class AcknowledgementRulesForm(CrisisForm):
    """Switch acknowledgements on or off and edit each rule; ctrl+s saves (leads, admins)."""

    def __init__(self, service: InboxService) -> None:
        super().__init__()
        self.service = service
        self.rules: AcknowledgementRules | None = None
        """What the form was filled from: its version is the one a save names."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form-body") as body:
            body.border_title = "Team: acknowledgements"
            body.border_subtitle = "ctrl+s saves · escape cancels"
            yield Checkbox(
                "The inbox acknowledges new threads by itself", id="enabled", compact=True
            )
            yield Vertical(id="acknowledgement-rules")
            yield Static(
                "The first rule that covers a new thread sends its answer once, saying when a "
                "person replies ({sla.expected_reply}); during an incident the holding "
                "statement goes instead. Never a first response.",
                id="form-problems",
            )
            yield form_buttons("Save")

    def on_mount(self) -> None:
        self.hold()
        self.load()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="acknowledgements",
        description="team: read the acknowledgement rules",
    )
    def load(self) -> None:
        self.post_message(RulesLoaded(self.service.acknowledgement_rules()))

    @on(RulesLoaded)
    def loaded(self, message: RulesLoaded) -> None:
        self.rules = rules = message.rules
        self.query_one("#enabled", Checkbox).value = rules.enabled
        holder = self.query_one("#acknowledgement-rules", Vertical)
        for number, rule in enumerate(rules.rules):
            values = {
                "kinds": ", ".join(rule.kinds),
                "platforms": ", ".join(rule.platforms),
                "answer": rule.answer,
                "outside_hours_answer": rule.outside_hours_answer or "",
            }
            holder.mount(Label(f"Rule {rule.name}", classes="form-section"))
            for field, label, hint in FIELDS:
                holder.mount(
                    form_row(
                        label,
                        Input(
                            values[field],
                            placeholder=hint,
                            id=f"rule-{number}-{field}",
                            compact=True,
                        ),
                    )
                )
            holder.mount(
                Checkbox(
                    "Only during an incident",
                    rule.incident_only,
                    id=f"rule-{number}-incident_only",
                    compact=True,
                )
            )
        saved = f"version {rules.version}" if rules.version else "the defaults, never saved"
        refusal = self._refusal()
        if refusal is not None:
            for field in [*self.query(Input), *self.query(Checkbox)]:
                field.disabled = True
            self.show_problem(f"{refusal}. Showing {saved}.")
            return
        self.let_go()
        self.show_problem(f"Showing {saved}.", problem=False)
        self.query_one("#enabled", Checkbox).focus()

    def _refusal(self) -> str | None:
        """Why this person may not save the rules, in the service's words; None if they may."""
        try:
            self.service.require(Action.MANAGE_TEAM_SETTINGS)
        except REFUSED as refusal:
            return str(refusal)
        return None

    def _edited(self, rules: AcknowledgementRules) -> AcknowledgementRules:
        """The rules with every field of the form applied, each checked."""
        edited = AcknowledgementRules(
            enabled=self.query_one("#enabled", Checkbox).value,
            rules=rules.rules,
            version=rules.version,
        )
        for number, rule in enumerate(rules.rules):
            assignments = {
                field: self.query_one(f"#rule-{number}-{field}", Input).value
                for field, _, _ in FIELDS
            }
            only = self.query_one(f"#rule-{number}-incident_only", Checkbox).value
            assignments["incident_only"] = "yes" if only else "no"
            edited = edit_acknowledgement_rule(edited, rule.name, assignments)
        return edited

    def action_submit(self) -> None:
        if self.busy or self.rules is None:
            return
        try:
            edited = self._edited(self.rules)
        except InvalidInput as problem:
            self.show_problem(f"Not saved: {problem}.")
            return
        self.hold()
        self.save(edited)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="acknowledgements",
        description="team: save the acknowledgement rules",
    )
    def save(self, edited: AcknowledgementRules) -> None:
        try:
            saved = self.service.set_acknowledgement_rules(edited)
        except REFUSED as error:
            reason = f"Not saved: {error}."
            if isinstance(error, Conflict):
                reason += " Cancel and open the form again to see their version."
            self.post_message(CrisisActionRefused(reason))
            return
        if saved.version == edited.version:
            self.post_message(RulesSaved("Nothing changed: the rules already say that."))
            return
        state = "on" if saved.enabled else "off"
        self.post_message(
            RulesSaved(f"Acknowledgement rules saved as version {saved.version}; they are {state}.")
        )

    @on(RulesSaved)
    def saved(self, message: RulesSaved) -> None:
        self.app.notify(message.summary, markup=False)
        self.dismiss(message.summary)
