"""The line above the thread list: which view it shows, how it is sorted and filtered.

The views are listed with their number keys when the terminal is wide enough, the current
one highlighted; a narrow terminal shows only the current one and `v` lists the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from tui.themes import component_colours


class ViewBar(Static):
    """Views with their keys, then the sort order, the filters and the marks."""

    COMPONENT_CLASSES = {
        "view-bar--current",
        "view-bar--key",
        "view-bar--detail",
        "view-bar--marks",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._views: Sequence[tuple[str, str, str]] = ()
        self._current = ""
        self._details: Sequence[str] = ()
        self._marked = 0
        self._plain_text = ""
        self._line: Text | None = None
        """The line as last drawn."""

    @property
    def plain_text(self) -> str:
        """What the bar says, as plain text."""
        return self._plain_text

    def show(
        self,
        views: Sequence[tuple[str, str, str]],
        current: str,
        details: Sequence[str],
        marked: int,
    ) -> None:
        """`views` are (key, name, label) triples; `details` are the sort and filter phrases."""
        self._views = views
        self._current = current
        self._details = details
        self._marked = marked
        self._redraw()

    def on_resize(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        current = component_colours(self, "view-bar--current")
        key_style = component_colours(self, "view-bar--key")
        detail_style = component_colours(self, "view-bar--detail")
        tail = Text(no_wrap=True)
        if self._marked:
            tail.append(f"  {self._marked} marked", component_colours(self, "view-bar--marks"))
        for detail in self._details:
            tail.append("  " + detail, detail_style)
        tabs = Text(no_wrap=True)
        for key, name, label in self._views:
            if name == self._current:
                tabs.append(f"{key} {label}", current)
            else:
                tabs.append(key, key_style)
                tabs.append(f" {label}")
            tabs.append(" ")
        if tabs.cell_len + tail.cell_len > self.size.width:
            tabs = Text(no_wrap=True)
            for _, name, label in self._views:
                if name == self._current:
                    tabs.append(label, current)
            tabs.append(" v", key_style)
            tabs.append(" views")
        line = Text(" ") + tabs + tail
        line.overflow = "ellipsis"
        if line == self._line:
            return
        self._line = line
        self._plain_text = line.plain
        self.update(line, layout=False)  # one line, whatever it says: no layout pass
