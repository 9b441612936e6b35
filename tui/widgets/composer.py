"""The reply composer: a multi-line editor, a live length counter and the pre-send problems.

The counter measures the text by the channel's own rule (X weighs characters, Bluesky
counts graphemes) as each key is typed; the problems come from the service's pre-send
checks, which the screen runs in a worker and hands back with `show_problems`. A pause in
typing says `Composer.Paused`, so the screen keeps the draft without a write per key.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static, TextArea

from canned_responses.render import fit
from tui.thread_snapshot import Channel

RULE_UNITS = {
    "x_weighted": "weighted characters",
    "graphemes": "graphemes",
    "characters": "characters",
    "none": "characters",
}

DRAFT_PAUSE_SECONDS = 1.0
"""How long typing must pause before the composer says `Paused` (and the draft is kept)."""


class ReplyArea(TextArea):
    """The editor; `/` typed into it while empty asks for the prepared-answer picker.

    Read-only while we may not answer, yet focusable: typed text then lands here and does
    nothing, instead of reaching the screen's letter keys (assign, close, open...).
    """

    class AnswerWanted(Message):
        """`/` was typed at the start of an empty reply."""

    async def _on_key(self, event: events.Key) -> None:
        if self.read_only and event.is_printable:
            event.stop()
            event.prevent_default()
            return
        if event.character == "/" and not self.text:
            event.stop()
            event.prevent_default()
            self.post_message(self.AnswerWanted())
            return
        await super()._on_key(event)


class Composer(Vertical):
    """Where a reply is written, with how long it is for the channel and what stops it."""

    class Paused(Message):
        """Typing stopped for `DRAFT_PAUSE_SECONDS`; `text` is the reply as it stands."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.channel: Channel | None = None
        self.problems: tuple[str, ...] = ()
        self.approval_reason: str | None = None
        self._counter_text = ""
        self._problems_text = ""
        self._pause_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield ReplyArea(id="reply", soft_wrap=True, show_line_numbers=False)
        yield Static(id="counter")
        yield Static(id="problems")

    @cached_property
    def reply_area(self) -> ReplyArea:
        """The editor; kept once found, so the text can be read after the app took it down."""
        return self.query_one("#reply", ReplyArea)

    @property
    def text(self) -> str:
        return self.reply_area.text

    @property
    def counter_text(self) -> str:
        """The counter line as shown."""
        return self._counter_text

    @property
    def problems_text(self) -> str:
        """The problems and notes under the editor as shown."""
        return self._problems_text

    def on_mount(self) -> None:
        self.border_title = "Reply"
        self.reply_area.placeholder = "Write a reply · / for prepared answers · ctrl+s sends"
        self.show_count()

    @on(TextArea.Changed, "#reply")
    def _wait_for_pause(self) -> None:
        """Start the wait for a pause in typing again (the event goes on to the screen)."""
        if self._pause_timer is not None:
            self._pause_timer.stop()
        self._pause_timer = self.set_timer(DRAFT_PAUSE_SECONDS, self._paused, name="draft")

    def _paused(self) -> None:
        self.post_message(self.Paused(self.text))

    def set_channel(self, channel: Channel | None) -> None:
        """Count by this channel's rule from now on (None: not known yet, no counter)."""
        self.channel = channel
        self.border_title = "Reply" if channel is None else f"Reply on {channel.name}"
        self.show_count()

    def set_text(self, text: str) -> None:
        """Replace the reply with `text`, cursor at its end."""
        area = self.reply_area
        area.text = text
        area.move_cursor(area.document.end)

    def show_count(self) -> None:
        """Measure the current text by the channel's rule and show it against the limit."""
        counter = self.query_one("#counter", Static)
        if self.channel is None:
            self._counter_text = ""
            counter.update("", layout=False)
            return
        measured = fit(self.text, self.channel.rule, self.channel.limit)
        units = RULE_UNITS.get(self.channel.rule, "characters")
        if measured.limit is None or measured.rule == "none":
            line = f"{measured.length} {units} · no limit"
        elif measured.fits:
            left = measured.limit - measured.length
            line = f"{measured.length}/{measured.limit} {units} · {left} left"
        else:
            line = f"{measured.length}/{measured.limit} {units} · {measured.over_by} too many"
        self._counter_text = line
        counter.set_class(not measured.fits, "-over")
        counter.update(Text(line), layout=False)  # one line: no layout pass per key typed

    def show_problems(self, problems: Sequence[str], approval_reason: str | None = None) -> None:
        """Show what stops this reply (or that nothing does), and whether it waits for approval."""
        self.problems = tuple(problems)
        self.approval_reason = approval_reason
        lines = [f"✗ {problem}" for problem in problems]
        if approval_reason:
            lines.append(f"⏸ Waits for approval: {approval_reason}.")
        if not problems and self.text.strip():
            lines.insert(0, "✓ Ready to send (ctrl+s).")
        self._show_lines(lines, problem=bool(problems))

    def show_notice(self, notice: str, *, problem: bool = False) -> None:
        """Show one line under the editor: a question, or what just happened."""
        self._show_lines([notice], problem=problem)

    def _show_lines(self, lines: Sequence[str], *, problem: bool) -> None:
        widget = self.query_one("#problems", Static)
        text = "\n".join(lines)
        if text == self._problems_text and widget.has_class("-problem") == problem:
            return  # unchanged: no layout pass
        self._problems_text = text
        widget.set_class(problem, "-problem")
        widget.update(Text(self._problems_text))
