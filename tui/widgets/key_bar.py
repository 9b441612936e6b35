"""The key bar: the keys that matter on this screen, on one line, redrawn when they change.

Textual's `Footer` builds a widget per key and builds them all again on every focus
change and every `refresh_bindings()`; it also keeps the old ones alive, so a long
session piles up thousands of widgets and the garbage collector's full passes land
inside key presses (measured by `bench/tui.py`, see docs/performance.md). This bar is
one widget that draws one line of text from the screen's active bindings: the keys with
`show=True`, dimmed while their action does not apply, then the palette key. Clicking a
key presses it.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widgets import Static

from tui.themes import component_colours


class KeyBar(Static):
    """The screen's shown key bindings, each as its key and what it does."""

    COMPONENT_CLASSES = {"key-bar--key", "key-bar--disabled"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._plain_text = ""
        self._line: Text | None = None
        """The line as last drawn."""
        self._spans: list[tuple[int, int, str, bool]] = []
        """Where each key is drawn: first and after-last cell, the key, whether it applies."""

    @property
    def plain_text(self) -> str:
        """What the bar says, as plain text."""
        return self._plain_text

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._redraw()

    def _bindings_changed(self, screen: Screen) -> None:
        self._redraw()

    def _redraw(self) -> None:
        key_style = component_colours(self, "key-bar--key")
        disabled = component_colours(self, "key-bar--disabled")
        line = Text(no_wrap=True, overflow="ellipsis")
        spans: list[tuple[int, int, str, bool]] = []
        shown: set[str] = set()
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not binding.show or binding.action in shown:
                continue
            shown.add(binding.action)
            start = line.cell_len
            line.append(f" {self.app.get_key_display(binding)}", key_style)
            line.append(f" {binding.description} ", "" if active.enabled else disabled)
            spans.append((start, line.cell_len, key, active.enabled))
        start = line.cell_len
        line.append(" ^p", key_style)
        line.append(" palette")
        spans.append((start, line.cell_len, "ctrl+p", True))
        self._spans = spans
        if line == self._line:
            return  # most focus changes leave the keys as they were
        self._line = line
        self._plain_text = line.plain
        self.update(line, layout=False)  # one line, whatever it says: no layout pass

    def on_click(self, event: events.Click) -> None:
        """A click on a key presses it (a bell where it does not apply now)."""
        for start, end, key, enabled in self._spans:
            if start <= event.x < end:
                if enabled:
                    self.app.simulate_key(key)
                else:
                    self.app.bell()
                return
