"""Parameters of the quantitative model (docs/quantitative-model.md §1), per-period fundamentals, errors.

Arrays are stored as tuples so that specs are frozen, hashable and comparable; ``arrays()`` gives numpy
views. Shapes: N regions, J sectors; ``d`` is (N, N, J) with d[n, m, j] = d_nmj (n ships to m).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

AdoptionBundle = Literal["production", "final"]


class ModelError(ValueError):
    """Parameters or fundamentals outside the model (docs/quantitative-model.md §1)."""


class SolverError(RuntimeError):
    """A solve that did not converge or whose residuals exceed the tolerance: no result is returned."""


def _arr(t) -> np.ndarray:
    a = np.array(t, dtype=float)
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class QuantSpec:
    """Structural parameters and geography (constant over time)."""

    sigma: float
    theta: float
    eta: float
    delta: float
    kappa: float                      # upper bound of φ relative to φ^min; math.inf allowed (plain Pareto)
    labour: tuple                     # L_n, (N,)
    mass: tuple                       # M_nj, (N, J)
    alpha: tuple                      # consumption shares α_j, (J,)
    gamma_labour: tuple               # γ^L_j, (J,)
    gamma_inputs: tuple               # γ^k_j as [j][k], (J, J)
    tau_bar: tuple                    # τ̄_j, (J,)
    xi: tuple                         # ξ_j, (J,)
    d: tuple                          # d_nmj, (N, N, J); +∞ allowed for n ≠ m (no trade: d^{1−σ} = 0)
    d_port: tuple                     # d^x_nj, (N, J)
    fixed_adoption: float             # F^T
    fixed_export: tuple               # F^x_j, (J,)
    adopting: tuple                   # bool per sector: adoption available (the paper: heavy manufacturing)
    adoption_bundle: AdoptionBundle = "production"   # c^A = c (the paper) or P^C (final goods), eq. (Q4)

    def __post_init__(self) -> None:
        problems = validate_spec(self)
        if problems:
            raise ModelError("; ".join(problems))

    @property
    def n_regions(self) -> int:
        return len(self.labour)

    @property
    def n_sectors(self) -> int:
        return len(self.alpha)

    @property
    def mu(self) -> float:
        """Markup σ/(σ − 1)."""
        return self.sigma / (self.sigma - 1)

    def arrays(self) -> dict[str, np.ndarray]:
        """Read-only numpy arrays of every tuple field (converted once per spec, then shared: the solver
        evaluates the model hundreds of times, and converting the (N, N, J) tuple each time dominated)."""
        cached = self.__dict__.get("_arrays")
        if cached is None:
            names = ("labour", "mass", "alpha", "gamma_labour", "gamma_inputs", "tau_bar", "xi", "d", "d_port",
                     "fixed_export")
            cached = {name: _arr(getattr(self, name)) for name in names}
            adopting = np.array(self.adopting, dtype=bool)
            adopting.flags.writeable = False
            cached["adopting"] = adopting
            object.__setattr__(self, "_arrays", cached)     # a cache, not a field: eq and hash ignore it
        return dict(cached)


def validate_spec(spec: QuantSpec) -> list[str]:
    """Every problem with a spec, in words (empty when valid)."""
    p: list[str] = []
    scalars = {"σ": spec.sigma, "θ": spec.theta, "η": spec.eta, "δ": spec.delta, "F^T": spec.fixed_adoption}
    if not all(math.isfinite(v) for v in scalars.values()) or math.isnan(spec.kappa):
        return ["σ, θ, η, δ and F^T must be finite numbers and κ a number (∞ allowed)"]
    if spec.sigma <= 1:
        p.append(f"σ = {spec.sigma:g}: the model needs σ > 1")
    if spec.theta <= 0:
        p.append(f"θ = {spec.theta:g} must be positive")
    if spec.eta < 1:
        p.append(f"η = {spec.eta:g}: adoption must not lower productivity, η ≥ 1")
    if spec.delta < 0:
        p.append(f"δ = {spec.delta:g}: spillovers must be non-negative")
    if not spec.kappa > 1:
        p.append(f"κ = {spec.kappa:g}: the Pareto upper bound must exceed the lower bound, κ > 1")
    if spec.fixed_adoption <= 0:
        p.append("F^T must be positive")
    if spec.adoption_bundle not in ("production", "final"):
        p.append(f"adoption bundle {spec.adoption_bundle!r}: one of 'production', 'final'")
    try:
        a = spec.arrays()
    except (ValueError, TypeError) as err:
        return p + [f"arrays do not have consistent shapes: {err}"]
    n, j = len(a["labour"]), len(a["alpha"])
    shapes = {"labour": (n,), "mass": (n, j), "alpha": (j,), "gamma_labour": (j,), "gamma_inputs": (j, j),
              "tau_bar": (j,), "xi": (j,), "d": (n, n, j), "d_port": (n, j), "fixed_export": (j,),
              "adopting": (j,)}
    bad = [f"{k} has shape {a[k].shape}, expected {s}" for k, s in shapes.items() if a[k].shape != s]
    if bad:
        return p + bad
    if not all(np.all(np.isfinite(a[k])) for k in shapes if k not in ("adopting", "d")):
        return p + ["every array entry must be finite"]
    d = a["d"]
    if np.any(np.isnan(d)) or not np.all(np.isfinite(np.diagonal(d, axis1=0, axis2=1))):
        return p + ["iceberg costs d_nmj must be numbers, finite within a region (d_nnj); +∞ between two different "
                    "regions means no trade"]
    if np.any(a["labour"] <= 0) or np.any(a["mass"] <= 0):
        p.append("labour L_n and firm masses M_nj must be positive")
    if np.any(a["alpha"] <= 0) or abs(a["alpha"].sum() - 1) > 1e-12:
        p.append("consumption shares α_j must be positive and sum to 1")
    if np.any(a["gamma_labour"] <= 0) or np.any(a["gamma_inputs"] < 0) or np.any(
            np.abs(a["gamma_labour"] + a["gamma_inputs"].sum(axis=1) - 1) > 1e-12):
        p.append("γ^L_j > 0, γ^k_j ≥ 0 and γ^L_j + Σ_k γ^k_j = 1 for every sector")
    if np.any(a["tau_bar"] < 0) or np.any(a["tau_bar"] >= 1):
        p.append("τ̄_j must be in [0, 1)")
    one_plus_xi = 1 + a["xi"]
    eps = spec.sigma * one_plus_xi - 1
    if np.any(one_plus_xi <= 0) or np.any(eps <= 0):
        p.append("ξ_j must satisfy 1 + ξ > 0 and σ(1 + ξ) − 1 > 0 (profits rise with productivity)")
    elif math.isinf(spec.kappa) and np.any(np.maximum(eps, one_plus_xi * (spec.sigma - 1)) >= spec.theta):
        p.append("with κ = ∞ the moments need θ > max((1 + ξ)(σ − 1), σ(1 + ξ) − 1) in every sector")
    if np.any(a["d"] < 1) or np.any(a["d_port"] < 1):
        p.append("iceberg costs must be ≥ 1")
    if np.any(a["fixed_export"] < 0):
        p.append("F^x_j must be non-negative")
    return p


@dataclass(frozen=True)
class Fundamentals:
    """One period's exogenous variables: φ^min_nj (N, J), P^f_j, D^x_j, t_j (J,), the adoption subsidy s_nj
    (N, J) and the general subsidy s^G_nj (N, J; paid on every firm's inputs, adopters or not: docs §14).

    A closed economy has every P^f_j = ∞ and every D^x_j = 0."""

    phi_min: tuple
    foreign_price: tuple
    foreign_demand: tuple
    tariff: tuple
    subsidy: tuple = field(default=())           # empty: no adoption subsidy
    general_subsidy: tuple = field(default=())   # empty: no general subsidy

    def arrays(self, spec: QuantSpec) -> dict[str, np.ndarray]:
        """Read-only arrays for ``spec``'s shape (converted once per shape, then shared)."""
        n, j = spec.n_regions, spec.n_sectors
        cache = self.__dict__.setdefault("_arrays", {})
        if (n, j) not in cache:
            cache[(n, j)] = self._convert(n, j)
        return dict(cache[(n, j)])

    def _convert(self, n: int, j: int) -> dict[str, np.ndarray]:
        def rates(t):
            return np.zeros((n, j)) if len(t) == 0 else np.array(t, dtype=float)

        out = {"phi_min": np.array(self.phi_min, dtype=float), "foreign_price": np.array(self.foreign_price, float),
               "foreign_demand": np.array(self.foreign_demand, float), "tariff": np.array(self.tariff, float),
               "subsidy": rates(self.subsidy), "general_subsidy": rates(self.general_subsidy)}
        for v in out.values():
            v.flags.writeable = False
        return out

    def is_closed(self) -> bool:
        return all(math.isinf(v) for v in self.foreign_price) and all(v == 0 for v in self.foreign_demand)


def validate_fundamentals(spec: QuantSpec, fund: Fundamentals) -> None:
    """Raise ModelError listing every problem with one period's fundamentals for this spec."""
    try:
        a = fund.arrays(spec)
    except (ValueError, TypeError) as err:
        raise ModelError(f"fundamentals do not have consistent shapes: {err}") from err
    n, j = spec.n_regions, spec.n_sectors
    shapes = {"phi_min": (n, j), "foreign_price": (j,), "foreign_demand": (j,), "tariff": (j,), "subsidy": (n, j),
              "general_subsidy": (n, j)}
    p = [f"{k} has shape {a[k].shape}, expected {s}" for k, s in shapes.items() if a[k].shape != s]
    if p:
        raise ModelError("; ".join(p))
    if not np.all(np.isfinite(a["phi_min"])) or np.any(a["phi_min"] <= 0):
        p.append("φ^min must be positive and finite")
    if np.any(np.isnan(a["foreign_price"])) or np.any(a["foreign_price"] <= 0):
        p.append("Foreign prices P^f_j must be positive (∞: no imports)")
    if not np.all(np.isfinite(a["foreign_demand"])) or np.any(a["foreign_demand"] < 0):
        p.append("Foreign demand D^x_j must be finite and non-negative")
    if not np.all(np.isfinite(a["tariff"])) or np.any(a["tariff"] < 0):
        p.append("tariffs t_j must be finite and non-negative")
    if not np.all(np.isfinite(a["subsidy"])) or np.any(a["subsidy"] < 0) or np.any(a["subsidy"] >= 1):
        p.append("subsidies s_nj must be in [0, 1)")
    general = a["general_subsidy"]
    if not np.all(np.isfinite(general)) or np.any(general < 0) or np.any(general >= 1):
        p.append("general subsidies s^G_nj must be in [0, 1)")
    imports = bool(np.any(np.isfinite(a["foreign_price"])))
    exports = bool(np.any(a["foreign_demand"] > 0))
    if imports != exports:
        p.append("trade cannot balance with imports but no exports (or the reverse): give both finite P^f and "
                 "positive D^x, or neither (a closed economy)")
    if p:
        raise ModelError("; ".join(p))
