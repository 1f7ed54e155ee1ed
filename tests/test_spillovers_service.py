"""Spillover service and CLI on the demo economy: stored estimate with provenance, δ for the models,
--json, downloadable samples, bad input."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from estimation.spillovers import SpilloversSpec
from workbench import spillovers
from workbench.services import load_demo, open_database

ROOT = Path(__file__).resolve().parents[1]


def run(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench", "--db", str(db), "--user", "cli-test", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("spillovers") / "demo.duckdb"
    load_demo(open_database(path), "tester")
    return path


@pytest.fixture
def demo_db(template, tmp_path) -> Path:
    path = tmp_path / "demo.duckdb"
    shutil.copy(template, path)
    return path


def test_cli_json_prints_every_column_and_stores_delta_with_provenance(demo_db):
    done = run(demo_db, "spillovers", "--links", "truth", "--panel", "A", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    columns = out["columns"]["A"]
    assert set(columns) == {"ols", "iv", "iv_group_share", "iv_market_access", "iv_credit", "iv_complex", "iv_trade",
                            "iv_all"}
    assert columns["iv_complex"]["available"] is False and "industrial-complex" in columns["iv_complex"]["note"]
    for key in ("iv", "iv_group_share"):
        assert columns[key]["kp_f"] > 0 and columns[key]["N"] > 500 and columns[key]["se"] > 0
    assert out["delta"] == pytest.approx(columns["iv_group_share"]["beta"] / 4)
    db = open_database(demo_db)
    stored = spillovers.latest_spillover(db)
    assert stored.delta == pytest.approx(out["delta"]) and stored.synthetic_demo and not stored.stale
    assert stored.links == "truth" and any("demo" in s for s in stored.sources)
    provenance = spillovers.stored_spillovers(db).iloc[0]["provenance"]
    tables = {t for c in provenance["change_sets"] for t in c["tables"]}
    assert {"balance_sheets", "contracts", "regions"} <= tables
    assert SpilloversSpec(**{k: tuple(map(tuple, v)) if k == "differences" else v
                             for k, v in spillovers.stored_spillovers(db).iloc[0]["settings"].items()}) == SpilloversSpec()


def test_cli_text_table_and_complex_file(demo_db, tmp_path):
    complexes = tmp_path / "complexes.csv"
    complexes.write_text("region,year,tax_favor\nR01,1973,0.5\nR03,1973,0.2\n", encoding="utf-8")
    done = run(demo_db, "spillovers", "--links", "truth", "--panel", "A", "--complexes", str(complexes))
    assert done.returncode == 0, done.stderr
    assert "Panel A. Local spillover" in done.stdout and "δ = β/(σ−1)" in done.stdout
    assert "unavailable" not in done.stdout and "SYNTHETIC DEMO" in done.stdout


def test_cli_refuses_bad_settings_and_missing_linkage_plainly(demo_db):
    done = run(demo_db, "spillovers")
    assert done.returncode == 1 and "link" in done.stderr and "Traceback" not in done.stderr
    done = run(demo_db, "spillovers", "--links", "truth", "--radius", "-3")
    assert done.returncode == 1 and "radius" in done.stderr


def test_estimation_samples_download_as_csv_dta_and_parquet(demo_db):
    db = open_database(demo_db)
    _, result = spillovers.estimate_spillovers(db, SpilloversSpec(), "tester", links="truth", panels=("A",))
    sample = spillovers.estimation_sample(result, "A")
    assert sample["used"].sum() == result.column("A", "iv_group_share").fit.nobs
    csv = pd.read_csv(io.BytesIO(spillovers.sample_bytes(sample, "csv")), encoding="utf-8-sig")
    parquet = pd.read_parquet(io.BytesIO(spillovers.sample_bytes(sample, "parquet")))
    dta = pd.read_stata(io.BytesIO(spillovers.sample_bytes(sample, "dta")))
    for frame in (csv, parquet, dta):
        assert len(frame) == len(sample) and {"dy", "dshare", "dz", "cl_region", "cl_group"} <= set(frame.columns)
    assert dta["dshare"].to_numpy() == pytest.approx(sample["dshare"].to_numpy(), nan_ok=True)
