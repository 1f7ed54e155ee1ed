"""Section 6's policy experiments (docs/quantitative-policy.md): the uniform optimal subsidy and randomized
subsidy allocations, with "what predicts a stronger push" regressions (OLS, HC1 standard errors).

Every experiment compares baseline paths (a temporary subsidy) with one common no-subsidy path, solved once.
Baseline paths are solved period by period like ``solve_path`` (Q28), but each static equilibrium is first
sought by Broyden's method (eq. P1) from the no-subsidy path's solution of the same period, with an inverse
Jacobian carried over from period to period (seeded by a finite-difference Jacobian of the no-subsidy
economy); an equilibrium is accepted only under ``solve_static``'s own residual check, and ``solve_static``
takes over (as in ``solve_path``) whenever Broyden does not converge. Pure numpy/scipy: no streamlit, no
storage.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace

import numpy as np
from scipy import optimize

from .aggregates import evaluate
from .counterfactuals import PAPER_DISCOUNT, Counterfactual, SubsidySchedule, measures, policy_fundamentals, welfare
from .dynamics import Path, solve_path
from .equilibrium import StaticEquilibrium, _system, _unpack, residuals, solve_static
from .spec import Fundamentals, ModelError, QuantSpec, SolverError, validate_fundamentals

Progress = Callable[[float, str], None]
OUTCOMES = ("gdp_share_pp", "export_intensity_pp", "employment_share_pp", "welfare_pct")
CHARACTERISTICS = ("population_share", "lambda0", "market_access", "port_distance", "initial_gdp_share")
BROYDEN_ITERATIONS = 40          # per period; beyond this solve_static takes over


# ----------------------------------------------------------------------------- the path solver

@dataclass(frozen=True)
class Setting:
    """Everything shared by the baseline paths of one experiment: the economy, the no-subsidy path (solved
    once) and its measures, and the seed of Broyden's inverse Jacobian."""

    spec: QuantSpec
    fundamentals: object         # one period's Fundamentals (held constant) or a tuple, one per period
    lam0: np.ndarray
    heavy: tuple
    discount: float
    reference: Path              # the no-subsidy path
    reference_measures: tuple
    inverse_jacobian: np.ndarray  # of the log conditions at the no-subsidy period-1 equilibrium
    max_periods: int
    tol: float
    method: str


def inverse_jacobian(spec: QuantSpec, fund: Fundamentals, eq: StaticEquilibrium, step: float = 1e-7) -> np.ndarray:
    """(∂F/∂u)^−1 of the static log conditions F (docs §6) at ``eq``, by forward differences."""
    closed = fund.is_closed()
    u = np.array(eq.solution, dtype=float)
    f0 = _system(u, spec, fund, eq.lam_prev, closed)
    jac = np.empty((u.size, u.size))
    for k in range(u.size):
        v = u.copy()
        v[k] += step
        jac[:, k] = (_system(v, spec, fund, eq.lam_prev, closed) - f0) / step
    try:
        return np.linalg.inv(jac)
    except np.linalg.LinAlgError:      # only a starting point: Broyden's result is checked like any solve
        return np.linalg.pinv(jac)


def _broyden(spec: QuantSpec, fund: Fundamentals, lam: np.ndarray, u: np.ndarray, H: np.ndarray,
             tol: float) -> tuple[np.ndarray, float, int]:
    """Broyden's ("good") method on the log conditions F(u) = 0 with inverse updates (eq. P1):

        s_k = −H_k F_k,   H_{k+1} = H_k + (s_k − H_k y_k) s_kᵀH_k / (s_kᵀ H_k y_k),   y_k = F_{k+1} − F_k,

    arranged so that a step costs one evaluation, one product H_k F_{k+1} (then H_k y_k = H_k F_{k+1} + s_k
    and H_{k+1} F_{k+1} follow without another) and one sᵀH_k. ``H`` is updated in place. Returns the best
    point seen, its max|F| and the evaluations; stops at max|F| < tol or after BROYDEN_ITERATIONS steps."""
    closed = fund.is_closed()
    F = _system(u, spec, fund, lam, closed)
    evals, worst = 1, float(np.max(np.abs(F)))
    best, best_worst = u, worst
    step = -_matvec(H, F)
    for _ in range(BROYDEN_ITERATIONS):
        if worst < tol:
            break
        u = u + step
        F = _system(u, spec, fund, lam, closed)
        evals += 1
        HF = _matvec(H, F)
        Hy = HF + step
        denom = float(step @ Hy)
        if not np.isfinite(denom) or denom == 0:
            break
        sH = np.einsum("i,ij->j", step, H)
        coef = (step - Hy) / denom
        H += np.multiply.outer(coef, sH)
        step = -(HF + coef * float(sH @ F))
        worst = float(np.max(np.abs(F)))
        if worst < best_worst:
            best, best_worst = u, worst
    return best, best_worst, evals


def _matvec(H: np.ndarray, x: np.ndarray) -> np.ndarray:
    """H x without BLAS: on a busy 2-core machine OpenBLAS's threads made a 774 × 774 product 20 times
    slower than this single-threaded loop (34 ms against 1.1 ms per Broyden step, benchmarks/quant.py)."""
    return np.einsum("ij,j->i", H, x)


def _static(spec: QuantSpec, fund: Fundamentals, lam: np.ndarray, guess: np.ndarray, previous: np.ndarray | None,
            H: np.ndarray, seed: np.ndarray, tol: float, method: str) -> StaticEquilibrium:
    """One period's equilibrium: Broyden from ``guess`` with the path's inverse Jacobian ``H`` (updated in
    place), accepted under solve_static's residual check (every residual below ``tol``); otherwise ``H`` is
    reset to ``seed`` and ``solve_static`` solves the period as ``solve_path`` would, from the ``previous``
    period's solution (from ``guess`` in period 1), raising SolverError itself."""
    try:
        with np.errstate(all="ignore"):
            u, worst, evals = _broyden(spec, fund, lam, np.array(guess, dtype=float), H, tol * 1e-2)
    except (ArithmeticError, ValueError):      # a step left the model's domain (e.g. every wage underflowed)
        worst = np.inf
    if worst < tol * 1e-2:
        n, j = spec.n_regions, spec.n_sectors
        w, P, E = _unpack(u, n, j, fund.is_closed())
        agg = evaluate(spec, fund, lam, w, P, E)
        res = residuals(spec, fund, agg, w, P, E)
        if np.isfinite(res.largest()[1]) and res.largest()[1] <= tol:
            for array in (w, P, E, u, lam):
                array.flags.writeable = False
            return StaticEquilibrium(wage=w, price=P, spending=E, lam_prev=lam, agg=agg, residuals=res,
                                     method="broyden", evaluations=evals, solution=u)
    H[...] = seed
    return solve_static(spec, fund, lam, guess=guess if previous is None else previous, method=method, tol=tol)


def baseline_path(setting: Setting, funds: Sequence[Fundamentals]) -> Path:
    """Iterate (Q28) from λ_0 with ``funds`` (the last held constant) until max|λ_t − λ_{t−1}| < tol after
    the schedule ends, each period warm-started from the no-subsidy path's solution of the same period (its
    steady state beyond its end); SolverError if λ has not settled by ``max_periods``."""
    for fund in set(funds):
        validate_fundamentals(setting.spec, fund)
    ref, H = setting.reference.equilibria, setting.inverse_jacobian.copy()
    lam = np.array(setting.lam0, dtype=float)
    shares, eqs, change, previous = [lam], [], np.inf, None
    for t in range(1, setting.max_periods + 1):
        fund = funds[min(t, len(funds)) - 1]
        eq = _static(setting.spec, fund, lam, ref[min(t, len(ref)) - 1].solution, previous, H,
                     setting.inverse_jacobian, setting.tol, setting.method)
        previous = eq.solution
        new = eq.adopter_share
        change = float(np.max(np.abs(new - lam)))
        shares.append(new)
        eqs.append(eq)
        lam = new
        if t >= len(funds) and change < setting.tol:
            return Path(shares=np.array(shares), equilibria=tuple(eqs), steady=new, periods=t, change=change)
    raise SolverError(f"the adopter shares did not settle within {setting.max_periods} periods: the last change "
                      f"was {change:.3g} (tolerance {setting.tol:g}); the path may cycle or converge very slowly")


def prepare(spec: QuantSpec, fundamentals, lam0=None, heavy: Sequence[int] | None = None,
            discount: float = PAPER_DISCOUNT, max_periods: int = 200, tol: float = 1e-10,
            method: str = "auto", guess=None) -> Setting:
    """Solve the no-subsidy path once (``counterfactual``'s conventions: λ_0 default 0, heavy = the adopting
    sectors) and seed Broyden's inverse Jacobian at its first period."""
    if not 0 < discount < 1:
        raise ModelError(f"discount factor {discount:g} must be in (0, 1)")
    n, j = spec.n_regions, spec.n_sectors
    heavy = tuple(k for k in range(j) if spec.adopting[k]) if heavy is None else tuple(heavy)
    if not heavy or any(not 0 <= k < j for k in heavy):
        raise ModelError(f"heavy sectors {heavy} must be a non-empty set of indices below {j}")
    lam0 = np.zeros((n, j)) if lam0 is None else np.array(lam0, dtype=float)
    _, plain = policy_fundamentals(spec, fundamentals, SubsidySchedule(0.0))
    ref = solve_path(spec, plain, lam0, max_periods=max_periods, tol=tol, method=method, guess=guess)
    H = inverse_jacobian(spec, plain[0], ref.equilibria[0])
    return Setting(spec=spec, fundamentals=fundamentals if isinstance(fundamentals, Fundamentals)
                   else tuple(fundamentals), lam0=lam0, heavy=heavy, discount=discount, reference=ref,
                   reference_measures=tuple(measures(spec, eq, heavy) for eq in ref.equilibria),
                   inverse_jacobian=H, max_periods=max_periods, tol=tol, method=method)


def _setting(setting: Setting | None, spec: QuantSpec, fundamentals, lam0, heavy, discount: float) -> Setting:
    """``setting`` (from ``prepare``, e.g. shared by several experiments or with its own max_periods, tol,
    method) if given — it must be for this spec and these fundamentals — else a new one."""
    if setting is None:
        return prepare(spec, fundamentals, lam0=lam0, heavy=heavy, discount=discount)
    if setting.spec != spec or setting.fundamentals != (fundamentals if isinstance(fundamentals, Fundamentals)
                                                        else tuple(fundamentals)):
        raise ModelError("the setting was prepared for another economy: pass the spec and fundamentals given "
                         "to prepare()")
    return setting


def _extend(items: list, horizon: int) -> tuple:
    return tuple(items + [items[-1]] * (horizon - len(items)))


def run(setting: Setting, schedule: SubsidySchedule) -> Counterfactual:
    """``counterfactual()`` for one schedule against the setting's no-subsidy path (same measures, C1–C6)."""
    base_funds, _ = policy_fundamentals(setting.spec, setting.fundamentals, schedule)
    base = baseline_path(setting, base_funds)
    cf = setting.reference
    horizon = max(base.periods, cf.periods)
    mb = _extend([measures(setting.spec, eq, setting.heavy) for eq in base.equilibria], horizon)
    mc = _extend(list(setting.reference_measures), horizon)
    labour = setting.spec.arrays()["labour"]
    w = welfare(np.array([m.real_income for m in mb]), np.array([m.real_income for m in mc]), labour,
                setting.discount)
    return Counterfactual(schedule=schedule, heavy=setting.heavy, baseline=base, counterfactual=cf,
                          baseline_measures=mb, counterfactual_measures=mc, welfare=w, labour=np.array(labour))


def outcomes(result: Counterfactual) -> dict[str, float]:
    """Steady-state differences (p.p., Table 3 Panel A) and aggregate welfare ζ (%, C6) of one run."""
    rows = {row["measure"]: row for row in result.steady_state_differences()}
    return {"gdp_share_pp": rows["gdp_share"]["difference_pp"],
            "export_intensity_pp": rows["export_intensity"]["difference_pp"],
            "employment_share_pp": rows["employment_share"]["difference_pp"],
            "welfare_pct": rows["welfare"]["relative_pct"], "periods": result.baseline.periods}


# ----------------------------------------------------------------------------- uniform optimal subsidy

@dataclass(frozen=True)
class Optimum:
    """The best rate for one objective: grid search then a bounded scalar refinement."""

    objective: str            # "welfare_pct" or "gdp_share_pp"
    rate: float
    value: float
    at_bound: str | None      # "lower", "upper" or None
    refined: bool             # the refinement improved on the best grid point
    flat: bool                # the objective varies by less than flat_tol over the grid (rate 0 reported)


@dataclass(frozen=True)
class UniformOptimum:
    grid: tuple               # rows {rate, welfare_pct, gdp_share_pp, export_intensity_pp, employment_share_pp, periods}
    welfare: Optimum
    gdp_share: Optimum
    regions: tuple | None     # None: every region
    s_max: float
    evaluations: int          # baseline paths solved


def uniform_optimum(spec: QuantSpec, fundamentals, periods: tuple = (1, 2), s_max: float = 0.5, grid: int = 21,
                    regions: tuple | None = None, sectors: tuple | None = None, lam0=None,
                    heavy: Sequence[int] | None = None, discount: float = PAPER_DISCOUNT, xatol: float = 1e-4,
                    flat_tol: float = 1e-6, setting: Setting | None = None, progress: Progress | None = None) -> UniformOptimum:
    """The single rate s ∈ [0, s_max] on ``regions`` (default all) × the adopting sectors in ``periods`` that
    maximises population-weighted welfare ζ (C6), and the one that maximises the steady-state Δ heavy GDP
    share. Welfare is piecewise smooth in s, with jumps where the economy switches steady state, so: ``grid``
    equally spaced rates on [0, s_max], then ``minimize_scalar(method="bounded")`` on the two grid cells
    around the best grid point; the better of the two is returned. An objective that varies by less than
    ``flat_tol`` (p.p. or %) over the grid — e.g. the steady-state GDP share when every rate returns to the
    same steady state — is reported as flat, at rate 0."""
    if not (math.isfinite(s_max) and 0 < s_max < 1):
        raise ModelError(f"s_max = {s_max:g} must be in (0, 1)")
    if grid < 2:
        raise ModelError(f"the grid needs at least 2 rates, got {grid}")
    setting = _setting(setting, spec, fundamentals, lam0, heavy, discount)
    cache: dict[float, dict] = {}

    def at(rate: float) -> dict:
        rate = float(rate)
        if rate not in cache:
            sched = SubsidySchedule(rate, periods=tuple(periods), regions=regions, sectors=sectors)
            cache[rate] = {"rate": rate, **outcomes(run(setting, sched))}
        return cache[rate]

    rates = np.linspace(0.0, s_max, grid)
    rows = []
    for k, r in enumerate(rates):
        rows.append(at(r))
        if progress:
            progress((k + 1) / (grid + 2), f"grid rate {r:.3f}")

    def best(objective: str) -> Optimum:
        values = np.array([row[objective] for row in rows])
        if values.max() - values.min() < flat_tol:       # no rate does better than solver noise: s = 0
            return Optimum(objective=objective, rate=0.0, value=float(values[0]), at_bound="lower", refined=False,
                           flat=True)
        k = int(np.argmax(values))
        lo, hi = rates[max(k - 1, 0)], rates[min(k + 1, grid - 1)]
        res = optimize.minimize_scalar(lambda s: -at(s)[objective], bounds=(lo, hi), method="bounded",
                                       options={"xatol": xatol})
        refined = bool(-res.fun > values[k])
        rate, value = (float(res.x), float(-res.fun)) if refined else (float(rates[k]), float(values[k]))
        bound = "lower" if rate <= xatol else "upper" if rate >= s_max - xatol else None
        return Optimum(objective=objective, rate=rate, value=value, at_bound=bound, refined=refined, flat=False)

    w_opt = best("welfare_pct")
    if progress:
        progress((grid + 1) / (grid + 2), "refined the welfare optimum")
    g_opt = best("gdp_share_pp")
    if progress:
        progress(1.0, "refined the GDP-share optimum")
    return UniformOptimum(grid=tuple(rows), welfare=w_opt, gdp_share=g_opt, regions=regions, s_max=s_max,
                          evaluations=len(cache))


# ----------------------------------------------------------------------------- randomized allocations

@dataclass(frozen=True)
class RandomizedAllocations:
    draws: np.ndarray         # (K, n_subsidized) region indices, sorted within a draw
    rows: tuple               # per draw: outcomes (OUTCOMES), characteristics (CHARACTERISTICS), periods
    regression: tuple         # tidy OLS rows (see ``ols_hc1_table``)
    reference: dict           # the no-subsidy path's steady state: measures and periods
    schedule: SubsidySchedule  # the baseline schedule whose rate and periods every draw uses
    seed: int


def draw_allocations(n_regions: int, n_subsidized: int, draws: int, seed: int) -> np.ndarray:
    """``draws`` sets of ``n_subsidized`` regions, each uniformly at random without replacement."""
    if draws < 1:
        raise ModelError(f"the number of draws must be at least 1, got {draws}")
    if not 1 <= n_subsidized <= n_regions:
        raise ModelError(f"n_subsidized = {n_subsidized}: a draw must subsidise between 1 and the economy's "
                         f"{n_regions} regions")
    rng = np.random.default_rng(seed)
    return np.array([np.sort(rng.choice(n_regions, n_subsidized, replace=False)) for _ in range(draws)], dtype=int)


def characteristics(setting: Setting, regions: Sequence[int]) -> dict[str, float]:
    """The subsidised regions' population share, and their means of: initial heavy adopter share λ_0, heavy
    market access MA_nj (Q7) and port distance d^x_nj in period 1 of the no-subsidy path, initial heavy GDP
    share (C1, no-subsidy period 1)."""
    r, h = list(regions), list(setting.heavy)
    a = setting.spec.arrays()
    first = setting.reference.equilibria[0]
    return {"population_share": float(a["labour"][r].sum() / a["labour"].sum()),
            "lambda0": float(setting.lam0[np.ix_(r, h)].mean()),
            "market_access": float(first.agg.market_access[np.ix_(r, h)].mean()),
            "port_distance": float(a["d_port"][np.ix_(r, h)].mean()),
            "initial_gdp_share": float(setting.reference_measures[0].region_gdp_share[r].mean())}


_WORKER: dict = {}


def _init_worker(setting: Setting, schedule: SubsidySchedule) -> None:
    _WORKER["setting"], _WORKER["schedule"] = setting, schedule


def _one_draw(regions: tuple) -> dict:
    setting, schedule = _WORKER["setting"], _WORKER["schedule"]
    out = outcomes(run(setting, replace(schedule, regions=tuple(int(r) for r in regions))))
    return {**out, **characteristics(setting, regions)}


def _batch(batch: list) -> list:
    return [(k, _one_draw(regions)) for k, regions in batch]


def randomized_allocations(spec: QuantSpec, fundamentals, schedule: SubsidySchedule, draws: int = 1000,
                           n_subsidized: int | None = None, share: float | None = None, seed: int = 0,
                           workers: int = 1, lam0=None, heavy: Sequence[int] | None = None,
                           discount: float = PAPER_DISCOUNT, setting: Setting | None = None,
                           progress: Progress | None = None, batch_size: int = 10) -> RandomizedAllocations:
    """K = ``draws`` random allocations of ``schedule`` (its rate, periods and sectors) to ``n_subsidized``
    regions (default: as many as ``schedule.regions``; or ``share`` of the regions, rounded), each against the
    common no-subsidy path; per draw the outcomes and the draw's characteristics, then OLS with HC1 errors of
    each outcome on the standardised characteristics. ``workers`` > 1 runs batches of draws in that many
    processes; the numbers do not depend on it."""
    n = spec.n_regions
    if n_subsidized is None:
        if share is not None:
            if not 0 < share <= 1:
                raise ModelError(f"share = {share:g} of regions must be in (0, 1]")
            n_subsidized = int(round(share * n))
        elif schedule.regions is not None:
            n_subsidized = len(schedule.regions)
        else:
            raise ModelError("the baseline schedule subsidises every region: give n_subsidized or share")
    if workers < 1:
        raise ModelError(f"workers = {workers} must be at least 1")
    allocations = draw_allocations(n, n_subsidized, draws, seed)
    setting = _setting(setting, spec, fundamentals, lam0, heavy, discount)
    jobs = [(k, tuple(int(r) for r in allocations[k])) for k in range(draws)]
    batches = [jobs[i:i + batch_size] for i in range(0, draws, batch_size)]
    results: dict[int, dict] = {}

    def collect(done: list) -> None:
        results.update(done)
        if progress:
            progress(len(results) / draws, f"{len(results)} of {draws} draws solved")

    if workers == 1:
        _init_worker(setting, schedule)
        for batch in batches:
            collect(_batch(batch))
    else:
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                                 initargs=(setting, schedule)) as pool:
            for future in as_completed([pool.submit(_batch, b) for b in batches]):
                collect(future.result())
    rows = tuple({"draw": k, "regions": jobs[k][1], **results[k]} for k in range(draws))
    table = ols_hc1_table(rows, OUTCOMES, CHARACTERISTICS)
    last = setting.reference_measures[-1]
    reference = {"gdp_share": last.gdp_share, "export_intensity": last.export_intensity,
                 "employment_share": last.employment_share, "periods": setting.reference.periods}
    return RandomizedAllocations(draws=allocations, rows=rows, regression=tuple(table), reference=reference,
                                 schedule=schedule, seed=seed)


# ----------------------------------------------------------------------------- OLS with HC1 errors

def ols_hc1(y, X) -> dict:
    """OLS of y on X (X includes the intercept column) with White's heteroskedasticity-robust covariance
    scaled by N/(N − k) (HC1, eq. P2):

        β̂ = (XᵀX)⁻¹Xᵀy,   V̂ = N/(N − k) · (XᵀX)⁻¹ Xᵀ diag(ê²) X (XᵀX)⁻¹,   R² = 1 − ê'ê / Σ(y − ȳ)²."""
    y, X = np.asarray(y, dtype=float), np.asarray(X, dtype=float)
    n, k = X.shape
    if n <= k:
        raise ModelError(f"OLS needs more observations ({n}) than regressors ({k})")
    bread = np.linalg.inv(X.T @ X)
    beta = bread @ X.T @ y
    e = y - X @ beta
    meat = (X * (e ** 2)[:, None]).T @ X
    cov = n / (n - k) * bread @ meat @ bread
    tss = float(((y - y.mean()) ** 2).sum())
    return {"coef": beta, "se": np.sqrt(np.diag(cov)), "r2": 1 - float(e @ e) / tss if tss > 0 else math.nan,
            "n": n}


def ols_hc1_table(rows: Sequence[dict], outcomes_: Sequence[str], regressors: Sequence[str]) -> list[dict]:
    """Tidy rows {outcome, term, coef, se, t, p, r2, n} of each outcome on the standardised (mean 0, sd 1)
    regressors with an intercept; p from the normal distribution. A regressor that does not vary across the
    rows cannot be standardised and is left out (a row with term = that name and coef None says so); with no
    more rows than regressors, or collinear regressors, an outcome gets one row with term None and a note."""
    from scipy import stats

    raw = {name: np.array([row[name] for row in rows], dtype=float) for name in regressors}
    kept = [name for name in regressors if np.std(raw[name]) > 1e-12 * max(1.0, float(np.abs(raw[name]).max()))]
    X = np.column_stack([np.ones(len(rows))] + [(raw[k] - raw[k].mean()) / raw[k].std(ddof=1) for k in kept])
    table = []
    for outcome in outcomes_:
        if len(rows) <= X.shape[1] or np.linalg.matrix_rank(X) < X.shape[1]:
            table.append({"outcome": outcome, "term": None, "coef": None, "se": None, "t": None, "p": None,
                          "r2": None, "n": len(rows), "note": f"{len(rows)} draws do not identify {X.shape[1]} "
                          "coefficients (too few draws, or collinear characteristics): take more draws"})
            continue
        fit = ols_hc1(np.array([row[outcome] for row in rows], dtype=float), X)
        for term, b, se in zip(["intercept", *kept], fit["coef"], fit["se"]):
            t = b / se if se > 0 else math.nan
            table.append({"outcome": outcome, "term": term, "coef": float(b), "se": float(se), "t": float(t),
                          "p": float(2 * stats.norm.sf(abs(t))) if math.isfinite(t) else math.nan,
                          "r2": fit["r2"], "n": fit["n"]})
        table.extend({"outcome": outcome, "term": name, "coef": None, "se": None, "t": None, "p": None,
                      "r2": fit["r2"], "n": fit["n"], "note": "constant across draws: left out"}
                     for name in regressors if name not in kept)
    return table
