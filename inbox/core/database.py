"""Opening the store: engines for SQLite and PostgreSQL, and the schema-version gate.

SQLite runs in WAL mode with a busy timeout so several terminals on one machine share a
file. Write transactions start with `BEGIN IMMEDIATE`: a deferred transaction that reads
first and writes later cannot wait for the lock, and would fail with "database is locked"
however long the busy timeout is.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import URL, Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from inbox.core.errors import DatabaseError, DatabaseMissing, SchemaOutdated, SchemaTooNew
from inbox.core.files import create_private_file

SCHEMA_REVISIONS: tuple[str, ...] = (
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
    "0008",
    "0009",
)
"""Every migration this code knows, oldest first; the last is the head."""

SCHEMA_HEAD = SCHEMA_REVISIONS[-1]

BUSY_TIMEOUT_MS = 30_000


def database_url(target: str) -> str:
    """A SQLAlchemy URL for a file path or a URL, as given to `--db`."""
    if "://" in target:
        try:
            url = make_url(target)
        except (ArgumentError, ValueError):
            raise DatabaseError(
                f"cannot read the database URL {_without_password(target)}: {_url_problem(target)}"
            ) from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise DatabaseError(
                f"unsupported database {url.get_backend_name()!r}: use a SQLite file or "
                "a postgresql+psycopg:// URL"
            )
        if url.get_backend_name() == "postgresql" and url.drivername != "postgresql+psycopg":
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    return f"sqlite:///{Path(target).expanduser().resolve()}"


def _without_password(target: str) -> str:
    """`target` with everything between the user name and the host hidden."""
    return re.sub(r"^([^:/]+://[^:/@]*):.*@", r"\1:***@", target)


def _url_problem(target: str) -> str:
    try:
        urlsplit(target).port
    except ValueError:
        return "its port is not a number"
    return "write it as postgresql+psycopg://user:password@host:port/database"


def create_database_engine(url: str) -> Engine:
    """An engine for `url` with the connection settings the inbox relies on.

    It checks nothing, and SQLite creates a missing file on the first connection: commands
    go through `open_engine` or `open_database`, which check the target first.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_sqlite_transaction)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _configure_sqlite_connection(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    immediate = connection.info.pop("write_transaction", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def insert_ignoring_conflicts(connection: Connection, table: Any):
    """An INSERT that skips rows violating a unique constraint, on either database."""
    dialect = sqlite if connection.dialect.name == "sqlite" else postgresql
    return dialect.insert(table).on_conflict_do_nothing()


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that holds the write lock from its first statement."""
    with engine.connect() as connection:
        connection.info["write_transaction"] = True
        with connection.begin():
            yield connection


def schema_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None for a database with no inbox tables."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def check_schema(engine: Engine) -> None:
    """Refuse a database this code cannot safely use, before anything is written."""
    revision = schema_revision(engine)
    if revision == SCHEMA_HEAD:
        return
    if revision is None:
        _refuse_other_programs_tables(engine)
        raise SchemaOutdated("the database has no inbox tables yet: run `inbox db upgrade`")
    if revision in SCHEMA_REVISIONS:
        raise SchemaOutdated(
            f"the database is at schema {revision}, this inbox needs {SCHEMA_HEAD}: "
            "run `inbox db upgrade`"
        )
    raise SchemaTooNew(
        f"the database's schema ({revision}) is newer than this inbox knows "
        f"(up to {SCHEMA_HEAD}); upgrade social-inbox to open it"
    )


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Run the migrations up to the head; returns (revision before, revision after)."""
    from alembic import command
    from alembic.config import Config

    before = schema_revision(engine)
    if before is None:
        _refuse_other_programs_tables(engine)
    elif before not in SCHEMA_REVISIONS:
        check_schema(engine)
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, SCHEMA_HEAD


def open_engine(url: str, *, create: bool = True) -> Engine:
    """An engine on a database at the head schema.

    With `create`, a missing SQLite file or an empty database is created at the head first;
    without it (commands that only read) nothing is created or migrated.
    """
    engine = open_database(url, create=create)
    try:
        if create and schema_revision(engine) is None:
            upgrade(engine)
        check_schema(engine)
    except Exception:
        engine.dispose()
        raise
    return engine


def open_database(url: str, *, create: bool) -> Engine:
    """An engine on `url` after checking what is there, connected once to prove it opens.

    A missing SQLite file is created (readable by its owner only) only with `create`, and
    never its folder. A file that is not SQLite, or holds another program's tables, is
    refused before anything is written to it. A failure is one DatabaseError naming the
    file, or the server's host and port, and never the password.
    """
    parsed = make_url(url)
    path = _sqlite_file(parsed)
    if path is not None:
        _check_sqlite_file(path, create=create)
    engine = create_database_engine(url)
    try:
        with engine.connect():
            pass
    except DBAPIError as error:
        engine.dispose()
        raise DatabaseError(_open_failure(parsed, path, error)) from None
    return engine


def _sqlite_file(url: URL) -> Path | None:
    """The file a SQLite URL names; None for an in-memory database or a SQLite URI."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.query.get("uri") or url.database.startswith("file:"):
        return None
    return Path(url.database).absolute()


def _check_sqlite_file(path: Path, *, create: bool) -> None:
    verb = "create" if create else "open"
    if not path.exists():
        _check_folder(path, verb, create=create)
        if not create:
            raise DatabaseMissing(f"no inbox database at {path} (`inbox db upgrade` creates one)")
        try:
            create_private_file(path)
        except OSError as error:
            raise DatabaseError(
                f"cannot create the database {path}: {_os_cause(error, path.parent)}"
            ) from None
        return
    if path.is_dir():
        raise DatabaseError(f"cannot {verb} the database {path}: it is a folder")
    tables = _sqlite_tables(path, verb)
    if tables and "alembic_version" not in tables:
        raise DatabaseError(_other_programs_tables(str(path), tables))


def _check_folder(path: Path, verb: str, *, create: bool) -> None:
    """Refuse a database whose folder is missing or is a file; the inbox never creates it."""
    folder = path.parent
    if folder.is_dir():
        return
    existing = next(ancestor for ancestor in (folder, *folder.parents) if ancestor.exists())
    if not existing.is_dir():
        raise DatabaseError(
            f"cannot {verb} the database {path}: {existing} is a file, not a folder"
        )
    if not create:
        raise DatabaseMissing(f"no inbox database at {path}: no such folder {folder}")
    raise DatabaseError(f"cannot create the database {path}: no such folder {folder}")


def _sqlite_tables(path: Path, verb: str) -> set[str]:
    """The tables in the SQLite file at `path`, read without writing to it."""
    try:
        connection = sqlite3.connect(
            f"{path.as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000
        )
    except sqlite3.Error as error:
        raise DatabaseError(
            f"cannot {verb} the database {path}: {_file_cause(path, error)}"
        ) from None
    try:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    except sqlite3.DatabaseError as error:
        if "file is not a database" in str(error):
            raise DatabaseError(
                f"cannot {verb} the database {path}: it is not a SQLite database"
            ) from None
        raise DatabaseError(
            f"cannot {verb} the database {path}: {_file_cause(path, error)}"
        ) from None
    finally:
        connection.close()
    return {name for (name,) in rows if not name.startswith("sqlite_")}


def _refuse_other_programs_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        tables = {
            name for name in inspect(connection).get_table_names() if not name.startswith("sqlite_")
        }
    if tables:
        shown = engine.url.database if engine.dialect.name == "sqlite" else None
        raise DatabaseError(
            _other_programs_tables(shown or engine.url.render_as_string(hide_password=True), tables)
        )


def _other_programs_tables(where: str, tables: set[str]) -> str:
    names = sorted(tables)
    listed = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (
        f"{where} is not an inbox database: it holds other tables ({listed}); nothing was "
        "changed. Point --db at a new file or an empty database"
    )


def _open_failure(url: URL, path: Path | None, error: DBAPIError) -> str:
    reason = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else ""
    reason = reason or type(error.orig).__name__
    if path is not None:
        return f"cannot open the database {path}: {_file_cause(path, error.orig)}"
    if url.password:
        reason = reason.replace(str(url.password), "***")
    if "connection to server" in reason:
        reason = reason.rsplit(" failed: ", 1)[-1]
    return (
        f"cannot connect to the database at {url.host or 'localhost'}:{url.port or 5432}: {reason}"
    )


def _file_cause(path: Path, error: BaseException) -> str:
    """Why SQLite could not use `path`, said about the file rather than in SQLite's words."""
    for target in (path.parent, path):
        if target.exists() and not os.access(target, os.W_OK):
            return f"permission denied ({target} is read-only)"
    if not os.access(path, os.R_OK):
        return "permission denied"
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _os_cause(error: OSError, folder: Path) -> str:
    if isinstance(error, PermissionError):
        return f"permission denied in {folder}"
    return (error.strerror or type(error).__name__).lower()
