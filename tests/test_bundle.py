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
from workbench import bundle, direct_effects, exports, linkage, services, spillovers
from workbench.cli import main

ROOT = Path(__file__).resolve().parents[1]
COMPLEXES = pd.DataFrame({"region": ["R01", "R03", "R05"], "year": [1973, 1973, 1976], "tax_favor": [0.5, 0.2, 0.1]})


@pytest.fixture(scope="module")
def analysed(tmp_path_factory) -> Path:
    """A demo database with a linkage run, a direct-effects estimate on the final links (bootstrap on),
    Table 1 Panel A on the true links with an industrial-complex table, and (through the CLI) a robustness panel of β_2 and η pooled from two
    of its rows."""
    folder = tmp_path_factory.mktemp("bundle")
    path = folder / "w.duckdb"
    db = services.open_database(path)
    services.ensure_demo(db, "tester")
    linkage.run_linkage(db, "tester")
    direct_effects.estimate_direct_effects(db, DirectEffectsSpec(bootstrap_reps=99), "tester", links="final")
    spillovers.estimate_spillovers(db, SpilloversSpec(), "tester", links="truth", panels=("A",),
                                   complexes=COMPLEXES, complexes_name="complexes.xlsx")
    (folder / "robustness.json").write_text(json.dumps({"eta_tau": 2}))
    assert main(["--db", str(path), "direct-effects", "--robustness", "--settings-json", str(folder / "robustness.json"),
                 "--links", "final", "--json"]) == 0
    assert main(["--db", str(path), "direct-effects", "--pool", "3", "--rows", "k = 1; k = 2"]) == 0
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
    assert [r["replayed"] for r in manifest["results"]] == [True, True, True, True]
    assert manifest["steps"][0] == ["demo", "--seed", "20260101"]
    assert manifest["steps"][-2][:2] == ["direct-effects", "--robustness"]
    assert manifest["steps"][-1] == ["direct-effects", "--pool", "3", "--rows", "k = 1;k = 2"]
    assert "robustness_estimate_id" not in manifest["results"][3]["numbers"]
    table1_step = manifest["steps"][manifest["results"][1]["step"]]
    assert table1_step[-2:] == ["--complexes", "settings/complexes-2.parquet"]
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "settings/complexes-2.parquet"), COMPLEXES)
    assert manifest["results"][1]["numbers"]["panels/A/iv_complex/beta"] is not None
    assert manifest["results"][3]["numbers"]["eta"] == pytest.approx(
        direct_effects.latest_direct_gain(services.open_database(analysed)).eta)
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
    table = exports.table_layout(services.open_database(analysed), "table1")
    column, row = table.columns[0], next(r for r in table.row_labels() if not r.startswith("Panel"))
    assert main([*db, "export", "--what", "table1", "--format", "md", "--out", str(tmp_path / "t1r.md"),
                 "--label", f"{column}=Baseline", "--label", f"{row}=Change in adopter share"]) == 0
    renamed = (tmp_path / "t1r.md").read_text()
    assert "| Change in adopter share |" in renamed and "Baseline" in renamed and column not in renamed
    capsys.readouterr()
    assert main([*db, "export", "--what", "table1", "--format", "md", "--out", str(tmp_path / "x.md"),
                 "--label", "Nope=New"]) == 1
    assert "'Nope' is neither a column header nor a row label of table1" in capsys.readouterr().err
    assert main([*db, "export", "--what", "table1", "--format", "md", "--out", str(tmp_path / "x.md"),
                 "--label", "no equals sign"]) == 1
    assert "write OLD=NEW" in capsys.readouterr().err and not (tmp_path / "x.md").exists()
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
    assert "no calibration of the quantitative model is stored" in capsys.readouterr().err
    assert not (tmp_path / "c.tex").exists()


def test_export_figures_cli(analysed, tmp_path, capsys):
    db = ["--db", str(analysed)]
    assert main([*db, "export", "--what", "figure1", "--format", "png", "--out", str(tmp_path / "f1.png")]) == 0
    assert (tmp_path / "f1.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = pd.read_csv(tmp_path / "f1-data.csv", encoding="utf-8-sig")
    assert set(data["group"]) <= {"heavy", "light", "unlinked"}
    assert data["contracts"].sum() == len(services.table_frame(services.open_database(analysed), "contracts"))
    assert main([*db, "export", "--what", "figure3", "--format", "svg", "--delta", "2.5",
                 "--out", str(tmp_path / "f3.svg")]) == 0
    svg = (tmp_path / "f3.svg").read_text()
    assert svg.startswith("<svg") and "δ = 2.5" in svg and "D. Market size shifts the map" in svg
    for panel in "ABCD":
        assert (tmp_path / f"f3-data-{panel}.csv").stat().st_size > 0
    assert set(pd.read_csv(tmp_path / "f3-data-C.csv", encoding="utf-8-sig")["path"]) == {
        "no subsidy", "25% of fixed adoption costs in period 1"}
    capsys.readouterr()
    assert main([*db, "export", "--what", "figure3", "--format", "latex", "--out", str(tmp_path / "x.tex")]) == 1
    assert "figure3 is a figure" in capsys.readouterr().err


def test_a_spillover_estimate_keeps_its_industrial_complex_table(analysed):
    stored = spillovers.stored_spillovers(services.open_database(analysed)).iloc[0]
    pd.testing.assert_frame_equal(spillovers.stored_complexes(stored["provenance"]), COMPLEXES)
    assert stored["provenance"]["complexes"]["file_name"] == "complexes.xlsx"
    assert stored["result"]["panels"]["A"]["iv_complex"]["available"]
    older = {"complexes": {"file_name": "c.csv", "rows": 3}}      # stored before the table was kept
    with pytest.raises(ValueError, match="c.csv was used but not kept"):
        spillovers.stored_complexes(older)
    assert spillovers.stored_complexes({}) is None


def test_export_table1_samples_cli(analysed, tmp_path, capsys):
    db = ["--db", str(analysed)]
    assert main([*db, "export", "--what", "samples", "--sample", "table1-a", "--format", "dta",
                 "--out", str(tmp_path / "a.dta")]) == 0
    reader = pd.io.stata.StataReader(tmp_path / "a.dta")
    sample = reader.read()
    assert reader.variable_labels()["dshare"].startswith("change of the leave-one-out adopter share")
    assert {"firm_id", "diff_set", "dy", "dshare", "dz", "used"} <= set(sample.columns) and sample["used"].any()
    assert main([*db, "export", "--what", "samples", "--sample", "table1-a", "--format", "parquet",
                 "--out", str(tmp_path / "a.parquet")]) == 0
    assert len(pd.read_parquet(tmp_path / "a.parquet")) == len(sample)
    capsys.readouterr()
    assert main([*db, "export", "--what", "samples", "--sample", "table1-b", "--format", "csv",
                 "--out", str(tmp_path / "b.csv")]) == 1
    assert "has no Panel B" in capsys.readouterr().err and not (tmp_path / "b.csv").exists()


def test_direct_effects_panel_cli_refuses(analysed, capsys):
    db = ["--db", str(analysed)]
    assert main([*db, "direct-effects", "--pool", "3"]) == 2
    assert "--pool needs --rows" in capsys.readouterr().err
    assert main([*db, "direct-effects", "--pool", "3", "--rows", "k = 9"]) == 1
    assert "not usable: k = 9" in capsys.readouterr().err
    assert main([*db, "direct-effects", "--pool", "99", "--rows", "k = 1"]) == 1
    assert "no stored robustness panel 99" in capsys.readouterr().err
    assert main([*db, "direct-effects", "--robustness", "--pool", "3", "--rows", "k = 1"]) == 2
    assert len(direct_effects.stored_estimates(services.open_database(analysed),
                                               direct_effects.POOLED_KIND)) == 1
