"""Steady states, their stability, and the intervals of δ, η and L/F^T with several of them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .equilibrium import _R, _brentq, _logistic, _softplus, static_log_share
from .spec import SimpleModelSpec, SolverError, eta_from_u

_SAME = 1e-9       # two steady states closer than this (in λ) are one


def _critical_log_share(spec: SimpleModelSpec, log_u: float | None = None, log_scale: float | None = None) -> float:
    """t_m = ln λ_m, where D(λ) = R(ln λ)/λ peaks: the only λ at which the map can be tangent to the 45° line.

    D′ = 0 ⇔ dR/dt = R. With y = ln u + βt this is m(y) = −C, where m(y) = a + gβ·logistic(y) − (a/β) y
    − g(ln κ + ln(1 + e^y)) depends on σ and θ only and C = (a/β + 1) ln u + ln(L/(σF^T)). Since
    −g − a/β ≤ m′ ≤ −a/β < 0 the root is unique and bracketed exactly."""
    log_u = spec.log_u if log_u is None else log_u
    log_scale = math.log(spec.scale) if log_scale is None else log_scale
    a, b, g, beta = spec.a, spec.g * spec.beta, spec.g, spec.beta
    shift = (a / beta + 1) * log_u + log_scale - math.log(spec.sigma)

    def k(y: float) -> float:
        return a + b * _logistic(y) - a / beta * y - g * (-math.log(beta) + _softplus(y)) + shift

    k0 = k(0.0)
    if k0 == 0:
        y = 0.0
    else:
        ends = sorted((k0 / (a / beta), k0 / (a / beta + g)))
        y = _brentq(k, ends[0] - 1e-9 * (1 + abs(ends[0])), ends[1] + 1e-9 * (1 + abs(ends[1])),
                    "locating the tangency of the map with the 45° line")
    return (y - log_u) / beta


def _D(spec: SimpleModelSpec, t: float, log_u: float | None = None, log_scale: float | None = None) -> float:
    """D(λ) = R(ln λ)/λ: the δ at which λ is a steady state (λ < 1), or at which λ = 1 becomes one."""
    return _R(spec, t, log_u, log_scale) * math.exp(-t)


@dataclass(frozen=True)
class SteadyState:
    share: float     # λ*
    slope: float     # dλ_t/dλ_{t−1} at λ* (0 on the corner when λ̂ > 1 there)
    stable: bool     # slope < 1
    label: str       # S^Pre, S^U, S^Ind; "S" when it is the only one
    corner: bool     # λ* = 1: every firm adopts


@dataclass(frozen=True)
class SteadyStates:
    """Every steady state of one parameter set, lowest first, and where D peaks (λ_m, may exceed 1)."""

    spec: SimpleModelSpec
    states: tuple[SteadyState, ...]
    peak_share: float

    @property
    def multiple(self) -> bool:
        return len(self.states) > 1

    def labelled(self, label: str) -> SteadyState | None:
        return next((s for s in self.states if label in s.label.split(" = ")), None)

    @property
    def unstable(self) -> SteadyState | None:
        """S^U, the edge of the underdevelopment region [0, S^U], or None with one steady state."""
        return self.labelled("S^U")

    def as_records(self) -> list[dict]:
        return [{"label": s.label, "share": s.share, "stable": s.stable, "slope": s.slope, "corner": s.corner}
                for s in self.states]


def _interior_slope(spec: SimpleModelSpec, t: float) -> float:
    return spec.delta * math.exp(t) / (spec.a + spec.g * spec.beta * _logistic(spec.log_u + spec.beta * t))


def steady_states(spec: SimpleModelSpec) -> SteadyStates:
    """All steady states λ* = λ_t(λ*) (Proposition 1(iv)) with their stability.

    Interior ones are the roots of H(t) = R(t) − δe^t on the rising branch of D, bracketed by
    [ln λ̂(λ_{t−1} = 0), min(t_m, 0)], and on its falling branch (t_m, 0); λ = 1 is one when H(0) ≤ 0.
    D is monotone on each branch, so each holds at most one root and none is missed."""
    t_m = _critical_log_share(spec)

    def H(t: float) -> float:
        return _R(spec, t) - spec.delta * math.exp(t)

    roots: list[float] = []
    t_lo = static_log_share(spec, 0.0)
    t_top = min(t_m, 0.0)
    if t_lo < 0 and t_lo <= t_top and H(t_top) > 0:
        # H(t_lo) = −δλ̂(0) ≤ 0; with δ ≈ 0 rounding may leave it at +1e-17: then t_lo is the root
        roots.append(t_lo if H(t_lo) >= 0 else _brentq(H, t_lo, t_top, "solving for the low steady state"))
    if t_m < 0 and H(t_m) > 0 > H(0.0):
        roots.append(_brentq(H, t_m, 0.0, "solving for the unstable steady state"))
    elif t_m < 0 and H(t_m) == 0:
        roots.append(t_m)  # exactly at the fold
    states: list[tuple[float, float, bool]] = []  # (share, slope, corner)
    for t in roots:
        if not states or math.exp(t) - states[-1][0] > _SAME:
            states.append((math.exp(t), _interior_slope(spec, t), False))
    h1 = H(0.0)
    if h1 <= 0:
        slope = 0.0 if h1 < 0 else _interior_slope(spec, 0.0)
        if states and 1 - states[-1][0] <= _SAME:
            states.pop()
        states.append((1.0, slope, True))
    return SteadyStates(spec, tuple(SteadyState(share, slope, slope < 1 - 1e-9, label, corner)
                                    for (share, slope, corner), label in zip(states, _labels(states), strict=True)),
                        math.exp(t_m))


def _labels(states: list[tuple[float, float, bool]]) -> list[str]:
    if len(states) == 1:
        return ["S"]
    if len(states) == 3:
        return ["S^Pre", "S^U", "S^Ind"]
    # two: a boundary case, the fold (low one tangent) or S^U on the corner
    if abs(states[0][1] - 1) < 1e-6:
        return ["S^Pre = S^U", "S^Ind"]
    return ["S^Pre", "S^U = S^Ind"]


# ------------------------------------------------------------------------------- multiplicity

@dataclass(frozen=True)
class Interval:
    """The values of one parameter (others fixed) with several steady states, or why there are none.

    ``low``: where S^U reaches full adoption (the map crosses the 45° line exactly at λ = 1);
    ``high``: the fold, where the map is tangent to the 45° line at λ = ``fold_share``."""

    parameter: str                   # "delta", "eta" or "scale"
    low: float | None = None
    high: float | None = None
    fold_share: float | None = None
    context: str = ""                # the fixed parameters, e.g. "δ = 0.68 and L/F^T = 10"
    why: str = ""                    # why no value works, when none does

    @property
    def symbol(self) -> str:
        return {"delta": "δ", "eta": "η", "scale": "L/F^T"}[self.parameter]

    @property
    def reason(self) -> str:
        """"no value of η gives several steady states at δ = …: <why>", or "" when the interval exists."""
        return "" if self.exists else f"no value of {self.symbol} gives several steady states at {self.context}: {self.why}"

    @property
    def exists(self) -> bool:
        return self.low is not None

    def as_dict(self) -> dict:
        return {"low": self.low, "high": self.high, "fold_share": self.fold_share, "reason": self.reason}


def delta_interval(spec: SimpleModelSpec) -> Interval:
    """[δ̲, δ̄] = [D(1), D(λ_m)] at the spec's η and L/F^T; empty when the peak λ_m ≥ 1."""
    t_m = _critical_log_share(spec)
    if t_m >= 0:
        return Interval("delta", context=_context(spec, "delta"),
                        why=f"the map could be tangent to the 45° line only at λ = {math.exp(t_m):.3g} > 1")
    return Interval("delta", _D(spec, 0.0), _D(spec, t_m), math.exp(t_m))


def _solve_decreasing(f, x0: float, doing: str) -> float:
    """The root of a strictly decreasing f on ℝ: step out from x0 (doubling) until the sign changes."""
    f0 = f(x0)
    if f0 == 0:
        return x0
    direction = 1.0 if f0 > 0 else -1.0
    step = 1.0
    for _ in range(60):
        x1 = x0 + direction * step
        if (f(x1) > 0) != (f0 > 0):
            return _brentq(f, min(x0, x1), max(x0, x1), doing)
        x0, f0, step = x1, f(x1), step * 2
    raise SolverError(f"{doing}: no sign change found")


def _interval_in(spec: SimpleModelSpec, parameter: str) -> Interval:
    """The interval of η (``log_u``) or of L/F^T (``log_scale``) with several steady states, δ fixed.

    Both D(1) and max_{λ≤1} D fall strictly as η or L/F^T rise, so the lower end solves D(1) = δ and
    the upper end max D = δ, each by bracketing on the log scale. Empty when θδ/(σ − 1) ≤ 1 (the slope bound)."""
    if spec.slope_bound <= 1:
        return Interval(parameter, context=_context(spec, parameter), why=_bound_why(spec))

    def shifted(x: float) -> dict:
        return {"log_u": x} if parameter == "eta" else {"log_scale": x}

    start = spec.log_u if parameter == "eta" else math.log(spec.scale)
    x_lo = _solve_decreasing(lambda x: _D(spec, 0.0, **shifted(x)) - spec.delta, start,
                             f"solving for the lower end of the {parameter} interval")
    t_m = _critical_log_share(spec, **shifted(x_lo))
    if t_m >= 0:
        return Interval(parameter, context=_context(spec, parameter),
                        why=f"where S^U would reach full adoption the map could be tangent to the 45° line only at "
                            f"λ = {math.exp(t_m):.3g} > 1")

    def peak_gap(x: float) -> float:
        return _D(spec, min(_critical_log_share(spec, **shifted(x)), 0.0), **shifted(x)) - spec.delta

    x_hi = _solve_decreasing(peak_gap, x_lo, f"solving for the fold of the {parameter} interval")
    fold = math.exp(_critical_log_share(spec, **shifted(x_hi)))
    value = (lambda x: eta_from_u(spec, x)) if parameter == "eta" else math.exp
    return Interval(parameter, value(x_lo), value(x_hi), fold)


def _context(spec: SimpleModelSpec, parameter: str) -> str:
    """The parameters held fixed when ``parameter`` varies, e.g. "δ = 0.68 and L/F^T = 10"."""
    fixed = {"delta": f"δ = {spec.delta:.4g}", "eta": f"η = {spec.eta:.4g}", "scale": f"L/F^T = {spec.scale:.4g}"}
    return " and ".join(v for k, v in fixed.items() if k != parameter)


def _bound_why(spec: SimpleModelSpec) -> str:
    return f"the map's slope is at most θδ/(σ − 1) = {spec.slope_bound:.3f} ≤ 1, so it crosses the 45° line once"


def eta_interval(spec: SimpleModelSpec) -> Interval:
    """[η̲, η̄] with several steady states at the spec's δ and L/F^T (η̄ at the fold)."""
    return _interval_in(spec, "eta")


def scale_interval(spec: SimpleModelSpec) -> Interval:
    """The market sizes L/F^T with several steady states at the spec's η and δ."""
    return _interval_in(spec, "scale")


def steady_state_counts(spec: SimpleModelSpec, deltas: np.ndarray, etas: np.ndarray) -> np.ndarray:
    """Number of steady states on a (η × δ) grid (rows η, columns δ): Figure 3, panel B.

    Per η: 3 where D(1) < δ < D(λ_m) and λ_m < 1, 2 on those two boundaries, else 1."""
    deltas = np.asarray(deltas, dtype=float)
    counts = np.ones((len(etas), len(deltas)), dtype=int)
    for row, eta in enumerate(np.asarray(etas, dtype=float)):
        log_u = SimpleModelSpec(spec.sigma, spec.theta, float(eta), 0.0, spec.scale).log_u
        t_m = _critical_log_share(spec, log_u=log_u)
        if t_m >= 0:
            continue
        low, high = _D(spec, 0.0, log_u=log_u), _D(spec, t_m, log_u=log_u)
        inside = (deltas >= low) & (deltas <= high)
        counts[row] += inside.astype(int) + (inside & (deltas > low) & (deltas < high)).astype(int)
    return counts
