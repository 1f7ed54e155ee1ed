"""Undo of every kind of change set, and validated hand edits with old/new values in the audit log."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from storage.changes import undo_last
from storage.database import StorageError
from storage.edits import save_edits
from tests.conftest import CONTRACTS_CSV, load

CONTRACT_HEADER = CONTRACTS_CSV.split("\n")[0]


def undo(db):
    with db.transaction("undo") as con:
        return undo_last(con, "tester")


def rows(db, table, order="_row_id"):
    spec_cols = "* EXCLUDE (_batch_id, extra, _source_row)"
    return db.query(f"SELECT {spec_cols} FROM {table} ORDER BY {order}")


def test_undo_of_an_append_withdraws_exactly_its_rows(loaded_db):
    before = rows(loaded_db, "contracts")
    load(loaded_db, "contracts", CONTRACT_HEADER + "\nC3,가,,,1976,,completed,,,,\n")
    assert len(rows(loaded_db, "contracts")) == 3
    undone = undo(loaded_db)
    pd.testing.assert_frame_equal(rows(loaded_db, "contracts"), before)
    assert undone.rows_archived == 1
    # withdrawn, not destroyed: the undone row stays in the archive
    assert "C3" in loaded_db.query("SELECT contract_id FROM contracts__archive")["contract_id"].tolist()


def test_undo_of_a_replace_restores_the_old_table(loaded_db):
    before = rows(loaded_db, "contracts")
    load(loaded_db, "contracts", CONTRACT_HEADER + "\nC100,가,,,1976,,completed,,,,\n", mode="replace")
    undo(loaded_db)
    pd.testing.assert_frame_equal(rows(loaded_db, "contracts"), before)


def test_undo_walks_back_newest_first_and_says_when_nothing_is_left(db):
    load(db, "sectors", "sector,heavy\nS01,true\n")
    load(db, "sectors", "sector,heavy\nS02,false\n")
    assert undo(db).change_set_id == 2
    assert db.query("SELECT sector FROM sectors")["sector"].tolist() == ["S01"]
    assert undo(db).change_set_id == 1
    with pytest.raises(StorageError, match="nothing to undo"):
        undo(db)
    log = db.query("SELECT action FROM audit_log ORDER BY audit_id")["action"].tolist()
    assert log == ["ingest", "ingest", "undo", "undo"]


def editor_view(db, table):
    return db.query(f"SELECT * EXCLUDE (_batch_id, extra, _source_row) FROM {table} ORDER BY _row_id")


def test_hand_edit_update_insert_delete_is_audited_and_undoable(loaded_db):
    view = editor_view(loaded_db, "contracts")
    edited = view.copy()
    edited.loc[edited["contract_id"] == "C001", "foreign_firm"] = "Sanyo Electric"
    edited = edited[edited["contract_id"] != "C002"]
    typed = {"contract_id": "C003", "firm_name": "금성사", "year": 1977, "status": "completed"}
    edited = pd.concat([edited, pd.DataFrame([typed])], ignore_index=True)
    result = save_edits(loaded_db, "contracts", view["_row_id"].tolist(), edited, "kim")
    assert result.report.ok and result.change_set_id is not None
    now = editor_view(loaded_db, "contracts").set_index("contract_id")
    assert list(now.index) == ["C001", "C003"]
    assert now.loc["C001", "foreign_firm"] == "Sanyo Electric"
    assert now.loc["C001", "_row_id"] == view.loc[0, "_row_id"]  # same record, new version
    details = json.loads(loaded_db.query(
        "SELECT CAST(details AS VARCHAR) FROM audit_log WHERE action = 'edit'").iloc[0, 0])
    assert {"action": "update", "row_id": int(view.loc[0, "_row_id"]), "key": "C001",
            "column": "foreign_firm", "old": "Sanyo", "new": "Sanyo Electric"} in details
    assert {d["action"] for d in details} == {"update", "insert", "delete"}
    undo(loaded_db)
    pd.testing.assert_frame_equal(editor_view(loaded_db, "contracts"), view)


def test_hand_edit_is_validated_with_the_upload_rules(loaded_db):
    before = editor_view(loaded_db, "balance_sheets")
    edited = before.copy()
    edited.loc[0, "sales"] = -5
    edited.loc[1, "region"] = "R99"
    edited.loc[2, ["firm_id", "year"]] = ["F001", 1972]  # collides with row 1's key
    result = save_edits(loaded_db, "balance_sheets", before["_row_id"].tolist(), edited, "kim")
    found = {(p.row, p.column, p.rule) for p in result.report.problems}
    assert {(1, "sales", "range"), (2, "region", "reference"), (3, "firm_id + year", "unique key")} <= found
    assert result.change_set_id is None
    pd.testing.assert_frame_equal(editor_view(loaded_db, "balance_sheets"), before)


def test_edit_key_collision_with_a_row_outside_the_editor(loaded_db):
    view = editor_view(loaded_db, "balance_sheets")
    shown = view[view["firm_id"] == "F002"].reset_index(drop=True)
    shown.loc[0, "firm_id"] = "F001"  # F001 1972 exists but is not shown
    result = save_edits(loaded_db, "balance_sheets", shown["_row_id"].tolist(), shown, "kim")
    assert [p.rule for p in result.report.problems] == ["unique key"]


def test_deleting_a_region_in_use_is_refused(loaded_db):
    view = editor_view(loaded_db, "regions")
    result = save_edits(loaded_db, "regions", view["_row_id"].tolist(), view[view["region"] != "R01"], "kim")
    assert [(p.rule, p.value) for p in result.report.problems] == [("still referenced", "R01")]


def test_saving_an_unchanged_editor_writes_nothing(loaded_db):
    view = editor_view(loaded_db, "regions")
    result = save_edits(loaded_db, "regions", view["_row_id"].tolist(), view, "kim")
    assert result.report.ok and result.change_set_id is None and result.changes.empty


def test_an_edit_over_a_row_another_session_changed_is_a_conflict(loaded_db):
    view = loaded_db.query("SELECT * EXCLUDE (extra, _source_row) FROM regions ORDER BY _row_id")
    seen = dict(zip(view["_row_id"], view["_batch_id"]))
    other = view.drop(columns="_batch_id").copy()
    other.loc[0, "name"] = "서울특별시"
    assert save_edits(loaded_db, "regions", seen, other, "lee").change_set_id is not None
    mine = view.drop(columns="_batch_id").copy()
    mine.loc[0, "port_distance_km"] = 30  # edits the stale version of the same row
    result = save_edits(loaded_db, "regions", seen, mine, "kim")
    assert [(p.rule, p.row) for p in result.report.problems] == [("conflict", 1)]
    assert loaded_db.query("SELECT name FROM regions WHERE region = 'R01'").iloc[0, 0] == "서울특별시"
    mine_deleting = view.drop(columns="_batch_id").iloc[1:]  # deletes the row the other session changed
    rules = [p.rule for p in save_edits(loaded_db, "regions", seen, mine_deleting, "kim").report.problems]
    assert rules == ["conflict", "still referenced"]  # R01 is also used by a balance sheet
