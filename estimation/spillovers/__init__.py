"""Local spillovers and complementarity in adoption (Choi & Shim, Sections 3.2–3.3, Table 1; docs/spillovers.md).

Spec → fit → frozen result: :class:`SpilloversSpec` → :func:`run_spillovers` →
:class:`SpilloversResult`. The pieces are usable one by one: :func:`adopter_share` (eq. 3.2),
:func:`group_instrument` (eq. 3.4, footnote 10), :func:`predicted_group_sales_share`,
:func:`market_access`, :func:`build_samples` (the long differences), :func:`fit_linear` (OLS/2SLS
with fixed effects, two-way clustered SEs, first stage, KP/effective F, Anderson–Rubin set),
:func:`heterogeneity`, :func:`placebo`, :func:`table1`; :func:`estimate_columns` fits a few columns only
(for many draws). Data that cannot support the estimation
raise :class:`EstimationError`.
"""

from ..direct_effects.errors import EstimationError
from ..direct_effects.spec import NotApplicable, TestStatistic
from .iv import ConfidenceSet, LinearFit, confidence_set_from_quadratic, fit_linear
from .pipeline import (ColumnResult, Heterogeneity, Spillover, SpilloversResult, estimate_columns, fit_column,
                       heterogeneity, placebo, prepare_samples, run_spillovers, spillover_from)
from .sample import CLUSTERS, CONTROL_COLUMNS, FIXED_EFFECTS, build_samples, prepare_firm_years
from .shares import (adopter_share, cell_counts, group_instrument, group_sales_share, haversine_km, market_access,
                     predicted_group_sales_share, region_distances)
from .spec import COLUMN_KEYS, COLUMNS, ColumnSpec, SpilloversSpec, column_spec
from .table import table1, table1_text

__all__ = ["CLUSTERS", "COLUMNS", "COLUMN_KEYS", "CONTROL_COLUMNS", "ColumnResult", "ColumnSpec", "ConfidenceSet",
           "EstimationError", "FIXED_EFFECTS", "Heterogeneity", "LinearFit", "NotApplicable", "Spillover",
           "SpilloversResult", "SpilloversSpec", "TestStatistic", "adopter_share", "build_samples", "cell_counts",
           "column_spec", "confidence_set_from_quadratic", "estimate_columns", "fit_column", "fit_linear", "group_instrument",
           "group_sales_share", "haversine_km", "heterogeneity", "market_access", "placebo",
           "predicted_group_sales_share", "prepare_firm_years", "prepare_samples", "region_distances", "run_spillovers",
           "spillover_from", "table1", "table1_text"]
