"""The incident review screen (`R`): the post-crisis review of one incident, and a key to
write it to a file as `inbox review` does.

The parts are the file's parts (`inbox.reports.review.review_sections`), in the same order: the
incident, the timeline, first response time during the incident against the 30 days
before, volume and sentiment per hour (with charts), threads by outcome (a small bar
chart), who did what, and the statements with their reach per channel. The review is
built in a worker; it is for leads and supervisors, and anyone else is told so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static
from textual.worker import get_current_worker

from inbox import (
    InboxService,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Review,
    for_display,
    review_sections,
    write_review,
)
from tui import bindings
from tui.dialogs.forms import CrisisForm, form_buttons, form_row
from tui.messages import CrisisActionRefused, ReviewLoaded, ReviewWritten
from tui.screen_mixins import WorkerFailures
from tui.widgets.key_bar import KeyBar
from tui.widgets.time_chart import ChartSeries, TimeChart

if TYPE_CHECKING:
    from tui.host import HostApp

BAR_WIDTH = 40
"""Cells of the longest bar in the outcome chart."""


def count_text(value: float) -> str:
    """A count as the value axis shows it."""
    return f"{value:,.0f}"


def bar_chart(counts: Mapping[str, int], width: int = BAR_WIDTH) -> Text:
    """One bar per name, the largest `width` cells long, with its count after it."""
    text = Text()
    peak = max(counts.values(), default=0)
    label_width = max((len(name) for name in counts), default=0)
    for index, (name, count) in enumerate(counts.items()):
        if index:
            text.append("\n")
        cells = round(count / peak * width) if peak else 0
        text.append(f"{name:<{label_width}}  ")
        text.append("█" * cells or "▏", style="bold")
        text.append(f" {count}")
    return text


def _statement_paragraph(row: Mapping[str, str]) -> str:
    reach = f"\nReached {row['reach']}" if row["reach"] else ""
    return f"{row['time (UTC)']} UTC, {row['who']}: {row['text']}{reach}"


PARAGRAPHS: dict[str, Callable[[Mapping[str, str]], str]] = {
    "Who did what": lambda row: f"{row['who']} {row['what']}.",
    "Statements sent": _statement_paragraph,
}
"""Parts whose rows read better as wrapped sentences than as a table that cuts them off."""


class ReviewScreen(WorkerFailures, Screen[None]):
    """The review of an incident: what happened, how fast it was answered, who did what."""

    BINDINGS = bindings.REVIEW

    app: HostApp

    def __init__(self, service: InboxService, incident_id: int | None) -> None:
        super().__init__()
        self.service = service
        self.incident_id = incident_id
        """The incident to review; None for the latest."""
        self.review: Review | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="review-body"):
            yield Static("Building the review…", id="review-loading")
        yield KeyBar()

    def on_mount(self) -> None:
        self.load_review(self.incident_id)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="review",
        description="review: build the review",
    )
    def load_review(self, incident_id: int | None) -> None:
        worker = get_current_worker()
        try:
            if incident_id is None:
                incidents = self.service.incidents()
                if not incidents:
                    raise NotFound(
                        "There is no incident to review yet; "
                        "! opens the crisis screen to declare one."
                    )
                incident_id = incidents[0].id
            review = self.service.incident_review(incident_id)
        except (PermissionDenied, NotFound) as error:
            self.post_message(CrisisActionRefused(str(error)))
            return
        if not worker.is_cancelled:
            self.post_message(ReviewLoaded(review))

    @on(CrisisActionRefused)
    def refused(self, message: CrisisActionRefused) -> None:
        self.query_one("#review-loading", Static).update(Text(message.reason))
        self.notify(message.reason, severity="warning", markup=False)

    @on(ReviewLoaded)
    async def show_review(self, message: ReviewLoaded) -> None:
        review = self.review = message.review
        self.sub_title = f"Review of incident {review.incident.id}"
        body = self.query_one("#review-body", VerticalScroll)
        await body.remove_children()
        await body.mount_all(self._parts(review))
        self.refresh_bindings()

    def _parts(self, review: Review) -> list:
        """The widgets of every part of the review, in the file's order."""
        parts: list = [
            Static(
                Text(f"Incident {review.incident.id}: {for_display(review.incident.title)}"),
                classes="review-heading",
            )
        ]
        for heading, lines, rows in review_sections(review):
            if heading != "Incident":
                parts.append(Static(heading, classes="review-heading"))
            if lines:
                parts.append(Static(Text(for_display("\n".join(lines))), classes="review-text"))
            if heading == "Volume and sentiment per hour":
                parts.append(self._charts(review))
            if heading == "Threads by outcome":
                if rows:
                    parts.append(Static(bar_chart(review.outcomes), classes="review-text"))
            elif heading in PARAGRAPHS and rows:
                text = "\n\n".join(PARAGRAPHS[heading](row) for row in rows)
                parts.append(Static(Text(for_display(text)), classes="review-text"))
            elif rows:
                parts.append(self._table(rows))
        return parts

    def _charts(self, review: Review) -> Horizontal:
        hours = review.hours
        shape = "%H:00" if len({hour.start.date() for hour in hours}) <= 1 else "%b %d %H:00"
        first = f"{hours[0].start:{shape}}" if hours else ""
        last = f"{hours[-1].start:{shape}} UTC" if hours else ""
        charts = (
            ("Messages in per hour", [hour.inbound for hour in hours], count_text),
            ("On incident threads", [hour.incident_inbound for hour in hours], count_text),
            (
                "Negative share per hour",
                [
                    None if hour.negative_share is None else hour.negative_share * 100
                    for hour in hours
                ],
                "{:.0f}%".format,
            ),
        )
        widgets = [
            TimeChart(
                title,
                ChartSeries(values, first, last, value_text=value_text),
                classes="review-chart",
            )
            for title, values, value_text in charts
        ]
        return Horizontal(*widgets, id="review-charts")

    @staticmethod
    def _table(rows: list[dict[str, str]]) -> DataTable:
        table: DataTable = DataTable(cursor_type="row", zebra_stripes=True, show_cursor=False)
        columns = list(rows[0])
        table.add_columns(*columns)
        for row in rows:
            table.add_row(
                *(Text(for_display(str(row[column])).replace("\n", " ")) for column in columns)
            )
        return table

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "write_review":
            return True if self.review is not None else None
        return True

    def action_write_review(self) -> None:
        if self.review is not None:
            self.app.push_screen(WriteReviewForm(self.review), self._written)

    def _written(self, result: ReviewWritten | None) -> None:
        if result is not None:
            self.notify(
                f"Wrote the review to {result.path} and its threads to {result.threads_path}.",
                title="Review written",
                markup=False,
            )

    def action_close(self) -> None:
        self.dismiss()


class WriteReviewForm(CrisisForm):
    """Where to write the review: .html or .md, with its threads in a CSV beside it."""

    def __init__(self, review: Review) -> None:
        super().__init__()
        self.review = review

    def compose(self) -> ComposeResult:
        default = f"incident-{self.review.incident.id}-review.html"
        with Vertical(id="form-body") as body:
            body.border_title = f"Write the review of incident {self.review.incident.id}"
            body.border_subtitle = "ctrl+s writes · escape cancels"
            yield form_row("File", Input(default, id="path", compact=True))
            yield Static(
                Text(
                    "Name it .html (one file) or .md (its charts as .svg files beside it); "
                    "the threads go to a CSV beside it. "
                    f"Relative to {Path.cwd()}."
                ),
                id="form-problems",
            )
            yield form_buttons("Write")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Input.Submitted, "#path")
    def path_submitted(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        if self.busy:
            return
        text = self.query_one("#path", Input).value.strip()
        if not text:
            self.show_problem("Give a file name, such as review.html or review.md.")
            return
        self.hold()
        self.write(Path(text).expanduser())

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="write",
        description="review: write the file",
    )
    def write(self, path: Path) -> None:
        try:
            written = write_review(self.review, path)
        except InvalidInput as error:
            self.post_message(CrisisActionRefused(str(error)))
            return
        except OSError as error:
            self.post_message(
                CrisisActionRefused(f"Could not write {path}: {error.strerror or error}")
            )
            return
        self.post_message(
            ReviewWritten(str(written.document.resolve()), str(written.threads.resolve()))
        )

    @on(ReviewWritten)
    def written(self, message: ReviewWritten) -> None:
        self.dismiss(message)
