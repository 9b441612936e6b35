"""`?` opens on the keys of the screen it was pressed on, then the keys that work everywhere,
then every other screen's; each binding with its keys, name, tooltip and full id."""

from __future__ import annotations

from tests.tui.conftest import settled, wait_for
from tests.tui.test_crisis import declare
from tests.tui.test_thread_screen import open_thread
from tui import bindings
from tui.screens.crisis import CrisisScreen
from tui.screens.help import ELSEWHERE, EVERYWHERE, HERE, HelpScreen


async def help_lines(pilot) -> list[str]:
    """Press `?` and read the help as it is drawn, line by line."""
    app = pilot.app
    await pilot.press("question_mark")
    await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
    table = app.screen.query_one("#help-table")
    return [strip.text.rstrip() for strip in table.render_lines(table.region.reset_offset)]


def line_of(lines: list[str], text: str) -> int:
    return next(index for index, line in enumerate(lines) if line.strip() == text)


def binding_line(lines: list[str], binding_id: str) -> str:
    return next(line for line in lines if line.endswith(f" {binding_id}"))


async def test_on_the_inbox_help_opens_on_the_inbox_keys(make_app):
    app, _ = make_app(threads=3)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        lines = await help_lines(pilot)

        assert lines[0].strip() == HERE
        here, everywhere, elsewhere = (
            line_of(lines, part) for part in (HERE, EVERYWHERE, ELSEWHERE)
        )
        assert here < line_of(lines, "Inbox") < everywhere
        assert here < line_of(lines, "Thread list") < everywhere
        assert everywhere < line_of(lines, "Everywhere") < elsewhere
        assert elsewhere < line_of(lines, "Thread")
        assert elsewhere < line_of(lines, "Crisis screen")

        undo = binding_line(lines, "undo")
        assert undo.lstrip().startswith("^z") and "Undo · Undo the close, snooze" in undo
        assert binding_line(lines, "close").lstrip().startswith("c ")


async def test_every_binding_shows_its_whole_id(make_app):
    app, _ = make_app(threads=3)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        lines = await help_lines(pilot)

        shown = {line.split()[-1] for line in lines if line.split()}
        every_id = {
            binding.id for group in bindings.GROUPS.values() for binding in group if binding.id
        }
        assert every_id <= shown, sorted(every_id - shown)


async def test_on_the_thread_screen_help_opens_on_the_thread_keys(make_app):
    app, _ = make_app(threads=3)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_thread(pilot, 0)
        lines = await help_lines(pilot)

        here, everywhere, elsewhere = (
            line_of(lines, part) for part in (HERE, EVERYWHERE, ELSEWHERE)
        )
        assert lines[0].strip() == HERE
        assert here < line_of(lines, "Thread") < line_of(lines, "Conversation") < everywhere
        assert elsewhere < line_of(lines, "Inbox"), "the list's keys come after, with the others"
        assert "(here or in the list)" in " ".join(lines[here:everywhere])
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_on_the_crisis_screen_help_opens_on_the_crisis_keys(app, lead):
    declare(lead)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, CrisisScreen))
        lines = await help_lines(pilot)

        assert lines[1].strip() == "Crisis screen"
        edit = binding_line(lines, "edit-incident")
        assert edit.lstrip().startswith("E ") and "Edit · Change the title, severity" in edit
        assert line_of(lines, "Statement forms") > line_of(lines, ELSEWHERE)


async def test_help_shows_the_keys_the_keymap_gave(make_app):
    app, _ = make_app(threads=3, keymap={"undo": "ctrl+u", "close": "x"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        lines = await help_lines(pilot)

        assert binding_line(lines, "undo").lstrip().startswith("^u")
        assert binding_line(lines, "close").lstrip().startswith("x ")
