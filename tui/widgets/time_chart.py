"""A bar chart of values over time in a few lines of text, with its axes labelled.

Textual's `Sparkline` scales between the smallest and largest value and draws a lone
value as a full block, so a flat or empty series reads as a wall and nothing says what a
bar is worth. This chart starts at zero, prints the largest value at the top of its value
axis and the first and last time under the bars, and says "no data in this period" when
there is nothing to draw. Like every widget here it draws what it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.widget import Widget

NO_DATA = "no data in this period"
"""What the chart says instead of bars when it has nothing to show."""

_EIGHTHS = " ▁▂▃▄▅▆▇█"


@dataclass(frozen=True, slots=True)
class ChartSeries:
    """What a chart shows: one value per time step (None where there is none) and its range."""

    values: Sequence[float | None]
    first: str
    """The time of the first value, as people read it: "Nov 30 13:00"."""
    last: str
    """The time of the last value."""
    value_text: Callable[[float], str] = lambda value: f"{value:,.0f}"
    """How a value reads on the value axis: "45", "3h 05m", "31%"."""


def column_values(values: Sequence[float | None], width: int) -> list[float | None]:
    """`values` fitted to `width` columns: several values to a column keep their largest;
    few values are each drawn `width // len(values)` columns wide, with a gap between."""
    if not values or width <= 0:
        return []
    if len(values) > width:
        columns: list[float | None] = []
        for column in range(width):
            chunk = values[column * len(values) // width : (column + 1) * len(values) // width]
            known = [value for value in chunk if value is not None]
            columns.append(max(known) if known else None)
        return columns
    cell = width // len(values)
    bar = cell - 1 if cell >= 3 else cell
    wide: list[float | None] = []
    for value in values:
        wide += [value] * bar + [None] * (cell - bar)
    return wide


def bar_rows(columns: Sequence[float | None], peak: float, height: int) -> list[str]:
    """The bars as `height` lines of block characters, top line first, zero at the bottom;
    a value above zero shows at least a sliver."""
    levels = height * 8
    heights = []
    for value in columns:
        if value is None or value <= 0 or peak <= 0:
            heights.append(0)
        else:
            heights.append(max(1, round(value / peak * levels)))
    rows = []
    for row in reversed(range(height)):
        rows.append("".join(_EIGHTHS[min(max(level - row * 8, 0), 8)] for level in heights))
    return rows


class TimeChart(Widget):
    """Bars over time with a title, the largest value on the value axis and the time range
    under the bars; "no data in this period" when nothing is above zero."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "time-chart--title",
        "time-chart--axis",
        "time-chart--bar",
        "time-chart--empty",
    }

    def __init__(
        self,
        title: str,
        series: ChartSeries | None = None,
        *,
        bar_lines: int = 2,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.title = title
        self.bar_lines = bar_lines
        """How many lines the bars may fill."""
        self.series = series
        """What the chart draws; None until it is given something."""

    def show(self, series: ChartSeries | None) -> None:
        """Draw `series` (None: nothing yet, the chart says so)."""
        self.series = series
        self.refresh()

    @property
    def has_data(self) -> bool:
        """True when some value is above zero, so there are bars to draw."""
        return self.series is not None and any(
            value is not None and value > 0 for value in self.series.values
        )

    @property
    def plain_text(self) -> str:
        """What the chart shows, as plain text (for tests)."""
        return self.render().plain

    def get_content_height(self, container, viewport, width: int) -> int:
        return self.bar_lines + 2

    def render(self) -> Text:
        title_style = self.get_component_rich_style("time-chart--title")
        axis = self.get_component_rich_style("time-chart--axis")
        bar_style = self.get_component_rich_style("time-chart--bar")
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append(self.title, title_style)
        series = self.series
        if series is None or not self.has_data:
            text.append("\n")
            text.append(NO_DATA, self.get_component_rich_style("time-chart--empty"))
            text.append("\n" * self.bar_lines)
            return text
        peak = max(value for value in series.values if value is not None)
        top_label = series.value_text(peak)
        gutter = max(len(top_label), 1) + 1
        width = max(self.size.width - gutter - 1, 1)
        columns = column_values(series.values, width)
        for index, row in enumerate(bar_rows(columns, peak, self.bar_lines)):
            label = top_label if index == 0 else ""
            text.append(f"\n{label:>{gutter - 1}} ", axis)
            text.append("┤" if index == 0 else "│", axis)
            text.append(row, bar_style)
        drawn = len(columns)
        first, last = series.first, series.last
        filler = max(drawn - len(first) - len(last) - 2, 1)
        text.append(f"\n{'0':>{gutter - 1}} └", axis)
        text.append(f"{first} {'─' * filler} {last}", axis)
        return text
