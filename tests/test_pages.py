"""Every page of the app under streamlit.testing.v1.AppTest, on a private copy of the demo database."""

from __future__ import annotations

import pytest
from page_fixtures import (  # noqa: F401 - pytest fixtures
    app,
    demo_db,
    demo_template,
    new_app,
    open_page,
    shown_row_count,
)

from storage.schema import table_spec
from workbench import services

PAGES = {
    "overview": "Overview",
    "data_contracts": "Contracts",
    "data_balance_sheets": "Balance sheets",
    "data_regions": "Regions",
    "data_sectors": "Sectors",
    "data_credit": "Credit",
    "data_trade_fairs": "Trade fairs",
    "data_deflators": "Deflators",
    "data_model_sectors": "Model sectors",
    "data_input_output": "Input-output shares",
    "data_sector_years": "Sector accounts",
    "data_region_sectors": "Regional activity",
    "data_populations": "Populations",
    "data_roads": "Roads",
    "direct_effects": "Direct effects",
    "exports": "Exports & reproducibility",
    "spillovers": "Spillovers",
    "quant_model": "Quantitative model",
    "audit": "Audit log & undo",  # last: test_every_page_works_on_an_empty_database reads its message
}
SYNTHETIC = "SYNTHETIC DEMO DATA"

GOOD_CONTRACTS = ("contract_id,firm_name,foreign_firm,year,status,canceled_by\n"
                  "K001,한국기계공업(주),Hitachi,1975,completed,\n"
                  "K002,대한조선공사,Kawasaki,1976,canceled,foreign\n").encode("cp949")
BAD_CONTRACTS = ("contract_id,firm_name,year,status\n"
                 "X001,현대양행,1975,completed\n"
                 "X002,,19x6,canceled\n").encode("utf-8")


def _badge_shown(at) -> bool:
    return any(SYNTHETIC in m.value for m in at.markdown)


@pytest.mark.parametrize(("page", "title"), PAGES.items())
def test_every_page_runs_with_its_title_and_the_synthetic_badge(app, page, title):
    open_page(app, page)
    assert not app.exception
    assert not app.error
    assert [t.value for t in app.title] == [title]
    assert _badge_shown(app)
    assert any(SYNTHETIC in m.value for m in app.sidebar.markdown)


def test_a_new_database_is_created_with_the_demo(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "new.duckdb"))
    at = new_app().run()
    assert not at.exception and not at.error
    assert (tmp_path / "new.duckdb").exists()
    assert services.database_status(services.open_database(tmp_path / "new.duckdb")).is_demo
    assert _badge_shown(at)


def test_overview_shows_row_counts_and_charts(app, demo_db):
    counts = services.database_status(demo_db).row_counts
    metrics = {m.label: m.value for m in app.metric}
    assert metrics == {table_spec(t).title: f"{n:,}" for t, n in counts.items()}
    assert len(app.get("vega_lite_chart")) == 4
    assert any("Linked share" in c.value for c in app.caption)


def test_overview_of_an_empty_database_says_so_instead_of_drawing(app, demo_db):
    services.undo(demo_db, "tester")  # undoing the demo load empties every table
    app.run()
    assert not app.exception and not app.error
    assert len(app.get("vega_lite_chart")) == 0
    assert any("No balance sheets" in i.value for i in app.info)
    assert not _badge_shown(app)


def test_every_page_works_on_an_empty_database(app, demo_db):
    services.undo(demo_db, "tester")
    for page, title in PAGES.items():
        open_page(app, page)
        assert not app.exception and not app.error, page
        assert [t.value for t in app.title] == [title]
    assert any("nothing to undo" in i.value for i in app.info)


def test_browse_filters_change_the_row_count(app):
    open_page(app, "data_credit")
    everything = shown_row_count(app)
    years = app.slider(key="data.credit.filter_years")
    low, high = years.min, years.max
    years.set_value((low, low + 1)).run()
    assert 0 < shown_row_count(app) < everything
    years.set_value((low, high)).run()
    app.text_input(key="data.credit.filter_text").set_value("no firm is called this").run()
    assert shown_row_count(app) == 0


def test_equality_filter_on_a_chosen_column(app, demo_db):
    open_page(app, "data_contracts")
    canceled = len(services.table_rows(demo_db, "contracts",
                                       services.TableFilter(equals=(("status", "canceled"),))))
    app.selectbox(key="data.contracts.filter_column").set_value("status").run()
    app.selectbox(key="data.contracts.filter_value").set_value("canceled").run()
    assert not app.exception
    assert shown_row_count(app) == min(canceled, 1000)


def test_a_hand_edit_through_the_services_shows_on_the_page(app, demo_db):
    rows = services.table_rows(demo_db, "regions")
    edited = rows[[*table_spec("regions").column_names, "_row_id"]].copy()
    edited.loc[0, "name"] = "시험지역"
    result = services.save_table_edits(demo_db, "regions", rows["_row_id"].tolist(), edited, "tester")
    assert result.change_set_id is not None, result.report.to_text()
    open_page(app, "data_regions")
    assert any("시험지역" in set(df.value.get("name", [])) for df in app.dataframe)


def test_saving_the_editor_writes_and_lists_the_changed_values(app, demo_db):
    open_page(app, "data_regions")
    first = services.table_rows(demo_db, "regions").iloc[0]
    app.session_state["data.regions.editor"] = {
        "edited_rows": {0: {"name": "새 이름"}}, "added_rows": [], "deleted_rows": []}
    app.button(key="data.regions.save_button").click().run()
    assert not app.exception and not app.error
    assert any("saved: 1 update" in s.value for s in app.success)
    stored = services.table_rows(demo_db, "regions", services.TableFilter(text="새 이름"))
    assert stored["_row_id"].tolist() == [first["_row_id"]]


def test_typing_a_new_contract_by_hand(app, demo_db):
    open_page(app, "data_contracts")
    new = {"contract_id": "H001", "firm_name": "한국중공업(주)", "year": 1977, "status": "completed"}
    app.session_state["data.contracts.editor"] = {"edited_rows": {}, "added_rows": [new], "deleted_rows": []}
    app.button(key="data.contracts.save_button").click().run()
    assert not app.exception and not app.error
    assert any("saved: 1 insert" in s.value for s in app.success)
    stored = services.table_rows(demo_db, "contracts", services.TableFilter(text="H001"))
    assert stored["firm_name"].tolist() == ["한국중공업(주)"]


def test_a_rejected_edit_lists_the_problems_and_saves_nothing(app, demo_db):
    open_page(app, "data_contracts")
    before = services.data_version(demo_db)
    incomplete = {"contract_id": "H002", "year": 1977, "status": "canceled"}  # no firm, no canceled_by
    app.session_state["data.contracts.editor"] = {"edited_rows": {}, "added_rows": [incomplete],
                                                  "deleted_rows": []}
    app.button(key="data.contracts.save_button").click().run()
    assert not app.exception
    assert any("nothing was written" in e.value for e in app.error)
    app.run()  # the problems stay listed while the researcher fixes the cells
    assert any("nothing was written" in e.value for e in app.error)
    assert services.data_version(demo_db) == before


def test_a_rejected_file_changes_nothing_and_a_clean_one_loads(app, demo_db):
    open_page(app, "data_contracts")
    before = services.database_status(demo_db).row_counts["contracts"]
    uploader = app.file_uploader(key="data.contracts.upload_file.0")
    uploader.upload("bad.csv", BAD_CONTRACTS, "text/csv")
    app.run()
    app.button(key="data.contracts.upload_check_button").click().run()
    assert any("problem(s) found" in e.value for e in app.error)
    assert app.button(key="data.contracts.upload_load_button").disabled
    app.file_uploader(key="data.contracts.upload_file.0").clear().upload("good.csv", GOOD_CONTRACTS, "text/csv")
    app.run()
    assert app.button(key="data.contracts.upload_load_button").disabled  # a new file needs a new check
    app.button(key="data.contracts.upload_check_button").click().run()
    assert any(m.label == "Detected encoding" and m.value == "CP949/EUC-KR" for m in app.metric)
    assert any("Ready to load" in s.value for s in app.success)
    app.button(key="data.contracts.upload_load_button").click().run()
    assert not app.exception and not app.error
    assert any("loaded 2 row(s)" in s.value for s in app.success)
    assert services.database_status(demo_db).row_counts["contracts"] == before + 2


def test_undo_through_the_audit_page(app, demo_db):
    rows = services.table_rows(demo_db, "sectors")
    edited = rows[[*table_spec("sectors").column_names, "_row_id"]].copy()
    edited.loc[0, "name"] = "시험업종"
    services.save_table_edits(demo_db, "sectors", rows["_row_id"].tolist(), edited, "tester")
    open_page(app, "audit")
    assert any("hand edit of sectors" in m.value for m in app.markdown)
    assert app.button(key="audit.undo_button").disabled
    app.checkbox(key="audit.confirm_undo").check().run()
    app.button(key="audit.undo_button").click().run()
    assert not app.exception and not app.error
    assert any(s.value.startswith("Undone") for s in app.success)
    assert "시험업종" not in set(services.table_rows(demo_db, "sectors")["name"])


def test_an_error_is_a_plain_message_not_a_traceback(demo_db, monkeypatch):
    def broken(db):
        raise RuntimeError("overview exploded")

    monkeypatch.setattr(services, "overview", broken)
    at = new_app().run()
    assert not at.exception
    assert any("Something went wrong" in e.value for e in at.error)
    assert [x.label for x in at.expander] == ["technical details"]
