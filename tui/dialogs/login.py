"""A platform's login flow in the terminal UI: what it shows, and each question it asks.

`DialogPrompt` is the `LoginPrompt` a login running in a thread worker talks to: `show`
keeps the flow's lines (an address to open, what to do next), `ask` opens a
`LoginQuestion` over the screen with those lines and the question, and waits, in the
worker's thread, for the answer. A secret answer is typed into a masked field and goes
only to the flow: never to the screen, a notification or the log. Escape cancels the
login (`LoginCancelled`), and nothing is stored.
"""

from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static
from textual.worker import get_current_worker

from inbox import for_display
from tui import bindings

if TYPE_CHECKING:
    from textual.app import App

WAIT_SLICE_SECONDS = 0.2
"""How often a worker waiting for an answer looks whether it was cancelled."""


class LoginCancelled(Exception):
    """The person closed a login question: the login stops, and nothing is stored."""


class LoginQuestion(ModalScreen[str | None]):
    """One question of a login flow, under what the flow showed; None when cancelled."""

    BINDINGS = bindings.LOGIN_QUESTION
    DEFAULT_CLASSES = "login-question"

    def __init__(self, title: str, shown: list[str], question: str, *, secret: bool) -> None:
        super().__init__()
        self.title_text = title
        self.shown = list(shown)
        self.question = question
        self.secret = secret

    def compose(self) -> ComposeResult:
        with Vertical(id="login-box") as box:
            box.border_title = Text(self.title_text)
            if self.shown:
                yield Static(Text(for_display("\n".join(self.shown))), id="login-shown")
            yield Label(Text(for_display(self.question)), id="login-question")
            yield Input(password=self.secret, id="login-answer")
            if self.secret:
                yield Static("Typed hidden; kept only in this machine's keyring.", id="login-note")
            with Horizontal(id="login-buttons"):
                yield Button("Continue", id="login-continue", variant="primary")
                yield Button("Cancel", id="login-cancel")

    def on_mount(self) -> None:
        self.query_one("#login-answer", Input).focus()

    @on(Input.Submitted, "#login-answer")
    @on(Button.Pressed, "#login-continue")
    def answer(self) -> None:
        self.dismiss(self.query_one("#login-answer", Input).value)

    @on(Button.Pressed, "#login-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class DialogPrompt:
    """A `LoginPrompt` for a login flow running in a thread worker of `app`."""

    def __init__(self, app: App, title: str) -> None:
        self.app = app
        self.title = title
        self.shown: list[str] = []
        """What the flow showed since its last question."""

    def show(self, text: str) -> None:
        """Keep a line of the flow, to show above its next question."""
        self.shown.append(text)

    def ask(self, question: str, *, secret: bool = False) -> str:
        """Ask `question` in a dialog and wait for the answer; LoginCancelled on escape."""
        answered: Future[str | None] = Future()
        dialog = LoginQuestion(self.title, self.shown, question, secret=secret)
        self.shown = []
        self.app.call_from_thread(self.app.push_screen, dialog, answered.set_result)
        worker = get_current_worker()
        while True:
            try:
                answer = answered.result(timeout=WAIT_SLICE_SECONDS)
            except FutureTimeout:
                if worker.is_cancelled:
                    raise LoginCancelled("the login was stopped") from None
                continue
            if answer is None:
                raise LoginCancelled("the login was cancelled")
            return answer
