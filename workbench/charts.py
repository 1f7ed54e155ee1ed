"""Altair charts of the Data overview: pure functions of the :class:`~workbench.services.Overview` frames.

Each builder takes a tidy frame and an optional ``note`` (shown as the
subtitle, e.g. "Synthetic demo data", so an exported image carries it) and
returns a chart of fixed size; the app stretches it to the page width, the
PNG/SVG export keeps the fixed size.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

#: The Heavy and Chemical Industry drive (Choi & Shim's policy window), inclusive years.
POLICY_WINDOW = (1973, 1979)

GROUP_COLORS = {"heavy": "#1f4e79", "light": "#f2a541", "unlinked": "#b8b8b8"}
WIDTH, HEIGHT = 640, 280


def _title(text: str, note: str | None) -> alt.Title:
    return alt.Title(text, subtitle=note or "", anchor="start")


def _year_axis(years: pd.Series, field: str = "year") -> alt.X:
    """A quantitative year axis without thousands separators, padded half a year each side."""
    domain = [int(years.min()) - 0.5, int(years.max()) + 0.5]
    return alt.X(f"{field}:Q", title="Year", scale=alt.Scale(domain=domain, nice=False),
                 axis=alt.Axis(format="d", tickMinStep=1))


def _year_bars(chart: alt.Chart, years: pd.Series) -> alt.Chart:
    """Bars one year wide (gaps where a year has no data) on the quantitative year axis."""
    return chart.transform_calculate(bar_start="datum.year - 0.4", bar_end="datum.year + 0.4").encode(
        x=_year_axis(years, "bar_start"), x2="bar_end:Q")


def firms_per_year(coverage: pd.DataFrame, note: str | None = None) -> alt.Chart:
    """Bars: firms with a balance sheet in each year."""
    chart = alt.Chart(coverage, title=_title("Firms per year (balance sheets)", note)).mark_bar(
        color=GROUP_COLORS["heavy"])
    return _year_bars(chart, coverage["year"]).encode(
        y=alt.Y("firms:Q", title="Firms observed", scale=alt.Scale(zero=True)),
        y2=alt.datum(0),
        tooltip=[alt.Tooltip("year:Q", format="d"), alt.Tooltip("firms:Q", title="firms")],
    ).properties(width=WIDTH, height=HEIGHT)


def employment_missing(coverage: pd.DataFrame, note: str | None = None) -> alt.Chart:
    """Line: share of the year's firms whose employment is missing."""
    return alt.Chart(coverage, title=_title("Firms with employment missing", note)).mark_line(
        point=True, color="#a23b72").encode(
        x=_year_axis(coverage["year"]),
        y=alt.Y("employment_missing_share:Q", title="Share of the year's firms",
                scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("year:Q", format="d"),
                 alt.Tooltip("employment_missing_share:Q", title="employment missing", format=".1%")],
    ).properties(width=WIDTH, height=HEIGHT)


def contracts_per_year(contracts: pd.DataFrame, note: str | None = None) -> alt.Chart:
    """Stacked bars: contracts approved per year, heavy / light / unlinked (all statuses)."""
    per_group = contracts.groupby(["year", "group"], as_index=False)["contracts"].sum()
    color = alt.Color("group:N", title="Firm's sector",
                      scale=alt.Scale(domain=list(GROUP_COLORS), range=list(GROUP_COLORS.values())))
    chart = alt.Chart(per_group, title=_title("Technology-adoption contracts per year", note)).mark_bar()
    stacked = chart.transform_stack(stack="contracts", as_=["stack_low", "stack_high"], groupby=["year"],
                                    sort=[alt.SortField("group")])
    return _year_bars(stacked, per_group["year"]).encode(
        y=alt.Y("stack_low:Q", title="Contracts approved"),
        y2="stack_high:Q",
        color=color,
        tooltip=[alt.Tooltip("year:Q", format="d"), "group:N", alt.Tooltip("contracts:Q", title="contracts")],
    ).properties(width=WIDTH, height=HEIGHT)


def heavy_share(shares: pd.DataFrame, note: str | None = None,
                window: tuple[int, int] = POLICY_WINDOW) -> alt.LayerChart:
    """Line: heavy manufacturing's share of total sales by year, the policy window shaded (Figure 1)."""
    start, end = window
    shade = pd.DataFrame({"start": [start - 0.5], "end": [end + 0.5],
                          "label": [f"HCI drive {start}–{end}"]})
    years = pd.concat([shares["year"], pd.Series([start, end])])
    band = alt.Chart(shade).mark_rect(color="#f6d7a7", opacity=0.6).encode(
        x=_year_axis(years, "start"), x2="end")
    label = alt.Chart(shade).mark_text(align="left", baseline="top", dx=4, dy=4, color="#8a5a00",
                                       fontWeight="bold").encode(x=_year_axis(years, "start"), y=alt.value(0),
                                                                 text="label:N")
    line = alt.Chart(shares).mark_line(point=True, color=GROUP_COLORS["heavy"]).encode(
        x=_year_axis(years),
        y=alt.Y("heavy_share:Q", title="Heavy share of total sales",
                scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("year:Q", format="d"),
                 alt.Tooltip("heavy_share:Q", title="heavy share", format=".1%")],
    )
    return alt.layer(band, label, line, title=_title(
        "Heavy manufacturing's share of sales, with the 1973–1979 policy window", note)).properties(
        width=WIDTH, height=HEIGHT)


#: Colors of the machine's outcomes on the linkage page.
OUTCOME_COLORS = {"auto": "#1f4e79", "review": "#f2a541", "none": "#b8b8b8"}


def score_bins(top: pd.DataFrame, width: float = 0.025) -> pd.DataFrame:
    """Contracts per match-probability bin and machine outcome: bin_start, bin_end, outcome, contracts.

    ``top`` has one row per contract with a candidate: match_probability (of the top candidate)
    and outcome (auto / review / none). Bins are ``width`` wide over [0, 1]; 1.0 falls in the last.
    """
    bins = int(round(1 / width))
    index = (top["match_probability"].clip(0, 1) / width + 1e-9).astype("int64").clip(upper=bins - 1)
    counts = (top.assign(bin=index).groupby(["bin", "outcome"], observed=True).size()
              .rename("contracts").reset_index())
    counts["bin_start"] = (counts["bin"] * width).round(4)
    counts["bin_end"] = ((counts["bin"] + 1) * width).round(4)
    order = {o: i for i, o in enumerate(OUTCOME_COLORS)}
    counts = counts.sort_values(["bin", "outcome"], key=lambda s: s.map(order) if s.name == "outcome" else s)
    return counts[["bin_start", "bin_end", "outcome", "contracts"]].reset_index(drop=True)


def score_histogram(bins: pd.DataFrame, accept: float, review: float, note: str | None = None) -> alt.LayerChart:
    """Stacked bars: contracts by their top candidate's match probability, colored by the machine's
    outcome, with the accept and review thresholds as vertical rules (a :func:`score_bins` frame)."""
    color = alt.Color("outcome:N", title="Machine outcome",
                      scale=alt.Scale(domain=list(OUTCOME_COLORS), range=list(OUTCOME_COLORS.values())))
    x = alt.X("bin_start:Q", title="Match probability of the top candidate",
              scale=alt.Scale(domain=[0, 1], nice=False), axis=alt.Axis(format=".1f", tickCount=10))
    bars = alt.Chart(bins).transform_stack(
        stack="contracts", as_=["stack_low", "stack_high"], groupby=["bin_start"],
        sort=[alt.SortField("outcome")]).mark_bar(stroke="white", strokeWidth=0.5).encode(
        x=x, x2="bin_end:Q",
        y=alt.Y("stack_low:Q", title="Contracts"), y2="stack_high:Q",
        color=color,
        tooltip=[alt.Tooltip("bin_start:Q", title="from", format=".2f"),
                 alt.Tooltip("bin_end:Q", title="to", format=".2f"), "outcome:N",
                 alt.Tooltip("contracts:Q", title="contracts")])
    lines = pd.DataFrame({"threshold": [accept, review],
                          "label": [f"accept {accept:.2f}", f"review {review:.2f}"]})
    rules = alt.Chart(lines).mark_rule(color="#a23b72", strokeDash=[4, 3], strokeWidth=1.5).encode(
        x="threshold:Q", tooltip=["label:N"])
    text = {"baseline": "top", "dy": 4, "color": "#a23b72", "fontWeight": "bold"}
    accept_label = alt.Chart(lines.head(1)).mark_text(align="right", dx=-4, **text).encode(
        x="threshold:Q", y=alt.value(0), text="label:N")
    review_label = alt.Chart(lines.tail(1)).mark_text(align="left", dx=4, **text).encode(
        x="threshold:Q", y=alt.value(0), text="label:N")
    return alt.layer(bars, rules, accept_label, review_label, title=_title(
        "Contracts by their top candidate's match probability", note)).properties(width=WIDTH, height=HEIGHT)
