"""`inbox reply`, `outbox`, `approvals`, `campaign` and `canned`: the way out, from the shell."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inbox.cli import exit_codes, with_change_format, with_format

if TYPE_CHECKING:
    from canned_responses.library import CannedResponse as PreparedAnswer
    from canned_responses.library import LoadProblem
    from inbox.cli.main import Context
    from inbox.outbox.queue import CampaignSummary, OutboundRow
    from inbox.outbox.sender import SendResult

_OUTBOUND_COLUMNS = [
    "id",
    "status",
    "kind",
    "platform",
    "account",
    "thread",
    "campaign",
    "author",
    "text",
    "note",
]


def _outbound_record(row: OutboundRow, width: int | None = 60) -> dict[str, Any]:
    text = row.rendered_text if width is None else _shorten(row.rendered_text, width)
    note = row.review_note
    if row.status in ("failed", "unknown") or (row.status == "queued" and row.error):
        note = row.error
    elif row.status == "awaiting_approval":
        note = row.approval_reason
    elif row.review_note and row.reviewer:
        note = f"{row.reviewer}: {row.review_note}"
    return {
        "id": row.id,
        "status": row.status,
        "kind": row.kind,
        "platform": row.platform,
        "account": row.account_handle,
        "thread": row.thread_id,
        "campaign": row.campaign_id,
        "author": row.author,
        "text": text,
        "note": note,
        "external_id": row.external_id,
        "attempts": row.attempts,
        "created_at": row.created_at.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
    }


def _shorten(text: str, width: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _emit_outbound(context: Context, rows: list[OutboundRow], empty: str) -> None:
    from inbox.cli.main import emit

    wide = context.options.format != "table"
    emit(
        [_outbound_record(row, None if wide else 60) for row in rows],
        _OUTBOUND_COLUMNS,
        context.options.format,
        empty=empty,
    )
    if not rows:
        context.note_database()


def _outbound_change(context: Context, sentence: str, row: OutboundRow) -> None:
    """Say what happened to an outgoing message, or print it as JSON with `--format json`."""
    from inbox.cli.main import emit_change

    emit_change(context, sentence, _outbound_record(row, None))


# -- reply ------------------------------------------------------------------------------------


def cmd_reply(context: Context) -> int:
    from inbox.core.errors import InvalidInput
    from inbox.outbox.problems import ProblemCode, SendRefused

    options = context.options
    service = context.service()
    canned_id = service.canned_response(options.canned).id if options.canned else None
    if options.text is None and canned_id is None:
        raise InvalidInput("give the text to send, or --canned SHORTCODE")
    try:
        row = service.queue_reply(
            options.thread, options.text, canned_id, direct_message=options.dm, again=options.again
        )
    except SendRefused as refused:
        if not refused.only(ProblemCode.ALREADY_REPLYING):
            raise
        print(f"inbox: {refused}", file=sys.stderr)
        print("inbox: nothing was queued; add --again to send this one as well", file=sys.stderr)
        return exit_codes.CONFLICT
    if row.status == "awaiting_approval":
        sentence = f"outgoing message {row.id} waits for a lead's approval: {row.approval_reason}"
    else:
        sentence = f"queued outgoing message {row.id} to {row.platform} {row.account_handle}"
    _outbound_change(context, sentence, row)
    return 0


# -- outbox -----------------------------------------------------------------------------------


def cmd_outbox_list(context: Context) -> int:
    options = context.options
    rows = context.service(create=False).outbox(options.status, mine=options.mine)
    which = f" {' or '.join(options.status)}" if options.status else ""
    mine = " of yours" if options.mine else ""
    _emit_outbound(context, rows, f"no{which} outgoing messages{mine}")
    return 0


def cmd_outbox_retry(context: Context) -> int:
    row = context.service().retry_outbound(context.options.id)
    _outbound_change(context, f"outgoing message {row.id} is queued again", row)
    return 0


def cmd_outbox_cancel(context: Context) -> int:
    row = context.service().cancel_outbound(context.options.id)
    _outbound_change(context, f"outgoing message {row.id} is withdrawn", row)
    return 0


def cmd_outbox_run(context: Context) -> int:
    import asyncio
    import signal
    from datetime import timedelta

    from inbox.core.access import Action
    from inbox.core.credentials import CredentialStore
    from inbox.runtime import build_sender, http_client

    options = context.options
    engine = context.engine()
    context.service(engine).require(Action.REPLY)
    sender = build_sender(
        engine,
        CredentialStore(),
        claim_ttl=timedelta(seconds=options.claim_seconds),
        on_result=None if options.quiet else _print_result,
        config=context.config,
    )

    async def once() -> int:
        async with http_client(context.config.sync) as client:
            summary = await sender.send_once(client, concurrency=options.concurrency)
        counts = {
            status: summary.count(status) for status in ("sent", "failed", "unknown", "queued")
        }
        if options.format == "json" or not options.quiet:
            from inbox.cli.main import emit_change

            emit_change(
                context,
                f"{counts['sent']} sent, {counts['failed']} failed, {counts['unknown']} unknown, "
                f"{counts['queued']} to retry",
                counts,
            )
        return exit_codes.FAILED if counts["failed"] else exit_codes.OK

    async def follow() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        async with http_client(context.config.sync) as client:
            await sender.run_forever(client, stop, concurrency=options.concurrency)
        return 0

    return asyncio.run(follow() if options.follow else once())


def _print_result(result: SendResult) -> None:
    detail = f": {result.detail}" if result.detail else ""
    print(
        f"outgoing message {result.outbound_id} {result.status}{detail}",
        file=sys.stderr,
        flush=True,
    )


# -- approvals --------------------------------------------------------------------------------


def cmd_approvals_list(context: Context) -> int:
    _emit_outbound(
        context, context.service(create=False).approvals(), "no messages wait for approval"
    )
    return 0


def cmd_approvals_approve(context: Context) -> int:
    options = context.options
    row = context.service().approve(options.id, text=options.text, note=options.note)
    edited = " with your edit" if options.text is not None else ""
    sentence = (
        f"approved outgoing message {row.id}{edited}; "
        f"it is queued to {row.platform} {row.account_handle}"
    )
    _outbound_change(context, sentence, row)
    return 0


def cmd_approvals_reject(context: Context) -> int:
    row = context.service().reject(context.options.id, context.options.note)
    _outbound_change(
        context,
        f"rejected outgoing message {row.id}; {row.author or 'its author'} sees your note",
        row,
    )
    return 0


# -- campaigns --------------------------------------------------------------------------------


def _campaign_record(campaign: CampaignSummary) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "kind": campaign.kind,
        "title": campaign.title,
        "status": campaign.status,
        "targets": campaign.targets,
        "sent": campaign.counts.get("sent", 0),
        "pending": sum(
            campaign.counts.get(status, 0)
            for status in ("awaiting_approval", "queued", "sending", "unknown")
        ),
        "failed": sum(
            campaign.counts.get(status, 0) for status in ("failed", "rejected", "cancelled")
        ),
        "created_by": campaign.created_by,
        "created_at": campaign.created_at.isoformat(),
    }


def cmd_campaign_list(context: Context) -> int:
    from inbox.cli.main import emit

    rows = [_campaign_record(campaign) for campaign in context.service(create=False).campaigns()]
    emit(
        rows,
        ["id", "kind", "status", "targets", "sent", "pending", "failed", "title"],
        context.options.format,
        empty="no campaigns yet",
    )
    return 0


def cmd_campaign_status(context: Context) -> int:
    campaign, rows = context.service(create=False).campaign(context.options.id)
    if context.options.format == "table":
        record = _campaign_record(campaign)
        print(
            f"campaign {campaign.id} ({campaign.kind}): {campaign.title}\n"
            f"{record['status']}: {record['sent']} of {campaign.targets} sent, "
            f"{record['pending']} pending, {record['failed']} failed or stopped\n"
        )
    _emit_outbound(context, rows, "no outgoing messages in this campaign")
    return 0


def _campaign_change(
    context: Context, campaign: CampaignSummary, target: str, targets: str
) -> None:
    from inbox.cli.main import emit_change
    from inbox.core.plurals import counted

    emit_change(
        context,
        f"campaign {campaign.id}: {counted(campaign.targets, target, targets)}, {campaign.status}",
        _campaign_record(campaign),
    )


def cmd_campaign_bulk_reply(context: Context) -> int:
    options = context.options
    service = context.service()
    canned_id = service.canned_response(options.canned).id if options.canned else None
    campaign = service.queue_bulk_reply(
        options.threads, options.text, canned_id, title=options.title
    )
    _campaign_change(context, campaign, "reply", "replies")
    return 0


def cmd_campaign_broadcast(context: Context) -> int:
    options = context.options
    service = context.service()
    canned_id = service.canned_response(options.canned).id if options.canned else None
    account_ids = [service.find_account(reference).id for reference in options.accounts]
    campaign = service.queue_broadcast(account_ids, options.text, canned_id, title=options.title)
    _campaign_change(context, campaign, "post", "posts")
    return 0


# -- prepared answers -------------------------------------------------------------------------


def cmd_canned_import(context: Context) -> int:
    report = context.service().import_canned(context.options.directory)
    from inbox.cli.main import emit_change

    for problem in report.problems:
        print(f"skipped {problem}", file=sys.stderr)
    emit_change(
        context,
        f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged",
        {
            "added": report.added,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "skipped": [str(problem) for problem in report.problems],
        },
    )
    return exit_codes.FAILED if report.problems else exit_codes.OK


def cmd_canned_export(context: Context) -> int:
    from inbox.cli.main import emit_change
    from inbox.core.plurals import counted

    written = context.service(create=False).export_canned(context.options.directory)
    emit_change(
        context,
        f"wrote {counted(len(written), 'prepared answer')} to {context.options.directory}",
        {"directory": str(context.options.directory), "written": [str(path) for path in written]},
    )
    return 0


def _answer_record(stored: Any, score: float | None = None) -> dict[str, Any]:
    answer = stored.answer
    record = {
        "id": stored.id,
        "shortcode": answer.shortcode,
        "title": answer.title,
        "tags": ", ".join(answer.tags),
        "variants": ", ".join(sorted(answer.variants)),
        "approval": "needed" if answer.needs_approval else "",
        "language": answer.language,
    }
    if score is not None:
        record["score"] = score
    return record


def cmd_canned_list(context: Context) -> int:
    from inbox.cli.main import emit

    rows = [_answer_record(stored) for stored in context.service(create=False).canned_responses()]
    emit(
        rows,
        ["shortcode", "title", "tags", "variants", "approval"],
        context.options.format,
        empty="no prepared answers yet (`inbox canned import DIR` or `inbox canned new`)",
    )
    if not rows:
        context.note_database()
    return 0


def cmd_canned_match(context: Context) -> int:
    from inbox.cli.main import emit

    found = context.service(create=False).match_canned(context.options.query, context.options.limit)
    rows = [_answer_record(match.answer, match.score) for match in found]
    emit(
        rows,
        ["score", "shortcode", "title", "approval"],
        context.options.format,
        empty=f"no prepared answer matches {context.options.query!r}",
    )
    return exit_codes.OK if rows else exit_codes.FAILED


_ANSWER_FIELDS = {
    "title": "title",
    "body": "body",
    "tags": "tags",
    "language": "language",
    "variants": "variants",
    "needs_approval": "needs approval",
}


def cmd_canned_edit(context: Context) -> int:
    return _edit_in_editor(context, context.options.shortcode, new=False)


def cmd_canned_new(context: Context) -> int:
    return _edit_in_editor(context, context.options.shortcode, new=True)


def _edit_in_editor(context: Context, shortcode: str, *, new: bool) -> int:
    """Open an answer in the person's editor until it reads back cleanly, then save it.

    Whatever was typed survives: on giving up, the file stays and its path is printed.
    """
    from canned_responses.library import CannedResponse as PreparedAnswer
    from canned_responses.library import dump_response, parse_response
    from inbox.core.access import Action
    from inbox.core.errors import Conflict, NotFound

    service = context.service()
    service.require(Action.EDIT_PREPARED_ANSWERS)
    stored_answers = {
        stored.answer.shortcode: stored.answer for stored in service.canned_responses()
    }
    original = stored_answers.get(shortcode)
    if new and original is not None:
        raise Conflict(
            f"prepared answer {shortcode!r} already exists; `inbox canned edit {shortcode}` "
            "changes it"
        )
    if not new and original is None:
        raise NotFound(f"no prepared answer {shortcode!r} (`inbox canned list` shows them)")
    written_text = dump_response(original or PreparedAnswer(shortcode=shortcode, title="", body=""))
    path = _write_temporary(shortcode, written_text)
    while True:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        try:
            editor_status = subprocess.run(
                [*shlex.split(editor), str(path)], check=False
            ).returncode
        except OSError as error:
            return _give_up(path, written_text, f"cannot start the editor {editor!r} ({error})")
        if editor_status != 0:
            return _give_up(path, written_text, f"the editor exited with status {editor_status}")
        if not path.is_file():
            print(f"{path} is gone; nothing was saved", file=sys.stderr)
            return 1
        edited_text = path.read_text(encoding="utf-8")
        answer, problems = parse_response(edited_text, str(path))
        if edited_text == written_text or (answer is not None and answer == original):
            path.unlink()
            print("no changes")
            return 0
        if answer is not None:
            problems = _shortcode_problems(
                answer, shortcode, stored_answers, edited_text, path, new
            )
        if not problems:
            break
        for problem in problems:
            print(problem, file=sys.stderr)
        if not _wants_to_edit_again():
            print(f"nothing was saved; your text is kept in {path}", file=sys.stderr)
            return 1
    try:
        service.save_canned(answer)
    except Exception:
        print(f"nothing was saved; your text is kept in {path}", file=sys.stderr)
        raise
    path.unlink()
    if original is None:
        print(f"added prepared answer {answer.shortcode!r}")
    else:
        changed = [
            label
            for field, label in _ANSWER_FIELDS.items()
            if getattr(original, field) != getattr(answer, field)
        ]
        print(f"saved prepared answer {shortcode!r}: changed {', '.join(changed)}")
    return 0


def _write_temporary(shortcode: str, text: str) -> Path:
    """A new Markdown file in the temporary directory holding `text`."""
    safe_shortcode = re.sub(r"[^A-Za-z0-9_-]", "_", shortcode)
    descriptor, name = tempfile.mkstemp(prefix=f"inbox-canned-{safe_shortcode}-", suffix=".md")
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    return Path(name)


def _shortcode_problems(
    answer: PreparedAnswer,
    shortcode: str,
    stored_answers: dict[str, PreparedAnswer],
    text: str,
    path: Path,
    new: bool,
) -> list[LoadProblem]:
    """An edited answer keeps its shortcode; a new one must not take an existing one's."""
    from canned_responses.library import LoadProblem

    line = next(
        (
            number
            for number, content in enumerate(text.splitlines(), start=1)
            if content.startswith("shortcode:")
        ),
        1,
    )
    if not new and answer.shortcode != shortcode:
        message = (
            f"the shortcode must stay {shortcode!r}; "
            f"`inbox canned new {answer.shortcode}` adds another answer"
        )
        return [LoadProblem(str(path), line, message)]
    if new and answer.shortcode in stored_answers:
        message = f"prepared answer {answer.shortcode!r} already exists; choose another shortcode"
        return [LoadProblem(str(path), line, message)]
    return []


def _wants_to_edit_again() -> bool:
    """Ask until the person answers; end of input or Ctrl-C means quit."""
    while True:
        try:
            reply = input("[e]dit again / [q]uit? ").strip().lower()
        except (EOFError, KeyboardInterrupt):
            print()
            return False
        if reply in ("e", "edit"):
            return True
        if reply in ("q", "quit"):
            return False


def _give_up(path: Path, written_text: str, reason: str) -> int:
    """Stop without saving; keep the file if the person typed anything into it."""
    if path.is_file() and path.read_text(encoding="utf-8") != written_text:
        print(f"{reason}; nothing was saved; your text is kept in {path}", file=sys.stderr)
    else:
        path.unlink(missing_ok=True)
        print(f"{reason}; nothing was saved", file=sys.stderr)
    return 1


# -- the parser -------------------------------------------------------------------------------


def register(commands: Any) -> None:
    """Add `reply`, `outbox`, `approvals`, `campaign` and `canned` to the `inbox` command."""
    reply = commands.add_parser(
        "reply",
        help="queue an answer to a thread",
        description=(
            "Queue an answer to a thread, rendered for its channel and checked before it is "
            "queued; `inbox outbox run` sends it."
        ),
    )
    reply.add_argument("thread", type=int, help="thread id")
    reply.add_argument(
        "text", nargs="?", help="what to send (variables like {author.name|there} are filled)"
    )
    reply.add_argument(
        "--canned", metavar="SHORTCODE", help="send a prepared answer (with TEXT: your edit of it)"
    )
    reply.add_argument(
        "--dm", action="store_true", help="send it as a direct message to the thread's author"
    )
    reply.add_argument(
        "--again",
        action="store_true",
        help="send it even though your earlier reply to this thread is still on its way",
    )
    with_change_format(reply)
    reply.set_defaults(handler=cmd_reply)

    outbox = commands.add_parser("outbox", help="outgoing messages and the sender").add_subparsers(
        dest="outbox_command", metavar="ACTION", required=True
    )
    listing = outbox.add_parser("list", help="list outgoing messages and their status")
    listing.add_argument(
        "--status", action="append", metavar="STATUS", help="only this status (repeatable)"
    )
    listing.add_argument("--mine", action="store_true", help="only the messages you wrote")
    with_format(listing)
    listing.set_defaults(handler=cmd_outbox_list)
    run = outbox.add_parser(
        "run",
        help="send what is queued",
        description=(
            "Send every queued message that is due (or, with --follow, keep sending until "
            "interrupted). Several senders may run at once: each message is sent once."
        ),
    )
    run.add_argument("--follow", action="store_true", help="keep sending until interrupted")
    run.add_argument(
        "--concurrency", type=int, default=4, help="messages in flight at once (default: 4)"
    )
    run.add_argument(
        "--claim-seconds",
        type=float,
        default=300,
        help=(
            "how long a sender holds a message before others presume it died and check the "
            "platform for it; one platform call may take half of it (default: 300)"
        ),
    )
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    with_change_format(run)
    run.set_defaults(handler=cmd_outbox_run)
    retry = outbox.add_parser("retry", help="queue a failed or unknown message again")
    retry.add_argument("id", type=int)
    with_change_format(retry)
    retry.set_defaults(handler=cmd_outbox_retry)
    cancel = outbox.add_parser("cancel", help="withdraw a message that has not been sent")
    cancel.add_argument("id", type=int)
    with_change_format(cancel)
    cancel.set_defaults(handler=cmd_outbox_cancel)

    approvals = commands.add_parser("approvals", help="messages waiting for a lead").add_subparsers(
        dest="approvals_command", metavar="ACTION", required=True
    )
    listing = approvals.add_parser("list", help="list messages waiting for approval")
    with_format(listing)
    listing.set_defaults(handler=cmd_approvals_list)
    approve = approvals.add_parser("approve", help="let a message go out (leads and admins)")
    approve.add_argument("id", type=int)
    approve.add_argument("--text", help="send this instead (checked against the channel again)")
    approve.add_argument("--note", help="a word for the author")
    with_change_format(approve)
    approve.set_defaults(handler=cmd_approvals_approve)
    reject = approvals.add_parser("reject", help="stop a message (leads and admins)")
    reject.add_argument("id", type=int)
    reject.add_argument("--note", required=True, help="why; the author reads it")
    with_change_format(reject)
    reject.set_defaults(handler=cmd_approvals_reject)

    campaign = commands.add_parser(
        "campaign", help="one message to many threads or accounts"
    ).add_subparsers(dest="campaign_command", metavar="ACTION", required=True)
    listing = campaign.add_parser("list", help="list campaigns and how far they got")
    with_format(listing)
    listing.set_defaults(handler=cmd_campaign_list)
    status = campaign.add_parser("status", help="one campaign, target by target")
    status.add_argument("id", type=int)
    with_format(status)
    status.set_defaults(handler=cmd_campaign_status)
    bulk = campaign.add_parser("reply", help="answer many threads with one message")
    bulk.add_argument("threads", type=int, nargs="+", metavar="THREAD")
    bulk.add_argument("--text", help="what to send")
    bulk.add_argument(
        "--canned", metavar="SHORTCODE", help="send a prepared answer, in each channel's variant"
    )
    bulk.add_argument("--title", help="name the campaign (default: the start of the message)")
    with_change_format(bulk)
    bulk.set_defaults(handler=cmd_campaign_bulk_reply)
    broadcast = campaign.add_parser("broadcast", help="post one statement on many accounts")
    broadcast.add_argument(
        "accounts", nargs="+", metavar="ACCOUNT", help="account ids, handles, or PLATFORM:HANDLE"
    )
    broadcast.add_argument("--text", help="what to post")
    broadcast.add_argument(
        "--canned", metavar="SHORTCODE", help="post a prepared answer, in each channel's variant"
    )
    broadcast.add_argument("--title", help="name the campaign (default: the start of the message)")
    with_change_format(broadcast)
    broadcast.set_defaults(handler=cmd_campaign_broadcast)

    canned = commands.add_parser("canned", help="prepared answers").add_subparsers(
        dest="canned_command", metavar="ACTION", required=True
    )
    imported = canned.add_parser(
        "import", help="add or update answers from Markdown files (leads and admins)"
    )
    imported.add_argument("directory", metavar="DIR")
    with_change_format(imported)
    imported.set_defaults(handler=cmd_canned_import)
    exported = canned.add_parser("export", help="write every answer to DIR/<shortcode>.md")
    exported.add_argument("directory", metavar="DIR")
    with_change_format(exported)
    exported.set_defaults(handler=cmd_canned_export)
    listing = canned.add_parser("list", help="list prepared answers")
    with_format(listing)
    listing.set_defaults(handler=cmd_canned_list)
    match = canned.add_parser("match", help="find answers by a typed query, typos and all")
    match.add_argument("query")
    match.add_argument("--limit", type=int, default=5, help="how many to show (default: 5)")
    with_format(match)
    match.set_defaults(handler=cmd_canned_match)
    edit = canned.add_parser(
        "edit",
        help="change an answer in $VISUAL or $EDITOR (leads and admins)",
        description=(
            "Open the answer as Markdown with front matter in $VISUAL, $EDITOR or vi; it is "
            "checked and saved when the editor closes."
        ),
    )
    edit.add_argument("shortcode", metavar="SHORTCODE")
    edit.set_defaults(handler=cmd_canned_edit)
    new = canned.add_parser(
        "new",
        help="write a new answer in $VISUAL or $EDITOR (leads and admins)",
        description=(
            "Open a blank answer in $VISUAL, $EDITOR or vi; it is checked and saved when the "
            "editor closes."
        ),
    )
    new.add_argument("shortcode", metavar="SHORTCODE")
    new.set_defaults(handler=cmd_canned_new)
