"""Which attachment to open, when a thread has more than one with a link.

Each choice is who sent the attachment and what it is, with its address under it, each cut
to a line and drawn as `rich.text.Text` (platform words never read as markup). It
dismisses with the chosen link, or None when cancelled; the thread screen opens it.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from inbox import first_line
from tui.dialogs.pickers import Picker
from tui.widgets.message_body import AttachmentLink

LINE = 78
"""Characters of a choice's line at most, so each choice is its label and its address."""


class LinkPicker(Picker[AttachmentLink | None]):
    """Choose one of `links` (the newest message's first) to open in the browser."""

    def __init__(self, links: Sequence[AttachmentLink]) -> None:
        super().__init__()
        self.links = list(links)

    def compose(self) -> ComposeResult:
        with Vertical(classes="picker-body -wide") as body:
            body.border_title = "Open which attachment?"
            body.border_subtitle = "enter opens · escape closes"
            yield OptionList(
                *(
                    Option(
                        Text(f"{first_line(link.label, LINE)}\n  {first_line(link.url, LINE - 2)}"),
                        id=str(index),
                    )
                    for index, link in enumerate(self.links)
                ),
                id="link-options",
            )

    def on_mount(self) -> None:
        options = self.query_one("#link-options", OptionList)
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected, "#link-options")
    def picked(self, message: OptionList.OptionSelected) -> None:
        self.dismiss(self.links[message.option_index])

    def confirm(self) -> None:
        index = self.query_one("#link-options", OptionList).highlighted
        if index is not None:
            self.dismiss(self.links[index])
