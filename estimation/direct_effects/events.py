"""Who is a loser, who is a winner, and when is each one's event (Choi & Shim, Section 3.1).

From the contracts, the contract → firm links and the balance sheets:

* **Winner**: a firm with at least one completed contract. Its event year is its adoption
  year, the approval year (``contracts.year``) of its first completed contract — the year
  from which the demo's and the paper's direct effect D(t − A_i) runs.
* **Loser**: a firm with a contract canceled *by the foreign party* (``canceled_by =
  foreign``) whose approval year is earlier than the firm's first adoption (or the firm
  never adopts). Cancellations initiated by the domestic firm are excluded: they follow
  cash-flow shocks and are not random. A loser's event year is the **approval year** of its
  first such contract, not the cancellation year: the paper matches each loser with winners
  "who made contracts in the same year as the loser's contract that was eventually
  canceled", so the loser's counterfactual adoption date — the date its winners adopted — is
  the approval year. (The cancellation year, which can be a year later, is kept as
  ``cancel_year`` for reference.)
* **Delayed adopter**: a loser that completes a contract later (``adoption_year`` > event
  year); **never adopter**: a loser without any completed contract.
* Losers are not used as winners for other losers (a delayed adopter's later adoption
  comes after its own cancellation, which would make it a different kind of treated unit).

Only contracts linked to a firm that appears in the balance sheets count; the others are
reported in :class:`EventCounts`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .errors import EstimationError

EVENT_COLUMNS = ["firm_id", "role", "event_year", "loser_type", "adoption_year", "contract_id", "cancel_year"]


@dataclass(frozen=True)
class EventCounts:
    contracts: int
    linked_contracts: int
    linked_outside_balance_sheets: int
    foreign_cancellations: int
    domestic_cancellations: int
    losers: int
    delayed_adopters: int
    never_adopters: int
    winners: int
    foreign_cancellations_after_adoption: int


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.lower()


def linked_contracts(contracts: pd.DataFrame, links: pd.DataFrame, firm_ids) -> pd.DataFrame:
    """contract_id, firm_id, approval_year, status, canceled_by, cancel_year of contracts linked to
    a firm in ``firm_ids`` (unlinked and out-of-balance-sheet links drop out)."""
    link = links[["contract_id", "firm_id"]].dropna(subset=["firm_id"]).drop_duplicates("contract_id")
    link = link.astype({"firm_id": str, "contract_id": str})
    frame = contracts.astype({"contract_id": str}).merge(link, on="contract_id", how="inner",
                                                         suffixes=("_contract", ""))
    frame = frame.loc[frame["firm_id"].isin(set(firm_ids))]
    approval = pd.to_numeric(frame["year"], errors="coerce").astype("Int64")
    cancel = (pd.to_numeric(frame["cancel_year"], errors="coerce").astype("Int64")
              if "cancel_year" in frame else pd.Series(pd.NA, index=frame.index, dtype="Int64"))
    by = _text(frame["canceled_by"]) if "canceled_by" in frame else pd.Series(pd.NA, index=frame.index,
                                                                               dtype="string")
    return pd.DataFrame({"contract_id": frame["contract_id"], "firm_id": frame["firm_id"],
                         "approval_year": approval, "status": _text(frame["status"]),
                         "canceled_by": by, "cancel_year": cancel.fillna(approval)}).reset_index(drop=True)


def classify_firms(contracts: pd.DataFrame, links: pd.DataFrame,
                   balance_sheets: pd.DataFrame) -> tuple[pd.DataFrame, EventCounts]:
    """One row per loser and per winner: firm_id, role ('loser'/'winner'), event_year,
    loser_type ('delayed'/'never', NA for winners), adoption_year (first completed approval
    year, NA if never), contract_id (the event's contract), cancel_year (losers).
    Raises EstimationError('no_losers') when no firm qualifies as a loser."""
    firms = set(balance_sheets["firm_id"].astype(str))
    all_links = links[["contract_id", "firm_id"]].dropna(subset=["firm_id"])
    frame = linked_contracts(contracts, links, firms).dropna(subset=["approval_year"])
    completed = frame.loc[frame["status"] == "completed"].sort_values(["approval_year", "contract_id"])
    first = completed.drop_duplicates("firm_id").set_index("firm_id")
    adoption = first["approval_year"]
    canceled = frame["status"] == "canceled"
    foreign = frame.loc[canceled & (frame["canceled_by"] == "foreign")].copy()
    foreign["adoption_year"] = foreign["firm_id"].map(adoption).astype("Int64")
    before = foreign["adoption_year"].isna() | (foreign["approval_year"] < foreign["adoption_year"])
    loser_contracts = foreign.loc[before].sort_values(["approval_year", "contract_id"]).drop_duplicates("firm_id")
    losers = pd.DataFrame({
        "firm_id": loser_contracts["firm_id"], "role": "loser",
        "event_year": loser_contracts["approval_year"].astype("Int64"),
        "loser_type": loser_contracts["adoption_year"].notna().map({True: "delayed", False: "never"}),
        "adoption_year": loser_contracts["adoption_year"], "contract_id": loser_contracts["contract_id"],
        "cancel_year": loser_contracts["cancel_year"]})
    winners_first = first.loc[~first.index.isin(set(losers["firm_id"]))]
    winners = pd.DataFrame({
        "firm_id": winners_first.index, "role": "winner",
        "event_year": winners_first["approval_year"].astype("Int64").to_numpy(),
        "loser_type": pd.NA, "adoption_year": winners_first["approval_year"].astype("Int64").to_numpy(),
        "contract_id": winners_first["contract_id"].to_numpy(), "cancel_year": pd.NA})
    events = pd.concat([losers, winners], ignore_index=True)
    events["loser_type"] = events["loser_type"].astype("string")
    events["cancel_year"] = events["cancel_year"].astype("Int64")
    events["adoption_year"] = events["adoption_year"].astype("Int64")
    events = events.sort_values(["role", "event_year", "firm_id"], ignore_index=True)[EVENT_COLUMNS]
    counts = EventCounts(
        contracts=len(contracts), linked_contracts=int(contracts["contract_id"].astype(str)
                                                       .isin(set(all_links["contract_id"].astype(str))).sum()),
        linked_outside_balance_sheets=int((~all_links["firm_id"].astype(str).isin(firms)).sum()),
        foreign_cancellations=len(foreign),
        domestic_cancellations=int((canceled & (frame["canceled_by"] == "domestic")).sum()),
        losers=len(losers), delayed_adopters=int((losers["loser_type"] == "delayed").sum()),
        never_adopters=int((losers["loser_type"] == "never").sum()), winners=len(winners),
        foreign_cancellations_after_adoption=int((~before).sum()))
    if counts.losers == 0:
        raise EstimationError("no_losers", (
            "No losers: no linked firm in the balance sheets has a contract canceled by the foreign party "
            f"before its first adoption ({counts.foreign_cancellations} foreign cancellations among linked "
            f"contracts, {counts.foreign_cancellations_after_adoption} of them after the firm had adopted). "
            "Check the contracts' status and canceled_by columns and the links."))
    return events, counts
