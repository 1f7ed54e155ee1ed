"""UI helpers of the Spillovers page (Choi & Shim, Sections 3.2–3.3, Table 1): small pure functions that
turn a :class:`~estimation.spillovers.SpilloversResult` into the frames and sentences the page shows
(Table 1 per panel, the weak-instrument warning, the Anderson–Rubin sets, the first stages,
heterogeneity, placebo, δ), the reading of an uploaded industrial-complex table, and the few Streamlit
calls the page needs (running and keeping the estimate of this session, cached reads of the stored
estimates). The Stata/Parquet exports are those of the Direct effects page (:mod:`workbench.ui_direct_effects`).
"""

from __future__ import annotations

import io
import math
import re
import time
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from estimation.spillovers import COLUMNS, EstimationError, NotApplicable, SpilloversResult, SpilloversSpec
from estimation.spillovers.pipeline import OUTCOME_LABELS
from estimation.spillovers.table import WEAK_F, table1
from workbench import spillovers, ui
from workbench import state_keys as keys
from workbench.ui_direct_effects import changed_since, estimate_cell, statistic_cell

IV_COLUMNS = tuple(c for c in COLUMNS if c.method == "IV")
COLUMN_LABELS = {c.key: c.label for c in COLUMNS}
OUTCOMES_A = ("log_sales", "tfpr_cost_share", "tfpr_revenue_share")
COMPLEX_TYPES = ["csv", "xlsx", "parquet"]
ERROR_HINTS = {
    "no_business_groups": "Fill in business_group on the Balance sheets page.",
    "missing_coordinates": "Fill in the regions' latitude and longitude on the Regions page.",
    "too_few_clusters": "Load balance sheets covering more regions.",
    "missing_years": "Change the long differences or the lag.",
    "no_share": "Check the balance sheets' region and sector columns, or change the lag.",
    "empty_sample": "Check the balance sheets for the difference years.",
    "singular_design": "Change the long differences, the lag or the radius.",
    "bad_setting": "Change the settings above.",
    "no_true_links": "Use the final links of the linkage.",
}
SAMPLE_LABELS = {
    "firm_id": "firm", "diff_set": "long difference (t0-t1)", "t0": "start year t0", "t1": "end year t1",
    "region": "region in t0", "sector": "sector in t0", "group": "business group in t0 (empty: unaffiliated)",
    "sector_group": "sector x group fixed effect", "cl_region": "region cluster", "cl_group": "group cluster",
    "never_adopter": "no completed linked contract in any year (Panel A)", "dy": "change of the outcome, t0 to t1",
    "y0": "outcome in t0", "dshare": "change of the leave-one-out adopter share (eq. 3.2), lagged",
    "share0": "adopter share at t0 - lag", "share1": "adopter share at t1 - lag",
    "dz": "change of the group instrument Z (eq. 3.4), lagged", "z0": "Z at t0 - lag", "z1": "Z at t1 - lag",
    "dpgs": "change of the predicted group sales share", "dgs": "actual change of the group sales share (not used)",
    "dlog_ma": "change of log market access", "ma0": "market access in t0",
    "port_x_export": "log(1 + port distance) x export share in t0", "credit_asinh": "asinh directed credit t0-t1",
    "complex_change": "change of 1[industrial complex]", "tax_favor_change": "change of max tax favour",
    "fair_revenue_asinh": "asinh trade-fair revenue t0-t1", "fair_participations": "trade-fair participations t0-t1",
    "pre_growth": "pre-period growth of the outcome", "used": "row entered the preferred column",
}


@dataclass(frozen=True, eq=False)
class SessionRun:
    """The latest spillover estimate of this browser session, kept so the page re-renders without re-running."""

    estimate_id: int
    result: SpilloversResult
    links: str
    data_version: int
    seconds: float
    complexes_name: str | None = None


# --- settings --------------------------------------------------------------------------------

def outcome_label(name: str) -> str:
    return OUTCOME_LABELS.get(name, name)


def column_label(key: str) -> str:
    return COLUMN_LABELS.get(key, key)


def differences_text(differences) -> str:
    """((1972, 1979), (1973, 1980)) → "1972-1979, 1973-1980"."""
    return ", ".join(f"{t0}-{t1}" for t0, t1 in differences)


def parse_differences(text: str) -> tuple[tuple[int, int], ...]:
    """"1972-1979, 1973–1980" → ((1972, 1979), (1973, 1980)); EstimationError('bad_setting') otherwise."""
    pairs = []
    for part in [p.strip() for p in re.split(r"[,;]", text or "") if p.strip()]:
        found = re.fullmatch(r"(\d{4})\s*[-–—]\s*(\d{4})", part)
        if not found:
            raise EstimationError("bad_setting", f"A long difference is written start-end, e.g. 1972-1979, not {part!r}.")
        pairs.append((int(found.group(1)), int(found.group(2))))
    if not pairs:
        raise EstimationError("bad_setting", "At least one long difference is needed, e.g. 1972-1979.")
    return tuple(pairs)


def build_spec(outcome_a: str, radius_km: float, lag: int, sigma: float, differences: str,
               preferred: str) -> SpilloversSpec:
    """The spec of the page's settings; raises EstimationError('bad_setting') with every problem."""
    return SpilloversSpec(outcome_a=outcome_a, radius_km=float(radius_km), lag=int(lag), sigma=float(sigma),
                          differences=parse_differences(differences), preferred=preferred)


def read_complexes(name: str, data: bytes) -> pd.DataFrame:
    """An uploaded industrial-complex table (CSV, XLSX or Parquet: region, year, optional sector and
    tax_favor); EstimationError('bad_setting') with a plain message when it cannot be used."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    try:
        if suffix == "xlsx":
            frame = pd.read_excel(io.BytesIO(data))
        elif suffix == "parquet":
            frame = pd.read_parquet(io.BytesIO(data))
        else:
            frame = pd.read_csv(io.BytesIO(data), sep=None, engine="python", encoding="utf-8-sig")
    except Exception as err:  # any reader failure is the file's problem, said plainly
        raise EstimationError("bad_setting", f"The industrial-complex file {name} could not be read ({err}).") from err
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ("region", "year") if c not in frame.columns]
    if missing:
        raise EstimationError("bad_setting", (f"The industrial-complex file {name} lacks the column(s) "
                                              f"{', '.join(missing)}; it needs region and year (designated), "
                                              "optionally sector and tax_favor."))
    if frame.empty:
        raise EstimationError("bad_setting", f"The industrial-complex file {name} has no rows.")
    years = pd.to_numeric(frame["year"], errors="coerce")
    if years.isna().any():
        raise EstimationError("bad_setting", f"The industrial-complex file {name} has rows whose year is not a number.")
    return frame.assign(year=years.astype("int64"))


def error_hint(err: EstimationError) -> str:
    return ERROR_HINTS.get(getattr(err, "code", ""), "")


# --- Table 1 --------------------------------------------------------------------------------

def panel_table(result: SpilloversResult, panel: str) -> pd.DataFrame:
    """One panel of Table 1 in the paper's layout: ΔShare with stars, (se), KP-F, effective F, AR set,
    clusters, N, then the fixed-effect and control rows. Columns: "" (row labels), (1) … (8)."""
    frame = table1(result)
    own = frame[(frame["panel"] == panel) & ~frame["row"].str.startswith("Panel") & (frame["row"] != "notes")]
    spec_rows = frame[frame["panel"] == ""]
    out = pd.concat([own, spec_rows]).drop(columns="panel").rename(columns={"row": ""})
    # st.table renders cells as Markdown: "# clusters" would become a heading
    out[""] = out[""].replace({"(se)": "", "# clusters": "Clusters (regions × groups)"})
    return out.reset_index(drop=True)


def panel_title(result: SpilloversResult, panel: str) -> str:
    frame = table1(result)
    return frame.loc[(frame["panel"] == panel) & frame["row"].str.startswith("Panel"), "row"].iloc[0]


def unavailable_notes(result: SpilloversResult, panel: str) -> list[str]:
    """"(6) + industrial complexes: unavailable: …" for each column that could not be estimated."""
    return [f"{res.column.label}: {res.unavailable}" for res in result.columns[panel].values() if res.fit is None]


def weak_columns(result: SpilloversResult, panel: str) -> list[tuple[str, float]]:
    """(label, KP-F) of the IV columns whose Kleibergen–Paap F is under 10."""
    out = []
    for res in result.columns[panel].values():
        if res.fit is None or res.fit.method != "2SLS":
            continue
        kp = getattr(res.fit.kp_f, "stat", None)
        if kp is not None and math.isfinite(kp) and kp < WEAK_F:
            out.append((res.column.label, kp))
    return out


def weak_message(result: SpilloversResult, panel: str) -> str | None:
    """A plain warning when the instrument is weak under two-way clustering, pointing to the AR sets."""
    weak = weak_columns(result, panel)
    if not weak:
        return None
    preferred = result.columns[panel].get(result.spec.preferred)
    shown = ", ".join(f"{label.split(' ')[0]} {kp:.2f}" for label, kp in weak)
    ar = ""
    if preferred is not None and preferred.fit is not None and preferred.fit.method == "2SLS":
        ar = f" For the preferred column {preferred.column.label.split(' ')[0]} it is {ar_text(preferred.fit.anderson_rubin)}."
    powerless = [label.split(" ")[0] for label, kp in weak if kp < 1]
    none = (f" In {', '.join(powerless)} the first stage has essentially no power (KP-F below 1): those IV point "
            "estimates and standard errors are meaningless." if powerless else "")
    return (f"**The instrument is weak under two-way clustering** (Kleibergen–Paap F below {WEAK_F:g}: {shown}). "
            "The 2SLS standard errors and stars of these columns are not reliable: read the **Anderson–Rubin "
            f"95% set** instead, which is valid however weak the instrument.{ar}{none}")


def ar_text(ar) -> str:
    """An Anderson–Rubin set in words: [a, b], (−∞, a] ∪ [b, ∞), the whole line, or why it is not computed."""
    if isinstance(ar, NotApplicable) or not getattr(ar, "applies", False):
        return f"not computed ({getattr(ar, 'reason', '')})" if getattr(ar, "reason", "") else "not computed"
    if ar.kind == "interval":
        return f"[{ar.low:.3f}, {ar.high:.3f}]"
    if ar.kind == "two rays":
        return f"(−∞, {ar.low:.3f}] ∪ [{ar.high:.3f}, ∞)"
    return ar.kind


def iv_frame(result: SpilloversResult, panel: str) -> pd.DataFrame:
    """Each IV column beside its Anderson–Rubin set: β (se), KP-F, effective F, the AR 95% set and
    whether it excludes 0 (so whether the spillover is significant, robustly to a weak instrument)."""
    rows = []
    for column in IV_COLUMNS:
        res = result.columns[panel][column.key]
        if res.fit is None:
            rows.append({"column": column.label, "β": "n/a", "se": "", "KP-F": "", "effective F": "",
                         "Anderson–Rubin 95% set": "", "excludes 0": "", "note": res.unavailable})
            continue
        coef = res.fit.coefficient("dshare")
        estimate, se = estimate_cell(float(coef["estimate"]), float(coef["se"]), float(coef["p"]))
        ar = res.fit.anderson_rubin
        excludes = "" if not getattr(ar, "applies", False) else ("no" if ar.contains(0.0) else "yes")
        rows.append({"column": column.label, "β": estimate, "se": se, "KP-F": _stat(res.fit.kp_f),
                     "effective F": _stat(res.fit.effective_f, weak=False), "Anderson–Rubin 95% set": ar_text(ar),
                     "excludes 0": excludes, "note": ""})
    return pd.DataFrame(rows)


def _stat(test, weak: bool = True) -> str:
    value = getattr(test, "stat", None)
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:.2f}" + (" (weak)" if weak and value < WEAK_F else "")


def first_stage_frame(result: SpilloversResult, panel: str) -> pd.DataFrame:
    """The first stage of every IV column in full (ΔShare on ΔZ, the controls and the fixed effects)."""
    parts = []
    for column in IV_COLUMNS:
        res = result.columns[panel][column.key]
        if res.fit is None or res.fit.first_stage is None:
            continue
        frame = res.fit.first_stage.copy()
        frame.insert(0, "column", column.label)
        frame["first-stage F"] = _stat(res.fit.kp_f)
        frame["N"] = res.fit.nobs
        parts.append(frame)
    if not parts:
        return pd.DataFrame(columns=["column", "endogenous", "term", "estimate", "se", "t", "p", "ci_low", "ci_high"])
    return pd.concat(parts, ignore_index=True)


def heterogeneity_frame(result: SpilloversResult, panel: str) -> tuple[pd.DataFrame | None, str]:
    """(β_high and β_low with stars and SEs, sentence with the equality test), or (None, why not)."""
    h = result.heterogeneity.get(panel)
    if h is None:
        return None, "not estimated for this panel."
    if isinstance(h, NotApplicable):
        return None, f"not estimated: {h.reason}"
    coef = h.fit.coefficients.set_index("term")
    rows = []
    for term, label in (("dshare_high", f"ΔShare × high market access (≥ {h.cutoff_quantile:.0%} quantile)"),
                        ("dshare_low", "ΔShare × low market access")):
        if term not in coef.index:
            rows.append({"": label, "β": "n/a", "se": ""})
            continue
        estimate, se = estimate_cell(coef.loc[term, "estimate"], coef.loc[term, "se"], coef.loc[term, "p"])
        rows.append({"": label, "β": estimate, "se": se})
    test = h.equality
    if isinstance(test, NotApplicable):
        sentence = f"Equality test not applicable: {test.reason}."
    else:
        sentence = f"Equality β_high = β_low: {statistic_cell(test)}."
    regions = len(h.high_regions)
    first = ", ".join(f"{t.name.replace('first-stage F of dshare_', '')} {t.stat:.2f}"
                      for t in getattr(h.fit, "first_stage_f", ()) if hasattr(t, "stat"))
    note = (f"{sentence} {regions} high-market-access region(s); N = {h.fit.nobs:,}."
            + (f" First-stage F: {first}." if first else ""))
    return pd.DataFrame(rows), note


def placebo_frame(result: SpilloversResult, panel: str) -> pd.DataFrame:
    """Each placebo outcome's coefficient on ΔZ with stars, SE, p, N, or the reason it is not run."""
    frame = result.placebo.get(panel)
    if frame is None:
        return pd.DataFrame(columns=["outcome", "ΔZ", "se", "p", "N", "note"])
    rows = []
    for r in frame.itertuples():
        if pd.isna(r.estimate):
            rows.append({"outcome": r.description, "ΔZ": "", "se": "", "p": "", "N": "", "note": r.note})
            continue
        estimate, se = estimate_cell(r.estimate, r.se, r.p)
        rows.append({"outcome": r.description, "ΔZ": estimate, "se": se, "p": f"{r.p:.3f}", "N": f"{int(r.N):,}",
                     "note": r.note})
    return pd.DataFrame(rows)


def placebo_sentence(result: SpilloversResult, panel: str) -> str:
    frame = result.placebo.get(panel)
    if frame is None or frame["p"].isna().all():
        return "No placebo outcome could be estimated."
    low = frame.loc[frame["p"] < 0.1, "description"].tolist()
    if not low:
        return ("None of the placebo outcomes moves with the instrument (all p ≥ 0.1): no sign that ΔZ picks up "
                "pre-trends or other policies.")
    return (f"The instrument predicts {'; '.join(low)} (p < 0.1): a warning sign that ΔZ is correlated with "
            "pre-trends or other policies.")


def delta_message(result: SpilloversResult, estimate_id: int) -> tuple[bool, str]:
    """(available, Markdown) about δ = β/(σ − 1) of this estimate and where it goes."""
    spill, spec = result.spillover, result.spec
    goes = ("The model pages (Simple big-push model) take δ from the newest stored spillover estimate "
            "(`latest_spillover`).")
    if isinstance(spill, NotApplicable):
        return False, (f"**δ is not available**: {spill.reason}. Choose another preferred column in the settings. "
                       f"Estimate {estimate_id} is stored without δ. {goes}")
    weak = dict(weak_columns(result, "A"))
    preferred = result.columns["A"][spec.preferred]
    caution = ""
    if preferred.column.label in weak:
        caution = (f" Its instrument is weak (KP-F {weak[preferred.column.label]:.2f}): the SE understates the "
                   f"uncertainty; the Anderson–Rubin set for β is {ar_text(preferred.fit.anderson_rubin)}, i.e. for "
                   f"δ that set divided by σ − 1 = {spill.sigma - 1:g}.")
    return True, (f"**δ = {spill.delta:.4f}** (se {spill.se:.4f}) = β / (σ − 1) with β = {spill.beta:.4f} "
                  f"(se {spill.beta_se:.4f}), the {spill.source}, and σ = {spill.sigma:g}.{caution} Stored as "
                  f"estimate {estimate_id}. {goes}")


def counts_frame(result: SpilloversResult) -> pd.DataFrame:
    """Per panel: long-difference rows, firms, rows without a share, instrument or outcome."""
    names = {"observations": "rows (firm × difference)", "firms": "firms", "share_undefined": "share undefined",
             "instrument_undefined": "instrument undefined", "outcome_missing": "outcome missing"}
    return pd.DataFrame([{"panel": p, **{names.get(k, k): v for k, v in c.items()}} for p, c in result.counts.items()])


# --- the estimation sample -------------------------------------------------------------------

def ivreghdfe_command(result: SpilloversResult, panel: str) -> str:
    """The Stata command of the preferred column on the exported sample."""
    res = result.columns[panel][result.spec.preferred]
    controls = " ".join(res.controls)
    return (f"ivreghdfe dy {controls} (dshare = dz) if used, absorb(region sector sector_group diff_set) "
            "cluster(cl_region cl_group)")


def stata_sample(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The sample ready for Stata: text ids kept as strings, bools as 0/1 (done by stata_bytes), and the
    cluster and fixed-effect ids encoded as numbers (what ``egen group()`` makes) so absorb() and cluster()
    take them; returns (frame, variable labels)."""
    out = frame.copy()
    for column in ("region", "sector", "sector_group", "diff_set", "cl_region", "cl_group", "group"):
        if column in out and not pd.api.types.is_numeric_dtype(out[column]):
            codes = out[column].astype("string")
            out[column] = pd.Categorical(codes, categories=sorted(codes.dropna().unique()))
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            continue
        if pd.api.types.is_object_dtype(out[column]) or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].astype("string").fillna("").astype(object)
    labels = {c: SAMPLE_LABELS[c] for c in out.columns if c in SAMPLE_LABELS}
    return out, labels


# --- stored estimates ------------------------------------------------------------------------

def settings_text(settings: dict) -> str:
    diffs = differences_text(settings.get("differences", ()))
    return (f"{outcome_label(settings.get('outcome_a', ''))}; differences {diffs}; lag {settings.get('lag')}; "
            f"radius {settings.get('radius_km', 0):g} km; σ = {settings.get('sigma', 0):g}; preferred "
            f"{column_label(settings.get('preferred', '')).split(' ')[0]}")


def stored_table(stored: pd.DataFrame, audit: pd.DataFrame) -> pd.DataFrame:
    """The stored spillover estimates for reading, newest first."""
    columns = ["estimate", "created (UTC)", "Panel A outcome", "β (preferred)", "KP-F", "δ", "links",
               "complex table", "data changed since", "settings"]
    if stored.empty:
        return pd.DataFrame(columns=columns)

    def preferred(row, field):
        panel = (row["result"].get("panels") or {}).get("A") or {}
        return (panel.get(row["settings"].get("preferred")) or {}).get(field)

    def number(value, digits=4):
        return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"

    rows = []
    for _, row in stored.iterrows():
        complexes = (row["provenance"] or {}).get("complexes") or {}
        rows.append({
            "estimate": int(row["estimate_id"]), "created (UTC)": str(row["created_at"])[:19],
            "Panel A outcome": outcome_label(row["settings"].get("outcome_a", "")),
            "β (preferred)": number(preferred(row, "beta"), 3), "KP-F": number(preferred(row, "kp_f"), 2),
            "δ": number(row["result"].get("delta")), "links": row["links"],
            "complex table": complexes.get("file_name") or "",
            "data changed since": "yes" if changed_since(audit, int(row["data_version"] or 0)) else "",
            "settings": settings_text(row["settings"])})
    return pd.DataFrame(rows, columns=columns)


def provenance_label(row: pd.Series) -> str:
    delta = row["result"].get("delta")
    value = "δ n/a" if delta is None else f"δ = {delta:.4f}"
    return f"Estimate {row['estimate_id']}: {value}, {row['links']} links, {str(row['created_at'])[:16]} UTC"


# --- Streamlit: running and reading -----------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=16)
def _stored(path: str, version: int) -> pd.DataFrame:
    return spillovers.stored_spillovers(ui.open_db(path))


def stored() -> pd.DataFrame:
    """The stored spillover estimates, newest first (cached until the data change)."""
    return _stored(*ui.data_key())


def run_estimate(spec: SpilloversSpec, links: str, complexes: pd.DataFrame | None = None,
                 complexes_name: str | None = None) -> SessionRun:
    """Estimate Table 1 and store it (audit-logged); raises EstimationError when the data cannot support it."""
    start = time.perf_counter()
    estimate_id, result = spillovers.estimate_spillovers(ui.db(), spec, ui.actor(), links=links, complexes=complexes,
                                                         complexes_name=complexes_name)
    seconds = time.perf_counter() - start
    row = stored().set_index("estimate_id").loc[estimate_id]
    return SessionRun(estimate_id=estimate_id, result=result, links=links,
                      data_version=int(row["provenance"]["data_version"]), seconds=seconds,
                      complexes_name=complexes_name)


def is_stale(run: SessionRun) -> bool:
    return changed_since(ui.read("audit_log", 1000), run.data_version)


def session_run() -> SessionRun | None:
    return st.session_state.get(keys.SPILLOVERS_RUN)



def estimate_from_form(make_spec, links: str, upload) -> SessionRun | None:
    """Press of Run: build the spec, read the uploaded complex table, estimate inside ``st.status`` and keep
    the run in the session; an EstimationError is kept (for :func:`show_run_error`) and None returned."""
    st.session_state.pop(keys.SPILLOVERS_ERROR, None)
    try:
        spec = make_spec()
        complexes = read_complexes(upload.name, upload.getvalue()) if upload is not None else None
        with st.status("Estimating: shares, instrument, long differences, Table 1, heterogeneity, placebo…") as status:
            try:
                run = run_estimate(spec, links, complexes, upload.name if upload is not None else None)
            except EstimationError:
                status.update(label="Not estimated", state="error")
                raise
            status.update(label=f"Estimate {run.estimate_id} stored ({run.seconds:.1f} s)", state="complete")
    except EstimationError as err:
        st.session_state[keys.SPILLOVERS_ERROR] = err
        return None
    st.session_state[keys.SPILLOVERS_RUN] = run
    return run
