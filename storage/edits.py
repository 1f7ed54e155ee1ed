"""Hand entry and correction of records, validated with the upload rules before saving.

The data editor hands back the rows it showed (``_row_id`` set for stored
rows, empty for rows typed in) and the ids of the rows it showed at first;
rows that disappeared were deleted. :func:`save_edits` validates the edited
rows as if they were an upload against the rest of the table, then writes one
change set: old versions archived, new versions inserted under the same
``_row_id``. The audit log keeps every changed value, old and new.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from storage.changes import archive_rows, close_change_set, insert_rows, open_change_set
from storage.database import Database
from storage.ingest import database_facts
from storage.problems import Problem, ValidationReport
from storage.readers import normalize_header
from storage.schema import table_spec
from storage.validation import validate_frame


CHANGE_COLUMNS = ["action", "row_id", "key", "column", "old", "new"]


@dataclass(frozen=True)
class EditResult:
    report: ValidationReport
    change_set_id: int | None
    changes: pd.DataFrame  # action, row_id, key, column, old, new

    @property
    def summary(self) -> str:
        if not self.report.ok:
            return f"not saved: {len(self.report.problems)} problem(s)"
        if self.change_set_id is None:
            return "nothing to save: no value changed"
        counts = self.changes.drop_duplicates(["action", "row_id"])["action"].value_counts()
        parts = [f"{n} {action}" for action, n in counts.items()]
        return f"saved: {', '.join(parts)} (change set {self.change_set_id})"


def save_edits(db: Database, table: str, shown: Mapping[int, int | None] | Iterable[int],
               edited: pd.DataFrame, actor: str, dry_run: bool = False) -> EditResult:
    """Validate and save the editor's rows of ``table``; nothing is written if any problem is found.

    ``shown`` names the stored rows the editor showed: their ``_row_id`` s, or
    a mapping ``_row_id -> _batch_id`` of the versions shown, in which case a
    row that another session changed or removed meanwhile is a ``conflict``
    problem instead of a silent overwrite.
    """
    spec = table_spec(table)
    seen = dict(shown) if isinstance(shown, Mapping) else dict.fromkeys(shown)
    edited = edited.rename(columns=normalize_header).reset_index(drop=True)
    if "_row_id" not in edited:
        edited["_row_id"] = pd.NA
    row_ids = pd.to_numeric(edited["_row_id"], errors="coerce").astype("Int64")
    deleted = sorted(set(int(i) for i in seen) - set(row_ids.dropna().astype(int)))
    label = f"hand edit of {table}"
    editor_rows = pd.Series(range(1, len(edited) + 1), dtype="int64")
    with db.transaction(f"saving the {label}") as con:
        touched = frozenset(int(i) for i in row_ids.dropna()) | frozenset(deleted)
        stored = _stored_versions(con, spec, touched)
        conflicts = _conflicts(label, seen, stored, row_ids, touched)
        facts = database_facts(con, spec, "edit", exclude_row_ids=touched)
        validated = validate_frame(edited[[c for c in spec.column_names if c in edited]], spec, label,
                                   editor_rows, facts.facts)
        report = ValidationReport(conflicts + validated.report.problems)
        if not report.ok:
            return EditResult(report, None, pd.DataFrame())
        new = validated.frame.assign(_row_id=row_ids)
        changes, changed_ids = _diff(spec, stored, new, deleted)
        if changes.empty or dry_run:
            return EditResult(validated.report, None, changes)
        rewrite = new[new["_row_id"].isna() | new["_row_id"].isin(changed_ids)].copy()
        kept = stored.set_index("_row_id")
        for column in ("extra", "_source_row"):  # a corrected record keeps its origin
            rewrite[column] = rewrite["_row_id"].map(lambda i, c=column: kept[c].get(i) if pd.notna(i) else None)
        change_set_id = open_change_set(con, "edit", actor, table=table)
        archived = archive_rows(con, table, change_set_id, [*changed_ids, *deleted])
        inserted = insert_rows(con, spec, rewrite, change_set_id)
        close_change_set(con, change_set_id, inserted, archived, actor=actor, action="edit", table=table,
                         summary=_summary(table, changes),
                         details=[{c: _plain(v) for c, v in zip(CHANGE_COLUMNS, r)}
                                  for r in changes.itertuples(index=False)])
    return EditResult(validated.report, change_set_id, changes)


def _conflicts(label: str, seen: dict, stored: pd.DataFrame, row_ids: pd.Series,
               touched: frozenset) -> tuple[Problem, ...]:
    """Rows changed or removed by another change set since the editor showed them."""
    current = dict(zip(stored["_row_id"].astype(int), stored["_batch_id"].astype(int)))
    position = {int(i): n + 1 for n, i in enumerate(row_ids) if pd.notna(i)}
    problems = []
    for row_id in sorted(touched):
        was = seen.get(row_id)
        if row_id in current and (was is None or pd.isna(was) or int(was) == current[row_id]):
            continue
        what = "removed" if row_id not in current else f"changed (change set {current[row_id]})"
        problems.append(Problem(label, position.get(row_id), None, str(row_id), "conflict",
                                f"another session {what} this record after the editor was opened; "
                                "reload the page and redo the edit"))
    return tuple(problems)


def _stored_versions(con, spec, row_ids: frozenset) -> pd.DataFrame:
    columns = ", ".join(spec.column_names)
    return con.execute(
        f"SELECT _row_id, _batch_id, {columns}, CAST(extra AS VARCHAR) AS extra, _source_row FROM {spec.name} "
        "WHERE _row_id IN (SELECT unnest(?::BIGINT[]))", [sorted(row_ids)]).df()


def _diff(spec, stored: pd.DataFrame, new: pd.DataFrame, deleted: list[int]) -> tuple[pd.DataFrame, list[int]]:
    """One row per changed value: (action, row_id, key, column, old, new)."""
    records, changed_ids = [], []
    old_by_id = stored.set_index("_row_id")
    for _, row in new.iterrows():
        row_id = row["_row_id"]
        if pd.isna(row_id):
            records += [("insert", None, _key(spec, row), c, None, _plain(row[c]))
                        for c in spec.column_names if _plain(row[c]) is not None]
            continue
        old = old_by_id.loc[int(row_id)]
        diffs = [(c, _plain(old[c]), _plain(row[c])) for c in spec.column_names
                 if _plain(old[c]) != _plain(row[c])]
        if diffs:
            changed_ids.append(int(row_id))
            records += [("update", int(row_id), _key(spec, row), c, o, n) for c, o, n in diffs]
    for row_id in deleted:
        old = old_by_id.loc[row_id]
        records += [("delete", row_id, _key(spec, old), c, _plain(old[c]), None)
                    for c in spec.column_names if _plain(old[c]) is not None]
    changes = pd.DataFrame(records, columns=CHANGE_COLUMNS).astype({"row_id": "Int64"})
    return changes, changed_ids


def _plain(value: object) -> object:
    """A JSON-friendly Python value; None for every kind of missing."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _key(spec, row: pd.Series) -> str:
    columns = spec.key or spec.column_names[:2]
    return " + ".join(str(_plain(row[c])) for c in columns)


def _summary(table: str, changes: pd.DataFrame) -> str:
    counts = changes.drop_duplicates(["action", "row_id", "key"])["action"].value_counts()
    parts = ", ".join(f"{n} {action}(s)" for action, n in counts.items())
    return f"hand edit of {table}: {parts}"
