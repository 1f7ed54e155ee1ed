"""Descriptive series of the Data overview (the paper's Figure 1 from whatever data is loaded).

Pure functions of upload-format frames; years with no data are absent, never zero-filled.
"""

from __future__ import annotations

import pandas as pd

from estimation.names import standardize_firm_name


def coverage_by_year(balance_sheets: pd.DataFrame) -> pd.DataFrame:
    """Per year: firms observed, and the share of them with employment (and sales) missing."""
    grouped = balance_sheets.groupby("year")
    return pd.DataFrame({
        "firms": grouped["firm_id"].nunique(),
        "employment_missing_share": grouped["employment"].agg(lambda s: s.isna().mean()),
        "sales_missing_share": grouped["sales"].agg(lambda s: s.isna().mean()),
    }).reset_index()


def heavy_sales_share(balance_sheets: pd.DataFrame, sectors: pd.DataFrame) -> pd.DataFrame:
    """Per year: heavy manufacturing's share of total reported sales, Σ_heavy sales / Σ sales."""
    heavy = sectors.set_index("sector")["heavy"].astype(bool)
    frame = balance_sheets[["year", "sector", "sales"]].dropna(subset=["sales"])
    frame = frame.assign(heavy_sales=frame["sales"].where(frame["sector"].map(heavy).fillna(False), 0.0))
    totals = frame.groupby("year")[["heavy_sales", "sales"]].sum()
    totals = totals[totals["sales"] > 0]
    return totals.assign(heavy_share=totals["heavy_sales"] / totals["sales"]).reset_index()


def contract_sectors_by_name(contracts: pd.DataFrame, balance_sheets: pd.DataFrame) -> pd.Series:
    """Sector of each contract's firm where its standardized name picks out firms of one sector.

    A stand-in until contracts are linked: exact match of
    :func:`standardize_firm_name` keys against every name a firm used in
    the balance sheets; ambiguous or unmatched names give NA.
    """
    names = balance_sheets[["firm_name", "sector"]].drop_duplicates()
    names = names.assign(key=names["firm_name"].map(standardize_firm_name))
    sectors_per_key = names.groupby("key")["sector"].unique()
    unique_sector = sectors_per_key[sectors_per_key.map(len) == 1].map(lambda s: s[0])
    keys = contracts["firm_name"].map(standardize_firm_name)
    return keys.map(unique_sector).rename("sector")


def contracts_by_year(contracts: pd.DataFrame, contract_sector: pd.Series, sectors: pd.DataFrame) -> pd.DataFrame:
    """Contracts per approval year and status, split heavy / light / unlinked (sector unknown)."""
    heavy = sectors.set_index("sector")["heavy"].astype(bool)
    group = contract_sector.map(heavy).map({True: "heavy", False: "light"}).fillna("unlinked")
    frame = contracts.assign(group=group.to_numpy())
    counts = frame.groupby(["year", "group", "status"]).size().rename("contracts").reset_index()
    return counts.sort_values(["year", "group", "status"], ignore_index=True)
