"""mastodon-mock on 127.0.0.1: an imitation of the Mastodon API for the integration tests.

No real Mastodon-API server can be installed here (docs/real-servers.md §3), so these
tests talk to `mastodon-mock` from PyPI, a FastAPI + SQLite mock of Mastodon's REST API.
It is not Mastodon: it agrees with real Mastodon only as far as its author made it.

`start_mastodon_mock()` pip-installs `mastodon-mock` into the running interpreter's
environment when it is missing, then runs `python -m mastodon_mock serve` on 127.0.0.1
and a free port, with an in-memory database, its working directory and TMPDIR in a
private temporary directory (it leaves media directories in TMPDIR, and reads a
`.mastodon_mock.toml` or `pyproject.toml` from its working directory). It waits until
`GET /api/v1/instance` answers, bounded. `stop()` ends that process by its pid and
removes the directory.

    MastodonMockError
    ├── MastodonMockUnavailable   it cannot be installed here (pip or the index refused): skip
    └── MastodonMockFailed        it was installed and did not start: a real failure
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REQUIREMENT = "mastodon-mock==0.6.1"
PIP_TIMEOUT_S = 300
READY_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15
LOG_TAIL_CHARS = 3000


class MastodonMockError(Exception):
    """Base of every error raised while providing mastodon-mock."""


class MastodonMockUnavailable(MastodonMockError):
    """mastodon-mock cannot be had on this machine; the text says why in one sentence."""


class MastodonMockFailed(MastodonMockError):
    """mastodon-mock was installed and did not answer; the text carries its output's tail."""


@dataclass
class MastodonMock:
    """A running mastodon-mock: its base URL, and the process to stop."""

    process: subprocess.Popen[bytes]
    directory: Path
    port: int
    install_seconds: float = 0.0
    start_seconds: float = 0.0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def domain(self) -> str:
        """The instance's domain, as it appears in `@user@domain` handles."""
        return f"127.0.0.1:{self.port}"

    def log(self) -> str:
        """The tail of the server's output (uvicorn's log)."""
        path = self.directory / "server.log"
        return path.read_text(errors="replace")[-LOG_TAIL_CHARS:] if path.exists() else ""

    def stop(self) -> None:
        """End the server (SIGTERM, then SIGKILL) by its pid and remove its directory."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT_S)
        shutil.rmtree(self.directory, ignore_errors=True)


def install() -> float:
    """pip-install mastodon-mock when it is missing; the seconds it took (0 when present)."""
    if importlib.util.find_spec("mastodon_mock") is not None:
        return 0.0
    started = time.monotonic()
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        REQUIREMENT,
    ]
    try:
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=PIP_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise MastodonMockUnavailable(
            f"`pip install {REQUIREMENT}` did not finish within {PIP_TIMEOUT_S} s."
        ) from None
    importlib.invalidate_caches()
    if result.returncode != 0 or importlib.util.find_spec("mastodon_mock") is None:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise MastodonMockUnavailable(
            f"`pip install {REQUIREMENT}` failed (exit {result.returncode}); "
            f"is the package index reachable? {last[0]}"
        )
    return time.monotonic() - started


def start_mastodon_mock() -> MastodonMock:
    """Install when needed and start mastodon-mock on 127.0.0.1; wait until it answers."""
    install_seconds = install()
    directory = Path(tempfile.mkdtemp(prefix="inbox-test-mastodon-mock-"))
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("HOST", "PORT")}
    env["TMPDIR"] = str(directory)
    started = time.monotonic()
    try:
        with (directory / "server.log").open("wb") as log:
            process = subprocess.Popen(
                [
                    sys.executable, "-m", "mastodon_mock", "serve", "--in-memory",
                    "--host", "127.0.0.1", "--port", str(port), "--domain", f"127.0.0.1:{port}",
                    "--log-level", "warning",
                ],
                cwd=directory, env=env,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    mock = MastodonMock(
        process=process, directory=directory, port=port, install_seconds=install_seconds
    )
    if not _wait_until_answering(mock):
        exit_code = process.poll()
        output = mock.log()
        mock.stop()
        raise MastodonMockFailed(
            f"mastodon-mock did not answer on {mock.base_url} within {READY_TIMEOUT_S} s "
            f"(exit {exit_code}); its output ended:\n{output}"
        )
    mock.start_seconds = time.monotonic() - started
    return mock


def _wait_until_answering(mock: MastodonMock) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if mock.process.poll() is not None:
            return False
        try:
            if httpx.get(f"{mock.base_url}/api/v1/instance", timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    return False


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
