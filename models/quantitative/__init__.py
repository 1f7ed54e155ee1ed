"""The quantitative big-push model of Choi & Shim, Sections 5–6 (our derivation: docs/quantitative-model.md).

N regions × J sectors, a small open economy with Foreign; CES over Home and Foreign varieties, iceberg
costs and tariffs; a fixed mass of firms per region-sector with bounded-Pareto productivity, output
distortions, joint adoption and export decisions at fixed costs; input subsidies financed by a labour
tax; immobile households. Region-sector aggregates are closed forms (eqs. Q12–Q19); the static
equilibrium solves N + 2NJ log conditions in (ln w, ln P, ln E) with scipy; adopter shares λ_nj evolve
period by period (Q28). Pure numpy/scipy: no streamlit, no storage.

Modules: ``spec`` (parameters, fundamentals, errors), ``pareto`` (bounded-Pareto moments, Q2),
``aggregates`` (the static map, Q3–Q25), ``equilibrium`` (the solve and its residuals), ``dynamics``
(paths and steady states), ``examples`` (the nesting economy, random test economies), ``routes`` (iceberg
costs from road routes, §11), ``counterfactuals`` (the big push against none: Figure 4, Table 3 Panels A–B,
welfare; adoption or general subsidies, §§13–15), ``scenarios`` (Table 3 Panel C: temporary alterations during
the policy, §15), ``policy`` (uniform optimal and randomized subsidy allocations: docs/quantitative-policy.md),
``calibration`` (the method of moments, Table 2: docs/quantitative-calibration.md), ``serialize`` (specs and fundamentals to JSON and back, exactly).
"""

from __future__ import annotations

from .aggregates import Aggregates, cutoffs_v, evaluate, unit_costs
from .calibration import (
           PARAMETERS,
           CalibrationData,
           CalibrationResult,
           calibrate,
           heavy_sector,
           simulate_data,
           validate_data,
)
from .counterfactuals import (
           MEASURES,
           PAPER_DISCOUNT,
           Counterfactual,
           SubsidySchedule,
           counterfactual,
           policy_fundamentals,
)
from .dynamics import Path, at_period, law_of_motion, period_specs, solve_path
from .equilibrium import (
           METHODS,
           Residuals,
           StaticEquilibrium,
           initial_guess,
           residuals,
           solve_static,
)
from .examples import (
           closed_fundamentals,
           nested_simple_spec,
           random_fundamentals,
           random_spec,
)
from .pareto import clip_cutoff, tail_moment, tail_share
from .policy import (
           RandomizedAllocations,
           UniformOptimum,
           ols_hc1_table,
           prepare,
           randomized_allocations,
           uniform_optimum,
)
from .routes import (
           PAPER_HIGHWAY_REDUCTION,
           effective_distances,
           iceberg_costs,
           port_distances,
)
from .scenarios import (
           Scenario,
           foreign_demand_held,
           higher_tau_bar,
           no_highway,
           no_internal_trade,
           paper_scenarios,
           run_scenario,
           run_scenarios,
           scenario_inputs,
           tariffs_held,
           worse_xi,
)
from .spec import (
           Fundamentals,
           ModelError,
           QuantSpec,
           SolverError,
           validate_fundamentals,
           validate_spec,
)

__all__ = ["PARAMETERS", "CalibrationData", "CalibrationResult", "calibrate", "heavy_sector", "simulate_data",
           "validate_data", "MEASURES", "METHODS", "PAPER_DISCOUNT", "PAPER_HIGHWAY_REDUCTION", "Aggregates", "Counterfactual",
           "RandomizedAllocations", "SubsidySchedule", "UniformOptimum", "counterfactual", "ols_hc1_table",
           "policy_fundamentals", "prepare", "randomized_allocations", "uniform_optimum", "Fundamentals", "ModelError", "Path", "QuantSpec",
           "Residuals", "Scenario", "SolverError", "StaticEquilibrium", "at_period", "clip_cutoff",
           "closed_fundamentals", "cutoffs_v", "effective_distances", "evaluate", "foreign_demand_held",
           "higher_tau_bar", "iceberg_costs", "initial_guess", "law_of_motion", "nested_simple_spec", "no_highway",
           "no_internal_trade", "paper_scenarios", "period_specs", "port_distances", "random_fundamentals",
           "random_spec", "residuals", "run_scenario", "run_scenarios", "scenario_inputs", "solve_path",
           "solve_static", "tail_moment", "tail_share", "tariffs_held", "unit_costs", "validate_fundamentals",
           "validate_spec", "worse_xi"]
