"""The quantitative model end to end on the demo database: calibrate (stored with provenance), run the
counterfactuals and the policy experiments on the stored calibration, export Table 2, Table 3, Figure 4
and the regional charts, the CLI and the page. One calibration for the whole module (it takes a while)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from page_fixtures import new_app, open_page

from models import quantitative as qm
from workbench import bundle, exports, quant, services

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = quant.QuantSettings(links="truth", eta=1.25, delta=0.5, fixed={"kappa": 3.0})   # κ held: see docs/quantitative-calibration.md


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """(database path, calibration run id, result): the demo with one stored calibration."""
    path = tmp_path_factory.mktemp("quant") / "workbench.duckdb"
    db = services.open_database(path)
    services.ensure_demo(db, "tester")
    run_id, result, _ = quant.calibrate(db, SETTINGS, "tester")
    return path, run_id, result


@pytest.fixture(scope="module")
def with_counterfactual(calibrated):
    path, run_id, _ = calibrated
    cf_id, summary = quant.run_counterfactuals(services.open_database(path), "tester", run_id)
    return path, run_id, cf_id, summary


def test_the_calibration_is_stored_and_rebuilds_the_same_economy(calibrated):
    path, run_id, result = calibrated
    db = services.open_database(path)
    assert result.converged, result.message
    stored = quant.load_calibration(db, run_id)
    assert stored.spec == result.spec and stored.fundamentals == tuple(result.fundamentals)
    assert stored.subsidy_rate == result.subsidy_rate and stored.converged
    imposed = [c for c in result.constraints if "model" not in c]          # the others are reported, not imposed
    assert imposed and max(c["max_abs_error"] for c in imposed) < 1e-8
    provenance = stored.provenance
    assert provenance["synthetic_demo"] and provenance["actor"] == "tester"
    fed = {t for c in provenance["change_sets"] for t in c["tables"]}
    assert {"roads", "input_output", "sector_years", "balance_sheets"} <= fed
    # the stored economy's baseline path reproduces the result's path
    base, _ = qm.policy_fundamentals(stored.spec, stored.fundamentals, stored.schedule)
    path_again = qm.solve_path(stored.spec, base[:len(stored.years)], stored.lam0, max_periods=len(stored.years),
                               tol=np.inf, guess=stored.guess)
    np.testing.assert_allclose(path_again.shares[1:], result.path.shares[1:len(stored.years) + 1], atol=1e-8)


def test_table2_reports_each_moment_model_beside_data(calibrated):
    path, run_id, result = calibrated
    table = quant.table2(quant.load_calibration(services.open_database(path), run_id))
    internal = table[table["block"] == "Internal calibration"]
    assert len(internal) == len(result.moments) == 7
    np.testing.assert_allclose(internal["model"].astype(float), [m["model"] for m in result.moments])
    assert set(table.loc[table["parameter"] != "", "parameter"]) >= {"η", "δ", "σ", "θ", "F^T", "s̄", "κ", "τ̄ heavy"}


def test_counterfactuals_on_the_stored_calibration_match_a_direct_run(calibrated, with_counterfactual):
    path, run_id, cf_id, summary = with_counterfactual
    stored = quant.load_calibration(services.open_database(path), run_id)
    heavy = (stored.summary["sectors"]["heavy"],)
    direct = qm.counterfactual(stored.spec, stored.fundamentals, stored.schedule, lam0=stored.lam0, heavy=heavy,
                               guess=stored.guess)
    got = {r["measure"]: r for r in summary["panel_a"]}
    for row in direct.steady_state_differences()[:-1]:
        assert got[row["measure"]]["difference_pp"] == pytest.approx(row["difference_pp"], abs=1e-9)
    assert summary["welfare"] == pytest.approx(direct.welfare.aggregate, abs=1e-12)
    assert [r["scenario"] for r in summary["panel_c"]] == ["foreign_demand", "tariffs", "no_highway",
                                                          "no_internal_trade", "xi", "tau_bar"]
    assert all(r["difference_pp"] is not None or r["note"].startswith("not solved") for r in summary["panel_c"])
    years = {r["year"] for r in summary["time_paths"] if r["scenario"] == "data"}
    assert years == set(stored.years) and summary["policy_years"] == [1976, 1980]


def test_a_calibration_that_did_not_converge_carries_no_counterfactual(calibrated, tmp_path):
    path = tmp_path / "copy.duckdb"                 # a copy: the module's database keeps one, converged, calibration
    shutil.copy(calibrated[0], path)
    db = services.open_database(path)
    run_id, result, _ = quant.calibrate(db, quant.QuantSettings(links="truth", eta=1.25, delta=0.5, max_evaluations=1),
                                        "tester")
    assert not result.converged and not quant.load_calibration(db, run_id).converged
    with pytest.raises(quant.CalibrationNotUsable, match=f"calibration {run_id} did not converge"):
        quant.run_counterfactuals(db, "tester", run_id)


def test_policy_experiments_are_reproducible_and_consistent(calibrated, with_counterfactual):
    path, run_id, _, summary = with_counterfactual
    db = services.open_database(path)
    kwargs = dict(run_id=run_id, draws=6, seed=3, workers=1, grid=4)
    _, first = quant.run_policy(db, "tester", **kwargs)
    _, again = quant.run_policy(db, "tester", **kwargs)
    assert first["randomized"]["draws"] == again["randomized"]["draws"]
    assert [r["welfare_pct"] for r in first["randomized"]["rows"]] == [r["welfare_pct"] for r in again["randomized"]["rows"]]
    adoption = first["comparison"][0]
    panel_a = {r["measure"]: r for r in summary["panel_a"]}
    assert adoption["gdp_share_pp"] == pytest.approx(panel_a["gdp_share"]["difference_pp"], abs=1e-9)
    assert first["comparison"][1]["policy"].startswith("general subsidy")
    grid_best = max(r["welfare_pct"] for r in first["uniform"]["grid"])
    assert first["uniform"]["welfare"]["value"] >= grid_best - 1e-9


def test_exports_of_the_model_runs(with_counterfactual, tmp_path):
    path, run_id, cf_id, _ = with_counterfactual
    db = services.open_database(path)
    (table2,) = exports.export(db, "calibration", "latex", run_id)
    text = table2.data.decode()
    assert "Internal calibration" in text and "External calibration" in text
    (table3,) = exports.export(db, "counterfactuals", "md", cf_id)
    assert "Panel C" in table3.data.decode()
    figure, data = exports.export(db, "figure4", "png", cf_id)
    assert figure.data[:8] == b"\x89PNG\r\n\x1a\n" and b"baseline" in data.data
    regional = exports.export(db, "regional", "svg", cf_id)
    assert regional[0].data.startswith(b"<svg") and regional[1].name == "regional-data.csv"


def test_cli_runs_counterfactuals_on_the_stored_calibration(with_counterfactual, tmp_path):
    path, run_id = with_counterfactual[:2]
    copy = tmp_path / "copy.duckdb"
    shutil.copy(path, copy)
    done = subprocess.run([sys.executable, "-m", "workbench", "--db", str(copy), "quant", "counterfactual",
                           "--calibration", str(run_id), "--no-scenarios", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["calibration_run_id"] == run_id and "panel_c" not in out
    missing = subprocess.run([sys.executable, "-m", "workbench", "--db", str(copy), "quant", "counterfactual",
                              "--calibration", "999"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert missing.returncode == 1 and "no calibration is stored with run id 999" in missing.stderr


def test_the_page_shows_table2_figure4_and_table3(with_counterfactual, tmp_path, monkeypatch):
    path = with_counterfactual[0]
    copy = tmp_path / "page.duckdb"
    shutil.copy(path, copy)
    monkeypatch.setenv("WORKBENCH_DB", str(copy))
    at = open_page(new_app().run(), "quant_model")
    assert not at.exception, at.exception[0].stack_trace
    headers = [h.value for h in at.subheader]
    assert headers[:3] == ["1. Inputs and settings", "2. Calibration (Table 2)",
                           "3. The big push against no big push (Figure 4, Table 3)"]
    labels = {b.label for b in at.get("download_button")}
    assert {"Table 2 (CSV)", "Table 2 (Excel)", "Panel A (CSV)", "Panel B (CSV)", "Panel C (CSV)", "PNG", "SVG"} <= labels


def test_the_exports_page_lists_compares_and_exports_the_model_runs(with_counterfactual, tmp_path, monkeypatch):
    from test_exports_page import rename_in_editors

    from workbench import state_keys as keys

    path, run_id, cf_id, _ = with_counterfactual
    copy = tmp_path / "exports.duckdb"
    shutil.copy(path, copy)
    with services.open_database(copy).transaction("test setup: the module's policy runs out, so the calibration "
                                                  "and its counterfactual run are the newest results") as con:
        con.execute("DELETE FROM model_runs WHERE model = ?", [quant.POLICY])
    monkeypatch.setenv("WORKBENCH_DB", str(copy))
    rename_in_editors(monkeypatch, keys.EXPORTS_ROW_LABELS, "η", "eta (direct gain)")
    rename_in_editors(monkeypatch, keys.EXPORTS_ROW_LABELS, "Total", "All sectors")
    at = open_page(new_app().run(), "exports")
    assert not at.exception, at.exception[0].stack_trace
    listed = at.dataframe[0].value
    converged = quant.load_calibration(services.open_database(copy), run_id).converged
    assert listed["result"].tolist()[:2] == [cf_id, run_id]
    assert listed["kind"].tolist()[:2] == [f"quant_counterfactuals on calibration {run_id}",
                                           f"quant_calibration ({'converged' if converged else 'did not converge'})"]
    assert [f"{cf_id}: {listed['kind'][0]}", f"{run_id}: {listed['kind'][1]}"] == \
        at.selectbox(key=keys.EXPORTS_RESULT).options[:2]
    diff = at.dataframe[-1].value     # Result A: the calibration, B: the counterfactual run on it
    assert diff.iloc[0].tolist() == ["result", "kind", quant.CALIBRATION, quant.COUNTERFACTUALS]
    assert "calibration_run_id" in diff["item"].tolist() and "data" not in diff["what"].tolist()
    db = services.open_database(copy)
    for chosen, what, old, new in ((cf_id, "counterfactuals", "Total", "All sectors"),
                                   (run_id, "calibration", "η", "eta (direct gain)")):
        at.selectbox(key=keys.EXPORTS_RESULT).set_value(chosen)
        at.run()
        assert not at.exception, at.exception[0].stack_trace
        original = exports.table_layout(db, what, chosen).frame()
        table = next(d.value for d in at.dataframe if new in d.value.iloc[:, 0].tolist())
        assert table.iloc[:, 1:].values.tolist() == original.iloc[:, 1:].values.tolist()
        assert table.iloc[:, 0].tolist() == [{old: new}.get(r, r) for r in original.iloc[:, 0]]
        assert {"LATEX", "MD", "CSV", "XLSX", "HTML"} <= {b.label for b in at.get("download_button")}


@pytest.mark.timeout(2400)   # the module's calibration, then the rebuild calibrates again (minutes each)
def test_the_bundle_re_runs_the_model_runs(calibrated, tmp_path):
    """rebuild.py re-runs a calibration and the counterfactual and policy runs made on it, and every number of
    theirs matches (Panel C and the module's other runs are left out of the copy to keep the rebuild short)."""
    path = tmp_path / "bundle.duckdb"
    shutil.copy(calibrated[0], path)
    db = services.open_database(path)
    with db.transaction("test setup: keep only the calibration") as con:
        con.execute("DELETE FROM model_runs WHERE model <> ?", [quant.CALIBRATION])
    cf_id, _ = quant.run_counterfactuals(db, "tester", calibrated[1], scenarios=False)
    policy_id, _ = quant.run_policy(db, "tester", calibrated[1], draws=4, seed=1, workers=1, grid=3)
    out = tmp_path / "bundle.zip"
    bundle.write_bundle(db, out)
    folder = tmp_path / "clean"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    runs = manifest["model_runs"]
    assert [(r["run_id"], r["replayed"]) for r in runs] == [(calibrated[1], True), (cf_id, True), (policy_id, True)]
    settings = json.loads((folder / runs[0]["settings_file"]).read_text())
    stored = quant.load_calibration(db, calibrated[1])
    assert (settings["eta"], settings["delta"], settings["fixed"]) == (stored.spec.eta, stored.spec.delta, {"kappa": 3.0})
    assert [manifest["steps"][r["step"]][:2] for r in runs] == [["quant", "calibrate"], ["quant", "counterfactual"],
                                                                 ["quant", "policy"]]
    assert "seconds" not in runs[0]["numbers"] and "calibration_run_id" not in runs[1]["numbers"]
    done = subprocess.run([sys.executable, "rebuild.py", "--workbench", str(ROOT)], cwd=folder,
                          capture_output=True, text=True, timeout=1800, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 model run(s): all match" in done.stdout

    # the check can fail: a calibrated parameter changed in the manifest is caught
    key = next(k for k in runs[0]["numbers"] if k.startswith("spec/kappa"))
    runs[0]["numbers"][key] *= 1.001
    (folder / "manifest.json").write_text(json.dumps(manifest))
    check = subprocess.run([sys.executable, "rebuild.py", "--workbench", str(ROOT), "--check-only"], cwd=folder,
                           capture_output=True, text=True, timeout=600, check=False)
    assert check.returncode == 1 and f"MISMATCH model run {calibrated[1]} (quant_calibration): {key}" in check.stdout
