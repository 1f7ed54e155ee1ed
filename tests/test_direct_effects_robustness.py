"""Robustness panel (estimation/direct_effects/robustness.py and its service): one row per variant,
each equal to a separate run of that variant, unsupported variants keep their row with the reason,
and η from the average β of chosen rows."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from estimation.direct_effects import (DirectEffectsSpec, EstimationError, pooled_gain, robustness_variants,
                                       run_direct_effects, run_robustness)

SPEC = DirectEffectsSpec(eta_tau=2, bootstrap_reps=0)  # the standard demo identifies β_τ up to τ = 2


@pytest.fixture(scope="module")
def demo():
    from models.demo_economy import generate_demo_economy
    return generate_demo_economy()


@pytest.fixture(scope="module")
def panel(demo):
    t = demo.tables
    seen = []
    table = run_robustness(SPEC, t["balance_sheets"], t["contracts"], demo.true_links, t["credit"], t["trade_fairs"],
                           progress=lambda done, total, label: seen.append((done, total, label)))
    return table, seen


def test_variants_change_one_thing_at_a_time():
    variants = robustness_variants(DirectEffectsSpec(k=3))
    groups = [group for group, _, _ in variants]
    assert groups[0] == "base" and groups.count("winners per loser") == 4 and groups.count("controls") == 3
    assert sorted(spec.k for group, _, spec in variants if group == "winners per loser") == [1, 2, 4, 5]
    base = variants[0][2]
    for group, label, spec in variants[1:]:
        changed = {f.name for f in dataclasses.fields(spec) if getattr(spec, f.name) != getattr(base, f.name)}
        assert len(changed) == 1, (label, changed)
    assert all(spec.bootstrap_reps == 0 for _, _, spec in variants)


def test_each_row_equals_a_separate_run_of_its_variant(demo, panel):
    table, seen = panel
    assert len(table) == len(robustness_variants(SPEC)) == len(seen) and seen[0][:2] == (0, len(table))
    t = demo.tables
    for label in ("k = 1", "+ credit and trade fairs", "levels only (log assets, log fixed assets)"):
        variant = next(spec for _, name, spec in robustness_variants(SPEC) if name == label)
        alone = run_direct_effects(variant, t["balance_sheets"], t["contracts"], demo.true_links, t["credit"],
                                   t["trade_fairs"])
        row = table.set_index("variant").loc[label]
        coef = alone.fit.coefficient(2)
        assert row["beta"] == pytest.approx(coef["estimate"], rel=1e-12)
        assert row["se"] == pytest.approx(coef["se"], rel=1e-12)
        assert (row["matches"], row["N"]) == (alone.fit.n_matches, alone.fit.nobs)
        assert row["eta"] == pytest.approx(math.exp(coef["estimate"] / 4))
    k1, k3 = table.set_index("variant").loc["k = 1"], table[table["base"]].iloc[0]
    assert k1["firms"] < k3["firms"] and k1["N"] < k3["N"]  # fewer winners per loser
    # the controls change the estimate (they are in the regression), not the matched sample
    controls = table[table["group"] == "controls"]
    assert (controls["N"] == k3["N"]).all() and not np.allclose(controls["beta"], k3["beta"], rtol=1e-9)


def test_an_unsupported_variant_keeps_its_row_with_the_reason(demo):
    t = demo.tables
    table = run_robustness(SPEC, t["balance_sheets"], t["contracts"], demo.true_links, credit=None,
                           trade_fairs=t["trade_fairs"])
    credit = table.set_index("variant").loc["+ credit"]
    assert np.isnan(credit["beta"]) and "needs the credit table" in credit["note"]
    needs_credit = table["variant"].str.contains("credit")
    assert table.loc[needs_credit, "beta"].isna().all() and table.loc[~needs_credit, "beta"].notna().all()
    long_run = run_robustness(dataclasses.replace(SPEC, eta_tau=7), t["balance_sheets"], t["contracts"],
                              demo.true_links, t["credit"], t["trade_fairs"])
    assert long_run["beta"].isna().all() and long_run["note"].str.contains("β_7 is not identified").all()


def test_pooled_gain_averages_the_chosen_rows(panel):
    table, _ = panel
    chosen = ["k = 1", "k = 2", "+ credit"]
    rows = table.set_index("variant").loc[chosen]
    gain = pooled_gain(table, chosen, sigma=5.0)
    assert gain.beta_bar == pytest.approx(rows["beta"].mean())
    assert gain.eta == pytest.approx(math.exp(rows["beta"].mean() / 4))
    assert gain.se == pytest.approx(gain.eta * rows["se"].mean() / 4)
    assert "k = 2" in gain.source and "β_2" in gain.source
    with pytest.raises(EstimationError, match="not usable: no such row"):
        pooled_gain(table, ["no such row"], 5.0)
    with pytest.raises(EstimationError, match="at least one"):
        pooled_gain(table, [], 5.0)
    missing = table.assign(beta=np.where(table["variant"] == "k = 1", np.nan, table["beta"]))
    with pytest.raises(EstimationError, match="k = 1"):
        pooled_gain(missing, ["k = 1"], 5.0)


def test_service_stores_the_panel_and_the_pooled_gain_feeds_the_models(tmp_path):
    from workbench import direct_effects
    from workbench.services import audit_log, load_demo, open_database

    db = open_database(tmp_path / "demo.duckdb")
    load_demo(db, "tester")
    panel_id, table = direct_effects.run_robustness(db, SPEC, "tester", links="truth")
    stored = direct_effects.stored_estimates(db, direct_effects.ROBUSTNESS_KIND)
    assert stored.iloc[0]["estimate_id"] == panel_id
    assert len(stored.iloc[0]["result"]["rows"]) == len(table)
    assert stored.iloc[0]["provenance"]["links"]["source"] == "truth"
    chosen = table.loc[table["beta"].notna(), "variant"].head(3).tolist()
    gain_id, gain = direct_effects.store_pooled_gain(db, panel_id, chosen, "tester")
    latest = direct_effects.latest_direct_gain(db)
    assert latest.estimate_id == gain_id and latest.eta == pytest.approx(gain.eta)
    assert "average of β_2" in latest.note and latest.synthetic_demo and not latest.stale
    assert audit_log(db, limit=1).iloc[0]["action"] == "estimate"
    with pytest.raises(EstimationError, match="no stored robustness panel"):
        direct_effects.store_pooled_gain(db, panel_id + 100, chosen, "tester")
    pd.testing.assert_frame_equal(  # the stored rows round-trip
        pd.DataFrame(stored.iloc[0]["result"]["rows"])[["variant", "beta"]], table[["variant", "beta"]],
        check_dtype=False)
