"""Small SVG charts (bars, a line) with their axes named and scaled, and `data:` URIs.

The plots are drawn here rather than with matplotlib: a bar chart and a line chart need a
few dozen lines, not a 40 MB dependency that takes a second to import; SVG is text, so
reports are deterministic and diffable. HTML embeds them as `data:` URIs, so the page
travels as one file; Markdown links them as files beside it.

Every chart names both axes and shows its scale (0, half and the top of the value axis;
the first and last time under the bars), starts its value axis at zero, and says "No
data in this period" rather than drawing anything when there is nothing to draw.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_WIDTH = 720
_HEIGHT = 240
_MARGIN = (40, 16, 48, 72)
"""Top, right, bottom and left margins of a plot, in pixels."""
_LINE = "#10b981"
_AXIS = "#888"
_GRID = "#e5e5e5"
_NICE_STEPS = (1, 2, 4, 6, 8, 10)
"""Multiples of a power of ten the value axis may end at."""

NO_DATA = "No data in this period"
"""What a chart says instead of drawing when it has nothing to show."""


@dataclass(frozen=True, slots=True)
class Plot:
    """One chart of a report: a short name for its file, its title and its SVG."""

    name: str
    title: str
    svg: str


def chart_file_name(stem: str, plot: Plot) -> str:
    """The file a Markdown document's chart is written to, beside it: `<stem>-<name>.svg`."""
    return f"{stem}-{plot.name}.svg"


def _count_text(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def axis_top(peak: float) -> float:
    """The round number the value axis ends at: the smallest 1, 2, 4, 6 or 8 times a power
    of ten at or above `peak` (1 when there is nothing above zero)."""
    if peak <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(peak))
    for step in _NICE_STEPS:
        if step * power >= peak * (1 - 1e-9):
            return float(step * power)
    return float(10 * power)


def bar_chart_svg(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float]]],
    *,
    x_label: str,
    y_label: str,
    value_text: Callable[[float], str] = _count_text,
) -> str:
    """Grouped bars per label; each series is (name, colour, values)."""
    peak = max((value for _, _, values in series for value in values), default=0)
    if not labels or peak <= 0:
        return _empty(title)
    top_margin, right, bottom, left = _MARGIN
    plot_width, plot_height = _WIDTH - left - right, _HEIGHT - top_margin - bottom
    top = axis_top(peak)
    slot = plot_width / len(labels)
    bar = max(slot / (len(series) + 1), 1)
    parts = [_frame(title, top, value_text, x_label, y_label)]
    for index in range(len(labels)):
        for number, (_, colour, values) in enumerate(series):
            height = plot_height * values[index] / top
            x = left + index * slot + bar * (number + 0.5)
            parts.append(
                f'<rect x="{x:.1f}" y="{top_margin + plot_height - height:.1f}" width="{bar:.1f}" '
                f'height="{height:.1f}" fill="{colour}"/>'
            )
    parts.append(_ticks(labels, [left + (index + 0.5) * slot for index in range(len(labels))]))
    parts.append(_legend([(name, colour) for name, colour, _ in series]))
    return _document(title, parts)


def line_chart_svg(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    x_label: str,
    y_label: str,
    value_text: Callable[[float], str] = _count_text,
) -> str:
    """One line over labels, a dot on each value; a gap where a value is None."""
    known = [value for value in values if value is not None]
    if not labels or not known:
        return _empty(title)
    top_margin, right, bottom, left = _MARGIN
    plot_width, plot_height = _WIDTH - left - right, _HEIGHT - top_margin - bottom
    top = axis_top(max(known))
    slot = plot_width / len(labels)
    parts = [_frame(title, top, value_text, x_label, y_label)]
    segment: list[str] = []
    segments = []
    for index, value in enumerate(values):
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        x = left + (index + 0.5) * slot
        y = top_margin + plot_height - plot_height * value / top
        segment.append(f"{x:.1f},{y:.1f}")
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{_LINE}"/>')
    if segment:
        segments.append(segment)
    for points in segments:
        if len(points) > 1:
            parts.append(
                f'<polyline fill="none" stroke="{_LINE}" stroke-width="2" '
                f'points="{" ".join(points)}"/>'
            )
    parts.append(_ticks(labels, [left + (index + 0.5) * slot for index in range(len(labels))]))
    return _document(title, parts)


def _frame(
    title: str, top: float, value_text: Callable[[float], str], x_label: str, y_label: str
) -> str:
    """The title, both axes with their names, and the value axis's scale with grid lines."""
    top_margin, right, bottom, left = _MARGIN
    base = _HEIGHT - bottom
    plot_height = base - top_margin
    parts = [
        f'<text x="{left}" y="20" font-size="14" font-weight="bold">{html.escape(title)}</text>'
    ]
    for share in (0.5, 1.0):
        y = base - plot_height * share
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{_WIDTH - right}" y2="{y:.1f}" stroke="{_GRID}"/>'
        )
    for share in (0.0, 0.5, 1.0):
        y = base - plot_height * share
        parts.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">'
            f"{html.escape(value_text(top * share))}</text>"
        )
    parts += [
        f'<line x1="{left}" y1="{base}" x2="{_WIDTH - right}" y2="{base}" stroke="{_AXIS}"/>',
        f'<line x1="{left}" y1="{top_margin}" x2="{left}" y2="{base}" stroke="{_AXIS}"/>',
        f'<text x="{left + (_WIDTH - right - left) / 2:.1f}" y="{_HEIGHT - 8}" font-size="11" '
        f'text-anchor="middle">{html.escape(x_label)}</text>',
        f'<text x="14" y="{top_margin + plot_height / 2:.1f}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 14 {top_margin + plot_height / 2:.1f})">'
        f"{html.escape(y_label)}</text>",
    ]
    return "".join(parts)


def _ticks(labels: Sequence[str], centres: Sequence[float]) -> str:
    """Labels under the time axis: all when few, else about eight, the first and last always."""
    last = len(labels) - 1
    every = 1 if len(labels) <= 16 else math.ceil(len(labels) / 8)
    shown = list(range(0, last, every))
    if shown and last - shown[-1] < every / 2:
        shown.pop()  # too close to the last label to be read beside it
    shown.append(last)
    y = _HEIGHT - _MARGIN[2] + 14
    return "".join(
        f'<text x="{centres[index]:.1f}" y="{y}" font-size="10" text-anchor="middle">'
        f"{html.escape(labels[index])}</text>"
        for index in shown
    )


def _legend(entries: Sequence[tuple[str, str]]) -> str:
    parts = []
    x = _WIDTH - 180
    for name, colour in entries:
        parts.append(f'<rect x="{x}" y="10" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="19" font-size="11">{html.escape(name)}</text>')
        x += 80
    return "".join(parts)


def _empty(title: str) -> str:
    """A chart with nothing to draw: its title and the words saying so."""
    return _document(
        title,
        [
            f'<text x="{_MARGIN[3]}" y="20" font-size="14" font-weight="bold">'
            f"{html.escape(title)}</text>",
            f'<text x="{_WIDTH / 2:.0f}" y="{_HEIGHT / 2:.0f}" font-size="13" fill="#666" '
            f'text-anchor="middle">{NO_DATA}</text>',
        ],
    )


def _document(title: str, parts: Sequence[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" font-family="sans-serif" role="img" '
        f'aria-label="{html.escape(title)}">'
        f'<rect width="100%" height="100%" fill="white"/>{"".join(parts)}</svg>'
    )


def data_uri(svg: str) -> str:
    """An SVG document as a `data:` URI for an <img> in HTML."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
