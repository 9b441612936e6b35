"""Where the inbox keeps its files, by the platform's conventions (platformdirs).

Nothing is created here; callers create a directory when they first write into it.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "social-inbox"


def data_dir() -> Path:
    """The per-user data directory (databases)."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def config_path() -> Path:
    """The config file: `INBOX_CONFIG`, else config.toml in the per-user config directory."""
    configured = os.environ.get("INBOX_CONFIG")
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / "config.toml"


def default_database() -> Path:
    """The SQLite file used when neither `--db`, `INBOX_DATABASE_URL` nor the config names one."""
    return data_dir() / "inbox.db"


def demo_database() -> Path:
    """The SQLite file `inbox demo` builds its workspace in."""
    return data_dir() / "demo.db"
