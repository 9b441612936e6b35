"""`inbox threads`: triage from the shell: list views, read one, assign, tag, snooze, close, note.

A change names one or more thread ids and says, per thread, why it was not changed.
Exit status: 0 when every thread changed, 1 when some were refused (by role or because
there was nothing to change), 2 for input that does not make sense (an unknown handle,
view or thread, a time in the past).
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.base import Attachment
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
)
SORTS = ("newest", "waiting", "due", "window")
PRIORITIES = ("low", "normal", "high", "urgent")
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
        help="only this platform (repeatable)",
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
    listing.add_argument("--json", action="store_true", help="print JSON for scripts")
    listing.set_defaults(handler=cmd_list)

    show = threads.add_parser(
        "show", help="one thread: its messages with their attachments, its notes and history"
    )
    show.add_argument("thread", type=int)
    show.add_argument("--json", action="store_true", help="print JSON for scripts")
    show.set_defaults(handler=cmd_show)

    assign = threads.add_parser("assign", help="give threads to a person (leads and admins)")
    assign.add_argument("handle", help='who gets them ("none": unassign)')
    _thread_ids(assign)
    assign.set_defaults(handler=cmd_assign)

    take = threads.add_parser("take", help="assign unassigned threads to yourself")
    _thread_ids(take)
    take.set_defaults(handler=cmd_take)

    for name, help_text in (("tag", "put tags on threads"), ("untag", "take tags off threads")):
        tagging = threads.add_parser(name, help=help_text)
        tagging.add_argument(
            "tags", metavar="TAG[,TAG...]", help="one tag, or several separated by commas"
        )
        _thread_ids(tagging)
        tagging.set_defaults(handler=cmd_tag)

    snooze = threads.add_parser("snooze", help="put threads aside until a time")
    snooze.add_argument(
        "until",
        metavar="WHEN",
        help="2h, 30m, 3d, tomorrow 9:00, mon 9:00 or 2026-11-22 09:00 (your time zone)",
    )
    _thread_ids(snooze)
    snooze.set_defaults(handler=cmd_snooze)

    priority = threads.add_parser("priority", help="change how urgent threads are")
    priority.add_argument("priority", choices=PRIORITIES)
    _thread_ids(priority)
    priority.set_defaults(handler=cmd_priority)

    close = threads.add_parser("close", help="mark threads done")
    _thread_ids(close)
    close.set_defaults(handler=cmd_close)

    reopen = threads.add_parser("reopen", help="bring closed or snoozed threads back")
    _thread_ids(reopen)
    reopen.set_defaults(handler=cmd_reopen)

    note = threads.add_parser("note", help="add an internal note; @handle mentions a colleague")
    note.add_argument("thread", type=int)
    note.add_argument("text")
    note.set_defaults(handler=cmd_note)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _thread_ids(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("threads", type=int, nargs="+", metavar="THREAD", help="thread ids")


def _bad_input_is_a_usage_error(handler: Callable[[Context], int]) -> Callable[[Context], int]:
    """Input that makes no sense ends with status 2, like an argument argparse refused."""

    @functools.wraps(handler)
    def run(context: Context) -> int:
        from inbox.cli.main import EXIT_USAGE
        from inbox.core.errors import InvalidInput, NotFound

        try:
            return handler(context)
        except (InvalidInput, NotFound) as error:
            print(f"inbox: {error}", file=sys.stderr)
            return EXIT_USAGE

    return run


def _service(context: Context) -> InboxService:
    """The service, with the configured SLA targets that reopening recomputes due times by."""
    from inbox.sla import SlaPolicy

    service = context.service()
    service.sla_policy = SlaPolicy.from_settings(context.config.sla)
    return service


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
    return {
        "id": item.id,
        "direction": item.direction,
        "author": item.author,
        "text": item.text,
        "created_at": item.created_at.isoformat(),
        "url": item.url,
        "attachments": [_json_attachment(attachment) for attachment in item.attachments],
    }


def _json_attachment(attachment: Attachment) -> dict[str, Any]:
    fields = {
        "kind": str(attachment.kind),
        "url": attachment.url,
        "description": attachment.description,
        "title": attachment.title,
        "author": attachment.author,
        "options": list(attachment.options) or None,
        "size": attachment.size,
    }
    return {name: value for name, value in fields.items() if value is not None}


def _print_message(item: ItemRow) -> None:
    """A message as `threads show` prints it: who and when, then its body indented.

    Its content warning comes first, then the text, then each attachment as the thread
    screen shows it (`attachment_text`), every word cleaned for the terminal.
    """
    from adapters.base import AttachmentKind
    from inbox.core.sanitize import for_display, name_for_display
    from inbox.triage.messages import attachment_text

    who = name_for_display(item.author) if item.author else "unknown"
    print(f"  {_when(item.created_at)} {who if item.direction == 'in' else 'reply from ' + who}:")
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


@_bad_input_is_a_usage_error
def cmd_list(context: Context) -> int:
    from inbox.cli.main import emit
    from inbox.core.sanitize import first_line
    from inbox.triage.lists import Sort, ThreadFilter, View

    options = context.options
    query = ThreadFilter(
        view=View(options.view),
        sort=Sort(options.sort),
        platforms=frozenset(options.platform),
        account_id=options.account,
        tag=options.tag,
        assignee=options.assignee,
        priority=options.priority,
        search_text=options.search,
    )
    rows = context.service(create=False).list_threads(query, limit=options.limit)
    if options.json:
        _print_json([_json_row(row) for row in rows])
        return 0
    if not rows:
        print(
            f"no threads in the {options.view} view"
            + (
                " with these filters"
                if query != ThreadFilter(view=query.view, sort=query.sort)
                else ""
            )
        )
        return 0
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
        "table",
    )
    return 0


@_bad_input_is_a_usage_error
def cmd_show(context: Context) -> int:
    from inbox.core.sanitize import for_display

    service = context.service(create=False)
    thread_id = context.options.thread
    row = service.thread(thread_id)
    items = service.thread_items(thread_id)
    notes = service.notes(thread_id)
    history = service.history(thread_id)
    if context.options.json:
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
                        "at": entry.at.isoformat(),
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
            print(f"  {_when(entry.at)} {for_display(entry.text)}")
    return 0


def _report(result: BulkResult, done: str) -> int:
    """Say what changed and why the rest did not; 1 if anything was refused."""
    from inbox.cli.main import EXIT_ERROR

    if result.changed:
        print(f"{done} {', '.join(map(str, result.changed))}")
    for thread_id, reason in result.refused.items():
        print(f"inbox: thread {thread_id} not changed: {reason}", file=sys.stderr)
    return EXIT_ERROR if result.refused else 0


@_bad_input_is_a_usage_error
def cmd_assign(context: Context) -> int:
    options = context.options
    handle = None if options.handle.lower() == "none" else options.handle
    result = _service(context).assign(options.threads, handle)
    return _report(result, f"assigned to {handle.lstrip('@')}:" if handle else "unassigned:")


@_bad_input_is_a_usage_error
def cmd_take(context: Context) -> int:
    return _report(_service(context).take(context.options.threads), "took:")


@_bad_input_is_a_usage_error
def cmd_tag(context: Context) -> int:
    options = context.options
    tags = [tag for tag in options.tags.split(",") if tag.strip()] or [options.tags]
    service = _service(context)
    if options.threads_command == "tag":
        return _report(service.tag(options.threads, add=tags), f"tagged {', '.join(tags)}:")
    return _report(service.tag(options.threads, remove=tags), f"removed {', '.join(tags)} from:")


@_bad_input_is_a_usage_error
def cmd_snooze(context: Context) -> int:
    from inbox.core.when import describe, parse_when

    service = _service(context)
    until = parse_when(context.options.until, service.clock())
    return _report(
        service.snooze(context.options.threads, until), f"snoozed until {describe(until)}:"
    )


@_bad_input_is_a_usage_error
def cmd_priority(context: Context) -> int:
    options = context.options
    return _report(
        _service(context).set_priority(options.threads, options.priority),
        f"priority {options.priority}:",
    )


@_bad_input_is_a_usage_error
def cmd_close(context: Context) -> int:
    return _report(_service(context).close(context.options.threads), "closed:")


@_bad_input_is_a_usage_error
def cmd_reopen(context: Context) -> int:
    return _report(_service(context).reopen(context.options.threads), "reopened:")


@_bad_input_is_a_usage_error
def cmd_note(context: Context) -> int:
    note = _service(context).add_note(context.options.thread, context.options.text)
    mentioned = f", mentioning {', '.join(note.mentions)}" if note.mentions else ""
    print(f"added note {note.id} to thread {note.thread_id}{mentioned}")
    return 0
