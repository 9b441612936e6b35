"""The stats screen: headline tiles, volume and first-response charts, per-person and
per-channel tables, and the threads past their SLA target, refreshed live.

The numbers come from `InboxService.stats` in a worker; a burst of events while one is
being computed leads to one more computation when it ends, not one per poll.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static
from textual.worker import get_current_worker

from inbox import (
    InboxService,
    SlaPolicy,
    Stats,
    channel_name,
    counted,
    duration_text,
    parse_period,
    percent_text,
)
from tui import bindings
from tui.messages import EventsArrived, StatsLoaded
from tui.screen_mixins import WorkerFailures
from tui.widgets.key_bar import KeyBar
from tui.widgets.time_chart import ChartSeries, TimeChart

if TYPE_CHECKING:
    from tui.host import HostApp

PERIODS = (1, 7, 30)
"""Days the period key cycles through."""

TILES = (
    ("first-p50", "First response p50"),
    ("first-p90", "First response p90"),
    ("sla", "SLA hit rate"),
    ("backlog", "Waiting now"),
    ("oldest", "Oldest waiting"),
    ("next-p50", "Next response p50"),
    ("resolution-p50", "Resolution p50"),
    ("negative", "Negative"),
)


def platform_name(platform: str) -> str:
    """How a platform is named to people ("X (demo)"); its own name if no adapter knows it."""
    name = channel_name(platform)
    return platform.removeprefix("demo-") if name == platform else name


def volume_series(stats: Stats) -> ChartSeries | None:
    """Messages in per hour over the period, for the volume chart."""
    if not stats.hourly:
        return None
    return ChartSeries(
        [bucket.inbound for bucket in stats.hourly],
        f"{stats.hourly[0].start:%b %d %H:00}",
        f"{stats.hourly[-1].start:%b %d %H:00} UTC",
    )


def first_response_series(stats: Stats) -> ChartSeries | None:
    """The median first response of the threads begun each day, a gap on days with none."""
    if not stats.daily:
        return None
    by_day = {entry.day: entry.first_response.p50_seconds for entry in stats.daily_first_response}
    return ChartSeries(
        [by_day.get(bucket.start.date()) for bucket in stats.daily],
        f"{stats.daily[0].start:%b %d}",
        f"{stats.daily[-1].start:%b %d}",
        value_text=duration_text,
    )


def tile_values(stats: Stats) -> dict[str, str]:
    """The text of each headline tile."""
    figures = stats.figures
    return {
        "first-p50": duration_text(figures.first_response.p50_seconds),
        "first-p90": duration_text(figures.first_response.p90_seconds),
        "sla": percent_text(figures.sla.hit_rate),
        "backlog": f"{figures.backlog.count:,} ({figures.backlog.breached:,} late)",
        "oldest": duration_text(figures.backlog.oldest_seconds),
        "next-p50": duration_text(figures.next_response.p50_seconds),
        "resolution-p50": duration_text(figures.resolution.p50_seconds),
        "negative": percent_text(figures.negative_share),
    }


class StatsScreen(WorkerFailures, Screen[None]):
    """Response times, SLA, backlog and volume for leads and supervisors."""

    BINDINGS = bindings.STATS

    app: HostApp

    def __init__(
        self, service: InboxService, policy: SlaPolicy | None = None, days: int = 7
    ) -> None:
        super().__init__()
        self.service = service
        self.policy = policy
        """None: the team's SLA policy, as the database holds it at each computation."""
        self.days = days
        self.stats: Stats | None = None
        self._stale = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading…", id="stats-period")
        with Grid(id="tiles"):
            for tile_id, label in TILES:
                with Vertical(classes="tile"):
                    yield Static(label, classes="tile-label")
                    yield Static("-", id=f"tile-{tile_id}", classes="tile-value")
        with Horizontal(id="charts"):
            yield TimeChart("Messages in per hour", id="volume-chart")
            yield TimeChart("First response, median per day", id="first-response-chart")
        with Horizontal(id="tables"):
            yield DataTable(id="agents", cursor_type="row", zebra_stripes=True)
            yield DataTable(id="channels", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="breaches", cursor_type="row")
        yield KeyBar()

    def on_mount(self) -> None:
        agents = self.query_one("#agents", DataTable)
        agents.border_title = "People"
        agents.add_columns("person", "threads", "replies", "first p50", "first p90")
        channels = self.query_one("#channels", DataTable)
        channels.border_title = "Channels"
        channels.add_columns("platform", "in", "out", "first p50", "SLA", "waiting")
        breaches = self.query_one("#breaches", DataTable)
        breaches.border_title = "Past their SLA target"
        breaches.add_columns("thread", "platform", "kind", "overdue", "message")
        breaches.focus()
        self.load_stats(self.days)
        self.app.inbox_changed.subscribe(self, self.inbox_changed)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="stats",
        description="stats: compute the numbers",
    )
    def load_stats(self, days: int) -> None:
        """Compute the period's numbers, by platform, with people and breaches."""
        worker = get_current_worker()
        period = parse_period(f"{days}d", None, self.service.clock())
        stats = self.service.stats(
            period,
            by="platform",
            policy=self.policy,
            agents=True,
            breaches=True,
        )
        if not worker.is_cancelled:
            self.post_message(StatsLoaded(stats, days))

    @on(StatsLoaded)
    def show_stats(self, message: StatsLoaded) -> None:
        if message.days != self.days:
            return
        stats = self.stats = message.stats
        scope = "" if stats.scope == "all" else f" · {stats.scope}"
        self.query_one("#stats-period", Static).update(
            f"Last {counted(self.days, 'day')}: {stats.period.since:%Y-%m-%d %H:%M} to "
            f"{stats.period.until:%Y-%m-%d %H:%M} UTC{scope} · p changes the period"
        )
        for tile_id, text in tile_values(stats).items():
            self.query_one(f"#tile-{tile_id}", Static).update(text)
        self.query_one("#volume-chart", TimeChart).show(volume_series(stats))
        self.query_one("#first-response-chart", TimeChart).show(first_response_series(stats))
        agents = self.query_one("#agents", DataTable)
        agents.clear()
        for agent in stats.agents:
            agents.add_row(
                agent.handle,
                f"{agent.threads_handled:,}",
                f"{agent.replies_sent:,}",
                duration_text(agent.first_response.p50_seconds),
                duration_text(agent.first_response.p90_seconds),
            )
        channels = self.query_one("#channels", DataTable)
        channels.clear()
        for group in stats.by:
            figures = group.figures
            channels.add_row(
                platform_name(group.group),
                f"{figures.inbound:,}",
                f"{figures.outbound:,}",
                duration_text(figures.first_response.p50_seconds),
                percent_text(figures.sla.hit_rate),
                f"{figures.backlog.count:,}",
            )
        breaches = self.query_one("#breaches", DataTable)
        breaches.clear()
        for breach in stats.breaches:
            breaches.add_row(
                f"#{breach.thread_id}",
                platform_name(breach.platform),
                breach.kind,
                duration_text(breach.overdue_seconds),
                breach.preview,
                key=str(breach.thread_id),
            )
        if self._stale:
            self._stale = False
            self.load_stats(self.days)

    def inbox_changed(self, message: EventsArrived) -> None:
        """Recompute once the running computation (if any) is done."""
        if any(worker.group == "stats" and worker.is_running for worker in self.workers):
            self._stale = True
        else:
            self.load_stats(self.days)

    def action_period(self) -> None:
        self.days = (
            PERIODS[(PERIODS.index(self.days) + 1) % len(PERIODS)] if self.days in PERIODS else 7
        )
        self.query_one("#stats-period", Static).update("Loading…")
        self.load_stats(self.days)

    def action_refresh(self) -> None:
        self.load_stats(self.days)

    def action_open_breach(self) -> None:
        breaches = self.query_one("#breaches", DataTable)
        if breaches.row_count:
            row_key = breaches.coordinate_to_cell_key(breaches.cursor_coordinate).row_key
            self._open(int(row_key.value))

    @on(DataTable.RowSelected, "#breaches")
    def breach_selected(self, message: DataTable.RowSelected) -> None:
        self._open(int(message.row_key.value))

    def _open(self, thread_id: int) -> None:
        self.dismiss()
        self.app.call_later(self.app.open_thread_by_id, thread_id)

    def action_close(self) -> None:
        self.dismiss()
