"""Matching each loser with up to k winners (Choi & Shim, Section 3.1).

For a loser with event year e:

1. candidates are winners whose event (first adoption) year is also e — winners "who made
   contracts in the same year as the loser's contract that was eventually canceled";
2. exactly equal on ``spec.exact_keys`` (region and sector by default: the firm's value in
   its last balance-sheet year before e, else its first year);
3. nearest by the Mahalanobis distance d(i, l) = √((x_i − x_l)' S⁻¹ (x_i − x_l)) on the
   matching variables x measured in e − 1 (growths from e − 2 to e − 1; see
   :func:`pre_event_covariates`). S is the sample covariance (ddof 1) of x over the pooled
   candidate set — every loser and every winner with complete covariates, each measured in
   the year before its own event — as Stata's ``teffects nnmatch ..., metric(mahalanobis)``
   takes the covariance of the whole sample rather than one cell's.
4. the k nearest (fewer if the cell has fewer); ties broken by firm_id. With replacement a
   winner can serve several losers. Without replacement losers are served greedily in the
   order (event year, loser firm_id) and a used winner leaves the pool.

A match is one loser and its winners: ``match_id`` M001, M002 … in the order (event year,
loser firm_id).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import EstimationError
from .outcomes import safe_log

MATCH_COLUMNS = ["match_id", "firm_id", "role", "event_year", "distance", "rank", "loser_type",
                 "loser_adoption_year"]


@dataclass(frozen=True, eq=False)
class MatchResult:
    """matches: one row per (match, firm) with MATCH_COLUMNS (the loser has rank 0, distance 0);
    unmatched: firm_id, event_year, reason; covariance: S used for the distance."""

    matches: pd.DataFrame
    unmatched: pd.DataFrame
    covariance: pd.DataFrame

    @property
    def n_matches(self) -> int:
        return int(self.matches["match_id"].nunique())


def _variable(frame: pd.DataFrame, name: str) -> tuple[str, bool]:
    """(column, growth?) of a matching variable: 'log_assets', 'growth_log_assets', or a raw column."""
    growth = name.startswith("growth_")
    return (name[len("growth_"):] if growth else name), growth


def pre_event_covariates(balance_sheets: pd.DataFrame, events: pd.DataFrame, variables, keys) -> pd.DataFrame:
    """firm_id, event_year, the keys and each matching variable for every loser and winner of
    ``events``: ``log_c`` = log c in e − 1, ``growth_log_c`` = log c(e−1) − log c(e−2), ``c`` = c in e − 1.
    A variable is NaN when its year is not printed or its value is missing or non-positive under log."""
    sheets = balance_sheets.astype({"firm_id": str}).copy()
    sheets["year"] = pd.to_numeric(sheets["year"]).astype("int64")
    values = sheets[["firm_id", "year"]].copy()
    for name in variables:
        base, _ = _variable(sheets, name)
        column = base[len("log_"):] if base.startswith("log_") else base
        if column not in sheets:
            raise EstimationError("bad_setting", f"Matching variable {name!r} needs the column {column!r}, absent.")
        values[base] = safe_log(sheets[column]) if base.startswith("log_") else pd.to_numeric(sheets[column], errors="coerce")
    values = values.drop_duplicates(["firm_id", "year"]).set_index(["firm_id", "year"])
    out = events[["firm_id", "role", "event_year"]].copy()
    year = out["event_year"].astype("int64")
    for name in variables:
        base, growth = _variable(sheets, name)
        now = values[base].reindex(pd.MultiIndex.from_arrays([out["firm_id"], year - 1])).to_numpy()
        if growth:
            now = now - values[base].reindex(pd.MultiIndex.from_arrays([out["firm_id"], year - 2])).to_numpy()
        out[name] = now
    # keys: last printed value before the event year, else the first printed value
    ordered = sheets.sort_values(["firm_id", "year"])
    merged = out[["firm_id", "event_year"]].merge(ordered[["firm_id", "year", *keys]], on="firm_id", how="left")
    before = merged.loc[merged["year"] < merged["event_year"]].drop_duplicates("firm_id", keep="last")
    first = merged.drop_duplicates("firm_id", keep="first")
    chosen = pd.concat([before, first]).drop_duplicates("firm_id", keep="first").set_index("firm_id")
    for key in keys:
        out[key] = out["firm_id"].map(chosen[key])
    return out.reset_index(drop=True)


def mahalanobis_inverse(pooled: np.ndarray, names) -> tuple[np.ndarray, pd.DataFrame]:
    """(S⁻¹, S) from the pooled candidate covariates (rows = firms)."""
    if len(pooled) <= len(names):
        raise EstimationError("singular_design", (
            f"Only {len(pooled)} firms have complete matching variables, too few to estimate the covariance "
            f"of {len(names)} variables for the Mahalanobis distance."))
    cov = np.atleast_2d(np.cov(pooled, rowvar=False, ddof=1))
    if np.linalg.matrix_rank(cov) < len(names):
        raise EstimationError("singular_design", (
            "The matching variables are collinear among the candidate firms (singular covariance); "
            "drop one of " + ", ".join(names) + "."))
    return np.linalg.inv(cov), pd.DataFrame(cov, index=list(names), columns=list(names))


def match_losers(covariates: pd.DataFrame, events: pd.DataFrame, k: int = 3, keys=("region", "sector"),
                 variables=None, with_replacement: bool = True) -> MatchResult:
    """Match every loser of ``covariates`` (output of :func:`pre_event_covariates`) with up to k winners.
    Raises EstimationError('no_matches') when no loser finds a winner."""
    keys = list(keys)
    variables = list(variables if variables is not None else
                     [c for c in covariates.columns if c not in ("firm_id", "role", "event_year", *keys)])
    complete = covariates[variables].notna().all(axis=1) & covariates[keys].notna().all(axis=1)
    inverse, cov = mahalanobis_inverse(covariates.loc[complete, variables].to_numpy(float), variables)
    winners = covariates.loc[covariates["role"] == "winner"]
    usable = winners.loc[complete.loc[winners.index]].sort_values("firm_id")
    losers = covariates.loc[covariates["role"] == "loser"].sort_values(["event_year", "firm_id"])
    info = events.set_index("firm_id")
    rows, unmatched, used, number = [], [], set(), 0
    for index, loser in losers.iterrows():
        year = loser["event_year"]
        same_year = winners.loc[winners["event_year"] == year]
        cell_all = same_year.loc[(same_year[keys] == loser[keys].to_numpy()).all(axis=1)] if keys else same_year
        cell = usable.loc[usable["firm_id"].isin(cell_all["firm_id"])]
        if not with_replacement:
            cell = cell.loc[~cell["firm_id"].isin(used)]
        reason = None
        if not complete.loc[index]:
            missing = [v for v in [*keys, *variables] if pd.isna(loser[v])]
            reason = f"missing pre-event covariates ({', '.join(missing)}; measured in {year - 1}, growths from {year - 2})"
        elif same_year.empty:
            reason = f"no winner adopted in {year}"
        elif cell_all.empty:
            reason = f"no winner in the same {' and '.join(keys)} ({', '.join(map(str, loser[keys]))}) adopted in {year}"
        elif cell.empty:
            reason = ("all winners of the same cell and year are already used (matching without replacement)"
                      if not with_replacement and usable["firm_id"].isin(cell_all["firm_id"]).any()
                      else "the winners of the same cell and year lack pre-event covariates")
        if reason:
            unmatched.append({"firm_id": loser["firm_id"], "event_year": year, "reason": reason})
            continue
        diff = cell[variables].to_numpy(float) - loser[variables].to_numpy(float)
        distance = np.sqrt(np.einsum("ij,jk,ik->i", diff, inverse, diff))
        order = pd.DataFrame({"firm_id": cell["firm_id"].to_numpy(), "distance": distance})
        order = order.sort_values(["distance", "firm_id"], kind="stable").head(k)
        number += 1
        match_id = f"M{number:03d}"
        loser_info = info.loc[loser["firm_id"]]
        common = {"match_id": match_id, "event_year": year, "loser_type": loser_info["loser_type"],
                  "loser_adoption_year": loser_info["adoption_year"]}
        rows.append({**common, "firm_id": loser["firm_id"], "role": "loser", "distance": 0.0, "rank": 0})
        for rank, winner in enumerate(order.itertuples(index=False), start=1):
            rows.append({**common, "firm_id": winner.firm_id, "role": "winner", "distance": winner.distance, "rank": rank})
            used.add(winner.firm_id)
    unmatched = pd.DataFrame(unmatched, columns=["firm_id", "event_year", "reason"])
    if not rows:
        reasons = unmatched["reason"].str.replace(r"\(.*", "", regex=True).str.strip().value_counts()
        raise EstimationError("no_matches", (
            f"None of the {len(losers)} losers found a matching winner (" +
            "; ".join(f"{n}× {r}" for r, n in reasons.items()) + ")."))
    matches = pd.DataFrame(rows)
    matches["event_year"] = matches["event_year"].astype("int64")
    matches["loser_adoption_year"] = matches["loser_adoption_year"].astype("Int64")
    matches["loser_type"] = matches["loser_type"].astype("string")
    return MatchResult(matches=matches[MATCH_COLUMNS], unmatched=unmatched, covariance=cov)
