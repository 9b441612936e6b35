"""Figures as text for people: durations, percentages, the headline lines and table rows.

Shared by the CLI (`inbox stats`), the TUI and the reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inbox.stats.figures import Durations, Figures, Stats


def duration_text(seconds: float | None) -> str:
    """A duration in the two largest units people read at a glance: "3d 4h", "2h 05m", "45s"."""
    if seconds is None:
        return "-"
    whole = round(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def percent_text(share: float | None) -> str:
    """A share as a percentage with one decimal, or "-"."""
    return "-" if share is None else f"{share * 100:.1f}%"


def figures_rows(stats: Stats) -> list[dict[str, Any]]:
    """One flat row per group (or one for the whole period), for tables and CSV."""
    entries: Iterable[tuple[str, Figures]] = (
        [(group.group, group.figures) for group in stats.by]
        if stats.by_dimension
        else [("all", stats.figures)]
    )
    rows = []
    for name, figures in entries:
        rows.append(
            {
                "group": name,
                "first_response_p50_s": figures.first_response.p50_seconds,
                "first_response_p90_s": figures.first_response.p90_seconds,
                "first_response_mean_s": figures.first_response.mean_seconds,
                "first_responses": figures.first_response.count,
                "next_response_p50_s": figures.next_response.p50_seconds,
                "next_responses": figures.next_response.count,
                "resolution_p50_s": figures.resolution.p50_seconds,
                "resolved": figures.resolution.count,
                "sla_hit_rate": figures.sla.hit_rate,
                "sla_breached": figures.sla.breached,
                "backlog": figures.backlog.count,
                "backlog_oldest_s": figures.backlog.oldest_seconds,
                "inbound": figures.inbound,
                "outbound": figures.outbound,
                "negative_share": figures.negative_share,
            }
        )
    return rows


def _durations_line(label: str, durations: Durations) -> str:
    return (
        f"{label:<16}{duration_text(durations.p50_seconds):>10}{duration_text(durations.p90_seconds):>10}"
        f"{duration_text(durations.mean_seconds):>10}{durations.count:>10,}"
    )


def headline_text(stats: Stats) -> str:
    """The headline numbers as a few aligned lines of text."""
    figures = stats.figures
    sla, backlog = figures.sla, figures.backlog
    lines = [
        (
            f"{stats.period.since:%Y-%m-%d %H:%M} to {stats.period.until:%Y-%m-%d %H:%M} UTC · "
            f"scope: {stats.scope}"
        ),
        "",
        f"{'':<16}{'p50':>10}{'p90':>10}{'mean':>10}{'count':>10}",
        _durations_line("first response", figures.first_response),
        _durations_line("next response", figures.next_response),
        _durations_line("resolution", figures.resolution),
        "",
        (
            f"SLA hit rate    {percent_text(sla.hit_rate)} "
            f"({sla.met:,} met, {sla.breached:,} breached, "
            f"{sla.waiting:,} waiting inside their target)"
        ),
        (
            f"backlog now     {backlog.count:,} waiting, "
            f"oldest {duration_text(backlog.oldest_seconds)}, "
            f"p50 age {duration_text(backlog.p50_seconds)}, {backlog.breached:,} past target"
        ),
        (
            f"volume          {figures.inbound:,} in, {figures.outbound:,} out; "
            f"negative {percent_text(figures.negative_share)} of scored inbound"
        ),
    ]
    return "\n".join(lines)


def agent_rows(stats: Stats) -> list[dict[str, Any]]:
    """One row per person for tables."""
    return [
        {
            "agent": agent.handle,
            "threads handled": agent.threads_handled,
            "replies sent": agent.replies_sent,
            "first p50": duration_text(agent.first_response.p50_seconds),
            "first p90": duration_text(agent.first_response.p90_seconds),
            "first responses": agent.first_response.count,
        }
        for agent in stats.agents
    ]
