"""Opening the store: engines for SQLite and PostgreSQL, and the schema-version gate.

SQLite runs in WAL mode with a busy timeout so several terminals on one machine share a
file. Write transactions start with `BEGIN IMMEDIATE`: a deferred transaction that reads
first and writes later cannot wait for the lock, and would fail with "database is locked"
however long the busy timeout is.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from inbox.core.errors import DatabaseError, SchemaOutdated, SchemaTooNew

SCHEMA_REVISIONS: tuple[str, ...] = ("0001", "0002", "0003")
"""Every migration this code knows, oldest first; the last is the head."""

SCHEMA_HEAD = SCHEMA_REVISIONS[-1]

BUSY_TIMEOUT_MS = 30_000


def database_url(target: str) -> str:
    """A SQLAlchemy URL for a file path or a URL, as given to `--db`."""
    if "://" in target:
        try:
            url = make_url(target)
        except ArgumentError as error:
            raise DatabaseError(f"cannot read database URL: {error}") from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise DatabaseError(
                f"unsupported database {url.get_backend_name()!r}: use a SQLite file or "
                "a postgresql+psycopg:// URL"
            )
        if url.get_backend_name() == "postgresql" and url.drivername != "postgresql+psycopg":
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    return f"sqlite:///{Path(target).expanduser().resolve()}"


def create_database_engine(url: str) -> Engine:
    """An engine for `url` with the connection settings the inbox relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
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
    if before is not None and before not in SCHEMA_REVISIONS:
        check_schema(engine)
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, SCHEMA_HEAD


def open_engine(url: str, *, create: bool = True) -> Engine:
    """An engine on a database at the head schema; a new, empty database is created."""
    engine = create_database_engine(url)
    try:
        if create and schema_revision(engine) is None:
            upgrade(engine)
        check_schema(engine)
    except Exception:
        engine.dispose()
        raise
    return engine
