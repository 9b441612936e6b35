"""The architecture's direction: tui -> inbox -> adapters | canned_responses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_the_backend_and_the_leaves_import_without_textual():
    probe = (
        "import sys, inbox.cli.main, inbox.service, inbox.sync.engine, inbox.store.ingest, inbox.cli.sync, "
        "inbox.demo.workspace, adapters.registry, adapters.demo.adapter, canned_responses.matcher; "
        "loaded = sorted(name for name in sys.modules if name.split('.')[0] == 'textual'); "
        "print(','.join(loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.strip() == ""


def test_inbox_help_imports_neither_textual_nor_sqlmodel():
    probe = (
        "import sys, contextlib, io\n"
        "from inbox.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    try: main(['--help'])\n"
        "    except SystemExit: pass\n"
        "heavy = [n for n in ('textual', 'sqlmodel', 'sqlalchemy') if n in sys.modules]\n"
        "print(','.join(heavy)); print('usage: inbox' in out.getvalue())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.split() == ["True"]


def test_import_linter_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--config", str(REPO / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken" in result.stdout
