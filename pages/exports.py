"""Exports: every stored result with its provenance, its tables in the paper's formats, compare runs,
and the replication bundle."""

import tempfile
from pathlib import Path

import streamlit as st

from workbench import bundle, export_tables, exports, ui
from workbench import state_keys as keys
from workbench import ui_exports as ux

ui.page_header("Exports & reproducibility", "Every stored result with its provenance; its tables as LaTeX, "
               "Markdown, CSV, XLSX or HTML; what changed between two results; and the replication bundle "
               "(docs/exports.md).")
stored = ux.stored()
if stored.empty:
    st.info("No result is stored yet: run the direct effects or the spillovers (Estimation), or calibrate the "
            "quantitative model (Models → Quantitative model), first.")
    st.stop()

st.subheader("Stored results")
shown = ux.results_frame(stored)
st.dataframe(shown, hide_index=True)
names = dict(zip(shown["result"].tolist(), shown["kind"]))


def name(result_id: int) -> str:
    return f"{result_id}: {names[result_id]}"


st.caption("Estimates and the quantitative model's runs (calibrations, counterfactuals, policy experiments), newest "
           "first. Figure 4 and the regional charts of a counterfactual run: on the Quantitative model page and "
           "`python -m workbench export --what figure4|regional`.")

st.subheader("Export a table")
by_id = stored.set_index("estimate_id", drop=False)
choices = [int(i) for i in by_id.index[by_id["kind"].isin(list(ux.KIND_WHAT))]]
chosen = st.selectbox("Result", choices, key=keys.EXPORTS_RESULT, format_func=name)
st.caption("Direct effects: the event study; spillovers: Table 1; robustness panels; calibrations: Table 2; "
           "counterfactual runs: Table 3. Policy runs and pooled η have no table.")
if chosen is not None:
    what = ux.KIND_WHAT[by_id.loc[chosen, "kind"]]
    layout = exports.table_layout(ui.db(), what, chosen)
    left, right = st.columns([1, 2])
    with left:
        columns = ux.edit_labels(layout.columns, "column", f"{keys.EXPORTS_LABELS}.{chosen}")
    with right:
        rows = ux.edit_labels(layout.row_labels(), "row", f"{keys.EXPORTS_ROW_LABELS}.{chosen}")
    st.caption("Edit a label to rename that column header or row label (variable name) in the table and every "
               "download; a cleared label keeps the original.")
    layout = layout.relabel(columns=columns, rows=rows)
    if layout.title:
        st.markdown(f"**{layout.title}**")
    st.dataframe(layout.frame(), hide_index=True)
    if layout.notes:
        st.caption(" ".join(layout.notes))
    with st.container(horizontal=True):
        for fmt in export_tables.TABLE_FORMATS:
            ui.download_bytes(fmt.upper(), lambda f=fmt: export_tables.render(layout, f), f"{what}-{chosen}",
                              export_tables.EXTENSIONS[fmt], "application/octet-stream")

st.subheader("Compare runs")
if len(stored) < 2:
    st.caption("Two stored results are needed.")
else:
    ids = [int(i) for i in stored["estimate_id"]]
    left, right = st.columns(2)
    a = left.selectbox("Result A", ids, index=1, key=keys.EXPORTS_COMPARE_A, format_func=name)
    b = right.selectbox("Result B", ids, index=0, key=keys.EXPORTS_COMPARE_B, format_func=name)
    diff = ux.compare_runs(by_id.loc[a], by_id.loc[b])
    if diff.empty:
        st.success("Same settings, data, links and code.")
    else:
        st.dataframe(diff, hide_index=True)

st.subheader("Replication bundle")
st.caption("Raw uploaded files, tables, figures, a provenance manifest and rebuild.py, which rebuilds a fresh "
           "database through the command line and checks every number (also: `python -m workbench bundle OUT.zip`).")
if st.button("Build the replication bundle", key=keys.EXPORTS_BUNDLE_BUTTON):
    with st.status("Building the bundle: raw files, tables, figures, manifest…") as status, \
            tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "bundle.zip"
        report = bundle.write_bundle(ui.db(), out)
        data = out.read_bytes()
        status.update(label=f"Bundle built ({len(data) / 1e6:.1f} MB)", state="complete")
    st.text(report)
    ui.download_bytes("Download the bundle", lambda: data, "replication-bundle", "zip", "application/zip")
