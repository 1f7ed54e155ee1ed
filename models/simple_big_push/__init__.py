"""The simple big-push model of Choi & Shim, Section 4: steady states, multiplicity, the threshold subsidy.

One region, one sector, a closed economy with labour L and a unit mass of firms (CES, σ > 2).
Productivity z = η^T · exp(δ λ_{t−1}) · φ with φ ~ Pareto(1, θ), θ > σ − 1, and adoption at a fixed
cost F^T in units of the final good. The adopter share solves eq. (4.4),

    λ̂_t = [A(λ̂_t)^{2−σ} (η^{σ−1} − 1)/(σ F^T) · exp(δ λ_{t−1}) · L]^{θ/(σ−1)},
    A(λ)^{σ−1} = θ/(θ − σ + 1) · ((η^{σ−1} − 1) λ^{(θ−σ+1)/θ} + 1),

and λ_t = min{λ̂_t, 1} (eq. 4.3). Only L/F^T (``scale``) matters. docs/simple-model.md derives (4.4)
from the primitives and explains every method here. Pure math/numpy/scipy: no streamlit, no storage.

Everything is written in logs. With a = (σ−1)/θ, β = 1 − a, g = (σ−2)/(σ−1), κ = 1/β, u = η^{σ−1} − 1
and t = ln λ, the log of (4.4) reads R(t) = δ λ_{t−1} with

    R(t) = a t + g [ln κ + ln(1 + u e^{βt})] − ln(u · L/F^T / σ),

which is strictly increasing in t (a unique static equilibrium: this is what σ > 2 buys). A steady state
λ < 1 solves R(ln λ) = δλ, i.e. D(λ) ≡ R(ln λ)/λ = δ; λ = 1 is one when R(0) ≤ δ, i.e. δ ≥ D(1).
D has exactly one critical point on (0, ∞), a maximum (docs/simple-model.md §4), so there are at most
three steady states and the industrialized one is always full adoption.

Modules: ``spec`` (parameters, subsidy, errors), ``equilibrium`` (the static solve), ``steady_states``
(steady states, multiplicity intervals, the panel-B grid), ``big_push`` (paths, threshold subsidies,
market size) and ``report`` (one parameter set analysed, with the plain-language verdict).
"""

from __future__ import annotations

from .big_push import ThresholdSubsidy, input_subsidy_limit, market_size_effect, path, threshold_subsidy
from .equilibrium import (StaticEquilibrium, law_of_motion, log_A, map_slope, static_equilibrium, static_excess,
                          static_log_share, static_share)
from .report import KIND_LABELS, SimpleModelReport, analyze
from .spec import (DEFAULT_SCALE, PAPER, SUBSIDY_KINDS, ModelError, SimpleModelSpec, SolverError, Subsidy,
                   SubsidyKind, eta_from_u, paper_spec)
from .steady_states import (Interval, SteadyState, SteadyStates, delta_interval, eta_interval, scale_interval,
                            steady_state_counts, steady_states)

__all__ = ["DEFAULT_SCALE", "KIND_LABELS", "PAPER", "SUBSIDY_KINDS", "Interval", "ModelError", "SimpleModelReport",
           "SimpleModelSpec", "SolverError", "StaticEquilibrium", "SteadyState", "SteadyStates", "Subsidy",
           "SubsidyKind", "ThresholdSubsidy", "analyze", "delta_interval", "eta_from_u", "eta_interval",
           "input_subsidy_limit", "law_of_motion", "log_A", "map_slope", "market_size_effect", "paper_spec", "path",
           "scale_interval", "static_equilibrium", "static_excess", "static_log_share", "static_share",
           "steady_state_counts", "steady_states", "threshold_subsidy"]
