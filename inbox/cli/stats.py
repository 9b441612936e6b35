"""`inbox stats` and `inbox report`: response times, SLA, backlog and volume for a period."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from inbox.cli import with_format

if TYPE_CHECKING:
    from inbox.cli.main import Context
    from inbox.stats.figures import Stats

DIMENSIONS = ("agent", "account", "platform", "kind", "tag", "priority", "incident")


def register(commands: Any) -> None:
    """Add `stats` and `report` to the CLI."""
    stats = commands.add_parser(
        "stats",
        help="response times, SLA, backlog and volume for a period",
        description=(
            "First and next response times, resolution time, SLA hit rate, the backlog now, "
            "messages in and out and the negative share for a period. Supervisors see "
            "everything, leads their team, agents their own threads and replies."
        ),
    )
    _period_arguments(stats)
    with_format(stats)
    stats.set_defaults(handler=cmd_stats)

    report = commands.add_parser(
        "report",
        help="write a period's numbers with plots to an HTML or Markdown file",
        description=(
            "Write the period's headline numbers, a breakdown, the busiest people, volume "
            "and first-response plots (embedded SVG images) to FILE; .html or .md picks the format."
        ),
    )
    _period_arguments(report, default_by="platform")
    report.add_argument("--out", required=True, metavar="FILE", help="report.html or report.md")
    report.set_defaults(handler=cmd_report)


def _period_arguments(parser: argparse.ArgumentParser, default_by: str | None = None) -> None:
    parser.add_argument(
        "--since",
        default="7d",
        metavar="WHEN",
        help="start: 7d, 12h, 2w, or a date like 2026-11-01 (default: 7d)",
    )
    parser.add_argument("--until", metavar="WHEN", help="end, in the same forms (default: now)")
    parser.add_argument(
        "--by", choices=DIMENSIONS, default=default_by, help="break the numbers down by this"
    )
    for name, what in (
        ("agent", "a person's handle"),
        ("account", "an account id or handle"),
        ("platform", "a platform, as the TUI shows it (mastodon is the demo's too)"),
        ("kind", "comment, dm or mention"),
        ("tag", "a tag"),
        ("priority", "low, normal, high or urgent"),
    ):
        parser.add_argument(
            f"--{name}",
            action="append",
            default=[],
            metavar=name.upper(),
            help=f"only threads of {what} (repeatable)",
        )
    parser.add_argument(
        "--incident",
        action="append",
        type=int,
        default=[],
        metavar="ID",
        help="only threads of this incident (repeatable)",
    )


def compute_for(context: Context) -> Stats:
    """The stats the command line asked for, as the acting person may see them."""
    from inbox.cli.main import resolve_platforms
    from inbox.stats.compute import compute
    from inbox.stats.figures import StatsFilter
    from inbox.stats.periods import parse_period

    options = context.options
    service = context.service(create=False)
    period = parse_period(options.since, options.until, service.clock())
    filters = StatsFilter(
        agents=tuple(options.agent),
        accounts=tuple(options.account),
        platforms=resolve_platforms(service, options.platform),
        kinds=tuple(options.kind),
        tags=tuple(options.tag),
        priorities=tuple(options.priority),
        incidents=tuple(options.incident),
    )
    return compute(
        service.engine,
        service.actor,
        service.clock,
        period,
        by=options.by,
        filters=filters,
        agents=True,
        breaches=True,
    )


def cmd_stats(context: Context) -> int:
    from inbox.cli.main import emit
    from inbox.reports.text import (
        agent_rows,
        duration_text,
        figures_rows,
        headline_text,
        percent_text,
    )

    stats = compute_for(context)
    output_format = context.options.format
    if output_format == "json":
        from inbox.core.sanitize import json_text

        sys.stdout.write(json_text(stats.as_dict(), indent=2) + "\n")
        return 0
    rows = figures_rows(stats)
    if output_format == "csv":
        emit(rows, list(rows[0]), "csv")
        return 0
    print(headline_text(stats))
    if stats.by_dimension:
        print()
        table = [
            {
                stats.by_dimension: row["group"],
                "first p50": duration_text(row["first_response_p50_s"]),
                "first p90": duration_text(row["first_response_p90_s"]),
                "answered": row["first_responses"],
                "next p50": duration_text(row["next_response_p50_s"]),
                "resolution p50": duration_text(row["resolution_p50_s"]),
                "sla": percent_text(row["sla_hit_rate"]),
                "backlog": row["backlog"],
                "in": row["inbound"],
                "out": row["outbound"],
                "negative": percent_text(row["negative_share"]),
            }
            for row in rows
        ]
        emit(table, list(table[0]), "table")
    if stats.by_dimension == "agent" and stats.agents:
        print()
        emit(
            agent_rows(stats),
            [
                "agent",
                "threads handled",
                "replies sent",
                "first p50",
                "first p90",
                "first responses",
            ],
            "table",
        )
    return 0


def cmd_report(context: Context) -> int:
    from pathlib import Path

    from inbox.core.errors import InvalidInput
    from inbox.reports.stats_report import write_report

    path = Path(context.options.out).expanduser()
    if path.suffix.lower() not in (".html", ".htm", ".md", ".markdown"):
        raise InvalidInput(f"cannot tell the format of {path.name}: name it .html or .md")
    stats = compute_for(context)
    document, *charts = write_report(stats, path)
    print(
        f"wrote the report for {stats.period.since:%Y-%m-%d %H:%M} "
        f"to {stats.period.until:%Y-%m-%d %H:%M} UTC to {document}"
    )
    if charts:
        print(f"its charts, beside it: {', '.join(chart.name for chart in charts)}")
    return 0
