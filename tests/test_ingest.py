"""Validation rules and all-or-nothing ingest, one bad file of each kind."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from storage.ingest import IngestRequest, ingest_file
from tests.conftest import BALANCE_CSV, CONTRACTS_CSV, load

HEADER = BALANCE_CSV.split("\n")[0]


def snapshot(db) -> dict:
    """Everything stored, to show that a rejected file changed nothing."""
    tables = ["regions", "sectors", "balance_sheets", "contracts", "change_sets", "audit_log",
              "balance_sheets__archive"]
    with db.connect() as con:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}


def rules(result) -> list[str]:
    return sorted({p.rule for p in result.report.problems})


BAD_BALANCE_SHEETS = {
    "missing column": ("firm_id,firm_name,year,sector\nF9,가,1972,S01\n", "required column"),
    "text in a number column": (HEADER + "\nF9,가,1972,S01,R01,,lots,1,1,1,1,1,1\n", "type"),
    "text in the year": (HEADER + "\nF9,가,1972년,S01,R01,,1,1,1,1,1,1,1\n", "type"),
    "negative sales": (HEADER + "\nF9,가,1972,S01,R01,,-1,1,1,1,1,1,1\n", "range"),
    "duplicate key in file": (HEADER + "\nF9,가,1972,S01,R01,,1,,,,,,\nF9,가,1972,S01,R01,,2,,,,,,\n", "unique key"),
    "key already stored": (HEADER + "\nF001,가,1972,S01,R01,,1,,,,,,\n", "unique key"),
    "unknown region": (HEADER + "\nF9,가,1972,S01,R77,,1,,,,,,\n", "reference"),
    "unknown sector": (HEADER + "\nF9,가,1972,S99,R01,,1,,,,,,\n", "reference"),
    "empty required value": (HEADER + "\nF9,,1972,S01,R01,,1,,,,,,\n", "required"),
    "header only": (HEADER + "\n", "no data rows"),
    "empty file": ("", "empty file"),
    "truncated last line": (HEADER + "\nF9,가,1972,S01,R01,,1,,,,,,\nF10,나,19", "row length"),
}


@pytest.mark.parametrize("case", list(BAD_BALANCE_SHEETS))
def test_bad_balance_sheet_file_is_rejected_and_nothing_changes(loaded_db, case):
    text, rule = BAD_BALANCE_SHEETS[case]
    before = snapshot(loaded_db)
    result = load(loaded_db, "balance_sheets", text)
    assert not result.written and rule in rules(result)
    assert snapshot(loaded_db) == before
    problem = next(p for p in result.report.problems if p.rule == rule)
    assert problem.file == "balance_sheets.csv"


def test_problem_names_file_row_column_value_and_rule(loaded_db):
    result = load(loaded_db, "balance_sheets", BAD_BALANCE_SHEETS["negative sales"][0], name="bs_1972.csv")
    (problem,) = result.report.problems
    assert (problem.file, problem.row, problem.column, problem.value, problem.rule) == (
        "bs_1972.csv", 2, "sales", "-1", "range")
    assert "bs_1972.csv, row 2, column 'sales'" in str(problem)


def test_every_problem_is_reported_not_just_the_first(loaded_db):
    text = HEADER + "\nF9,가,x,S99,R77,,-1,,,,,,\nF8,,1972,S01,R01,,1,,,,,,\n"
    result = load(loaded_db, "balance_sheets", text)
    found = {(p.row, p.column, p.rule) for p in result.report.problems}
    assert {(2, "year", "type"), (2, "sector", "reference"), (2, "region", "reference"),
            (2, "sales", "range"), (3, "firm_name", "required")} <= found


CONTRACT_HEADER = CONTRACTS_CSV.split("\n")[0]


@pytest.mark.parametrize("row, rule, column", [
    ("C9,가,,,1975,,finished,,,,", "allowed values", "status"),
    ("C9,가,,,1975,,canceled,,,,", "conditional", "canceled_by"),
    ("C9,가,,,1975,,canceled,government,,,", "allowed values", "canceled_by"),
    ("C9,가,,,1975,,completed,foreign,,,", "conditional", "canceled_by"),
    ("C9,가,,,1975,,canceled,foreign,1970,,", "range", "cancel_year"),
    ("C001,가,,,1975,,completed,,,,", "unique key", "contract_id"),
])
def test_contract_rules(loaded_db, row, rule, column):
    result = load(loaded_db, "contracts", CONTRACT_HEADER + "\n" + row + "\n")
    assert (rule, column) in {(p.rule, p.column) for p in result.report.problems}


def test_status_and_canceled_by_are_matched_case_insensitively(loaded_db):
    result = load(loaded_db, "contracts", CONTRACT_HEADER + "\nC9,가,,,1975,,Canceled ,FOREIGN,,,\n")
    assert result.written, result.report.to_text()
    stored = loaded_db.query("SELECT status, canceled_by FROM contracts WHERE contract_id = 'C9'")
    assert stored.iloc[0].tolist() == ["canceled", "foreign"]


def test_credit_and_trade_fair_firms_must_exist(loaded_db):
    assert rules(load(loaded_db, "credit", "firm_id,year,amount\nF404,1975,10\n")) == ["reference"]
    assert rules(load(loaded_db, "trade_fairs", "firm_id,year,participations\nF404,1975,1\n")) == ["reference"]
    assert load(loaded_db, "credit", "firm_id,year,amount\nF001,1975,\"1,500.5\"\n").written
    assert loaded_db.query("SELECT amount FROM credit").iloc[0, 0] == 1500.5


def test_columns_match_case_insensitively_and_extra_columns_are_kept(loaded_db):
    text = " Firm_ID ,FIRM_NAME,Year,Sector,Region,Sales,Source Page\nF7,한국유리,1974,S02,R03,77,p. 12\n"
    assert load(loaded_db, "balance_sheets", text).written
    row = loaded_db.query("SELECT sales, CAST(extra AS VARCHAR) AS extra, _source_row FROM balance_sheets"
                          " WHERE firm_id = 'F7'").iloc[0]
    assert row["sales"] == 77 and row["_source_row"] == 2
    assert json.loads(row["extra"]) == {"source page": "p. 12"}


def test_cp949_file_loads_korean_names_intact(loaded_db):
    text = HEADER + "\nF5,㈜한국화약,1975,S01,R03,,10,,,,,,\n"
    request = IngestRequest("balance_sheets", "bs.csv", text.encode("cp949"), actor="t")
    result = ingest_file(loaded_db, request)
    assert result.written and result.encoding == "cp949"
    name = loaded_db.query("SELECT firm_name FROM balance_sheets WHERE firm_id = 'F5'").iloc[0, 0]
    assert name.encode("cp949") == "㈜한국화약".encode("cp949")


def test_bom_file_loads(loaded_db):
    text = "\ufeff" + HEADER + "\nF5,한국,1975,S01,R03,,10,,,,,,\n"
    result = ingest_file(loaded_db, IngestRequest("balance_sheets", "bs.csv", text.encode("utf-8"), actor="t"))
    assert result.written, result.report.to_text()


def test_xlsx_upload(loaded_db):
    frame = pd.DataFrame({"Sector": ["S03"], "Name": ["기계"], "Heavy": [True]})
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    result = ingest_file(loaded_db, IngestRequest("sectors", "sectors.xlsx", buffer.getvalue(), actor="t"))
    assert result.written, result.report.to_text()
    assert bool(loaded_db.query("SELECT heavy FROM sectors WHERE sector = 'S03'").iloc[0, 0]) is True


def test_dry_run_writes_nothing(loaded_db):
    before = snapshot(loaded_db)
    request = IngestRequest("sectors", "s.csv", b"sector,heavy\nS03,yes\n", actor="t")
    result = ingest_file(loaded_db, request, dry_run=True)
    assert result.report.ok and not result.written and result.rows == 1
    assert snapshot(loaded_db) == before


def test_replace_mode_swaps_the_table_and_archives_the_old_rows(loaded_db):
    result = load(loaded_db, "contracts", CONTRACT_HEADER + "\nC100,가,,,1976,,completed,,,,\n", mode="replace")
    assert result.written
    assert loaded_db.query("SELECT contract_id FROM contracts")["contract_id"].tolist() == ["C100"]
    archived = loaded_db.query("SELECT contract_id, _archived_by FROM contracts__archive ORDER BY 1")
    assert archived["contract_id"].tolist() == ["C001", "C002"]
    assert set(archived["_archived_by"]) == {result.change_set_id}


def test_replace_cannot_remove_codes_still_in_use(loaded_db):
    result = load(loaded_db, "regions", "region,lat,lon\nR01,37,127\n", mode="replace")
    assert not result.written
    missing = {(p.column, p.value) for p in result.report.problems if p.rule == "still referenced"}
    assert missing == {("region", "R02")}  # R03 is unused, R02 holds 대한방직


def test_every_ingest_is_a_change_set_with_file_hash_in_the_audit_log(loaded_db):
    sets = loaded_db.query("SELECT kind, table_name, file_name, file_sha256, rows_inserted, file_bytes"
                           " FROM change_sets ORDER BY change_set_id")
    assert sets["table_name"].tolist() == ["regions", "sectors", "balance_sheets", "contracts"]
    assert sets["rows_inserted"].tolist() == [3, 2, 3, 2]
    assert bytes(sets["file_bytes"].iloc[3]).decode() == CONTRACTS_CSV
    import hashlib
    assert sets["file_sha256"].iloc[3] == hashlib.sha256(CONTRACTS_CSV.encode()).hexdigest()
    audit = loaded_db.query("SELECT action, summary, CAST(details AS VARCHAR) AS d FROM audit_log")
    assert (audit["action"] == "ingest").all()
    assert json.loads(audit["d"].iloc[3])["sha256"] == sets["file_sha256"].iloc[3]


def test_deflate_option_converts_monetary_columns(loaded_db):
    assert load(loaded_db, "deflators", "year,factor\n1975,2.5\n1976,0.5\n").written
    text = HEADER + "\nF6,가,1975,S01,R01,,100,10,4,0,50,8,20\nF6,가,1976,S01,R01,,100,,,,50,,\n"
    result = load(loaded_db, "balance_sheets", text, deflate=True)
    assert result.written, result.report.to_text()
    got = loaded_db.query("SELECT year, sales, assets, employment FROM balance_sheets WHERE firm_id='F6' ORDER BY year")
    assert got["sales"].tolist() == [250.0, 50.0]
    assert got["assets"].iloc[0] == 25.0
    assert got["employment"].tolist() == [50.0, 50.0]  # not money: untouched
    options = loaded_db.query("SELECT CAST(options AS VARCHAR) FROM change_sets ORDER BY change_set_id DESC LIMIT 1")
    assert json.loads(options.iloc[0, 0])["deflate"] is True


def test_deflate_without_a_deflator_for_the_year_is_rejected(loaded_db):
    assert rules(load(loaded_db, "balance_sheets", HEADER + "\nF6,가,1975,S01,R01,,100,,,,,,\n",
                      deflate=True)) == ["deflator"]
    assert load(loaded_db, "deflators", "year,factor\n1976,1.1\n").written
    assert rules(load(loaded_db, "balance_sheets", HEADER + "\nF6,가,1975,S01,R01,,100,,,,,,\n",
                      deflate=True)) == ["deflator"]


def test_deflator_factor_must_be_positive(db):
    assert rules(load(db, "deflators", "year,factor\n1975,0\n")) == ["range"]
