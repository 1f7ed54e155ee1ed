"""UI helpers of the Direct effects page: small pure functions that turn a
:class:`~estimation.direct_effects.DirectEffectsResult` into the frames and sentences the page
shows (the Stata/R-style coefficient table, the chart data, η, balance, matching, sample sizes),
the Stata/Parquet exports of the estimation sample, and the few Streamlit calls the page shares
(running and keeping the estimate of this session, cached reads of the stored estimates).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from estimation.direct_effects import (DirectEffectsResult, DirectEffectsSpec, DirectGain, EstimationError,
                                       NotApplicable, TestStatistic)
from estimation.direct_effects.outcomes import LOG_OUTCOMES, TFPR_OUTCOMES
from storage.schema import table_spec
from workbench import direct_effects, ui
from workbench import state_keys as keys
from workbench.export_tables import (estimate_cell, parquet_bytes, stars, stata_bytes,  # noqa: F401 - re-exported
                                     stata_names)
from workbench.exports import OUTCOME_DESCRIPTIONS, reghdfe_command, stata_sample  # noqa: F401 - re-exported

KEY_CHOICES = ("region", "sector")
LINK_LABELS = {
    "final": "Final links of the linkage (automatic links and reviewers' decisions)",
    "truth": "True links of the synthetic demo (separates linkage error from estimation error)",
}
ERROR_HINTS = {
    "no_losers": "Losers are linked firms whose contract the foreign party canceled before they adopted: check "
                 "the contracts' status and canceled_by columns, and the links.",
    "no_matches": "Loosen the matching: fewer exact keys, fewer matching variables, or matching with replacement.",
    "single_match": "Loosen the matching (fewer exact keys or matching variables, with replacement) so that more "
                    "losers find winners.",
    "singleton_fe": "Widen the event window, or loosen the matching so that matches span more years.",
    "missing_outcome": "Choose another outcome.",
    "singular_design": "Widen the event window, change the matching variables, or loosen the matching.",
    "bad_setting": "Change the settings above.",
    "no_true_links": "Use the final links of the linkage.",
}
CLUSTER_NAMES = {"match": "matches", "firm": "firms"}
FEW_CLUSTERS = 30  # below this many matches, analytic clustered standard errors are not to be trusted


@dataclass(frozen=True, eq=False)
class SessionRun:
    """The latest estimate of this browser session, kept so the page re-renders without re-running."""

    estimate_id: int
    result: DirectEffectsResult
    links: str
    data_version: int  # the data version the estimate was computed on (its provenance)
    seconds: float


# --- settings --------------------------------------------------------------------------------

def outcome_options(numeric_columns) -> list[str]:
    """The outcomes offered: the log and TFPR outcomes of outcomes.py, then every other numeric column."""
    named = [*LOG_OUTCOMES, *TFPR_OUTCOMES]
    return named + [c for c in numeric_columns if c not in named]


def outcome_label(name: str) -> str:
    description = OUTCOME_DESCRIPTIONS.get(name)
    return f"{name} — {description}" if description else f"{name} (the column as it is)"


def numeric_balance_columns() -> list[str]:
    """The numeric columns of the balance-sheet format (not the year)."""
    return [c.name for c in table_spec("balance_sheets").columns if c.type == "number"]


def build_spec(outcome: str, k: int, exact_keys, matching_variables, with_replacement: bool, window_lo: int,
               window_hi: int, controls, bootstrap_reps: int, sigma: float, eta_tau: int) -> DirectEffectsSpec:
    """The spec of the page's settings; raises EstimationError('bad_setting') with every problem."""
    return DirectEffectsSpec(outcome=outcome, k=int(k), exact_keys=tuple(exact_keys),
                             matching_variables=tuple(matching_variables), with_replacement=bool(with_replacement),
                             window=(int(window_lo), int(window_hi)), controls=tuple(controls),
                             bootstrap_reps=int(bootstrap_reps), sigma=float(sigma), eta_tau=int(eta_tau))


def error_hint(err: EstimationError) -> str:
    """What a researcher can do about an EstimationError (empty when nothing general applies)."""
    return ERROR_HINTS.get(getattr(err, "code", ""), "")


# --- numbers in the Stata/R convention -------------------------------------------------------

def tau_label(tau: int) -> str:
    """"τ = −1" with a true minus sign."""
    return f"τ = {tau}".replace("-", "−")


def taus_text(taus) -> str:
    return ", ".join(str(t).replace("-", "−") for t in taus)


def statistic_cell(test: TestStatistic | NotApplicable) -> str:
    """A test in one short cell: "F(4, 6) = 1.64, p = 0.281", or "not applicable"."""
    if isinstance(test, NotApplicable):
        return "not applicable"
    df = ", ".join(f"{d:g}" for d in test.df)
    return f"{test.distribution}({df}) = {test.stat:.2f}, p = {test.p_value:.3f}"


def statistic_sentence(test: TestStatistic | NotApplicable) -> str:
    """A test's result and null, or why it does not apply, without its name."""
    if isinstance(test, NotApplicable):
        return f"not applicable: {test.reason}."
    return f"{statistic_cell(test)} (H0: {test.null})."


def bootstrap_cell(result: DirectEffectsResult) -> tuple[str, str]:
    """(row label, value) of the wild cluster bootstrap p-value in the coefficient table."""
    boot = result.bootstrap
    if isinstance(boot, NotApplicable):
        return "Wild cluster bootstrap p", "off" if result.spec.bootstrap_reps == 0 else "not applicable"
    if boot.empty:
        return "Wild cluster bootstrap p", "not applicable"
    row = boot.iloc[0]
    label = (f"Wild cluster bootstrap p, β at {tau_label(int(row['event_time']))} "
             f"({bootstrap_draws(result)}, {row['cluster']} clusters)")
    return label, f"{row['p_bootstrap']:.3f}"


def bootstrap_draws(result: DirectEffectsResult) -> str:
    """How many bootstrap draws there were: all 2^G sign vectors when that is fewer than the draws asked."""
    spec = result.spec
    clusters = int(result.fit.sample[spec.bootstrap_cluster].nunique())
    if clusters < 60 and 2 ** clusters < spec.bootstrap_reps:
        return f"all {2 ** clusters:,} sign vectors"
    return f"{spec.bootstrap_reps:,} draws"


def coefficient_table(result: DirectEffectsResult) -> pd.DataFrame:
    """The event study as a regression table (esttab/modelsummary style): each β_τ with stars and its
    standard error in parentheses on the row below, then N, matches, firms, clusters, fixed effects,
    the pre-trend test and the wild bootstrap p. Columns: the row labels (""), then one named after the outcome."""
    fit, spec = result.fit, result.spec
    rows: list[tuple[str, str]] = []
    for r in fit.coefficients.itertuples():
        if r.reference:
            rows += [(f"{tau_label(r.event_time)} (reference)", "0"), ("", "(omitted)")]
            continue
        estimate, se = estimate_cell(r.estimate, r.se, r.p)
        rows += [(tau_label(r.event_time), estimate), ("", se)]
    if fit.not_identified:
        rows.append(("Not identified (no winner-loser contrast)", "τ = " + taus_text(fit.not_identified)))
    clusters = " / ".join(f"{fit.clusters[c]:,} {CLUSTER_NAMES[c]}" for c in spec.cluster)
    rows += [
        ("Observations (match × firm × year)", f"{fit.nobs:,}"),
        ("Matches", f"{fit.n_matches:,}"),
        ("Firms", f"{fit.n_firms:,}"),
        ("Clusters", clusters),
        ("Match × firm fixed effects", "yes"),
        ("Match × year fixed effects", "yes"),
        ("Controls", ", ".join(spec.controls) or "none"),
        ("Pre-trend: joint test of β_τ, τ < 0", statistic_cell(fit.pretrend)),
        bootstrap_cell(result),
    ]
    return pd.DataFrame(rows, columns=["", spec.outcome])


def table_notes(result: DirectEffectsResult) -> str:
    """The notes under the coefficient table: conventions, the pre-trend test and the bootstrap in full."""
    boot = result.bootstrap
    if isinstance(boot, NotApplicable):
        bootstrap = "wild cluster bootstrap: off (0 draws)" if result.spec.bootstrap_reps == 0 else str(boot)
    elif boot.empty:
        bootstrap = "wild cluster bootstrap: no coefficient to test"
    else:
        row = boot.iloc[0]
        bootstrap = (f"wild cluster bootstrap-t of β at {tau_label(int(row['event_time']))} (WCR11, Rademacher "
                     f"weights, null imposed, {bootstrap_draws(result)}, clustered by {row['cluster']}): "
                     f"t = {row['t']:.3f}, p = {row['p_bootstrap']:.3f}")
    clusters = " and ".join(result.spec.cluster)
    return (f"Standard errors in parentheses, clustered by {clusters}; * p < 0.1, ** p < 0.05, *** p < 0.01. "
            f"{_sentence(str(result.fit.pretrend))} {_sentence(bootstrap)}")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def coefficient_frame(result: DirectEffectsResult) -> pd.DataFrame:
    """The coefficients at full precision for download, with the stars and the sample's numbers."""
    fit = result.fit
    out = fit.coefficients.copy()
    out.insert(out.columns.get_loc("p") + 1, "stars", out["p"].map(stars))
    return out.assign(outcome=result.spec.outcome, nobs=fit.nobs, matches=fit.n_matches, firms=fit.n_firms,
                      df_t=fit.df_t)


# --- charts' data ----------------------------------------------------------------------------

def event_study_points(result: DirectEffectsResult) -> pd.DataFrame:
    """The points of the event-study chart: the estimated β_τ and the reference period (at 0), without
    the periods that are not identified. event_time, estimate, se, ci_low, ci_high, p, kind."""
    coef = result.fit.coefficients
    out = coef[["event_time", "estimate", "se", "ci_low", "ci_high", "p"]].copy()
    out["kind"] = coef["reference"].map({True: "reference", False: "estimate"})
    return out.reset_index(drop=True)


def raw_means_long(result: DirectEffectsResult) -> pd.DataFrame:
    """Raw means of the regressed sample by event time, one row per group: event_time, group, mean, firm_years."""
    means = result.fit.raw_means
    parts = [pd.DataFrame({"event_time": means["event_time"], "group": group, "mean": means[f"mean_{group}"],
                           "firm_years": means[f"n_{group}"]}) for group in ("winners", "losers")]
    long = pd.concat(parts, ignore_index=True)
    return long[long["firm_years"] > 0].reset_index(drop=True)


# --- η, counts, balance, sample -------------------------------------------------------------

def identified_post_periods(result: DirectEffectsResult) -> list[int]:
    coef = result.fit.coefficients
    return [int(t) for t in coef.loc[~coef["reference"] & (coef["event_time"] >= 0), "event_time"]]


def eta_message(result: DirectEffectsResult, estimate_id: int) -> tuple[bool, str]:
    """(available, Markdown) about the direct gain η = exp(β̄/(σ − 1)) of this estimate."""
    gain, spec = result.gain, result.spec
    models = "the model pages take η from the newest stored direct-effects estimate."
    if isinstance(gain, DirectGain):
        when = "in the adoption year" if spec.eta_tau == 0 else f"{spec.eta_tau} year(s) after adoption"
        early = (f" Note that β_{spec.eta_tau} is the effect {when}; the paper's η uses the long-run β_7."
                 if spec.eta_tau < 7 else "")
        return True, (f"**η = {gain.eta:.4f}** (se {gain.se:.4f}) = exp(β̄ / (σ − 1)) with β̄ = {gain.source} = "
                      f"{gain.beta_bar:.4f} (se {gain.beta_se:.4f}) and σ = {gain.sigma:g}; the standard error is "
                      f"the delta method's, η · se(β̄) / (σ − 1).{early} Stored as estimate {estimate_id}; {models}")
    post = identified_post_periods(result)
    change = (f" This sample identifies β_τ only for τ = {taus_text(post)}: set *τ for η* in the settings to one "
              "of them to compute η from that coefficient instead (the paper uses τ = 7, the long-run effect)."
              if post and spec.eta_tau not in post else "")
    return False, (f"**η is not available**: {gain.reason}.{change} Estimate {estimate_id} is stored without η; "
                   f"{models}")


def count_metrics(result: DirectEffectsResult) -> list[tuple[str, str, str]]:
    """(label, value, help) of the event and matching counts."""
    c = result.counts
    return [
        ("Losers", f"{c.losers:,}",
         "linked firms with a contract canceled by the foreign party before they adopted"),
        ("Delayed adopters", f"{c.delayed_adopters:,}", "losers that complete a contract later"),
        ("Never adopters", f"{c.never_adopters:,}", "losers without any completed contract"),
        ("Winners", f"{c.winners:,}",
         "firms with a completed contract (event: approval year of the first)"),
        ("Matches", f"{result.matching.n_matches:,}", "losers matched with at least one winner"),
        ("Unmatched losers", f"{len(result.matching.unmatched):,}", "reasons in the table below"),
        ("Foreign cancellations", f"{c.foreign_cancellations:,}",
         (f"contracts canceled by the foreign party ({c.foreign_cancellations_after_adoption:,} after the firm "
          "had adopted, so not losers)")),
        ("Domestic cancellations", f"{c.domestic_cancellations:,}",
         "canceled by the domestic firm: excluded (they follow cash-flow shocks)"),
    ]


def reason_counts(unmatched: pd.DataFrame) -> pd.DataFrame:
    """Unmatched losers by reason (the details in parentheses dropped), most frequent first."""
    reasons = unmatched["reason"].astype(str).str.replace(r"\s*\(.*", "", regex=True).str.strip()
    counts = reasons.value_counts().rename_axis("reason").rename("losers").reset_index()
    return counts


def with_firm_names(frame: pd.DataFrame, directory: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the firm's names across years beside its firm_id (from the firm directory)."""
    names = directory.set_index("firm_id")["name_variants"]
    out = frame.copy()
    out.insert(out.columns.get_loc("firm_id") + 1, "firm_names", out["firm_id"].map(names))
    return out


BALANCE_LABELS = {
    "variable": "variable", "mean_losers": "losers", "mean_matched_winners": "matched winners",
    "mean_all_adopters": "all adopters", "std_diff_matched": "std. diff. (matched)", "p_matched": "p (matched)",
    "std_diff_all": "std. diff. (all)", "p_all": "p (all)", "n_losers": "n losers",
    "n_matched_winners": "n matched", "n_all_adopters": "n all",
}


def sample_size_frame(result: DirectEffectsResult) -> pd.DataFrame:
    """Rows, winner and loser rows, matches and comparisons per event time, with whether β_τ is estimated."""
    sizes = result.sample_sizes.copy()
    status = {int(t): "estimated" for t in result.fit.coefficients.loc[~result.fit.coefficients["reference"],
                                                                       "event_time"]}
    status[result.spec.reference] = "reference"
    sizes["beta"] = sizes["event_time"].map(lambda t: status.get(int(t), "not identified"))
    return sizes


# --- exports of the estimation sample -------------------------------------------------------

# --- stored estimates ------------------------------------------------------------------------

def changed_since(audit: pd.DataFrame, version: int) -> bool:
    """Whether the audit log (audit_id, action) records a change other than storing an estimate after
    data version ``version``."""
    later = audit[(audit["audit_id"] > version) & (audit["action"] != "estimate")]
    return not later.empty


def settings_text(settings: dict) -> str:
    """A stored spec in one line."""
    lo, hi = settings["window"]
    keys_ = ", ".join(settings["exact_keys"]) or "no exact keys"
    boot = f"{settings['bootstrap_reps']} bootstrap draws" if settings["bootstrap_reps"] else "no bootstrap"
    controls = ", ".join(settings["controls"]) or "no controls"
    return (f"k = {settings['k']}, {keys_}, {'with' if settings['with_replacement'] else 'without'} replacement, "
            f"window {lo}…{hi}, {controls}, {boot}, σ = {settings['sigma']:g}, η at τ = {settings['eta_tau']}"
            ).replace("-", "−")


KIND_LABELS = {direct_effects.KIND: "event study",
               direct_effects.POOLED_KIND: "η from the average of robustness rows"}


def stored_table(stored: pd.DataFrame, audit: pd.DataFrame) -> pd.DataFrame:
    """The stored direct-effects estimates for reading, newest first."""
    if stored.empty:
        return pd.DataFrame(columns=["estimate", "kind", "created (UTC)", "outcome", "matches", "N", "η", "links",
                                     "data changed since", "settings"])
    return pd.DataFrame({
        "estimate": stored["estimate_id"].astype("int64"),
        "kind": stored["kind"].map(KIND_LABELS),
        "created (UTC)": stored["created_at"].astype(str).str[:19],
        "outcome": stored["outcome"],
        "matches": stored["matches"],
        "N": stored["N"],
        "η": stored["eta"].map(lambda e: "not available" if e is None or pd.isna(e) else f"{e:.4f}"),
        "links": stored["links"],
        "data changed since": stored["data_version"].map(lambda v: "yes" if changed_since(audit, int(v)) else ""),
        "settings": stored["settings"].map(settings_text),
    })


def provenance_label(row: pd.Series) -> str:
    return (f"Estimate {row['estimate_id']}: {row['outcome']}, {row['matches']} matches, N = {row['N']}, "
            f"{row['links']} links, {str(row['created_at'])[:16]} UTC")


# --- Streamlit: running and reading -----------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=16)
def _stored(path: str, version: int) -> pd.DataFrame:
    return direct_effects.stored_estimates(ui.open_db(path), (direct_effects.KIND, direct_effects.POOLED_KIND))


def stored() -> pd.DataFrame:
    """The stored direct-effects estimates, newest first (cached until the data change)."""
    return _stored(*ui.data_key())


def run_estimate(spec: DirectEffectsSpec, links: str) -> SessionRun:
    """Estimate and store (audit-logged); raises EstimationError when the data cannot support it."""
    start = time.perf_counter()
    estimate_id, result = direct_effects.estimate_direct_effects(ui.db(), spec, ui.actor(), links=links)
    seconds = time.perf_counter() - start
    row = stored().set_index("estimate_id").loc[estimate_id]
    return SessionRun(estimate_id=estimate_id, result=result, links=links,
                      data_version=int(row["provenance"]["data_version"]), seconds=seconds)


def is_stale(run: SessionRun) -> bool:
    """Whether data changed since the session's estimate was computed."""
    return changed_since(ui.read("audit_log", 1000), run.data_version)


def session_run() -> SessionRun | None:
    return st.session_state.get(keys.DIRECT_EFFECTS_RUN)



# --- robustness panel ---------------------------------------------------------------------------

def robustness_display(table: pd.DataFrame) -> pd.DataFrame:
    """The robustness rows for reading, with a ``use for η`` tick column (off; rows without β get none)."""
    tau = int(table["tau"].iloc[0]) if len(table) else 7
    cells = [estimate_cell(b, s, p) if pd.notna(b) else ("", "")
             for b, s, p in zip(table["beta"], table["se"], table["p_value"])]
    return pd.DataFrame({
        "use for η": False,
        "group": table["group"],
        "specification": table["variant"],
        "matches": table["matches"],
        "N": table["N"],
        f"β_{tau}": [c[0] for c in cells],
        "se": [c[1] for c in cells],
        "pre-trend p": table["pretrend_p"].map(lambda v: "" if pd.isna(v) else f"{v:.3f}"),
        "η": table["eta"].map(lambda v: "" if pd.isna(v) else f"{v:.4f}"),
        "note": table["note"],
    })


def chosen_specifications(edited: pd.DataFrame) -> list[str]:
    """The specifications ticked ``use for η`` in the edited robustness table."""
    return edited.loc[edited["use for η"].astype(bool), "specification"].tolist()
