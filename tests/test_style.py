"""The code's style is checked like its behaviour: ruff's lint rules and its formatting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

RUFF = Path(sys.executable).with_name("ruff")


def _ruff(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(RUFF), *arguments], capture_output=True, text=True, cwd=REPO)


def test_ruff_finds_nothing_to_report():
    result = _ruff("check", "--no-cache", ".")

    assert result.returncode == 0, result.stdout + result.stderr


def test_every_file_is_formatted():
    result = _ruff("format", "--check", "--no-cache", ".")

    assert result.returncode == 0, result.stdout + result.stderr
