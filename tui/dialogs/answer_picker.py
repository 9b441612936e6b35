"""The prepared-answer picker: a search field over a list of answers.

Before anything is typed it lists the answers that best fit the thread's latest inbound
message (for a statement, which has no thread: those matching what it is for, such as
"all clear"); as the person types, the library is matched fuzzily. Enter picks the
highlighted answer and hands its id back; the thread screen fills it in for the thread,
a statement form puts its text in the statement.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from inbox import InboxService, first_line
from tui import bindings
from tui.messages import AnswersFound

MATCHES_SHOWN = 10
"""Answers the list shows at most."""


class AnswerPicker(ModalScreen[int | None]):
    """Pick a prepared answer for a thread (or a statement); dismisses with its id, or None."""

    BINDINGS = bindings.ANSWER_PICKER

    def __init__(
        self, service: InboxService, thread_id: int | None, *, suggest_for: str = ""
    ) -> None:
        """With no `thread_id`, the answers suggested first are those matching `suggest_for`."""
        super().__init__()
        self.service = service
        self.thread_id = thread_id
        self.suggest_for = suggest_for
        self.suggested_heading = (
            "Suggested for this thread:" if thread_id is not None else "Suggested:"
        )
        self.query_shown = ""
        self.answer_ids: list[int] = []
        """The ids of the answers listed, in order."""

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-body") as body:
            body.border_title = "Prepared answers"
            body.border_subtitle = "type to search · enter inserts · escape closes"
            yield Input(
                placeholder="search by title, tag or words", compact=True, id="picker-query"
            )
            yield Static(self.suggested_heading, id="picker-heading")
            yield OptionList(id="picker-answers")

    @property
    def answers(self) -> OptionList:
        return self.query_one("#picker-answers", OptionList)

    def on_mount(self) -> None:
        self.answers.can_focus = False
        self.find_answers("")

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="answers",
        description="picker: find prepared answers",
    )
    def find_answers(self, query: str) -> None:
        """Suggest answers for the thread (or `suggest_for`) when `query` is empty; else match."""
        if query or self.thread_id is None:
            matches = self.service.match_canned(query or self.suggest_for, limit=MATCHES_SHOWN)
        else:
            matches = self.service.suggest_canned(self.thread_id, limit=MATCHES_SHOWN)
        if not get_current_worker().is_cancelled:
            self.post_message(AnswersFound(query, matches))

    @on(AnswersFound)
    def show_answers(self, message: AnswersFound) -> None:
        if message.query != self.query_shown:
            return
        heading = self.query_one("#picker-heading", Static)
        if message.query:
            heading.update(
                f"{len(message.matches)} matching:" if message.matches else "Nothing matches."
            )
        else:
            where = " for this thread" if self.thread_id is not None else ""
            heading.update(
                self.suggested_heading
                if message.matches
                else f"No suggestion{where}; type to search."
            )
        self.answer_ids = [match.answer.id for match in message.matches]
        answers = self.answers
        answers.clear_options()
        answers.add_options(
            [
                Option(
                    Content(
                        f"/{first_line(match.answer.answer.shortcode, 30)}  "
                        f"{first_line(match.answer.answer.title, 60)}"
                    ),
                    id=str(match.answer.id),
                )
                for match in message.matches
            ]
        )
        if message.matches:
            answers.highlighted = 0

    @on(Input.Changed, "#picker-query")
    def query_changed(self, message: Input.Changed) -> None:
        self.query_shown = message.value.strip()
        self.find_answers(self.query_shown)

    @on(Input.Submitted, "#picker-query")
    def pick_highlighted(self) -> None:
        index = self.answers.highlighted
        if index is None or index >= len(self.answer_ids):
            self.notify("No answer highlighted; type to search.", markup=False)
            return
        self.dismiss(self.answer_ids[index])

    @on(OptionList.OptionSelected, "#picker-answers")
    def pick_clicked(self, message: OptionList.OptionSelected) -> None:
        self.dismiss(int(message.option.id))

    def action_cursor_down(self) -> None:
        self.answers.action_cursor_down()

    def action_cursor_up(self) -> None:
        self.answers.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
