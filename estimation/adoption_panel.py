"""The firm-year adoption panel that the estimators use (Choi & Shim, Section 3).

One row per firm-year printed in the balance sheets, with the linked contracts of that
firm and year. Which year a contract counts in:

* a completed contract counts in its approval year (``year``);
* a canceled contract counts in its cancellation year (``cancel_year``, or ``year`` when
  the cancellation year is missing, as the upload format prescribes).

A firm's first adoption year is the approval year of its first completed contract, whether
or not the balance sheets print the firm that year (a firm can adopt before it is
printed). Contracts whose year falls outside the firm's printed years count towards the
first adoption year but add no row.
"""

from __future__ import annotations

import pandas as pd

PANEL_COLUMNS = ["firm_id", "year", "completed_contracts", "canceled_contracts", "canceled_by_foreign",
                 "canceled_by_domestic", "first_adoption_year", "adopter", "ever_adopter"]


def _normalized(values: pd.Series) -> pd.Series:
    """Lower-case, trimmed text; missing stays missing."""
    return values.astype("string").str.strip().str.lower()


def linked_contract_years(contracts: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Linked contracts with the year they count in: firm_id, year, completed, canceled,
    by_foreign, by_domestic (0/1 each), approval_year. Unlinked contracts (firm_id NA) drop out."""
    linked = links[["contract_id", "firm_id"]].dropna(subset=["firm_id"]).drop_duplicates("contract_id")
    frame = contracts.merge(linked, on="contract_id", how="inner", suffixes=("_contract", ""))
    status = _normalized(frame["status"])
    by = _normalized(frame["canceled_by"]) if "canceled_by" in frame else pd.Series(pd.NA, index=frame.index)
    approval = pd.to_numeric(frame["year"], errors="coerce").astype("Int64")
    cancel_year = (pd.to_numeric(frame["cancel_year"], errors="coerce").astype("Int64")
                   if "cancel_year" in frame else pd.Series(pd.NA, index=frame.index, dtype="Int64"))
    canceled = (status == "canceled").fillna(False).astype(bool)
    completed = (status == "completed").fillna(False).astype(bool)
    return pd.DataFrame({
        "firm_id": frame["firm_id"].astype(str),
        "year": approval.where(~canceled, cancel_year.fillna(approval)),
        "completed": completed.astype("int64"),
        "canceled": canceled.astype("int64"),
        "by_foreign": (canceled & (by == "foreign").fillna(False)).astype("int64"),
        "by_domestic": (canceled & (by == "domestic").fillna(False)).astype("int64"),
        "approval_year": approval,
    })


def adoption_panel(balance_sheets: pd.DataFrame, contracts: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Firm-year adoption panel: firm_id, year (every firm-year of the balance sheets),
    completed_contracts, canceled_contracts, canceled_by_foreign, canceled_by_domestic (in that
    year), first_adoption_year (approval year of the firm's first completed contract, NA if none),
    adopter (year ≥ first_adoption_year), ever_adopter. ``links`` maps contract_id → firm_id
    (NA = not linked), e.g. auto-accepted links plus reviewed ones."""
    panel = balance_sheets[["firm_id", "year"]].astype({"firm_id": str}).drop_duplicates()
    panel = panel.astype({"year": "int64"}).sort_values(["firm_id", "year"], ignore_index=True)
    events = linked_contract_years(contracts, links)
    counts = (events.dropna(subset=["year"]).astype({"year": "int64"})
              .groupby(["firm_id", "year"])[["completed", "canceled", "by_foreign", "by_domestic"]].sum())
    panel = panel.join(counts, on=["firm_id", "year"])
    first = events.loc[events["completed"] == 1].groupby("firm_id")["approval_year"].min()
    panel["first_adoption_year"] = panel["firm_id"].map(first).astype("Int64")
    panel["adopter"] = (panel["year"] >= panel["first_adoption_year"]).fillna(False).astype(bool)
    panel["ever_adopter"] = panel["first_adoption_year"].notna()
    panel = panel.rename(columns={"completed": "completed_contracts", "canceled": "canceled_contracts",
                                  "by_foreign": "canceled_by_foreign", "by_domestic": "canceled_by_domestic"})
    for column in ("completed_contracts", "canceled_contracts", "canceled_by_foreign", "canceled_by_domestic"):
        panel[column] = panel[column].fillna(0).astype("int64")
    return panel[PANEL_COLUMNS]
