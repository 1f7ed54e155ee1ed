"""Where the database lives: ``--db``, else ``$WORKBENCH_DB``, else the per-user data folder."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from platformdirs import user_data_path

DB_ENV = "WORKBENCH_DB"
ACTOR_ENV = "WORKBENCH_USER"
APP_NAME = "bigpush-workbench"


def default_db_path() -> Path:
    """``<user data dir>/bigpush-workbench/workbench.duckdb`` (e.g. ~/.local/share on Linux)."""
    return user_data_path(APP_NAME, appauthor=False) / "workbench.duckdb"


def resolve_db_path(explicit: str | os.PathLike | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV]).expanduser()
    return default_db_path()


def default_actor() -> str:
    """Who is recorded in the audit log when no reviewer name is given."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers)
        login = "unknown"
    return os.environ.get(ACTOR_ENV) or login
