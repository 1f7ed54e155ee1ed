"""Balance of losers and winners before the event (Choi & Shim, Appendix Tables C.4–C.6).

* :func:`balance_table`: for each matching variable (measured as in matching.py, in the
  year before each firm's event), the means of losers, matched winners and all adopters
  (every winner with the variable, at its own event year − 1), the standardized difference
  (mean_L − mean_W) / √((s²_L + s²_W)/2) and Welch's two-sample t-test p-value (R
  ``t.test``, Stata ``ttest ..., unequal``). Matched winners enter once per match they
  serve (with replacement a winner can count twice).
* :func:`predict_cancellation`: the "power of pre-event observables to predict
  cancellation": a linear probability model of 1[loser] on the matching variables and
  event-year dummies over losers and all adopters, heteroskedasticity-robust (HC1), and the
  joint F-test that every covariate slope is zero (Stata: ``regress loser x* i.event_year,
  vce(robust)`` then ``test x*``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from .spec import NotApplicable, TestStatistic


def _std_diff(a: pd.Series, b: pd.Series) -> float:
    pooled = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    return float((a.mean() - b.mean()) / pooled) if pooled > 0 else np.nan


def _welch_p(a: pd.Series, b: pd.Series) -> float:
    if len(a) < 2 or len(b) < 2:
        return np.nan
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def balance_table(covariates: pd.DataFrame, matches: pd.DataFrame, variables) -> pd.DataFrame:
    """variable, mean_losers, mean_matched_winners, mean_all_adopters, std_diff_matched,
    p_matched, std_diff_all, p_all, n_losers, n_matched_winners, n_all_adopters (matched losers only)."""
    by_firm = covariates.set_index("firm_id")
    losers = by_firm.loc[matches.loc[matches["role"] == "loser", "firm_id"]]
    winners = by_firm.loc[matches.loc[matches["role"] == "winner", "firm_id"]]
    adopters = covariates.loc[covariates["role"] == "winner"]
    rows = []
    for name in variables:
        lo, wi, ad = losers[name].dropna(), winners[name].dropna(), adopters[name].dropna()
        rows.append({"variable": name, "mean_losers": lo.mean(), "mean_matched_winners": wi.mean(),
                     "mean_all_adopters": ad.mean(), "std_diff_matched": _std_diff(lo, wi),
                     "p_matched": _welch_p(lo, wi), "std_diff_all": _std_diff(lo, ad), "p_all": _welch_p(lo, ad),
                     "n_losers": len(lo), "n_matched_winners": len(wi), "n_all_adopters": len(ad)})
    return pd.DataFrame(rows)


def predict_cancellation(covariates: pd.DataFrame, variables) -> TestStatistic | NotApplicable:
    """Joint HC1-robust F-test that the pre-event variables do not predict being a loser."""
    name = "pre-event observables predict cancellation"
    frame = covariates.dropna(subset=list(variables)).copy()
    losers = int((frame["role"] == "loser").sum())
    if losers < 2:
        return NotApplicable(name, f"only {losers} loser(s) with complete pre-event variables")
    years = pd.get_dummies(frame["event_year"].astype(int), prefix="year", drop_first=True, dtype=float)
    x = pd.concat([frame[list(variables)].astype(float), years], axis=1)
    x.insert(0, "const", 1.0)
    if len(frame) <= x.shape[1] + 1 or np.linalg.matrix_rank(x.to_numpy()) < x.shape[1]:
        return NotApplicable(name, "too few firms or collinear variables for the regression")
    fit = sm.OLS((frame["role"] == "loser").astype(float).to_numpy(), x).fit(cov_type="HC1")
    restriction = np.zeros((len(variables), x.shape[1]))
    for i, v in enumerate(variables):
        restriction[i, list(x.columns).index(v)] = 1.0
    test = fit.f_test(restriction)
    return TestStatistic(name=name, null="all slopes on " + ", ".join(variables) + " are 0",
                         stat=float(np.squeeze(test.fvalue)), p_value=float(test.pvalue),
                         df=(float(test.df_num), float(test.df_denom)), distribution="F")
