"""Audit log & undo: every change set and audit entry, and undo of the newest change."""

import json

import streamlit as st

from workbench import services, ui
from workbench import state_keys as keys

ui.page_header("Audit log & undo", "Every upload, saved edit, demo load and undo is one change set with one "
               "audit entry. Nothing is ever deleted: undo archives what a change inserted and restores "
               "what it replaced.")

st.subheader("Undo")
undone = st.session_state.pop(keys.AUDIT_UNDO_RESULT, None)
if undone is not None:
    st.session_state.pop(keys.AUDIT_CONFIRM_UNDO, None)
    st.success(f"Undone — change set {undone.change_set_id}: {undone.summary}. {undone.rows_restored} row(s) "
               f"restored, {undone.rows_archived} row(s) archived; the undo is change set {undone.undo_id}.")
next_undo = ui.read("database_status").next_undo
if next_undo is None:
    st.info("There is nothing to undo.")
else:
    st.markdown(f"The newest change is **{next_undo}**. Undoing it restores the tables as they were before it; "
                "undo again to step further back.")
    confirmed = st.checkbox("Yes, undo this change", key=keys.AUDIT_CONFIRM_UNDO)
    if st.button("Undo last change", disabled=not confirmed, key=keys.AUDIT_UNDO_BUTTON):
        with st.spinner("Undoing…"):
            st.session_state[keys.AUDIT_UNDO_RESULT] = services.undo(ui.db(), ui.actor())
        st.rerun()

st.subheader("Change sets")
change_sets = ui.read("change_sets")
shown = change_sets.assign(undone=change_sets["undone_by"].notna())[
    ["change_set_id", "kind", "table_name", "mode", "file_name", "rows_inserted", "rows_archived", "actor",
     "created_at", "undone", "undone_by", "undoes", "file_sha256"]]
st.dataframe(shown, hide_index=True, placeholder="",
             column_config={"created_at": st.column_config.DatetimeColumn("time (UTC)"),
                            "file_sha256": st.column_config.TextColumn("sha256", width="small")})
ui.download_frame(shown, "change-sets", "Download the change sets (CSV)")

st.subheader("Audit log (newest first)")
log = ui.read("audit_log")
picked = st.dataframe(log, hide_index=True, placeholder="", on_select="rerun", selection_mode="single-row",
                      key=keys.AUDIT_LOG_TABLE,
                      column_config={"logged_at": st.column_config.DatetimeColumn("time (UTC)"),
                                     "details": st.column_config.TextColumn("details (JSON)")})
ui.download_frame(log, "audit-log", "Download the audit log (CSV)")
if not log.empty:
    rows = picked.selection.rows or [0]
    entry = log.iloc[rows[0]]
    with st.expander(f"Details of audit entry {entry['audit_id']}: {entry['summary']}", expanded=True):
        st.caption("Select a row of the log to see its details.")
        st.json(json.loads(entry["details"]) if entry["details"] else {}, expanded=2)
