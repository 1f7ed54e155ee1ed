"""UI helpers of the Quantitative model page: the settings form's values, cached service reads, and the
tables the page shows (pure functions of the service results in workbench/quant.py)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from estimation.quant_inputs import QuantDataError
from models.quantitative import ModelError, SolverError
from workbench import quant, ui
from workbench import state_keys as keys


def read(call: str, *args: object) -> object:
    """``quant.<call>(db, *args)`` for a read-only service, cached until the data change (a stored run is a
    change: it writes an audit entry)."""
    return ui._cached_call(*ui.data_key(), "quant", call, *args)


def settings_from_form(years: str, links: str, sigma: float, theta_ratio: float, eta: float | None,
                       delta: float | None, tax_rate: float, highway: float, goods: float, services: float,
                       xi_heavy: float | None, max_evaluations: int, hold_kappa: float | None = None
                       ) -> quant.QuantSettings:
    """QuantSettings from the form; QuantDataError for calibration years that are not integers."""
    try:
        parsed = tuple(int(y.strip()) for y in years.split(",") if y.strip())
    except ValueError:
        raise QuantDataError([f"calibration years {years!r}: give years separated by commas, e.g. 1972, 1976, 1980"]) from None
    return quant.QuantSettings(years=parsed, links=links, sigma=sigma, theta_ratio=theta_ratio, eta=eta, delta=delta,
                               tax_rate=tax_rate, highway_reduction=highway, trade_elasticity_goods=goods,
                               trade_elasticity_services=services, xi_heavy=xi_heavy, max_evaluations=max_evaluations,
                               fixed={} if hold_kappa is None else {"kappa": float(hold_kappa)})


def inputs_frame(assembly: quant.Assembly) -> pd.DataFrame:
    """The external inputs at a glance."""
    spec, data = assembly.spec, assembly.data
    heavy = assembly.sectors.heavy
    rows = [("regions N", f"{spec.n_regions}", "regions table"),
            ("sectors J", ", ".join(f"{c} ({k})" for c, k in zip(assembly.sectors.codes, assembly.sectors.kinds)),
             "model_sectors; adoption in heavy only"),
            ("σ, θ", f"{spec.sigma:g}, {spec.theta:.4g}", "settings"),
            ("η", f"{spec.eta:.4f}", assembly.eta_source),
            ("δ", f"{spec.delta:.4f}", assembly.delta_source),
            ("ξ_heavy", f"{spec.xi[heavy]:.4f}", "typed in" if assembly.xi is None else "Hill estimator, below"),
            ("subsidized regions 𝒩^s", f"{len(data.subsidized_regions)} of {spec.n_regions}",
             "regions with a directed-credit recipient"),
            ("λ_0 (mean over regions)", f"{sum(r[heavy] for r in data.lam0) / spec.n_regions:.4f}",
             "balance sheets and linked contracts"),
            ("calibration years", ", ".join(map(str, data.years)), f"policy periods {list(data.policy_periods)}")]
    return pd.DataFrame(rows, columns=["input", "value", "source"])


def targets_frame(assembly: quant.Assembly) -> pd.DataFrame:
    """The data moments the calibration targets (Table 2's data column)."""
    d = assembly.data
    rows = [(f"Average heavy adopter share, {y}", a) for y, a in zip(d.years, d.adopter_share)]
    rows += [("Exporter share, light mfg. (average)", d.exporter_share_light),
             ("Exporter share, heavy mfg. (average)", d.exporter_share_heavy),
             ("Share of regions with adoption (average)", d.regions_with_adoption),
             ("Corporate statutory tax rate (setting)", d.tax_rate)]
    return pd.DataFrame(rows, columns=["moment", "data"])


def constraints_frame(assembly: quant.Assembly) -> pd.DataFrame:
    """The national constraint data by year and model sector."""
    d, names = assembly.data, assembly.sectors.codes
    rows = []
    for t, year in enumerate(d.years):
        for j, code in enumerate(names):
            rows.append({"year": year, "sector": code, "export_intensity": d.export_intensity[t][j],
                         "import_share": d.import_share[t][j], "tariff": d.tariff[t][j],
                         "output_share": sum(r[j] for r in d.output_share[t])})
    frame = pd.DataFrame(rows)
    frame["ppi"] = frame["year"].map(dict(zip(d.years, d.ppi)))
    frame["real_gdp"] = frame["year"].map(dict(zip(d.years, d.real_gdp)))
    return frame


def stored_calibrations_frame(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per stored calibration, newest first."""
    return pd.DataFrame({
        "run": runs["run_id"], "created (UTC)": runs["created_at"].astype(str).str[:19],
        "converged": runs["result"].map(lambda r: bool(r["converged"])),
        "objective": runs["result"].map(lambda r: r["objective"]),
        "s̄": runs["result"].map(lambda r: r["subsidy_rate"]),
        "η": runs["result"].map(lambda r: r["spec"]["eta"]), "δ": runs["result"].map(lambda r: r["spec"]["delta"]),
        "links": runs["provenance"].map(lambda p: (p.get("links") or {}).get("source")),
        "synthetic demo": runs["provenance"].map(lambda p: bool(p.get("synthetic_demo")))})


def calibration_label(run_id: int, runs: pd.DataFrame) -> str:
    row = runs[runs["run_id"] == run_id].iloc[0]
    state = "converged" if row["result"]["converged"] else "NOT converged"
    return f"Calibration {run_id} — {str(row['created_at'])[:19]} UTC, {state}"


def fit_frame(summary: dict) -> pd.DataFrame:
    """Model and data per targeted moment, for the fit chart."""
    return pd.DataFrame([{"label": m["moment"] + (f", {m['year']}" if m.get("year") else ""), "model": m["model"],
                          "data": m["data"]} for m in summary["moments"]])


def calibrate_with_progress(settings: quant.QuantSettings) -> int | None:
    """Run and store a calibration inside st.status with a progress bar; the run id, or None after a
    message saying why nothing (or a flagged run) was stored."""
    with st.status("Calibrating the model (method of moments, eq. 5.1)…", expanded=True) as status:
        bar = st.progress(0.0, text="assembling the inputs")
        try:
            run_id, result, _ = quant.calibrate(ui.db(), settings, ui.actor(),
                                                progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
        except QuantDataError as err:
            status.update(label="Not calibrated: the inputs are incomplete", state="error")
            st.warning("\n".join(f"- {p}" for p in err.problems), icon=":material/warning:")
            return None
        except Exception as err:  # noqa: BLE001 — model errors are shown plainly, never as a traceback
            status.update(label="Not calibrated", state="error")
            ui.show_error(err)
            return None
        state = "complete" if result.converged else "error"
        status.update(label=f"Calibration {run_id} stored: {result.message} ({result.seconds:.0f} s, "
                            f"{result.evaluations} evaluations)", state=state, expanded=False)
    st.session_state[keys.QUANT_CALIBRATION] = run_id
    return run_id


def policy_baseline(policy: dict) -> dict:
    """The calibrated allocation's outcomes (the first row of the comparison)."""
    return policy["comparison"][0]


def run_with_progress(label: str, stored_as: str, run: Callable[[Callable[[float, str], None]], tuple[int, dict]]) -> None:
    """Run a stored model run (``run(progress)`` → (run id, summary)) inside st.status with a progress bar; a
    calibration that cannot carry it, or a solve that fails, is a plain warning."""
    with st.status(label, expanded=True) as status:
        bar = st.progress(0.0)
        try:
            new_id, _ = run(lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
            status.update(label=f"{stored_as} {new_id} stored", state="complete", expanded=False)
        except (quant.CalibrationNotUsable, ModelError, SolverError) as err:
            status.update(label="Not run", state="error")
            st.warning(str(err), icon=":material/warning:")


def runs_for(model: str, calibration_run_id: int) -> pd.DataFrame:
    """The stored runs of ``model`` made on calibration ``calibration_run_id``, newest first."""
    runs = read("stored_runs", model)
    return runs[runs["parameters"].map(lambda p: p.get("calibration_run_id") == calibration_run_id)] if len(runs) else runs
