"""Exported tables and data files: golden LaTeX/Markdown from fixed inputs, .dta round trips with
labels, and spreadsheet formula injection. ``UPDATE_GOLDEN=1`` rewrites the golden files (then read
the diff before committing it)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from workbench import export_tables as et

GOLDEN = Path(__file__).parent / "data" / "golden"

EVENT_STUDY = {
    "outcome": "log_sales", "N": 1234, "matches": 45, "firms": 160, "clusters": {"match": 45, "firm": 160},
    "not_identified": [], "bootstrap_p": 0.0312, "bootstrap_tau": 7,
    "pretrend_test": {"applies": True, "p_value": 0.4567},
    "coefficients": [
        {"event_time": -2, "estimate": -0.0523, "se": 0.041, "p": 0.21, "reference": False},
        {"event_time": -1, "estimate": 0.0, "se": None, "p": None, "reference": True},
        {"event_time": 0, "estimate": 0.1234, "se": 0.0456, "p": 0.007, "reference": False},
        {"event_time": 7, "estimate": 0.4801, "se": 0.2, "p": 0.04, "reference": False}],
}
EVENT_STUDY_TFPR = {**EVENT_STUDY, "outcome": "tfpr_cost_share", "N": 987, "bootstrap_p": None,
                    "pretrend_test": {"applies": False, "reason": "no pre-periods"},
                    "coefficients": [
                        {"event_time": -1, "estimate": 0.0, "se": None, "p": None, "reference": True},
                        {"event_time": 0, "estimate": -0.2, "se": 0.15, "p": 0.2, "reference": False},
                        {"event_time": 7, "estimate": 0.09, "se": 0.05, "p": 0.08, "reference": False}]}
TABLE1 = {
    "delta": 0.2784, "delta_se": 0.222, "sigma": 5.0, "delta_note": "β of column (3) IV + group sales share, Panel A",
    "table1": [
        {"panel": "A", "row": "Panel A. Local spillover — dependent: Δ log sales, 1972–1979", "(1) OLS": "", "(2) IV": ""},
        {"panel": "A", "row": "ΔShare", "(1) OLS": "2.624***", "(2) IV": "-1.132"},
        {"panel": "A", "row": "(se)", "(1) OLS": "(0.353)", "(2) IV": "(3.224)"},
        {"panel": "A", "row": "KP-F", "(1) OLS": "", "(2) IV": "3.79 (weak)"},
        {"panel": "A", "row": "AR 95% set", "(1) OLS": "", "(2) IV": "(−∞, 3.42] ∪ [10.06, ∞)"},
        {"panel": "A", "row": "# clusters", "(1) OLS": "27 × 423", "(2) IV": "27 × 423"},
        {"panel": "A", "row": "N", "(1) OLS": "733", "(2) IV": "733"},
        {"panel": "A", "row": "notes", "(1) OLS": "(2) IV: a note with 50% & $ signs", "(2) IV": ""},
        {"panel": "", "row": "Region fixed effects", "(1) OLS": "✓", "(2) IV": "✓"},
        {"panel": "", "row": "Directed credit", "(1) OLS": "", "(2) IV": "✓"}],
}
CALIBRATION = pd.DataFrame({"parameter": ["σ", "η", "F_T"], "value": [5.0, 1.25, 0.031],
                            "identification": ["Broda & Weinstein", "β_7 of the event study", "adoption rate 1972"],
                            "model": [None, 0.48, 0.12], "data": [None, 0.48, 0.118]})


def _layouts() -> dict[str, et.TableLayout]:
    return {"event_study": et.event_study_layout([EVENT_STUDY, EVENT_STUDY_TFPR],
                                                 [{"controls": []}, {"controls": ["credit"]}]),
            "table1": et.table1_layout(TABLE1),
            "calibration": et.calibration_layout(CALIBRATION, title="Table 2: calibration")}


@pytest.mark.parametrize("name", ["event_study", "table1", "calibration"])
@pytest.mark.parametrize("fmt", ["latex", "md"])
def test_golden_tables(name, fmt):
    text = et.render(_layouts()[name], fmt).decode("utf-8")
    path = GOLDEN / f"{name}.{et.EXTENSIONS[fmt]}"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_event_study_layout_numbers():
    table = et.event_study_layout([EVENT_STUDY])
    rows = {r[0]: r[1] for r in table.rows if r[0]}
    assert rows["τ = 0"] == "0.123***" and rows["τ = −2"] == "−0.052" and rows["τ = 7"] == "0.480**"
    assert rows["τ = −1 (reference)"] == "0"
    assert rows["Observations"] == "1,234" and rows["Clusters"] == "45 matches / 160 firms"
    assert rows["Pre-trend F-test p"] == "0.457" and rows["Wild bootstrap p"] == "0.031 (τ = 7)"
    assert any("* p < 0.1, ** p < 0.05, *** p < 0.01" in n for n in table.notes)


def test_latex_escapes_and_structure():
    tex = et.to_latex(et.table1_layout(TABLE1))
    assert tex.count("\\toprule") == tex.count("\\bottomrule") == 1
    assert "50\\% \\& \\$ signs" in tex and "\\# clusters" in tex and "$-$1.132" in tex
    assert "$\\checkmark$" in tex and "\\multicolumn{3}{l}{\\textit{Panel A." in tex
    for line in tex.splitlines():  # every body row has one cell per column
        if line.endswith("\\\\") and "multicolumn" not in line:
            assert line.count(" & ") == 2, line


def test_relabel_changes_headers_and_rows():
    table = et.event_study_layout([EVENT_STUDY]).relabel({"log_sales": "Log sales"}, {"Observations": "N"})
    assert table.columns == ("Log sales",) and "N" in table.row_labels() and "Observations" not in table.row_labels()
    assert "| Log sales |" in et.to_markdown(table)


def test_html_is_a_table_with_escaped_text():
    html = et.to_html(et.table1_layout(TABLE1))
    assert html.count("<tr>") >= 9 and "50% &amp; $ signs" in html and "<script" not in html


def test_layout_rejects_ragged_rows():
    with pytest.raises(ValueError):
        et.TableLayout(columns=("a", "b"), rows=(("x", "1"),))


# --- formula injection ----------------------------------------------------------------------

ATTACKS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(1,1)", "\tx", "\rx"]


def test_csv_neutralises_text_cells_and_keeps_numbers():
    frame = pd.DataFrame({"name": ATTACKS + ["plain", None], "beta": [-0.2, 1.5, -3.0, 0.0, 1.0, 2.0, -1.0, 0.5]})
    back = pd.read_csv(io.BytesIO(et.csv_bytes(frame)), encoding="utf-8-sig", keep_default_na=False)
    assert all(v.startswith("'") for v in back["name"][:6])
    assert back["name"][6] == "plain" and back["name"][7] == ""
    assert back["beta"].dtype == float and back["beta"].tolist() == frame["beta"].tolist()


def test_xlsx_has_no_formula_and_numbers_stay_numbers():
    frame = pd.DataFrame({"=cmd": ATTACKS, "beta": [-0.2, 1.5, -3.0, 0.0, 1.0, 2.0]})
    book = openpyxl.load_workbook(io.BytesIO(et.xlsx_bytes(frame, sheet="t")))
    cells = [c for row in book.active.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    assert book.active["A1"].value == "'=cmd"
    assert [book.active.cell(r, 2).value for r in range(2, 8)] == frame["beta"].tolist()
    assert all(isinstance(book.active.cell(r, 2).value, (int, float)) for r in range(2, 8))


def test_table_csv_of_negative_coefficients_is_not_mangled():
    data = et.render(et.event_study_layout([EVENT_STUDY]), "csv").decode("utf-8-sig")
    assert "−0.052" in data and "'" not in data


def test_unneutralised_csv_would_have_been_a_formula():
    """The test above can fail: without neutralising, the attack strings reach the file unchanged."""
    frame = pd.DataFrame({"name": ATTACKS[:1]})
    assert frame.to_csv(index=False).splitlines()[1].strip('"').startswith("=")
    assert et.csv_bytes(frame).decode("utf-8-sig").splitlines()[1].strip('"').startswith("'=")


# --- data files -----------------------------------------------------------------------------

def test_dta_round_trip_with_labels():
    frame = pd.DataFrame({"firm_id": ["F1", "F2", None], "상호": ["삼성", "=evil", "x"], "year": [1971, 1972, 1973],
                          "log_sales": [1.5, -0.25, float("nan")], "adopter": [True, False, True],
                          "first_year": pd.array([1970, None, 1975], dtype="Int64")})
    labels = {"firm_id": "firm identifier", "log_sales": "log sales (deflated)", "adopter": "1 = adopter"}
    data = et.data_bytes(frame, "dta", labels, "linked panel")
    reader = pd.io.stata.StataReader(io.BytesIO(data))
    back = reader.read()
    names = et.stata_names(frame.columns)
    assert reader.variable_labels()[names["log_sales"]] == "log sales (deflated)"
    assert reader.data_label == "linked panel"
    assert back[names["상호"]].tolist() == ["삼성", "=evil", "x"]  # Stata files are not spreadsheets: kept as is
    assert back["firm_id"].tolist() == ["F1", "F2", ""]
    assert back["log_sales"].tolist()[:2] == [1.5, -0.25] and pd.isna(back["log_sales"].iloc[2])
    assert back["adopter"].tolist() == [1, 0, 1]
    assert back["first_year"].tolist()[0] == 1970 and pd.isna(back["first_year"].iloc[1])


def test_parquet_and_unknown_formats():
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "=y"]})
    assert pd.read_parquet(io.BytesIO(et.data_bytes(frame, "parquet"))).equals(frame)
    with pytest.raises(ValueError):
        et.data_bytes(frame, "sav")
    with pytest.raises(ValueError):
        et.render(et.calibration_layout(CALIBRATION), "docx")


def test_figure_exports_refuse_what_they_cannot_draw():
    from workbench import exports

    with pytest.raises(exports.ExportError, match="figure3 is a figure"):
        exports.export(None, "figure3", "latex")
    with pytest.raises(exports.ExportError, match=r"there is no figure for robustness; figures: .*figure4, regional"):
        exports.figure_files(None, "robustness", "png")
    with pytest.raises(exports.ExportError, match="sample is one of .*table1-a, table1-b"):
        exports.export(None, "samples", "csv", sample="table1-c")


SUMMARY = {"discount": 0.85, "panel_a": [
    {"measure": "gdp_share", "difference_pp": 3.5, "region_min_pp": -1.25, "region_max_pp": 7.0},
    {"measure": "export_intensity", "difference_pp": 2.0, "region_min_pp": 0.5, "region_max_pp": 4.0},
    {"measure": "employment_share", "difference_pp": -0.125, "region_min_pp": -2.0, "region_max_pp": 1.0},
    {"measure": "welfare", "relative_pct": 1.5, "region_min_pct": -0.5, "region_max_pct": 3.0}],
    "panel_b": [{"sector": "Heavy", "change_pct": 60.0}, {"sector": "Light", "change_pct": -2.5},
                {"sector": "total", "change_pct": 20.0}],
    "panel_c": [{"label": "Baseline (no alteration)", "difference_pp": 3.5}, {"label": "No highway", "difference_pp": 2.25}]}


def test_table3_layout_has_three_panels_with_true_minus_signs():
    layout = et.counterfactual_layout(SUMMARY)
    labels = [r[0] for r in layout.rows]
    assert [labels[i][:7] for i in layout.panels] == ["Panel A", "Panel B", "Panel C"]
    rows = {r[0]: r[1:] for r in layout.rows}
    assert rows["ΔGDP share (p.p.)"] == ("3.500", "−1.250", "7.000")
    assert rows["ΔEmp share (p.p.)"] == ("−0.125", "−2.000", "1.000")
    assert rows["ΔWelfare (%)"] == ("1.500", "−0.500", "3.000")
    assert rows["Light"] == ("−2.500", "", "") and rows["Total"] == ("20.000", "", "")
    assert rows["No highway"][0] == "2.250" and "0.85" in layout.notes[0]
    assert "\\midrule" in et.render(layout, "latex").decode() or "Panel A" in et.render(layout, "latex").decode()
    assert len(et.counterfactual_layout({**SUMMARY, "panel_c": None}).panels) == 2


def test_calibration_layout_puts_a_panel_row_where_the_block_changes():
    frame = pd.DataFrame([
        {"block": "External calibration", "parameter": "η", "description": "Direct gains", "value": 1.25,
         "identification": "estimate 3", "model": None, "data": None},
        {"block": "Internal calibration", "parameter": "F^T", "description": "Fixed adoption cost", "value": 0.0002,
         "identification": "Avg. adopter share, 1972", "model": 0.06, "data": 0.07},
        {"block": "Internal calibration", "parameter": "", "description": "", "value": None,
         "identification": "Avg. adopter share, 1976", "model": 0.11, "data": 0.09}])
    layout = et.calibration_layout(frame)
    assert layout.columns == ("Description", "Value", "Identification / moment", "Model", "Data")
    assert [layout.rows[i][0] for i in layout.panels] == ["External calibration", "Internal calibration"]
    assert layout.rows[3] == ("F^T", "Fixed adoption cost", "0.0002", "Avg. adopter share, 1972", "0.06", "0.07")
