"""Linkage services on the demo economy: runs, reviewer decisions, precedence, conflicts, undo, CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from storage.changes import undo_last
from workbench import linkage
from workbench.services import load_demo, open_database

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def linked_template(tmp_path_factory) -> Path:
    """A demo database with one linkage run, built once and copied per test."""
    path = tmp_path_factory.mktemp("linkage") / "template.duckdb"
    db = open_database(path)
    load_demo(db, "tester")
    linkage.run_linkage(db, "tester")
    return path


@pytest.fixture
def db(linked_template, tmp_path):
    path = tmp_path / "linked.duckdb"
    shutil.copy(linked_template, path)
    return open_database(path)


def decide(db, *rows, actor="kim"):
    frame = pd.DataFrame(rows, columns=["contract_id", "decision", "firm_id", "note"])
    result = linkage.record_decisions(db, frame, actor)
    assert result.written, result.report.to_text()
    return result


def test_demo_quality_targets_hold_through_the_services(db):
    state = linkage.link_state(db)
    quality = linkage.quality_against_truth(db, state)
    assert quality["auto"]["precision"] >= 0.99
    assert quality["after_perfect_review"]["recall"] >= 0.98
    assert quality["review_queue_share"] <= 0.15  # the targets: precision ≥ 0.99, recall ≥ 0.98, queue ≤ 15 %
    summary = linkage.summarize(state)
    assert summary.contracts == len(state.final) == sum(summary.counts.values())


def test_reviewer_decision_wins_and_a_new_run_never_overwrites_it(db):
    state = linkage.link_state(db)
    auto = state.final[state.final["outcome"] == "auto"].iloc[0]
    other = state.candidates.query("contract_id != @auto.contract_id").iloc[0]["firm_id"]
    assert other != auto["firm_id"]
    decide(db, (auto["contract_id"], "link", other, "annual report lists the plant under this name"))
    rerun = linkage.run_linkage(db, "tester")
    state = linkage.link_state(db)
    row = state.final.set_index("contract_id").loc[auto["contract_id"]]
    assert (row["firm_id"], row["source"], row["reviewer"]) == (other, "reviewer", "kim")
    assert rerun.run_id == 2
    conflict = state.conflicts.set_index("contract_id").loc[auto["contract_id"]]
    assert auto["firm_id"] in conflict["problem"]  # surfaced, not resolved silently


def test_not_in_balance_sheets_and_reject(db):
    state = linkage.link_state(db)
    queued = state.final[state.final["outcome"] == "review"]["contract_id"].tolist()
    assert queued, "the demo should leave something to review"
    first = queued[0]
    top = state.candidates[(state.candidates["contract_id"] == first)].iloc[0]["firm_id"]
    decide(db, (first, "reject", top, None))
    after = linkage.link_state(db)
    assert top not in set(after.candidates.loc[after.candidates["contract_id"] == first, "firm_id"])
    decide(db, (first, "not_in_balance_sheets", None, "not in the 1975 report"))
    final = linkage.link_state(db).final.set_index("contract_id").loc[first]
    assert final["outcome"] == "not in balance sheets" and pd.isna(final["firm_id"])


def test_decisions_are_audited_and_undoable(db):
    state = linkage.link_state(db)
    contract = state.final[state.final["outcome"] == "review"]["contract_id"].iloc[0]
    before = state.final.set_index("contract_id").loc[contract]
    decide(db, (contract, "not_in_balance_sheets", None, None), actor="park")
    log = db.query("SELECT actor, action, summary FROM audit_log ORDER BY audit_id DESC LIMIT 1").iloc[0]
    assert (log["actor"], log["action"]) == ("park", "review") and contract in log["summary"]
    with db.transaction("undo") as con:
        undo_last(con, "park")
    after = linkage.link_state(db).final.set_index("contract_id").loc[contract]
    assert after["outcome"] == before["outcome"] == "review"


def test_decisions_are_validated_like_uploads(db):
    frame = pd.DataFrame([("C9999", "link", "F00001", None), ("C0001", "link", None, None),
                          ("C0001", "maybe", None, None), ("C0001", "link", "F99999", None)],
                         columns=["contract_id", "decision", "firm_id", "note"])
    result = linkage.record_decisions(db, frame, "kim")
    found = {(p.row, p.column, p.rule) for p in result.report.problems}
    assert {(1, "contract_id", "reference"), (2, "firm_id", "conditional"),
            (3, "decision", "allowed values"), (4, "firm_id", "reference")} <= found
    assert not result.written and linkage.decisions(db).empty


def test_threshold_change_moves_contracts_without_rerunning(db):
    state = linkage.link_state(db)
    moves = linkage.thresholds_effect(state, accept=0.999, review=state.review)
    strict = linkage.link_state(db, accept=0.999)
    auto_now = int((state.machine["outcome"] == "auto").sum())
    auto_strict = int((strict.machine["outcome"] == "auto").sum())
    assert auto_strict < auto_now
    assert int(moves.to_numpy().sum()) == len(state.final)
    runs = db.query("SELECT count(*) FROM linkage_runs").iloc[0, 0]
    assert runs == 1


def test_adoption_panel_from_final_links(db):
    state = linkage.link_state(db)
    panel = linkage.firm_adoption_panel(db, state)
    linked = state.final.dropna(subset=["firm_id"])
    completed = linked.merge(db.query("SELECT contract_id, status FROM contracts"), on="contract_id")
    assert panel["completed_contracts"].sum() <= (completed["status_x"] == "completed").sum()
    assert panel["adopter"].any() and not panel.duplicated(["firm_id", "year"]).any()


def run_cli(db_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench", "--db", str(db_path), "--user", "ra", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_cli_link_export_import(db, tmp_path):
    done = run_cli(db.path, "link", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["quality"]["auto"]["precision"] >= 0.99
    out = tmp_path / "links.csv"
    assert run_cli(db.path, "links", "export", str(out)).returncode == 0
    exported = pd.read_csv(out, encoding="utf-8-sig")
    assert len(exported) == report["summary"]["contracts"]
    queued = exported[exported["outcome"] == "review"].head(3)
    sheet = pd.DataFrame({"contract_id": queued["contract_id"], "decision": "link",
                          "firm_id": queued["candidate1_firm_id"], "note": "checked by RA"})
    sheet_path = tmp_path / "decisions.csv"
    sheet.to_csv(sheet_path, index=False)
    done = run_cli(db.path, "links", "import", str(sheet_path))
    assert done.returncode == 0, done.stderr
    final = linkage.link_state(db).final.set_index("contract_id")
    assert (final.loc[queued["contract_id"], "source"] == "reviewer").all()
    bad = tmp_path / "bad.csv"
    bad.write_text("contract_id,decision\nC0001,link\n", encoding="utf-8")
    done = run_cli(db.path, "links", "import", str(bad))
    assert done.returncode == 1 and "[conditional]" in done.stderr


def test_overview_splits_contracts_by_the_final_links_once_linked(db):
    from workbench.services import overview

    summary = overview(db)
    assert summary.contracts_linked_by == "links"
    state = linkage.link_state(db)
    linked = state.final["firm_id"].notna()
    assert summary.contracts_linked_share == pytest.approx(linked.mean())
    split = summary.contracts.groupby("group")["contracts"].sum()
    assert split["heavy"] + split["light"] == linked.sum() and split["unlinked"] == (~linked).sum()
