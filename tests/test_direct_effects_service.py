"""Direct-effects services and CLI on the demo economy: stored estimate, provenance, --json, bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from estimation.direct_effects import DirectEffectsSpec
from storage.ingest import IngestRequest, ingest_file
from workbench import direct_effects, linkage
from workbench.cli import _format_direct_effects
from workbench.services import audit_log, load_demo, open_database, table_frame, undo

ROOT = Path(__file__).resolve().parents[1]


def run(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench", "--db", str(db), "--user", "cli-test", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, Path]:
    """A demo database (change set 1) and a copy with one linkage run, built once."""
    folder = tmp_path_factory.mktemp("direct_effects")
    demo = folder / "demo.duckdb"
    assert load_demo(open_database(demo), "tester") == 1
    linked = folder / "linked.duckdb"
    shutil.copy(demo, linked)
    linkage.run_linkage(open_database(linked), "tester")
    return {"demo": demo, "linked": linked}


def copy_of(templates, which: str, tmp_path) -> Path:
    path = tmp_path / f"{which}.duckdb"
    shutil.copy(templates[which], path)
    return path


def test_cli_prints_the_table_and_stores_an_estimate_with_provenance(templates, tmp_path):
    path = copy_of(templates, "demo", tmp_path)
    done = run(path, "direct-effects", "--links", "truth")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "matches 7" in out and "SYNTHETIC DEMO" in out
    assert "95% CI" in out and "(reference)" in out and "pre-trend: joint test" in out
    assert "η not available" in out and "β_7 is not identified" in out  # the standard demo ends too early
    db = open_database(path)
    stored = direct_effects.stored_estimates(db)
    assert len(stored) == 1 and stored.iloc[0]["kind"] == "direct_effects"
    provenance = stored.iloc[0]["provenance"]
    demo_sets = [c for c in provenance["change_sets"] if c["kind"] == "demo"]
    assert [c["change_set_id"] for c in demo_sets] == [1]
    assert set(demo_sets[0]["tables"]) == {"balance_sheets", "contracts"}
    assert provenance["links"]["source"] == "truth" and provenance["synthetic_demo"] is True
    assert set(provenance["packages"]) == {"pyfixest", "pandas", "numpy", "wildboottest"}
    assert stored.iloc[0]["settings"]["k"] == 3 and DirectEffectsSpec(**{
        k: tuple(v) if isinstance(v, list) else v for k, v in stored.iloc[0]["settings"].items()}) == DirectEffectsSpec()
    entry = audit_log(db, limit=1).iloc[0]
    assert entry["action"] == "estimate" and entry["actor"] == "cli-test"
    gain = direct_effects.latest_direct_gain(db)
    assert gain.eta is None and gain.note.startswith("β_7 is not identified") and not gain.stale and gain.synthetic_demo
    assert "change set 1: demo" in gain.describe()


def test_json_with_final_links_matches_the_stored_row(templates, tmp_path):
    path = copy_of(templates, "linked", tmp_path)
    done = run(path, "direct-effects", "--links", "final", "--k", "2", "--sigma", "4", "--json")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    row = direct_effects.stored_estimates(open_database(path)).set_index("estimate_id").loc[printed["estimate_id"]]
    assert {k: v for k, v in printed.items() if k not in ("estimate_id", "provenance")} == row["result"]
    assert printed["provenance"] == row["provenance"]
    assert row["settings"]["k"] == 2 and row["result"]["sigma"] == 4.0
    links = row["provenance"]["links"]
    assert links["source"] == "final" and links["run_id"] == 1 and links["reviewer_decisions"] == 0
    assert printed["matches"] >= 2 and printed["N"] > 0
    assert {r["event_time"] for r in printed["coefficients"]} >= {-1, 0, 1}
    assert all({"firm_id", "event_year", "reason"} <= set(r) for r in printed["unmatched_losers"])


def test_service_sample_gain_and_audit(templates, tmp_path):
    db = open_database(copy_of(templates, "demo", tmp_path))
    spec = DirectEffectsSpec(bootstrap_reps=0, eta_tau=2)  # β_7 is not identified on the standard demo
    estimate_id, result = direct_effects.estimate_direct_effects(db, spec, "tester", links="truth")
    sample = direct_effects.estimation_sample(result)
    assert len(sample) == result.fit.nobs
    assert list(sample.columns[:8]) == ["match_id", "firm_id", "year", "event_year", "event_time", "role",
                                        "winner", "log_sales"]
    assert "tau_p1" in sample and "tau_m1" not in sample
    assert ((sample["event_time"] == 1) & (sample["winner"] == 1)).astype(int).equals(sample["tau_p1"])
    stored = direct_effects.stored_estimates(db)
    assert stored["estimate_id"].tolist() == [estimate_id]
    assert stored.iloc[0]["result"]["bootstrap"]["applies"] is False
    assert audit_log(db, limit=1).iloc[0]["action"] == "estimate"
    gain = direct_effects.latest_direct_gain(db)
    beta_2 = result.fit.coefficient(2)["estimate"]
    assert gain.eta == pytest.approx(np.exp(beta_2 / 4)) and gain.beta == pytest.approx(beta_2)
    assert gain.estimate_id == estimate_id and not gain.stale and "β_2 of log_sales" in gain.describe()
    assert "η = exp(β_2/(σ−1))" in _format_direct_effects(estimate_id, stored.iloc[0]["result"],
                                                          stored.iloc[0]["provenance"])
    undo(db, "tester")  # the demo is withdrawn: the stored η is now stale
    assert direct_effects.latest_direct_gain(db).stale


def assert_rejected(done, message):
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert message in done.stderr and "Traceback" not in done.stderr


def test_no_linkage_run_and_bad_setting_exit_1(templates, tmp_path):
    path = copy_of(templates, "demo", tmp_path)
    assert_rejected(run(path, "direct-effects"), "run `python -m workbench link` first")
    assert_rejected(run(path, "direct-effects", "--links", "truth", "--k", "0"), "k must be an integer")
    assert direct_effects.stored_estimates(open_database(path)).empty


def test_database_without_losers_exits_1(templates, tmp_path):
    path = copy_of(templates, "demo", tmp_path)
    db = open_database(path)
    contracts = table_frame(db, "contracts").assign(status="completed", canceled_by=None, cancel_year=None,
                                                    cancel_reason=None)
    request = IngestRequest(table="contracts", file_name="completed_only.csv", mode="replace", actor="tester",
                            data=contracts.to_csv(index=False).encode("utf-8"))
    assert ingest_file(db, request).written
    assert_rejected(run(path, "direct-effects", "--links", "truth"), "No losers")
    assert direct_effects.stored_estimates(db).empty
