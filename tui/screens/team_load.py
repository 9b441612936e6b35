"""The load screen (`G`, leads and supervisors): who holds how much, who is here, the rules.

One line per person who answers: the threads they hold that need work (new or open)
against their capacity, those waiting on the customer, and whether they are online, away
or offline. Below, the auto-assignment rules in words; `e` edits them in a form (leads and
admins). The screen reads everything again when threads move or people come and go, and
every `REFRESH_SECONDS` for heartbeats, which write no events.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static
from textual.worker import get_current_worker

from inbox import (
    AccountSummary,
    Action,
    Availability,
    InboxService,
    PersonLoad,
    TeamAssignment,
    counted,
    first_line,
    rule_lines,
)
from tui import bindings
from tui.dialogs.assignment_rules import AssignmentRulesForm
from tui.screen_mixins import WorkerFailures
from tui.widgets.key_bar import KeyBar
from tui.widgets.labels import platform_label

if TYPE_CHECKING:
    from tui.host import HostApp
    from tui.messages import EventsArrived

LOAD_COLUMNS = ("person", "role", "load", "waiting on customer", "presence")

REFRESH_SECONDS = 15.0
"""How often the screen reads the loads again with no event: presence comes from heartbeats."""

LOAD_EVENTS = ("thread.", "agent.", "team_setting.")
"""Event types (by prefix) after which loads, presence or rules may read differently."""


def load_label(person: PersonLoad) -> Text:
    """ "12 / 20", bold at or over the capacity."""
    full = person.load >= person.capacity
    return Text(f"{person.load} / {person.capacity}", style="bold" if full else "")


def presence_label(person: PersonLoad, now: datetime) -> Text:
    """Online, or away or offline for how long, dim when the person cannot take threads."""
    style = "" if person.availability == Availability.ONLINE else "dim"
    return Text(person.presence_text(now), style=style)


class TeamLoadScreen(WorkerFailures, Screen[None]):
    """Each person's load and presence, and the auto-assignment rules; `e` edits them."""

    BINDINGS = bindings.TEAM_LOAD
    CSS_PATH = "../styles/team_load.tcss"

    app: HostApp

    class Loaded(Message):
        """The loads, the rules and the accounts as read at `now`."""

        def __init__(
            self,
            people: list[PersonLoad],
            team: TeamAssignment,
            accounts: list[AccountSummary],
            now: datetime,
        ) -> None:
            super().__init__()
            self.people = people
            self.team = team
            self.accounts = accounts
            self.now = now

    def __init__(self, service: InboxService) -> None:
        super().__init__()
        self.service = service
        self.team: TeamAssignment | None = None
        self.accounts: list[AccountSummary] = []
        self._stale = False
        """Something changed while a read was running: read again when it is done."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "Load: the threads a person holds that need work (new or open), against their "
            "capacity. Auto-assignment hands waiting threads only to people online with room.",
            id="load-note",
        )
        yield DataTable(id="load", cursor_type="row", zebra_stripes=True)
        yield Static(id="rules")
        yield KeyBar()

    @property
    def table(self) -> DataTable:
        return self.query_one("#load", DataTable)

    def on_mount(self) -> None:
        self.table.border_title = "Team load"
        self.query_one("#rules", Static).border_title = "Auto-assignment rules"
        self.table.focus()
        self.load()
        self.app.inbox_changed.subscribe(self, self.inbox_changed)
        self.set_interval(REFRESH_SECONDS, self.reload, name="load refresh")

    def inbox_changed(self, message: EventsArrived) -> None:
        if any(kind.startswith(LOAD_EVENTS) for kind in message.event_types):
            self.reload()

    def reload(self) -> None:
        """Read again, or once the read under way is done: on a busy day events come faster
        than a read, and restarting it each time would never let one finish."""
        if any(worker.group == "team-load" and worker.is_running for worker in self.workers):
            self._stale = True
        else:
            self.load()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="team-load",
        description="team: read the loads",
    )
    def load(self) -> None:
        people = self.service.team_load()
        team = self.service.assignment_rules()
        accounts = self.service.list_accounts()
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(people, team, accounts, self.service.clock()))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        self.team, self.accounts = message.team, message.accounts
        table = self.table
        keep = table.cursor_row
        rows = [
            (
                Text(f"{first_line(person.handle, 30)} ({first_line(person.name, 40)})"),
                Text(person.role),
                load_label(person),
                Text(str(person.pending)),
                presence_label(person, message.now),
            )
            for person in message.people
        ]
        table.clear(columns=True)
        for index, label in enumerate(LOAD_COLUMNS):
            width = max([len(label), *(row[index].cell_len for row in rows)])
            table.add_column(label, width=width)
        for person, row in zip(message.people, rows, strict=True):
            table.add_row(*row, key=str(person.id))
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1))
        online = sum(person.availability == Availability.ONLINE for person in message.people)
        table.border_subtitle = (
            f"{counted(len(rows), 'person', 'people')}, {online} online"
            if rows
            else "nobody answers threads yet: `inbox agents add` adds people"
        )
        self._show_rules()
        if self._stale:
            self._stale = False
            self.load()

    def _show_rules(self) -> None:
        team = self.team
        if team is None:
            return
        names = {
            str(account.id): f"{platform_label(account.platform)} {first_line(account.handle, 40)}"
            for account in self.accounts
        }
        text = Text("\n".join(rule_lines(team.rules, names)))
        saved = (
            f"version {team.version}, saved by {team.updated_by}"
            if team.version
            else "the defaults: nobody has set them yet"
        )
        text.append(f"\n{saved}", style="dim")
        if self.service.can(Action.MANAGE_ASSIGNMENT):
            text.append(" · e edits them", style="dim")
        self.query_one("#rules", Static).update(text)

    # -- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim the edit key for people who may only read the rules."""
        if action == "edit_rules":
            return True if self.service.can(Action.MANAGE_ASSIGNMENT) else None
        return True

    def action_refresh(self) -> None:
        self.load()

    def action_close(self) -> None:
        self.dismiss()

    def action_edit_rules(self) -> None:
        if self.team is None:
            return
        self.app.push_screen(
            AssignmentRulesForm(self.service, self.team, self.accounts),
            lambda saved: self.load() if saved else None,
        )
