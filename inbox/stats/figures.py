"""The stats as frozen records.

The filters, the figures of a period and of each group, and the breaches.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from inbox.stats.periods import Period


@dataclass(frozen=True, slots=True)
class StatsFilter:
    """Which threads count; an empty tuple means no restriction on that dimension."""

    agents: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    incidents: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Durations:
    """How long something took: percentiles (linear interpolation), mean and count."""

    count: int = 0
    p50_seconds: float | None = None
    p90_seconds: float | None = None
    mean_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class SlaOutcome:
    """First responses against their targets; threads still inside their target are `waiting`."""

    hit_rate: float | None = None
    met: int = 0
    breached: int = 0
    waiting: int = 0


@dataclass(frozen=True, slots=True)
class Backlog:
    """Threads awaiting an answer now, and how long they have waited."""

    count: int = 0
    p50_seconds: float | None = None
    p90_seconds: float | None = None
    mean_seconds: float | None = None
    oldest_seconds: float | None = None
    breached: int = 0


@dataclass(frozen=True, slots=True)
class Figures:
    """The headline numbers of a set of threads and messages."""

    first_response: Durations = field(default_factory=Durations)
    next_response: Durations = field(default_factory=Durations)
    resolution: Durations = field(default_factory=Durations)
    sla: SlaOutcome = field(default_factory=SlaOutcome)
    backlog: Backlog = field(default_factory=Backlog)
    inbound: int = 0
    outbound: int = 0
    negative_share: float | None = None
    """Share of scored inbound messages whose sentiment is negative."""


@dataclass(frozen=True, slots=True)
class GroupFigures:
    """The figures of one group of a `by` breakdown."""

    group: str
    figures: Figures


@dataclass(frozen=True, slots=True)
class AgentWork:
    """What one person did in the period."""

    handle: str
    threads_handled: int
    replies_sent: int
    first_response: Durations


@dataclass(frozen=True, slots=True)
class VolumeBucket:
    """Messages in and out in one hour or day."""

    start: datetime
    inbound: int
    outbound: int


@dataclass(frozen=True, slots=True)
class DailyResponse:
    """First response times of the threads that began on one day."""

    day: date
    first_response: Durations


@dataclass(frozen=True, slots=True)
class Breach:
    """A thread waiting past its SLA target now."""

    thread_id: int
    platform: str
    kind: str
    priority: str
    preview: str
    waiting_since: datetime
    overdue_seconds: float


@dataclass(frozen=True, slots=True)
class Stats:
    """Everything the stats view, the CLI and reports show for one period."""

    period: Period
    scope: str
    figures: Figures
    by_dimension: str | None = None
    by: tuple[GroupFigures, ...] = ()
    agents: tuple[AgentWork, ...] = ()
    hourly: tuple[VolumeBucket, ...] = ()
    daily: tuple[VolumeBucket, ...] = ()
    daily_first_response: tuple[DailyResponse, ...] = ()
    breaches: tuple[Breach, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The stats as plain JSON-ready data; `by` is a list of the figures per group."""
        figures = asdict(self.figures)
        return {
            "since": self.period.since.isoformat(),
            "until": self.period.until.isoformat(),
            "scope": self.scope,
            **figures,
            "by_dimension": self.by_dimension,
            "by": [{"group": group.group, **asdict(group.figures)} for group in self.by],
            "agents": [asdict(agent) for agent in self.agents],
            "daily": [
                {
                    "day": bucket.start.date().isoformat(),
                    "inbound": bucket.inbound,
                    "outbound": bucket.outbound,
                }
                for bucket in self.daily
            ],
            "breaches": [
                {**asdict(breach), "waiting_since": breach.waiting_since.isoformat()}
                for breach in self.breaches
            ],
        }
