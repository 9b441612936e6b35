"""The post-crisis review for people: its sections, plots, Markdown, HTML and threads CSV.

The TUI's review screen shows the same sections (`review_sections`) as the files.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from inbox.core.errors import InvalidInput
from inbox.core.files import open_private
from inbox.core.sanitize import CsvWriter
from inbox.reports.charts import bar_chart_svg, data_uri, line_chart_svg
from inbox.reports.text import duration_text

if TYPE_CHECKING:
    from inbox.crisis.review import Review
    from inbox.stats.figures import Durations


def _duration_line(label: str, durations: Durations) -> str:
    return (
        f"{label}: median {duration_text(durations.p50_seconds)}, "
        f"p90 {duration_text(durations.p90_seconds)} ({durations.count} threads)"
    )


def review_sections(review: Review) -> list[tuple[str, list[str], list[dict[str, str]]]]:
    """(heading, lines of text, table rows) for each part of the review, in order: the
    files and the TUI's review screen show the same parts."""
    incident = review.incident
    duration = review.until - incident.started_at
    header = [
        f"Severity {incident.severity}, {incident.scope}; {incident.status}",
        (
            f"From {incident.started_at:%Y-%m-%d %H:%M} to {review.until:%Y-%m-%d %H:%M} UTC "
            f"({duration.total_seconds() / 3600:.1f} h), "
            f"declared by {incident.declared_by or 'setup'}"
        ),
    ]
    if incident.status_url:
        header.append(f"Status page: {incident.status_url}")
    if incident.holding_statement:
        header.append(f"Holding statement: {incident.holding_statement}")
    timeline = [
        {"time (UTC)": f"{entry.at:%Y-%m-%d %H:%M}", "who": entry.actor, "what": entry.text}
        for entry in review.timeline
    ]
    responses = [
        _duration_line("During the incident (its threads)", review.first_response_during),
        _duration_line("The 30 days before (all threads)", review.first_response_before),
    ]
    volume = [
        {
            "hour (UTC)": f"{hour.start:%m-%d %H:00}",
            "messages in": str(hour.inbound),
            "on incident threads": str(hour.incident_inbound),
            "negative": "-" if hour.negative_share is None else f"{hour.negative_share:.0%}",
        }
        for hour in review.hours
    ]
    outcomes = [{"outcome": name, "threads": str(count)} for name, count in review.outcomes.items()]
    people = [
        {
            "who": handle,
            "what": ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())),
        }
        for handle, kinds in review.activity.items()
    ]
    statements = [
        {
            "time (UTC)": f"{statement.at:%Y-%m-%d %H:%M}",
            "who": statement.actor,
            "text": statement.text,
            "reach": "; ".join(
                f"{channel}: "
                + ", ".join(f"{status} {count}" for status, count in sorted(statuses.items()))
                for channel, statuses in statement.reach.items()
            ),
        }
        for statement in review.statements
    ]
    return [
        ("Incident", header, []),
        ("Timeline", [], timeline),
        ("First response time", responses, []),
        ("Volume and sentiment per hour", [], volume),
        ("Threads by outcome", [], outcomes),
        ("Who did what", [], people),
        ("Statements sent", [] if statements else ["None."], statements),
    ]


def review_plots(review: Review) -> list[tuple[str, str]]:
    """(title, SVG) of the review's plots: volume per hour, negative share per hour."""
    labels = [f"{hour.start:%H:00}" for hour in review.hours]
    volume = bar_chart_svg(
        "Messages in per hour",
        labels,
        [
            ("all", "#3b82f6", [hour.inbound for hour in review.hours]),
            ("incident", "#ef4444", [hour.incident_inbound for hour in review.hours]),
        ],
    )
    negative = line_chart_svg(
        "Share of negative messages per hour",
        labels,
        [
            None if hour.negative_share is None else hour.negative_share * 100
            for hour in review.hours
        ],
        lambda peak: f"{peak:.0f}%",
    )
    return [("Messages per hour", volume), ("Negative share per hour", negative)]


def _title(review: Review) -> str:
    return f"Incident {review.incident.id} review: {review.incident.title}"


def render_review_markdown(review: Review) -> str:
    """The review as Markdown with embedded SVG plots."""
    lines = [f"# {_title(review)}", ""]
    plots = review_plots(review)
    for heading, text, rows in review_sections(review):
        lines += [f"## {heading}", ""]
        lines += [f"{line}  " for line in text]
        if heading == "Volume and sentiment per hour":
            lines += [f"![{title}]({data_uri(svg)})" for title, svg in plots]
            lines.append("")
        if rows:
            columns = list(rows[0])
            lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
            lines += [
                "| "
                + " | ".join(
                    str(row[column]).replace("|", "\\|").replace("\n", " ") for column in columns
                )
                + " |"
                for row in rows
            ]
        lines.append("")
    return "\n".join(lines)


def render_review_html(review: Review) -> str:
    """The review as one self-contained HTML page with embedded SVG plots."""
    body = [f"<h1>{html.escape(_title(review))}</h1>"]
    plots = review_plots(review)
    for heading, text, rows in review_sections(review):
        body.append(f"<h2>{html.escape(heading)}</h2>")
        body += [f"<p>{html.escape(line)}</p>" for line in text]
        if heading == "Volume and sentiment per hour":
            body += [
                f'<p><img alt="{html.escape(title)}" src="{data_uri(svg)}"></p>'
                for title, svg in plots
            ]
        if rows:
            columns = list(rows[0])
            body.append(
                "<table><tr>"
                + "".join(f"<th>{html.escape(column)}</th>" for column in columns)
                + "</tr>"
            )
            body += [
                "<tr>"
                + "".join(f"<td>{html.escape(str(row[column]))}</td>" for column in columns)
                + "</tr>"
                for row in rows
            ]
            body.append("</table>")
    style = (
        "body{font-family:sans-serif;max-width:60rem;margin:2rem auto}"
        "table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(_title(review))}</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n"
    )


THREAD_CSV_COLUMNS = (
    "id",
    "platform",
    "account",
    "kind",
    "status",
    "author",
    "assignee",
    "first_inbound_at",
    "first_response_at",
    "first_response_seconds",
    "closed_at",
    "item_count",
    "sentiment",
    "preview",
)


def write_review(review: Review, path: Path) -> tuple[Path, Path]:
    """Write the review to `path` (.html or .md) and its threads to `<stem>-threads.csv`."""
    renderers = {
        ".html": render_review_html,
        ".htm": render_review_html,
        ".md": render_review_markdown,
        ".markdown": render_review_markdown,
    }
    render = renderers.get(path.suffix.lower())
    if render is None:
        raise InvalidInput(f"cannot tell the format of {path.name}: name it .html or .md")
    document = render(review)
    with open_private(path) as handle:
        handle.write(document)
    csv_path = path.with_name(f"{path.stem}-threads.csv")
    with open_private(csv_path, newline="") as handle:
        writer = CsvWriter(handle, fieldnames=list(THREAD_CSV_COLUMNS), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(review.threads)
    return path, csv_path
