"""The thread list: a Line API widget over the pages loaded so far, never the whole inbox.

It holds the rows it was given, a contiguous run from the top of the current ordering,
and draws only the lines on screen, so a million-thread inbox costs what its first page
costs. When the cursor comes near the end of what is loaded it asks for more with
`MoreWanted`; whoever owns the service fetches the next keyset page and hands it back
with `append_rows`. It knows nothing of the service.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from inbox.service import ThreadRow
from tui import bindings
from tui.themes import component_colours
from tui.widgets import labels

Clock = Callable[[], datetime]

_NOT_YET = object()
"""The highlighted thread before any rows were shown: the first show always reports."""


class Columns:
    """Where each column starts and how wide it is, for one widget width."""

    PLATFORM = 9
    KIND = 7
    AGE = 4
    STATUS = 7

    def __init__(self, width: int) -> None:
        self.width = width
        self.author = min(22, max(10, width // 6))
        cells = (1, self.PLATFORM, self.KIND, self.author, 1, self.AGE, self.STATUS)
        spaces = len(cells) + 2  # one before each cell, one after the preview and the last
        self.preview = max(8, width - sum(cells) - spaces)


def _fit(text: str, width: int) -> str:
    """`text` padded or cut (with an ellipsis) to exactly `width` cells."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


class ThreadList(ScrollView, can_focus=True):
    """Threads, newest activity first, one per line, with a cursor and a header line."""

    BINDINGS = bindings.THREAD_LIST

    COMPONENT_CLASSES = {
        "thread-list--header",
        "thread-list--cursor",
        "thread-list--unread",
        "thread-list--unread-author",
        "thread-list--muted",
        "thread-list--notice",
        "thread-list--negative",
        "thread-list--positive",
        "thread-list--neutral",
        "thread-list--status-new",
    }

    PREFETCH_ROWS = 50
    """Ask for the next page when the cursor or the view comes this close to the end."""

    HEADER_LINES = 1

    class Highlighted(Message):
        """The cursor moved to another thread (or the list became empty: `row` is None)."""

        def __init__(self, thread_list: ThreadList, row: ThreadRow | None) -> None:
            super().__init__()
            self.thread_list = thread_list
            self.row = row

        @property
        def control(self) -> ThreadList:
            return self.thread_list

    class Selected(Message):
        """The person asked to open the thread under the cursor."""

        def __init__(self, thread_list: ThreadList, row: ThreadRow) -> None:
            super().__init__()
            self.thread_list = thread_list
            self.row = row

        @property
        def control(self) -> ThreadList:
            return self.thread_list

    class MoreWanted(Message):
        """The cursor or the view is near the end of the loaded rows and more exist."""

        def __init__(self, thread_list: ThreadList, after: ThreadRow) -> None:
            super().__init__()
            self.thread_list = thread_list
            self.after = after

        @property
        def control(self) -> ThreadList:
            return self.thread_list

    def __init__(
        self,
        *,
        clock: Clock,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._clock = clock
        self._rows: list[ThreadRow] = []
        self._index_by_id: dict[int, int] = {}
        self._complete = False
        self._loaded = False
        self._cursor = 0
        self._highlighted_id: int | None | object = _NOT_YET
        self._more_wanted_after: int | None = None
        self._empty_text = "No open threads."

    # -- what it shows ------------------------------------------------------------------

    @property
    def rows(self) -> Sequence[ThreadRow]:
        """The rows loaded so far, in display order."""
        return self._rows

    @property
    def complete(self) -> bool:
        """Whether every row of the current list is loaded."""
        return self._complete

    @property
    def loaded(self) -> bool:
        """Whether any rows were given yet (an empty list counts)."""
        return self._loaded

    @property
    def cursor_index(self) -> int:
        return self._cursor

    @property
    def selected(self) -> ThreadRow | None:
        """The thread under the cursor."""
        if 0 <= self._cursor < len(self._rows):
            return self._rows[self._cursor]
        return None

    def show_rows(
        self,
        rows: Sequence[ThreadRow],
        *,
        complete: bool,
        keep_thread_id: int | None = None,
        empty_text: str | None = None,
    ) -> None:
        """Replace the list; the cursor stays on `keep_thread_id` (default: the selected thread).

        When that thread is gone the cursor keeps its line. When the view was at the top
        it stays there so new threads show; otherwise it shifts with the selected thread
        so the line under the eye does not jump.
        """
        keep_id = keep_thread_id
        if keep_id is None and isinstance(self._highlighted_id, int):
            keep_id = self._highlighted_id
        old_screen_line = self._cursor - round(self.scroll_y)
        at_top = round(self.scroll_y) == 0
        self._rows = list(rows)
        self._index_by_id = {row.id: index for index, row in enumerate(self._rows)}
        self._complete = complete
        self._loaded = True
        self._more_wanted_after = None
        if empty_text is not None:
            self._empty_text = empty_text
        if keep_id is not None and keep_id in self._index_by_id:
            self._cursor = self._index_by_id[keep_id]
        else:
            self._cursor = min(self._cursor, max(len(self._rows) - 1, 0))
        self._update_virtual_size()
        if not at_top and 0 <= old_screen_line < self._visible_rows():
            self.scroll_to(y=max(self._cursor - old_screen_line, 0), animate=False, immediate=True)
        self._scroll_cursor_into_view()
        self.refresh()
        self._cursor_moved()

    def show_loading(self) -> None:
        """Empty the list and say it is loading, for a new query."""
        self._rows = []
        self._index_by_id = {}
        self._complete = False
        self._loaded = False
        self._cursor = 0
        self._more_wanted_after = None
        self._highlighted_id = _NOT_YET
        self._update_virtual_size()
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def append_rows(self, rows: Sequence[ThreadRow], *, after_id: int, complete: bool) -> bool:
        """Add a page after the thread `after_id`; False (adding nothing) if that is not the end."""
        if not self._rows or self._rows[-1].id != after_id:
            return False
        for row in rows:
            if row.id not in self._index_by_id:
                self._index_by_id[row.id] = len(self._rows)
                self._rows.append(row)
        self._complete = complete
        self._more_wanted_after = None
        self._update_virtual_size()
        self.refresh()
        self._want_more_if_near_end()
        return True

    def move_cursor(self, index: int) -> None:
        """Put the cursor on line `index` of the loaded rows (clamped) and show it."""
        if not self._rows:
            return
        index = max(0, min(index, len(self._rows) - 1))
        if index == self._cursor:
            return
        previous = self._cursor
        self._cursor = index
        self._refresh_row(previous)
        self._refresh_row(index)
        self._scroll_cursor_into_view()
        self._cursor_moved()

    def select_thread(self, thread_id: int) -> bool:
        """Put the cursor on a loaded thread; False when it is not loaded."""
        index = self._index_by_id.get(thread_id)
        if index is None:
            return False
        self.move_cursor(index)
        return True

    # -- actions --------------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def action_page_down(self) -> None:
        self.move_cursor(self._cursor + max(self._visible_rows() - 1, 1))

    def action_page_up(self) -> None:
        self.move_cursor(self._cursor - max(self._visible_rows() - 1, 1))

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self._rows) - 1)

    def action_open(self) -> None:
        row = self.selected
        if row is not None:
            self.post_message(self.Selected(self, row))

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < self.HEADER_LINES:
            return
        index = round(self.scroll_y) + offset.y - self.HEADER_LINES
        if 0 <= index < len(self._rows):
            self.move_cursor(index)
            if event.chain > 1:
                self.action_open()

    # -- rendering ------------------------------------------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._want_more_if_near_end()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y < self.HEADER_LINES:
            return self._header_strip(Columns(width), base)
        index = round(self.scroll_y) + y - self.HEADER_LINES
        if index < len(self._rows):
            return self._row_strip(self._rows[index], index == self._cursor, Columns(width), base)
        if index == len(self._rows):
            notice = self._notice()
            if notice:
                style = base + self._style("thread-list--notice")
                return Strip([Segment(_fit("  " + notice, width), style)], width)
        return Strip.blank(width, base)

    def _notice(self) -> str:
        if not self._loaded:
            return "Loading threads…"
        if not self._complete:
            return "Loading more…"
        if not self._rows:
            return self._empty_text
        return ""

    def _style(self, component: str) -> Style:
        """A component's colours; the header and cursor keep their backgrounds."""
        if component in ("thread-list--header", "thread-list--cursor"):
            return self.get_component_rich_style(component)
        return component_colours(self, component)

    def _header_strip(self, columns: Columns, base: Style) -> Strip:
        style = base + self._style("thread-list--header")
        cells = [
            ("", 1),
            ("platform", columns.PLATFORM),
            ("kind", columns.KIND),
            ("author", columns.author),
            ("", 1),
            ("latest message", columns.preview),
            ("age", columns.AGE),
            ("status", columns.STATUS),
        ]
        text = " ".join(_fit(label, width) for label, width in cells)
        return Strip([Segment(_fit(" " + text, columns.width), style)], columns.width)

    def _row_strip(self, row: ThreadRow, is_cursor: bool, columns: Columns, base: Style) -> Strip:
        muted = self._style("thread-list--muted")
        mark, sentiment_name = labels.sentiment_mark(row.sentiment)
        author_style = self._style("thread-list--unread-author") if row.unread else Style()
        status_style = self._style("thread-list--status-new") if row.status == "new" else muted
        sentiment_style = (
            self._style(f"thread-list--{sentiment_name}") if sentiment_name != "unscored" else muted
        )
        cells: list[tuple[str, int, Style]] = [
            (labels.UNREAD_MARK if row.unread else " ", 1, self._style("thread-list--unread")),
            (labels.platform_label(row.platform), columns.PLATFORM, muted),
            (labels.kind_label(row.kind), columns.KIND, muted),
            (labels.author_label(row.author), columns.author, author_style),
            (mark, 1, sentiment_style),
            (labels.preview_label(row.preview), columns.preview, Style()),
            (
                labels.age_label(row.last_activity_at, self._clock()).rjust(columns.AGE),
                columns.AGE,
                muted,
            ),
            (row.status, columns.STATUS, status_style),
        ]
        row_style = base + self._style("thread-list--cursor") if is_cursor else base
        segments = [Segment(" ", row_style)]
        for text, width, style in cells:
            cell_style = (
                base + style + self._style("thread-list--cursor") if is_cursor else base + style
            )
            segments.append(Segment(_fit(text, width), cell_style))
            segments.append(Segment(" ", row_style))
        return Strip(segments).crop_extend(0, columns.width, row_style)

    # -- internals ------------------------------------------------------------------------

    def _visible_rows(self) -> int:
        return max(self.scrollable_content_region.height - self.HEADER_LINES, 1)

    def _update_virtual_size(self) -> None:
        extra_line = 0 if self._complete and self._rows else 1
        self.virtual_size = Size(0, self.HEADER_LINES + len(self._rows) + extra_line)

    def _refresh_row(self, index: int) -> None:
        line = index - round(self.scroll_y) + self.HEADER_LINES
        if self.HEADER_LINES <= line < self.size.height:
            self.refresh(Region(0, line, self.size.width, 1))

    def _scroll_cursor_into_view(self) -> None:
        top = round(self.scroll_y)
        visible = self._visible_rows()
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + visible:
            self.scroll_to(y=self._cursor - visible + 1, animate=False, immediate=True)

    def _cursor_moved(self) -> None:
        row = self.selected
        row_id = row.id if row is not None else None
        if row_id != self._highlighted_id:
            self._highlighted_id = row_id
            self.post_message(self.Highlighted(self, row))
        self._want_more_if_near_end()

    def _want_more_if_near_end(self) -> None:
        if self._complete or not self._rows:
            return
        last_needed = max(self._cursor, round(self.scroll_y) + self._visible_rows())
        if last_needed + self.PREFETCH_ROWS < len(self._rows):
            return
        last = self._rows[-1]
        if self._more_wanted_after == last.id:
            return
        self._more_wanted_after = last.id
        self.post_message(self.MoreWanted(self, last))

    def on_resize(self) -> None:
        self._scroll_cursor_into_view()
        self._want_more_if_near_end()
