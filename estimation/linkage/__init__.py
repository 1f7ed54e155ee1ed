"""Record linkage of contracts to balance-sheet firms (docs/linkage.md).

Spec → fit → frozen result: :class:`LinkageSettings` → :func:`link_contracts` →
:class:`LinkageResult`; then :func:`classify` into auto / review / none,
:func:`threshold_effect` for how outcomes move with the thresholds, and, where true
links are known, :func:`simulate_perfect_review` and :func:`linkage_quality`.
"""

from .outcomes import (OUTCOMES, LinkageQuality, classify, linkage_quality, simulate_perfect_review,
                       threshold_effect)
from .pipeline import link_contracts
from .records import firm_profiles
from .settings import LinkageResult, LinkageSettings

__all__ = ["OUTCOMES", "LinkageQuality", "LinkageResult", "LinkageSettings", "classify", "firm_profiles",
           "link_contracts", "linkage_quality", "simulate_perfect_review", "threshold_effect"]
