"""Shared UI helpers that the pages call; pages never import each other.

The database handle is the only ``st.cache_resource``; every read goes
through :func:`read`, an ``st.cache_data`` call keyed by (database path,
:func:`~workbench.services.data_version`, arguments), so a write in one
browser session shows in every other on its next rerun. Writes are never
cached. The generic page of one record type is :func:`render_data_page`.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st
import vl_convert

from estimation.direct_effects import EstimationError
from storage.ingest import MODES, IngestRequest, IngestResult
from storage.problems import ValidationReport
from storage.readers import ENCODING_LABELS
from storage.schema import UPLOAD_TABLES, ColumnSpec, TableSpec, table_spec
from workbench import config, export_tables, linkage, quant, services
from workbench import state_keys as keys
from workbench.linkage import LinkState
from workbench.services import Database, EditResult, StorageError, TableFilter

SYNTHETIC = "SYNTHETIC DEMO DATA"
TITLES = {name: spec.title for name, spec in UPLOAD_TABLES.items()}
PROVENANCE = {"_row_id": "row id", "_batch_id": "change set", "_source_row": "source row"}
UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "parquet"]
ENCODINGS = {"auto": None, "utf-8": "utf-8-sig", "cp949": "cp949"}
MODE_HELP = {
    "append": "add the file's rows to the table",
    "replace": "archive the table's current rows and load the file instead; undo restores the old rows",
}


# --- database, actor, cached reads ---------------------------------------------------------

@st.cache_resource(show_spinner="Opening the database (a new one gets the synthetic demo economy)…")
def open_db(path: str) -> Database:
    """The database at ``path``; a brand-new one is created and filled with the demo economy."""
    database = services.open_database(path)
    services.ensure_demo(database, config.default_actor())
    return database


def db() -> Database:
    """The database the app opened (its path is set by the entry script)."""
    return open_db(st.session_state[keys.APP_DB_PATH])


def actor() -> str:
    """The reviewer name from the sidebar, recorded in the audit log."""
    return (st.session_state.get(keys.APP_ACTOR) or "").strip() or config.default_actor()


def data_key() -> tuple[str, int]:
    """(database path, data version): changes with every write, from any session."""
    database = db()
    return str(database.path), services.data_version(database)


SERVICE_MODULES = {"services": services, "linkage": linkage, "quant": quant}


@st.cache_data(show_spinner=False, max_entries=64)
def _cached_call(path: str, version: int, module: str, call: str, *args: object) -> object:
    """``<module>.<call>(db, *args)``; the data version in the key invalidates it after any write."""
    return getattr(SERVICE_MODULES[module], call)(open_db(path), *args)


def read(call: str, *args: object) -> object:
    """``services.<call>(db, *args)`` for a read-only service, cached until the data change."""
    return _cached_call(*data_key(), "services", call, *args)


def link_state(accept: float | None = None, review: float | None = None) -> LinkState:
    """``linkage.link_state(db, accept, review)``, cached until the data change (None: the run's thresholds)."""
    return _cached_call(*data_key(), "linkage", "link_state", accept, review)


def read_linkage(call: str, *args: object) -> object:
    """``linkage.<call>(db, *args)`` for a read-only linkage service (e.g. firm_directory), cached."""
    return _cached_call(*data_key(), "linkage", call, *args)


def is_demo() -> bool:
    return read("database_status").is_demo


# --- page chrome and errors ----------------------------------------------------------------

def page_header(title: str, caption: str = "") -> None:
    """The page title, the synthetic-data badge when the demo is loaded, and a one-line caption."""
    st.title(title)
    if is_demo():
        st.badge(SYNTHETIC, icon=":material/science:", color="orange",
                 help="The tables hold a generated economy for trying the workbench, not archival data.")
    if caption:
        st.caption(caption)


def show_error(err: Exception) -> None:
    """A plain message for an error, with the exception text (never the traceback) folded away."""
    if isinstance(err, EstimationError):
        st.warning(f"Not estimated: {err}", icon=":material/warning:")
        return
    if isinstance(err, StorageError):
        message = f"The database reported a problem: {err}"
    elif isinstance(err, OSError):
        message = (f"A file could not be opened or written: {err.strerror or err} ({err.filename}). "
                   "Check the database path (--db or $WORKBENCH_DB) and its folder's permissions.")
    else:
        message = ("Something went wrong while showing this page. Reload the page to try again; "
                   "the technical details below help a developer find the cause.")
    st.error(message, icon=":material/error:")
    with st.expander("technical details"):
        st.code(f"{type(err).__name__}: {err}", language=None, wrap_lines=True)


def show_report(report: ValidationReport, name: str) -> None:
    """Every problem of a rejected file or edit, with counts by rule and a CSV download."""
    problems = report.to_frame()
    st.error(f"{len(problems)} problem(s) found — nothing was written; the database is unchanged.")
    counts = pd.DataFrame(sorted(report.counts_by_rule().items()), columns=["rule", "problems"])
    left, right = st.columns([1, 4])
    left.dataframe(counts, hide_index=True)
    right.dataframe(problems, hide_index=True, placeholder="")
    download_frame(problems, f"{name}-problems", "Download the problems (CSV)")


# --- downloads -----------------------------------------------------------------------------

def _file_name(name: str, ext: str) -> str:
    return f"{name}{'-SYNTHETIC' if is_demo() else ''}.{ext}"


def download_bytes(label: str, data: Callable[[], bytes], name: str, ext: str, mime: str) -> None:
    """A download button whose bytes are produced only when clicked (file name: -SYNTHETIC on the demo)."""
    st.download_button(label, data=data, file_name=_file_name(name, ext), mime=mime,
                       key=keys.download(f"{name}.{ext}"), on_click="ignore", icon=":material/download:")


def download_frame(frame: pd.DataFrame, name: str, label: str = "Download CSV") -> None:
    """CSV download of ``frame`` (UTF-8 with BOM, so spreadsheet programs show Korean correctly; text cells
    that a spreadsheet would run as a formula are neutralised, :func:`workbench.export_tables.csv_bytes`)."""
    download_bytes(label, lambda: export_tables.csv_bytes(frame), name, "csv", "text/csv")


def download_xlsx(frame: pd.DataFrame, name: str, label: str = "Download Excel") -> None:
    """Excel (.xlsx) download of ``frame``, one sheet, formula-safe (:func:`workbench.export_tables.xlsx_bytes`)."""
    download_bytes(label, lambda: export_tables.xlsx_bytes(frame, sheet=name), name, "xlsx",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@st.cache_data(show_spinner=False, max_entries=32)
def chart_image(spec_json: str, fmt: str) -> bytes:
    """PNG (2x scale) or SVG of a Vega-Lite spec, rendered offline by vl-convert."""
    if fmt == "png":
        return vl_convert.vegalite_to_png(spec_json, scale=2)
    return vl_convert.vegalite_to_svg(spec_json).encode("utf-8")


def show_chart(chart: alt.TopLevelMixin, name: str, data: pd.DataFrame) -> None:
    """The chart at page width, then PNG, SVG and data (CSV) downloads."""
    st.altair_chart(chart, width="stretch")
    with st.container(horizontal=True):
        download_bytes("PNG", lambda: chart_image(chart.to_json(), "png"), name, "png", "image/png")
        download_bytes("SVG", lambda: chart_image(chart.to_json(), "svg"), name, "svg", "image/svg+xml")
        download_frame(data, name, "Data (CSV)")


# --- the data page of one record type --------------------------------------------------------

def render_data_page(table: str) -> None:
    """Browse, hand-edit and upload the records of ``table`` (one page per record type)."""
    spec = table_spec(table)
    page_header(spec.title, spec.description)
    _column_reference(spec)
    filters = _filters(spec)
    rows = read("table_rows", table, filters)
    browse, edit, upload = st.tabs(["Browse", "Hand entry & correction", "Upload a file"])
    with browse:
        _browse(spec, rows, filters, read("count_rows", table, filters))
    with edit:
        _editor(spec, rows)
    with upload:
        _upload(spec)


def _column_help(col: ColumnSpec) -> str:
    parts = [col.description, col.type, "required" if col.required else "optional"]
    if col.allowed:
        parts.append("one of " + ", ".join(col.allowed))
    if col.minimum is not None:
        parts.append(f"≥ {col.minimum:g}")
    if col.positive:
        parts.append("> 0")
    return " · ".join(p for p in parts if p)


def _column_reference(spec: TableSpec) -> None:
    with st.expander(f"Columns of {spec.title.lower()} (the upload format)"):
        st.dataframe(pd.DataFrame(
            [(c.name, c.type, "yes" if c.required else "", _column_help(c)) for c in spec.columns],
            columns=["column", "type", "required", "rules"]), hide_index=True)
        key = ", ".join(spec.key) or "none"
        st.caption(f"Unique key: {key}. Column names match case-insensitively; extra columns are kept.")
        download_frame(pd.DataFrame(columns=list(spec.column_names)), f"{spec.name}-template",
                       "Empty template (CSV)")


def _column_config(spec: TableSpec) -> dict[str, object]:
    """Editor/table columns typed like the spec, with its help text; provenance read-only."""
    cfg = st.column_config
    config_: dict[str, object] = {c: cfg.Column(label, disabled=True) for c, label in PROVENANCE.items()}
    for col in spec.columns:
        help_ = _column_help(col)
        if col.allowed:
            config_[col.name] = cfg.SelectboxColumn(col.name, help=help_, options=list(col.allowed))
        elif col.type == "boolean":
            config_[col.name] = cfg.CheckboxColumn(col.name, help=help_)
        elif col.type == "integer":
            config_[col.name] = cfg.NumberColumn(col.name, help=help_, step=1, format="%d",
                                                 min_value=col.minimum, max_value=col.maximum)
        elif col.type == "number":
            config_[col.name] = cfg.NumberColumn(col.name, help=help_, min_value=col.minimum,
                                                 max_value=col.maximum, format="localized" if col.monetary else None)
        else:
            config_[col.name] = cfg.TextColumn(col.name, help=help_)
    return config_


def _filters(spec: TableSpec) -> TableFilter:
    """The browse filters above the tabs; they choose the rows of Browse and of the editor."""
    everything = read("table_frame", spec.name)
    key = functools.partial(keys.data, spec.name)
    has_years = "year" in spec.column_names and bool(everything["year"].notna().any())
    widths = [3, 3, 2, 2, 1.3] if has_years else [3, 2, 2, 1.3]  # a year slider only where there are years
    *years_col, text_col, column_col, value_col, limit_col = st.columns(widths)
    years = (None, None)
    if has_years:
        low, high = int(everything["year"].min()), int(everything["year"].max())
        years = _year_range(years_col[0], spec.name, low, high)
    text = text_col.text_input("Search text columns", key=key("filter_text"),
                               placeholder="name, id or code")
    filterable = [c.name for c in spec.columns if c.type != "number"]
    column = column_col.selectbox("Column equals", filterable, index=None, key=key("filter_column"),
                                  placeholder="(any column)",
                                  on_change=st.session_state.pop, args=(key("filter_value"), None))
    value = value_col.selectbox("value", _distinct_values(everything, spec, column), index=None,
                                key=key("filter_value"), disabled=column is None, accept_new_options=True,
                                placeholder="choose or type")
    limit = limit_col.number_input("Show at most", min_value=10, max_value=100_000, value=1000, step=100,
                                   key=key("limit"))
    equals = ((column, str(value)),) if column and value not in (None, "") else ()
    return TableFilter(years[0], years[1], text, equals, int(limit))


def _year_range(container, table: str, low: int, high: int) -> tuple[int | None, int | None]:
    """A year slider over the stored years; the whole range means no year filter.

    When the stored years change (an upload, an undo), a chosen range is clamped to them and
    the whole range stays the whole range.
    """
    if low == high:
        container.caption(f"All rows are from {low}.")
        return None, None
    key, bounds_key = keys.data(table, "filter_years"), keys.data(table, "filter_year_bounds")
    start, end = st.session_state.get(key, (low, high))
    if (start, end) == st.session_state.get(bounds_key):
        start, end = low, high
    st.session_state[bounds_key] = (low, high)
    st.session_state[key] = (min(max(start, low), high), max(min(end, high), low))
    chosen = container.slider("Years", min_value=low, max_value=high, key=key)
    return (None, None) if chosen == (low, high) else chosen


def _distinct_values(frame: pd.DataFrame, spec: TableSpec, column: str | None) -> list[str]:
    """A column's stored values as text, as the equality filter compares them."""
    if column is None:
        return []
    values = frame[column].dropna().drop_duplicates()
    kind = spec.column(column).type
    if kind == "integer":
        values = values.astype("int64").astype(str)
    elif kind == "boolean":
        values = values.map(lambda v: "true" if v else "false")
    return sorted(values.astype(str))[:5000]


def _browse(spec: TableSpec, rows: pd.DataFrame, filters: TableFilter, matching: int) -> None:
    shown = rows if rows["extra"].notna().any() else rows.drop(columns="extra")
    if matching > len(rows):
        st.markdown(f"**{matching:,} row(s)** match the filters; the first **{len(rows):,}** are shown "
                    "— narrow the filters or raise the limit.")
    else:
        st.markdown(f"**{matching:,} row(s)** match the filters.")
    st.dataframe(shown, hide_index=True, column_config=_column_config(spec), placeholder="")
    download_frame(shown, f"{spec.name}-rows", "Download these rows (CSV)")


def _editor(spec: TableSpec, rows: pd.DataFrame) -> None:
    """Hand entry: edit the filtered rows, add rows at the bottom, delete rows; validated on save."""
    table = spec.name
    st.caption("Edit cells, add a row at the bottom of the table, or select rows and delete them. "
               "Saving validates the rows with the upload rules; every saved edit is written to the "
               "audit log (old → new values) and can be undone on the Audit log & undo page.")
    shown = rows[[*spec.column_names, *PROVENANCE]]
    edited = st.data_editor(shown, key=keys.data(table, "editor"), num_rows="dynamic", hide_index=True,
                            column_config=_column_config(spec), disabled=list(PROVENANCE), placeholder="")
    result_key = keys.data(table, "edit_result")
    if st.button("Save changes", type="primary", key=keys.data(table, "save_button")):
        with st.spinner("Validating and saving…"):
            st.session_state[result_key] = services.save_table_edits(
                db(), table, dict(zip(shown["_row_id"].astype(int), shown["_batch_id"].astype(int))),
                edited, actor())
        if st.session_state[result_key].change_set_id is not None:
            st.rerun()  # saved: reread, so the editor starts from the new rows
    result = st.session_state.get(result_key)
    if result is not None:  # problems stay listed while they are fixed; a saved edit is reported once
        _show_edit_result(result, table)
        if result.change_set_id is not None:
            del st.session_state[result_key]


def _show_edit_result(result: EditResult, table: str) -> None:
    if not result.report.ok:
        show_report(result.report, f"{table}-edit")
    elif result.change_set_id is None:
        st.info("Nothing to save: no value changed.")
    else:
        st.success(f"{result.summary} — recorded in the audit log; undo it on the Audit log & undo page.")
        changes = result.changes.astype({"old": "string", "new": "string"})
        st.dataframe(changes, hide_index=True)


def _upload(spec: TableSpec) -> None:
    """Upload: choose a file and options, Check (dry run), then Load (enabled after a clean check)."""
    table = spec.name
    key = functools.partial(keys.data, table)
    if (loaded := st.session_state.pop(key("upload_result"), None)) is not None:
        st.success(f"{loaded.summary} (change set {loaded.change_set_id}) — recorded in the audit log; "
                   "undo it on the Audit log & undo page.")
    generation = st.session_state.get(key("upload_generation"), 0)
    file = st.file_uploader("File (CSV, TSV, TXT, Excel .xlsx or Parquet)", type=UPLOAD_TYPES,
                            key=f"{key('upload_file')}.{generation}")
    mode_col, encoding_col = st.columns(2)
    mode = mode_col.radio("Mode", MODES, key=key("upload_mode"), captions=[MODE_HELP[m] for m in MODES])
    encoding = encoding_col.selectbox("Text encoding", list(ENCODINGS), key=key("upload_encoding"),
                                      help="auto tries UTF-8 (with or without BOM), then CP949/EUC-KR")
    deflate = bool(spec.monetary_columns) and st.checkbox(
        "values are nominal: convert with the deflators table", key=key("upload_deflate"),
        help=f"multiplies {', '.join(spec.monetary_columns)} by the deflator factor of the row's year")
    if file is None:
        st.info("Choose a file, then Check it: nothing is written until you Load a file that checked clean.")
        return
    data = file.getvalue()
    request = IngestRequest(table, file.name, data, mode, deflate, ENCODINGS[encoding], actor())
    fingerprint = (file.name, hashlib.sha256(data).hexdigest(), mode, deflate, encoding, data_key())
    if st.button("Check", key=key("upload_check_button")):
        with st.spinner(f"Checking {file.name}…"):
            st.session_state[key("upload_check")] = (fingerprint, services.check_upload(db(), request))
    stored = st.session_state.get(key("upload_check"))
    checked = stored[1] if stored and stored[0] == fingerprint else None
    if checked is not None:
        _show_check(checked, table)
    ready = checked is not None and checked.report.ok
    if st.button("Load", type="primary", disabled=not ready, key=key("upload_load_button"),
                 help=None if ready else "Check the file (with these options) first; it must have no problems"):
        _load(request, key)


def _show_check(result: IngestResult, table: str) -> None:
    encoding = ENCODING_LABELS.get(result.encoding, result.encoding) if result.encoding else "binary format"
    left, right = st.columns(2)
    left.metric("Detected encoding", encoding)
    right.metric("Rows read", f"{result.rows:,}")
    if result.report.ok:
        st.success(f"Ready to load: {result.summary}, no problems found.")
    else:
        show_report(result.report, f"{table}-{result.file_name}")
    if not result.preview.empty:
        st.caption("Preview of the typed rows (first 50):")
        st.dataframe(result.preview, hide_index=True, column_config=_column_config(table_spec(table)),
                     placeholder="")


def _load(request: IngestRequest, key: Callable[[str], str]) -> None:
    """Write the checked file; on success clear the uploader and rerun so every view rereads."""
    with st.spinner(f"Loading {request.file_name}…"):
        result = services.upload(db(), request)
    if not result.written:  # the database changed since the check: show why
        show_report(result.report, f"{request.table}-{request.file_name}")
        return
    st.session_state[key("upload_result")] = result
    st.session_state[key("upload_generation")] = st.session_state.get(key("upload_generation"), 0) + 1
    st.session_state.pop(key("upload_check"), None)
    st.rerun()


def stored_estimates_section(stored: pd.DataFrame, shown: pd.DataFrame, what: str, parameter: str, name: str,
                             label: Callable[[pd.Series], str]) -> None:
    """The *Stored estimates* section of an estimation page: the table (``shown``, one row per
    estimate of ``stored``, newest first) with its CSV download, then each of the newest ten's
    settings and provenance in an expander titled ``label(row)``."""
    st.subheader("Stored estimates")
    if stored.empty:
        st.caption(f"No {what} estimate is stored yet.")
        return
    st.dataframe(shown, hide_index=True)
    st.caption(f"Newest first; the model pages use the newest estimate's {parameter}. *Data changed since*: the "
               "data were changed after the estimate (estimates are records: undo leaves them).")
    download_frame(shown, f"{name}-estimates", "Stored estimates (CSV)")
    for _, row in stored.head(10).iterrows():
        with st.expander(label(row)):
            st.json({"settings": row["settings"], "provenance": row["provenance"]}, expanded=2)


def show_estimation_error(error: EstimationError | None, hint: str, linkage_page: str) -> None:
    """The last Run's EstimationError as a plain message ("Nothing was stored"), with ``hint`` on what to
    change; without a linkage run, a link to the Linkage page (and, on the demo, the true links)."""
    if error is None:
        return
    if error.code != "no_linkage_run":
        st.warning(f"Not estimated: {error} {hint} Nothing was stored.", icon=":material/warning:")
        return
    choose = ", or choose the synthetic demo's true links." if is_demo() else "."
    st.warning(f"Not estimated: no linkage run exists yet, so there are no final links. Run the linkage first{choose}",
               icon=":material/warning:")
    st.page_link(linkage_page, label="Run the linkage on the Linkage page", icon=":material/join:")

