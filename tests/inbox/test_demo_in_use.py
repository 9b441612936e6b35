"""`inbox demo` never deletes a workspace another inbox has open, as whole processes.

The other inbox is a real second process that opens the workspace the way the terminal UI
does (`tui.launcher.main`, down to `workspace_in_use`); only Textual's app is replaced by a
stand-in that says it is running and waits, so no terminal is needed.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from inbox.cli.main import main
from inbox.core.workspace_lock import WorkspaceLock, lock_path
from tests.conftest import REPO
from tests.support.polling import wait_until

TIMEOUT = 120
"""Seconds any one process may take before the test fails (a hang, not a slow machine)."""

TUI_STAND_IN = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    import tui.app
    import tui.launcher

    ready = Path(sys.argv[1])

    def run_app(service, *, config, sync):
        ready.write_text("running")
        sys.stdin.read()  # until the test closes it, or kills this process
        return 0

    tui.app.run_app = run_app
    tui.launcher._not_a_terminal = lambda: None
    sys.argv = ["inbox", *sys.argv[2:]]
    sys.exit(tui.launcher.main())
    """
)
"""`inbox ARGS` as the console script runs it, with the app replaced by a wait."""


def start_inbox(*argv: str, ready: Path) -> subprocess.Popen:
    """Start the terminal UI's code path on `argv` in its own process; it writes `ready`."""
    return subprocess.Popen(
        [sys.executable, "-c", TUI_STAND_IN, str(ready), *argv],
        cwd=REPO,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def run_inbox(*argv: str) -> tuple[int, str, str]:
    """Run `inbox ARGS` to its end as its own process."""
    finished = subprocess.run(
        [sys.executable, "-m", "tui.launcher", *argv],
        cwd=REPO,
        text=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=TIMEOUT,
    )
    return finished.returncode, finished.stdout, finished.stderr


def dump(path: Path) -> list[str]:
    """The database's whole content as SQL."""
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


@pytest.fixture
def workspace(tmp_path, capsys) -> Path:
    """A one-day demo workspace, built by `inbox demo --no-tui`."""
    path = tmp_path / "demo.db"
    assert main(["--db", str(path), "demo", "--no-tui", "--days", "1"]) == 0
    capsys.readouterr()
    return path


@pytest.fixture
def open_elsewhere(tmp_path) -> Iterator[Callable[[Path], subprocess.Popen]]:
    """Open a workspace in another process, as `inbox tui` does; waits until it is open."""
    started: list[subprocess.Popen] = []

    def open_it(path: Path) -> subprocess.Popen:
        ready = tmp_path / f"ready-{len(started)}"
        process = start_inbox("--db", str(path), "--as", "alex", "tui", "--no-sync", ready=ready)
        started.append(process)
        wait_until(lambda: ready.exists() or process.poll() is not None, TIMEOUT, "the other inbox")
        assert process.poll() is None, process.communicate()
        return process

    yield open_it
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def test_demo_refuses_to_rebuild_a_workspace_open_in_another_inbox(
    workspace, open_elsewhere, capsys
):
    before, inode = dump(workspace), workspace.stat().st_ino
    other = open_elsewhere(workspace)

    status = main(["--db", str(workspace), "demo", "--no-tui", "--days", "1"])

    err = capsys.readouterr().err
    assert status == 5, "conflict: the workspace is open elsewhere"
    assert err == (
        f"inbox: {workspace} is open in another inbox; quit it there first, "
        "or add --keep to open the workspace as it is\n"
    )
    assert workspace.stat().st_ino == inode
    assert dump(workspace) == before
    assert other.poll() is None

    assert main(["--db", str(workspace), "demo", "--no-tui", "--keep"]) == 0
    assert dump(workspace) == before


def test_once_the_other_inbox_is_killed_the_demo_rebuilds(workspace, open_elsewhere, capsys):
    other = open_elsewhere(workspace)
    assert main(["--db", str(workspace), "demo", "--no-tui", "--days", "1"]) == 5
    capsys.readouterr()

    other.send_signal(signal.SIGKILL)
    other.wait(timeout=TIMEOUT)
    assert other.returncode == -signal.SIGKILL

    assert main(["--db", str(workspace), "demo", "--no-tui", "--days", "1"]) == 0
    captured = capsys.readouterr()
    assert "building the demo workspace" in captured.err
    assert "demo workspace: 9 accounts" in captured.out


def test_the_demo_marks_its_own_workspace_in_use_while_it_shows_it(tmp_path, capsys):
    path = tmp_path / "demo.db"
    seen: list[tuple[int, str, str]] = []

    def open_tui(make_service, *, sync: bool) -> int:
        make_service()
        seen.append(run_inbox("--db", str(path), "demo", "--no-tui", "--days", "1"))
        return 0

    from inbox.cli.demo import run_demo
    from inbox.cli.main import build_parser

    options = build_parser().parse_args(["--db", str(path), "demo", "--days", "1"])
    assert run_demo(options, identity=lambda: None, open_tui=open_tui) == 0

    [(status, out, err)] = seen
    assert status == 5 and out == ""
    assert err == (
        f"inbox: {path} is open in another inbox; quit it there first, "
        "or add --keep to open the workspace as it is\n"
    )
    capsys.readouterr()
    assert main(["--db", str(path), "demo", "--no-tui", "--days", "1"]) == 0


def test_the_terminal_ui_waits_out_a_rebuild_by_refusing_to_open(workspace, tmp_path):
    with WorkspaceLock(workspace) as rebuilding:
        assert rebuilding.take_alone()
        process = start_inbox(
            "--db", str(workspace), "--as", "alex", "tui", "--no-sync", ready=tmp_path / "ready"
        )
        out, err = process.communicate(timeout=TIMEOUT)

    assert process.returncode == 6 and out == ""
    assert err == (
        f"inbox: {workspace} is being rebuilt by `inbox demo` in another terminal; "
        "open it once that is done\n"
    )
    assert not (tmp_path / "ready").exists()


def test_the_mark_is_a_file_only_its_owner_can_read(workspace):
    mode = os.stat(lock_path(workspace)).st_mode & 0o777
    assert mode == 0o600
