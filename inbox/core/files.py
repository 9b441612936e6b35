"""Files and folders the inbox creates, readable by their owner only.

A database, a report or an export holds customers' names and messages, so each is created
0600 (folders 0700) whatever the umask would allow. A file that already exists keeps the
mode its owner gave it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

PRIVATE_FILE_MODE = 0o600
PRIVATE_FOLDER_MODE = 0o700


def create_private_folder(path: Path) -> None:
    """Create `path` and any missing folders above it, each readable by the owner only."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_FOLDER_MODE, exist_ok=True)


def create_private_file(path: Path) -> bool:
    """Create `path` empty and readable by the owner only; False if it was there already."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return False
    os.close(descriptor)
    return True


def open_private(path: Path, *, newline: str | None = None) -> TextIO:
    """`path` opened to write UTF-8 text from its start; created readable by the owner only."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    try:
        return os.fdopen(descriptor, "w", encoding="utf-8", newline=newline)
    except BaseException:
        os.close(descriptor)
        raise
