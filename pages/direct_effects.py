"""Direct effects: winners vs losers, matched and stacked event study (Choi & Shim, Section 3.1)."""

import streamlit as st

from estimation.direct_effects import MATCHING_VARIABLES, EstimationError
from estimation.direct_effects.spec import CONTROLS
from workbench import charts, direct_effects, ui
from workbench import state_keys as keys
from workbench import ui_direct_effects as ude
from workbench.ui_linkage import LINKAGE_PAGE

ui.page_header("Direct effects", "Firms whose technology contract the foreign party canceled (losers) are matched "
               "with firms that adopted in the same year (winners); a stacked event study compares them year by "
               "year (eq. (3.1) of Choi & Shim; docs/direct-effects.md).")
demo = ui.is_demo()
note = "Synthetic demo data" if demo else None
linkage_run = ui.read_linkage("latest_run")
run = ude.session_run()

# --- settings and run --------------------------------------------------------------------------
if linkage_run is None:
    st.info("No linkage run exists yet, so there are no *final links* of contracts to firms. Run the linkage "
            "first" + (", or use the synthetic demo's true links below." if demo else "."),
            icon=":material/info:")
    st.page_link(LINKAGE_PAGE, label="Run the linkage on the Linkage page", icon=":material/join:")
sources = list(direct_effects.LINK_SOURCES) if demo else ["final"]
with st.expander("Settings", expanded=run is None), st.form(keys.DIRECT_EFFECTS_FORM, border=False):
    left, mid, right, far = st.columns([2, 1, 1, 1])
    outcome = left.selectbox("Outcome", ude.outcome_options(ude.numeric_balance_columns()),
                             format_func=ude.outcome_label, key=keys.DIRECT_EFFECTS_OUTCOME)
    k = mid.number_input("Winners per loser (k)", 1, 20, 3, key=keys.DIRECT_EFFECTS_K)
    window_lo = right.number_input("Window from (τ)", -10, -1, -5, key=keys.DIRECT_EFFECTS_WINDOW_LO)
    window_hi = far.number_input("Window to (τ)", 0, 15, 7, key=keys.DIRECT_EFFECTS_WINDOW_HI)
    left, right = st.columns([1.2, 3.8])
    exact_keys = left.multiselect("Match exactly on", ude.KEY_CHOICES, default=list(ude.KEY_CHOICES),
                                  key=keys.DIRECT_EFFECTS_EXACT_KEYS,
                                  help="the firm's value in its last balance sheet before the event year")
    variables = right.multiselect("Matching variables (Mahalanobis distance)", MATCHING_VARIABLES,
                                  default=list(MATCHING_VARIABLES), key=keys.DIRECT_EFFECTS_MATCHING_VARIABLES,
                                  help="measured in the year before the event; growths from two years before")
    left, mid, right, far = st.columns([2, 1, 1, 1])
    controls = left.multiselect("Controls", CONTROLS, key=keys.DIRECT_EFFECTS_CONTROLS,
                                help="credit: log(1 + directed credit); trade_fairs: participations")
    reps = mid.number_input("Wild bootstrap draws (0 = off)", 0, 99_999, 999, step=100,
                            key=keys.DIRECT_EFFECTS_BOOTSTRAP_REPS,
                            help="wild cluster bootstrap-t p-value of the β that makes η (Stata boottest)")
    sigma = right.number_input("σ (elasticity of substitution)", 1.01, 50.0, 5.0, step=0.5,
                               key=keys.DIRECT_EFFECTS_SIGMA)
    eta_tau = far.number_input("τ for η", 0, 15, 7, key=keys.DIRECT_EFFECTS_ETA_TAU,
                               help="η = exp(β_τ / (σ − 1)); the paper uses the long-run β_7")
    replacement = st.checkbox("Match with replacement (a winner may serve several losers)", True,
                              key=keys.DIRECT_EFFECTS_REPLACEMENT)
    links = st.radio("Links of contracts to firms", sources, format_func=ude.LINK_LABELS.get, horizontal=True,
                     index=0 if linkage_run is not None or not demo else sources.index("truth"),
                     key=keys.DIRECT_EFFECTS_LINKS)
    submitted = st.form_submit_button("Run", type="primary", icon=":material/play_arrow:",
                                      key=keys.DIRECT_EFFECTS_RUN_BUTTON)
st.caption("Run matches, stacks and estimates, then stores the estimate with its provenance (audit log: "
           "*estimate*). A few seconds on the demo; the bootstrap adds time.")
if submitted:
    st.session_state.pop(keys.DIRECT_EFFECTS_ERROR, None)
    try:
        spec = ude.build_spec(outcome, k, exact_keys, variables, replacement, window_lo, window_hi, controls,
                              reps, sigma, eta_tau)
        with st.status("Estimating: losers and winners, matching, stacking, event study"
                       + (", wild bootstrap…" if reps else "…")) as status:
            try:
                run = ude.run_estimate(spec, links)
            except EstimationError:
                status.update(label="Not estimated", state="error")
                raise
            status.update(label=f"Estimate {run.estimate_id} stored ({run.seconds:.1f} s)", state="complete")
        st.session_state[keys.DIRECT_EFFECTS_RUN] = run
    except EstimationError as err:
        st.session_state[keys.DIRECT_EFFECTS_ERROR] = err
error = st.session_state.get(keys.DIRECT_EFFECTS_ERROR)
ui.show_estimation_error(error, ude.error_hint(error) if error is not None else "", LINKAGE_PAGE)

# --- the estimate of this session ----------------------------------------------------------------
if run is None:
    st.info("Choose the settings and press **Run** to estimate. Earlier estimates are listed under "
            "*Stored estimates* below.")
else:
    result, fit, spec = run.result, run.result.fit, run.result.spec
    source = ("the synthetic demo's true links" if run.links == "truth"
              else f"the final links of linkage run {int(linkage_run['run_id'])}" if linkage_run is not None
              else "the final links")
    st.markdown(f"**Estimate {run.estimate_id}**: {spec.outcome} on {source}; {fit.n_matches:,} matches, "
                f"{fit.n_firms:,} firms, N = {fit.nobs:,}.")
    if ude.is_stale(run):
        st.warning("The data changed since this estimate was computed; press **Run** to estimate on the "
                   "current data.", icon=":material/history:")
    if fit.clusters.get("match", ude.FEW_CLUSTERS) < ude.FEW_CLUSTERS:
        st.caption(f"Only {fit.clusters['match']} matches: with so few clusters the analytic clustered standard "
                   "errors are unreliable; read the wild cluster bootstrap p alongside them.")

    st.subheader("Event study")
    chart_left, chart_right = st.columns(2)
    with chart_left:
        ui.show_chart(charts.event_study(ude.event_study_points(result), spec.window, fit.not_identified,
                                         spec.outcome, note), "direct-effects-event-study",
                      ude.coefficient_frame(result))
    with chart_right:
        ui.show_chart(charts.raw_means(ude.raw_means_long(result), spec.window, spec.outcome, note),
                      "direct-effects-raw-means", fit.raw_means)
    not_identified = (f" **Not identified: τ = {ude.taus_text(fit.not_identified)}** — no match observes a "
                      "winner and its loser then, so these periods have no estimate (marked n.i., not drawn)."
                      if fit.not_identified else "")
    st.caption(f"Left: β_τ with 95% confidence intervals (two-way clustered by match and firm, t({fit.df_t})); "
               f"β at {ude.tau_label(spec.reference)} is 0 by construction (the reference period, open diamond). "
               f"Right: mean {spec.outcome} of winners and losers in the regressed sample.{not_identified}")

    table_col, eta_col = st.columns([3, 2])
    with table_col:
        st.subheader("Coefficients")
        table = ude.coefficient_table(result)
        st.table(table, hide_index=True)
        st.caption(ude.table_notes(result))
        with st.container(horizontal=True):
            ui.download_frame(table, "direct-effects-table", "Table as shown (CSV)")
            ui.download_frame(ude.coefficient_frame(result), "direct-effects-coefficients",
                              "Coefficients, full precision (CSV)")
    with eta_col:
        st.subheader("Direct gain η")
        available, message = ude.eta_message(result, run.estimate_id)
        (st.success if available else st.warning)(message)

    balance, matching, sizes, sample = st.tabs(["Balance", "Matching", "Sample per event time",
                                                "Estimation sample"])
    with balance:
        st.dataframe(result.balance, hide_index=True, column_config={
            name: st.column_config.NumberColumn(label, format="%.3f") if name.startswith(("mean", "std", "p_"))
            else st.column_config.Column(label) for name, label in ude.BALANCE_LABELS.items()})
        st.caption("Means in the year before the event of the matched losers, their matched winners (once per "
                   "match served) and all adopters; Welch t-test p-values. Standardized difference = "
                   "(mean_L − mean_W) / √((s²_L + s²_W)/2); beyond ±0.25 is commonly read as imbalance.")
        ui.download_frame(result.balance, "direct-effects-balance", "Balance (CSV)")
        st.markdown("**Do pre-event observables predict cancellation?** "
                    + ude.statistic_sentence(result.cancellation_test))
        st.caption("A linear probability model of being a loser on the matching variables and event-year dummies, "
                   "over losers and all adopters, robust (HC1) F-test of the slopes. A small p says losers "
                   "differ from adopters before the event.")
    with matching:
        metrics = ude.count_metrics(result)
        for row in (metrics[:4], metrics[4:]):
            for column, (label, value, help_) in zip(st.columns(4), row):
                column.metric(label, value, help=help_)
        directory = ui.read_linkage("firm_directory")
        matches = ude.with_firm_names(result.matching.matches, directory)
        st.markdown(f"**Matches** ({result.matching.n_matches:,}; rank 0 is the loser, distance is Mahalanobis)")
        st.dataframe(matches, hide_index=True, column_config={"distance": st.column_config.NumberColumn(
            format="%.3f")})
        ui.download_frame(matches, "direct-effects-matches", "Matches (CSV)")
        unmatched = result.matching.unmatched
        st.markdown(f"**Unmatched losers** ({len(unmatched):,})")
        if unmatched.empty:
            st.caption("None: every loser found at least one winner.")
        else:
            st.dataframe(ude.reason_counts(unmatched), hide_index=True, width="content")
            st.dataframe(ude.with_firm_names(unmatched, directory), hide_index=True)
            ui.download_frame(unmatched, "direct-effects-unmatched", "Unmatched losers (CSV)")
    with sizes:
        frame = ude.sample_size_frame(result)
        st.dataframe(frame, hide_index=True, height="content")
        st.caption("Rows of the stacked sample per event time; *comparisons* are matches observing both a winner "
                   "and the loser then. A delayed loser's observations from its own adoption on are dropped, "
                   f"so late periods thin out. Dropped before estimation: {fit.singletons_dropped:,} singleton "
                   f"rows, {fit.missing_outcome_dropped:,} rows with a missing outcome or control.")
        ui.download_frame(frame, "direct-effects-sample-sizes", "Sample sizes (CSV)")
    with sample:
        data = direct_effects.estimation_sample(result)
        st.markdown(f"The stacked sample exactly as regressed: **{len(data):,} rows** (match × firm × year), "
                    f"{len(data.columns)} columns.")
        dta, labels, data_label = ude.stata_sample(data, spec.outcome, spec.controls)
        with st.container(horizontal=True):
            ui.download_frame(data, "direct-effects-sample", "CSV")
            ui.download_bytes("Stata (.dta)", lambda: ude.stata_bytes(dta, labels, data_label),
                               "direct-effects-sample", "dta", "application/x-stata-dta")
            ui.download_bytes("Parquet", lambda: ude.parquet_bytes(data), "direct-effects-sample", "parquet",
                               "application/vnd.apache.parquet")
        st.caption("In Stata (the .dta has the ids encoded as match and firm and the fixed-effect groups as mf "
                   "and my; format 118, UTF-8):")
        st.code(ude.reghdfe_command(spec.outcome, spec.controls), language="stata")
        st.dataframe(data.head(200), hide_index=True)

# --- robustness panel ------------------------------------------------------------------------------
st.subheader("Robustness")
if run is None:
    st.caption("Run an estimate first: the panel re-estimates its settings with one thing changed at a time.")
else:
    st.caption(f"The settings of estimate {run.estimate_id} re-estimated with one thing changed at a time: "
               "k = 1 … 5, other matching variables, controls for directed credit and trade fairs (the paper's "
               "Appendix C.6.1). Analytic two-way clustered SEs, no bootstrap. Tick rows to make η from their "
               "average β (\"the average coefficient across specifications\", Section 4).")
    if st.button("Run the robustness panel", key=keys.DIRECT_EFFECTS_ROBUSTNESS_BUTTON, icon=":material/tune:"):
        bar = st.progress(0.0, text="Robustness panel…")
        try:
            panel_id, table = direct_effects.run_robustness(
                ui.db(), run.result.spec, ui.actor(), run.links,
                progress=lambda done, total, label: bar.progress(done / total, text=f"{done + 1} of {total}: {label}"))
            st.session_state[keys.DIRECT_EFFECTS_ROBUSTNESS] = (panel_id, table, run.estimate_id)
        except EstimationError as err:
            ui.show_error(err)
        bar.empty()
    panel = st.session_state.get(keys.DIRECT_EFFECTS_ROBUSTNESS)
    if panel is not None and panel[2] == run.estimate_id:
        panel_id, table, _ = panel
        display = ude.robustness_display(table)
        if table["beta"].isna().all():
            st.warning(f"β_{run.result.spec.eta_tau} is identified in none of the specifications (see *note*); "
                       "choose an identified *τ for η* in the settings, run, and run the panel again.",
                       icon=":material/warning:")
        edited = st.data_editor(display, hide_index=True, key=keys.DIRECT_EFFECTS_ROBUSTNESS_EDITOR,
                                disabled=[c for c in display.columns if c != "use for η"],
                                height=36 * (len(display) + 1) + 3)
        st.caption(f"Stored as estimate {panel_id}. Stars: * p < 0.1, ** p < 0.05, *** p < 0.01. A row without β "
                   "says why in *note*.")
        ui.download_frame(table, "direct-effects-robustness", "Robustness panel (CSV)")
        chosen = ude.chosen_specifications(edited)
        if st.button("Store η from the average of the ticked rows", disabled=not chosen,
                     key=keys.DIRECT_EFFECTS_POOLED_BUTTON, type="primary"):
            try:
                gain_id, gain = direct_effects.store_pooled_gain(ui.db(), panel_id, chosen, ui.actor())
                st.success(f"Stored as estimate {gain_id}: η = {gain.eta:.4f} (se {gain.se:.4f}) from β̄ = "
                           f"{gain.beta_bar:.3f} over {len(chosen)} specification(s), σ = {gain.sigma:g}. "
                           "The model pages use the newest η.")
            except EstimationError as err:
                ui.show_error(err)

# --- stored estimates ------------------------------------------------------------------------------
stored = ude.stored()
ui.stored_estimates_section(stored, ude.stored_table(stored, ui.read("audit_log", 1000)), "direct-effects", "η",
                            "direct-effects", ude.provenance_label)
