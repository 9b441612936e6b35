"""`inbox demo`: build (or reuse) the demo workspace, then open it, play its crisis or say where."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from inbox.core.clock import Clock, utc_now

if TYPE_CHECKING:
    from sqlalchemy import URL, Engine


def run_demo(
    options: argparse.Namespace, *, identity: Callable[[], str | None], open_tui: Callable[..., int]
) -> int:
    """Build (or with --keep, reuse) the demo workspace, then open the TUI on it.

    `identity()` names who opens it (else alex); `open_tui(make_service, sync=True)` opens
    the terminal UI on the service `make_service()` builds. While it runs it marks the
    workspace in use (`inbox.core.workspace_lock`), and it deletes a workspace to build a
    new one only when no other inbox has it open.
    """
    from sqlalchemy.engine import make_url

    from inbox.core.database import database_url, open_engine
    from inbox.core.errors import Conflict, InvalidInput
    from inbox.core.paths import demo_database
    from inbox.core.plurals import counted
    from inbox.core.workspace_lock import WorkspaceLock, being_rebuilt, sqlite_file
    from inbox.demo.crisis import schedule_crisis
    from inbox.demo.workspace import build_workspace, remove_sqlite_files, workspace_kind

    play = bool(getattr(options, "crisis", False))
    if play and options.crisis_after is not None:
        raise InvalidInput("--crisis plays its own outage; leave out --crisis-after")
    if not options.db:
        from inbox.core.files import create_private_folder

        create_private_folder(demo_database().parent)
    url = database_url(options.db or str(demo_database()))
    parsed = make_url(url)
    clock: Clock = utc_now
    if play:
        from inbox.core.clock import FixedClock

        clock = FixedClock(utc_now())
    crisis_at = None
    if options.crisis_after is not None:
        crisis_at = utc_now() + timedelta(minutes=options.crisis_after)
    engine = open_engine(url)
    database = sqlite_file(engine)
    marking = WorkspaceLock(database) if database is not None else contextlib.nullcontext()
    with marking as lock:
        kind = workspace_kind(engine)
        if kind == "inbox":
            engine.dispose()
            raise Conflict(
                f"{parsed.render_as_string(hide_password=True)} holds a real inbox; the demo "
                "never touches one. Pick another place with --db"
            )
        if kind == "demo" and not options.keep:
            if lock is None:
                engine.dispose()
                raise Conflict(
                    "a demo workspace is already there: add --keep to reuse it, "
                    "or use an empty database"
                )
            if not lock.take_alone():
                engine.dispose()
                raise Conflict(
                    f"{lock.database} is open in another inbox; quit it there first, "
                    "or add --keep to open the workspace as it is"
                )
            engine.dispose()
            remove_sqlite_files(lock.database)
            engine = open_engine(url)
            kind = "empty"
        elif lock is not None and not lock.share():
            engine.dispose()
            raise being_rebuilt(lock.database)
        if kind == "empty":
            print("building the demo workspace…", file=sys.stderr)
            summary = build_workspace(
                engine,
                seed=options.seed,
                days=options.days,
                crisis_at=crisis_at,
                clock=clock,
                score_sentiment=options.no_tui or play,
            )
            print(
                f"demo workspace: {counted(summary.accounts, 'account')}, "
                f"{counted(summary.people, 'person', 'people')}, "
                f"{counted(summary.inbound_items, 'message')} and "
                f"{counted(summary.replies, 'reply', 'replies')} over "
                f"{counted(options.days, 'day')}, {counted(summary.open_threads, 'open thread')}, "
                f"{counted(summary.prepared_answers, 'prepared answer')}"
            )
        elif crisis_at is not None:
            schedule_crisis(engine, crisis_at)
        if crisis_at is not None:
            print(_crisis_scheduled(crisis_at, options.crisis_after, running=kind != "empty"))
        if lock is not None and not lock.share():  # built: others may open it, none delete it
            raise being_rebuilt(lock.database)
        return _show(options, engine, parsed, kind, clock, play, identity, open_tui)


def _crisis_scheduled(crisis_at: datetime, minutes: float, *, running: bool) -> str:
    """The line confirming when the scripted outage starts."""
    from inbox.core.plurals import counted

    when = "now" if minutes <= 0 else f"in {counted(round(minutes), 'minute')}"
    sentence = f"the scripted outage starts at {crisis_at:%H:%M} UTC ({when})"
    if running:
        sentence += "; an open demo of this workspace shows it at its next sync"
    return sentence


def _show(
    options: argparse.Namespace,
    engine: Engine,
    parsed: URL,
    kind: str,
    clock: Clock,
    play: bool,
    identity: Callable[[], str | None],
    open_tui: Callable[..., int],
) -> int:
    """Say where the workspace is, then play its crisis, open the TUI or say how to."""
    from inbox.demo.crisis import CRISIS_LEAD, latest_moment, play_crisis
    from inbox.demo.workspace import DEFAULT_ACTOR
    from inbox.service import InboxService

    print(f"database: {parsed.render_as_string(hide_password=True)}")
    print("people: alex, blake (agents), casey (lead), drew (supervisor), admin (admin)")
    where = f"--db {parsed.database}" if parsed.get_backend_name() == "sqlite" else "--db URL"
    if play:
        if kind != "empty":
            clock.now = max(clock.now, latest_moment(engine))  # type: ignore[attr-defined]
        print(
            f"playing the scripted crisis on a simulated clock from {clock():%Y-%m-%d %H:%M} UTC",
            flush=True,
        )
        summary = play_crisis(engine, clock, lambda line: print(line, flush=True))
        print(
            f"done: alert {summary.alert_id} at {summary.alert_at:%H:%M}, "
            f"incident {summary.incident_id} "
            f"with {summary.incident_threads} threads, {sum(summary.sent.values())} messages sent, "
            f"{sum(summary.failed.values())} failed"
        )
        print(
            f"render its review with: inbox {where} --as {CRISIS_LEAD} "
            f"review {summary.incident_id} --out review.html"
        )
        print(f"open it with: inbox {where} --as {CRISIS_LEAD} tui")
        engine.dispose()
        return 0
    if options.no_tui:
        print(f"open it with: inbox {where} --as alex tui")
        return 0
    actor = identity() or DEFAULT_ACTOR
    return open_tui(lambda: InboxService(engine, actor=actor), sync=True)
