"""Spillovers: local spillovers and complementarity in adoption (Choi & Shim, Sections 3.2–3.3, Table 1)."""

import streamlit as st

from estimation.spillovers import SpilloversSpec
from estimation.spillovers.table import table1
from workbench import spillovers, ui
from workbench import state_keys as keys
from workbench import ui_direct_effects as ude
from workbench import ui_spillovers as usp
from workbench.ui_linkage import LINKAGE_PAGE

ui.page_header("Spillovers", "Does a firm adopt foreign technology, and grow, when more firms of its region and "
               "sector have adopted? Long differences instrumented by the adoption of business-group affiliates "
               "far away (eq. (3.3)–(3.4) of Choi & Shim, Table 1; docs/spillovers.md).")
demo = ui.is_demo()
linkage_run = ui.read_linkage("latest_run")
run = usp.session_run()
default = SpilloversSpec()

# --- settings and run --------------------------------------------------------------------------
if linkage_run is None:
    st.info("No linkage run exists yet, so there are no *final links* of contracts to firms. Run the linkage "
            "first" + (", or use the synthetic demo's true links below." if demo else "."),
            icon=":material/info:")
    st.page_link(LINKAGE_PAGE, label="Run the linkage on the Linkage page", icon=":material/join:")
sources = ["final", "truth"] if demo else ["final"]
with st.expander("Settings", expanded=run is None), st.form(keys.SPILLOVERS_FORM, border=False):
    left, mid, right, far = st.columns([2, 1, 1, 1])
    outcome = left.selectbox("Panel A outcome", usp.OUTCOMES_A, format_func=usp.outcome_label,
                             key=keys.SPILLOVERS_OUTCOME,
                             help="Panel B's outcome is always Δ 1[new contract]")
    radius = mid.number_input("Radius (km)", 0.0, 2000.0, default.radius_km, step=25.0, format="%.0f", key=keys.SPILLOVERS_RADIUS,
                              help="group affiliates count in the instrument only beyond this distance")
    lag = right.number_input("Lag of the share (years)", 0, 10, default.lag, key=keys.SPILLOVERS_LAG,
                             help="ΔShare and ΔZ are measured at t − lag")
    sigma = far.number_input("σ (elasticity of substitution)", 1.01, 50.0, default.sigma, step=0.5,
                             key=keys.SPILLOVERS_SIGMA, help="δ = β / (σ − 1)")
    left, mid, right = st.columns([2, 2, 1])
    differences = left.text_input("Long differences (start-end, comma-separated)",
                                  usp.differences_text(default.differences), key=keys.SPILLOVERS_DIFFERENCES,
                                  help="stacked, with a fixed effect per difference; the paper's are 1972-1979, "
                                       "1973-1980")
    iv_keys = [c.key for c in usp.IV_COLUMNS]
    preferred = mid.selectbox("Preferred column for δ", iv_keys, index=iv_keys.index(default.preferred),
                              format_func=usp.column_label, key=keys.SPILLOVERS_PREFERRED)
    complexes_file = st.file_uploader(
        "Industrial complexes (optional): CSV, XLSX or Parquet with region, year (designated), optionally sector "
        "and tax_favor", type=usp.COMPLEX_TYPES, key=keys.SPILLOVERS_COMPLEXES,
        help="without it, columns (6) and (8) of Table 1 are marked unavailable")
    links = st.radio("Links of contracts to firms", sources, format_func=ude.LINK_LABELS.get, horizontal=True,
                     index=0 if linkage_run is not None or not demo else sources.index("truth"),
                     key=keys.SPILLOVERS_LINKS)
    submitted = st.form_submit_button("Run", type="primary", icon=":material/play_arrow:",
                                      key=keys.SPILLOVERS_RUN_BUTTON)
st.caption("Run builds the long differences, estimates both panels of Table 1 (eight columns each), the "
           "heterogeneity and placebo checks, and stores the estimate with its provenance (audit log: *estimate*). "
           "A few seconds on the demo.")
if submitted:
    run = usp.estimate_from_form(lambda: usp.build_spec(outcome, radius, lag, sigma, differences, preferred), links,
                                 complexes_file) or run
error = st.session_state.get(keys.SPILLOVERS_ERROR)
ui.show_estimation_error(error, usp.error_hint(error) if error is not None else "", LINKAGE_PAGE)

# --- the estimate of this session ----------------------------------------------------------------
if run is None:
    st.info("Choose the settings and press **Run** to estimate. Earlier estimates are listed under "
            "*Stored estimates* below.")
else:
    result, spec = run.result, run.result.spec
    source = ("the synthetic demo's true links" if run.links == "truth"
              else f"the final links of linkage run {int(linkage_run['run_id'])}" if linkage_run is not None
              else "the final links")
    complex_note = (f"; industrial complexes from {run.complexes_name}" if run.complexes_name
                    else "; no industrial-complex table, so columns (6) and (8) are unavailable")
    st.markdown(f"**Estimate {run.estimate_id}** on {source}: long differences "
                f"{usp.differences_text(spec.differences)}, lag {spec.lag}, radius {spec.radius_km:g} km"
                f"{complex_note}.")
    if usp.is_stale(run):
        st.warning("The data changed since this estimate was computed; press **Run** to estimate on the "
                   "current data.", icon=":material/history:")

    st.subheader("Spillover δ for the models")
    available, message = usp.delta_message(result, run.estimate_id)
    (st.success if available else st.warning)(message)

    st.subheader("Table 1")
    for panel in result.columns:
        st.markdown(f"**{usp.panel_title(result, panel)}**")
        if (weak := usp.weak_message(result, panel)) is not None:
            st.warning(weak, icon=":material/warning:")
        st.table(usp.panel_table(result, panel), hide_index=True)
        for note in usp.unavailable_notes(result, panel):
            st.caption(f"Not estimated — {note}")
    st.caption("Standard errors in parentheses, two-way clustered by region and business group (an unaffiliated "
               "firm is its own group), t(G − 1); * p < 0.1, ** p < 0.05, *** p < 0.01. KP-F: Kleibergen–Paap "
               "rk Wald F of the first stage, *(weak)* under 10. AR: the Anderson–Rubin 95% set, valid however "
               "weak the instrument. n/a: the column cannot be estimated (reason above); nothing is filled in.")
    ui.download_frame(table1(result), "spillovers-table1", "Table 1 as shown (CSV)")

    iv_tabs = st.tabs([f"Panel {p}: IV and Anderson–Rubin" for p in result.columns]
                      + ["Heterogeneity", "Placebo", "Estimation samples"])
    for tab, panel in zip(iv_tabs, result.columns):
        with tab:
            frame = usp.iv_frame(result, panel)
            st.dataframe(frame, hide_index=True, column_config={"note": st.column_config.TextColumn(width="large")})
            st.caption("Each IV column beside its Anderson–Rubin 95% set: the values of β the data do not reject, "
                       "whatever the strength of the instrument. Two rays or the whole line mean the instrument is "
                       "too weak to bound β; *excludes 0* says whether the spillover is significant robustly.")
            ui.download_frame(frame, f"spillovers-iv-panel-{panel}", "IV columns (CSV)")
            with st.expander(f"First stage in full, Panel {panel} (ΔShare on ΔZ, controls and fixed effects)"):
                first = usp.first_stage_frame(result, panel)
                st.dataframe(first, hide_index=True, column_config={
                    c: st.column_config.NumberColumn(format="%.4f") for c in ("estimate", "se", "t", "p", "ci_low",
                                                                              "ci_high")})
                ui.download_frame(first, f"spillovers-first-stage-{panel}", "First stages (CSV)")
    hetero_tab, placebo_tab, sample_tab = iv_tabs[len(result.columns):]
    with hetero_tab:
        st.caption(f"The preferred column {usp.column_label(spec.preferred)} with ΔShare split by the region's "
                   f"initial market access (cut at the {spec.ma_cutoff:.0%} quantile across regions), instrumented "
                   "by ΔZ split the same way; Wald test of equal coefficients.")
        for panel in result.columns:
            frame, note = usp.heterogeneity_frame(result, panel)
            st.markdown(f"**Panel {panel}**")
            if frame is None:
                st.caption(note)
                continue
            st.columns([3, 2])[0].table(frame, hide_index=True)
            st.caption(note)
    with placebo_tab:
        st.caption("Validity checks (the paper's Appendix Tables C.19–C.20): each outcome regressed on ΔZ with the "
                   "fixed effects, the predicted group sales share and the two-way clusters. The instrument should "
                   "not predict them.")
        for panel in result.columns:
            st.markdown(f"**Panel {panel}**: {usp.placebo_sentence(result, panel)}")
            frame = usp.placebo_frame(result, panel)
            st.dataframe(frame, hide_index=True)
            ui.download_frame(frame, f"spillovers-placebo-{panel}", f"Placebo, Panel {panel} (CSV)")
    with sample_tab:
        st.dataframe(usp.counts_frame(result), hide_index=True)
        for panel in result.columns:
            data = spillovers.estimation_sample(result, panel)
            st.markdown(f"**Panel {panel}**: {len(data):,} rows (firm × long difference), "
                        f"{int(data['used'].sum()):,} used by the preferred column.")
            dta, labels = usp.stata_sample(data)
            name = f"spillovers-sample-{panel}"
            with st.container(horizontal=True):
                ui.download_frame(data, name, "CSV")
                ui.download_bytes("Stata (.dta)", lambda dta=dta, labels=labels, panel=panel: ude.stata_bytes(
                    dta, labels, f"Choi-Shim Table 1, Panel {panel} sample"), name, "dta", "application/x-stata-dta")
                ui.download_bytes("Parquet", lambda data=data: ude.parquet_bytes(data), name, "parquet",
                                  "application/vnd.apache.parquet")
            st.code(usp.ivreghdfe_command(result, panel), language="stata")
        st.caption("The .dta has region, sector, groups and clusters value-labelled (as `encode` makes them), "
                   "format 118 (UTF-8). *used* marks the rows of the preferred column after dropping missing values "
                   "and singleton fixed-effect groups.")

# --- stored estimates ------------------------------------------------------------------------------
stored = usp.stored()
ui.stored_estimates_section(stored, usp.stored_table(stored, ui.read("audit_log", 1000)), "spillover", "δ",
                            "spillovers", usp.provenance_label)
