"""Table 1 of Choi & Shim end to end: samples → eq. (3.3) by column → heterogeneity → placebo → δ.

    Δy_i = β ΔShare_(−i)nj,t−2 + ζ y_i,t0 + X'γ + δ_n + δ_j + Σ_g D_g δ_jg + δ_set + Δε_i      (3.3)

by OLS (column 1) or 2SLS with ΔZ (eq. 3.4) as the instrument (columns 2–8), CRV1 two-way by
region and business group (an unaffiliated firm is its own group cluster). See ``sample.py`` for
the variables and ``iv.py`` for the estimator and the weak-IV diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..direct_effects.errors import EstimationError
from ..direct_effects.event_study import wald_test
from ..direct_effects.spec import NotApplicable, TestStatistic
from .iv import LinearFit, fit_linear
from .sample import CLUSTERS, CONTROL_COLUMNS, FIXED_EFFECTS, build_samples, prepare_firm_years
from .shares import region_distances
from .spec import COLUMNS, ColumnSpec, SpilloversSpec, column_spec

OUTCOME_LABELS = {"log_sales": "Δ log sales", "tfpr_cost_share": "Δ log TFPR (cost shares)",
                  "tfpr_revenue_share": "Δ log TFPR (revenue shares)"}


@dataclass(frozen=True, eq=False)
class ColumnResult:
    """One column of one panel: the fit, or why the column cannot be estimated (``unavailable``)."""

    panel: str
    column: ColumnSpec
    controls: tuple
    fit: LinearFit | None
    unavailable: str = ""

    @property
    def beta(self) -> float:
        return float(self.fit.coefficient("dshare")["estimate"]) if self.fit is not None else np.nan

    @property
    def se(self) -> float:
        return float(self.fit.coefficient("dshare")["se"]) if self.fit is not None else np.nan


@dataclass(frozen=True)
class Spillover:
    """δ = β / (σ − 1) (Choi & Shim, Section 4: the spillover semi-elasticity of the model),
    se(δ) = se(β) / (σ − 1); ``source`` names the panel and column of β."""

    delta: float
    se: float
    beta: float
    beta_se: float
    sigma: float
    source: str


@dataclass(frozen=True, eq=False)
class Heterogeneity:
    """ΔShare × 1[MA_n,t0 ≥ q] and × 1[MA_n,t0 < q], instrumented by ΔZ × the same indicators."""

    cutoff_quantile: float
    fit: LinearFit
    equality: TestStatistic | NotApplicable
    high_regions: tuple


@dataclass(frozen=True, eq=False)
class SpilloversResult:
    spec: SpilloversSpec
    samples: dict                 # panel → the full long-difference sample (before complete cases)
    columns: dict                 # panel → {column key → ColumnResult}
    heterogeneity: dict           # panel → Heterogeneity | NotApplicable
    placebo: dict                 # panel → DataFrame (outcome, estimate, se, p, N, note)
    spillover: Spillover | NotApplicable
    counts: dict                  # panel → {obs, share_undefined, instrument_undefined, outcome_missing}
    available_controls: dict      # control group → "" or the reason it is unavailable

    def column(self, panel: str, key: str) -> ColumnResult:
        return self.columns[panel][key]

    def summary(self) -> dict:
        """Every column's β, SE, KP-F, effective F, AR set, N and clusters, and δ (JSON-ready)."""
        panels = {}
        for panel, columns in self.columns.items():
            rows = {}
            for key, result in columns.items():
                fit = result.fit
                rows[key] = {"label": result.column.label, "method": result.column.method,
                             "available": fit is not None, "note": result.unavailable,
                             "beta": result.beta if fit else None, "se": result.se if fit else None,
                             "p": float(fit.coefficient("dshare")["p"]) if fit else None,
                             "kp_f": getattr(fit.kp_f, "stat", None) if fit else None,
                             "effective_f": getattr(fit.effective_f, "stat", None) if fit else None,
                             "anderson_rubin": str(fit.anderson_rubin) if fit and fit.method == "2SLS" else None,
                             "N": fit.nobs if fit else None, "clusters": fit.clusters if fit else None,
                             "controls": list(result.controls)}
            panels[panel] = rows
        spill = self.spillover
        return {"panels": panels, "sigma": self.spec.sigma, "preferred": self.spec.preferred,
                "delta": getattr(spill, "delta", None), "delta_se": getattr(spill, "se", None),
                "delta_beta": getattr(spill, "beta", None), "delta_beta_se": getattr(spill, "beta_se", None),
                "delta_note": spill.source if isinstance(spill, Spillover) else spill.reason,
                "outcome_a": self.spec.outcome_a, "counts": self.counts,
                "available_controls": self.available_controls}


def _check_inputs(firm_years: pd.DataFrame, spec: SpilloversSpec) -> None:
    years = set(firm_years["year"])
    for t0, t1 in spec.differences:
        lacking = sorted({t0, t1, t0 - spec.lag, t1 - spec.lag} - years)
        if lacking:
            raise EstimationError("missing_years", (
                f"The long difference {t0}–{t1} with a {spec.lag}-year lag needs balance sheets for "
                f"{', '.join(map(str, lacking))}, which have none. Change the difference years or the lag."))
    base = firm_years.loc[firm_years["year"].isin([t0 for t0, _ in spec.differences])]
    if base["business_group"].notna().sum() == 0:
        raise EstimationError("no_business_groups", (
            "The business-group instrument (eq. 3.4) needs firms affiliated with business groups in the base "
            "year(s) of the differences, and the balance sheets have none (business_group is empty). Only OLS "
            "could be run, and it is not causal; fill in business_group."))


def control_availability(samples: dict, credit, trade_fairs, complexes, regions) -> dict:
    """"" for each usable control group, else the reason it is unavailable (never faked)."""
    reasons = {"group_share": "", "market_access": "", "credit": "", "complex": "", "trade": ""}
    if credit is None:
        reasons["credit"] = "no credit table is loaded"
    if trade_fairs is None:
        reasons["trade"] = "no trade_fairs table is loaded"
    if complexes is None:
        reasons["complex"] = "no region-level industrial-complex table was given (upload one to run this column)"
    if "port_distance_km" not in regions or pd.to_numeric(regions["port_distance_km"], errors="coerce").isna().all():
        reasons["market_access"] = "the regions table has no port distances"
    return reasons


def _controls(spec: SpilloversSpec, column: ColumnSpec) -> tuple:
    base = ("y0",) if spec.initial_level else ()
    return base + tuple(name for group in column.controls for name in CONTROL_COLUMNS[group])


def fit_column(sample: pd.DataFrame, spec: SpilloversSpec, column: ColumnSpec) -> LinearFit:
    """Eq. (3.3) for one column of Table 1 on one panel's sample (controls without variation,
    e.g. credit when nobody received any, are left out)."""
    usable = [c for c in _controls(spec, column) if sample[c].nunique(dropna=True) > 1]
    if column.method == "OLS":
        fit = fit_linear(sample, "dy", ("dshare", *usable), (), (), FIXED_EFFECTS, "CRV1", CLUSTERS, spec.level)
        if "dshare" not in set(fit.coefficients["term"]):
            raise EstimationError("singular_design", "ΔShare is collinear with the fixed effects.")
    else:
        fit = fit_linear(sample, "dy", usable, ("dshare",), ("dz",), FIXED_EFFECTS, "CRV1", CLUSTERS, spec.level)
    _check_clusters(fit, spec)
    se = float(fit.coefficient("dshare")["se"])
    if not (np.isfinite(se) and se > 0):
        raise EstimationError("singular_design", "The two-way clustered variance of ΔShare is not positive in this "
                                                 "sample (too few clusters carry its variation); no defensible SE.")
    return fit


def _run_column(sample: pd.DataFrame, spec: SpilloversSpec, panel: str, column: ColumnSpec, reasons: dict) -> ColumnResult:
    missing = [reasons[g] for g in column.controls if reasons.get(g)]
    controls = _controls(spec, column)
    if missing:
        return ColumnResult(panel, column, controls, None, "unavailable: " + "; ".join(missing))
    try:
        fit = fit_column(sample, spec, column)
    except EstimationError as err:
        return ColumnResult(panel, column, controls, None, str(err))
    return ColumnResult(panel, column, controls, fit)


def _check_clusters(fit: LinearFit, spec: SpilloversSpec) -> None:
    regions = fit.clusters.get("cl_region", 0)
    if regions < spec.min_clusters:
        raise EstimationError("too_few_clusters", (
            f"Only {regions} regions remain in the estimation sample; standard errors clustered by region need "
            f"at least {spec.min_clusters} (setting min_clusters) to be defensible."))


def _check_sample_regions(sample: pd.DataFrame, spec: SpilloversSpec, panel: str) -> None:
    regions = sample.loc[sample["dshare"].notna() & sample["dy"].notna(), "region"].nunique()
    if 0 < regions < spec.min_clusters:
        raise EstimationError("too_few_clusters", (
            f"Panel {panel}: the sample spans only {regions} regions; standard errors clustered by region need "
            f"at least {spec.min_clusters} (setting min_clusters) to be defensible."))


def heterogeneity(sample: pd.DataFrame, spec: SpilloversSpec, column: ColumnSpec) -> Heterogeneity:
    """ΔShare split at the ``spec.ma_cutoff`` quantile of initial market access across the sample's
    regions (per difference set), instrumented by ΔZ split the same way; Wald test β_high = β_low."""
    data = sample.copy()
    cut = data.groupby("diff_set")["ma0"].transform(
        lambda values: values.groupby(data.loc[values.index, "region"]).first().quantile(spec.ma_cutoff))
    high = (data["ma0"] >= cut).astype(float)
    data["dshare_high"], data["dshare_low"] = data["dshare"] * high, data["dshare"] * (1 - high)
    data["dz_high"], data["dz_low"] = data["dz"] * high, data["dz"] * (1 - high)
    controls = [c for c in _controls(spec, column) if data[c].nunique() > 1]
    fit = fit_linear(data, "dy", controls, ("dshare_high", "dshare_low"), ("dz_high", "dz_low"), FIXED_EFFECTS,
                     "CRV1", CLUSTERS, spec.level)
    names = list(fit.vcov.index)
    if {"dshare_high", "dshare_low"} <= set(names):
        r = np.array([1.0 if n == "dshare_high" else -1.0 if n == "dshare_low" else 0.0 for n in names])
        b = fit.coefficients.set_index("term").loc[names, "estimate"].to_numpy()
        difference = np.array([r @ b])
        variance = np.array([[r @ fit.vcov.to_numpy() @ r]])
        equality = wald_test(difference, variance, fit.df_t, "equality of the high and low market-access coefficients",
                             "β_high = β_low")
    else:
        equality = NotApplicable("equality test", "one of the two interactions is collinear with the fixed effects")
    regions = tuple(sorted(data.loc[high == 1, "region"].unique()))
    return Heterogeneity(cutoff_quantile=spec.ma_cutoff, fit=fit, equality=equality, high_regions=regions)


PLACEBO_OUTCOMES = {"pre_growth": "pre-period growth of the outcome (t0 − pre_years → t0)",
                    "credit_asinh": "asinh cumulative credit over the difference",
                    "fair_revenue_asinh": "asinh trade-fair revenue over the difference",
                    "fair_participations": "trade-fair participations over the difference"}


def placebo(sample: pd.DataFrame, spec: SpilloversSpec) -> pd.DataFrame:
    """The paper's validity checks (Appendix Tables C.19–C.20): each placebo outcome regressed on ΔZ
    with the fixed effects, the predicted group sales share and the two-way clustered SEs."""
    rows = []
    for outcome, label in PLACEBO_OUTCOMES.items():
        row = {"outcome": outcome, "description": label}
        if sample[outcome].notna().sum() == 0 or sample[outcome].nunique() < 2:
            rows.append(row | {"note": "no variation in this sample (table not loaded, or all zero)"})
            continue
        try:
            fit = fit_linear(sample, outcome, ["dz", *[c for c in ("dpgs",) if sample[c].nunique() > 1]], (), (),
                             FIXED_EFFECTS, "CRV1", CLUSTERS, spec.level)
            coef = fit.coefficient("dz") if "dz" in set(fit.coefficients["term"]) else None
        except EstimationError as err:
            rows.append(row | {"note": str(err)})
            continue
        rows.append(row | {"estimate": coef["estimate"], "se": coef["se"], "p": coef["p"], "N": fit.nobs,
                           "note": ""})
    return pd.DataFrame(rows, columns=["outcome", "description", "estimate", "se", "p", "N", "note"])


def spillover_from(result: ColumnResult, sigma: float) -> Spillover | NotApplicable:
    """δ = β / (σ − 1) from one column (Section 4: (σ − 1)δ is the log-sales spillover)."""
    if result.fit is None:
        return NotApplicable("spillover δ", f"column {result.column.label} of Panel {result.panel} is not "
                                            f"available: {result.unavailable}")
    return Spillover(delta=result.beta / (sigma - 1), se=result.se / (sigma - 1), beta=result.beta,
                     beta_se=result.se, sigma=sigma,
                     source=f"β of column {result.column.label}, Panel {result.panel}")


def prepare_samples(spec: SpilloversSpec, balance_sheets: pd.DataFrame, contracts: pd.DataFrame, links: pd.DataFrame,
                    regions: pd.DataFrame, credit: pd.DataFrame | None = None, trade_fairs: pd.DataFrame | None = None,
                    complexes: pd.DataFrame | None = None) -> tuple[dict, dict]:
    """(samples, reasons): both panels' long-difference samples (``sample.build_samples``) and, per control
    group, "" or why it is unavailable. Raises EstimationError as :func:`run_spillovers` does."""
    firm_years = prepare_firm_years(spec, balance_sheets, contracts, links)
    _check_inputs(firm_years, spec)
    distances = region_distances(regions, needed=firm_years["region"].unique())
    samples = build_samples(spec, firm_years, regions, distances, credit, trade_fairs, complexes)
    return samples, control_availability(samples, credit, trade_fairs, complexes, regions)


def estimate_columns(spec: SpilloversSpec, balance_sheets: pd.DataFrame, contracts: pd.DataFrame, links: pd.DataFrame,
                     regions: pd.DataFrame, credit: pd.DataFrame | None = None,
                     trade_fairs: pd.DataFrame | None = None, complexes: pd.DataFrame | None = None,
                     panels=("A",), keys=("ols", "iv", "iv_group_share")) -> dict:
    """{panel: {column key: ColumnResult}} for only these columns (no heterogeneity, placebo or δ): the
    cheap path for many draws, e.g. the demo economy over seeds (tests, ``benchmarks.spillovers --seeds``)."""
    samples, reasons = prepare_samples(spec, balance_sheets, contracts, links, regions, credit, trade_fairs, complexes)
    return {panel: {key: _run_column(samples[panel], spec, panel, column_spec(key), reasons) for key in keys}
            for panel in panels}


def run_spillovers(spec: SpilloversSpec, balance_sheets: pd.DataFrame, contracts: pd.DataFrame, links: pd.DataFrame,
                   regions: pd.DataFrame, credit: pd.DataFrame | None = None, trade_fairs: pd.DataFrame | None = None,
                   complexes: pd.DataFrame | None = None, panels=("A", "B")) -> SpilloversResult:
    """Table 1 of Choi & Shim on these tables. ``links``: contract_id → firm_id (NA = unlinked);
    ``complexes``: optional region-level industrial-complex table (region, year designated,
    optional sector and tax_favor). Raises EstimationError with a plain message when the data
    cannot support the analysis; a column that cannot be estimated keeps its reason."""
    samples, reasons = prepare_samples(spec, balance_sheets, contracts, links, regions, credit, trade_fairs, complexes)
    columns, hetero, placebos, counts = {}, {}, {}, {}
    for panel in panels:
        sample = samples[panel]
        counts[panel] = {"observations": int(len(sample)), "firms": int(sample["firm_id"].nunique()),
                         "share_undefined": int(sample["dshare"].isna().sum()),
                         "instrument_undefined": int(sample["dz"].isna().sum()),
                         "outcome_missing": int(sample["dy"].isna().sum())}
        _check_sample_regions(sample, spec, panel)
        if sample["dshare"].notna().sum() == 0:
            raise EstimationError("no_share", (
                f"Panel {panel}: no firm has another firm in its region-sector in both {spec.lag}-year-lagged years, "
                "so the leave-one-out adopter share (eq. 3.2) is undefined everywhere."))
        columns[panel] = {column.key: _run_column(sample, spec, panel, column, reasons) for column in COLUMNS}
        preferred = column_spec(spec.preferred)
        try:
            hetero[panel] = heterogeneity(sample, spec, preferred)
        except EstimationError as err:
            hetero[panel] = NotApplicable("market-access heterogeneity", str(err))
        placebos[panel] = placebo(sample, spec)
    spill = (spillover_from(columns["A"][spec.preferred], spec.sigma) if "A" in columns
             else NotApplicable("spillover δ", "Panel A was not estimated"))
    return SpilloversResult(spec=spec, samples=samples, columns=columns, heterogeneity=hetero, placebo=placebos,
                            spillover=spill, counts=counts, available_controls=reasons)
