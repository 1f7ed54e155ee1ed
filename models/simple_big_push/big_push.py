"""Paths, the threshold one-period subsidy (Proposition 2(i)) and market size (Proposition 2(ii))."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .equilibrium import _brentq, static_equilibrium, static_log_share, static_share
from .spec import SUBSIDY_KINDS, ModelError, SimpleModelSpec, Subsidy, SubsidyKind
from .steady_states import SteadyStates, steady_states


def path(spec: SimpleModelSpec, lam0: float, periods: int, subsidy: Subsidy | None = None) -> np.ndarray:
    """λ_0 = lam0, λ_1, …, λ_periods; a subsidy, if any, applies in period 1 only."""
    if not 0 <= lam0 <= 1:
        raise ModelError(f"the initial share {lam0:g} must be in [0, 1]")
    shares = [float(lam0)]
    for period in range(1, periods + 1):
        shares.append(static_share(spec, shares[-1], subsidy if period == 1 else None))
    return np.array(shares)


@dataclass(frozen=True)
class ThresholdSubsidy:
    """The smallest one-period subsidy that lifts λ_1 above S^U from λ_0 (Proposition 2(i)), or why none.

    ``rate`` is None when no one-period subsidy of this kind suffices or none is needed (``reason``);
    ``reached`` is λ_1 at the threshold, or the highest λ_1 any rate in [0, 1) reaches."""

    kind: SubsidyKind
    lam0: float
    target: float | None          # S^U
    rate: float | None
    reached: float | None
    cost_share: float | None      # the subsidy's outlays over GDP in that period, at the threshold
    reason: str = ""

    def as_dict(self) -> dict:
        return {"rate": self.rate, "lambda0": self.lam0, "target_S_U": self.target, "reached": self.reached,
                "cost_share_of_gdp": self.cost_share, "reason": self.reason}


#: rates scanned for the first one that works: 0.005 steps, then ever closer to 1
_RATES = np.concatenate([np.arange(0.005, 0.99, 0.005), 1 - np.logspace(-2, -12, 41)])


def input_subsidy_limit(spec: SimpleModelSpec, lam_prev: float) -> float:
    """lim_{s→1} λ_t under an input subsidy: ln λ = (ln η + ln(L/(σF^T)) + δλ_{t−1} − g ln κ)/(a + gβ).

    As s → 1 adopters' cost advantage grows like 1/(1 − s), but so does their labour demand per unit of
    sales; with L fixed the two cancel, so the effect of the subsidy is bounded."""
    t = (math.log(spec.eta) + math.log(spec.scale / spec.sigma) + spec.delta * lam_prev + spec.g * math.log(spec.beta)
         ) / (spec.a + spec.g * spec.beta)
    return math.exp(min(t, 0.0))


def threshold_subsidy(spec: SimpleModelSpec, kind: SubsidyKind, lam0: float | None = None,
                      states: SteadyStates | None = None) -> ThresholdSubsidy:
    """s̲ = min{s: λ_1(λ_0; s) > S^U}; λ_0 defaults to S^Pre. A fixed-cost subsidy always suffices
    (s → 1 makes adoption free); an input subsidy may not (:func:`input_subsidy_limit`)."""
    if lam0 is not None and not 0 <= lam0 <= 1:
        raise ModelError(f"the initial share λ_0 = {lam0:g} must be in [0, 1]")
    states = states or steady_states(spec)
    target = states.unstable
    start = states.states[0].share if lam0 is None else lam0
    if target is None or not states.multiple:
        return ThresholdSubsidy(kind, start, None, None, None, None,
                                "one steady state: a one-period subsidy cannot change where the economy ends up")
    if start >= target.share:
        return ThresholdSubsidy(kind, start, target.share, 0.0, start, 0.0,
                                f"λ_0 = {start:.4g} is at or above S^U = {target.share:.4g}: the economy reaches "
                                "S^Ind without a subsidy")
    log_target = math.log(target.share)

    def gap(rate: float) -> float:
        return static_log_share(spec, start, Subsidy(kind, rate)) - log_target

    previous = 0.0
    for rate in _RATES:
        if gap(float(rate)) > 0:
            found = _brentq(gap, previous, float(rate), "solving for the threshold subsidy")
            equilibrium = static_equilibrium(spec, start, Subsidy(kind, found))
            return ThresholdSubsidy(kind, start, target.share, found, equilibrium.share,
                                    equilibrium.subsidy_cost_share)
        previous = float(rate)
    reached, at = max((static_share(spec, start, Subsidy(kind, float(r))), float(r)) for r in _RATES)
    limit = input_subsidy_limit(spec, start) if kind == "input" else None
    if limit is not None and limit >= reached * (1 - 1e-9):  # the supremum, approached as s → 1
        how = f"even as s → 1 the share in the subsidized period only approaches {limit:.4g}"
        reached = limit
    else:
        how = f"the highest share it reaches is {reached:.4g} (at s = {at:.4g})"
    return ThresholdSubsidy(kind, start, target.share, None, reached, None,
                            f"no one-period subsidy of this kind moves the economy past S^U = {target.share:.4g}: "
                            f"from λ_0 = {start:.4g}, {how}")



def market_size_effect(spec: SimpleModelSpec, scales: np.ndarray, lam0: float) -> list[dict]:
    """S^U and both threshold subsidies from a fixed λ_0 at each L/F^T (Proposition 2(ii))."""
    rows = []
    for scale in np.asarray(scales, dtype=float):
        other = replace(spec, scale=float(scale))
        states = steady_states(other)
        row = {"scale": float(scale), "steady_states": len(states.states),
               "S_U": states.unstable.share if states.unstable else None}
        for kind in SUBSIDY_KINDS:
            row[f"threshold_{kind}"] = threshold_subsidy(other, kind, lam0, states).rate if row["S_U"] else None
        rows.append(row)
    return rows
