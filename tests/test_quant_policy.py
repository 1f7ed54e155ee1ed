"""Section 6's policy experiments (models/quantitative/policy.py, docs/quantitative-policy.md): the uniform
optimal subsidy, randomized allocations, and the OLS/HC1 "what predicts a stronger push" table."""

from __future__ import annotations

import numpy as np
import pytest

from models import quantitative as qm
from models import simple_big_push as sbp
from models.quantitative import policy
from models.quantitative.counterfactuals import SubsidySchedule, counterfactual

NESTED = (5, 4.24, 1.1, 4.0, 10)   # three steady states (tests/test_quant_counterfactuals.py)


def _small(n=4, seed=1, fixed_adoption=0.5):
    spec = qm.random_spec(n, 2, seed=seed, fixed_adoption=fixed_adoption)
    return spec, qm.random_fundamentals(spec, seed=seed)


# ----------------------------------------------------------------------------- uniform optimum

def test_uniform_optimum_beats_the_grid_and_matches_a_fine_grid():
    spec, fund = _small()
    setting = policy.prepare(spec, fund)
    out = policy.uniform_optimum(spec, fund, s_max=0.5, grid=11, setting=setting)
    values = [row["welfare_pct"] for row in out.grid]
    assert [row["rate"] for row in out.grid] == pytest.approx(np.linspace(0, 0.5, 11).tolist())
    opt = out.welfare
    assert not opt.flat and opt.value >= max(values) - 1e-12     # the grid and both bounds (its ends)
    # brute force: every rate on a fine grid, each solved by counterfactual() itself
    fine = np.linspace(0.3, 0.5, 21)
    brute = [counterfactual(spec, fund, SubsidySchedule(float(s))).welfare.aggregate * 100 for s in fine]
    k = int(np.argmax(brute))
    assert opt.value >= max(brute) - 1e-9
    assert abs(opt.rate - fine[k]) <= fine[1] - fine[0]
    assert opt.at_bound is None if 0 < k < len(fine) - 1 else opt.at_bound == "upper"
    # the steady state does not depend on a temporary subsidy here: the GDP-share objective is flat
    assert out.gdp_share.flat and out.gdp_share.rate == 0.0
    assert max(abs(row["gdp_share_pp"]) for row in out.grid) < 1e-6


def test_uniform_grid_shows_the_welfare_jump_at_the_nested_threshold():
    simple = sbp.SimpleModelSpec(*NESTED)
    lam0 = 0.5 * sbp.steady_states(simple).unstable.share
    threshold = sbp.threshold_subsidy(simple, "input", lam0=lam0).rate
    spec = qm.nested_simple_spec(*NESTED)
    fund = qm.closed_fundamentals(spec)
    setting = policy.prepare(spec, fund, lam0=np.array([[lam0]]), max_periods=400, tol=1e-12)
    out = policy.uniform_optimum(spec, fund, periods=(1,), s_max=0.4, grid=21, setting=setting)
    rates = np.array([row["rate"] for row in out.grid])
    welfare = np.array([row["welfare_pct"] for row in out.grid])
    steps = np.diff(np.log1p(welfare / 100))                    # in log consumption equivalents
    k = int(np.argmax(steps))
    assert rates[k] < threshold < rates[k + 1]                  # the largest jump straddles the threshold
    assert steps[k] > 4 * np.delete(steps, k).max()
    # below the threshold the path returns to S^Pre (slowly); above it S^Ind is reached in a few periods
    assert out.grid[k]["periods"] > 3 * out.grid[k + 1]["periods"]
    assert out.welfare.value >= welfare.max()


# ----------------------------------------------------------------------------- randomized allocations

@pytest.fixture(scope="module")
def five():
    spec, fund = _small(n=5, seed=2, fixed_adoption=0.3)
    return spec, fund, policy.prepare(spec, fund)


def test_draws_are_reproducible_and_have_the_right_size(five):
    spec, fund, setting = five
    sched = SubsidySchedule(0.25, periods=(1, 2), regions=(0, 3))
    a = policy.randomized_allocations(spec, fund, sched, draws=8, seed=7, setting=setting)
    b = policy.randomized_allocations(spec, fund, sched, draws=8, seed=7, setting=setting)
    c = policy.draw_allocations(5, 2, 8, seed=8)
    assert np.array_equal(a.draws, b.draws) and a.rows == b.rows
    assert not np.array_equal(a.draws, c)
    assert a.draws.shape == (8, 2)
    assert all(len(set(d)) == 2 and all(0 <= r < 5 for r in d) for d in a.draws)
    assert all(row["regions"] == tuple(a.draws[row["draw"]]) for row in a.rows)
    big = policy.draw_allocations(30, 7, 50, seed=1)
    assert all(len(set(d)) == 7 for d in big) and len({tuple(d) for d in big}) > 40
    shared = policy.randomized_allocations(spec, fund, sched, draws=4, share=0.6, setting=setting)
    assert shared.draws.shape == (4, 3)


def test_two_workers_give_the_same_numbers_as_one(five):
    spec, fund, setting = five
    sched = SubsidySchedule(0.25, periods=(1, 2), regions=(0, 3))
    seen = []
    one = policy.randomized_allocations(spec, fund, sched, draws=6, seed=3, setting=setting, batch_size=2)
    two = policy.randomized_allocations(spec, fund, sched, draws=6, seed=3, setting=setting, workers=2,
                                        batch_size=2, progress=lambda f, m: seen.append(f))
    assert one.rows == two.rows
    np.testing.assert_equal(one.regression, two.regression)     # NaN-aware, otherwise exact
    assert sorted(seen) == seen and seen[-1] == 1.0 and len(seen) == 3


def test_a_draw_of_the_baseline_allocation_reproduces_counterfactual(five):
    spec, fund, setting = five
    # n_subsidized = N: every draw is the baseline allocation "every region"
    out = policy.randomized_allocations(spec, fund, SubsidySchedule(0.25, periods=(1, 2)), draws=1,
                                        n_subsidized=5, setting=setting)
    ref = {row["measure"]: row for row in counterfactual(spec, fund, SubsidySchedule(0.25)).steady_state_differences()}
    row = out.rows[0]
    assert row["population_share"] == pytest.approx(1.0, abs=1e-15)
    for name in ("gdp_share", "export_intensity", "employment_share"):
        assert abs(row[f"{name}_pp"] - ref[name]["difference_pp"]) < 1e-10
    assert abs(row["welfare_pct"] - ref["welfare"]["relative_pct"]) < 1e-10
    # and a subset allocation, through policy.run against counterfactual(), row by row of Panel A
    sched = SubsidySchedule(0.25, periods=(1, 2), regions=(1, 4))
    mine, theirs = policy.run(setting, sched).steady_state_differences(), counterfactual(spec, fund, sched)
    for a, b in zip(mine, theirs.steady_state_differences()):
        for key, value in a.items():
            if isinstance(value, float):
                assert abs(value - b[key]) < 1e-10, (a["measure"], key)


@pytest.mark.parametrize("regions", [(0, 2, 4, 6, 8, 10), (1, 5, 7)])
def test_runs_match_counterfactual_where_the_subsidy_changes_the_steady_state(regions):
    """δ = 3: several steady states; subsidising half the regions moves the economy to another one (a large
    Δ GDP share), three regions do not — both paths must match counterfactual() wherever they end."""
    spec = qm.random_spec(12, 2, seed=4, delta=3.0, fixed_adoption=1.0)
    fund = qm.random_fundamentals(spec, seed=4)
    sched = SubsidySchedule(0.1, periods=(1, 2), regions=regions)
    mine, theirs = policy.run(policy.prepare(spec, fund), sched), counterfactual(spec, fund, sched)
    assert np.max(np.abs(mine.baseline.steady - theirs.baseline.steady)) < 1e-9
    a, b = policy.outcomes(mine), {row["measure"]: row for row in theirs.steady_state_differences()}
    assert abs(a["gdp_share_pp"] - b["gdp_share"]["difference_pp"]) < 1e-10
    assert abs(a["welfare_pct"] - b["welfare"]["relative_pct"]) < 1e-10
    assert (abs(a["gdp_share_pp"]) > 1) == (len(regions) == 6)      # only the larger push changes the steady state


def test_characteristics_are_the_subsidised_regions_means(five):
    spec, fund, setting = five
    got = policy.characteristics(setting, (1, 3))
    a = spec.arrays()
    first = qm.solve_path(spec, [fund], np.zeros((5, 2))).equilibria[0]
    assert got["population_share"] == pytest.approx(a["labour"][[1, 3]].sum() / a["labour"].sum())
    assert got["port_distance"] == pytest.approx(a["d_port"][[1, 3], 0].mean())
    assert got["market_access"] == pytest.approx(first.agg.market_access[[1, 3], 0].mean(), rel=1e-8)
    assert got["lambda0"] == 0.0
    va = first.agg.sales - (1 - a["gamma_labour"])[None, :] * (first.agg.inputs + first.agg.adoption_spend)
    assert got["initial_gdp_share"] == pytest.approx(np.mean(va[[1, 3], 0] / va[[1, 3]].sum(axis=1)), rel=1e-8)


# ----------------------------------------------------------------------------- OLS with HC1 errors

def _hc1_by_loops(y, X):
    """An independent HC1: normal equations by Cholesky, the meat summed observation by observation."""
    n, k = X.shape
    L = np.linalg.cholesky(X.T @ X)
    beta = np.linalg.solve(L.T, np.linalg.solve(L, X.T @ y))
    e = y - X @ beta
    meat = np.zeros((k, k))
    for i in range(n):
        meat += e[i] ** 2 * np.outer(X[i], X[i])
    inv = np.linalg.solve(L.T, np.linalg.solve(L, np.eye(k)))
    cov = inv @ meat @ inv * n / (n - k)
    r2 = 1 - (e ** 2).sum() / ((y - y.mean()) ** 2).sum()
    return beta, np.sqrt(np.diag(cov)), r2


def test_ols_hc1_matches_an_independent_computation_and_statsmodels():
    rng = np.random.default_rng(0)
    rows = [{"a": rng.normal(), "b": rng.uniform(0, 5), "c": 3.0} for _ in range(60)]
    for row in rows:
        row["y"] = 1 + 2 * row["a"] - 0.5 * row["b"] + rng.normal() * (1 + abs(row["a"]))
    table = policy.ols_hc1_table(rows, ["y"], ["a", "b", "c"])
    raw = np.array([[r["a"], r["b"]] for r in rows])
    X = np.column_stack([np.ones(60), (raw - raw.mean(0)) / raw.std(0, ddof=1)])
    y = np.array([r["y"] for r in rows])
    beta, se, r2 = _hc1_by_loops(y, X)
    got = {row["term"]: row for row in table}
    assert list(got) == ["intercept", "a", "b", "c"] and got["c"]["coef"] is None     # constant: left out
    for i, term in enumerate(["intercept", "a", "b"]):
        assert abs(got[term]["coef"] - beta[i]) < 1e-8 and abs(got[term]["se"] - se[i]) < 1e-8
        assert got[term]["r2"] == pytest.approx(r2, abs=1e-12) and got[term]["n"] == 60
    try:
        import statsmodels.api as sm
    except ImportError:
        return
    fit = sm.OLS(y, X).fit(cov_type="HC1")
    assert np.allclose([got[t]["coef"] for t in ("intercept", "a", "b")], fit.params, atol=1e-8, rtol=0)
    assert np.allclose([got[t]["se"] for t in ("intercept", "a", "b")], fit.bse, atol=1e-8, rtol=0)
    assert np.allclose([got[t]["p"] for t in ("intercept", "a", "b")], fit.pvalues, atol=1e-8, rtol=0)
    assert abs(got["a"]["r2"] - fit.rsquared) < 1e-10


def test_the_draws_regression_table_is_the_ols_of_the_rows(five):
    spec, fund, setting = five
    out = policy.randomized_allocations(spec, fund, SubsidySchedule(0.25, periods=(1, 2), regions=(0, 3)),
                                        draws=12, seed=1, setting=setting)
    kept = [t for t in policy.CHARACTERISTICS if t != "lambda0"]        # λ_0 = 0 in every region
    raw = np.array([[row[t] for t in kept] for row in out.rows])
    X = np.column_stack([np.ones(12), (raw - raw.mean(0)) / raw.std(0, ddof=1)])
    for outcome in policy.OUTCOMES:
        y = np.array([row[outcome] for row in out.rows])
        beta, se, _ = _hc1_by_loops(y, X)
        got = [row for row in out.regression if row["outcome"] == outcome and row["coef"] is not None]
        assert [row["term"] for row in got] == ["intercept", *kept]
        assert np.allclose([row["coef"] for row in got], beta, atol=1e-8, rtol=1e-8)
        assert np.allclose([row["se"] for row in got], se, atol=1e-8, rtol=1e-8)


# ----------------------------------------------------------------------------- invalid inputs

def test_invalid_inputs_raise_in_words(five):
    spec, fund, setting = five
    sched = SubsidySchedule(0.2, regions=(0, 1))
    with pytest.raises(qm.ModelError, match="n_subsidized = 0"):
        policy.randomized_allocations(spec, fund, sched, draws=3, n_subsidized=0, setting=setting)
    with pytest.raises(qm.ModelError, match="n_subsidized = 6.*5 regions"):
        policy.randomized_allocations(spec, fund, sched, draws=3, n_subsidized=6, setting=setting)
    with pytest.raises(qm.ModelError, match="number of draws"):
        policy.randomized_allocations(spec, fund, sched, draws=0, setting=setting)
    with pytest.raises(qm.ModelError, match="share"):
        policy.randomized_allocations(spec, fund, sched, draws=3, share=1.5, setting=setting)
    with pytest.raises(qm.ModelError, match="every region"):
        policy.randomized_allocations(spec, fund, SubsidySchedule(0.2), draws=3, setting=setting)
    with pytest.raises(qm.ModelError, match="workers"):
        policy.randomized_allocations(spec, fund, sched, draws=3, workers=0, setting=setting)
    with pytest.raises(qm.ModelError, match="s_max"):
        policy.uniform_optimum(spec, fund, s_max=1.0, setting=setting)
    with pytest.raises(qm.ModelError, match="grid"):
        policy.uniform_optimum(spec, fund, grid=1, setting=setting)
    other, other_fund = _small(n=5, seed=9)
    with pytest.raises(qm.ModelError, match="another economy"):
        policy.randomized_allocations(other, other_fund, sched, draws=3, setting=setting)
    with pytest.raises(qm.ModelError, match="more observations"):
        policy.ols_hc1(np.ones(2), np.ones((2, 2)))
