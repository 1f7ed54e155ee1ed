"""Spec factories: the economy that nests the simple model (docs §8), and random small test economies."""

from __future__ import annotations

import math

import numpy as np

from .spec import Fundamentals, QuantSpec


def nested_simple_spec(sigma: float, theta: float, eta: float, delta: float, scale: float) -> QuantSpec:
    """N = J = 1, closed, labour only, no distortions, κ = ∞, M = 1, adoption cost F^T = 1 in final goods,
    labour L = scale: the simple model of Section 4 with L/F^T = scale (docs §8)."""
    return QuantSpec(sigma=sigma, theta=theta, eta=eta, delta=delta, kappa=math.inf, labour=(scale,),
                     mass=((1.0,),), alpha=(1.0,), gamma_labour=(1.0,), gamma_inputs=((0.0,),), tau_bar=(0.0,),
                     xi=(0.0,), d=(((1.0,),),), d_port=((1.0,),), fixed_adoption=1.0, fixed_export=(0.0,),
                     adopting=(True,), adoption_bundle="final")


def closed_fundamentals(spec: QuantSpec, subsidy: float = 0.0) -> Fundamentals:
    """φ^min = 1, no trade with Foreign, a uniform subsidy rate."""
    n, j = spec.n_regions, spec.n_sectors
    return Fundamentals(phi_min=((1.0,) * j,) * n, foreign_price=(math.inf,) * j, foreign_demand=(0.0,) * j,
                        tariff=(0.0,) * j, subsidy=((float(subsidy),) * j,) * n)


def random_spec(n_regions: int = 3, n_sectors: int = 2, seed: int = 0, **overrides) -> QuantSpec:
    """A random small open economy; sector 0 is 'heavy' (adoption, distortions with ξ = −0.3)."""
    rng = np.random.default_rng(seed)
    n, j = n_regions, n_sectors
    gl = rng.uniform(0.4, 0.7, j)
    raw = rng.uniform(0.2, 1.0, (j, j))
    gk = raw / raw.sum(axis=1, keepdims=True) * (1 - gl)[:, None]
    gk[:, -1] += 1 - gl - gk.sum(axis=1)               # exact row sums
    alpha = rng.dirichlet(np.full(j, 3.0))
    alpha[-1] = 1 - alpha[:-1].sum()
    dist = rng.uniform(1.1, 1.6, (n, n))
    dist = (dist + dist.T) / 2
    np.fill_diagonal(dist, 1.0)
    d = np.repeat(dist[:, :, None], j, axis=2)
    tau_bar = np.zeros(j)
    tau_bar[0] = 0.2
    xi = np.zeros(j)
    xi[0] = -0.3
    fields = {"sigma": 5.0, "theta": 4.24, "eta": 1.25, "delta": 0.68, "kappa": 3.0,
              "labour": rng.uniform(0.5, 2.0, n), "mass": rng.uniform(0.5, 1.5, (n, j)) / (n * j), "alpha": alpha,
              "gamma_labour": gl, "gamma_inputs": gk, "tau_bar": tau_bar, "xi": xi, "d": d,
              "d_port": rng.uniform(1.0, 1.5, (n, j)), "fixed_adoption": 0.05, "fixed_export": np.full(j, 0.1),
              "adopting": tuple(k == 0 for k in range(j))}
    fields.update(overrides)
    return QuantSpec(**{k: _as_field(v) for k, v in fields.items()})


def random_fundamentals(spec: QuantSpec, seed: int = 0, subsidy=0.0, **overrides) -> Fundamentals:
    """Random open-economy fundamentals for ``spec`` (Foreign prices near 1, demand shifters near 0.3);
    ``subsidy`` a rate or an (N, J) array."""
    rng = np.random.default_rng(seed + 1000)
    n, j = spec.n_regions, spec.n_sectors
    fields = {"phi_min": rng.uniform(0.8, 1.2, (n, j)), "foreign_price": rng.uniform(0.8, 1.2, j),
              "foreign_demand": rng.uniform(0.2, 0.4, j), "tariff": rng.uniform(0.0, 0.3, j),
              "subsidy": np.broadcast_to(np.asarray(subsidy, dtype=float), (n, j))}
    fields.update(overrides)
    return Fundamentals(**{k: _as_field(v) for k, v in fields.items()})


def _as_field(v):
    """Nested tuples for array-likes; scalars, strings and bool tuples unchanged."""
    if isinstance(v, (str, float, int)) or (isinstance(v, tuple) and v and isinstance(v[0], bool)):
        return v
    a = np.asarray(v, dtype=float)
    return a.item() if a.ndim == 0 else a.tolist() and _nested(a)


def _nested(a: np.ndarray):
    return tuple(_nested(x) for x in a) if a.ndim > 1 else tuple(float(x) for x in a)
