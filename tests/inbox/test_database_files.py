"""Where the database lives, as a careless user meets it: through the real `inbox` command.

Another program's SQLite file is refused untouched, a command that only reads never leaves
a file or a folder behind, a mistyped folder is named, what the inbox writes is readable by
its owner only, and a bad PostgreSQL URL is one line without the password.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from inbox.core.database import database_url as url_for
from inbox.core.database import open_engine

REPO = Path(__file__).resolve().parents[2]


def inbox(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m inbox.cli.main argv` under umask 022, the usual default, so a file
    created without an explicit mode would come out world-readable."""
    return subprocess.run(
        [sys.executable, "-m", "inbox.cli.main", *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.umask(0o022),
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The error a failed command printed, checked to be a single line and no traceback."""
    assert result.returncode == 6, result.stderr  # unavailable
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def everything_under(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


# -- another program's file -------------------------------------------------------------


@pytest.fixture
def foreign_file(tmp_path) -> Path:
    """A SQLite file another program keeps its own table in."""
    path = tmp_path / "notes.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    connection.execute("INSERT INTO notes (body) VALUES ('buy milk')")
    connection.commit()
    connection.close()
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["threads", "list"],
        ["agents", "add", "alex"],
        ["accounts", "add", "demo-x", "@brand"],
        ["db", "upgrade"],
        ["sync"],
    ],
    ids=" ".join,
)
def test_another_programs_sqlite_file_is_refused_and_left_byte_for_byte(
    foreign_file, tmp_path, command
):
    before = hashlib.sha256(foreign_file.read_bytes()).hexdigest()
    files_before = everything_under(tmp_path)

    message = one_line(inbox("--db", str(foreign_file), *command))

    assert message == (
        f"inbox: {foreign_file} is not an inbox database: it holds other tables (notes); "
        "nothing was changed. Point --db at a new file or an empty database"
    )
    assert hashlib.sha256(foreign_file.read_bytes()).hexdigest() == before, (
        "not even the journal mode changed"
    )
    assert everything_under(tmp_path) == files_before, "no -wal or -shm beside it"
    tables = sqlite3.connect(foreign_file).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("notes",)]


def test_another_programs_postgresql_database_is_refused(postgres_server):
    from sqlalchemy import create_engine, inspect

    from tests.conftest import skip_or_fail
    from tests.servers.postgres import PostgresError

    if isinstance(postgres_server, PostgresError):
        skip_or_fail(f"PostgreSQL: {postgres_server}")
    url = postgres_server.create_database()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")

    message = one_line(inbox("--db", url, "agents", "add", "alex"))

    assert "is not an inbox database: it holds other tables (invoices)" in message
    with engine.connect() as connection:
        assert inspect(connection).get_table_names() == ["invoices"]
    engine.dispose()
    postgres_server.drop_database(url)


def test_a_file_that_is_not_sqlite_is_named_and_untouched(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("this is not a database\n" * 100)

    message = one_line(inbox("--db", str(notes), "agents", "list"))

    assert message == f"inbox: cannot open the database {notes}: it is not a SQLite database"
    assert notes.read_text() == "this is not a database\n" * 100


# -- commands that only read ------------------------------------------------------------

READ_COMMANDS = [
    ["threads", "list"],
    ["threads", "show", "1"],
    ["stats"],
    ["report", "--out", "report.html"],
    ["export", "threads"],
    ["accounts", "list"],
    ["agents", "list"],
    ["outbox", "list"],
    ["approvals", "list"],
    ["campaign", "list"],
    ["campaign", "status", "1"],
    ["canned", "list"],
    ["canned", "match", "refund"],
    ["canned", "export", "answers"],
    ["incident", "list"],
    ["rules", "list"],
    ["alerts", "list"],
    ["posts", "list"],
    ["review", "1", "--out", "review.md"],
]


@pytest.mark.parametrize("command", READ_COMMANDS, ids=" ".join)
def test_a_command_that_only_reads_creates_no_database_and_no_folder(tmp_path, command):
    data_home = Path(os.environ["XDG_DATA_HOME"])
    work = tmp_path / "work"
    work.mkdir()
    command = [str(work / part) if part.endswith((".html", ".md")) else part for part in command]
    default = data_home / "social-inbox" / "inbox.db"

    message = one_line(inbox(*command))

    assert message == f"inbox: no inbox database at {default}: no such folder {default.parent}"
    assert not data_home.exists(), "the default folder is made only by commands that write"
    assert everything_under(work) == set()


def test_a_read_on_a_mistyped_folder_names_it_and_creates_nothing(tmp_path):
    typo = tmp_path / "inbxo"

    message = one_line(inbox("--db", str(typo / "inbox.db"), "threads", "list"))

    assert message == f"inbox: no inbox database at {typo / 'inbox.db'}: no such folder {typo}"
    assert everything_under(tmp_path) == set()


def test_a_read_of_a_missing_file_says_how_to_create_one(tmp_path):
    target = tmp_path / "inbox.db"

    message = one_line(inbox("--db", str(target), "agents", "list"))

    assert message == f"inbox: no inbox database at {target} (`inbox db upgrade` creates one)"
    assert everything_under(tmp_path) == set()


def test_db_status_says_there_is_no_database_yet_without_making_one(tmp_path):
    target = tmp_path / "inbox.db"

    result = inbox("--db", str(target), "db", "status")

    assert result.returncode == 0, result.stderr
    assert "schema: none (run `inbox db upgrade`)" in result.stdout
    assert not target.exists()


# -- folders that cannot hold the database ----------------------------------------------


def test_a_write_into_a_mistyped_folder_names_it_and_creates_nothing(tmp_path):
    typo = tmp_path / "inbxo" / "2025"

    message = one_line(inbox("--db", str(typo / "inbox.db"), "agents", "add", "alex"))

    assert message == (
        f"inbox: cannot create the database {typo / 'inbox.db'}: no such folder {typo}"
    )
    assert everything_under(tmp_path) == set()


def test_a_folder_that_is_a_file_names_the_file(tmp_path):
    # The tests run as root here, where a folder's read-only bits do not stop a write, so
    # "cannot create" is shown with a path whose folder cannot exist: it is a regular file.
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")

    message = one_line(inbox("--db", str(notes / "inbox.db"), "agents", "add", "alex"))

    assert message == (
        f"inbox: cannot create the database {notes / 'inbox.db'}: {notes} is a file, not a folder"
    )
    assert notes.read_text() == "hello"


# -- owner-only files -------------------------------------------------------------------


def test_the_default_database_and_its_folder_are_readable_by_the_owner_only():
    folder = Path(os.environ["XDG_DATA_HOME"]) / "social-inbox"

    result = inbox("agents", "add", "alex")

    assert result.returncode == 0, result.stderr
    assert mode(folder) == 0o700
    assert mode(folder / "inbox.db") == 0o600


def test_the_database_and_its_wal_and_shm_files_are_readable_by_the_owner_only(tmp_path):
    target = tmp_path / "inbox.db"
    previous = os.umask(0o022)
    try:
        engine = open_engine(url_for(str(target)))
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT count(*) FROM alembic_version")
            files = {
                path.name: mode(path)
                for path in tmp_path.iterdir()
                if path.name != "inbox.db-journal"
            }
        engine.dispose()
    finally:
        os.umask(previous)

    assert files == {"inbox.db": 0o600, "inbox.db-wal": 0o600, "inbox.db-shm": 0o600}


def test_reports_reviews_and_exports_are_readable_by_the_owner_only(tmp_path):
    db = str(tmp_path / "inbox.db")
    assert inbox("--db", db, "agents", "add", "casey", "--role", "lead").returncode == 0
    declared = inbox("--db", db, "--as", "casey", "incident", "declare", "Checkout outage")
    assert declared.returncode == 0, declared.stderr

    written = {
        "export.csv": ["export", "threads", "--format", "csv", "--out"],
        "export.jsonl": ["export", "items", "--out"],
        "report.html": ["report", "--out"],
        "report.md": ["report", "--out"],
        "review.md": ["review", "1", "--out"],
    }
    for name, command in written.items():
        result = inbox("--db", db, "--as", "casey", *command, str(tmp_path / name))
        assert result.returncode == 0, result.stderr

    modes = {
        path.name: mode(path) for path in tmp_path.iterdir() if not path.name.startswith("inbox.db")
    }
    assert modes == {
        "export.csv": 0o600,
        "export.jsonl": 0o600,
        "report.html": 0o600,
        "report.md": 0o600,
        "report-volume.svg": 0o600,
        "report-first-response.svg": 0o600,
        "review.md": 0o600,
        "review-threads.csv": 0o600,
        "review-volume.svg": 0o600,
        "review-negative.svg": 0o600,
    }


# -- PostgreSQL URLs --------------------------------------------------------------------


def closed_loopback_port() -> int:
    """A port on 127.0.0.1 nothing listens on: bound by us, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_url_with_a_port_that_is_not_a_number_is_one_line_without_the_password():
    message = one_line(
        inbox("--db", "postgresql+psycopg://u:hunter2-secret@h:notaport/x", "threads", "list")
    )

    assert message == (
        "inbox: cannot read the database URL postgresql+psycopg://u:***@h:notaport/x: "
        "its port is not a number"
    )


def test_a_refused_connection_names_host_and_port_without_the_password():
    port = closed_loopback_port()

    message = one_line(
        inbox(
            "--db",
            f"postgresql+psycopg://u:hunter2-secret@127.0.0.1:{port}/x",
            "agents",
            "add",
            "a",
        )
    )

    assert (
        message == f"inbox: cannot connect to the database at 127.0.0.1:{port}: Connection refused"
    )
