"""Tables and data files as they leave the workbench: pure functions, no Streamlit, no database.

A regression, calibration or counterfactual table is a :class:`TableLayout` — a label column, the
column headers, rows of text cells, panel titles, rules and notes — built from a stored result
(the dicts of ``estimates.result``) by :func:`event_study_layout`, :func:`table1_layout`,
:func:`robustness_layout` or the generic :func:`grid_layout`. One layout renders to LaTeX (booktabs,
a fragment for ``\\input``), Markdown, CSV, XLSX and Word-friendly HTML (:func:`render`). Column
and row labels are editable before export (:meth:`TableLayout.relabel`).

Spreadsheet safety: CSV and XLSX cells that are *text* and start with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return get a leading ``'`` (OWASP's advice against formula injection,
:func:`neutralise`); numbers stored as numbers stay numbers. Tables print negative numbers with
the true minus sign "−" (journals' typography), so their cells need no such prefix.

Data files: :func:`stata_bytes` (.dta version 118 with variable labels), :func:`parquet_bytes`,
:func:`csv_bytes`, :func:`xlsx_bytes`.
"""

from __future__ import annotations

import dataclasses
import html
import io
import math
import numbers
import re
from dataclasses import dataclass

import pandas as pd

STAR_NOTE = "* p < 0.1, ** p < 0.05, *** p < 0.01"
TABLE_FORMATS = ("latex", "md", "csv", "xlsx", "html")
DATA_FORMATS = ("csv", "xlsx", "dta", "parquet")
EXTENSIONS = {"latex": "tex", "md": "md", "csv": "csv", "xlsx": "xlsx", "html": "html", "dta": "dta",
              "parquet": "parquet", "png": "png", "svg": "svg", "json": "json"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# --- numbers -----------------------------------------------------------------------------------

def stars(p: float | None) -> str:
    """Significance stars: * p < 0.1, ** p < 0.05, *** p < 0.01 (none for a missing p)."""
    if p is None or not math.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def estimate_cell(estimate: float, se: float | None, p: float | None, digits: int = 3) -> tuple[str, str]:
    """(estimate with stars, standard error in parentheses), e.g. ("0.123***", "(0.046)")."""
    se_text = f"({se:.{digits}f})" if se is not None and math.isfinite(se) else ""
    return f"{estimate:.{digits}f}{stars(p)}", se_text


def minus(text: str) -> str:
    """Hyphen-minus before a digit → the true minus sign "−" (so a cell never starts with "-")."""
    return re.sub(r"-(?=[\d.])", "−", text)


def _number(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return f"{int(value):,d}".replace("-", "−")
    return minus(f"{value:.{digits}f}")


# --- the layout --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TableLayout:
    """A table in a paper's layout. ``rows`` are (label, cell, …) with one cell per column;
    ``panels`` the indices of rows that are panel titles (label only, spanning the table);
    ``rules`` the indices of rows with a rule above them; ``notes`` the lines under the table."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str = ""
    label_header: str = ""
    notes: tuple[str, ...] = ()
    panels: tuple[int, ...] = ()
    rules: tuple[int, ...] = ()

    def __post_init__(self):
        for row in self.rows:
            if len(row) != len(self.columns) + 1:
                raise ValueError(f"row {row[:1]} has {len(row) - 1} cells for {len(self.columns)} columns")

    def relabel(self, columns: dict[str, str] | None = None, rows: dict[str, str] | None = None) -> TableLayout:
        """The same table with column headers and row labels renamed (unknown names are ignored)."""
        columns, rows = columns or {}, rows or {}
        return dataclasses.replace(
            self, columns=tuple(columns.get(c, c) for c in self.columns),
            rows=tuple((rows.get(r[0], r[0]), *r[1:]) for r in self.rows))

    def frame(self) -> pd.DataFrame:
        """The table as a frame of strings: the label column (named ``label_header``), then the columns."""
        return pd.DataFrame([list(r) for r in self.rows], columns=[self.label_header or "", *self.columns])

    def row_labels(self) -> list[str]:
        return list(dict.fromkeys(r[0] for r in self.rows if r[0]))


def grid_layout(frame: pd.DataFrame, label: str, title: str = "", notes=(), digits: int = 3) -> TableLayout:
    """A generic layout from a frame: column ``label`` gives the row labels, every other column is a
    table column; numbers are formatted with ``digits`` decimals (counts with thousands separators).
    Calibration (Table 2: parameter, value, identification/moment, model, data) and counterfactual
    tables (Table 3) use this."""
    columns = [c for c in frame.columns if c != label]
    rows = tuple((str(r[label]), *[_cell(r[c], digits) for c in columns]) for _, r in frame.iterrows())
    return TableLayout(columns=tuple(map(str, columns)), rows=rows, title=title, label_header=str(label),
                       notes=tuple(notes))


def _cell(value, digits: int) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return f"{int(value):,d}".replace("-", "−")
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return _number(float(value), digits)
    return minus(str(value))


def calibration_layout(parameters: pd.DataFrame, title: str = "Calibration") -> TableLayout:
    """Table 2 of Choi & Shim: one row per parameter with its value, what identifies it (a moment or
    an estimate), the moment in the model and in the data. ``parameters``: parameter, value,
    identification, model, data; optionally description (a column after the parameter) and block (a panel
    title row, e.g. "External calibration", whenever it changes)."""
    missing = {"parameter", "value", "identification", "model", "data"} - set(parameters.columns)
    if missing:
        raise ValueError(f"a calibration table needs the columns {', '.join(sorted(missing))}")
    names = {"parameter": "Parameter", "description": "Description", "value": "Value",
             "identification": "Identification / moment", "model": "Model", "data": "Data"}
    frame = parameters[[c for c in names if c in parameters.columns]].rename(columns=names)
    for column in ("Value", "Model", "Data"):     # calibrated values span orders of magnitude: 4 significant digits
        frame[column] = frame[column].map(_significant)
    if "block" not in parameters.columns:
        return grid_layout(frame, "Parameter", title=title)
    table = grid_layout(frame, "Parameter", title=title)
    rows, panels, blank, last = [], [], ("",) * len(table.columns), None
    for block, row in zip(parameters["block"], table.rows):
        if block != last:
            panels.append(len(rows))
            rows.append((str(block), *blank))
        rows.append(row)
        last = block
    return dataclasses.replace(table, rows=tuple(rows), panels=tuple(panels))


def _significant(value, digits: int = 4):
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value):
        return minus(f"{value:.{digits}g}")
    return value


def counterfactual_layout(summary: dict, sector_names: dict | None = None,
                          title: str = "Table 3: aggregate and local effects of the big push") -> TableLayout:
    """Table 3 of Choi & Shim from a stored counterfactual run (workbench.quant.counterfactual_summary): Panel A
    the steady-state differences (baseline − counterfactual) with their local range, Panel B Δ output by sector
    and the gross-output-weighted total, Panel C Δ heavy GDP share under each alternative scenario."""
    labels = {"gdp_share": "ΔGDP share (p.p.)", "export_intensity": "ΔExport intensity (p.p.)",
              "employment_share": "ΔEmp share (p.p.)"}
    rows: list[tuple[str, ...]] = [("Panel A. Steady-state differences (baseline − counterfactual)", "", "", "")]
    panels = [0]
    for r in summary["panel_a"]:
        if r["measure"] == "welfare":
            rows.append(("ΔWelfare (%)", _number(r["relative_pct"]), _number(r["region_min_pct"]),
                         _number(r["region_max_pct"])))
        else:
            rows.append((labels[r["measure"]], _number(r["difference_pp"]), _number(r["region_min_pp"]),
                         _number(r["region_max_pp"])))
    panels.append(len(rows))
    rows.append(("Panel B. ΔAggregate output by sector (%)", "", "", ""))
    for r in summary["panel_b"]:
        name = "Total" if r["sector"] == "total" else str((sector_names or {}).get(r["sector"], r["sector"]))
        rows.append((name, _number(r["change_pct"]), "", ""))
    notes = [f"Local range: the smallest and largest regional difference. Welfare: consumption equivalent, discount "
             f"factor {summary['discount']:g} per model period. Panel B's total weights sectors by the "
             "counterfactual's gross output."]
    if summary.get("panel_c"):
        panels.append(len(rows))
        rows.append(("Panel C. Alternative scenarios during the policy: Δ heavy mfg. GDP share (p.p.)", "", "", ""))
        rows += [(str(r["label"]), _number(r["difference_pp"]) if r["difference_pp"] is not None else "not solved", "", "")
                 for r in summary["panel_c"]]
        notes.append("Panel C: each factor altered in the policy periods only, in both the baseline and the "
                     "counterfactual; the first row is the unaltered economy.")
    return TableLayout(columns=("Aggregate", "Local min", "Local max"), rows=tuple(rows),
                       title=title, notes=tuple(notes), panels=tuple(panels))


# --- layouts of stored results ----------------------------------------------------------------

CLUSTER_NAMES = {"match": "matches", "firm": "firms"}


def event_study_layout(results: list[dict], settings: list[dict] | None = None,
                       title: str = "Winners vs losers: event-study coefficients") -> TableLayout:
    """The event study (Choi & Shim eq. (3.1), Figure 2) as a regression table, one column per stored
    direct-effects result (``estimates.result``): β_τ with stars over its SE in parentheses, then
    observations, matches, firms, clusters, the fixed-effect and control rows, the pre-trend test and
    the wild bootstrap p."""
    settings = settings or [{} for _ in results]
    taus = sorted({int(c["event_time"]) for r in results for c in r["coefficients"]})
    body: list[tuple[str, ...]] = []
    for tau in taus:
        cells = [_coefficient(r, tau) for r in results]
        label = minus(f"τ = {tau}")
        reference = any(c[2] for c in cells)
        body.append((label + (" (reference)" if reference and all(c[2] or not c[0] for c in cells) else ""),
                     *[c[0] for c in cells]))
        body.append(("", *[c[1] for c in cells]))
    first_stat = len(body)
    body += [
        ("Observations", *[_number(r.get("N"), 0) for r in results]),
        ("Matches", *[_number(r.get("matches"), 0) for r in results]),
        ("Firms", *[_number(r.get("firms"), 0) for r in results]),
        ("Clusters", *[" / ".join(f"{n:,d} {CLUSTER_NAMES.get(k, k)}" for k, n in (r.get("clusters") or {}).items())
                       for r in results]),
        ("Match × firm fixed effects", *["Yes" for _ in results]),
        ("Match × year fixed effects", *["Yes" for _ in results]),
        ("Controls", *[", ".join(s.get("controls") or ()) or "None" for s in settings]),
        ("Pre-trend F-test p", *[_test_p(r.get("pretrend_test")) for r in results]),
        ("Wild bootstrap p", *[_bootstrap(r) for r in results]),
    ]
    notes = (f"Standard errors in parentheses, two-way clustered by match and firm; {STAR_NOTE}.",
             "Wild bootstrap: WCR11 bootstrap-t, Rademacher weights, null imposed (Stata boottest).")
    return TableLayout(columns=tuple(r.get("outcome", "") for r in results), rows=tuple(body), title=title,
                       notes=notes, rules=(first_stat,))


def _coefficient(result: dict, tau: int) -> tuple[str, str, bool]:
    for c in result["coefficients"]:
        if int(c["event_time"]) == tau:
            if c.get("reference"):
                return "0", "(omitted)", True
            if c.get("estimate") is None:
                return "n.i.", "", False
            estimate, se = estimate_cell(c["estimate"], c.get("se"), c.get("p"))
            return minus(estimate), se, False
    return "", "", False


def _test_p(test: dict | None) -> str:
    if not test or not test.get("applies"):
        return "n/a"
    return f"{test['p_value']:.3f}"


def _bootstrap(result: dict) -> str:
    if result.get("bootstrap_p") is None:
        return "n/a"
    return f"{result['bootstrap_p']:.3f} (τ = {result['bootstrap_tau']})".replace("-", "−")


def table1_layout(result: dict, title: str = "Table 1: local spillover and complementarity") -> TableLayout:
    """Table 1 of Choi & Shim from a stored spillover result (its ``table1`` rows, as
    :func:`estimation.spillovers.table1` made them): both panels with ΔShare, SE, KP-F, effective F,
    the Anderson–Rubin set, clusters and N, then the fixed-effect and control rows."""
    records = result["table1"]
    columns = [c for c in records[0] if c not in ("panel", "row")] if records else []
    rows: list[tuple[str, ...]] = []
    panels, rules, notes = [], [], []
    for rec in records:
        label = rec["row"]
        if label == "notes":
            notes.append(f"Panel {rec['panel']}: {rec.get(columns[0], '')}")
            continue
        if label.startswith("Panel"):
            panels.append(len(rows))
            rows.append((label, *["" for _ in columns]))
            continue
        if not rec["panel"] and (not rows or rows[-1][0] == "N"):
            rules.append(len(rows))
        rows.append(("" if label == "(se)" else label, *[minus(str(rec.get(c, ""))) for c in columns]))
    notes.insert(0, f"Standard errors in parentheses, clustered by region and business group; {STAR_NOTE}. "
                    "KP-F: Kleibergen–Paap rk Wald F; under 10 marked weak.")
    if result.get("delta") is not None:
        notes.append(f"δ = β/(σ − 1) = {result['delta']:.4f} (se {result['delta_se']:.4f}), σ = {result['sigma']:g}, "
                     f"from {result.get('delta_note', '')}.".replace("-", "−"))
    return TableLayout(columns=tuple(columns), rows=tuple(rows), title=title, notes=tuple(notes),
                       panels=tuple(panels), rules=tuple(rules))


def robustness_layout(result: dict, title: str = "Robustness of the long-run effect") -> TableLayout:
    """The stored robustness panel (kind ``direct_effects_robustness``): one row per specification with
    β_τ and stars, its SE, matches, N, the pre-trend p and η."""
    tau = result.get("tau", 7)
    rows = []
    for r in result["rows"]:
        beta, se = estimate_cell(r["beta"], r.get("se"), r.get("p_value")) if r.get("beta") is not None else ("", "")
        rows.append((str(r["variant"]), str(r.get("group", "")), minus(beta), se, _number(r.get("matches"), 0),
                     _number(r.get("N"), 0), _number(r.get("pretrend_p")), _number(r.get("eta"), 4)))
    return TableLayout(columns=("Group", f"β_{tau}", "SE", "Matches", "N", "Pre-trend p", "η"), rows=tuple(rows),
                       title=title, label_header="Specification", notes=(f"{STAR_NOTE}.",))


# --- renderers -------------------------------------------------------------------------------

LATEX_SYMBOLS = {"−": "$-$", "×": "$\\times$", "✓": "$\\checkmark$", "τ": "$\\tau$", "β": "$\\beta$",
                 "Δ": "$\\Delta$", "δ": "$\\delta$", "η": "$\\eta$", "σ": "$\\sigma$", "∞": "$\\infty$",
                 "∪": "$\\cup$", "…": "\\ldots{}", "–": "--", "—": "---", "≥": "$\\geq$", "≤": "$\\leq$"}
LATEX_SPECIAL = {"\\": "\\textbackslash{}", "&": "\\&", "%": "\\%", "$": "\\$", "#": "\\#", "_": "\\_",
                 "{": "\\{", "}": "\\}", "<": "$<$", ">": "$>$", "~": "\\textasciitilde{}", "^": "\\textasciicircum{}"}


def latex_escape(text: str) -> str:
    """Text safe inside a LaTeX table: special characters escaped, Greek letters and symbols in math."""
    return "".join(LATEX_SPECIAL.get(ch, LATEX_SYMBOLS.get(ch, ch)) for ch in str(text))


def to_latex(table: TableLayout) -> str:
    """A booktabs tabular (needs ``booktabs`` and, for ✓, ``amssymb``), to ``\\input`` in a table
    environment; the notes as a footnotesize paragraph under it."""
    n = len(table.columns)
    lines = ["% generated by the big-push workbench; needs \\usepackage{booktabs,amssymb}",
             f"\\begin{{tabular}}{{l{'c' * n}}}", "\\toprule",
             " & ".join([latex_escape(table.label_header), *[latex_escape(c) for c in table.columns]]) + " \\\\",
             "\\midrule"]
    for i, row in enumerate(table.rows):
        if i in table.rules and i:
            lines.append("\\midrule")
        if i in table.panels:
            lines.append(f"\\multicolumn{{{n + 1}}}{{l}}{{\\textit{{{latex_escape(row[0])}}}}} \\\\")
            continue
        lines.append(" & ".join(latex_escape(c) for c in row) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}"]
    if table.notes:
        lines.append("\\par\\footnotesize " + " ".join(latex_escape(n_) for n_ in table.notes))
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_note(text: str) -> str:
    return str(text).replace("\n", " ")


def to_markdown(table: TableLayout) -> str:
    """A pipe table (GitHub / Pandoc), the title in bold above, panel titles in italics, notes below."""
    lines = [f"**{_md(table.title)}**", ""] if table.title else []
    lines += ["| " + " | ".join(_md(c) for c in [table.label_header, *table.columns]) + " |",
              "|" + "|".join([":---", *[":---:" for _ in table.columns]]) + "|"]
    for i, row in enumerate(table.rows):
        cells = [f"*{_md(row[0])}*", *["" for _ in table.columns]] if i in table.panels else [_md(c) for c in row]
        lines.append("| " + " | ".join(cells) + " |")
    if table.notes:
        lines += ["", *[_md_note(n) for n in table.notes]]
    return "\n".join(lines) + "\n"


def to_html(table: TableLayout) -> str:
    """A standalone HTML page with the table in booktabs style (rules, no grid) that Word and LibreOffice
    paste or open as an editable table."""
    rule = "border-top:1px solid black;"
    cell = "padding:2px 8px;"
    head = "".join(f'<th style="{cell}border-bottom:1px solid black;text-align:{"left" if j == 0 else "center"}">'
                   f"{html.escape(c)}</th>" for j, c in enumerate([table.label_header, *table.columns]))
    body = []
    for i, row in enumerate(table.rows):
        style = rule if i in table.rules and i else ""
        if i in table.panels:
            body.append(f'<tr><td colspan="{len(row)}" style="{cell}{style}font-style:italic">'
                        f"{html.escape(row[0])}</td></tr>")
            continue
        body.append("<tr>" + "".join(f'<td style="{cell}{style}text-align:{"left" if j == 0 else "center"}">'
                                     f"{html.escape(c)}</td>" for j, c in enumerate(row)) + "</tr>")
    notes = "".join(f'<p style="font-size:9pt;margin:2px 0">{html.escape(n)}</p>' for n in table.notes)
    title = f"<caption style=\"text-align:left;font-weight:bold\">{html.escape(table.title)}</caption>" if table.title else ""
    return ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>' + html.escape(table.title or "table")
            + '</title></head>\n<body style="font-family:\'Times New Roman\',serif;font-size:11pt">\n'
            + '<table style="border-collapse:collapse;border-top:2px solid black;border-bottom:2px solid black">'
            + f"{title}<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(body) + "\n</tbody></table>\n"
            + notes + "\n</body></html>\n")


def table_frame(table: TableLayout) -> pd.DataFrame:
    """The table as a frame for CSV/XLSX: panel titles and notes as rows of the label column."""
    frame = table.frame()
    if table.notes:
        notes = pd.DataFrame({frame.columns[0]: list(table.notes)})
        frame = pd.concat([frame, notes], ignore_index=True).fillna("")
    return frame


def render(table: TableLayout, fmt: str) -> bytes:
    """The table in ``fmt`` (one of :data:`TABLE_FORMATS`) as bytes (text formats UTF-8)."""
    if fmt == "latex":
        return to_latex(table).encode("utf-8")
    if fmt == "md":
        return to_markdown(table).encode("utf-8")
    if fmt == "html":
        return to_html(table).encode("utf-8")
    if fmt == "csv":
        return csv_bytes(table_frame(table))
    if fmt == "xlsx":
        return xlsx_bytes(table_frame(table), sheet=(table.title or "table"))
    raise ValueError(f"a table exports as {', '.join(TABLE_FORMATS)}, not {fmt!r}")


# --- spreadsheet-safe data files ----------------------------------------------------------------

def neutralise_cell(value):
    """A text cell that a spreadsheet would read as a formula gets a leading ``'``; anything else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell (and column name) neutralised; numeric columns untouched."""
    out = frame.copy()
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_bool_dtype(out[column])
                or pd.api.types.is_datetime64_any_dtype(out[column])):
            out[column] = out[column].map(neutralise_cell, na_action="ignore")
    out.columns = [neutralise_cell(c) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV, UTF-8 with BOM (so spreadsheet programs show Korean correctly), formula-safe; CRLF line ends,
    so a cell holding a carriage return is quoted and cannot split its row."""
    return neutralise(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    """An Excel workbook with one sheet, formula-safe (text never becomes a formula)."""
    buffer = io.BytesIO()
    name = re.sub(r"[\[\]:*?/\\]", " ", sheet)[:31] or "data"
    neutralise(frame).to_excel(buffer, index=False, sheet_name=name)
    return buffer.getvalue()


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


STATA_RESERVED = {"_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n",
                  "_N", "_pi", "_pred", "_rc", "_skip", "strL", "using", "with"}


def stata_names(columns) -> dict[str, str]:
    """Column → a valid, unique Stata variable name: letters, digits and _, not starting with a digit,
    at most 32 characters, not a reserved word."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for column in columns:
        name = re.sub(r"[^A-Za-z0-9_]", "_", str(column)) or "_"
        if not re.match(r"[A-Za-z_]", name) or name in STATA_RESERVED or re.fullmatch(r"str\d+", name):
            name = "_" + name
        base, number = name[:32], 1
        name = base
        while name in used:
            suffix = f"_{number}"
            name, number = base[:32 - len(suffix)] + suffix, number + 1
        used.add(name)
        out[column] = name
    return out


def stata_bytes(frame: pd.DataFrame, variable_labels: dict | None = None, data_label: str = "") -> bytes:
    """``frame`` as a Stata 14+ .dta (format 118: UTF-8, so Korean text survives), names made valid
    (:func:`stata_names`), booleans as 0/1, nullable integers as doubles, missing text as "", labels
    cut to Stata's 80 characters."""
    names = stata_names(frame.columns)
    out = frame.rename(columns=names)
    for column in out.columns:
        series = out[column]
        if series.dtype == bool:
            out[column] = series.astype("int8")
        elif isinstance(series.dtype, pd.CategoricalDtype):
            continue
        elif pd.api.types.is_numeric_dtype(series) and series.dtype.kind not in "iuf":  # Int64, Float64, boolean
            out[column] = series.astype("float64")
        elif pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            out[column] = series.astype("string").fillna("").astype(object)
    labels = {names[c]: str(text)[:80] for c, text in (variable_labels or {}).items() if c in names}
    buffer = io.BytesIO()
    out.to_stata(buffer, version=118, write_index=False, data_label=data_label[:80] or None,
                 variable_labels=labels)
    return buffer.getvalue()


def data_bytes(frame: pd.DataFrame, fmt: str, labels: dict | None = None, data_label: str = "") -> bytes:
    """A data frame as ``fmt`` (one of :data:`DATA_FORMATS`); labels go into the .dta."""
    if fmt == "csv":
        return csv_bytes(frame)
    if fmt == "xlsx":
        return xlsx_bytes(frame)
    if fmt == "parquet":
        return parquet_bytes(frame)
    if fmt == "dta":
        return stata_bytes(frame, labels, data_label)
    raise ValueError(f"data exports as {', '.join(DATA_FORMATS)}, not {fmt!r}")
