"""The Exports page under AppTest on a demo database with stored direct-effects estimates and model runs,
and the merged list of results, compare runs and the label renaming as pure functions."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from page_fixtures import demo_db, demo_template, new_app, open_page  # noqa: F401 - pytest fixtures

from estimation.direct_effects import DirectEffectsSpec
from workbench import direct_effects, exports, quant
from workbench import state_keys as keys
from workbench import ui_exports as ux


def rename_in_editors(monkeypatch, key_prefix: str, old: str, new: str) -> None:
    """Make the page's label editors whose key starts with ``key_prefix`` return ``old`` relabelled ``new``, as if
    the user had typed it (AppTest cannot edit an ``st.data_editor``)."""
    real = st.data_editor

    def editor(data, *args, **kwargs):
        edited = real(data, *args, **kwargs)
        if kwargs["key"].startswith(key_prefix):
            edited = edited.assign(**{ux.LABEL: edited[ux.LABEL].replace(old, new)})
        return edited
    monkeypatch.setattr(st, "data_editor", editor)


def _store_model_runs(db, provenance: dict) -> tuple[int, int]:
    """A hand-made calibration that did not converge and a policy run on it (the page only lists them)."""
    cal = quant._store_run(db, quant.CALIBRATION, {"links": "truth", "sigma": 5.0}, {"converged": False},
                           provenance, "t", "hand-made calibration")
    policy = quant._store_run(db, quant.POLICY, {"calibration_run_id": cal, "draws": 3, "seed": 1}, {},
                              provenance | {"calibration_run_id": cal}, "t", "hand-made policy run")
    return cal, policy


def test_exports_page_lists_results_and_compares(demo_db, monkeypatch):
    cal, policy = _store_model_runs(demo_db, {"links": {"source": "truth"}, "data_version": 1})
    direct_effects.estimate_direct_effects(demo_db, DirectEffectsSpec(bootstrap_reps=0), "t", links="truth")
    direct_effects.estimate_direct_effects(demo_db, DirectEffectsSpec(bootstrap_reps=0, k=2), "t", links="truth")
    second, first = exports.stored_results(demo_db)["estimate_id"].tolist()
    rename_in_editors(monkeypatch, keys.EXPORTS_ROW_LABELS, "Observations", "Firm-years")
    at = open_page(new_app().run(), "exports")
    assert not at.exception, at.exception[0].stack_trace
    listed = at.dataframe[0].value
    assert listed["result"].tolist() == [second, first, policy, cal]
    assert listed["kind"].tolist() == ["direct_effects", "direct_effects", f"quant_policy on calibration {cal}",
                                       "quant_calibration (did not converge)"]
    assert listed["links"].tolist() == ["truth"] * 4
    # every result with a table but the policy run; the newest estimate's event study, one row relabelled
    assert at.selectbox(key=keys.EXPORTS_RESULT).options == [f"{i}: {k}" for i, k in zip(listed["result"],
                                                                                            listed["kind"]) if i != policy]
    table = next(d.value for d in at.dataframe if "Firm-years" in d.value.iloc[:, 0].tolist())
    original = exports.table_layout(demo_db, "event-study", second).frame()
    assert table.iloc[:, 1:].values.tolist() == original.iloc[:, 1:].values.tolist()
    assert table.iloc[:, 0].tolist() == [{"Observations": "Firm-years"}.get(r, r) for r in original.iloc[:, 0]]
    assert {"LATEX", "MD", "CSV", "XLSX", "HTML"} <= {b.label for b in at.get("download_button")}
    diff = at.dataframe[-1].value
    assert diff[diff["what"] == "setting"]["item"].tolist() == ["k"] and "result" not in diff["what"].tolist()
    at.selectbox(key=keys.EXPORTS_COMPARE_A).set_value(cal)
    at.selectbox(key=keys.EXPORTS_COMPARE_B).set_value(policy)
    diff = at.run().dataframe[-1].value
    assert diff.iloc[0].tolist() == ["result", "kind", quant.CALIBRATION, quant.POLICY]
    assert diff[diff["what"] == "setting"]["item"].tolist() == ["calibration_run_id", "draws", "links", "seed", "sigma"]


def test_the_label_editors_are_keyed_by_the_chosen_result(demo_db):
    direct_effects.estimate_direct_effects(demo_db, DirectEffectsSpec(bootstrap_reps=0), "t", links="truth")
    direct_effects.estimate_direct_effects(demo_db, DirectEffectsSpec(bootstrap_reps=0, k=2), "t", links="truth")
    at = open_page(new_app().run(), "exports")
    editors = {e.key for e in at.data_editor}
    chosen = exports.stored_results(demo_db)["estimate_id"].iloc[0]
    assert editors == {f"{keys.EXPORTS_LABELS}.{chosen}", f"{keys.EXPORTS_ROW_LABELS}.{chosen}"}
    rows = at.data_editor(key=f"{keys.EXPORTS_ROW_LABELS}.{chosen}").value
    assert rows["row"].tolist() == exports.table_layout(demo_db, "event-study", chosen).row_labels()


def test_all_results_merges_estimates_and_model_runs(demo_db):
    direct_effects.estimate_direct_effects(demo_db, DirectEffectsSpec(bootstrap_reps=0), "t", links="truth")
    estimates = exports.stored_results(demo_db)
    provenance = estimates.iloc[0]["provenance"] | {"links": {"source": "final"}, "data_version": 7}
    cal, policy = _store_model_runs(demo_db, provenance)
    runs = {model: quant.stored_runs(demo_db, model) for model in quant.MODELS}
    merged = ux.all_results(estimates, runs)
    assert merged.columns.tolist() == ux.COLUMNS
    assert merged["estimate_id"].tolist() == [policy, cal, estimates.iloc[0]["estimate_id"]]
    assert merged["kind"].tolist() == [quant.POLICY, quant.CALIBRATION, "direct_effects"]
    assert merged["links"].tolist() == ["final", "final", "truth"]
    assert merged["data_version"].tolist()[:2] == [7, 7]
    assert merged.iloc[0]["settings"] == {"calibration_run_id": cal, "draws": 3, "seed": 1}
    assert merged.iloc[0]["provenance"]["calibration_run_id"] == cal
    assert ux.all_results(estimates.iloc[:0], {m: r.iloc[:0] for m, r in runs.items()}).empty


def test_compare_runs_names_changed_data(demo_db):
    direct_effects.estimate_direct_effects(demo_db, DirectEffectsSpec(bootstrap_reps=0), "t", links="truth")
    row = exports.stored_results(demo_db).iloc[0]
    changed = row.copy()
    changed["provenance"] = {**row["provenance"], "change_sets": [{**c, "file_sha256": "abc"}
                                                                  for c in row["provenance"]["change_sets"]]}
    changed["estimate_id"] = 99
    diff = ux.compare_runs(row, changed)
    assert diff["what"].tolist() == ["data"] and "abc" in diff.iloc[0, 3]
    assert ux.compare_runs(row, row).empty


def test_compare_runs_of_model_runs():
    provenance = {"links": {"source": "final"}, "data_version": 3, "code_version": {"git_commit": "aaa"},
                  "packages": {"numpy": "2.0"}, "change_sets": [{"change_set_id": 1, "kind": "demo"}]}
    a = pd.Series({"estimate_id": 5, "kind": quant.COUNTERFACTUALS, "data_version": 3, "result": {},
                   "settings": {"calibration_run_id": 4, "discount": 0.95, "scenarios": True},
                   "provenance": provenance | {"calibration_run_id": 4}})
    b = a.copy()
    b["estimate_id"], b["data_version"] = 8, 6
    b["settings"] = {"calibration_run_id": 7, "discount": 0.95, "scenarios": False}
    b["provenance"] = provenance | {"calibration_run_id": 7, "data_version": 6, "code_version": {"git_commit": "bbb"},
                                    "change_sets": [{"change_set_id": 1, "kind": "demo"},
                                                    {"change_set_id": 2, "kind": "upload", "file_name": "x.csv",
                                                     "file_sha256": "f00"}]}
    assert ux.compare_runs(a, b).values.tolist() == [
        ["setting", "calibration_run_id", "4", "7"], ["setting", "scenarios", "True", "False"],
        ["code", "git_commit", "aaa", "bbb"], ["data", "change set 2", "not used", "upload x.csv f00"],
        ["data", "data version", "3", "6"]]
    calibration = a.copy()
    calibration["kind"], calibration["settings"] = quant.CALIBRATION, {"sigma": 5.0}
    assert ux.compare_runs(calibration, a).iloc[0].tolist() == ["result", "kind", quant.CALIBRATION, quant.COUNTERFACTUALS]


def test_renaming_keeps_cleared_and_unchanged_labels():
    assert ux.renaming(["η", "δ", "σ", "θ"], ["eta", "δ", None, "  "]) == {"η": "eta"}
