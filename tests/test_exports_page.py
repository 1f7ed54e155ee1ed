"""The Exports page under AppTest on a demo database with two stored direct-effects estimates, and
compare runs as a pure function."""

from __future__ import annotations

from page_fixtures import demo_db, demo_template, new_app, open_page  # noqa: F401 - pytest fixtures

from estimation.direct_effects import DirectEffectsSpec
from workbench import direct_effects, exports
from workbench import ui_exports as ux


def test_exports_page_lists_results_and_compares(demo_db):
    direct_effects.estimate_direct_effects(demo_db, DirectEffectsSpec(bootstrap_reps=0), "t", links="truth")
    direct_effects.estimate_direct_effects(demo_db, DirectEffectsSpec(bootstrap_reps=0, k=2), "t", links="truth")
    at = open_page(new_app().run(), "exports")
    assert not at.exception, at.exception[0].stack_trace
    assert at.dataframe[0].value["result"].tolist() == [2, 1]
    diff = at.dataframe[-1].value
    assert diff[diff["what"] == "setting"]["item"].tolist() == ["k"]
    assert {"LATEX", "MD", "CSV", "XLSX", "HTML"} <= {b.label for b in at.get("download_button")}
    assert any("Quantitative model page" in c.value for c in at.caption)


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
