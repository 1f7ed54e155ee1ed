"""The Direct effects page under AppTest (private copies of the demo database) and its pure helpers."""

from __future__ import annotations

import io
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from page_fixtures import (assert_ok, demo_db, demo_template, download_labels, new_app, open_page,  # noqa: F401
                           submit_form, warning_texts)

from estimation.direct_effects import DirectEffectsSpec, DirectGain, NotApplicable, TestStatistic
from storage.ingest import IngestRequest, ingest_file
from storage.schema import table_spec
from workbench import direct_effects, services
from workbench import state_keys as keys
from workbench import ui_direct_effects as ude

PAGE = "direct_effects"


@pytest.fixture
def page(demo_db):
    """The Direct effects page on a private demo database (no linkage run, nothing estimated yet)."""
    return open_page(new_app().run(), PAGE)


def _run(at, **settings):
    """Set the form's widgets (by their key names) and press Run."""
    return submit_form(at, "direct_effects", keys.DIRECT_EFFECTS_RUN_BUTTON, {"bootstrap_reps": 0, **settings})


# --- the page --------------------------------------------------------------------------------

def test_page_opens_on_the_demo_with_the_settings_and_no_estimate(page):
    assert_ok(page)
    assert [t.value for t in page.title] == ["Direct effects"]
    assert any("No linkage run exists yet" in i.value for i in page.info)
    assert page.radio(key=keys.DIRECT_EFFECTS_LINKS).options == [ude.LINK_LABELS["final"], ude.LINK_LABELS["truth"]]
    assert page.radio(key=keys.DIRECT_EFFECTS_LINKS).value == "truth"  # no linkage run: the demo's true links
    assert page.number_input(key=keys.DIRECT_EFFECTS_K).value == 3
    assert page.number_input(key=keys.DIRECT_EFFECTS_BOOTSTRAP_REPS).value == 999
    assert ude.outcome_label("tfpr_cost_share") in page.selectbox(key=keys.DIRECT_EFFECTS_OUTCOME).options
    assert any("No direct-effects estimate is stored yet" in c.value for c in page.caption)
    assert not page.get("vega_lite_chart")


def test_a_run_with_true_links_shows_the_figure_the_table_eta_and_downloads(page, demo_db):
    _run(page, bootstrap_reps=99)
    assert_ok(page)
    stored = direct_effects.stored_estimates(demo_db)
    assert len(stored) == 1
    result = stored.iloc[0]["result"]
    assert page.session_state[keys.DIRECT_EFFECTS_RUN].estimate_id == stored.iloc[0]["estimate_id"]
    assert len(page.get("vega_lite_chart")) == 2  # the event study and the raw means
    table = page.table[0].value
    labels, values = table.iloc[:, 0].tolist(), table.iloc[:, 1].tolist()
    beta_2 = next(c for c in result["coefficients"] if c["event_time"] == 2)
    row = labels.index("τ = 2")
    assert (values[row], values[row + 1]) == ude.estimate_cell(beta_2["estimate"], beta_2["se"], beta_2["p"])
    assert values[labels.index("τ = −1 (reference)")] == "0"
    assert values[labels.index("Not identified (no winner-loser contrast)")] == "τ = 3, 4, 5, 6, 7"
    assert values[labels.index("Observations (match × firm × year)")] == f"{result['N']:,}"
    assert values[labels.index("Matches")] == str(result["matches"])
    boot = next(v for label, v in zip(labels, values) if label.startswith("Wild cluster bootstrap p"))
    assert boot == f"{result['bootstrap_p']:.3f}"
    assert any("F(4, 6)" in v for v in values)  # the pre-trend test
    eta = [w for w in warning_texts(page) if "η is not available" in w]
    assert eta and "β_7 is not identified" in eta[0] and "τ = 0, 1, 2" in eta[0]
    assert any("Not identified: τ = 3, 4, 5, 6, 7" in c.value for c in page.caption)
    assert {"Stata (.dta)", "Parquet", "CSV", "Table as shown (CSV)", "Coefficients, full precision (CSV)",
            "Balance (CSV)", "Matches (CSV)", "Unmatched losers (CSV)", "Sample sizes (CSV)", "PNG", "SVG",
            "Stored estimates (CSV)"} <= set(download_labels(page))
    assert services.audit_log(demo_db, limit=1).iloc[0]["action"] == "estimate"
    assert any(e.label.startswith(f"Estimate {stored.iloc[0]['estimate_id']}: log_sales") for e in page.expander)

    page.run()  # a rerun shows the same estimate without estimating again
    assert_ok(page)
    assert len(direct_effects.stored_estimates(demo_db)) == 1
    assert page.table[0].value.equals(table)
    assert not any("data changed since" in w for w in warning_texts(page))


def test_the_session_estimate_says_when_the_data_changed_since(page, demo_db):
    _run(page)
    rows = services.table_rows(demo_db, "regions")
    edited = rows[[*table_spec("regions").column_names, "_row_id"]].copy()
    edited.loc[0, "name"] = "시험지역"
    assert services.save_table_edits(demo_db, "regions", rows["_row_id"].tolist(), edited, "tester").change_set_id
    page.run()
    assert_ok(page)
    assert any("The data changed since this estimate" in w for w in warning_texts(page))
    shown = next(d.value for d in page.dataframe if "data changed since" in d.value.columns)
    assert shown["data changed since"].tolist() == ["yes"]


def test_eta_at_an_identified_period(page, demo_db):
    _run(page, eta_tau=2, sigma=4.0)
    assert_ok(page)
    beta = next(c for c in direct_effects.stored_estimates(demo_db).iloc[0]["result"]["coefficients"]
                if c["event_time"] == 2)["estimate"]
    message = page.success[0].value
    assert message.startswith(f"**η = {math.exp(beta / 3):.4f}**") and "σ = 4" in message
    assert "β_2 of log_sales" in message and "the paper's η uses the long-run β_7" in message


def test_robustness_panel_runs_on_the_estimate_and_is_stored(page, demo_db):
    _run(page, eta_tau=2)
    assert keys.DIRECT_EFFECTS_ROBUSTNESS not in page.session_state
    page.button(key=keys.DIRECT_EFFECTS_ROBUSTNESS_BUTTON).click().run()
    assert_ok(page)
    panels = direct_effects.stored_estimates(demo_db, direct_effects.ROBUSTNESS_KIND)
    assert len(panels) == 1
    panel_id, table, estimate_id = page.session_state[keys.DIRECT_EFFECTS_ROBUSTNESS]
    assert panel_id == panels.iloc[0]["estimate_id"] and estimate_id == page.session_state[keys.DIRECT_EFFECTS_RUN].estimate_id
    assert table["beta"].notna().all() and table["variant"].str.fullmatch("k = 1").any()
    assert any(f"Stored as estimate {panel_id}" in c.value for c in page.caption)
    assert "Robustness panel (CSV)" in download_labels(page)
    assert page.button(key=keys.DIRECT_EFFECTS_POOLED_BUTTON).disabled  # nothing ticked yet


def test_robustness_rows_for_reading_and_the_ticked_choice():
    table = pd.DataFrame({"group": ["base", "controls"], "variant": ["k = 3, …", "+ credit"], "base": [True, False],
                          "matches": pd.array([7, 7], dtype="Int64"), "firms": pd.array([16, 16], dtype="Int64"),
                          "N": pd.array([102, 102], dtype="Int64"), "tau": [2, 2], "beta": [0.2071, np.nan],
                          "se": [0.0635, np.nan], "p_value": [0.012, np.nan], "pretrend_p": [0.281, np.nan],
                          "eta": [1.0531, np.nan], "eta_se": [0.017, np.nan], "note": ["", "needs the credit table"]})
    shown = ude.robustness_display(table)
    assert shown.columns[0] == "use for η" and not shown["use for η"].any()
    assert shown.loc[0, "β_2"] == "0.207**" and shown.loc[0, "se"] == "(0.064)" and shown.loc[1, "β_2"] == ""
    assert shown.loc[0, "pre-trend p"] == "0.281" and shown.loc[1, "η"] == ""
    assert ude.chosen_specifications(shown.assign(**{"use for η": [True, False]})) == ["k = 3, …"]


@pytest.mark.parametrize(("settings", "said"), [
    ({"window_hi": 2}, "the event time for η (7) must be an estimated period of the window"),
    ({"matching_variables": []}, "at least one matching variable is needed"),
])
def test_a_bad_setting_is_a_plain_message_and_stores_nothing(page, demo_db, settings, said):
    _run(page, **settings)
    assert_ok(page)
    assert any(w.startswith("Not estimated:") and said in w for w in warning_texts(page)), warning_texts(page)
    assert direct_effects.stored_estimates(demo_db).empty


def test_data_without_losers_is_a_plain_message(page, demo_db):
    contracts = services.table_frame(demo_db, "contracts").assign(status="completed", canceled_by=None,
                                                                  cancel_year=None, cancel_reason=None)
    request = IngestRequest(table="contracts", file_name="completed_only.csv", mode="replace", actor="tester",
                            data=contracts.to_csv(index=False).encode("utf-8"))
    assert ingest_file(demo_db, request).written
    _run(page)
    assert_ok(page)
    assert any("No losers" in w and "Nothing was stored" in w for w in warning_texts(page)), warning_texts(page)
    assert direct_effects.stored_estimates(demo_db).empty
    assert not page.get("vega_lite_chart")


def test_final_links_without_a_linkage_run_point_to_the_linkage_page(page, demo_db):
    _run(page, links="final")
    assert_ok(page)
    assert any("no linkage run exists yet" in w for w in warning_texts(page))
    assert [link.proto.page for link in page.get("page_link")] == ["linkage", "linkage"]  # the notice and the error
    assert direct_effects.stored_estimates(demo_db).empty


def test_the_page_works_on_an_empty_database(page, demo_db):
    services.undo(demo_db, "tester")  # undoing the demo load empties every table
    page.run()
    assert_ok(page)
    assert page.radio(key=keys.DIRECT_EFFECTS_LINKS).options == [ude.LINK_LABELS["final"]]  # truth: demo only
    _run(page)
    assert_ok(page)
    assert any("no linkage run exists yet" in w for w in warning_texts(page))


# --- pure helpers ------------------------------------------------------------------------------

def test_estimates_in_the_stata_convention():
    assert ude.estimate_cell(0.1234, 0.0456, 0.007) == ("0.123***", "(0.046)")
    assert ude.estimate_cell(-0.2, 0.15, 0.2) == ("-0.200", "(0.150)")
    assert [ude.stars(p) for p in (0.0099, 0.01, 0.049, 0.05, 0.099, 0.1, float("nan"))] == [
        "***", "**", "**", "*", "*", "", ""]
    assert ude.estimate_cell(0.0, float("nan"), float("nan")) == ("0.000", "")


def _fake_result(bootstrap, pretrend, gain, not_identified=(3, 4)):
    coefficients = pd.DataFrame({
        "term": ["tau_m2", "tau_m1", "tau_0", "tau_p1", "tau_p2"], "event_time": [-2, -1, 0, 1, 2],
        "estimate": [0.01, 0.0, 0.1234, 0.2, 0.3], "se": [0.02, np.nan, 0.0456, 0.1, 0.2],
        "t": [0.5, np.nan, 2.7, 2.0, 1.5], "p": [0.6, np.nan, 0.007, 0.04, 0.09],
        "ci_low": [-0.03, np.nan, 0.03, 0.0, -0.1], "ci_high": [0.05, np.nan, 0.21, 0.4, 0.7],
        "reference": [False, True, False, False, False]})
    fit = SimpleNamespace(coefficients=coefficients, not_identified=not_identified, nobs=120, n_matches=9,
                          n_firms=20, clusters={"match": 9, "firm": 20}, pretrend=pretrend, df_t=8)
    reps = 0 if isinstance(bootstrap, NotApplicable) else 99
    spec = DirectEffectsSpec(window=(-2, 4), eta_tau=4, bootstrap_reps=reps)
    return SimpleNamespace(fit=fit, spec=spec, bootstrap=bootstrap, gain=gain)


PRETREND = TestStatistic("joint test of the pre-event coefficients", "β_τ = 0 for all τ < 0", 1.637, 0.281,
                         (4, 6), "F")


def test_coefficient_table_rows():
    off = NotApplicable("wild cluster bootstrap", "switched off (bootstrap_reps = 0)")
    result = _fake_result(off, PRETREND, NotApplicable("direct gain η", "β_4 is not identified: …"))
    table = ude.coefficient_table(result)
    assert list(table.columns) == ["", "log_sales"]
    cells = table.values.tolist()
    assert cells[:6] == [["τ = −2", "0.010"], ["", "(0.020)"], ["τ = −1 (reference)", "0"], ["", "(omitted)"],
                         ["τ = 0", "0.123***"], ["", "(0.046)"]]
    footer = dict(cells[10:])
    assert footer["Not identified (no winner-loser contrast)"] == "τ = 3, 4"
    assert footer["Clusters"] == "9 matches / 20 firms"
    assert footer["Pre-trend: joint test of β_τ, τ < 0"] == "F(4, 6) = 1.64, p = 0.281"
    assert footer["Wild cluster bootstrap p"] == "off"
    notes = ude.table_notes(result)
    assert "Wild cluster bootstrap: off (0 draws)." in notes and "F(4, 6) = 1.637, p = 0.281" in notes
    no_pre = _fake_result(off, NotApplicable("joint test", "no pre-event coefficient"), None, not_identified=())
    footer = dict(ude.coefficient_table(no_pre).values.tolist()[10:])
    assert footer["Pre-trend: joint test of β_τ, τ < 0"] == "not applicable"
    assert "Not identified (no winner-loser contrast)" not in footer


def test_event_study_points_mark_the_reference_and_skip_unidentified_periods():
    points = ude.event_study_points(_fake_result(None, PRETREND, None))
    assert points["event_time"].tolist() == [-2, -1, 0, 1, 2]  # τ = 3, 4 are not identified: no point
    assert points.loc[points["kind"] == "reference", ["event_time", "estimate"]].values.tolist() == [[-1, 0.0]]


def test_eta_message_gives_the_value_or_the_reason_and_the_periods_to_use():
    gain = DirectGain(eta=1.137, se=0.010, beta_bar=0.513, beta_se=0.034, sigma=5.0, source="β_4 of log_sales")
    available, text = ude.eta_message(_fake_result(None, PRETREND, gain), 12)
    assert available and text.startswith("**η = 1.1370** (se 0.0100)") and "β_4 of log_sales = 0.5130" in text
    assert "estimate 12" in text and "the paper's η uses the long-run β_7" in text
    reason = "β_4 is not identified: no match observes a winner and its loser 4 years after the event"
    available, text = ude.eta_message(_fake_result(None, PRETREND, NotApplicable("direct gain η", reason)), 3)
    assert not available and reason in text and "τ = 0, 1, 2" in text and "Estimate 3 is stored without η" in text


def test_stata_names_are_valid_unique_and_short():
    names = ude.stata_names(["log_sales", "1st year", "in", "기업명", "x" * 40, "x" * 40 + "y", "str5"])
    assert names["log_sales"] == "log_sales" and names["1st year"] == "_1st_year" and names["in"] == "_in"
    assert names["str5"] == "_str5"
    assert len(set(names.values())) == len(names)
    assert all(len(n) <= 32 and (n[0].isascii() and n[0].isalpha() or n[0] == "_") for n in names.values())


def test_dta_round_trip_keeps_korean_text_names_and_labels():
    frame = pd.DataFrame({"firm_id": ["F001", "F002"], "firm_name": ["한국기계공업(주)", "대한조선공사"],
                          "year": [1975, 1976], "log_sales": [15.2, np.nan], "winner": [True, False],
                          "bad name-1": [1, 2]})
    data = ude.stata_bytes(frame, {"firm_name": "상호 (firm name)", "log_sales": "l" * 100},
                           "reghdfe log_sales tau_*, a(mf my) vce(cl match firm)")
    back = pd.read_stata(io.BytesIO(data))
    assert list(back.columns) == ["firm_id", "firm_name", "year", "log_sales", "winner", "bad_name_1"]
    assert back["firm_name"].tolist() == ["한국기계공업(주)", "대한조선공사"]
    assert back["winner"].tolist() == [1, 0] and np.isnan(back["log_sales"][1])
    with pd.io.stata.StataReader(io.BytesIO(data)) as reader:
        assert reader.data_label == "reghdfe log_sales tau_*, a(mf my) vce(cl match firm)"
        labels = reader.variable_labels()
    assert labels["firm_name"] == "상호 (firm name)" and labels["log_sales"] == "l" * 80


def test_stata_sample_encodes_the_ids_and_carries_the_command():
    sample = pd.DataFrame({"match_id": ["M001"] * 4 + ["M002"] * 2, "firm_id": ["F1", "F1", "F2", "F2", "F1", "F3"],
                           "year": [1974, 1975, 1974, 1975, 1977, 1977], "log_sales": np.arange(6.0),
                           "tau_m2": 0, "tau_p1": [0, 1, 0, 0, 0, 0]})
    frame, labels, data_label = ude.stata_sample(sample, "log_sales")
    assert frame["mf"].tolist() == [1, 1, 2, 2, 3, 4] and frame["my"].tolist() == [1, 2, 1, 2, 3, 3]
    assert data_label == "reghdfe log_sales tau_*, a(mf my) vce(cl match firm)"
    assert labels["tau_m2"] == "1[event time = -2] x winner" and labels["tau_p1"] == "1[event time = 1] x winner"
    back = pd.read_stata(io.BytesIO(ude.stata_bytes(frame, labels, data_label)))
    assert back["match"].astype(str).tolist() == sample["match_id"].tolist()  # value labels, as `encode` makes
    long = ude.stata_sample(sample.rename(columns={"log_sales": "tfpr_revenue_share"}), "tfpr_revenue_share",
                            ("credit", "trade_fairs"))[2]
    assert len(long) <= 80


def test_parquet_bytes_round_trip():
    frame = pd.DataFrame({"firm_id": ["F1"], "name": ["대한조선공사"], "tau_0": [1]})
    assert pd.read_parquet(io.BytesIO(ude.parquet_bytes(frame))).equals(frame)


def test_stale_means_a_change_other_than_an_estimate():
    audit = pd.DataFrame({"audit_id": [5, 4, 3], "action": ["estimate", "estimate", "ingest"]})
    assert not ude.changed_since(audit, 3)
    assert ude.changed_since(audit, 2)


def test_outcome_options_list_the_named_outcomes_then_the_columns():
    options = ude.outcome_options(ude.numeric_balance_columns())
    assert options[:6] == ["log_sales", "log_employment", "log_assets", "log_fixed_assets", "tfpr_cost_share",
                           "tfpr_revenue_share"]
    assert "sales" in options and "exports" in options and "year" not in options
    assert len(options) == len(set(options))
    assert ude.outcome_label("exports") == "exports (the column as it is)"


def test_unmatched_reasons_are_counted_without_details():
    unmatched = pd.DataFrame({"firm_id": ["A", "B", "C"], "event_year": [1974, 1975, 1975], "reason": [
        "missing pre-event covariates (growth_log_assets; measured in 1973)", "no winner adopted in 1975",
        "missing pre-event covariates (log_assets; measured in 1974)"]})
    assert ude.reason_counts(unmatched).values.tolist() == [["missing pre-event covariates", 2],
                                                           ["no winner adopted in 1975", 1]]
