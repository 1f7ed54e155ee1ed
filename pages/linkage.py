"""Linkage: run the contract-to-firm matcher, set the thresholds, see how the links stand."""

from dataclasses import replace

import streamlit as st

from workbench import charts, linkage, ui
from workbench import state_keys as keys
from workbench import ui_linkage as ul

ui.page_header("Linkage", "Each contract's domestic firm is matched to a balance-sheet firm by a Fellegi–Sunter "
               "model of the names and years (docs/linkage.md). Clear matches are linked automatically; "
               "the rest wait in the review queue.")
note = "Synthetic demo data" if ui.is_demo() else None
missing = ul.inputs_missing()
state = ul.state()
run = state.run

# --- run -----------------------------------------------------------------------------------
st.subheader("Run")
notice = st.empty()  # cleared when a run finishes on this page
if missing:
    notice.info(f"There are no {' and no '.join(missing)} yet: load them on the Data pages, then run the linkage.")
elif run is None:
    notice.info("The linkage has not been run on this database yet. Run it to score every contract against "
                "the balance-sheet firms; it takes a few seconds for a few hundred contracts.")
st.caption("A new run replaces the machine's candidates and scores. It **never overwrites reviewers' "
           "decisions**: they keep precedence, and where the new run disagrees with one it is listed "
           "under *Conflicts* for a person to resolve.")
current = linkage.run_settings(run)
with st.expander("Advanced settings of the run"):
    left, mid, right, far = st.columns(4)
    before = left.number_input("Years before a firm's first balance sheet", 0, 10, current.window_before,
                               key=keys.LINKAGE_WINDOW_BEFORE, help="a firm can sign before the reports print it")
    after = mid.number_input("Years after its last balance sheet", 0, 10, current.window_after,
                             key=keys.LINKAGE_WINDOW_AFTER)
    most = right.number_input("Candidates kept per contract", 1, 20, current.max_candidates,
                              key=keys.LINKAGE_MAX_CANDIDATES)
    margin = far.number_input("Margin over the runner-up (bits)", 0.0, 20.0, float(current.min_margin), 0.5,
                              key=keys.LINKAGE_MIN_MARGIN,
                              help="auto-accept only when the top candidate is 2^margin times likelier "
                                   "than the runner-up (3 bits = 8×)")
if st.button("Run linkage", type="primary", disabled=bool(missing), key=keys.LINKAGE_RUN_BUTTON,
             icon=":material/play_arrow:"):
    # The latest run's settings with these changed (the rest, e.g. the seed, are kept).
    settings = replace(current, accept=state.accept, review=state.review, min_margin=float(margin),
                       window_before=int(before), window_after=int(after), max_candidates=int(most))
    with st.status("Running the linkage: standardizing names, blocking, training, scoring…") as status:
        done = linkage.run_linkage(ui.db(), ui.actor(), settings)
        status.update(label=f"Linkage run {done.run_id} finished in {done.seconds:.1f} s", state="complete")
    notice.empty()
    state = ul.state()  # the new run's candidates (the data version changed)
    run, current = state.run, linkage.run_settings(state.run)
if run is None:
    st.stop()
cols = st.columns(5)
cols[0].metric("Contracts", f"{run['contracts']:,}")
cols[1].metric("Candidate pairs kept", f"{run['candidates']:,}")
cols[2].metric("Pairs compared (blocked)", f"{run['blocked_pairs']:,}")
cols[3].metric("Seconds", f"{run['seconds']:.1f}")
cols[4].metric("Input issues", f"{len(state.issues):,}")
st.caption(f"Run {run['run_id']} by {run['actor']} at {run['created_at']:%Y-%m-%d %H:%M} UTC: windows "
           f"−{current.window_before}/+{current.window_after} years, {current.max_candidates} candidates, "
           f"margin {state.min_margin:g} bits.")
for message in ul.run_notes(run):
    st.warning(message)

# --- thresholds ----------------------------------------------------------------------------
st.subheader("Thresholds")
st.caption("On the top candidate's match probability: from **accept** on (and with the margin over the "
           "runner-up) a contract is linked automatically; from **review** on it goes to the review queue; "
           "below, it has no candidate. Applied thresholds hold for this browser session, on this page and "
           "the Review queue; changing them never re-runs the model.")
if keys.LINKAGE_ACCEPT_SLIDER not in st.session_state:
    st.session_state[keys.LINKAGE_ACCEPT_SLIDER] = float(state.accept)
    st.session_state[keys.LINKAGE_REVIEW_SLIDER] = float(state.review)
left, right = st.columns(2)
new_accept = left.slider("Accept from", 0.0, 1.0, step=0.01, key=keys.LINKAGE_ACCEPT_SLIDER, format="%.2f")
new_review = right.slider("Review from", 0.0, 1.0, step=0.01, key=keys.LINKAGE_REVIEW_SLIDER, format="%.2f")
valid = new_review <= new_accept
changed = (round(new_accept, 4), round(new_review, 4)) != (round(state.accept, 4), round(state.review, 4))
if not valid:
    st.warning("*Review from* must not be above *Accept from*.")
elif changed:
    table = ul.effect(state, new_accept, new_review)
    st.markdown(f"Moving from accept {state.accept:.2f} / review {state.review:.2f} to accept {new_accept:.2f} "
                f"/ review {new_review:.2f}: " + ("; ".join(ul.moves(table)) or "no contract moves") + ".")
    st.dataframe(ul.effect_frame(table), hide_index=True)
    if ui.is_demo() and (now := ul.quality()) is not None:
        st.markdown(ul.quality_change(now, ul.quality(new_accept, new_review)))
    st.caption("Machine outcomes; contracts a reviewer decided keep their decision whatever the thresholds.")
else:
    st.caption(f"Applied: accept {state.accept:.2f}, review {state.review:.2f}. Move a slider to see which "
               "contracts would move before applying.")
with st.container(horizontal=True):
    if st.button("Apply these thresholds", type="primary", disabled=not (valid and changed),
                 key=keys.LINKAGE_APPLY_BUTTON):
        st.session_state[keys.LINKAGE_THRESHOLDS] = (float(new_accept), float(new_review))
        st.rerun()
    if st.button("Back to the run's thresholds", key=keys.LINKAGE_RESET_BUTTON,
                 disabled=keys.LINKAGE_THRESHOLDS not in st.session_state,
                 help=f"accept {current.accept:.2f}, review {current.review:.2f}"):
        st.session_state.pop(keys.LINKAGE_THRESHOLDS, None)
        for key in (keys.LINKAGE_ACCEPT_SLIDER, keys.LINKAGE_REVIEW_SLIDER):
            st.session_state.pop(key, None)
        st.rerun()

# --- summary -------------------------------------------------------------------------------
summary = ul.summary(state)
st.subheader("Links")
for column, (outcome, n) in zip(st.columns(len(ul.OUTCOMES)), ul.outcome_counts(summary).items()):
    column.metric(ul.OUTCOME_LABELS[outcome], f"{n:,}", help=ul.OUTCOME_HELP[outcome])
cols = st.columns(4)
cols[0].metric("Contracts linked to a firm", f"{summary.linked_share:.1%}")
cols[1].metric("Contract firm names linked", f"{summary.contract_firms_linked_share:.1%}",
               help="distinct firm names on the contracts with at least one linked contract")
cols[2].metric("Reviewed", f"{summary.reviewed:,}", help="contracts with a reviewer's link or not-in decision")
cols[3].metric("Still in the review queue", f"{summary.queue:,}")
done_share = summary.reviewed / (summary.reviewed + summary.queue) if summary.reviewed + summary.queue else 1.0
st.progress(done_share, text=f"{done_share:.0%} of the contracts that needed a reviewer are decided")
st.page_link(ul.REVIEW_PAGE, label="Work the review queue",
             icon=":material/rule:")
top = ul.top_scores(state)
if top.empty:
    st.info("No contract has a candidate firm, so there is no score to show.")
else:
    ui.show_chart(charts.score_histogram(charts.score_bins(top), state.accept, state.review, note),
                  "match-probabilities", top)
    st.caption(f"Machine outcomes of {len(top):,} contracts with a candidate ({summary.contracts - len(top):,} "
               "have none). Review items above the accept line failed the margin rule: a runner-up, "
               "often a near-twin name, is almost as likely.")

st.subheader("Conflicts")
if state.conflicts.empty:
    st.caption("None: the latest run agrees with every reviewer decision.")
else:
    st.markdown(f"**{len(state.conflicts):,}** reviewer decision(s) the latest run or the data disagree with. "
                "Decide again on the Review queue, or undo the decision on the Audit page.")
    conflicts = ul.with_contract_names(state.conflicts, state)
    st.dataframe(conflicts, hide_index=True, placeholder="")
    ui.download_frame(conflicts, "linkage-conflicts", "Download the conflicts (CSV)")
st.subheader("Input issues")
if state.issues.empty:
    st.caption("None: every contract could be scored.")
else:
    st.dataframe(ul.with_contract_names(state.issues, state), hide_index=True)
    ui.download_frame(state.issues, "linkage-issues", "Download the issues (CSV)")

# --- quality against the demo's truth ------------------------------------------------------
quality = ul.quality() if ui.is_demo() else None
if quality is not None:
    st.subheader("Quality against the true links (synthetic demo only)")
    st.caption("The demo economy was generated with known true links, so here the links can be scored; "
               "real archives have no such answer key. Targets from docs/linkage.md, under the applied "
               "thresholds.")
    st.dataframe(ul.quality_frame(quality), hide_index=True)
    missed = ul.quality_missed(quality)
    st.markdown(f"Targets missed: **{', '.join(missed)}**." if missed else "All targets are met.")
    if "Review queue share of contracts" in missed:
        st.caption("Why the queue target can be missed: firms whose names are one syllable apart "
                   "(해보특수강 / 해국특수강) leave the top candidate too close to a runner-up for the margin "
                   "rule, so a person decides (docs/linkage.md §9).")

# --- export and import ---------------------------------------------------------------------
st.subheader("Export links, import decisions")
links = linkage.export_links(state)
with st.container(horizontal=True):
    ui.download_frame(links, "links", "Links (CSV)")
    ui.download_xlsx(links, "links", "Links (Excel)")
st.caption("One row per contract: the final link, its source (machine or reviewer), score, decision and the "
           "top three candidates.")
ul.import_section()
