"""The accounts screen (`C`, admins): how each connected account is doing, and reconnecting it.

One line per account: platform, handle, whether it is enabled, its health, when a poll
last landed, the last error and when it is polled next. `l` logs the highlighted account
in again with its platform's login flow, in a worker; the flow's questions open as dialogs
over this screen (secrets typed hidden), and the result is said when it is done. `e` and
`d` enable and disable it. The list is read again whenever an account event arrives.
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
    InboxService,
    InvalidInput,
    NotFound,
    PermissionDenied,
    counted,
    first_line,
    for_display,
)
from tui import bindings
from tui.dialogs.login import DialogPrompt, LoginCancelled
from tui.screen_mixins import WorkerFailures
from tui.widgets.key_bar import KeyBar
from tui.widgets.labels import local_time_label, platform_label

if TYPE_CHECKING:
    from tui.host import HostApp
    from tui.messages import EventsArrived

ACCOUNT_COLUMNS = (
    "#",
    "platform",
    "handle",
    "enabled",
    "health",
    "last success",
    "last error",
    "next poll",
)
HEALTH_WORDS = {"auth_expired": "needs login", "rate_limited": "rate limited"}
"""Health as people say it; the others read as stored (`ok`, `failing`)."""
ERROR_WIDTH = 32
"""Characters of the last error the table shows; the detail below shows more."""
REFUSED = (PermissionDenied, InvalidInput, NotFound)
"""What the service raises when it will not do something, with the reason in words."""


def health_label(account: AccountSummary) -> Text:
    """The account's health in words, bold when something needs doing."""
    words = HEALTH_WORDS.get(account.health, for_display(account.health))
    return Text(words, style="" if account.health == "ok" else "bold")


def next_poll_label(account: AccountSummary, now: datetime) -> str:
    """When the account is polled next, or why it is not."""
    if account.removed_at is not None:
        return "removed"
    if not account.enabled:
        return "disabled"
    if account.needs_login:
        return "after login (l)"
    if account.next_poll_at is None or account.next_poll_at <= now:
        return "next sync"
    seconds = int((account.next_poll_at - now).total_seconds())
    if seconds < 60:
        return f"in {seconds} s"
    if seconds < 3600:
        return f"in {seconds // 60} min"
    return local_time_label(account.next_poll_at, now)


class AccountsScreen(WorkerFailures, Screen[None]):
    """The connected accounts, their health and polling, and what an admin does about them."""

    BINDINGS = bindings.ACCOUNTS
    CSS_PATH = "../styles/accounts.tcss"

    app: HostApp

    class Listed(Message):
        """The accounts were read, at `now`."""

        def __init__(self, accounts: list[AccountSummary], now: datetime) -> None:
            super().__init__()
            self.accounts = accounts
            self.now = now

    class Changed(Message):
        """An account changed (or was not): `summary` says how, for a notification."""

        def __init__(self, summary: str, *, problem: bool = False) -> None:
            super().__init__()
            self.summary = summary
            self.problem = problem

    def __init__(self, service: InboxService) -> None:
        super().__init__()
        self.service = service
        self.accounts: list[AccountSummary] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "Each account this inbox polls. l logs the highlighted one in again (when its "
            "platform refused its credentials); e and d enable and disable it.",
            id="accounts-note",
        )
        yield DataTable(id="accounts", cursor_type="row", zebra_stripes=True)
        yield Static(id="account-detail")
        yield KeyBar()

    @property
    def table(self) -> DataTable:
        return self.query_one("#accounts", DataTable)

    def on_mount(self) -> None:
        self.table.border_title = "Accounts"
        self.table.focus()
        self.query_one("#account-detail", Static).display = False
        self.load_accounts()
        self.app.inbox_changed.subscribe(self, self.inbox_changed)

    def inbox_changed(self, message: EventsArrived) -> None:
        if any(kind.startswith("account.") for kind in message.event_types):
            self.load_accounts()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="accounts",
        description="accounts: read the accounts",
    )
    def load_accounts(self) -> None:
        accounts = self.service.list_accounts()
        now = self.service.clock()
        if not get_current_worker().is_cancelled:
            self.post_message(self.Listed(accounts, now))

    @on(Listed)
    def show_accounts(self, message: Listed) -> None:
        keep = self.selected
        self.accounts = list(message.accounts)
        table = self.table
        now = message.now
        rows = [
            (
                Text(str(account.id)),
                Text(platform_label(account.platform)),
                Text(first_line(account.handle, 40)),
                Text("yes" if account.enabled else "no"),
                health_label(account),
                Text(
                    local_time_label(account.last_success_at, now)
                    if account.last_success_at
                    else ""
                ),
                Text(first_line(account.last_error or "", ERROR_WIDTH)),
                Text(next_poll_label(account, now)),
            )
            for account in self.accounts
        ]
        table.clear(columns=True)
        for index, label in enumerate(ACCOUNT_COLUMNS):
            # widths measured here: a table cleared and filled again keeps Text cells' old ones
            width = max([len(label), *(row[index].cell_len for row in rows)])
            table.add_column(label, width=width)
        for account, row in zip(self.accounts, rows, strict=True):
            table.add_row(*row, key=str(account.id))
        table.border_subtitle = (
            counted(len(self.accounts), "account")
            if self.accounts
            else "none yet: `inbox accounts add` connects one"
        )
        if keep is not None and keep.id in {account.id for account in self.accounts}:
            table.move_cursor(row=table.get_row_index(str(keep.id)))
        self._show_detail()
        self.refresh_bindings()

    @property
    def selected(self) -> AccountSummary | None:
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((account for account in self.accounts if str(account.id) == key), None)

    @on(DataTable.RowHighlighted, "#accounts")
    def highlighted(self) -> None:
        self._show_detail()
        self.refresh_bindings()

    def _show_detail(self) -> None:
        detail = self.query_one("#account-detail", Static)
        account = self.selected
        detail.display = account is not None
        if account is None:
            return
        detail.border_title = Text(
            f"{platform_label(account.platform)} {first_line(account.handle, 60)}"
        )
        text = Text(f"Health: {health_label(account).plain}")
        if account.health_detail and account.health_detail != account.last_error:
            text.append(f" · {first_line(account.health_detail, 300)}")
        if account.last_error:
            text.append(f"\nLast error: {first_line(account.last_error, 300)}")
        if account.needs_login:
            text.append("\nIts platform refused its credentials: l logs it in again.", "bold")
        detail.update(text)

    @on(Changed)
    def changed(self, message: Changed) -> None:
        self.notify(
            message.summary, severity="warning" if message.problem else "information", markup=False
        )
        self.load_accounts()

    # -- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim what does not apply to the highlighted account."""
        account = self.selected
        if action == "reconnect":
            return True if account is not None else None
        if action == "enable":
            return True if account is not None and not account.enabled else None
        if action == "disable":
            return True if account is not None and account.enabled else None
        return True

    def action_close(self) -> None:
        self.dismiss()

    def action_enable(self) -> None:
        if (account := self.selected) is not None:
            self.set_enabled(account, True)

    def action_disable(self) -> None:
        if (account := self.selected) is not None:
            self.set_enabled(account, False)

    @work(
        thread=True,
        exit_on_error=False,
        group="account-change",
        description="accounts: change the account",
    )
    def set_enabled(self, account: AccountSummary, enabled: bool) -> None:
        named = f"{platform_label(account.platform)} {first_line(account.handle, 60)}"
        try:
            change = self.service.set_account_enabled(str(account.id), enabled)
        except REFUSED as error:
            self.post_message(self.Changed(str(error), problem=True))
            return
        if not change.changed:
            summary = f"{named} was already {'enabled' if enabled else 'disabled'}."
        elif enabled and change.account.needs_login:
            summary = f"Enabled {named}; it is polled after a login (l)."
        elif enabled:
            summary = f"Enabled {named}; it is polled at the next sync."
        else:
            summary = f"Disabled {named}: not polled, nothing sent from it; its threads stay."
        self.post_message(self.Changed(summary))

    def action_reconnect(self) -> None:
        if (account := self.selected) is not None:
            self.reconnect(account)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="reconnect",
        description="accounts: log the account in again",
    )
    def reconnect(self, account: AccountSummary) -> None:
        """Run the platform's login flow; its questions are dialogs, answered in this thread."""
        named = f"{platform_label(account.platform)} {first_line(account.handle, 60)}"
        prompt = DialogPrompt(self.app, f"Reconnect {named}")
        try:
            login = self.service.log_in_account(str(account.id), prompt)
        except LoginCancelled:
            self.post_message(self.Changed(f"Reconnecting {named} stopped; nothing was stored."))
            return
        except REFUSED as error:
            self.post_message(self.Changed(str(error), problem=True))
            return
        words = f"Logged {named} in again"
        if login.checked and login.identity:
            words += f" (the platform says: {first_line(login.identity, 80)})"
        words += (
            "; it is polled at the next sync."
            if login.account.enabled
            else ("; it is disabled: e enables it.")
        )
        self.post_message(self.Changed(words))
