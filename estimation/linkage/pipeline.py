"""link_contracts: records → splink model → ranked candidates per contract, with drivers; then
the second pass with the foreign sellers' sector profiles (docs/linkage.md §5)."""

from __future__ import annotations

import math

import pandas as pd
from rapidfuzz.distance import DamerauLevenshtein
from rapidfuzz.process import cpdist

from . import records as rec
from . import sellers
from .model import PARAMETER_COLUMNS, SELLER_COMPARISON, SELLER_NULL, ScoredPairs, score_pairs
from .outcomes import classify
from .settings import LinkageResult, LinkageSettings

CANDIDATE_COLUMNS = ("contract_id", "firm_id", "rank", "match_probability", "match_weight", "likelihood_weight",
                     "twin_of_top", "matched_name_variant", "drivers", "seller_sector_share")
NULL_LABELS = {SELLER_COMPARISON: SELLER_NULL}


def _level_lookup(parameters: pd.DataFrame, column: str) -> dict[str, dict[int, object]]:
    """{comparison: {gamma: parameters[column]}} for the comparison levels of the trained model."""
    levels = parameters[parameters["comparison"] != "prior"]
    return {comparison: dict(zip(rows["gamma"].astype(int), rows[column]))
            for comparison, rows in levels.groupby("comparison", sort=False)}


def _likelihood_weight(pairs: pd.DataFrame, parameters: pd.DataFrame) -> pd.Series:
    """Σ over comparisons of log2 m(level): log2 of the probability of the pair's comparison
    pattern if the firm is the contract's firm (a missing value contributes 0)."""
    total = pd.Series(0.0, index=pairs.index)
    for comparison, m_by_gamma in _level_lookup(parameters, "m").items():
        log_m = {gamma: math.log2(m) for gamma, m in m_by_gamma.items() if m and m > 0}
        total += pairs[f"gamma_{comparison}"].map(log_m).fillna(0.0).astype("float64")
    return total


def _drivers(pairs: pd.DataFrame, parameters: pd.DataFrame, spans: pd.DataFrame) -> pd.Series:
    """Short text of what drove each score: every comparison's level and its match weight
    (term-frequency adjustment included), e.g. "name exact after standardization (+9.9),
    active in the contract year 1972–1980 (+0.4)"."""
    parts = []
    for comparison, label_by_gamma in _level_lookup(parameters, "level").items():
        weight = pairs[f"mw_{comparison}"] + pairs.get(f"mw_tf_adj_{comparison}", 0.0)
        label = pairs[f"gamma_{comparison}"].map(label_by_gamma).fillna(NULL_LABELS.get(comparison,
                                                                                         comparison + " missing"))
        if comparison == "activity":
            label = label + " " + spans["first_year"].astype(str) + "–" + spans["last_year"].astype(str)
        parts.append((label + " (" + weight.map(lambda w: f"{w:+.1f}") + ")").astype(object).to_numpy())
    if not parts:
        return pd.Series("", index=pairs.index, dtype=object)
    text = parts[0]
    for part in parts[1:]:  # element-wise on object arrays: a row-wise join is slow on 10⁵ rows
        text = text + ", " + part
    return pd.Series(text, index=pairs.index, dtype=object)


def _twin_of_top(best: pd.DataFrame) -> pd.Series:
    """Whether a candidate firm's name is a near-copy of the contract's top candidate's name:
    the same core name, one syllable apart, or the same romanized key (confusable twins)."""
    top = best[best["rank"] == 1].set_index("contract_id")
    top_core = best["contract_id"].map(top["name_core"]).fillna("")
    top_roman = best["contract_id"].map(top["name_roman_key"])
    core = best["name_core"].fillna("")
    edits = cpdist(core.tolist(), top_core.tolist(), scorer=DamerauLevenshtein.distance, workers=1)
    close = (edits <= 1) & (core != "").to_numpy() & (top_core != "").to_numpy()
    return pd.Series(close, index=best.index) | (best["name_roman_key"] == top_roman).fillna(False)


def rank_candidates(pairs: pd.DataFrame, firms: pd.DataFrame, profiles: pd.DataFrame,
                    parameters: pd.DataFrame, max_candidates: int) -> pd.DataFrame:
    """Best name variant per (contract, firm), ranked by match weight within the contract
    (ties by firm_id), the first ``max_candidates`` kept, with the likelihood weight, the
    twin flag (:func:`_twin_of_top`) and the drivers text; ``seller_sector_share`` is NA here
    (the second pass fills it, :func:`estimation.linkage.sellers.pair_shares`)."""
    if pairs.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CANDIDATE_COLUMNS})
    pairs = pairs.merge(firms[["unique_id", "firm_id", "name_raw", "name_core", "name_roman_key"]]
                        .rename(columns={"unique_id": "record_id"}), on="record_id")
    pairs = pairs.sort_values(["contract_id", "match_weight", "firm_id", "record_id"],
                              ascending=[True, False, True, True], kind="stable")
    best = pairs.drop_duplicates(["contract_id", "firm_id"]).copy()
    best["rank"] = best.groupby("contract_id").cumcount().add(1).astype("int64")
    best = best[best["rank"] <= max_candidates].reset_index(drop=True)
    spans = best[["firm_id"]].merge(profiles[["firm_id", "first_year", "last_year"]], on="firm_id", how="left")
    best["likelihood_weight"] = _likelihood_weight(best, parameters)
    best["twin_of_top"] = _twin_of_top(best)
    best["drivers"] = _drivers(best, parameters, spans)
    best["seller_sector_share"] = float("nan")
    best = best.rename(columns={"name_raw": "matched_name_variant"})
    return best[list(CANDIDATE_COLUMNS)]


def _second_pass(contracts: pd.DataFrame, usable: pd.DataFrame, firms: pd.DataFrame, profiles: pd.DataFrame,
                 first: pd.DataFrame, scored: ScoredPairs, settings: LinkageSettings):
    """The second pass (docs/linkage.md §5): the sellers' sector profiles learned from the first
    pass's auto links, leave-one-out (:func:`~estimation.linkage.sellers.seller_sector_profiles`),
    then the first pass's model plus the seller-sector comparison.

    Returns (scored pairs of the second pass, or None when it cannot run; seller profiles; notes).
    """
    empty = pd.DataFrame(columns=sellers.PROFILE_COLUMNS)
    if not scored.trained:
        return None, empty, ("second pass (seller sectors) skipped: the first pass could not be trained",)
    outcome = classify(first, usable["unique_id"], settings.accept, settings.review, settings.min_margin)
    auto = outcome.loc[outcome["outcome"] == "auto", ["contract_id", "firm_id"]]
    seller_profiles = sellers.seller_sector_profiles(contracts, auto, profiles.set_index("firm_id")["sector"],
                                                     settings.seller_prior_strength)
    if seller_profiles.empty:
        return None, seller_profiles, ("second pass (seller sectors) skipped: no seller has a confident "
                                       "first-pass link to learn its sectors from",)
    lists = sellers.level_lists(seller_profiles, (settings.seller_high_share, settings.seller_low_share))
    lists = lists.set_index("contract_id")
    usable = usable.assign(seller_high=usable["unique_id"].map(lists["seller_high"]).astype(object),
                           seller_medium=usable["unique_id"].map(lists["seller_medium"]).astype(object))
    return score_pairs(usable, firms, settings, first_pass=scored.model), seller_profiles, ()


def _names_sellers(contracts: pd.DataFrame) -> bool:
    """Whether the contracts name any foreign seller (a non-empty ``foreign_firm``)."""
    return "foreign_firm" in contracts and bool(sellers.seller_keys(contracts["foreign_firm"]).notna().any())


def link_contracts(contracts: pd.DataFrame, balance_sheets: pd.DataFrame,
                   settings: LinkageSettings = LinkageSettings()) -> LinkageResult:
    """Score every contract against the balance-sheet firms active around its year.

    First pass: names and activity (and sector/region when the contracts carry them). Second
    pass, when the contracts name their foreign sellers and ``settings.seller_evidence`` is on:
    the sellers' sector profiles learned from the first pass's auto links add the seller-sector
    comparison, and the second pass's candidates are the result.

    Contracts with an unusable name, no year or a repeated contract_id are reported in
    ``issues`` and not scored; a year outside the balance-sheet years is reported but still
    scored (the activity window may reach it). Never raises on bad rows.
    """
    profiles = rec.firm_profiles(balance_sheets)
    firms = rec.firm_records(profiles, settings)
    contract_rows = rec.contract_records(contracts)
    issues = rec.contract_issues(contract_rows, profiles)
    usable = contract_rows[rec.linkable(contract_rows)].drop(columns="problem")
    seller_profiles = pd.DataFrame(columns=sellers.PROFILE_COLUMNS)
    if usable.empty or firms.empty:
        parameters, blocked, notes = pd.DataFrame(columns=PARAMETER_COLUMNS), 0, ("nothing to link",)
        candidates = rank_candidates(pd.DataFrame(), firms, profiles, parameters, settings.max_candidates)
    else:
        scored = score_pairs(usable, firms, settings)
        parameters, blocked, notes = scored.parameters, scored.blocked_pairs, scored.notes
        candidates = rank_candidates(scored.pairs, firms, profiles, parameters, settings.max_candidates)
        if settings.seller_evidence and _names_sellers(contracts):
            second, seller_profiles, pass_notes = _second_pass(contracts, usable, firms, profiles, candidates,
                                                               scored, settings)
            notes += pass_notes
            if second is not None:
                parameters, notes = second.parameters, notes + second.notes
                candidates = rank_candidates(second.pairs, firms, profiles, parameters, settings.max_candidates)
                candidates["seller_sector_share"] = sellers.pair_shares(
                    candidates, profiles.set_index("firm_id")["sector"], seller_profiles)
    contract_ids = contracts["contract_id"].astype(str).drop_duplicates().reset_index(drop=True)
    return LinkageResult(candidates=candidates, issues=issues, parameters=parameters,
                         contract_ids=contract_ids.astype(object), blocked_pairs=blocked, settings=settings,
                         notes=notes, seller_profiles=seller_profiles)

