"""Every key binding of the terminal UI, each with an id people can remap in `[keymap]`.

The ids are the stable names: `cursor-down = "n,down"` in the config's `[keymap]`
section moves that action to other keys. The help screen reads these lists, so a
binding added here is documented there too.
"""

from __future__ import annotations

from textual.binding import Binding

THREAD_LIST = [
    Binding(
        "j,down",
        "cursor_down",
        "Down",
        id="cursor-down",
        tooltip="Move to the next thread",
        show=False,
    ),
    Binding(
        "k,up", "cursor_up", "Up", id="cursor-up", tooltip="Move to the previous thread", show=False
    ),
    Binding(
        "pagedown",
        "page_down",
        "Page down",
        id="page-down",
        tooltip="Move down a screenful",
        show=False,
    ),
    Binding(
        "pageup", "page_up", "Page up", id="page-up", tooltip="Move up a screenful", show=False
    ),
    Binding(
        "home", "first", "First", id="first-thread", tooltip="Go to the newest thread", show=False
    ),
    Binding(
        "end",
        "last",
        "Last",
        id="last-thread",
        tooltip="Go to the last loaded thread (loads more as you go)",
        show=False,
    ),
    Binding(
        "enter",
        "open",
        "Open",
        id="open-thread",
        tooltip="Open the selected thread to read the whole conversation and answer it",
    ),
]
"""Keys of the thread list, active while it has focus."""

THREAD_PREVIEW = [
    Binding(
        "j,down",
        "scroll_down",
        "Scroll down",
        id="preview-down",
        tooltip="Scroll the conversation down",
        show=False,
    ),
    Binding(
        "k,up",
        "scroll_up",
        "Scroll up",
        id="preview-up",
        tooltip="Scroll the conversation up",
        show=False,
    ),
]
"""Keys of the preview pane, active while it has focus."""

INBOX = [
    Binding(
        "slash", "search", "Search", id="search", tooltip="Find threads by words in their messages"
    ),
    Binding("r", "refresh", "Refresh", id="refresh", tooltip="Reload the thread list now"),
    Binding(
        "d",
        "due_soon",
        "Due soon",
        id="due-soon",
        tooltip="Go to the most urgent thread: the longest overdue, else the next due",
    ),
    Binding(
        "escape",
        "back",
        "Back",
        id="back",
        tooltip="Back to the thread list; a second press clears the search",
    ),
]
"""Keys of the inbox screen."""

STATS = [
    Binding(
        "p", "period", "Period", id="stats-period", tooltip="Show the last day, week or 30 days"
    ),
    Binding("r", "refresh", "Refresh", id="stats-refresh", tooltip="Recompute the numbers now"),
    Binding(
        "enter",
        "open_breach",
        "Open",
        id="open-breach",
        tooltip="Select the highlighted overdue thread in the inbox",
    ),
    Binding("escape", "close", "Back", id="close-stats", tooltip="Back to the inbox"),
]
"""Keys of the stats screen."""

THREAD = [
    Binding(
        "escape",
        "close",
        "Back",
        id="close-thread",
        tooltip="Back to the thread list (the draft is kept)",
    ),
    Binding(
        "ctrl+s",
        "send_reply",
        "Send",
        id="send-reply",
        tooltip="Queue the reply for sending, after the pre-send checks",
    ),
    Binding(
        "ctrl+o",
        "pick_answer",
        "Answers",
        id="pick-answer",
        tooltip="Pick a prepared answer (also: / at the start of an empty reply)",
    ),
    Binding(
        "f6",
        "switch_focus",
        "Conversation/reply",
        id="switch-focus",
        tooltip="Move between the conversation and the reply",
    ),
]
"""Keys of the thread screen."""

CONVERSATION = [
    Binding(
        "j,down",
        "scroll_down",
        "Scroll down",
        id="conversation-down",
        tooltip="Scroll the conversation down",
        show=False,
    ),
    Binding(
        "k,up",
        "scroll_up",
        "Scroll up",
        id="conversation-up",
        tooltip="Scroll the conversation up",
        show=False,
    ),
]
"""Keys of the conversation, active while it has focus."""

ANSWER_PICKER = [
    Binding(
        "down", "cursor_down", "Down", id="answer-down", tooltip="Highlight the next answer", show=False
    ),
    Binding(
        "up", "cursor_up", "Up", id="answer-up", tooltip="Highlight the previous answer", show=False
    ),
    Binding(
        "escape", "cancel", "Close", id="close-picker", tooltip="Close the picker, inserting nothing"
    ),
]
"""Keys of the prepared-answer picker; enter inserts the highlighted answer."""

APP = [
    Binding("question_mark", "help", "Help", id="help", tooltip="Show every key and what it does"),
    Binding(
        "s",
        "stats",
        "Stats",
        id="stats",
        tooltip="Response times, SLA, backlog and volume (leads and supervisors)",
    ),
    Binding("q", "quit", "Quit", id="quit", tooltip="Leave the inbox"),
]
"""Keys that work everywhere."""

HELP = [
    Binding(
        "escape,question_mark,q", "dismiss", "Close", id="close-help", tooltip="Close the help"
    ),
]
"""Keys of the help screen."""

GROUPS: dict[str, list[Binding]] = {
    "Thread list": THREAD_LIST,
    "Preview": THREAD_PREVIEW,
    "Inbox": INBOX,
    "Thread": THREAD,
    "Conversation": CONVERSATION,
    "Prepared answers": ANSWER_PICKER,
    "Stats": STATS,
    "Everywhere": APP,
}
"""The bindings the help screen lists, under these headings."""


def binding_ids() -> set[str]:
    """Every binding id, for checking a config's `[keymap]`."""
    every = [
        *THREAD_LIST, *THREAD_PREVIEW, *INBOX, *THREAD, *CONVERSATION, *ANSWER_PICKER,
        *STATS, *APP, *HELP,
    ]
    return {binding.id for binding in every if binding.id}
