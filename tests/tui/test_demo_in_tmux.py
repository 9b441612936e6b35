"""The real `inbox demo` in a real terminal: tmux runs it, send-keys types, capture-pane reads.

The one test that sees what a person sees: the installed console script builds the demo
workspace and opens the inbox; a lead opens the newest thread, picks a prepared answer by
typing part of its name, sends it, sees it queued (or already sent) under the customer's
message, and quits. Everything runs on the
test's own home, data and config directories with the in-memory keyring (tests/conftest.py
puts them in the environment tmux passes on), on a private tmux server that dies with the test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from tests.support.polling import wait_until

pytestmark = pytest.mark.slow

WIDTH, HEIGHT = 120, 40

DEMO_DAYS = "2"
"""Days of demo history: enough for a full thread list, quick to build."""

START_SECONDS = 90.0
"""How long building the demo workspace and the first paint may take on a busy machine."""

STEP_SECONDS = 20.0
"""How long any one key's effect may take to show."""

LEAD = "casey"
"""The demo's lead, who may answer any thread, whoever it is assigned to."""

ANSWER_OPENING = r"Thanks for the suggestion|Love this idea"
"""How /feature-request opens: its body, or its X variant when the newest thread is on X."""


class Terminal:
    """One program in a detached tmux session of its own server, read as plain text."""

    def __init__(self, directory: Path) -> None:
        self.socket = directory / "tmux.sock"
        config = directory / "tmux.conf"
        config.write_text(
            "set-option -g remain-on-exit on\n"
        )  # keep the screen of a program that ended
        self.config = config
        self.environment = {key: value for key, value in os.environ.items() if key != "TMUX"}

    def tmux(self, *arguments: str) -> str:
        result = subprocess.run(
            ["tmux", "-S", str(self.socket), "-f", str(self.config), *arguments],
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=STEP_SECONDS,
            check=True,
        )
        return result.stdout

    def start(self, command: list[str]) -> None:
        """Run `command` through `sh`, which prints its exit status when it ends.

        tmux may not know the exit status.
        """
        report = 'status=$?; echo "program exited with status $status"'
        self.tmux(
            "new-session",
            "-d",
            "-s",
            "demo",
            "-x",
            str(WIDTH),
            "-y",
            str(HEIGHT),
            "--",
            "sh",
            "-c",
            f'"$0" "$@"; {report}',
            *command,
        )

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "demo")

    def press(self, *keys: str) -> None:
        """Send tmux key names (`Enter`, `C-s`, `Escape`)."""
        self.tmux("send-keys", "-t", "demo", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "demo", "-l", text)

    def ended(self) -> bool:
        return self.tmux("display-message", "-p", "-t", "demo", "#{pane_dead}").strip() == "1"

    def wait_for(self, pattern: str, what: str, timeout: float = STEP_SECONDS) -> str:
        """Poll the screen until `pattern` shows on it.

        Fail with the last screen, or as soon as the program ends.
        """
        last = ""

        def shows_or_ended() -> bool:
            nonlocal last
            ended = self.ended()
            last = self.screen()
            return re.search(pattern, last) is not None or ended

        try:
            wait_until(shows_or_ended, timeout, what, interval=0.1)
        except AssertionError as error:
            raise AssertionError(f"{error}; the screen was:\n{last}") from None
        if re.search(pattern, last) is None:
            raise AssertionError(
                f"the program ended before showing {what}; the screen was:\n{last}"
            )
        return last

    def exit_status(self, what: str) -> int:
        """Wait for the program to end and return its exit status, as the shell printed it."""
        screen = self.wait_for(r"program exited with status \d+", what)
        return int(re.findall(r"program exited with status (\d+)", screen)[-1])

    def stop(self) -> None:
        subprocess.run(
            ["tmux", "-S", str(self.socket), "kill-server"],
            env=self.environment,
            capture_output=True,
            timeout=STEP_SECONDS,
            check=False,
        )


@pytest.fixture
def terminal(tmp_path) -> Iterator[Terminal]:
    if shutil.which("tmux") is None:
        skip_or_fail("tmux is not installed (Debian package tmux)")
    running = Terminal(tmp_path)
    try:
        yield running
    finally:
        running.stop()


def test_demo_answers_a_thread_with_a_prepared_answer(terminal: Terminal) -> None:
    inbox = Path(sys.executable).with_name("inbox")
    assert inbox.exists(), f"the inbox console script is not installed beside {sys.executable}"
    terminal.start([str(inbox), "--as", LEAD, "demo", "--days", DEMO_DAYS])

    inbox_screen = terminal.wait_for(
        r"(?s)latest message.*\b\d+\+? (open|threads)\b",
        "the inbox with its threads",
        timeout=START_SECONDS,
    )
    assert f"{LEAD} (lead)" in inbox_screen

    terminal.press("Enter")
    terminal.wait_for(r"Reply on \S", "the thread screen with the reply composer")

    terminal.press("C-o")
    terminal.wait_for(
        r"Suggested for this thread|No suggestion for this thread", "the prepared-answer picker"
    )
    terminal.type("feature")
    terminal.wait_for(
        r"matching:[^\n]*\n[^\n]*/feature-request", "the feature-request answer first in the picker"
    )
    terminal.press("Enter")
    filled = terminal.wait_for(r"Ready to send", "the answer filled in and passing the checks")
    assert re.search(ANSWER_OPENING, filled), filled
    assert "{author.name" not in filled

    terminal.press("C-s")
    sent = terminal.wait_for(
        rf"reply from {LEAD} · (queued|sending…|sent)\b", "the reply queued in the conversation"
    )
    assert re.search(ANSWER_OPENING, sent.split(f"reply from {LEAD}", 1)[1]), sent

    terminal.press("Escape")
    terminal.wait_for(r"latest message", "the inbox again")
    terminal.press("q")
    assert terminal.exit_status("inbox demo to exit after q") == 0, terminal.screen()
