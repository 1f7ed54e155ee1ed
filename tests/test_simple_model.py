"""The simple big-push model (models/simple_big_push): every figure against an independent computation.

The reference for eq. (4.4) is a direct solve of the primitives (price index and labour demand by
quadrature, labour-market clearing, the marginal adopter's indifference by root finding), which
never uses A(λ) or the closed form. Other checks use brute-force scans, finite differences and
the closed forms of docs/simple-model.md.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, optimize

from models import simple_big_push as sbp
from models.simple_big_push import SimpleModelSpec, Subsidy

ROOT = Path(__file__).resolve().parents[1]
# A parameter set with three steady states (S^Pre ≈ 0.30, S^U ≈ 0.73, S^Ind = 1), and others.
MULTIPLE = SimpleModelSpec(sigma=5, theta=4.24, eta=1.25, delta=2.0, scale=10)
SPECS = [SimpleModelSpec(5, 4.24, 1.25, 0.68, 10), MULTIPLE, SimpleModelSpec(5, 4.24, 1.1, 0.3, 0.5),
         SimpleModelSpec(3, 2.5, 1.5, 1.0, 0.05), SimpleModelSpec(8, 9, 1.05, 3.0, 40)]


# ---------------------------------------------------------------------------- primitives, directly

def primitive_equilibrium(spec: SimpleModelSpec, lam_prev: float, subsidy: Subsidy | None = None,
                          labour: float | None = None, fixed_cost: float = 1.0) -> dict:
    """The static equilibrium from the primitives with w = 1: the marginal adopter φ̄ is indifferent,
    P^{1−σ} = ∫ p(φ)^{1−σ} dG and labour demand ∫ q(φ)/z(φ) dG = L by quadrature (G Pareto(1, θ))."""
    labour = spec.scale * fixed_cost if labour is None else labour
    sigma, theta = spec.sigma, spec.theta
    mu, f = sigma / (sigma - 1), math.exp(spec.delta * lam_prev)
    kind, rate = (subsidy.kind, subsidy.rate) if subsidy else (None, 0.0)
    cost = {0: 1.0, 1: 1 - rate if kind == "input" else 1.0}       # unit labour cost paid by the firm
    gain = {0: 1.0, 1: spec.eta}
    adoption_cost = fixed_cost * (1 - rate if kind == "fixed_cost" else 1.0)

    def log_price(x: float, adopts: int) -> float:                 # x = ln φ
        return math.log(mu * cost[adopts] / (gain[adopts] * f)) - x

    def log_z(x: float, adopts: int) -> float:
        return math.log(gain[adopts] * f) + x

    def integral(log_integrand, log_cut: float) -> float:
        """∫ exp(log_integrand(ln φ, T(φ))) dG(φ), split at the cutoff."""
        def density(x, adopts):
            return math.exp(log_integrand(x, adopts) + math.log(theta) - theta * x)
        below = integrate.quad(density, 0, log_cut, args=(0,), epsabs=0, epsrel=1e-13, limit=200)[0] if log_cut > 0 else 0
        return below + integrate.quad(density, log_cut, math.inf, args=(1,), epsabs=0, epsrel=1e-13, limit=200)[0]

    def aggregates(log_cut: float) -> tuple[float, float]:
        price_index = integral(lambda x, a: (1 - sigma) * log_price(x, a), log_cut) ** (1 / (1 - sigma))
        output = labour / (price_index ** sigma * integral(lambda x, a: -sigma * log_price(x, a) - log_z(x, a), log_cut))
        return price_index, output

    def gain_minus_cost(log_cut: float) -> float:
        price_index, output = aggregates(log_cut)

        def profit(adopts: int) -> float:
            price = math.exp(log_price(log_cut, adopts))
            return (price - cost[adopts] / math.exp(log_z(log_cut, adopts))) * price ** -sigma * price_index ** sigma * output
        return profit(1) - profit(0) - price_index * adoption_cost

    if gain_minus_cost(0.0) >= 0:
        log_cut = 0.0
    else:
        high = 1.0
        while gain_minus_cost(high) < 0:
            high *= 2
        log_cut = optimize.brentq(gain_minus_cost, 0.0, high, xtol=1e-14, rtol=1e-15)
    price_index, output = aggregates(log_cut)
    adopter_labour = integral(lambda x, a: (-sigma * log_price(x, a) - log_z(x, a)) if a else -math.inf, log_cut)
    adopter_labour *= price_index ** sigma * output
    outlays = rate * adopter_labour if kind == "input" else rate * fixed_cost * price_index * math.exp(-theta * log_cut)
    gdp = price_index * output                                      # PQ, with w = 1
    return {"share": math.exp(-theta * log_cut), "real_wage": 1 / price_index, "output": output / fixed_cost,
            "cost_share": outlays / gdp if kind else 0.0, "labour_tax": outlays / labour if kind else 0.0}


SUBSIDIES = [None, Subsidy("fixed_cost", 0.3), Subsidy("input", 0.3), Subsidy("input", 0.9)]


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("subsidy", SUBSIDIES, ids=["none", "fixed-0.3", "input-0.3", "input-0.9"])
def test_eq_4_4_matches_a_direct_solve_from_the_primitives(spec, subsidy):
    for lam_prev in (0.0, 0.3, 1.0):
        direct = primitive_equilibrium(spec, lam_prev, subsidy)
        assert sbp.static_share(spec, lam_prev, subsidy) == pytest.approx(direct["share"], rel=1e-10, abs=0)
        # only L/F^T matters: the same ratio with other L and F^T gives the same share
        other = primitive_equilibrium(spec, lam_prev, subsidy, labour=3 * spec.scale * 7.0, fixed_cost=3 * 7.0)
        assert other["share"] == pytest.approx(direct["share"], rel=1e-10)


@pytest.mark.parametrize("subsidy", SUBSIDIES[1:], ids=["fixed-0.3", "input-0.3", "input-0.9"])
def test_prices_output_and_the_subsidy_budget_match_the_primitives(subsidy):
    """w/P, Q/F^T, the subsidy's cost over GDP and the labour tax that finances it (labour-market clearing)."""
    for lam_prev in (0.0, 0.5):
        ours = sbp.static_equilibrium(MULTIPLE, lam_prev, subsidy)
        direct = primitive_equilibrium(MULTIPLE, lam_prev, subsidy)
        assert ours.real_wage == pytest.approx(direct["real_wage"], rel=1e-10)
        assert ours.output == pytest.approx(direct["output"], rel=1e-10)
        assert ours.subsidy_cost_share == pytest.approx(direct["cost_share"], rel=1e-9)
        assert ours.labour_tax == pytest.approx(direct["labour_tax"], rel=1e-9)


def _rhs_4_4(spec: SimpleModelSpec, lam: float, lam_prev: float) -> float:
    """ln of the right-hand side of (4.4), written out in levels here (independently of the package)."""
    s, th = spec.sigma, spec.theta
    big_a = (th / (th - (s - 1)) * ((spec.eta ** (s - 1) - 1) * lam ** ((th - (s - 1)) / th) + 1)) ** (1 / (s - 1))
    inside = big_a ** (2 - s) * (spec.eta ** (s - 1) - 1) / s * math.exp(spec.delta * lam_prev) * spec.scale
    return th / (s - 1) * math.log(inside)


@pytest.mark.parametrize("scale", [1e-40, 1e-12, 1e-3])
def test_tiny_shares_solve_on_the_log_scale(scale):
    spec = SimpleModelSpec(5, 4.24, 1.25, 0.68, scale)
    lam = sbp.static_share(spec, 0.2)
    assert 0 < lam < 1e-2
    assert math.log(lam) == pytest.approx(_rhs_4_4(spec, lam, 0.2), rel=1e-12)


def test_a_share_too_small_to_represent_is_refused_not_rounded():
    with pytest.raises(sbp.SolverError, match="below 1e-300"):
        sbp.static_share(SimpleModelSpec(5, 4.24, 1.25, 0.68, 1e-290), 0.0)


def test_corner_holds_exactly_when_the_adoption_condition_holds_at_full_adoption():
    for spec in SPECS:
        for lam_prev in np.linspace(0, 1, 11):
            full = _rhs_4_4(spec, 1.0, lam_prev) >= 0      # λ̂ ≥ 1: every firm wants to adopt
            assert (sbp.static_share(spec, lam_prev) == 1.0) == full


def test_proposition_1_ii_iii_monotone_in_eta_delta_and_the_previous_share():
    grid = np.linspace(0, 1, 21)
    for base in SPECS:
        maps = [sbp.law_of_motion(replace(base, eta=eta), grid) for eta in (1.02, 1.1, 1.25, 1.5, 2.0)]
        assert all(np.all(np.diff(m) >= 0) for m in maps)                       # (iii) in λ_{t−1}
        assert np.all(np.diff(np.vstack(maps), axis=0) >= 0)                     # (ii) in η
        maps = [sbp.law_of_motion(replace(base, delta=delta), grid) for delta in (0, 0.5, 1, 2, 4)]
        assert np.all(np.diff(np.vstack(maps), axis=0) >= 0)                     # (ii) in δ
        interior = np.vstack(maps)[1:] < 1
        assert np.all(np.diff(np.vstack(maps), axis=0)[:, 1:][interior[:, 1:]] > 0)  # strictly while λ_t < 1


def test_no_multiplicity_when_delta_is_zero():
    for eta in (1.01, 1.25, 2.0, 5.0):
        for scale in (1e-3, 1.0, 10.0, 1e3):
            spec = SimpleModelSpec(5, 4.24, eta, 0.0, scale)
            states = sbp.steady_states(spec)
            assert len(states.states) == 1
            map_ = sbp.law_of_motion(spec, np.linspace(0, 1, 5))
            assert np.all(map_ == map_[0])                                        # the map is flat
            assert states.states[0].share == pytest.approx(map_[0], rel=1e-12)
            assert not sbp.eta_interval(spec).exists and not sbp.scale_interval(spec).exists


def test_map_slope_matches_finite_differences_and_the_bound():
    for spec in SPECS:
        for lam_prev in (0.05, 0.4, 0.8):
            if sbp.static_share(spec, lam_prev + 1e-6) >= 1:
                continue
            numeric = (sbp.static_share(spec, lam_prev + 1e-6) - sbp.static_share(spec, lam_prev - 1e-6)) / 2e-6
            assert sbp.map_slope(spec, lam_prev) == pytest.approx(numeric, rel=1e-6, abs=1e-12)
            assert sbp.map_slope(spec, lam_prev) <= spec.theta * spec.delta / (spec.sigma - 1)


def _scan_count(spec: SimpleModelSpec, n: int = 4001) -> int:
    """Steady states by brute force: sign changes of λ_t(λ) − λ on a fine grid, plus λ = 1 if fixed."""
    grid = np.linspace(1e-9, 1 - 1e-9, n)
    gap = sbp.law_of_motion(spec, grid) - grid
    return int(np.sum(np.sign(gap[1:]) != np.sign(gap[:-1]))) + int(sbp.static_share(spec, 1.0) == 1.0)


def test_steady_states_agree_with_a_brute_force_scan_and_are_fixed_points():
    rng = np.random.default_rng(7)
    seen = set()
    for _ in range(40):
        spec = SimpleModelSpec(5, 4.24, float(rng.uniform(1.05, 1.6)), float(rng.uniform(0, 3)),
                               float(np.exp(rng.uniform(np.log(2), np.log(30)))))
        states = sbp.steady_states(spec)
        assert len(states.states) == _scan_count(spec), spec
        seen.add(len(states.states))
        for state in states.states:
            assert sbp.static_share(spec, state.share) == pytest.approx(state.share, rel=1e-10)
            if not state.corner:
                numeric = (sbp.static_share(spec, state.share + 1e-7) - sbp.static_share(spec, state.share - 1e-7)) / 2e-7
                assert state.slope == pytest.approx(numeric, rel=1e-5)
                assert state.stable == (numeric < 1)
    assert seen == {1, 3}
    labels = [s.label for s in sbp.steady_states(MULTIPLE).states]
    assert labels == ["S^Pre", "S^U", "S^Ind"]
    assert [s.stable for s in sbp.steady_states(MULTIPLE).states] == [True, False, True]


def _numeric_slope(spec: SimpleModelSpec, lam: float, h: float = 1e-6) -> float:
    return (sbp.static_share(spec, lam + h) - sbp.static_share(spec, lam - h)) / (2 * h)


@pytest.mark.parametrize("parameter", ["delta", "eta", "scale"])
def test_fold_points_are_tangencies_and_the_count_changes_exactly_at_the_ends(parameter):
    interval = {"delta": sbp.delta_interval, "eta": sbp.eta_interval, "scale": sbp.scale_interval}[parameter](MULTIPLE)
    assert interval.exists and interval.low < getattr(MULTIPLE, parameter) < interval.high
    fold = replace(MULTIPLE, **{parameter: interval.high})
    # the map touches the 45° line at the fold share with slope 1 (finite differences of the solved map)
    assert sbp.static_share(fold, interval.fold_share) == pytest.approx(interval.fold_share, rel=1e-9)
    assert _numeric_slope(fold, interval.fold_share) == pytest.approx(1.0, abs=1e-5)
    grid = np.linspace(0.01, 0.99, 99)
    assert np.all(sbp.law_of_motion(fold, grid) >= grid - 1e-12)                  # touches, never crosses
    # the lower end: the map passes through (1, 1), λ̂(1) = 1 exactly
    border = replace(MULTIPLE, **{parameter: interval.low})
    assert sbp.static_excess(border, 0.0, 1.0) == pytest.approx(0.0, abs=1e-10)
    for value, count in ((interval.low * (1 - 1e-6), 1), (interval.low * (1 + 1e-6), 3),
                         (interval.high * (1 - 1e-6), 3), (interval.high * (1 + 1e-6), 1)):
        assert len(sbp.steady_states(replace(MULTIPLE, **{parameter: value})).states) == count


def test_delta_interval_lies_above_the_slope_bound():
    for spec in SPECS:
        interval = sbp.delta_interval(spec)
        if interval.exists:
            assert interval.low > (spec.sigma - 1) / spec.theta


def test_panel_b_grid_counts_agree_with_the_steady_states():
    deltas, etas = np.linspace(0, 3, 31), np.linspace(1.02, 1.6, 30)
    counts = sbp.steady_state_counts(MULTIPLE, deltas, etas)
    assert counts.shape == (30, 31) and set(np.unique(counts)) == {1, 3}
    for i in range(0, 30, 3):
        for j in range(0, 31, 3):
            spec = replace(MULTIPLE, eta=float(etas[i]), delta=float(deltas[j]))
            assert counts[i, j] == len(sbp.steady_states(spec).states)


@pytest.mark.parametrize("kind,lam0", [("fixed_cost", None), ("fixed_cost", 0.5), ("input", 0.5), ("input", 0.65)])
def test_threshold_subsidy_lands_just_above_s_u(kind, lam0):
    states = sbp.steady_states(MULTIPLE)
    found = sbp.threshold_subsidy(MULTIPLE, kind, lam0)
    start = states.states[0].share if lam0 is None else lam0
    assert found.rate is not None and 0 < found.rate < 1
    assert sbp.static_share(MULTIPLE, start, Subsidy(kind, found.rate)) == pytest.approx(states.unstable.share, rel=1e-9)
    above = sbp.path(MULTIPLE, start, 200, Subsidy(kind, found.rate + 1e-6))
    below = sbp.path(MULTIPLE, start, 200, Subsidy(kind, found.rate - 1e-6))
    assert above[1] > states.unstable.share > below[1]
    assert above[-1] == 1.0 and below[-1] == pytest.approx(states.states[0].share, rel=1e-8)
    if kind == "fixed_cost":  # docs/simple-model.md §5: s̲ = 1 − exp(−δ(S^U − λ_0)), from (4.4) at a steady state
        closed = 1 - math.exp(-MULTIPLE.delta * (states.unstable.share - start))
        assert found.rate == pytest.approx(closed, rel=1e-10)


def test_an_input_subsidy_that_cannot_suffice_says_so_and_reports_the_highest_share():
    found = sbp.threshold_subsidy(MULTIPLE, "input")  # from S^Pre ≈ 0.30
    assert found.rate is None and "no one-period" in found.reason
    near_one = sbp.static_share(MULTIPLE, found.lam0, Subsidy("input", 1 - 1e-9))
    assert found.reached == pytest.approx(near_one, rel=1e-6) and found.reached < found.target
    rates = np.linspace(0, 1 - 1e-6, 400)
    assert max(sbp.static_share(MULTIPLE, found.lam0, Subsidy("input", float(r))) for r in rates) <= found.reached


def test_no_threshold_with_one_steady_state_or_above_s_u():
    single = sbp.threshold_subsidy(SPECS[0], "fixed_cost")
    assert single.rate is None and "one steady state" in single.reason
    above = sbp.threshold_subsidy(MULTIPLE, "input", 0.9)
    assert above.rate == 0.0 and "without a subsidy" in above.reason


def test_proposition_2_ii_s_u_and_the_thresholds_fall_with_market_size():
    interval = sbp.scale_interval(MULTIPLE)
    scales = np.linspace(interval.low, interval.high, 12)[1:-1]
    rows = sbp.market_size_effect(MULTIPLE, scales, lam0=0.45)
    assert all(row["steady_states"] == 3 for row in rows)
    for column in ("S_U", "threshold_fixed_cost"):
        values = [row[column] for row in rows]
        assert all(np.diff(values) < 0), column
    inputs = [row["threshold_input"] for row in rows if row["threshold_input"] is not None]
    assert len(inputs) >= 2 and all(np.diff(inputs) < 0)
    # and paths: from λ_0 = 0.45 the same one-period push works in the larger market only
    small, large = replace(MULTIPLE, scale=float(scales[1])), replace(MULTIPLE, scale=float(scales[-2]))
    push = Subsidy("fixed_cost", rows[-2]["threshold_fixed_cost"] + 0.01)
    assert sbp.path(large, 0.45, 300, push)[-1] == 1.0 > sbp.path(small, 0.45, 300, push)[-1]


@pytest.mark.parametrize("values,words", [
    ({"sigma": 2.0}, "σ > 2"), ({"theta": 3.9}, "θ > σ − 1"), ({"eta": 1.0}, "η > 1"),
    ({"delta": -0.1}, "δ ≥ 0"), ({"scale": 0.0}, "positive"), ({"eta": math.nan}, "finite")])
def test_parameters_outside_the_assumptions_are_refused(values, words):
    with pytest.raises(sbp.ModelError, match=words):
        replace(MULTIPLE, **values)


def test_verdict_states_the_count_and_the_intervals():
    spec = SimpleModelSpec(5, 4.24, 1.25, 0.68, 10)
    report = sbp.analyze(spec)
    interval = sbp.delta_interval(spec)
    first = report.verdict()[0]
    assert first.startswith("At η = 1.25, δ = 0.68") and "one steady state" in first
    assert f"several steady states need δ between {interval.low:.4g} and {interval.high:.4g}" in first
    assert "no value of η" in report.verdict()[1]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench", "model", "simple", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_cli_model_simple_prints_the_analysis_as_json():
    done = run_cli("--sigma", "5", "--theta", "4.24", "--eta", "1.25", "--delta", "2", "--scale", "10", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    expected = sbp.analyze(MULTIPLE)
    assert [s["share"] for s in out["steady_states"]] == pytest.approx([s.share for s in expected.states.states])
    assert [s["stable"] for s in out["steady_states"]] == [True, False, True]
    assert out["S_U"] == pytest.approx(expected.states.unstable.share)
    assert out["multiplicity"]["delta"]["low"] == pytest.approx(expected.delta.low)
    assert out["multiplicity"]["eta"]["high"] == pytest.approx(expected.eta.high)
    assert out["threshold_subsidy"]["fixed_cost"]["rate"] == pytest.approx(expected.thresholds["fixed_cost"].rate)
    assert out["threshold_subsidy"]["input"]["rate"] is None and out["threshold_subsidy"]["input"]["reason"]
    assert out["inputs_from"] == {"sigma": "given", "theta": "given", "eta": "given", "delta": "given",
                                  "scale": "given"}
    text = run_cli("--delta", "2", "--lambda0", "0.5")
    assert text.returncode == 0 and "σ = 5 (the paper's)" in text.stdout and "S^U: 0.7295" in text.stdout


def test_cli_model_simple_refuses_parameters_outside_the_model():
    done = run_cli("--sigma", "2")
    assert done.returncode == 1 and "σ > 2" in done.stderr and not done.stdout
    done = run_cli("--lambda0", "1.5", "--delta", "2")
    assert done.returncode == 1 and "[0, 1]" in done.stderr
