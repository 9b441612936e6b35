"""`inbox sync`: run the sync engine once or until interrupted, showing progress."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import TYPE_CHECKING

from inbox.cli import exit_codes
from inbox.core.plurals import counted
from inbox.runtime import build_sync_engine, http_client
from inbox.sync.engine import StreamProgress, SyncEngine, SyncSummary

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from inbox.core.config import Config
    from inbox.core.credentials import CredentialStore


class ProgressLine:
    """Progress on stderr: failures and skips as they happen, and on a terminal one line,
    rewritten, following the backfill."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.interactive = sys.stderr.isatty()

    def __call__(self, progress: StreamProgress) -> None:
        account = _stream_name(progress)
        if progress.skipped:
            message = f"{account}: skipped, {progress.skipped}"
        elif progress.error:
            message = f"{account}: {progress.error}"
        else:
            message = (
                f"{account}: {counted(progress.new_items, 'new item')} "
                f"in {counted(progress.pages, 'page')}"
            )
            if progress.malformed_items:
                message += f", {progress.malformed_items} malformed skipped"
            if self.quiet or not self.interactive:
                return
        if self.quiet and not progress.error:
            return
        if self.interactive:
            sys.stderr.write("\r\x1b[2K" + message[:200])
            if progress.error or progress.skipped:
                sys.stderr.write("\n")
            sys.stderr.flush()
        else:
            print(message, file=sys.stderr)


def run_sync(
    engine: Engine,
    config: Config,
    credentials: CredentialStore,
    *,
    follow: bool,
    quiet: bool,
    output_format: str = "table",
) -> int:
    """Poll every account once, or keep polling with `follow`; progress on stderr, and at
    the end of a single run what came in (as JSON with `output_format` "json")."""
    progress = ProgressLine(quiet)
    sync_engine = build_sync_engine(engine, credentials, config=config, on_progress=progress)
    if follow:
        return asyncio.run(_follow(sync_engine, config))
    summary = asyncio.run(_once(sync_engine, config))
    if not quiet:
        if progress.interactive:
            sys.stderr.write("\r\x1b[2K")
        for stream in summary.streams:
            if stream.error:
                print(f"{_stream_name(stream)}: failed, {stream.error}", file=sys.stderr)
            elif not stream.skipped:
                print(
                    f"{_stream_name(stream)}: {counted(stream.new_items, 'new item')}",
                    file=sys.stderr,
                )
    if output_format == "json":
        _print_summary(summary)
    elif not quiet:
        accounts = len({stream.account.id for stream in summary.streams if not stream.not_held})
        print(f"{counted(summary.new_items, 'new item')} from {counted(accounts, 'account')}")
    if _nothing_held(summary):
        return _report_nothing_held(engine, summary, quiet)
    if _nothing_polled_for_a_stopped_holder(summary):
        if quiet:
            for stream in summary.streams:
                print(f"{_stream_name(stream)}: skipped, {stream.skipped}", file=sys.stderr)
        print(
            "inbox: nothing was polled: a process that stopped still holds a lease (see above)",
            file=sys.stderr,
        )
        return exit_codes.FAILED
    return exit_codes.FAILED if any(stream.error for stream in summary.streams) else exit_codes.OK


def _print_summary(summary: SyncSummary) -> None:
    """What a single run brought in, per stream, as JSON on stdout."""
    from inbox.core.sanitize import json_text

    streams = [
        {
            "account": stream.account.id,
            "platform": stream.account.platform,
            "handle": stream.account.handle,
            "stream": stream.stream,
            "new_items": stream.new_items,
            "skipped": stream.skipped or None,
            "error": stream.error or None,
        }
        for stream in summary.streams
    ]
    sys.stdout.write(
        json_text({"new_items": summary.new_items, "streams": streams}, indent=2) + "\n"
    )


def _nothing_held(summary: SyncSummary) -> bool:
    """Accounts exist, and this machine's keyring holds the secret of none of them."""
    return bool(summary.streams) and all(stream.not_held for stream in summary.streams)


def _report_nothing_held(engine: Engine, summary: SyncSummary, quiet: bool) -> int:
    """Nothing could be polled here: fine while a worker that holds the secrets polls them,
    a failure when none does."""
    from inbox.core.clock import utc_now
    from inbox.store.workers import alive_workers

    skipped = {stream.account.id for stream in summary.streams}
    with engine.connect() as connection:
        polling = [
            worker
            for worker in alive_workers(connection, utc_now())
            if skipped & set(worker.account_ids)
        ]
    if polling:
        if not quiet:
            hosts = ", ".join(sorted({worker.host for worker in polling}))
            print(
                f"inbox: no account's secret is in this machine's keyring; "
                f"the worker on {hosts} polls them",
                file=sys.stderr,
            )
        return exit_codes.OK
    print(
        "inbox: nothing was polled: no account's secret is in this machine's keyring, and no "
        "running `inbox worker` holds them (start one where the secrets are)",
        file=sys.stderr,
    )
    return exit_codes.FAILED


def _nothing_polled_for_a_stopped_holder(summary: SyncSummary) -> bool:
    """No stream was polled, and one because a crashed process still holds its lease.

    A lease held by a live process is not a failure: that process polls the account, as
    when a scheduled `inbox sync` meets a running `inbox sync --follow`.
    """
    return all(stream.skipped for stream in summary.streams) and any(
        stream.holder_stopped for stream in summary.streams
    )


def _stream_name(progress: StreamProgress) -> str:
    return f"{progress.account.platform} {progress.account.handle} ({progress.stream})"


async def _once(sync_engine: SyncEngine, config: Config):
    async with http_client(config.sync) as client:
        return await sync_engine.run_once(client)


async def _follow(sync_engine: SyncEngine, config: Config) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with http_client(config.sync) as client:
        await sync_engine.run_forever(client, stop)
    return 0
