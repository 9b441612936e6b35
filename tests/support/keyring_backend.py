"""An in-memory keyring for tests, so no test ever reads or writes the real OS keyring.

conftest.py installs it for this process and, through PYTHON_KEYRING_BACKEND, for every
subprocess a test starts. A test whose subprocesses need a secret it stored sets
INBOX_TEST_KEYRING_FILE to a file: the entries then live in that JSON file, shared by every
process that has the variable.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

KEYRING_FILE_VARIABLE = "INBOX_TEST_KEYRING_FILE"
"""Names the JSON file entries are kept in; unset, they stay in the process's memory."""


class MemoryKeyring(KeyringBackend):
    """Secrets in a dict that dies with the process, or in the file named by
    INBOX_TEST_KEYRING_FILE."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self._memory: dict[tuple[str, str], str] = {}

    @property
    def entries(self) -> dict[tuple[str, str], str]:
        """Every secret by (service, username): a copy of the file's when one is named."""
        path = _shared_file()
        return self._memory if path is None else _read(path)

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self.entries
        entries[(service, username)] = password
        _keep(entries)

    def delete_password(self, service: str, username: str) -> None:
        entries = self.entries
        try:
            del entries[(service, username)]
        except KeyError:
            raise PasswordDeleteError(username) from None
        _keep(entries)


def _shared_file() -> Path | None:
    name = os.environ.get(KEYRING_FILE_VARIABLE)
    return Path(name) if name else None


def _read(path: Path) -> dict[tuple[str, str], str]:
    """The file's entries; none when it does not exist yet."""
    try:
        stored = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    return {(service, username): password for service, username, password in stored}


def _keep(entries: dict[tuple[str, str], str]) -> None:
    """Write `entries` to the shared file, whole and owner-only; nothing without one."""
    path = _shared_file()
    if path is None:
        return
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump([[*key, password] for key, password in entries.items()], file)
    os.replace(partial, path)
