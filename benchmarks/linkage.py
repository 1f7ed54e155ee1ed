"""Linkage at scale: 20,000 contracts against ~100,000 firm-years (~13,000 firms).

Run: ``.venv/bin/python -m benchmarks.linkage``. Builds the demo economy with 13,000 firms
(≈ 100,000 printed firm-years) and contract rates raised until it has at least 20,000
contracts, keeps a seeded sample of exactly 20,000, runs ``link_contracts`` with the default
settings and prints wall time, peak memory (ru_maxrss of this process, which also holds the
generated economy) and the quality figures against the demo's true links.

``--demo [SEED ...]`` instead reports on the default-size demo economy (the figures of
docs/linkage.md): pair completeness of each blocking rule, outcome shares, precision and
recall, and the seller profiles of the second pass.
``--without-seller`` runs either report with the first pass only (``seller_evidence=False``).
"""

from __future__ import annotations

import dataclasses
import resource
import sys
import time

import numpy as np
import pandas as pd

from estimation.linkage import (LinkageSettings, classify, link_contracts, linkage_quality,
                                simulate_perfect_review)
from estimation.linkage import records
from estimation.linkage.model import BLOCKING_KEYS
from models.demo_economy import DemoSettings, generate_demo_economy

N_CONTRACTS = 20_000
N_FIRMS = 13_000
BUDGET_SECONDS, BUDGET_GB = 60.0, 4.0


def large_economy(n_contracts: int = N_CONTRACTS, n_firms: int = N_FIRMS, seed: int = 7):
    """(contracts, balance_sheets, true_links): contract rates ×k (k = 4, 6, 8 …) until the demo
    has ≥ n_contracts, then a seeded sample of n_contracts of them."""
    base = DemoSettings(n_firms=n_firms, seed=seed)
    for factor in range(4, 40, 2):
        settings = dataclasses.replace(
            base, base_contract_rate=base.base_contract_rate * factor,
            heavy_contract_premium=base.heavy_contract_premium * factor,
            heavy_subsidy=base.heavy_subsidy * factor, extra_contract_rate=max(base.extra_contract_rate, 0.5))
        economy = generate_demo_economy(settings)
        contracts = economy.tables["contracts"]
        if len(contracts) >= n_contracts:
            keep = np.sort(np.random.default_rng(seed).choice(len(contracts), n_contracts, replace=False))
            contracts = contracts.iloc[keep].reset_index(drop=True)
            truth = economy.true_links[economy.true_links["contract_id"].isin(contracts["contract_id"])]
            return contracts, economy.tables["balance_sheets"], truth.reset_index(drop=True)
    raise RuntimeError("the demo economy does not reach the contract count; raise the factors")


def blocking_completeness(contracts, balance_sheets, truth, settings: LinkageSettings) -> pd.DataFrame:
    """Per blocking rule and for their union: pairs generated and pair completeness (share of
    contracts with a true firm whose true firm is among the pairs)."""
    firms = records.firm_records(records.firm_profiles(balance_sheets), settings)
    rows = records.contract_records(contracts).merge(
        truth.rename(columns={"contract_id": "unique_id", "firm_id": "true_firm"}), on="unique_id")
    found, out = set(), []
    for key in BLOCKING_KEYS:
        pairs = rows.dropna(subset=[key]).merge(firms.dropna(subset=[key]), on=key, suffixes=("", "_f"))
        pairs = pairs[(pairs["window_lo"] <= pairs["window_hi_f"]) & (pairs["window_lo_f"] <= pairs["window_hi"])]
        hits = set(pairs.loc[pairs["true_firm"] == pairs["firm_id_f"], "unique_id"])
        found |= hits
        out.append((key, len(pairs), len(hits)))
    linkable = truth["firm_id"].notna().sum()
    table = pd.DataFrame(out + [("union", np.nan, len(found))], columns=["rule", "pairs", "true_pairs_found"])
    return table.assign(pair_completeness=table["true_pairs_found"] / linkable)


def demo_report(seeds: list[int], settings: LinkageSettings = LinkageSettings()) -> None:
    """Quality figures on the default-size demo economy, one line per seed."""
    for seed in seeds:
        economy = generate_demo_economy(DemoSettings(seed=seed))
        contracts, balance_sheets, truth = (economy.tables["contracts"], economy.tables["balance_sheets"],
                                            economy.true_links)
        result = link_contracts(contracts, balance_sheets, settings)
        classified = classify(result.candidates, result.contract_ids, settings.accept, settings.review,
                              settings.min_margin)
        auto = linkage_quality(classified.loc[classified["outcome"] == "auto", ["contract_id", "firm_id"]], truth)
        reviewed = linkage_quality(simulate_perfect_review(classified, result.candidates, truth), truth)
        shares = classified["outcome"].value_counts(normalize=True)
        print(f"seed {seed}: {len(contracts)} contracts, {balance_sheets['firm_id'].nunique()} firms, "
              f"{result.blocked_pairs:,} blocked pairs")
        print(blocking_completeness(contracts, balance_sheets, truth, settings).to_string(index=False))
        print(f"  auto {shares.get('auto', 0):.1%} (precision {auto.precision:.4f}, {auto.false_links} wrong), "
              f"review {shares.get('review', 0):.1%}, none {shares.get('none', 0):.1%}; "
              f"recall after perfect review {reviewed.recall:.4f}")
        profiles = result.seller_profiles
        if profiles is not None and len(profiles):
            seller = result.parameters[result.parameters["comparison"] == "seller_sector"]
            print(f"  second pass: {profiles['contract_id'].nunique()} contracts with a seller profile "
                  f"(median {profiles.groupby('contract_id')['seller_links'].first().median():.0f} other confident "
                  "links of their seller); seller weights " + ", ".join(f"{w:+.1f}" for w in seller["weight"]))


def main(settings: LinkageSettings = LinkageSettings()) -> int:
    contracts, balance_sheets, truth = large_economy()
    print(f"contracts {len(contracts):,}; firm-years {len(balance_sheets):,}; "
          f"firms {balance_sheets['firm_id'].nunique():,}; "
          f"contracts of absent firms {truth['firm_id'].isna().mean():.1%}")
    start = time.perf_counter()
    result = link_contracts(contracts, balance_sheets, settings)
    seconds = time.perf_counter() - start
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"link_contracts: {seconds:.1f} s wall, peak RSS {peak_gb:.2f} GB (whole process), "
          f"{result.blocked_pairs:,} blocked pairs, {len(result.candidates):,} candidates")
    classified = classify(result.candidates, result.contract_ids, settings.accept, settings.review, settings.min_margin)
    auto = classified.loc[classified["outcome"] == "auto", ["contract_id", "firm_id"]]
    auto_quality = linkage_quality(auto, truth)
    reviewed = linkage_quality(simulate_perfect_review(classified, result.candidates, truth), truth)
    offered = set(zip(result.candidates["contract_id"], result.candidates["firm_id"]))
    linkable = truth.dropna(subset=["firm_id"])
    completeness = np.mean([pair in offered for pair in zip(linkable["contract_id"], linkable["firm_id"])])
    shares = classified["outcome"].value_counts(normalize=True)
    print(f"outcomes: auto {shares.get('auto', 0):.1%}, review {shares.get('review', 0):.1%}, "
          f"none {shares.get('none', 0):.1%}")
    print(f"auto precision {auto_quality.precision:.4f} ({auto_quality.false_links} wrong of {auto_quality.n_linked}); "
          f"recall after perfect review {reviewed.recall:.4f}; true firm among candidates {completeness:.4f}")
    ok = seconds < BUDGET_SECONDS and peak_gb < BUDGET_GB
    print(f"budget (< {BUDGET_SECONDS:.0f} s, < {BUDGET_GB:.0f} GB): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    chosen = LinkageSettings(seller_evidence="--without-seller" not in sys.argv)
    if "--demo" in sys.argv:
        seeds = [int(a) for a in sys.argv[sys.argv.index("--demo") + 1:] if not a.startswith("--")]
        demo_report(seeds or [DemoSettings().seed], chosen)
        sys.exit(0)
    sys.exit(main(chosen))
