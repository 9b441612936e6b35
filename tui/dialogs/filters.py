"""The filter form: narrow the thread list to platforms, an account, a tag, a person or a priority.

It opens on the filters in force and dismisses with the new `ThreadFilter` (the view, sort
and search stay as they were), or None when cancelled. The choices (accounts, people, tags
in use) are read in a worker, so the form opens at once and fills in.
"""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Select, SelectionList
from textual.worker import get_current_worker

from inbox import InboxService, Priority, ThreadFilter, first_line
from tui import bindings
from tui.messages import FilterChoicesLoaded
from tui.widgets import labels

UNASSIGNED = "none"
"""The assignee filter's value for threads nobody holds."""


class FilterScreen(ModalScreen[ThreadFilter | None]):
    """Choose the filters; ctrl+s applies, escape leaves them as they were."""

    BINDINGS = bindings.FILTERS

    def __init__(self, service: InboxService, current: ThreadFilter) -> None:
        super().__init__()
        self.service = service
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="filter-body") as body:
            body.border_title = "Filter threads"
            body.border_subtitle = "ctrl+s applies · ctrl+l clears · escape cancels"
            yield Label(
                "Platforms: tick with space; none ticked shows them all", classes="filter-label"
            )
            yield SelectionList[str](id="filter-platforms", compact=True)
            with Grid(id="filter-grid"):
                yield Label("Account", classes="filter-label")
                yield Select[int]([], prompt="any account", compact=True, id="filter-account")
                yield Label("Assignee", classes="filter-label")
                yield Select[str]([], prompt="anyone", compact=True, id="filter-assignee")
                yield Label("Priority", classes="filter-label")
                yield Select[str](
                    [(priority.value, priority.value) for priority in Priority],
                    prompt="any priority",
                    value=self.current.priority or Select.NULL,
                    compact=True,
                    id="filter-priority",
                )
                yield Label("Tag", classes="filter-label")
                yield Input(
                    value=self.current.tag or "",
                    placeholder="any tag",
                    compact=True,
                    id="filter-tag",
                )
            with Horizontal(id="filter-buttons"):
                yield Button("Apply", variant="primary", compact=True, id="filter-apply")
                yield Button("Clear all", compact=True, id="filter-clear")
                yield Button("Cancel", compact=True, id="filter-cancel")

    def on_mount(self) -> None:
        self.query_one("#filter-platforms").focus()
        self.load_choices()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="filter-choices",
        description="filters: read accounts, people and tags",
    )
    def load_choices(self) -> None:
        accounts = self.service.list_accounts()
        agents = self.service.list_agents()
        tags = self.service.tags_in_use()
        if not get_current_worker().is_cancelled:
            self.post_message(FilterChoicesLoaded(accounts, agents, tags))

    @on(FilterChoicesLoaded)
    def show_choices(self, message: FilterChoicesLoaded) -> None:
        current = self.current
        platforms = self.query_one("#filter-platforms", SelectionList)
        for platform in sorted({account.platform for account in message.accounts}):
            platforms.add_option(
                (Text(labels.platform_label(platform)), platform, platform in current.platforms)
            )
        if platforms.option_count:
            platforms.highlighted = 0
        account = self.query_one("#filter-account", Select)
        account.set_options(
            (
                Text(f"{labels.author_label(row.handle)} on {labels.platform_label(row.platform)}"),
                row.id,
            )
            for row in message.accounts
        )
        if current.account_id is not None:
            account.value = current.account_id
        assignee = self.query_one("#filter-assignee", Select)
        assignee.set_options(
            [(Text("nobody (unassigned)"), UNASSIGNED)]
            + [
                (Text(f"{agent.handle} ({first_line(agent.name, 60)})"), agent.handle)
                for agent in message.agents
            ]
        )
        if current.assignee is not None:
            assignee.value = current.assignee
        self.query_one("#filter-tag", Input).suggester = SuggestFromList(
            message.tags, case_sensitive=False
        )

    def chosen(self) -> ThreadFilter:
        """The filter the form describes now."""
        account = self.query_one("#filter-account", Select).value
        assignee = self.query_one("#filter-assignee", Select).value
        priority = self.query_one("#filter-priority", Select).value
        tag = self.query_one("#filter-tag", Input).value.strip().lower()
        return replace(
            self.current,
            platforms=frozenset(self.query_one("#filter-platforms", SelectionList).selected),
            account_id=None if account is Select.NULL else account,
            assignee=None if assignee is Select.NULL else assignee,
            priority=None if priority is Select.NULL else priority,
            tag=tag or None,
        )

    def action_apply(self) -> None:
        self.dismiss(self.chosen())

    def action_clear(self) -> None:
        self.dismiss(
            replace(
                self.current,
                platforms=frozenset(),
                account_id=None,
                assignee=None,
                priority=None,
                tag=None,
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#filter-tag")
    def tag_submitted(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#filter-apply")
    def apply_pressed(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#filter-clear")
    def clear_pressed(self) -> None:
        self.action_clear()

    @on(Button.Pressed, "#filter-cancel")
    def cancel_pressed(self) -> None:
        self.action_cancel()
