"""Robustness panel of the winners-vs-losers analysis (Choi & Shim, Appendix C.6.1).

The base specification re-estimated with one thing changed at a time: the number of winners
per loser (k = 1 … 5), the matching variables (levels only, growth only, levels and growth plus
pre-event log sales) and controls for directed credit and trade-fair participation (Appendix
Table C.10). Each row reports β at the η horizon (``spec.eta_tau``) with its two-way clustered
SE, the pre-trend test and η; a variant the data cannot support keeps its row with the reason.
:func:`pooled_gain` averages β over the rows a researcher picks — the paper's η uses "the
average coefficient 7 years after adoption across specifications".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd

from .errors import EstimationError
from .pipeline import run_direct_effects
from .spec import DirectEffectsSpec, DirectGain, NotApplicable, direct_gain

ROBUSTNESS_COLUMNS = ("group", "variant", "base", "matches", "firms", "N", "tau", "beta", "se", "p_value",
                      "pretrend_p", "eta", "eta_se", "note")
ALTERNATIVE_MATCHING = {
    "levels only (log assets, log fixed assets)": ("log_assets", "log_fixed_assets"),
    "growth only (one-year growth of both)": ("growth_log_assets", "growth_log_fixed_assets"),
    "levels, growth and log sales": ("log_assets", "log_fixed_assets", "growth_log_assets",
                                     "growth_log_fixed_assets", "log_sales"),
}
CONTROL_SETS = {"credit": ("credit",), "trade fairs": ("trade_fairs",), "credit and trade fairs": ("credit", "trade_fairs")}


def robustness_variants(spec: DirectEffectsSpec) -> list[tuple[str, str, DirectEffectsSpec]]:
    """(group, label, spec) for every variant; the base spec's own row comes first. The bootstrap
    is off in every variant (analytic two-way clustered SEs; bootstrap the chosen one on its own)."""
    base = dataclasses.replace(spec, bootstrap_reps=0)
    variants = [("base", _describe(spec), base)]
    variants += [("winners per loser", f"k = {k}", dataclasses.replace(base, k=k))
                 for k in range(1, 6) if k != spec.k]
    variants += [("matching variables", label, dataclasses.replace(base, matching_variables=names))
                 for label, names in ALTERNATIVE_MATCHING.items() if tuple(names) != tuple(spec.matching_variables)]
    variants += [("controls", f"+ {label}", dataclasses.replace(base, controls=names))
                 for label, names in CONTROL_SETS.items() if tuple(names) != tuple(spec.controls)]
    return variants


def _describe(spec: DirectEffectsSpec) -> str:
    controls = f", controls: {', '.join(spec.controls)}" if spec.controls else ""
    return f"k = {spec.k}, matched on {', '.join(spec.matching_variables)}{controls}"


def run_robustness(spec: DirectEffectsSpec, balance_sheets: pd.DataFrame, contracts: pd.DataFrame,
                   links: pd.DataFrame, credit: pd.DataFrame | None = None, trade_fairs: pd.DataFrame | None = None,
                   progress: Callable[[int, int, str], None] | None = None) -> pd.DataFrame:
    """One row per variant of :func:`robustness_variants` (columns ``ROBUSTNESS_COLUMNS``).

    ``progress(done, total, label)`` is called before each variant. A variant that raises
    EstimationError, or whose β at ``spec.eta_tau`` is not identified, keeps its row with NaN
    numbers and the reason in ``note``."""
    variants = robustness_variants(spec)
    rows = []
    for done, (group, label, variant) in enumerate(variants):
        if progress is not None:
            progress(done, len(variants), label)
        row = {"group": group, "variant": label, "base": group == "base", "tau": spec.eta_tau, "note": ""}
        try:
            result = run_direct_effects(variant, balance_sheets, contracts, links, credit, trade_fairs)
        except EstimationError as err:
            rows.append(row | {"note": str(err)})
            continue
        fit = result.fit
        coef = fit.coefficient(spec.eta_tau) if spec.eta_tau in set(fit.coefficients["event_time"]) else None
        row |= {"matches": fit.n_matches, "firms": fit.n_firms, "N": fit.nobs,
                "pretrend_p": getattr(fit.pretrend, "p_value", np.nan)}
        if coef is not None and np.isfinite(coef["se"]):
            row |= {"beta": coef["estimate"], "se": coef["se"], "p_value": coef["p"]}
        if isinstance(result.gain, NotApplicable):
            row["note"] = result.gain.reason
        else:
            row |= {"eta": result.gain.eta, "eta_se": result.gain.se}
        rows.append(row)
    frame = pd.DataFrame(rows).reindex(columns=list(ROBUSTNESS_COLUMNS))
    for column in ("matches", "firms", "N"):
        frame[column] = frame[column].astype("Int64")
    return frame


def pooled_gain(table: pd.DataFrame, chosen: list[str], sigma: float) -> DirectGain:
    """η from the average β across the chosen variants (rows of :func:`run_robustness` by ``variant``),
    η = exp(β̄ / (σ − 1)); the SE of β̄ is the mean of the SEs (the specifications share the data,
    so their estimates are treated as perfectly correlated — the conservative bound)."""
    rows = table.set_index("variant").reindex(chosen)
    unknown = [name for name, beta in zip(chosen, rows["beta"]) if pd.isna(beta)]
    if not chosen or unknown:
        raise EstimationError("bad_setting", "Pick at least one specification with an identified coefficient"
                                             + (f"; not usable: {', '.join(unknown)}" if unknown else "") + ".")
    tau = int(rows["tau"].iloc[0])
    return direct_gain(rows["beta"].astype(float), rows["se"].astype(float), sigma,
                       source=f"average of β_{tau} across {len(chosen)} specification(s): {'; '.join(chosen)}")
