"""`inbox subscribers`: the people who get incident updates by email (import, list, remove,
count, unsubscribe)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inbox.cli import exit_codes, with_change_format, with_format

if TYPE_CHECKING:
    from inbox.cli.main import Context


def register(commands: Any) -> None:
    """Add `subscribers` to the CLI."""
    help_text = "the people who get incident updates by email"
    group = commands.add_parser(
        "subscribers",
        help=help_text,
        description=(
            "The subscribers to incident updates: each public statement is mailed to them "
            "through the first enabled email account, with an unsubscribe link. Leads and "
            "admins keep the list."
        ),
    ).add_subparsers(dest="subscribers_command", metavar="ACTION", required=True)

    imported = group.add_parser(
        "import",
        help="add the addresses of a CSV file (columns email[,name], a header row)",
        description=(
            "Add every valid address of FILE (CSV with a header row naming 'email' and "
            "optionally 'name'; '-' reads standard input). Addresses already on the list and "
            "addresses that unsubscribed earlier are skipped, so importing a file twice "
            "changes nothing. Each rejected line is named on stderr with the reason; the exit "
            "status is 1 when any line was rejected."
        ),
    )
    imported.add_argument("file", help="the CSV file, or - for standard input")
    with_change_format(imported)
    imported.set_defaults(handler=cmd_subscribers_import)

    listing = group.add_parser("list", help="the subscribers by address")
    listing.add_argument(
        "--all", action="store_true", help="include those who unsubscribed (with when)"
    )
    with_format(listing)
    listing.set_defaults(handler=cmd_subscribers_list)

    remove = group.add_parser(
        "remove", help="take an address off the list (its waiting mails are withdrawn)"
    )
    remove.add_argument("email", help="the address")
    with_change_format(remove)
    remove.set_defaults(handler=cmd_subscribers_remove)

    count = group.add_parser("count", help="how many people get the updates now")
    with_change_format(count)
    count.set_defaults(handler=cmd_subscribers_count)

    leave = group.add_parser(
        "unsubscribe",
        help="unsubscribe whoever holds TOKEN (from the subject of their unsubscribe mail)",
    )
    leave.add_argument("token", help="the token after 'unsubscribe' in the mail's subject")
    with_change_format(leave)
    leave.set_defaults(handler=cmd_subscribers_unsubscribe)


def _read(file: str) -> str:
    from inbox.core.errors import InvalidInput

    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).expanduser().read_bytes()
    except OSError as error:
        raise InvalidInput(f"cannot read {file}: {error.strerror or error}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{file} is not UTF-8 text; save it as UTF-8 CSV") from None


def cmd_subscribers_import(context: Context) -> int:
    from inbox.cli.main import emit_change
    from inbox.core.sanitize import for_display

    report = context.service().import_subscribers(_read(context.options.file))
    for line in report.rejected:
        shown = f" {line.text!r}" if line.text else ""
        print(for_display(f"line {line.line}{shown}: {line.reason}"), file=sys.stderr)
    emit_change(
        context,
        report.sentence(),
        {
            "added": report.added,
            "already_subscribed": report.already_subscribed,
            "unsubscribed_earlier": report.unsubscribed_earlier,
            "duplicates_in_file": report.duplicates_in_file,
            "rejected": [
                {"line": line.line, "text": line.text, "reason": line.reason}
                for line in report.rejected
            ],
        },
    )
    return exit_codes.FAILED if report.rejected else exit_codes.OK


def cmd_subscribers_list(context: Context) -> int:
    from inbox.cli.main import emit

    include_all = context.options.all
    rows = [
        {
            "email": subscriber.email,
            "name": subscriber.name,
            "since": subscriber.created_at,
            **({"unsubscribed": subscriber.unsubscribed_at} if include_all else {}),
        }
        for subscriber in context.service().subscribers(include_unsubscribed=include_all)
    ]
    columns = ["email", "name", "since", *(["unsubscribed"] if include_all else [])]
    emit(
        rows,
        columns,
        context.options.format,
        empty="no subscribers (`inbox subscribers import FILE.csv` adds them)",
    )
    return 0


def cmd_subscribers_remove(context: Context) -> int:
    from inbox.cli.main import emit_change
    from inbox.core.plurals import counted

    withdrawn = context.service().remove_subscriber(context.options.email)
    address = context.options.email.strip().lower()
    sentence = f"removed {address} from the subscribers"
    if withdrawn:
        sentence += f"; {counted(withdrawn, 'waiting mail')} withdrawn"
    emit_change(context, sentence, {"email": address, "withdrawn_mails": withdrawn})
    return 0


def cmd_subscribers_count(context: Context) -> int:
    from inbox.cli.main import emit_change

    audience = context.service(create=False).email_audience()
    emit_change(
        context,
        audience.describe(),
        {
            "subscribers": audience.subscribers,
            "email_account": audience.account.handle if audience.account else None,
        },
    )
    return 0


def cmd_subscribers_unsubscribe(context: Context) -> int:
    from inbox.cli.main import emit_change

    address = context.service().unsubscribe(context.options.token)
    emit_change(
        context,
        f"{address} gets no more incident updates",
        {"email": address, "unsubscribed": True},
    )
    return 0
