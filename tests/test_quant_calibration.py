"""Calibration of the quantitative model by the method of moments (models/quantitative/calibration.py,
docs/quantitative-calibration.md)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy import linalg

from models import quantitative as qm
from models.quantitative import calibration as cb
from models.quantitative.counterfactuals import value_added

N, J, LIGHT, RATE = 6, 4, 1, 0.15
TRUE = {"fixed_adoption": 0.5, "fixed_export_light": 3.0, "fixed_export_heavy": 3.0, "kappa": 2.0,
        "tau_bar_heavy": 0.2, "subsidy_rate": RATE}
PERTURB = {"fixed_adoption": 0.7, "fixed_export_light": 1.3, "fixed_export_heavy": 0.7, "kappa": 1.3,
           "tau_bar_heavy": 0.7, "subsidy_rate": 1.3}      # ±30 % (κ: κ − 1)


def _economy(common_foreign_price: bool = True):
    """A random 6 × 4 economy (heavy = sector 0, light = 1), three periods of fundamentals with one Foreign price
    level per period, subsidies in the even regions in periods 2 and 3, λ_0 = 0.05 in heavy."""
    spec = qm.random_spec(N, J, seed=0, fixed_adoption=TRUE["fixed_adoption"], kappa=TRUE["kappa"],
                          fixed_export=np.full(J, TRUE["fixed_export_light"]))
    funds = []
    for t in range(3):
        f = qm.random_fundamentals(spec, seed=t)
        funds.append(replace(f, foreign_price=(f.foreign_price[0],) * J) if common_foreign_price else f)
    lam0 = np.zeros((N, J))
    lam0[:, 0] = 0.05
    return spec, funds, lam0


def _start():
    out = {k: v * PERTURB[k] for k, v in TRUE.items() if k != "kappa"}
    out["kappa"] = 1 + (TRUE["kappa"] - 1) * PERTURB["kappa"]
    return out


@pytest.fixture(scope="module")
def case():
    spec, funds, lam0 = _economy()
    data = cb.simulate_data(spec, funds, RATE, tuple(range(0, N, 2)), lam0, (1972, 1976, 1980), LIGHT)
    return spec, funds, data


@pytest.fixture(scope="module")
def fitted(case):
    """All six parameters calibrated from ±30 % starting values (docs §5)."""
    spec, _, data = case
    seen = []
    result = cb.calibrate(spec, data, start=_start(), progress=lambda f, m: seen.append((f, m)))
    return result, seen


def test_simulated_data_are_consistent(case):
    _, _, data = case
    shares = np.array(data.output_share)
    assert np.allclose(shares.sum(axis=(1, 2)), 1, atol=1e-12) and np.all(shares > 0)
    assert data.ppi[0] == 1 and data.real_gdp[0] == 1
    assert all(0 < v < 1 for v in (data.exporter_share_light, data.exporter_share_heavy, data.tax_rate,
                                   data.regions_with_adoption, *data.adopter_share))


def test_recovers_the_true_parameters_and_fundamentals(case, fitted):
    spec, funds, data = case
    result, _ = fitted
    assert result.converged, result.message
    for name, value in TRUE.items():
        assert result.parameters[name] == pytest.approx(value, rel=1e-5), name
    assert result.subsidy_rate == pytest.approx(RATE, rel=1e-5)
    # the fundamentals up to the homogeneity of docs §6 (P^f·k, D^x·k^σ): one k for every period
    k = result.fundamentals[0].foreign_price[0] / funds[0].foreign_price[0]
    for got, true in zip(result.fundamentals, funds):
        g, t = got.arrays(result.spec), true.arrays(spec)
        assert np.allclose(g["phi_min"], t["phi_min"], rtol=1e-5)
        assert np.allclose(g["foreign_price"], t["foreign_price"] * k, rtol=1e-5)
        assert np.allclose(g["foreign_demand"], t["foreign_demand"] * k ** spec.sigma, rtol=1e-5)
        assert np.array_equal(g["tariff"], t["tariff"])
    assert result.spec.fixed_export[0] == result.parameters["fixed_export_heavy"]
    assert all(result.spec.fixed_export[j] == result.parameters["fixed_export_light"] for j in (1, 2, 3))
    assert result.spec.tau_bar[1:] == (0.0, 0.0, 0.0)
    assert result.objective < 1e-12


def test_constraints_hold_and_the_path_solves_the_model(case, fitted):
    _, _, data = case
    result, _ = fitted
    imposed = [r for r in result.constraints if "model" not in r]
    assert {r["constraint"] for r in imposed} == {"gross output shares (K1)", "export intensities (K2)", "PPI (K4)",
                                                 "real GDP relative to period 1 (K9)",
                                                 "unit of Home productivity (K10, a normalization)"}
    assert max(r["max_abs_error"] for r in imposed) < 1e-8
    # checked independently from the path
    eqs = result.path.equilibria[:3]
    weights = [np.array(s) for s in data.output_share]
    for t, eq in enumerate(eqs):
        assert eq.max_residual < 1e-8
        assert np.allclose(eq.agg.sales / eq.agg.sales.sum(), weights[t], rtol=1e-8, atol=0)
        exports = eq.agg.exports.sum(axis=0) / eq.agg.sales.sum(axis=0)
        assert np.allclose(exports, data.export_intensity[t], rtol=1e-8, atol=0)
    ppi = [math.exp(float((w * np.log(eq.price)).sum())) for w, eq in zip(weights, eqs)]
    assert ppi[0] == pytest.approx(1, rel=1e-8) and ppi[2] / ppi[0] == pytest.approx(data.ppi[2], rel=1e-8)
    gdp = [value_added(result.spec, eq).sum() / p for eq, p in zip(eqs, ppi)]
    assert gdp[2] / gdp[0] == pytest.approx(data.real_gdp[2], rel=1e-8)
    assert result.path.equilibria[3].agg.subsidies.sum() == 0    # the held-constant period has no subsidy
    # the import shares are not imposed but, with data from the model, they match (to the parameters' accuracy)
    assert max(r["max_abs_error"] for r in result.constraints if "model" in r) < 1e-6


def test_model_moments_recomputed_from_the_path(case, fitted):
    spec, _, data = case
    result, _ = fitted
    eqs = result.path.equilibria[:3]
    mass = np.array(result.spec.mass)
    lam = np.array([eq.adopter_share[:, 0] for eq in eqs])
    expected = {
        ("average adopter share, heavy", 1972): lam[0].mean(),
        ("average adopter share, heavy", 1980): lam[2].mean(),
        ("exporter share, light", "1972–1980"): np.mean([(mass[:, 1] * eq.exporter_share[:, 1]).sum()
                                                        / mass[:, 1].sum() for eq in eqs]),
        ("exporter share, heavy", "1972–1980"): np.mean([(mass[:, 0] * eq.exporter_share[:, 0]).sum()
                                                        / mass[:, 0].sum() for eq in eqs]),
        ("share of regions with adoption", "1972–1980"): float((lam > 0).mean()),
        ("statutory tax rate (output wedge), heavy", 1972): eqs[0].agg.wedge[:, 0].sum() / eqs[0].agg.sales[:, 0].sum(),
    }
    rows = {(r["moment"], r["year"]): r for r in result.moments}
    assert len(result.moments) == 7
    for key, value in expected.items():
        assert rows[key]["model"] == pytest.approx(value, rel=1e-12), key
        assert rows[key]["model"] == pytest.approx(rows[key]["data"], rel=1e-6), key


def test_progress_is_reported(fitted):
    _, seen = fitted
    assert seen and seen[-1][0] == 1.0 and all(0 <= f <= 1 for f, _ in seen)


def test_aggregate_import_share_is_implied_by_output_shares_export_intensities_and_trade_balance(case, fitted):
    """(K11) is not imposed: with balanced trade (Q27) it is Σ x_j GO_j / Σ GO_j, fixed by K1 and K2; on the
    model's own data the calibrated economy meets it to 1e−8 in every period."""
    _, _, data = case
    result, _ = fitted
    rows = [r for r in result.constraints if r["constraint"].startswith("aggregate import share")]
    assert len(rows) == 3 and max(r["max_abs_error"] for r in rows) < 1e-8
    for t, row in enumerate(rows):
        gross = np.array(data.output_share[t]).sum(axis=0)
        assert row["data"] == pytest.approx((np.array(data.export_intensity[t]) * gross).sum() / gross.sum(),
                                            rel=1e-10)


def test_the_productivity_unit_is_exactly_unidentified_by_the_data(case):
    """Why period 1 needs a normalization (K10) and no datum can replace it (docs §2, §5): scaling every φ^min_nj
    by k^{γ^L_j}, D^x by k, (1 − τ̄) by k^{−ξ γ^L} and F^T by k^{1 − γ^L} (heavy) leaves every data field and
    moment unchanged except the unit of productivity."""
    spec, funds, data = case
    k, heavy = 1.1, 0
    gl = np.array(spec.gamma_labour)
    xi = spec.xi[heavy]
    tau = 1 - (1 - spec.tau_bar[heavy]) * k ** (-xi * gl[heavy])
    moved = replace(spec, fixed_adoption=spec.fixed_adoption * k ** (1 - gl[heavy]),
                    tau_bar=(tau,) + spec.tau_bar[1:])
    funds2 = [replace(f, phi_min=tuple(map(tuple, (np.array(f.phi_min) * k ** gl).tolist())),
                      foreign_demand=tuple((np.array(f.foreign_demand) * k).tolist())) for f in funds]
    lam0 = np.array(data.lam0)
    other = cb.simulate_data(moved, funds2, RATE, data.subsidized_regions, lam0, data.years, LIGHT)
    for name in ("output_share", "export_intensity", "import_share", "ppi", "real_gdp", "adopter_share"):
        assert np.allclose(getattr(other, name), getattr(data, name), rtol=1e-8, atol=0), name
    for name in ("exporter_share_light", "exporter_share_heavy", "regions_with_adoption", "tax_rate"):
        assert getattr(other, name) == pytest.approx(getattr(data, name), rel=1e-8), name
    weights = np.array(data.output_share[0])
    assert other.productivity_level / data.productivity_level == pytest.approx(
        k ** float((weights * gl[None, :]).sum()), rel=1e-10)


def test_a_different_normalization_is_met_exactly(case):
    """The inner problem meets whatever unit (K10) the data give, with every other condition (here at the true
    parameters, from a cold start)."""
    spec, _, data = case
    moved = replace(data, productivity_level=data.productivity_level * 1.05)
    values = {**TRUE}
    cal = cb.calibrated_spec(spec, values, LIGHT)
    _, funds, _ = cb.inner(cal, moved, RATE, None)
    level = math.exp(cb.log_level(funds[0].arrays(cal)["phi_min"], np.array(data.output_share[0])))
    assert level == pytest.approx(moved.productivity_level, rel=1e-10)


def test_held_parameters_stay_at_their_values(case):
    """``fixed=`` holds κ and τ̄ (here at the truth, the demo's use); the other four are recovered."""
    spec, _, data = case
    held = {"kappa": 2.0, "tau_bar_heavy": 0.2}
    result = cb.calibrate(spec, data, start=_start(), fixed=held)
    assert result.converged, result.message
    assert result.spec.kappa == 2.0 and result.spec.tau_bar[0] == 0.2
    for name, value in TRUE.items():
        assert result.parameters[name] == pytest.approx(value, rel=1e-5), name


def test_adoption_gaps_give_the_adopter_shares(case, fitted):
    """(K7'): g = ln κ − ln x̃_T is positive exactly where λ > 0, and there the bounded-Pareto tail share at the
    cutoff κ e^{−g} (Q2, recomputed here) is the model's λ."""
    _, _, data = case
    result, _ = fitted
    spec, eqs = result.spec, result.path.equilibria[:3]
    gaps = cb.adoption_gaps(spec, data, [eq.solution for eq in eqs], result.fundamentals, [eq.agg for eq in eqs])
    lam = np.array([eq.adopter_share[:, 0] for eq in eqs])
    assert gaps.shape == (3, N) and np.array_equal(gaps > 0, lam > 0)
    k = spec.kappa ** -spec.theta
    x = np.maximum(spec.kappa * np.exp(-gaps), 1.0)
    assert np.allclose(np.where(gaps > 0, (x ** -spec.theta - k) / (1 - k), 0.0), lam, rtol=1e-10, atol=1e-14)


def test_smoothed_share_of_regions_with_adoption():
    """(K7'): exact whenever the count is right or the misplaced gaps lie beyond the band; in between a misplaced
    region-period counts (1 + |g|/b)/2."""
    b = cb.ADOPTION_BAND
    right = np.array([[0.3, 0.01, -0.2], [0.5, -0.01, -2.0]])          # 3 of 6 adopt, as the data
    assert cb.smoothed_regions_with_adoption(right, 0.5) == 0.5
    far = np.array([[0.3, 0.25, 2 * b], [0.5, -0.01, -2.0]])           # one too many, all beyond the band
    assert cb.smoothed_regions_with_adoption(far, 0.5) == pytest.approx(4 / 6, rel=1e-14)
    near = np.array([[0.3, 0.25, b / 4], [0.5, -0.01, -2.0]])          # the marginal one within it
    assert cb.smoothed_regions_with_adoption(near, 0.5) == pytest.approx((3 + (1 + 0.25) / 2) / 6, rel=1e-14)
    short = np.array([[0.3, -b / 2, -0.2], [0.5, -0.3, -2.0]])         # one too few, within the band
    assert cb.smoothed_regions_with_adoption(short, 0.5) == pytest.approx((3 - (1 + 0.5) / 2) / 6, rel=1e-14)


def test_max_evaluations_one_reports_non_convergence(case):
    spec, _, data = case
    result = cb.calibrate(spec, data, start=_start(), max_evaluations=1, fixed={"tau_bar_heavy": 0.2})
    assert not result.converged
    assert "maximum number of function evaluations" in result.message


def _bad(data, **changes):
    return replace(data, **changes)


@pytest.mark.parametrize("change, words", [
    (lambda d: {"output_share": tuple(tuple(tuple(v * 1.1 for v in row) for row in s) for s in d.output_share)},
     "sum to 1"),
    (lambda d: {"output_share": ((((0.0,) + d.output_share[0][0][1:]),) + d.output_share[0][1:],)
                + d.output_share[1:]}, "positive in every region-sector"),
    (lambda d: {"exporter_share_light": 1.2}, "exporter share, light"),
    (lambda d: {"tax_rate": 0.0}, "tax rate"),
    (lambda d: {"adopter_share": (0.1, 1.0, 0.2)}, "adopter share"),
    (lambda d: {"subsidized_regions": (0, N)}, "subsidized region"),
    (lambda d: {"subsidized_regions": ()}, "no subsidized regions"),
    (lambda d: {"light_sector": 0}, "light sector"),
    (lambda d: {"ppi": (2.0, 1.1, 1.2)}, "ppi[0] = 1"),
    (lambda d: {"import_share": ((0.0,) * J,) + d.import_share[1:]}, "import share"),
])
def test_bad_data_raise_clear_errors(case, change, words):
    spec, _, data = case
    with pytest.raises(qm.ModelError, match=words.replace("[", r"\[").replace("]", r"\]")):
        cb.calibrate(spec, _bad(data, **change(data)))


@pytest.mark.parametrize("adopting", [(False,) * J, (True, True, False, False)])
def test_one_heavy_sector_is_required(case, adopting):
    spec, _, data = case
    with pytest.raises(qm.ModelError, match="exactly one sector that can adopt"):
        cb.calibrate(replace(spec, adopting=adopting), data)


def test_simulate_data_needs_one_foreign_price_level_per_period():
    spec, funds, lam0 = _economy(common_foreign_price=False)
    with pytest.raises(qm.ModelError, match="one Foreign price level per period"):
        cb.simulate_data(spec, funds, RATE, (0,), lam0, (1972, 1976, 1980), LIGHT)


def test_bad_starting_values_raise(case):
    spec, _, data = case
    with pytest.raises(qm.ModelError, match="starting values"):
        cb.calibrate(spec, data, start={"kappa": 0.5})
    with pytest.raises(qm.ModelError, match="unknown starting values"):
        cb.calibrate(spec, data, start={"sigma": 5})


def test_transforms_round_trip():
    x = cb.to_unconstrained(TRUE)
    back = cb.from_unconstrained(x)
    assert all(back[k] == pytest.approx(v, rel=1e-14) for k, v in TRUE.items())


def _stale_system(seed: int = 3, n: int = 40):
    """A mildly non-linear square system f(v) = A v + 0.1 tanh(v) − b with root v*, and the LU of A + 0.25 E, a
    Jacobian off by enough that plain chord steps do not halve the residual."""
    rng = np.random.default_rng(seed)
    a = np.eye(n) * 4 + rng.normal(scale=0.3, size=(n, n))
    root = rng.normal(size=n)
    b = a @ root + 0.1 * np.tanh(root)

    def fun(v):
        return a @ v + 0.1 * np.tanh(v) - b
    stale = linalg.lu_factor(a + 0.25 * rng.normal(size=(n, n)))
    return fun, stale, root


def test_broyden_update_meets_the_secant_condition():
    _, lu, _ = _stale_system()
    rng = np.random.default_rng(0)
    updates = []
    for _ in range(3):                               # H⁺ y = s for the newest pair, whatever came before
        s, y = rng.normal(size=40), rng.normal(size=40)
        cb._broyden_update(lu, updates, s, y)
        np.testing.assert_allclose(cb._broyden_solve(lu, updates, y), s, rtol=1e-10, atol=1e-12)
    assert len(updates) == 3


def test_newton_converges_from_a_stale_jacobian_without_refactorising():
    fun, lu, root = _stale_system()
    v0 = root + 0.5
    chord = linalg.lu_solve(lu, -fun(v0))         # the stale Jacobian's first step does not halve the residual,
    assert np.max(np.abs(fun(v0 + chord))) > 0.5 * np.max(np.abs(fun(v0)))   # so chord alone would refactorise
    v, worst, kept = cb._newton(fun, v0, lu, refreshes=0)
    assert worst < cb.POLISH_TOL
    np.testing.assert_allclose(v, root, atol=1e-12)
    assert kept is lu                                # the factorisation handed on is the stale one, not updated


def test_continuation_in_parameters_reaches_the_cold_start_solution(case):
    """The uniqueness check's third start (docs §4): the starting point's solution continued in Θ to the truth
    gives the fundamentals a cold start gives there, and the data's moments."""
    spec, _, data = case
    x_start, x_true = cb.to_unconstrained(cb.parameters_of(spec, _start(), data)), cb.to_unconstrained(TRUE)
    at_start = cb.from_unconstrained(x_start)
    sols, _, _ = cb.inner(cb.calibrated_spec(spec, at_start, LIGHT), data, at_start["subsidy_rate"], None)
    _, continued, aggs = cb.continue_in_parameters(spec, data, LIGHT, x_start, x_true, sols)
    truth = cb.calibrated_spec(spec, TRUE, LIGHT)
    _, cold, _ = cb.inner(truth, data, RATE, None)
    for a, b in zip(continued, cold):
        np.testing.assert_allclose(a.phi_min, b.phi_min, rtol=1e-8)
    np.testing.assert_allclose(cb._moment_vector(cb.model_moments(truth, aggs, LIGHT)),
                               cb._moment_vector(cb.data_moments(data)), rtol=1e-8)
