"""The period report as HTML or Markdown, its plots embedded as SVG images."""

from __future__ import annotations

import html
from pathlib import Path

from inbox.core.errors import InvalidInput
from inbox.core.files import open_private
from inbox.reports.charts import Plot, bar_chart_svg, chart_file_name, data_uri, line_chart_svg
from inbox.reports.text import agent_rows, duration_text, figures_rows, headline_text, percent_text
from inbox.stats.figures import Stats

_INBOUND = "#3b82f6"
_OUTBOUND = "#f59e0b"


def plots(stats: Stats) -> list[Plot]:
    """The report's charts: messages per day, and the first response median per day."""
    labels = [bucket.start.strftime("%m-%d") for bucket in stats.daily]
    span = f"day, {stats.period.since:%Y-%m-%d} to {stats.period.until:%Y-%m-%d}"
    volume = bar_chart_svg(
        "Messages per day",
        labels,
        [
            ("in", _INBOUND, [bucket.inbound for bucket in stats.daily]),
            ("out", _OUTBOUND, [bucket.outbound for bucket in stats.daily]),
        ],
        x_label=span,
        y_label="messages",
    )
    by_day = {entry.day: entry.first_response.p50_seconds for entry in stats.daily_first_response}
    first = line_chart_svg(
        "First response time, median of the threads begun each day",
        labels,
        [
            None if by_day.get(bucket.start.date()) is None else by_day[bucket.start.date()] / 3600
            for bucket in stats.daily
        ],
        x_label=span,
        y_label="hours to a first reply",
        value_text=lambda hours: f"{hours:.3g} h",
    )
    return [
        Plot("volume", "Messages per day", volume),
        Plot("first-response", "First response time per day", first),
    ]


def _sections(stats: Stats) -> tuple[list[dict[str, str]], list[dict[str, object]]]:
    groups = [
        {
            (stats.by_dimension or "group"): str(row["group"]),
            "first p50": duration_text(row["first_response_p50_s"]),
            "first p90": duration_text(row["first_response_p90_s"]),
            "next p50": duration_text(row["next_response_p50_s"]),
            "resolution p50": duration_text(row["resolution_p50_s"]),
            "SLA": percent_text(row["sla_hit_rate"]),
            "backlog": str(row["backlog"]),
            "in": str(row["inbound"]),
            "out": str(row["outbound"]),
            "negative": percent_text(row["negative_share"]),
        }
        for row in figures_rows(stats)
    ]
    return groups, agent_rows(stats)


def _title(stats: Stats) -> str:
    return (
        f"Inbox report, {stats.period.since:%Y-%m-%d %H:%M} "
        f"to {stats.period.until:%Y-%m-%d %H:%M} UTC"
    )


def render_markdown(stats: Stats, chart_stem: str) -> str:
    """The report as Markdown; its charts are linked as `<chart_stem>-<name>.svg` beside it."""
    groups, agents = _sections(stats)
    lines = [f"# {_title(stats)}", "", "```", headline_text(stats), "```", ""]
    for plot in plots(stats):
        lines += [f"![{plot.title}]({chart_file_name(chart_stem, plot)})", ""]
    for heading, rows in ((f"By {stats.by_dimension or 'period'}", groups), ("People", agents)):
        if not rows:
            continue
        columns = list(rows[0])
        lines += [
            f"## {heading}",
            "",
            "| " + " | ".join(columns) + " |",
            "|" + "---|" * len(columns),
        ]
        lines += [
            "| " + " | ".join(str(row[column]).replace("|", "\\|") for column in columns) + " |"
            for row in rows
        ]
        lines.append("")
    return "\n".join(lines)


def render_html(stats: Stats) -> str:
    """The report as one self-contained HTML page, its charts embedded."""
    groups, agents = _sections(stats)
    body = [
        f"<h1>{html.escape(_title(stats))}</h1>",
        f"<pre>{html.escape(headline_text(stats))}</pre>",
    ]
    for plot in plots(stats):
        body.append(f'<p><img alt="{html.escape(plot.title)}" src="{data_uri(plot.svg)}"></p>')
    for heading, rows in ((f"By {stats.by_dimension or 'period'}", groups), ("People", agents)):
        if not rows:
            continue
        columns = list(rows[0])
        body.append(f"<h2>{html.escape(heading)}</h2><table><tr>")
        body.append("".join(f"<th>{html.escape(column)}</th>" for column in columns) + "</tr>")
        for row in rows:
            body.append(
                "<tr>"
                + "".join(f"<td>{html.escape(str(row[column]))}</td>" for column in columns)
                + "</tr>"
            )
        body.append("</table>")
    style = (
        "body{font-family:sans-serif;max-width:60rem;margin:2rem auto}"
        "table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(_title(stats))}</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n"
    )


def write_report(stats: Stats, path: Path) -> tuple[Path, ...]:
    """Write the report to `path` (.html or .md) and, for Markdown, its charts beside it as
    `<stem>-<chart>.svg`, every file readable by its owner only; the paths written."""
    suffix = path.suffix.lower()
    if suffix not in (".html", ".htm", ".md", ".markdown"):
        raise InvalidInput(f"cannot tell the format of {path.name}: name it .html or .md")
    written = [path]
    if suffix in (".md", ".markdown"):
        document = render_markdown(stats, path.stem)
        for plot in plots(stats):
            chart_path = path.with_name(chart_file_name(path.stem, plot))
            with open_private(chart_path) as handle:
                handle.write(plot.svg)
            written.append(chart_path)
    else:
        document = render_html(stats)
    with open_private(path) as handle:
        handle.write(document)
    return tuple(written)
