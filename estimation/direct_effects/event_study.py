"""The stacked event study, eq. (3.1) of Choi & Shim:

    y_imt = Σ_{τ ≠ −1} β_τ (D^τ_mt × Winner_i) + δ_im + δ_mt + ε_imt,    D^τ_mt = 1[t − t(m) = τ],

with match-firm (δ_im) and match-year (δ_mt) fixed effects and β_{−1} = 0, estimated by
pyfixest ``feols`` (the fixest/reghdfe routine; R: ``feols(y ~ tau_m5 + … | mf + my,
cluster = ~match + firm)``; Stata: ``reghdfe y tau_*, absorb(match#firm match#year)
vce(cluster match firm)``). Standard errors are two-way clustered by match and firm, CRV1
à la Cameron, Gelbach & Miller (2011): V = c (V_match + V_firm − V_match∩firm) with
fixest's default small-sample factor c = (N − 1)/(N − K) · G/(G − 1), G = min(G_match,
G_firm), K = number of slopes + 1 (fixest's ``fixef.K = "nested"``: the levels of a fixed
effect nested in a cluster variable are not counted; both fixed effects here are nested in
the match clusters; pyfixest then counts K = slopes + (levels − 1) − levels + 2).
Inference uses t(G − 1).

Singleton fixed-effect groups (a match-firm or match-year seen once) carry no information
and are dropped iteratively before estimation, as reghdfe does by default; how many is
reported.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyfixest as pf
from scipy import stats

from .errors import EstimationError
from .spec import NotApplicable, TestStatistic

COEF_COLUMNS = ["term", "event_time", "estimate", "se", "t", "p", "ci_low", "ci_high", "reference"]


def event_term(tau: int) -> str:
    """Column name of D^τ × Winner: tau_m5, …, tau_0, tau_p1, …"""
    return f"tau_m{-tau}" if tau < 0 else (f"tau_p{tau}" if tau > 0 else "tau_0")


@dataclass(frozen=True, eq=False)
class EventStudyFit:
    """Result of :func:`fit_event_study`. ``coefficients`` has COEF_COLUMNS (the reference
    period is a row with estimate 0 and NaN se); ``clusters`` maps cluster name → count."""

    outcome: str
    coefficients: pd.DataFrame
    vcov: pd.DataFrame
    nobs: int
    n_matches: int
    n_firms: int
    clusters: dict
    df_t: int
    singletons_dropped: int
    missing_outcome_dropped: int
    not_identified: tuple
    pretrend: TestStatistic | NotApplicable
    raw_means: pd.DataFrame
    sample: pd.DataFrame
    model: object

    def coefficient(self, tau: int) -> pd.Series:
        return self.coefficients.set_index("event_time").loc[tau]


def drop_singletons(frame: pd.DataFrame, columns) -> tuple[pd.DataFrame, int]:
    """Drop rows whose group in any of ``columns`` has a single row, until none is left."""
    start = len(frame)
    while True:
        keep = np.ones(len(frame), dtype=bool)
        for column in columns:
            keep &= frame.groupby(column, sort=False)[column].transform("size").to_numpy() > 1
        if keep.all():
            return frame, start - len(frame)
        frame = frame.loc[keep]


# pyfixest's default demeaning tolerance (1e-6) leaves SEs reproducible only to ~1e-6 between runs, and
# the alternating projections' result depends on row order; 1e-10 makes reruns agree to ~1e-10.
FIXEF_TOL = 1e-10


def feols_twoway(data: pd.DataFrame, y: str, xs, fixed_effects=("mf", "my"), cluster=("match", "firm")):
    """pyfixest feols of y on xs absorbing the fixed effects, CRV1 clustered by ``cluster``
    (one- or two-way), fixest's default small-sample correction; no singleton removal here."""
    formula = f"{y} ~ {' + '.join(xs)} | {' + '.join(fixed_effects)}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.feols(formula, data=data, vcov={"CRV1": "+".join(cluster)}, fixef_rm="none",
                        copy_data=False, store_data=True, lean=False, fixef_tol=FIXEF_TOL)


def wald_test(estimates: np.ndarray, vcov: np.ndarray, df_denominator: int, name: str, null: str):
    """F = b' V⁻¹ b / q ~ F(q, G − 1) (Stata's ``test`` after a clustered regression)."""
    q = len(estimates)
    if q == 0:
        return NotApplicable(name, "no pre-event coefficient is identified in this sample")
    if np.linalg.matrix_rank(vcov) < q:
        return NotApplicable(name, f"the clustered covariance of the {q} coefficients is singular "
                                   f"(too few clusters: {df_denominator + 1})")
    if df_denominator < 1:
        return NotApplicable(name, "fewer than two clusters")
    f = float(estimates @ np.linalg.solve(vcov, estimates)) / q
    return TestStatistic(name=name, null=null, stat=f, p_value=float(stats.f.sf(f, q, df_denominator)),
                         df=(q, df_denominator), distribution="F")


def raw_means(sample: pd.DataFrame, y: str) -> pd.DataFrame:
    """Mean outcome of winners and losers by event time (the paper's Appendix Figure C.1)."""
    grouped = sample.groupby(["event_time", "winner"])[y].agg(["mean", "size"]).unstack("winner")
    out = pd.DataFrame({"mean_winners": grouped[("mean", 1)] if ("mean", 1) in grouped else np.nan,
                        "mean_losers": grouped[("mean", 0)] if ("mean", 0) in grouped else np.nan,
                        "n_winners": grouped[("size", 1)] if ("size", 1) in grouped else 0,
                        "n_losers": grouped[("size", 0)] if ("size", 0) in grouped else 0})
    out[["n_winners", "n_losers"]] = out[["n_winners", "n_losers"]].fillna(0).astype("int64")
    return out.reset_index()


def fit_event_study(stacked: pd.DataFrame, outcome: str, window=(-5, 7), reference: int = -1,
                    cluster=("match", "firm"), controls=()) -> EventStudyFit:
    """Estimate eq. (3.1) on a stacked sample (columns of stacking.STACK_COLUMNS, ``outcome``
    and any ``controls``). Raises EstimationError for samples that cannot support it."""
    if outcome not in stacked or stacked[outcome].notna().sum() == 0:
        raise EstimationError("missing_outcome", f"The outcome {outcome} is missing for every firm-year of the matched sample.")
    lo, hi = window
    taus = [tau for tau in range(lo, hi + 1) if tau != reference]
    data = stacked.loc[stacked["event_time"].between(lo, hi), ["match_id", "firm_id", "year", "event_time", "winner",
                                                              outcome, *controls]]
    complete = data[[outcome, *controls]].notna().all(axis=1)
    missing = int((~complete).sum())
    data = data.loc[complete].copy()
    data["match"] = pd.factorize(data["match_id"])[0]
    data["firm"] = pd.factorize(data["firm_id"])[0]
    data["mf"] = pd.factorize(pd.MultiIndex.from_arrays([data["match"], data["firm"]]))[0]
    data["my"] = pd.factorize(pd.MultiIndex.from_arrays([data["match"], data["year"]]))[0]
    data, singletons = drop_singletons(data, ["mf", "my"])
    if data.empty:
        raise EstimationError("singleton_fe", (
            "Every match-firm or match-year group has a single observation, so the fixed effects absorb all "
            "variation: no firm is seen in two years of a match, or no year has both a winner and the loser."))
    n_matches = data["match_id"].nunique()
    if n_matches < 2:
        raise EstimationError("single_match", (
            f"Only {n_matches} match has usable observations; the event study and its clustered standard "
            "errors need at least two matches."))
    y = "_y"
    data[y] = data[outcome].astype("float64")
    identified, not_identified = [], []
    for tau in taus:
        column = event_term(tau)
        data[column] = ((data["event_time"] == tau) & (data["winner"] == 1)).astype("float64")
        (identified if data[column].any() and (data["event_time"] == tau).sum() > data[column].sum()
         else not_identified).append(tau)
    xs = [event_term(tau) for tau in identified] + list(controls)
    if not [tau for tau in identified if tau >= 0]:
        raise EstimationError("singular_design", "No post-event period has both winners and losers observed; "
                                                 "nothing can be estimated.")
    model = feols_twoway(data, y, xs, cluster=cluster)
    names = list(model._coefnames)
    dropped = [tau for tau in identified if event_term(tau) not in names]
    not_identified += dropped
    estimates, ses, pvalues = model.coef(), model.se(), model.pvalue()
    confint = model.confint()
    vcov = pd.DataFrame(model._vcov, index=names, columns=names)
    if not np.isfinite(vcov.to_numpy()).all() or (np.diag(vcov.to_numpy()) < 0).any():
        raise EstimationError("singular_design", "The clustered covariance matrix is not finite; the design is singular.")
    rows = []
    for tau in range(lo, hi + 1):
        term = event_term(tau)
        if tau == reference:
            rows.append((term, tau, 0.0, np.nan, np.nan, np.nan, np.nan, np.nan, True))
        elif term in names:
            est, se = float(estimates[term]), float(ses[term])
            rows.append((term, tau, est, se, est / se if se > 0 else np.nan, float(pvalues[term]),
                         float(confint.loc[term].iloc[0]), float(confint.loc[term].iloc[1]), False))
    coefficients = pd.DataFrame(rows, columns=COEF_COLUMNS)
    pre = [event_term(tau) for tau in range(lo, 0) if tau != reference and event_term(tau) in names]
    df_t = int(model._df_t)
    pretrend = wald_test(estimates[pre].to_numpy(), vcov.loc[pre, pre].to_numpy(), df_t,
                         "joint test of the pre-event coefficients", "β_τ = 0 for all τ < 0")
    clusters = {name: int(data[name].nunique()) for name in cluster}
    return EventStudyFit(outcome=outcome, coefficients=coefficients, vcov=vcov, nobs=int(model._N),
                         n_matches=int(n_matches), n_firms=int(data["firm_id"].nunique()), clusters=clusters,
                         df_t=df_t, singletons_dropped=int(singletons), missing_outcome_dropped=missing,
                         not_identified=tuple(sorted(not_identified)), pretrend=pretrend,
                         raw_means=raw_means(data, y).rename(columns=lambda c: c), sample=data, model=model)


def two_tailed_p(t: float, t_boot: np.ndarray, rtol: float = 1e-9) -> float:
    """Symmetric bootstrap p-value P(|t*| ≥ |t|), as Stata's ``boottest`` defines it.

    Ties count as at least as extreme, with a relative tolerance: with few clusters every sign
    vector is enumerated and some bootstrap statistics equal |t| up to rounding (the all-ones
    vector, for one), so a strict comparison (``wildboottest.get_pvalue``) would let floating-point
    noise decide the p-value from one process to the next.
    """
    return float(np.mean(np.abs(t_boot) >= abs(t) * (1 - rtol)))


def wild_bootstrap(fit: EventStudyFit, taus=None, reps: int = 999, seed: int = 20260101,
                   cluster: str = "match") -> pd.DataFrame:
    """Wild cluster bootstrap-t p-values for chosen β_τ (WCR11: restricted residuals, null β_τ = 0
    imposed, Rademacher weights; Roodman, MacKinnon, Nielsen & Webb 2019, Stata ``boottest``),
    with the maintained ``wildboottest`` package, one-way clustered by ``cluster`` (it does not do
    multiway). The fixed effects are partialled out first (Frisch–Waugh–Lovell on pyfixest's
    demeaned y and X): both are nested in the match clusters, where projecting them out leaves
    the restricted wild bootstrap unchanged (MacKinnon, Nielsen & Webb 2023). pyfixest's own
    ``Feols.wildboottest`` is not used because it re-adds the fixed effects as dummies, and
    match-firm and match-year dummies are collinear (the design matrix is singular). With G
    clusters and 2^G < reps all 2^G sign vectors are enumerated. The t statistic differs from
    the analytic one only by the (N−1)/(N−K) factor, to which the p-value is invariant.
    Returns event_time, term, t, p_bootstrap, reps, cluster."""
    from wildboottest.wildboottest import WildboottestCL

    names = list(fit.model._coefnames)
    chosen = taus if taus is not None else fit.coefficients.loc[~fit.coefficients["reference"], "event_time"]
    y = np.asarray(fit.model._Y, dtype=float).ravel()
    x = np.asarray(fit.model._X, dtype=float)
    clusters = fit.sample[cluster].to_numpy()
    rows = []
    for tau in chosen:
        term = event_term(int(tau))
        if term not in names:
            continue
        restriction = np.zeros(x.shape[1])
        restriction[names.index(term)] = 1.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            boot = WildboottestCL(X=x, Y=y, cluster=clusters, R=restriction, B=reps, seed=seed)
            boot.get_scores(bootstrap_type="11", impose_null=True, adj=True, cluster_adj=True)
            boot.get_weights(weights_type="rademacher")
            boot.get_numer()
            boot.get_denom()
            boot.get_tboot()
            boot.get_vcov()
            boot.get_tstat()
        t = float(np.squeeze(boot.t_stat))
        rows.append({"event_time": int(tau), "term": term, "t": t,
                     "p_bootstrap": two_tailed_p(t, np.ravel(boot.t_boot)), "reps": reps, "cluster": cluster})
    return pd.DataFrame(rows, columns=["event_time", "term", "t", "p_bootstrap", "reps", "cluster"])
