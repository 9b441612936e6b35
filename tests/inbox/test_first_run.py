"""The first run as the README tells it: its marked commands, in order, on an empty database.

The commands run as a person would run them (`python -m inbox.cli.main`, in new processes), on a
fresh SQLite file and on PostgreSQL; the database is named through INBOX_DATABASE_URL, as
a config file or the environment would, so the README's lines run exactly as written.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from inbox.core.database import open_engine
from inbox.service import InboxService
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
MARK = "<!-- first-run:"


def first_run_commands() -> list[list[str]]:
    """The README's marked block, one command per line, comments left out."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    _, marked, after = readme.partition(MARK)
    assert marked, "the README has no block marked <!-- first-run: ... -->"
    block = re.search(r"```sh\n(.*?)```", after, re.DOTALL)
    assert block is not None, "the first-run mark is not followed by a ```sh block"
    return [shlex.split(line, comments=True) for line in block.group(1).splitlines() if line]


@pytest.fixture(params=["sqlite", "postgres"])
def database(request, tmp_path) -> Iterator[str]:
    """A SQLite file not created yet (its folder is), then a PostgreSQL database with no
    tables at all."""
    if request.param == "sqlite":
        (tmp_path / "fresh").mkdir()
        yield f"sqlite:///{tmp_path / 'fresh' / 'inbox.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    if isinstance(server, Exception):
        skip_or_fail(f"PostgreSQL: {server}")
    url = server.create_database()
    yield url
    server.drop_database(url)


def test_the_readme_first_run_works_from_an_empty_database(database, tmp_path):
    commands = first_run_commands()
    assert commands[0][:2] == ["inbox", "setup"]
    environment = {
        **os.environ,
        "INBOX_DATABASE_URL": database,
        "INBOX_TEST_KEYRING_FILE": str(tmp_path / "keyring.json"),
    }
    outputs = []
    for command in commands:
        assert command[0] == "inbox"
        done = subprocess.run(
            [sys.executable, "-m", "inbox.cli.main", *command[1:]],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"{shlex.join(command)} failed: {done.stderr}"
        outputs.append(done.stdout)

    assert "inbox tui --as ana" in outputs[0]
    assert "no threads" in outputs[-1]
    engine = open_engine(database, create=False)
    try:
        admin = InboxService(engine, actor="ana")
        assert (admin.actor.role, admin.actor.handle) == ("admin", "ana")
        team = admin.sla_settings()
        assert team.version == 2 and team.updated_by == "ana"
        assert team.settings.timezone == "Europe/Berlin"
        assert team.settings.hours["sat"] == "10:00-14:00"
    finally:
        engine.dispose()
