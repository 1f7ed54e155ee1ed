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


def _title(text: str, note: str | None, offset=alt.Undefined) -> alt.Title:
    """Title with the note (e.g. "Synthetic demo data") as subtitle; ``offset`` leaves room below it."""
    return alt.Title(text, subtitle=note or "", anchor="start", offset=offset)


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


# --- direct effects (winners vs losers) ------------------------------------------------------

#: Colors of the direct-effects charts: estimates, the reference period, winners and losers.
EVENT_COLORS = {"estimate": "#1f4e79", "reference": "#a23b72", "winners": "#1f4e79", "losers": "#f2a541"}


#: Labels of rules set just above the plot, in the gap the titles leave (:func:`_event_title`).
ABOVE_PLOT = {"baseline": "bottom", "dy": -3}


def _event_axis(window: tuple[int, int]) -> alt.X:
    """Event time τ on a quantitative axis over the whole window, one tick per year."""
    lo, hi = window
    return alt.X("event_time:Q", title="Years since the event (τ)",
                 scale=alt.Scale(domain=[lo - 0.5, hi + 0.5], nice=False),
                 axis=alt.Axis(format="d", values=list(range(lo, hi + 1))))


def event_study(points: pd.DataFrame, window: tuple[int, int], not_identified=(), outcome: str = "",
                note: str | None = None) -> alt.LayerChart:
    """Choi & Shim's Figure 2: β_τ with 95% intervals by event time, a zero line, the reference
    period marked (its point at 0 with an open diamond and a dashed rule). ``points``: event_time,
    estimate, ci_low, ci_high, kind ("estimate" / "reference"). Periods in ``not_identified`` get
    no point, only an "n.i." mark at the foot of the axis."""
    estimates = points[points["kind"] == "estimate"]
    reference = points[points["kind"] == "reference"]
    x = _event_axis(window)
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#777777").encode(y="y:Q")
    ref_rule = alt.Chart(reference).mark_rule(color=EVENT_COLORS["reference"], strokeDash=[4, 3]).encode(x=x)
    ref_label = alt.Chart(reference.assign(label=reference["event_time"].map(
        lambda t: f"reference τ = {t:d}".replace("-", "−")))).mark_text(
        align="center", **ABOVE_PLOT, color=EVENT_COLORS["reference"], fontWeight="bold").encode(
        x=x, y=alt.value(0), text="label:N")
    bars = alt.Chart(estimates).mark_rule(color=EVENT_COLORS["estimate"], strokeWidth=1.5).encode(
        x=x, y=alt.Y("ci_low:Q", title=f"β_τ on {outcome} (95% CI)" if outcome else "β_τ (95% CI)"),
        y2="ci_high:Q")
    tooltip = [alt.Tooltip("event_time:Q", title="τ", format="d"), alt.Tooltip("estimate:Q", format=".3f"),
               alt.Tooltip("ci_low:Q", title="95% CI from", format=".3f"),
               alt.Tooltip("ci_high:Q", title="to", format=".3f")]
    ordered = points.sort_values("event_time")
    ordered = ordered.assign(segment=(ordered["event_time"].diff() != 1).cumsum())  # no line across a gap
    line = alt.Chart(ordered).mark_line(color=EVENT_COLORS["estimate"], opacity=0.35).encode(
        x=x, y="estimate:Q", detail="segment:N")
    dots = alt.Chart(estimates).mark_point(filled=True, size=60, color=EVENT_COLORS["estimate"]).encode(
        x=x, y="estimate:Q", tooltip=tooltip)
    ref_dot = alt.Chart(reference).mark_point(shape="diamond", filled=False, size=120, strokeWidth=2,
                                              color=EVENT_COLORS["reference"]).encode(
        x=x, y="estimate:Q", tooltip=[alt.Tooltip("event_time:Q", title="reference τ", format="d")])
    layers = [zero, ref_rule, ref_label, bars, line, dots, ref_dot]
    if len(not_identified):
        missing = pd.DataFrame({"event_time": list(not_identified), "label": "n.i."})
        layers.append(alt.Chart(missing).mark_text(baseline="bottom", dy=-4, color="#777777").encode(
            x=x, y=alt.YValue(alt.ExprRef("height")), text="label:N",
            tooltip=[alt.Tooltip("event_time:Q", title="not identified: τ", format="d")]))
    return alt.layer(*layers, title=_title("Winners vs losers: event-study coefficients", note, offset=16)).properties(
        width=WIDTH, height=HEIGHT)


def raw_means(means: pd.DataFrame, window: tuple[int, int], outcome: str = "",
              note: str | None = None) -> alt.LayerChart:
    """Mean outcome of winners and of losers by event time (Choi & Shim, Appendix Figure C.1), the
    event year (τ = 0) marked. ``means``: event_time, group ("winners" / "losers"), mean, firm_years."""
    x = _event_axis(window)
    color = alt.Color("group:N", title=None, legend=alt.Legend(orient="bottom", direction="horizontal"),
                      scale=alt.Scale(domain=["winners", "losers"],
                                      range=[EVENT_COLORS["winners"], EVENT_COLORS["losers"]]))
    lines = alt.Chart(means).mark_line(point=True).encode(
        x=x, y=alt.Y("mean:Q", title=f"Mean {outcome}" if outcome else "Mean outcome", scale=alt.Scale(zero=False)),
        color=color,
        tooltip=[alt.Tooltip("event_time:Q", title="τ", format="d"), "group:N",
                 alt.Tooltip("mean:Q", format=".3f"), alt.Tooltip("firm_years:Q", title="firm-years")])
    event = pd.DataFrame({"event_time": [0], "label": ["event year"]})
    rule = alt.Chart(event).mark_rule(color="#777777", strokeDash=[4, 3]).encode(x=x)
    label = alt.Chart(event).mark_text(align="center", **ABOVE_PLOT, color="#555555").encode(
        x=x, y=alt.value(0), text="label:N")
    return alt.layer(rule, label, lines, title=_title("Raw means of winners and losers", note, offset=16)).properties(
        width=WIDTH, height=HEIGHT)
