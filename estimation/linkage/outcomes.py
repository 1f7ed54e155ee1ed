"""From ranked candidates to outcomes, and the quality of links against known true links.

Pure pandas on the ``candidates`` frame of a :class:`~estimation.linkage.LinkageResult`:
changing thresholds never re-runs the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .settings import DEFAULT_MIN_MARGIN

OUTCOMES = ("auto", "review", "none")


def classify(candidates: pd.DataFrame, contract_ids, accept: float, review: float,
             min_margin: float = DEFAULT_MIN_MARGIN) -> pd.DataFrame:
    """One row per contract: contract_id, outcome, firm_id, match_probability, margin.

    firm_id and match_probability are those of the top candidate (rank 1; NA without
    candidates). margin is how far the top candidate is ahead of the runner-up, in bits
    (inf without a runner-up):

    * if the runner-up is a confusable twin of the top firm (``twin_of_top``: near-identical
      names), the difference of their ``likelihood_weight`` — log2 of how much likelier the
      contract's record is if the top firm is its firm than if the twin is. The u side of
      the match weights is left out because a twin's agreement with the contract is no
      coincidence: it follows from the twins' names, so its rarity among random pairs says
      nothing about which twin wrote the contract;
    * otherwise the difference of their match weights (log2 of the posterior odds ratio).

    outcome is "auto" when the top candidate has match_probability ≥ ``accept`` and a
    margin ≥ ``min_margin``; "review" when it has match_probability ≥ ``review`` but is not
    auto; "none" otherwise (no candidate, or only weak ones). Only "auto" is a link.
    """
    ids = pd.Index(pd.Series(contract_ids, dtype=object).drop_duplicates(), name="contract_id")
    ranked = candidates.sort_values(["contract_id", "rank"], kind="stable")
    top = ranked.groupby("contract_id").nth(0).set_index("contract_id")
    second = ranked.groupby("contract_id").nth(1).set_index("contract_id")
    out = pd.DataFrame(index=ids)
    out["firm_id"] = top["firm_id"].reindex(ids).astype(object)
    out["match_probability"] = top["match_probability"].reindex(ids).astype("float64")
    second = second.reindex(ids)
    twin = second["twin_of_top"].fillna(False).astype(bool)
    lead = np.where(twin, top["likelihood_weight"].reindex(ids) - second["likelihood_weight"],
                    top["match_weight"].reindex(ids) - second["match_weight"])
    out["margin"] = pd.Series(lead, index=ids, dtype="float64").fillna(np.inf).where(out["firm_id"].notna())
    probability = out["match_probability"].fillna(-1.0)
    is_auto = (probability >= accept) & (out["margin"] >= min_margin)
    out["outcome"] = np.where(is_auto, "auto", np.where(probability >= review, "review", "none"))
    return out.reset_index()[["contract_id", "outcome", "firm_id", "match_probability", "margin"]]


def threshold_effect(candidates: pd.DataFrame, contract_ids, old: tuple[float, float], new: tuple[float, float],
                     min_margin: float = DEFAULT_MIN_MARGIN) -> pd.DataFrame:
    """Contracts by outcome under ``old`` (rows) and ``new`` (columns) thresholds, each (accept, review).

    A 3×3 table of counts over auto / review / none; off-diagonal cells are the contracts
    that move. Uses the stored candidates only.
    """
    before = classify(candidates, contract_ids, *old, min_margin=min_margin)
    after = classify(candidates, contract_ids, *new, min_margin=min_margin)
    table = pd.crosstab(pd.Categorical(before["outcome"], OUTCOMES), pd.Categorical(after["outcome"], OUTCOMES),
                        dropna=False)
    table.index.name, table.columns.name = "old", "new"
    return table.reindex(index=list(OUTCOMES), columns=list(OUTCOMES), fill_value=0).astype("int64")


def simulate_perfect_review(classified: pd.DataFrame, candidates: pd.DataFrame,
                            true_links: pd.DataFrame) -> pd.DataFrame:
    """Links after an oracle reviews the queue: contract_id, firm_id (NA = not linked).

    Auto links are kept as they are; a review item is resolved to its true firm if that firm
    is among its candidates, otherwise to "not in the balance sheets" (NA), which is also the
    oracle's answer when the truth is NA; "none" items stay unlinked.
    """
    truth = true_links.set_index("contract_id")["firm_id"]
    offered = set(zip(candidates["contract_id"], candidates["firm_id"]))
    true_firm = classified["contract_id"].map(truth)
    found = [(c, f) in offered for c, f in zip(classified["contract_id"], true_firm)]
    reviewed = true_firm.where(pd.Series(found, index=classified.index) & true_firm.notna())
    firm = np.where(classified["outcome"] == "auto", classified["firm_id"],
                    np.where(classified["outcome"] == "review", reviewed, None))
    return pd.DataFrame({"contract_id": classified["contract_id"],
                         "firm_id": pd.Series(firm, index=classified.index, dtype=object).where(lambda s: s.notna())})


@dataclass(frozen=True)
class LinkageQuality:
    """Quality of links against true links.

    precision = correct / linked: share of linked contracts linked to their true firm.
    recall = correct / linkable: share of contracts whose true firm is in the balance sheets
        that are linked to it.
    false_links = linked − correct, of which absent_linked went to contracts whose firm is
        not in the balance sheets.
    """

    n_contracts: int
    n_linkable: int
    n_linked: int
    n_correct: int
    false_links: int
    absent_linked: int
    precision: float
    recall: float


def linkage_quality(links: pd.DataFrame, true_links: pd.DataFrame) -> LinkageQuality:
    """Precision and recall of ``links`` (contract_id, firm_id; NA = unlinked) over the contracts of ``true_links``."""
    merged = true_links[["contract_id", "firm_id"]].merge(
        links[["contract_id", "firm_id"]].rename(columns={"firm_id": "linked"}), on="contract_id", how="left")
    linked = merged["linked"].notna()
    correct = linked & (merged["linked"] == merged["firm_id"]).fillna(False).astype(bool)
    n_linked, n_correct, n_linkable = int(linked.sum()), int(correct.sum()), int(merged["firm_id"].notna().sum())
    return LinkageQuality(
        n_contracts=len(merged), n_linkable=n_linkable, n_linked=n_linked, n_correct=n_correct,
        false_links=n_linked - n_correct, absent_linked=int((linked & merged["firm_id"].isna()).sum()),
        precision=n_correct / n_linked if n_linked else float("nan"),
        recall=n_correct / n_linkable if n_linkable else float("nan"))
