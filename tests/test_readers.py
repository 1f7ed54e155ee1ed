"""Reading uploads: formats, encodings, broken files."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from storage.readers import read_upload

KOREAN = "firm_id,firm_name\nF1,삼성전자 주식회사\nF2,㈜대한전선\nF3,株式會社 金星社\n"


@pytest.mark.parametrize("encoding, label", [
    ("utf-8", "utf-8-sig"), ("utf-8-sig", "utf-8-sig"), ("cp949", "cp949"), ("euc-kr", "cp949"),
])
def test_korean_text_round_trips_byte_for_byte(encoding, label):
    text = KOREAN if encoding != "euc-kr" else KOREAN.replace("株式會社 金星社", "금성사")
    data = text.encode(encoding)
    raw = read_upload("firms.csv", data)
    assert raw.problems == ()
    assert raw.encoding == label
    names = list(raw.frame["firm_name"])
    expected = [line.split(",")[1] for line in text.strip().split("\n")[1:]]
    assert names == expected
    for name in names:  # the decoded names re-encode to exactly the uploaded bytes
        assert name.encode(encoding.replace("-sig", "")) in data


def test_bom_is_not_part_of_the_first_column_name():
    raw = read_upload("f.csv", "\ufeffFirm_ID ,firm_name\nF1,가\n".encode("utf-8"))
    assert list(raw.frame.columns) == ["firm_id", "firm_name"]


def test_explicit_encoding_overrides_detection():
    data = "a,b\n1,가나\n".encode("cp949")
    assert read_upload("f.csv", data, encoding="cp949").frame.iloc[0, 1] == "가나"
    wrong = read_upload("f.csv", data, encoding="utf-8")
    assert [p.rule for p in wrong.problems] == ["encoding"]


def test_undecodable_bytes_are_a_problem_not_an_exception():
    raw = read_upload("f.csv", b"a,b\n\xff\xfe\xfa,\x81\x00\xff\n")
    assert [p.rule for p in raw.problems] == ["encoding"]
    assert "UTF-8" in raw.problems[0].message


def test_tsv_and_quoted_fields_spanning_lines_keep_row_numbers():
    raw = read_upload("f.tsv", 'a\tb\n1\t"two\nlines"\n3\tx\n'.encode())
    assert list(raw.frame["b"]) == ["two\nlines", "x"]
    assert list(raw.row_numbers) == [2, 4]


@pytest.mark.parametrize("data, rule", [
    (b"", "empty file"),
    (b"\n\n  \n", "empty file"),
    (b"a,b\n", "no data rows"),
    (b"a,b\n1,2\n3", "row length"),          # truncated last line
    (b'a,b\n1,2\n3,"unfinished', "parse"),   # truncated inside a quoted field
    (b"a,a\n1,2\n", "header"),
])
def test_broken_text_files_are_reported(data, rule):
    raw = read_upload("f.csv", data)
    assert rule in [p.rule for p in raw.problems]


def test_truncated_line_names_its_row():
    raw = read_upload("f.csv", b"a,b,c\n1,2,3\n4,5,6\n7,8")
    problem = next(p for p in raw.problems if p.rule == "row length")
    assert problem.row == 4 and problem.file == "f.csv"
    assert len(raw.frame) == 2  # the good rows are still validated


def test_xlsx_cells_become_exact_text(tmp_path):
    frame = pd.DataFrame({"Year": [1972, 1973], "Sales": [1.5, 2.0], "Name": ["삼성", None]})
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    raw = read_upload("book.xlsx", buffer.getvalue())
    assert raw.problems == ()
    assert raw.frame.to_dict("list") == {"year": ["1972", "1973"], "sales": ["1.5", "2"], "name": ["삼성", ""]}
    assert list(raw.row_numbers) == [2, 3]


def test_parquet_keeps_typed_values():
    frame = pd.DataFrame({"year": [1972], "amount": [0.1], "flag": [True]})
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    raw = read_upload("x.parquet", buffer.getvalue())
    assert raw.frame.iloc[0].tolist() == ["1972", "0.1", "true"]


def test_corrupt_workbook_and_unknown_suffix():
    assert [p.rule for p in read_upload("x.xlsx", b"not a zip").problems] == ["parse"]
    assert [p.rule for p in read_upload("x.json", b"{}").problems] == ["format"]


def test_unclosed_quote_names_the_row_where_the_broken_record_starts():
    raw = read_upload("f.csv", b'a,b\n1,2\n3,"unfinished\n')
    (problem,) = raw.problems
    assert problem.rule == "parse" and problem.row == 3
