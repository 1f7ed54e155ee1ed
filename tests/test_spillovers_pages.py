"""The Spillovers page under AppTest (private copies of the demo database) and its pure helpers."""

from __future__ import annotations

import io
import shutil

import numpy as np
import pandas as pd
import pytest
from page_fixtures import (assert_ok, demo_db, demo_template, download_labels, new_app, open_page,  # noqa: F401
                           submit_form, warning_texts)

from estimation.spillovers import EstimationError, NotApplicable, SpilloversSpec
from estimation.spillovers.iv import ConfidenceSet
from storage.ingest import IngestRequest, ingest_file
from workbench import services, spillovers
from workbench import state_keys as keys
from workbench import ui_direct_effects as ude
from workbench import ui_spillovers as usp

PAGE = "spillovers"


@pytest.fixture
def page(demo_db):
    """The Spillovers page on a private demo database (no linkage run, nothing estimated yet)."""
    return open_page(new_app().run(), PAGE)


def _run(at, **settings):
    """Set the form's widgets (by their key names) and press Run."""
    return submit_form(at, "spillovers", keys.SPILLOVERS_RUN_BUTTON, settings)


# --- the page --------------------------------------------------------------------------------

def test_page_opens_on_the_demo_with_the_settings_and_no_estimate(page):
    assert_ok(page)
    assert [t.value for t in page.title] == ["Spillovers"]
    assert any("No linkage run exists yet" in i.value for i in page.info)
    assert page.radio(key=keys.SPILLOVERS_LINKS).value == "truth"  # no linkage run: the demo's true links
    assert page.radio(key=keys.SPILLOVERS_LINKS).options == [ude.LINK_LABELS["final"], ude.LINK_LABELS["truth"]]
    assert page.selectbox(key=keys.SPILLOVERS_OUTCOME).options == [usp.outcome_label(o) for o in usp.OUTCOMES_A]
    assert page.number_input(key=keys.SPILLOVERS_RADIUS).value == 100.0
    assert page.number_input(key=keys.SPILLOVERS_LAG).value == 2
    assert page.text_input(key=keys.SPILLOVERS_DIFFERENCES).value == "1972-1979, 1973-1980"
    assert page.selectbox(key=keys.SPILLOVERS_PREFERRED).value == "iv_group_share"
    assert any("No spillover estimate is stored yet" in c.value for c in page.caption)
    assert not page.table


def test_a_run_with_true_links_shows_both_panels_delta_and_downloads(page, demo_db):
    _run(page)
    assert_ok(page)
    stored = spillovers.stored_spillovers(demo_db)
    assert len(stored) == 1
    result = stored.iloc[0]["result"]
    run = page.session_state[keys.SPILLOVERS_RUN]
    assert run.estimate_id == stored.iloc[0]["estimate_id"] and run.links == "truth"
    assert services.audit_log(demo_db, limit=1).iloc[0]["action"] == "estimate"

    panel_a, panel_b = page.table[0].value, page.table[1].value
    for table, panel in ((panel_a, "A"), (panel_b, "B")):
        assert list(table.columns)[1:] == [c.label for c in usp.COLUMNS]
        labels = table.iloc[:, 0].tolist()
        preferred = result["panels"][panel]["iv_group_share"]
        row = labels.index("ΔShare")
        if preferred["kp_f"] >= 1:
            assert table.iloc[row]["(3) IV + group sales share"].startswith(f"{preferred['beta']:.3f}")
            assert table.iloc[row + 1]["(3) IV + group sales share"] == f"({preferred['se']:.3f})"
        else:  # Panel B on the demo: a first stage without power shows no point estimate
            assert table.iloc[row]["(3) IV + group sales share"] == "no power"
            assert table.iloc[row + 1]["(3) IV + group sales share"] == ""
        assert table.iloc[row]["(6) + industrial complexes"] == "n/a"  # no complex table: never faked
        assert table.iloc[labels.index("N")]["(3) IV + group sales share"] == f"{preferred['N']:,}"
        assert "(weak)" in table.iloc[labels.index("KP-F")]["(2) IV"]
        assert "Region fixed effects" in labels and "Predicted group sales share" in labels
    assert any("Panel A. Local spillover" in m.value for m in page.markdown)
    assert any("Panel B. Local complementarity" in m.value for m in page.markdown)
    weak = [w for w in warning_texts(page) if "instrument is weak under two-way clustering" in w]
    assert len(weak) == 2 and all("Anderson–Rubin" in w for w in weak)
    assert any("(6) + industrial complexes: unavailable" in c.value for c in page.caption)
    delta = page.success[0].value
    assert delta.startswith(f"**δ = {result['delta']:.4f}**") and "latest_spillover" in delta
    assert result["delta"] == pytest.approx(result["delta_beta"] / 4)
    assert {"Table 1 as shown (CSV)", "IV columns (CSV)", "First stages (CSV)", "Placebo, Panel A (CSV)", "CSV",
            "Stata (.dta)", "Parquet", "Stored estimates (CSV)"} <= set(download_labels(page))
    assert any(e.label.startswith(f"Estimate {run.estimate_id}: δ = ") for e in page.expander)
    assert any("ivreghdfe dy y0 dpgs (dshare = dz)" in c.value for c in page.code)

    page.run()  # a rerun shows the same estimate without estimating again
    assert_ok(page)
    assert len(spillovers.stored_spillovers(demo_db)) == 1
    assert page.table[0].value.equals(panel_a)


@pytest.mark.parametrize(("settings", "said"), [
    ({"differences": "72 to 79"}, "A long difference is written start-end"),
    ({"lag": 10}, "needs balance sheets for"),
    ({"differences": "1979-1972"}, "start < end"),
])
def test_a_bad_setting_is_a_plain_message_and_stores_nothing(page, demo_db, settings, said):
    _run(page, **settings)
    assert_ok(page)
    assert any(w.startswith("Not estimated:") and said in w and "Nothing was stored" in w
               for w in warning_texts(page)), warning_texts(page)
    assert spillovers.stored_spillovers(demo_db).empty
    assert keys.SPILLOVERS_RUN not in page.session_state


def test_balance_sheets_without_business_groups_are_a_plain_message(page, demo_db):
    sheets = services.table_frame(demo_db, "balance_sheets").assign(business_group=None)
    request = IngestRequest(table="balance_sheets", file_name="no_groups.csv", mode="replace", actor="tester",
                            data=sheets.to_csv(index=False).encode("utf-8"))
    assert ingest_file(demo_db, request).written
    _run(page)
    assert_ok(page)
    assert any(w.startswith("Not estimated:") and "business_group is empty" in w and "Balance sheets page" in w
               for w in warning_texts(page)), warning_texts(page)
    assert spillovers.stored_spillovers(demo_db).empty


def test_final_links_without_a_linkage_run_point_to_the_linkage_page(page, demo_db):
    _run(page, links="final")
    assert_ok(page)
    assert any("no linkage run exists yet" in w for w in warning_texts(page))
    assert [link.proto.page for link in page.get("page_link")] == ["linkage", "linkage"]  # the notice and the error
    assert spillovers.stored_spillovers(demo_db).empty


# --- pure helpers on a demo estimate ------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_result(tmp_path_factory, demo_template):
    path = tmp_path_factory.mktemp("spill") / "copy.duckdb"
    shutil.copy(demo_template, path)
    estimate_id, result = spillovers.estimate_spillovers(services.open_database(path), SpilloversSpec(), "tester",
                                                         links="truth")
    return estimate_id, result


def test_panel_table_is_the_paper_layout(demo_result):
    _, result = demo_result
    table = usp.panel_table(result, "A")
    labels = table.iloc[:, 0].tolist()
    assert labels[:7] == ["ΔShare", "", "KP-F", "effective F", "AR 95% set", "Clusters (regions × groups)", "N"]
    assert table.iloc[0]["(1) OLS"].endswith("***") and table.iloc[2]["(1) OLS"] == ""  # OLS: no KP-F
    assert table.iloc[4]["(2) IV"].startswith("(−∞, ") and table.iloc[5]["(2) IV"].startswith("27 × ")
    assert table.iloc[0]["(8) all controls"] == "n/a"
    assert usp.panel_title(result, "B").startswith("Panel B. Local complementarity — dependent: Δ 1[new contract]")
    assert len(usp.unavailable_notes(result, "A")) == 2


def test_weak_instrument_and_anderson_rubin(demo_result):
    _, result = demo_result
    weak = dict(usp.weak_columns(result, "A"))
    assert set(weak) == {"(2) IV", "(3) IV + group sales share", "(4) + market access", "(5) + credit", "(7) + trade"}
    assert all(3 < f < 4 for f in weak.values())  # docs/spillovers.md: KP-F ≈ 3–4 under two-way clustering
    message = usp.weak_message(result, "A")
    assert "Kleibergen–Paap F below 10" in message and "Anderson–Rubin 95% set" in message
    assert "no power" not in message and "no power (KP-F below 1)" in usp.weak_message(result, "B")
    frame = usp.iv_frame(result, "A")
    assert frame["column"].tolist()[0] == "(2) IV" and len(frame) == 7
    preferred = frame.set_index("column").loc["(3) IV + group sales share"]
    assert preferred["Anderson–Rubin 95% set"].startswith("(−∞, 2.2") and preferred["excludes 0"] == "no"
    assert preferred["KP-F"].endswith("(weak)") and not preferred["effective F"].endswith("(weak)")
    assert frame.set_index("column").loc["(6) + industrial complexes", "note"].startswith("unavailable")
    first = usp.first_stage_frame(result, "A")
    assert set(first["column"]) == set(weak) and "dz" in set(first["term"])


def test_heterogeneity_placebo_delta_and_samples(demo_result):
    estimate_id, result = demo_result
    frame, note = usp.heterogeneity_frame(result, "B")
    assert frame["β"].tolist()[0].startswith("-0.379") and "F(1, 26) = 2.99, p = 0.096" in note
    placebo = usp.placebo_frame(result, "A")
    assert len(placebo) == 4 and placebo["ΔZ"].str.len().gt(0).all()
    assert usp.placebo_sentence(result, "A").startswith("None of the placebo outcomes")
    available, text = usp.delta_message(result, estimate_id)
    assert available and text.startswith(f"**δ = {result.spillover.delta:.4f}**") and "weak" in text
    sample = spillovers.estimation_sample(result, "A")
    dta, labels = usp.stata_sample(sample)
    back = pd.read_stata(io.BytesIO(ude.stata_bytes(dta, labels, "Panel A")))
    assert len(back) == len(sample) and back["region"].astype(str).tolist() == sample["region"].tolist()
    assert back["used"].sum() == sample["used"].sum()
    assert pd.read_parquet(io.BytesIO(ude.parquet_bytes(sample)))["dy"].equals(sample["dy"])
    counts = usp.counts_frame(result)
    assert counts["panel"].tolist() == ["A", "B"] and counts.iloc[0]["rows (firm × difference)"] == len(sample)


def test_delta_not_available_says_why():
    result = type("R", (), {"spillover": NotApplicable("spillover δ", "column (6) is not available: no table"),
                            "spec": SpilloversSpec()})()
    available, text = usp.delta_message(result, 4)
    assert not available and "column (6) is not available" in text and "stored without δ" in text


def test_differences_are_parsed_and_bad_ones_said_plainly():
    assert usp.parse_differences("1972-1979, 1973–1980") == ((1972, 1979), (1973, 1980))
    assert usp.differences_text(((1972, 1979),)) == "1972-1979"
    for text in ("", "1972", "72-79"):
        with pytest.raises(EstimationError) as err:
            usp.parse_differences(text)
        assert err.value.code == "bad_setting"
    spec = usp.build_spec("tfpr_cost_share", 50, 1, 4.0, "1974-1980", "iv")
    assert (spec.outcome_a, spec.radius_km, spec.lag, spec.differences, spec.preferred) == (
        "tfpr_cost_share", 50.0, 1, ((1974, 1980),), "iv")


def test_ar_text_has_the_three_shapes():
    assert usp.ar_text(ConfidenceSet("interval", 0.5, 2.0, 0.95)) == "[0.500, 2.000]"
    assert usp.ar_text(ConfidenceSet("two rays", 0.5, 2.0, 0.95)) == "(−∞, 0.500] ∪ [2.000, ∞)"
    assert usp.ar_text(ConfidenceSet("whole line", np.nan, np.nan, 0.95)) == "whole line"
    assert usp.ar_text(NotApplicable("Anderson–Rubin", "OLS")) == "not computed (OLS)"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_complex_tables_are_read_from_csv_xlsx_and_parquet(fmt):
    frame = pd.DataFrame({"Region": ["R01", "R02"], "year": [1974, 1977], "tax_favor": [0.5, 1.0]})
    buffer = io.BytesIO()
    {"csv": lambda: buffer.write(frame.to_csv(index=False).encode()), "xlsx": lambda: frame.to_excel(buffer, index=False),
     "parquet": lambda: frame.to_parquet(buffer, index=False)}[fmt]()
    read = usp.read_complexes(f"complexes.{fmt}", buffer.getvalue())
    assert read["region"].tolist() == ["R01", "R02"] and read["year"].tolist() == [1974, 1977]


def test_a_complex_table_without_region_or_year_is_refused():
    with pytest.raises(EstimationError, match="lacks the column"):
        usp.read_complexes("c.csv", b"name,when\nUlsan,1974\n")
    with pytest.raises(EstimationError, match="year is not a number"):
        usp.read_complexes("c.csv", b"region,year\nR01,soon\n")
    with pytest.raises(EstimationError, match="could not be read"):
        usp.read_complexes("c.parquet", b"not parquet")


def test_stored_table_reads_the_stored_result():
    stored = pd.DataFrame({"estimate_id": [7], "created_at": ["2026-01-01 10:00:00"], "links": ["truth"],
                           "data_version": [3],
                           "settings": [{"outcome_a": "log_sales", "differences": [[1972, 1979]], "lag": 2,
                                         "radius_km": 100.0, "sigma": 5.0, "preferred": "iv_group_share"}],
                           "result": [{"delta": 0.278, "panels": {"A": {"iv_group_share": {"beta": 1.113, "kp_f": 3.05}}}}],
                           "provenance": [{"complexes": {"file_name": "complexes.csv", "rows": 3}}]})
    audit = pd.DataFrame({"audit_id": [4], "action": ["ingest"]})
    row = usp.stored_table(stored, audit).iloc[0]
    assert (row["β (preferred)"], row["KP-F"], row["δ"], row["complex table"], row["data changed since"]) == (
        "1.113", "3.05", "0.2780", "complexes.csv", "yes")
    assert row["settings"].startswith("Δ log sales; differences 1972-1979; lag 2; radius 100 km")
    assert usp.stored_table(stored.iloc[:0], audit).empty
