"""The big push against no big push (models/quantitative/counterfactuals.py, docs/quantitative-model.md §13)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models import quantitative as qm
from models import simple_big_push as sbp
from models.quantitative.counterfactuals import (
    MEASURES,
    PAPER_DISCOUNT,
    SubsidySchedule,
    counterfactual,
    employment,
    welfare,
)

ROOT = Path(__file__).resolve().parents[1]
NESTED = (5, 4.24, 1.1, 4.0, 10)   # three steady states; from λ_0 = S^U/2 a one-period input subsidy suffices


def _random(seed=1, **overrides):
    spec = qm.random_spec(3, 2, seed=seed, **overrides)
    return spec, qm.random_fundamentals(spec, seed=seed)


def test_zero_subsidy_gives_identical_paths_and_zero_welfare():
    spec, fund = _random()
    r = counterfactual(spec, fund, SubsidySchedule(0.0))
    assert np.array_equal(r.baseline.shares, r.counterfactual.shares)
    for mb, mc in zip(r.baseline_measures, r.counterfactual_measures):
        for name in MEASURES:
            assert getattr(mb, name) == getattr(mc, name)
    assert np.all(r.welfare.by_region == 0) and r.welfare.aggregate == 0
    assert all(row["difference_pp"] == 0 for row in r.steady_state_differences() if row["measure"] != "welfare")


def test_welfare_of_identical_paths_is_zero_and_discounting():
    c = np.array([[1.0, 2.0], [1.5, 2.5], [1.7, 2.6]])
    w = welfare(c, c, [1.0, 3.0], PAPER_DISCOUNT)
    assert np.all(w.by_region == 0) and w.aggregate == 0 and w.discount_is_papers
    # a permanent 10 % higher real income in every period is a 10 % consumption equivalent, at any β
    for beta in (0.5, 0.85, 0.99):
        w = welfare(1.1 * c, c, [1.0, 3.0], beta)
        assert np.allclose(w.by_region, 0.1, atol=1e-12) and abs(w.aggregate - 0.1) < 1e-12
    # population weights: region 2 has three times the people
    w = welfare(c * np.array([1.2, 1.0]), c, [1.0, 3.0], 0.85)
    assert abs(w.aggregate - 0.2 / 4) < 1e-12


def test_delta_zero_temporary_subsidy_leaves_the_steady_state_unchanged():
    spec, fund = _random(delta=0.0, fixed_adoption=0.05)
    r = counterfactual(spec, fund, SubsidySchedule(0.3, periods=(1, 2)))
    assert np.max(np.abs(r.baseline.shares[1] - r.counterfactual.shares[1])) > 1e-3   # the subsidy did bite
    assert np.max(np.abs(r.baseline.steady - r.counterfactual.steady)) < 1e-9
    for row in r.steady_state_differences()[:-1]:
        assert abs(row["difference_pp"]) < 1e-6


@pytest.mark.parametrize("factor, lands_high", [(0.97, False), (1.03, True)])
def test_nested_temporary_subsidy_moves_to_high_state_exactly_when_the_simple_model_says(factor, lands_high):
    """§8 nesting: the quantitative input subsidy is the simple model's input subsidy; a one-period subsidy
    above the simple model's threshold (Proposition 2(i)) ends at S^Ind, below it back at S^Pre."""
    simple = sbp.SimpleModelSpec(*NESTED)
    states = [s.share for s in sbp.steady_states(simple).states]
    lam0 = 0.5 * sbp.steady_states(simple).unstable.share
    threshold = sbp.threshold_subsidy(simple, "input", lam0=lam0).rate
    assert threshold is not None and 0 < threshold < 1
    spec = qm.nested_simple_spec(*NESTED)
    r = counterfactual(spec, qm.closed_fundamentals(spec), SubsidySchedule(factor * threshold, periods=(1,)),
                       lam0=np.array([[lam0]]), max_periods=400, tol=1e-12)
    assert abs(r.counterfactual.steady[0, 0] - states[0]) < 1e-8
    assert abs(r.baseline.steady[0, 0] - (states[2] if lands_high else states[0])) < 1e-8
    # the subsidised period itself is the simple model's λ_1
    ref = sbp.static_share(simple, lam0, sbp.Subsidy("input", factor * threshold))
    assert abs(r.baseline.shares[1, 0, 0] - ref) < 1e-8
    if lands_high:
        assert r.welfare.aggregate > 0


def test_measures_are_shares_and_employment_adds_up():
    spec, fund = _random(seed=2, fixed_adoption=0.05)
    r = counterfactual(spec, fund, SubsidySchedule(0.25, periods=(1, 2), regions=(0, 2)))
    labour = spec.arrays()["labour"]
    for series, path in ((r.baseline_measures, r.baseline), (r.counterfactual_measures, r.counterfactual)):
        for m in series:
            for name in MEASURES:
                assert 0 <= getattr(m, name) <= 1
                assert np.all((getattr(m, f"region_{name}") >= 0) & (getattr(m, f"region_{name}") <= 1))
            assert abs(m.sector_employment_share.sum() - 1) < 1e-12
            assert np.allclose(m.employment.sum(axis=1), labour, rtol=1e-9)
            assert np.all(m.value_added > 0) and np.all(m.real_income > 0)
        eq = path.equilibria[0]
        assert np.allclose(employment(spec, eq).sum(axis=1), labour, rtol=1e-9)
    # the subsidy reached only regions 0 and 2 of the heavy sector in periods 1–2
    sub = r.baseline.equilibria[0].agg.subsidies
    assert sub[0, 0] > 0 and sub[2, 0] > 0 and sub[1, 0] == 0 and np.all(sub[:, 1] == 0)
    assert np.all(r.baseline.equilibria[2].agg.subsidies == 0)
    rows = r.time_paths(regional=True)
    assert {row["scenario"] for row in rows} == {"baseline", "counterfactual"}
    assert len(rows) == 2 * r.horizon * len(MEASURES) * (1 + spec.n_regions)


def test_invalid_schedules_raise_in_words():
    spec, fund = _random()
    with pytest.raises(qm.ModelError, match="rate"):
        SubsidySchedule(1.0)
    with pytest.raises(qm.ModelError, match="periods"):
        SubsidySchedule(0.1, periods=(0,))
    with pytest.raises(qm.ModelError, match="outside"):
        counterfactual(spec, fund, SubsidySchedule(0.1, regions=(7,)))
    with pytest.raises(qm.ModelError, match="discount"):
        counterfactual(spec, fund, SubsidySchedule(0.1), discount=1.0)


def test_cli_quant_counterfactual_json_and_not_calibrated():
    done = subprocess.run([sys.executable, "-m", "workbench", "quant", "counterfactual", "--example", "random",
                           "--regions", "2", "--sectors", "2", "--seed", "3", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["calibrated"] is False and "not calibrated" in out["note"].lower()
    assert {row["measure"] for row in out["steady_state_differences"]} == set(MEASURES) | {"welfare"}
    assert out["welfare"]["discount"] == PAPER_DISCOUNT
    text = subprocess.run([sys.executable, "-m", "workbench", "quant", "solve", "--example", "nested"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert text.returncode == 0, text.stderr
    assert "not calibrated" in text.stdout.lower()
