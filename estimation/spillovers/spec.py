"""Settings of the local-spillover and complementarity analysis (Choi & Shim, Sections 3.2–3.3, Table 1).

Spec → fit → frozen result: :class:`SpilloversSpec` says what to estimate,
:func:`estimation.spillovers.pipeline.run_spillovers` fits it, and the frozen result objects of
``pipeline.py`` / ``iv.py`` hold the outcome. Tests that do not apply are
:class:`~estimation.direct_effects.spec.NotApplicable` with the reason, as in the direct-effects
analysis; data that cannot support the analysis raise
:class:`~estimation.direct_effects.errors.EstimationError` (a ``ValueError`` with a ``code``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..direct_effects.errors import EstimationError

PANELS = ("A", "B")
PANEL_A_OUTCOMES = ("log_sales", "tfpr_cost_share", "tfpr_revenue_share")
CONTROL_GROUPS = ("group_share", "market_access", "credit", "complex", "trade")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of Table 1: OLS or 2SLS, and which control groups it adds."""

    key: str
    label: str
    method: str                    # "OLS" or "IV"
    controls: tuple[str, ...]      # among CONTROL_GROUPS


COLUMNS = (
    ColumnSpec("ols", "(1) OLS", "OLS", ()),
    ColumnSpec("iv", "(2) IV", "IV", ()),
    ColumnSpec("iv_group_share", "(3) IV + group sales share", "IV", ("group_share",)),
    ColumnSpec("iv_market_access", "(4) + market access", "IV", ("group_share", "market_access")),
    ColumnSpec("iv_credit", "(5) + credit", "IV", ("group_share", "credit")),
    ColumnSpec("iv_complex", "(6) + industrial complexes", "IV", ("group_share", "complex")),
    ColumnSpec("iv_trade", "(7) + trade", "IV", ("group_share", "trade")),
    ColumnSpec("iv_all", "(8) all controls", "IV", CONTROL_GROUPS),
)
COLUMN_KEYS = tuple(column.key for column in COLUMNS)


def column_spec(key: str) -> ColumnSpec:
    for column in COLUMNS:
        if column.key == key:
            return column
    raise EstimationError("bad_setting", f"Unknown column {key!r}: choose one of {', '.join(COLUMN_KEYS)}.")


@dataclass(frozen=True)
class SpilloversSpec:
    """What to estimate: eq. (3.3) of Choi & Shim in long differences, both panels of Table 1.

    Long differences ``differences`` (start year t0, end year t1), stacked with a dummy (fixed
    effect) for each set. Share_(−i)nj,t−``lag`` is eq. (3.2); the instrument is the change of
    Z (eq. 3.4) with footnote 10's predicted denominator, counting group adopters beyond
    ``radius_km`` of the firm's region (great-circle distance between region centroids).

    Panel A (spillovers): firms with no completed linked contract in any year of the data,
    printed in t0 and t1; outcome ``outcome_a`` (log sales or a TFPR residual with
    ``tfpr_user_cost``). Panel B (complementarity): every firm printed in t0 and t1; outcome the
    change of 1[new contract], a new contract being a linked contract approved that year
    (``new_contract_status``: "any" status or only "completed" ones).

    ``initial_level`` adds ζ y_i,t0. Standard errors: CRV1 two-way by region and business group,
    an unaffiliated firm being its own group cluster; fewer than ``min_clusters`` regions is refused.
    Market access Σ_{m≠n} dist_nm^−θ × size_m with θ = ``ma_theta``; sizes are the regions' total
    balance-sheet sales of the year (``ma_size="sales"``) or a numeric column of the regions table.
    Heterogeneity splits ΔShare at the ``ma_cutoff`` quantile of initial market access across
    regions. The placebo regresses pre-period growth over ``pre_years`` before t0 on ΔZ.
    δ = β / (σ − 1) with σ = ``sigma`` from column ``preferred`` of Panel A.
    """

    differences: tuple[tuple[int, int], ...] = ((1972, 1979), (1973, 1980))
    lag: int = 2
    radius_km: float = 100.0
    outcome_a: str = "log_sales"
    new_contract_status: str = "any"
    initial_level: bool = True
    ma_theta: float = 1.0
    ma_size: str = "sales"
    ma_cutoff: float = 0.8
    pre_years: int = 2
    min_clusters: int = 10
    level: float = 0.95
    sigma: float = 5.0
    preferred: str = "iv_group_share"
    tfpr_user_cost: float = 0.35

    def __post_init__(self):
        problems = []
        if not self.differences:
            problems.append("at least one long difference is needed")
        for pair in self.differences:
            if len(pair) != 2 or not all(isinstance(y, int) for y in pair) or pair[0] >= pair[1]:
                problems.append(f"a long difference is (start, end) years with start < end, not {pair!r}")
        if len(set(self.differences)) != len(self.differences):
            problems.append("the long differences repeat")
        if not (isinstance(self.lag, int) and 0 <= self.lag <= 10):
            problems.append(f"the lag must be an integer from 0 to 10, not {self.lag!r}")
        if not self.radius_km >= 0:
            problems.append(f"the radius must be ≥ 0 km, not {self.radius_km}")
        if self.outcome_a not in PANEL_A_OUTCOMES:
            problems.append(f"the Panel A outcome must be one of {', '.join(PANEL_A_OUTCOMES)}, not {self.outcome_a!r}")
        if self.new_contract_status not in ("any", "completed"):
            problems.append(f"new_contract_status must be 'any' or 'completed', not {self.new_contract_status!r}")
        if not self.ma_theta > 0:
            problems.append(f"the market-access exponent θ must be > 0, not {self.ma_theta}")
        if not 0 < self.ma_cutoff < 1:
            problems.append(f"the market-access cut-off is a quantile strictly between 0 and 1, not {self.ma_cutoff}")
        if not (isinstance(self.pre_years, int) and self.pre_years >= 1):
            problems.append(f"pre_years must be a positive integer, not {self.pre_years!r}")
        if not (isinstance(self.min_clusters, int) and self.min_clusters >= 2):
            problems.append(f"min_clusters must be an integer ≥ 2, not {self.min_clusters!r}")
        if not 0.5 < self.level < 1:
            problems.append(f"the confidence level must lie in (0.5, 1), not {self.level}")
        if not self.sigma > 1:
            problems.append(f"σ must exceed 1, not {self.sigma}")
        if self.preferred not in COLUMN_KEYS or self.preferred == "ols":
            problems.append(f"the preferred column must be an IV column ({', '.join(COLUMN_KEYS[1:])}), "
                            f"not {self.preferred!r}")
        if problems:
            raise EstimationError("bad_setting", "; ".join(problems) + ".")

    @property
    def years_needed(self) -> tuple[int, ...]:
        """Every year whose balance sheets the analysis reads."""
        years = set()
        for t0, t1 in self.differences:
            years |= {t0, t1, t0 - self.lag, t1 - self.lag, t0 - self.pre_years}
        return tuple(sorted(years))
