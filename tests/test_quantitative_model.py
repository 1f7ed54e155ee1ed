"""The quantitative big-push model (models/quantitative, docs/quantitative-model.md) against independent
computations: bounded-Pareto moments and region-sector aggregates by quadrature over firms (each firm's
choice by brute force), the simple model of Section 4 (nesting), market clearing, homogeneity, δ = 0."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate, optimize

from models import quantitative as qm
from models import simple_big_push as sbp

SIMPLE = [(5, 4.24, 1.25, 2.0, 10), (5, 4.24, 1.25, 0.68, 10), (5, 4.24, 1.1, 0.3, 0.5), (3, 2.5, 1.5, 1.0, 0.05),
          (8, 9, 1.05, 3.0, 40)]


def economy(seed: int, subsidy: float = 0.0, **overrides):
    """A random N = 3, J = 2 open economy (sector 0 heavy: adoption and distortions), subsidy in sector 0."""
    spec = qm.random_spec(3, 2, seed=seed, **overrides)
    s = np.zeros((3, 2))
    s[:, 0] = subsidy
    return spec, qm.random_fundamentals(spec, seed=seed, subsidy=s)


# ------------------------------------------------------------------------ bounded Pareto (Q2)

@pytest.mark.parametrize("kappa,e", [(k, e) for k in (3.0, 50.0, math.inf) for e in (0.0, 2.8, 3.5, 4.24)
                                     if not (math.isinf(k) and e >= 4.24)])
def test_tail_moments_match_quadrature(kappa, e):
    theta = 4.24
    norm = 1 - (0 if math.isinf(kappa) else kappa ** -theta)
    for a in (1.0, 1.7, 2.9, 10.0, math.inf):
        lo = min(a, kappa)
        exact = integrate.quad(lambda x: x ** e * theta * x ** (-theta - 1) / norm, lo, kappa, epsabs=0,
                               epsrel=1e-13, limit=200)[0] if lo < kappa else 0.0
        got = float(qm.tail_moment(np.array([a]), e, theta, kappa)[0])
        assert got == pytest.approx(exact, rel=1e-10, abs=1e-14)
        if e == 0:
            assert float(qm.tail_share(np.array([a]), theta, kappa)[0]) == pytest.approx(exact, rel=1e-10, abs=1e-14)


# ------------------------------------------------ aggregates (Q8–Q19) firm by firm, choices by brute force

def firm_by_firm(spec, fund, lam_prev, w, P, E, n, j):
    """Integrate the primitives over x ∈ [1, κ] for cell (n, j): each firm picks the best of the four
    (T, X) by direct comparison of profits; switch points by scanning and brentq (never eq. Q10)."""
    a, fa = spec.arrays(), fund.arrays(spec)
    sigma, theta, kappa, mu = spec.sigma, spec.theta, spec.kappa, spec.mu
    c, pc = qm.unit_costs(spec, w, P)
    c_adopt = c[n, j] if spec.adoption_bundle == "production" else pc[n]
    f = math.exp(spec.delta * lam_prev[n, j])
    s, tb, xi, M = fa["subsidy"][n, j], a["tau_bar"][j], a["xi"][j], a["mass"][n, j]
    MA = sum(a["d"][n, m, j] ** (1 - sigma) * P[m, j] ** (sigma - 1) * E[m, j] for m in range(spec.n_regions))
    XA = a["d_port"][n, j] ** (1 - sigma) * fa["foreign_demand"][j]
    CT = spec.fixed_adoption * c_adopt if a["adopting"][j] else math.inf
    CX = a["fixed_export"][j] * w[n]

    def firm(x, T, X):
        z = spec.eta ** T * f * fa["phi_min"][n, j] * x
        r = (1 - tb) * z ** xi
        p = mu * c[n, j] * (1 - s * T) / (r * z)
        R = p ** (1 - sigma) * (MA + X * XA)
        return {"profit": r * R / sigma - (CT if T else 0.0) - X * CX, "p": p ** (1 - sigma), "rR": r * R, "R": R}

    def choice(x):
        return max(((T, X) for T in (0, 1) for X in (0, 1)), key=lambda tx: firm(x, *tx)["profit"])

    top = kappa if math.isfinite(kappa) else 1e4
    grid = np.geomspace(1, top, 4001)
    picks = [choice(x) for x in grid]
    points = []
    for k in range(1, len(grid)):
        if picks[k] != picks[k - 1]:
            old, new = picks[k - 1], picks[k]
            points.append(optimize.brentq(lambda x, new=new, old=old: firm(x, *new)["profit"]
                                          - firm(x, *old)["profit"], grid[k - 1], grid[k], xtol=1e-14))
    norm = 1 - (0 if math.isinf(kappa) else kappa ** -theta)
    edges = [1.0, *points, kappa]

    def integral(fn):
        total = 0.0
        for lo, hi in itertools.pairwise(edges):
            T, X = choice(min(lo * (1 + 1e-9), (lo + hi) / 2) if math.isfinite(hi) else lo * 1.001)
            total += integrate.quad(lambda x, T=T, X=X: fn(x, T, X) * theta * x ** (-theta - 1) / norm, lo, hi,
                                    epsabs=0, epsrel=1e-12, limit=400)[0]
        return total

    return {"A": M * integral(lambda x, T, X: firm(x, T, 0)["p"]),
            "A_export": M * integral(lambda x, T, X: X * firm(x, T, 0)["p"]),
            "retained": M * integral(lambda x, T, X: firm(x, T, X)["rR"]),
            "retained_adopters": M * integral(lambda x, T, X: T * firm(x, T, X)["rR"]),
            "sales": M * integral(lambda x, T, X: firm(x, T, X)["R"]),
            "adopter_share": integral(lambda x, T, X: T), "exporter_share": integral(lambda x, T, X: X),
            "subsidies": M * integral(lambda x, T, X: T * s * firm(x, T, X)["rR"] / (mu * (1 - s))),
            "choices": {choice(x) for x in grid}}


@pytest.mark.parametrize("seed,fx,subsidy", [(0, 0.1, 0.0), (1, 0.1, 0.3), (2, 0.01, 0.2), (3, 1.0, 0.0),
                                             (4, 0.3, 0.5)])
def test_aggregates_match_firm_by_firm_quadrature(seed, fx, subsidy):
    spec, fund = economy(seed, subsidy, fixed_export=np.full(2, fx))
    rng = np.random.default_rng(seed)
    lam_prev = rng.uniform(0, 1, (3, 2))
    w, P, E = rng.uniform(0.7, 1.3, 3), rng.uniform(0.7, 1.3, (3, 2)), rng.uniform(0.3, 1.5, (3, 2))
    agg = qm.evaluate(spec, fund, lam_prev, w, P, E)
    for n in range(3):
        for j in range(2):
            ref = firm_by_firm(spec, fund, lam_prev, w, P, E, n, j)
            for key in ("A", "A_export", "retained", "retained_adopters", "sales", "adopter_share",
                        "exporter_share", "subsidies"):
                assert getattr(agg, key)[n, j] == pytest.approx(ref[key], rel=1e-8, abs=1e-13), (n, j, key)


@pytest.mark.parametrize("case,CT,CX", [("export first", 5.0, 0.1), ("adopt first", 0.5, 3.0),
                                         ("together", 1.2, 1.0), ("no exports", 1.0, 0.1)])
def test_cutoffs_match_brute_force_choice(case, CT, CX):
    """Q10a–c: T = 1 exactly on v ≥ v_T and X = 1 on v ≥ v_X, against the argmax of (Q9) on a fine grid."""
    g, MA, XA = 1.6, 1.0, 0.5 if case != "no exports" else 0.0
    v_t, v_x = (float(v) for v in qm.cutoffs_v(np.array(g), np.array(MA), np.array(XA), np.array(CT), np.array(CX)))
    order = "together" if v_t == v_x else "export first" if v_x < v_t else "adopt first"
    assert order == (case if case != "no exports" else "adopt first")
    for v in np.geomspace(1e-3, 1e3, 20001):
        profits = {(T, X): v * g ** T * (MA + X * XA) - T * CT - X * CX for T in (0, 1) for X in (0, 1)}
        best = max(profits.values())
        T, X = int(v >= v_t), int(v >= v_x)
        assert profits[(T, X)] >= best - 1e-12 * max(1.0, abs(best)), (v, T, X)


# ------------------------------------------------------------------ nesting the simple model (§8)

@pytest.mark.parametrize("params", SIMPLE)
def test_nests_simple_model_law_of_motion(params):
    spec = qm.nested_simple_spec(*params)
    simple = sbp.SimpleModelSpec(*params)
    fund = qm.closed_fundamentals(spec)
    for lam_prev in (0.0, 0.1, 0.3, 0.7, 1.0):
        got = qm.law_of_motion(spec, fund, np.array([[lam_prev]]))[0, 0]
        assert abs(got - sbp.static_share(simple, lam_prev)) < 1e-8


@pytest.mark.parametrize("params", SIMPLE[:3])
@pytest.mark.parametrize("rate", [0.1, 0.4])
def test_nests_simple_model_input_subsidy_and_labour_tax(params, rate):
    spec = qm.nested_simple_spec(*params)
    simple = sbp.SimpleModelSpec(*params)
    fund = qm.closed_fundamentals(spec, subsidy=rate)
    for lam_prev in (0.0, 0.5):
        eq = qm.solve_static(spec, fund, np.array([[lam_prev]]))
        ref = sbp.static_equilibrium(simple, lam_prev, sbp.Subsidy("input", rate))
        assert abs(eq.adopter_share[0, 0] - ref.share) < 1e-8
        assert abs(eq.labour_tax - ref.labour_tax) < 1e-8
        assert abs(eq.wage[0] / eq.price[0, 0] - ref.real_wage) < 1e-8 * ref.real_wage


def test_nested_paths_reach_the_simple_models_steady_states():
    params = SIMPLE[0]                                  # three steady states: S^Pre, S^U, S^Ind
    spec, simple = qm.nested_simple_spec(*params), sbp.SimpleModelSpec(*params)
    states = [s.share for s in sbp.steady_states(simple).states]
    fund = qm.closed_fundamentals(spec)
    for lam0, target in ((0.05, states[0]), (0.9, states[2])):
        path = qm.solve_path(spec, [fund], np.array([[lam0]]), max_periods=400, tol=1e-12)
        assert abs(path.steady[0, 0] - target) < 1e-8
        assert np.max(np.abs(path.shares[:, 0, 0] - sbp.path(simple, lam0, path.periods))) < 1e-8


def test_labour_adoption_cost_removes_dynamic_complementarity():
    """Section 4: with the adoption cost in labour (here: the production bundle, labour only) λ_t does
    not depend on λ_{t−1}, because spillovers raise wages by exactly as much."""
    from dataclasses import replace
    spec = replace(qm.nested_simple_spec(*SIMPLE[0]), adoption_bundle="production")
    fund = qm.closed_fundamentals(spec)
    shares = [qm.law_of_motion(spec, fund, np.array([[x]]))[0, 0] for x in (0.0, 0.4, 1.0)]
    assert max(shares) - min(shares) < 1e-10


# ----------------------------------------------------------- equilibrium conditions (§6), homogeneity

@pytest.mark.parametrize("seed,subsidy", [(0, 0.0), (1, 0.2), (2, 0.0), (3, 0.4), (5, 0.1)])
def test_every_condition_holds_on_random_economies(seed, subsidy):
    spec, fund = economy(seed, subsidy)
    lam_prev = np.random.default_rng(seed).uniform(0, 1, (3, 2)) * np.array([1.0, 0.0])
    eq = qm.solve_static(spec, fund, lam_prev)
    r = eq.residuals
    for name in ("labour", "price_index", "spending", "goods"):
        assert np.max(np.abs(getattr(r, name))) < 1e-8, name
    assert abs(r.trade_balance) < 1e-8 and abs(r.government) < 1e-8 and abs(r.payout) < 1e-8
    # and independently of the Residuals object: labour, goods, trade, budget from the aggregates
    agg, a = eq.agg, spec.arrays()
    assert np.allclose(agg.labour_demand, a["labour"], rtol=1e-8, atol=0)
    assert np.allclose(agg.home_flows.sum(axis=0) + agg.imports, eq.spending, rtol=1e-8, atol=0)
    tariff = np.array(fund.tariff)
    assert abs(agg.exports.sum() - (agg.imports / (1 + tariff)).sum()) < 1e-8 * agg.exports.sum()
    assert abs(eq.labour_tax * (eq.wage * a["labour"]).sum() - agg.subsidies.sum()) < 1e-10
    assert (agg.subsidies.sum() > 0) == (subsidy > 0)
    assert np.all(agg.adopter_share[:, 1] == 0)        # no adoption outside the heavy sector


def test_homogeneity_in_foreign_prices():
    """P^f → kP^f and D^x → k^σ D^x: nominal variables × k, shares and real allocations unchanged."""
    spec, fund = economy(1, 0.2)
    lam_prev = np.array([[0.3, 0], [0.6, 0], [0.1, 0]])
    base = qm.solve_static(spec, fund, lam_prev)
    for k in (2.0, 0.37):
        scaled = qm.random_fundamentals(spec, seed=1, subsidy=np.array(fund.subsidy),
                                        foreign_price=k * np.array(fund.foreign_price),
                                        foreign_demand=k ** spec.sigma * np.array(fund.foreign_demand))
        eq = qm.solve_static(spec, scaled, lam_prev)
        assert np.allclose(eq.adopter_share, base.adopter_share, rtol=0, atol=1e-9)
        assert np.allclose(eq.exporter_share, base.exporter_share, rtol=0, atol=1e-9)
        for name in ("wage", "price", "spending"):
            assert np.allclose(getattr(eq, name), k * getattr(base, name), rtol=1e-8, atol=0), name
        assert eq.labour_tax == pytest.approx(base.labour_tax, rel=1e-8)
        assert np.allclose(eq.wage / eq.price[:, 0], base.wage / base.price[:, 0], rtol=1e-8)


def test_closed_economy_pins_w1_and_walras_holds():
    spec = qm.random_spec(3, 2, seed=7)
    fund = qm.closed_fundamentals(spec)
    eq = qm.solve_static(spec, fund, np.zeros((3, 2)))
    assert eq.wage[0] == 1.0
    assert abs(eq.residuals.labour[0]) < 1e-8          # the dropped condition holds by Walras' law


# --------------------------------------------------------------------------- dynamics (Q28), δ = 0

def test_delta_zero_unique_steady_state():
    spec, fund = economy(2, delta=0.0)
    base = qm.solve_static(spec, fund, np.zeros((3, 2)))
    rng = np.random.default_rng(0)
    for _ in range(6):                                  # the static equilibrium from scattered starts
        guess = base.solution + rng.uniform(-0.7, 0.7, base.solution.size)
        eq = qm.solve_static(spec, fund, rng.uniform(0, 1, (3, 2)) * [1, 0], guess=guess)
        assert np.allclose(eq.solution, base.solution, rtol=0, atol=1e-8)
    steady = []
    for lam0 in (np.zeros((3, 2)), np.array([[1.0, 0]] * 3), rng.uniform(0, 1, (3, 2)) * [1, 0]):
        path = qm.solve_path(spec, [fund], lam0)
        assert path.periods <= 2                        # with δ = 0, λ_t does not depend on λ_{t−1}
        steady.append(path.steady)
    assert all(np.allclose(s, steady[0], rtol=0, atol=1e-10) for s in steady)


def test_path_reaches_a_fixed_point_of_the_law_of_motion():
    spec, fund = economy(1, delta=1.5)
    subsidised = qm.random_fundamentals(spec, seed=1, subsidy=np.array([[0.3, 0]] * 3))
    path = qm.solve_path(spec, [subsidised, subsidised, fund], np.zeros((3, 2)), tol=1e-11)
    assert path.periods >= 3 and path.shares.shape == (path.periods + 1, 3, 2)
    again = qm.law_of_motion(spec, fund, path.steady, guess=path.equilibria[-1].solution)
    assert np.max(np.abs(again - path.steady)) < 1e-9


def test_non_convergence_is_reported():
    spec, fund = economy(1, delta=1.5)
    with pytest.raises(qm.SolverError, match="did not settle within 1 periods"):
        qm.solve_path(spec, [fund], np.zeros((3, 2)), max_periods=1)
    with pytest.raises(qm.SolverError, match="largest residual .* in the"):
        qm.solve_static(spec, fund, np.zeros((3, 2)), method="hybr", tol=1e-30)


# ------------------------------------------------------------------------------- validation

def test_invalid_inputs_raise_model_error_in_words():
    with pytest.raises(qm.ModelError, match="σ > 1"):
        qm.random_spec(sigma=1.0)
    with pytest.raises(qm.ModelError, match="θ > max"):
        qm.random_spec(kappa=math.inf, theta=3.0)
    with pytest.raises(qm.ModelError, match="shape"):
        qm.random_spec(mass=np.ones((2, 2)))
    spec = qm.random_spec()
    with pytest.raises(qm.ModelError, match="trade cannot balance"):
        qm.solve_static(spec, qm.random_fundamentals(spec, foreign_demand=np.zeros(2)), np.zeros((3, 2)))
    with pytest.raises(qm.ModelError, match=r"\[0, 1\)"):
        qm.solve_static(spec, qm.random_fundamentals(spec, subsidy=np.ones((3, 2))), np.zeros((3, 2)))
    assert hash(spec) == hash(qm.random_spec())          # frozen, hashable (cache keys)


# ------------------------------------------------------------- solver speed-ups (benchmarks/quant.py)

def test_auto_uses_newton_krylov_on_large_economies_and_agrees_with_hybr():
    """From LARGE unknowns "auto" tries Newton–Krylov first; it must land on the equilibrium hybr finds."""
    spec = qm.random_spec(12, 3, seed=4, fixed_adoption=2.0)
    s = np.zeros((12, 3))
    s[:, 0] = 0.2
    fund = qm.random_fundamentals(spec, seed=4, subsidy=s)
    lam_prev = np.random.default_rng(4).uniform(0, 1, (12, 3)) * np.array([1.0, 0, 0])
    fast = qm.solve_static(spec, fund, lam_prev)
    slow = qm.solve_static(spec, fund, lam_prev, method="hybr-scaled")
    assert fast.solution.size >= qm.equilibrium.LARGE and fast.method == "krylov"
    assert fast.max_residual < 1e-10
    assert np.allclose(fast.solution, slow.solution, rtol=0, atol=1e-9)
    assert np.allclose(fast.adopter_share, slow.adopter_share, rtol=0, atol=1e-10)


def test_cached_arrays_are_read_only_and_invisible_to_equality():
    spec, fund = economy(0)
    a = spec.arrays()
    a["labour"] = None                                  # the returned dict is a copy
    assert spec.arrays()["labour"] is not None
    with pytest.raises(ValueError):
        spec.arrays()["d"][0, 0, 0] = 2.0
    with pytest.raises(ValueError):
        fund.arrays(spec)["phi_min"][0, 0] = 2.0
    assert spec == qm.random_spec(3, 2, seed=0) and hash(spec) == hash(qm.random_spec(3, 2, seed=0))


def test_a_start_where_the_model_cannot_be_evaluated_is_a_solver_error_not_a_crash():
    spec = qm.random_spec(3, 2, seed=1)
    fund = qm.random_fundamentals(spec, seed=1)
    guess = qm.initial_guess(spec, fund)
    guess[:3] = -1e4                                   # wages of e^(−10⁴) = 0: the wage bill divides by zero
    with pytest.raises(qm.SolverError, match="cannot be evaluated at the best point found .*ZeroDivisionError"):
        qm.solve_static(spec, fund, np.zeros((3, 2)), guess=guess)
