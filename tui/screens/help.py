"""The `?` help screen: every key, grouped by where it works, as the keymap has it now, and
what each mark in the thread list means."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui import bindings
from tui.widgets import labels

_KEY_NAMES = {"enter": "enter", "escape": "esc", "pagedown": "pgdn", "pageup": "pgup"}
"""Keys spelt out where a symbol would puzzle a newcomer."""


def key_names(binding: Binding, keymap: Mapping[str, str]) -> list[str]:
    """The keys a binding answers to: the keymap's choice, else its default keys."""
    keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
    return [key.strip() for key in keys.split(",") if key.strip()]


LEGEND_AFTER = "Thread list"
"""The heading whose keys the marks' legend follows."""


def legend_table() -> Table:
    """Every mark the thread list draws, beside what it means."""
    table = Table(box=None, show_header=False, expand=True, padding=(0, 1, 0, 0))
    table.add_column("mark", no_wrap=True, style="bold", width=10)
    table.add_column("what it means", ratio=1)
    for mark, meaning in labels.LIST_LEGEND:
        table.add_row(Text(mark), Text(meaning))
    return table


class HelpScreen(ModalScreen[None]):
    """A list of every binding, its keys, and what it does."""

    BINDINGS = bindings.HELP

    def __init__(self, groups: Mapping[str, Sequence[Binding]], keymap: Mapping[str, str]) -> None:
        super().__init__()
        self._groups = groups
        self._keymap = keymap

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "Keys"
            body.border_subtitle = Content(
                "remap keys by id in the config's [keymap] · escape closes"
            )
            yield Static(self._help(), id="help-table")

    def _key_display(self, key: str) -> str:
        return _KEY_NAMES.get(key) or self.app.get_key_display(Binding(key, ""))

    def _help(self) -> RenderableType:
        sections: list[RenderableType] = []
        extra = {"Everywhere": [("ctrl+p", "Commands", "Search every command; change the theme")]}
        for heading, group in self._groups.items():
            table = Table(box=None, show_header=False, expand=True, padding=(0, 1, 0, 0))
            table.add_column("keys", no_wrap=True, style="bold", width=10)
            table.add_column("action", no_wrap=True, width=12)
            table.add_column("what it does", ratio=1)
            table.add_column("id, for [keymap]", no_wrap=True, style="dim", width=13)
            for binding in group:
                keys = " ".join(self._key_display(key) for key in key_names(binding, self._keymap))
                table.add_row(
                    Text(keys), Text(binding.description), Text(binding.tooltip), binding.id
                )
            for keys, action, tooltip in extra.get(heading, []):
                table.add_row(Text(keys), Text(action), Text(tooltip), "")
            sections.append(Text(heading, style="bold underline"))
            sections.append(table)
            sections.append(Text(""))
            if heading == LEGEND_AFTER:
                sections.append(Text("Marks in the thread list", style="bold underline"))
                sections.append(legend_table())
                sections.append(Text(""))
        return Group(*sections[:-1])
