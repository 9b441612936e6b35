"""The `?` help screen: every key as the keymap has it now, the screen's own keys first.

It opens on the keys of the screen `?` was pressed on (that screen's and its widgets'),
then the keys that work everywhere, then every other screen's. Each binding shows its
keys, what it is called, what it does and its id: the name `[keymap]` in the config
takes to move it to other keys. What each mark in the thread list means follows the
thread list's keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui import bindings
from tui.widgets import labels

_KEY_NAMES = {"enter": "enter", "escape": "esc", "pagedown": "pgdn", "pageup": "pgup"}
"""Keys spelt out where a symbol would puzzle a newcomer."""

HERE = "Keys on this screen"
EVERYWHERE = "Keys that work everywhere"
ELSEWHERE = "Keys on other screens"
"""The three parts of the help, in the order shown."""

EXTRA = {"Everywhere": [("ctrl+p", "Commands", "Search every command; change the theme", "")]}
"""Keys Textual itself provides, shown with the group they belong to."""


def key_names(binding: Binding, keymap: Mapping[str, str]) -> list[str]:
    """The keys a binding answers to: the keymap's choice, else its default keys."""
    keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
    return [key.strip() for key in keys.split(",") if key.strip()]


def declared_bindings(nodes: Iterable[DOMNode]) -> set[int]:
    """The bindings `nodes` declare (their classes' inherited ones included), by identity:
    two screens may share an id ("undo") but never a `Binding`."""
    declared: set[int] = set()
    for node in nodes:
        for cls in type(node).__mro__:
            declared.update(id(binding) for binding in vars(cls).get("BINDINGS", ()))
    return declared


def arrange(
    groups: Mapping[str, Sequence[Binding]], here: set[int], everywhere: set[int]
) -> dict[str, list[str]]:
    """The group headings under each part of the help: a group goes to the first part
    that declares any of its bindings, so the screen's own keys come first."""
    parts: dict[str, list[str]] = {HERE: [], EVERYWHERE: [], ELSEWHERE: []}
    for heading, group in groups.items():
        shown = {id(binding) for binding in group}
        part = HERE if shown & here else EVERYWHERE if shown & everywhere else ELSEWHERE
        parts[part].append(heading)
    return parts


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
    """Every binding, its keys, what it does and its id; the keys of the screen below first."""

    BINDINGS = bindings.HELP

    def __init__(
        self,
        groups: Mapping[str, Sequence[Binding]],
        keymap: Mapping[str, str],
        over: Screen | None = None,
    ) -> None:
        """`over`: the screen `?` was pressed on, whose keys (and the app's) come first."""
        super().__init__()
        self._groups = groups
        self._keymap = keymap
        here = declared_bindings(over.walk_children(with_self=True)) if over else set()
        everywhere = declared_bindings([over.app]) if over else set()
        self._parts = arrange(groups, here, everywhere)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "Keys"
            body.border_subtitle = Content(
                "remap a key by its id in the config's [keymap] · escape closes"
            )
            yield Static(self._help(), id="help-table")

    def _key_display(self, key: str) -> str:
        return _KEY_NAMES.get(key) or self.app.get_key_display(Binding(key, ""))

    def _table(self, heading: str) -> Table:
        """One group's bindings: keys, name and what it does, and the whole id for `[keymap]`."""
        group = self._groups[heading]
        id_width = max((len(binding.id) for binding in group if binding.id), default=1)
        table = Table(box=None, show_header=False, expand=True, padding=(0, 1, 0, 0))
        table.add_column("keys", no_wrap=True, style="bold", width=10)
        table.add_column("what it does", ratio=1)
        table.add_column("id, for [keymap]", no_wrap=True, style="dim", width=id_width)
        rows = [
            (
                " ".join(self._key_display(key) for key in key_names(binding, self._keymap)),
                binding.description,
                binding.tooltip,
                binding.id or "",
            )
            for binding in group
        ]
        for keys, name, tooltip, binding_id in rows + EXTRA.get(heading, []):
            table.add_row(
                Text(keys), Text.assemble((name, "bold"), f" · {tooltip}"), Text(binding_id)
            )
        return table

    def _help(self) -> RenderableType:
        sections: list[RenderableType] = []
        for part, headings in self._parts.items():
            if not headings:
                continue
            sections.append(Text(part, style="bold reverse"))
            for heading in headings:
                sections.append(Text(heading, style="bold underline"))
                sections.append(self._table(heading))
                sections.append(Text(""))
                if heading == LEGEND_AFTER:
                    sections.append(Text("Marks in the thread list", style="bold underline"))
                    sections.append(legend_table())
                    sections.append(Text(""))
        return Group(*sections[:-1])
