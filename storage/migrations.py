"""Versioned schema: an ordered list of migrations, each frozen once released.

A database records its version in ``schema_meta``; opening it applies every
later migration in one transaction, so a file made by an older version of the
workbench opens in a newer one. Never edit a released migration: append a new
one. ``tests/test_migrations.py`` checks that the migrated schema matches
:mod:`storage.schema`.
"""

from __future__ import annotations

from dataclasses import dataclass

INTERNAL = "_row_id BIGINT NOT NULL, _batch_id BIGINT NOT NULL, _source_row BIGINT, extra JSON"

_UPLOAD_COLUMNS_V1 = {
    "regions": "region VARCHAR, name VARCHAR, lat DOUBLE, lon DOUBLE, port_distance_km DOUBLE",
    "sectors": "sector VARCHAR, name VARCHAR, heavy BOOLEAN",
    "deflators": "year BIGINT, factor DOUBLE",
    "balance_sheets": (
        "firm_id VARCHAR, firm_name VARCHAR, year BIGINT, sector VARCHAR, region VARCHAR, "
        "business_group VARCHAR, sales DOUBLE, assets DOUBLE, fixed_assets DOUBLE, "
        "exports DOUBLE, employment DOUBLE, wage_bill DOUBLE, materials DOUBLE"
    ),
    "contracts": (
        "contract_id VARCHAR, firm_name VARCHAR, foreign_firm VARCHAR, foreign_country VARCHAR, "
        "year BIGINT, contract_type VARCHAR, status VARCHAR, canceled_by VARCHAR, "
        "cancel_year BIGINT, cancel_reason VARCHAR, source_ref VARCHAR"
    ),
    "credit": "firm_id VARCHAR, year BIGINT, amount DOUBLE",
    "trade_fairs": "firm_id VARCHAR, year BIGINT, participations BIGINT, revenue DOUBLE",
}


def _v1_statements() -> tuple[str, ...]:
    statements = [
        "CREATE TABLE schema_meta (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL,"
        " description VARCHAR NOT NULL)",
        "CREATE SEQUENCE row_id_seq START 1",
        "CREATE SEQUENCE change_set_seq START 1",
        "CREATE SEQUENCE audit_seq START 1",
        # A change set is one all-or-nothing change: an ingest, a saved hand
        # edit, loading the demo, or an undo. Rows are never deleted: a change
        # set inserts new row versions (tagged with its id) and moves the
        # versions it replaces into <table>__archive (tagged _archived_by).
        "CREATE TABLE change_sets (change_set_id BIGINT PRIMARY KEY, kind VARCHAR NOT NULL,"
        " table_name VARCHAR, mode VARCHAR, file_name VARCHAR, file_sha256 VARCHAR,"
        " file_bytes BLOB, encoding VARCHAR, rows_inserted BIGINT NOT NULL,"
        " rows_archived BIGINT NOT NULL, options JSON, actor VARCHAR NOT NULL,"
        " created_at TIMESTAMP NOT NULL, undone_by BIGINT, undoes BIGINT)",
        "CREATE TABLE audit_log (audit_id BIGINT PRIMARY KEY, logged_at TIMESTAMP NOT NULL,"
        " actor VARCHAR NOT NULL, action VARCHAR NOT NULL, table_name VARCHAR,"
        " change_set_id BIGINT, summary VARCHAR NOT NULL, details JSON)",
    ]
    for table, columns in _UPLOAD_COLUMNS_V1.items():
        statements.append(f"CREATE TABLE {table} ({columns}, {INTERNAL})")
        statements.append(
            f"CREATE TABLE {table}__archive ({columns}, {INTERNAL}, _archived_by BIGINT NOT NULL)"
        )
    return tuple(statements)


_V2_STATEMENTS = (
    # Ground truth of the synthetic demo economy, so later analyses can be
    # scored against it: one set per demo load (change set), so an undo of a
    # reload leaves the truth of the data actually loaded. Empty for real data.
    "CREATE TABLE demo_truth_parameters (change_set_id BIGINT NOT NULL, parameter VARCHAR NOT NULL,"
    " value DOUBLE, description VARCHAR, PRIMARY KEY (change_set_id, parameter))",
    "CREATE TABLE demo_truth_links (change_set_id BIGINT NOT NULL, contract_id VARCHAR NOT NULL,"
    " firm_id VARCHAR, PRIMARY KEY (change_set_id, contract_id))",
    # Tables the analysis issues fill. Settings and results are JSON so that
    # each analysis can evolve its own fields; provenance names the change
    # sets (hence file hashes) the result was computed from.
    "CREATE TABLE contract_links (contract_id VARCHAR NOT NULL, firm_id VARCHAR,"
    " outcome VARCHAR NOT NULL, score DOUBLE, decided_by VARCHAR, decided_at TIMESTAMP,"
    " run_id BIGINT, _row_id BIGINT NOT NULL, _batch_id BIGINT NOT NULL)",
    "CREATE TABLE matches (run_id BIGINT NOT NULL, match_id BIGINT NOT NULL,"
    " firm_id VARCHAR NOT NULL, role VARCHAR NOT NULL, event_year BIGINT)",
    "CREATE SEQUENCE result_seq START 1",
    "CREATE TABLE estimates (estimate_id BIGINT PRIMARY KEY, kind VARCHAR NOT NULL,"
    " settings JSON, result JSON, provenance JSON, created_at TIMESTAMP NOT NULL)",
    "CREATE TABLE model_runs (run_id BIGINT PRIMARY KEY, model VARCHAR NOT NULL,"
    " parameters JSON, result JSON, provenance JSON, created_at TIMESTAMP NOT NULL)",
)


_LINK_DECISION_COLUMNS = ("contract_id VARCHAR, decision VARCHAR, firm_id VARCHAR, reviewer VARCHAR,"
                          " note VARCHAR")

_V3_STATEMENTS = (
    # The linkage issue replaces the placeholder contract_links of version 2:
    # machine results are kept per run; human decisions are a versioned table.
    "DROP TABLE contract_links",
    f"CREATE TABLE link_decisions ({_LINK_DECISION_COLUMNS}, {INTERNAL})",
    f"CREATE TABLE link_decisions__archive ({_LINK_DECISION_COLUMNS}, {INTERNAL},"
    " _archived_by BIGINT NOT NULL)",
    "CREATE TABLE linkage_runs (run_id BIGINT PRIMARY KEY, created_at TIMESTAMP NOT NULL,"
    " actor VARCHAR NOT NULL, settings JSON NOT NULL, data_version BIGINT NOT NULL,"
    " contracts BIGINT NOT NULL, candidates BIGINT NOT NULL, blocked_pairs BIGINT,"
    " parameters JSON, notes JSON, seconds DOUBLE)",
    "CREATE TABLE link_candidates (run_id BIGINT NOT NULL, contract_id VARCHAR NOT NULL,"
    " firm_id VARCHAR NOT NULL, rank INTEGER NOT NULL, match_probability DOUBLE NOT NULL,"
    " match_weight DOUBLE, likelihood_weight DOUBLE, twin_of_top BOOLEAN,"
    " matched_name_variant VARCHAR, drivers VARCHAR)",
    "CREATE TABLE link_issues (run_id BIGINT NOT NULL, contract_id VARCHAR NOT NULL,"
    " problem VARCHAR NOT NULL)",
    # The standardized names a run compared, beside the raw names.
    "CREATE TABLE standardized_names (run_id BIGINT NOT NULL, source VARCHAR NOT NULL,"
    " raw_name VARCHAR, standardized VARCHAR, core VARCHAR, romanized VARCHAR)",
)


_MODEL_INPUT_COLUMNS_V4 = {
    "model_sectors": "sector VARCHAR, name VARCHAR, kind VARCHAR",
    "input_output": "user VARCHAR, input VARCHAR, share DOUBLE",
    "sector_years": (
        "sector VARCHAR, year BIGINT, gross_output DOUBLE, value_added DOUBLE, exports DOUBLE, "
        "imports DOUBLE, ppi DOUBLE, tariff DOUBLE"
    ),
    "region_sectors": "region VARCHAR, sector VARCHAR, year BIGINT, value_added DOUBLE, gross_output DOUBLE",
    "populations": "region VARCHAR, year BIGINT, population DOUBLE",
    "roads": "from_node VARCHAR, to_node VARCHAR, km DOUBLE, highway BOOLEAN, name VARCHAR",
}

# The quantitative model's inputs (docs/model-inputs-format.md): six more versioned upload tables.
_V4_STATEMENTS = tuple(
    statement
    for table, columns in _MODEL_INPUT_COLUMNS_V4.items()
    for statement in (
        f"CREATE TABLE {table} ({columns}, {INTERNAL})",
        f"CREATE TABLE {table}__archive ({columns}, {INTERNAL}, _archived_by BIGINT NOT NULL)",
    )
)


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "upload tables with archives, change sets, audit log", _v1_statements()),
    Migration(2, "demo ground truth; links, matches, estimates, model runs", _V2_STATEMENTS),
    Migration(3, "linkage runs, candidates, issues, standardized names; versioned link decisions",
              _V3_STATEMENTS),
    Migration(4, "quantitative-model inputs: model sectors, input-output shares, sector accounts, "
                 "regional activity, populations, roads", _V4_STATEMENTS),
)

LATEST_VERSION = MIGRATIONS[-1].version
