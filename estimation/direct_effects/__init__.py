"""Direct effects of adoption: winners vs losers (Choi & Shim, Section 3.1; docs/direct-effects.md).

Spec → fit → frozen result: :class:`DirectEffectsSpec` → :func:`run_direct_effects` →
:class:`DirectEffectsResult`. The steps are usable one by one: :func:`classify_firms`
(losers, winners, event years), :func:`pre_event_covariates` and :func:`match_losers`,
:func:`balance_table` and :func:`predict_cancellation`, :func:`stack_by_event` and
:func:`sample_sizes`, :func:`fit_event_study` and :func:`wild_bootstrap`, :func:`direct_gain`; :func:`run_robustness` and :func:`pooled_gain` (the robustness panel).
Data that cannot support the estimation raise :class:`EstimationError`.
"""

from .balance import balance_table, predict_cancellation
from .errors import EstimationError
from .event_study import EventStudyFit, event_term, feols_twoway, fit_event_study, wild_bootstrap
from .events import EventCounts, classify_firms
from .matching import MatchResult, match_losers, pre_event_covariates
from .outcomes import outcome_values, sector_input_shares
from .pipeline import DirectEffectsResult, run_direct_effects
from .robustness import ROBUSTNESS_COLUMNS, pooled_gain, robustness_variants, run_robustness
from .spec import (DirectEffectsSpec, DirectGain, MATCHING_VARIABLES, NotApplicable, TestStatistic,
                   direct_gain)
from .stacking import sample_sizes, stack_by_event

__all__ = ["DirectEffectsResult", "DirectEffectsSpec", "DirectGain", "EstimationError", "EventCounts",
           "EventStudyFit", "MATCHING_VARIABLES", "MatchResult", "NotApplicable", "ROBUSTNESS_COLUMNS", "TestStatistic",
           "balance_table", "classify_firms", "direct_gain", "event_term", "feols_twoway", "fit_event_study",
           "match_losers", "outcome_values", "pooled_gain", "pre_event_covariates", "predict_cancellation",
           "robustness_variants", "run_direct_effects", "run_robustness",
           "sample_sizes", "sector_input_shares", "stack_by_event", "wild_bootstrap"]
