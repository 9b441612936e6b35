"""Budget (issue 20): the inbox's page loads in a browser in under 2 s on loopback.

Builds a workspace of `--threads` threads (tests/tui/workspace.py, the TUI tests' own) in
a temporary directory, starts `inbox serve --as alice` on 127.0.0.1, and drives a real
headless Chromium (tests/servers/browser.py: Debian's chromium and chromium-driver, through
Selenium) at it. A run is one navigation from a blank tab: a new browser session, so a new
`inbox tui` process on the server; the clock runs from the navigation until the inbox's
rows are among what the page's terminal drew (the third thread's author), polled every
10 ms. The reference, in the same run and alternating with it: textual-serve serving a
bare Textual app (a DataTable of 40 rows) the same way, until its third row is drawn.

    python bench/serve.py [--runs 9] [--threads 1000]

Ends with `RESULT page_load_p95_ms=<inbox> reference_p95_ms=<bare app> ratio=<a/b>`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BUDGET_MS = 2000.0
START_SECONDS = 30.0
PAGE_SECONDS = 30.0
POLL_SECONDS = 0.01
INBOX_MARKER = "@erin"
"""The third thread's author in tests/tui/workspace.py: the list's rows are drawn."""

BARE_APP = """
from textual.app import App
from textual.widgets import DataTable


class Bare(App):
    def compose(self):
        yield DataTable()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("number", "text")
        for number in range(40):
            table.add_row(str(number), f"bare row {number}")


Bare().run()
"""
BARE_MARKER = "bare row 2"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_listening(process: subprocess.Popen[bytes], port: int, what: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} ended before it listened (exit {process.returncode})")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"{what} did not listen within {START_SECONDS:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=START_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=START_SECONDS)


def build(directory: Path, threads: int) -> Path:
    from inbox.core.database import open_engine
    from inbox.service import InboxService
    from tests.tui.workspace import add_people, build_workspace

    path = directory / "inbox.db"
    engine = open_engine(f"sqlite:///{path}")
    build_workspace(engine, datetime.now(UTC), threads=threads)
    add_people(InboxService(engine))
    engine.dispose()
    return path


def load_ms(page, url: str, marker: str) -> float:
    """Milliseconds from navigating to `url` until `marker` is among what the page drew."""
    page.driver.get("about:blank")
    started = time.perf_counter()
    page.driver.get(url)
    deadline = started + PAGE_SECONDS
    while marker not in page.text():
        if time.perf_counter() > deadline:
            raise SystemExit(f"{url} drew no {marker!r} within {PAGE_SECONDS:.0f} s")
        time.sleep(POLL_SECONDS)
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--threads", type=int, default=1000)
    options = parser.parse_args()

    from tests.servers.browser import start_browser

    with tempfile.TemporaryDirectory(prefix="inbox-bench-serve-") as folder:
        directory = Path(folder)
        database = build(directory, options.threads)
        (directory / "bare.py").write_text(BARE_APP)
        environment = {**os.environ, "INBOX_CONFIG": str(directory / "none.toml")}
        inbox_port, bare_port = free_port(), free_port()
        inbox = subprocess.Popen(
            [sys.executable, "-m", "tui.launcher", "--db", str(database), "--as", "alice"]
            + ["serve", "--port", str(inbox_port)],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        bare_command = shlex.join([sys.executable, str(directory / "bare.py")])
        bare = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from textual_serve.server import Server; "
                "Server(sys.argv[1], host='127.0.0.1', port=int(sys.argv[2])).serve()",
                bare_command,
                str(bare_port),
            ],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        page = None
        try:
            wait_listening(inbox, inbox_port, "inbox serve")
            wait_listening(bare, bare_port, "textual-serve with the bare app")
            page = start_browser()
            inbox_url = f"http://127.0.0.1:{inbox_port}/"
            bare_url = f"http://127.0.0.1:{bare_port}/"
            load_ms(page, inbox_url, INBOX_MARKER)  # warm: bytecode, page cache, Chromium
            load_ms(page, bare_url, BARE_MARKER)
            inbox_ms: list[float] = []
            bare_ms: list[float] = []
            for _ in range(options.runs):
                inbox_ms.append(load_ms(page, inbox_url, INBOX_MARKER))
                bare_ms.append(load_ms(page, bare_url, BARE_MARKER))
            page.driver.get("about:blank")
        finally:
            if page is not None:
                page.close()
            stop(inbox)
            stop(bare)

    inbox_p95, bare_p95 = percentile(inbox_ms, 0.95), percentile(bare_ms, 0.95)
    print(f"runs: {options.runs} each, {options.threads} threads, load average {_load()}")
    for name, values in (("inbox serve", inbox_ms), ("bare Textual app", bare_ms)):
        print(
            f"{name:>18}: p50 {statistics.median(values):7.0f} ms  "
            f"p95 {percentile(values, 0.95):7.0f} ms  "
            f"min {min(values):7.0f} ms  max {max(values):7.0f} ms"
        )
    verdict = "within" if inbox_p95 <= BUDGET_MS else "OVER"
    print(f"budget {BUDGET_MS:.0f} ms: {verdict}")
    print(
        f"RESULT page_load_p95_ms={inbox_p95:.0f} reference_p95_ms={bare_p95:.0f} "
        f"ratio={inbox_p95 / bare_p95:.2f}"
    )


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
