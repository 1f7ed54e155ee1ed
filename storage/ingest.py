"""Validated, all-or-nothing ingest of an uploaded file into one table.

``ingest_file`` validates against the database as it is *inside the same
locked transaction* that writes, so nothing can change between the check and
the write; ``dry_run=True`` runs the same code and rolls back. A file with any
problem writes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

import duckdb
import pandas as pd

from storage.changes import SourceFile, archive_rows, close_change_set, insert_rows, open_change_set
from storage.database import Database
from storage.problems import Problem, ValidationReport
from storage.readers import ENCODING_LABELS, read_upload
from storage.schema import TableSpec, referencing_tables, table_spec
from storage.validation import DatabaseFacts, validate_frame

Mode = Literal["append", "replace"]
MODES: tuple[Mode, ...] = ("append", "replace")


@dataclass(frozen=True)
class IngestRequest:
    """What to load and how. ``deflate`` converts monetary columns with the deflators table."""

    table: str
    file_name: str
    data: bytes
    mode: Mode = "append"
    deflate: bool = False
    encoding: str | None = None
    actor: str = "unknown"


@dataclass(frozen=True)
class IngestResult:
    table: str
    file_name: str
    mode: str
    rows: int
    encoding: str | None
    report: ValidationReport
    written: bool
    change_set_id: int | None
    preview: pd.DataFrame

    @property
    def summary(self) -> str:
        if not self.report.ok:
            return (f"{self.file_name}: rejected with {len(self.report.problems)} problem(s); "
                    "the database is unchanged")
        verb = "loaded" if self.written else "would load"
        encoding = f", read as {ENCODING_LABELS.get(self.encoding, self.encoding)}" if self.encoding else ""
        return f"{self.file_name}: {verb} {self.rows} row(s) into {self.table} ({self.mode}{encoding})"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ingest_file(db: Database, request: IngestRequest, dry_run: bool = False) -> IngestResult:
    """Read, validate and (unless ``dry_run`` or a problem is found) write one upload."""
    spec = table_spec(request.table)
    if request.mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {request.mode!r}")
    raw = read_upload(request.file_name, request.data, request.encoding)
    doing = f"{'checking' if dry_run else 'loading'} {request.file_name} into {spec.name}"
    with db.transaction(doing) as con:
        if len(raw.frame.columns) == 0:  # nothing readable: no header, wrong encoding...
            report = ValidationReport(raw.problems)
            return _result(request, raw.encoding, report, None, pd.DataFrame(), 0)
        facts = database_facts(con, spec, request.mode, request.deflate)
        validated = validate_frame(raw.frame, spec, request.file_name, raw.row_numbers, facts.facts)
        problems = raw.problems + facts.problems(request.file_name) + validated.report.problems
        report = ValidationReport(tuple(sorted(problems, key=_file_order)))
        preview = validated.frame[list(spec.column_names)].head(50)
        if not report.ok or dry_run:
            return _result(request, raw.encoding, report, None, preview, len(validated.frame))
        change_set_id = _write(con, spec, request, raw.encoding, validated.frame)
    return _result(request, raw.encoding, report, change_set_id, preview, len(validated.frame))


def _file_order(problem: Problem) -> tuple[bool, int]:
    return (problem.row is not None, problem.row or 0)


def _result(request, encoding, report, change_set_id, preview, rows) -> IngestResult:
    return IngestResult(request.table, request.file_name, request.mode, rows, encoding, report,
                        change_set_id is not None, change_set_id, preview)


def _write(con: duckdb.DuckDBPyConnection, spec: TableSpec, request: IngestRequest,
           encoding: str | None, frame: pd.DataFrame) -> int:
    source = SourceFile(request.file_name, sha256(request.data), request.data, encoding)
    options = {"deflate": request.deflate, "encoding": encoding}
    change_set_id = open_change_set(con, "ingest", request.actor, table=spec.name, mode=request.mode,
                                    source=source, options=options)
    archived = archive_rows(con, spec.name, change_set_id) if request.mode == "replace" else 0
    inserted = insert_rows(con, spec, frame, change_set_id)
    deflated = " with nominal values deflated" if request.deflate else ""
    close_change_set(
        con, change_set_id, inserted, archived, actor=request.actor, action="ingest", table=spec.name,
        summary=(f"loaded {inserted} row(s) from {request.file_name} into {spec.name} "
                 f"({request.mode}{deflated}; {archived} row(s) replaced)"),
        details={"file": request.file_name, "sha256": source.sha256, "rows": inserted,
                 "mode": request.mode, "deflate": request.deflate, "encoding": encoding},
    )
    return change_set_id


def append_records(db: Database, table: str, frame: pd.DataFrame, actor: str, *, kind: str, label: str,
                   summarize) -> IngestResult:
    """Validate typed rows made inside the workbench (not read from a file) and append them as one
    change set of ``kind``; ``summarize(validated_frame)`` gives the audit-log summary."""
    spec = table_spec(table)
    rows = pd.Series(range(1, len(frame) + 1), dtype="int64")
    with db.transaction(f"saving {label}") as con:
        facts = database_facts(con, spec, "append").facts
        validated = validate_frame(frame.reset_index(drop=True), spec, label, rows, facts)
        records = validated.frame[list(spec.column_names)]
        if not validated.report.ok:
            return IngestResult(table, label, "append", len(frame), None, validated.report, False, None, records)
        change_set_id = open_change_set(con, kind, actor, table=table, mode="append")
        inserted = insert_rows(con, spec, validated.frame.assign(_source_row=pd.NA), change_set_id)
        close_change_set(con, change_set_id, inserted, 0, actor=actor, action=kind, table=table,
                         summary=summarize(validated.frame),
                         details=records.astype(object).where(records.notna(), None).to_dict(orient="records"))
    return IngestResult(table, label, "append", inserted, None, validated.report, True, change_set_id, records)


@dataclass(frozen=True)
class GatheredFacts:
    facts: DatabaseFacts
    missing_deflators: bool

    def problems(self, file: str) -> tuple[Problem, ...]:
        if not self.missing_deflators:
            return ()
        return (Problem(file, None, None, None, "deflator",
                        "converting nominal values needs a deflators table; load one first"),)


def database_facts(con: duckdb.DuckDBPyConnection, spec: TableSpec, mode: str,
                   deflate: bool = False, exclude_row_ids: frozenset = frozenset()) -> GatheredFacts:
    """What the database holds that a new version of ``spec``'s table must respect.

    In append mode the stored keys must not repeat; in replace mode (and for
    edits) values other tables use must survive. ``exclude_row_ids`` leaves
    out rows that an edit is rewriting.
    """
    known = {ref.column: _distinct(con, ref.table, ref.target_column) for ref in spec.references}
    remaining = _remaining_rows(con, spec, mode, exclude_row_ids)
    stored_keys = frozenset()
    if spec.key and remaining is not None:
        stored_keys = frozenset(zip(*(remaining[k].astype(object) for k in spec.key)))
    still_referenced: dict[str, dict[str, frozenset]] = {}
    if mode != "append":
        for other, ref in referencing_tables(spec.name):
            used = _distinct(con, other.name, ref.column)
            kept = set() if remaining is None else set(remaining[ref.target_column].dropna())
            if used - kept:
                still_referenced.setdefault(ref.target_column, {})[other.name] = frozenset(used - kept)
    deflators = None
    if deflate and spec.monetary_columns:
        rows = con.execute("SELECT year, factor FROM deflators").fetchall()
        deflators = {int(y): float(f) for y, f in rows}
    facts = DatabaseFacts(known, stored_keys, still_referenced, deflators)
    return GatheredFacts(facts, missing_deflators=deflators == {})


def _remaining_rows(con, spec: TableSpec, mode: str, exclude_row_ids: frozenset) -> pd.DataFrame | None:
    """Rows that stay in the table beside the new ones (None: replace mode keeps none)."""
    if mode == "replace":
        return None
    columns = sorted(set(spec.key) | {ref.target_column for _, ref in referencing_tables(spec.name)})
    if not columns:
        return pd.DataFrame()
    frame = con.execute(f"SELECT _row_id, {', '.join(columns)} FROM {spec.name}").df()
    return frame[~frame["_row_id"].isin(exclude_row_ids)]


def _distinct(con, table: str, column: str) -> frozenset:
    rows = con.execute(f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL").fetchall()
    return frozenset(r[0] for r in rows)
