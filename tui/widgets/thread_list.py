"""The thread list: a Line API widget over the pages loaded so far, never the whole inbox.

It holds the rows it was given, a contiguous run from the top of the current ordering,
and draws only the lines on screen, so a million-thread inbox costs what its first page
costs. When the cursor comes near the end of what is loaded it asks for more with
`MoreWanted`; whoever owns the service fetches the next keyset page and hands it back
with `append_rows`. It knows nothing of the service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from inbox import PresenceRow, ThreadRow
from tui import bindings
from tui.themes import component_colours
from tui.widgets import labels

Clock = Callable[[], datetime]

_NOT_YET = object()
"""The highlighted thread before any rows were shown: the first show always reports."""

STRIP_CACHE_SIZE = 1000
"""Drawn rows kept (a few screens' worth in every cursor and mark state); then it starts over."""


class Columns:
    """Which columns fit one widget width, how wide each is, and the preview gets the rest.

    From `WIDE` cells on, every column shows; narrower, the status column goes (the unread
    mark and the view already say most of it) and author and assignee shrink. The thread's
    number ("#123", what the CLI takes) always shows, `number` cells wide.
    """

    WIDE = 110
    MARKS = 3  # marked, unread, a colleague's presence (or a note mentioning you)
    PLATFORM = 9
    KIND = 7
    AGE = 4
    DUE = 4
    STATUS = 7

    def __init__(self, width: int, number: int = 4) -> None:
        self.width = width
        self.number = number
        self.wide = width >= self.WIDE
        self.author = min(22, max(10, width // 7)) if self.wide else 10
        self.assignee = 10 if self.wide else 6
        self.status = self.STATUS if self.wide else 0
        cells = [
            self.MARKS,
            self.number,
            self.PLATFORM,
            self.KIND,
            self.author,
            1,
            self.AGE,
            self.DUE,
            self.assignee,
            1,
        ]
        if self.status:
            cells.append(self.status)
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
        "thread-list--marked",
        "thread-list--priority",
        "thread-list--due-overdue",
        "thread-list--due-soon",
        "thread-list--due-later",
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

    class MarksChanged(Message):
        """Threads were marked or unmarked; `count` is how many are marked now."""

        def __init__(self, thread_list: ThreadList, count: int) -> None:
            super().__init__()
            self.thread_list = thread_list
            self.count = count

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
        self._marked: dict[int, None] = {}
        """Marked thread ids in the order they were marked (a dict keeps it)."""
        self._mark_anchor: int | None = None
        """The id of the thread a shift-extended range of marks starts from."""
        self._presence: Mapping[int, Sequence[PresenceRow]] = {}
        self._strips: dict[tuple[object, ...], Strip] = {}
        """Drawn rows by everything that shapes them: a scroll redraws only the new line."""
        self._number_width = 4
        """Cells for the thread numbers: the widest seen so far, so the columns never jump back."""

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
        self._widen_numbers(self._rows)
        self._complete = complete
        self._loaded = True
        self._forget_marks_not_in(self._index_by_id)
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
        self._forget_marks_not_in(())
        self._update_virtual_size()
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def append_rows(self, rows: Sequence[ThreadRow], *, after_id: int, complete: bool) -> bool:
        """Add a page after the thread `after_id`; False (adding nothing) if that is not the end."""
        if not self._rows or self._rows[-1].id != after_id:
            return False
        added = 0
        for row in rows:
            if row.id not in self._index_by_id:
                self._index_by_id[row.id] = len(self._rows)
                self._rows.append(row)
                added += 1
        self._widen_numbers(rows)
        self._complete = complete
        if added:
            self._more_wanted_after = None  # else asking again after the same row would loop
        self._update_virtual_size()
        self.refresh()
        self._want_more_if_near_end()
        return True

    def _widen_numbers(self, rows: Sequence[ThreadRow]) -> None:
        """Make room for the longest thread number among `rows` ("#" and its digits)."""
        if rows:
            self._number_width = max(self._number_width, 1 + len(str(max(row.id for row in rows))))

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

    @property
    def marked_ids(self) -> list[int]:
        """The marked threads, in the order they were marked."""
        return list(self._marked)

    def targets(self) -> list[int]:
        """What an action applies to: the marked threads, else the one under the cursor."""
        if self._marked:
            return self.marked_ids
        selected = self.selected
        return [selected.id] if selected is not None else []

    def clear_marks(self) -> bool:
        """Unmark every thread; False when none was marked."""
        if not self._marked:
            return False
        self._forget_marks_not_in(())
        return True

    def show_presence(self, presence: Mapping[int, Sequence[PresenceRow]]) -> None:
        """Who else has which threads open, for the presence marks."""
        self._presence = presence
        self.refresh()

    def _forget_marks_not_in(self, thread_ids: Iterable[int]) -> None:
        keep = set(thread_ids)
        kept = {thread_id: None for thread_id in self._marked if thread_id in keep}
        if len(kept) != len(self._marked):
            self._marked = kept
            self._mark_anchor = None
            self.refresh()
            self.post_message(self.MarksChanged(self, len(kept)))

    # -- actions --------------------------------------------------------------------------

    def action_toggle_mark(self) -> None:
        """Mark or unmark the thread under the cursor, then move down."""
        row = self.selected
        if row is None:
            return
        if row.id in self._marked:
            del self._marked[row.id]
        else:
            self._marked[row.id] = None
        self._mark_anchor = row.id
        self._refresh_row(self._cursor)
        self.post_message(self.MarksChanged(self, len(self._marked)))
        self.move_cursor(self._cursor + 1)

    def action_extend_down(self) -> None:
        self._extend_marks(self._cursor + 1)

    def action_extend_up(self) -> None:
        self._extend_marks(self._cursor - 1)

    def _extend_marks(self, index: int) -> None:
        """Move the cursor and mark every thread from where the range began to it."""
        if not self._rows:
            return
        index = max(0, min(index, len(self._rows) - 1))
        anchor = self._index_by_id.get(self._mark_anchor) if self._mark_anchor is not None else None
        if anchor is None:
            anchor = self._cursor
            self._mark_anchor = self._rows[anchor].id
        low, high = sorted((anchor, index))
        for row in self._rows[low : high + 1]:
            self._marked[row.id] = None
        self.refresh()
        self.post_message(self.MarksChanged(self, len(self._marked)))
        self.move_cursor(index)

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
            return self._header_strip(Columns(width, self._number_width), base)
        index = round(self.scroll_y) + y - self.HEADER_LINES
        if index < len(self._rows):
            return self._drawn_row(self._rows[index], index == self._cursor, width, base)
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
            ("", columns.MARKS),
            ("#".rjust(columns.number), columns.number),
            ("platform", columns.PLATFORM),
            ("kind", columns.KIND),
            ("author", columns.author),
            ("", 1),
            ("latest message", columns.preview),
            ("age", columns.AGE),
            ("due", columns.DUE),
            ("assignee" if columns.wide else "who", columns.assignee),
            ("", 1),
        ]
        if columns.status:
            cells.append(("status", columns.status))
        text = " ".join(_fit(label, width) for label, width in cells)
        return Strip([Segment(_fit(" " + text, columns.width), style)], columns.width)

    def _drawn_row(self, row: ThreadRow, is_cursor: bool, width: int, base: Style) -> Strip:
        """`row` drawn, from the cache when nothing it shows has changed (ages count in seconds)."""
        now = self._clock().replace(microsecond=0)
        key = (
            row,
            is_cursor,
            width,
            self._number_width,
            base,
            now,
            row.id in self._marked,
            self._presence_mark(row.id, row.mentions_me),
        )
        strip = self._strips.get(key)
        if strip is None:
            if len(self._strips) >= STRIP_CACHE_SIZE:
                self._strips.clear()
            columns = Columns(width, self._number_width)
            strip = self._strips[key] = self._row_strip(row, is_cursor, columns, base, now)
        return strip

    def notify_style_update(self) -> None:
        """New colours (a theme, focus): rows are drawn again."""
        super().notify_style_update()
        self._strips.clear()

    def _row_strip(
        self, row: ThreadRow, is_cursor: bool, columns: Columns, base: Style, now: datetime
    ) -> Strip:
        muted = self._style("thread-list--muted")
        mark, sentiment_name = labels.sentiment_mark(row.sentiment)
        author_style = self._style("thread-list--unread-author") if row.unread else Style()
        status_style = self._style("thread-list--status-new") if row.status == "new" else muted
        sentiment_style = (
            self._style(f"thread-list--{sentiment_name}") if sentiment_name != "unscored" else muted
        )
        due_at = min(
            (moment for moment in (row.due_at, row.reply_window_closes_at) if moment is not None),
            default=None,
        )
        due_text, due_state = labels.time_left_label(due_at, now)
        due_style = self._style(f"thread-list--due-{due_state}") if due_state != "none" else muted
        marks = (
            (labels.MARKED if row.id in self._marked else " ")
            + (labels.UNREAD_MARK if row.unread else " ")
            + self._presence_mark(row.id, row.mentions_me)
        )
        cells: list[tuple[str, int, Style]] = [
            (marks, columns.MARKS, self._style("thread-list--unread")),
            (f"#{row.id}".rjust(columns.number), columns.number, muted),
            (labels.platform_label(row.platform), columns.PLATFORM, muted),
            (labels.kind_label(row.kind), columns.KIND, muted),
            (labels.author_label(row.author), columns.author, author_style),
            (mark, 1, sentiment_style),
            (labels.preview_label(row.preview), columns.preview, Style()),
            (labels.age_label(row.last_activity_at, now).rjust(columns.AGE), columns.AGE, muted),
            (due_text.rjust(columns.DUE), columns.DUE, due_style),
            (labels.author_label(row.assignee) if row.assignee else "", columns.assignee, muted),
            (labels.priority_mark(row.priority), 1, self._style("thread-list--priority")),
        ]
        if columns.status:
            cells.append((row.status, columns.status, status_style))
        row_style = base + self._style("thread-list--cursor") if is_cursor else base
        if row.id in self._marked and not is_cursor:
            row_style = base + self._style("thread-list--marked")
        segments = [Segment(" ", row_style)]
        for text, width, style in cells:
            cell_style = (
                base + style + self._style("thread-list--cursor")
                if is_cursor
                else row_style + style
            )
            segments.append(Segment(_fit(text, width), cell_style))
            segments.append(Segment(" ", row_style))
        return Strip(segments).crop_extend(0, columns.width, row_style)

    def _presence_mark(self, thread_id: int, mentions_me: bool = False) -> str:
        """A colleague replying or viewing; else `@` when a note on the thread mentions you."""
        activities = {presence.activity for presence in self._presence.get(thread_id, ())}
        for activity, presence_mark in labels.PRESENCE_MARKS.items():
            if activity in activities:
                return presence_mark
        return labels.MENTIONED if mentions_me else " "

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
