"""The command palette (ctrl+p): every action of the current screen, by name.

Commands are the screen's active key bindings, so the palette offers exactly what fits
where the person is (the thread list's actions while it has focus, the thread's actions on
the thread screen), each named with its help group as a namespace: "inbox: Assign",
"thread: Close", "everywhere: Stats". The key is shown next to it, so the palette also
teaches the keys.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from inbox import single_line
from tui import bindings


def _namespaces() -> dict[str, str]:
    """The help group of each binding id, lower-cased, as the command's namespace."""
    return {
        binding.id: group.lower()
        for group, group_bindings in bindings.GROUPS.items()
        for binding in group_bindings
        if binding.id
    }


class ScreenActions(Provider):
    """The current screen's key bindings as palette commands."""

    def _commands(self) -> list[tuple[str, str, partial]]:
        namespaces = _namespaces()
        seen: set[str] = set()
        commands = []
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not active.enabled or binding.id in seen or binding.id not in namespaces:
                continue
            seen.add(binding.id)
            name = single_line(f"{namespaces[binding.id]}: {binding.description}")
            help_text = single_line(f"{binding.tooltip} ({self.app.get_key_display(binding)})")
            commands.append((name, help_text, partial(active.node.run_action, binding.action)))
        return commands

    async def discover(self) -> Hits:
        for name, help_text, run in self._commands():
            yield DiscoveryHit(name, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, run in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=help_text)
