"""The triage pickers on their own: what they list, what typing does, and what they hand back.

Each picker is opened over a bare app on a real SQLite workspace, as either screen would
open it; the value it dismisses with is what the caller then writes.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from textual.app import App

from inbox.service import InboxService
from tests.tui.conftest import Held, wait_for
from tests.tui.workspace import add_people, build_workspace
from tui.dialogs.pickers import (
    AssignChoice,
    AssignPicker,
    NotePrompt,
    Picker,
    PriorityPicker,
    SnoozePicker,
    TagChange,
    TagPrompt,
    fuzzy_rank,
)

STYLES = str(Path(__file__).parents[2] / "tui" / "styles" / "pickers.tcss")


class Host(App[None]):
    """A bare app that opens one picker and keeps what it dismissed with."""

    CSS_PATH = STYLES

    def __init__(self, picker: Picker) -> None:
        super().__init__()
        self.picker = picker
        self.results: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(self.picker, self.results.append)


@pytest.fixture
def service(sqlite_engine, clock) -> InboxService:
    """alice (lead) on a workspace with blake (agent, two threads) and casey (supervisor)."""
    build_workspace(sqlite_engine, clock(), 6)
    setup = InboxService(sqlite_engine, clock=clock)
    add_people(setup)
    setup.add_agent("casey", "Casey Lund", "supervisor")
    alice = InboxService(sqlite_engine, actor="alice", clock=clock)
    threads = alice.list_threads(limit=3)
    alice.assign([threads[0].id, threads[1].id], "blake")
    alice.tag([threads[2].id], add=["refund", "refund-late", "vip"])
    return alice


def test_fuzzy_rank_prefers_prefixes_then_substrings_then_letters_in_order():
    assert fuzzy_rank("bl", "blake") == 0
    assert fuzzy_rank("ake", "blake") == 1
    assert fuzzy_rank("bk", "blake") == 2
    assert fuzzy_rank("kb", "blake") is None
    assert fuzzy_rank("", "blake") == 0


def test_tags_are_read_as_words_with_minus_to_remove():
    assert TagChange.parse(" refund, +vip -spam  refund ") == TagChange(
        ("refund", "vip"), ("spam",)
    )
    assert not TagChange.parse(" - + , ")


async def test_the_assign_picker_lists_people_with_their_load_and_filters_as_you_type(service):
    host = Host(AssignPicker(service))
    async with host.run_test(size=(100, 30)) as pilot:
        picker = host.picker
        await wait_for(pilot, lambda: len(picker.listed) > 1)
        lines = [str(option.prompt) for option in picker.query_one("#assign-people").options]
        assert lines[0] == "nobody (unassign)"
        assert lines[1].startswith("alice") and "lead · 0 open of 20" in lines[1]
        assert lines[2].startswith("blake") and "Blake Osei · agent · 2 open of 20" in lines[2]
        assert not any("casey" in line for line in lines)
        await pilot.press("o", "s", "e", "i")  # fuzzy: Blake Osei
        assert picker.listed == ["blake"]
        await pilot.press("enter")
        await wait_for(pilot, lambda: host.results != [])
        assert host.results == [AssignChoice("blake")]


async def test_the_assign_picker_can_unassign_and_escape_cancels(service):
    host = Host(AssignPicker(service))
    async with host.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: len(host.picker.listed) > 1)
        await pilot.press("enter")  # nothing typed: "nobody" is highlighted first
        await wait_for(pilot, lambda: host.results != [])
        assert host.results == [AssignChoice(None)]
    host = Host(AssignPicker(service))
    async with host.run_test(size=(100, 30)) as pilot:
        await pilot.press("escape")
        await wait_for(pilot, lambda: host.results != [])
        assert host.results == [None]


async def test_the_tag_prompt_completes_from_the_tags_in_use(service):
    host = Host(TagPrompt(service, current=("vip",)))
    async with host.run_test(size=(100, 30)) as pilot:
        prompt = host.picker
        await wait_for(pilot, lambda: prompt.tags_in_use != [])
        assert "On it now: vip" in str(prompt.query_one(".picker-heading").render())
        await pilot.press("-", "r", "e")
        assert str(prompt.query_one("#tag-hint").render()) == "In use: refund refund-late"
        await pilot.press("right")  # takes the completion
        field = prompt.query_one("#tag-input")
        await wait_for(pilot, lambda: field.value == "-refund")
        await pilot.press("space", "n", "e", "w", "enter")
        await wait_for(pilot, lambda: host.results != [])
        assert host.results == [TagChange(add=("new",), remove=("refund",))]


async def test_the_tag_prompt_asks_for_a_tag_when_empty(service):
    host = Host(TagPrompt(service))
    async with host.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: host.picker.tags_in_use != [])
        await pilot.press("enter")
        assert "Type a tag to add" in str(host.picker.query_one("#tag-hint").render())
        assert host.results == [] and host.screen is host.picker


async def test_the_snooze_picker_offers_presets_and_reads_typed_times(clock):
    host = Host(SnoozePicker(clock))
    async with host.run_test(size=(100, 30)) as pilot:
        picker = host.picker
        presets = [str(option.prompt) for option in picker.query_one("#snooze-presets").options]
        assert presets == [
            "1 hour             Mon 2 Nov 10:00",
            "4 hours            Mon 2 Nov 13:00",
            "tomorrow 9:00      Tue 3 Nov 09:00",
            "next Monday 9:00   Mon 9 Nov 09:00",
        ]
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: host.results != [])
        assert host.results == [clock() + timedelta(hours=24)]


async def test_the_snooze_picker_says_what_it_could_not_read(clock):
    host = Host(SnoozePicker(clock))
    async with host.run_test(size=(100, 30)) as pilot:
        picker = host.picker
        hint = picker.query_one("#snooze-hint")
        await pilot.press(*"2x")
        assert "'x' is not a unit of time I know" in str(hint.render())
        assert hint.has_class("-problem")
        await pilot.press("enter")
        assert host.results == [] and host.screen is picker
        await pilot.press("backspace", "h")
        assert str(hint.render()) == "→ Mon 2 Nov 11:00 · enter snoozes"
        await pilot.press("enter")
        await wait_for(pilot, lambda: host.results != [])
        assert host.results == [clock() + timedelta(hours=2)]


async def test_the_priority_picker_marks_the_current_priority(clock):
    host = Host(PriorityPicker("high"))
    async with host.run_test(size=(100, 30)) as pilot:
        options = host.picker.query_one("#priority-options")
        assert [str(option.prompt) for option in options.options] == [
            "urgent",
            "high  (now)",
            "normal",
            "low",
        ]
        assert options.highlighted == 1
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: host.results != [])
        assert host.results == ["low"]


async def test_the_note_prompt_completes_handles_and_adds_the_note(service):
    thread_id = service.list_threads(limit=1)[0].id
    saved: list[str] = []

    def save(body: str):
        saved.append(body)
        return service.add_note(thread_id, body)

    adding = Held(save)
    host = Host(NotePrompt(service, adding))
    async with host.run_test(size=(100, 30)) as pilot:
        prompt = host.picker
        await wait_for(pilot, lambda: "Mention:" in str(prompt.query_one("#note-hint").render()))
        await pilot.press("ctrl+s")
        assert "Write the note first." in str(prompt.query_one("#note-hint").render())
        await pilot.press(*"ask @bl")
        area = prompt.query_one("#note-text")
        assert area.suggestion == "ake"
        await pilot.press("right", *" please", "enter", *"thanks")
        assert prompt.text == "ask @blake please\nthanks"
        await pilot.press("ctrl+s", "ctrl+s")  # the second while the first is still adding
        adding.release()
        await wait_for(pilot, lambda: host.results != [])
        assert saved == ["ask @blake please\nthanks"]
        assert host.results[0].mentions == ("blake",)
        assert [note.body for note in service.notes(thread_id)] == ["ask @blake please\nthanks"]


async def test_the_note_prompt_keeps_the_text_when_the_service_refuses(service):
    thread_id = service.list_threads(limit=1)[0].id
    host = Host(NotePrompt(service, lambda body: service.add_note(thread_id, body)))
    async with host.run_test(size=(100, 30)) as pilot:
        prompt = host.picker
        await pilot.press(*"cc @nobody", "ctrl+s")
        hint = prompt.query_one("#note-hint")
        await wait_for(
            pilot, lambda: hint.has_class("-problem") and "@nobody" in str(hint.render())
        )
        assert "@nobody is no colleague's handle; nothing was saved" in str(hint.render())
        assert prompt.text == "cc @nobody" and host.screen is prompt and host.results == []


async def test_the_note_prompt_says_when_adding_failed_and_adds_it_on_the_next_try(service):
    thread_id = service.list_threads(limit=1)[0].id
    attempts: list[str] = []

    def save(body: str):
        attempts.append(body)
        if len(attempts) == 1:
            raise OSError("the database is locked")
        return service.add_note(thread_id, body)

    host = Host(NotePrompt(service, save))
    async with host.run_test(size=(100, 30)) as pilot:
        prompt = host.picker
        hint = prompt.query_one("#note-hint")
        await pilot.press(*"call back", "ctrl+s")
        await wait_for(
            pilot, lambda: "Could not add the note: the database is locked" in str(hint.render())
        )
        assert prompt.text == "call back" and host.screen is prompt
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: host.results != [])
        assert [note.body for note in service.notes(thread_id)] == ["call back"]
