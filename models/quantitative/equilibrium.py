"""The static equilibrium given λ_{t−1} (docs/quantitative-model.md §6): N + 2NJ log conditions in
u = (ln w, ln P, ln E), solved with scipy.optimize.root, and every market-clearing residual."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from .aggregates import Aggregates, evaluate
from .spec import (
    Fundamentals,
    ModelError,
    QuantSpec,
    SolverError,
    validate_fundamentals,
)

log = logging.getLogger(__name__)
METHODS = ("auto", "hybr", "hybr-scaled", "lm", "krylov")
_AUTO = ("hybr-scaled", "lm", "hybr")     # tried in turn until one solves
_AUTO_LARGE = ("krylov",) + _AUTO         # from this many unknowns: a dense finite-difference Jacobian
LARGE = 60                                # costs one evaluation per unknown; Newton–Krylov needs none


def _options(name: str, size: int) -> dict:
    """scipy.optimize.root keyword arguments for one named attempt.

    "hybr-scaled" is MINPACK's hybrid method with unit variable scaling and a short first step (the
    automatic scaling can stall where a residual is flat in ln E); "lm" is Levenberg–Marquardt; "krylov"
    is Newton–Krylov (GMRES on finite-difference Jacobian–vector products: no Jacobian is formed, so a
    Newton step costs tens of evaluations rather than one per unknown). "auto" tries krylov first from
    ``LARGE`` unknowns on (at the paper's 86 × 4, 774 unknowns, about ten times faster than hybr), then the
    small-economy order; every attempt must pass the same residual check, so the method changes the time,
    not the equilibrium."""
    if name == "hybr":
        return {"method": "hybr", "options": {"xtol": 1e-14, "maxfev": 200 * (size + 1)}}
    if name == "hybr-scaled":
        return {"method": "hybr", "options": {"xtol": 1e-14, "maxfev": 200 * (size + 1), "factor": 0.1,
                                              "diag": np.ones(size)}}
    if name == "lm":
        return {"method": "lm", "options": {"xtol": 1e-15, "ftol": 1e-15, "maxiter": 200 * (size + 1)}}
    return {"method": "krylov", "options": {"fatol": 1e-13, "maxiter": 500}}


@dataclass(frozen=True)
class Residuals:
    """Relative residuals of every condition at the solution (0 in an exact equilibrium)."""

    labour: np.ndarray        # labour demand / L_n − 1 (Q24)
    price_index: np.ndarray   # P implied by (Q6) / P − 1
    spending: np.ndarray      # E implied by (Q25) / E − 1
    goods: np.ndarray         # (Σ_n home flows + imports − E_mj)/E_mj (Q26)
    trade_balance: float      # (exports − imports at Foreign prices) / wage bill (Q27)
    government: float         # (labour tax collected − subsidies) / wage bill (Q20)
    payout: float             # (rebates paid − profits − wedge − tariffs) / wage bill (Q21)

    def largest(self) -> tuple[str, float]:
        """The condition with the largest absolute residual, and that residual."""
        items = {"labour market (Q24)": self.labour, "price index (Q6)": self.price_index,
                 "spending (Q25)": self.spending, "goods market (Q26)": self.goods,
                 "trade balance (Q27)": self.trade_balance, "government budget (Q20)": self.government,
                 "payout (Q21)": self.payout}
        worst = max(items.items(), key=lambda kv: float(np.max(np.abs(kv[1]))))
        return worst[0], float(np.max(np.abs(worst[1])))


@dataclass(frozen=True)
class StaticEquilibrium:
    """One period's equilibrium. Prices in the currency of the Foreign prices (open economy) or with w_1 = 1."""

    wage: np.ndarray
    price: np.ndarray
    spending: np.ndarray
    lam_prev: np.ndarray
    agg: Aggregates
    residuals: Residuals
    method: str
    evaluations: int
    solution: np.ndarray      # u = (ln w, ln P, ln E): a warm start for the next solve

    @property
    def adopter_share(self) -> np.ndarray:
        """λ_nj,t (Q12): the state passed to the next period."""
        return self.agg.adopter_share

    @property
    def exporter_share(self) -> np.ndarray:
        return self.agg.exporter_share

    @property
    def labour_tax(self) -> float:
        return self.agg.labour_tax

    @property
    def max_residual(self) -> float:
        return self.residuals.largest()[1]


def _unpack(u: np.ndarray, n: int, j: int, closed: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(w, P, E) from the unknown vector; in a closed economy w_1 = 1 is not an unknown."""
    k = n - 1 if closed else n
    log_w = np.concatenate([[0.0], u[:k]]) if closed else u[:k]
    return np.exp(log_w), np.exp(u[k:k + n * j].reshape(n, j)), np.exp(u[k + n * j:].reshape(n, j))


def _system(u: np.ndarray, spec: QuantSpec, fund: Fundamentals, lam_prev: np.ndarray, closed: bool) -> np.ndarray:
    """The N + 2NJ log conditions (one fewer labour condition in a closed economy)."""
    n, j = spec.n_regions, spec.n_sectors
    w, P, E = _unpack(u, n, j, closed)
    agg = evaluate(spec, fund, lam_prev, w, P, E)
    labour = np.log(agg.labour_demand / np.asarray(spec.labour))
    with np.errstate(divide="ignore", invalid="ignore"):
        spend = np.log(agg.spending_model / E)
    out = np.concatenate([labour[1:] if closed else labour, (np.log(agg.price_model) - np.log(P)).ravel(),
                          spend.ravel()])
    return np.where(np.isfinite(out), out, 1e3)


def residuals(spec: QuantSpec, fund: Fundamentals, agg: Aggregates, w, P, E) -> Residuals:
    """Every market-clearing residual at (w, P, E), computed from the flows (docs §6)."""
    a, fa = spec.arrays(), fund.arrays(spec)
    wage_bill = float((w * a["labour"]).sum())
    absorbed = agg.home_flows.sum(axis=0) + agg.imports
    imports_foreign = agg.imports / (1 + fa["tariff"][None, :])
    tax_collected = float((agg.labour_tax * w * a["labour"]).sum())
    paid = float((agg.payout * w * a["labour"]).sum())
    return Residuals(labour=agg.labour_demand / a["labour"] - 1, price_index=agg.price_model / P - 1,
                     spending=agg.spending_model / E - 1, goods=absorbed / E - 1,
                     trade_balance=float(agg.exports.sum() - imports_foreign.sum()) / wage_bill,
                     government=(tax_collected - float(agg.subsidies.sum())) / wage_bill,
                     payout=(paid - float(agg.profits.sum() + agg.wedge.sum() + agg.tariff_revenue.sum()))
                     / wage_bill)


def initial_guess(spec: QuantSpec, fund: Fundamentals) -> np.ndarray:
    """A cold start: wages and prices at the (tariff-inclusive) Foreign price level, spending at α_k w L_n / γ^L."""
    fa, a = fund.arrays(spec), spec.arrays()
    finite = np.isfinite(fa["foreign_price"])
    level = float(np.exp(np.mean(np.log(fa["foreign_price"][finite])))) if finite.any() else 1.0
    n, j = spec.n_regions, spec.n_sectors
    w = np.full(n, level)
    P = np.full((n, j), level)
    E = a["alpha"][None, :] * (w * a["labour"])[:, None] / float(a["gamma_labour"].mean())
    closed = fund.is_closed()
    log_w = np.log(w)[1:] if closed else np.log(w)
    return np.concatenate([log_w, np.log(P).ravel(), np.log(E).ravel()])


def solve_static(spec: QuantSpec, fund: Fundamentals, lam_prev, guess: np.ndarray | None = None,
                 method: str = "auto", tol: float = 1e-10) -> StaticEquilibrium:
    """The static equilibrium given λ_{t−1} (docs §6), or SolverError naming the condition that failed.

    ``guess`` is a previous ``StaticEquilibrium.solution`` (warm start). The solve is accepted when every
    residual of :class:`Residuals` is below ``tol`` in absolute value. Under "auto" each attempt starts from
    the best point so far, the starting point included: an attempt that ends further from the equilibrium than
    it began (a diverged Newton–Krylov run) is discarded and the next one starts again from the warm start."""
    if method not in METHODS:
        raise ModelError(f"unknown method {method!r}; one of {', '.join(METHODS)}")
    validate_fundamentals(spec, fund)
    n, j = spec.n_regions, spec.n_sectors
    lam_prev = np.array(lam_prev, dtype=float)
    if lam_prev.shape != (n, j) or np.any(lam_prev < 0) or np.any(lam_prev > 1):
        raise ModelError(f"λ_(t−1) must be an ({n}, {j}) array of shares in [0, 1]")
    closed = fund.is_closed()
    u0 = initial_guess(spec, fund) if guess is None else np.asarray(guess, dtype=float)
    args = (spec, fund, lam_prev, closed)
    attempts, u, sol = [], u0, None
    with np.errstate(all="ignore"):
        try:
            best = float(np.max(np.abs(_system(u0, *args))))   # _system maps non-finite residuals to 1e3
        except (ArithmeticError, ValueError):   # the start cannot be evaluated: any point an attempt finds is better
            best = np.inf
    auto = _AUTO_LARGE if u0.size >= LARGE else _AUTO
    for name in (auto if method == "auto" else (method,)):   # each attempt starts from the best point so far
        with np.errstate(all="ignore"):
            try:
                sol = optimize.root(_system, u, args=args, **_options(name, u.size))
                worst = float(np.max(np.abs(_system(sol.x, *args))))
            except (ArithmeticError, ValueError, np.linalg.LinAlgError) as err:   # a step into a degenerate point
                attempts.append(f"{name}: failed ({type(err).__name__}: {err})")
                continue
        attempts.append(f"{name}: {worst:.3g} after {int(getattr(sol, 'nfev', 0) or 0)} evaluations")
        if worst < best:
            u, best = sol.x, worst
        if best < tol * 1e-2:
            break
    w, P, E = _unpack(u, n, j, closed)
    try:
        with np.errstate(all="ignore"):
            agg = evaluate(spec, fund, lam_prev, w, P, E)
            res = residuals(spec, fund, agg, w, P, E)
        where, worst = res.largest()
    except (ArithmeticError, ValueError) as err:
        raise SolverError(f"the static equilibrium did not solve: the model cannot be evaluated at the best point "
                          f"found ({type(err).__name__}: {err}; tried {'; '.join(attempts)})") from err
    nfev = int(getattr(sol, "nfev", 0) or 0)
    method = attempts[-1].split(":")[0]
    log.debug("static solve (%s): %d evaluations, largest residual %.2e in %s", method, nfev, worst, where)
    if not np.isfinite(worst) or worst > tol:
        scipy_says = "" if sol is None else f"; scipy says: {sol.message}"
        raise SolverError(f"the static equilibrium did not solve: the largest residual is {worst:.3g} in the "
                          f"{where}, above {tol:g} (tried {'; '.join(attempts)}{scipy_says})")
    for array in (w, P, E, u, lam_prev):
        array.flags.writeable = False
    return StaticEquilibrium(wage=w, price=P, spending=E, lam_prev=lam_prev, agg=agg, residuals=res,
                             method=method, evaluations=nfev, solution=u)
