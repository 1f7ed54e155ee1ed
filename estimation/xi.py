"""ξ_j, the elasticity of output distortions to productivity, from the firm-size distribution
(docs/quantitative-model.md §12; Choi & Shim, Section 5.2 and Appendix F.1, after Buera et al. 2021).

Under the Pareto distribution, among non-exporters within a region-sector,

    θ / (σ(1 + ξ_j) − 1) = −∂ log(1 − H_njt(Sale)) / ∂ log Sale,

so the tail exponent α_j of sales gives ξ_j = (θ/α_j + 1)/σ − 1. In our model (docs §3) a firm's sales
net of the distortion, rR, are ∝ x^{σ(1+ξ)−1} (the paper's relation), while gross sales R are
∝ x^{(1+ξ)(σ−1)}: ``sales_measure="gross"`` inverts θ/((1 + ξ)(σ − 1)) = α instead.

The tail: within each cell (region × sector, optionally × year) of n non-exporters with positive sales,
the top k = min(⌊(1 − ``tail_quantile``)·n⌋, n − 1) firms are the tail and the (k + 1)-th largest sale
is the cell's threshold x_c (itself excluded from the tail, so that given x_c the k tail firms are k
independent Pareto draws above it).

``method="hill"`` (default): Hill's maximum-likelihood estimator pooled over a sector's cells. For a
Pareto tail with exponent α, Σ_i log(x_i/x_c) ~ Gamma(k_c, rate α) in each cell, so with K = Σ_c k_c
and S = Σ_c Σ_i log(x_i/x_c), S ~ Gamma(K, rate α); the MLE is K/S (mean αK/(K − 1)) and we report the
unbiased (K − 1)/S with standard error α̂/√K (asymptotic; the exact sd of (K − 1)/S is α/√(K − 2)).

``method="rank_regression"`` (for comparison; biased): survival at the firm ranked r-th from the top of
n is (r − ½)/n (Gabaix and Ibragimov's correction); log survival and log sales of the tail firms are
demeaned by cell and pooled per sector; OLS without intercept, α̂ = −slope, with Gabaix–Ibragimov's
standard error α̂·√(2/K) (the OLS one, ``se_ols``, ignores that ranks are dependent). On synthetic
Pareto draws it overstates ξ (about one SE at 10 cells × 1,500 firms, several SE with many small cells).

ξ's standard error by the delta method, intervals ξ̂ ± 1.96·SE. Pure pandas/numpy: no streamlit, no storage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

SalesMeasure = Literal["retained", "gross"]
Method = Literal["hill", "rank_regression"]


class XiError(ValueError):
    """Inputs the estimator cannot use (every problem listed)."""


@dataclass(frozen=True)
class XiEstimate:
    """``table``: one row per sector (sector, slope = the tail exponent α̂, se, se_ols (rank regression
    only, else NaN), xi, xi_se, ci_low, ci_high, n_firms = K tail firms, n_cells); ``fit``: one row per
    tail firm (sector, cell, log_sales, log_survival, both demeaned by cell, and fitted = −α̂·log_sales)
    for a plot of log survival against log sales; ``dropped``: what was left out and why."""

    table: pd.DataFrame
    fit: pd.DataFrame
    sigma: float
    theta: float
    tail_quantile: float
    sales_measure: str
    dropped: dict
    method: str = "hill"


def xi_from_slope(slope, sigma: float, theta: float, sales_measure: SalesMeasure = "retained"):
    """ξ from the tail exponent α > 0 (minus the slope of log survival on log sales), and dξ/dα."""
    b = np.asarray(slope, dtype=float)
    if sales_measure == "retained":             # θ/(σ(1 + ξ) − 1) = α
        return (theta / b + 1) / sigma - 1, -theta / (sigma * b ** 2)
    return theta / (b * (sigma - 1)) - 1, -theta / ((sigma - 1) * b ** 2)   # θ/((1 + ξ)(σ − 1)) = α


def survival_table(firms: pd.DataFrame, cell: Sequence[str], sales: str, tail_quantile: float) -> pd.DataFrame:
    """Per firm in the top tail of its cell (the top k = min(⌊(1 − q)n⌋, n − 1)): log sales, log survival
    (r − ½)/n and log(sales / x_c), x_c the cell's (k + 1)-th largest sale, all raw."""
    df = firms.assign(_cell=firms.groupby(list(cell), sort=False, dropna=False).ngroup())
    df = df.sort_values(["_cell", sales], ascending=[True, False], kind="mergesort")
    g = df.groupby("_cell")[sales]
    n = g.transform("size").to_numpy()
    rank_top = g.cumcount().to_numpy() + 1                       # 1 = largest in its cell
    k = np.minimum(np.floor((1 - tail_quantile) * n + 1e-9), n - 1).astype(int)
    values = df[sales].to_numpy(dtype=float)
    start = np.arange(len(df)) - (rank_top - 1)                 # position of the cell's largest
    threshold = values[start + k]                                # the (k + 1)-th largest: x_c
    df = df.assign(log_sales=np.log(values), log_survival=np.log((rank_top - 0.5) / n),
                   log_excess=np.log(values / threshold))
    return df[rank_top <= k]


def estimate_xi(firms: pd.DataFrame, sigma: float, theta: float, *, sales: str = "sales",
                exports: str = "exports", sector: str = "sector", cell: Sequence[str] = ("region", "sector"),
                tail_quantile: float = 0.5, min_firms: int = 5,
                sales_measure: SalesMeasure = "retained", method: Method = "hill") -> XiEstimate:
    """ξ_j per sector from firm sales among non-exporters (``exports`` == 0); see the module docstring.

    ``cell`` lists the columns defining a cell (add "year" for the paper's H_njt on a panel); cells with
    fewer than ``min_firms`` tail firms are dropped. XiError lists every problem with the inputs."""
    problems = []
    missing = [c for c in {sales, exports, sector, *cell} if c not in firms.columns]
    if missing:
        problems.append(f"missing columns: {', '.join(sorted(missing))}")
    if not sigma > 1 or not theta > 0:
        problems.append(f"need σ > 1 and θ > 0 (got σ = {sigma:g}, θ = {theta:g})")
    if not 0 <= tail_quantile < 1:
        problems.append(f"tail quantile {tail_quantile:g} must be in [0, 1)")
    if sales_measure not in ("retained", "gross"):
        problems.append(f"sales measure {sales_measure!r}: one of 'retained', 'gross'")
    if method not in ("hill", "rank_regression"):
        problems.append(f"method {method!r}: one of 'hill', 'rank_regression'")
    if min_firms < 3:
        problems.append("min_firms must be at least 3")
    if problems:
        raise XiError("; ".join(problems))
    df = firms[list(dict.fromkeys([sales, exports, sector, *cell]))]
    dropped = {"exporters": int((df[exports] > 0).sum()), "exports missing": int(df[exports].isna().sum()),
               "sales missing or not positive": int((~(df[sales] > 0)).sum())}
    df = df[(df[exports] == 0) & (df[sales] > 0)]
    tail = survival_table(df, cell, sales, tail_quantile)
    size = tail.groupby("_cell")["log_sales"].transform("size")
    dropped["firms in cells with fewer than min_firms tail firms"] = int((size < min_firms).sum())
    tail = tail[size >= min_firms]
    if tail.empty:
        raise XiError("no cell has enough non-exporting firms with positive sales in its top tail")
    means = tail.groupby("_cell")[["log_sales", "log_survival"]].transform("mean")
    tail = tail.assign(log_sales=tail["log_sales"] - means["log_sales"],
                       log_survival=tail["log_survival"] - means["log_survival"])
    rows, fits = [], []
    for sec, grp in tail.groupby(sector, sort=True):
        x, y = grp["log_sales"].to_numpy(), grp["log_survival"].to_numpy()
        n, cells = len(x), grp["_cell"].nunique()
        sxx = float(x @ x)
        if method == "hill":
            s = float(grp["log_excess"].sum())
            if s <= 0 or n < 2:
                continue
            b = (n - 1) / s                       # unbiased: S ~ Gamma(K, rate α)
            se, se_ols = b / np.sqrt(n), np.nan
        else:
            if sxx <= 0:
                continue
            beta = float(x @ y) / sxx             # slope of log survival on log sales (negative)
            resid = y - beta * x
            dof = n - cells - 1
            se_ols = float(np.sqrt(resid @ resid / dof / sxx)) if dof > 0 else np.nan
            b = -beta
            se = abs(b) * np.sqrt(2.0 / n)
        xi, dxi = xi_from_slope(b, sigma, theta, sales_measure)
        xi_se = abs(float(dxi)) * se
        rows.append({"sector": sec, "slope": b, "se": se, "se_ols": se_ols, "xi": float(xi), "xi_se": xi_se,
                     "ci_low": float(xi) - 1.96 * xi_se, "ci_high": float(xi) + 1.96 * xi_se, "n_firms": n,
                     "n_cells": cells})
        fits.append(pd.DataFrame({"sector": sec, "cell": grp["_cell"].to_numpy(), "log_sales": x,
                                  "log_survival": y, "fitted": -b * x}))
    if not rows:
        raise XiError("sales do not vary within any cell's tail")
    return XiEstimate(table=pd.DataFrame(rows), fit=pd.concat(fits, ignore_index=True), sigma=float(sigma),
                      theta=float(theta), tail_quantile=float(tail_quantile), sales_measure=sales_measure,
                      dropped=dropped, method=method)
