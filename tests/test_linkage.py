"""Linkage: outcome logic on hand-made candidates, bad input, and the demo economy end to end."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from estimation.linkage import (LinkageSettings, classify, firm_profiles, link_contracts, linkage_quality,
                                simulate_perfect_review, threshold_effect)
from estimation.linkage.sellers import level_lists, pair_shares, seller_em, seller_sector_profiles
from estimation.names import core_firm_name

CONTRACT_IDS = ["C1", "C2", "C3", "C4", "C5", "C6"]


@pytest.fixture
def candidates() -> pd.DataFrame:
    """C1 clear winner; C2 twin runner-up close in likelihood; C3 a lone middling candidate;
    C4 a weak one; C5 none; C6 a twin runner-up 0.5 bits behind."""
    rows = [  # contract, firm, rank, probability, match weight, likelihood weight, twin of top
        ("C1", "F1", 1, 0.99, 8.0, -1.0, True), ("C1", "F2", 2, 0.10, -3.0, -5.0, False),
        ("C2", "F3", 1, 0.98, 7.0, -0.7, True), ("C2", "F4", 2, 0.90, 4.0, -2.3, True),
        ("C3", "F5", 1, 0.50, 0.0, -3.0, True),
        ("C4", "F6", 1, 0.01, -6.6, -6.0, True),
        ("C6", "F7", 1, 0.95, 4.2, -1.0, True), ("C6", "F8", 2, 0.30, -1.2, -1.5, True),
    ]
    return pd.DataFrame(rows, columns=["contract_id", "firm_id", "rank", "match_probability", "match_weight",
                                       "likelihood_weight", "twin_of_top"])


def test_classify_outcomes_and_margins(candidates):
    out = classify(candidates, CONTRACT_IDS, accept=0.9, review=0.05, min_margin=3.0).set_index("contract_id")
    assert out["outcome"].to_dict() == {"C1": "auto", "C2": "review", "C3": "review", "C4": "none",
                                        "C5": "none", "C6": "review"}
    assert out.loc["C1", "margin"] == 11.0                   # not a twin: match-weight lead 8 − (−3)
    assert out.loc["C2", "margin"] == pytest.approx(1.6)     # twin: likelihood lead −0.7 − (−2.3)
    assert out.loc["C6", "margin"] == pytest.approx(0.5)
    assert math.isinf(out.loc["C3", "margin"])               # no runner-up
    assert pd.isna(out.loc["C5", "firm_id"]) and pd.isna(out.loc["C5", "margin"])
    assert out.loc["C2", "firm_id"] == "F3" and out.loc["C4", "match_probability"] == 0.01


def test_margin_rule_protects_the_twin(candidates):
    loose = classify(candidates, CONTRACT_IDS, accept=0.9, review=0.05, min_margin=0.0).set_index("contract_id")
    assert loose.loc["C2", "outcome"] == "auto" and loose.loc["C6", "outcome"] == "auto"


def test_threshold_effect_counts_moves(candidates):
    table = threshold_effect(candidates, CONTRACT_IDS, old=(0.9, 0.05), new=(0.4, 0.005))
    expected = pd.DataFrame([[1, 0, 0], [1, 2, 0], [0, 1, 1]], index=["auto", "review", "none"],
                            columns=["auto", "review", "none"])
    assert (table.to_numpy() == expected.to_numpy()).all()
    assert list(table.index) == ["auto", "review", "none"] and list(table.columns) == ["auto", "review", "none"]
    assert int(table.to_numpy().sum()) == len(CONTRACT_IDS)
    same = threshold_effect(candidates, CONTRACT_IDS, old=(0.9, 0.05), new=(0.9, 0.05))
    assert int(np.trace(same.to_numpy())) == len(CONTRACT_IDS)


def test_perfect_review_and_quality(candidates):
    truth = pd.DataFrame({"contract_id": CONTRACT_IDS, "firm_id": ["F1", "F4", None, "F6", "F9", "F9"]})
    classified = classify(candidates, CONTRACT_IDS, accept=0.9, review=0.05, min_margin=3.0)
    links = simulate_perfect_review(classified, candidates, truth).set_index("contract_id")["firm_id"]
    # auto kept; C2 review → true twin F4; C3 review, truth NA → unlinked; C4 none stays unlinked;
    # C6 review but the true firm was not offered → unlinked.
    assert {c: (None if pd.isna(f) else f) for c, f in links.items()} == {
        "C1": "F1", "C2": "F4", "C3": None, "C4": None, "C5": None, "C6": None}
    quality = linkage_quality(links.reset_index(), truth)
    assert (quality.n_contracts, quality.n_linkable, quality.n_linked, quality.n_correct) == (6, 5, 2, 2)
    assert quality.precision == 1.0 and quality.recall == pytest.approx(0.4)


def test_quality_counts_wrong_and_absent_links():
    truth = pd.DataFrame({"contract_id": ["C1", "C2", "C3"], "firm_id": ["F1", None, "F3"]})
    links = pd.DataFrame({"contract_id": ["C1", "C2", "C3"], "firm_id": ["F2", "F5", "F3"]})
    quality = linkage_quality(links, truth)
    assert (quality.n_linked, quality.n_correct, quality.false_links, quality.absent_linked) == (3, 1, 2, 1)
    assert quality.precision == pytest.approx(1 / 3) and quality.recall == pytest.approx(0.5)


BALANCE = pd.DataFrame({
    "firm_id": ["F1", "F1", "F2", "F3"], "firm_name": ["대한전선(주)", "대한전선공업(주)", "대한전기(주)", "동양화학"],
    "year": [1972, 1973, 1972, 1975], "sector": ["S09", "S09", "S09", "S05"], "region": ["R01", "R01", "R02", "R03"],
    "business_group": [None, None, "G01", None]})


def test_firm_profiles_one_row_per_firm_with_name_variants():
    profiles = firm_profiles(BALANCE).set_index("firm_id")
    assert profiles.loc["F1", "name_variants"] == ("대한전선(주)", "대한전선공업(주)")
    assert (profiles.loc["F1", "first_year"], profiles.loc["F1", "last_year"]) == (1972, 1973)
    assert profiles.loc["F2", "business_group"] == "G01" and profiles.loc["F3", "sector"] == "S05"


def test_bad_input_is_reported_per_contract_and_never_crashes():
    contracts = pd.DataFrame({
        "contract_id": ["C1", "C2", "C3", "C4", "C5", "C6", "C7"],
        "firm_name": ["대한전선 주식회사", "(주)", "", "대한전기㈜", "동양화학", None, "大韓電線"],
        "year": [1973, 1973, 1973, 1960, 1975, 1974, None], "status": ["completed"] * 7})
    result = link_contracts(contracts, BALANCE)
    problems = set(map(tuple, result.issues[["contract_id", "problem"]].to_numpy()))
    assert problems == {("C2", "only legal-form markers"), ("C3", "empty"), ("C6", "empty"),
                        ("C7", "contract year missing"), ("C4", "contract year outside the balance-sheet years")}
    assert set(result.candidates["contract_id"]) <= {"C1", "C4", "C5"}
    assert list(result.contract_ids) == list(contracts["contract_id"])
    outcomes = classify(result.candidates, result.contract_ids, 0.5, 0.05).set_index("contract_id")["outcome"]
    assert (outcomes[["C2", "C3", "C6", "C7"]] == "none").all()


def test_no_training_pairs_falls_back_to_starting_parameters():
    contracts = pd.DataFrame({"contract_id": ["C1"], "firm_name": ["삼성전자"], "year": [1973], "status": ["completed"],
                              "foreign_firm": ["Hitachi"]})
    result = link_contracts(contracts, BALANCE)
    assert result.candidates.empty and result.notes and "EM could not run" in result.notes[0]
    assert result.seller_profiles.empty                      # no second pass on a failed first one
    assert link_contracts(contracts.iloc[:0], BALANCE).candidates.empty


# ---- seller-sector profiles (second pass) ----------------------------------------------------------

SELLER_CONTRACTS = pd.DataFrame({
    "contract_id": ["C1", "C2", "C3", "C4", "C5", "C6", "C7"],
    "foreign_firm": ["Hitachi", "HITACHI, Ltd.", "Hitachi", "Hitachi", "Toray", None, "Toray Co."]})
SELLER_LINKS = pd.DataFrame({"contract_id": ["C1", "C2", "C3", "C5", "C6"],
                             "firm_id": ["F1", "F2", "F3", "F4", "F5"]})
SELLER_SECTORS = pd.Series({"F1": "S09", "F2": "S09", "F3": "S08", "F4": "S02", "F5": "S09", "F6": "S05"})


def test_seller_profiles_leave_the_contract_out_and_smooth_toward_the_overall_sectors():
    """Links by sector: S09 ×3 (two of Hitachi, one without a seller), S08 ×1 and S02 ×1, so the
    overall shares are 0.6 / 0.2 / 0.2; α = 2 pseudo-links."""
    profiles = seller_sector_profiles(SELLER_CONTRACTS, SELLER_LINKS, SELLER_SECTORS, prior_strength=2.0)
    share = profiles.set_index(["contract_id", "sector"])["share"]
    links = profiles.groupby("contract_id")["seller_links"].first()
    # C1 (Hitachi, linked to S09): its own link left out → Hitachi's other links S09 ×1, S08 ×1
    assert links["C1"] == 2
    assert share["C1"].to_dict() == pytest.approx({"S09": (1 + 2 * 0.6) / 4, "S08": (1 + 2 * 0.2) / 4,
                                                   "S02": (0 + 2 * 0.2) / 4})
    # C3 (linked to S08): the other two Hitachi links are both S09
    assert share["C3"].to_dict() == pytest.approx({"S09": 0.8, "S08": 0.1, "S02": 0.1})
    # C4 (not linked): all three Hitachi links ("HITACHI, Ltd." is the same seller)
    assert links["C4"] == 3
    assert share["C4"].to_dict() == pytest.approx({"S09": 0.64, "S08": 0.28, "S02": 0.08})
    # C7 (Toray, not linked) learns from C5's link only, so it stays near the overall shares
    assert share["C7"].to_dict() == pytest.approx({"S09": 1.2 / 3, "S08": 0.4 / 3, "S02": 1.4 / 3})
    # C5's only Toray link is its own: no profile; C6 has no seller
    assert set(profiles["contract_id"]) == {"C1", "C2", "C3", "C4", "C7"}
    assert profiles.groupby("contract_id")["share"].sum().to_numpy() == pytest.approx(np.ones(5))


def test_seller_levels_and_pair_shares():
    profiles = seller_sector_profiles(SELLER_CONTRACTS, SELLER_LINKS, SELLER_SECTORS, prior_strength=2.0)
    lists = level_lists(profiles[profiles["contract_id"].isin(["C4", "C7"])], (0.5, 0.1)).set_index("contract_id")
    sep = "\x1f"
    assert lists.loc["C4", "seller_high"] == f"{sep}S09{sep}" and lists.loc["C4", "seller_medium"] == f"{sep}S08{sep}"
    assert lists.loc["C7", "seller_high"] == f"{sep}{sep}"                       # no sector reaches 0.5
    assert set(lists.loc["C7", "seller_medium"].strip(sep).split(sep)) == {"S09", "S08", "S02"}
    candidates = pd.DataFrame({"contract_id": ["C4", "C4", "C6"], "firm_id": ["F4", "F6", "F1"]})
    shares = pair_shares(candidates, SELLER_SECTORS, profiles)
    assert shares.iloc[0] == pytest.approx(0.08) and shares.iloc[1] == 0.0 and np.isnan(shares.iloc[2])


def test_seller_em_shares_m_across_groups_and_never_reaches_zero():
    """Pairs whose first-pass weight settles them (±2000 bits: p = 1 or 0): m from the matches of
    both groups, u per group, each with one pseudo-pair spread over the three levels; a neutral
    group's u is its m (weight 0)."""
    stats = pd.DataFrame([  # gamma 5/4/3: same industry, usual / sometimes / rarely; 2/1/0: other names
        (5, 2000.0, 6), (4, 2000.0, 2), (2, 2000.0, 2),
        (5, -2000.0, 1), (4, -2000.0, 1), (3, -2000.0, 2),
        (2, -2000.0, 2), (1, -2000.0, 3), (0, -2000.0, 15)], columns=["gamma", "weight", "n"])
    fit = seller_em(stats, n_levels=3, n_groups=2, pseudo_count=1.0)
    a = 1 / 3
    m = [(8 + a) / 11, (2 + a) / 11, a / 11]
    assert fit.converged
    assert list(fit.m) == pytest.approx([m[2], m[1], m[0], m[2], m[1], m[0]])     # indexed by gamma 0…5
    u_same, u_other = [(1 + a) / 5, (1 + a) / 5, (2 + a) / 5], [(2 + a) / 21, (3 + a) / 21, (15 + a) / 21]
    assert list(fit.u) == pytest.approx(u_other[::-1] + u_same[::-1])
    assert (fit.m > 0).all() and (fit.u > 0).all()
    neutral = seller_em(stats, n_levels=3, n_groups=2, neutral_groups=(0,), pseudo_count=1.0)
    assert list(neutral.u) == pytest.approx(u_other[::-1] + list(neutral.m[3:]))
    assert list(neutral.m) == pytest.approx(list(fit.m))


# ---- end to end on the demo economy (true links known) -------------------------------------------


@pytest.fixture(scope="module")
def demo():
    from models.demo_economy import generate_demo_economy

    economy = generate_demo_economy()
    settings = LinkageSettings()
    result = link_contracts(economy.tables["contracts"], economy.tables["balance_sheets"], settings)
    classified = classify(result.candidates, result.contract_ids, settings.accept, settings.review, settings.min_margin)
    return economy, result, classified


def test_demo_blocking_keeps_the_true_firm(demo):
    economy, result, _ = demo
    truth = economy.true_links.dropna(subset=["firm_id"])
    offered = set(zip(result.candidates["contract_id"], result.candidates["firm_id"]))
    completeness = np.mean([pair in offered for pair in zip(truth["contract_id"], truth["firm_id"])])
    assert completeness >= 0.99
    assert result.issues.empty and not result.notes


def test_demo_auto_links_are_precise(demo):
    economy, _, classified = demo
    auto = classified.loc[classified["outcome"] == "auto", ["contract_id", "firm_id"]]
    quality = linkage_quality(auto, economy.true_links)
    assert quality.precision >= 0.99, quality


def test_demo_recall_after_perfect_review(demo):
    economy, result, classified = demo
    links = simulate_perfect_review(classified, result.candidates, economy.true_links)
    assert linkage_quality(links, economy.true_links).recall >= 0.98


def test_demo_second_pass_learns_soft_seller_evidence(demo):
    """The seller-sector comparison is learned by EM: for firms whose name names another industry
    the seller's usual sector is evidence for and a rare one against, never a veto; for namesakes
    in the contract's own industry the sector follows from the name and weighs nothing."""
    _, result, _ = demo
    seller = result.parameters[result.parameters["comparison"] == "seller_sector"].set_index("gamma")["weight"]
    assert len(seller) == 6 and seller.abs().max() < 10
    assert seller[2] > 1 and seller[0] < -1                  # different industry word: usual sector / rarely
    assert (seller[[5, 4, 3]] == 0).all()                    # same industry word: no evidence by construction
    profiles = result.seller_profiles
    assert len(profiles) and profiles["seller_links"].min() >= 1
    assert np.allclose(profiles.groupby("contract_id")["share"].sum(), 1.0)
    shares = result.candidates["seller_sector_share"]
    assert shares.notna().mean() > 0.8 and shares.dropna().between(0, 1).all()


def test_demo_review_queue_share_target(demo):
    _, _, classified = demo
    assert (classified["outcome"] == "review").mean() <= 0.15


def test_demo_confusable_twins_are_not_merged(demo):
    """Contracts of a firm whose name has a near-twin in the balance sheets (same core name or one
    syllable apart) are never auto-linked to the twin."""
    from rapidfuzz.distance import DamerauLevenshtein

    economy, _, classified = demo
    profiles = firm_profiles(economy.tables["balance_sheets"])
    cores = profiles.set_index("firm_id")["name_variants"].map(lambda names: {core_firm_name(n) for n in names})
    by_core: dict[str, set[str]] = {}
    for firm, firm_cores in cores.items():
        for core in firm_cores:
            by_core.setdefault(core, set()).add(firm)

    def twins(firm: str) -> set[str]:
        near = {other for core in cores[firm] for key, firms in by_core.items()
                if DamerauLevenshtein.distance(core, key) <= 1 for other in firms}
        return near - {firm}

    auto = classified[classified["outcome"] == "auto"].merge(
        economy.true_links.rename(columns={"firm_id": "true_firm"}), on="contract_id")
    auto = auto[auto["true_firm"].notna()]
    with_twin = auto[auto["true_firm"].map(lambda f: bool(twins(f)))]
    assert len(with_twin) > 20                               # the demo has such firms
    merged = with_twin[with_twin["firm_id"] != with_twin["true_firm"]]
    assert len(merged) <= 0.01 * len(with_twin), merged


@pytest.fixture(scope="module")
def demo_with_attributes():
    """The demo's contracts carrying the sector and region of their firm (absent firms: unknown)."""
    from models.demo_economy import generate_demo_economy

    economy = generate_demo_economy()
    contracts = economy.tables["contracts"].copy()
    profiles = firm_profiles(economy.tables["balance_sheets"]).set_index("firm_id")
    firm = contracts["contract_id"].map(economy.true_links.set_index("contract_id")["firm_id"])
    contracts["sector"], contracts["region"] = firm.map(profiles["sector"]), firm.map(profiles["region"])
    settings = LinkageSettings()
    result = link_contracts(contracts, economy.tables["balance_sheets"], settings)
    classified = classify(result.candidates, result.contract_ids, settings.accept, settings.review, settings.min_margin)
    return economy, result, classified


def test_demo_with_sector_and_region_meets_all_three_targets(demo_with_attributes):
    """Sector and region separate twins of different sectors or plant regions."""
    economy, result, classified = demo_with_attributes
    assert set(result.parameters["comparison"]) >= {"sector", "region"}
    auto = classified.loc[classified["outcome"] == "auto", ["contract_id", "firm_id"]]
    assert linkage_quality(auto, economy.true_links).precision >= 0.99
    links = simulate_perfect_review(classified, result.candidates, economy.true_links)
    assert linkage_quality(links, economy.true_links).recall >= 0.98
    assert (classified["outcome"] == "review").mean() <= 0.15
