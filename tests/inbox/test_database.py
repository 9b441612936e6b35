"""Opening the store: migrations, the schema gate and the SQLite settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import SQLModel

import inbox.core.models  # noqa: F401
from inbox.core.database import SCHEMA_HEAD, SCHEMA_REVISIONS, database_url, open_engine
from inbox.core.errors import DatabaseError


def test_the_code_knows_every_migration_and_its_head():
    config = Config()
    config.set_main_option(
        "script_location", str(Path(inbox.core.models.__file__).with_name("migrations"))
    )
    script = ScriptDirectory.from_config(config)
    history = [revision.revision for revision in script.walk_revisions()][::-1]
    assert tuple(history) == SCHEMA_REVISIONS
    assert script.get_current_head() == SCHEMA_HEAD


def test_the_migrations_build_exactly_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = [
            difference
            for difference in compare_metadata(context, SQLModel.metadata)
            if not _full_text_index(difference)
        ]
    assert differences == []


def _full_text_index(difference) -> bool:
    """The FTS5 table and the tsvector column are made by hand, outside the models."""
    text_form = repr(difference)
    return "item_fts" in text_form or "text_search" in text_form


def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(sqlite_url):
    engine = open_engine(sqlite_url)
    with engine.connect() as connection:
        settings = {
            name: connection.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        }
    engine.dispose()
    assert settings == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 30_000,
        "synchronous": 1,
    }


def test_paths_and_urls_both_name_a_database(tmp_path):
    assert database_url(str(tmp_path / "x.db")) == f"sqlite:///{tmp_path / 'x.db'}"
    assert (
        database_url("postgresql://inbox@db.internal/inbox")
        == "postgresql+psycopg://inbox@db.internal/inbox"
    )


def test_a_fresh_file_is_created_but_never_its_folder(tmp_path):
    open_engine(database_url(str(tmp_path / "inbox.db"))).dispose()
    assert (tmp_path / "inbox.db").exists()

    target = tmp_path / "deeper" / "still" / "inbox.db"
    with pytest.raises(DatabaseError, match=f"no such folder {tmp_path / 'deeper' / 'still'}$"):
        open_engine(database_url(str(target)))
    assert not (tmp_path / "deeper").exists()
