"""A database made by an older schema version opens in the current one, data intact."""

from __future__ import annotations

import duckdb
import pytest

from storage.database import Database, StorageError, migrate_to
from storage.migrations import LATEST_VERSION, MIGRATIONS
from storage.schema import INTERNAL_COLUMNS, SQL_TYPES, VERSIONED_TABLES


def test_version_1_database_is_migrated_with_its_data(tmp_path):
    path = tmp_path / "old.duckdb"
    migrate_to(path, 1)
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO sectors VALUES ('S01', '화학', true, 1, 1, 2, NULL)")
    con.execute("INSERT INTO change_sets (change_set_id, kind, rows_inserted, rows_archived, actor, created_at)"
                " VALUES (1, 'ingest', 1, 0, 'old', now())")
    assert con.execute("SELECT max(version) FROM schema_meta").fetchone()[0] == 1
    con.close()
    db = Database(path)
    assert db.schema_version() == LATEST_VERSION > 1
    assert db.query("SELECT sector, name FROM sectors").values.tolist() == [["S01", "화학"]]
    assert db.query("SELECT count(*) FROM estimates").iloc[0, 0] == 0  # a version-2 table exists
    applied = db.query("SELECT version FROM schema_meta ORDER BY version")["version"].tolist()
    assert applied == [m.version for m in MIGRATIONS]


def test_version_3_database_gets_the_model_input_tables(tmp_path):
    path = tmp_path / "v3.duckdb"
    migrate_to(path, 3)
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO regions VALUES ('R01', '서울', 37.57, 126.98, 28, 1, 1, 2, NULL)")
    assert not con.execute("SELECT * FROM duckdb_tables() WHERE table_name = 'roads'").fetchall()
    con.close()
    db = Database(path)
    assert db.schema_version() == LATEST_VERSION >= 4
    assert db.query("SELECT region FROM regions")["region"].tolist() == ["R01"]
    for table in ("model_sectors", "input_output", "sector_years", "region_sectors", "populations", "roads"):
        assert db.query(f"SELECT count(*) AS n FROM {table}").n.iloc[0] == 0, table
        assert db.query(f"SELECT count(*) AS n FROM {table}__archive").n.iloc[0] == 0, table


def test_migrated_tables_match_the_upload_spec(db):
    with db.connect() as con:
        for spec in VERSIONED_TABLES.values():
            described = con.execute(f"DESCRIBE {spec.name}").fetchall()
            got = [(name, kind) for name, kind, *_ in described]
            expected = [(c.name, SQL_TYPES[c.type]) for c in spec.columns]
            expected += [(name, sql.split()[0]) for name, sql in INTERNAL_COLUMNS]
            assert got == expected, spec.name
            archive = [name for name, *_ in con.execute(f"DESCRIBE {spec.name}__archive").fetchall()]
            assert archive == [n for n, _ in got] + ["_archived_by"]


def test_a_newer_database_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "future.duckdb"
    migrate_to(path, LATEST_VERSION)
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_meta VALUES (?, now(), 'from the future')", [LATEST_VERSION + 1])
    con.close()
    with pytest.raises(StorageError, match="newer than this workbench"):
        Database(path).schema_version()
