"""The post-crisis review for people: its sections, plots, Markdown, HTML and threads CSV.

The TUI's review screen shows the same sections (`review_sections`) as the files.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from inbox.core.errors import InvalidInput
from inbox.core.files import open_private
from inbox.core.plurals import counted
from inbox.core.sanitize import CsvWriter
from inbox.crisis.review import Activity
from inbox.reports.charts import Plot, bar_chart_svg, chart_file_name, data_uri, line_chart_svg
from inbox.reports.text import duration_text

if TYPE_CHECKING:
    from inbox.crisis.review import Review
    from inbox.stats.figures import Durations

ACTIVITY_WORDS: dict[Activity, Callable[[int], str]] = {
    Activity.DECLARED: lambda count: "declared the incident",
    Activity.UPDATED: lambda count: (
        "updated the incident" + (f" {counted(count, 'time')}" if count > 1 else "")
    ),
    Activity.STATEMENTS: lambda count: f"sent {counted(count, 'statement')}",
    Activity.ANSWERED: lambda count: f"answered {counted(count, 'thread')}",
    Activity.TOOK: lambda count: f"took {counted(count, 'thread')}",
    Activity.ASSIGNED: lambda count: f"assigned {counted(count, 'thread')}",
    Activity.TAGGED: lambda count: f"tagged {counted(count, 'thread')}",
    Activity.UNTAGGED: lambda count: f"removed tags from {counted(count, 'thread')}",
    Activity.PRIORITY: lambda count: f"changed the priority of {counted(count, 'thread')}",
    Activity.SNOOZED: lambda count: f"snoozed {counted(count, 'thread')}",
    Activity.CLOSED: lambda count: f"closed {counted(count, 'thread')}",
    Activity.REOPENED: lambda count: f"reopened {counted(count, 'thread')}",
    Activity.STATUS: lambda count: f"changed the status of {counted(count, 'thread')}",
    Activity.NOTES: lambda count: f"wrote {counted(count, 'note')}",
    Activity.APPROVED: lambda count: f"approved {counted(count, 'reply', 'replies')}",
    Activity.REJECTED: lambda count: f"rejected {counted(count, 'reply', 'replies')}",
    Activity.WITHDREW: lambda count: f"withdrew {counted(count, 'reply', 'replies')}",
    Activity.PAUSED_POSTS: lambda count: f"paused {counted(count, 'scheduled post')}",
    Activity.RESUMED_POSTS: lambda count: f"resumed {counted(count, 'scheduled post')}",
    Activity.ACKNOWLEDGED: lambda count: f"acknowledged {counted(count, 'alert')}",
    Activity.ENDED: lambda count: "ended the incident",
}
"""How each kind of thing a person did reads, given how many times (or threads, or posts)."""


def activity_text(done: dict[Activity, int]) -> str:
    """What one person did, as a phrase: "declared the incident, sent 2 statements and ..."."""
    phrases = [ACTIVITY_WORDS[kind](count) for kind, count in done.items()]
    if len(phrases) <= 1:
        return "".join(phrases)
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _duration_line(label: str, durations: Durations) -> str:
    if not durations.count:
        return f"{label}: no thread answered"
    return (
        f"{label}: median {duration_text(durations.p50_seconds)}, "
        f"p90 {duration_text(durations.p90_seconds)} ({counted(durations.count, 'thread')})"
    )


def _reach_text(reach: dict[str, dict[str, int]]) -> str:
    return "; ".join(
        f"{channel}: "
        + ", ".join(
            f"{count} {status.replace('_', ' ')}" for status, count in sorted(statuses.items())
        )
        for channel, statuses in reach.items()
    )


def review_sections(review: Review) -> list[tuple[str, list[str], list[dict[str, str]]]]:
    """(heading, lines of text, table rows) for each part of the review, in order: the
    files and the TUI's review screen show the same parts."""
    incident = review.incident
    duration = review.until - incident.started_at
    header = [
        f"Severity {incident.severity}, {incident.scope}, {incident.status}",
        (
            f"From {incident.started_at:%Y-%m-%d %H:%M} to {review.until:%Y-%m-%d %H:%M} UTC "
            f"({duration_text(duration.total_seconds())}), "
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
    volume_text = []
    if review.hours:
        first, last = review.hours[0].start, review.hours[-1].start
        volume_text.append(
            f"Each hour from {first:%Y-%m-%d %H:00} to {last:%H:00} UTC "
            "(the incident, and up to an hour either side)."
        )
    volume = [
        {
            "hour (UTC)": f"{hour.start:%m-%d %H:00}",
            "messages in": str(hour.inbound),
            "on incident threads": str(hour.incident_inbound),
            "negative share": "-" if hour.negative_share is None else f"{hour.negative_share:.0%}",
        }
        for hour in review.hours
    ]
    total = sum(review.outcomes.values())
    outcomes = [
        {"outcome": outcome.value, "threads": str(count)}
        for outcome, count in review.outcomes.items()
    ]
    outcome_text = [f"{counted(total, 'thread')} on the incident, each counted once."]
    people = [
        {"who": handle, "what": activity_text(done)} for handle, done in review.activity.items()
    ]
    statements = [
        {
            "time (UTC)": f"{statement.at:%Y-%m-%d %H:%M}",
            "who": statement.actor,
            "text": statement.text,
            "reach": _reach_text(statement.reach),
        }
        for statement in review.statements
    ]
    return [
        ("Incident", header, []),
        ("Timeline", [], timeline),
        ("First response time", responses, []),
        ("Volume and sentiment per hour", volume_text, volume),
        ("Threads by outcome", outcome_text, outcomes if total else []),
        ("Who did what", [] if people else ["Nobody acted on the incident."], people),
        ("Statements sent", [] if statements else ["None."], statements),
    ]


def review_plots(review: Review) -> list[Plot]:
    """The review's charts: messages in per hour, and the negative share per hour."""
    labels = [f"{hour.start:%H:00}" for hour in review.hours]
    span = (
        f"hour (UTC), {review.hours[0].start:%Y-%m-%d %H:00} to {review.hours[-1].start:%H:00}"
        if review.hours
        else "hour (UTC)"
    )
    volume = bar_chart_svg(
        "Messages in per hour",
        labels,
        [
            ("all", "#3b82f6", [hour.inbound for hour in review.hours]),
            ("incident", "#ef4444", [hour.incident_inbound for hour in review.hours]),
        ],
        x_label=span,
        y_label="messages in",
    )
    negative = line_chart_svg(
        "Share of negative messages per hour",
        labels,
        [
            None if hour.negative_share is None else hour.negative_share * 100
            for hour in review.hours
        ],
        x_label=span,
        y_label="negative share",
        value_text=lambda value: f"{value:.0f}%",
    )
    return [
        Plot("volume", "Messages in per hour", volume),
        Plot("negative", "Negative share per hour", negative),
    ]


def _title(review: Review) -> str:
    return f"Incident {review.incident.id} review: {review.incident.title}"


def render_review_markdown(review: Review, chart_stem: str) -> str:
    """The review as Markdown; its charts are linked as `<chart_stem>-<name>.svg` beside it."""
    lines = [f"# {_title(review)}", ""]
    for heading, text, rows in review_sections(review):
        lines += [f"## {heading}", ""]
        lines += [f"{line}  " for line in text]
        if text:
            lines.append("")
        if heading == "Volume and sentiment per hour":
            lines += [
                f"![{plot.title}]({chart_file_name(chart_stem, plot)})"
                for plot in review_plots(review)
            ]
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
    """The review as one self-contained HTML page, its charts embedded."""
    body = [f"<h1>{html.escape(_title(review))}</h1>"]
    for heading, text, rows in review_sections(review):
        body.append(f"<h2>{html.escape(heading)}</h2>")
        body += [f"<p>{html.escape(line)}</p>" for line in text]
        if heading == "Volume and sentiment per hour":
            body += [
                f'<p><img alt="{html.escape(plot.title)}" src="{data_uri(plot.svg)}"></p>'
                for plot in review_plots(review)
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
    "outcome",
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


@dataclass(frozen=True, slots=True)
class ReviewFiles:
    """The files `write_review` wrote."""

    document: Path
    threads: Path
    """The CSV of the incident's threads."""
    charts: tuple[Path, ...] = ()
    """The charts a Markdown review links to, beside it (an HTML review embeds them)."""


def write_review(review: Review, path: Path) -> ReviewFiles:
    """Write the review to `path` (.html or .md), its threads to `<stem>-threads.csv` and,
    for Markdown, its charts to `<stem>-<chart>.svg`; every file readable by its owner only."""
    suffix = path.suffix.lower()
    if suffix not in (".html", ".htm", ".md", ".markdown"):
        raise InvalidInput(f"cannot tell the format of {path.name}: name it .html or .md")
    charts: list[Path] = []
    if suffix in (".md", ".markdown"):
        document = render_review_markdown(review, path.stem)
        for plot in review_plots(review):
            chart_path = path.with_name(chart_file_name(path.stem, plot))
            with open_private(chart_path) as handle:
                handle.write(plot.svg)
            charts.append(chart_path)
    else:
        document = render_review_html(review)
    with open_private(path) as handle:
        handle.write(document)
    csv_path = path.with_name(f"{path.stem}-threads.csv")
    with open_private(csv_path, newline="") as handle:
        writer = CsvWriter(handle, fieldnames=list(THREAD_CSV_COLUMNS), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(review.threads)
    return ReviewFiles(path, csv_path, tuple(charts))
