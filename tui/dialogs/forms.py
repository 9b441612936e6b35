"""The modal forms of the lead's screens (crisis, scheduled posts, review), and what they share.

A form is fields, a line for problems and two buttons, over the screen it came from;
ctrl+s submits it. Its write runs in a worker while the form stays open: a refusal (or a
failed worker) shows on the problem line with every field kept, so the person can correct
it and submit again. While a write is in flight the form is busy and ignores further
submits, so a second ctrl+s (or enter) never sends the same thing twice.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Label, Static
from textual.worker import Worker, WorkerState

from inbox import Action, InboxService, InvalidInput, NotFound, PermissionDenied
from tui import bindings
from tui.messages import CrisisActionRefused

REFUSED = (PermissionDenied, InvalidInput, NotFound)
"""What the service raises when it will not do something, with the reason in words."""


def refuse_unless_allowed(screen: Screen, service: InboxService, action: Action) -> bool:
    """Say in words why the person may not do `action`; True when they may not."""
    try:
        service.require(action)
    except PermissionDenied as error:
        screen.notify(str(error), severity="warning", markup=False)
        return True
    return False


class CrisisForm(ModalScreen[Any]):
    """A form over the screen: fields, a line for problems, and buttons; ctrl+s submits.

    Subclasses start their write with `hold()` and check `busy` first thing in
    `action_submit`; a refusal or a failed worker lets go again.
    """

    BINDINGS = bindings.CRISIS_FORM
    DEFAULT_CLASSES = "crisis-form"

    def __init__(self) -> None:
        super().__init__()
        self.busy = False
        """A write is in flight: submitting again waits for its answer."""

    def hold(self) -> None:
        """Mark a write as in flight: the button greys out and submits are ignored."""
        self.busy = True
        self.query_one("#form-submit", Button).disabled = True

    def let_go(self) -> None:
        """The write came back without closing the form: submitting works again."""
        self.busy = False
        self.query_one("#form-submit", Button).disabled = False

    def show_problem(self, text: str, *, problem: bool = True) -> None:
        """Say what is wrong (or, with `problem` false, what will happen) under the fields."""
        line = self.query_one("#form-problems", Static)
        line.set_class(problem, "-problem")
        line.update(Text(text))

    @on(CrisisActionRefused)
    def refused(self, message: CrisisActionRefused) -> None:
        self.show_problem(message.reason)
        self.let_go()

    @on(Worker.StateChanged)
    def report_failed_worker(self, message: Worker.StateChanged) -> None:
        """A failed worker is said on the problem line, inside the form, with the fields kept.

        Unlike `tui.screen_mixins.WorkerFailures`, which notifies: the form is where the person is
        looking, and what they typed is still there to submit again.
        """
        if message.state == WorkerState.ERROR:
            what = message.worker.description.partition(": ")[2]
            self.show_problem(f"Could not {what}: {message.worker.error}")
            self.let_go()

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#form-submit")
    def submit_pressed(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        raise NotImplementedError


class ConfirmForm(CrisisForm):
    """A yes-or-no question before something that cannot be undone."""

    def __init__(self, title: str, question: str, yes: str) -> None:
        super().__init__()
        self.title_text, self.question, self.yes = title, question, yes

    def compose(self) -> ComposeResult:
        with Vertical(id="form-body") as body:
            body.border_title = self.title_text
            body.border_subtitle = "ctrl+s or the button confirms · escape keeps things as they are"
            yield Static(Text(self.question), id="form-problems")
            yield form_buttons(self.yes)

    def on_mount(self) -> None:
        self.query_one("#form-submit", Button).focus()

    def action_submit(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


def form_row(label: str, *widgets: Any) -> Horizontal:
    """A labelled row of a form."""
    return Horizontal(Label(label, classes="form-label"), *widgets, classes="form-row")


def form_buttons(submit: str) -> Horizontal:
    """Cancel and the form's one action, which ctrl+s presses too."""
    return Horizontal(
        Button("Cancel", id="form-cancel", compact=True),
        Button(submit, variant="primary", id="form-submit", compact=True),
        id="form-buttons",
    )
