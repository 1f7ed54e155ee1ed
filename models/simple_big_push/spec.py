"""Parameters of the simple model (Choi & Shim, Section 4), the subsidy, and the errors."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

#: Choi & Shim's values (Table 2): η from winners vs losers, δ from the spillover IV, σ from Peters
#: (2022), θ from di Giovanni et al. (2011). Default *inputs*, never results of this model.
PAPER = {"sigma": 5.0, "theta": 4.24, "eta": 1.25, "delta": 0.68}
#: L/F^T has no counterpart in the paper's simple model; this default is a round number, an input.
DEFAULT_SCALE = 10.0

SubsidyKind = Literal["fixed_cost", "input"]
SUBSIDY_KINDS: tuple[SubsidyKind, ...] = ("fixed_cost", "input")


class ModelError(ValueError):
    """Parameters outside the model's assumptions (σ > 2, θ > σ − 1, η > 1, δ ≥ 0, L/F^T > 0, 0 ≤ s < 1)."""


class SolverError(RuntimeError):
    """A root finder that did not converge or could not bracket its root: no number is returned."""


@dataclass(frozen=True)
class SimpleModelSpec:
    """Parameters of the simple model. ``scale`` = L/F^T, labour over the fixed adoption cost."""

    sigma: float = PAPER["sigma"]
    theta: float = PAPER["theta"]
    eta: float = PAPER["eta"]
    delta: float = PAPER["delta"]
    scale: float = DEFAULT_SCALE

    def __post_init__(self) -> None:
        checks = [(self.sigma > 2, f"σ = {self.sigma:g}: the model needs σ > 2 (a unique static equilibrium)"),
                  (self.theta > self.sigma - 1, f"θ = {self.theta:g}: the model needs θ > σ − 1 = "
                   f"{self.sigma - 1:g} (a finite price index)"),
                  (self.eta > 1, f"η = {self.eta:g}: adoption must raise productivity, η > 1"),
                  (self.delta >= 0, f"δ = {self.delta:g}: spillovers must be non-negative, δ ≥ 0"),
                  (self.scale > 0, f"L/F^T = {self.scale:g} must be positive")]
        values = (self.sigma, self.theta, self.eta, self.delta, self.scale)
        if not all(math.isfinite(v) for v in values):
            raise ModelError("every parameter must be a finite number")
        problems = [message for ok, message in checks if not ok]
        if problems:
            raise ModelError("; ".join(problems))

    # derived constants of the log form (module docstring)
    @property
    def a(self) -> float:
        """(σ − 1)/θ: the exponent of λ in (4.4) after raising both sides to (σ−1)/θ."""
        return (self.sigma - 1) / self.theta

    @property
    def beta(self) -> float:
        """(θ − σ + 1)/θ = 1 − a: the exponent of λ inside A(λ)."""
        return (self.theta - self.sigma + 1) / self.theta

    @property
    def g(self) -> float:
        """(σ − 2)/(σ − 1) ∈ (0, 1): the weight of the competition effect A^{2−σ}."""
        return (self.sigma - 2) / (self.sigma - 1)

    @property
    def log_u(self) -> float:
        """ln(η^{σ−1} − 1), the direct private gain from adoption."""
        return log_expm1((self.sigma - 1) * math.log(self.eta))

    @property
    def slope_bound(self) -> float:
        """θδ/(σ − 1): the map's slope never exceeds it for λ ≤ 1 (≤ 1 ⇒ one steady state)."""
        return self.delta / self.a


def log_expm1(x: float) -> float:
    """ln(e^x − 1) for x > 0, without overflow for large x."""
    return x + math.log1p(-math.exp(-x)) if x > 30 else math.log(math.expm1(x))


def paper_spec(scale: float = DEFAULT_SCALE, **overrides: float) -> SimpleModelSpec:
    """The paper's σ, θ, η, δ (inputs, Table 2) with the given L/F^T and any overrides."""
    return SimpleModelSpec(**{**PAPER, "scale": scale, **overrides})


def eta_from_u(spec: SimpleModelSpec, log_u: float) -> float:
    """η = (1 + u)^{1/(σ−1)} for u = η^{σ−1} − 1 given as ln u."""
    return math.exp(math.log1p(math.exp(log_u)) / (spec.sigma - 1)) if log_u < 700 else math.exp(
        log_u / (spec.sigma - 1))


@dataclass(frozen=True)
class Subsidy:
    """A one-period subsidy at rate s ∈ [0, 1): ``fixed_cost`` (adopters pay (1 − s) P F^T) or ``input``
    (adopters' unit cost (1 − s) w/z, Section 5's (1 − s)c/z with labour the only input), financed by a
    tax on labour income with a balanced budget (inelastic labour: the tax does not distort)."""

    kind: SubsidyKind
    rate: float

    def __post_init__(self) -> None:
        if self.kind not in SUBSIDY_KINDS:
            raise ModelError(f"unknown subsidy {self.kind!r}; one of {', '.join(SUBSIDY_KINDS)}")
        if not 0 <= self.rate < 1:
            raise ModelError(f"subsidy rate {self.rate:g} must be in [0, 1)")
