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
    st.info("No result is stored yet: run the direct effects or the spillovers (Estimation) first. Calibration "
            "(Table 2), counterfactuals (Table 3, Figure 4) and the regional charts are on the Quantitative model "
            "page once the model is calibrated.")
    st.stop()

st.subheader("Stored results")
st.dataframe(ux.results_frame(stored), hide_index=True)
st.caption("Calibration (Table 2), counterfactuals (Table 3), Figure 4 and the regional charts: on the Quantitative "
           "model page, each with its downloads, and `python -m workbench export --what calibration|counterfactuals|"
           "figure4|regional`.")

st.subheader("Export a table")
by_id = stored.set_index("estimate_id", drop=False)
choices = [int(i) for i in by_id.index[by_id["kind"].isin(list(ux.KIND_WHAT))]]
chosen = st.selectbox("Result", choices, key=keys.EXPORTS_RESULT)
if chosen is not None:
    row = by_id.loc[chosen]
    layout = exports.table_layout(ui.db(), ux.KIND_WHAT[row["kind"]], chosen)
    labels = st.data_editor({"label": list(layout.columns)}, key=keys.EXPORTS_LABELS, num_rows="fixed")
    layout = layout.relabel(dict(zip(layout.columns, labels["label"])))
    st.dataframe(layout.frame(), hide_index=True)
    with st.container(horizontal=True):
        for fmt in export_tables.TABLE_FORMATS:
            ui.download_bytes(fmt.upper(), lambda f=fmt: export_tables.render(layout, f),
                              f"{ux.KIND_WHAT[row['kind']]}-{chosen}", export_tables.EXTENSIONS[fmt],
                              "application/octet-stream")

st.subheader("Compare runs")
if len(stored) < 2:
    st.caption("Two stored results are needed.")
else:
    ids = [int(i) for i in stored["estimate_id"]]
    left, right = st.columns(2)
    a = left.selectbox("Result A", ids, index=1, key=keys.EXPORTS_COMPARE_A)
    b = right.selectbox("Result B", ids, index=0, key=keys.EXPORTS_COMPARE_B)
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
