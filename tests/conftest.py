"""Fixtures shared by the whole suite, and guards that keep tests off the real machine.

Every test runs with its own config, data directory and an in-memory keyring: nothing
reads or writes the person's real config, database or OS keyring.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import keyring
import pytest

from tests.support.keyring_backend import MemoryKeyring

REPO = Path(__file__).resolve().parent.parent
RECORDINGS = REPO.parent / "shared" / "recordings"

os.environ["PYTHON_KEYRING_BACKEND"] = "tests.support.keyring_backend.MemoryKeyring"
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))


def skip_or_fail(reason: str) -> None:
    """Skip with `reason`; under CI (CI=true) a skip is a failure instead."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"required under CI but unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def isolated_machine(tmp_path_factory, monkeypatch) -> Iterator[MemoryKeyring]:
    """A private config, data directory and keyring for each test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("INBOX_CONFIG", str(home / "config" / "social-inbox" / "config.toml"))
    for name in ("INBOX_DATABASE_URL", "INBOX_AS"):
        monkeypatch.delenv(name, raising=False)
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


# -- databases --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated, empty SQLite database, copied for each test rather than migrated again."""
    from inbox.core.database import open_engine

    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = open_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server for the session, started only when a test asks for one."""
    from tests.servers.postgres import PostgresUnavailable, ensure_postgres

    try:
        server = ensure_postgres()
    except PostgresUnavailable as error:
        yield error
        return
    with server:
        yield server


@pytest.fixture(scope="session")
def postgres_template(postgres_server) -> str | None:
    """A migrated, empty PostgreSQL database to clone for each test."""
    from tests.servers.postgres import PostgresError

    if isinstance(postgres_server, PostgresError):
        return None
    from inbox.core.database import open_engine

    url = postgres_server.create_database()
    open_engine(url).dispose()
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> Iterator[str]:
    """A fresh, migrated database: a SQLite file, then a real PostgreSQL database."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "inbox.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_template")
    if template is None:
        skip_or_fail(f"PostgreSQL: {server}")
    url = server.create_database(template_url=template)
    yield url
    server.drop_database(url)


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template) -> str:
    """A fresh, migrated SQLite file, for tests that are about SQLite itself."""
    path = tmp_path / "inbox.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(database_url):
    """An engine on a fresh database, disposed after the test."""
    from inbox.core.database import open_engine

    engine = open_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock():
    """A clock fixed at a known time, moved on by tests."""
    from inbox.core.clock import FixedClock

    return FixedClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
