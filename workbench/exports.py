"""Exports service: every stored result leaves the workbench as a table, a figure or a data file.

:func:`export` is what ``python -m workbench export``, the Exports page and the replication bundle
call: ``what`` is ``table1``, ``event-study``, ``robustness``, ``calibration``, ``counterfactuals``,
``figure1``, ``figure3`` or ``samples``; the tables come from the stored results (``estimates.result``),
never from a re-run; the estimation samples re-run the stored settings on the stored data (refused when
the data changed since the estimate, so the sample is the one that was regressed). Figures reuse the
pages' chart builders (:mod:`workbench.charts`, :mod:`workbench.simple_model_charts`). Table layouts and file formats are
in :mod:`workbench.export_tables`.
"""

from __future__ import annotations

import dataclasses
import re

import pandas as pd

from storage.database import Database
from storage.schema import table_spec
from workbench import direct_effects as de
from workbench import export_tables as et
from workbench import quant
from workbench import quant_charts as qc

WHATS = ("table1", "event-study", "robustness", "calibration", "counterfactuals", "figure1", "figure3", "figure4",
         "regional", "samples")
FIGURES = ("event-study", "figure1", "figure3", "figure4", "regional")
SAMPLES = ("direct-effects", "panel", "table1-a", "table1-b")
FIGURE_FORMATS = ("png", "svg")
RESULT_KINDS = (de.KIND, de.ROBUSTNESS_KIND, de.POOLED_KIND, "spillovers")
NO_MODEL_RUN = {"calibration": "no calibration of the quantitative model is stored: run `python -m workbench quant "
                               "calibrate` (or Calibrate on the Quantitative model page) first",
                "counterfactuals": "no counterfactual run is stored: run `python -m workbench quant counterfactual` "
                                   "(or Run counterfactuals on the Quantitative model page) first"}
PUBLICATION = {"width": 468, "height": 288, "ppi": 300}  # 6.5 × 4 inches of plot at 300 dpi


class ExportError(ValueError):
    """What is asked for cannot be exported; the message says why in plain words."""


@dataclasses.dataclass(frozen=True)
class ExportFile:
    name: str
    data: bytes


def stored_results(db: Database) -> pd.DataFrame:
    """Every stored estimate (all kinds), newest first, settings / result / provenance as dicts."""
    return de.stored_estimates(db, RESULT_KINDS)


def stored_result(db: Database, kind: str, estimate_id: int | None = None) -> pd.Series:
    """The stored result ``estimate_id`` (default: the newest) of ``kind``; ExportError if none."""
    stored = de.stored_estimates(db, kind)
    if estimate_id is not None:
        stored = stored[stored["estimate_id"] == estimate_id]
    if stored.empty:
        which = f"estimate {estimate_id} of kind {kind}" if estimate_id is not None else f"{kind} estimate"
        hint = {"spillovers": "run `python -m workbench spillovers` first",
                de.KIND: "run `python -m workbench direct-effects` first",
                de.ROBUSTNESS_KIND: "run the robustness panel on the Direct effects page first"}[kind]
        raise ExportError(f"there is no stored {which}: {hint}")
    return stored.iloc[0]


def table_layout(db: Database, what: str, estimate_id: int | None = None) -> et.TableLayout:
    """The table ``what`` from the newest stored result (or ``estimate_id``)."""
    if what == "calibration":
        stored = quant.load_calibration(db, estimate_id)
        if stored is None:
            raise ExportError(NO_MODEL_RUN["calibration"] if estimate_id is None
                              else f"there is no stored calibration run {estimate_id}")
        return et.calibration_layout(quant.table2(stored), title=f"Table 2: calibration summary (run {stored.run_id})")
    if what == "counterfactuals":
        summary = counterfactual_run(db, estimate_id)["result"]
        return et.counterfactual_layout(summary, title="Table 3: aggregate and local effects of the big push "
                                                       f"(calibration {summary['calibration_run_id']})")
    if what == "table1":
        return et.table1_layout(stored_result(db, "spillovers", estimate_id)["result"])
    if what == "event-study":
        row = stored_result(db, de.KIND, estimate_id)
        return et.event_study_layout([row["result"]], [row["settings"]])
    if what == "robustness":
        return et.robustness_layout(stored_result(db, de.ROBUSTNESS_KIND, estimate_id)["result"])
    raise ExportError(f"{what!r} is not a table; choose one of table1, event-study, robustness, calibration, "
                      "counterfactuals")


# --- figures -----------------------------------------------------------------------------------

def event_study_points(result: dict) -> pd.DataFrame:
    """The data behind the event-study figure (Figure 2): event_time, estimate, se, ci_low, ci_high, p, kind."""
    coef = pd.DataFrame(result["coefficients"])
    points = coef[~coef["estimate"].isna() | coef["reference"]].copy()
    points["kind"] = points["reference"].map({True: "reference", False: "estimate"})
    return points[["event_time", "estimate", "se", "ci_low", "ci_high", "p", "kind"]].reset_index(drop=True)


def event_study_figure(row: pd.Series):
    """The Altair chart of a stored direct-effects estimate at publication size."""
    from workbench import charts

    result, settings = row["result"], row["settings"]
    note = "Synthetic demo data" if row["provenance"].get("synthetic_demo") else None
    chart = charts.event_study(event_study_points(result), tuple(settings["window"]), result["not_identified"],
                               result["outcome"], note)
    return chart.properties(width=PUBLICATION["width"], height=PUBLICATION["height"])


def figure_bytes(chart, fmt: str) -> bytes:
    """PNG (300 dpi) or SVG of an Altair chart, rendered offline by vl-convert."""
    import vl_convert

    if fmt == "png":
        return vl_convert.vegalite_to_png(chart.to_json(), ppi=PUBLICATION["ppi"])
    if fmt == "svg":
        return vl_convert.vegalite_to_svg(chart.to_json()).encode("utf-8")
    raise ExportError(f"a figure exports as png or svg, not {fmt!r}")


def _quiet_streamlit() -> None:
    """The page helpers reused here import streamlit; outside the app its caches warn "No runtime found"."""
    import logging

    import streamlit  # noqa: F401 - sets up its loggers first

    logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)


def figure1(db: Database) -> tuple[object, pd.DataFrame]:
    """The Figure 1 analog (the Overview page's chart): technology-adoption contracts approved per year by the
    firm's sector group (heavy / light / unlinked), at publication size; and its data (year, group, status,
    contracts)."""
    from workbench import charts, services

    data = services.overview(db).contracts
    if data.empty:
        raise ExportError("there are no contracts to draw: load data first (`python -m workbench demo` or `ingest`)")
    note = "Synthetic demo data" if services.database_status(db).is_demo else None
    chart = charts.contracts_per_year(data, note)
    return chart.properties(width=PUBLICATION["width"], height=PUBLICATION["height"]), data


#: Figure 3 beyond η, δ, σ, θ, L/F^T: the Simple model page's defaults (panel C from S^Pre, 30 periods,
#: 25 % of the fixed costs in period 1; panel D with a market 1.5 times larger).
FIGURE3_DEFAULTS = {"subsidy_kind": "fixed_cost", "subsidy_rate": 0.25, "periods": 30, "second_scale": 1.5}
FIGURE3_PANEL = {"width": 230, "height": 210}  # each of the 2 × 2 panels; about 7 × 7.5 in in all


def figure3(db: Database, parameters: dict | None = None) -> tuple[object, dict[str, pd.DataFrame]]:
    """The Figure 3 analog (the Simple model page's panels A–D) for ``parameters`` (``eta``, ``delta``,
    ``sigma``, ``theta``, ``scale``; missing ones: the stored η and δ, else the paper's values, and the
    page's defaults) as one 2 × 2 chart whose subtitle names the parameters, and the data of each panel
    (A and D: the maps; B: the grid of steady-state counts; C: the paths)."""
    from dataclasses import replace

    import altair as alt

    _quiet_streamlit()

    from models import simple_big_push as sbp
    from workbench import simple_model_charts as charts
    from workbench import ui_simple_model as usm
    from workbench.spillovers import latest_spillover

    plain = {name: getattr(usm, name).__wrapped__ for name in ("analysis", "map_frame", "panel_b",
                                                                "paths_frame")}  # no st.cache_data here
    given = {k: v for k, v in (parameters or {}).items() if v is not None}
    eta_source = usm.eta_source(de.latest_direct_gain(db))
    delta_source = usm.delta_source(latest_spillover(db))
    try:
        spec = sbp.SimpleModelSpec(sigma=given.get("sigma", sbp.PAPER["sigma"]),
                                   theta=given.get("theta", sbp.PAPER["theta"]),
                                   eta=given.get("eta", eta_source.value), delta=given.get("delta", delta_source.value),
                                   scale=given.get("scale", sbp.DEFAULT_SCALE))
        report = plain["analysis"](spec, None)
        larger = replace(spec, scale=spec.scale * FIGURE3_DEFAULTS["second_scale"])
        larger_states = plain["analysis"](larger, None).states
    except (sbp.ModelError, sbp.SolverError) as err:
        raise ExportError(f"these parameters cannot be solved: {err}") from err
    states = usm.steady_state_frame(report.states)
    curves = plain["map_frame"](("λ(t) given λ(t−1)", spec), ("no spillovers (δ = 0)", replace(spec, delta=0.0)))
    panel_a = charts.law_of_motion(curves, states, "A. The law of motion and its steady states", None,
                                   usm.MAP_PALETTE, dashed=("no spillovers (δ = 0)",))
    delta_max, eta_max = usm.panel_b_domain(spec, eta_source, delta_source, report.delta)
    band, grid = plain["panel_b"](replace(spec, delta=0.0), delta_max, eta_max)
    panel_b = charts.multiplicity_region(band, usm.estimate_points(spec, eta_source, delta_source), spec.a,
                                         delta_max, eta_max, None)
    subsidy = sbp.Subsidy(FIGURE3_DEFAULTS["subsidy_kind"], FIGURE3_DEFAULTS["subsidy_rate"])
    paths = plain["paths_frame"](spec, report.lam0, subsidy, FIGURE3_DEFAULTS["periods"])
    panel_c = charts.paths(paths, states, None)
    names = (f"L/F^T = {spec.scale:g}", f"L/F^T = {larger.scale:g}")
    two = plain["map_frame"]((names[0], spec), (names[1], larger))
    panel_d = charts.law_of_motion(two, usm.two_markets_states(report.states, larger_states, names),
                                   "D. Market size shifts the map", None,
                                   {names[0]: charts.MAP_COLOR, names[1]: charts.SECOND_MARKET_COLOR,
                                    "45° line": charts.DIAGONAL_COLOR})
    panels = [p.properties(**FIGURE3_PANEL) for p in (panel_a, panel_b, panel_c, panel_d)]
    note = usm.parameters_note(spec, eta_source, delta_source)
    own = {channel: "independent" for channel in ("color", "fill", "shape", "strokeDash")}  # each panel its legend
    rows = [alt.hconcat(*pair, spacing=30).resolve_scale(**own) for pair in (panels[:2], panels[2:])]
    chart = alt.vconcat(*rows, spacing=30, title=alt.Title("The simple big-push model (Figure 3 analog)",
                                                            subtitle=note, anchor="start")).resolve_scale(**own)
    return chart, {"A": curves, "B": grid, "C": paths, "D": two}


def figure_files(db: Database, what: str, fmt: str, estimate_id: int | None = None,
                 parameters: dict | None = None) -> list[ExportFile]:
    """A figure as ``fmt`` (PNG at 300 dpi or SVG) followed by the data behind it as CSV (one per panel)."""
    if what == "event-study":
        row = stored_result(db, de.KIND, estimate_id)
        chart, data = event_study_figure(row), {"": event_study_points(row["result"])}
    elif what == "figure1":
        chart, data = figure1(db)
        data = {"": data}
    elif what == "figure3":
        chart, data = figure3(db, parameters)
    elif what in ("figure4", "regional"):
        chart, data = model_figure(db, what, estimate_id)
    else:
        raise ExportError(f"there is no figure for {what}; figures: {', '.join(FIGURES)}")
    return [ExportFile(f"{what}.{fmt}", figure_bytes(chart, fmt)),
            *(ExportFile(f"{what}-data{'-' + panel if panel else ''}.csv", et.csv_bytes(frame))
              for panel, frame in data.items())]


def counterfactual_run(db: Database, run_id: int | None = None) -> pd.Series:
    """The stored counterfactual run ``run_id`` (default: the newest); ExportError if none."""
    runs = quant.stored_runs(db, quant.COUNTERFACTUALS)
    if run_id is not None:
        runs = runs[runs["run_id"] == run_id]
    if runs.empty:
        raise ExportError(NO_MODEL_RUN["counterfactuals"] if run_id is None
                          else f"there is no stored counterfactual run {run_id}")
    return runs.iloc[0]


def model_figure(db: Database, what: str, run_id: int | None = None) -> tuple[object, dict[str, pd.DataFrame]]:
    """Figure 4 (heavy manufacturing's GDP share, export intensity and employment share, baseline against no big
    push, with the data) or the regional charts (Δ heavy GDP share and welfare by region) of a stored
    counterfactual run, built as on the Quantitative model page."""
    import altair as alt

    _quiet_streamlit()
    row = counterfactual_run(db, run_id)
    summary, note = row["result"], "Synthetic demo data" if row["provenance"].get("synthetic_demo") else None
    if what == "figure4":
        paths = pd.DataFrame(summary["time_paths"])
        chart = alt.hconcat(*[qc.figure4_panel(paths, m, summary["policy_years"], note) for m in qc.MEASURE_LABELS])
        return chart, {"": paths}
    regions = pd.DataFrame(summary["regions"])
    chart = alt.vconcat(
        alt.hconcat(qc.regional_map(regions, "d_gdp_share_pp", "Δ heavy GDP share by region (p.p.)", "p.p.", note),
                    qc.regional_map(regions, "welfare_pct", "Welfare gain by region (%)", "%", note)),
        qc.regional_bars(regions, "welfare_pct", "Consumption-equivalent welfare gain by region", "welfare gain (%)",
                         note))
    return chart, {"": regions}


# --- estimation samples ---------------------------------------------------------------------

OUTCOME_DESCRIPTIONS = {
    "log_sales": "log sales", "log_employment": "log employment", "log_assets": "log assets",
    "log_fixed_assets": "log fixed assets",
    "tfpr_cost_share": "TFPR, Cobb-Douglas with sector cost shares",
    "tfpr_revenue_share": "TFPR, Cobb-Douglas with sector revenue shares",
}


def reghdfe_command(outcome: str, controls=(), fixed_effects: str = "mf my", clusters: str = "match firm") -> str:
    """The Stata command for the event study on the exported sample (ids and fixed-effect groups as in
    :func:`stata_sample`)."""
    regressors = " ".join(["tau_*", *controls])
    return f"reghdfe {outcome} {regressors}, a({fixed_effects}) vce(cl {clusters})"


def stata_sample(sample: pd.DataFrame, outcome: str, controls=()) -> tuple[pd.DataFrame, dict, str]:
    """The estimation sample ready for Stata: the ids encoded as value-labelled ``match`` and ``firm``
    (what ``encode`` makes), the fixed-effect groups ``mf`` (match × firm) and ``my`` (match × year), and
    variable labels. Returns (frame, variable labels, data label = the reghdfe command when it fits)."""
    out = sample.copy()
    out["match"] = pd.Categorical(out["match_id"], categories=sorted(out["match_id"].unique()))
    out["firm"] = pd.Categorical(out["firm_id"], categories=sorted(out["firm_id"].unique()))
    out["mf"] = out.groupby(["match_id", "firm_id"], sort=True).ngroup() + 1
    out["my"] = out.groupby(["match_id", "year"], sort=True).ngroup() + 1
    labels = {"match_id": "match (a loser and its winners)", "event_year": "event year of the match",
              "event_time": "tau = year - event year", "role": "loser or winner", "winner": "1 = winner",
              outcome: f"outcome: {OUTCOME_DESCRIPTIONS.get(outcome, outcome)}",
              "match": "match_id encoded (cluster)", "firm": "firm_id encoded (cluster)",
              "mf": "match x firm fixed-effect group", "my": "match x year fixed-effect group",
              "credit": "control: log(1 + directed credit)", "trade_fairs": "control: trade-fair participations"}
    for column in out.columns:
        found = re.fullmatch(r"tau_(m|p)?(\d+)", column)
        if found:
            tau = -int(found.group(2)) if found.group(1) == "m" else int(found.group(2))
            labels[column] = f"1[event time = {tau}] x winner"
    command = reghdfe_command(et.stata_names([outcome])[outcome], controls)
    data_label = command if len(command) <= 80 else "Choi & Shim eq. (3.1) stacked sample: reghdfe y tau_*, a(mf my)"
    return out, labels, data_label


def spec_from_settings(cls, settings: dict):
    """A frozen spec rebuilt from its stored settings (JSON lists back to tuples)."""
    def tuples(value):
        return tuple(tuples(v) for v in value) if isinstance(value, list) else value
    return cls(**{k: tuples(v) for k, v in settings.items()})


def direct_effects_sample(db: Database, estimate_id: int | None = None) -> tuple[pd.DataFrame, dict, str]:
    """The stacked estimation sample of a stored direct-effects estimate, re-built from its settings on the
    stored data (refused when the data changed since): (Stata-ready frame, variable labels, data label)."""
    from estimation.direct_effects import DirectEffectsSpec, run_direct_effects

    row = stored_result(db, de.KIND, estimate_id)
    provenance = row["provenance"]
    if de._changed_since(db, int(provenance["data_version"])):
        raise ExportError(f"the data changed since estimate {row['estimate_id']} was computed, so its sample "
                          "cannot be rebuilt: run the direct-effects analysis again and export that")
    spec = dataclasses.replace(spec_from_settings(DirectEffectsSpec, row["settings"]), bootstrap_reps=0)
    inputs = de._read_inputs(db, spec, provenance["links"]["source"])
    result = run_direct_effects(spec, inputs.balance_sheets, inputs.contracts, inputs.links,
                                credit=inputs.credit, trade_fairs=inputs.trade_fairs)
    return stata_sample(de.estimation_sample(result), spec.outcome, spec.controls)


def linked_panel(db: Database, links: str = "final") -> tuple[pd.DataFrame, dict, str]:
    """The linked firm-year panel: every balance-sheet row with the adoption panel's contract counts and
    adoption dates under the final links (or the demo's true links)."""
    from estimation.adoption_panel import adoption_panel

    spec = table_spec("balance_sheets")
    inputs = de._read_inputs(db, _NoControls(), links)
    panel = adoption_panel(inputs.balance_sheets, inputs.contracts, inputs.links)
    sheets = inputs.balance_sheets.astype({"firm_id": str, "year": "int64"})
    frame = sheets.merge(panel, on=["firm_id", "year"], how="left").sort_values(["firm_id", "year"],
                                                                                ignore_index=True)
    labels = {c.name: f"balance sheet: {c.name}" for c in spec.columns}
    labels.update({"completed_contracts": "completed contracts approved this year",
                   "canceled_contracts": "canceled contracts this year",
                   "canceled_by_foreign": "contracts canceled by the foreign party this year",
                   "canceled_by_domestic": "contracts canceled by the domestic firm this year",
                   "first_adoption_year": "approval year of the first completed contract",
                   "adopter": "1 = year >= first adoption year", "ever_adopter": "1 = ever adopts"})
    return frame, labels, f"linked firm-year panel ({links} links)"


def table1_sample(db: Database, panel: str, estimate_id: int | None = None) -> tuple[pd.DataFrame, dict, str]:
    """Panel ``panel`` (A or B) of Table 1's long-difference sample (one row per firm × difference, ``used`` =
    entered the preferred column), re-built from a stored spillover estimate's settings, the stored data and
    the industrial-complex table it kept: refused when the data changed since."""
    from estimation.spillovers import SpilloversSpec
    from workbench import spillovers

    _quiet_streamlit()
    from workbench import ui_spillovers as usp

    row = stored_result(db, "spillovers", estimate_id)
    provenance = row["provenance"]
    if panel not in (row["result"].get("panels") or {}):
        raise ExportError(f"spillover estimate {row['estimate_id']} has no Panel {panel}: run "
                          f"`python -m workbench spillovers --panel {panel}` (or both panels) first")
    if de._changed_since(db, int(provenance["data_version"])):
        raise ExportError(f"the data changed since estimate {row['estimate_id']} was computed, so its sample "
                          "cannot be rebuilt: run the spillover analysis again and export that")
    try:
        complexes = spillovers.stored_complexes(provenance)
    except ValueError as err:
        raise ExportError(f"estimate {row['estimate_id']}: {err}; download its sample on the Spillovers page") from err
    spec = spec_from_settings(SpilloversSpec, row["settings"])
    result = spillovers.rerun(db, spec, provenance["links"]["source"], panels=(panel,), complexes=complexes)
    frame, labels = usp.stata_sample(spillovers.estimation_sample(result, panel))
    return frame, labels, f"Choi-Shim Table 1, Panel {panel} sample"


@dataclasses.dataclass(frozen=True)
class _NoControls:
    controls: tuple = ()


# --- one entry point ----------------------------------------------------------------------------

def parse_labels(pairs) -> dict[str, str]:
    """``["OLD=NEW", …]`` (the CLI's ``--label``) → {OLD: NEW}; ExportError for a pair without "=" or a name."""
    labels = {}
    for pair in pairs or ():
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise ExportError(f"--label {pair!r}: write OLD=NEW (a column header or row label and its new name)")
        labels[old.strip()] = new.strip()
    return labels


def export(db: Database, what: str, fmt: str, estimate_id: int | None = None, sample: str = "direct-effects",
           links: str = "final", parameters: dict | None = None, labels: dict | None = None) -> list[ExportFile]:
    """The files of one export: a table, a figure plus the data behind it, or a sample. ``parameters``
    (eta, delta, sigma, theta, scale) are Figure 3's; ``labels`` ({old: new}) rename a table's column
    headers and row labels (ExportError if one names neither); the first file is the one asked for, the
    others are named after it (``<what>-data[-panel].csv``)."""
    if what not in WHATS:
        raise ExportError(f"--what must be one of {', '.join(WHATS)}, not {what!r}")
    if labels and (what == "samples" or fmt in FIGURE_FORMATS):
        raise ExportError("--label renames a table's column headers and row labels; a sample or figure has none")
    if what == "samples":
        if fmt not in et.DATA_FORMATS:
            raise ExportError(f"a sample exports as {', '.join(et.DATA_FORMATS)}, not {fmt!r}")
        if sample not in SAMPLES:
            raise ExportError(f"the sample is one of {', '.join(SAMPLES)}, not {sample!r}")
        if sample.startswith("table1-"):
            frame, labels, label = table1_sample(db, sample[-1].upper(), estimate_id)
            if fmt != "dta":  # the value-labelled codes only matter to Stata; elsewhere the text
                frame = frame.astype({c: str for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)})
        else:
            frame, labels, label = (direct_effects_sample(db, estimate_id) if sample == "direct-effects"
                                    else linked_panel(db, links))
        if fmt != "dta" and not sample.startswith("table1-"):
            frame = frame.drop(columns=[c for c in ("match", "firm", "mf", "my") if c in frame and c != "firm_id"])
        return [ExportFile(f"{sample}-sample.{et.EXTENSIONS[fmt]}", et.data_bytes(frame, fmt, labels, label))]
    if fmt in FIGURE_FORMATS:
        return figure_files(db, what, fmt, estimate_id, parameters)
    if what in ("figure1", "figure3"):
        raise ExportError(f"{what} is a figure: it exports as {' or '.join(FIGURE_FORMATS)}, not {fmt!r}")
    if fmt not in et.TABLE_FORMATS:
        raise ExportError(f"a table exports as {', '.join(et.TABLE_FORMATS + FIGURE_FORMATS)}, not {fmt!r}")
    layout = table_layout(db, what, estimate_id)
    unknown = sorted(set(labels or {}) - set(layout.columns) - set(layout.row_labels()))
    if unknown:
        raise ExportError(f"--label: {', '.join(map(repr, unknown))} is neither a column header nor a row label of "
                          f"{what}; headers: {', '.join(layout.columns)}; rows: {', '.join(layout.row_labels())}")
    layout = layout.relabel(columns=labels, rows=labels)
    return [ExportFile(f"{what}.{et.EXTENSIONS[fmt]}", et.render(layout, fmt))]
