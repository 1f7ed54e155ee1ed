"""The static equilibrium given λ_{t−1}: eq. (4.4) solved on the log scale, with the corner λ = 1."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from .spec import SimpleModelSpec, SolverError, Subsidy, log_expm1

_XTOL = 1e-15      # brentq tolerances (log scale): far below what any figure shows
_RTOL = 4 * np.finfo(float).eps
_LOG_TINY = math.log(1e-300)


def _softplus(x: float) -> float:
    """ln(1 + e^x) without overflow."""
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


def _logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x > -700 else 0.0


def log_A(spec: SimpleModelSpec, lam: float) -> float:
    """ln A(λ), the second line of eq. (4.4): A^{σ−1} = θ/(θ−σ+1) · ((η^{σ−1}−1) λ^{(θ−σ+1)/θ} + 1)."""
    return (-math.log(spec.beta) + _softplus(spec.log_u + spec.beta * math.log(lam))) / (spec.sigma - 1)


def _R(spec: SimpleModelSpec, t: float, log_u: float | None = None, log_scale: float | None = None) -> float:
    """R(t) = a t + (σ−2) ln A(e^t) − ln(u L/(σ F^T)): eq. (4.4) in logs is R(ln λ̂_t) = δ λ_{t−1}."""
    log_u = spec.log_u if log_u is None else log_u
    log_scale = math.log(spec.scale) if log_scale is None else log_scale
    return (spec.a * t + spec.g * (-math.log(spec.beta) + _softplus(log_u + spec.beta * t))
            - (log_u + log_scale - math.log(spec.sigma)))


def _input_subsidy_terms(spec: SimpleModelSpec, rate: float) -> tuple[float, float]:
    """(ln ũ, ln(s/(1−s))) for an input subsidy: adopters act as if η̃ = η/(1 − s)."""
    log_eta_tilde = math.log(spec.eta) - math.log1p(-rate)
    log_u = log_expm1((spec.sigma - 1) * log_eta_tilde)
    return log_u, (math.log(rate) - math.log1p(-rate)) if rate > 0 else -math.inf


def _log_omega(spec: SimpleModelSpec, t: float, log_u: float) -> float:
    """ln ω_A: adopters' share of sales, ω_A = (ũ + 1) λ^β / (ũ λ^β + 1)."""
    return _softplus(log_u) + spec.beta * t - _softplus(log_u + spec.beta * t)


def static_excess(spec: SimpleModelSpec, t: float, lam_prev: float, subsidy: Subsidy | None = None) -> float:
    """Φ(t) = R_s(t) − δ λ_{t−1}, strictly increasing in t = ln λ; λ̂_t is its root.

    Fixed-cost subsidy: F^T → (1 − s)F^T, so R_s = R + ln(1 − s). Input subsidy: η → η̃ = η/(1 − s) in
    A and in the private gain, and labour-market clearing adds ln(1 + s ω_A/(1 − s)) (adopters hire
    more labour per unit of sales; docs/simple-model.md §5)."""
    if subsidy is None or subsidy.rate == 0:
        return _R(spec, t) - spec.delta * lam_prev
    if subsidy.kind == "fixed_cost":
        return _R(spec, t) + math.log1p(-subsidy.rate) - spec.delta * lam_prev
    log_u, log_r = _input_subsidy_terms(spec, subsidy.rate)
    labour = _softplus(log_r + _log_omega(spec, t, log_u))
    return _R(spec, t, log_u=log_u) + labour - spec.delta * lam_prev


def _slope_range(spec: SimpleModelSpec, subsidy: Subsidy | None) -> tuple[float, float]:
    """Bounds on dΦ/dt: a ≤ Φ' ≤ a + gβ (+ β with an input subsidy); they bracket the root exactly."""
    high = spec.a + spec.g * spec.beta + (spec.beta if subsidy is not None and subsidy.kind == "input" else 0)
    return spec.a, high


def _brentq(f, lo: float, hi: float, doing: str) -> float:
    """scipy's brentq with convergence checked; a failure raises SolverError saying what was solved."""
    try:
        root, info = brentq(f, lo, hi, xtol=_XTOL, rtol=_RTOL, maxiter=500, full_output=True)
    except (ValueError, RuntimeError) as err:
        raise SolverError(f"{doing}: {err}") from err
    if not info.converged:
        raise SolverError(f"{doing}: brentq did not converge ({info.flag}) after {info.iterations} iterations")
    return root


def static_log_share(spec: SimpleModelSpec, lam_prev: float, subsidy: Subsidy | None = None) -> float:
    """ln λ_t given λ_{t−1}: the root of :func:`static_excess` (eq. 4.4), or 0 at the corner λ_t = 1.

    Φ(0) ≤ 0 means λ̂_t ≥ 1 (eq. 4.3's corner). Otherwise, since a ≤ Φ' ≤ a_max, the root lies in
    [−Φ(0)/a, −Φ(0)/a_max]: an exact bracket on the log scale, so shares down to 1e−300 solve as well
    (smaller ones raise SolverError)."""
    phi0 = static_excess(spec, 0.0, lam_prev, subsidy)
    if phi0 <= 0:
        return 0.0
    low_slope, high_slope = _slope_range(spec, subsidy)
    lo, hi = -phi0 / low_slope, -phi0 / high_slope
    t = _brentq(lambda t: static_excess(spec, t, lam_prev, subsidy), lo * (1 + 1e-12), hi * (1 - 1e-12),
                "solving eq. (4.4) for λ_t")
    if t < _LOG_TINY:
        raise SolverError(f"the adopter share is below 1e-300 (ln λ = {t:.0f}), too small to represent: "
                          "raise L/F^T or η")
    return t


def static_share(spec: SimpleModelSpec, lam_prev: float, subsidy: Subsidy | None = None) -> float:
    """λ_t = min{λ̂_t, 1} given λ_{t−1} (eq. 4.3), with an optional one-period subsidy."""
    return math.exp(static_log_share(spec, lam_prev, subsidy))


def law_of_motion(spec: SimpleModelSpec, grid: np.ndarray) -> np.ndarray:
    """λ_t(λ_{t−1}) on a grid of λ_{t−1} (Figure 3's red locus)."""
    return np.array([static_share(spec, float(x)) for x in np.asarray(grid, dtype=float)])


def map_slope(spec: SimpleModelSpec, lam_prev: float) -> float:
    """dλ_t/dλ_{t−1} = δλ_t / (a + gβ · uλ_t^β/(1 + uλ_t^β)) when λ_t < 1, and 0 on the corner.

    The denominator is at least a, so the slope is at most θδλ_t/(σ − 1) ≤ θδ/(σ − 1)."""
    t = static_log_share(spec, lam_prev)
    if t >= 0:
        return 0.0
    return spec.delta * math.exp(t) / (spec.a + spec.g * spec.beta * _logistic(spec.log_u + spec.beta * t))


@dataclass(frozen=True)
class StaticEquilibrium:
    """One period's equilibrium given λ_{t−1} (and a subsidy): prices in units of the final good."""

    share: float               # λ_t
    real_wage: float           # w/P = f(λ_{t−1}) Ã(λ_t)/μ
    output: float              # Q/F^T: final output over the fixed cost, = f Ã (L/F^T)/(1 + s ω_A/(1−s))
    adopter_sales_share: float  # ω_A
    subsidy_cost_share: float  # subsidy outlays / GDP (PQ)
    labour_tax: float          # τ^w that balances the budget (the subsidy over the wage bill)


def static_equilibrium(spec: SimpleModelSpec, lam_prev: float, subsidy: Subsidy | None = None) -> StaticEquilibrium:
    """λ_t with the prices and the subsidy's cost (docs/simple-model.md §5).

    P = μw/(fÃ) (price index), μwL = PQ·(1 + s ω_A/(1 − s)) (labour market, input subsidy), a fixed-cost
    subsidy costs s P F^T λ_t, an input subsidy s w L_A = s ω_A PQ/(μ(1 − s)); both are financed by the
    labour tax τ^w = outlays/(wL)."""
    t = static_log_share(spec, lam_prev, subsidy)
    rate = subsidy.rate if subsidy is not None else 0.0
    kind = subsidy.kind if subsidy is not None else "fixed_cost"
    log_u, log_r = _input_subsidy_terms(spec, rate) if kind == "input" and rate > 0 else (spec.log_u, -math.inf)
    mu = spec.sigma / (spec.sigma - 1)
    log_a_tilde = (-math.log(spec.beta) + _softplus(log_u + spec.beta * t)) / (spec.sigma - 1)
    omega = math.exp(_log_omega(spec, t, log_u))
    labour_factor = 1 + math.exp(log_r) * omega if math.isfinite(log_r) else 1.0
    f = math.exp(spec.delta * lam_prev)
    output = f * math.exp(log_a_tilde) * spec.scale / labour_factor
    if kind == "fixed_cost":
        cost = rate * math.exp(t) / output          # s P F^T λ / (P Q)
    else:
        cost = rate * omega / (mu * (1 - rate))    # s w L_A / (P Q): w L_A = ω_A PQ/(μ(1 − s))
    wage_bill_share = labour_factor / mu            # wL/PQ, from labour-market clearing
    return StaticEquilibrium(share=math.exp(t), real_wage=f * math.exp(log_a_tilde) / mu, output=output,
                             adopter_sales_share=omega, subsidy_cost_share=cost,
                             labour_tax=cost / wage_bill_share)
