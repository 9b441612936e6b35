"""The scheduled posts screen (`P`): list, add, edit, cancel and resume scheduled posts.

Posts go out through the outbox when their time comes (the sender publishes them), unless
paused or cancelled. Declaring an incident pauses them all with the incident as the
reason; they stay paused until a lead resumes them here, one (`u`) or all (`U`). A paused
post shows why; a posted one shows how its outgoing message is doing. Everyone can read
the list; leads change it, and anyone else is told so.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Select, Static, TextArea
from textual.worker import get_current_worker

from inbox import (
    PAUSED,
    SCHEDULED,
    AccountSummary,
    Action,
    InboxService,
    PostRow,
    channel_name,
    describe,
    first_line,
    for_display,
    parse_when,
    when_examples,
)
from tui import bindings
from tui.dialogs.forms import (
    REFUSED,
    ConfirmForm,
    CrisisForm,
    form_buttons,
    form_row,
    refuse_unless_allowed,
)
from tui.messages import CrisisActionRefused, EventsArrived, PostsChanged, PostsLoaded
from tui.screen_mixins import WorkerFailures
from tui.widgets.key_bar import KeyBar
from tui.widgets.labels import local_time_label

if TYPE_CHECKING:
    from tui.host import HostApp

POST_EVENTS = ("post.", "posts.", "outbound.", "incident.")
"""Events after which the list is read again."""

POST_COLUMNS = ("#", "when", "status", "account", "text", "why paused")


def status_label(post: PostRow) -> str:
    """The post's status, with its outgoing message's once it is posted."""
    if post.status == "posted" and post.outbound_status:
        return f"posted · {post.outbound_status.replace('_', ' ')}"
    return post.status


def resume_summary(
    resumed: list[int], posts: list[PostRow], now: datetime, incident_active: bool
) -> str:
    """What resuming did, and what that means: posts past their time go out at once."""
    if not resumed:
        return "No post was paused."
    overdue = sum(1 for post in posts if post.id in resumed and post.scheduled_at <= now)
    words = f"Resumed {len(resumed)} post{'s' if len(resumed) != 1 else ''}."
    if overdue:
        words += (
            f" {overdue} past {'its' if overdue == 1 else 'their'} time "
            f"go{'es' if overdue == 1 else ''} out with the next send."
        )
    if incident_active:
        words += " An incident is still active: they go out anyway."
    return words


class PostsScreen(WorkerFailures, Screen[None]):
    """Every scheduled post, soonest first, and what a lead can do with them."""

    BINDINGS = bindings.POSTS

    app: HostApp

    def __init__(self, service: InboxService) -> None:
        super().__init__()
        self.service = service
        self.posts: list[PostRow] = []
        self.accounts: list[AccountSummary] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "Posts go out through the outbox when their time comes. Declaring an incident pauses "
            "them all; they wait for a lead to resume them: u this one, U all.",
            id="posts-note",
        )
        yield DataTable(id="posts", cursor_type="row", zebra_stripes=True)
        yield Static(id="post-detail")
        yield KeyBar()

    @property
    def table(self) -> DataTable:
        return self.query_one("#posts", DataTable)

    def on_mount(self) -> None:
        self.table.border_title = "Scheduled posts"
        self.table.focus()
        self.query_one("#post-detail", Static).display = False
        self.load_posts()
        self.app.inbox_changed.subscribe(self, self.inbox_changed)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="posts",
        description="posts: read the scheduled posts",
    )
    def load_posts(self) -> None:
        posts = self.service.scheduled_posts()
        accounts = self.service.list_accounts()
        if not get_current_worker().is_cancelled:
            self.post_message(PostsLoaded(posts, accounts))

    def inbox_changed(self, message: EventsArrived) -> None:
        if any(kind.startswith(POST_EVENTS) for kind in message.event_types):
            self.load_posts()

    @on(PostsLoaded)
    def show_posts(self, message: PostsLoaded) -> None:
        keep = self.selected
        self.posts, self.accounts = list(message.posts), list(message.accounts)
        table = self.table
        table.clear(columns=True)  # columns again: a cleared table keeps its old widths
        table.add_columns(*POST_COLUMNS)
        now = self.service.clock()
        for post in self.posts:
            table.add_row(
                str(post.id),
                local_time_label(post.scheduled_at, now),
                status_label(post),
                Text(f"{channel_name(post.platform)} {first_line(post.account_handle, 40)}"),
                Text(first_line(post.text, 40)),
                Text(first_line(post.paused_reason, 60)) if post.paused_reason else "",
                key=str(post.id),
            )
        table.border_subtitle = (
            f"{len(self.posts)} posts" if self.posts else "none: a schedules one"
        )
        if keep is not None and keep.id in {post.id for post in self.posts}:
            table.move_cursor(row=table.get_row_index(str(keep.id)))
        self._show_detail()
        self.refresh_bindings()

    @property
    def selected(self) -> PostRow | None:
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((post for post in self.posts if str(post.id) == key), None)

    @on(DataTable.RowHighlighted, "#posts")
    def highlighted(self) -> None:
        self._show_detail()
        self.refresh_bindings()

    def _show_detail(self) -> None:
        detail = self.query_one("#post-detail", Static)
        post = self.selected
        detail.display = post is not None
        if post is None:
            return
        detail.border_title = (
            f"Post {post.id} · {describe(post.scheduled_at)} · by {post.created_by or 'setup'}"
        )
        text = Text(for_display(post.text).rstrip())
        if post.paused_reason:
            text.append(f"\nPaused: {first_line(post.paused_reason, 300)}", style="bold")
        detail.update(text)

    @on(CrisisActionRefused)
    def say_refused(self, message: CrisisActionRefused) -> None:
        self.notify(message.reason, severity="warning", markup=False)

    @on(PostsChanged)
    def changed(self, message: PostsChanged) -> None:
        self.notify(message.summary, markup=False)
        self.load_posts()

    # -- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim what does not apply to the highlighted post."""
        post = self.selected
        if action in ("edit_post", "cancel_post"):
            return True if post is not None and post.status in (SCHEDULED, PAUSED) else None
        if action == "resume_post":
            return True if post is not None and post.status == PAUSED else None
        if action == "resume_all":
            return True if any(entry.status == PAUSED for entry in self.posts) else None
        return True

    def action_add_post(self) -> None:
        if refuse_unless_allowed(self, self.service, Action.APPROVE):
            return
        self.app.push_screen(PostForm(self.service, self.accounts, None), self._saved)

    def action_edit_post(self) -> None:
        post = self.selected
        if post is None or refuse_unless_allowed(self, self.service, Action.APPROVE):
            return
        self.app.push_screen(PostForm(self.service, self.accounts, post), self._saved)

    def _saved(self, result: PostsChanged | None) -> None:
        if result is not None:
            self.changed(result)

    def action_cancel_post(self) -> None:
        post = self.selected
        if post is None or refuse_unless_allowed(self, self.service, Action.APPROVE):
            return
        question = f"Withdraw post {post.id} on {post.account_handle}? It will not be published."
        self.app.push_screen(
            ConfirmForm("Cancel the post", question, "Withdraw it"),
            lambda yes: yes and self.cancel_post(post.id),
        )

    @work(
        thread=True, exit_on_error=False, group="post-change", description="posts: cancel the post"
    )
    def cancel_post(self, post_id: int) -> None:
        try:
            self.service.cancel_post(post_id)
        except REFUSED as error:
            self.post_message(CrisisActionRefused(str(error)))
            return
        self.post_message(PostsChanged(f"Post {post_id} is cancelled."))

    def action_resume_post(self) -> None:
        post = self.selected
        if post is None or refuse_unless_allowed(self, self.service, Action.DECLARE_INCIDENT):
            return
        self.resume([post.id])

    def action_resume_all(self) -> None:
        if refuse_unless_allowed(self, self.service, Action.DECLARE_INCIDENT):
            return
        paused = [post for post in self.posts if post.status == PAUSED]
        now = self.service.clock()
        late = sum(1 for post in paused if post.scheduled_at <= now)
        question = f"Resume all {len(paused)} paused posts?"
        if late:
            question += f" {late} of them are past their time and go out at once."
        self.app.push_screen(
            ConfirmForm("Resume every paused post", question, "Resume all"),
            lambda yes: yes and self.resume(None),
        )

    @work(thread=True, exit_on_error=False, group="post-change", description="posts: resume posts")
    def resume(self, post_ids: list[int] | None) -> None:
        try:
            resumed = self.service.resume_posts(post_ids)
            posts = self.service.scheduled_posts()
            active = self.service.crisis_status() is not None
        except REFUSED as error:
            self.post_message(CrisisActionRefused(str(error)))
            return
        self.post_message(
            PostsChanged(resume_summary(resumed, posts, self.service.clock(), active))
        )

    def action_close(self) -> None:
        self.dismiss()


class PostForm(CrisisForm):
    """Schedule a post, or change one's text or time."""

    def __init__(
        self, service: InboxService, accounts: list[AccountSummary], post: PostRow | None
    ) -> None:
        super().__init__()
        self.service = service
        self.accounts = [account for account in accounts if account.enabled]
        self.post = post
        self.initial_when = (
            post.scheduled_at.astimezone().strftime("%Y-%m-%d %H:%M") if post else ""
        )
        self.when_examples = when_examples(service.clock())
        """What to type, with an example date two weeks ahead."""

    def compose(self) -> ComposeResult:
        post = self.post
        options = [
            (Text(f"{channel_name(account.platform)} {first_line(account.handle, 60)}"), account.id)
            for account in self.accounts
        ]
        with VerticalScroll(id="form-body") as body:
            body.border_title = f"Edit post {post.id}" if post else "Schedule a post"
            body.border_subtitle = "ctrl+s saves · escape cancels"
            account = Select(
                options,
                prompt="pick an account",
                id="account",
                value=post.account_id if post else Select.NULL,
                compact=True,
            )
            account.disabled = post is not None
            yield form_row("Account", account)
            when = Input(self.initial_when, placeholder=self.when_examples, id="when", compact=True)
            yield form_row("When", when)
            yield form_row("Text", TextArea(post.text if post else "", id="text", compact=True))
            yield Static(f"When: {self.when_examples}, in your time zone.", id="form-problems")
            yield form_buttons("Save" if post else "Schedule")

    def on_mount(self) -> None:
        self.query_one("#text" if self.post else "#account").focus()

    @on(Input.Changed, "#when")
    def when_changed(self, message: Input.Changed) -> None:
        try:
            moment = (
                parse_when(message.value, self.service.clock()) if message.value.strip() else None
            )
        except REFUSED as error:
            self.show_problem(str(error))
            return
        if moment is None:
            self.show_problem(f"When: {self.when_examples}.", problem=False)
            return
        paused = self.post is not None and self.post.status == PAUSED
        self.show_problem(
            f"Goes out {describe(moment)}{' once resumed' if paused else ''}.", problem=False
        )

    def action_submit(self) -> None:
        if self.busy:
            return
        when = self.query_one("#when", Input).value.strip()
        text = self.query_one("#text", TextArea).text
        account = self.query_one("#account", Select).value
        if self.post is None and account == Select.NULL:
            self.show_problem("Pick the account to post on.")
            return
        if not when:
            self.show_problem(f"Say when it goes out: {self.when_examples}.")
            return
        moment = None
        if self.post is None or when != self.initial_when:
            try:
                moment = parse_when(when, self.service.clock())
            except REFUSED as error:
                self.show_problem(str(error))
                return
        self.hold()
        self.save(account, text, moment)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="save",
        description="posts: save the post",
    )
    def save(self, account_id: object, text: str, moment: datetime | None) -> None:
        try:
            if self.post is None:
                post = self.service.schedule_post(
                    int(str(account_id)), text, moment or self.service.clock()
                )
                reason = f", paused: {post.paused_reason}" if post.paused_reason else ""
                summary = f"Post {post.id} scheduled for {describe(post.scheduled_at)}{reason}."
            else:
                changed_text = text if text != self.post.text else None
                if changed_text is None and moment is None:
                    self.post_message(
                        CrisisActionRefused("Nothing changed: edit the text or the time.")
                    )
                    return
                post = self.service.edit_post(self.post.id, text=changed_text, scheduled_at=moment)
                summary = f"Post {post.id} changed: {post.status}, {describe(post.scheduled_at)}."
        except REFUSED as error:
            self.post_message(CrisisActionRefused(str(error)))
            return
        self.post_message(PostsChanged(summary))

    @on(PostsChanged)
    def saved(self, message: PostsChanged) -> None:
        self.dismiss(message)
