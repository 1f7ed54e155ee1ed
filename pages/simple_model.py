"""The simple big-push model (Choi & Shim, Section 4): steady states, multiplicity and the threshold subsidy,
fed by the stored η and δ (Figure 3, panels A–D)."""

from dataclasses import replace

import streamlit as st

from models import simple_big_push as sbp
from workbench import simple_model_charts as charts
from workbench import state_keys as keys
from workbench import ui
from workbench import ui_simple_model as usm

ui.page_header("Simple big-push model", "Choi & Shim, Section 4: one region, one sector, a closed economy; firms "
               "adopt at a fixed cost in units of the final good, and adoption raises everyone's productivity next "
               "period. What the estimated η and δ imply: one steady state or several, and how large a one-period "
               "push must be. Derivation and methods: docs/simple-model.md.")
eta_source, delta_source = usm.sources()
usm.follow_default(keys.SIMPLE_MODEL_ETA, eta_source.value)
usm.follow_default(keys.SIMPLE_MODEL_DELTA, delta_source.value)
usm.follow_default(keys.SIMPLE_MODEL_SIGMA, sbp.PAPER["sigma"])
usm.follow_default(keys.SIMPLE_MODEL_THETA, sbp.PAPER["theta"])
usm.follow_default(keys.SIMPLE_MODEL_SCALE, sbp.DEFAULT_SCALE)

# --- inputs --------------------------------------------------------------------------------------
st.subheader("Parameters")
cols = st.columns(5)
eta = cols[0].number_input("η: direct gain from adoption", min_value=1.0001, max_value=1000.0, step=0.01,
                           format="%.4f", key=keys.SIMPLE_MODEL_ETA, help="adopters' productivity is η times "
                           "non-adopters'; η = exp(β̄/(σ − 1)) from the winners-vs-losers estimate")
delta = cols[1].number_input("δ: spillover semi-elasticity", min_value=0.0, max_value=100.0, step=0.05,
                             format="%.4f", key=keys.SIMPLE_MODEL_DELTA,
                             help="everyone's productivity is exp(δ λ(t−1)): last period's adopter share spills over")
sigma = cols[2].number_input("σ: elasticity of substitution", min_value=2.001, max_value=100.0, step=0.1,
                             key=keys.SIMPLE_MODEL_SIGMA, help="the model needs σ > 2 (one static equilibrium)")
theta = cols[3].number_input("θ: Pareto shape of productivity", min_value=1.001, max_value=200.0, step=0.01,
                             key=keys.SIMPLE_MODEL_THETA, help="the model needs θ > σ − 1 (a finite price index)")
scale = cols[4].number_input("L/F^T: labour over fixed cost", min_value=1e-6, max_value=1e9, step=1.0,
                             format="%.3f", key=keys.SIMPLE_MODEL_SCALE,
                             help="only the ratio of labour L to the fixed adoption cost F^T matters (eq. 4.4)")
st.markdown(usm.source_line(eta_source, eta, sigma) + "  \n" + usm.source_line(delta_source, delta, sigma))
st.caption(f"The defaults σ = {sbp.PAPER['sigma']:g} and θ = {sbp.PAPER['theta']:g} are the paper's (Peters 2022; di "
           f"Giovanni et al. 2011). L/F^T has no estimate: {sbp.DEFAULT_SCALE:g} is a round default, so read the "
           "market-size results as *what if*. Every figure below is computed from these inputs.")
try:
    spec = sbp.SimpleModelSpec(sigma=sigma, theta=theta, eta=eta, delta=delta, scale=scale)
    report = usm.analysis(spec, None)
except (sbp.ModelError, sbp.SolverError) as err:
    st.error(f"These inputs cannot be solved: {err}.", icon=":material/error:")
    st.stop()
with st.container(horizontal=True):
    st.button("Reset η and δ to their sources", key=keys.SIMPLE_MODEL_RESET, on_click=usm.reset_inputs,
              disabled=(eta, delta) == (eta_source.value, delta_source.value),
              help=f"η = {eta_source.value:.4g}, δ = {delta_source.value:.4g}")
    if report.delta.exists and not report.delta.low <= delta <= report.delta.high:
        middle = round((report.delta.low + report.delta.high) / 2, 4)
        st.button(f"Try δ = {middle:g}, inside the multiplicity interval", key=keys.SIMPLE_MODEL_INTO_INTERVAL,
                  on_click=usm.set_input, args=(keys.SIMPLE_MODEL_DELTA, middle))

# --- verdict -------------------------------------------------------------------------------------
with st.container(border=True):
    st.markdown("\n".join(f"- {sentence}" for sentence in report.verdict()))
states = report.states
metrics = st.columns(5)
metrics[0].metric("Steady states", len(states.states))
metrics[1].metric("Lowest steady state", f"{states.states[0].share:.4f}",
                  help="S^Pre when there are several steady states; otherwise the only one")
metrics[2].metric("S^U", f"{states.unstable.share:.4f}" if states.unstable else "—",
                  help="the unstable steady state: the edge of the underdevelopment region [0, S^U]; "
                       "— with one steady state")
for column, kind in zip(metrics[3:], sbp.SUBSIDY_KINDS, strict=True):
    value, help_ = usm.threshold_metric(report.thresholds[kind])
    column.metric(f"Threshold s̲, {usm.SHORT_KIND[kind]}", value, help=help_)
note = usm.parameters_note(spec, eta_source, delta_source)

# --- panels A and B ------------------------------------------------------------------------------
left, right = st.columns(2, gap="large")
with left:
    curves = usm.map_frame(("λ(t) given λ(t−1)", spec), ("no spillovers (δ = 0)", replace(spec, delta=0.0)))
    ui.show_chart(charts.law_of_motion(curves, usm.steady_state_frame(states), "A. The law of motion and its "
                                       "steady states", note, usm.MAP_PALETTE, dashed=("no spillovers (δ = 0)",)),
                  "simple-model-law-of-motion", curves)
    st.caption("Steady states are where the red map crosses the 45° line; filled: stable (slope below 1), open: "
               "unstable. Without spillovers the map is flat and crosses once.")
with right:
    delta_max, eta_max = usm.panel_b_domain(spec, eta_source, delta_source, report.delta)
    band, grid = usm.panel_b(replace(spec, delta=0.0), delta_max, eta_max)
    ui.show_chart(charts.multiplicity_region(band, usm.estimate_points(spec, eta_source, delta_source), spec.a,
                                             delta_max, eta_max, note), "simple-model-multiplicity", grid)
    st.caption(f"Shaded: three steady states at that (δ, η), at σ = {sigma:g}, θ = {theta:g}, L/F^T = {scale:g}; "
               f"the edges are exact (docs/simple-model.md §4). Left of the dashed line δ = (σ − 1)/θ = {spec.a:.3f} "
               "the map is never steep enough for two. Whiskers: 95 % intervals of the stored estimates "
               + ("(δ has none: the paper's value)." if delta_source.ci is None else ".")
               + f" Data: the {usm.PANEL_B_SIZE} × {usm.PANEL_B_SIZE} grid of counts.")

# --- panels C and D ------------------------------------------------------------------------------
left, right = st.columns(2, gap="large")
with left:
    c1, c2 = st.columns(2)
    kind = c1.radio("Subsidy to", sbp.SUBSIDY_KINDS, format_func=sbp.KIND_LABELS.get, key=keys.SIMPLE_MODEL_SUBSIDY_KIND,
                    help="fixed costs: adopters pay (1 − s)F^T; input costs: adopters' unit cost is (1 − s)w/z. Both "
                         "are paid for by a tax on labour income that balances the budget")
    start = c2.radio("Start from", ("the low steady state", "a share I choose"), key=keys.SIMPLE_MODEL_START,
                     horizontal=False)
    c1, c2, c3 = st.columns([2, 1, 1])
    rate = c1.slider("Subsidy rate s (period 1 only)", 0.0, 0.99, 0.25, 0.01, format="%.2f",
                     key=keys.SIMPLE_MODEL_SUBSIDY_RATE)
    lam0 = c2.number_input("λ_0", 0.0, 1.0, 0.1, 0.01, format="%.3f", key=keys.SIMPLE_MODEL_LAMBDA0,
                           disabled=start == "the low steady state", help="the adopter share before period 1")
    periods = c3.number_input("periods", 5, 400, 30, 5, key=keys.SIMPLE_MODEL_PERIODS)
    chosen = report if start == "the low steady state" else usm.analysis(spec, float(lam0))
    threshold = chosen.thresholds[kind]
    target = usm.rate_just_above(threshold)
    if target is not None:
        st.button(f"Set s just above the threshold ({target:.0%})", key=keys.SIMPLE_MODEL_AT_THRESHOLD,
                  on_click=usm.set_input, args=(keys.SIMPLE_MODEL_SUBSIDY_RATE, target))
    subsidy = sbp.Subsidy(kind, float(rate))
    frame = usm.paths_frame(spec, chosen.lam0, subsidy, int(periods))
    ui.show_chart(charts.paths(frame, usm.steady_state_frame(states), note), "simple-model-paths", frame)
    st.caption(usm.push_caption(chosen, subsidy))
with right:
    factor = st.number_input("Second market size, × L/F^T", 0.05, 100.0, 1.5, 0.1, key=keys.SIMPLE_MODEL_SECOND_SCALE)
    larger = replace(spec, scale=scale * factor)
    names = (f"L/F^T = {scale:g}", f"L/F^T = {scale * factor:g}")
    curves = usm.map_frame((names[0], spec), (names[1], larger))
    both = usm.two_markets_states(states, usm.analysis(larger, None).states, names)
    ui.show_chart(charts.law_of_motion(curves, both, "D. Market size shifts the map", note,
                                       {names[0]: charts.MAP_COLOR, names[1]: charts.SECOND_MARKET_COLOR,
                                        "45° line": charts.DIAGONAL_COLOR}), "simple-model-market-size", curves)
    st.caption("A larger market raises the gain from adoption at every λ(t−1): the map shifts up, S^U falls and "
               "the underdevelopment region [0, S^U] shrinks (Proposition 2(ii)).")

# --- market size ---------------------------------------------------------------------------------
frame, interval = usm.market_frame(spec, chosen.lam0)
if interval.exists:
    ui.show_chart(charts.market_size(frame, scale, note), "simple-model-thresholds-by-market-size", frame)
    st.caption(f"Across L/F^T from {interval.low:.4g} to {interval.high:.4g}, where several steady states exist at "
               f"this η and δ (the input L/F^T = {scale:g} is {'inside' if interval.low <= scale <= interval.high else 'outside'}"
               f" that range); from λ_0 = {chosen.lam0:.4f}, as in panel C. A missing threshold means no one-period "
               "subsidy of that kind suffices there.")
else:
    st.caption(f"Market size: {interval.reason}.")
