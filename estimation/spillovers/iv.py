"""OLS and 2SLS with absorbed fixed effects, clustered inference and weak-IV diagnostics.

:func:`fit_linear` estimates y = Xβ + Wγ + FE + ε by OLS, or by 2SLS with X instrumented by Z,
through pyfixest ``feols`` (R: ``fixest::feols(y ~ w | fe | x ~ z, cluster = ~a + b)``; Stata:
``ivreghdfe y w (x = z), absorb(fe) cluster(a b)``). Variance: ``"iid"``, ``"hetero"`` (HC1,
Stata's ``, robust``) or ``"CRV1"`` clustered one- or two-way (Cameron, Gelbach & Miller 2011:
V = c (V_a + V_b − V_a∩b), c = (N−1)/(N−K) · G/(G−1), G = min(G_a, G_b); fixest's defaults, a fixed
effect nested in a cluster variable not counted in K); inference t(G − 1) when clustered,
t(N − K) otherwise. Rows with a missing value are dropped first, then singleton fixed-effect
groups, iteratively (reghdfe's default), so that the 2SLS, the first stage and the reduced forms
use exactly the same observations.

Weak-IV diagnostics (one endogenous regressor):

* **First stage** in full, and its Wald F on the excluded instruments with the same variance
  estimator. With one endogenous regressor the Kleibergen–Paap rk Wald F (Kleibergen & Paap 2006,
  ivreg2's ``widstat``) *is* this cluster-robust first-stage Wald F; with iid errors it is the
  Cragg–Donald F, the classical first-stage F.
* **Effective F** (Montiel Olea & Pflueger 2013): π̂'Q π̂ / tr(Σ̂ Q), Q = Z̃'Z̃ with Z̃ the excluded
  instruments net of the exogenous regressors and fixed effects, Σ̂ the robust variance of π̂
  (the model's own unless it is iid, then HC1). With one instrument it equals the robust F.
* **Anderson–Rubin** confidence set (Anderson & Rubin 1949), weak-IV-robust: {b : the reduced-form
  coefficient on z of y − b·x is not rejected}, i.e. (π̂_y − b π̂_x)² ≤ c² Var(π̂_y − b π̂_x) with c the
  t(df) critical value. With one instrument Var(π̂_y − b π̂_x) = A − 2bB + b²C is quadratic in b
  for every variance estimator above (A, C from the reduced form and first stage, B from the
  regression of y − x, same sample, clusters and corrections), so the set is found exactly: its
  end points are the roots of a quadratic, refined with ``scipy.optimize.brentq``. It can be an
  interval, the whole line, or the line minus an interval (two rays) when the instrument is weak.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyfixest as pf
from scipy import optimize, stats

from ..direct_effects.errors import EstimationError
from ..direct_effects.event_study import FIXEF_TOL, drop_singletons, wald_test
from ..direct_effects.spec import NotApplicable, TestStatistic

COEF_COLUMNS = ["term", "estimate", "se", "t", "p", "ci_low", "ci_high"]
VCOV_TYPES = ("iid", "hetero", "CRV1")


@dataclass(frozen=True)
class ConfidenceSet:
    """A confidence set for one coefficient: ``kind`` "interval" [low, high], "two rays"
    (−∞, low] ∪ [high, ∞), "whole line" or "empty"; ``level`` its coverage."""

    kind: str
    low: float
    high: float
    level: float
    name: str = "Anderson–Rubin"

    applies = True

    def __str__(self) -> str:
        share = f"{self.level:.0%}"
        if self.kind == "interval":
            return f"{self.name} {share} CI: [{self.low:.4g}, {self.high:.4g}]"
        if self.kind == "two rays":
            return f"{self.name} {share} set: (−∞, {self.low:.4g}] ∪ [{self.high:.4g}, ∞) (weak instrument)"
        return f"{self.name} {share} set: {self.kind}" + (" (the instrument has no power)" if self.kind == "whole line" else "")

    def contains(self, value: float) -> bool:
        if self.kind == "interval":
            return self.low <= value <= self.high
        if self.kind == "two rays":
            return value <= self.low or value >= self.high
        return self.kind == "whole line"


@dataclass(frozen=True, eq=False)
class LinearFit:
    """Result of :func:`fit_linear`. ``coefficients`` has COEF_COLUMNS; ``first_stage`` (2SLS only)
    the same plus ``endogenous``; ``clusters`` maps cluster variable → count; ``used`` the index of
    the rows estimated."""

    method: str
    y: str
    endogenous: tuple
    instruments: tuple
    exogenous: tuple
    fixed_effects: tuple
    vcov_type: str
    coefficients: pd.DataFrame
    vcov: pd.DataFrame
    nobs: int
    clusters: dict
    df_t: int
    singletons_dropped: int
    missing_dropped: int
    first_stage: pd.DataFrame | None
    first_stage_f: tuple
    kp_f: TestStatistic | NotApplicable
    effective_f: TestStatistic | NotApplicable
    anderson_rubin: ConfidenceSet | NotApplicable
    used: pd.Index
    collinear: tuple = ()     # exogenous regressors dropped as collinear with the fixed effects / others

    def coefficient(self, term: str) -> pd.Series:
        return self.coefficients.set_index("term").loc[term]


def _vcov_argument(vcov: str, cluster):
    if vcov not in VCOV_TYPES:
        raise EstimationError("bad_setting", f"vcov must be one of {', '.join(VCOV_TYPES)}, not {vcov!r}.")
    if vcov == "CRV1":
        if not cluster:
            raise EstimationError("bad_setting", "Clustered standard errors need at least one cluster variable.")
        return {"CRV1": "+".join(cluster)}
    return vcov


def _feols(formula: str, data: pd.DataFrame, vcov):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.feols(formula, data=data, vcov=vcov, fixef_rm="none", copy_data=False, store_data=True,
                        fixef_tol=FIXEF_TOL)


def _formula(y: str, exog, fixed_effects, endog=(), instruments=()) -> str:
    formula = f"{y} ~ {' + '.join(exog) if exog else '1'}"
    if fixed_effects:
        formula += f" | {' + '.join(fixed_effects)}"
    if endog:
        formula += f" | {' + '.join(endog)} ~ {' + '.join(instruments)}"
    return formula


def _tidy(model, level: float) -> pd.DataFrame:
    names = list(model._coefnames)
    with warnings.catch_warnings():  # a two-way clustered variance of a control can be negative: se NaN
        warnings.simplefilter("ignore")
        confint = model.confint(alpha=1 - level)
        estimates, ses = model.coef(), model.se()
    rows = [(name, float(estimates[name]), float(ses[name]), float(model.tstat()[name]), float(model.pvalue()[name]),
             float(confint.loc[name].iloc[0]), float(confint.loc[name].iloc[1])) for name in names]
    return pd.DataFrame(rows, columns=COEF_COLUMNS)


def estimation_rows(data: pd.DataFrame, columns, fixed_effects) -> tuple[pd.DataFrame, int, int]:
    """Complete cases of ``columns``, then singleton fixed-effect groups dropped iteratively:
    (rows, missing dropped, singletons dropped)."""
    complete = data[list(dict.fromkeys(columns))].notna().all(axis=1)
    rows = data.loc[complete]
    rows, singletons = drop_singletons(rows, list(fixed_effects)) if fixed_effects else (rows, 0)
    return rows, int((~complete).sum()), int(singletons)


def fit_linear(data: pd.DataFrame, y: str, exog=(), endog=(), instruments=(), fixed_effects=(),
               vcov: str = "CRV1", cluster=(), level: float = 0.95) -> LinearFit:
    """OLS (no ``endog``) or 2SLS of ``y`` with absorbed ``fixed_effects`` (module docstring).
    Column names must be plain identifiers. Raises EstimationError when the sample is empty, has
    fewer than two clusters, or the instruments do not move the endogenous regressors."""
    exog, endog, instruments = tuple(exog), tuple(endog), tuple(instruments)
    fixed_effects, cluster = tuple(fixed_effects), tuple(cluster)
    if endog and len(instruments) < len(endog):
        raise EstimationError("bad_setting", "2SLS needs at least as many instruments as endogenous regressors.")
    vcov_arg = _vcov_argument(vcov, cluster)
    rows, missing, singletons = estimation_rows(data, [y, *exog, *endog, *instruments, *fixed_effects, *cluster],
                                                fixed_effects)
    if len(rows) < 3:
        raise EstimationError("empty_sample", f"Only {len(rows)} usable observation(s) remain for {y} after dropping "
                                              f"{missing} with missing values and {singletons} singleton(s).")
    clusters = {name: int(rows[name].nunique()) for name in cluster} if vcov == "CRV1" else {}
    if clusters and min(clusters.values()) < 2:
        raise EstimationError("too_few_clusters", f"Clustered standard errors need at least two clusters in each "
                                                  f"dimension; the sample has {clusters}.")
    rows = rows.copy()
    if len(endog) > 1:
        return _fit_several_endogenous(rows, y, exog, endog, instruments, fixed_effects, vcov, vcov_arg, level,
                                       clusters, missing, singletons)
    model = _feols(_formula(y, exog, fixed_effects, endog, instruments), rows, vcov_arg)
    names = list(model._coefnames)
    missing_terms = [term for term in endog if term not in names]
    if missing_terms:
        raise EstimationError("singular_design", f"{', '.join(missing_terms)} is collinear with the fixed effects and "
                                                 "controls: nothing moves it within the fixed-effect groups.")
    coefficients = _tidy(model, level)
    vcov_frame = pd.DataFrame(np.asarray(model._vcov), index=names, columns=names)
    if not np.isfinite(vcov_frame.to_numpy()).all():
        raise EstimationError("singular_design", "The covariance matrix is not finite; the design is singular.")
    df_t = int(model._df_t)
    first_stage, first_f, kp_f, eff_f, ar = None, (), NotApplicable("Kleibergen–Paap rk Wald F", "OLS"), \
        NotApplicable("effective F", "OLS"), NotApplicable("Anderson–Rubin", "OLS")
    if endog:
        auxiliary = _auxiliary_fits(rows, y, exog, endog, instruments, fixed_effects, vcov_arg)
        first_stage, first_f, eff_f = _first_stages(auxiliary[:len(endog)], rows, endog, instruments, vcov_arg, level)
        kp_f = (TestStatistic(name="Kleibergen–Paap rk Wald F (one endogenous regressor: the "
                                   + ("cluster-robust " if vcov == "CRV1" else "robust " if vcov == "hetero" else "")
                                   + "first-stage Wald F)", null="the instruments do not move the endogenous regressor",
                              stat=first_f[0].stat, p_value=first_f[0].p_value, df=first_f[0].df, distribution="F")
                if isinstance(first_f[0], TestStatistic)
                else NotApplicable("Kleibergen–Paap rk Wald F", first_f[0].reason))
        ar = (anderson_rubin(auxiliary[0], auxiliary[1], auxiliary[2], instruments[0], level)
              if len(instruments) == 1
              else NotApplicable("Anderson–Rubin", "implemented for one endogenous regressor and one instrument"))
    return LinearFit(method="2SLS" if endog else "OLS", y=y, endogenous=endog, instruments=instruments,
                     exogenous=exog, fixed_effects=fixed_effects, vcov_type=vcov, coefficients=coefficients,
                     vcov=vcov_frame, nobs=int(model._N), clusters=clusters, df_t=df_t,
                     singletons_dropped=singletons, missing_dropped=missing, first_stage=first_stage,
                     first_stage_f=first_f, kp_f=kp_f, effective_f=eff_f, anderson_rubin=ar, used=rows.index,
                     collinear=tuple(term for term in exog if term not in names))


def _auxiliary_fits(rows, y, exog, endog, instruments, fixed_effects, vcov_arg) -> list:
    """The first stage(s) and, for one endogenous regressor, the reduced forms of y and of y − x that
    the Anderson–Rubin set needs, in one pyfixest call (the fixed effects are partialled out once)."""
    outcomes = list(endog)
    if len(endog) == 1:
        rows["_ar_diff"] = rows[y] - rows[endog[0]]
        outcomes += [y, "_ar_diff"]
    fitted = _feols(_formula(" + ".join(outcomes), [*instruments, *exog], fixed_effects), rows, vcov_arg)
    if len(outcomes) == 1:
        return [fitted]
    return [fitted.fetch_model(i, print_fml=False) for i in range(len(outcomes))]


def _first_stages(models, rows, endog, instruments, vcov_arg, level):
    tables, tests, effective = [], [], NotApplicable("effective F", "computed for one endogenous regressor")
    for name, model in zip(endog, models):
        table = _tidy(model, level)
        table.insert(0, "endogenous", name)
        tables.append(table)
        present = [z for z in instruments if z in model._coefnames]
        if not present:
            raise EstimationError("singular_design", f"The instruments are collinear with the fixed effects and "
                                                     f"controls in the first stage of {name}: no variation is left.")
        index = [list(model._coefnames).index(z) for z in present]
        pi = np.asarray(model.coef())[index]
        sigma = np.asarray(model._vcov)[np.ix_(index, index)]
        tests.append(wald_test(pi, sigma, int(model._df_t), f"first-stage F of {name}",
                               f"the excluded instruments do not move {name}"))
        if len(endog) == 1:
            effective = _effective_f(model, rows, present, index, vcov_arg, pi, sigma)
    return pd.concat(tables, ignore_index=True), tuple(tests), effective


def _effective_f(model, rows, present, index, vcov_arg, pi, sigma):
    """Montiel Olea–Pflueger effective F = π'Qπ / tr(ΣQ), Q = Z̃'Z̃ (Z̃: instruments net of exog and FE)."""
    if vcov_arg == "iid":
        robust = _feols(model._fml, rows, "hetero")
        sigma = np.asarray(robust._vcov)[np.ix_(index, index)]
    x = np.asarray(model._X, dtype=float)  # demeaned by the fixed effects
    others = [i for i in range(x.shape[1]) if i not in index]
    z = x[:, index]
    if others:
        w = x[:, others]
        z = z - w @ np.linalg.lstsq(w, z, rcond=None)[0]
    q = z.T @ z
    stat = float(pi @ q @ pi / np.trace(sigma @ q))
    return TestStatistic(name="effective F (Montiel Olea–Pflueger)", null="weak instruments",
                         stat=stat, p_value=math.nan, df=(len(present),), distribution="effective F")


def anderson_rubin(first_stage, reduced_form, difference, z: str, level: float = 0.95) -> ConfidenceSet | NotApplicable:
    """Anderson–Rubin confidence set (module docstring) from the first stage (x on z), the reduced form
    (y on z) and the regression of y − x on z, all with the same sample, controls, fixed effects and
    variance estimator: A = Var(π̂_y), C = Var(π̂_x), B = (A + C − Var(π̂_y − π̂_x)) / 2."""
    if any(z not in model._coefnames for model in (first_stage, reduced_form, difference)):
        return NotApplicable("Anderson–Rubin", "the instrument is collinear with the fixed effects and controls")
    pi_x, var_x = float(first_stage.coef()[z]), float(first_stage.se()[z]) ** 2
    pi_y, var_y = float(reduced_form.coef()[z]), float(reduced_form.se()[z]) ** 2
    var_d = float(difference.se()[z]) ** 2
    cov = (var_y + var_x - var_d) / 2
    crit = float(stats.t.ppf(1 - (1 - level) / 2, int(reduced_form._df_t))) ** 2
    return confidence_set_from_quadratic(pi_y, pi_x, var_y, var_x, cov, crit, level)


def confidence_set_from_quadratic(pi_y: float, pi_x: float, var_y: float, var_x: float, cov: float,
                                  crit: float, level: float) -> ConfidenceSet:
    """{b : (π_y − b π_x)² − crit (var_y − 2b cov + b² var_x) ≤ 0}: the roots of the quadratic are
    bracketed from its vertex and refined with brentq; its shape follows from the leading coefficient."""
    a2 = pi_x ** 2 - crit * var_x
    a1 = -2 * (pi_y * pi_x - crit * cov)
    a0 = pi_y ** 2 - crit * var_y

    def f(b):
        return a2 * b * b + a1 * b + a0

    if a2 == 0:
        if a1 == 0:
            return ConfidenceSet("whole line" if a0 <= 0 else "empty", -math.inf, math.inf, level)
        root = -a0 / a1
        return ConfidenceSet("two rays", root if a1 > 0 else -math.inf, math.inf if a1 > 0 else root, level)
    vertex = -a1 / (2 * a2)
    disc = a1 * a1 - 4 * a2 * a0
    if disc <= 0:  # no real roots: the sign of a2 decides
        return ConfidenceSet("empty" if a2 > 0 else "whole line", math.nan, math.nan, level)
    half = math.sqrt(disc) / (2 * abs(a2))
    roots = []
    for direction in (-1, 1):
        far = vertex + direction * 2 * half
        roots.append(optimize.brentq(f, *sorted((vertex, far)), xtol=1e-14 * max(1.0, abs(vertex) + half),
                                     rtol=1e-15, maxiter=500))
    low, high = sorted(roots)
    return ConfidenceSet("interval" if a2 > 0 else "two rays", low, high, level)


def _fit_several_endogenous(rows, y, exog, endog, instruments, fixed_effects, vcov, vcov_arg, level, clusters,
                            missing, singletons) -> LinearFit:
    """2SLS with several endogenous regressors (pyfixest ``feols`` takes one): the textbook algebra on
    the variables net of the fixed effects (Frisch–Waugh–Lovell holds for 2SLS when the exogenous
    regressors and fixed effects enter both stages). The variance uses pyfixest's own small-sample
    factors and cluster layout, taken from the reduced form (same sample, fixed effects, clusters and
    number of coefficients), so that with one endogenous regressor it reproduces pyfixest's 2SLS."""
    reduced = _feols(_formula(y, [*instruments, *exog], fixed_effects), rows, vcov_arg)
    names_rf = list(reduced._coefnames)
    lost = [z for z in instruments if z not in names_rf]
    if lost:
        raise EstimationError("singular_design", f"{', '.join(lost)} is collinear with the fixed effects and controls.")
    z_cols = [names_rf.index(z) for z in instruments]
    w_cols = [i for i in range(len(names_rf)) if i not in z_cols]
    x_rf = np.asarray(reduced._X, dtype=float)
    first_models = [_feols(_formula(name, [*instruments, *exog], fixed_effects), rows, vcov_arg) for name in endog]
    endogenous = np.column_stack([np.asarray(m._Y, dtype=float).ravel() for m in first_models])
    regressors = np.column_stack([endogenous, x_rf[:, w_cols]])
    instruments_all = np.column_stack([x_rf[:, z_cols], x_rf[:, w_cols]])
    target = np.asarray(reduced._Y, dtype=float).ravel()
    projected = instruments_all @ np.linalg.lstsq(instruments_all, regressors, rcond=None)[0]
    beta = np.linalg.lstsq(projected, target, rcond=None)[0]
    residuals = target - regressors @ beta
    bread = np.linalg.inv(projected.T @ projected)
    scores = projected * residuals[:, None]
    if vcov == "CRV1":
        variance = np.zeros_like(bread)
        layout = reduced._cluster_df
        for position, column in enumerate(layout.columns):
            ids = pd.factorize(layout[column])[0]
            sums = np.zeros((ids.max() + 1, scores.shape[1]))
            np.add.at(sums, ids, scores)
            variance += reduced._ssc[position] * bread @ (sums.T @ sums) @ bread
    elif vcov == "hetero":
        variance = float(np.ravel(reduced._ssc)[0]) * bread @ (scores.T @ scores) @ bread
    else:
        n, k = regressors.shape
        variance = float(np.ravel(reduced._ssc)[0]) * (residuals @ residuals) / (n - 1) * bread  # pyfixest: ssc · u′u/(N − 1)
    df_t = int(reduced._df_t)
    names = [*endog, *[names_rf[i] for i in w_cols]]
    se = np.sqrt(np.diag(variance))
    t = beta / se
    crit = stats.t.ppf(1 - (1 - level) / 2, df_t)
    coefficients = pd.DataFrame({"term": names, "estimate": beta, "se": se, "t": t,
                                 "p": 2 * stats.t.sf(np.abs(t), df_t), "ci_low": beta - crit * se,
                                 "ci_high": beta + crit * se})[COEF_COLUMNS]
    first_stage, first_f, _ = _first_stages(first_models, rows, endog, instruments, vcov_arg, level)
    return LinearFit(method="2SLS", y=y, endogenous=tuple(endog), instruments=tuple(instruments),
                     exogenous=tuple(exog), fixed_effects=tuple(fixed_effects), vcov_type=vcov,
                     coefficients=coefficients, vcov=pd.DataFrame(variance, index=names, columns=names),
                     nobs=int(reduced._N), clusters=clusters, df_t=df_t, singletons_dropped=singletons,
                     missing_dropped=missing, first_stage=first_stage, first_stage_f=first_f,
                     kp_f=NotApplicable("Kleibergen–Paap rk Wald F", "computed here only for one endogenous regressor; "
                                                                      "see the first-stage F of each endogenous regressor"),
                     effective_f=NotApplicable("effective F", "defined for one endogenous regressor"),
                     anderson_rubin=NotApplicable("Anderson–Rubin", "implemented for one endogenous regressor"),
                     used=rows.index)
