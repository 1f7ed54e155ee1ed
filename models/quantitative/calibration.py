"""Internal calibration of the quantitative model by the method of moments (Choi & Shim Section 5.2, eq. 5.1;
Table 2). Our implementation: docs/quantitative-calibration.md (equations K1–K10).

Six parameters Θ = (F^T, F^x_light, F^x_heavy, κ, τ̄_heavy, s̄) minimise the squared relative deviations of
seven model moments from the data (K6) subject to conditions that pin the per-period fundamentals
Ψ_t = (φ^min_nj, one Foreign price level P^f_t, D^x_j): region-sector gross output shares, sectoral export
intensities, the producer price index, and real GDP growth (period 1: the unit of Home productivity, a
normalization) (K1–K4, K9, K10); import shares are implied by these under Cobb–Douglas demand and balanced trade
and are reported, not imposed (docs §2). The inner
problem solves, period by period, the static equilibrium and the fundamentals jointly (one square system, K5,
Newton–chord with good-Broyden updates, cheapest start first); the outer problem is
``scipy.optimize.least_squares`` on transformed parameters (K8), with the step moment (share of regions with
adoption) smoothed where it misses (K7'). Pure numpy/scipy: no streamlit, no storage."""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import linalg, optimize

from .aggregates import Aggregates, evaluate
from .counterfactuals import value_added
from .dynamics import Path, solve_path
from .equilibrium import StaticEquilibrium, solve_static
from .spec import Fundamentals, ModelError, QuantSpec, SolverError

log = logging.getLogger(__name__)
PARAMETERS = ("fixed_adoption", "fixed_export_light", "fixed_export_heavy", "kappa", "tau_bar_heavy",
              "subsidy_rate")
ADOPTION_BAND = 0.1       # b in (K7'): a misplaced region-period within b (log productivity) of its adoption
                          # cutoff counts partially in the smoothed moment
UNBOUNDED = 1e12          # a Pareto upper bound beyond every cutoff (the unclipped adoption cutoff, K7')
INNER_TOL = 1e-11         # joint system (K5), largest absolute log residual accepted
POLISH_TOL = 1e-13        # Newton–chord steps continue to here while they halve the residual (outer FD noise)
CONSTRAINT_TOL = 1e-8     # the constraints at the result (relative)
DIFF_STEP = 1e-6          # relative finite-difference step of the outer Jacobian (inner noise ≈ 1e-11)
SEARCH_BOX = 4.0          # the outer search stays within x0 ± 4 in (K8) (a factor e^4 ≈ 55 for F, κ − 1)
FIXED_POINT_STEPS = 60    # cold start: damped fixed-point steps on the fundamentals before the joint solve


@dataclass(frozen=True)
class CalibrationData:
    """The data side of (5.1): constraint targets per period, moments, and the policy (docs K1–K7)."""

    years: tuple                      # calibration years, period t = index + 1
    lam0: tuple                       # (N, J) initial adopter shares (0 in sectors that cannot adopt)
    output_share: tuple               # (T, N, J) gross output shares; each period sums to 1
    export_intensity: tuple           # (T, J) exports / gross output
    import_share: tuple               # (T, J) imports / (gross output − exports + imports)
    ppi: tuple                        # (T,) ppi[0] == 1
    real_gdp: tuple                   # (T,) real GDP relative to period 1 (real_gdp[0] == 1), non-targeted
    tariff: tuple                     # (T, J) t_jt
    adopter_share: tuple              # (T,) moment: mean over regions of the heavy adopter share
    exporter_share_light: float       # moment (average over the T periods)
    exporter_share_heavy: float       # moment (average over the T periods)
    regions_with_adoption: float      # moment (share of regions with λ_n,heavy > 0, averaged over the T periods)
    tax_rate: float                   # moment (period 1)
    subsidized_regions: tuple         # 0-based region indices receiving s̄ in the policy periods
    light_sector: int                 # index of light manufacturing
    policy_periods: tuple = (2, 3)    # 1-based periods with the subsidy
    productivity_level: float = 1.0   # the unit of Home productivity: period 1's output-weighted geometric mean
                                      # of φ^min (a normalization, docs K10; simulate_data records the truth's)


@dataclass(frozen=True)
class CalibrationResult:
    spec: QuantSpec                   # the input spec with fixed_adoption, fixed_export, kappa, tau_bar replaced
    fundamentals: tuple               # Fundamentals per calibration period, tariffs and baseline subsidies in
    subsidy_rate: float
    subsidized_regions: tuple
    path: Path                        # solve_path over the calibration periods, then period T held (no subsidy)
    moments: tuple                    # dicts: {"moment", "parameter", "year", "model", "data"}
    constraints: tuple                # dicts: {"constraint", "year", "max_abs_error"} (+ "model", "data")
    objective: float                  # Σ relative deviations² with the exact moments (K6)
    evaluations: int                  # outer evaluations of the model, finite-difference ones included
    seconds: float
    converged: bool
    message: str
    parameters: dict | None = None    # the six calibrated values by name (PARAMETERS)


# ---------------------------------------------------------------------------------------------------------
# Input checks


def heavy_sector(spec: QuantSpec) -> int:
    """The one sector that can adopt (the paper: heavy manufacturing); ModelError unless exactly one."""
    heavy = [j for j, can in enumerate(spec.adopting) if can]
    if len(heavy) != 1:
        raise ModelError(f"the calibration needs exactly one sector that can adopt (heavy manufacturing); the spec "
                         f"has {len(heavy)}")
    return heavy[0]


def validate_data(spec: QuantSpec, data: CalibrationData) -> None:
    """Raise ModelError listing every problem of ``data`` for ``spec`` (shapes, shares, moments, policy)."""
    n, j, heavy = spec.n_regions, spec.n_sectors, heavy_sector(spec)
    t = len(data.years)
    p: list[str] = []
    try:
        arrays = {"lam0": (np.array(data.lam0, float), (n, j)),
                  "output_share": (np.array(data.output_share, float), (t, n, j)),
                  "export_intensity": (np.array(data.export_intensity, float), (t, j)),
                  "import_share": (np.array(data.import_share, float), (t, j)),
                  "ppi": (np.array(data.ppi, float), (t,)), "real_gdp": (np.array(data.real_gdp, float), (t,)),
                  "tariff": (np.array(data.tariff, float), (t, j)),
                  "adopter_share": (np.array(data.adopter_share, float), (t,))}
    except (ValueError, TypeError) as err:
        raise ModelError(f"calibration data do not have consistent shapes: {err}") from err
    if t < 1:
        raise ModelError("the calibration needs at least one year")
    bad = [f"{k} has shape {a.shape}, expected {s}" for k, (a, s) in arrays.items() if a.shape != s]
    if bad:
        raise ModelError("; ".join(bad))
    a = {k: v for k, (v, _) in arrays.items()}
    if not all(np.all(np.isfinite(v)) for v in a.values()):
        raise ModelError("every calibration data entry must be finite")
    if np.any(a["lam0"] < 0) or np.any(a["lam0"] > 1) or np.any(a["lam0"][:, [k for k in range(j) if k != heavy]]):
        p.append("λ_0 must be a share in [0, 1], and 0 in sectors that cannot adopt")
    out = a["output_share"]
    if np.any(out <= 0):
        cells = [tuple(int(i) for i in c) for c in np.argwhere(out <= 0)[:5]]
        p.append(f"gross output shares must be positive in every region-sector (the model has output in every "
                 f"cell); zero or negative at (period, region, sector) {cells}")
    sums = out.sum(axis=(1, 2))
    if np.any(np.abs(sums - 1) > 1e-9):
        p.append(f"gross output shares must sum to 1 in each period; they sum to {', '.join(f'{s:.6g}' for s in sums)}")
    for name in ("export_intensity", "import_share"):
        if np.any(a[name] <= 0) or np.any(a[name] >= 1):
            p.append(f"{name.replace('_', ' ')} must be in (0, 1) for every sector and period (a sector without "
                     f"trade has no Foreign price or demand to calibrate)")
    if np.any(a["ppi"] <= 0) or abs(a["ppi"][0] - 1) > 1e-12:
        p.append("the PPI must be positive with ppi[0] = 1")
    if np.any(a["real_gdp"] <= 0) or abs(a["real_gdp"][0] - 1) > 1e-12:
        p.append("real GDP must be positive with real_gdp[0] = 1")
    if np.any(a["tariff"] < 0):
        p.append("tariffs must be non-negative")
    if not (math.isfinite(data.productivity_level) and data.productivity_level > 0):
        p.append("the period-1 productivity level (the normalization K10) must be positive and finite")
    moments = {"adopter share": a["adopter_share"], "exporter share, light": [data.exporter_share_light],
               "exporter share, heavy": [data.exporter_share_heavy],
               "share of regions with adoption": [data.regions_with_adoption], "tax rate": [data.tax_rate]}
    for name, values in moments.items():
        if not all(0 < float(v) < 1 for v in values):
            p.append(f"the moment '{name}' must be in (0, 1) (relative deviations need a positive target)")
    regions = list(data.subsidized_regions)
    if not regions:
        p.append("no subsidized regions: the subsidy rate s̄ is not identified")
    if any(not isinstance(r, (int, np.integer)) or not 0 <= r < n for r in regions):
        p.append(f"subsidized region indices must be integers in 0..{n - 1}; got {regions}")
    if not isinstance(data.light_sector, (int, np.integer)) or not 0 <= data.light_sector < j \
            or data.light_sector == heavy:
        p.append(f"the light sector must be a sector index in 0..{j - 1} other than the heavy sector {heavy}")
    if not data.policy_periods or any(not 1 <= int(q) <= t for q in data.policy_periods):
        p.append(f"policy periods must be 1-based periods within 1..{t}")
    if p:
        raise ModelError("; ".join(p))


# ---------------------------------------------------------------------------------------------------------
# Parameters, schedules, indices


def parameters_of(spec: QuantSpec, start: dict | None, data: CalibrationData) -> dict:
    """The six parameters' starting values: ``start`` where given, the spec's otherwise (s̄: 0.1)."""
    heavy = heavy_sector(spec)
    values = {"fixed_adoption": spec.fixed_adoption, "fixed_export_light": spec.fixed_export[data.light_sector],
              "fixed_export_heavy": spec.fixed_export[heavy], "kappa": spec.kappa,
              "tau_bar_heavy": spec.tau_bar[heavy], "subsidy_rate": 0.1}
    unknown = set(start or {}) - set(PARAMETERS)
    if unknown:
        raise ModelError(f"unknown starting values {sorted(unknown)}; the parameters are {', '.join(PARAMETERS)}")
    values.update({k: float(v) for k, v in (start or {}).items()})
    if not (values["fixed_adoption"] > 0 and values["fixed_export_light"] > 0 and values["fixed_export_heavy"] > 0
            and 1 < values["kappa"] < math.inf and 0 < values["tau_bar_heavy"] < 1 and 0 < values["subsidy_rate"] < 1):
        raise ModelError(f"starting values must have F > 0, 1 < κ < ∞, τ̄ and s̄ in (0, 1); got {values}")
    return values


def to_unconstrained(values: dict) -> np.ndarray:
    """x = (ln F^T, ln F^x_light, ln F^x_heavy, ln(κ − 1), logit τ̄, logit s̄) (K8)."""
    v = values
    return np.array([math.log(v["fixed_adoption"]), math.log(v["fixed_export_light"]),
                     math.log(v["fixed_export_heavy"]), math.log(v["kappa"] - 1),
                     _logit(v["tau_bar_heavy"]), _logit(v["subsidy_rate"])])


def from_unconstrained(x: np.ndarray) -> dict:
    """The inverse of (K8)."""
    return {"fixed_adoption": math.exp(x[0]), "fixed_export_light": math.exp(x[1]),
            "fixed_export_heavy": math.exp(x[2]), "kappa": 1 + math.exp(x[3]), "tau_bar_heavy": _expit(x[4]),
            "subsidy_rate": _expit(x[5])}


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _expit(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def calibrated_spec(spec: QuantSpec, values: dict, light: int) -> QuantSpec:
    """The spec with Θ^M in: F^T, κ, τ̄_heavy (τ̄ = 0 elsewhere), F^x_heavy, and F^x_light in every non-heavy
    sector (our choice; the paper sets only commodity's equal to light's)."""
    heavy = heavy_sector(spec)
    fx = tuple(values["fixed_export_heavy"] if k == heavy else values["fixed_export_light"]
               for k in range(spec.n_sectors))
    tau = tuple(values["tau_bar_heavy"] if k == heavy else 0.0 for k in range(spec.n_sectors))
    return replace(spec, fixed_adoption=values["fixed_adoption"], fixed_export=fx, kappa=values["kappa"],
                   tau_bar=tau)


def subsidy_schedule(spec: QuantSpec, rate: float, regions: Sequence[int], periods: Sequence[int],
                     n_periods: int) -> list[np.ndarray]:
    """s_njt = s̄ for n in the subsidized regions, j heavy, t in the policy periods; 0 otherwise."""
    heavy = heavy_sector(spec)
    out = []
    for t in range(1, n_periods + 1):
        s = np.zeros((spec.n_regions, spec.n_sectors))
        if t in set(int(q) for q in periods):
            s[list(regions), heavy] = rate
        out.append(s)
    return out


def trade_ratios(spec: QuantSpec, fund: Fundamentals, agg: Aggregates) -> tuple[np.ndarray, np.ndarray]:
    """(export intensity, import share) by sector (K2, K3): Σ_n exports / Σ_n R, and imports at the border
    (excluding tariffs) over absorption Σ R − exports + imports."""
    tariff = fund.arrays(spec)["tariff"]
    sales, exports = agg.sales.sum(axis=0), agg.exports.sum(axis=0)
    imports = agg.imports.sum(axis=0) / (1 + tariff)
    return exports / sales, imports / (sales - exports + imports)


def log_ppi(P: np.ndarray, weights: np.ndarray) -> float:
    """ln PPI = Σ_nj ω_nj ln P_nj, ω the period's gross output shares (K4: a geometric mean)."""
    return float((weights * np.log(P)).sum())


def log_level(phi: np.ndarray, weights: np.ndarray) -> float:
    """ln of the unit of Home productivity, Σ_nj ω_nj ln φ^min_nj with ω period 1's output shares (K10)."""
    return float((weights * np.log(phi)).sum())


def _fundamentals(phi, pf, dx, tariff, subsidy) -> Fundamentals:
    """Fundamentals from arrays (the solver's working form) — see :func:`_frozen` for the stored form."""
    return Fundamentals(phi_min=phi, foreign_price=pf, foreign_demand=dx, tariff=tariff, subsidy=subsidy)


def _frozen(fund: Fundamentals, spec: QuantSpec) -> Fundamentals:
    """The same fundamentals as nested tuples (frozen, hashable, comparable)."""
    a = fund.arrays(spec)

    def tup(x):
        return tuple(tup(r) for r in x) if np.ndim(x) > 1 else tuple(float(v) for v in x)
    return Fundamentals(**{k: tup(a[k]) for k in ("phi_min", "foreign_price", "foreign_demand", "tariff",
                                                   "subsidy")})


# ---------------------------------------------------------------------------------------------------------
# Inner problem: fundamentals given Θ, one period at a time


@dataclass(frozen=True)
class _Targets:
    share: np.ndarray      # (N, J) gross output shares (K1)
    export: np.ndarray     # (J,) export intensities (K2)
    log_ppi: float         # (K4)
    tariff: np.ndarray     # (J,)
    log_gdp: float | None  # ln(real GDP_t / real GDP_1) from period 2 on (K9); None in period 1 (K10 instead)
    log_phi: float         # Σ_nj ω_nj ln φ^min_nj imposed in period 1 (K10)
    log_gdp_base: float    # ln(Σ VA_1 / PPI_1) of the model's own period 1 (used from period 2 on)


def _prices(u: np.ndarray, n: int, j: int):
    """(w, P, E) from u = (ln w, ln P, ln E, …): a static equilibrium's solution or the start of v (K5)."""
    k = n + 2 * n * j
    with np.errstate(over="ignore"):                 # a wild trial step: infinite values, caught as residuals
        return np.exp(u[:n]), np.exp(u[n:n + n * j].reshape(n, j)), np.exp(u[n + n * j:k].reshape(n, j))


def _split(v: np.ndarray, n: int, j: int):
    """(w, P, E, φ^min, P^f (J,), D^x) from v = (ln w, ln P, ln E, ln φ^min, ln P^f, ln D^x), P^f common (K3)."""
    k = n + 2 * n * j
    w, P, E = _prices(v, n, j)
    with np.errstate(over="ignore"):
        phi = np.exp(v[k:k + n * j].reshape(n, j))
        pf, dx = np.full(j, np.exp(v[k + n * j])), np.exp(v[k + n * j + 1:])
    return w, P, E, phi, pf, dx


def log_real_gdp(agg: Aggregates, weights: np.ndarray, P: np.ndarray) -> float:
    """ln(Σ_nj VA_nj / PPI) with Σ VA = Σ_n I_n − Σ TR (docs §13, from C1 and Q17–Q23; holds in equilibrium)."""
    with np.errstate(invalid="ignore", divide="ignore"):       # a trial point with no income: NaN, not a crash
        return float(np.log(agg.income.sum() - agg.tariff_revenue.sum())) - log_ppi(P, weights)


def _joint_system(v, spec, lam_prev, subsidy, tg: _Targets) -> np.ndarray:
    """(K5): the N + 2NJ equilibrium conditions (Q24, Q6, Q25 in logs, as ``solve_static``) and the NJ + J + 1
    conditions on the fundamentals (K1, K2, K4, and K9 or, in period 1, K10) in the unknowns
    (ln w, ln P, ln E, ln φ^min, ln P^f, ln D^x)."""
    n, j = spec.n_regions, spec.n_sectors
    w, P, E, phi, pf, dx = _split(v, n, j)
    fund = _fundamentals(phi, pf, dx, tg.tariff, subsidy)
    with np.errstate(all="ignore"):
        try:
            agg = evaluate(spec, fund, lam_prev, w, P, E)
        except ZeroDivisionError:                     # a trial point with wages underflowing to 0
            return np.full(v.size, 1e3)
        expo, _ = trade_ratios(spec, fund, agg)
        share = agg.sales / agg.sales.sum()
        last = (log_level(phi, tg.share) - tg.log_phi if tg.log_gdp is None
                else log_real_gdp(agg, tg.share, P) - tg.log_gdp_base - tg.log_gdp)
        out = np.concatenate([np.log(agg.labour_demand) - np.log(spec.arrays()["labour"]),
                              (np.log(agg.price_model) - np.log(P)).ravel(),
                              (np.log(agg.spending_model) - np.log(E)).ravel(),
                              (np.log(share) - np.log(tg.share)).ravel()[:-1],
                              np.log(expo) - np.log(tg.export), [log_ppi(P, tg.share) - tg.log_ppi, last]])
    return np.where(np.isfinite(out), out, 1e3)


def _fixed_point(spec, lam_prev, subsidy, tg: _Targets, phi, pf, dx, steps: int):
    """A damped fixed point on the fundamentals around warm-started static solves (cold start of K5):
    φ^min_nj ← φ^min_nj (target/model share)^{0.7/((σ−1)(1+ξ_j))}, D^x_j ← D^x_j (target/model export
    intensity)^{0.7}; the level of φ^min is then set exactly to the normalization (K10, period 1) or moved by the
    real GDP gap (K9, later periods), and every step ends with the homogeneity rescale P^f·k, D^x·k^σ of docs §6,
    k = the PPI gap (K4), which moves every Home nominal by k and nothing real. P^f itself is never updated
    otherwise: given the level of Home productivity it is pinned by trade balance (docs §2). Returns the
    fundamentals and the equilibrium solution once every gap is within 1e−3 (log), or after ``steps``."""
    sigma, xi = spec.sigma, spec.arrays()["xi"]
    guess, damp_phi, damp_dx, last_phi, last_dx = None, np.full(phi.shape, 0.7), np.full(dx.shape, 0.7), None, None
    for _ in range(steps):
        fund = _fundamentals(phi, pf, dx, tg.tariff, subsidy)
        eq = solve_static(spec, fund, lam_prev, guess=guess)
        expo, _ = trade_ratios(spec, fund, eq.agg)
        share = eq.agg.sales / eq.agg.sales.sum()
        ppi_gap = tg.log_ppi - log_ppi(eq.price, tg.share)
        level_gap = (0.0 if tg.log_gdp is None
                     else tg.log_gdp + tg.log_gdp_base - log_real_gdp(eq.agg, tg.share, eq.price))
        with np.errstate(divide="ignore"):
            gaps = np.concatenate([np.log(share / tg.share).ravel(), np.log(expo / tg.export), [level_gap, ppi_gap]])
            if np.max(np.abs(gaps)) < 1e-3:
                return phi, pf, dx, eq.solution
            gap_phi, gap_dx = np.log(tg.share / share), np.log(tg.export / expo)
            if last_phi is not None:                  # a gap that changed sign: halve that cell's damping
                damp_phi = np.where(gap_phi * last_phi < 0, damp_phi / 2, damp_phi)
                damp_dx = np.where(gap_dx * last_dx < 0, damp_dx / 2, damp_dx)
            last_phi, last_dx = gap_phi, gap_dx
            phi = phi * _step(damp_phi * gap_phi / ((sigma - 1) * (1 + xi))[None, :] + 0.7 * level_gap)
            dx = dx * _step(damp_dx * gap_dx)
        if tg.log_gdp is None:                        # period 1: the unit of productivity, exactly (K10)
            phi = phi * math.exp(tg.log_phi - log_level(phi, tg.share))
        k = math.exp(float(np.clip(ppi_gap, -0.5, 0.5)))
        pf, dx, guess = pf * k, dx * k ** sigma, eq.solution + math.log(k) * _nominal(spec)
    return phi, pf, dx, guess


def _step(log_change: np.ndarray) -> np.ndarray:
    """A fixed-point update factor, each log change capped at ±0.5 (a sector with no exporters has export
    intensity 0: an uncapped update would be infinite)."""
    return np.exp(np.clip(np.nan_to_num(log_change, nan=0.0), -0.5, 0.5))


def _nominal(spec: QuantSpec) -> np.ndarray:
    """Direction of the homogeneity in u = (ln w, ln P, ln E): every nominal scales by k (docs §6)."""
    return np.ones(spec.n_regions + 2 * spec.n_regions * spec.n_sectors)


def _jacobian(fun, v: np.ndarray, f0: np.ndarray) -> np.ndarray:
    """Forward-difference Jacobian of (K5), one evaluation per unknown."""
    h = 1e-7 * np.maximum(1.0, np.abs(v))
    cols = np.empty((f0.size, v.size))
    for i in range(v.size):
        step = v.copy()
        step[i] += h[i]
        cols[:, i] = (fun(step) - f0) / h[i]
    return cols


def _broyden_solve(lu, updates: list, rhs: np.ndarray) -> np.ndarray:
    """H r with H = (I + u_k s_kᵀ)…(I + u_1 s_1ᵀ) J₀⁻¹: the factorised Jacobian J₀ and the good-Broyden
    rank-one corrections (u, s) of the inverse made since it was factorised (Dennis & Schnabel 1996, §8.3)."""
    z = linalg.lu_solve(lu, rhs, check_finite=False)
    for u, s in updates:
        z = z + u * (s @ z)
    return z


def _broyden_update(lu, updates: list, s: np.ndarray, y: np.ndarray) -> None:
    """Append the good-Broyden correction for the step s and residual change y:
    H⁺ = H + (s − H y) sᵀH / (sᵀ H y), i.e. u = (s − H y)/(sᵀ H y) (skipped when sᵀ H y is ≈ 0)."""
    hy = _broyden_solve(lu, updates, y)
    denom = float(s @ hy)
    if abs(denom) > 1e-12 * float(s @ s) and np.all(np.isfinite(hy)):
        updates.append(((s - hy) / denom, s))


def _newton(fun, v: np.ndarray, lu, refreshes: int = 4, max_steps: int = 120):
    """Newton–chord–Broyden on (K5): steps with a factorised Jacobian ``lu`` (an earlier one, when given: the
    chord method) corrected by good-Broyden rank-one updates after every accepted step; the Jacobian is
    refactorised at the current point when a step does not lower the largest residual (at most ``refreshes``
    times), with step halving after a fresh factorisation; stops below ``POLISH_TOL``, or below ``INNER_TOL`` once
    steps stop halving the residual; returns (v, largest |residual|, lu) with lu the last factorisation (without
    the updates: the next call's chord start)."""
    f = fun(v)
    best, fresh, updates = float(np.max(np.abs(f))), False, []
    for _ in range(max_steps):
        if best < POLISH_TOL:
            break
        if lu is None:
            if refreshes == 0:
                break
            with np.errstate(all="ignore"):
                jac = _jacobian(fun, v, f)
            if not np.all(np.isfinite(jac)):
                break
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", linalg.LinAlgWarning)   # singular: caught below as a bad step
                lu, fresh, refreshes, updates = linalg.lu_factor(jac, check_finite=False), True, refreshes - 1, []
        step = -_broyden_solve(lu, updates, f)
        if not np.all(np.isfinite(step)):
            break
        for damping in ((1.0, 0.5, 0.25, 0.125) if fresh else (1.0,)):
            trial = v + damping * step
            f_trial = fun(trial)
            worst = float(np.max(np.abs(f_trial)))
            if worst < 0.5 * best or (fresh and worst < best):
                break
        if worst < best:
            _broyden_update(lu, updates, trial - v, f_trial - f)
            v, f = trial, f_trial
        if not worst < 0.5 * best:                    # slow progress: go on with the updates; none: refactorise
            if (fresh and not worst < best) or min(best, worst) < INNER_TOL:
                break
            if not worst < best:
                lu = None
        fresh = False
        best = min(best, worst)
    return v, best, lu


def _solve_joint(spec, lam_prev, subsidy, tg: _Targets, v0: np.ndarray, lu=None, newton: bool = True,
                 fallbacks: tuple = ("hybr", "lm", "krylov")):
    """Solve (K5) from v0: Newton–chord (reusing ``lu``, a factorised Jacobian from an earlier solve, when given;
    skipped with ``newton=False``, when it has already failed from v0), then ``fallbacks`` in turn (MINPACK hybr,
    Levenberg–Marquardt, Newton–Krylov), each from the best point so far; returns (v, largest |residual|,
    attempts, lu)."""
    args = (spec, lam_prev, subsidy, tg)

    def fun(v):
        return _joint_system(v, *args)
    if newton:
        v, best, lu = _newton(fun, v0, lu)
        notes = [f"newton: {best:.3g}"]
    else:
        v, best, notes = v0, float(np.max(np.abs(fun(v0)))), []
    for name in fallbacks:
        if best < INNER_TOL:
            break
        opts = {"hybr": {"method": "hybr", "options": {"xtol": 1e-14, "maxfev": 50 * (v0.size + 1)}},
                "lm": {"method": "lm", "options": {"xtol": 1e-15, "ftol": 1e-15, "maxiter": 50 * (v0.size + 1)}},
                "krylov": {"method": "krylov", "options": {"fatol": INNER_TOL / 10, "maxiter": 200}}}[name]
        with np.errstate(all="ignore"):
            try:
                sol = optimize.root(_joint_system, v, args=args, **opts)
            except ValueError as err:                 # Newton–Krylov: "Jacobian inversion yielded zero vector"
                notes.append(f"{name}: {err}")
                continue
            worst = float(np.max(np.abs(fun(sol.x))))
        notes.append(f"{name}: {worst:.3g}")
        log.debug("joint solve %s: %.3g after %s evaluations", name, worst, getattr(sol, "nfev", "?"))
        if worst < best:
            v, best, lu = sol.x, worst, None
    return v, best, "; ".join(notes), lu


def solve_period(spec: QuantSpec, lam_prev: np.ndarray, subsidy: np.ndarray, tg: _Targets, warm: tuple | None = None,
                 previous: tuple | None = None, newton_only: bool = False) -> tuple[np.ndarray, object]:
    """One period's inner problem (K5): the joint (equilibrium, fundamentals) vector meeting every condition.
    ``warm`` is this period's solution at an earlier Θ and ``previous`` period t − 1's solution at this Θ, each
    (v, factorised Jacobian) or None. Cheapest first: Newton from ``warm``, then from ``previous``; MINPACK hybr
    from the point Newton reached from ``warm``; a cold start by :func:`_fixed_point` (from the fundamentals of the
    best point so far, if any) and :func:`_solve_joint` with every fallback; Levenberg–Marquardt and Newton–Krylov
    from the warm point; :func:`_continuation` from the fixed point. With ``newton_only`` only the Newton steps.
    SolverError if none reaches ``INNER_TOL``. Returns (v, factorised Jacobian)."""
    n, j = spec.n_regions, spec.n_sectors
    notes, reached = [], []                           # reached: (largest |residual|, point) Newton got to
    for label, start in (("warm start", warm), ("period t − 1's solution", previous)):
        if start is not None:
            v, worst, lu = _newton(lambda x: _joint_system(x, spec, lam_prev, subsidy, tg), start[0], start[1])
            if worst < INNER_TOL:
                return v, lu
            notes.append(f"{label} (newton: {worst:.3g})")
            reached.append((worst, v))
    if newton_only:
        raise SolverError(f"Newton did not solve (K5) from the start(s): {'; '.join(notes)}")
    near = reached[0][1] if warm is not None else None
    if near is not None:                              # close to a solution, hybr usually finishes in a few seconds
        v, worst, note, lu = _solve_joint(spec, lam_prev, subsidy, tg, near, newton=False, fallbacks=("hybr",))
        if worst < INNER_TOL:
            return v, lu
        notes.append(f"warm start ({note})")
    if reached:
        _, _, _, phi, pf, dx = _split(min(reached, key=lambda r: r[0])[1], n, j)
    else:
        phi, pf, dx = np.full((n, j), math.exp(tg.log_phi)), np.ones(j), np.full(j, 0.3)
    try:
        cold = _fixed_point(spec, lam_prev, subsidy, tg, phi, pf, dx, FIXED_POINT_STEPS)
    except (SolverError, ModelError, ZeroDivisionError) as err:   # no static equilibrium, or diverged fundamentals
        cold = None
        notes.append(f"cold start (the fundamentals could not be found: {err})")
    if cold is not None:
        phi, pf, dx, u = cold
        v0 = np.concatenate([u, np.log(phi).ravel(), [math.log(pf[0])], np.log(dx)])
        v, worst, note, lu = _solve_joint(spec, lam_prev, subsidy, tg, v0)
        if worst < INNER_TOL:
            return v, lu
        notes.append(f"cold start ({note})")
    if near is not None:
        v, worst, note, lu = _solve_joint(spec, lam_prev, subsidy, tg, near, newton=False, fallbacks=("lm", "krylov"))
        if worst < INNER_TOL:
            return v, lu
        notes.append(f"warm start ({note})")
    if cold is not None:
        try:
            v, worst, note, lu = _continuation(spec, lam_prev, subsidy, tg, *cold)
        except (SolverError, ModelError, ZeroDivisionError) as err:
            worst, note = math.inf, str(err)
        if worst < INNER_TOL:
            return v, lu
        notes.append(f"continuation ({note})")
    raise SolverError(f"no fundamentals meet the constraints at these parameters (tried {'; '.join(notes)})")


def _continuation(spec, lam_prev, subsidy, tg: _Targets, phi, pf, dx, guess, min_step: float = 1 / 256):
    """Cold start of (K5) by continuation in the targets: at the fundamentals (φ^min, P^f, D^x) the static
    equilibrium meets the targets T_0 it produces itself; (K5) is solved by Newton–chord for the targets
    T_τ = (1 − τ) T_0 + τ T (in logs; output shares renormalised to sum to 1, K1), τ rising from 0 to 1 in steps
    that halve when a step fails (down to ``min_step``), each from the previous solution. Returns
    (v, largest |residual|, note, lu) as :func:`_solve_joint` at τ = 1."""
    fund = _fundamentals(phi, pf, dx, tg.tariff, subsidy)
    eq = solve_static(spec, fund, lam_prev, guess=guess)
    expo, _ = trade_ratios(spec, fund, eq.agg)
    share0 = eq.agg.sales / eq.agg.sales.sum()
    start = replace(tg, share=share0, export=expo, log_ppi=log_ppi(eq.price, share0),
                    log_phi=log_level(phi, share0),
                    log_gdp=None if tg.log_gdp is None else log_real_gdp(eq.agg, share0, eq.price) - tg.log_gdp_base)

    def at(tau):
        share = np.exp((1 - tau) * np.log(share0) + tau * np.log(tg.share))
        return replace(tg, share=share / share.sum(), export=np.exp((1 - tau) * np.log(expo) + tau * np.log(tg.export)),
                       log_ppi=(1 - tau) * start.log_ppi + tau * tg.log_ppi,
                       log_phi=(1 - tau) * start.log_phi + tau * tg.log_phi,
                       log_gdp=None if tg.log_gdp is None else (1 - tau) * start.log_gdp + tau * tg.log_gdp)
    v = np.concatenate([eq.solution, np.log(phi).ravel(), [math.log(pf[0])], np.log(dx)])
    tau, step, lu = 0.0, 0.25, None
    while tau < 1:
        nxt = min(1.0, tau + step)
        trial, worst, new_lu = _newton(lambda x, g=at(nxt): _joint_system(x, spec, lam_prev, subsidy, g), v, lu)
        if worst < 1e-9:
            v, tau, lu, step = trial, nxt, new_lu, min(2 * step, 0.5)
        else:
            step, lu = step / 2, None
            if step < min_step:
                return v, worst, f"stopped at τ = {tau:.3g} of 1", None
    return _solve_joint(spec, lam_prev, subsidy, tg, v, lu)


def _targets(data: CalibrationData, t: int, log_gdp_base: float = 0.0) -> _Targets:
    return _Targets(share=np.array(data.output_share[t], float), export=np.array(data.export_intensity[t], float),
                    log_ppi=math.log(data.ppi[t]), tariff=np.array(data.tariff[t], float),
                    log_gdp=None if t == 0 else math.log(data.real_gdp[t]), log_gdp_base=log_gdp_base,
                    log_phi=math.log(data.productivity_level))


def inner(spec: QuantSpec, data: CalibrationData, rate: float, warm: list | None,
          newton_only: bool = False) -> tuple[list, list, list]:
    """The fundamentals of every calibration period given Θ (K5), in order t = 1..T with λ_{t−1} the model's
    own (λ_0 the data's): ((joint solution, factorised Jacobian) per period — the next call's warm start —,
    fundamentals, aggregates). Period t starts from ``warm[t]`` (if given), then from period t − 1's solution."""
    n, j = spec.n_regions, spec.n_sectors
    subsidies = subsidy_schedule(spec, rate, data.subsidized_regions, data.policy_periods, len(data.years))
    lam = np.array(data.lam0, float)
    sols, funds, aggs, base = [], [], [], 0.0
    for t in range(len(data.years)):
        tg = _targets(data, t, base)
        v, lu = solve_period(spec, lam, subsidies[t], tg, warm[t] if warm is not None else None,
                             sols[-1] if sols else None, newton_only)
        w, P, E, phi, pf, dx = _split(v, n, j)
        fund = _fundamentals(phi, pf, dx, tg.tariff, subsidies[t])
        agg = evaluate(spec, fund, lam, w, P, E)
        if t == 0:
            base = log_real_gdp(agg, tg.share, P)
        lam = agg.adopter_share
        sols.append((v, lu))
        funds.append(fund)
        aggs.append(agg)
    return sols, funds, aggs


# ---------------------------------------------------------------------------------------------------------
# Moments


def model_moments(spec: QuantSpec, aggs: Sequence[Aggregates], light: int) -> dict:
    """The seven model moments (K7) from the calibration periods' aggregates: mean over regions of λ_n,heavy
    per period; firm-weighted national exporter shares Σ_n M χ / Σ_n M (light, heavy), averaged over periods;
    the share of regions with λ_n,heavy > 0, averaged over periods; heavy manufacturing's sales-weighted output
    wedge Σ_n W / Σ_n R in period 1."""
    heavy = heavy_sector(spec)
    mass = spec.arrays()["mass"]
    lam = np.array([g.adopter_share[:, heavy] for g in aggs])

    def exporters(k):
        return float(np.mean([(mass[:, k] * g.exporter_share[:, k]).sum() / mass[:, k].sum() for g in aggs]))
    first = aggs[0]
    return {"adopter_share": lam.mean(axis=1), "exporter_share_light": exporters(light),
            "exporter_share_heavy": exporters(heavy), "regions_with_adoption": float((lam > 0).mean()),
            "tax_rate": float(first.wedge[:, heavy].sum() / first.sales[:, heavy].sum())}


def adoption_gaps(spec: QuantSpec, data: CalibrationData, solutions: Sequence[np.ndarray],
                  funds: Sequence[Fundamentals], aggs: Sequence[Aggregates]) -> np.ndarray:
    """(T, N) g_nt = ln κ − ln x̃_T,nt: the log distance of heavy's best firm (x = κ) above the adoption cutoff
    x̃_T of (Q11) not clipped at κ (K7'); region n has adopters in period t iff g_nt > 0; ε g_nt = ln(v_best/v_T)
    in the units of (Q10), the best firm's gain from adoption over its cost where adoption is decided alone.
    x̃_T is (Q11) re-evaluated at each period's solution (``solutions``: vectors starting with ln w, ln P, ln E)
    with the support's upper bound lifted to ``UNBOUNDED`` (the cutoff does not depend on κ)."""
    heavy, n, j = heavy_sector(spec), spec.n_regions, spec.n_sectors
    wide = replace(spec, kappa=UNBOUNDED)
    lam = np.array(data.lam0, float)
    out = []
    for u, fund, agg in zip(solutions, funds, aggs):
        w, P, E = _prices(u, n, j)
        with np.errstate(all="ignore"):
            cutoff = evaluate(wide, fund, lam, w, P, E).x_adopt[:, heavy]
        out.append(math.log(spec.kappa) - np.log(cutoff))
        lam = agg.adopter_share
    return np.array(out)


def smoothed_regions_with_adoption(gaps: np.ndarray, target: float) -> float:
    """(K7'): the share of region-periods with adoption as the search sees it. With c = the data's count
    round(target·NT) and the gaps sorted g_(1) ≥ … ≥ g_(NT), the c largest should be positive and the rest not;
    a misplaced region-period (one of the c largest with g ≤ 0, or one of the rest with g > 0) counts
    h(g) = (1 + min(|g|/b, 1))/2 instead of 1, b = ``ADOPTION_BAND``: (c + Σ_{i>c, g>0} h − Σ_{i≤c, g≤0} h)/NT.
    It equals the exact share whenever the count is right (so the data's own Θ is still an exact fit) or every
    misplaced gap lies beyond b; within b it moves with the gap (slope 1/2b), and its jump of 1/2 at the cutoff
    keeps the minimum off the wrong side."""
    g = np.sort(gaps.ravel())[::-1]
    c = int(round(target * g.size))
    excess, missing = g[c:][g[c:] > 0], g[:c][g[:c] <= 0]
    h = [(1 + np.minimum(np.abs(x) / ADOPTION_BAND, 1)) / 2 for x in (excess, missing)]
    return float((c + h[0].sum() - h[1].sum()) / g.size)


def _moment_vector(m: dict) -> np.ndarray:
    return np.concatenate([np.asarray(m["adopter_share"], float), [m["exporter_share_light"],
                           m["exporter_share_heavy"], m["regions_with_adoption"], m["tax_rate"]]])


def search_moments(spec: QuantSpec, data: CalibrationData, sols: Sequence, funds: Sequence[Fundamentals],
                   aggs: Sequence[Aggregates]) -> np.ndarray:
    """The moment vector the search fits (K6): (K7) with the share of regions with adoption smoothed (K7')."""
    m = _moment_vector(model_moments(spec, aggs, int(data.light_sector)))
    gaps = adoption_gaps(spec, data, [v for v, _ in sols], funds, aggs)
    m[len(data.years) + 2] = smoothed_regions_with_adoption(gaps, data.regions_with_adoption)
    return m


def data_moments(data: CalibrationData) -> dict:
    return {"adopter_share": np.array(data.adopter_share, float), "exporter_share_light": data.exporter_share_light,
            "exporter_share_heavy": data.exporter_share_heavy, "regions_with_adoption": data.regions_with_adoption,
            "tax_rate": data.tax_rate}


def _moment_rows(model: dict, data: dict, years: tuple) -> tuple:
    rows = [{"moment": "average adopter share, heavy", "parameter": "F^T" if t == 0 else "s̄", "year": years[t],
             "model": float(model["adopter_share"][t]), "data": float(data["adopter_share"][t])}
            for t in range(len(years))]
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else years[0]
    for key, name, par, year in (("exporter_share_light", "exporter share, light", "F^x light", span),
                                 ("exporter_share_heavy", "exporter share, heavy", "F^x heavy", span),
                                 ("regions_with_adoption", "share of regions with adoption", "κ", span),
                                 ("tax_rate", "statutory tax rate (output wedge), heavy", "τ̄ heavy", years[0])):
        rows.append({"moment": name, "parameter": par, "year": year, "model": float(model[key]),
                     "data": float(data[key])})
    return tuple(rows)


def real_gdp(spec: QuantSpec, eqs: Sequence[StaticEquilibrium], weights: Sequence[np.ndarray]) -> np.ndarray:
    """Model real GDP relative to period 1 (K9): Σ VA_t (C1) deflated by the PPI (K4)."""
    level = np.array([value_added(spec, eq).sum() / math.exp(log_ppi(eq.price, w)) for eq, w in zip(eqs, weights)])
    return level / level[0]


def constraint_rows(spec: QuantSpec, eqs: Sequence[StaticEquilibrium], funds: Sequence[Fundamentals],
                    data: CalibrationData) -> tuple:
    """Largest relative error of each imposed condition per year (K1, K2, K4, K9; K10 in period 1), then the
    sector and aggregate import shares (K3, K11), which are not imposed (docs §2: given K1, K2 and balanced
    trade they are implied), with model and data."""
    rows = []
    weights = [np.array(s, float) for s in data.output_share]
    gdp = real_gdp(spec, eqs, weights)
    for t, (eq, fund) in enumerate(zip(eqs, funds)):
        expo, _ = trade_ratios(spec, fund, eq.agg)
        share = eq.agg.sales / eq.agg.sales.sum()
        checks = [("gross output shares (K1)", share, weights[t]),
                  ("export intensities (K2)", expo, np.array(data.export_intensity[t], float)),
                  ("PPI (K4)", math.exp(log_ppi(eq.price, weights[t])), data.ppi[t])]
        if t > 0:
            checks.append(("real GDP relative to period 1 (K9)", gdp[t], data.real_gdp[t]))
        else:
            checks.append(("unit of Home productivity (K10, a normalization)",
                           math.exp(log_level(fund.arrays(spec)["phi_min"], weights[0])), data.productivity_level))
        for name, model, target in checks:
            rows.append({"constraint": name, "year": data.years[t],
                         "max_abs_error": float(np.max(np.abs(np.asarray(model) / np.asarray(target) - 1)))})
    for t, (eq, fund) in enumerate(zip(eqs, funds)):
        _, imp = trade_ratios(spec, fund, eq.agg)
        target = np.array(data.import_share[t], float)
        rows.append({"constraint": "import shares (K3, not imposed)", "year": data.years[t],
                     "max_abs_error": float(np.max(np.abs(imp / target - 1))), "model": tuple(imp.tolist()),
                     "data": tuple(target.tolist())})
        gross = eq.agg.sales.sum(axis=0)
        model = aggregate_import_share(imp, trade_ratios(spec, fund, eq.agg)[0], gross)
        target_agg = aggregate_import_share(target, np.array(data.export_intensity[t], float), weights[t].sum(axis=0))
        rows.append({"constraint": "aggregate import share (K11, not imposed)", "year": data.years[t],
                     "max_abs_error": abs(model / target_agg - 1), "model": model, "data": target_agg})
    return tuple(rows)


def aggregate_import_share(import_share: np.ndarray, export_intensity: np.ndarray, gross: np.ndarray) -> float:
    """Σ_j imports_j / Σ_j absorption_j with imports_j = m_j/(1 − m_j) · GO_j(1 − x_j) and absorption_j =
    GO_j(1 − x_j) + imports_j (K11); with balanced trade (Q27) it equals Σ_j x_j GO_j / Σ_j GO_j."""
    home = gross * (1 - export_intensity)
    imports = import_share / (1 - import_share) * home
    return float(imports.sum() / (home + imports).sum())


# ---------------------------------------------------------------------------------------------------------
# Outer problem


def calibrate(spec: QuantSpec, data: CalibrationData, start: dict | None = None,
              progress: Callable[[float, str], None] | None = None, max_evaluations: int = 200,
              tol: float = 1e-10, fixed: dict | None = None) -> CalibrationResult:
    """Method-of-moments calibration (5.1) of Θ = (F^T, F^x_light, F^x_heavy, κ, τ̄_heavy, s̄) with the
    fundamentals pinned by the imposed conditions (K1, K2, K4, K9, K10) in every evaluation
    (docs/quantitative-calibration.md).

    ``least_squares`` (trust-region reflective) on x (K8) and the relative moment deviations (K6), the share of
    regions with adoption smoothed where it misses (K7'), within x0 ± ``SEARCH_BOX``; ``max_evaluations`` bounds
    its function evaluations (the finite-difference Jacobian's are counted in ``evaluations`` but not in the
    bound); ``tol`` is its xtol, ftol and gtol. ``fixed`` holds some of the six parameters at given values (not
    searched; docs §5). ``converged`` is False (with the reason) when least_squares stops for any other reason,
    ends on the search box, or the result's imposed conditions miss 1e−8; the message also names any direction
    in which the moments do not move (a ridge). SolverError when no fundamentals exist at the starting values."""
    clock = time.perf_counter()
    validate_data(spec, data)
    light = int(data.light_sector)
    fixed = dict(fixed or {})
    values0 = parameters_of(spec, {**(start or {}), **fixed}, data)
    free = [i for i, name in enumerate(PARAMETERS) if name not in fixed]
    if not free:
        raise ModelError("every parameter is fixed: nothing to calibrate")
    target = _moment_vector(data_moments(data))
    state = {"warm": None, "count": 0, "best": math.inf, "failed": 0}
    budget = max_evaluations * (len(free) + 1)
    x_full = to_unconstrained(values0)

    def residual(xf: np.ndarray) -> np.ndarray:
        x = x_full.copy()
        x[free] = xf
        values = from_unconstrained(x)
        cal = calibrated_spec(spec, values, light)
        state["count"] += 1
        log.debug("evaluation %d at %s", state["count"], {k: round(v, 6) for k, v in values.items()})
        try:
            sols, funds, aggs = inner(cal, data, values["subsidy_rate"], state["warm"])
        except SolverError:
            if state["warm"] is None:
                raise
            state["failed"] += 1
            return np.full(target.size, 10.0)      # no fundamentals here: a large deviation steers back
        r = search_moments(cal, data, sols, funds, aggs) / target - 1
        if float(r @ r) <= state["best"]:              # warm starts from the best point so far (the current
            state["warm"], state["best"] = sols, float(r @ r)   # iterate): no drifting along rejected trials
        if progress is not None:
            progress(min(state["count"] / budget, 0.99),   # the bar is the budget used; the search usually stops early
                     f"evaluation {state['count']} of at most {budget}: objective {float(r @ r):.3e}, "
                     f"best so far {state['best']:.3e}")
        return r

    x0 = x_full[free]
    residual(x0)                                   # cold start; raises SolverError if nothing solves
    first = state["warm"]                          # the starting point's solution: a second start for the check
    box = (x0 - SEARCH_BOX, x0 + SEARCH_BOX)
    fit = optimize.least_squares(residual, x0, method="trf", bounds=box, diff_step=DIFF_STEP, xtol=tol, ftol=tol,
                                 gtol=tol, max_nfev=max_evaluations)
    x = x_full.copy()
    x[free] = fit.x
    values = from_unconstrained(x)
    cal = calibrated_spec(spec, values, light)
    sols, funds, aggs = inner(cal, data, values["subsidy_rate"], state["warm"])
    notes = _identification(fit, [PARAMETERS[i] for i in free])
    if state["failed"]:
        notes.append(f"{state['failed']} trial point(s) of the search had no fundamentals meeting the constraints "
                     f"(K5) and counted as bad points (deviations of 10)")
    gap = math.inf
    for label, solve in (("a cold start", lambda: inner(cal, data, values["subsidy_rate"], None)),
                         ("the starting point's solution", lambda: inner(cal, data, values["subsidy_rate"], first)),
                         ("the starting point's solution, continued in Θ",
                          lambda: continue_in_parameters(spec, data, light, x_full, x, first))):
        try:                                        # the same Θ from another start: the same fundamentals?
            _, _, again = solve()
        except SolverError as err:
            notes.append(f"the check from {label} failed at the result ({err})")
            continue
        gap = float(np.max(np.abs(_moment_vector(model_moments(cal, again, light))
                                  / _moment_vector(model_moments(cal, aggs, light)) - 1)))
        break
    if math.isfinite(gap) and gap > 1e-6:
        notes.append(f"the inner problem (K5) has more than one solution at the result: from a cold start the "
                     f"moments differ by up to {gap:.1e} (relative)")
    rho = len(data.years) + 2
    smooth = search_moments(cal, data, sols, funds, aggs)
    exact = _moment_vector(model_moments(cal, aggs, light))
    jac = np.asarray(fit.jac)
    if abs(exact[rho] / target[rho] - 1) > 1e-9 and np.all(jac[rho] == 0) and smooth[rho] == exact[rho]:
        notes.append("the share of regions with adoption misses its target and does not move locally (a step "
                     "moment; every misplaced region-period is beyond the band of K7'): the search cannot reach "
                     "it from here; try other starting values for κ")
    if np.any(fit.active_mask != 0):
        notes.append(f"the search ended on its box (x0 ± {SEARCH_BOX:g} in K8): start closer")
    first_equilibrium = sols[0][0][:spec.n_regions * (1 + 2 * spec.n_sectors)]   # (ln w, ln P, ln E) of period 1
    result = _result(cal, data, values, funds, fit, state["count"], time.perf_counter() - clock, notes,
                     bool(gap <= 1e-6), first_equilibrium)
    if progress is not None:
        progress(1.0, result.message)
    return result


def continue_in_parameters(spec: QuantSpec, data: CalibrationData, light: int, x_from: np.ndarray,
                           x_to: np.ndarray, sols: list, step: float = 0.25, min_step: float = 1 / 256):
    """The inner problem (K5) at x_to, reached from its solution ``sols`` at x_from along the straight line in
    (K8): x_τ = (1 − τ) x_from + τ x_to, τ rising in steps (each warm-started from the last) that halve when a
    step fails (Newton alone: a failed step is cheap) and double after a success, down to ``min_step``, where the
    step is solved with every fallback of :func:`solve_period`. Returns :func:`inner`'s (solutions, fundamentals,
    aggregates) at x_to; SolverError when a step of ``min_step`` fails."""
    tau, largest = 0.0, step
    while tau < 1:
        nxt = min(1.0, tau + step)
        values = from_unconstrained((1 - nxt) * x_from + nxt * x_to)
        cal = calibrated_spec(spec, values, light)
        try:
            solved = inner(cal, data, values["subsidy_rate"], sols, newton_only=True)
        except SolverError:
            if step / 2 >= min_step:
                step /= 2
                continue
            solved = inner(cal, data, values["subsidy_rate"], sols)   # the smallest step: every fallback
        log.debug("continuation in Θ: τ = %.4g solved", nxt)
        sols, tau, step = solved[0], nxt, min(2 * step, largest)
    return solved


def _identification(fit, names: list[str]) -> list[str]:
    """A direction of x in which the moments do not move at the solution (smallest singular value of the
    Jacobian of K6 below 1e−6 of the largest): the parameters with weight in it are not separately identified."""
    _, sv, vt = np.linalg.svd(np.asarray(fit.jac), full_matrices=False)
    if sv[-1] > 1e-6 * sv[0]:
        return []
    weights = ", ".join(f"{names[i]} {vt[-1][i]:+.3f}" for i in np.argsort(-np.abs(vt[-1])) if abs(vt[-1][i]) > 0.05)
    return [f"the moments do not move in the direction ({weights}) of (K8) (singular value {sv[-1] / sv[0]:.1e} of "
            f"the largest): these parameters are not separately identified; hold one with fixed="]


def _result(cal, data, values, funds, fit, count, seconds, notes, unique, guess=None) -> CalibrationResult:
    """Re-solve the baseline path with ``solve_path`` (its own residual check; period 1 warm-started from
    ``guess``, the inner problem's equilibrium) and report the fit from it."""
    frozen = tuple(_frozen(f, cal) for f in funds)
    last = replace(frozen[-1], subsidy=())            # period T held constant without the subsidy
    path = solve_path(cal, list(frozen) + [last], np.array(data.lam0, float), guess=guess)
    eqs = path.equilibria[:len(funds)]
    exact = model_moments(cal, [eq.agg for eq in eqs], int(data.light_sector))
    target = data_moments(data)
    dev = _moment_vector(exact) / _moment_vector(target) - 1
    constraints = constraint_rows(cal, eqs, frozen, data)
    worst = max(r["max_abs_error"] for r in constraints if "model" not in r)
    if worst >= CONSTRAINT_TOL:
        notes = notes + [f"the re-solved path misses the imposed conditions by {worst:.2e} (above {CONSTRAINT_TOL:g})"]
    converged = (bool(fit.status > 0) and worst < CONSTRAINT_TOL and not np.any(fit.active_mask != 0)
                 and unique)
    message = "; ".join([f"least_squares: {fit.message} (status {fit.status}, {fit.nfev} evaluations, {count} with "
                         f"the finite-difference Jacobian); largest error of the imposed conditions {worst:.2e}"]
                        + notes)
    return CalibrationResult(spec=cal, fundamentals=frozen, subsidy_rate=values["subsidy_rate"],
                             subsidized_regions=tuple(int(r) for r in data.subsidized_regions), path=path,
                             moments=_moment_rows(exact, target, tuple(data.years)), constraints=constraints,
                             objective=float(dev @ dev), evaluations=count, seconds=seconds, converged=converged,
                             message=message, parameters=dict(values))


# ---------------------------------------------------------------------------------------------------------
# The model's own data


def simulate_data(spec: QuantSpec, fundamentals: Sequence[Fundamentals], subsidy_rate: float,
                  subsidized_regions: Sequence[int], lam0, years: Sequence, light_sector: int,
                  policy_periods: Sequence[int] = (2, 3)) -> CalibrationData:
    """The model's own CalibrationData at known parameters: solve periods 1..T from λ_0 with these fundamentals
    (subsidies replaced by s̄ in the subsidized regions' heavy sector in the policy periods) and compute every
    field (K1–K4, K7, K9) from the equilibria; the PPI relative to period 1."""
    heavy_sector(spec)                                   # exactly one sector that can adopt
    if len(fundamentals) != len(years):
        raise ModelError(f"{len(fundamentals)} periods of fundamentals for {len(years)} years")
    for fund in fundamentals:
        pf = fund.arrays(spec)["foreign_price"]
        if np.any(pf != pf[0]):
            raise ModelError("the calibration has one Foreign price level per period (docs K3): give every sector "
                             f"the same P^f; got {pf.tolist()}")
    subsidies = subsidy_schedule(spec, subsidy_rate, subsidized_regions, policy_periods, len(years))
    lam = np.array(lam0, float)
    eqs, funds, guess = [], [], None
    for fund, s in zip(fundamentals, subsidies):
        f = replace(fund, subsidy=tuple(map(tuple, s.tolist())))
        eq = solve_static(spec, f, lam, guess=guess)
        eqs.append(eq)
        funds.append(f)
        guess, lam = eq.solution, eq.adopter_share
    shares = [eq.agg.sales / eq.agg.sales.sum() for eq in eqs]
    ratios = [trade_ratios(spec, f, eq.agg) for f, eq in zip(funds, eqs)]
    ppi = np.array([log_ppi(eq.price, w) for eq, w in zip(eqs, shares)])
    m = model_moments(spec, [eq.agg for eq in eqs], light_sector)
    return CalibrationData(years=tuple(years), lam0=tuple(map(tuple, np.array(lam0, float).tolist())),
                           output_share=tuple(tuple(map(tuple, s.tolist())) for s in shares),
                           export_intensity=tuple(tuple(r[0].tolist()) for r in ratios),
                           import_share=tuple(tuple(r[1].tolist()) for r in ratios),
                           ppi=tuple(np.exp(ppi - ppi[0]).tolist()),
                           real_gdp=tuple(real_gdp(spec, eqs, shares).tolist()),
                           tariff=tuple(tuple(f.arrays(spec)["tariff"].tolist()) for f in funds),
                           adopter_share=tuple(m["adopter_share"].tolist()),
                           exporter_share_light=m["exporter_share_light"],
                           exporter_share_heavy=m["exporter_share_heavy"],
                           regions_with_adoption=m["regions_with_adoption"], tax_rate=m["tax_rate"],
                           subsidized_regions=tuple(int(r) for r in subsidized_regions),
                           light_sector=int(light_sector), policy_periods=tuple(int(q) for q in policy_periods),
                           productivity_level=math.exp(log_level(funds[0].arrays(spec)["phi_min"], shares[0])))
