"""Altair charts of the quantitative model's page: pure functions of tidy frames (workbench/quant.py).

Like workbench/charts.py, each builder takes an optional ``note`` (e.g. "Synthetic demo data") shown as the
subtitle so that an exported image carries it, and returns a chart of fixed size.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from workbench.charts import _title, _year_axis

SCENARIO_COLORS = {"baseline": "#c0392b", "counterfactual": "#1f4e79", "data": "#2e8b57"}
SCENARIO_LABELS = {"baseline": "Baseline (big push)", "counterfactual": "No big push (s = 0)", "data": "Data"}
MEASURE_LABELS = {"gdp_share": "Heavy manufacturing's GDP share", "export_intensity": "Heavy export intensity",
                  "employment_share": "Heavy employment share"}
WIDTH, HEIGHT = 300, 220


def figure4_panel(paths: pd.DataFrame, measure: str, policy_years: list[int], note: str | None = None) -> alt.LayerChart:
    """Figure 4, one panel: the baseline, the counterfactual and (where observed) the data over the years,
    the policy periods shaded (each period is the 4 years ending in its calibration year)."""
    rows = paths[(paths["measure"] == measure) & paths["region"].isna()].assign(
        scenario_label=lambda f: f["scenario"].map(SCENARIO_LABELS))
    domain = [SCENARIO_LABELS[s] for s in SCENARIO_COLORS]
    lines = alt.Chart(rows).mark_line(point=True).encode(
        x=_year_axis(rows["year"]),
        y=alt.Y("value:Q", title=None, axis=alt.Axis(format="%")),
        color=alt.Color("scenario_label:N", title=None, scale=alt.Scale(domain=domain, range=list(SCENARIO_COLORS.values())),
                        legend=alt.Legend(orient="bottom")),
        strokeDash=alt.condition(alt.datum.scenario == "counterfactual", alt.value([5, 3]), alt.value([1, 0])),
        tooltip=[alt.Tooltip("year:Q", format="d"), "scenario_label:N", alt.Tooltip("value:Q", format=".2%")])
    domain = [int(rows["year"].min()) - 0.5, int(rows["year"].max()) + 0.5]
    shade = alt.Chart(pd.DataFrame({"start": [y - 4 for y in policy_years], "end": policy_years})).mark_rect(
        color="#999999", opacity=0.18).encode(x=alt.X("start:Q", scale=alt.Scale(domain=domain, nice=False)),
                                               x2="end:Q")
    return alt.layer(shade, lines, title=_title(MEASURE_LABELS[measure], note)).properties(width=WIDTH, height=HEIGHT)


def regional_map(regions: pd.DataFrame, value: str, title: str, legend: str, note: str | None = None) -> alt.Chart:
    """Regions at their centroids (Mercator), coloured by ``value`` (diverging around 0), ringed when
    subsidized; a map without boundaries, since no shapes are stored."""
    return alt.Chart(regions, title=_title(title, note)).mark_circle(size=160, opacity=0.9, stroke="#222222").encode(
        longitude="lon:Q", latitude="lat:Q",
        color=alt.Color(f"{value}:Q", title=legend, scale=alt.Scale(scheme="redblue", domainMid=0, reverse=True)),
        strokeWidth=alt.condition(alt.datum.subsidized, alt.value(2.5), alt.value(0)),
        tooltip=["region:N", "name:N", alt.Tooltip(f"{value}:Q", format=".2f"), "subsidized:N"],
    ).project(type="mercator").properties(width=360, height=420)


def regional_bars(regions: pd.DataFrame, value: str, title: str, axis: str, note: str | None = None) -> alt.Chart:
    """One bar per region, sorted, coloured by whether the region was subsidized."""
    frame = regions.assign(label=regions["name"].fillna(regions["region"]),
                           group=regions["subsidized"].map({True: "subsidized", False: "not subsidized"}))
    return alt.Chart(frame, title=_title(title, note)).mark_bar().encode(
        x=alt.X("label:N", sort="-y", title=None, axis=alt.Axis(labelAngle=-60)),
        y=alt.Y(f"{value}:Q", title=axis),
        color=alt.Color("group:N", title=None, scale=alt.Scale(domain=["subsidized", "not subsidized"],
                                                               range=["#c0392b", "#9aa5b1"])),
        tooltip=["region:N", "name:N", alt.Tooltip(f"{value}:Q", format=".3f"), "group:N"],
    ).properties(width=720, height=260)


def xi_fit(points: pd.DataFrame, note: str | None = None) -> alt.LayerChart:
    """ξ's fit (docs §12): log survival against log sales of the tail firms, demeaned by cell, with the
    line −α̂·log sales, one panel per model sector."""
    base = alt.Chart(points).encode(x=alt.X("log_sales:Q", title="log sales (demeaned by cell)"))
    dots = base.mark_circle(size=12, opacity=0.35, color="#1f4e79").encode(
        y=alt.Y("log_survival:Q", title="log(1 − H) (demeaned by cell)"))
    line = base.mark_line(color="#c0392b").encode(y="fitted:Q")
    return alt.layer(dots, line).properties(width=280, height=220).facet(
        column=alt.Column("sector:N", title=None), title=_title("Pareto tail of non-exporters' sales", note))


def fit_bars(frame: pd.DataFrame, title: str, note: str | None = None) -> alt.Chart:
    """Model against data, one pair of bars per moment (Table 2's fit)."""
    long = frame.melt(id_vars="label", value_vars=["model", "data"], var_name="source")
    return alt.Chart(long, title=_title(title, note)).mark_bar().encode(
        y=alt.Y("label:N", title=None, sort=None), x=alt.X("value:Q", title=None),
        yOffset="source:N", color=alt.Color("source:N", title=None,
                                            scale=alt.Scale(domain=["model", "data"], range=["#c0392b", "#2e8b57"])),
        tooltip=["label:N", "source:N", alt.Tooltip("value:Q", format=".4f")]).properties(width=520)


def uniform_grid(grid: pd.DataFrame, optimum: float, note: str | None = None) -> alt.LayerChart:
    """Welfare gain (%) against the uniform subsidy rate on the grid, the optimum marked."""
    line = alt.Chart(grid).mark_line(point=True, color="#1f4e79").encode(
        x=alt.X("rate:Q", title="uniform subsidy rate s (every region, policy periods)"),
        y=alt.Y("welfare_pct:Q", title="welfare gain ζ (%)"),
        tooltip=[alt.Tooltip("rate:Q", format=".3f"), alt.Tooltip("welfare_pct:Q", format=".3f"),
                 alt.Tooltip("gdp_share_pp:Q", format=".3f", title="Δ heavy GDP share (p.p.)")])
    rule = alt.Chart(pd.DataFrame({"rate": [optimum]})).mark_rule(color="#c0392b", strokeDash=[4, 3]).encode(x="rate:Q")
    return alt.layer(line, rule, title=_title("Uniform subsidy: welfare by rate (optimum dashed)", note)).properties(
        width=WIDTH * 2, height=HEIGHT)


def draws_histogram(rows: pd.DataFrame, value: str, axis: str, baseline: float, note: str | None = None) -> alt.LayerChart:
    """Histogram of an outcome over the randomized allocations, the calibrated allocation's value dashed."""
    bars = alt.Chart(rows).mark_bar(color="#9aa5b1").encode(
        x=alt.X(f"{value}:Q", bin=alt.Bin(maxbins=40), title=axis), y=alt.Y("count():Q", title="draws"))
    rule = alt.Chart(pd.DataFrame({value: [baseline]})).mark_rule(color="#c0392b", strokeDash=[4, 3]).encode(
        x=f"{value}:Q")
    return alt.layer(bars, rule, title=_title(f"Randomized allocations: {axis} (calibrated allocation dashed)", note)
                     ).properties(width=WIDTH, height=HEIGHT)
