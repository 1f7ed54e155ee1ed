"""Quantitative model: calibrate the multi-region, multi-sector big-push model to the stored data (Table 2)
and run the counterfactuals (Figure 4, Table 3) and policy experiments (Choi & Shim, Sections 5–6)."""

import pandas as pd
import streamlit as st

from estimation.direct_effects import EstimationError
from estimation.quant_inputs import QuantDataError
from models.quantitative import ModelError
from workbench import export_tables as et
from workbench import quant, ui
from workbench import quant_charts as qc
from workbench import state_keys as keys
from workbench import ui_quant as uq
from workbench.ui_linkage import LINKAGE_PAGE

ui.page_header("Quantitative model", "The multi-region, multi-sector, open-economy big-push model (Sections 5–6): "
               "η and δ from the estimation pages decide whether the temporary subsidy moved the economy to a more "
               "industrialized steady state. Derivation: docs/quantitative-model.md; inputs and runs: "
               "docs/quantitative-inputs.md.")
demo = ui.is_demo()
note = "Synthetic demo data" if demo else None
default = quant.QuantSettings()
linkage_run = ui.read_linkage("latest_run")

# --- settings ------------------------------------------------------------------------------------
st.subheader("1. Inputs and settings")
sources = ["final", "truth"] if demo else ["final"]
with st.expander("Settings", expanded=True), st.form(keys.QUANT_FORM, border=False):
    left, mid, right, far = st.columns(4)
    years = left.text_input("Calibration years (t = 1, 2, …)", ", ".join(map(str, default.years)), key=keys.QUANT_YEARS,
                            help="one model period is 4 years; the paper's are 1972, 1976, 1980")
    sigma = mid.number_input("σ", 1.5, 20.0, default.sigma, step=0.5, key=keys.QUANT_SIGMA,
                             help="elasticity of substitution (the paper's: 5)")
    theta_ratio = right.number_input("θ / (σ − 1)", 1.01, 5.0, default.theta_ratio, step=0.01, key=keys.QUANT_THETA_RATIO,
                                     help="Pareto shape relative to σ − 1 (the paper's: 1.06)")
    tax = far.number_input("Corporate statutory tax rate (first year)", 0.0, 0.9, default.tax_rate, step=0.01,
                           key=keys.QUANT_TAX_RATE, help="data: the calibration target of τ̄_heavy; the default is the "
                                                        "1972 rate Table 2 reports")
    left, mid, right, far = st.columns(4)
    eta_typed = left.toggle("Type η in", key=keys.QUANT_ETA_TYPED, help="off: the latest stored direct-effects estimate")
    eta = left.number_input("η", 1.0, 5.0, 1.25, step=0.01, key=keys.QUANT_ETA)
    delta_typed = mid.toggle("Type δ in", key=keys.QUANT_DELTA_TYPED, help="off: the latest stored spillover estimate")
    delta = mid.number_input("δ", 0.0, 10.0, 0.5, step=0.01, key=keys.QUANT_DELTA)
    xi_typed = right.toggle("Type ξ_heavy in", key=keys.QUANT_XI_TYPED,
                            help="off: estimated from the sales of non-exporters (Hill estimator)")
    xi = right.number_input("ξ_heavy", -0.79, 2.0, -0.3, step=0.01, key=keys.QUANT_XI)
    max_evaluations = far.number_input("Most model evaluations", 10, 5000, default.max_evaluations, step=50,
                                       key=keys.QUANT_MAX_EVALUATIONS)
    left, mid, right, far = st.columns(4)
    highway = left.number_input("Highway time reduction", 0.0, 0.95, default.highway_reduction, step=0.01,
                                key=keys.QUANT_HIGHWAY, help="the Gyeongbu Expressway (the paper's: 66 %)")
    goods = mid.number_input("(σ − 1)v, goods", 0.0, 10.0, default.trade_elasticity_goods, step=0.01, key=keys.QUANT_GOODS,
                             help="distance elasticity of trade costs, commodities and manufacturing (the paper's: 1.29)")
    services = right.number_input("(σ − 1)v, services", 0.0, 10.0, default.trade_elasticity_services, step=0.1,
                                  key=keys.QUANT_SERVICES, help="the paper's: 3.8")
    links = far.radio("Links of contracts to firms", sources, horizontal=True, key=keys.QUANT_LINKS,
                      index=0 if linkage_run is not None or not demo else sources.index("truth"))
    left, mid, _, _ = st.columns(4)
    hold = left.toggle("Hold κ at a value", value=demo, key=keys.QUANT_HOLD_KAPPA,
                       help="hold the Pareto upper bound and calibrate the other five parameters when the share of "
                            "regions with adoption cannot be matched together with the adopter shares — as on the "
                            "demo, whose regions without adopters are small-sample zeros (on by default there; "
                            "docs/quantitative-calibration.md §5)")
    kappa = mid.number_input("κ", 1.05, 100.0, 3.0, step=0.1, key=keys.QUANT_KAPPA)
    check, calibrate_button = st.columns([1, 5])
    check.form_submit_button("Check inputs", key=keys.QUANT_CHECK_BUTTON,
                             help="read the inputs with these settings without calibrating")
    calibrate = calibrate_button.form_submit_button("Calibrate", type="primary", icon=":material/tune:",
                                                    key=keys.QUANT_CALIBRATE_BUTTON)

try:
    settings = uq.settings_from_form(years, links, sigma, theta_ratio, eta if eta_typed else None,
                                     delta if delta_typed else None, tax, highway, goods, services,
                                     xi if xi_typed else None, int(max_evaluations), kappa if hold else None)
    assembly = uq.read("assemble", settings)
except (QuantDataError, ModelError) as err:
    assembly = None
    problems = err.problems if isinstance(err, QuantDataError) else [str(err)]
    st.warning("The stored data cannot feed the model yet:\n" + "\n".join(f"- {p}" for p in problems),
               icon=":material/warning:")
    st.caption("The tables it reads are under **Model inputs** (format: docs/model-inputs-format.md).")
except EstimationError as err:
    assembly = None
    ui.show_estimation_error(err, "", LINKAGE_PAGE)

if assembly is not None:
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**External inputs**")
        st.dataframe(uq.inputs_frame(assembly), hide_index=True)
    with right:
        st.markdown("**Targeted moments (data)**")
        st.dataframe(uq.targets_frame(assembly), hide_index=True,
                     column_config={"data": st.column_config.NumberColumn(format="%.4f")})
    for line in assembly.notes:
        st.caption(f"Note: {line}")
    with st.expander("Constraint data by year and sector (they pin the fundamentals φ^min, P^f, D^x)"):
        constraints = uq.constraints_frame(assembly)
        st.dataframe(constraints, hide_index=True)
        ui.download_frame(constraints, "quant-constraint-data")
    with st.expander("Regions: population, subsidy, initial adoption"):
        st.dataframe(assembly.regions, hide_index=True)
        ui.download_frame(assembly.regions, "quant-regions")
    if assembly.xi is not None:
        with st.expander("ξ from the firm-size distribution (Hill estimator among non-exporters)"):
            st.dataframe(assembly.xi.table, hide_index=True)
            st.caption("θ/(σ(1 + ξ) − 1) is the Pareto tail exponent of non-exporters' sales within region × sector "
                       "× year cells (docs/quantitative-model.md §12). Only heavy manufacturing's ξ enters the model "
                       "(the paper: no distortions elsewhere); light's is shown for comparison.")
            ui.download_frame(assembly.xi.table, "quant-xi")
            ui.show_chart(qc.xi_fit(assembly.xi.fit, note), "quant-xi-fit", assembly.xi.fit)
    st.caption("**Calibrate** fits F^T, F^x (light, heavy), s̄, κ and τ̄_heavy to the moments above while the "
               "fundamentals match the constraint data exactly, then stores the calibration with its provenance "
               "(audit log: *estimate*). It solves the whole model many times.")
    if calibrate:
        uq.calibrate_with_progress(settings)

# --- stored calibrations ----------------------------------------------------------------------------
st.subheader("2. Calibration (Table 2)")
runs = uq.read("stored_runs", quant.CALIBRATION)
if runs.empty:
    st.info("No calibration is stored yet: check the inputs above and press **Calibrate**.")
    st.stop()
ids = runs["run_id"].tolist()
chosen = st.session_state.get(keys.QUANT_CALIBRATION)
run_id = st.selectbox("Calibration shown", ids, index=ids.index(chosen) if chosen in ids else 0,
                      format_func=lambda i: uq.calibration_label(i, runs))
stored = uq.read("load_calibration", run_id)
summary = stored.summary
if not stored.converged:
    st.warning(f"Calibration {run_id} did not converge: {summary['message']}. Its fit is shown so you can see "
               "why; no counterfactual runs on it.", icon=":material/warning:")
table2 = quant.table2(stored)
table2_shown = et.calibration_layout(table2).frame()             # as exported: 4 significant digits
st.dataframe(table2_shown, hide_index=True, height=35 * (len(table2_shown) + 1) + 3)
with st.container(horizontal=True):
    ui.download_frame(table2, f"quant-table2-run{run_id}", "Table 2 (CSV)")
    ui.download_xlsx(table2, f"quant-table2-run{run_id}", "Table 2 (Excel)")
st.caption(f"Objective (sum of squared relative deviations) {summary['objective']:.3g} after "
           f"{summary['evaluations']} model evaluations, {summary['seconds']:.0f} s. Subsidized regions: "
           f"{len(stored.subsidized_regions)} of {stored.spec.n_regions}.")
fit = uq.fit_frame(summary)
ui.show_chart(qc.fit_bars(fit, "Model fit: targeted moments", note), f"quant-fit-run{run_id}", fit)
with st.expander("Constraints and non-targeted fit"):
    cons = pd.DataFrame(summary["constraints"])
    st.dataframe(cons, hide_index=True)
    ui.download_frame(cons, f"quant-constraints-run{run_id}")
with st.expander("Settings and provenance of this calibration"):
    st.json({"settings": stored.settings.as_dict(), "provenance": stored.provenance, "notes": summary["notes"]},
            expanded=1)
with st.expander("All stored calibrations"):
    st.dataframe(uq.stored_calibrations_frame(runs), hide_index=True)

# --- counterfactuals --------------------------------------------------------------------------------
st.subheader("3. The big push against no big push (Figure 4, Table 3)")
with st.form(keys.QUANT_CF_FORM, border=False):
    left, mid, right = st.columns([1, 2, 2])
    discount = left.number_input("Discount factor β (per 4-year period)", 0.01, 0.99, quant.PAPER_DISCOUNT, step=0.01,
                                 key=keys.QUANT_DISCOUNT, help="welfare's discount factor (the paper's: 0.85)")
    scenarios = mid.checkbox("With Panel C's alternative scenarios", True, key=keys.QUANT_SCENARIOS,
                             help="six more pairs of paths: foreign demand and tariffs held, no highway, no internal "
                                  "heavy trade, ξ lowered and τ̄ raised 10 %, during the policy periods")
    run_cf = right.form_submit_button("Run counterfactuals", type="primary", icon=":material/play_arrow:",
                                      disabled=not stored.converged, key=keys.QUANT_CF_BUTTON)
if run_cf:
    uq.run_with_progress("Solving the baseline and the counterfactual paths…", "Counterfactual run",
                         lambda progress: quant.run_counterfactuals(ui.db(), ui.actor(), run_id, discount, scenarios,
                                                                    progress=progress))
mine = uq.runs_for(quant.COUNTERFACTUALS, run_id)
if mine.empty:
    st.info("No counterfactual is stored for this calibration yet: press **Run counterfactuals**.")
    st.stop()
cf = mine.iloc[0]["result"]
cf_id = int(mine.iloc[0]["run_id"])
st.caption(f"Counterfactual run {cf_id}: the baseline has s̄ = {stored.subsidy_rate:.4f} in the "
           f"{len(stored.subsidized_regions)} subsidized regions in the periods ending "
           f"{', '.join(map(str, cf['policy_years']))} (shaded), against s = 0; welfare with "
           f"β = {cf['discount']:g}{' (the paper’s)' if cf['discount_is_papers'] else ''}.")
paths = pd.DataFrame(cf["time_paths"])
for column, measure in zip(st.columns(3), qc.MEASURE_LABELS):
    with column:
        ui.show_chart(qc.figure4_panel(paths, measure, cf["policy_years"], note),
                      f"quant-figure4-{measure}-run{cf_id}", paths[paths["measure"] == measure])
st.markdown("**Panel A. Steady-state differences (baseline − counterfactual)**")
panel_a = quant.panel_a_frame(cf)
st.dataframe(panel_a, hide_index=True)
ui.download_frame(panel_a, f"quant-table3a-run{cf_id}", "Panel A (CSV)")
left, right = st.columns(2)
with left:
    st.markdown("**Panel B. Δ aggregate output by sector (%)**")
    panel_b = quant.panel_b_frame(cf)
    st.dataframe(panel_b, hide_index=True)
    ui.download_frame(panel_b, f"quant-table3b-run{cf_id}", "Panel B (CSV)")
with right:
    st.markdown("**Panel C. Alternative scenarios: Δ heavy GDP share (p.p.)**")
    panel_c = quant.panel_c_frame(cf)
    if panel_c.empty:
        st.caption("Not run (tick *With Panel C's alternative scenarios*).")
    else:
        st.dataframe(panel_c, hide_index=True)
        ui.download_frame(panel_c, f"quant-table3c-run{cf_id}", "Panel C (CSV)")
regions = pd.DataFrame(cf["regions"])
left, right = st.columns(2)
with left:
    ui.show_chart(qc.regional_map(regions, "d_gdp_share_pp", "Δ heavy GDP share by region (p.p.)", "p.p.", note),
                  f"quant-map-gdp-run{cf_id}", regions)
with right:
    ui.show_chart(qc.regional_map(regions, "welfare_pct", "Welfare gain by region (%)", "%", note),
                  f"quant-map-welfare-run{cf_id}", regions)
ui.show_chart(qc.regional_bars(regions, "welfare_pct", "Consumption-equivalent welfare gain by region",
                               "welfare gain (%)", note), f"quant-welfare-bars-run{cf_id}", regions)

# --- policy experiments -------------------------------------------------------------------------------
st.subheader("4. Policy experiments")
with st.form(keys.QUANT_POLICY_FORM, border=False):
    left, mid, right = st.columns([1, 1, 3])
    draws = left.number_input("Randomized allocations", 10, 5000, 1000, step=100, key=keys.QUANT_DRAWS,
                              help="each draws as many subsidized regions as the calibration's, at s̄, at random")
    seed = mid.number_input("Seed", 0, 2**31 - 1, 0, key=keys.QUANT_SEED)
    run_policy = right.form_submit_button("Run policy experiments", type="primary", icon=":material/casino:",
                                          key=keys.QUANT_POLICY_BUTTON)
st.caption("A general subsidy (every heavy firm, adopter or not, at s̄ in the subsidized regions), the uniform "
           "subsidy that maximises welfare (all regions; a grid then a bounded refinement), and randomized "
           "allocations of s̄ with what predicts a stronger push (docs/quantitative-policy.md). 1,000 draws take a "
           "few minutes on two cores.")
if run_policy:
    uq.run_with_progress("Running the policy experiments…", "Policy run",
                         lambda progress: quant.run_policy(ui.db(), ui.actor(), run_id, int(draws), int(seed),
                                                           discount=discount, progress=progress))
ours = uq.runs_for(quant.POLICY, run_id)
if ours.empty:
    st.info("No policy experiment is stored for this calibration yet.")
    st.stop()
policy = ours.iloc[0]["result"]
policy_id = int(ours.iloc[0]["run_id"])
comparison = pd.DataFrame(policy["comparison"])
st.markdown(f"**Adoption against general subsidy** (policy run {policy_id}; steady-state differences against no subsidy)")
st.dataframe(comparison, hide_index=True)
ui.download_frame(comparison, f"quant-policy-comparison-run{policy_id}")
uniform = policy["uniform"]
grid = pd.DataFrame(uniform["grid"])
best = uniform["welfare"]
st.markdown(f"**Uniform subsidy**: welfare is highest at s = {best['rate']:.4f} (ζ = {best['value']:.3f} %"
            f"{', at the ' + best['at_bound'] + ' bound of the grid' if best['at_bound'] else ''}"
            f"{'; welfare is flat in s' if best['flat'] else ''}).")
ui.show_chart(qc.uniform_grid(grid, best["rate"], note), f"quant-uniform-run{policy_id}", grid)
rows = pd.DataFrame(policy["randomized"]["rows"])
base = uq.policy_baseline(policy)
st.markdown(f"**{len(rows)} randomized allocations** of s̄ to {policy['randomized']['n_subsidized']} regions "
            f"(seed {policy['randomized']['seed']})")
left, right = st.columns(2)
with left:
    ui.show_chart(qc.draws_histogram(rows, "welfare_pct", "welfare gain ζ (%)", base["welfare_pct"], note),
                  f"quant-draws-welfare-run{policy_id}", rows)
with right:
    ui.show_chart(qc.draws_histogram(rows, "gdp_share_pp", "Δ heavy GDP share (p.p.)", base["gdp_share_pp"], note),
                  f"quant-draws-gdp-run{policy_id}", rows)
regression = pd.DataFrame(policy["randomized"]["regression"])
st.markdown("**What predicts a stronger push**: OLS of each outcome on the draw's standardised characteristics, "
            "HC1 standard errors")
st.dataframe(regression, hide_index=True)
ui.download_frame(regression, f"quant-draws-regression-run{policy_id}")
