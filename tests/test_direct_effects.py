"""Direct effects (estimation/direct_effects): parity of the two-way clustered FE path, matching,
stacking, the demo economy's truth, and the bad-input messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from estimation.direct_effects import (DirectEffectsSpec, EstimationError, NotApplicable, TestStatistic,
                                       direct_gain, feols_twoway, fit_event_study, match_losers,
                                       run_direct_effects, sample_sizes, stack_by_event, wild_bootstrap)
from estimation.direct_effects.event_study import event_term


# ---------------------------------------------------------------- parity: independent numpy CRV1 (CGM 2011)

def _dummies(codes: pd.Series, drop_first: bool) -> np.ndarray:
    return pd.get_dummies(codes.astype(str), drop_first=drop_first, dtype=float).to_numpy()


def numpy_twoway(y, x, fe1, fe2, cl1, cl2, k_fe_counted: int):
    """OLS with both sets of fixed effects as dummies, then the Cameron–Gelbach–Miller two-way
    CRV1 vcov c·(V_1 + V_2 − V_12), c = (N−1)/(N−K) · G/(G−1), G = min(G_1, G_2) (fixest's default
    ssc: adj = TRUE, fixef.K = "nested", cluster.adj = TRUE, cluster.df = "min"), K = slopes +
    k_fe_counted."""
    design = np.column_stack([x, _dummies(fe1, False), _dummies(fe2, True)])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ beta
    bread = np.linalg.pinv(design.T @ design)
    def meat(groups):
        scores = pd.DataFrame(design * resid[:, None]).groupby(np.asarray(groups)).sum().to_numpy()
        return scores.T @ scores
    inter = pd.Series(cl1).astype(str).to_numpy() + "|" + pd.Series(cl2).astype(str).to_numpy()
    raw = bread @ (meat(cl1) + meat(cl2) - meat(inter)) @ bread
    n, k = len(y), x.shape[1]
    g = min(pd.Series(cl1).nunique(), pd.Series(cl2).nunique())
    factor = (n - 1) / (n - (k + k_fe_counted)) * g / (g - 1)
    slopes = slice(0, k)
    return beta[slopes], np.sqrt(np.diag(raw[slopes, slopes] * factor)), factor


def test_twoway_clustered_fe_matches_independent_numpy_on_wage_panel():
    from linearmodels.datasets import wage_panel
    data = wage_panel.load()
    xs = ["union", "married", "expersq", "hours"]
    fit = feols_twoway(data, "lwage", xs, fixed_effects=("nr", "year"), cluster=("nr", "year"))
    # both fixed effects are nested in a cluster variable (nr in nr, year in year): K = slopes + 1
    beta, se, _ = numpy_twoway(data["lwage"].to_numpy(float), data[xs].to_numpy(float), data["nr"], data["year"],
                               data["nr"], data["year"], k_fe_counted=1)
    np.testing.assert_allclose(fit.coef().to_numpy(), beta, rtol=1e-7)
    np.testing.assert_allclose(fit.se().to_numpy(), se, rtol=1e-6)  # demeaning converges to ~1e-8
    # the tolerance catches a degrees-of-freedom slip of a single parameter (≈1e-4 relative in se)
    _, se_off_by_one, _ = numpy_twoway(data["lwage"].to_numpy(float), data[xs].to_numpy(float), data["nr"],
                                       data["year"], data["nr"], data["year"], k_fe_counted=2)
    assert np.all(np.abs(se_off_by_one / se - 1) > 1e-5)
    assert np.abs(fit.se().to_numpy() / se_off_by_one - 1).min() > 1e-5  # 100× the tolerance


@pytest.fixture(scope="module")
def demo():
    from models.demo_economy import generate_demo_economy
    return generate_demo_economy()


@pytest.fixture(scope="module")
def demo_result(demo):
    t = demo.tables
    return run_direct_effects(DirectEffectsSpec(bootstrap_reps=0), t["balance_sheets"], t["contracts"],
                              demo.true_links, t["credit"], t["trade_fairs"])


def test_event_study_path_matches_numpy_on_the_demo_stack(demo_result):
    fit = demo_result.fit
    sample = fit.sample
    terms = [event_term(int(t)) for t in fit.coefficients.loc[~fit.coefficients["reference"], "event_time"]]
    beta, se, _ = numpy_twoway(sample["_y"].to_numpy(float), sample[terms].to_numpy(float), sample["mf"],
                               sample["my"], sample["match"], sample["firm"], k_fe_counted=1)
    coef = fit.coefficients.set_index("term").loc[terms]
    np.testing.assert_allclose(coef["estimate"].to_numpy(), beta, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(coef["se"].to_numpy(), se, rtol=1e-6)


# ---------------------------------------------------------------- matching on a hand-made example

def _hand_covariates():
    rows = [  # firm, role, year, region, sector, v1, v2
        ("L1", "loser", 1975, "R1", "S1", 0.0, 0.0), ("L2", "loser", 1975, "R1", "S1", 1.0, 0.0),
        ("L3", "loser", 1976, "R1", "S1", 5.0, 5.0), ("L4", "loser", 1975, "R2", "S1", 0.0, 1.0),
        ("L5", "loser", 1975, "R1", "S1", np.nan, 0.0),
        ("W1", "winner", 1975, "R1", "S1", 0.1, 0.0), ("W2", "winner", 1975, "R1", "S1", 2.0, 1.0),
        ("W3", "winner", 1975, "R1", "S1", 0.0, 3.0), ("W4", "winner", 1975, "R1", "S1", 1.0, 0.2),
        ("W5", "winner", 1975, "R2", "S2", 3.0, 3.0)]
    cov = pd.DataFrame(rows, columns=["firm_id", "role", "event_year", "region", "sector", "v1", "v2"])
    events = cov[["firm_id", "role", "event_year"]].copy()
    events["loser_type"] = np.where(cov["role"] == "loser", "never", None)
    events["adoption_year"] = pd.array([pd.NA] * 5 + [1975] * 5, dtype="Int64")
    return cov, events


def _by_hand_distances(cov, loser, winners):
    x = cov.dropna(subset=["v1", "v2"])[["v1", "v2"]].to_numpy()
    mean = x.mean(axis=0)
    s = (x - mean).T @ (x - mean) / (len(x) - 1)
    inv = np.linalg.inv(s)
    at = cov.set_index("firm_id")[["v1", "v2"]]
    return {w: float(np.sqrt((at.loc[w] - at.loc[loser]) @ inv @ (at.loc[w] - at.loc[loser]))) for w in winners}


def test_matching_with_replacement_exact_keys_same_year_and_reasons():
    cov, events = _hand_covariates()
    result = match_losers(cov, events, k=2, keys=("region", "sector"), variables=["v1", "v2"])
    got = result.matches
    for loser in ("L1", "L2"):
        expected = _by_hand_distances(cov, loser, ["W1", "W2", "W3", "W4"])
        best = sorted(expected, key=lambda w: (expected[w], w))[:2]
        match_id = got.loc[(got["firm_id"] == loser) & (got["role"] == "loser"), "match_id"].item()
        winners = got.loc[(got["match_id"] == match_id) & (got["role"] == "winner")]
        assert winners["firm_id"].tolist() == best
        np.testing.assert_allclose(winners["distance"].to_numpy(), [expected[w] for w in best], rtol=1e-12)
    assert got.loc[got["role"] == "winner", "firm_id"].tolist() == ["W1", "W4", "W4", "W2"]  # Mahalanobis, not Euclidean, order
    assert set(got["firm_id"]) == {"L1", "L2", "W1", "W2", "W4"}  # W5 (other cell) never used
    reasons = result.unmatched.set_index("firm_id")["reason"]
    assert reasons["L3"] == "no winner adopted in 1976"
    assert reasons["L4"] == "no winner in the same region and sector (R2, S1) adopted in 1975"
    assert reasons["L5"].startswith("missing pre-event covariates (v1; measured in 1974")


def test_matching_without_replacement_serves_losers_in_order():
    cov, events = _hand_covariates()
    got = match_losers(cov, events, k=2, keys=("region", "sector"), variables=["v1", "v2"],
                       with_replacement=False).matches
    assert got.loc[got["match_id"] == "M001", "firm_id"].tolist() == ["L1", "W1", "W4"]
    expected = _by_hand_distances(cov, "L2", ["W2", "W3"])
    assert got.loc[got["match_id"] == "M002", "firm_id"].tolist() == ["L2", *sorted(expected, key=expected.get)]
    assert got.groupby("firm_id").size().max() == 1


def test_exact_keys_can_be_relaxed():
    cov, events = _hand_covariates()
    got = match_losers(cov, events, k=1, keys=("sector",), variables=["v1", "v2"]).matches
    assert "L4" in set(got["firm_id"])  # sector S1 only: W1…W4 now qualify for L4


# ---------------------------------------------------------------- stacking on a hand-made example

def test_stacking_event_time_window_and_drop_after_delayed_loser_adopts():
    matches = pd.DataFrame({
        "match_id": ["M1", "M1", "M2", "M2"], "firm_id": ["A", "B", "C", "B"],
        "role": ["loser", "winner", "loser", "winner"], "event_year": [1975, 1975, 1976, 1976],
        "loser_adoption_year": pd.array([1978, 1978, pd.NA, pd.NA], dtype="Int64")})
    firm_years = pd.DataFrame([(f, y, float(y)) for f in "ABC" for y in range(1970, 1986)],
                              columns=["firm_id", "year", "y"])
    stacked = stack_by_event(matches, firm_years, window=(-2, 3))
    m1 = stacked.loc[stacked["match_id"] == "M1"]
    assert sorted(m1["year"].unique()) == [1973, 1974, 1975, 1976, 1977]  # 1978 on dropped: A adopts
    assert m1.groupby("firm_id").size().to_dict() == {"A": 5, "B": 5}
    m2 = stacked.loc[stacked["match_id"] == "M2"]
    assert sorted(m2["event_time"].unique()) == [-2, -1, 0, 1, 2, 3]
    assert m2["year"].min() == 1974 and m2["year"].max() == 1979
    assert len(stacked) == 22
    assert (stacked["event_time"] == stacked["year"] - stacked["event_year"]).all()
    assert stacked.loc[stacked["firm_id"] == "B", "winner"].eq(1).all()
    sizes = sample_sizes(stacked, (-2, 3)).set_index("event_time")
    assert sizes["rows"].tolist() == [4, 4, 4, 4, 4, 2]
    assert sizes.loc[3, "matches"] == 1 and sizes.loc[3, "comparisons"] == 1
    kept = stack_by_event(matches, firm_years, window=(-2, 3), drop_after_loser_adopts=False)
    assert len(kept) == 24


# ---------------------------------------------------------------- the demo economy

def test_standard_demo_has_too_few_long_run_comparisons_for_beta7(demo_result):
    r = demo_result
    assert (r.counts.losers, r.counts.delayed_adopters, r.counts.never_adopters) == (32, 20, 12)
    assert r.fit.n_matches == 7
    assert isinstance(r.gain, NotApplicable)  # no match observes winner and loser at τ = 7
    assert isinstance(r.fit.pretrend, TestStatistic) and r.fit.pretrend.p_value > 0.05
    assert r.sample_sizes.set_index("event_time").loc[7, "comparisons"] == 0


@pytest.fixture(scope="module")
def enlarged_demos():
    """Six seeds of the demo DGP at 6,000 firms (the paper's archive has 6,230) with balance sheets to
    1990, so that matches of the 1973–79 events are observed seven years on. The standard demo
    (1,500 firms to 1982) has no comparison at τ = 7 (test above)."""
    from models.demo_economy import DemoSettings, generate_demo_economy
    out = []
    for seed in range(6):
        eco = generate_demo_economy(DemoSettings(n_firms=6000, last_year=1990, seed=seed))
        t = eco.tables
        truth = eco.true_parameters.set_index("parameter")["value"]["direct_effect_log_sales_tau7"]
        out.append((truth, run_direct_effects(DirectEffectsSpec(bootstrap_reps=0), t["balance_sheets"],
                                              t["contracts"], eco.true_links)))
    return out


def test_enlarged_demo_recovers_the_long_run_effect_without_pretrend(enlarged_demos):
    """β_7 within two SEs of the true (σ−1)·ln η in at least five of six seeds (95 % intervals; few
    matches reach τ = 7, so clustered SEs are rough), their mean within two SEs of the mean, and no
    pre-trend at the 5 % level in any seed."""
    truth = enlarged_demos[0][0]
    b7 = pd.DataFrame([result.fit.coefficient(7)[["estimate", "se"]] for _, result in enlarged_demos])
    assert ((b7["estimate"] - truth).abs() < 2 * b7["se"]).sum() >= 5, b7
    assert abs(b7["estimate"].mean() - truth) < 2 * b7["estimate"].std() / np.sqrt(len(b7))
    assert all(result.fit.pretrend.p_value > 0.05 for _, result in enlarged_demos)
    assert all(result.fit.n_matches > 50 for _, result in enlarged_demos)
    result = enlarged_demos[3][1]
    assert result.gain.eta == pytest.approx(np.exp(result.fit.coefficient(7)["estimate"] / 4))
    boot = wild_bootstrap(result.fit, [7], reps=199)
    assert 0 <= boot["p_bootstrap"].item() <= 1


def test_wild_bootstrap_t_agrees_with_analytic_t_up_to_the_k_factor(demo_result):
    boot = wild_bootstrap(demo_result.fit, [0, 1, 2], reps=999)
    analytic = demo_result.fit.coefficients.set_index("event_time").loc[[0, 1, 2], "t"].to_numpy()
    np.testing.assert_allclose(boot["t"].to_numpy(), analytic, rtol=0.02)
    assert boot["p_bootstrap"].between(0, 1).all()


def test_direct_gain():
    gain = direct_gain([0.48], [0.1], sigma=5)
    assert gain.eta == pytest.approx(np.exp(0.12)) and gain.se == pytest.approx(np.exp(0.12) * 0.025)
    assert direct_gain([0.4, 0.6], [0.1, 0.2]).beta_bar == pytest.approx(0.5)


# ---------------------------------------------------------------- bad input

def _tables(n_cells=3, losers_per_cell=1, winners_per_cell=2, years=range(1970, 1986), event=1976, seed=0,
            loser_region=None):
    """A tiny economy: each cell has losers (foreign-canceled in ``event``) and winners (completed in ``event``)."""
    rng = np.random.default_rng(seed)
    sheets, contracts, links = [], [], []
    for cell in range(n_cells):
        for j in range(losers_per_cell + winners_per_cell):
            firm = f"F{cell}{j}"
            loser = j < losers_per_cell
            region = (loser_region or f"R{cell}") if loser else f"R{cell}"
            scale = rng.normal(10, 1)
            for y in years:
                a = np.exp(scale + 0.05 * (y - 1970) + rng.normal(0, 0.05))
                sheets.append({"firm_id": firm, "firm_name": firm, "year": y, "sector": "S1", "region": region,
                               "sales": a * (1.5 if not loser and y >= event else 1.0) * np.exp(rng.normal(0, 0.1)),
                               "assets": a, "fixed_assets": a * rng.uniform(0.3, 0.6)})
            cid = f"C{cell}{j}"
            contracts.append({"contract_id": cid, "firm_name": firm, "year": event,
                              "status": "canceled" if loser else "completed",
                              "canceled_by": "foreign" if loser else None, "cancel_year": event if loser else None})
            links.append({"contract_id": cid, "firm_id": firm})
    return pd.DataFrame(sheets), pd.DataFrame(contracts), pd.DataFrame(links)


def test_tiny_economy_runs():
    sheets, contracts, links = _tables()
    r = run_direct_effects(DirectEffectsSpec(bootstrap_reps=0), sheets, contracts, links)
    assert r.fit.n_matches == 3 and r.fit.coefficient(7)["estimate"] == pytest.approx(np.log(1.5), abs=0.2)


def _error(*args, spec=DirectEffectsSpec(bootstrap_reps=0)) -> EstimationError:
    with pytest.raises(EstimationError) as info:
        run_direct_effects(spec, *args)
    return info.value


def test_no_losers():
    sheets, contracts, links = _tables()
    contracts["status"], contracts["canceled_by"] = "completed", None
    error = _error(sheets, contracts, links)
    assert error.code == "no_losers" and str(error).startswith("No losers: no linked firm")


def test_domestic_cancellations_are_not_losers():
    sheets, contracts, links = _tables()
    contracts["canceled_by"] = contracts["canceled_by"].replace({"foreign": "domestic"})
    assert _error(sheets, contracts, links).code == "no_losers"


def test_no_matchable_winners():
    sheets, contracts, links = _tables(loser_region="R9")
    error = _error(sheets, contracts, links)
    assert error.code == "no_matches"
    assert "None of the 3 losers found a matching winner (3× no winner in the same region and sector" in str(error)


def test_single_match():
    sheets, contracts, links = _tables(n_cells=1)
    error = _error(sheets, contracts, links, spec=DirectEffectsSpec(bootstrap_reps=0, matching_variables=("log_assets",)))
    assert error.code == "single_match" and "at least two matches" in str(error)


def test_singleton_fixed_effects():
    stacked = pd.DataFrame({"match_id": ["M1", "M1", "M2", "M2"], "firm_id": ["A", "B", "C", "D"],
                            "year": [1975, 1976, 1975, 1976], "event_time": [0, 1, 0, 1], "winner": [0, 1, 0, 1],
                            "y": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(EstimationError) as info:
        fit_event_study(stacked, "y")
    assert info.value.code == "singleton_fe" and "single observation" in str(info.value)


def test_all_missing_outcome():
    sheets, contracts, links = _tables()
    sheets["exports"] = np.nan
    error = _error(sheets, contracts, links, spec=DirectEffectsSpec(bootstrap_reps=0, outcome="exports"))
    assert error.code == "missing_outcome" and "missing for every firm-year" in str(error)


def test_unknown_outcome_and_bad_settings():
    sheets, contracts, links = _tables()
    assert _error(sheets, contracts, links, spec=DirectEffectsSpec(outcome="nope")).code == "missing_outcome"
    with pytest.raises(EstimationError, match="reference period 3 is outside"):
        DirectEffectsSpec(window=(-2, 2), reference=3, eta_tau=1)
    with pytest.raises(EstimationError, match="σ must exceed 1"):
        DirectEffectsSpec(sigma=1.0)


def test_bootstrap_p_counts_ties_whatever_the_rounding():
    from estimation.direct_effects.event_study import two_tailed_p

    t = 2.0
    boots = np.array([2.0 * (1 + 1e-13), -2.0 * (1 - 1e-13), 0.5, -3.0, 1.0])
    assert two_tailed_p(t, boots) == pytest.approx(3 / 5)  # both near-ties and -3.0 count
    assert two_tailed_p(-t, boots) == two_tailed_p(t, boots)
