"""Validate and type an upload (or a hand edit) against its :class:`TableSpec`.

Validation never stops at the first problem: it returns every problem found
(file, row, column, value, rule) so a researcher can fix a file in one pass.
Nothing here touches the database; what the database knows (codes that
exist, keys already stored, values other tables still use) comes in as a
:class:`DatabaseFacts`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from storage.problems import Problem, ValidationReport
from storage.schema import ColumnSpec, TableSpec

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "1.0"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "0.0"})
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


@dataclass(frozen=True)
class DatabaseFacts:
    """What the database already holds that a new version of a table must respect.

    ``known_values``: for each referencing column, the codes that exist.
    ``stored_keys``: keys already stored that the new rows must not repeat
    (append mode). ``still_referenced``: for each column, values other tables
    use, so the new version of the table must keep them (replace mode, edits).
    ``deflators``: year -> factor, when nominal values are to be converted.
    """

    known_values: dict[str, frozenset] = field(default_factory=dict)
    stored_keys: frozenset = frozenset()
    still_referenced: dict[str, dict[str, frozenset]] = field(default_factory=dict)
    deflators: dict[int, float] | None = None


@dataclass(frozen=True)
class Validated:
    """A validated upload: typed spec columns, extra columns as JSON, the report."""

    frame: pd.DataFrame
    report: ValidationReport


def is_missing(values: pd.Series) -> pd.Series:
    """True where a cell is empty: None, NaN, or blank text."""
    blank = values.astype(str).str.strip().eq("").fillna(False)
    return (values.isna() | blank).astype(bool)


def _as_number(values: pd.Series) -> pd.Series:
    """Numbers from text or numeric cells; thousands separators allowed; NaN if not a number."""
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    retry = numbers.isna() & values.notna()
    if retry.any():  # ' 12 ', '1,234.5': only the few cells that need it take the slow path
        text = values[retry].astype(str).str.strip()
        text = text.where(~text.str.match(_THOUSANDS), text.str.replace(",", "", regex=False))
        numbers[retry] = pd.to_numeric(text, errors="coerce").astype("float64")
    return numbers


def _as_boolean(values: pd.Series) -> pd.Series:
    def parse(v):
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        word = str(v).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        return None
    return values.map(parse)


def _coerce_column(values: pd.Series, col: ColumnSpec, missing: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    """(typed values, mask of unparseable cells, what was expected)."""
    if col.type == "text":
        text = values.astype(str).str.strip().astype(object).where(~missing, None)
        if col.allowed is not None:
            text = text.map(lambda v: v.lower() if isinstance(v, str) else v)
        return text.astype(object), pd.Series(False, index=values.index), "text"
    if col.type == "boolean":
        parsed = _as_boolean(values)
        bad = parsed.isna() & ~missing
        return parsed.astype("boolean"), bad, "true/false (or yes/no, 1/0)"
    numbers = _as_number(values)
    bad = numbers.isna() & ~missing
    if col.type == "integer":
        fractional = numbers.notna() & (numbers != np.floor(numbers))
        bad = bad | fractional
        return numbers.where(~bad).round().astype("Int64"), bad, "a whole number"
    return numbers.where(~bad), bad, "a number"


def _problems_at(file: str, rows: pd.Series, mask: pd.Series, column: str | None,
                 raw: pd.Series | None, rule: str, message: str) -> list[Problem]:
    positions = np.flatnonzero(mask.to_numpy())
    return [
        Problem(file, int(rows.iat[i]), column,
                None if raw is None else _shown(raw.iat[i]), rule, message)
        for i in positions
    ]


def _shown(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value)


def _check_range(col: ColumnSpec, typed: pd.Series) -> tuple[pd.Series, str] | None:
    if col.type not in ("integer", "number"):
        return None
    numeric = typed.astype("float64")
    bad = pd.Series(False, index=typed.index)
    parts = []
    if col.minimum is not None:
        bad |= numeric < col.minimum
        parts.append(f">= {col.minimum:g}")
    if col.maximum is not None:
        bad |= numeric > col.maximum
        parts.append(f"<= {col.maximum:g}")
    if col.positive:
        bad |= numeric <= 0
        parts.append("> 0")
    if not parts:
        return None
    return bad.fillna(False).astype(bool), "must be " + " and ".join(parts)


def _key_tuples(frame: pd.DataFrame, key: tuple[str, ...]) -> pd.Series:
    return pd.Series(list(zip(*(frame[k].astype(object) for k in key))), index=frame.index)


def validate_frame(raw: pd.DataFrame, spec: TableSpec, file: str, rows: pd.Series,
                   facts: DatabaseFacts = DatabaseFacts()) -> Validated:
    """Coerce ``raw`` (normalized column names; text or typed cells) to ``spec`` and check every rule.

    Returns the typed frame (spec columns in order, plus ``extra`` as a JSON
    object of the columns the spec does not name, and ``_source_row``) and a
    report of every problem.
    """
    raw = raw.reset_index(drop=True)
    rows = pd.Series(rows, dtype="int64").reset_index(drop=True)
    problems: list[Problem] = []
    typed = pd.DataFrame(index=raw.index)
    usable = pd.Series(True, index=raw.index)  # cells of key columns parsed

    for col in spec.columns:
        if col.name not in raw.columns:
            if col.required:
                problems.append(Problem(file, None, col.name, None, "required column",
                                        "a required column is missing"))
            typed[col.name] = pd.Series([None] * len(raw), index=raw.index, dtype=_empty_dtype(col))
            continue
        values = raw[col.name]
        missing = is_missing(values)
        converted, bad, expected = _coerce_column(values, col, missing)
        typed[col.name] = converted
        if col.required:
            problems += _problems_at(file, rows, missing, col.name, None, "required",
                                     "a required value is empty")
        problems += _problems_at(file, rows, bad, col.name, values, "type", f"expected {expected}")
        if col.name in spec.key:
            usable &= ~(missing | bad)
        ranged = _check_range(col, converted)
        if ranged is not None:
            out_of_range, message = ranged
            problems += _problems_at(file, rows, out_of_range, col.name, values, "range", message)
        if col.allowed is not None:
            not_allowed = converted.notna() & ~converted.isin(col.allowed)
            problems += _problems_at(file, rows, not_allowed, col.name, values, "allowed values",
                                     "must be one of: " + ", ".join(col.allowed))

    problems += _check_keys(spec, typed, file, rows, usable, facts)
    problems += _check_references(spec, typed, file, rows, facts)
    problems += _check_still_referenced(spec, typed, file, facts)
    problems += TABLE_RULES.get(spec.name, lambda *_: [])(typed, file, rows)
    if facts.deflators is not None:
        typed, deflator_problems = _deflate(spec, typed, file, rows, facts.deflators)
        problems += deflator_problems

    extra_columns = [c for c in raw.columns if c not in spec.column_names]
    typed["extra"] = _extra_json(raw, extra_columns)
    typed["_source_row"] = rows.to_numpy()
    return Validated(typed, ValidationReport(tuple(problems)))


def _empty_dtype(col: ColumnSpec) -> str:
    return {"text": "object", "integer": "Int64", "number": "float64", "boolean": "boolean"}[col.type]


def _check_keys(spec, typed, file, rows, usable, facts) -> list[Problem]:
    if not spec.key or not all(k in typed for k in spec.key):
        return []
    keys = _key_tuples(typed, spec.key)
    label = " + ".join(spec.key)
    problems = []
    duplicated = keys.duplicated(keep="first") & usable
    if duplicated.any():
        first_row = {}
        for i in np.flatnonzero(usable.to_numpy()):
            first_row.setdefault(keys.iat[i], int(rows.iat[i]))
        for i in np.flatnonzero(duplicated.to_numpy()):
            problems.append(Problem(file, int(rows.iat[i]), label, _key_text(keys.iat[i]), "unique key",
                                    f"{label} repeats row {first_row[keys.iat[i]]} of this file"))
    if facts.stored_keys:
        clash = keys.isin(facts.stored_keys) & usable & ~duplicated
        problems += _problems_at(file, rows, clash, label, keys.map(_key_text), "unique key",
                                 f"{label} is already stored in {spec.name}")
    return problems


def _key_text(key: tuple) -> str:
    return " + ".join(str(k) for k in key)


def _check_references(spec, typed, file, rows, facts) -> list[Problem]:
    problems = []
    for ref in spec.references:
        known = facts.known_values.get(ref.column, frozenset())
        values = typed[ref.column]
        unknown = values.notna() & ~values.isin(known)
        problems += _problems_at(file, rows, unknown, ref.column, values, "reference",
                                 f"not found in {ref.table}.{ref.target_column}")
    return problems


def _check_still_referenced(spec, typed, file, facts) -> list[Problem]:
    """Values another table uses must survive a replace or an edit of this table."""
    problems = []
    for column, used_by in facts.still_referenced.items():
        present = set(typed[column].dropna())
        for other_table, used in used_by.items():
            for value in sorted(used - present):
                problems.append(Problem(file, None, column, str(value), "still referenced",
                                        f"{other_table} still uses this {column}; "
                                        f"it cannot be removed from {spec.name}"))
    return problems


def _contract_rules(typed: pd.DataFrame, file: str, rows: pd.Series) -> list[Problem]:
    """canceled_by is required iff status is canceled; cancel_year >= year."""
    canceled = typed["status"].eq("canceled").fillna(False).astype(bool)
    has_by = typed["canceled_by"].notna()
    problems = _problems_at(file, rows, canceled & ~has_by, "canceled_by", None, "conditional",
                            "a canceled contract needs canceled_by (foreign or domestic)")
    completed = typed["status"].eq("completed").fillna(False).astype(bool)
    problems += _problems_at(file, rows, completed & has_by, "canceled_by", typed["canceled_by"],
                             "conditional", "a completed contract cannot have canceled_by")
    problems += _problems_at(file, rows, completed & typed["cancel_year"].notna(), "cancel_year",
                             typed["cancel_year"], "conditional",
                             "a completed contract cannot have a cancel_year")
    early = (typed["cancel_year"] < typed["year"]).fillna(False).astype(bool)
    problems += _problems_at(file, rows, early, "cancel_year", typed["cancel_year"], "range",
                             "cancel_year is before the contract's year")
    return problems


def _link_decision_rules(typed: pd.DataFrame, file: str, rows: pd.Series) -> list[Problem]:
    """firm_id is required for link and reject, and empty for not_in_balance_sheets."""
    needs_firm = typed["decision"].isin(["link", "reject"]).fillna(False).astype(bool)
    has_firm = typed["firm_id"].notna()
    problems = _problems_at(file, rows, needs_firm & ~has_firm, "firm_id", None, "conditional",
                            "a link or reject decision needs the firm_id")
    problems += _problems_at(file, rows, ~needs_firm & typed["decision"].notna() & has_firm, "firm_id",
                             typed["firm_id"], "conditional", "not_in_balance_sheets takes no firm_id")
    return problems


TABLE_RULES = {"contracts": _contract_rules, "link_decisions": _link_decision_rules}


def _deflate(spec, typed, file, rows, deflators: dict[int, float]) -> tuple[pd.DataFrame, list[Problem]]:
    """Nominal -> real: value × factor[year] for every monetary column."""
    money = list(spec.monetary_columns)
    if not money or "year" not in typed:
        return typed, []
    factor = typed["year"].map(lambda y: deflators.get(int(y)) if pd.notna(y) else None).astype("float64")
    needs = typed[money].notna().any(axis=1) & typed["year"].notna()
    lacking = needs & factor.isna()
    problems = _problems_at(file, rows, lacking, "year", typed["year"], "deflator",
                            "no deflator for this year; add it to the deflators table")
    typed = typed.copy()
    for column in money:
        typed[column] = typed[column] * factor
    return typed, problems


def _extra_json(raw: pd.DataFrame, columns: list[str]) -> pd.Series:
    if not columns:
        return pd.Series([None] * len(raw), index=raw.index, dtype=object)
    records = raw[columns].to_dict(orient="records")
    return pd.Series([json.dumps({k: _shown(v) for k, v in r.items()}, ensure_ascii=False)
                      for r in records], index=raw.index, dtype=object)
