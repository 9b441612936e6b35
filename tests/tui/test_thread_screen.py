"""The thread screen, its composer and its triage keys, driven by Pilot on a real SQLite workspace.

Each test presses the keys a person would and checks what they would notice: the title
line, the notifications, what the conversation and the side panes show, and what the
database then holds (read through the service, as another person would).
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import webbrowser
from datetime import timedelta
from pathlib import Path

import pytest
from textual.worker import NoActiveWorker, get_current_worker

from inbox.core.config import Config
from inbox.outbox.problems import ProblemCode, SendProblem
from inbox.service import InboxService
from inbox.store.ingest import Store
from inbox.triage.lists import ThreadFilter, View
from tests.tui.conftest import Held, settled, wait_for
from tests.tui.workspace import add_people, build_workspace, message
from tui.app import InboxApp
from tui.dialogs.answer_picker import AnswerPicker
from tui.dialogs.forms import ConfirmForm
from tui.dialogs.pickers import AssignPicker, NotePrompt, PriorityPicker, SnoozePicker, TagPrompt
from tui.screens.inbox import InboxScreen
from tui.screens.thread import ThreadScreen

STARTER_ANSWERS = Path(__file__).parents[2] / "canned_responses" / "starter"

X_ROW = 3
"""The list row of a thread on the X demo account (280 weighted characters)."""

POST_URL = "https://mastodon.example/@carol/110"


@pytest.fixture
def make_thread_app(sqlite_engine, clock):
    """An app on the standard workspace, with a supervisor (casey) and the starter answers.

    `actor` is who runs the app: alice (lead), blake (agent) or casey (supervisor).
    """

    def make(threads: int = 10, *, actor: str = "alice"):
        workspace = build_workspace(sqlite_engine, clock(), threads)
        setup = InboxService(sqlite_engine, clock=clock)
        add_people(setup)
        setup.add_agent("casey", "Casey Lund", "supervisor")
        InboxService(sqlite_engine, actor="alice", clock=clock).import_canned(STARTER_ANSWERS)
        service = InboxService(sqlite_engine, actor=actor, clock=clock)
        return InboxApp(service, config=Config(), sync=False, poll_seconds=0.05), workspace

    return make


def as_person(engine, clock, handle: str) -> InboxService:
    """The service as someone else, in another terminal."""
    return InboxService(engine, actor=handle, clock=clock)


def notifications(app) -> list[str]:
    return [notification.message for notification in app._notifications]


def title(screen: ThreadScreen) -> str:
    return str(screen.query_one("#thread-title").render())


async def open_thread(pilot, row_index: int = 0) -> ThreadScreen:
    """Move to a row of the list, press enter, and wait until the thread screen is ready."""
    await settled(pilot)
    for _ in range(row_index):
        await pilot.press("j")
    await pilot.press("enter")
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, ThreadScreen))
    screen = app.screen

    def ready() -> bool:
        """the conversation, and the channel's rules or why this person cannot answer"""
        answerable = screen.channel is not None or "cannot answer" in screen.composer.problems_text
        return answerable and "Loading" not in screen.conversation.plain_text

    await wait_for(pilot, ready)
    return screen


async def notified(pilot, text: str) -> None:
    """Wait for a notification containing `text`."""

    def shown() -> bool:
        return any(text in note for note in notifications(pilot.app))

    shown.__doc__ = f"a notification saying {text!r}"
    await wait_for(pilot, shown)


# -- reading and replying -------------------------------------------------------------------


async def test_enter_opens_the_whole_conversation_focused_and_escape_keeps_the_selection(
    make_thread_app,
):
    app, _ = make_thread_app(threads=10)
    async with app.run_test(size=(120, 40)) as pilot:
        inbox = app.screen
        screen = await open_thread(pilot, 2)
        shown = screen.conversation.plain_text
        assert "@erin" in shown
        assert "How do I change the email on my account?" in shown
        assert "Could you send the app version in a DM?" in shown
        assert shown.index("How do I change") < shown.index("Could you send")
        assert "@erin" in title(screen)
        assert app.focused is screen.conversation
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is inbox)
        assert isinstance(app.screen, InboxScreen)
        assert inbox.thread_list.cursor_index == 2
        assert app.focused is inbox.thread_list


async def test_enter_shows_the_previewed_thread_at_once_then_reads_it_again(make_thread_app):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        shown_when_reading: list[str] = []
        read_items = app.service.thread_items

        def reading(thread_id: int, **options):
            """what the thread screen shows when it starts reading the thread itself"""
            if isinstance(app.screen, ThreadScreen):
                shown_when_reading.append(app.screen.conversation.plain_text)
            return read_items(thread_id, **options)

        inbox = app.screen
        await wait_for(  # on a busy machine the read-ahead can lag the preview
            pilot,
            lambda: (
                inbox.read_ahead_snapshot is not None
                and inbox.read_ahead_snapshot.thread.id == inbox.thread_list.selected.id
            ),
        )
        app.service.thread_items = reading
        screen = await open_thread(pilot, 0)
        assert shown_when_reading, "the thread screen reads the thread again once shown"
        assert shown_when_reading[0] == screen.conversation.plain_text
        assert not shown_when_reading[0].startswith("Loading")


async def test_opening_a_thread_marks_it_read(make_thread_app):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        thread_id = app.screen.thread_list.rows[1].id
        assert app.service.thread(thread_id).unread
        await open_thread(pilot, 1)
        assert not app.service.thread(thread_id).unread


async def test_r_moves_to_the_composer_and_escape_comes_back_with_the_draft_kept(make_thread_app):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        await pilot.press("r")
        assert app.focused is screen.composer.reply_area
        await pilot.press(*"not yet")
        await pilot.press("escape")
        assert app.focused is screen.conversation
        assert app.screen is screen
        assert screen.composer.text == "not yet"
        await pilot.press("f6")
        assert app.focused is screen.composer.reply_area


async def test_the_counter_follows_the_channel_rule_and_turns_into_a_problem(make_thread_app):
    app, _ = make_thread_app(threads=10)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, X_ROW)
        composer = screen.composer
        assert screen.channel.rule == "x_weighted" and screen.channel.limit == 280
        assert composer.counter_text.startswith("0/280 weighted characters")
        await pilot.press("r", "h", "i")
        assert composer.counter_text.startswith("2/280")
        composer.reply_area.insert("日本" * 69)  # CJK weighs two each: 2 + 276 = 278
        await pilot.pause()
        assert composer.counter_text.startswith("278/280")
        await pilot.press("!", "!", "!")
        assert composer.counter_text == "281/280 weighted characters · 1 too many"
        assert composer.query_one("#counter").has_class("-over")
        await wait_for(pilot, lambda: "Too long for X (demo) by 1" in composer.problems_text)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Checking" not in composer.problems_text)
        assert "Too long for X (demo) by 1" in composer.problems_text
        assert app.service.outbound_for_thread(screen.thread.id) == []


async def test_slash_opens_the_picker_with_suggestions_and_enter_inserts_the_filled_answer(
    make_thread_app,
):
    app, _ = make_thread_app(threads=10)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 3)  # "Still waiting for a refund, it's been two weeks"
        await pilot.press("r", "slash")
        await wait_for(pilot, lambda: isinstance(app.screen, AnswerPicker))
        picker = app.screen
        await wait_for(pilot, lambda: picker.answer_ids != [])
        suggested = [
            match.answer.id for match in app.service.suggest_canned(screen.thread.id, limit=10)
        ]
        assert picker.answer_ids == suggested
        assert screen.composer.text == ""  # the slash opened the picker instead of being typed
        await pilot.press(*"apolog")
        apology = app.service.canned_response("apology")
        await wait_for(
            pilot, lambda: picker.query_shown == "apolog" and picker.answer_ids[:1] == [apology.id]
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.composer.text != "")
        expected = app.service.preview_reply(screen.thread.id, None, apology.id).rendered.text
        assert screen.composer.text == expected
        assert "{" not in expected or screen.composer.problems_text
        assert screen.canned_response_id == apology.id
        assert app.focused is screen.composer.reply_area


async def test_ctrl_o_from_the_conversation_picks_an_answer_into_the_composer(make_thread_app):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        assert app.focused is screen.conversation
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, AnswerPicker))
        picker = app.screen
        await wait_for(pilot, lambda: picker.answer_ids != [])
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen and screen.composer.text != "")
        assert app.focused is screen.composer.reply_area


async def test_ctrl_o_then_escape_closes_the_picker(make_thread_app):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, AnswerPicker))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert screen.composer.text == ""


async def test_ctrl_s_queues_the_reply_and_the_conversation_shows_it_queued(make_thread_app):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        await pilot.press("r", *"Sorry about that, we are on it.")
        await wait_for(pilot, lambda: "Ready to send" in screen.composer.problems_text)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "reply from alice · queued" in screen.conversation.plain_text)
        rows = app.service.outbound_for_thread(screen.thread.id)
        assert [(row.status, row.text) for row in rows] == [
            ("queued", "Sorry about that, we are on it.")
        ]
        assert screen.composer.text == ""
        assert "Reply queued" in screen.composer.problems_text
        assert app.focused is screen.conversation
        await pilot.press("c")  # answered, so close it
        await notified(pilot, "Closed the thread.")


async def test_sending_after_someone_else_answered_asks_first(
    make_thread_app, sqlite_engine, clock
):
    app, workspace = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        Store(sqlite_engine, clock).ingest(
            workspace.accounts[0],
            "mentions",
            [
                message(
                    "other-1",
                    "thread-0",
                    clock() + timedelta(seconds=1),
                    "Looking into it now.",
                    author="brand",
                    direction="out",
                )
            ],
            None,
        )
        await wait_for(pilot, lambda: "Looking into it now." in screen.conversation.plain_text)
        await pilot.press("r", *"Me too")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "ctrl+s again" in screen.composer.problems_text)
        assert "changed since you opened it" in screen.composer.problems_text
        assert app.service.outbound_for_thread(screen.thread.id) == []
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(app.service.outbound_for_thread(screen.thread.id)) == 1)


def answered_from_elsewhere(workspace, engine, clock, external_id: str = "other-1") -> None:
    """The brand's account answers thread-0 outside this terminal (a colleague, another app)."""
    Store(engine, clock).ingest(
        workspace.accounts[0],
        "mentions",
        [
            message(
                external_id,
                "thread-0",
                clock() + timedelta(seconds=1),
                "Looking into it now.",
                author="brand",
                direction="out",
            )
        ],
        None,
    )


async def test_each_ctrl_s_previews_the_reply_once(
    make_thread_app, sqlite_engine, clock, monkeypatch
):
    app, workspace = make_thread_app(threads=5)
    previews_by_sends = []
    preview = app.service.preview_reply

    def counted(*args, **kwargs):
        try:
            if get_current_worker().group == "send":
                previews_by_sends.append(args)
        except NoActiveWorker:
            pass
        return preview(*args, **kwargs)

    monkeypatch.setattr(app.service, "preview_reply", counted)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        answered_from_elsewhere(workspace, sqlite_engine, clock)
        await wait_for(pilot, lambda: "Looking into it now." in screen.conversation.plain_text)
        await pilot.press("r", *"Me too")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "ctrl+s again" in screen.composer.problems_text)
        assert len(previews_by_sends) == 1
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Reply queued" in screen.composer.problems_text)
        assert len(previews_by_sends) == 2

        await pilot.press("r", *"And a follow-up")
        await wait_for(pilot, lambda: "already have a reply" in screen.composer.problems_text)
        await pilot.press("ctrl+s")  # a second reply asks in a dialog; its yes is a send too
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmForm))
        assert len(previews_by_sends) == 3
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(app.service.outbound_for_thread(screen.thread.id)) == 2)
        assert len(previews_by_sends) == 4


async def test_a_changed_thread_asks_first_whatever_the_sentence_says(
    make_thread_app, sqlite_engine, clock, monkeypatch
):
    app, workspace = make_thread_app(threads=5)
    preview = app.service.preview_reply

    def reworded(*args, **kwargs):
        draft = preview(*args, **kwargs)
        problems = tuple(
            SendProblem(problem.code, "Somebody got there first.")
            if problem.code == ProblemCode.THREAD_CHANGED
            else problem
            for problem in draft.problems
        )
        return dataclasses.replace(draft, problems=problems)

    monkeypatch.setattr(app.service, "preview_reply", reworded)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        answered_from_elsewhere(workspace, sqlite_engine, clock)
        await wait_for(pilot, lambda: "Looking into it now." in screen.conversation.plain_text)
        await pilot.press("r", *"Me too")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "ctrl+s again" in screen.composer.problems_text)
        assert "Somebody got there first. Press ctrl+s again" in screen.composer.problems_text
        assert app.service.outbound_for_thread(screen.thread.id) == []
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(app.service.outbound_for_thread(screen.thread.id)) == 1)


async def test_a_reply_another_agent_is_sending_is_refused_with_the_reason(
    make_thread_app, sqlite_engine, clock
):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        as_person(sqlite_engine, clock, "blake").queue_reply(
            screen.thread.id, "Looking into it now."
        )
        await wait_for(pilot, lambda: "reply from blake · queued" in screen.conversation.plain_text)
        await pilot.press("r", *"Me too")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "blake is already answering" in screen.composer.problems_text)
        assert len(app.service.outbound_for_thread(screen.thread.id)) == 1


async def test_a_reply_sent_by_another_process_appears_live(make_thread_app, sqlite_engine, clock):
    app, workspace = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        await pilot.press("r", *"draft in progress")
        thread_key = "thread-0"
        Store(sqlite_engine, clock).ingest(
            workspace.accounts[0],
            "mentions",
            [
                message(
                    "other-1",
                    thread_key,
                    clock() + timedelta(seconds=1),
                    "Answered from the other terminal",
                    author="brand",
                    direction="out",
                ),
                message("in-2", thread_key, clock() + timedelta(seconds=2), "And another thing…"),
            ],
            None,
        )
        await wait_for(pilot, lambda: "And another thing…" in screen.conversation.plain_text)
        shown = screen.conversation.plain_text
        assert shown.index("Answered from the other terminal") < shown.index("And another thing")
        assert screen.composer.text == "draft in progress"


async def test_hostile_markup_in_a_message_shows_literally(make_thread_app, sqlite_engine, clock):
    app, workspace = make_thread_app(threads=3)
    hostile = "[bold red]x[/] [@click=app.quit]hi[/] \x1b[31mred\x1b[0m \u202eevil\x07"
    Store(sqlite_engine, clock).ingest(
        workspace.accounts[0],
        "mentions",
        [message("evil-1", "evil", clock() - timedelta(seconds=5), hostile, author="[b]m[/b]")],
        None,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        shown = screen.conversation.plain_text
        assert "@[b]m[/b]" in shown
        assert "[bold red]x[/] [@click=app.quit]hi[/] red evil" in shown
        assert "[b]m[/b]" in title(screen)
        assert not any(character in shown for character in "\x1b\u202e\x07")
        await pilot.click("#conversation-body", offset=(8, 1))
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_a_draft_is_kept_when_leaving_and_focused_when_coming_back(make_thread_app):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 1)
        await pilot.press("r", *"half a thought")
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        drafted = screen.thread.id
        await pilot.press("j", "enter")  # another thread: its composer is empty
        await wait_for(pilot, lambda: app.screen is screen and screen.thread.id != drafted)
        assert screen.composer.text == ""
        assert app.focused is screen.conversation
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("k", "enter")
        await wait_for(pilot, lambda: app.screen is screen and screen.thread.id == drafted)
        assert screen.composer.text == "half a thought"
        assert app.focused is screen.composer.reply_area


async def test_a_reply_still_being_queued_when_you_leave_stays_with_its_thread(make_thread_app):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        inbox = app.screen
        screen = await open_thread(pilot, 0)
        first = screen.thread.id
        await pilot.press("r", *"On its way")
        await wait_for(pilot, lambda: "Ready to send" in screen.composer.problems_text)
        app.service.queue_reply = queueing = Held(app.service.queue_reply)
        await pilot.press("ctrl+s")
        assert await asyncio.to_thread(queueing.entered.wait, 5)
        await pilot.press("escape", "escape", "j", "enter")  # leave, and open the next thread
        assert app.screen is screen and screen.thread.id != first
        queueing.release()
        await wait_for(pilot, lambda: len(app.service.outbound_for_thread(first)) == 1)
        await wait_for(pilot, lambda: first not in inbox.reply_drafts)
        assert screen.composer.text == ""
        assert "Reply queued" not in screen.composer.problems_text
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is inbox)
        await pilot.press("k", "enter")
        await wait_for(pilot, lambda: "reply from alice · queued" in screen.conversation.plain_text)
        assert screen.composer.text == "", "the sent reply did not come back as a draft"


# -- triage keys ----------------------------------------------------------------------------


async def test_c_closes_and_u_reopens_with_the_title_saying_so(make_thread_app):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 1)
        thread_id = screen.thread.id
        await pilot.press("c")
        await notified(pilot, "Closed the thread.")
        await wait_for(pilot, lambda: " · closed · " in title(screen))
        assert app.service.thread(thread_id).status == "closed"
        await pilot.press("u")
        await notified(pilot, "Reopened the thread.")
        await wait_for(pilot, lambda: " · open · " in title(screen))
        assert app.service.thread(thread_id).status == "open"
        await pilot.press("u")
        await notified(pilot, "Not reopened: already open.")


async def test_a_lead_assigns_from_a_picker_showing_each_persons_load(
    make_thread_app, sqlite_engine, clock
):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        rows = app.screen.thread_list.rows
        alice = as_person(sqlite_engine, clock, "alice")
        alice.assign([rows[3].id, rows[4].id], "blake")
        screen = await open_thread(pilot, 0)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AssignPicker))
        picker = app.screen
        await wait_for(pilot, lambda: len(picker.listed) > 1)
        listed = [str(option.prompt) for option in picker.query_one("#assign-people").options]
        assert listed[0] == "nobody (unassign)"
        assert any(line.startswith("blake") and "2 open of 20" in line for line in listed)
        assert not any(line.startswith("casey") for line in listed)  # supervisors hold no threads
        await pilot.press("b", "l", "enter")
        await notified(pilot, "Assigned the thread to blake.")
        await wait_for(pilot, lambda: "assigned to blake" in title(screen))
        assert app.service.thread(screen.thread.id).assignee == "blake"


async def test_an_agent_takes_an_unassigned_thread_with_a(make_thread_app):
    app, _ = make_thread_app(threads=5, actor="blake")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        await pilot.press("a")
        await notified(pilot, "Assigned the thread to you.")
        await wait_for(pilot, lambda: "assigned to blake" in title(screen))
        assert app.service.thread(screen.thread.id).assignee == "blake"


async def test_an_agent_is_refused_on_someone_elses_thread_and_nothing_changes(
    make_thread_app, sqlite_engine, clock
):
    app, _ = make_thread_app(threads=5, actor="blake")
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        thread_id = app.screen.thread_list.rows[0].id
        as_person(sqlite_engine, clock, "alice").take([thread_id])
        screen = await open_thread(pilot, 0)
        assert "assigned to alice" in title(screen)
        assert "You cannot answer here: thread" in screen.composer.problems_text
        assert screen.composer.reply_area.read_only
        await pilot.press("c")
        await notified(
            pilot, "Not closed: assigned to alice; agents change their own and unassigned threads."
        )
        await pilot.press("a")
        await notified(
            pilot, "Not taken: assigned to alice; agents change their own and unassigned threads."
        )
        thread = app.service.thread(thread_id)
        assert (thread.status, thread.assignee) == ("new", "alice")
        assert " · new · " in title(screen)


async def test_an_agent_whose_thread_is_taken_by_a_colleague_is_told_at_once(
    make_thread_app, sqlite_engine, clock
):
    app, _ = make_thread_app(threads=5, actor="blake")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        await pilot.press("r", *"Let me check")
        assert not screen.composer.reply_area.read_only
        as_person(sqlite_engine, clock, "alice").take([screen.thread.id])
        await wait_for(pilot, lambda: screen.composer.reply_area.read_only)
        assert "You cannot answer here" in screen.composer.problems_text
        before = app.service.thread(screen.thread.id)
        app._notifications.clear()
        await pilot.press(*" about")  # still typing: the letters stay text, never commands
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is screen and notifications(app) == []
        assert app.service.thread(screen.thread.id).version == before.version
        assert screen.composer.text == "Let me check", "the draft is kept"


async def test_letters_typed_after_a_refused_reply_never_run_as_commands(
    make_thread_app, sqlite_engine, clock, monkeypatch
):
    browser = FakeBrowser()
    monkeypatch.setattr(webbrowser, "get", lambda: browser)
    app, _ = make_thread_app(threads=5, actor="blake")
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        thread_id = app.screen.thread_list.rows[0].id
        as_person(sqlite_engine, clock, "alice").take([thread_id])
        screen = await open_thread(pilot, 0)
        await wait_for(pilot, lambda: "You cannot answer here" in screen.composer.problems_text)
        before = app.service.thread(thread_id)
        app._notifications.clear()

        await pilot.press("r", *"abut")  # assign, open in the browser, reopen, tag
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

        assert app.screen is screen, f"a picker opened: {app.screen}"
        assert notifications(app) == []
        assert browser.opened == []
        after = app.service.thread(thread_id)
        assert (after.status, after.assignee, after.tags, after.version) == (
            before.status,
            before.assignee,
            before.tags,
            before.version,
        )
        assert screen.composer.text == ""
        assert screen.composer.reply_area.has_focus, "typing lands in the refused composer"
        await pilot.press("escape", "c")  # back on the conversation, the letter keys work
        await notified(pilot, "Not closed: assigned to alice")


async def test_a_supervisor_is_told_why_and_nothing_changes(make_thread_app):
    app, _ = make_thread_app(threads=5, actor="casey")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        before = app.service.thread(screen.thread.id)
        assert "casey is a supervisor" in screen.composer.problems_text
        assert not any(note.startswith("Not sent") for note in notifications(app))
        refusal = "casey is a supervisor; supervisors read threads and do not change them"
        for key in ("c", "t", "a", "z", "p", "n"):
            app._notifications.clear()
            await pilot.press(key)
            await notified(pilot, refusal)
            assert app.screen is screen, f"{key} opened {app.screen}"
        after = app.service.thread(screen.thread.id)
        assert (after.status, after.assignee, after.tags, after.priority, after.version) == (
            before.status,
            before.assignee,
            before.tags,
            before.priority,
            before.version,
        )
        assert app.service.notes(screen.thread.id) == []


async def test_t_adds_and_removes_tags(make_thread_app):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TagPrompt))
        await pilot.press(*"refund vip", "enter")
        await notified(pilot, "Tags on the thread: +refund +vip.")
        await wait_for(pilot, lambda: "tags refund vip" in title(screen))
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TagPrompt))
        assert "On it now: refund vip" in str(app.screen.query_one(".picker-heading").render())
        await pilot.press(*"-vip", "enter")
        await notified(pilot, "Tags on the thread: -vip.")
        await wait_for(pilot, lambda: title(screen).endswith("tags refund"))
        assert app.service.thread(screen.thread.id).tags == ("refund",)


async def test_z_snoozes_until_a_preset_or_a_typed_time(make_thread_app):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)  # the clock says Monday 2 November, 09:00 UTC
        await pilot.press("z")
        await wait_for(pilot, lambda: isinstance(app.screen, SnoozePicker))
        await pilot.press("enter")  # nothing typed: the highlighted preset, in 1 hour
        await notified(pilot, "Snoozed the thread until Mon 2 Nov 10:00.")
        await wait_for(pilot, lambda: "snoozed until Mon 2 Nov 10:00" in title(screen))
        await pilot.press("z")
        await wait_for(pilot, lambda: isinstance(app.screen, SnoozePicker))
        picker = app.screen
        await pilot.press(*"someday", "enter")
        hint = str(picker.query_one("#snooze-hint").render())
        assert "could not read 'someday' as a time" in hint
        assert app.screen is picker
        await pilot.press("ctrl+u", *"tomorrow 9:00")
        assert "Tue 3 Nov 09:00" in str(picker.query_one("#snooze-hint").render())
        await pilot.press("enter")
        await wait_for(pilot, lambda: "snoozed until Tue 3 Nov 09:00" in title(screen))
        assert app.service.thread(screen.thread.id).snoozed_until.hour == 9


async def test_p_sets_the_priority(make_thread_app):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        assert "priority normal" in title(screen)
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PriorityPicker))
        await pilot.press("up", "enter")  # from normal (now) up to high
        await notified(pilot, "Set the thread to high priority.")
        await wait_for(pilot, lambda: "priority high" in title(screen))
        assert app.service.thread(screen.thread.id).priority == "high"


async def test_a_note_is_shown_as_internal_and_the_mentioned_colleague_sees_the_thread(
    make_thread_app, sqlite_engine, clock
):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NotePrompt))
        await pilot.press(*"@blake can you check the order?", "enter", *"Second line.")
        await pilot.press("ctrl+s")
        await notified(pilot, "Note added; blake will see the thread under Mentions.")
        await wait_for(pilot, lambda: "internal note" in screen.conversation.plain_text)
        shown = screen.conversation.plain_text
        assert "▍internal note · alice · only colleagues see this" in shown
        assert "@blake can you check the order?\nSecond line." in shown
        blake = as_person(sqlite_engine, clock, "blake")
        mentions = blake.list_threads(ThreadFilter(view=View.MENTIONS))
        assert screen.thread.id in [row.id for row in mentions]
        assert [row.mentions_me for row in mentions if row.id == screen.thread.id] == [True]
        assert app.service.outbound_for_thread(screen.thread.id) == []  # never sent anywhere


async def test_a_note_naming_nobody_stays_open_with_the_reason_and_the_text(make_thread_app):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NotePrompt))
        prompt = app.screen
        await pilot.press(*"ask @zed", "ctrl+s")
        await wait_for(
            pilot, lambda: "no colleague" in str(prompt.query_one("#note-hint").render())
        )
        assert "@zed is no colleague's handle" in str(prompt.query_one("#note-hint").render())
        assert app.screen is prompt and prompt.text == "ask @zed"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert app.service.notes(screen.thread.id) == []


async def test_untrusted_markup_in_notes_and_author_names_shows_literally(
    make_thread_app, sqlite_engine, clock
):
    app, workspace = make_thread_app(threads=3)
    Store(sqlite_engine, clock).ingest(
        workspace.accounts[0],
        "mentions",
        [
            message(
                "evil-2",
                "evil",
                clock() - timedelta(seconds=5),
                "hello",
                author="[@click=app.quit]x[/]",
            )
        ],
        None,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        app.service.add_note(screen.thread.id, "[bold red]loud[/] [link=https://x.example]bye[/]")
        await wait_for(pilot, lambda: "internal note" in screen.conversation.plain_text)
        assert "[bold red]loud[/] [link=https://x.example]bye[/]" in screen.conversation.plain_text
        await pilot.press("i")
        await wait_for(pilot, lambda: "[@click=app.quit]x[/]" in screen.author_card.plain_text)
        await pilot.click("#conversation-body", offset=(4, 2))
        await pilot.pause()
        assert app.is_running and app.return_code is None


# -- links ----------------------------------------------------------------------------------


@pytest.fixture
def thread_with_a_link(make_thread_app, sqlite_engine, clock):
    """An app whose newest thread's first message links to its post."""
    app, workspace = make_thread_app(threads=3)
    item = dataclasses.replace(
        message("linked-1", "linked", clock() - timedelta(seconds=5), "See my post"), url=POST_URL
    )
    Store(sqlite_engine, clock).ingest(workspace.accounts[0], "mentions", [item], None)
    return app


class FakeBrowser(webbrowser.BaseBrowser):
    """A graphical browser that records what it was asked to open."""

    def __init__(self) -> None:
        super().__init__("fake")
        self.opened: list[str] = []

    def open(self, url, new=0, autoraise=True):
        self.opened.append(url)
        return True


async def test_b_opens_the_original_post_in_a_browser(thread_with_a_link, monkeypatch):
    app = thread_with_a_link
    browser = FakeBrowser()
    monkeypatch.setattr(webbrowser, "get", lambda: browser)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_thread(pilot, 0)
        await pilot.press("b")
        await notified(pilot, f"Opened in the browser: {POST_URL}")
        assert browser.opened == [POST_URL]


async def test_b_without_a_browser_shows_the_address(thread_with_a_link, monkeypatch):
    app = thread_with_a_link

    def no_browser():
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "get", no_browser)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_thread(pilot, 0)
        await pilot.press("b")
        await notified(
            pilot, f"No browser to open it from here. The original post is at {POST_URL}"
        )


async def test_b_never_hands_the_link_to_a_terminal_browser(thread_with_a_link, monkeypatch):
    app = thread_with_a_link
    monkeypatch.setattr(webbrowser, "get", lambda: webbrowser.GenericBrowser("lynx"))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_thread(pilot, 0)
        await pilot.press("b")
        await notified(pilot, f"The original post is at {POST_URL}")


async def test_y_copies_the_link(thread_with_a_link):
    app = thread_with_a_link
    async with app.run_test(size=(120, 40)) as pilot:
        await open_thread(pilot, 0)
        await pilot.press("y")
        await notified(pilot, f"Copied the link: {POST_URL}")
        assert app.clipboard == POST_URL


async def test_b_and_y_say_so_when_the_platform_gave_no_link(make_thread_app):
    app, _ = make_thread_app(threads=3)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_thread(pilot, 0)
        await pilot.press("y")
        await notified(pilot, "No link to copy")
        await pilot.press("b")
        await notified(pilot, "No link to the original post")
        assert app.clipboard == ""


@pytest.fixture
def thread_linking_to(make_thread_app, sqlite_engine, clock):
    """An app whose newest thread's first message links to `url`, whatever the platform sent."""

    def make(url: str, *, author: str = "carol") -> InboxApp:
        app, workspace = make_thread_app(threads=3)
        item = dataclasses.replace(
            message("linked-1", "linked", clock() - timedelta(seconds=5), "See", author=author),
            url=url,
        )
        Store(sqlite_engine, clock).ingest(workspace.accounts[0], "mentions", [item], None)
        return app

    return make


def shown_anywhere(app) -> str:
    """Every notification's title and text, and the app's title line, as one string."""
    notes = [f"{note.title} {note.message}" for note in app._notifications]
    return " ".join([*notes, app.title, app.sub_title])


async def test_y_and_b_keep_an_escape_in_the_link_off_the_screen_and_the_clipboard(
    thread_linking_to, monkeypatch
):
    app = thread_linking_to(POST_URL + "\x1b]2;pwned\x07\u202e")
    browser = FakeBrowser()
    monkeypatch.setattr(webbrowser, "get", lambda: browser)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_thread(pilot, 0)
        await pilot.press("y")
        await notified(pilot, f"Copied the link: {POST_URL}")
        assert app.clipboard == POST_URL
        await pilot.press("b")
        await notified(pilot, f"Opened in the browser: {POST_URL}")
        assert browser.opened == [POST_URL]
        assert not re.search("[\x1b\x07\u202e]|pwned", shown_anywhere(app))


@pytest.mark.parametrize(
    ("url", "scheme"),
    [("javascript:alert(document.cookie)", "javascript"), ("file:///etc/passwd", "file")],
)
async def test_b_opens_nothing_but_http_links_and_says_so(
    thread_linking_to, monkeypatch, url, scheme
):
    app = thread_linking_to(url)
    browser = FakeBrowser()
    monkeypatch.setattr(webbrowser, "get", lambda: browser)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_thread(pilot, 0)
        await pilot.press("b")
        await notified(pilot, f"Not opened: the platform's link is a {scheme}: link")
        await pilot.pause()
        assert browser.opened == []


async def test_invisible_and_look_alike_letters_in_a_name_are_shown_for_what_they_are(
    thread_linking_to,
):
    app = thread_linking_to(POST_URL, author="n\u0456m\u200bbus\u200d")  # a Cyrillic і
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        assert title(screen).startswith("⚠@n\u0456mbus · ")
        await pilot.press("i")
        await wait_for(pilot, lambda: " in all" in screen.author_card.plain_text)
        card = screen.author_card.plain_text
        assert card.startswith("⚠@n\u0456mbus\n⚠N\u0456mBus\n")  # the name is its .title()
        assert not re.search("[\u200b\u200d]", title(screen) + card)


# -- side panes -----------------------------------------------------------------------------


async def test_i_shows_the_author_card_and_enter_opens_their_other_thread(make_thread_app):
    app, _ = make_thread_app(threads=20)  # carol wrote threads 0 and 18 on the same account
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        await pilot.press("r", *"half a thought", "escape", "i")
        await wait_for(pilot, lambda: "threads in all" in screen.author_card.plain_text)
        card = screen.author_card.plain_text
        # dated by carol's first message on the platform, then by when the inbox fetched it
        assert card.startswith(
            "@carol\nCarol\non mastodon\nfirst wrote 06:53 (2h ago)\nfetched 09:00"
        )
        assert "2 threads in all" in card
        assert "The checkout page keeps timing out on mobile" in card
        assert screen.conversation.display  # wide enough for both
        first = screen.thread.id
        await pilot.press("enter")
        await wait_for(pilot, lambda: "checkout page" in screen.conversation.plain_text)
        assert screen.thread.id != first and "@carol" in title(screen)
        assert not screen.author_card.display and app.focused is screen.conversation
        assert screen.composer.text == ""
        await pilot.press("escape")  # back to the first thread, with its card and draft
        await wait_for(pilot, lambda: screen.thread.id == first and screen.author_card.display)
        await wait_for(pilot, lambda: "checkout page" not in screen.conversation.plain_text)
        assert screen.composer.text == "half a thought"
        await pilot.press("escape")  # from the pane back to the conversation
        assert not screen.author_card.display and app.focused is screen.conversation
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))


async def test_h_shows_the_history_newest_first(make_thread_app):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        await pilot.press("c")
        await notified(pilot, "Closed the thread.")
        await pilot.press("h")
        await wait_for(pilot, lambda: "closed" in screen.history.plain_text)
        lines = screen.history.plain_text.splitlines()
        assert lines[0] == "09:00  status new -> closed by alice"
        assert lines[-1] == "08:59  the first message arrived (sync)"  # written 08:59
        await pilot.press("u")
        await wait_for(pilot, lambda: "closed -> open" in screen.history.plain_text)
        await pilot.press("h")
        assert not screen.history.display


async def test_at_80x24_a_pane_takes_the_conversations_place(make_thread_app):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_thread(pilot, 0)
        await pilot.press("h")
        await wait_for(pilot, lambda: "arrived" in screen.history.plain_text)
        assert not screen.conversation.display
        assert screen.history.region.width == 80
        await pilot.press("i")
        await wait_for(pilot, lambda: "No other threads." in screen.author_card.plain_text)
        assert screen.author_card.display and not screen.history.display
        assert not screen.conversation.display
        await pilot.press("escape")  # closes the pane, not the thread
        assert app.screen is screen and not screen.author_card.display
        assert screen.conversation.display and screen.conversation.region.width == 80
        assert app.focused is screen.conversation


# -- presence and live changes --------------------------------------------------------------


async def test_presence_of_a_colleague_shows_and_goes(make_thread_app, sqlite_engine, clock):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        line = screen.query_one("#presence")
        assert not line.display
        blake = as_person(sqlite_engine, clock, "blake")
        blake.set_presence(screen.thread.id, "viewing")
        await wait_for(pilot, lambda: screen.presence_text == "◉ blake is viewing")
        assert line.display and "blake is viewing" in str(line.render())
        blake.set_presence(screen.thread.id, "replying")
        await wait_for(pilot, lambda: screen.presence_text == "✎ blake is replying")
        blake.clear_presence(screen.thread.id)
        await wait_for(pilot, lambda: not line.display)


async def test_our_own_presence_says_viewing_then_replying_and_is_cleared_on_leaving(
    make_thread_app, sqlite_engine, clock
):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        thread_id = screen.thread.id
        blake = as_person(sqlite_engine, clock, "blake")

        def alice_is(activity: str):
            def check() -> bool:
                return [
                    (row.handle, row.activity)
                    for row in blake.presence([thread_id]).get(thread_id, ())
                ] == [("alice", activity)]

            check.__doc__ = f"alice {activity}"
            return check

        await wait_for(pilot, alice_is("viewing"))
        await pilot.press("r", "o", "k")
        await wait_for(pilot, alice_is("replying"))
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await wait_for(pilot, lambda: blake.presence([thread_id]) == {})


async def test_our_presence_moves_with_us_from_thread_to_thread(
    make_thread_app, sqlite_engine, clock
):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        first = screen.thread.id
        blake = as_person(sqlite_engine, clock, "blake")
        await wait_for(pilot, lambda: first in blake.presence([first]))
        await pilot.press("escape", "j", "enter")
        await wait_for(pilot, lambda: app.screen is screen and screen.thread.id != first)
        second = screen.thread.id
        await wait_for(pilot, lambda: second in blake.presence([second]))
        await wait_for(pilot, lambda: blake.presence([first]) == {})


async def test_leaving_while_our_presence_is_being_written_still_clears_it(
    make_thread_app, sqlite_engine, clock
):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        thread_id = screen.thread.id
        blake = as_person(sqlite_engine, clock, "blake")
        await wait_for(pilot, lambda: thread_id in blake.presence([thread_id]))
        app.service.set_presence = writing = Held(app.service.set_presence)
        await pilot.press("r", "o")  # typing says "replying": a presence write, held in flight
        assert await asyncio.to_thread(writing.entered.wait, 5)
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, InboxScreen)
        writing.release()
        assert await asyncio.to_thread(writing.returned.wait, 5)
        await app.workers.wait_for_complete()  # the clear, which outlives the screen
        assert blake.presence([thread_id]) == {}, "the clear came after the write in flight"


async def test_a_colleagues_triage_updates_the_title_live(make_thread_app, sqlite_engine, clock):
    app, _ = make_thread_app(threads=5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        blake = as_person(sqlite_engine, clock, "blake")
        blake.take([screen.thread.id])
        blake.tag([screen.thread.id], add=["billing"])
        await wait_for(
            pilot, lambda: "assigned to blake" in title(screen) and "tags billing" in title(screen)
        )
        blake.add_note(screen.thread.id, "on it")
        await wait_for(pilot, lambda: "internal note · blake" in screen.conversation.plain_text)
