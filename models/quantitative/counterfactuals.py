"""The big push against "no big push" (Section 6; docs/quantitative-model.md §13): two paths, the Figure 4
series, steady-state differences (Table 3 Panel A's layout) and consumption-equivalent welfare.

Pure: a spec, fundamentals and a subsidy schedule in, numbers out. Every measure is computed from what the
static equilibrium already holds (sales, exports, input and fixed-cost spending, χ, λ, incomes, prices);
nothing here is a number from the paper except the default discount factor, labelled as the paper's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from .aggregates import unit_costs
from .dynamics import Path, at_period, period_specs, solve_path
from .equilibrium import StaticEquilibrium
from .spec import Fundamentals, ModelError, QuantSpec

#: the paper's discount factor for welfare (Section 6: "with a discount factor of 0.85"); a setting, not estimated
PAPER_DISCOUNT = 0.85
MEASURES = ("gdp_share", "export_intensity", "employment_share")
SUBSIDY_KINDS = ("adoption", "general")


@dataclass(frozen=True)
class SubsidySchedule:
    """A temporary subsidy: rate s in the 1-based ``periods``, on ``regions`` × ``sectors`` (None: every region;
    every sector that can adopt), zero in every other period and cell. ``kind="adoption"`` (the paper's big
    push) subsidises adopters' inputs, s_nj; ``kind="general"`` every firm's inputs, adopter or not, s^G_nj
    (docs §14)."""

    rate: float
    periods: tuple = (1, 2)
    regions: tuple | None = None
    sectors: tuple | None = None
    kind: str = "adoption"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate) and 0 <= self.rate < 1):
            raise ModelError(f"subsidy rate {self.rate:g} must be in [0, 1)")
        if self.kind not in SUBSIDY_KINDS:
            raise ModelError(f"subsidy kind {self.kind!r}: one of {', '.join(SUBSIDY_KINDS)}")
        if len(self.periods) == 0 or any(int(p) != p or p < 1 for p in self.periods):
            raise ModelError("policy periods must be a non-empty set of integers ≥ 1 (period 1 is the first solved)")

    def rates(self, spec: QuantSpec) -> np.ndarray:
        """The (N, J) subsidy rates in a policy period."""
        n, j = spec.n_regions, spec.n_sectors
        regions = range(n) if self.regions is None else self.regions
        sectors = [k for k in range(j) if spec.adopting[k]] if self.sectors is None else self.sectors
        bad = [r for r in regions if not 0 <= r < n] + [k for k in sectors if not 0 <= k < j]
        if bad:
            raise ModelError(f"region/sector indices {bad} are outside the economy's {n} regions × {j} sectors")
        out = np.zeros((n, j))
        out[np.ix_(list(regions), list(sectors))] = self.rate
        return out


@dataclass(frozen=True)
class Measures:
    """One period's measures (docs §13). Aggregates are floats; ``region_*`` are (N,) over regions."""

    gdp_share: float                  # heavy value added / total value added
    export_intensity: float           # heavy exports / heavy sales
    employment_share: float           # heavy employment / total labour
    region_gdp_share: np.ndarray
    region_export_intensity: np.ndarray
    region_employment_share: np.ndarray
    sector_employment_share: np.ndarray   # (J,) national employment shares, sum to 1
    employment: np.ndarray            # (N, J) workers by region-sector; rows sum to L_n
    value_added: np.ndarray           # (N, J)
    real_income: np.ndarray           # (N,) I_n / (P^C_n L_n)
    sector_sales: np.ndarray          # (J,) gross output Σ_n R_nj at mill prices (P1)
    sector_output: np.ndarray         # (J,) real gross output Σ_n R_nj / P^H_j (P2–P3)


def value_added(spec: QuantSpec, eq: StaticEquilibrium) -> np.ndarray:
    """VA_nj = R_nj − intermediate purchases at market prices (docs §13, eq. C1)."""
    a, g = spec.arrays(), eq.agg
    b = 1.0 if spec.adoption_bundle == "production" else 0.0
    bundle = g.inputs + b * g.adoption_spend
    return g.sales - (1 - a["gamma_labour"])[None, :] * bundle - (1 - b) * g.adoption_spend


def employment(spec: QuantSpec, eq: StaticEquilibrium) -> np.ndarray:
    """ℓ_nj = γ^L_j (V_nj + b C^T M λ)/w_n + F^x_j M χ: the terms of (Q24), so Σ_j ℓ_nj = L_n (C2)."""
    a, g = spec.arrays(), eq.agg
    b = 1.0 if spec.adoption_bundle == "production" else 0.0
    return (a["gamma_labour"][None, :] * (g.inputs + b * g.adoption_spend) / eq.wage[:, None]
            + a["fixed_export"][None, :] * a["mass"] * g.exporter_share)


def real_output(spec: QuantSpec, eq: StaticEquilibrium) -> tuple[np.ndarray, np.ndarray]:
    """(Σ_n R_nj, Σ_n R_nj / P^H_j) by sector, P^H_j = (Σ_n A_nj)^{1/(1−σ)}: Home's CES price index of its own
    sector-j varieties at mill prices (Q13), the deflator of docs §15 (P1–P3)."""
    sales = eq.agg.sales.sum(axis=0)
    price = eq.agg.A.sum(axis=0) ** (1 / (1 - spec.sigma))
    return sales, sales / price


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def measures(spec: QuantSpec, eq: StaticEquilibrium, heavy: Sequence[int]) -> Measures:
    """The Figure 4 series and real income per capita of one period's equilibrium (docs §13)."""
    h = list(heavy)
    va, ell = value_added(spec, eq), employment(spec, eq)
    sales, exports = eq.agg.sales, eq.agg.exports
    _, pc = unit_costs(spec, eq.wage, eq.price)
    labour = spec.arrays()["labour"]
    gross, real = real_output(spec, eq)
    return Measures(
        gdp_share=float(va[:, h].sum() / va.sum()),
        export_intensity=float(exports[:, h].sum() / sales[:, h].sum()),
        employment_share=float(ell[:, h].sum() / ell.sum()),
        region_gdp_share=_ratio(va[:, h].sum(axis=1), va.sum(axis=1)),
        region_export_intensity=_ratio(exports[:, h].sum(axis=1), sales[:, h].sum(axis=1)),
        region_employment_share=ell[:, h].sum(axis=1) / ell.sum(axis=1),
        sector_employment_share=ell.sum(axis=0) / ell.sum(), employment=ell, value_added=va,
        real_income=eq.agg.income / (pc * labour), sector_sales=gross, sector_output=real)


@dataclass(frozen=True)
class Welfare:
    """Consumption-equivalent welfare gain of the baseline over the counterfactual (docs §13, C5–C6)."""

    by_region: np.ndarray     # ζ_n (0.1 = 10 %)
    aggregate: float          # Σ L_n ζ_n / Σ L_n
    discount: float
    discount_is_papers: bool


def welfare(real_income_base: np.ndarray, real_income_cf: np.ndarray, labour, discount: float) -> Welfare:
    """ζ_n = exp((1 − β)(U_n^base − U_n^cf)) − 1 with U_n = Σ_{t=1}^T β^{t−1} ln c_nt + β^T/(1 − β) ln c_nT:
    log utility of real income per capita, the last period (the steady state) held forever (C4–C6).
    Inputs are (T, N) arrays on a common horizon."""
    if not 0 < discount < 1:
        raise ModelError(f"discount factor {discount:g} must be in (0, 1)")
    base, cf = np.log(np.asarray(real_income_base)), np.log(np.asarray(real_income_cf))
    t = base.shape[0]
    weights = discount ** np.arange(t)
    weights[-1] = discount ** (t - 1) / (1 - discount)       # period T and every period after it
    gap = weights @ (base - cf)
    zeta = np.expm1((1 - discount) * gap)
    labour = np.asarray(labour, dtype=float)
    return Welfare(by_region=zeta, aggregate=float(labour @ zeta / labour.sum()), discount=discount,
                   discount_is_papers=discount == PAPER_DISCOUNT)


@dataclass(frozen=True)
class Counterfactual:
    """The baseline (with the schedule's subsidies) and the counterfactual (s = 0) from the same λ_0.

    ``baseline_measures`` and ``counterfactual_measures`` cover periods 1..``horizon``; a path that settled
    earlier is extended with its steady state (the fundamentals are constant and λ has stopped moving)."""

    schedule: SubsidySchedule
    heavy: tuple
    baseline: Path
    counterfactual: Path
    baseline_measures: tuple
    counterfactual_measures: tuple
    welfare: Welfare
    labour: np.ndarray

    @property
    def horizon(self) -> int:
        return len(self.baseline_measures)

    def time_paths(self, regional: bool = False) -> list[dict]:
        """Tidy rows {scenario, period, region, measure, value}; region None is the national figure."""
        rows = []
        for scenario, series in (("baseline", self.baseline_measures), ("counterfactual", self.counterfactual_measures)):
            for period, m in enumerate(series, start=1):
                for name in MEASURES:
                    rows.append({"scenario": scenario, "period": period, "region": None, "measure": name,
                                 "value": getattr(m, name)})
                    if regional:
                        rows.extend({"scenario": scenario, "period": period, "region": r, "measure": name,
                                     "value": float(v)} for r, v in enumerate(getattr(m, f"region_{name}")))
        return rows

    def sector_output_changes(self) -> list[dict]:
        """Table 3 Panel B: per sector the steady-state real gross output (P2) of the baseline and the
        counterfactual, the change (%), and the weight — the sector's share of the counterfactual's gross
        output at mill prices (P1); then the total, Σ_j weight_j × change_j (P4; docs §15)."""
        b, c = self.baseline_measures[-1], self.counterfactual_measures[-1]
        weights = c.sector_sales / c.sector_sales.sum()
        change = 100 * (b.sector_output / c.sector_output - 1)
        rows = [{"sector": k, "baseline": float(b.sector_output[k]), "counterfactual": float(c.sector_output[k]),
                 "change_pct": float(change[k]), "weight": float(weights[k])} for k in range(len(weights))]
        rows.append({"sector": "total", "baseline": None, "counterfactual": None,
                     "change_pct": float(weights @ change), "weight": float(weights.sum())})
        return rows

    def steady_state_differences(self) -> list[dict]:
        """Table 3 Panel A's layout: per measure the national steady states, their difference (baseline −
        counterfactual, percentage points), the relative change (%), and the range of regional differences
        (percentage points); then welfare (%), national and its regional range."""
        b, c = self.baseline_measures[-1], self.counterfactual_measures[-1]
        rows = []
        for name in MEASURES:
            base, cf = getattr(b, name), getattr(c, name)
            local = 100 * (getattr(b, f"region_{name}") - getattr(c, f"region_{name}"))
            finite = local[np.isfinite(local)]
            rows.append({"measure": name, "baseline": base, "counterfactual": cf, "difference_pp": 100 * (base - cf),
                         "relative_pct": 100 * (base / cf - 1) if cf > 0 else math.nan,
                         "region_min_pp": float(finite.min()) if finite.size else math.nan,
                         "region_max_pp": float(finite.max()) if finite.size else math.nan})
        w = self.welfare
        rows.append({"measure": "welfare", "baseline": None, "counterfactual": None, "difference_pp": None,
                     "relative_pct": 100 * w.aggregate, "region_min_pp": None, "region_max_pp": None,
                     "region_min_pct": 100 * float(w.by_region.min()), "region_max_pct": 100 * float(w.by_region.max())})
        return rows


def policy_fundamentals(spec: QuantSpec, fundamentals, schedule: SubsidySchedule) -> tuple[list, list]:
    """Per-period fundamentals of the baseline (the schedule's rates in its policy periods, zero otherwise) and
    of the counterfactual (no subsidy). Both subsidy fields are replaced: the schedule's kind gets its rates,
    the other kind zero."""
    funds = [fundamentals] if isinstance(fundamentals, Fundamentals) else list(fundamentals)
    if not funds:
        raise ModelError("give at least one period of fundamentals")
    length = max(len(funds), max(schedule.periods) + 1)       # the held-constant last period has no subsidy
    rates = schedule.rates(spec)
    zero = tuple(tuple(0.0 for _ in range(spec.n_sectors)) for _ in range(spec.n_regions))
    policy = tuple(tuple(float(x) for x in row) for row in rates)
    field = "subsidy" if schedule.kind == "adoption" else "general_subsidy"
    none = {"subsidy": zero, "general_subsidy": zero}
    base, cf = [], []
    for t in range(1, length + 1):
        f = at_period(funds, t)
        subsidies = none | {field: policy} if t in schedule.periods else none
        base.append(replace(f, **subsidies))
        cf.append(replace(f, **none))
    return base, cf


def _extend(items: list, horizon: int) -> tuple:
    return tuple(items + [items[-1]] * (horizon - len(items)))


def counterfactual(spec: QuantSpec | Sequence[QuantSpec], fundamentals: Fundamentals | Sequence[Fundamentals],
                   schedule: SubsidySchedule, lam0=None, heavy: Sequence[int] | None = None,
                   discount: float = PAPER_DISCOUNT, max_periods: int = 200, tol: float = 1e-10,
                   method: str = "auto", guess=None) -> Counterfactual:
    """Solve the baseline (the schedule's subsidies) and the counterfactual (s = 0) from λ_0 (default 0).

    ``spec`` and ``fundamentals``: one (held constant) or one per period (the last held constant; both paths
    get the same ones); the fundamentals' own subsidies (adoption and general) are replaced by the schedule's
    (baseline) and by zero (counterfactual). The schedule's cells are those of the first period's spec;
    welfare weights are the last period's labour. ``heavy``: the sectors whose shares are measured (default:
    the sectors that can adopt in the first period's spec). ``guess``: period 1's warm start for both paths (a
    ``StaticEquilibrium.solution``, e.g. a calibration's), else the solver's own starting point."""
    if not 0 < discount < 1:
        raise ModelError(f"discount factor {discount:g} must be in (0, 1)")
    specs = period_specs(spec)
    spec = specs[0]
    n, j = spec.n_regions, spec.n_sectors
    heavy = tuple(k for k in range(j) if spec.adopting[k]) if heavy is None else tuple(heavy)
    if not heavy or any(not 0 <= k < j for k in heavy):
        raise ModelError(f"heavy sectors {heavy} must be a non-empty set of indices below {j}")
    lam0 = np.zeros((n, j)) if lam0 is None else np.asarray(lam0, dtype=float)
    base_funds, cf_funds = policy_fundamentals(spec, fundamentals, schedule)
    base = solve_path(specs, base_funds, lam0, max_periods=max_periods, tol=tol, method=method, guess=guess)
    cf = solve_path(specs, cf_funds, lam0, max_periods=max_periods, tol=tol, method=method, guess=guess)
    horizon = max(base.periods, cf.periods)
    mb = _extend([measures(at_period(specs, t), eq, heavy) for t, eq in enumerate(base.equilibria, 1)], horizon)
    mc = _extend([measures(at_period(specs, t), eq, heavy) for t, eq in enumerate(cf.equilibria, 1)], horizon)
    labour = specs[-1].arrays()["labour"]
    w = welfare(np.array([m.real_income for m in mb]), np.array([m.real_income for m in mc]), labour, discount)
    return Counterfactual(schedule=schedule, heavy=heavy, baseline=base, counterfactual=cf, baseline_measures=mb,
                          counterfactual_measures=mc, welfare=w, labour=np.array(labour))
