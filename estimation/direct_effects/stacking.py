"""The stacked-by-event sample (Cengiz, Dube, Lindner & Zipperer 2019; Choi & Shim, Section 3.1).

Each match m is its own stack: the loser's and its winners' firm-years, with event time
τ = t − t(m) relative to the match's event year t(m), kept when τ lies in the window
[lo, hi]. A firm that serves several matches (matching with replacement) appears once per
match. When the match's loser is a delayed adopter with adoption year A, every observation
of the match from year A on is dropped (t ≥ A), so that each coefficient compares winners
with a loser that has not adopted yet — within-match comparisons only. Stata users build
the same sample with ``expand``/``joinby`` on match and then ``keep if inrange(tau, lo, hi)
& (year < loser_adoption | missing(loser_adoption))``.
"""

from __future__ import annotations

import pandas as pd

STACK_COLUMNS = ["match_id", "firm_id", "year", "event_time", "winner", "role", "event_year"]


def stack_by_event(matches: pd.DataFrame, firm_years: pd.DataFrame, window=(-5, 7),
                   drop_after_loser_adopts: bool = True) -> pd.DataFrame:
    """One row per (match, firm, year): STACK_COLUMNS, then every other column of ``firm_years``
    (firm_id, year, values …). ``matches`` is MatchResult.matches. Sorted by match, firm, year."""
    lo, hi = window
    values = firm_years.astype({"firm_id": str}).copy()
    values["year"] = pd.to_numeric(values["year"]).astype("int64")
    members = matches[["match_id", "firm_id", "role", "event_year", "loser_adoption_year"]]
    stacked = members.merge(values, on="firm_id", how="inner")
    stacked["event_time"] = stacked["year"] - stacked["event_year"]
    keep = stacked["event_time"].between(lo, hi)
    if drop_after_loser_adopts:
        adopts = stacked["loser_adoption_year"]
        keep &= (adopts.isna() | (stacked["year"] < adopts)).astype(bool)
    stacked = stacked.loc[keep].copy()
    stacked["winner"] = (stacked["role"] == "winner").astype("int64")
    extra = [c for c in values.columns if c not in ("firm_id", "year")]
    stacked = stacked[[*STACK_COLUMNS, *extra]]
    return stacked.sort_values(["match_id", "firm_id", "year"], ignore_index=True)


def sample_sizes(stacked: pd.DataFrame, window=None) -> pd.DataFrame:
    """Per event time: rows, winner_rows, loser_rows, matches (with at least one row), and
    comparisons (matches observing both a winner and the loser at that event time)."""
    grouped = stacked.groupby("event_time")
    per_match = stacked.groupby(["event_time", "match_id"])["winner"].agg(["min", "max"])
    both = (per_match["min"] == 0) & (per_match["max"] == 1)
    out = pd.DataFrame({
        "rows": grouped.size(),
        "winner_rows": grouped["winner"].sum(),
        "loser_rows": grouped["winner"].apply(lambda w: int((w == 0).sum())),
        "matches": grouped["match_id"].nunique(),
        "comparisons": both.groupby(level="event_time").sum(),
    })
    if window is not None:
        out = out.reindex(range(window[0], window[1] + 1), fill_value=0)
    out.index.name = "event_time"
    return out.astype("int64").reset_index()
