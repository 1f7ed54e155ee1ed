"""Review queue: decide, one contract at a time or many in a table, which firm signed each contract."""

import streamlit as st

from workbench import linkage, ui
from workbench import state_keys as keys
from workbench import ui_linkage as ul


def save(rows, contract_ids: list[str]) -> bool:
    """Store decisions; remember them for the progress line and the toast, or why they were refused."""
    result = linkage.record_decisions(ui.db(), rows, ui.actor())
    if not result.written:
        st.session_state[keys.REVIEW_REJECTED] = result.report
        return False
    st.session_state.setdefault(keys.REVIEW_DECIDED, {}).update(dict.fromkeys(contract_ids, True))
    for cid in contract_ids:
        st.session_state.pop(keys.review_item("picked", cid), None)
    text = ul.describe_decision(rows) if len(contract_ids) == 1 else f"{len(rows)} decision(s) saved"
    st.session_state[keys.REVIEW_LAST] = {"text": text, "change_set_id": result.change_set_id, "toast": True}
    return True


def decide(cid: str, shown_at, candidates, choice: str | None = None) -> None:
    """Callback of the form (choice and note from its widgets) and of the quick keys (``choice`` given).

    A callback runs before the page script, so the next contract shows in the same run. A key pressed
    twice quickly can reach the contract it was first pressed for again (the second press interrupts
    the first run, possibly after its write): a contract with a decision stored since it was shown
    (``shown_at``, UTC) is not decided again. The check reads the database, not session state."""
    if (by := ul.decided_since(cid, shown_at)) is not None:
        if by == ui.actor():  # the first press was saved, then interrupted before it was counted
            st.session_state.setdefault(keys.REVIEW_DECIDED, {})[cid] = True
        else:
            st.session_state[keys.REVIEW_REJECTED] = (
                f"{by} decided {cid} while it was shown here, so your choice was not saved; see the Audit "
                "log & undo page for what was decided.")
        return
    note = ""
    if choice is None:
        choice = st.session_state.get(keys.review_item("choice", cid))
        note = st.session_state.get(keys.review_item("note", cid)) or ""
    if choice is None:
        st.session_state[keys.REVIEW_REJECTED] = "Choose a firm or *not in the balance sheets* first."
        return
    save(ul.decision_rows(cid, choice, candidates, note), [cid])


def pick(cid: str) -> None:
    """A firm chosen from the search becomes an option of the form, selected."""
    firm = st.session_state.get(keys.review_item("search_pick", cid))
    if firm:
        st.session_state[keys.review_item("picked", cid)] = firm
        st.session_state[keys.review_item("choice", cid)] = firm


def skip(cid: str) -> None:
    st.session_state.setdefault(keys.REVIEW_SKIPPED, []).append(cid)


def show_rejected() -> None:
    """Why the last decision was not saved (once)."""
    rejected = st.session_state.pop(keys.REVIEW_REJECTED, None)
    if isinstance(rejected, str):
        st.warning(rejected)
    elif rejected is not None:
        ui.show_report(rejected, "review-decisions")


def one_at_a_time() -> None:
    pending = items[~items["contract_id"].isin(skipped)]
    if pending.empty:
        st.info(f"You skipped all {len(items):,} contracts left in the queue.")
        if st.button("Show the skipped contracts again", key=keys.REVIEW_UNSKIP_BUTTON):
            st.session_state[keys.REVIEW_SKIPPED] = []
            st.rerun()
        return
    item = pending.iloc[0]
    cid = item["contract_id"]
    key = lambda name: keys.review_item(name, cid)  # noqa: E731
    candidates = ul.candidate_view(state, cid)
    shown_at = ul.utc_now()
    picked_id = st.session_state.get(key("picked"))
    picked = ul.firm(picked_id) if picked_id else None
    outcome = state.machine.set_index("contract_id").at[cid, "outcome"]
    with st.container(border=True):
        st.markdown(f"### {ul.md(item['firm_name'])}")
        lines = ul.contract_lines(ul.contract(cid))
        left, right = st.columns(2)
        left.markdown("  \n".join(lines[:2]))
        right.markdown("  \n".join(lines[2:]))
    st.markdown(f"**Candidates from the balance sheets** — machine outcome *{outcome}*")
    if candidates.empty:
        st.info("The machine found no candidate firm for this name. Pick a firm with the search if you "
                "know it, or mark it as not in the balance sheets.")
    else:
        st.table(ul.candidate_table(candidates), hide_index=True)
    options = [*candidates["firm_id"]]
    if picked_id and picked_id not in options:
        options.append(picked_id)
    options += [ul.NOT_IN] + ([ul.REJECT_ALL] if len(candidates) else [])
    left, right = st.columns([3, 2], gap="large")
    with left, st.form(key("form"), enter_to_submit=True):
        st.radio("Which firm signed this contract?", options, index=0 if len(candidates) else None,
                 format_func=lambda o: ul.choice_label(o, candidates, picked), key=key("choice"))
        st.text_input("Note (optional; Enter saves)", key=key("note"),
                      placeholder="the evidence, e.g. same address in the 1975 report")
        st.form_submit_button("Save decision", type="primary", shortcut="Enter", icon=":material/check:",
                              key=key("submit"), on_click=decide, args=(cid, shown_at, candidates))
    with right:
        st.markdown("**Quick keys** — save at once, without a note")
        with st.container(horizontal=True):
            for rank, firm in zip(candidates["rank"].head(9), candidates["firm_id"]):
                st.button(f"Link #{rank}", key=key(f"quick_{rank}"), shortcut=str(rank), on_click=decide,
                          args=(cid, shown_at, candidates, firm))
            st.button("Not in the balance sheets", key=key("quick_not_in"), shortcut="N", on_click=decide,
                      args=(cid, shown_at, candidates, ul.NOT_IN))
            st.button("Skip for now", key=keys.REVIEW_SKIP_BUTTON, shortcut="S", icon=":material/skip_next:",
                      on_click=skip, args=(cid,))
        st.caption("**Enter** saves the choice in the form (the top candidate is preselected; click another, "
                   "add a note if you like). Keys work unless the cursor is in a text box.")
        with st.expander("Pick another firm", expanded=picked_id is not None or candidates.empty):
            text = st.text_input("Search the balance-sheet firms by name or id", key=key("search"),
                                 placeholder="e.g. 대한전선, daehan, F00123")
            found = ul.search(text) if text.strip() else None
            if found is not None and found.empty:
                st.caption("No firm matches.")
            elif found is not None:
                labels = {r.firm_id: f"{r.firm_id} · {r.name_variants} · {r.sector} · {r.region} · {r.years}"
                          for r in found.itertuples()}
                st.selectbox(f"{len(found)} firm(s) found — choose one to add it to the decision", list(labels),
                             index=None, format_func=labels.get, key=key("search_pick"), on_change=pick,
                             args=(cid,), placeholder="choose a firm")


def table_mode() -> None:
    st.caption("Set *decision* on the rows you can settle from the table (*link top*: the top candidate is the "
               "firm; *reject top*: it is not; *not in balance sheets*), leave the others, then save them all "
               "at once. Rows are the oldest contracts first.")
    limit = st.number_input("Rows shown", 10, 2000, 100, step=50, key=keys.REVIEW_TABLE_LIMIT, width=200)
    rows = ul.queue_table(state, items.head(int(limit)))
    generation = st.session_state.get(keys.REVIEW_TABLE_GENERATION, 0)
    edited = st.data_editor(
        rows, key=f"{keys.REVIEW_TABLE_EDITOR}.{generation}", hide_index=True, height=560, placeholder="",
        column_order=["decision", "firm_name", "year", "top_firm_names", "top_years", "match_probability",
                      "runner_up", "runner_up_probability", "note", "top_firm_id", "contract_id", "foreign_firm"],
        disabled=[c for c in rows.columns if c not in ("decision", "note")],
        column_config={
            "decision": st.column_config.SelectboxColumn("decision", options=list(ul.TABLE_DECISIONS),
                                                         required=True, width="medium"),
            "firm_name": st.column_config.TextColumn("contract's firm name"),
            "top_firm_names": st.column_config.TextColumn("top candidate's names", width="medium"),
            "top_years": "top's years",
            "match_probability": st.column_config.NumberColumn("probability", format="%.3f"),
            "runner_up": "runner-up's name",
            "runner_up_probability": st.column_config.NumberColumn("runner-up probability", format="%.3f"),
        })
    chosen = ul.table_decisions(edited)
    if st.button(f"Save {len(chosen):,} decision(s)", type="primary", disabled=chosen.empty,
                 key=keys.REVIEW_TABLE_SAVE, icon=":material/save:"):
        if save(chosen, list(dict.fromkeys(chosen["contract_id"]))):
            st.session_state[keys.REVIEW_TABLE_GENERATION] = generation + 1
            st.rerun()
        show_rejected()


ui.page_header("Review queue", "Contracts whose firm the machine could not settle. Every decision is saved "
               "with your reviewer name (sidebar) in the audit log and can be undone on the Audit log & undo "
               "page; a new linkage run never overwrites it.")
state = ul.state()
if state.run is None:
    st.info("There is nothing to review yet: the linkage has not been run on this database.")
    st.page_link(ul.LINKAGE_PAGE, label="Run the linkage on the Linkage page", icon=":material/join:")
    st.stop()

last = st.session_state.get(keys.REVIEW_LAST)
if last and last.pop("toast", False):
    st.toast(last["text"], icon=":material/check_circle:")
decided = st.session_state.setdefault(keys.REVIEW_DECIDED, {})
skipped = st.session_state.setdefault(keys.REVIEW_SKIPPED, [])

with st.container(horizontal=True, vertical_alignment="bottom"):
    mode = st.segmented_control("Mode", ["One at a time", "Table"], default="One at a time", required=True,
                                key=keys.REVIEW_MODE)
    include_none = st.toggle("Also contracts without a good candidate (outcome *none*)",
                             key=keys.REVIEW_INCLUDE_NONE)
items = ul.queue(state, include_none)
done = len(set(decided) - set(items["contract_id"]))  # decided this session and out of the queue
total = done + len(items)
st.progress(done / total if total else 1.0,
            text=f"**{done:,} of {total:,}** reviewed this session · **{len(items):,}** in the queue "
                 f"(accept {state.accept:.2f}, review {state.review:.2f}; set on the Linkage page)"
                 + (f" · {len(skipped):,} skipped" if skipped else ""))
if last:
    st.caption(f"Last saved: {last['text']} (change set {last['change_set_id']}) — undo it on the Audit log & "
               "undo page.")
show_rejected()
if items.empty:
    st.success("The review queue is empty: every contract is linked automatically, decided by a reviewer"
               + (" or has no candidate (turn on *Also contracts without a good candidate* to work those)."
                  if not include_none else "."), icon=":material/done_all:")
    st.stop()

if mode == "Table":
    table_mode()
else:
    one_at_a_time()
