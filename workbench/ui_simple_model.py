"""UI helpers of the Simple model page: where η and δ come from, cached model runs, and the tidy frames
the four panels of Figure 3 draw (pure functions of a :class:`~models.simple_big_push.SimpleModelSpec`).

η defaults to the newest stored direct-effects estimate (:func:`workbench.direct_effects.latest_direct_gain`),
δ to the newest stored spillover estimate (:func:`workbench.spillovers.latest_spillover`); else the paper's
values, labelled as such. The inputs follow their default until the researcher changes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import streamlit as st

from models import simple_big_push as sbp
from workbench import direct_effects, ui
from workbench import state_keys as keys

Z95 = 1.959963984540054  # two-sided 95 % normal quantile
PANEL_B_SIZE = 200       # the (δ, η) grid of panel B is PANEL_B_SIZE × PANEL_B_SIZE
MAP_POINTS = 401
MARKET_POINTS = 15
PAPER_TABLE = "Choi & Shim, Table 2"


# --- where η and δ come from -------------------------------------------------------------------

@dataclass(frozen=True)
class ParameterSource:
    """A default input: its value, standard error, and where it came from (one line)."""

    symbol: str               # "η" or "δ"
    value: float
    se: float | None
    origin: str               # "estimate" or "paper"
    text: str
    synthetic: bool = False
    stale: bool = False
    sigma: float | None = None  # the σ the estimate was mapped with (η = exp(β̄/(σ − 1)), δ = b/(σ − 1))

    @property
    def ci(self) -> tuple[float, float] | None:
        """95 % interval value ± 1.96 se, or None without a standard error."""
        if self.se is None or not math.isfinite(self.se):
            return None
        return self.value - Z95 * self.se, self.value + Z95 * self.se


def _source(symbol: str, parameter: str, value: float | None, se: float | None, kind: str, detail: str,
            stored) -> ParameterSource:
    """The stored estimate's value with its provenance, or the paper's value saying why it is used."""
    if stored is not None and value is not None:
        return ParameterSource(symbol, float(value), se, "estimate",
                               f"{kind} estimate {stored.estimate_id} ({stored.created_at} UTC, {detail}{stored.links} "
                               f"links): {stored.note}", stored.synthetic_demo, stored.stale, stored.sigma)
    why = (f"no {kind} estimate is stored yet" if stored is None else
           f"the newest {kind} estimate ({stored.estimate_id}) has no {symbol}: {stored.note}")
    return ParameterSource(symbol, sbp.PAPER[parameter], None, "paper", f"the paper's value ({PAPER_TABLE}); {why}",
                           sigma=sbp.PAPER["sigma"])


def eta_source(gain: direct_effects.StoredGain | None) -> ParameterSource:
    """η from the newest stored direct-effects estimate, or the paper's 1.25 when there is none or it has no η."""
    return _source("η", "eta", gain and gain.eta, gain and gain.eta_se, "direct-effects",
                   f"{gain.outcome}, " if gain else "", gain)


def stored_spillover(db) -> object | None:
    """δ's newest stored estimate: :func:`workbench.spillovers.latest_spillover` (imported here, when first
    needed, so that this page does not load the spillover estimation code until it reads δ)."""
    from workbench import spillovers

    return spillovers.latest_spillover(db)


def delta_source(stored) -> ParameterSource:
    """δ from the newest stored spillover estimate (a ``StoredSpillover``), or the paper's 0.68 when there is
    none or it has no δ."""
    return _source("δ", "delta", stored and stored.delta, stored and stored.delta_se, "spillover", "", stored)


@st.cache_data(show_spinner=False, max_entries=8)
def _sources(path: str, version: int) -> tuple[ParameterSource, ParameterSource]:
    database = ui.open_db(path)
    return eta_source(direct_effects.latest_direct_gain(database)), delta_source(stored_spillover(database))


def sources() -> tuple[ParameterSource, ParameterSource]:
    """(η, δ) defaults, reread whenever the data version changes (a new estimate is stored)."""
    return _sources(*ui.data_key())


def source_line(source: ParameterSource, value: float, model_sigma: float) -> str:
    """Markdown: the input's value and where it came from, or that it was set by hand."""
    flags = (" · **synthetic demo**" if source.synthetic else "") + (" · the data changed since" if source.stale else "")
    ci = f", 95 % CI [{source.ci[0]:.3f}, {source.ci[1]:.3f}]" if source.ci else ""
    if not math.isclose(value, source.value, rel_tol=0, abs_tol=1e-12):
        return f"**{source.symbol} = {value:g}**, set here (the default is {source.value:.4g} from {source.text})."
    text = f"**{source.symbol} = {value:.4g}**{ci} from {source.text}{flags}."
    if source.sigma is not None and not math.isclose(source.sigma, model_sigma):
        text += (f" It was mapped with σ = {source.sigma:g}; the model now uses σ = {model_sigma:g}, under which the "
                 f"same coefficient gives {source.symbol} = {_remap(source, model_sigma):.4g}.")
    return text


def _remap(source: ParameterSource, sigma: float) -> float:
    """The same regression coefficient under another σ: η = exp(β̄/(σ − 1)), δ = b/(σ − 1)."""
    if source.symbol == "η":
        return math.exp(math.log(source.value) * (source.sigma - 1) / (sigma - 1))
    return source.value * (source.sigma - 1) / (sigma - 1)


def follow_default(key: str, default: float) -> None:
    """Set the input ``key`` to ``default`` the first time, and again whenever the default changes while
    the input still shows the previous default (a new estimate replaces it; a hand-set value stays)."""
    followed = st.session_state.setdefault(keys.SIMPLE_MODEL_DEFAULTS, {})
    previous = followed.get(key)
    if key not in st.session_state or (previous is not None and previous != default
                                       and st.session_state[key] == previous):
        st.session_state[key] = default
    followed[key] = default


# --- cached model runs ---------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=64)
def analysis(spec: sbp.SimpleModelSpec, lam0: float | None) -> sbp.SimpleModelReport:
    return sbp.analyze(spec, lam0)


@st.cache_data(show_spinner=False, max_entries=32)
def panel_b(spec: sbp.SimpleModelSpec, delta_max: float, eta_max: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(band, grid): the δ interval with several steady states at each η (exact, for the shading) and the
    number of steady states on the PANEL_B_SIZE × PANEL_B_SIZE grid (the downloadable data)."""
    etas = np.linspace(1 + (eta_max - 1) / PANEL_B_SIZE, eta_max, PANEL_B_SIZE)
    deltas = np.linspace(0, delta_max, PANEL_B_SIZE)
    counts = sbp.steady_state_counts(spec, deltas, etas)
    grid = pd.DataFrame({"eta": np.repeat(etas, len(deltas)), "delta": np.tile(deltas, len(etas)),
                         "steady_states": counts.ravel()})
    rows = []
    for eta in etas:
        interval = sbp.delta_interval(replace(spec, eta=float(eta)))
        if interval.exists:
            rows.append({"eta": float(eta), "delta_low": interval.low, "delta_high": interval.high})
    return pd.DataFrame(rows, columns=["eta", "delta_low", "delta_high"]), grid


@st.cache_data(show_spinner=False, max_entries=32)
def map_frame(*labelled: tuple[str, sbp.SimpleModelSpec]) -> pd.DataFrame:
    """λ_t(λ_t−1) on a grid for each (curve, spec), with the 45° line: lambda_prev, lambda_t, curve."""
    grid = np.linspace(0, 1, MAP_POINTS)
    frames = [pd.DataFrame({"lambda_prev": grid, "lambda_t": sbp.law_of_motion(other, grid), "curve": name})
              for name, other in labelled]
    frames.append(pd.DataFrame({"lambda_prev": [0.0, 1.0], "lambda_t": [0.0, 1.0], "curve": "45° line"}))
    return pd.concat(frames, ignore_index=True)


def steady_state_frame(states: sbp.SteadyStates, curve: str = "") -> pd.DataFrame:
    """One row per steady state: share, label, stability (stable/unstable), slope, curve."""
    return pd.DataFrame([{"share": s.share, "label": s.label, "stability": "stable" if s.stable else "unstable",
                          "slope": s.slope, "curve": curve} for s in states.states])


@st.cache_data(show_spinner=False, max_entries=32)
def paths_frame(spec: sbp.SimpleModelSpec, lam0: float, subsidy: sbp.Subsidy, periods: int) -> pd.DataFrame:
    """period, share, path: without the subsidy and with it in period 1 only."""
    label = subsidy_label(subsidy)
    return pd.concat([pd.DataFrame({"period": np.arange(periods + 1), "share": sbp.path(spec, lam0, periods),
                                    "path": "no subsidy"}),
                      pd.DataFrame({"period": np.arange(periods + 1),
                                    "share": sbp.path(spec, lam0, periods, subsidy), "path": label})],
                     ignore_index=True)


def subsidy_label(subsidy: sbp.Subsidy) -> str:
    return f"{subsidy.rate:.0%} of {sbp.KIND_LABELS[subsidy.kind]} in period 1"


@st.cache_data(show_spinner=False, max_entries=16)
def market_frame(spec: sbp.SimpleModelSpec, lam0: float) -> tuple[pd.DataFrame, sbp.Interval]:
    """S^U and both threshold subsidies across the market sizes with several steady states (long:
    scale, series, value), and that interval of L/F^T."""
    interval = sbp.scale_interval(spec)
    if not interval.exists:
        return pd.DataFrame(columns=["scale", "series", "value"]), interval
    inner = np.geomspace(interval.low, interval.high, MARKET_POINTS + 2)[1:-1]
    wide = pd.DataFrame(sbp.market_size_effect(spec, inner, lam0))
    names = {"S_U": "S^U (edge of the underdevelopment region)",
             "threshold_fixed_cost": "threshold subsidy, fixed adoption costs",
             "threshold_input": "threshold subsidy, adopters' input costs"}
    long = wide.melt(id_vars="scale", value_vars=list(names), var_name="series", value_name="value")
    long["series"] = long["series"].map(names)
    return long.dropna(subset=["value"]), interval


def panel_b_domain(spec: sbp.SimpleModelSpec, eta: ParameterSource, delta: ParameterSource,
                   interval: sbp.Interval) -> tuple[float, float]:
    """(δ_max, η_max) of panel B: room for the inputs, the estimates' intervals, the δ interval at the input η
    and the top of the region (the largest η with several steady states for some δ, searched up to η = 4)."""
    tops = [float(e) for e in np.linspace(1.01, 4, 300) if sbp.delta_interval(replace(spec, eta=float(e))).exists]
    deltas = [3.0, spec.delta, delta.value, *(delta.ci or ()), *((interval.high,) if interval.exists else ())]
    etas = [1.5, spec.eta, eta.value, *(eta.ci or ()), *(tops[-1:])]
    return round(1.2 * max(deltas), 1), round(1 + 1.15 * (max(etas) - 1), 2)


def estimate_points(spec: sbp.SimpleModelSpec, eta: ParameterSource, delta: ParameterSource) -> pd.DataFrame:
    """Panel B's points: the stored estimates (or the paper's values) with their 95 % intervals, and the
    inputs when they differ: what, delta, eta, delta_low/high, eta_low/high (the estimate's value without a CI)."""
    d_ci, e_ci = delta.ci or (delta.value, delta.value), eta.ci or (eta.value, eta.value)
    name = {("estimate", "estimate"): "estimates", ("estimate", "paper"): "η estimated, paper's δ",
            ("paper", "estimate"): "paper's η, δ estimated"}.get((eta.origin, delta.origin), "the paper's values")
    rows = [{"what": name, "delta": delta.value, "eta": eta.value, "delta_low": d_ci[0], "delta_high": d_ci[1],
             "eta_low": e_ci[0], "eta_high": e_ci[1]}]
    if not (math.isclose(spec.eta, eta.value) and math.isclose(spec.delta, delta.value)):
        rows.append({"what": "inputs", "delta": spec.delta, "eta": spec.eta, "delta_low": spec.delta,
                     "delta_high": spec.delta, "eta_low": spec.eta, "eta_high": spec.eta})
    return pd.DataFrame(rows)


def parameters_note(spec: sbp.SimpleModelSpec, eta: ParameterSource, delta: ParameterSource) -> str:
    """The chart subtitle: the parameters (so an exported image carries them) and a synthetic-data flag."""
    def origin(source: ParameterSource, value: float) -> str:
        if not math.isclose(value, source.value):
            return ""
        return " (paper)" if source.origin == "paper" else " (estimate)"
    synthetic = any(s.synthetic and math.isclose(v, s.value) for s, v in ((eta, spec.eta), (delta, spec.delta)))
    return (f"η = {spec.eta:.4g}{origin(eta, spec.eta)}, δ = {spec.delta:.4g}{origin(delta, spec.delta)}, "
            f"σ = {spec.sigma:g}, θ = {spec.theta:g}, L/F^T = {spec.scale:g}"
            + (" · Synthetic demo data" if synthetic else ""))


def threshold_metric(found: sbp.ThresholdSubsidy) -> tuple[str, str]:
    """(value, help) of a threshold-subsidy metric."""
    if found.rate is None:
        return ("none" if found.target is not None else "—"), found.reason
    if found.rate == 0:
        return "not needed", found.reason
    return f"{found.rate:.1%}", (f"one period above this rate lifts λ from {found.lam0:.3f} past S^U = "
                                 f"{found.target:.3f}; cost {found.cost_share:.2%} of that period's GDP")


def rate_just_above(found: sbp.ThresholdSubsidy) -> float | None:
    """The threshold rounded up to the next whole percentage point (the slider's step), or None."""
    if found.rate is None or found.rate == 0:
        return None
    return min(math.floor(found.rate * 100 + 1) / 100, 0.99)


# --- the page's small pieces -------------------------------------------------------------------------

SHORT_KIND = {"fixed_cost": "fixed costs", "input": "input costs"}
MAP_PALETTE = {"λ(t) given λ(t−1)": "#c0392b", "no spillovers (δ = 0)": "#2e8b57", "45° line": "#1f4e79"}


def set_input(key: str, value: float) -> None:
    """Button callback: set an input before the widgets are drawn."""
    st.session_state[key] = value


def reset_inputs() -> None:
    """Button callback: η and δ back to their sources (stored estimates or the paper's values)."""
    eta, delta = sources()
    st.session_state[keys.SIMPLE_MODEL_ETA] = eta.value
    st.session_state[keys.SIMPLE_MODEL_DELTA] = delta.value


def two_markets_states(first: sbp.SteadyStates, second: sbp.SteadyStates, names: tuple[str, str]) -> pd.DataFrame:
    """Panel D's steady states of both market sizes; the larger market's labels get a prime (S^U′)."""
    own = steady_state_frame(first, names[0])
    other = steady_state_frame(second, names[1])
    other["label"] = other["label"] + "′"
    shared = other["share"].round(9).isin(own["share"].round(9))  # e.g. full adoption in both: one label
    return pd.concat([own, other[~shared]], ignore_index=True)


def push_caption(report: sbp.SimpleModelReport, subsidy: sbp.Subsidy) -> str:
    """What the chosen one-period subsidy does from λ_0, against S^U and the threshold."""
    start, spec = report.lam0, report.spec
    lifted = sbp.static_share(spec, start, subsidy)
    head = f"From λ_0 = {start:.4f}, {subsidy_label(subsidy)} gives λ_1 = {lifted:.4f}"
    unstable = report.states.unstable
    if unstable is None:
        return (f"{head}; with one steady state its effect fades and the economy returns to "
                f"λ* = {report.states.states[0].share:.4f}. A temporary push cannot change the long run here.")
    threshold = report.thresholds[subsidy.kind]
    rule = (f" The threshold is {threshold.rate:.2%}." if threshold.rate else f" {threshold.reason[0].upper()}"
            f"{threshold.reason[1:]}.")
    if lifted > unstable.share:
        return (f"{head} > S^U = {unstable.share:.4f}: after the subsidy ends the economy keeps climbing to S^Ind "
                f"= {report.states.states[-1].share:.4g}.{rule}")
    return f"{head} ≤ S^U = {unstable.share:.4f}: the economy falls back to S^Pre.{rule}"
