"""The command line: every subcommand, exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BALANCE_CSV, REGIONS_CSV, SECTORS_CSV

ROOT = Path(__file__).resolve().parents[1]


def run(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench", "--db", str(db), "--user", "cli-test", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    paths = {}
    for name, text in (("regions", REGIONS_CSV), ("sectors", SECTORS_CSV), ("balance_sheets", BALANCE_CSV)):
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_text(text, encoding="utf-8")
    paths["bad"] = tmp_path / "bad.csv"
    paths["bad"].write_text(BALANCE_CSV.replace("1000,800", "-1000,800").replace("R02", "R77"), encoding="utf-8")
    return paths


def status(db: Path) -> dict:
    done = run(db, "status", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_init_ingest_status_undo_audit(tmp_path, files):
    db = tmp_path / "cli.duckdb"
    assert run(db, "init").returncode == 0
    assert status(db)["schema_version"] >= 1 and sum(status(db)["row_counts"].values()) == 0
    for table in ("regions", "sectors", "balance_sheets"):
        done = run(db, "ingest", "--table", table, str(files[table]))
        assert done.returncode == 0 and "loaded" in done.stdout, done.stderr
    assert status(db)["row_counts"]["balance_sheets"] == 3
    done = run(db, "undo")
    assert done.returncode == 0 and "undid change set 3" in done.stdout
    assert status(db)["row_counts"]["balance_sheets"] == 0
    audit = json.loads(run(db, "audit", "--json").stdout)
    assert [entry["action"] for entry in audit] == ["undo", "ingest", "ingest", "ingest"]
    assert all(entry["actor"] == "cli-test" for entry in audit)


def test_rejected_file_prints_every_problem_and_exits_1(tmp_path, files):
    db = tmp_path / "cli.duckdb"
    for table in ("regions", "sectors"):
        run(db, "ingest", "--table", table, str(files[table]))
    done = run(db, "ingest", "--table", "balance_sheets", str(files["bad"]))
    assert done.returncode == 1
    assert "bad.csv, row 2, column 'sales'" in done.stderr and "[range]" in done.stderr
    assert "bad.csv, row 4, column 'region'" in done.stderr and "[reference]" in done.stderr
    assert "nothing was written" in done.stderr
    assert status(db)["row_counts"]["balance_sheets"] == 0


@pytest.mark.parametrize("args, code, message", [
    (("ingest", "--table", "firms", "x.csv"), 2, "no such file"),
    (("ingest", "--table", "contracts", "missing.csv"), 2, "no such file"),
    (("undo",), 3, "nothing to undo"),
    (("frobnicate",), 2, "invalid choice"),
])
def test_errors_are_one_clear_line_and_non_zero(tmp_path, args, code, message):
    done = run(tmp_path / "cli.duckdb", *args)
    assert done.returncode == code and message in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_table_is_named(tmp_path, files):
    done = run(tmp_path / "cli.duckdb", "ingest", "--table", "firms", str(files["regions"]))
    assert done.returncode == 2 and "unknown table 'firms'" in done.stderr


def test_demo_loads_once_and_is_labelled_synthetic(tmp_path):
    db = tmp_path / "demo.duckdb"
    assert run(db, "demo").returncode == 0
    state = status(db)
    assert state["synthetic_demo"] is True and state["row_counts"]["balance_sheets"] > 1000
    again = run(db, "demo")
    assert again.returncode == 3 and "--replace" in again.stderr
    assert run(db, "demo", "--replace", "--seed", "7").returncode == 0
    assert run(db, "undo").returncode == 0  # the seed-7 load is undone, the first demo restored
    assert status(db)["row_counts"] == state["row_counts"]


def test_db_path_from_environment(tmp_path, monkeypatch):
    target = tmp_path / "from-env.duckdb"
    done = subprocess.run([sys.executable, "-m", "workbench", "init"], cwd=ROOT, capture_output=True,
                          text=True, env={**__import__("os").environ, "WORKBENCH_DB": str(target)})
    assert done.returncode == 0 and target.exists()


def test_demo_truth_follows_the_loaded_demo_through_undo(tmp_path):
    from workbench.services import demo_truth, open_database

    db_path = tmp_path / "demo.duckdb"
    assert run(db_path, "demo").returncode == 0
    db = open_database(db_path)
    params, links = demo_truth(db)
    stored = db.query("SELECT contract_id FROM contracts ORDER BY contract_id")["contract_id"].tolist()
    assert links["contract_id"].tolist() == stored and len(params) > 0
    assert run(db_path, "demo", "--replace", "--seed", "7").returncode == 0
    assert run(db_path, "undo").returncode == 0
    params_after, links_after = demo_truth(db)
    assert links_after.equals(links) and params_after.equals(params)
