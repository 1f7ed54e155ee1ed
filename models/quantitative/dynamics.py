"""The law of motion λ_t = Λ(λ_{t−1}) (docs eq. Q28): paths period by period to a steady state."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .equilibrium import StaticEquilibrium, solve_static
from .spec import Fundamentals, ModelError, QuantSpec, SolverError

log = logging.getLogger(__name__)


def law_of_motion(spec: QuantSpec, fund: Fundamentals, lam_prev, guess: np.ndarray | None = None,
                  method: str = "auto") -> np.ndarray:
    """λ_t given λ_{t−1} and this period's fundamentals (eq. Q28)."""
    return solve_static(spec, fund, lam_prev, guess=guess, method=method).adopter_share


def period_specs(spec: QuantSpec | Sequence[QuantSpec]) -> tuple[QuantSpec, ...]:
    """One spec (constant) or one per period (the last held constant), as a tuple. Every period must have the
    same regions and sectors: the static unknowns (ln w, ln P, ln E) must keep their meaning so that a
    period's solve can start from the previous period's solution."""
    specs = (spec,) if isinstance(spec, QuantSpec) else tuple(spec)
    if not specs or not all(isinstance(s, QuantSpec) for s in specs):
        raise ModelError("give one QuantSpec or a non-empty sequence of QuantSpecs, one per period")
    shapes = {(s.n_regions, s.n_sectors) for s in specs}
    if len(shapes) > 1:
        raise ModelError(f"per-period specs must share the number of regions and sectors; got {sorted(shapes)}")
    return specs


def at_period(items: Sequence, t: int):
    """The period-t (1-based) entry of a per-period sequence whose last entry is held constant."""
    return items[min(t, len(items)) - 1]


@dataclass(frozen=True)
class Path:
    """λ_0, λ_1, …, λ_T and each period's equilibrium; ``steady`` is λ_T once it has settled."""

    shares: np.ndarray                         # (T + 1, N, J), shares[0] = λ_0
    equilibria: tuple[StaticEquilibrium, ...]  # periods 1..T
    steady: np.ndarray
    periods: int
    change: float                              # max |λ_T − λ_{T−1}|


def solve_path(spec: QuantSpec | Sequence[QuantSpec], schedule: Sequence[Fundamentals], lam0, max_periods: int = 200,
               tol: float = 1e-10, method: str = "auto", guess: np.ndarray | None = None) -> Path:
    """Iterate (Q28) from λ_0 with the period-t spec and fundamentals ``spec[t−1]``, ``schedule[t−1]`` (each
    sequence's last entry held constant; one ``spec`` is constant) until max|λ_t − λ_{t−1}| < tol after both
    sequences end; SolverError if λ has not settled by ``max_periods``. Each static solve is warm-started
    from the previous period's solution, the first from ``guess`` (a ``StaticEquilibrium.solution``) if given."""
    specs = period_specs(spec)
    if len(schedule) == 0:
        raise ModelError("the schedule needs at least one period of fundamentals")
    length = max(len(schedule), len(specs))
    if max_periods < length:
        raise ModelError(f"max_periods = {max_periods} is shorter than the schedule ({length} periods)")
    lam = np.asarray(lam0, dtype=float)
    shares, eqs, change = [lam], [], np.inf
    for t in range(1, max_periods + 1):
        eq = solve_static(at_period(specs, t), at_period(schedule, t), lam, guess=guess, method=method)
        new = eq.adopter_share
        change = float(np.max(np.abs(new - lam)))
        shares.append(new)
        eqs.append(eq)
        guess, lam = eq.solution, new
        log.debug("period %d: max |Δλ| = %.3e", t, change)
        if t >= length and change < tol:
            return Path(shares=np.array(shares), equilibria=tuple(eqs), steady=new, periods=t, change=change)
    raise SolverError(f"the adopter shares did not settle within {max_periods} periods: the last change was "
                      f"{change:.3g} (tolerance {tol:g}); the path may cycle or converge very slowly")
