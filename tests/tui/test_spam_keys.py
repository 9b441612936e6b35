"""The spam, block and hide keys, the Spam view, acknowledgements in a conversation, and the
acknowledgement rules form, driven with Pilot and checked as a person sees them."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import Checkbox, Input

from canned_responses.library import STARTER_DIRECTORY
from inbox.core.config import Config
from inbox.outbox.acknowledgements import AcknowledgementPass
from inbox.outbox.sender import Sender
from inbox.runtime import adapter_factory
from inbox.service import InboxService
from inbox.store.ingest import Store
from inbox.triage.lists import View
from tests.tui.conftest import settled, wait_for
from tests.tui.test_inbox_screen import list_line
from tests.tui.workspace import add_people, build_workspace, message
from tui.app import InboxApp
from tui.dialogs.acknowledgement_rules import AcknowledgementRulesForm
from tui.dialogs.comment_picker import CommentPicker
from tui.dialogs.forms import ConfirmForm
from tui.screens.thread import ThreadScreen

X_ROW = 3
"""The first thread on demo X in the standard workspace (the list's fourth row)."""


@pytest.fixture
def make_spam_app(sqlite_engine, clock):
    """An app on the standard workspace with the starter answers; `actor` runs it."""

    def make(threads: int = 10, *, actor: str = "alice"):
        workspace = build_workspace(sqlite_engine, clock(), threads)
        add_people(InboxService(sqlite_engine, clock=clock))
        InboxService(sqlite_engine, actor="alice", clock=clock).import_canned(STARTER_DIRECTORY)
        service = InboxService(sqlite_engine, actor=actor, clock=clock)
        return InboxApp(service, config=Config(), sync=False, poll_seconds=0.05), workspace

    return make


def notifications(app) -> list[str]:
    return [notification.message for notification in app._notifications]


async def notified(pilot, text: str) -> None:
    def shown() -> bool:
        return any(text in note for note in notifications(pilot.app))

    shown.__doc__ = f"a notification saying {text!r}"
    await wait_for(pilot, shown)


def listed_ids(screen) -> list[int]:
    return [row.id for row in screen.thread_list.rows]


async def show_view(pilot, view: View) -> None:
    screen = pilot.app.screen
    screen.action_show_view(view.value)
    await wait_for(pilot, lambda: screen.query_shown.view == view and screen.thread_list.loaded)


async def send_everything(app: InboxApp) -> None:
    """What a worker does: send (and hide) what the outbox holds."""
    sender = Sender(app.service.engine, adapter_factory(None), clock=app.service.clock)
    await sender.send_once(None)


async def test_x_marks_spam_the_spam_view_lists_it_and_x_there_says_it_is_not(make_spam_app):
    app, _ = make_spam_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        spam = screen.thread_list.selected.id

        await pilot.press("x")

        await notified(pilot, "Marked the thread as spam.")
        await wait_for(pilot, lambda: spam not in listed_ids(screen))
        assert "Spam" in screen.view_bar.plain_text
        await show_view(pilot, View.SPAM)
        assert listed_ids(screen) == [spam]
        assert "Spam: 1 thread" in screen.status_line.plain_text
        await show_view(pilot, View.CLOSED)
        assert listed_ids(screen) == []
        assert "No closed threads." in list_line(screen, 0)

        await show_view(pilot, View.SPAM)
        await pilot.press("x")
        await notified(pilot, "Reopened the thread: not spam.")
        await wait_for(pilot, lambda: listed_ids(screen) == [])
        assert "Nothing is marked spam. x marks a thread; X blocks its author." in list_line(
            screen, 0
        )


async def test_x_on_marked_threads_marks_them_all(make_spam_app):
    app, _ = make_spam_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        await pilot.press("space", "space", "space", "x")
        await notified(pilot, "Marked 3 threads as spam.")
        assert app.service.count_threads(replace(screen.query_shown, view=View.SPAM)) == 3


async def test_capital_x_asks_before_blocking_and_a_blocked_authors_news_stay_out(
    make_spam_app, sqlite_engine, clock
):
    app, workspace = make_spam_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        thread = screen.thread_list.selected

        await pilot.press("X")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmForm))
        question = str(app.screen.query_one("#form-problems").render())
        assert question.startswith("Block this thread's author? The thread is marked spam")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert app.service.thread(thread.id).spam_at is None, "escape blocks nobody"

        await pilot.press("X")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmForm))
        await pilot.press("ctrl+s")
        await notified(pilot, "Blocked the author of the thread; marked spam.")

        account = workspace.accounts[0]
        Store(sqlite_engine, clock).ingest(
            account,
            "mentions",
            [message("later", "a-new-one", clock(), "spam spam spam", author="carol")],
            None,
        )
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.thread_list.loaded)
        assert all(row.author != "@carol" for row in screen.thread_list.rows)

        await show_view(pilot, View.SPAM)
        assert {row.author for row in screen.thread_list.rows} == {"@carol"}
        await pilot.press("X")
        await notified(pilot, "Unblocked the author of the thread.")


async def test_capital_h_hides_a_comment_and_the_conversation_says_so(make_spam_app):
    app, _ = make_spam_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        screen = app.screen
        for _ in range(X_ROW):
            await pilot.press("j")
        assert screen.thread_list.selected.platform == "demo-x"

        await pilot.press("H")
        await wait_for(pilot, lambda: isinstance(app.screen, CommentPicker))
        picker = app.screen
        await wait_for(pilot, lambda: picker.comments != [])
        assert "@frank: Still waiting for a refund" in str(
            picker.query_one("#comments").get_option_at_index(0).prompt
        )
        await pilot.press("enter")
        await notified(pilot, "Hiding a comment of the thread on its platform.")
        await send_everything(app)

        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ThreadScreen))
        thread_screen = app.screen
        await wait_for(
            pilot, lambda: "hidden on the platform" in thread_screen.conversation.plain_text
        )
        assert "@frank · hidden on the platform" in thread_screen.conversation.plain_text

        await pilot.press("H")
        await wait_for(pilot, lambda: isinstance(app.screen, CommentPicker))
        picker = app.screen
        await wait_for(pilot, lambda: picker.comments != [])
        assert str(picker.query_one("#comments").get_option_at_index(0).prompt).startswith(
            "hidden · @frank"
        )
        await pilot.press("enter")
        await notified(pilot, "Showing a comment of the thread again.")


async def test_capital_h_where_the_platform_cannot_hide_says_so(make_spam_app):
    app, _ = make_spam_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        assert app.screen.thread_list.selected.platform == "demo-mastodon"
        await pilot.press("H")
        await notified(pilot, "Mastodon (demo) does not let the inbox hide comments.")
        assert not isinstance(app.screen, CommentPicker)


async def test_the_thread_screen_keys_and_an_acknowledgement_sent_by_the_inbox(
    make_spam_app, sqlite_engine, clock
):
    app, workspace = make_spam_app()
    lead = InboxService(sqlite_engine, actor="alice", clock=clock)
    lead.set_acknowledgement_rules(replace(lead.acknowledgement_rules(), enabled=True))
    Store(sqlite_engine, clock).ingest(
        workspace.accounts[3],
        "dms",
        [message("dm-1", "dm-thread", clock(), "where is my order?", author="zoe", kind="dm")],
        None,
    )
    AcknowledgementPass(sqlite_engine).run(clock())
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        assert app.screen.thread_list.selected.author == "@zoe"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ThreadScreen))
        screen = app.screen
        await wait_for(
            pilot,
            lambda: "acknowledgement from the inbox · queued" in screen.conversation.plain_text,
        )
        await send_everything(app)
        await wait_for(
            pilot, lambda: "↳ acknowledgement · sent by the inbox" in screen.conversation.plain_text
        )
        assert "will reply within an hour" in screen.conversation.plain_text

        await pilot.press("x")
        await notified(pilot, "Marked the thread as spam.")
        await wait_for(pilot, lambda: screen.thread.spam_at is not None)
        await pilot.press("x")
        await notified(pilot, "Reopened the thread: not spam.")
        await pilot.press("X")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmForm))
        await pilot.press("ctrl+s")
        await notified(pilot, "Blocked the author of the thread; marked spam.")


async def test_capital_k_opens_the_rules_and_a_lead_switches_them_on(make_spam_app):
    app, _ = make_spam_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, AcknowledgementRulesForm))
        form = app.screen
        await wait_for(pilot, lambda: form.rules is not None and not form.busy)
        assert "Showing the defaults, never saved." in str(
            form.query_one("#form-problems").render()
        )
        assert form.query_one("#rule-0-answer", Input).value == "received"
        assert form.query_one("#rule-0-outside_hours_answer", Input).value == "out-of-hours"
        assert form.query_one("#rule-1-incident_only", Checkbox).value is True

        form.query_one("#rule-0-answer", Input).value = "nope"
        form.query_one("#enabled", Checkbox).value = True
        await pilot.press("ctrl+s")
        await wait_for(
            pilot,
            lambda: "no prepared answer 'nope'" in str(form.query_one("#form-problems").render()),
        )
        form.query_one("#rule-0-answer", Input).value = "received"
        await pilot.press("ctrl+s")

        await notified(pilot, "Acknowledgement rules saved as version 1; they are on.")
        assert app.service.acknowledgement_rules().enabled is True


async def test_an_agent_reads_the_rules_and_is_told_why_not_to_change_them(make_spam_app):
    app, _ = make_spam_app(actor="blake")
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, AcknowledgementRulesForm))
        form = app.screen
        await wait_for(pilot, lambda: form.rules is not None)
        problem = str(form.query_one("#form-problems").render())
        assert "blake is an agent; only admin, lead may change the team's settings" in problem
        assert form.query_one("#enabled", Checkbox).disabled
