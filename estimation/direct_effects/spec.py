"""Settings and result contracts of the winners-vs-losers analysis (Choi & Shim, Section 3.1).

Spec → fit → frozen result: :class:`DirectEffectsSpec` describes what to estimate,
:func:`estimation.direct_effects.pipeline.run_direct_effects` fits it, and the frozen
result objects below hold the outcome. A test statistic is a :class:`TestStatistic`; a
test that does not apply is a :class:`NotApplicable` carrying the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import EstimationError

MATCHING_VARIABLES = ("log_assets", "log_fixed_assets", "growth_log_assets", "growth_log_fixed_assets")
CONTROLS = ("credit", "trade_fairs")


@dataclass(frozen=True)
class DirectEffectsSpec:
    """What to estimate: eq. (3.1) of Choi & Shim on a matched, stacked sample.

    Matching (``matching.py``): each loser is matched with up to ``k`` winners whose first
    completed contract was approved in the loser's event year, exactly on ``exact_keys``,
    nearest by Mahalanobis distance on ``matching_variables``. The matching variables are
    measured in the **year before the event year**, t(m) − 1: ``log_assets`` = log assets in
    t(m)−1, ``log_fixed_assets`` likewise, and ``growth_log_assets`` = log assets(t(m)−1) −
    log assets(t(m)−2) (the one-year growth ending in t(m)−1), ``growth_log_fixed_assets``
    likewise. Any numeric balance-sheet column ``c`` can be used as ``log_c`` / ``growth_log_c``
    / ``c`` (level in t(m)−1).

    Stacking (``stacking.py``): event time τ = t − t(m) in ``window`` (inclusive);
    ``reference`` is the omitted period (β_ref = 0).

    Regression (``event_study.py``): ``outcome`` (see ``outcomes.py``), match-firm and
    match-year fixed effects, CRV1 clustered by ``cluster`` (two-way by default), optional
    ``controls`` from ``CONTROLS``; wild cluster bootstrap with ``bootstrap_reps`` draws
    (0 = off), seeded by ``seed``, clustered by ``bootstrap_cluster``. The direct gain is
    η = exp(β_{eta_tau} / (σ − 1)) with σ = ``sigma``.
    """

    k: int = 3
    exact_keys: tuple[str, ...] = ("region", "sector")
    matching_variables: tuple[str, ...] = MATCHING_VARIABLES
    with_replacement: bool = True
    window: tuple[int, int] = (-5, 7)
    reference: int = -1
    outcome: str = "log_sales"
    cluster: tuple[str, ...] = ("match", "firm")
    controls: tuple[str, ...] = ()
    bootstrap_reps: int = 999
    bootstrap_cluster: str = "match"
    seed: int = 20260101
    sigma: float = 5.0
    eta_tau: int = 7
    tfpr_user_cost: float = 0.35

    def __post_init__(self):
        problems = []
        if not (isinstance(self.k, int) and 1 <= self.k <= 20):
            problems.append(f"k must be an integer from 1 to 20, not {self.k!r}")
        lo, hi = self.window
        if not lo <= self.reference <= hi:
            problems.append(f"the reference period {self.reference} is outside the window {self.window}")
        if lo > hi or lo >= 0 or hi < 0:
            problems.append(f"the window {self.window} must run from a negative to a non-negative event time")
        if not set(self.cluster) <= {"match", "firm"} or not self.cluster:
            problems.append(f"cluster must be 'match', 'firm' or both, not {self.cluster!r}")
        if not set(self.controls) <= set(CONTROLS):
            problems.append(f"controls must be among {CONTROLS}, not {self.controls!r}")
        if not self.matching_variables:
            problems.append("at least one matching variable is needed")
        if not (self.sigma > 1):
            problems.append(f"σ must exceed 1, not {self.sigma}")
        if not lo <= self.eta_tau <= hi or self.eta_tau == self.reference:
            problems.append(f"the event time for η ({self.eta_tau}) must be an estimated period of the window")
        if self.bootstrap_reps < 0 or self.bootstrap_cluster not in ("match", "firm"):
            problems.append("bootstrap_reps must be ≥ 0 and bootstrap_cluster 'match' or 'firm'")
        if problems:
            raise EstimationError("bad_setting", "; ".join(problems) + ".")


@dataclass(frozen=True)
class TestStatistic:
    """A test: ``stat`` with ``p_value`` under ``distribution`` with ``df`` (e.g. (q, G−1) for F)."""

    name: str
    null: str
    stat: float
    p_value: float
    df: tuple[float, ...]
    distribution: str  # "F", "chi2", "t", "bootstrap-t"

    applies = True
    __test__ = False  # not a pytest test class

    def __str__(self) -> str:
        df = ", ".join(f"{d:g}" for d in self.df)
        return f"{self.name}: {self.distribution}({df}) = {self.stat:.3f}, p = {self.p_value:.3f} (H0: {self.null})"


@dataclass(frozen=True)
class NotApplicable:
    """A test that cannot be run on this sample, with the reason."""

    name: str
    reason: str

    applies = False

    def __str__(self) -> str:
        return f"{self.name}: not applicable ({self.reason})"


@dataclass(frozen=True)
class DirectGain:
    """η = exp(β̄ / (σ − 1)) (Choi & Shim, Section 4) with a delta-method standard error
    se(η) = η · se(β̄) / (σ − 1); ``source`` says which coefficients make β̄."""

    eta: float
    se: float
    beta_bar: float
    beta_se: float
    sigma: float
    source: str


def direct_gain(betas, ses, sigma: float = 5.0, source: str = "") -> DirectGain:
    """η from one or several β's (average across chosen specifications). The SE of the average
    treats the specifications' estimates as perfectly correlated (the conservative bound, mean of SEs),
    since they come from the same data."""
    betas, ses = list(betas), list(ses)
    if not betas or any(not math.isfinite(b) for b in betas):
        raise EstimationError("bad_setting", "η needs at least one finite coefficient.")
    if not sigma > 1:
        raise EstimationError("bad_setting", f"σ must exceed 1, not {sigma}.")
    beta = sum(betas) / len(betas)
    beta_se = sum(ses) / len(ses)
    eta = math.exp(beta / (sigma - 1))
    return DirectGain(eta=eta, se=eta * beta_se / (sigma - 1), beta_bar=beta, beta_se=beta_se,
                      sigma=sigma, source=source)
