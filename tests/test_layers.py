"""The architecture's direction, checked by import-linter over imports inside functions too.

tui -> inbox -> adapters | canned_responses; inside inbox, layers from the CLI down to
core; no loop among the modules of any package; the UI only names inbox's public surface;
inside tui, only the app imports the screens, and no screen imports another.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = ("inbox", "tui", "adapters", "canned_responses")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(root / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=root,
    )


def _copy_of_the_project(destination: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            REPO / package, destination / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(REPO / "pyproject.toml", destination / "pyproject.toml")
    return destination


def _contract_count() -> int:
    return len(
        re.findall(
            r"^\[\[tool\.importlinter\.contracts\]\]", (REPO / "pyproject.toml").read_text(), re.M
        )
    )


def test_the_backend_and_the_leaves_import_without_textual():
    probe = (
        "import sys, inbox, inbox.cli.main, inbox.service, inbox.runtime, inbox.sync.engine, "
        "inbox.store.ingest, inbox.cli.sync, inbox.demo.workspace, adapters.registry, "
        "adapters.demo.adapter, canned_responses.matcher; "
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
    result = _lint_imports(REPO)

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {_contract_count()} kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "added_import", "broken_contract"),
    [
        # Two modules of one package importing each other (history imports lists), the second
        # inside a function.
        (
            "inbox/triage/lists.py",
            "def _loop():\n    from inbox.triage import history  # noqa: F401\n",
            "No two modules of one package import each other",
        ),
        # A low layer reaching up, under TYPE_CHECKING (the service does not import sync back).
        (
            "inbox/sync/engine.py",
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n"
            "    from inbox.service import InboxService\n",
            "Inside the backend each layer imports only the layers below it",
        ),
        # The UI reaching past the public names.
        (
            "tui/widgets/labels.py",
            "from inbox.core.sanitize import for_display  # noqa: F401\n",
            "The UI imports only the backend's public names",
        ),
        # Something in the UI other than the app opening a screen.
        (
            "tui/crisis_watch.py",
            "def _open():\n    from tui.screens.crisis import CrisisScreen  # noqa: F401\n",
            "Only the app imports the screens",
        ),
        # One screen importing another instead of asking the app to open it.
        (
            "tui/screens/crisis.py",
            "def _open():\n    from tui.screens.review import ReviewScreen  # noqa: F401\n",
            "No screen imports another",
        ),
    ],
)
def test_a_new_wrong_import_breaks_its_contract(tmp_path, module, added_import, broken_contract):
    root = _copy_of_the_project(tmp_path)
    with (root / module).open("a") as source:
        source.write("\n\n" + added_import)

    result = _lint_imports(root)

    assert result.returncode == 1, result.stdout
    assert f"Contracts: {_contract_count() - 1} kept, 1 broken" in result.stdout
    assert f"{broken_contract}" in result.stdout.split("Broken contracts")[1]


def test_every_public_name_is_what_its_module_defines():
    import importlib

    import inbox

    for name in inbox.__all__:
        module = importlib.import_module(inbox._PUBLIC[name])
        expected = module if name in inbox._MODULES else getattr(module, name)
        assert getattr(inbox, name) is expected, name
