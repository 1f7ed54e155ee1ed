"""Table 3 Panel C: the big push when geography, trade or distortions are different during the policy
(docs/quantitative-model.md §15). Pure: a spec, fundamentals, a subsidy schedule and scenarios in, rows out.

Every scenario is one mechanism: a change to the spec and/or to the fundamentals applied in the policy periods
only (the periods in which the schedule pays the subsidy), to the baseline and the counterfactual alike, with
every other period unchanged; both paths then run through ``counterfactual`` with per-period specs and
fundamentals. The factories below build the paper's six alterations (a)–(f); the caller supplies the
alternative icebergs of "no highway" (recomputed from the road graph by the service; models stay pure).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .counterfactuals import PAPER_DISCOUNT, Counterfactual, SubsidySchedule, counterfactual
from .dynamics import at_period, period_specs
from .examples import _as_field
from .spec import Fundamentals, ModelError, QuantSpec

#: the size of the paper's distortion scenarios (Section 6: "reducing ξ_j by 10% or increasing τ̄_j by 10%")
PAPER_DISTORTION_CHANGE = 0.10

SpecChange = Callable[[QuantSpec], QuantSpec]
FundamentalsChange = Callable[[Fundamentals, Fundamentals], Fundamentals]   # (period t's, period 1's) → new


@dataclass(frozen=True)
class Scenario:
    """A temporary alteration: ``spec`` maps a policy period's spec to the altered one, ``fundamentals`` maps a
    policy period's fundamentals (given the first period's) to the altered ones; None leaves it unchanged.
    ``alters`` says what changes, in words."""

    name: str
    label: str
    alters: str
    spec: SpecChange | None = None
    fundamentals: FundamentalsChange | None = None


def _sectors(values: Sequence[float], sectors: Sequence[int], new: Callable[[float, int], float]) -> tuple:
    out = list(values)
    for k in sectors:
        if not 0 <= k < len(out):
            raise ModelError(f"sector {k} is outside the economy's {len(out)} sectors")
        out[k] = float(new(out[k], k))
    return tuple(out)


def foreign_demand_held(sectors: Sequence[int]) -> Scenario:
    """(a) D^x_jt = D^x_j1 for j in ``sectors`` during the policy (P5)."""
    def change(f: Fundamentals, first: Fundamentals) -> Fundamentals:
        return replace(f, foreign_demand=_sectors(f.foreign_demand, sectors, lambda v, k: first.foreign_demand[k]))
    return Scenario("foreign_demand", "Lower foreign demand (D^x_heavy held at period 1)",
                    f"Foreign demand D^x of sectors {tuple(sectors)} held at its first-period level", fundamentals=change)


def tariffs_held(sectors: Sequence[int]) -> Scenario:
    """(b) t_jt = t_j1 for j in ``sectors`` during the policy (P5)."""
    def change(f: Fundamentals, first: Fundamentals) -> Fundamentals:
        return replace(f, tariff=_sectors(f.tariff, sectors, lambda v, k: first.tariff[k]))
    return Scenario("tariffs", "Higher import tariffs (t_heavy held at period 1)",
                    f"import tariffs t of sectors {tuple(sectors)} held at their first-period level", fundamentals=change)


def no_highway(d, d_port) -> Scenario:
    """(c) the caller's icebergs d_nmj (N, N, J) and d^x_nj (N, J) without the highway's reduction, during the
    policy (P6)."""
    d, d_port = _as_field(np.asarray(d, dtype=float)), _as_field(np.asarray(d_port, dtype=float))

    def change(spec: QuantSpec) -> QuantSpec:
        return replace(spec, d=d, d_port=d_port)
    return Scenario("no_highway", "No highway (icebergs without the highway)",
                    "iceberg costs d and d^x recomputed without the highway's travel-time reduction", spec=change)


def no_internal_trade(sectors: Sequence[int]) -> Scenario:
    """(d) d_nmj = ∞ for n ≠ m and j in ``sectors`` during the policy: no shipments between regions (P7)."""
    def change(spec: QuantSpec) -> QuantSpec:
        d = np.array(spec.d, dtype=float)
        off = ~np.eye(spec.n_regions, dtype=bool)
        for k in sectors:
            if not 0 <= k < spec.n_sectors:
                raise ModelError(f"sector {k} is outside the economy's {spec.n_sectors} sectors")
            d[:, :, k][off] = math.inf
        return replace(spec, d=_as_field(d))
    return Scenario("no_internal_trade", "No internal trade in heavy manufacturing",
                    f"d_nmj = ∞ between different regions in sectors {tuple(sectors)}", spec=change)


def worse_xi(sectors: Sequence[int], by: float = PAPER_DISTORTION_CHANGE) -> Scenario:
    """(e) ξ_j − by·|ξ_j| for j in ``sectors`` during the policy: ξ lower by ``by`` of its size (P8)."""
    def change(spec: QuantSpec) -> QuantSpec:
        return replace(spec, xi=_sectors(spec.xi, sectors, lambda v, k: v - by * abs(v)))
    return Scenario("xi", f"Worsened correlation (ξ_heavy lowered by {100 * by:g} %)",
                    f"ξ of sectors {tuple(sectors)} lowered by {100 * by:g} % of its size", spec=change)


def higher_tau_bar(sectors: Sequence[int], by: float = PAPER_DISTORTION_CHANGE) -> Scenario:
    """(f) τ̄_j (1 + by) for j in ``sectors`` during the policy; ModelError if that reaches 1 (P9)."""
    def raised(v: float, k: int) -> float:
        if v * (1 + by) >= 1:
            raise ModelError(f"τ̄ of sector {k} = {v:g} raised by {100 * by:g} % reaches 1: no revenue would be kept")
        return v * (1 + by)

    def change(spec: QuantSpec) -> QuantSpec:
        return replace(spec, tau_bar=_sectors(spec.tau_bar, sectors, raised))
    return Scenario("tau_bar", f"Higher distortion level (τ̄_heavy raised by {100 * by:g} %)",
                    f"τ̄ of sectors {tuple(sectors)} raised by {100 * by:g} %", spec=change)


def paper_scenarios(heavy: Sequence[int], d_no_highway=None, d_port_no_highway=None) -> list[Scenario]:
    """Panel C's scenarios (a)–(f) for the ``heavy`` sectors, in the paper's column order; (c) only when the
    icebergs without the highway are given (both or neither)."""
    if (d_no_highway is None) != (d_port_no_highway is None):
        raise ModelError("give both d and d^x without the highway, or neither")
    out = [foreign_demand_held(heavy), tariffs_held(heavy)]
    if d_no_highway is not None:
        out.append(no_highway(d_no_highway, d_port_no_highway))
    return out + [no_internal_trade(heavy), worse_xi(heavy), higher_tau_bar(heavy)]


def scenario_inputs(spec: QuantSpec | Sequence[QuantSpec], fundamentals: Fundamentals | Sequence[Fundamentals],
                    schedule: SubsidySchedule, scenario: Scenario) -> tuple[tuple, tuple]:
    """Per-period specs and fundamentals with the scenario's alteration in the schedule's policy periods only
    (every other period as given; the held-constant last period is never a policy period)."""
    specs = period_specs(spec)
    funds = (fundamentals,) if isinstance(fundamentals, Fundamentals) else tuple(fundamentals)
    if not funds:
        raise ModelError("give at least one period of fundamentals")
    length = max(len(specs), len(funds), max(schedule.periods) + 1)
    altered: dict = {}                                  # one altered spec per distinct spec (validated once)
    out_specs, out_funds = [], []
    for t in range(1, length + 1):
        s, f = at_period(specs, t), at_period(funds, t)
        if t in schedule.periods:
            if scenario.spec is not None:
                if s not in altered:
                    altered[s] = scenario.spec(s)
                s = altered[s]
            if scenario.fundamentals is not None:
                f = scenario.fundamentals(f, funds[0])
        out_specs.append(s)
        out_funds.append(f)
    return tuple(out_specs), tuple(out_funds)


def run_scenario(spec, fundamentals, schedule: SubsidySchedule, scenario: Scenario, lam0=None,
                 heavy: Sequence[int] | None = None, discount: float = PAPER_DISCOUNT, **options) -> Counterfactual:
    """The baseline and the counterfactual, both with the scenario's alteration during the policy (P5–P10)."""
    specs, funds = scenario_inputs(spec, fundamentals, schedule, scenario)
    return counterfactual(specs, funds, schedule, lam0=lam0, heavy=heavy, discount=discount, **options)


def gdp_row(name: str, label: str, result: Counterfactual) -> dict:
    """Panel C's row of one counterfactual: steady-state heavy GDP shares and their difference (p.p.)."""
    row = next(r for r in result.steady_state_differences() if r["measure"] == "gdp_share")
    return {"scenario": name, "label": label, "baseline_gdp_share": row["baseline"],
            "counterfactual_gdp_share": row["counterfactual"], "difference_pp": row["difference_pp"]}


def run_scenarios(spec, fundamentals, schedule: SubsidySchedule, scenarios: Sequence[Scenario], lam0=None,
                  heavy: Sequence[int] | None = None, discount: float = PAPER_DISCOUNT, **options) -> list[dict]:
    """Table 3 Panel C: tidy rows {scenario, label, baseline_gdp_share, counterfactual_gdp_share, difference_pp}
    (steady-state heavy GDP shares; difference = baseline − counterfactual in percentage points, P10), the
    unaltered economy first (scenario "base", Panel A's figure), then each scenario in order."""
    base = counterfactual(spec, fundamentals, schedule, lam0=lam0, heavy=heavy, discount=discount, **options)
    rows = [gdp_row("base", "Baseline (no alteration)", base)]
    for sc in scenarios:
        result = run_scenario(spec, fundamentals, schedule, sc, lam0=lam0, heavy=heavy, discount=discount, **options)
        rows.append(gdp_row(sc.name, sc.label, result))
    return rows
