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
    Binding(
        "space",
        "toggle_mark",
        "Mark",
        id="mark-thread",
        tooltip="Mark or unmark the thread for an action on many threads at once, and move down",
    ),
    Binding(
        "shift+down",
        "extend_down",
        "Mark down",
        id="mark-down",
        tooltip="Mark a range of threads, moving down",
        show=False,
    ),
    Binding(
        "shift+up",
        "extend_up",
        "Mark up",
        id="mark-up",
        tooltip="Mark a range of threads, moving up",
        show=False,
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


def _view_binding(key: str, view: str, label: str, tooltip: str) -> Binding:
    return Binding(
        key, f"show_view('{view}')", label, id=f"view-{view}", tooltip=tooltip, show=False
    )


INBOX_VIEWS = [
    _view_binding("1", "mine", "Mine", "Open threads assigned to you"),
    _view_binding("2", "unassigned", "Unassigned", "Open threads nobody has taken"),
    _view_binding("3", "open", "All open", "Every open thread"),
    _view_binding(
        "4",
        "mentions",
        "Mentions",
        "Platform mentions, and threads where a colleague's note @mentions you",
    ),
    _view_binding("5", "dms", "DMs", "Open direct-message threads"),
    _view_binding("6", "comments", "Comments", "Open comment threads"),
    _view_binding("7", "breaching", "Breaching", "Open threads past their SLA due time"),
    _view_binding("8", "incident", "Incident", "Open threads tagged to the active incident"),
    _view_binding("9", "closed", "Closed", "Closed threads, latest first"),
    _view_binding("0", "snoozed", "Snoozed", "Snoozed threads, the next to wake first"),
    _view_binding(
        "S", "spam", "Spam", "Threads marked spam and those of blocked authors, latest first"
    ),
]
"""One key per view of the inbox; the ids are `view-<name>`."""

INBOX = [
    Binding(
        "v", "pick_view", "Views", id="pick-view", tooltip="Choose which threads the list shows"
    ),
    Binding(
        "f",
        "filter",
        "Filter",
        id="filter",
        tooltip="Show only some platforms, an account, a tag, an assignee or a priority",
    ),
    Binding(
        "o",
        "pick_sort",
        "Sort",
        id="sort",
        tooltip="Order by newest, longest waiting, SLA due or reply window",
    ),
    Binding(
        "slash", "search", "Search", id="search", tooltip="Find threads by words in their messages"
    ),
    Binding(
        "a",
        "assign",
        "Assign",
        id="assign",
        tooltip="Assign the marked (or selected) threads; agents take them",
    ),
    Binding(
        "t",
        "tag",
        "Tag",
        id="tag",
        tooltip="Add or remove tags on the marked (or selected) threads",
    ),
    Binding(
        "z",
        "snooze",
        "Snooze",
        id="snooze",
        tooltip="Hide the marked (or selected) threads until a time; a new message wakes them",
        show=False,
    ),
    Binding(
        "p",
        "priority",
        "Priority",
        id="priority",
        tooltip="Set the priority of the marked (or selected) threads",
        show=False,
    ),
    Binding(
        "c", "close_threads", "Close", id="close", tooltip="Close the marked (or selected) threads"
    ),
    Binding(
        "u",
        "reopen_threads",
        "Reopen",
        id="reopen",
        tooltip="Reopen the marked (or selected) threads",
        show=False,
    ),
    Binding(
        "ctrl+z",
        "undo",
        "Undo",
        id="undo",
        tooltip="Undo the close, snooze, priority, tag or assignment you just made, for a few "
        "seconds after it (here or in the thread)",
        show=False,
    ),
    Binding(
        "m",
        "bulk_reply",
        "Reply to marked",
        id="bulk-reply",
        tooltip="Answer every marked thread with one message, rendered for each channel",
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
        "x",
        "toggle_spam",
        "Spam",
        id="spam",
        tooltip="Mark the marked (or selected) threads spam: closed, out of the SLA and stats; "
        "in the Spam view, say they are not spam",
        show=False,
    ),
    Binding(
        "X",
        "block_author",
        "Block author",
        id="block-author",
        tooltip="Block the author of the marked (or selected) threads, after asking: the "
        "threads and every new message of theirs close as spam; pressed again, unblock",
        show=False,
    ),
    Binding(
        "H",
        "hide_comment",
        "Hide comment",
        id="hide-comment",
        tooltip="Hide one of the selected thread's comments on its platform, or show it again "
        "(where the platform allows it)",
        show=False,
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

FILTERS = [
    Binding(
        "ctrl+s",
        "apply",
        "Apply",
        id="apply-filters",
        tooltip="Show the threads these filters allow",
    ),
    Binding("ctrl+l", "clear", "Clear all", id="clear-filters", tooltip="Drop every filter"),
    Binding(
        "escape",
        "cancel",
        "Cancel",
        id="cancel-filters",
        tooltip="Close, keeping the filters as they were",
    ),
]
"""Keys of the filter form."""

BULK_REPLY = [
    Binding(
        "ctrl+s",
        "check_or_send",
        "Check / send",
        id="bulk-send",
        tooltip=(
            "Check the message against every marked thread; pressed again, send it where it fits"
        ),
    ),
    Binding(
        "ctrl+o",
        "pick_answer",
        "Answers",
        id="bulk-pick-answer",
        tooltip="Start from a prepared answer",
    ),
    Binding(
        "escape", "cancel", "Cancel", id="bulk-cancel", tooltip="Close without sending anything"
    ),
]
"""Keys of the one-message-to-many-threads form."""

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
        "back",
        "Back",
        id="close-thread",
        tooltip=(
            "From the reply or a side pane back to the conversation; from there back to the list"
        ),
    ),
    Binding(
        "r", "reply", "Reply", id="thread-reply", tooltip="Write a reply (moves to the composer)"
    ),
    Binding(
        "n",
        "note",
        "Note",
        id="thread-note",
        tooltip="Add an internal note for colleagues; @handle tells someone",
    ),
    Binding(
        "a",
        "assign",
        "Assign",
        id="thread-assign",
        tooltip="Leads: assign to someone, seeing each person's open load; agents: take it",
    ),
    Binding("t", "tag", "Tag", id="thread-tag", tooltip="Add or remove tags (-tag removes)"),
    Binding("c", "close_thread", "Close", id="thread-close", tooltip="Close the thread"),
    Binding("u", "reopen", "Reopen", id="thread-reopen", tooltip="Reopen the thread", show=False),
    Binding(
        "ctrl+z",
        "undo",
        "Undo",
        id="undo",
        tooltip="Undo the close, snooze, priority, tag or assignment you just made, for a few "
        "seconds after it (here or in the list)",
        show=False,
    ),
    Binding(
        "z",
        "snooze",
        "Snooze",
        id="thread-snooze",
        tooltip="Hide the thread until a time (1 hour, tomorrow 9:00, 2h, mon 9:00, ...)",
    ),
    Binding(
        "i",
        "author_pane",
        "Author",
        id="thread-author-card",
        tooltip="Show or hide who wrote it: platform, first seen, their other threads",
    ),
    Binding(
        "h",
        "history_pane",
        "History",
        id="thread-history",
        tooltip="Show or hide the thread's history: assignments, tags, status changes, replies",
    ),
    Binding(
        "o",
        "open_attachment",
        "Attachment",
        id="thread-open-attachment",
        tooltip=(
            "Open an attachment's link (an image, a link card, a quoted post) in the browser; "
            "several: pick one"
        ),
    ),
    Binding(
        "ctrl+o",
        "pick_answer",
        "Answers",
        id="pick-answer",
        tooltip="Pick a prepared answer for the reply (also: / at the start of an empty reply)",
    ),
    Binding(
        "ctrl+s",
        "send_reply",
        "Send",
        id="send-reply",
        tooltip="Queue the reply for sending, after the pre-send checks",
    ),
    Binding(
        "p", "priority", "Priority", id="thread-priority", tooltip="Set the priority", show=False
    ),
    Binding(
        "R",
        "resend_reply",
        "Send again",
        id="thread-resend-reply",
        tooltip="Send again a reply that failed or could not be confirmed (check the platform "
        "first: it may have been posted)",
        show=False,
    ),
    Binding(
        "W",
        "withdraw_reply",
        "Withdraw",
        id="thread-withdraw-reply",
        tooltip="Withdraw a reply that has not gone out (waiting, queued, failed or unconfirmed)",
        show=False,
    ),
    Binding(
        "b",
        "open_post",
        "Open post",
        id="thread-open-post",
        tooltip="Open the original post in the browser, or show its address when there is none",
        show=False,
    ),
    Binding(
        "x",
        "toggle_spam",
        "Spam",
        id="thread-spam",
        tooltip="Mark the thread spam (closed, out of the SLA and stats), or say it is not",
        show=False,
    ),
    Binding(
        "X",
        "block_author",
        "Block author",
        id="thread-block-author",
        tooltip="Block the thread's author, after asking: the thread and every new message of "
        "theirs close as spam; pressed again, unblock",
        show=False,
    ),
    Binding(
        "H",
        "hide_comment",
        "Hide comment",
        id="thread-hide-comment",
        tooltip="Hide one of the thread's comments on its platform, or show it again (where "
        "the platform allows it)",
        show=False,
    ),
    Binding(
        "y",
        "copy_link",
        "Copy link",
        id="thread-copy-link",
        tooltip="Copy the original post's address to the clipboard",
        show=False,
    ),
    Binding(
        "f6",
        "switch_focus",
        "Conversation/reply",
        id="switch-focus",
        tooltip="Move between the conversation and the reply",
        show=False,
    ),
]
"""Keys of the thread screen; the letters act while the conversation (not the reply) has focus."""

PICKERS = [
    Binding(
        "escape", "cancel", "Cancel", id="picker-cancel", tooltip="Close without changing anything"
    ),
    Binding(
        "ctrl+s",
        "confirm",
        "Done",
        id="picker-confirm",
        tooltip="Apply the choice (enter does too, except in a note, where it starts a new line)",
    ),
    Binding(
        "down",
        "cursor_down",
        "Down",
        id="picker-down",
        tooltip="Highlight the next choice",
        show=False,
    ),
    Binding(
        "up", "cursor_up", "Up", id="picker-up", tooltip="Highlight the previous choice", show=False
    ),
]
"""Keys of the assign, tag, snooze, priority and note pickers."""

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
        "down",
        "cursor_down",
        "Down",
        id="answer-down",
        tooltip="Highlight the next answer",
        show=False,
    ),
    Binding(
        "up", "cursor_up", "Up", id="answer-up", tooltip="Highlight the previous answer", show=False
    ),
    Binding(
        "escape",
        "cancel",
        "Close",
        id="close-picker",
        tooltip="Close the picker, inserting nothing",
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

CRISIS = [
    Binding(
        "exclamation_mark",
        "crisis",
        "Crisis",
        id="crisis",
        tooltip=(
            "The crisis screen: declare an incident, post statements, reply to its threads, end it"
        ),
        show=False,
    ),
    Binding(
        "A",
        "acknowledge_alerts",
        "Acknowledge",
        id="acknowledge-alerts",
        tooltip="Acknowledge the alerts in the banner, for everyone (agents and leads)",
        show=False,
    ),
    Binding(
        "R",
        "review",
        "Review",
        id="incident-review",
        tooltip="The review of the active (or the latest) incident",
        show=False,
    ),
    Binding(
        "P",
        "posts",
        "Posts",
        id="scheduled-posts",
        tooltip="Scheduled posts: list, add, edit, cancel, resume",
        show=False,
    ),
]
"""Crisis keys that work everywhere."""

TEAM = [
    Binding(
        "T",
        "team_sla",
        "Response-time targets",
        id="team-sla",
        tooltip="The team's SLA policy: targets, opening hours, holidays (leads change it)",
        show=False,
    ),
    Binding(
        "L",
        "team_listening",
        "Listening rules",
        id="team-listening",
        tooltip="The team's listening rules: what raises an alert (leads change them)",
        show=False,
    ),
    Binding(
        "G",
        "team_load",
        "Load and auto-assignment",
        id="team-load",
        tooltip=(
            "Each person's load against their capacity, who is online, and the auto-assignment "
            "rules (leads and supervisors; leads change the rules)"
        ),
        show=False,
    ),
    Binding(
        "B",
        "toggle_away",
        "Away / back",
        id="toggle-away",
        tooltip="Say you are away (no threads are handed to you) or back",
        show=False,
    ),
]
"""The team's settings, from everywhere."""

ACKNOWLEDGEMENTS = [
    Binding(
        "K",
        "acknowledgement_rules",
        "Acknowledgement rules",
        id="acknowledgement-rules",
        tooltip="Which new threads the inbox answers by itself, saying when a person will "
        "reply, and with which answer (leads change them)",
        show=False,
    ),
]
"""The acknowledgement rules, from everywhere."""

TEAM_LOAD = [
    Binding(
        "e",
        "edit_rules",
        "Edit rules",
        id="edit-assignment-rules",
        tooltip="Change the auto-assignment rules: per channel, the order, when away people "
        "hand back (leads)",
    ),
    Binding("r", "refresh", "Refresh", id="refresh-load", tooltip="Read the loads again now"),
    Binding("escape", "close", "Back", id="close-load", tooltip="Back to where you were"),
]
"""Keys of the load and auto-assignment screen."""

CRISIS_SCREEN = [
    Binding(
        "d",
        "declare",
        "Declare",
        id="declare-incident",
        tooltip="Declare an incident; every scheduled post pauses (leads)",
    ),
    Binding(
        "h",
        "holding_statement",
        "Holding statement",
        id="post-holding-statement",
        tooltip="Post the holding statement on every (or chosen) account as one campaign (leads)",
    ),
    Binding(
        "u",
        "public_update",
        "Update",
        id="post-update",
        tooltip=(
            "Post a public update on every (or chosen) account; restarts the update clock (leads)"
        ),
    ),
    Binding(
        "y",
        "reply_to_threads",
        "Reply to threads",
        id="reply-to-incident-threads",
        tooltip="Reply with the statement in every open incident thread, after a summary (leads)",
    ),
    Binding(
        "E",
        "edit_incident",
        "Edit",
        id="edit-incident",
        tooltip="Change the title, severity, scope, status page or update interval (leads)",
    ),
    Binding(
        "e",
        "end_incident",
        "End",
        id="end-incident",
        tooltip="End the incident, first posting an all-clear if you want one; posts stay "
        "paused until resumed (leads)",
    ),
    Binding(
        "enter",
        "open_review",
        "Review",
        id="open-incident-review",
        tooltip="The review of the highlighted incident",
    ),
    Binding("escape", "close", "Back", id="close-crisis", tooltip="Back to where you were"),
]
"""Keys of the crisis screen."""

CRISIS_FORM = [
    Binding(
        "ctrl+s",
        "submit",
        "Go",
        id="submit-form",
        tooltip="Declare, check then send, end, save: what the form's button says",
    ),
    Binding(
        "escape", "cancel", "Cancel", id="cancel-form", tooltip="Close the form; nothing is done"
    ),
]
"""Keys of the crisis forms (declare, statement, end, scheduled post, review file)."""

STATEMENT_FORM = [
    Binding(
        "ctrl+o",
        "pick_answer",
        "Answers",
        id="statement-answer",
        tooltip="Put a prepared answer in the statement's text (holding, update, all-clear)",
    ),
]
"""Keys of the statement and update forms, besides the crisis forms' own."""

REVIEW = [
    Binding(
        "w",
        "write_review",
        "Write file",
        id="write-review",
        tooltip="Write the review to review.html or review.md, with a CSV of its threads",
    ),
    Binding("escape", "close", "Back", id="close-review", tooltip="Back to where you were"),
]
"""Keys of the incident review screen."""

POSTS = [
    Binding("a", "add_post", "Add", id="add-post", tooltip="Schedule a post on an account (leads)"),
    Binding(
        "e",
        "edit_post",
        "Edit",
        id="edit-post",
        tooltip="Change the highlighted post's text or time (leads)",
    ),
    Binding(
        "x",
        "cancel_post",
        "Cancel post",
        id="cancel-post",
        tooltip="Withdraw the highlighted post (leads)",
    ),
    Binding(
        "u",
        "resume_post",
        "Resume",
        id="resume-post",
        tooltip="Resume the highlighted paused post (leads)",
    ),
    Binding(
        "U",
        "resume_all",
        "Resume all",
        id="resume-all-posts",
        tooltip="Resume every paused post (leads)",
    ),
    Binding("escape", "close", "Back", id="close-posts", tooltip="Back to where you were"),
]
"""Keys of the scheduled posts screen."""

LISTENING = [
    Binding(
        "a", "add_rule", "Add", id="add-listening-rule", tooltip="Add a listening rule (leads)"
    ),
    Binding(
        "e",
        "edit_rule",
        "Edit",
        id="edit-listening-rule",
        tooltip="Change the highlighted rule's name or settings (leads)",
    ),
    Binding(
        "o",
        "switch_rule",
        "On/off",
        id="switch-listening-rule",
        tooltip="Switch the highlighted rule off (kept, raises no alerts) or back on (leads)",
    ),
    Binding(
        "x",
        "remove_rule",
        "Remove",
        id="remove-listening-rule",
        tooltip="Remove the highlighted rule for good, after asking; its alerts stay (leads)",
    ),
    Binding("escape", "close", "Back", id="close-listening", tooltip="Back to where you were"),
]
"""Keys of the listening rules screen."""

OPEN_ACCOUNTS = [
    Binding(
        "C",
        "accounts",
        "Open",
        id="open-accounts",
        tooltip="The connected accounts: health, last success, next poll; reconnect (admins)",
        show=False,
    ),
]
"""Opens the accounts screen, from everywhere (offered to admins only)."""

ACCOUNTS = [
    Binding(
        "l",
        "reconnect",
        "Reconnect",
        id="reconnect-account",
        tooltip="Log the highlighted account in again with its platform's login flow",
    ),
    Binding("e", "enable", "Enable", id="enable-account", tooltip="Poll the account again"),
    Binding(
        "d",
        "disable",
        "Disable",
        id="disable-account",
        tooltip="Stop polling the account and sending from it; its threads stay",
    ),
    Binding("escape", "close", "Back", id="close-accounts", tooltip="Back to where you were"),
]
"""Keys of the accounts screen."""

LOGIN_QUESTION = [
    Binding(
        "escape",
        "cancel",
        "Cancel",
        id="cancel-login",
        tooltip="Stop the login; nothing is stored",
    ),
]
"""Keys of a login question (enter answers it)."""

FOR_YOU = [
    Binding(
        "F",
        "for_me",
        "For me",
        id="for-me",
        tooltip=(
            "Your notifications until you read them: assigned to you, @mentions, your replies "
            "approved, rejected or failed, approvals waiting"
        ),
        show=False,
    ),
    Binding(
        "V",
        "approvals",
        "Approvals",
        id="approvals",
        tooltip="Replies and statements waiting for a lead: approve, reject, edit (leads)",
        show=False,
    ),
    Binding(
        "O",
        "outbox",
        "Outbox",
        id="outbox",
        tooltip="Sends that failed or could not be confirmed, and why: retry or cancel them",
        show=False,
    ),
]
"""What waits for the person, from everywhere."""

APPROVALS = [
    Binding(
        "a",
        "approve",
        "Approve",
        id="approve",
        tooltip="Let the highlighted message go out as written",
    ),
    Binding(
        "x",
        "reject",
        "Reject",
        id="reject",
        tooltip="Stop the highlighted message for good, saying why (its author reads it)",
    ),
    Binding(
        "e",
        "edit_approve",
        "Edit & approve",
        id="edit-approve",
        tooltip="Change the text, checked for its channel like any reply, then let it go out",
    ),
    Binding(
        "enter",
        "open_thread",
        "Open thread",
        id="approval-open-thread",
        tooltip="Open the thread the highlighted reply answers",
    ),
    Binding("escape", "close", "Back", id="close-approvals", tooltip="Back to where you were"),
]
"""Keys of the approvals screen."""

OUTBOX = [
    Binding(
        "r",
        "retry",
        "Retry",
        id="retry-send",
        tooltip="Send the highlighted message again (an unconfirmed one: after checking)",
    ),
    Binding(
        "x",
        "cancel_send",
        "Cancel",
        id="cancel-send",
        tooltip="Withdraw the highlighted message for good, after asking",
    ),
    Binding(
        "enter",
        "open_thread",
        "Open thread",
        id="outbox-open-thread",
        tooltip="Open the thread the highlighted message answers",
    ),
    Binding("escape", "close", "Back", id="close-outbox", tooltip="Back to where you were"),
]
"""Keys of the outbox screen."""

FOR_ME = [
    Binding(
        "enter",
        "open_notice",
        "Open",
        id="open-notification",
        tooltip="Open what the highlighted notification is about, and mark it read",
    ),
    Binding(
        "m",
        "mark_read",
        "Mark read",
        id="mark-notification-read",
        tooltip="Mark the highlighted notification read without opening it",
    ),
    Binding(
        "M",
        "mark_all_read",
        "Mark all read",
        id="mark-all-notifications-read",
        tooltip="Mark every notification read",
    ),
    Binding("escape", "close", "Back", id="close-for-me", tooltip="Back to where you were"),
]
"""Keys of the For me screen."""

GROUPS: dict[str, list[Binding]] = {
    "Thread list": THREAD_LIST,
    "Preview": THREAD_PREVIEW,
    "Inbox": INBOX,
    "Inbox views": INBOX_VIEWS,
    "Filters": FILTERS,
    "Reply to marked": BULK_REPLY,
    "Thread": THREAD,
    "Conversation": CONVERSATION,
    "Prepared answers": ANSWER_PICKER,
    "Pickers": PICKERS,
    "Stats": STATS,
    "Everywhere": APP,
    "Crisis, everywhere": CRISIS,
    "Team": TEAM,
    "Acknowledgements": ACKNOWLEDGEMENTS,
    "Team load": TEAM_LOAD,
    "Crisis screen": CRISIS_SCREEN,
    "Crisis forms": CRISIS_FORM,
    "Statement forms": STATEMENT_FORM,
    "Incident review": REVIEW,
    "Scheduled posts": POSTS,
    "Listening rules": LISTENING,
    "Accounts": OPEN_ACCOUNTS + ACCOUNTS,
    "Login questions": LOGIN_QUESTION,
    "For you": FOR_YOU,
    "Approvals": APPROVALS,
    "Outbox": OUTBOX,
    "For me": FOR_ME,
}
"""The bindings the help screen lists, under these headings."""


def binding_ids() -> set[str]:
    """Every binding id, for checking a config's `[keymap]`."""
    every = [
        *THREAD_LIST,
        *THREAD_PREVIEW,
        *INBOX,
        *INBOX_VIEWS,
        *FILTERS,
        *BULK_REPLY,
        *THREAD,
        *CONVERSATION,
        *ANSWER_PICKER,
        *PICKERS,
        *STATS,
        *APP,
        *HELP,
        *CRISIS,
        *TEAM,
        *ACKNOWLEDGEMENTS,
        *TEAM_LOAD,
        *CRISIS_SCREEN,
        *CRISIS_FORM,
        *STATEMENT_FORM,
        *REVIEW,
        *POSTS,
        *LISTENING,
        *OPEN_ACCOUNTS,
        *ACCOUNTS,
        *LOGIN_QUESTION,
        *FOR_YOU,
        *APPROVALS,
        *OUTBOX,
        *FOR_ME,
    ]
    return {binding.id for binding in every if binding.id}
