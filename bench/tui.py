"""Budgets (issue 3): the terminal inbox is as quick on 1,000,000 threads as on 1,000.

Builds (once, cached in a temp directory) two SQLite inboxes, 1,000 and 1,000,000 threads
over a year, schema from the real migrations, rows written with Core `executemany` in big
transactions: contacts, threads (mostly closed, recent ones open, a neglected backlog),
their messages from the demo's text pools (so search has real words to find), tags, and
SLA due times from `inbox.sla`. Then it drives the real `tui.app.InboxApp`, headless:

- first paint: a fresh process per run that starts its clock before importing anything of
  the inbox or Textual, holds the garbage collector as `inbox tui` does, opens the database,
  builds the service and the app, and stops at the first frame showing the thread list's
  first page (median of `--runs`, with Python's bytecode cache written as after a first start);
- in one fresh process per size, cursor move (down), page down, open thread (enter) and
  back (escape): time from the key until the first frame that shows its whole result (the
  cursor on the new thread and that thread in the preview; the conversation and the
  composer's channel), p95 of `--presses`;
- filter changes: a search submitted and cleared, and a view key when the inbox screen has
  views (`VIEWS`), until the new list and its preview are on screen.

Frames are observed by wrapping the app's `_display`, which Textual calls with every screen
update it composes; the wrapper also renders the update to terminal escape codes, the part
of a frame a headless run would otherwise skip. Budgets: first paint <= 1.0 s on 1M and
within 20% of 1k; move, page and open <= 50 ms p95; filter and search <= 150 ms p95.

    python bench/tui.py [--dir DIR] [--rebuild] [--sizes 1000,1000000] [--runs 7] [--presses 100]

Ends with `RESULT first_paint_1k_s=<a> first_paint_1m_s=<b> move_p95_ms=<c> filter_p95_ms=<d>`,
where move is the worst p95 of move, page and open over both sizes, and filter the worst of
search, search cleared and view change. Only the standard library is imported at the top:
the first-paint child counts the inbox's and Textual's import time from `STARTED`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

STARTED = time.perf_counter()
STARTED_CPU = time.process_time()

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
DAYS = 365
PLATFORMS = (
    "demo-mastodon",
    "demo-bluesky",
    "demo-x",
    "demo-reddit",
    "demo-facebook",
    "demo-email",
)
KINDS = ("mention", "comment", "dm")
AGENTS = 12
ACTOR = "lead"
"""The person the app runs as: a lead, who sees every view."""
TAGS = ("refund", "bug", "billing", "vip", "outage", "feature", "press")
THREADS_PER_TRANSACTION = 50_000
SIZE = (120, 40)

SEARCHES = (
    "encrypted",
    "student discount",
    "linux",
    "battery",
    "vacation photos",
    "backup",
    "photos",
    "nimbus",
)
"""Search texts the benchmark cycles through, from rare words to very common ones."""

VIEWS = ("dms", "comments", "unassigned", "breaching", "mine", "open")
"""Views shown in turn, each different from the one before: by the key bound to
`show_view('<view>')` on the inbox screen, or by running that action while no key is bound."""

OPERATION_TIMEOUT_S = 30.0

GENERATOR_VERSION = "1"
"""Bump when `build` writes different data, so cached databases are built again."""


# -- the databases ----------------------------------------------------------------------


def database_path(directory: Path, threads: int) -> Path:
    """Where the database of `threads` threads is cached: named after the schema and this generator.

    The name carries a hash of the migration files and of this file's generator, so a
    changed migration (even one edited in place) or generator never reuses a stale file.
    """
    import hashlib

    digest = hashlib.sha256()
    for migration in sorted((REPO / "inbox" / "core" / "migrations" / "versions").glob("*.py")):
        digest.update(migration.read_bytes())
    digest.update(GENERATOR_VERSION.encode())
    return directory / f"threads-{threads}-{digest.hexdigest()[:10]}.db"


def ensure_database(directory: Path, threads: int, *, rebuild: bool) -> Path:
    """The cached database of `threads` threads, built when missing."""
    path = database_path(directory, threads)
    if rebuild or not path.exists():
        began = time.perf_counter()
        build(path, threads)
        print(f"built {path} in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    return path


def build(path: Path, thread_count: int) -> None:
    """Write an inbox of `thread_count` threads to `path`, replacing any; atomic by rename."""
    from sqlalchemy import insert, select
    from stats import (
        thread_timeline,
    )  # bench/stats.py: the same traffic shape as the stats benchmark

    from inbox.core.database import open_engine
    from inbox.core.models import Account, Agent, Contact, Thread, ThreadStatus
    from inbox.sla import SlaPolicy, refresh_due_at

    partial = path.with_name(path.name + ".partial")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = open_engine(f"sqlite:///{partial}")
    rng = random.Random(3)
    start = NOW - timedelta(days=DAYS)
    texts = _TextPools(rng)
    contact_count = max(60, thread_count // 4)
    with engine.begin() as connection:
        connection.execute(
            insert(Account.__table__),
            [
                {
                    "platform": platform,
                    "handle": f"brand-{platform[5:]}",
                    "settings": {},
                    "enabled": True,
                    "health": "ok",
                    "created_at": start,
                }
                for platform in PLATFORMS
            ],
        )
        connection.execute(
            insert(Agent.__table__),
            [
                {
                    "handle": f"agent{n}",
                    "name": f"Agent {n}",
                    "role": "agent",
                    "capacity": 20,
                    "active": True,
                    "created_at": start,
                }
                for n in range(AGENTS)
            ]
            + [
                {
                    "handle": ACTOR,
                    "name": "Lee Lead",
                    "role": "lead",
                    "capacity": 20,
                    "active": True,
                    "created_at": start,
                }
            ],
        )
        for first in range(0, contact_count, THREADS_PER_TRANSACTION):
            connection.execute(
                insert(Contact.__table__),
                [
                    texts.contact(number, start)
                    for number in range(
                        first + 1, min(first + THREADS_PER_TRANSACTION, contact_count) + 1
                    )
                ],
            )
    lead_id = AGENTS + 1
    threads: list[dict] = []
    items: list[dict] = []
    tags: list[dict] = []
    item_id = 0
    starts = sorted(rng.random() for _ in range(thread_count))
    for thread_id, share in enumerate(starts, start=1):
        first_in = start + timedelta(seconds=share * DAYS * 86_400)
        account = rng.randrange(len(PLATFORMS)) + 1
        kind = "dm" if PLATFORMS[account - 1] == "demo-email" else KINDS[rng.randrange(3)]
        contact_id = account + len(PLATFORMS) * rng.randrange(contact_count // len(PLATFORMS))
        language = texts.language()
        timeline = thread_timeline(first_in, rng)
        agent = rng.randrange(AGENTS) + 1
        last_text = ""
        for direction, at in timeline:
            item_id += 1
            text = texts.inbound(language) if direction == "in" else texts.reply(language)
            if direction == "in":
                last_text = text
            items.append(
                {
                    "id": item_id,
                    "account_id": account,
                    "thread_id": thread_id,
                    "direction": direction,
                    "external_id": f"b{item_id}",
                    "contact_id": contact_id if direction == "in" else None,
                    "agent_id": agent if direction == "out" else None,
                    "text": text,
                    "created_at": at,
                    "sentiment": round(rng.uniform(-1, 1), 3) if direction == "in" else None,
                }
            )
        threads.append(
            _thread_row(
                thread_id, account, kind, contact_id, agent, lead_id, timeline, last_text, rng
            )
        )
        if rng.random() < 0.06:
            tags.append({"thread_id": thread_id, "tag": TAGS[rng.randrange(len(TAGS))]})
        if len(threads) >= THREADS_PER_TRANSACTION:
            _flush(engine, threads, items, tags)
    _flush(engine, threads, items, tags)
    with engine.begin() as connection:
        waiting = (
            connection.execute(
                select(Thread.__table__.c.id).where(
                    Thread.__table__.c.status != ThreadStatus.CLOSED
                )
            )
            .scalars()
            .all()
        )
        refresh_due_at(connection, SlaPolicy.from_settings(), waiting, NOW)
    engine.dispose()
    with contextlib.closing(sqlite3.connect(partial)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    partial.replace(path)
    print(
        f"{thread_count:,} threads ({len(waiting):,} not closed), {item_id:,} messages, "
        f"{contact_count:,} contacts",
        file=sys.stderr,
    )


def _thread_row(
    thread_id: int,
    account: int,
    kind: str,
    contact_id: int,
    agent: int,
    lead_id: int,
    timeline: list[tuple[str, datetime]],
    last_text: str,
    rng: random.Random,
) -> dict:
    """One thread's row: closed once answered and quiet, or a week unanswered.

    A few unanswered ones are forgotten.
    """
    inbound = [at for direction, at in timeline if direction == "in"]
    outbound = [at for direction, at in timeline if direction == "out"]
    last_in, last_out = max(inbound), max(outbound, default=None)
    answered = last_out is not None and last_out >= last_in
    closed_at = None
    if answered and NOW - last_out > timedelta(hours=20):
        status, closed_at = "closed", last_out + timedelta(hours=rng.uniform(1, 12))
    elif answered:
        status = "pending"
    elif NOW - last_in > timedelta(days=7) and rng.random() < 0.97:
        status, closed_at = "closed", last_in + timedelta(hours=rng.uniform(1, 72))
    else:
        status = "open" if outbound else "new"
    assignee = agent if outbound else None
    if status != "closed" and rng.random() < 0.08:
        assignee = lead_id
    draw = rng.random()
    priority = (
        "urgent" if draw < 0.02 else "high" if draw < 0.1 else "low" if draw < 0.2 else "normal"
    )
    return {
        "id": thread_id,
        "account_id": account,
        "kind": kind,
        "thread_key": f"k{thread_id}",
        "contact_id": contact_id,
        "status": status,
        "assignee_id": assignee,
        "priority": priority,
        "preview": last_text[:200],
        "item_count": len(timeline),
        "unread": not answered,
        "sentiment": round(rng.uniform(-1, 1), 3),
        "first_inbound_at": inbound[0],
        "first_response_at": outbound[0] if outbound else None,
        "last_inbound_at": last_in,
        "last_outbound_at": last_out,
        "last_activity_at": max(at for _, at in timeline),
        "closed_at": closed_at,
        "created_at": inbound[0],
        "version": 1,
    }


def _flush(engine, threads: list[dict], items: list[dict], tags: list[dict]) -> None:
    """Write a batch of threads with their messages and tags in one transaction."""
    from sqlalchemy import insert

    from inbox.core.models import Item, Thread, ThreadTag

    with engine.begin() as connection:
        if threads:
            connection.execute(insert(Thread.__table__), threads)
        if items:
            connection.execute(insert(Item.__table__), items)
        if tags:
            connection.execute(insert(ThreadTag.__table__), tags)
    threads.clear()
    items.clear()
    tags.clear()


class _TextPools:
    """Messages, replies and people made from the demo simulator's text pools, drawn at random."""

    def __init__(self, rng: random.Random) -> None:
        from adapters.demo import brand_replies, content, customer_texts, people

        self.rng = rng
        self.languages = [language for language, _ in content.LANGUAGE_WEIGHTS]
        self.weights = [weight for _, weight in content.LANGUAGE_WEIGHTS]
        categories = [category for category, _ in content.NORMAL_MIX] + [
            "followup_waiting",
            "followup_detail",
        ]
        self.messages: dict[str, list[str]] = {}
        self.replies: dict[str, list[str]] = {}
        for language in self.languages:
            pool = []
            for category in categories:
                for template in customer_texts.TEXTS[language].get(category, ()):
                    for _ in range(3):
                        pool.append(
                            template.replace("{p}", rng.choice(content.PRODUCTS[language]))
                            .replace("{f}", rng.choice(content.FEATURES[language]))
                            .replace("{d}", rng.choice(content.DURATIONS[language]))
                            .replace(
                                "{e}",
                                rng.choice(("", "", " " + rng.choice(content.EMOJI["neutral"]))),
                            )
                        )
            self.messages[language] = pool
            names = people.FIRST_NAMES[language]
            self.replies[language] = [
                template.replace("{name}", rng.choice(names))
                for group in brand_replies.REPLIES[language].values()
                for template in group
            ]
        self.first_names = people.FIRST_NAMES["en"]
        self.last_names = people.LAST_NAMES["en"]

    def language(self) -> str:
        return self.rng.choices(self.languages, self.weights)[0]

    def inbound(self, language: str) -> str:
        pool = self.messages[language]
        return pool[self.rng.randrange(len(pool))]

    def reply(self, language: str) -> str:
        pool = self.replies[language]
        return pool[self.rng.randrange(len(pool))]

    def contact(self, number: int, start: datetime) -> dict:
        """Contact `number` (1-based) on the platform its number picks.

        Its handle has that platform's shape.
        """
        platform = PLATFORMS[(number - 1) % len(PLATFORMS)]
        first = self.first_names[number % len(self.first_names)].lower()
        last = self.last_names[(number // 7) % len(self.last_names)].lower()
        handle = {
            "demo-mastodon": f"@{first}{number}@fosstodon.example",
            "demo-bluesky": f"{first}{number}.bsky.social",
            "demo-x": f"@{first}{last}{number}",
            "demo-reddit": f"u/{first}_{number}",
            "demo-facebook": f"{first}.{last}.{number}",
            "demo-email": f"{first}.{last}{number}@example.com",
        }[platform]
        return {
            "platform": platform,
            "external_id": f"c{number}",
            "handle": handle,
            "display_name": f"{first.title()} {last.title()}",
            "first_seen_at": start,
        }


# -- watching the app's frames ------------------------------------------------------------


class GcClock:
    """Seconds spent in Python's cyclic garbage collector so far.

    Shows how much of a press the collector took.
    """

    def __init__(self) -> None:
        import gc

        self.total = 0.0
        self._started = 0.0
        gc.callbacks.append(self._on_collect)

    def _on_collect(self, phase: str, _info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._started


class Frames:
    """Timestamps every frame the app composes and says when one shows what was expected.

    `expect` takes named stages (conditions on the app's widgets); each stage's time is
    the first frame at which it holds, and `done` is set once all of them have. A frame is
    a call of `App._display`, the one place Textual hands a composed screen update to the
    terminal; the wrapper renders that update to escape codes as a terminal app would.
    """

    def __init__(self, app) -> None:
        self.app = app
        self._display = app._display
        app._display = self._on_display
        self.stages: dict[str, Callable[[], bool]] = {}
        self.stage_at: dict[str, float] = {}
        self.done_cpu = 0.0
        self.done = asyncio.Event()

    def expect(self, **stages: Callable[[], bool]) -> None:
        self.stages = dict(stages)
        self.stage_at = {}
        self.done = asyncio.Event()

    def _on_display(self, screen, renderable) -> None:
        self._display(screen, renderable)
        if renderable is None or self.app._batch_count:
            return
        renderable.render_segments(self.app.console)
        at = time.perf_counter()
        for name, condition in self.stages.items():
            if name not in self.stage_at and _holds(condition):
                self.stage_at[name] = at
        if self.stages and len(self.stage_at) == len(self.stages) and not self.done.is_set():
            self.done_cpu = time.process_time()
            self.done.set()


def _holds(condition: Callable[[], bool]) -> bool:
    try:
        return bool(condition())
    except Exception:  # noqa: BLE001 - a widget not mounted yet means "not shown yet"
        return False


class Views:
    """What the benchmark reads off the app: which screen, the list, the preview, the thread screen.

    The one place that knows the screens' and widgets' names. It imports nothing, so the
    first-paint child loads only what the app itself loads.
    """

    def __init__(self, app) -> None:
        self.app = app

    @property
    def on_inbox(self) -> bool:
        return type(self.app.screen).__name__ == "InboxScreen"

    @property
    def on_thread(self) -> bool:
        return type(self.app.screen).__name__ == "ThreadScreen"

    @property
    def thread_list(self):
        return self.app.screen.query_one("#threads")

    @property
    def preview(self):
        return self.app.screen.query_one("#preview")

    @property
    def search_field(self):
        return self.app.screen.query_one("#search")

    @property
    def has_views(self) -> bool:
        return hasattr(self.app.screen, "action_show_view")

    def key_for(self, action: str) -> str | None:
        """The key bound to `action` where the focus is, if any."""
        for key, active in self.app.active_bindings.items():
            if active.binding.action == action:
                return key
        return None

    def list_shown(self) -> bool:
        """The inbox list holds its rows (possibly none)."""
        return self.on_inbox and self.thread_list.loaded

    def preview_follows(self) -> bool:
        """The preview shows the thread under the cursor (or the list is empty)."""
        selected = self.thread_list.selected
        return selected is None or self.preview.thread_id == selected.id

    def list_replaced(self, before) -> Callable[[], bool]:
        return lambda: self.list_shown() and self.thread_list.rows is not before

    def conversation_shown(self, thread_id: int) -> Callable[[], bool]:
        """The thread screen shows `thread_id`'s conversation.

        Not "Loading…", and not the last thread's.
        """
        return lambda: self.on_thread and self.app.screen.conversation.thread_id == thread_id

    def composer_ready(self) -> bool:
        return self.on_thread and self.app.screen.channel is not None


# -- measuring --------------------------------------------------------------------------


def hold_garbage_collection() -> None:
    """What `tui.launcher.open_tui` does before building the service: the app lets the
    collector run again (and freezes what start-up made) once the first page shows."""
    import gc

    gc.disable()


def build_app(path: Path):
    """The app as `inbox tui` builds it, acting as the lead at the data's `NOW`.

    Sync is off, so nothing writes.
    """
    from inbox.core.clock import FixedClock
    from inbox.core.config import Config
    from inbox.core.database import open_engine
    from inbox.service import InboxService
    from tui.app import InboxApp

    engine = open_engine(f"sqlite:///{path}")
    service = InboxService(engine, actor=ACTOR, clock=FixedClock(NOW))
    return InboxApp(service, config=Config(), sync=False)


def first_paint_child(path: Path) -> None:
    """One fresh-process first paint: print the phases, in seconds from `STARTED`, as JSON."""
    hold_garbage_collection()
    from tui.app import InboxApp  # noqa: F401 - the import is part of what is timed

    imported, imported_cpu = time.perf_counter(), time.process_time()
    app = build_app(path)
    built = time.perf_counter()
    frames = Frames(app)
    views = Views(app)
    frames.expect(
        list=lambda: views.list_shown() and bool(views.thread_list.rows),
        preview=lambda: views.list_shown() and views.preview_follows(),
    )

    async def run() -> None:
        async with app.run_test(size=SIZE):
            await asyncio.wait_for(frames.done.wait(), OPERATION_TIMEOUT_S)

    asyncio.run(run())
    print(
        json.dumps(
            {
                "imports": imported - STARTED,
                "imports_cpu": imported_cpu - STARTED_CPU,
                "app_built": built - STARTED,
                "list": frames.stage_at["list"] - STARTED,
                "preview": frames.stage_at["preview"] - STARTED,
                "cpu": frames.done_cpu - STARTED_CPU,
            }
        )
    )


def first_paint(path: Path, runs: int, bytecode: Path) -> dict[str, float]:
    """Medians over `runs` fresh processes, with the whole process's wall time to the result.

    As from a person's second start on: Python's bytecode cache is written (to `bytecode`,
    by one process not counted), even where PYTHONDONTWRITEBYTECODE is set.
    """
    environment = {**os.environ, "PYTHONPYCACHEPREFIX": str(bytecode)}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, __file__, "--first-paint-child", str(path)]
    subprocess.run(command, check=True, capture_output=True, env=environment)
    phases: dict[str, list[float]] = {}
    for _ in range(runs):
        began = time.perf_counter()
        output = subprocess.run(
            command, check=True, capture_output=True, text=True, env=environment
        ).stdout
        whole = time.perf_counter() - began
        for name, value in json.loads(output.strip().splitlines()[-1]).items():
            phases.setdefault(name, []).append(value)
        phases.setdefault("process", []).append(whole)
    return {name: statistics.median(values) for name, values in phases.items()}


class Session:
    """One running app and the timed key presses made on it."""

    def __init__(self, pilot, frames: Frames, views: Views) -> None:
        self.pilot = pilot
        self.frames = frames
        self.views = views
        self.gc = GcClock()
        self.measured: dict[str, dict[str, list[float]]] = {}
        """Per operation: "wall", "cpu" and "gc" ms of each press, and each stage's wall ms."""

    async def settle(self) -> None:
        """Let every worker finish and every message it posted be handled.

        A failed worker stops the run.
        """
        from textual.worker import WorkerState

        app = self.pilot.app
        while running := [
            worker
            for worker in app.workers
            if worker.state in (WorkerState.PENDING, WorkerState.RUNNING)
        ]:
            await asyncio.gather(*(worker.wait() for worker in running), return_exceptions=True)
        failed = [worker for worker in app.workers if worker.state == WorkerState.ERROR]
        if failed:
            raise RuntimeError(f"{failed[0].description} failed: {failed[0].error!r}")
        await self.pilot.pause()

    async def timed(
        self, name: str, keys: tuple[str, ...] | str, **stages: Callable[[], bool]
    ) -> float:
        """Press `keys` (or run an action) and return the ms until a frame shows every stage.

        The press is recorded under `name`.
        """
        await self.settle()
        self.frames.expect(**stages)
        began, began_cpu, began_gc = time.perf_counter(), time.process_time(), self.gc.total
        if isinstance(keys, str):
            await self.pilot.app.run_action(keys, self.pilot.app.screen)
        else:
            await self.pilot.press(*keys)
        try:
            await asyncio.wait_for(self.frames.done.wait(), OPERATION_TIMEOUT_S)
        except TimeoutError:
            missing = sorted(set(stages) - set(self.frames.stage_at))
            raise RuntimeError(
                f"{name}: no frame showed {', '.join(missing)} within {OPERATION_TIMEOUT_S:.0f} s"
            ) from None
        elapsed = (max(self.frames.stage_at.values()) - began) * 1000
        figures = {
            "wall": elapsed,
            "cpu": (self.frames.done_cpu - began_cpu) * 1000,
            "gc": (self.gc.total - began_gc) * 1000,
            **{f"stage {stage}": (at - began) * 1000 for stage, at in self.frames.stage_at.items()},
        }
        for key, value in figures.items():
            self.measured.setdefault(name, {}).setdefault(key, []).append(value)
        return elapsed

    async def untimed(self, *keys: str) -> None:
        await self.pilot.press(*keys)
        await self.settle()

    def at_end(self) -> bool:
        thread_list = self.views.thread_list
        return thread_list.cursor_index >= len(thread_list.rows) - 1

    async def move(self, name: str, key: str) -> None:
        """Move the cursor with `key`: the new thread highlighted, then shown in the preview."""
        views = self.views
        if self.at_end():
            await self.untimed("home")
        if not views.thread_list.rows:
            return
        before = views.thread_list.selected.id
        await self.timed(
            name,
            (key,),
            cursor=lambda: views.thread_list.selected.id != before,
            preview=lambda: (
                views.thread_list.selected.id != before
                and views.preview.thread_id == views.thread_list.selected.id
            ),
        )

    async def open_and_back(self) -> None:
        """Open the next thread (conversation and channel read), then go back to the list."""
        views = self.views
        if self.at_end():
            await self.untimed("home")
        else:
            await self.untimed("down")
        if not views.thread_list.rows:
            return
        thread_id = views.thread_list.selected.id
        await self.timed(
            "open",
            ("enter",),
            screen=lambda: views.on_thread,
            conversation=views.conversation_shown(thread_id),
            composer=views.composer_ready,
        )
        await self.timed(
            "back", ("escape",), list=lambda: views.on_inbox and views.preview_follows()
        )

    async def search(self, text: str) -> None:
        """Submit `text` as a search, then clear it.

        Each lasts until the new list and its preview show.
        """
        views = self.views
        await self.untimed("slash")
        views.search_field.value = text
        await self.settle()
        before = views.thread_list.rows
        await self.timed(
            f"search {text!r}",
            ("enter",),
            list=views.list_replaced(before),
            preview=lambda: views.list_replaced(before)() and views.preview_follows(),
        )
        before = views.thread_list.rows
        await self.timed(
            "search cleared",
            ("escape",),
            list=views.list_replaced(before),
            preview=lambda: views.list_replaced(before)() and views.preview_follows(),
        )

    async def view(self, view: str) -> None:
        """Show another view, by its key when it has one.

        Lasts until its list and preview are on screen.
        """
        views = self.views
        action = f"show_view('{view}')"
        key = views.key_for(action)
        before = views.thread_list.rows
        await self.timed(
            "view change" if key else "view change (action, no key)",
            (key,) if key else action,
            list=views.list_replaced(before),
            preview=lambda: views.list_replaced(before)() and views.preview_follows(),
        )


async def interactions(path: Path, presses: int) -> dict[str, dict[str, list[float]]]:
    """Run the app on `path` and time every kind of key press `presses` times."""
    app = build_app(path)
    frames = Frames(app)
    views = Views(app)
    frames.expect(first=lambda: views.list_shown() and views.preview_follows())
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(frames.done.wait(), OPERATION_TIMEOUT_S)
        session = Session(pilot, frames, views)
        await session.settle()
        for _ in range(presses):
            await session.move("move", "down")
        await session.untimed("home")
        for _ in range(presses):
            await session.move("page", "pagedown")
        await session.untimed("home")
        for _ in range(presses):
            await session.open_and_back()
        searches = max(presses // 2, len(SEARCHES))
        for number in range(searches):
            await session.search(SEARCHES[number % len(SEARCHES)])
        if views.has_views:
            for number in range(presses):
                await session.view(VIEWS[number % len(VIEWS)])
        await pilot.press("q")
    return session.measured


def interactions_child(path: Path, presses: int) -> None:
    """One size's key presses in a fresh process: print the measurements as JSON."""
    hold_garbage_collection()
    print(json.dumps(asyncio.run(interactions(path, presses))))


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def report(label: str, measured: dict[str, dict[str, list[float]]]) -> dict[str, float]:
    """Print one size's figures; returns each operation's wall-clock p95 in ms."""
    searches = [name for name in measured if name.startswith("search '")]
    if searches:
        measured["search (all texts)"] = {
            key: [value for name in searches for value in measured[name].get(key, [])]
            for key in ("wall", "cpu", "gc")
        }
    print(f"{label}: ms from the key to the first frame showing all of its result")
    print(
        f"  {'operation':<30} {'p50':>7} {'p95':>7} {'max':>7} "
        f"{'cpu p95':>8} {'gc max':>7}  {'n':>4}  stages (p95)"
    )
    figures = {}
    for name, values in measured.items():
        wall = values["wall"]
        stages = {key[6:]: stage for key, stage in values.items() if key.startswith("stage ")}
        detail = (
            ", ".join(f"{stage} {p95(times):.1f}" for stage, times in stages.items())
            if len(stages) > 1
            else ""
        )
        print(
            f"  {name:<30} {statistics.median(wall):7.1f} {p95(wall):7.1f} {max(wall):7.1f} "
            f"{p95(values['cpu']):8.1f} {max(values['gc']):7.1f}  {len(wall):4}  {detail}"
        )
        figures[name] = p95(wall)
    if not any(name.startswith("view change") for name in measured):
        print(
            "  view change: the inbox screen has no views yet (no action_show_view); not measured"
        )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--dir", type=Path, default=Path(tempfile.gettempdir()) / "social-inbox-bench-tui"
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="build the databases again even when cached"
    )
    parser.add_argument(
        "--sizes",
        default="1000,1000000",
        help="thread counts, comma-separated; the first and last are the RESULT's 1k and 1m",
    )
    parser.add_argument(
        "--runs", type=int, default=7, help="first-paint processes per size (median)"
    )
    parser.add_argument("--presses", type=int, default=100, help="presses per kind of key")
    parser.add_argument("--first-paint-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--interactions-child", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.first_paint_child is not None:
        first_paint_child(options.first_paint_child)
        return 0
    if options.interactions_child is not None:
        interactions_child(options.interactions_child, options.presses)
        return 0
    os.environ.setdefault("TZ", "UTC")
    time.tzset()
    sizes = [int(size) for size in options.sizes.split(",")]
    paths = {size: ensure_database(options.dir, size, rebuild=options.rebuild) for size in sizes}
    paints: dict[int, dict[str, float]] = {}
    for size in sizes:
        paints[size] = first_paint(paths[size], options.runs, options.dir / "bytecode")
        phases = paints[size]
        print(
            f"first paint, {size:,} threads "
            f"(median of {options.runs} processes, s from the first inbox import): "
            f"imports {phases['imports']:.3f} (cpu {phases['imports_cpu']:.3f}), "
            f"app built {phases['app_built']:.3f}, list shown {phases['list']:.3f}, "
            f"preview shown {phases['preview']:.3f} (cpu {phases['cpu']:.3f}); "
            f"whole process to exit {phases['process']:.3f}",
            flush=True,
        )
    move_p95 = filter_p95 = 0.0
    for size in sizes:
        output = subprocess.run(
            [
                sys.executable,
                __file__,
                "--interactions-child",
                str(paths[size]),
                "--presses",
                str(options.presses),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        figures = report(f"{size:,} threads", json.loads(output.strip().splitlines()[-1]))
        move_p95 = max(
            [move_p95] + [figures[name] for name in ("move", "page", "open") if name in figures]
        )
        filter_p95 = max(
            [filter_p95]
            + [
                value
                for name, value in figures.items()
                if name.startswith(("search (all", "search cleared", "view change"))
            ]
        )
    small, large = paints[sizes[0]]["list"], paints[sizes[-1]]["list"]
    print(
        f"first paint ratio {sizes[-1]:,} / {sizes[0]:,} threads: "
        f"{large / small:.2f} (budget <= 1.20)"
    )
    print(
        f"RESULT first_paint_1k_s={small:.3f} first_paint_1m_s={large:.3f} "
        f"move_p95_ms={move_p95:.1f} filter_p95_ms={filter_p95:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
