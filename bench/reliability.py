"""Reliability under kills and hostile input: long randomised rounds of the real processes.

Not a test: it runs longer and draws more than the suite can, and reports what it saw.
Three parts, each against real `inbox` processes on a real SQLite file:

- sync: demo accounts whose streams end after a known number of items; `inbox sync
  --follow` is killed with SIGKILL at random moments, round after round, then one run
  finishes. Every item the simulator produced must be stored once: `lost`, `duplicated`.
- poisoned: a Mastodon instance on 127.0.0.1 (hand-made) whose mentions page holds posts
  dated 9999, with NUL characters in ids and JSON nested 900 deep among good posts,
  beside a healthy demo account, in one `inbox sync`. A stream is stalled when its good
  posts or the other account's items did not land: `poisoned_streams_stalled`.
- send: replies to the loopback X, Reddit and Mastodon (tests/support/loopback_*.py),
  sent by `inbox outbox run` processes killed at random while the platform fails after
  creating posts (`tests.support.exactly_once`). The platform is then asked: a question
  answered twice is `double_sent`, one never answered (or a row not `sent`) `lost_sends`.

Ends with `RESULT sync_rounds=N items=N lost=0 duplicated=0 send_rounds=N double_sent=0
lost_sends=0 poisoned_streams_stalled=0`. Usage: `python bench/reliability.py [--seed N]`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "tests.support.keyring_backend.MemoryKeyring")

from adapters.base import AccountRef  # noqa: E402
from adapters.registry import adapter_class  # noqa: E402
from inbox.core.credentials import CredentialStore  # noqa: E402
from inbox.core.database import open_engine  # noqa: E402
from inbox.service import InboxService  # noqa: E402
from tests.support.exactly_once import replies_waiting, send_through_chaos  # noqa: E402
from tests.support.keyring_backend import KEYRING_FILE_VARIABLE  # noqa: E402

DEMO_ACCOUNTS = (("demo-x", "@brand"), ("demo-mastodon", "@brand@demo.social"))
DEEP_NESTING = 900
"""Inside the JSON parser's recursion limit; a page nested deeper fails as a whole (see
docs/reliability.md)."""
LOOPBACK_PLATFORMS = (
    "tests.support.loopback_mastodon:LoopbackMastodon",
    "tests.support.loopback_x:LoopbackX",
    "tests.support.loopback_reddit:LoopbackReddit",
)


def main() -> None:
    """Run the three parts and print the figures and the RESULT line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=random.randrange(1_000_000))
    parser.add_argument("--sync-rounds", type=int, default=20)
    parser.add_argument("--items-per-stream", type=int, default=3_000)
    parser.add_argument("--send-rounds", type=int, default=8, help="per platform")
    parser.add_argument("--questions", type=int, default=8, help="replies per platform")
    options = parser.parse_args()
    draw = random.Random(options.seed)
    print(f"seed {options.seed}")
    with tempfile.TemporaryDirectory() as folder:
        sync = sync_rounds(Path(folder), options.sync_rounds, options.items_per_stream, draw)
        stalled = poisoned_streams(Path(folder))
        send = send_rounds(Path(folder), options.send_rounds, options.questions, draw)
    print(
        f"RESULT sync_rounds={options.sync_rounds} items={sync['items']} lost={sync['lost']} "
        f"duplicated={sync['duplicated']} send_rounds={send['rounds']} "
        f"double_sent={send['double_sent']} lost_sends={send['lost_sends']} "
        f"poisoned_streams_stalled={stalled}"
    )


# -- sync ---------------------------------------------------------------------------------


def sync_rounds(folder: Path, rounds: int, per_stream: int, draw: random.Random) -> dict[str, int]:
    """Kill `inbox sync --follow` `rounds` times at random, finish, count lost and doubled."""
    database = folder / "sync.db"
    config = folder / "sync.toml"
    config.write_text("[sync]\nlease_seconds = 2\n")
    settings = {
        "seed": draw.randrange(1_000),
        "epoch": datetime(2026, 1, 1, tzinfo=UTC).isoformat(),
        "rate_per_hour": 3600,
        "total_items": per_stream,
    }
    engine = open_engine(f"sqlite:///{database}")
    for platform, handle in DEMO_ACCOUNTS:
        InboxService(engine).add_account(platform, handle, settings=settings)
    engine.dispose()
    expected = set()
    for platform, handle in DEMO_ACCOUNTS:
        adapter = adapter_class(platform)(AccountRef(0, platform, handle, settings=settings), None)
        for stream in adapter.streams:
            expected |= {
                (platform, found.external_id)
                for found in adapter.simulator.items(stream, 0, per_stream)
            }
    command = [sys.executable, "-m", "inbox.cli.main", "--db", str(database)]
    command += ["--config", str(config), "sync"]
    kills = 0
    for _ in range(rounds):
        process = subprocess.Popen(
            [*command, "--follow"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            process.wait(timeout=draw.uniform(0.5, 3.0))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
    for _ in range(50):  # a one-shot run reads what is due; the backfill may need several
        subprocess.run(command, cwd=REPO, capture_output=True, timeout=600)
        if len(_stored(database)) >= len(expected):
            break
    rows = _stored(database)
    stored = set(rows)
    figures = {
        "items": len(expected),
        "lost": len(expected - stored),
        "duplicated": len(rows) - len(stored),
    }
    print(f"sync: {rounds} rounds, {kills} kills; {figures}")
    return figures


def _stored(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database, timeout=60) as connection:
        return connection.execute(
            "SELECT account.platform, item.external_id FROM item "
            "JOIN account ON account.id = item.account_id"
        ).fetchall()


# -- poisoned streams ---------------------------------------------------------------------


def poisoned_streams(folder: Path) -> int:
    """One `inbox sync` beside a poisoned Mastodon stream; how many streams stalled."""
    database = folder / "poisoned.db"
    keyring_file = folder / "poisoned-keyring.json"
    os.environ[KEYRING_FILE_VARIABLE] = str(keyring_file)
    good = 40
    with _poisoned_instance(good) as url:
        engine = open_engine(f"sqlite:///{database}")
        service = InboxService(engine)
        service.add_account("mastodon", "@brand", base_url=url)
        service.add_account(
            "demo-x",
            "@brand",
            settings={
                "seed": 3,
                "epoch": datetime(2026, 1, 1, tzinfo=UTC).isoformat(),
                "total_items": 500,
            },
        )
        CredentialStore().set("mastodon", "@brand", {"access_token": "poisoned-token"})
        engine.dispose()
        run = subprocess.run(
            [sys.executable, "-m", "inbox.cli.main", "--db", str(database), "sync"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
        )
    counts: dict[str, int] = {}
    for platform, _ in _stored(database):
        counts[platform] = counts.get(platform, 0) + 1
    stalled = int(counts.get("mastodon", 0) < good) + int(counts.get("demo-x", 0) < 500)
    print(f"poisoned: items stored by platform {counts}; exit {run.returncode}")
    return stalled


@contextmanager
def _poisoned_instance(good: int) -> Iterator[str]:
    """A Mastodon mentions page of `good` posts and three hostile ones, on 127.0.0.1."""
    start = datetime(2026, 3, 1, tzinfo=UTC)

    def notification(number: int, created_at: str, status_id: str, extra: Any = None) -> dict:
        status = {
            "id": status_id,
            "created_at": created_at,
            "in_reply_to_id": None,
            "visibility": "public",
            "url": f"https://social.example/@carol/{status_id}",
            "content": f"<p>@brand is it down? ({number})</p>",
            "account": {"id": "201", "username": "carol", "acct": "carol"},
            "extra": extra,
        }
        return {
            "id": str(1_000 + number),
            "type": "mention",
            "created_at": created_at,
            "account": status["account"],
            "status": status,
        }

    deep: Any = []
    for _ in range(DEEP_NESTING):
        deep = [deep]
    page = [
        notification(number, (start + timedelta(minutes=number)).isoformat(), str(5_000 + number))
        for number in range(good)
    ]
    page += [
        notification(good, "9999-12-31T23:00:00-05:00", "6000"),
        notification(good + 1, start.isoformat(), "60\x0001"),
        notification(good + 2, start.isoformat(), "6002", extra=deep),
    ]
    body = json.dumps(page).encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            served = body if self.path.startswith("/api/v1/notifications?") else b"[]"
            if "min_id=" in self.path:
                served = b"[]"
            self.send_response(200 if self.path.startswith("/api/v1/") else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(served)))
            self.end_headers()
            self.wfile.write(served)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()


# -- sends --------------------------------------------------------------------------------


def send_rounds(folder: Path, rounds: int, questions: int, draw: random.Random) -> dict[str, int]:
    """Chaos rounds of real senders against each loopback platform; doubles and losses."""
    totals = {"rounds": 0, "double_sent": 0, "lost_sends": 0}
    for path in LOOPBACK_PLATFORMS:
        module, name = path.split(":")
        with getattr(importlib.import_module(module), name)() as platform:
            database_url = f"sqlite:///{folder / f'send-{platform.platform}.db'}"
            keyring_file = str(folder / f"send-{platform.platform}-keyring.json")
            os.environ[KEYRING_FILE_VARIABLE] = keyring_file
            engine, asked, _ = replies_waiting(platform, database_url, questions)

            def set_fault(fault, platform=platform) -> None:
                platform.fault = fault

            try:
                chaos = send_through_chaos(
                    database_url,
                    engine,
                    set_fault,
                    rounds=rounds,
                    seed=draw.randrange(1_000_000),
                    env={KEYRING_FILE_VARIABLE: keyring_file},
                    settle_seconds=600,
                )
                unsettled = 0
            except AssertionError as error:
                chaos, unsettled = str(error), 1
            answered = [len(platform.replies_to(external)) for external, _ in asked]
            double = sum(count - 1 for count in answered if count > 1)
            lost = sum(1 for count in answered if count == 0) + unsettled
            print(f"send {platform.platform}: {chaos}; replies per question {answered}")
            totals["rounds"] += rounds
            totals["double_sent"] += double
            totals["lost_sends"] += lost
            engine.dispose()
    return totals


if __name__ == "__main__":
    main()
