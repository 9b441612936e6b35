"""`inbox threads`: triage from the shell: list views, read one, assign, tag, snooze, close, note,
mark spam, block an author, hide a comment.

The threads come first: `inbox threads tag 41 42 refund`. A change names one or more
thread ids and says, per thread, why it was not changed; `--format json` prints what
changed. Exit status: 0 when every thread changed, 1 when some were not (nothing to
change, no such thread, another's thread), 2 for input that makes no sense (a time in the
past, an unknown handle), 3 when `show` or `note` names no thread, 4 when your role does
not allow it at all; README.md lists every code.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from inbox.cli import with_change_format, with_format

if TYPE_CHECKING:
    from inbox.cli.main import Context
    from inbox.service import InboxService
    from inbox.triage.changes import BulkResult
    from inbox.triage.lists import ThreadRow
    from inbox.triage.messages import ItemRow

VIEWS = (
    "mine",
    "unassigned",
    "open",
    "mentions",
    "dms",
    "comments",
    "breaching",
    "incident",
    "snoozed",
    "closed",
    "spam",
)
SORTS = ("newest", "waiting", "due", "window")
PRIORITIES = ("low", "normal", "high", "urgent")
_LATE_FETCH = timedelta(minutes=5)
"""A history line names when messages were fetched too, when it was this much later."""

_LIST_COLUMNS = [
    "id",
    "status",
    "platform",
    "kind",
    "priority",
    "assignee",
    "author",
    "tags",
    "due",
    "last activity",
    "preview",
]


def register(commands: Any) -> None:
    """Add `threads` and its actions to the CLI."""
    threads = commands.add_parser(
        "threads",
        help="list, assign, tag, snooze and close threads",
        description=__doc__.split("\n\n", 1)[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    ).add_subparsers(dest="threads_command", metavar="ACTION", required=True)

    listing = threads.add_parser("list", help="the threads of a view, a page at a time")
    listing.add_argument(
        "--view", choices=VIEWS, default="open", help="which threads (default: open)"
    )
    listing.add_argument("--sort", choices=SORTS, default="newest", help="order (default: newest)")
    listing.add_argument(
        "--platform",
        action="append",
        default=[],
        metavar="NAME",
        help="only this platform, as the TUI shows it: mastodon is the demo's too (repeatable)",
    )
    listing.add_argument("--account", type=int, metavar="ID", help="only this account")
    listing.add_argument("--tag", help="only threads with this tag")
    listing.add_argument(
        "--assignee", metavar="HANDLE", help='only threads this person holds ("none": nobody)'
    )
    listing.add_argument("--priority", choices=PRIORITIES, help="only threads of this priority")
    listing.add_argument(
        "--search", metavar="TEXT", help="only threads with a message containing every word"
    )
    listing.add_argument("--limit", type=_positive, default=50, help="rows to show (default: 50)")
    with_format(listing, json_alias=True)
    listing.set_defaults(handler=cmd_list)

    show = threads.add_parser(
        "show", help="one thread: its messages with their attachments, its notes and history"
    )
    show.add_argument("thread", type=int)
    with_format(show, ("table", "json"), json_alias=True)
    show.set_defaults(handler=cmd_show)

    assign = threads.add_parser("assign", help="give threads to a person (leads and admins)")
    _threads_then(assign, "HANDLE", 'who gets them ("none": unassign)')
    assign.set_defaults(handler=cmd_assign)

    take = threads.add_parser("take", help="assign unassigned threads to yourself")
    _thread_ids(take)
    take.set_defaults(handler=cmd_take)

    for name, help_text in (("tag", "put tags on threads"), ("untag", "take tags off threads")):
        tagging = threads.add_parser(name, help=help_text)
        _threads_then(tagging, "TAG[,TAG...]", "one tag, or several separated by commas")
        tagging.set_defaults(handler=cmd_tag)

    snooze = threads.add_parser("snooze", help="put threads aside until a time")
    _threads_then(
        snooze, "WHEN", "2h, 30m, 3d, tomorrow 9:00, mon 9:00 or YYYY-MM-DD 09:00 (your time zone)"
    )
    snooze.set_defaults(handler=cmd_snooze)

    priority = threads.add_parser("priority", help="change how urgent threads are")
    _threads_then(priority, "PRIORITY", ", ".join(PRIORITIES))
    priority.set_defaults(handler=cmd_priority)

    close = threads.add_parser("close", help="mark threads done")
    _thread_ids(close)
    close.set_defaults(handler=cmd_close)

    reopen = threads.add_parser("reopen", help="bring closed or snoozed threads back")
    _thread_ids(reopen)
    reopen.set_defaults(handler=cmd_reopen)

    for name, help_text, handler in (
        ("spam", "close threads as spam: out of the views, the SLA and the stats", cmd_spam),
        ("unspam", "say threads are not spam: they open again", cmd_unspam),
        ("block", "block each thread's author (their new messages close as spam)", cmd_block),
        ("unblock", "unblock each thread's author", cmd_unblock),
    ):
        moderation = threads.add_parser(name, help=help_text)
        _thread_ids(moderation)
        moderation.set_defaults(handler=handler)

    for name, help_text in (
        ("hide", "hide a customer's comment on its platform, where the platform allows it"),
        ("unhide", "show a hidden comment again"),
    ):
        hiding = threads.add_parser(name, help=help_text)
        hiding.add_argument(
            "message", type=int, metavar="MESSAGE", help="message id (`threads show` lists them)"
        )
        with_change_format(hiding)
        hiding.set_defaults(handler=cmd_hide)

    note = threads.add_parser("note", help="add an internal note; @handle mentions a colleague")
    note.add_argument("thread", type=int, help="thread id")
    note.add_argument("text")
    with_change_format(note)
    note.set_defaults(handler=cmd_note)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _thread_ids(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("threads", type=int, nargs="+", metavar="THREAD", help="thread ids")
    with_change_format(parser)


def _threads_then(parser: argparse.ArgumentParser, metavar: str, help_text: str) -> None:
    """THREAD [THREAD ...] then one value; `_threads_and_value` reads them, and the older
    order (the value first) too."""
    parser.add_argument("threads", nargs="+", metavar="THREAD", help="thread ids")
    parser.add_argument("value", metavar=metavar, help=help_text)
    parser.set_defaults(value_name=metavar)
    with_change_format(parser)


def _threads_and_value(context: Context, *, spaces: bool = False) -> tuple[list[int], str]:
    """The thread ids and the value of `THREAD [THREAD ...] VALUE`.

    The older `VALUE THREAD [THREAD ...]` still works when its first word is not a thread
    number, with a line on stderr giving the new order, so a script keeps working and its
    author learns why. `spaces` lets the value be several words (`tomorrow 9:00`). When every
    word is a number, the last is the value.
    """
    from inbox.core.errors import InvalidInput

    options = context.options
    words = [*options.threads, options.value]
    leading = 0
    while leading < len(words) and words[leading].isdigit():
        leading += 1
    if leading:
        ids, rest = words[:leading], words[leading:]
        if not rest:
            ids, rest = ids[:-1], ids[-1:]
    else:
        values = 0
        while values < len(words) and not words[values].isdigit():
            values += 1
        rest, ids = words[:values], words[values:]
        if not ids or not all(word.isdigit() for word in ids):
            raise InvalidInput(
                f"give the thread ids, then the {options.value_name}: "
                f"inbox threads {options.threads_command} 41 42 {options.value_name}"
            )
        print(
            "inbox: the thread ids come first now: inbox threads "
            f"{options.threads_command} {' '.join(ids)} {_quoted(' '.join(rest))}",
            file=sys.stderr,
        )
    if len(rest) > 1 and not spaces:
        raise InvalidInput(
            f"give one {options.value_name} after the thread ids, not {' '.join(rest)!r}"
        )
    return [int(word) for word in ids], " ".join(rest)


def _quoted(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _service(context: Context) -> InboxService:
    """The service the thread commands change threads through (due times by the team's policy)."""
    return context.service()


def _when(moment: Any) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def _json_row(row: ThreadRow) -> dict[str, Any]:
    from dataclasses import asdict
    from datetime import datetime

    return {
        name: value.isoformat()
        if isinstance(value, datetime)
        else list(value)
        if isinstance(value, tuple)
        else value
        for name, value in asdict(row).items()
    }


def _json_message(item: ItemRow) -> dict[str, Any]:
    from inbox.store.ingest import attachment_rows

    return {
        "id": item.id,
        "direction": item.direction,
        "author": item.author,
        "text": item.text,
        "created_at": item.created_at.isoformat(),
        "url": item.url,
        "attachments": attachment_rows(item.attachments) or [],
        "automated": item.automated,
        "hidden_at": item.hidden_at.isoformat() if item.hidden_at else None,
    }


def _print_message(item: ItemRow) -> None:
    """A message as `threads show` prints it: who and when, then its body indented.

    Its content warning comes first, then the text, then each attachment as the thread
    screen shows it (`attachment_text`), every word cleaned for the terminal.
    """
    from adapters.base import AttachmentKind
    from inbox.core.sanitize import for_display, name_for_display
    from inbox.triage.messages import attachment_text

    who = name_for_display(item.author) if item.author else "unknown"
    if item.automated:
        who = "acknowledgement sent by the inbox"
    elif item.direction != "in":
        who = "reply from " + who
    hidden = " · hidden on the platform" if item.hidden_at else ""
    print(f"  {_when(item.created_at)} {who} · message {item.id}{hidden}:")
    warnings = [shown for shown in item.attachments if shown.kind == AttachmentKind.WARNING]
    others = [shown for shown in item.attachments if shown.kind != AttachmentKind.WARNING]
    for warning in warnings:
        print(f"    {attachment_text(warning).lines()[0]}")
    text = for_display(item.text).strip()
    for line in text.splitlines() if text or item.attachments else ["(no text)"]:
        print(f"    {line}".rstrip())
    for attachment in others:
        first, *under = attachment_text(attachment).lines()
        print(f"    ▸ {first}")
        for line in under:
            print(f"      {line}")


def _print_json(value: Any) -> None:
    from inbox.core.sanitize import json_text

    sys.stdout.write(json_text(value, indent=2) + "\n")


def cmd_list(context: Context) -> int:
    from inbox.cli.main import resolve_platforms
    from inbox.triage.lists import Sort, ThreadFilter, View

    options = context.options
    service = context.service(create=False)
    query = ThreadFilter(
        view=View(options.view),
        sort=Sort(options.sort),
        platforms=frozenset(resolve_platforms(service, options.platform)),
        account_id=options.account,
        tag=options.tag,
        assignee=options.assignee,
        priority=options.priority,
        search_text=options.search,
    )
    rows = service.list_threads(query, limit=options.limit)
    if options.format == "json":
        _print_json([_json_row(row) for row in rows])
    elif not rows and options.format == "table":
        print(
            f"no threads in the {options.view} view"
            + (
                " with these filters"
                if query != ThreadFilter(view=query.view, sort=query.sort)
                else ""
            )
        )
    else:
        _emit_rows(rows, options.format)
    if not rows:
        context.note_database()
    return 0


def _emit_rows(rows: list[ThreadRow], output_format: str) -> None:
    from inbox.cli.main import emit
    from inbox.core.sanitize import first_line

    emit(
        [
            {
                "id": row.id,
                "status": row.status,
                "platform": row.platform,
                "kind": row.kind,
                "priority": row.priority,
                "assignee": row.assignee,
                "author": row.author,
                "tags": ",".join(row.tags),
                "due": _when(row.due_at),
                "last activity": _when(row.last_activity_at),
                "preview": first_line(row.preview, 50),
            }
            for row in rows
        ],
        _LIST_COLUMNS,
        output_format,
    )


def cmd_show(context: Context) -> int:
    from inbox.core.sanitize import for_display

    service = context.service(create=False)
    thread_id = context.options.thread
    row = service.thread(thread_id)
    items = service.thread_items(thread_id)
    notes = service.notes(thread_id)
    history = service.history(thread_id)
    if context.options.format == "json":
        _print_json(
            {
                "thread": _json_row(row),
                "messages": [_json_message(item) for item in items],
                "notes": [
                    {
                        "id": note.id,
                        "author": note.author,
                        "body": note.body,
                        "mentions": list(note.mentions),
                        "created_at": note.created_at.isoformat(),
                    }
                    for note in notes
                ],
                "history": [
                    {
                        "at": entry.happened_at.isoformat(),
                        "recorded_at": entry.at.isoformat(),
                        "actor": entry.actor,
                        "type": entry.type,
                        "text": entry.text,
                    }
                    for entry in history
                ],
            }
        )
        return 0
    holder = f"assigned to {row.assignee}" if row.assignee else "unassigned"
    print(
        f"thread {row.id} · {row.platform} {for_display(row.account_handle)} · "
        f"{row.kind} · {row.status} · {row.priority} · {holder}"
    )
    details = [f"author {for_display(row.author or 'unknown')}"]
    if row.tags:
        details.append("tags " + ", ".join(row.tags))
    if row.due_at:
        details.append(f"due {_when(row.due_at)} UTC")
    if row.snoozed_until and row.status == "snoozed":
        details.append(f"snoozed until {_when(row.snoozed_until)} UTC")
    if row.reply_window_closes_at:
        details.append(f"reply window closes {_when(row.reply_window_closes_at)} UTC")
    print(" · ".join(details))
    if items:
        print("\nmessages:")
        for number, item in enumerate(items):
            if number:
                print()
            _print_message(item)
    else:
        print(for_display(row.preview))
    if notes:
        print("\nnotes:")
        for note in notes:
            print(f"  {_when(note.created_at)} {note.author}: {for_display(note.body)}")
    if history:
        print("\nhistory:")
        for entry in history:
            fetched = ""
            if entry.written_at is not None and entry.at - entry.written_at > _LATE_FETCH:
                fetched = f" (fetched {_when(entry.at)})"
            print(f"  {_when(entry.happened_at)} {for_display(entry.text)}{fetched}")
    return 0


def _report(context: Context, result: BulkResult, done: str, **change: Any) -> int:
    """Say what changed (as JSON with `--format json`: `change`, the ids changed and the
    reasons for the rest) and, on stderr, why each other thread did not; 1 if any did not."""
    from inbox.cli import exit_codes
    from inbox.cli.main import emit_change

    if result.changed or context.options.format == "json":
        emit_change(
            context,
            f"{done} {', '.join(map(str, result.changed))}",
            {
                "action": context.options.threads_command,
                **change,
                "changed": list(result.changed),
                "not_changed": {str(thread_id): why for thread_id, why in result.refused.items()},
            },
        )
    for thread_id, reason in result.refused.items():
        print(f"inbox: thread {thread_id} not changed: {reason}", file=sys.stderr)
    return exit_codes.FAILED if result.refused else exit_codes.OK


def cmd_assign(context: Context) -> int:
    thread_ids, handle_text = _threads_and_value(context)
    handle = None if handle_text.lower() == "none" else handle_text.lstrip("@")
    result = _service(context).assign(thread_ids, handle)
    return _report(
        context, result, f"assigned to {handle}:" if handle else "unassigned:", assignee=handle
    )


def cmd_take(context: Context) -> int:
    return _report(context, _service(context).take(context.options.threads), "took:")


def cmd_tag(context: Context) -> int:
    thread_ids, tag_text = _threads_and_value(context)
    tags = [tag.strip() for tag in tag_text.split(",") if tag.strip()] or [tag_text]
    service = _service(context)
    if context.options.threads_command == "tag":
        result = service.tag(thread_ids, add=tags)
        return _report(context, result, f"tagged {', '.join(tags)}:", tags=tags)
    result = service.tag(thread_ids, remove=tags)
    return _report(context, result, f"removed {', '.join(tags)} from:", tags=tags)


def cmd_snooze(context: Context) -> int:
    from inbox.core.when import describe, parse_when

    thread_ids, when = _threads_and_value(context, spaces=True)
    service = _service(context)
    until = parse_when(when, service.clock())
    return _report(
        context,
        service.snooze(thread_ids, until),
        f"snoozed until {describe(until)}:",
        until=until.isoformat(),
    )


def cmd_priority(context: Context) -> int:
    from inbox.core.errors import InvalidInput

    thread_ids, priority = _threads_and_value(context)
    if priority not in PRIORITIES:
        raise InvalidInput(f"no priority {priority!r}; choose one of {', '.join(PRIORITIES)}")
    return _report(
        context,
        _service(context).set_priority(thread_ids, priority),
        f"priority {priority}:",
        priority=priority,
    )


def cmd_close(context: Context) -> int:
    return _report(context, _service(context).close(context.options.threads), "closed:")


def cmd_reopen(context: Context) -> int:
    return _report(context, _service(context).reopen(context.options.threads), "reopened:")


def cmd_spam(context: Context) -> int:
    return _report(context, _service(context).mark_spam(context.options.threads), "marked spam:")


def cmd_unspam(context: Context) -> int:
    return _report(
        context, _service(context).unmark_spam(context.options.threads), "no longer spam:"
    )


def cmd_block(context: Context) -> int:
    return _report(
        context,
        _service(context).block_authors(context.options.threads),
        "blocked the author and marked spam:",
    )


def cmd_unblock(context: Context) -> int:
    return _report(
        context,
        _service(context).unblock_authors(context.options.threads),
        "unblocked the author of:",
    )


def cmd_hide(context: Context) -> int:
    from inbox.cli.main import emit_change

    hidden = context.options.threads_command == "hide"
    row = _service(context).hide_message(context.options.message, hidden=hidden)
    doing = "hiding" if hidden else "showing again"
    emit_change(
        context,
        f"queued {doing} message {context.options.message} on {row.platform} "
        f"(outgoing {row.id}); the worker does it",
        {"outbound": row.id, "message": context.options.message, "hidden": hidden},
    )
    return 0


def cmd_note(context: Context) -> int:
    from inbox.cli.main import emit_change

    note = _service(context).add_note(context.options.thread, context.options.text)
    mentioned = f", mentioning {', '.join(note.mentions)}" if note.mentions else ""
    emit_change(
        context,
        f"added note {note.id} to thread {note.thread_id}{mentioned}",
        {"id": note.id, "thread": note.thread_id, "mentions": list(note.mentions)},
    )
    return 0
