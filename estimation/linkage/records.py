"""The two sides of the linkage as comparison records, and the per-contract input problems.

Contracts become one record each; balance-sheet firms one record per name variant
(every distinct name a firm printed in some year), all carrying the firm's
activity span, sector and region; in the second pass contracts also carry their
seller's usual sectors (``seller_high``, ``seller_medium``). Both sides share one
schema so splink can compare them column by column.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

from estimation.names import name_keys

from .settings import LinkageSettings

PROBLEM_YEAR_OUTSIDE = "contract year outside the balance-sheet years"
PROBLEM_YEAR_MISSING = "contract year missing"
PROBLEM_DUPLICATE_ID = "duplicate contract_id"
RECORD_COLUMNS = ("unique_id", "source_dataset", "firm_id", "name_raw", "name_std", "name_core",
                  "name_core_jamo", "name_roman_key", "name_industry", "script",
                  "year_lo", "year_hi", "window_lo", "window_hi",
                  "sector", "region", "seller_high", "seller_medium",
                  "block_stem", "block_head_tail", "block_second_tail", "block_roman_stem")


def _most_used(bs: pd.DataFrame, column: str) -> pd.Series:
    """Per firm, the non-null value of ``column`` printed in most years (ties: the latest used)."""
    used = bs.dropna(subset=[column]).groupby(["firm_id", column], sort=False)["year"].agg(["size", "max"])
    used = used.reset_index().sort_values(["firm_id", "size", "max"], ascending=[True, False, False], kind="stable")
    return used.drop_duplicates("firm_id").set_index("firm_id")[column]


def firm_profiles(balance_sheets: pd.DataFrame) -> pd.DataFrame:
    """One row per firm: firm_id, name_variants (names used across years, in order of first use),
    sector, region, business_group (the value printed in most years), first_year, last_year."""
    bs = balance_sheets.assign(firm_id=balance_sheets["firm_id"].astype(str))
    bs = bs.sort_values(["firm_id", "year"], kind="stable")
    years = bs.groupby("firm_id")["year"].agg(["min", "max"])
    names = bs.dropna(subset=["firm_name"]).drop_duplicates(["firm_id", "firm_name"])
    profiles = pd.DataFrame({
        "name_variants": names.groupby("firm_id")["firm_name"].agg(lambda s: tuple(s.astype(str))),
        "first_year": years["min"].astype("int64"),
        "last_year": years["max"].astype("int64"),
    }, index=years.index)
    profiles["name_variants"] = profiles["name_variants"].map(lambda v: v if isinstance(v, tuple) else ())
    for column in ("sector", "region", "business_group"):
        profiles[column] = _most_used(bs, column).reindex(profiles.index).astype(object) if column in bs else None
    profiles.index.name = "firm_id"
    return profiles.reset_index()[["firm_id", "name_variants", "sector", "region", "business_group",
                                   "first_year", "last_year"]]


def _block_keys(keys: pd.DataFrame) -> pd.DataFrame:
    """Blocking keys: the romanized stem; the stem (first two characters of the core name);
    the first character plus the last two, and the second character plus the last two (so a
    one-syllable typo in the stem keeps one of them; for a two-character core, each of its
    characters alone, marked by the core length)."""
    core = keys["core"].fillna("").astype(str)
    roman_stem = keys["roman_stem"].fillna("").astype(str)
    length = core.str.len()
    tail = core.str[-2:].where(length >= 3, "2")
    return pd.DataFrame({
        "block_roman_stem": roman_stem.where(roman_stem.str.len() >= 2),
        "block_stem": core.str[:2].where(length >= 2),
        "block_head_tail": (core.str[:1] + "|" + tail).where(length >= 2),
        "block_second_tail": (core.str[1:2] + "|" + tail).where(length >= 2),
    }, index=keys.index)


def _as_records(frame: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """Attach the name keys of :func:`estimation.names.name_keys` as name_std, name_core,
    name_roman_key, name_industry (the English industry words), script; the core name spelt
    in jamo (Hangul letters: 전 → ㅈㅓㄴ, so a one-letter typo is one edit); and the blocking
    keys. Empty keys become NA so they never agree."""
    named = keys.rename(columns={"std": "name_std", "core": "name_core", "roman_key": "name_roman_key",
                                 "industry": "name_industry"})
    key_columns = ["name_std", "name_core", "name_roman_key", "name_industry", "script"]
    out = pd.concat([frame, named[key_columns], _block_keys(keys)], axis=1)
    for column in key_columns:
        out[column] = out[column].replace("", None)
    out["name_core_jamo"] = out["name_core"].map(lambda core: unicodedata.normalize("NFD", core), na_action="ignore")
    return out


def firm_records(profiles: pd.DataFrame, settings: LinkageSettings) -> pd.DataFrame:
    """One record per (firm, name variant); the activity window is [first − before, last + after]."""
    if profiles.empty:
        return pd.DataFrame(columns=list(RECORD_COLUMNS))
    variants = profiles[["firm_id", "name_variants"]].explode("name_variants").dropna(subset=["name_variants"])
    variants = variants.join(profiles.set_index("firm_id").drop(columns="name_variants"), on="firm_id")
    variants = variants.reset_index(drop=True)
    frame = pd.DataFrame({
        "unique_id": variants["firm_id"].astype(str) + "#" + variants.groupby("firm_id").cumcount().astype(str),
        "source_dataset": "firms",
        "firm_id": variants["firm_id"].astype(str),
        "name_raw": variants["name_variants"].astype(str),
        "year_lo": variants["first_year"].astype("int64"),
        "year_hi": variants["last_year"].astype("int64"),
        "window_lo": variants["first_year"].astype("int64") - settings.window_before,
        "window_hi": variants["last_year"].astype("int64") + settings.window_after,
        "sector": variants["sector"].astype(object),
        "region": variants["region"].astype(object),
        "seller_high": None, "seller_medium": None,
    })
    records = _as_records(frame, name_keys(frame["name_raw"]))
    return records[list(RECORD_COLUMNS)]


def contract_records(contracts: pd.DataFrame) -> pd.DataFrame:
    """One record per contract; sector and region are used only if the frame has them (else NA)."""
    year = pd.to_numeric(contracts["year"], errors="coerce").astype("Int64")
    frame = pd.DataFrame({
        "unique_id": contracts["contract_id"].astype(str).to_numpy(),
        "source_dataset": "contracts",
        "firm_id": None,
        "name_raw": contracts["firm_name"].to_numpy(dtype=object),
        "year_lo": year.to_numpy(), "year_hi": year.to_numpy(),
        "window_lo": year.to_numpy(), "window_hi": year.to_numpy(),
        "sector": contracts["sector"].to_numpy(dtype=object) if "sector" in contracts else None,
        "region": contracts["region"].to_numpy(dtype=object) if "region" in contracts else None,
        "seller_high": None, "seller_medium": None,  # the second pass fills them (estimation.linkage.sellers)
    })
    keys = name_keys(frame["name_raw"])
    records = _as_records(frame, keys)
    records["problem"] = keys["problem"]
    return records[[*RECORD_COLUMNS, "problem"]]


def contract_issues(records: pd.DataFrame, profiles: pd.DataFrame) -> pd.DataFrame:
    """Per-contract problems (contract_id, problem): an unusable name, a missing year, a year
    outside the balance-sheet years (all of them, when there are none), a contract_id used
    twice. A contract can have several rows."""
    year = records["year_lo"].astype("Float64")
    if len(profiles):
        outside = (year < profiles["first_year"].min()) | (year > profiles["last_year"].max())
    else:
        outside = year.notna()
    parts = [
        records.loc[records["problem"].notna(), ["unique_id", "problem"]],
        records.loc[year.isna(), ["unique_id"]].assign(problem=PROBLEM_YEAR_MISSING),
        records.loc[outside.fillna(False).astype(bool), ["unique_id"]].assign(problem=PROBLEM_YEAR_OUTSIDE),
        records.loc[records["unique_id"].duplicated(keep="first"), ["unique_id"]].assign(problem=PROBLEM_DUPLICATE_ID),
    ]
    issues = pd.concat(parts, ignore_index=True).rename(columns={"unique_id": "contract_id"})
    return issues.astype({"contract_id": object, "problem": object})


def linkable(records: pd.DataFrame) -> np.ndarray:
    """Contracts that enter the model: a usable name, a year, and a contract_id not seen before."""
    return (records["problem"].isna() & records["year_lo"].notna()
            & ~records["unique_id"].duplicated(keep="first")).to_numpy()
