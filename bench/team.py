"""A team on one PostgreSQL in a crisis: one worker, N people at work, minutes of it.

Not a test: it runs real processes against a real PostgreSQL and reports what it saw.

- The database: `--db URL` (an empty database), or a private cluster from
  `tests.servers.postgres.ensure_postgres()`. It holds the demo workspace with no history:
  six simulated accounts whose rates are raised until their crisis traffic, which starts
  with the run and never ends, makes at least `--rate` new messages a second.
- One worker process: `inbox worker` (or, where it does not exist, `inbox sync --follow`
  beside `inbox outbox run --follow`), polling the accounts and sending the replies.
- `--agents` processes, each a person with the agent role working through `InboxService`
  as people do: list the unassigned threads, take one, reply with the best prepared
  answer, tag, note, close, with a short think time before each step. Each times its
  service calls (`action`) and follows the event log woken by LISTEN/NOTIFY, noting for
  every event another agent wrote how long ago it was written (`event_to_other_agent`).
- The references, measured here in the same run: the same log followed by polling alone
  every 0.5 s (what the TUI did before, and does on SQLite), and a bare SQL write
  (`UPDATE` of one thread, committed) as the floor under every action.

Afterwards the worker is stopped and one `inbox sync` fetches what is due. `lost` counts
the messages the simulator posted up to then (its schedule is deterministic) that are not
stored exactly once; `double_sent` the replies recorded as sent more than once, or two
rows with one platform post. `worker_cpu_percent` is the worker's CPU time over its wall
time (/proc). Budgets: action p95 <= 100 ms, event_to_other_agent p95 <= 1 s.

    python bench/team.py [--db URL] [--agents 20] [--minutes 10] [--rate 20] [--seed 7]

Ends with `RESULT agents=20 minutes=10 lost=0 double_sent=0 action_p95_ms=...
event_to_other_agent_p95_ms=... worker_cpu_percent=...`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "tests.support.keyring_backend.MemoryKeyring")

from sqlalchemy import text  # noqa: E402

from adapters.base import AccountRef  # noqa: E402
from adapters.registry import adapter_class  # noqa: E402
from inbox.core.database import open_engine  # noqa: E402
from inbox.demo.crisis import CRISIS_LEAD, add_listening_rules  # noqa: E402
from inbox.demo.workspace import ACCOUNTS, PEOPLE  # noqa: E402
from inbox.events import EventFollower  # noqa: E402
from inbox.service import InboxService  # noqa: E402
from inbox.triage.lists import ThreadFilter, View  # noqa: E402

POLL_SECONDS = 0.5
"""The fallback interval, as the TUI polls: also the polling-only reference's interval."""
NOTIFIED_READ_GAP = 0.2
"""The least time between two notified reads, as the TUI keeps (tui/app.py)."""
THINK_SECONDS = (0.3, 1.5)
"""A person's pause before each step, drawn uniformly."""
TAGS = ("outage", "billing", "login", "praise", "bug")
NOTES = ("Answered with the status page link", "Customer may write again", "Checked: fixed")
STOP_SECONDS = 60
PICK_FROM = 40
"""An agent takes one of the newest unassigned threads at random, as people scan the top."""


def main() -> None:
    """Run the team for `--minutes`, then print the figures and the RESULT line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="an empty PostgreSQL database (default: a private one)")
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=20.0, help="new messages a second, at least")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--agent", help=argparse.SUPPRESS)
    parser.add_argument("--until", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.agent:
        run_agent(options.db, options.agent, options.until, Path(options.out), options.seed)
        return
    with tempfile.TemporaryDirectory(prefix="inbox-team-") as folder:
        server = None
        url = options.db
        if url is None:
            from tests.servers.postgres import ensure_postgres

            server = ensure_postgres()
            url = server.create_database()
        try:
            run_team(url, options, Path(folder))
        finally:
            if server is not None:
                server.drop_database(url)
                server.stop()


# -- the team -------------------------------------------------------------------------------


def run_team(url: str, options: argparse.Namespace, folder: Path) -> None:
    """Build the workspace, run the worker and the agents, and report."""
    env = quiet_environment(folder)
    engine = open_engine(url)
    if engine.dialect.name != "postgresql":
        raise SystemExit("bench/team.py measures a team's PostgreSQL: pass a postgresql:// URL")
    started = datetime.now(UTC).replace(microsecond=0)
    ends = started + timedelta(minutes=options.minutes)
    per_second = build_team_workspace(engine, options.seed, started, ends, options.rate)
    handles = [f"agent{number:02}" for number in range(1, options.agents + 1)]
    admin = InboxService(engine, actor="admin")
    for handle in handles:
        admin.add_agent(handle, f"Agent {handle[5:]}", "agent")
    print(
        f"workspace: 6 demo accounts in crisis from {started:%H:%M:%S} UTC, "
        f"{per_second:.1f} new messages/s scheduled; {len(handles)} agents"
    )
    worker = Worker(url, env, folder / "worker.log")
    references = References(engine, set(handles))
    references.start()
    until = time.time() + options.minutes * 60
    agents = [
        subprocess.Popen(
            [sys.executable, __file__, "--db", url, "--agent", handle, "--until", str(until)]
            + ["--out", str(folder / f"{handle}.json"), "--seed", str(options.seed)],
            cwd=REPO,
            env=env,
        )
        for handle in handles
    ]
    for agent in agents:
        agent.wait(timeout=options.minutes * 60 + STOP_SECONDS)
    cpu_percent = worker.cpu_percent()
    worker.stop()
    print("worker log, last lines:", *worker.log_path.read_text().splitlines()[-5:], sep="\n  ")
    references.stop()
    final_moment = datetime.now(UTC)
    subprocess.run(
        [sys.executable, "-m", "inbox.cli.main", "--db", url, "--as", "admin", "sync", "--quiet"],
        cwd=REPO,
        env=env,
        check=True,
        timeout=600,
    )
    lost, scheduled = count_lost(engine, started, final_moment)
    double_sent, sent = count_double_sent(engine)
    report(
        options,
        [json.loads((folder / f"{handle}.json").read_text()) for handle in handles],
        references,
        worker,
        figures={
            "lost": lost,
            "scheduled": scheduled,
            "double_sent": double_sent,
            "sent": sent,
            "cpu": cpu_percent,
        },
    )
    engine.dispose()


def quiet_environment(folder: Path) -> dict[str, str]:
    """The child processes' environment: a private config and keyring, never the person's."""
    home = folder / "home"
    home.mkdir()
    return {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "INBOX_CONFIG": str(home / "config.toml"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }


def build_team_workspace(
    engine, seed: int, started: datetime, ends: datetime, rate: float
) -> float:
    """The demo's people, accounts, prepared answers and listening rules, with no history.

    Each account's traffic is its demo share, raised until the crisis, from `started` on,
    makes `rate` new messages a second over the run; returns the scheduled rate.
    """
    bootstrap = InboxService(engine)
    for handle, name, role in PEOPLE:
        bootstrap.add_agent(handle, name, role)
    admin = InboxService(engine, actor="admin")
    share = {platform: per_hour for platform, _, per_hour in ACCOUNTS}
    scale = rate * 3600 / 10 / sum(share.values())  # a crisis has ten times the volume
    for _attempt in range(4):
        settings = {
            platform: {
                "seed": seed,
                "epoch": started.isoformat(),
                "rate_per_hour": share[platform] * scale,
                "crises": [{"at": started.isoformat(), "hours": None}],
            }
            for platform in share
        }
        scheduled = sum(
            scheduled_count(
                AccountRef(0, platform, handle, settings=settings[platform]), started, ends
            )
            for platform, handle, _ in ACCOUNTS
        )
        per_second = scheduled / max((ends - started).total_seconds(), 1)
        if rate <= per_second < 1.1 * rate:
            break
        scale *= rate / max(per_second, 0.1) * 1.03
    for platform, handle, _ in ACCOUNTS:
        admin.add_account(platform, handle, settings=settings[platform])
    admin.import_canned(REPO / "canned_responses" / "starter")
    add_listening_rules(InboxService(engine, actor=CRISIS_LEAD))
    return per_second


def scheduled_count(account: AccountRef, start: datetime, end: datetime) -> int:
    """How many messages `account`'s simulator posts after `start`, up to `end`."""
    simulator = adapter_class(account.platform)(account, None).simulator
    return sum(
        simulator.first_index_after(stream, end) - simulator.first_index_after(stream, start)
        for stream in simulator.streams
    )


class Worker:
    """The one worker process (or, before `inbox worker` existed, sync and outbox beside)."""

    def __init__(self, url: str, env: dict[str, str], log: Path) -> None:
        base = [sys.executable, "-m", "inbox.cli.main", "--db", url, "--as", "admin"]
        has_worker = (
            subprocess.run(
                [*base, "worker", "--help"], cwd=REPO, env=env, capture_output=True
            ).returncode
            == 0
        )
        commands = (
            [[*base, "worker", "--concurrency", "8", "--log-format", "json"]]
            if has_worker
            else [[*base, "sync", "--follow", "--quiet"], [*base, "outbox", "run", "--follow"]]
        )
        self.kind = "inbox worker" if has_worker else "inbox sync --follow + inbox outbox run"
        self.log_path = log
        self.log = log.open("w")  # noqa: SIM115 - lives as long as the processes
        self.started = time.monotonic()
        self.processes = [
            subprocess.Popen(command, cwd=REPO, env=env, stdout=self.log, stderr=self.log)
            for command in commands
        ]

    def cpu_percent(self) -> float:
        """The worker's CPU time (user and system, all its processes) over its wall time."""
        ticks = os.sysconf("SC_CLK_TCK")
        cpu_seconds = 0.0
        for process in self.processes:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu_seconds += (int(fields[11]) + int(fields[12])) / ticks
        return 100 * cpu_seconds / (time.monotonic() - self.started)

    def stop(self) -> None:
        """Ask every process to stop (SIGTERM) and wait: a clean stop hands the leases back."""
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.log.close()


class References:
    """Measured beside the agents: the log followed by polling alone, and a bare SQL write."""

    def __init__(self, engine, agent_handles: set[str]) -> None:
        self.engine = engine
        self.agent_handles = agent_handles
        self.polled_ms: list[float] = []
        self.sql_write_ms: list[float] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._poll, daemon=True),
            threading.Thread(target=self._write, daemon=True),
        ]

    def start(self) -> None:
        """Start both measurements."""
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop both and wait for them."""
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _poll(self) -> None:
        reader = InboxService(self.engine, actor="admin")
        follower = EventFollower(reader.latest_event_id())
        while not self._stop.wait(POLL_SECONDS):
            now = datetime.now(UTC)
            for event in reader.follow_events(follower):
                if event.actor in self.agent_handles:
                    self.polled_ms.append((now - event.at).total_seconds() * 1000)

    def _write(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            with self.engine.connect() as connection:
                thread_id = connection.execute(text("SELECT max(id) FROM thread")).scalar()
            if thread_id is None:
                continue
            began = time.perf_counter()
            with self.engine.begin() as connection:
                connection.execute(
                    text("UPDATE thread SET unread = unread WHERE id = :id"), {"id": thread_id}
                )
            self.sql_write_ms.append((time.perf_counter() - began) * 1000)


# -- one agent ------------------------------------------------------------------------------


def run_agent(url: str, handle: str, until: float, out: Path, seed: int) -> None:
    """Work like a person until `until` (a Unix time); write the timings to `out` as JSON."""
    engine = open_engine(url, create=False)
    service = InboxService(engine, actor=handle)
    draw = random.Random(f"{seed}:{handle}")
    seen_ms: list[float] = []
    stop = threading.Event()
    watcher = threading.Thread(target=follow, args=(service, handle, seen_ms, stop), daemon=True)
    watcher.start()
    actions: dict[str, list[float]] = defaultdict(list)
    outcomes: Counter[str] = Counter()

    def timed(name: str, call, *args, **kwargs):
        began = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            actions[name].append((time.perf_counter() - began) * 1000)

    def think() -> bool:
        pause = draw.uniform(*THINK_SECONDS)
        time.sleep(max(0.0, min(pause, until - time.time())))
        return time.time() < until

    unassigned = ThreadFilter(view=View.UNASSIGNED)
    while think():
        rows = timed("list", service.list_threads, unassigned, limit=PICK_FROM)
        if not rows:
            outcomes["nothing to take"] += 1
            continue
        thread_id = draw.choice(rows).id
        if not think():
            break
        if not timed("take", service.take, [thread_id]).changed:
            outcomes["taken by someone else"] += 1
            continue
        if not think():
            break
        suggestions = timed("suggest", service.suggest_canned, thread_id)
        if not suggestions:
            suggestions = timed("match", service.match_canned, "thanks")
        try:
            if suggestions:
                timed("reply", service.queue_reply, thread_id, None, suggestions[0].answer.id)
            else:
                timed("reply", service.queue_reply, thread_id, "Thanks, we are on it.")
            outcomes["replied"] += 1
        except Exception as error:  # noqa: BLE001 - a refusal is a figure, not a crash
            codes = ", ".join(str(code) for code in getattr(error, "codes", ())) or "?"
            outcomes[f"reply refused ({type(error).__name__}: {codes})"] += 1
        if not think():
            break
        timed("tag", service.tag, [thread_id], [draw.choice(TAGS)])
        if draw.random() < 0.5 and think():
            timed("note", service.add_note, thread_id, draw.choice(NOTES))
        if not think():
            break
        timed("close", service.close, [thread_id])
        outcomes["closed"] += 1
    stop.set()
    watcher.join()
    out.write_text(json.dumps({"actions": actions, "seen_ms": seen_ms, "outcomes": outcomes}))
    engine.dispose()


def follow(service: InboxService, handle: str, seen_ms: list[float], stop: threading.Event) -> None:
    """Follow the event log as an open UI does: woken by the waker, polling as the fallback."""
    follower = EventFollower(service.latest_event_id())
    waker = service.event_waker()
    try:
        while not stop.is_set():
            if waker is not None:
                waker.wait(POLL_SECONDS)
            else:
                stop.wait(POLL_SECONDS)
            read_at = time.monotonic()
            now = datetime.now(UTC)
            for event in service.follow_events(follower):
                if event.actor.startswith("agent") and event.actor != handle:
                    seen_ms.append((now - event.at).total_seconds() * 1000)
            stop.wait(max(0.0, read_at + NOTIFIED_READ_GAP - time.monotonic()))
    finally:
        if waker is not None:
            waker.close()


# -- the figures ----------------------------------------------------------------------------


def count_lost(engine, started: datetime, final_moment: datetime) -> tuple[int, int]:
    """Messages the simulators posted up to `final_moment` not stored exactly once; and how many."""
    with engine.connect() as connection:
        accounts = connection.execute(
            text("SELECT id, platform, handle, settings FROM account")
        ).all()
        stored = Counter(
            (account_id, external_id)
            for account_id, external_id in connection.execute(
                text("SELECT account_id, external_id FROM item WHERE direction = 'in'")
            )
        )
    lost = scheduled = 0
    for row in accounts:
        settings = row.settings if isinstance(row.settings, dict) else json.loads(row.settings)
        account = AccountRef(row.id, row.platform, row.handle, settings=settings)
        simulator = adapter_class(row.platform)(account, None).simulator
        for stream in simulator.streams:
            for item in simulator.stream_items_between(stream, started, final_moment):
                scheduled += 1
                lost += stored[(row.id, item.external_id)] != 1
    return lost, scheduled


def count_double_sent(engine) -> tuple[int, int]:
    """Replies recorded as sent twice, plus platform posts two rows claim; and how many went."""
    with engine.connect() as connection:
        twice = connection.execute(
            text(
                "SELECT count(*) FROM (SELECT payload->>'outbound_id' FROM event "
                "WHERE type = 'outbound.sent' GROUP BY 1 HAVING count(*) > 1) AS twice"
            )
        ).scalar()
        shared = connection.execute(
            text(
                "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM outbound "
                "WHERE external_id IS NOT NULL GROUP BY account_id, external_id) AS posts"
            )
        ).scalar()
        sent = connection.execute(
            text("SELECT count(*) FROM outbound WHERE status = 'sent'")
        ).scalar()
    return int(twice) + int(shared), int(sent)


def p95(values: list[float]) -> float:
    """The 95th percentile (0 for no values)."""
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def report(
    options: argparse.Namespace,
    agents: list[dict[str, Any]],
    references: References,
    worker: Worker,
    figures: dict[str, Any],
) -> None:
    """Print the figures per action, the references beside, and the RESULT line."""
    by_action: dict[str, list[float]] = defaultdict(list)
    outcomes: Counter[str] = Counter()
    seen: list[float] = []
    for agent in agents:
        for name, values in agent["actions"].items():
            by_action[name] += values
        outcomes.update(agent["outcomes"])
        seen += agent["seen_ms"]
    every_action = [value for values in by_action.values() for value in values]
    print(f"worker: {worker.kind}")
    for name, values in sorted(by_action.items()):
        print(
            f"  {name:8} {len(values):6} calls  p50 {statistics.median(values):6.1f} ms  "
            f"p95 {p95(values):6.1f} ms"
        )
    print(f"  outcomes: {dict(outcomes)}")
    print(
        f"action p95 {p95(every_action):.1f} ms over {len(every_action)} calls "
        f"(reference, a bare SQL write: p95 {p95(references.sql_write_ms):.1f} ms)"
    )
    print(
        f"event seen by other agents p95 {p95(seen):.0f} ms over {len(seen)} sightings, "
        f"p50 {statistics.median(seen) if seen else 0:.0f} ms "
        f"(reference, polling every {POLL_SECONDS:g} s without LISTEN: "
        f"p95 {p95(references.polled_ms):.0f} ms)"
    )
    print(
        f"messages: {figures['scheduled']} scheduled, {figures['lost']} lost; "
        f"replies sent {figures['sent']}, double sent {figures['double_sent']}"
    )
    minutes = f"{options.minutes:g}"
    print(
        f"RESULT agents={options.agents} minutes={minutes} lost={figures['lost']} "
        f"double_sent={figures['double_sent']} action_p95_ms={p95(every_action):.0f} "
        f"event_to_other_agent_p95_ms={p95(seen):.0f} "
        f"worker_cpu_percent={figures['cpu']:.0f}"
    )


if __name__ == "__main__":
    main()
