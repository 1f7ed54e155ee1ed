"""Services: the one door through which pages and the CLI reach storage, estimation and models.

Every function takes a :class:`~storage.database.Database` and returns plain
frozen results or DataFrames; none renders anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from estimation.descriptives import (
    contract_sectors_by_name,
    contracts_by_year,
    coverage_by_year,
    heavy_sales_share,
)
from models.demo_economy import DemoSettings, generate_demo_economy
from storage.changes import (
    Undone,
    close_change_set,
    describe_change_set,
    insert_rows,
    last_undoable,
    open_change_set,
    undo_last,
    archive_rows,
)
from storage.database import Database, StorageError
from storage.edits import EditResult, save_edits
from storage.ingest import IngestRequest, IngestResult, database_facts, ingest_file
from storage.schema import UPLOAD_TABLES, table_spec
from storage.validation import validate_frame

__all__ = [
    "Database", "StorageError", "IngestRequest", "IngestResult", "EditResult", "Undone",
    "open_database", "database_status", "load_demo", "ensure_demo", "upload", "check_upload",
    "save_table_edits", "undo", "table_rows", "count_rows", "table_frame", "TableFilter", "audit_log",
    "change_sets", "data_version", "overview", "Overview", "DatabaseStatus", "demo_truth",
]


def open_database(path) -> Database:
    """The database at ``path``, created and migrated to the latest schema if needed."""
    db = Database(path)
    db.schema_version()
    return db


@dataclass(frozen=True)
class DatabaseStatus:
    path: str
    schema_version: int
    row_counts: dict[str, int]
    demo_loaded_at: str | None          # set while the synthetic demo economy is loaded
    changes_since_demo: int
    next_undo: str | None               # what `undo` would undo
    change_set_count: int = 0

    @property
    def is_demo(self) -> bool:
        return self.demo_loaded_at is not None

    @property
    def is_empty(self) -> bool:
        return not any(self.row_counts.values())

    def as_dict(self) -> dict:
        return {"path": self.path, "schema_version": self.schema_version, "row_counts": self.row_counts,
                "synthetic_demo": self.is_demo, "demo_loaded_at": self.demo_loaded_at,
                "changes_since_demo": self.changes_since_demo, "next_undo": self.next_undo,
                "change_sets": self.change_set_count}


def database_status(db: Database) -> DatabaseStatus:
    from storage.database import current_version

    with db.connect("reading the database status") as con:
        counts = {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in UPLOAD_TABLES}
        demo = _active_demo(con)
        later = 0
        if demo is not None:
            later = con.execute("SELECT count(*) FROM change_sets WHERE change_set_id > ? AND kind <> 'undo'"
                                " AND undone_by IS NULL", [demo[0]]).fetchone()[0]
        target = last_undoable(con)
        total = con.execute("SELECT count(*) FROM change_sets").fetchone()[0]
        return DatabaseStatus(
            path=str(db.path), schema_version=current_version(con), row_counts=counts,
            demo_loaded_at=None if demo is None else demo[1].isoformat(sep=" ", timespec="seconds"),
            changes_since_demo=int(later),
            next_undo=None if target is None else f"change set {int(target['change_set_id'])}: "
                                                    f"{describe_change_set(target)}",
            change_set_count=int(total))


def load_demo(db: Database, actor: str, settings: DemoSettings = DemoSettings(),
              replace: bool = False) -> int:
    """Load the synthetic demo economy as one change set, through the upload validation.

    Refuses to overwrite data unless ``replace``; replaced rows are archived and
    ``undo`` brings them back. The true parameters and true contract-to-firm
    links are stored beside it (``demo_truth_*``).
    """
    economy = generate_demo_economy(settings)
    with db.transaction("loading the demo economy") as con:
        stored = sum(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in UPLOAD_TABLES)
        if stored and not replace:
            raise StorageError("the database already holds data; load the demo with replace "
                               "(CLI: `demo --replace`) — replaced rows stay in the archive and undo restores them")
        change_set_id = open_change_set(con, "demo", actor, mode="replace",
                                        options={"seed": settings.seed})
        archived = sum(archive_rows(con, t, change_set_id) for t in reversed(UPLOAD_TABLES))
        inserted = 0
        for name, spec in UPLOAD_TABLES.items():
            frame = economy.tables[name]
            facts = database_facts(con, spec, "append").facts
            rows = pd.Series(range(2, len(frame) + 2), dtype="int64")
            validated = validate_frame(frame, spec, f"demo {name}", rows, facts)
            if not validated.report.ok:  # the generator broke the upload format: a bug, say so
                raise StorageError("the demo economy failed validation:\n" + validated.report.to_text(20))
            inserted += insert_rows(con, spec, validated.frame.assign(_source_row=pd.NA), change_set_id)
        _store_truth(con, economy, change_set_id)
        close_change_set(con, change_set_id, inserted, archived, actor=actor, action="demo",
                         summary=f"loaded the synthetic demo economy (seed {settings.seed}): {inserted} rows",
                         details={"seed": settings.seed, "rows": inserted, "archived": archived})
    return change_set_id


def _store_truth(con, economy, change_set_id: int) -> None:
    params = economy.true_parameters[["parameter", "value", "description"]]
    links = economy.true_links[["contract_id", "firm_id"]].astype(object)
    links = links.where(links.notna(), None)
    con.register("truth_params", params)
    con.register("truth_links", links)
    con.execute("INSERT INTO demo_truth_parameters SELECT ?, parameter, value, description FROM truth_params",
                [change_set_id])
    con.execute("INSERT INTO demo_truth_links SELECT ?, contract_id, firm_id FROM truth_links", [change_set_id])
    con.unregister("truth_params")
    con.unregister("truth_links")


def _active_demo(con) -> tuple[int, object] | None:
    """(change set id, time) of the demo load whose rows are in the tables, if any."""
    return con.execute("SELECT change_set_id, created_at FROM change_sets WHERE kind = 'demo'"
                       " AND undone_by IS NULL ORDER BY change_set_id DESC LIMIT 1").fetchone()


def demo_truth(db: Database) -> tuple[pd.DataFrame, pd.DataFrame]:
    """True parameters and true contract-to-firm links of the loaded demo (empty frames if none)."""
    with db.connect("reading the demo's true values") as con:
        demo = _active_demo(con)
        key = [-1 if demo is None else demo[0]]
        params = con.execute("SELECT parameter, value, description FROM demo_truth_parameters"
                             " WHERE change_set_id = ? ORDER BY parameter", key).df()
        links = con.execute("SELECT contract_id, firm_id FROM demo_truth_links WHERE change_set_id = ?"
                            " ORDER BY contract_id", key).df()
    return params, links


def ensure_demo(db: Database, actor: str) -> bool:
    """On a brand-new database (no change set ever), load the demo. True if it did."""
    with db.connect("checking for a new database") as con:
        if con.execute("SELECT count(*) FROM change_sets").fetchone()[0]:
            return False
    load_demo(db, actor)
    return True


def check_upload(db: Database, request: IngestRequest) -> IngestResult:
    """Dry run: the full validation against the current database, nothing written."""
    return ingest_file(db, request, dry_run=True)


def upload(db: Database, request: IngestRequest) -> IngestResult:
    """Validate and write all-or-nothing; one change set and one audit entry."""
    return ingest_file(db, request)


def save_table_edits(db: Database, table: str, shown_row_ids: list[int], edited: pd.DataFrame,
                     actor: str, dry_run: bool = False) -> EditResult:
    return save_edits(db, table, shown_row_ids, edited, actor, dry_run=dry_run)


def undo(db: Database, actor: str) -> Undone:
    with db.transaction("undoing the last change") as con:
        return undo_last(con, actor)


@dataclass(frozen=True)
class TableFilter:
    """Browse filters: a year range, a text search in every text column, equality on columns."""

    year_from: int | None = None
    year_to: int | None = None
    text: str = ""
    equals: tuple[tuple[str, str], ...] = ()
    limit: int = 5000


def _filter_sql(table: str, filters: TableFilter) -> tuple[str, list]:
    """The WHERE clause (bound parameters) of ``filters`` on ``table``."""
    spec = table_spec(table)
    where, params = ["TRUE"], []
    if "year" in spec.column_names:
        if filters.year_from is not None:
            where.append("year >= ?")
            params.append(filters.year_from)
        if filters.year_to is not None:
            where.append("year <= ?")
            params.append(filters.year_to)
    if filters.text.strip():
        text_columns = [c.name for c in spec.columns if c.type == "text"]
        where.append("(" + " OR ".join(f"{c} ILIKE ?" for c in text_columns) + ")")
        params += [f"%{filters.text.strip()}%"] * len(text_columns)
    for column, value in filters.equals:
        spec.column(column)  # raises KeyError for a column not in the spec
        where.append(f"CAST({column} AS VARCHAR) = ?")
        params.append(value)
    return " AND ".join(where), params


def table_rows(db: Database, table: str, filters: TableFilter = TableFilter()) -> pd.DataFrame:
    """Stored rows of ``table`` (spec columns, ``extra``, ``_row_id`` and provenance), filtered, at most ``limit``."""
    spec = table_spec(table)
    where, params = _filter_sql(table, filters)
    columns = ", ".join(spec.column_names)
    order = ", ".join(spec.order_by or spec.column_names[:1])
    sql = (f"SELECT {columns}, CAST(extra AS VARCHAR) AS extra, _row_id, _batch_id, _source_row "
           f"FROM {table} WHERE {where} ORDER BY {order} LIMIT ?")
    return db.query(sql, [*params, filters.limit], doing=f"reading {table}")


def count_rows(db: Database, table: str, filters: TableFilter = TableFilter()) -> int:
    """How many stored rows of ``table`` match ``filters`` (ignoring the limit)."""
    where, params = _filter_sql(table, filters)
    return int(db.query(f"SELECT count(*) FROM {table} WHERE {where}", params, doing=f"counting {table}").iloc[0, 0])


def table_frame(db: Database, table: str) -> pd.DataFrame:
    """All spec columns of ``table``, for analyses."""
    spec = table_spec(table)
    return db.query(f"SELECT {', '.join(spec.column_names)} FROM {table}", doing=f"reading {table}")


def audit_log(db: Database, limit: int = 1000) -> pd.DataFrame:
    return db.query("SELECT audit_id, logged_at, actor, action, table_name, change_set_id, summary,"
                    " CAST(details AS VARCHAR) AS details FROM audit_log ORDER BY audit_id DESC LIMIT ?",
                    [limit], doing="reading the audit log")


def change_sets(db: Database) -> pd.DataFrame:
    return db.query("SELECT change_set_id, kind, table_name, mode, file_name, file_sha256, encoding,"
                    " rows_inserted, rows_archived, actor, created_at, undone_by, undoes"
                    " FROM change_sets ORDER BY change_set_id DESC", doing="reading the change sets")


def data_version(db: Database) -> int:
    """Grows with every change: the key that invalidates cached reads."""
    return int(db.query("SELECT coalesce(max(audit_id), 0) AS v FROM audit_log").iloc[0, 0])


@dataclass(frozen=True)
class Overview:
    row_counts: pd.DataFrame         # table, rows
    coverage: pd.DataFrame           # year, firms, employment_missing_share, sales_missing_share
    contracts: pd.DataFrame          # year, group (heavy/light/unlinked), status, contracts
    heavy_share: pd.DataFrame        # year, heavy_sales, sales, heavy_share
    contracts_linked_share: float    # share of contracts whose sector is known
    contracts_linked_by: str         # "links" (final links of the linkage) or "name" (exact name key)


def overview(db: Database) -> Overview:
    status = database_status(db)
    bs = table_frame(db, "balance_sheets")
    contracts = table_frame(db, "contracts")
    sectors = table_frame(db, "sectors")
    sector_of_contract, linked_by = _contract_sectors(db, contracts, bs)
    counts = pd.DataFrame({"table": list(status.row_counts), "rows": list(status.row_counts.values())})
    return Overview(
        row_counts=counts,
        coverage=coverage_by_year(bs),
        contracts=contracts_by_year(contracts, sector_of_contract, sectors),
        heavy_share=heavy_sales_share(bs, sectors),
        contracts_linked_share=float(sector_of_contract.notna().mean()) if len(contracts) else 0.0,
        contracts_linked_by=linked_by,
    )


def _contract_sectors(db: Database, contracts: pd.DataFrame, bs: pd.DataFrame) -> tuple[pd.Series, str]:
    """Each contract's firm's sector: from the final links once a linkage run exists, else by exact name key."""
    from workbench import linkage  # linkage builds on these services

    if linkage.latest_run(db) is None:
        return contract_sectors_by_name(contracts, bs), "name"
    firm_of = linkage.link_state(db).final.set_index("contract_id")["firm_id"]
    sector_of_firm = bs.drop_duplicates("firm_id", keep="last").set_index("firm_id")["sector"]
    return contracts["contract_id"].map(firm_of).map(sector_of_firm).rename("sector"), "links"
