"""Real `inbox` processes, each with its own keyring file, against a Mastodon on 127.0.0.1.

`ReadableMastodon` is the loopback Mastodon (`tests/support/loopback_mastodon.py`) that can
also be polled (mentions as notifications, no conversations) and told to hold every post
until released. `Machine` is one machine's keyring file: `inbox` commands run through it as
processes, with their stderr (the worker's JSON lines) read into `events` as they come.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from adapters.mastodon.mapping import id_order
from tests.conftest import REPO
from tests.support.keyring_backend import KEYRING_FILE_VARIABLE
from tests.support.loopback_mastodon import CUSTOMER_ID, LoopbackMastodon

CLAIM_SECONDS = "2"
"""How long a killed worker's claim on a send lasts."""

HEARTBEAT_SECONDS = "0.5"
"""How often the workers under test renew their row."""


class ReadableMastodon(LoopbackMastodon):
    """The loopback Mastodon, with `GET /api/v1/notifications` (the customers' statuses as
    mentions), an empty `GET /api/v1/conversations`, and posts that can be held."""

    def __init__(self) -> None:
        super().__init__()
        self.posts_open = threading.Event()
        """Cleared, every `POST /api/v1/statuses` waits here before it is handled."""
        self.posts_open.set()
        self.post_waiting = threading.Event()
        """Set once a post arrived while posts were held."""
        self.notification_reads = 0
        """How many authorized `GET /api/v1/notifications` arrived."""

    def hold_posts(self) -> None:
        """Keep every post waiting (the sender is then mid-send) until `release_posts`."""
        self.post_waiting.clear()
        self.posts_open.clear()

    def release_posts(self) -> None:
        """Let the held posts through."""
        self.posts_open.set()

    def _mentions(self, min_id: str | None) -> list[dict[str, Any]]:
        with self._lock:
            statuses = [
                status
                for status in self._statuses.values()
                if status["account"]["id"] == CUSTOMER_ID
                and (min_id is None or id_order(status["id"]) > id_order(min_id))
            ]
        statuses.sort(key=lambda status: id_order(status["id"]), reverse=True)
        return [
            {
                "id": status["id"],
                "type": "mention",
                "created_at": status["created_at"],
                "account": status["account"],
                "status": status,
            }
            for status in statuses
        ]

    def _handler(self):
        base = super()._handler()
        instance = self

        class Handler(base):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path not in ("/api/v1/notifications", "/api/v1/conversations"):
                    super().do_GET()
                    return
                if not self._authorized():
                    return
                if parts.path == "/api/v1/conversations":
                    self._answer(200, [])
                    return
                instance.notification_reads += 1
                min_id = parse_qs(parts.query).get("min_id", [None])[-1]
                self._answer(200, instance._mentions(min_id))

            def do_POST(self) -> None:
                if not instance.posts_open.is_set():
                    instance.post_waiting.set()
                    instance.posts_open.wait()
                super().do_POST()

        return Handler


@dataclass
class Running:
    """An `inbox` process and the JSON lines it wrote on stderr so far."""

    process: subprocess.Popen
    events: list[dict[str, Any]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def saw(self, event: str) -> bool:
        """Whether the process logged `event`."""
        return any(line.get("event") == event for line in list(self.events))

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 60) -> int:
        """Signal the process (if still running) and wait for it; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        return self.process.wait(timeout=timeout)


@dataclass
class Machine:
    """One machine: its keyring file, and `inbox` processes run on it as alex."""

    keyring_file: Path
    database_url: str

    def environment(self) -> dict[str, str]:
        return {**os.environ, KEYRING_FILE_VARIABLE: str(self.keyring_file)}

    def run(self, *arguments: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run an `inbox` command to its end."""
        return subprocess.run(
            [*self._command(), *arguments],
            cwd=REPO,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start_worker(self, *extra: str) -> Running:
        """Start `inbox worker` (JSON lines, short heartbeat and claims)."""
        process = subprocess.Popen(
            [
                *self._command(),
                "worker",
                "--log-format",
                "json",
                "--claim-seconds",
                CLAIM_SECONDS,
                "--heartbeat-seconds",
                HEARTBEAT_SECONDS,
                *extra,
            ],
            cwd=REPO,
            env=self.environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        running = Running(process)
        threading.Thread(target=_read_lines, args=(running,), daemon=True).start()
        return running

    def _command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "tests.support.outbox_runner",
            "--db",
            self.database_url,
            "--as",
            "alex",
        ]


def _read_lines(running: Running) -> None:
    assert running.process.stderr is not None
    for line in running.process.stderr:
        running.text.append(line)
        try:
            running.events.append(json.loads(line))
        except ValueError:
            continue


def now() -> datetime:
    """The wall clock, as the workers' heartbeats use it."""
    return datetime.now(UTC)
