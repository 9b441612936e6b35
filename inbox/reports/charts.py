"""Small SVG charts (bars, a line) and `data:` URIs to embed them in HTML and Markdown.

The plots are drawn here rather than with matplotlib: a bar chart and a line chart need a
few dozen lines, not a 40 MB dependency that takes a second to import; SVG is text, so
reports are deterministic and diffable; and as `data:` URIs the images travel inside the
one file, in a browser and in Markdown viewers that show them.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

_WIDTH = 720
_HEIGHT = 220
_MARGIN = (40, 16, 28, 56)
"""Top, right, bottom and left margins of a plot, in pixels."""
_LINE = "#10b981"


def _scale(value: float, top: float, size: float) -> float:
    return size * (value / top) if top else 0.0


def bar_chart_svg(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[float]]]
) -> str:
    """Grouped bars per label; each series is (name, colour, values)."""
    top_margin, right, bottom, left = _MARGIN
    plot_width, plot_height = _WIDTH - left - right, _HEIGHT - top_margin - bottom
    peak = max((value for _, _, values in series for value in values), default=0) or 1
    slot = plot_width / max(len(labels), 1)
    bar = max(slot / (len(series) + 1), 1)
    parts = [_frame(title, peak, str(int(peak)))]
    for index, label in enumerate(labels):
        for number, (_, colour, values) in enumerate(series):
            height = _scale(values[index], peak, plot_height)
            x = left + index * slot + bar * (number + 0.5)
            parts.append(
                f'<rect x="{x:.1f}" y="{top_margin + plot_height - height:.1f}" width="{bar:.1f}" '
                f'height="{height:.1f}" fill="{colour}"/>'
            )
        if len(labels) <= 16 or index % max(len(labels) // 8, 1) == 0:
            parts.append(
                f'<text x="{left + index * slot + slot / 2:.1f}" y="{_HEIGHT - 10}" font-size="10" '
                f'text-anchor="middle">{html.escape(label)}</text>'
            )
    parts.append(_legend([(name, colour) for name, colour, _ in series]))
    return _document(parts)


def line_chart_svg(
    title: str, labels: Sequence[str], values: Sequence[float | None], unit_text
) -> str:
    """One line over labels; gaps where a value is None; the axis top is labelled by `unit_text`."""
    top_margin, right, bottom, left = _MARGIN
    plot_width, plot_height = _WIDTH - left - right, _HEIGHT - top_margin - bottom
    peak = max((value for value in values if value is not None), default=0) or 1
    step = plot_width / max(len(labels) - 1, 1)
    parts = [_frame(title, peak, unit_text(peak))]
    segment: list[str] = []
    segments = []
    for index, value in enumerate(values):
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        height = _scale(value, peak, plot_height)
        segment.append(f"{left + index * step:.1f},{top_margin + plot_height - height:.1f}")
    if segment:
        segments.append(segment)
    for points in segments:
        parts.append(
            f'<polyline fill="none" stroke="{_LINE}" stroke-width="2" points="{" ".join(points)}"/>'
        )
    for index, label in enumerate(labels):
        if len(labels) <= 16 or index % max(len(labels) // 8, 1) == 0:
            parts.append(
                f'<text x="{left + index * step:.1f}" y="{_HEIGHT - 10}" font-size="10" '
                f'text-anchor="middle">{html.escape(label)}</text>'
            )
    return _document(parts)


def _frame(title: str, peak: float, peak_label: str) -> str:
    top_margin, right, bottom, left = _MARGIN
    base = _HEIGHT - bottom
    return (
        f'<text x="{left}" y="20" font-size="14" font-weight="bold">{html.escape(title)}</text>'
        f'<line x1="{left}" y1="{base}" x2="{_WIDTH - right}" y2="{base}" stroke="#888"/>'
        f'<line x1="{left}" y1="{top_margin}" x2="{left}" y2="{base}" stroke="#888"/>'
        f'<text x="{left - 4}" y="{top_margin + 4}" font-size="10" text-anchor="end">'
        f"{html.escape(peak_label)}</text>"
        f'<text x="{left - 4}" y="{base}" font-size="10" text-anchor="end">0</text>'
    )


def _legend(entries: Sequence[tuple[str, str]]) -> str:
    parts = []
    x = _WIDTH - 180
    for name, colour in entries:
        parts.append(f'<rect x="{x}" y="10" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="19" font-size="11">{html.escape(name)}</text>')
        x += 80
    return "".join(parts)


def _document(parts: Sequence[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" font-family="sans-serif">'
        f'<rect width="100%" height="100%" fill="white"/>{"".join(parts)}</svg>'
    )


def data_uri(svg: str) -> str:
    """An SVG document as a `data:` URI for an <img> or a Markdown image."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
