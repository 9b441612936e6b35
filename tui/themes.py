"""Colours from the theme, for widgets that draw Rich text themselves.

The app ships no palette of its own: every colour is a theme variable in the .tcss files,
so the built-in dark and light themes (and any a person picks with ctrl+p) stay readable.
"""

from __future__ import annotations

from rich.style import Style
from textual.widget import Widget


def component_colours(widget: Widget, component: str) -> Style:
    """The foreground and text style of one of `widget`'s component classes, no background.

    Only the full component style has translucent theme colours (`$text-muted`) blended
    in; its background is dropped so the colours can sit on a cursor or a tinted pane.
    """
    style = widget.get_component_rich_style(component)
    return Style(
        color=style.color,
        bold=style.bold,
        dim=style.dim,
        italic=style.italic,
        underline=style.underline,
        strike=style.strike,
        reverse=style.reverse,
    )
