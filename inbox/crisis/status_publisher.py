"""Keeping the public status page current: regenerate it, then run the publish command.

The config file of the machine that writes the page names the folder (`[status_page]
out_dir`) and the command that publishes it (`publish_command`: an rsync, an object-store
upload): never the database, whose team settings a lead's login may write, while the
command runs on the worker beside every account's secret. The team setting gives only
what the page says (its address and title). The folder shows one incident: the latest
one (by start) with a published statement (`inbox.crisis.status_page` says what counts).
It is regenerated

- after the sender sends an account post of an incident's statement: `build_sender`
  (`inbox.runtime`) gives every sender, the worker's and a terminal's in-process one, a
  `StatusPagePublisher.on_result` for the folder of its config. Sends close together are
  one regeneration: the page is written once the sends have paused for
  `DEBOUNCE_SECONDS`, and at the latest `MAX_DELAY_SECONDS` after the first of them;
- after an incident changes or ends, or the page's team setting changes: the worker
  follows the event log (`StatusPagePublisher.follow`). Where no worker runs (one
  person's workspace), `inbox incident page INCIDENT` rewrites it after such a change.

Regeneration and publishing hold an exclusive lock on a file beside the folder, so they
never run twice at once for one folder, across threads and processes. The command runs
without a shell (split as a shell would), with `STATUS_PAGE_DIR` in its environment and
`{dir}` in its arguments replaced by the folder, for at most `PUBLISH_TIMEOUT_SECONDS`; a
failure is logged with its exit code and the end of its stderr, and never stops a sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, func, select

from inbox import events
from inbox.core.config import StatusPageOutput
from inbox.core.errors import InboxError
from inbox.core.files import create_private_file
from inbox.core.models import Campaign, Event, Outbound
from inbox.core.sanitize import for_display
from inbox.crisis.incidents import list_incidents
from inbox.crisis.status_page import (
    StatusPageFiles,
    StatusPageSettings,
    load_status_page,
    published_statements,
    write_status_page,
)
from inbox.outbox.drafts import OutboundKind
from inbox.store.team_settings import STATUS_PAGE, read_setting

if TYPE_CHECKING:
    from inbox.outbox.sender import SendResult

log = logging.getLogger(__name__)

_outbound = Outbound.__table__
_campaign = Campaign.__table__
_event = Event.__table__

DEBOUNCE_SECONDS = 0.2
"""How long the sends must pause before the page is written."""

MAX_DELAY_SECONDS = 0.5
"""The longest a page waits behind a steady stream of sends."""

RESOLVE_SECONDS = 5.0
"""How long a sent post of a campaign not yet tied to an incident is looked at again: a
statement's campaigns are queued a moment before they are tied to it."""

PUBLISH_TIMEOUT_SECONDS = 120.0
"""The longest the publish command may run before it is stopped."""

FOLLOW_SECONDS = 5.0
"""How often the worker looks in the event log for incidents that changed or ended."""

DIR_VARIABLE = "STATUS_PAGE_DIR"
"""The publish command's environment variable holding the folder."""

INCIDENT_EVENTS = (
    events.IncidentUpdated.type,
    events.IncidentEnded.type,
    events.IncidentStatementSent.type,
    events.TeamSettingChanged.type,
)
"""Events after which the page may say something new (a team setting: its title, address)."""

_STDERR_TAIL = 600


def status_page_settings(
    connection: Connection, output: StatusPageOutput | None = None
) -> StatusPageSettings:
    """The team's status page settings, with the folder of this machine's `output`."""
    stored = read_setting(connection, STATUS_PAGE)
    settings = StatusPageSettings.from_table(
        stored.value,
        version=stored.version,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
    )
    if output is None or output.out_dir is None:
        return settings
    return replace(settings, out_dir=output.out_dir)


def featured_incident(connection: Connection) -> int | None:
    """The incident the configured page shows: the latest with a published statement."""
    for incident in list_incidents(connection):
        if published_statements(connection, incident.id):
            return incident.id
    return None


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold the exclusive lock of `folder`'s page (a file beside it) while in the block."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    path = folder.parent / f".{folder.name}.lock"
    create_private_file(path)
    descriptor = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def publish_argv(command: str, folder: Path) -> list[str]:
    """The publish command's arguments, `{dir}` replaced by the folder."""
    return [word.replace("{dir}", str(folder)) for word in shlex.split(command)]


def run_publish_command(
    command: str, folder: Path, *, timeout: float = PUBLISH_TIMEOUT_SECONDS
) -> bool:
    """Run the publish command for `folder`; False (and logged) when it failed."""
    argv = publish_argv(command, folder)
    if not argv:
        return True
    environment = {**os.environ, DIR_VARIABLE: str(folder)}
    try:
        done = subprocess.run(
            argv,
            env=environment,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        log.warning(
            "the status page's publish command %s ran longer than %.0f s and was stopped",
            argv[0],
            timeout,
            extra={"event": "status_page.publish_failed"},
        )
        return False
    except OSError as error:
        log.warning(
            "the status page's publish command %s cannot run: %s",
            argv[0],
            error.strerror or error,
            extra={"event": "status_page.publish_failed"},
        )
        return False
    if done.returncode != 0:
        tail = for_display(done.stderr.decode("utf-8", "replace"))[-_STDERR_TAIL:].strip()
        log.warning(
            "the status page's publish command %s exited with %s: %s",
            argv[0],
            done.returncode,
            tail or "(nothing on stderr)",
            extra={
                "event": "status_page.publish_failed",
                "exit_code": done.returncode,
                "stderr_tail": tail,
            },
        )
        return False
    return True


@dataclass(frozen=True, slots=True)
class Regenerated:
    """What one regeneration of the configured page did."""

    incident_id: int
    files: StatusPageFiles
    published: bool | None
    """Whether the publish command succeeded; None when there is none."""


def regenerate(
    engine: Engine, output: StatusPageOutput, incident_id: int | None = None
) -> Regenerated | None:
    """Write the page (of `incident_id`, or the featured incident) into `output`'s folder
    and run its publish command; None when `output` names no folder or no incident has a
    published statement."""
    if output.out_dir is None:
        return None
    with engine.connect() as connection:
        settings = status_page_settings(connection, output)
        if incident_id is None:
            incident_id = featured_incident(connection)
            if incident_id is None:
                return None
    folder = Path(output.out_dir).expanduser().absolute()
    with folder_lock(folder):
        with engine.connect() as connection:
            page = load_status_page(connection, incident_id, settings)
        files = write_status_page(page, folder)
        published = None
        if output.publish_command:
            published = run_publish_command(output.publish_command, folder)
    log.info(
        "status page of incident %s written to %s (%d statements)%s",
        incident_id,
        folder,
        files.statements,
        {None: "", True: " and published", False: "; publishing failed"}[published],
        extra={"event": "status_page.written", "incident_id": incident_id},
    )
    return Regenerated(incident_id, files, published)


def regenerate_quietly(engine: Engine, output: StatusPageOutput) -> Regenerated | None:
    """`regenerate` the featured incident's page, logging any failure instead of raising."""
    try:
        return regenerate(engine, output)
    except (InboxError, OSError) as error:
        log.warning(
            "cannot write the status page: %s", error, extra={"event": "status_page.failed"}
        )
    except Exception:  # noqa: BLE001 - the page must never stop a sender or an action
        log.exception("cannot write the status page", extra={"event": "status_page.failed"})
    return None


class StatusPagePublisher:
    """Regenerates `output`'s page after sends of statements, a burst at a time; with no
    folder in `output` it does nothing.

    `on_result` is a sender's result callback; it only notes the row and returns, and a
    thread of this object's own (started when needed, gone when idle) does the work.
    """

    def __init__(
        self,
        engine: Engine,
        output: StatusPageOutput,
        *,
        debounce_seconds: float = DEBOUNCE_SECONDS,
        max_delay_seconds: float = MAX_DELAY_SECONDS,
        resolve_seconds: float = RESOLVE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.output = output
        """This machine's folder and publish command, from its config."""
        self.debounce_seconds = debounce_seconds
        self.max_delay_seconds = max_delay_seconds
        self.resolve_seconds = resolve_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._sent: set[int] = set()
        self._unresolved: dict[int, float] = {}
        """Sent posts of campaigns not tied to an incident yet, and when to give up on them."""
        self._changed = False
        self._first_nudge = 0.0
        self._last_nudge = 0.0
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def on_result(self, result: SendResult) -> None:
        """A sender's callback: a sent row may be a statement's post."""
        if result.status == "sent" and self.output.out_dir is not None:
            self._nudge(outbound_id=result.outbound_id)

    def incident_changed(self) -> None:
        """An incident changed or ended: regenerate the page soon."""
        if self.output.out_dir is not None:
            self._nudge()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is pending; False if still busy after `timeout` seconds."""
        return self._idle.wait(timeout)

    async def follow(
        self, stop: asyncio.Event, *, interval: float = FOLLOW_SECONDS, since: int | None = None
    ) -> None:
        """Until `stop`, look in the event log every `interval` for incidents that changed
        or ended after event `since` (default: the latest now), and regenerate the page
        after each such change; a machine whose config names no folder does not look."""
        if self.output.out_dir is None:
            return
        seen = since if since is not None else await asyncio.to_thread(self._last_event_id)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
                return
            try:
                latest = await asyncio.to_thread(self._incident_event_after, seen)
            except Exception:  # noqa: BLE001 - a failed look is tried again next time
                log.exception("cannot read the event log for the status page")
                continue
            if latest is not None:
                seen = latest
                self.incident_changed()

    def _last_event_id(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.max(_event.c.id))).scalar() or 0)

    def _incident_event_after(self, seen: int) -> int | None:
        """The id of the latest incident event after `seen`, or None when there is none."""
        with self.engine.connect() as connection:
            return connection.execute(
                select(func.max(_event.c.id)).where(
                    _event.c.id > seen, _event.c.type.in_(INCIDENT_EVENTS)
                )
            ).scalar()

    def _nudge(self, *, outbound_id: int | None = None) -> None:
        now = self._monotonic()
        with self._lock:
            if outbound_id is not None:
                self._sent.add(outbound_id)
            else:
                self._changed = True
            if self._thread is None:
                self._first_nudge = now
                self._idle.clear()
                self._thread = threading.Thread(target=self._run, name="status page", daemon=True)
                self._thread.start()
            self._last_nudge = now

    def _run(self) -> None:
        while True:
            self._wait_for_quiet()
            with self._lock:
                sent, self._sent = self._sent, set()
                changed, self._changed = self._changed, False
                self._first_nudge = self._monotonic()
            try:
                if self._touches_an_incident(sent) or changed:
                    regenerate_quietly(self.engine, self.output)
            except Exception:  # noqa: BLE001 - the thread must end cleanly, whatever happened
                log.exception("the status page publisher failed")
            with self._lock:
                if not self._sent and not self._changed and not self._unresolved:
                    self._thread = None
                    self._idle.set()
                    return
                if not self._sent and not self._changed:
                    # only campaigns to look at again: not before a pause
                    self._last_nudge = self._monotonic()

    def _wait_for_quiet(self) -> None:
        """Sleep until the nudges paused for the debounce, or the longest delay passed."""
        while True:
            with self._lock:
                now = self._monotonic()
                quiet = now - self._last_nudge
                waited = now - self._first_nudge
            if quiet >= self.debounce_seconds or waited >= self.max_delay_seconds:
                return
            time.sleep(
                max(min(self.debounce_seconds - quiet, self.max_delay_seconds - waited), 0.01)
            )

    def _touches_an_incident(self, sent: set[int]) -> bool:
        """Whether a sent row (or one looked at again) is a post of an incident's statement."""
        now = self._monotonic()
        with self._lock:
            again = {row: until for row, until in self._unresolved.items() if until > now}
            self._unresolved = {}
        rows = sent | set(again)
        if not rows:
            return False
        with self.engine.connect() as connection:
            posts = connection.execute(
                select(_outbound.c.id, _campaign.c.incident_id)
                .join(_campaign, _campaign.c.id == _outbound.c.campaign_id)
                .where(_outbound.c.id.in_(sorted(rows)), _outbound.c.kind == str(OutboundKind.POST))
            ).all()
        touches = any(post.incident_id is not None for post in posts)
        waiting = {
            post.id: again.get(post.id, now + self.resolve_seconds)
            for post in posts
            if post.incident_id is None
        }
        if waiting:
            with self._lock:
                self._unresolved.update(waiting)
        return touches
