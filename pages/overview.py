"""Overview: what is loaded, which years it covers, and the paper's Figure 1 from the loaded data."""

import streamlit as st

from workbench import charts, ui

ui.page_header("Overview", "What the database holds, year by year. Charts follow the loaded data; "
               "each can be downloaded as PNG, SVG or its data as CSV.")
with st.spinner("Summarizing the data…"):
    overview = ui.read("overview")
note = "Synthetic demo data" if ui.is_demo() else None

st.subheader("Rows per table")
PER_ROW = 5   # metrics per row: thirteen tables in one row squeeze every title
counts = list(overview.row_counts.itertuples())
for start in range(0, len(counts), PER_ROW):
    for column, row in zip(st.columns(PER_ROW), counts[start:start + PER_ROW]):
        column.metric(ui.TITLES[row.table], f"{row.rows:,}")

st.subheader("Coverage by year")
if overview.coverage.empty:
    st.info("No balance sheets are loaded yet, so there is no coverage to show.")
else:
    left, right = st.columns(2)
    with left:
        ui.show_chart(charts.firms_per_year(overview.coverage, note), "firms-per-year", overview.coverage)
    with right:
        ui.show_chart(charts.employment_missing(overview.coverage, note), "employment-missing",
                      overview.coverage)

st.subheader("Contracts per year")
if overview.contracts.empty:
    st.info("No contracts are loaded yet.")
else:
    ui.show_chart(charts.contracts_per_year(overview.contracts, note), "contracts-per-year",
                  overview.contracts)
    how = ("the final links of the Linkage page (automatic links and reviewers' decisions)"
           if overview.contracts_linked_by == "links" else
           "an exact match of its standardized firm name with balance-sheet names of one sector "
           "(run the linkage for the full split)")
    st.caption(f"A contract gets its firm's sector from {how}; the rest show as *unlinked*. "
               f"Linked share: **{overview.contracts_linked_share:.0%}** of contracts.")

st.subheader("Heavy manufacturing's share of sales")
if overview.heavy_share.empty:
    st.info("No sales are loaded yet (balance sheets with sales, and sectors marking heavy industry).")
else:
    ui.show_chart(charts.heavy_share(overview.heavy_share, note), "heavy-share", overview.heavy_share)
    st.caption("Choi & Shim's Figure 1 from the loaded data: Σ sales of heavy (HCI) sectors / Σ sales, "
               f"per year. Shaded: the Heavy and Chemical Industry drive, {charts.POLICY_WINDOW[0]}–"
               f"{charts.POLICY_WINDOW[1]}.")
