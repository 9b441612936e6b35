"""The crisis screen (`!`): the active incident in full, and the lead's moves in a crisis.

Everyone can read it: the incident, the holding statement, the counts, and every incident
so far (enter opens one's review). Leads act: declare an incident, correct it (title,
severity, scope, status page, update interval), post the holding statement or a public
update on every (or chosen) account as one campaign, reply with it in every open incident
thread, mail it to the subscribers, and end the incident, posting an all-clear first if
they want. A statement is always planned first: the form shows where it goes (the
accounts, the status page, the subscribers and the email account that mails them) and
which accounts or threads it does not fit, and only a second step sends it; ctrl+o there
starts it from a prepared answer. Someone whose role does not allow an action is told so
in words.

The incident shown comes from the app's crisis state (`InboxApp.crisis`), so it is live;
the list of incidents is read in a worker, again after every incident event.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Header,
    Input,
    Label,
    Select,
    SelectionList,
    Static,
    TextArea,
)
from textual.widgets.selection_list import Selection
from textual.worker import get_current_worker

from inbox import (
    Action,
    CrisisStatus,
    EmailAudience,
    InboxService,
    IncidentRow,
    NotFound,
    StatementPlan,
    channel_name,
    counted,
    first_line,
    for_display,
)
from tui import bindings
from tui.dialogs.answer_picker import AnswerPicker
from tui.dialogs.forms import REFUSED, CrisisForm, form_buttons, form_row, refuse_unless_allowed
from tui.messages import (
    CrisisActionRefused,
    EventsArrived,
    HoldingStatementSuggested,
    IncidentDeclared,
    IncidentEnded,
    IncidentsLoaded,
    StatementFormLoaded,
    StatementPlanned,
    StatementQueued,
)
from tui.screen_mixins import WorkerFailures
from tui.widgets.crisis_bar import span_text
from tui.widgets.key_bar import KeyBar
from tui.widgets.labels import local_time_label

if TYPE_CHECKING:
    from tui.host import CrisisState, HostApp

SEVERITIES = {1: "critical", 2: "major", 3: "minor"}
"""What each severity means, 1 the worst."""

SCOPES = ("local", "national", "global")

FIELD_NAMES = {
    "title": "title",
    "severity": "severity",
    "scope": "scope",
    "status_url": "status page",
    "update_interval_minutes": "update interval",
}
"""The incident fields the edit form changes, as people call them."""


def prepared_statement(service: InboxService, reference: str | int) -> str | None:
    """A prepared answer as a statement starts from: its shortest version, the one that fits
    every channel; None when the library has no such answer."""
    try:
        answer = service.canned_response(reference).answer
    except NotFound:
        return None
    return min([answer.body, *answer.variants.values()], key=len)


def status_url_problem(address: str) -> str | None:
    """Why `address` cannot be the status page's link, or None (empty: no status page).

    Every statement links to it, so a wrong one fails every statement's check.
    """
    if not address:
        return None
    parts = urlsplit(address)
    host = parts.hostname or ""
    well_formed = host and all(host.split(".")) and not any(c.isspace() for c in address)
    if parts.scheme in ("https", "http") and well_formed:
        return None
    return (
        "The status page is a web address such as https://status.example.com, "
        f"not {first_line(address, 60)!r}."
    )


def incident_rows(incident: IncidentRow | None) -> list[Horizontal]:
    """The title, severity, scope and status page rows of the declare and edit forms,
    filled from `incident` (None: a new one)."""
    return [
        form_row(
            "Title",
            Input(
                first_line(incident.title, 200) if incident else "",
                placeholder="what is happening, e.g. Checkout outage",
                id="title",
                compact=True,
            ),
        ),
        form_row(
            "Severity",
            Select(
                [(f"{level} {name}", level) for level, name in SEVERITIES.items()],
                value=incident.severity if incident else 2,
                allow_blank=False,
                id="severity",
                compact=True,
            ),
        ),
        form_row(
            "Scope",
            Select(
                [(scope, scope) for scope in SCOPES],
                value=incident.scope if incident else "national",
                allow_blank=False,
                id="scope",
                compact=True,
            ),
        ),
        form_row(
            "Status page",
            Input(
                first_line(incident.status_url, 200) if incident and incident.status_url else "",
                placeholder="https://status.example.com",
                id="status-url",
                compact=True,
            ),
        ),
    ]


def interval_row(minutes: int) -> Horizontal:
    """The row of the minutes between public updates."""
    return form_row(
        "Update every",
        Input(str(minutes), type="integer", id="interval", compact=True),
        Label("minutes between public updates", classes="form-unit"),
    )


def _threads_tagged(incident: IncidentRow) -> str:
    """How many threads carry the incident, as a count: "1 thread tagged", "3 threads tagged"."""
    return f"{counted(incident.threads, 'thread')} tagged"


def incident_summary(status: CrisisStatus, now: datetime) -> Text:
    """The active incident as the crisis screen shows it, a fact a line."""
    incident = status.incident
    text = Text()
    text.append(f"Incident {incident.id} · {first_line(incident.title, 120)}\n", style="bold")
    since = span_text((now - incident.started_at).total_seconds())
    text.append(
        f"Severity {incident.severity} ({SEVERITIES.get(incident.severity, '?')}) · "
        f"{incident.scope} · since {local_time_label(incident.started_at, now)}, {since} · "
        f"declared by {incident.declared_by or 'setup'}\n"
    )
    due = incident.next_update_due
    if due is not None:
        left = (due - now).total_seconds()
        every = f" (every {span_text(incident.update_interval_minutes * 60)})"
        if left < 0:
            text.append(
                f"The next public update was due at {local_time_label(due, now)}: "
                f"OVERDUE by {span_text(-left)}",
                style="bold reverse",
            )
            text.append(f"{every}. u posts one.\n")
        else:
            text.append(
                f"Next public update due at {local_time_label(due, now)}, "
                f"in {span_text(left)}{every}\n"
            )
    url = first_line(incident.status_url, 200) if incident.status_url else "none"
    approval = "yes" if incident.requires_approval else "no"
    text.append(f"Status page: {url} · replies need a lead's approval: {approval}\n")
    if incident.match:
        text.append(
            "Open threads are tagged when their messages mention: "
            + first_line(", ".join(incident.match), 300)
            + "\n"
        )
    sent, paused = status.statements_sent, status.paused_posts
    text.append(
        f"{_threads_tagged(incident)}: {incident.open_threads} open, "
        f"{status.answered_threads} answered · {sent} statement{'s' if sent != 1 else ''} sent · "
        f"{paused} scheduled post{'s' if paused != 1 else ''} paused (P lists them)"
    )
    if status.other_active:
        text.append(
            f"\n{status.other_active} more incidents are active; the list below shows them."
        )
    return text


INCIDENT_COLUMNS = ("#", "title", "severity", "status", "started", "ended", "threads")

CALM = (
    "No incident is active.\n"
    "d declares one: a title, severity 1 (worst) to 3, scope, the status page, the holding "
    "statement, how often to post public updates, and whether replies need a lead's approval. "
    "Declaring pauses every scheduled post until a lead resumes it."
)


class CrisisScreen(WorkerFailures, Screen[None]):
    """The active incident, the statement, every incident so far, and the lead's moves."""

    BINDINGS = bindings.CRISIS_SCREEN

    app: HostApp

    def __init__(self, service: InboxService) -> None:
        super().__init__()
        self.service = service
        self.incident_ids: list[int] = []
        """The incidents listed, in order."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="crisis-summary")
        yield Static(id="crisis-statement")
        yield Static(id="crisis-note")
        yield DataTable(id="incidents", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    @property
    def status(self) -> CrisisStatus | None:
        return self.app.crisis.status

    def on_mount(self) -> None:
        table = self.query_one("#incidents", DataTable)
        table.border_title = "Incidents · enter opens the review"
        table.focus()
        self.show_state(self.app.crisis)
        self.app.crisis_changed.subscribe(self, self.show_state)
        self.app.inbox_changed.subscribe(self, self.inbox_changed)
        if not self.service.can(Action.DECLARE_INCIDENT):
            actor = self.service.actor
            self.query_one("#crisis-note", Static).update(
                Text(
                    f"You are {actor.handle} ({actor.role}): you can follow the crisis here; "
                    "declaring, statements and ending are for leads."
                )
            )
        self.load_incidents()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="incidents",
        description="crisis: read the incidents",
    )
    def load_incidents(self) -> None:
        incidents = self.service.incidents()
        if not get_current_worker().is_cancelled:
            self.post_message(IncidentsLoaded(incidents))

    def inbox_changed(self, message: EventsArrived) -> None:
        if any(kind.startswith("incident.") for kind in message.event_types):
            self.load_incidents()

    def show_state(self, state: CrisisState) -> None:
        """Show the active incident (or the calm) and its holding statement."""
        status = state.status
        summary = self.query_one("#crisis-summary", Static)
        statement = self.query_one("#crisis-statement", Static)
        if status is None:
            summary.update(Text(CALM))
            statement.display = False
        else:
            summary.update(incident_summary(status, self.service.clock()))
            held = status.incident.holding_statement
            statement.display = True
            statement.border_title = "Holding statement · h posts it, y replies with it"
            statement.update(
                Text(for_display(held)) if held else Text("None yet: h lets you write one.")
            )

    @on(IncidentsLoaded)
    def show_incidents(self, message: IncidentsLoaded) -> None:
        table = self.query_one("#incidents", DataTable)
        now = self.service.clock()
        table.clear(columns=True)  # columns again: a cleared table keeps its old widths
        table.add_columns(*INCIDENT_COLUMNS)
        self.incident_ids = [incident.id for incident in message.incidents]
        for incident in message.incidents:
            table.add_row(
                str(incident.id),
                Text(first_line(incident.title, 60)),
                f"{incident.severity} {SEVERITIES.get(incident.severity, '')}",
                incident.status,
                local_time_label(incident.started_at, now),
                local_time_label(incident.ended_at, now) if incident.ended_at else "",
                f"{incident.threads} ({incident.open_threads} open)",
                key=str(incident.id),
            )
        table.border_subtitle = "" if message.incidents else "none yet"

    @on(CrisisActionRefused)
    def say_refused(self, message: CrisisActionRefused) -> None:
        self.notify(message.reason, severity="warning", markup=False)

    # -- actions ------------------------------------------------------------------------

    def _active(self) -> CrisisStatus | None:
        """The active incident's state; says so when there is none."""
        status = self.status
        if status is None:
            self.notify("No incident is active; d declares one.", markup=False)
        return status

    def action_declare(self) -> None:
        if refuse_unless_allowed(self, self.service, Action.DECLARE_INCIDENT):
            return
        if self.status is not None:
            incident = self.status.incident
            self.notify(
                f"Incident {incident.id} is active: end it (e) before declaring another.",
                markup=False,
            )
            return
        self.app.push_screen(DeclareForm(self.service), self._declared)

    def _declared(self, result: IncidentDeclared | None) -> None:
        if result is None:
            return
        incident = result.incident
        paused = len(result.paused_post_ids)
        self.notify(
            f"Declared incident {incident.id}: {incident.title}. "
            f"{counted(paused, 'scheduled post')} paused; {_threads_tagged(incident)}. "
            "h posts the holding statement.",
            title="Incident declared",
            markup=False,
        )
        self.app.load_crisis()
        self.load_incidents()

    def _statement(self, purpose: str) -> None:
        if refuse_unless_allowed(self, self.service, Action.APPROVE):
            return
        status = self._active()
        if status is None:
            return
        self.app.push_screen(StatementForm(self.service, status.incident, purpose), self._sent)

    def action_holding_statement(self) -> None:
        self._statement(HOLDING)

    def action_public_update(self) -> None:
        self._statement(UPDATE)

    def action_reply_to_threads(self) -> None:
        self._statement(REPLIES)

    def _sent(self, result: StatementQueued | None, *, closing: bool = False) -> None:
        """Say where the statement went; `closing`: it is the all-clear, no update follows."""
        if result is None:
            return
        plan = result.plan
        mailed = plan.email.subscribers if plan.mailing is not None and plan.email else 0
        parts = [
            f"campaign {campaign.id}: {campaign.targets} {_campaign_noun(campaign.kind)}"
            if not mailed
            else f"campaign {campaign.id}: {counted(campaign.targets, 'message')}"
            for campaign in result.campaigns
        ]
        if mailed:
            parts.append(f"{counted(mailed, 'subscriber')} by email")
        follows = "" if closing else "; the next public update is due one interval from now"
        self.notify(
            "Queued " + "; ".join(parts) + f". It goes out as the outbox sends{follows}.",
            title="Statement queued",
            markup=False,
        )
        self.app.load_crisis()

    def action_edit_incident(self) -> None:
        if refuse_unless_allowed(self, self.service, Action.DECLARE_INCIDENT):
            return
        status = self._active()
        if status is None:
            return
        self.app.push_screen(EditForm(self.service, status.incident), self._edited)

    def _edited(self, result: EditForm.Saved | None) -> None:
        if result is None:
            return
        *others, last = result.changed
        fields = f"{', '.join(others)} and {last}" if others else last
        self.notify(
            f"Incident {result.incident.id}: changed the {fields}.",
            title="Incident changed",
            markup=False,
        )
        self.app.load_crisis()
        self.load_incidents()

    def action_end_incident(self) -> None:
        if refuse_unless_allowed(self, self.service, Action.DECLARE_INCIDENT):
            return
        status = self._active()
        if status is None:
            return
        self.app.push_screen(EndForm(self.service, status), self._ended)

    def _all_clear_sent(self, result: StatementForm.AllClearSent | None) -> None:
        if result is None:
            self.notify(
                "No all-clear was posted and the incident goes on; e ends it.", markup=False
            )
            return
        self._sent(result.queued, closing=True)
        if result.ended is not None:
            self._ended(result.ended)
        else:
            self.notify(
                f"The all-clear is queued, but the incident did not end: {result.not_ended}",
                severity="warning",
                markup=False,
            )

    def _ended(self, result: IncidentEnded | AllClearWanted | None) -> None:
        if result is None:
            return
        if isinstance(result, AllClearWanted):
            status = self._active()
            if status is not None:
                form = StatementForm(self.service, status.incident, ALL_CLEAR, end_note=result.note)
                self.app.push_screen(form, self._all_clear_sent)
            return
        paused = result.paused_posts
        hint = (
            f" {paused} scheduled posts stay paused: P lists them, U there resumes them all."
            if paused
            else ""
        )
        lasted = (result.incident.ended_at - result.incident.started_at).total_seconds()
        self.notify(
            f"Incident {result.incident.id} ended after {span_text(lasted)}.{hint}",
            title="Incident ended",
            markup=False,
        )
        self.app.load_crisis()
        self.load_incidents()

    def action_open_review(self) -> None:
        table = self.query_one("#incidents", DataTable)
        if table.row_count:
            self._review(int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))

    @on(DataTable.RowSelected, "#incidents")
    def incident_selected(self, message: DataTable.RowSelected) -> None:
        self._review(int(message.row_key.value))

    def _review(self, incident_id: int) -> None:
        if refuse_unless_allowed(self, self.service, Action.EXPORT):
            return
        self.app.open_review(incident_id)

    def action_close(self) -> None:
        self.dismiss()


def _campaign_noun(kind: str) -> str:
    return "account posts" if kind == "broadcast" else "thread replies"


# -- forms ------------------------------------------------------------------------------------


class IncidentFieldsForm(CrisisForm):
    """A form with the incident's title, severity, scope, status page and update interval."""

    def incident_fields(self) -> dict[str, Any] | None:
        """The five fields as typed, checked; None (having said why) when one is wrong."""
        interval = self.query_one("#interval", Input).value.strip()
        if not interval.isdigit() or int(interval) < 1:
            self.show_problem(
                "Give the minutes between public updates as a whole number, such as 60."
            )
            return None
        status_url = self.query_one("#status-url", Input).value.strip()
        if (problem := status_url_problem(status_url)) is not None:
            self.show_problem(problem)
            return None
        return {
            "title": self.query_one("#title", Input).value,
            "severity": self.query_one("#severity", Select).value,
            "scope": self.query_one("#scope", Select).value,
            "status_url": status_url,
            "update_interval_minutes": int(interval),
        }


class DeclareForm(IncidentFieldsForm):
    """Declare an incident: title, severity, scope, status page, statement, interval, approval."""

    def __init__(self, service: InboxService) -> None:
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form-body") as body:
            body.border_title = "Declare an incident"
            body.border_subtitle = "ctrl+s declares · escape cancels"
            yield from incident_rows(None)
            yield form_row("Statement", TextArea(id="statement", compact=True))
            yield interval_row(60)
            yield form_row(
                "Approval",
                Checkbox(
                    "every outgoing reply needs a lead's approval", id="approval", compact=True
                ),
            )
            yield form_row(
                "Tag threads",
                Input(
                    placeholder="words, comma-separated: outage, down, not loading",
                    id="match",
                    compact=True,
                ),
            )
            yield form_row(
                "",
                Static(
                    "open threads whose messages mention any of these words, however old",
                    classes="form-unit",
                    id="match-rule",
                ),
            )
            yield Static(
                "Declaring pauses every scheduled post and tags those threads to the incident.",
                id="form-problems",
            )
            yield form_buttons("Declare")

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()
        self.suggest_statement()

    @work(
        thread=True,
        exit_on_error=False,
        group="suggest",
        description="crisis: find the holding statement",
    )
    def suggest_statement(self) -> None:
        """The starter `holding-statement` answer, its shortest version (it must fit everywhere)."""
        if (text := prepared_statement(self.service, "holding-statement")) is not None:
            self.post_message(HoldingStatementSuggested(text))

    @on(HoldingStatementSuggested)
    def fill_statement(self, message: HoldingStatementSuggested) -> None:
        area = self.query_one("#statement", TextArea)
        if not area.text.strip():
            area.text = message.text

    def action_submit(self) -> None:
        if self.busy:
            return
        fields = self.incident_fields()
        if fields is None:
            return
        title = fields.pop("title")
        fields |= {
            "status_url": fields["status_url"] or None,
            "holding_statement": self.query_one("#statement", TextArea).text.strip() or None,
            "requires_approval": self.query_one("#approval", Checkbox).value,
            "match": [
                word.strip()
                for word in self.query_one("#match", Input).value.split(",")
                if word.strip()
            ],
        }
        self.hold()
        self.show_problem("Declaring…", problem=False)
        self.declare(title, fields)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="declare",
        description="crisis: declare the incident",
    )
    def declare(self, title: str, fields: dict[str, Any]) -> None:
        try:
            incident, paused = self.service.declare_incident(title, **fields)
        except REFUSED as error:
            self.post_message(CrisisActionRefused(str(error)))
            return
        self.post_message(IncidentDeclared(incident, paused))

    @on(IncidentDeclared)
    def declared(self, message: IncidentDeclared) -> None:
        self.dismiss(message)


class EditForm(IncidentFieldsForm):
    """Correct an active incident: title, severity, scope, status page, update interval."""

    class Saved(Message, bubble=False):
        """The incident was changed; `changed` names the fields, as people call them."""

        def __init__(self, incident: IncidentRow, changed: list[str]) -> None:
            super().__init__()
            self.incident = incident
            self.changed = changed

    def __init__(self, service: InboxService, incident: IncidentRow) -> None:
        super().__init__()
        self.service = service
        self.incident = incident

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form-body") as body:
            body.border_title = f"Edit incident {self.incident.id}"
            body.border_subtitle = "ctrl+s saves · escape cancels"
            yield from incident_rows(self.incident)
            yield interval_row(self.incident.update_interval_minutes)
            yield Static(
                "Statements link to the status page; a new interval counts from the last "
                "public update.",
                id="form-problems",
            )
            yield form_buttons("Save")

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()

    def action_submit(self) -> None:
        if self.busy:
            return
        fields = self.incident_fields()
        if fields is None:
            return
        fields["title"] = fields["title"].strip()
        was = {name: getattr(self.incident, name) for name in FIELD_NAMES}
        was["status_url"] = was["status_url"] or ""
        changes = {name: value for name, value in fields.items() if value != was[name]}
        if not changes:
            self.show_problem("Nothing changed: edit a field, or escape to leave it as it is.")
            return
        self.hold()
        self.show_problem("Saving…", problem=False)
        self.save(changes)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="edit",
        description="crisis: change the incident",
    )
    def save(self, changes: dict[str, Any]) -> None:
        try:
            incident = self.service.update_incident(self.incident.id, **changes)
        except REFUSED as error:
            self.post_message(CrisisActionRefused(str(error)))
            return
        self.post_message(self.Saved(incident, [FIELD_NAMES[name] for name in changes]))

    @on(Saved)
    def saved(self, message: Saved) -> None:
        self.dismiss(message)


HOLDING = "holding"
UPDATE = "update"
REPLIES = "replies"
ALL_CLEAR = "all-clear"
_PURPOSES = {
    HOLDING: ("Post the holding statement", "on the accounts checked below, as one campaign"),
    UPDATE: ("Post a public update", "on the accounts checked below, as one campaign"),
    REPLIES: ("Reply in every open incident thread", "with the same text, as one campaign"),
    ALL_CLEAR: (
        "Post the all-clear",
        "on the accounts checked below, as one campaign; once it is queued the incident ends",
    ),
}
SUGGESTED_ANSWERS = {
    HOLDING: "holding statement",
    UPDATE: "update",
    REPLIES: "crisis",
    ALL_CLEAR: "all clear",
}
"""What the prepared-answer picker (ctrl+o) suggests first, for each kind of statement."""

ALL_CLEAR_ANSWER = "service-restored"
"""The starter prepared answer the all-clear starts from, when the library has it."""

ALL_CLEAR_TEXT = (
    "Everything is working again after {incident.title}. Thank you for your patience, "
    "and sorry for the disruption."
)
"""The all-clear when the library has no `ALL_CLEAR_ANSWER`, for the lead to edit."""


@dataclass(frozen=True, slots=True)
class AllClearWanted:
    """The lead asked to post an all-clear, then end the incident with this closing note."""

    note: str | None


def end_incident(service: InboxService, incident_id: int, note: str | None) -> IncidentEnded:
    """End the incident; with how many scheduled posts stay paused."""
    incident = service.end_incident(incident_id, note)
    return IncidentEnded(incident, len(service.scheduled_posts(["paused"])))


def destination_lines(status_page: str | None, audience: EmailAudience | None) -> list[str]:
    """Where a statement goes besides the accounts and threads: the status page and the
    subscribers (None: not mailed to them), as the form shows them."""
    page = f"the status page at {status_page}" if status_page else "no status page configured"
    mail = audience.describe() if audience is not None else "not mailed to subscribers"
    return [f"Status page: {page}.", f"Subscribers: {mail}."]


def plan_lines(plan: StatementPlan) -> list[str]:
    """Where a planned statement goes and what does not fit, in sentences."""
    posts = [target for target in plan.targets if target.kind == "post"]
    replies = [target for target in plan.targets if target.kind == "reply"]
    where = []
    if posts:
        where.append(f"{len(posts)} account post{'s' if len(posts) != 1 else ''}")
    if replies:
        where.append(f"{len(replies)} thread repl{'ies' if len(replies) != 1 else 'y'}")
    if plan.mailing is not None and plan.email is not None:
        where.append(counted(plan.email.subscribers, "subscriber") + " by email")
    lines = [f"Checked for {' and '.join(where)}."]
    fits = Counter(
        target.channel for target in plan.targets if target.fits and target is not plan.mailing
    )
    if fits:
        lines.append(
            "Fits: "
            + ", ".join(f"{channel} {count}" for channel, count in sorted(fits.items()))
            + "."
        )
    if plan.cannot_post:
        lines.append(
            f"Not posted on {', '.join(plan.cannot_post)}: their platforms cannot publish "
            "a post from the inbox."
        )
    unfit = plan.unfit
    if unfit:
        lines.append(f"Does not fit {len(unfit)} and would be skipped:")
        lines += [
            f"  {target.where}: {' '.join(problem.text for problem in target.problems)}"
            for target in unfit
        ]
    return lines


class StatementForm(CrisisForm):
    """One statement on many accounts (and/or in the open incident threads): planned, then sent.

    ctrl+o puts a prepared answer's text in it. The all-clear starts from the starter
    all-clear answer and, once queued, ends the incident with the lead's closing note.
    """

    BINDINGS = bindings.STATEMENT_FORM

    class AnswerChosen(Message, bubble=False):
        """A prepared answer's text for the statement; `replace` says whether it replaces
        text already typed (a pick) or only fills an empty statement (a starting point)."""

        def __init__(self, text: str, *, replace: bool) -> None:
            super().__init__()
            self.text = text
            self.replace = replace

    class AllClearSent(Message, bubble=False):
        """The all-clear went into the outbox; the incident ended, or `not_ended` says why not."""

        def __init__(
            self, queued: StatementQueued, ended: IncidentEnded | None, not_ended: str | None = None
        ) -> None:
            super().__init__()
            self.queued = queued
            self.ended = ended
            self.not_ended = not_ended

    def __init__(
        self,
        service: InboxService,
        incident: IncidentRow,
        purpose: str,
        *,
        end_note: str | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.incident = incident
        self.purpose = purpose
        self.end_note = end_note
        """For the all-clear: the closing note the incident ends with once it is queued."""
        self.plan: StatementPlan | None = None
        self.planned_for: tuple[object, ...] | None = None
        """The text and targets `plan` was made for; editing either makes it stale."""

    def compose(self) -> ComposeResult:
        title, where = _PURPOSES[self.purpose]
        text = self.incident.holding_statement if self.purpose in (HOLDING, REPLIES) else ""
        with VerticalScroll(id="form-body") as body:
            body.border_title = f"{title} · incident {self.incident.id}"
            body.border_subtitle = (
                "ctrl+s checks, then sends · ctrl+o prepared answers · escape cancels"
            )
            yield Static(
                Text(
                    f"{title} {where}. "
                    "Variables such as {incident.status_url} are filled per channel."
                )
            )
            area = TextArea(text or "", id="statement", compact=True)
            yield form_row("Text", area)
            yield form_row("Accounts", SelectionList[int](id="accounts", compact=True))
            yield form_row(
                "Threads",
                Checkbox(
                    f"also reply in every open incident thread ({self.incident.open_threads})",
                    value=self.purpose == REPLIES,
                    id="replies",
                    compact=True,
                ),
            )
            yield form_row(
                "Subscribers",
                Checkbox(
                    "also mail it to the subscribers",
                    value=self.purpose != REPLIES,
                    id="subscribers",
                    compact=True,
                ),
            )
            yield Static("", id="destinations")
            yield Static("Loading the accounts…", id="form-problems")
            yield form_buttons("Check")

    def on_mount(self) -> None:
        self.query_one("#statement", TextArea).focus()
        self.load_targets()
        if self.purpose == ALL_CLEAR:
            self.load_answer(ALL_CLEAR_ANSWER, fallback=ALL_CLEAR_TEXT)

    def action_pick_answer(self) -> None:
        def picked(answer_id: int | None) -> None:
            if answer_id is not None:
                self.load_answer(answer_id)
            self.query_one("#statement", TextArea).focus()

        suggest_for = SUGGESTED_ANSWERS[self.purpose]
        self.app.push_screen(AnswerPicker(self.service, None, suggest_for=suggest_for), picked)

    @work(
        thread=True,
        exit_on_error=False,
        group="answer",
        description="crisis: read the prepared answer",
    )
    def load_answer(self, reference: str | int, *, fallback: str | None = None) -> None:
        """Put a prepared answer in the statement: a pick replaces the text, and a starting
        point (given with its `fallback`, used when the library lacks it) fills it if empty."""
        text = prepared_statement(self.service, reference) or fallback
        if text is not None:
            self.post_message(self.AnswerChosen(text, replace=fallback is None))

    @on(AnswerChosen)
    def fill_answer(self, message: AnswerChosen) -> None:
        area = self.query_one("#statement", TextArea)
        if message.replace or not area.text.strip():
            area.text = message.text
            area.move_cursor(area.document.end)

    @work(
        thread=True, exit_on_error=False, group="targets", description="crisis: read the accounts"
    )
    def load_targets(self) -> None:
        self.post_message(
            StatementFormLoaded(self.service.list_accounts(), self.incident.open_threads)
        )
        self.post_message(
            self.DestinationsLoaded(
                self.service.status_page_location(), self.service.email_audience()
            )
        )

    class DestinationsLoaded(Message, bubble=False):
        """Where a statement goes besides the accounts: the status page and the subscribers."""

        def __init__(self, status_page: str | None, audience: EmailAudience) -> None:
            super().__init__()
            self.status_page = status_page
            self.audience = audience

    @on(DestinationsLoaded)
    def show_destinations(self, message: DestinationsLoaded) -> None:
        audience = message.audience
        box = self.query_one("#subscribers", Checkbox)
        box.label = (
            f"also mail it to the subscribers ({counted(audience.subscribers, 'person', 'people')})"
        )
        if not audience.reachable:
            box.value, box.disabled = False, True
        self.query_one("#destinations", Static).update(
            Text("\n".join(destination_lines(message.status_page, audience)))
        )

    @on(StatementFormLoaded)
    def show_targets(self, message: StatementFormLoaded) -> None:
        accounts = self.query_one("#accounts", SelectionList)
        post_everywhere = self.purpose != REPLIES
        for account in message.accounts:
            if account.enabled:
                label = Text(f"{channel_name(account.platform)} {first_line(account.handle, 60)}")
                if not account.can_post_statement:
                    label.append(" (cannot publish posts)", style="dim")
                    accounts.add_option(Selection(label, account.id, False, disabled=True))
                else:
                    accounts.add_option((label, account.id, post_everywhere))
        self.show_problem("ctrl+s checks where it fits before anything is sent.", problem=False)

    def _request(self) -> tuple[object, ...]:
        return (
            self.query_one("#statement", TextArea).text,
            tuple(self.query_one("#accounts", SelectionList).selected),
            self.query_one("#replies", Checkbox).value,
            self.query_one("#subscribers", Checkbox).value,
        )

    @on(TextArea.Changed)
    @on(SelectionList.SelectedChanged)
    @on(Checkbox.Changed)
    def targets_changed(self) -> None:
        if self.planned_for is not None and self._request() != self.planned_for:
            self.planned_for = None
            self.query_one("#form-submit", Button).label = "Check"
            self.query_one("#form-submit", Button).disabled = False
            self.show_problem("Changed since the check: ctrl+s checks again.", problem=False)

    def action_submit(self) -> None:
        if self.busy:
            return
        request = self._request()
        text, account_ids, replies, subscribers = request
        if not str(text).strip():
            self.show_problem("Write the statement first.")
            return
        if not account_ids and not replies and not subscribers:
            self.show_problem(
                "Check at least one account, the open incident threads or the subscribers."
            )
            return
        self.hold()
        if self.plan is not None and request == self.planned_for:
            self.show_problem("Queueing…", problem=False)
            self.send(request, skip_unfit=bool(self.plan.unfit))
        else:
            self.show_problem("Checking every target…", problem=False)
            self.check(request)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="statement",
        description="crisis: check the statement",
    )
    def check(self, request: tuple[object, ...]) -> None:
        text, account_ids, replies, subscribers = request
        try:
            plan = self.service.plan_statement(
                self.incident.id,
                text=str(text),
                account_ids=list(account_ids),
                reply_to_threads=bool(replies),
                to_subscribers=bool(subscribers),
            )
        except REFUSED as error:
            self.post_message(CrisisActionRefused(str(error)))
            return
        self.post_message(StatementPlanned(plan, request))

    @on(StatementPlanned)
    def show_plan(self, message: StatementPlanned) -> None:
        if message.request != self._request():
            self.let_go()  # edited while it was checked: the next ctrl+s checks the new text
            return
        self.busy = False
        self.plan, self.planned_for = message.plan, message.request
        plan = message.plan
        mailing = plan.mailing if plan.mailing is not None and plan.mailing.fits else None
        fitting = len(plan.targets) - len(plan.unfit) - (1 if mailing is not None else 0)
        mailed = plan.email.subscribers if mailing is not None and plan.email else 0
        button = self.query_one("#form-submit", Button)
        lines = plan_lines(plan)
        if not fitting and not mailed:
            lines.append("It fits nowhere: shorten it.")
            button.label, button.disabled = "Check", True
        else:
            skip = f", skip {len(plan.unfit)}" if plan.unfit else ""
            button.label, button.disabled = f"Send to {fitting + mailed}{skip}", False
            mails = f" and mails {counted(mailed, 'subscriber')}" if mailed else ""
            lines.append(f"ctrl+s sends it to the {fitting} that fit{mails}.")
        self.show_problem("\n".join(lines), problem=bool(plan.unfit))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="statement",
        description="crisis: send the statement",
    )
    def send(self, request: tuple[object, ...], *, skip_unfit: bool) -> None:
        """Queue the statement; for the all-clear, then end the incident."""
        text, account_ids, replies, subscribers = request
        try:
            plan, campaigns = self.service.send_statement(
                self.incident.id,
                text=str(text),
                account_ids=list(account_ids),
                reply_to_threads=bool(replies),
                skip_unfit=skip_unfit,
                to_subscribers=bool(subscribers),
            )
        except REFUSED as error:
            self.post_message(CrisisActionRefused(str(error)))
            return
        queued = StatementQueued(plan, campaigns)
        if self.purpose != ALL_CLEAR:
            self.post_message(queued)
            return
        try:  # the statement is queued whatever happens here: the form closes either way
            ended = end_incident(self.service, self.incident.id, self.end_note)
        except REFUSED as error:
            self.post_message(self.AllClearSent(queued, None, str(error)))
            return
        self.post_message(self.AllClearSent(queued, ended))

    @on(StatementQueued)
    def queued(self, message: StatementQueued) -> None:
        self.dismiss(message)

    @on(AllClearSent)
    def all_clear_sent(self, message: AllClearSent) -> None:
        self.dismiss(message)


class EndForm(CrisisForm):
    """End the incident, with a closing note for the record; or first post an all-clear.

    With the all-clear ticked it closes asking for the all-clear form (`AllClearWanted`),
    which ends the incident once the statement is queued.
    """

    def __init__(self, service: InboxService, status: CrisisStatus) -> None:
        super().__init__()
        self.service = service
        self.status = status

    def compose(self) -> ComposeResult:
        incident = self.status.incident
        ran = span_text((self.service.clock() - incident.started_at).total_seconds())
        with Vertical(id="form-body") as body:
            body.border_title = f"End incident {incident.id}"
            body.border_subtitle = "ctrl+s ends it · escape cancels"
            yield Static(
                Text(
                    f"{first_line(incident.title, 120)} has run {ran}. "
                    f"{incident.open_threads} of its threads are still open. "
                    f"{self.status.paused_posts} scheduled posts stay paused "
                    "until a lead resumes them (P)."
                )
            )
            yield form_row(
                "Closing note",
                Input(
                    placeholder="what fixed it, for the review (optional)", id="note", compact=True
                ),
            )
            yield form_row(
                "All-clear",
                Checkbox(
                    "post an all-clear first (you check it before it goes out)",
                    id="all-clear",
                    compact=True,
                ),
            )
            yield Static("", id="form-problems")
            yield form_buttons("End incident")

    @on(Checkbox.Changed, "#all-clear")
    def all_clear_changed(self, message: Checkbox.Changed) -> None:
        button = self.query_one("#form-submit", Button)
        button.label = "All-clear…" if message.value else "End incident"
        self.show_problem(
            "ctrl+s opens the all-clear, from a prepared answer; the incident ends once it "
            "is queued."
            if message.value
            else "",
            problem=False,
        )

    def on_mount(self) -> None:
        self.query_one("#note", Input).focus()

    @on(Input.Submitted, "#note")
    def note_submitted(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        if self.busy:
            return
        note = self.query_one("#note", Input).value.strip() or None
        if self.query_one("#all-clear", Checkbox).value:
            self.dismiss(AllClearWanted(note))
            return
        self.hold()
        self.end(note)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="end",
        description="crisis: end the incident",
    )
    def end(self, note: str | None) -> None:
        try:
            self.post_message(end_incident(self.service, self.status.incident.id, note))
        except REFUSED as error:
            self.post_message(CrisisActionRefused(str(error)))

    @on(IncidentEnded)
    def ended(self, message: IncidentEnded) -> None:
        self.dismiss(message)
