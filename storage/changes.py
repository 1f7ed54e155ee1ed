"""Change sets: every write is one, and every change set can be undone, newest first.

A change set (an ingest, a saved hand edit, the demo load, an undo) only ever
*inserts* row versions tagged ``_batch_id = change_set_id`` and *archives* the
versions it replaces into ``<table>__archive`` tagged ``_archived_by``. No
record is ever physically deleted, so undoing the newest change set is exact:
archive what it inserted, restore what it archived. Every change set writes
one audit-log entry in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
import pandas as pd

from storage.database import StorageError, now
from storage.schema import SQL_TYPES, VERSIONED_TABLES, TableSpec


@dataclass(frozen=True)
class SourceFile:
    """The uploaded file a change set came from: kept whole, for the replication trail."""

    name: str
    sha256: str
    data: bytes
    encoding: str | None


@dataclass(frozen=True)
class Undone:
    change_set_id: int
    undo_id: int
    summary: str
    rows_restored: int
    rows_archived: int


def open_change_set(con: duckdb.DuckDBPyConnection, kind: str, actor: str, *, table: str | None = None,
                    mode: str | None = None, source: SourceFile | None = None,
                    options: dict | None = None, undoes: int | None = None) -> int:
    change_set_id = con.execute("SELECT nextval('change_set_seq')").fetchone()[0]
    con.execute(
        "INSERT INTO change_sets (change_set_id, kind, table_name, mode, file_name, file_sha256,"
        " file_bytes, encoding, rows_inserted, rows_archived, options, actor, created_at, undoes)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?, ?, ?)",
        [change_set_id, kind, table, mode,
         source.name if source else None, source.sha256 if source else None,
         source.data if source else None, source.encoding if source else None,
         json.dumps(options or {}, ensure_ascii=False), actor, now(), undoes],
    )
    return int(change_set_id)


def close_change_set(con: duckdb.DuckDBPyConnection, change_set_id: int, inserted: int, archived: int,
                     *, actor: str, action: str, summary: str, table: str | None = None,
                     details: object = None) -> None:
    con.execute("UPDATE change_sets SET rows_inserted = ?, rows_archived = ? WHERE change_set_id = ?",
                [inserted, archived, change_set_id])
    record_audit(con, actor, action, summary, table=table, change_set_id=change_set_id, details=details)


def record_audit(con: duckdb.DuckDBPyConnection, actor: str, action: str, summary: str, *,
                 table: str | None = None, change_set_id: int | None = None, details: object = None) -> None:
    con.execute(
        "INSERT INTO audit_log VALUES (nextval('audit_seq'), ?, ?, ?, ?, ?, ?, ?)",
        [now(), actor, action, table, change_set_id, summary,
         None if details is None else json.dumps(details, ensure_ascii=False, default=str)],
    )


def insert_rows(con: duckdb.DuckDBPyConnection, spec: TableSpec, frame: pd.DataFrame,
                change_set_id: int) -> int:
    """Insert validated rows: spec columns, ``extra``, ``_source_row`` and optional ``_row_id``.

    Rows without a ``_row_id`` get a fresh one; rows with one are new versions
    of an existing record.
    """
    if frame.empty:
        return 0
    incoming = frame.copy()
    if "_row_id" not in incoming:
        incoming["_row_id"] = pd.array([pd.NA] * len(incoming), dtype="Int64")
    incoming["_row_id"] = incoming["_row_id"].astype("Int64")
    incoming["_source_row"] = incoming["_source_row"].astype("Int64")
    incoming["extra"] = incoming["extra"].astype(object)
    for col in spec.columns:
        if col.type == "text":
            incoming[col.name] = incoming[col.name].astype(object)
    columns = ", ".join(spec.column_names)
    casts = ", ".join(f"CAST({c.name} AS {SQL_TYPES[c.type]})" for c in spec.columns)
    con.register("incoming_rows", incoming)
    try:
        con.execute(
            f"INSERT INTO {spec.name} ({columns}, _row_id, _batch_id, _source_row, extra) "
            f"SELECT {casts}, coalesce(_row_id, nextval('row_id_seq')), ?, _source_row, "
            f"CAST(extra AS JSON) FROM incoming_rows",
            [change_set_id],
        )
    finally:
        con.unregister("incoming_rows")
    return len(incoming)


def archive_rows(con: duckdb.DuckDBPyConnection, table: str, change_set_id: int,
                 row_ids: Iterable[int] | None = None) -> int:
    """Move the current versions of ``row_ids`` (all rows if None) into the archive."""
    if row_ids is None:
        where, params = "TRUE", []
    else:
        ids = [int(i) for i in row_ids]
        if not ids:
            return 0
        where, params = "_row_id IN (SELECT unnest(?::BIGINT[]))", [ids]
    return _move_to_archive(con, table, where, params, change_set_id)


def _move_to_archive(con, table: str, where: str, params: list, change_set_id: int) -> int:
    count = con.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0]
    if count:
        con.execute(f"INSERT INTO {table}__archive SELECT *, ? FROM {table} WHERE {where}",
                    [change_set_id, *params])
        con.execute(f"DELETE FROM {table} WHERE {where}", params)
    return int(count)


def last_undoable(con: duckdb.DuckDBPyConnection) -> pd.Series | None:
    """The newest change set that is neither an undo nor already undone."""
    frame = con.execute(
        "SELECT change_set_id, kind, table_name, mode, file_name, created_at, actor FROM change_sets"
        " WHERE kind <> 'undo' AND undone_by IS NULL ORDER BY change_set_id DESC LIMIT 1"
    ).df()
    return None if frame.empty else frame.iloc[0]


def undo_last(con: duckdb.DuckDBPyConnection, actor: str) -> Undone:
    """Undo the newest active change set exactly; the undo is itself a change set."""
    target = last_undoable(con)
    if target is None:
        raise StorageError("there is nothing to undo")
    target_id = int(target["change_set_id"])
    undo_id = open_change_set(con, "undo", actor, table=target["table_name"], undoes=target_id)
    archived = restored = 0
    for table in VERSIONED_TABLES:
        archived += _move_to_archive(con, table, "_batch_id = ?", [target_id], undo_id)
        restored += _restore_from_archive(con, table, target_id)
    con.execute("UPDATE change_sets SET undone_by = ? WHERE change_set_id = ?", [undo_id, target_id])
    summary = (f"undid change set {target_id} ({describe_change_set(target)}): "
               f"{archived} row(s) withdrawn, {restored} restored")
    close_change_set(con, undo_id, restored, archived, actor=actor, action="undo", summary=summary,
                     table=target["table_name"], details={"undoes": target_id})
    return Undone(target_id, undo_id, summary, restored, archived)


def _restore_from_archive(con, table: str, change_set_id: int) -> int:
    columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    listed = ", ".join(columns)
    count = con.execute(f"SELECT count(*) FROM {table}__archive WHERE _archived_by = ?",
                        [change_set_id]).fetchone()[0]
    if count:
        con.execute(f"INSERT INTO {table} ({listed}) SELECT {listed} FROM {table}__archive "
                    f"WHERE _archived_by = ?", [change_set_id])
    return int(count)


def describe_change_set(row: pd.Series) -> str:
    """A short human label: 'ingest of contracts.csv into contracts (append)'."""
    kind = row["kind"]
    if kind == "ingest":
        return f"ingest of {row['file_name']} into {row['table_name']} ({row['mode']})"
    if kind == "edit":
        return f"hand edit of {row['table_name']}"
    if kind == "demo":
        return "loading the synthetic demo economy"
    return f"{kind} of {row['table_name']}"
