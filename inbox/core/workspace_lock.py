"""The mark that a SQLite workspace is in use: an advisory lock on a file beside it.

Every process that has a workspace open for a person (the terminal UI, `inbox demo` while
it runs) holds a shared `flock` on `<database>.lock`; `inbox demo` takes it alone before
it deletes a workspace to build a new one, and refuses when it cannot. The OS drops a
process's locks when the process ends, however it ends (a crash, SIGKILL), so no mark
outlives its holder. The lock file itself stays: were it removed while held, the next
process would lock a new file of that name and never see the holder of the old one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine

from inbox.core.errors import DatabaseError
from inbox.core.files import create_private_file


def lock_path(database: Path) -> Path:
    """The lock file of the SQLite workspace at `database`."""
    return database.with_name(f"{database.name}.lock")


def sqlite_file(engine: Engine) -> Path | None:
    """The file `engine` works on; None for PostgreSQL, an in-memory database or a SQLite URI."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.query.get("uri") or url.database.startswith("file:"):
        return None
    return Path(url.database).absolute()


class WorkspaceLock:
    """The open lock file of one SQLite workspace; it holds no lock until asked.

    Created readable by its owner only, like the database. A lock is held until `close`
    (or the process's end); asking for the other kind converts it.
    """

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = lock_path(database)
        try:
            create_private_file(self.path)
            self._descriptor: int | None = os.open(self.path, os.O_RDWR | os.O_CLOEXEC)
        except OSError as error:
            reason = (error.strerror or type(error).__name__).lower()
            raise DatabaseError(
                f"cannot mark {database} in use: {self.path} cannot be opened ({reason})"
            ) from None

    def share(self) -> bool:
        """Mark the workspace in use beside any other inbox that has it open.

        False while a process holds it alone (an `inbox demo` rebuilding it).
        """
        return self._lock(fcntl.LOCK_SH)

    def take_alone(self) -> bool:
        """Hold the workspace alone, so that nobody has it open; False when someone does."""
        return self._lock(fcntl.LOCK_EX)

    def _lock(self, kind: int) -> bool:
        if self._descriptor is None:
            raise ValueError("the workspace lock is closed")
        try:
            fcntl.flock(self._descriptor, kind | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def close(self) -> None:
        """Let go of the lock, if any, and of the file."""
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None

    def __enter__(self) -> WorkspaceLock:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def being_rebuilt(database: Path) -> DatabaseError:
    """The refusal to open a workspace that an `inbox demo` holds alone while it rebuilds it."""
    return DatabaseError(
        f"{database} is being rebuilt by `inbox demo` in another terminal; "
        "open it once that is done"
    )


@contextlib.contextmanager
def workspace_in_use(engine: Engine) -> Iterator[None]:
    """Mark the SQLite workspace `engine` works on as in use while the block runs.

    What the terminal UI holds while it runs, so `inbox demo` never deletes a workspace
    someone has open. Nothing is marked for PostgreSQL or an in-memory database (the demo
    never deletes those).
    """
    database = sqlite_file(engine)
    if database is None:
        yield
        return
    with WorkspaceLock(database) as lock:
        if not lock.share():
            raise being_rebuilt(database)
        yield
