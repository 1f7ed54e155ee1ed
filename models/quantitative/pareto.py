"""Bounded-Pareto moments in closed form (docs/quantitative-model.md eq. Q2).

x = φ/φ^min is distributed on [1, κ] with G(x) = (1 − x^{−θ})/(1 − κ^{−θ}); κ = ∞ is the plain Pareto.
"""

from __future__ import annotations

import numpy as np


def clip_cutoff(a, kappa: float) -> np.ndarray:
    """A cutoff clipped to the support [1, κ] (a cutoff above κ: nobody crosses it)."""
    return np.clip(np.asarray(a, dtype=float), 1.0, kappa)


def tail_share(a, theta: float, kappa: float) -> np.ndarray:
    """J_0(a) = (a^{−θ} − κ^{−θ})/(1 − κ^{−θ}): the share of firms with x ≥ a (eq. Q2, e = 0)."""
    a = clip_cutoff(a, kappa)
    k = 0.0 if np.isinf(kappa) else kappa ** -theta
    with np.errstate(over="ignore", divide="ignore"):
        return np.maximum((a ** -theta - k) / (1 - k), 0.0)


def tail_moment(a, e, theta: float, kappa: float) -> np.ndarray:
    """J_e(a) = ∫_a^κ x^e dG(x) (eq. Q2); e may vary by sector (broadcast), κ = ∞ needs e < θ.

    θ/(1 − κ^{−θ}) · (a^{e−θ} − κ^{e−θ})/(θ − e), or θ/(1 − κ^{−θ}) · ln(κ/a) when e = θ."""
    a = clip_cutoff(a, kappa)
    e = np.broadcast_to(np.asarray(e, dtype=float), a.shape)
    gap = theta - e
    if np.isinf(kappa):
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            out = theta * a ** (-gap) / gap
        return np.where(np.isinf(a), 0.0, out)
    norm = theta / (1 - kappa ** -theta)
    log_ratio = np.log(kappa) - np.log(a)
    same = np.abs(gap) < 1e-12
    safe_gap = np.where(same, 1.0, gap)
    # (a^{−gap} − κ^{−gap})/gap = a^{−gap}(1 − (κ/a)^{−gap})/gap, written with expm1 for accuracy near e = θ
    power = a ** (-safe_gap) * -np.expm1(-safe_gap * log_ratio) / safe_gap
    return norm * np.where(same, log_ratio, power)
