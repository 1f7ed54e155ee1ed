"""Read an uploaded file (CSV, TSV, XLSX, Parquet) into a frame of text cells.

Every cell comes back as a ``str`` (empty string = missing) so that one
validator coerces and checks types for every format. Text files are decoded
as UTF-8 (with or without BOM) or CP949, the superset of EUC-KR used by
spreadsheets digitized in Korea; Korean text therefore round-trips byte for
byte. Parsing problems (an empty file, a truncated last line, an unknown
encoding) come back as :class:`~storage.problems.Problem` s, never as
exceptions.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import PurePath

import pandas as pd

from storage.problems import Problem

TEXT_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": None}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
SUPPORTED_SUFFIXES = tuple(TEXT_SUFFIXES) + tuple(EXCEL_SUFFIXES) + tuple(PARQUET_SUFFIXES)

#: Tried in order; the first that decodes the whole file strictly wins.
#: UTF-8 is tried first because valid UTF-8 Korean is almost never valid CP949
#: and vice versa; CP949 decodes every EUC-KR file identically.
ENCODINGS = ("utf-8-sig", "cp949")
ENCODING_LABELS = {"utf-8-sig": "UTF-8", "cp949": "CP949/EUC-KR"}


@dataclass(frozen=True)
class RawTable:
    """An upload as text cells.

    ``frame`` has lower-cased, trimmed column names and ``str`` cells;
    ``row_numbers`` gives each record's spreadsheet row (header = 1).
    ``encoding`` is the text encoding used, None for binary formats.
    """

    file: str
    frame: pd.DataFrame
    row_numbers: pd.Series
    encoding: str | None
    problems: tuple[Problem, ...]


def normalize_header(name: object) -> str:
    """Column names are matched case-insensitively after trimming spaces."""
    return str(name).replace("\ufeff", "").strip().lower()


def decode_text(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode ``data``; returns (text, encoding used). Raises UnicodeError if none fits."""
    candidates = (encoding,) if encoding else ENCODINGS
    for candidate in candidates:
        try:
            text = data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
        if candidate == "utf-8" and text.startswith("\ufeff"):
            text = text[1:]
        return text, candidate
    raise UnicodeError(_encoding_hint(data, candidates))


def _encoding_hint(data: bytes, tried: tuple[str | None, ...]) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    guess = f"; it looks like {best.encoding}" if best is not None else ""
    names = ", ".join(ENCODING_LABELS.get(e, str(e)) for e in tried)
    return (
        f"the file is not valid text in {names}{guess}. "
        "Save it as UTF-8 (or CP949/EUC-KR), or name its encoding explicitly."
    )


def read_upload(file: str, data: bytes, encoding: str | None = None) -> RawTable:
    """Parse ``data`` by the suffix of ``file``; never raises for a bad file."""
    suffix = PurePath(file).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return _read_text(file, data, TEXT_SUFFIXES[suffix], encoding)
    if suffix in EXCEL_SUFFIXES:
        return _read_binary(file, lambda: pd.read_excel(io.BytesIO(data), dtype=object, header=None))
    if suffix in PARQUET_SUFFIXES:
        return _read_binary(file, lambda: _parquet_with_header_row(data))
    known = ", ".join(SUPPORTED_SUFFIXES)
    return _failed(file, "format", f"unsupported file type {suffix or '(none)'}; use one of {known}")


def _failed(file: str, rule: str, message: str, encoding: str | None = None,
            row: int | None = None) -> RawTable:
    problem = Problem(file, row, None, None, rule, message)
    return RawTable(file, pd.DataFrame(), pd.Series([], dtype="int64"), encoding, (problem,))


def _read_text(file: str, data: bytes, delimiter: str | None, encoding: str | None) -> RawTable:
    if not data.strip():
        return _failed(file, "empty file", "the file is empty")
    try:
        text, used = decode_text(data, encoding)
    except UnicodeError as err:
        return _failed(file, "encoding", str(err))
    if delimiter is None:
        delimiter = "\t" if text.split("\n", 1)[0].count("\t") > 0 else ","
    records, lines = [], []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    last_line = 0
    try:
        for record in reader:  # a quoted field may span lines: a record starts after the last
            lines.append(last_line + 1)
            records.append(record)
            last_line = reader.line_num
    except csv.Error as err:
        return _failed(file, "parse", f"the file cannot be parsed as delimited text ({err}); "
                       "is the last line truncated?", used, row=last_line + 1)
    return _from_records(file, records, used, lines)


def _from_records(file: str, records: list[list[str]], encoding: str | None,
                  lines: list[int] | None = None) -> RawTable:
    """Check the shape of parsed records and build the text frame."""
    lines = lines or list(range(1, len(records) + 1))
    numbered = [(line, rec) for line, rec in zip(lines, records) if "".join(rec).strip()]
    if not numbered:
        return _failed(file, "empty file", "the file has no header and no data", encoding)
    (header_line, header), body = numbered[0], numbered[1:]
    names = [normalize_header(h) for h in header]
    while names and names[-1] == "":  # trailing delimiters after the last column
        names.pop()
    problems = []
    for position, name in enumerate(names, start=1):
        if name == "":
            problems.append(Problem(file, header_line, None, None, "header", f"column {position} has no name"))
    for name in sorted({n for n in names if n and names.count(n) > 1}):
        problems.append(Problem(file, header_line, name, None, "header",
                                "the column name appears more than once (names are matched case-insensitively)"))
    if not body:
        problems.append(Problem(file, None, None, None, "no data rows", "the file has a header but no data rows"))
    width = len(names)
    cells, row_numbers = [], []
    for line, record in body:
        extra = record[width:]
        if len(record) < width or any(c.strip() for c in extra):
            problems.append(Problem(
                file, line, None, None, "row length",
                f"the row has {len(record)} fields but the header has {width} "
                "(a truncated or misaligned line)"))
            continue
        cells.append(record[:width])
        row_numbers.append(line)
    frame = pd.DataFrame(cells, columns=names, dtype=object)
    return RawTable(file, frame, pd.Series(row_numbers, dtype="int64"), encoding, tuple(problems))


def _cell_text(value: object) -> str:
    """Text of a typed cell (Excel/Parquet), exact for integers and floats."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _parquet_with_header_row(data: bytes) -> pd.DataFrame:
    frame = pd.read_parquet(io.BytesIO(data))
    header = pd.DataFrame([list(frame.columns)], columns=frame.columns, dtype=object)
    return pd.concat([header, frame.astype(object)], ignore_index=True)


def _read_binary(file: str, load) -> RawTable:
    try:
        frame = load()
    except Exception as err:  # a corrupt workbook or parquet file: report, never crash
        return _failed(file, "parse", f"the file cannot be read: {type(err).__name__}: {err}")
    records = [[_cell_text(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    return _from_records(file, records, None)
