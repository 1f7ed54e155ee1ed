"""The replication bundle: built from the demo economy, its rebuild.py run in a clean folder must
reproduce every stored number through the CLI; and the export CLI on the same database."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from estimation.direct_effects import DirectEffectsSpec
from estimation.spillovers import SpilloversSpec
from workbench import bundle, direct_effects, linkage, services, spillovers
from workbench.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def analysed(tmp_path_factory) -> Path:
    """A demo database with a linkage run, a direct-effects estimate on the final links (bootstrap on)
    and Table 1 Panel A on the true links."""
    path = tmp_path_factory.mktemp("bundle") / "w.duckdb"
    db = services.open_database(path)
    services.ensure_demo(db, "tester")
    linkage.run_linkage(db, "tester")
    direct_effects.estimate_direct_effects(db, DirectEffectsSpec(bootstrap_reps=99), "tester", links="final")
    spillovers.estimate_spillovers(db, SpilloversSpec(), "tester", links="truth", panels=("A",))
    return path


def test_numbers_flattens_results():
    assert bundle.numbers({"a": 1, "b": [{"c": 2.5, "d": True, "e": "x"}], "f": None}) == {"a": 1.0, "b/0/c": 2.5}


def test_provenance_records_the_code_version(analysed):
    provenance = direct_effects.stored_estimates(services.open_database(analysed)).iloc[0]["provenance"]
    assert set(provenance["code_version"]) == {"git_commit", "git_dirty", "package_version"}
    assert provenance["code_version"]["git_commit"] or provenance["code_version"]["package_version"]


def test_bundle_rebuilds_every_number(analysed, tmp_path):
    out = tmp_path / "bundle.zip"
    assert main(["--db", str(analysed), "bundle", str(out)]) == 0
    folder = tmp_path / "clean"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(folder)
        names = set(archive.namelist())
    assert {"manifest.json", "rebuild.py", "tables/event-study-1.tex", "tables/table1-2.md",
            "figures/event-study-1.png", "figures/event-study-1-data.csv", "settings/linkage.json"} <= names
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [r["replayed"] for r in manifest["results"]] == [True, True]
    assert manifest["steps"][0] == ["demo", "--seed", "20260101"]
    assert manifest["results"][0]["numbers"]["bootstrap_p"] == pytest.approx(
        direct_effects.stored_estimates(services.open_database(analysed)).iloc[0]["result"]["bootstrap_p"])
    done = subprocess.run([sys.executable, "rebuild.py", "--workbench", str(ROOT)], cwd=folder,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all match" in done.stdout

    # the check can fail: a number changed in the manifest is caught (re-using the rebuilt database)
    manifest["results"][0]["numbers"]["N"] += 1
    (folder / "manifest.json").write_text(json.dumps(manifest))
    check = subprocess.run([sys.executable, "rebuild.py", "--workbench", str(ROOT), "--check-only"], cwd=folder,
                           capture_output=True, text=True, timeout=300, check=False)
    assert check.returncode == 1 and "MISMATCH estimate 1 (direct_effects): N = " in check.stdout, check.stdout


def test_export_cli(analysed, tmp_path, capsys):
    db = ["--db", str(analysed)]
    assert main([*db, "export", "--what", "event-study", "--format", "latex", "--out", str(tmp_path / "es.tex")]) == 0
    assert "\\toprule" in (tmp_path / "es.tex").read_text()
    assert main([*db, "export", "--what", "table1", "--format", "md", "--out", str(tmp_path / "t1.md")]) == 0
    assert "Panel A. Local spillover" in (tmp_path / "t1.md").read_text()
    assert main([*db, "export", "--what", "event-study", "--format", "svg", "--out", str(tmp_path / "es.svg")]) == 0
    assert (tmp_path / "es.svg").read_text().startswith("<svg") and (tmp_path / "es-data.csv").exists()
    assert main([*db, "export", "--what", "samples", "--format", "dta", "--out", str(tmp_path / "s.dta")]) == 0
    reader = pd.io.stata.StataReader(tmp_path / "s.dta")
    sample = reader.read()
    stored = direct_effects.stored_estimates(services.open_database(analysed)).iloc[0]
    assert len(sample) == stored["N"] and reader.variable_labels()["winner"] == "1 = winner"
    assert main([*db, "export", "--what", "samples", "--sample", "panel", "--format", "parquet",
                 "--out", str(tmp_path / "p.parquet")]) == 0
    assert {"firm_id", "year", "sales", "first_adoption_year"} <= set(pd.read_parquet(tmp_path / "p.parquet").columns)
    capsys.readouterr()
    assert main([*db, "export", "--what", "calibration", "--format", "latex", "--out", str(tmp_path / "c.tex")]) == 1
    assert "no calibration is stored yet" in capsys.readouterr().err and not (tmp_path / "c.tex").exists()
