"""The team's SLA policy as a form: response-time targets, opening hours and holidays.

Everyone may read it; leads and admins save it. The form remembers the version it showed,
so a save after someone else's is refused with who saved when, and the fields are kept.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Input, Static

from inbox import (
    WEEKDAYS,
    Action,
    Conflict,
    InboxService,
    InvalidInput,
    SlaSettings,
    TeamSla,
    edit_sla_settings,
    targets_text,
)
from tui.dialogs.forms import REFUSED, CrisisForm, form_buttons, form_row
from tui.messages import CrisisActionRefused

DAY_NAMES = dict(
    zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"))
)

TARGETS = (
    ("kind", "Per kind", "dm=60, mention=240"),
    ("priority", "Per priority", "urgent=15"),
    ("platform", "Per platform", "reddit=480"),
)
"""The target tables: field id, label, an example."""


class SlaLoaded(Message, bubble=False):
    """The policy as the database holds it, to fill the form with."""

    def __init__(self, team: TeamSla) -> None:
        super().__init__()
        self.team = team


class SlaSaved(Message, bubble=False):
    """The policy was saved; `summary` says as what."""

    def __init__(self, summary: str) -> None:
        super().__init__()
        self.summary = summary


class SlaForm(CrisisForm):
    """The team's response-time targets and business calendar; ctrl+s saves (leads, admins)."""

    def __init__(self, service: InboxService) -> None:
        super().__init__()
        self.service = service
        self.team: TeamSla | None = None
        """What the form was filled from: its version is the one a save names."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form-body") as body:
            body.border_title = "Team: response-time targets (SLA policy)"
            body.border_subtitle = "ctrl+s saves · escape cancels"
            yield form_row(
                "Time zone", Input(placeholder="Europe/Berlin", id="timezone", compact=True)
            )
            for day, name in DAY_NAMES.items():
                yield form_row(
                    name,
                    Input(placeholder="09:00-17:00 or closed", id=f"hours-{day}", compact=True),
                )
            yield form_row(
                "Holidays", Input(placeholder="2026-12-25, 2026-12-26", id="holidays", compact=True)
            )
            yield form_row(
                "Default",
                Input(placeholder="minutes, e.g. 240", id="first-response", compact=True),
            )
            for table, label, example in TARGETS:
                yield form_row(
                    label, Input(placeholder=example, id=f"targets-{table}", compact=True)
                )
            yield Static(
                "Targets are business minutes, counted in opening hours; the smallest that "
                "matches a thread applies, else the default.",
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
        group="sla",
        description="team: read the SLA policy",
    )
    def load(self) -> None:
        self.post_message(SlaLoaded(self.service.sla_settings()))

    @on(SlaLoaded)
    def loaded(self, message: SlaLoaded) -> None:
        self.team = team = message.team
        settings = team.settings
        self.query_one("#timezone", Input).value = settings.timezone
        for day in WEEKDAYS:
            self.query_one(f"#hours-{day}", Input).value = settings.hours[day]
        self.query_one("#holidays", Input).value = ", ".join(
            day.isoformat() for day in settings.holidays
        )
        self.query_one("#first-response", Input).value = str(settings.first_response_minutes)
        for table, _, _ in TARGETS:
            self.query_one(f"#targets-{table}", Input).value = targets_text(
                getattr(settings, table)
            )
        saved = (
            f"version {team.version}, saved by {team.updated_by}"
            if team.version
            else "the defaults: nobody has set the policy yet"
        )
        refusal = self._refusal()
        if refusal is not None:
            for field in self.query(Input):
                field.disabled = True
            self.show_problem(f"{refusal}. Showing {saved}.")
            return
        self.let_go()
        self.show_problem(f"Showing {saved}.", problem=False)
        self.query_one("#timezone", Input).focus()

    def _refusal(self) -> str | None:
        """Why this person may not save the policy, in the service's words; None if they may."""
        try:
            self.service.require(Action.MANAGE_TEAM_SETTINGS)
        except REFUSED as refusal:
            return str(refusal)
        return None

    def _assignments(self) -> dict[str, str]:
        values = {"timezone": self.query_one("#timezone", Input).value}
        values.update(
            {f"hours.{day}": self.query_one(f"#hours-{day}", Input).value for day in WEEKDAYS}
        )
        values["holidays"] = self.query_one("#holidays", Input).value
        values["first_response_minutes"] = self.query_one("#first-response", Input).value
        for table, _, _ in TARGETS:
            values[table] = self.query_one(f"#targets-{table}", Input).value
        return values

    def action_submit(self) -> None:
        if self.busy or self.team is None:
            return
        try:
            settings = edit_sla_settings(self.team.settings, self._assignments())
        except InvalidInput as problem:
            self.show_problem(f"Not saved: {problem}.")
            return
        self.hold()
        self.save(settings, self.team.version)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="sla",
        description="team: save the SLA policy",
    )
    def save(self, settings: SlaSettings, version: int) -> None:
        try:
            saved = self.service.set_sla_settings(settings, version)
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
            self.post_message(SlaSaved("Nothing changed: the SLA policy already says that."))
        else:
            self.post_message(SlaSaved(f"SLA policy saved as version {saved.version}."))

    @on(SlaSaved)
    def saved(self, message: SlaSaved) -> None:
        self.app.notify(message.summary, markup=False)
        self.dismiss(message.summary)
