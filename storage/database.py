"""The one database adapter: short connections to one DuckDB file, serialised by a file lock.

Concurrency model (docs/concurrency.md). DuckDB lets only one process open a
database file for writing, and a file open for writing cannot be opened by
another process at all. The workbench therefore never keeps a connection
open: every unit of work (a page's read, an ingest, a CLI command) takes an
exclusive inter-process lock on ``<db>.lock``, opens the file, does its work
(writes inside one transaction), closes the file and releases the lock.
Browser sessions (threads of one Streamlit process) and CLI runs (other
processes) thus queue for a few milliseconds instead of failing with lock
errors, and no write is lost. A unit of work that waits longer than
``lock_timeout`` seconds gets a clear "database busy" error.

All SQL with user values uses bound parameters; DuckDB-specific SQL lives in
``storage/``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
from filelock import FileLock, Timeout

from storage.migrations import LATEST_VERSION, MIGRATIONS


class StorageError(RuntimeError):
    """A database operation failed; the message says what was being done."""


class DatabaseBusy(StorageError):
    """Another session held the database longer than the lock timeout."""


@dataclass(frozen=True)
class Database:
    """A DuckDB file and the lock that serialises access to it."""

    path: Path
    lock_timeout: float = 120.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path).expanduser().resolve())

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @contextlib.contextmanager
    def connect(self, doing: str = "reading the database") -> Iterator[duckdb.DuckDBPyConnection]:
        """An open connection under the lock, with the schema migrated to the latest version."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StorageError(f"{doing}: cannot create the folder of {self.path}: {err}") from err
        lock = FileLock(self.lock_path, timeout=self.lock_timeout)
        try:
            lock.acquire()
        except Timeout:  # a subclass of OSError: caught first
            raise DatabaseBusy(
                f"{doing}: the database {self.path} is busy (another session held it for "
                f"over {self.lock_timeout:.0f} s); try again") from None
        except OSError as err:
            raise StorageError(f"{doing}: cannot lock {self.lock_path}: {err}") from err
        try:
            try:
                con = duckdb.connect(str(self.path))
            except duckdb.Error as err:
                raise StorageError(f"{doing}: cannot open {self.path}: {err}") from err
            try:
                _migrate(con)
                yield con
            except duckdb.Error as err:
                raise StorageError(f"{doing}: {err}") from err
            finally:
                con.close()
        finally:
            lock.release()

    @contextlib.contextmanager
    def transaction(self, doing: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection inside one transaction: everything commits, or nothing does."""
        with self.connect(doing) as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def query(self, sql: str, params: list | tuple = (), doing: str = "reading the database") -> pd.DataFrame:
        with self.connect(doing) as con:
            return con.execute(sql, list(params)).df()

    def schema_version(self) -> int:
        with self.connect("reading the schema version") as con:
            return current_version(con)


_migration_guard = threading.Lock()


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_meta'"
    ).fetchone()[0]
    if not exists:
        return 0
    return int(con.execute("SELECT coalesce(max(version), 0) FROM schema_meta").fetchone()[0])


def _migrate(con: duckdb.DuckDBPyConnection, target: int = LATEST_VERSION) -> None:
    """Apply every migration above the file's version, all in one transaction."""
    with _migration_guard:
        version = current_version(con)
        if version > LATEST_VERSION:
            raise StorageError(
                f"the database has schema version {version}, newer than this workbench "
                f"({LATEST_VERSION}); update the workbench")
        pending = [m for m in MIGRATIONS if version < m.version <= target]
        if not pending:
            return
        con.execute("BEGIN TRANSACTION")
        try:
            for migration in pending:
                for statement in migration.statements:
                    con.execute(statement)
                con.execute("INSERT INTO schema_meta VALUES (?, ?, ?)",
                            [migration.version, now(), migration.description])
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")


def migrate_to(path: Path, version: int) -> None:
    """Create or migrate ``path`` only up to ``version`` (tests of older databases)."""
    con = duckdb.connect(str(path))
    try:
        _migrate(con, target=version)
    finally:
        con.close()


def now() -> dt.datetime:
    """Timestamps are UTC, without time zone, to the microsecond."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
