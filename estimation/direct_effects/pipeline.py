"""The whole winners-vs-losers analysis: events → matching → balance → stacking → eq. (3.1) → η."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .balance import balance_table, predict_cancellation
from .errors import EstimationError
from .event_study import EventStudyFit, fit_event_study, wild_bootstrap
from .events import EventCounts, classify_firms
from .matching import MatchResult, match_losers, pre_event_covariates
from .outcomes import outcome_values
from .spec import DirectEffectsSpec, DirectGain, NotApplicable, TestStatistic, direct_gain
from .stacking import sample_sizes, stack_by_event


@dataclass(frozen=True, eq=False)
class DirectEffectsResult:
    spec: DirectEffectsSpec
    events: pd.DataFrame
    counts: EventCounts
    covariates: pd.DataFrame
    matching: MatchResult
    balance: pd.DataFrame
    cancellation_test: TestStatistic | NotApplicable
    stacked: pd.DataFrame
    sample_sizes: pd.DataFrame
    fit: EventStudyFit
    gain: DirectGain | NotApplicable
    bootstrap: pd.DataFrame | NotApplicable  # for β_{eta_tau}, or the last estimated τ if η is not identified

    def summary(self) -> dict:
        """Plain numbers for a CLI or a log (JSON-ready)."""
        coef = self.fit.coefficients
        return {"outcome": self.spec.outcome, "losers": self.counts.losers, "matches": self.fit.n_matches,
                "firms": self.fit.n_firms, "N": self.fit.nobs, "unmatched": len(self.matching.unmatched),
                "beta": {int(r.event_time): {"estimate": r.estimate, "se": None if np.isnan(r.se) else r.se}
                         for r in coef.itertuples()},
                "pretrend": str(self.fit.pretrend), "sigma": self.spec.sigma,
                "eta": getattr(self.gain, "eta", None), "eta_se": getattr(self.gain, "se", None),
                "eta_note": str(self.gain) if isinstance(self.gain, NotApplicable) else self.gain.source}


def control_values(firm_years: pd.DataFrame, credit: pd.DataFrame | None, trade_fairs: pd.DataFrame | None,
                   controls) -> pd.DataFrame:
    """Adds ``credit`` = log(1 + directed credit amount of the firm-year) and ``trade_fairs`` =
    number of trade-fair participations of the firm-year (0 where the table has no row)."""
    out = firm_years.copy()
    sources = {"credit": (credit, "amount"), "trade_fairs": (trade_fairs, "participations")}
    for name in controls:
        table, column = sources[name]
        if table is None:
            raise EstimationError("bad_setting", f"The control {name} needs the {name} table, which was not given.")
        sums = (table.astype({"firm_id": str}).assign(year=lambda t: pd.to_numeric(t["year"]).astype("int64"))
                .groupby(["firm_id", "year"])[column].sum())
        values = sums.reindex(pd.MultiIndex.from_arrays([out["firm_id"], out["year"]])).fillna(0).to_numpy(float)
        out[name] = np.log1p(values) if name == "credit" else values
    return out


def run_direct_effects(spec: DirectEffectsSpec, balance_sheets: pd.DataFrame, contracts: pd.DataFrame,
                       links: pd.DataFrame, credit: pd.DataFrame | None = None,
                       trade_fairs: pd.DataFrame | None = None) -> DirectEffectsResult:
    """Run Section 3.1 of Choi & Shim end to end. ``links``: contract_id → firm_id (NA = unlinked).
    Raises EstimationError with a plain-language message when the data cannot support it."""
    events, counts = classify_firms(contracts, links, balance_sheets)
    covariates = pre_event_covariates(balance_sheets, events, spec.matching_variables, spec.exact_keys)
    matching = match_losers(covariates, events, spec.k, spec.exact_keys, spec.matching_variables,
                            spec.with_replacement)
    balance = balance_table(covariates, matching.matches, spec.matching_variables)
    cancellation = predict_cancellation(covariates, spec.matching_variables)
    firm_years = balance_sheets[["firm_id", "year"]].astype({"firm_id": str}).copy()
    firm_years["year"] = pd.to_numeric(firm_years["year"]).astype("int64")
    firm_years[spec.outcome] = outcome_values(balance_sheets, spec.outcome, spec.tfpr_user_cost).to_numpy()
    firm_years = control_values(firm_years.drop_duplicates(["firm_id", "year"]), credit, trade_fairs, spec.controls)
    stacked = stack_by_event(matching.matches, firm_years, spec.window)
    fit = fit_event_study(stacked, spec.outcome, spec.window, spec.reference, spec.cluster, spec.controls)
    row = fit.coefficients.loc[fit.coefficients["event_time"] == spec.eta_tau]
    if row.empty or np.isnan(row["se"].iloc[0]):
        gain = NotApplicable("direct gain η", f"β_{spec.eta_tau} is not identified: no match observes a winner "
                                              f"and its loser {spec.eta_tau} years after the event")
    else:
        gain = direct_gain([float(row["estimate"].iloc[0])], [float(row["se"].iloc[0])], spec.sigma,
                           source=f"β_{spec.eta_tau} of {spec.outcome}")
    estimated = fit.coefficients.loc[~fit.coefficients["reference"] & (fit.coefficients["event_time"] >= 0)]
    boot_tau = spec.eta_tau if isinstance(gain, DirectGain) else int(estimated["event_time"].max())
    if spec.bootstrap_reps > 0:
        boot = wild_bootstrap(fit, [boot_tau], spec.bootstrap_reps, spec.seed, spec.bootstrap_cluster)
    else:
        boot = NotApplicable("wild cluster bootstrap", "switched off (bootstrap_reps = 0)")
    return DirectEffectsResult(spec=spec, events=events, counts=counts, covariates=covariates, matching=matching,
                               balance=balance, cancellation_test=cancellation, stacked=stacked,
                               sample_sizes=sample_sizes(fit.sample, spec.window), fit=fit, gain=gain,
                               bootstrap=boot)
