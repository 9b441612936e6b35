"""The status line: SLA warnings, what waits for the person, account health, sync, live updates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from inbox import AccountSummary, DueThread
from tui.themes import component_colours
from tui.widgets import labels

_PROBLEMS = (
    ("auth_expired", "needs login", "status-line--error"),
    ("failing", "failing", "status-line--error"),
    ("rate_limited", "rate limited", "status-line--warning"),
)


def account_summary(accounts: Sequence[AccountSummary]) -> list[tuple[str, str]]:
    """Phrases (with a style name) for the enabled accounts: `6 accounts`, `1 failing`, ..."""
    enabled = [account for account in accounts if account.enabled]
    if not enabled:
        return [("no accounts connected", "status-line--warning")]
    noun = "account" if len(enabled) == 1 else "accounts"
    phrases = [(f"{len(enabled)} {noun}", "")]
    problems = False
    for health, words, style in _PROBLEMS:
        count = sum(1 for account in enabled if account.health == health)
        if count:
            problems = True
            phrases.append((f"{count} {words}", style))
    if not problems:
        phrases.append(("all ok", "status-line--ok"))
    return phrases


def due_summary(
    due_count: int, overdue_count: int, *, within_minutes: int, more: bool = False
) -> list[tuple[str, str]]:
    """Phrases (with a style name) for threads near or past their SLA.

    Such as `2 due within 15 min` and `1 overdue`.

    `more` says only so many threads were read, most urgent (overdue) first: the count of
    the least urgent kind read is then a lower bound (`20+ due within 15 min`).
    """
    counted = [(due_count, f"due within {within_minutes} min"), (overdue_count, "overdue")]
    phrases = [[str(count), words] for count, words in counted if count]
    if more and phrases:
        phrases[0][0] += "+"
    return [(f"{count} {words}", "status-line--warning") for count, words in phrases]


def due_notice(thread: DueThread, now: datetime) -> str:
    """What a notification says about one thread coming due: who, where, and when."""
    author = labels.author_label(thread.author)
    channel = f"{labels.kind_label(thread.kind)} on {labels.platform_label(thread.platform)}"
    if thread.is_overdue(now):
        return f"{author}'s {channel} is overdue."
    minutes = max(1, -(-int((thread.due_at - now).total_seconds()) // 60))
    return f"{author}'s {channel} is due in {minutes} min."


class StatusLine(Static):
    """One line under the lists: SLA warnings, accounts, sync, live updates, what the list shows."""

    COMPONENT_CLASSES = {"status-line--ok", "status-line--warning", "status-line--error"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._due: list[tuple[str, str]] = []
        self._waiting: list[tuple[str, str]] = []
        self._accounts: list[tuple[str, str]] = [("accounts: loading…", "")]
        self._sync: tuple[str, str] = ("sync off", "")
        self._live: tuple[str, str] = ("live", "")
        self._listing: str = ""
        self._plain_text = ""
        self._line: Text | None = None
        """The line as last drawn."""

    @property
    def plain_text(self) -> str:
        """What the line says, as plain text."""
        return self._plain_text

    def show_accounts(self, accounts: Sequence[AccountSummary]) -> None:
        self._accounts = account_summary(accounts)
        self._redraw()

    def show_due(
        self, due_count: int, overdue_count: int, *, within_minutes: int, more: bool = False
    ) -> None:
        self._due = due_summary(due_count, overdue_count, within_minutes=within_minutes, more=more)
        self._redraw()

    def show_waiting(self, unread: int, approvals: int | None) -> None:
        """What waits for the person: `2 to approve` (leads), `3 for you` (unread notifications)."""
        self._waiting = [
            (phrase, "status-line--warning")
            for count, phrase in (
                (approvals, f"{approvals} to approve"),
                (unread, f"{unread} for you"),
            )
            if count
        ]
        self._redraw()

    def show_sync(self, text: str, *, problem: bool = False) -> None:
        self._sync = (text, "status-line--error" if problem else "")
        self._redraw()

    def show_live(self, text: str, *, problem: bool = False) -> None:
        self._live = (text, "status-line--warning" if problem else "")
        self._redraw()

    def show_listing(self, text: str) -> None:
        self._listing = text
        self._redraw()

    def on_mount(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        line = Text(no_wrap=True, overflow="ellipsis")
        phrases = [*self._due, *self._waiting, *self._accounts, self._sync, self._live]
        if self._listing:
            phrases.append((self._listing, ""))
        for index, (text, style) in enumerate(phrases):
            if index:
                line.append(" · ")
            rich_style = component_colours(self, style) if style else ""
            line.append(text, rich_style)
        if line == self._line:
            return
        self._line = line
        self._plain_text = line.plain
        self.update(line, layout=False)  # one line, whatever it says: no layout pass
