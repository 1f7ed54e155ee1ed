"""Altair charts of the Simple model page (Choi & Shim's Figure 3, panels A–D): pure functions of tidy frames
(built by :mod:`workbench.ui_simple_model`). ``note`` is the subtitle, so an exported image carries the
parameters it was drawn with."""

from __future__ import annotations

import altair as alt
import pandas as pd

WIDTH, HEIGHT = 440, 470  # streamlit fits title, axes and legends into this height too
MAP_COLOR, DIAGONAL_COLOR, NO_SPILLOVER_COLOR = "#c0392b", "#1f4e79", "#2e8b57"
SECOND_MARKET_COLOR, SUBSIDY_COLOR, PLAIN_COLOR = "#f2a541", "#c0392b", "#7f7f7f"
BAND_COLOR, BOUND_COLOR = "#f6c89f", "#6b6b6b"
SHARE = alt.Scale(domain=[0, 1], nice=False)


def _title(text: str, note: str | None) -> alt.Title:
    return alt.Title(text, subtitle=note or "", anchor="start")


def _curve_encoding(palette: dict[str, str], dashed: tuple[str, ...]) -> dict:
    domain = list(palette)
    return {"color": alt.Color("curve:N", scale=alt.Scale(domain=domain, range=[palette[c] for c in domain]),
                               legend=alt.Legend(title=None, orient="bottom", columns=2, labelLimit=320)),
            "strokeDash": alt.StrokeDash("curve:N", legend=None, scale=alt.Scale(
                domain=domain, range=[[5, 4] if c in dashed else [1, 0] for c in domain]))}


def _steady_state_layers(states: pd.DataFrame) -> list[alt.Chart]:
    """Filled circles for stable steady states, open ones for unstable, each labelled (S^Pre, S^U, S^Ind)."""
    base = alt.Chart(states).encode(x=alt.X("share:Q", scale=SHARE), y=alt.Y("share:Q", scale=SHARE))
    points = base.mark_point(size=110, strokeWidth=2, color="#222", opacity=1).encode(
        fill=alt.Fill("stability:N", scale=alt.Scale(domain=["stable", "unstable"], range=["#222", "white"]),
                      legend=alt.Legend(title="steady state", orient="bottom")),
        tooltip=[alt.Tooltip("label:N", title="steady state"), alt.Tooltip("share:Q", format=".4f"),
                 "stability:N", alt.Tooltip("slope:Q", title="slope of the map", format=".3f")])
    labels = base.mark_text(align="right", dx=-9, dy=-10, fontSize=12, fontWeight="bold").encode(text="label:N")
    return [points, labels]


def law_of_motion(curves: pd.DataFrame, states: pd.DataFrame, title: str, note: str | None,
                  palette: dict[str, str], dashed: tuple[str, ...] = ()) -> alt.LayerChart:
    """Panels A and D: λ_t(λ_t−1) for each curve against the 45° line, steady states marked."""
    lines = alt.Chart(curves).mark_line(strokeWidth=2.2, clip=True).encode(
        x=alt.X("lambda_prev:Q", title="λ(t−1): adopter share last period", scale=SHARE),
        y=alt.Y("lambda_t:Q", title="λ(t): adopter share this period", scale=SHARE),
        order="lambda_prev:Q", **_curve_encoding(palette, dashed),
        tooltip=["curve:N", alt.Tooltip("lambda_prev:Q", title="λ(t−1)", format=".3f"),
                 alt.Tooltip("lambda_t:Q", title="λ(t)", format=".4f")])
    layers = [lines, *(_steady_state_layers(states) if not states.empty else [])]
    return alt.layer(*layers, title=_title(title, note)).resolve_scale(fill="independent").properties(
        width=WIDTH, height=HEIGHT)


def multiplicity_region(band: pd.DataFrame, points: pd.DataFrame, slope_bound_delta: float, delta_max: float,
                        eta_max: float, note: str | None) -> alt.LayerChart:
    """Panel B: the (δ, η) plane, shaded where there are three steady states, with the estimates (95 %
    intervals) and the inputs; the dashed line δ = (σ − 1)/θ bounds the region from the left."""
    x_scale = alt.Scale(domain=[0, delta_max], nice=False)
    y_scale = alt.Scale(domain=[1, eta_max], nice=False)
    region = band.assign(region="three steady states; elsewhere one")
    area = alt.Chart(region).mark_area(orient="horizontal", clip=True, opacity=0.85).encode(
        y=alt.Y("eta:Q", title="η: direct gain from adoption", scale=y_scale),
        x=alt.X("delta_low:Q", title="δ: spillover semi-elasticity", scale=x_scale), x2="delta_high:Q",
        color=alt.Color("region:N", scale=alt.Scale(range=[BAND_COLOR]),
                        legend=alt.Legend(title=None, orient="bottom", labelLimit=400)),
        tooltip=[alt.Tooltip("eta:Q", title="η", format=".3f"), alt.Tooltip("delta_low:Q", title="δ from", format=".3f"),
                 alt.Tooltip("delta_high:Q", title="δ to", format=".3f")])
    bound = pd.DataFrame({"delta": [slope_bound_delta], "text": ["θδ/(σ−1) = 1"]})
    rule = alt.Chart(bound).mark_rule(strokeDash=[5, 4], color=BOUND_COLOR).encode(x=alt.X("delta:Q", scale=x_scale))
    rule_text = alt.Chart(bound).mark_text(align="left", dx=4, y=8, color=BOUND_COLOR, fontSize=11).encode(
        x=alt.X("delta:Q", scale=x_scale), text="text:N")
    base = alt.Chart(points).encode(x=alt.X("delta:Q", scale=x_scale), y=alt.Y("eta:Q", scale=y_scale))
    whiskers = [base.mark_rule(color="#222", strokeWidth=1.5).encode(x2="delta_high:Q", x="delta_low:Q"),
                base.mark_rule(color="#222", strokeWidth=1.5).encode(y="eta_low:Q", y2="eta_high:Q")]
    marks = base.mark_point(size=110, filled=True, opacity=1).encode(
        shape=alt.Shape("what:N", legend=None, scale=alt.Scale(domain=list(points["what"]),
                                                                range=["circle", "cross"][:len(points)])),
        color=alt.Color("what:N", legend=None, scale=alt.Scale(domain=list(points["what"]),
                                                               range=["#222", MAP_COLOR][:len(points)])),
        tooltip=["what:N", alt.Tooltip("delta:Q", title="δ", format=".3f"), alt.Tooltip("eta:Q", title="η", format=".4f"),
                 alt.Tooltip("eta_low:Q", title="η 95% low", format=".4f"),
                 alt.Tooltip("eta_high:Q", title="η 95% high", format=".4f")])
    names = base.mark_text(align="left", dx=8, dy=-9, fontSize=11, fontWeight="bold").encode(text="what:N")
    return alt.layer(area, rule, rule_text, *whiskers, marks, names,
                     title=_title("B. Where several steady states exist", note)).resolve_scale(
        color="independent").properties(width=WIDTH, height=HEIGHT)


def paths(frame: pd.DataFrame, levels: pd.DataFrame, note: str | None) -> alt.LayerChart:
    """Panel C: the adopter share over time without and with a one-period subsidy; steady states as rules."""
    names = list(dict.fromkeys(frame["path"]))
    color = alt.Color("path:N", scale=alt.Scale(domain=names, range=[PLAIN_COLOR, SUBSIDY_COLOR][:len(names)]),
                      legend=alt.Legend(title=None, orient="bottom", labelLimit=360))
    periods = int(frame["period"].max())
    x = alt.X("period:Q", title="period (t = 1: the subsidy, if any)", scale=alt.Scale(domain=[0, periods], nice=False),
              axis=alt.Axis(format="d", tickMinStep=1))
    lines = alt.Chart(frame).mark_line(strokeWidth=2.2, point=alt.OverlayMarkDef(size=28)).encode(
        x=x, y=alt.Y("share:Q", title="adopter share λ(t)", scale=SHARE), color=color,
        tooltip=["path:N", alt.Tooltip("period:Q", format="d"), alt.Tooltip("share:Q", format=".4f")])
    layers = [lines]
    if not levels.empty:
        dash = alt.StrokeDash("stability:N", legend=None,
                              scale=alt.Scale(domain=["stable", "unstable"], range=[[1, 0], [5, 4]]))
        tagged = levels.assign(period=periods)
        layers += [alt.Chart(levels).mark_rule(color="#444", strokeWidth=1).encode(
                       y=alt.Y("share:Q", scale=SHARE), strokeDash=dash),
                   alt.Chart(tagged).mark_text(align="right", dx=-3, dy=-7, fontSize=11, color="#444").encode(
                       x=alt.X("period:Q"), y=alt.Y("share:Q", scale=SHARE), text="label:N")]
    return alt.layer(*layers, title=_title("C. The big push: paths with and without a one-period subsidy", note)
                     ).properties(width=WIDTH, height=HEIGHT)


def market_size(frame: pd.DataFrame, scale: float, note: str | None) -> alt.LayerChart:
    """Proposition 2(ii): S^U and the threshold subsidies against L/F^T (where several steady states exist);
    a dashed rule marks the input L/F^T when it lies in that range."""
    lines = alt.Chart(frame).mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=30)).encode(
        x=alt.X("scale:Q", title="market size L/F^T", scale=alt.Scale(zero=False)),
        y=alt.Y("value:Q", title="share (S^U) or subsidy rate", scale=SHARE, axis=alt.Axis(format="%")),
        color=alt.Color("series:N", legend=alt.Legend(title=None, orient="right", labelLimit=400),
                        scale=alt.Scale(range=[DIAGONAL_COLOR, MAP_COLOR, SECOND_MARKET_COLOR])),
        tooltip=["series:N", alt.Tooltip("scale:Q", title="L/F^T", format=".3f"),
                 alt.Tooltip("value:Q", format=".2%")])
    layers = [lines]
    if frame["scale"].min() <= scale <= frame["scale"].max():
        layers.append(alt.Chart(pd.DataFrame({"scale": [scale]})).mark_rule(strokeDash=[4, 3], color="#444")
                      .encode(x="scale:Q"))
    return alt.layer(*layers, title=_title("Market size: S^U and the threshold subsidies fall as L rises", note)
                     ).properties(width=WIDTH + 200, height=380)
