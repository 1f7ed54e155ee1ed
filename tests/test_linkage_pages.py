"""The Linkage and Review queue pages under AppTest, on private copies of a demo database with a linkage run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from page_fixtures import demo_db, demo_template, new_app, open_page  # noqa: F401 - pytest fixtures

from workbench import linkage, services
from workbench import ui_linkage as ul

ACTOR = "page tester"


def _copy_database(source: Path, target: Path) -> None:
    for file in source.parent.glob(source.name + "*"):
        if not file.name.endswith(".lock"):
            shutil.copy(file, target.with_name(file.name.replace(source.name, target.name)))


@pytest.fixture(scope="session")
def linked_template(tmp_path_factory, demo_template) -> Path:
    """The demo database with one linkage run (default settings), built once."""
    path = tmp_path_factory.mktemp("linked") / "linked.duckdb"
    _copy_database(demo_template, path)
    linkage.run_linkage(services.open_database(path), "tester")
    return path


@pytest.fixture
def linked_db(tmp_path, linked_template, monkeypatch) -> services.Database:
    path = tmp_path / "workbench.duckdb"
    _copy_database(linked_template, path)
    monkeypatch.setenv("WORKBENCH_DB", str(path))
    monkeypatch.setenv("WORKBENCH_USER", ACTOR)
    return services.open_database(path)


@pytest.fixture
def linked_app(linked_db):
    return new_app().run()


def _ok(at) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _queue(db) -> pd.DataFrame:
    return ul.queue(linkage.link_state(db), include_none=False)


def _shown_contract(at) -> str:
    """The contract id of the queue item on the review page."""
    for markdown in at.markdown:
        if markdown.value.startswith("**Contract** `"):
            return markdown.value.split("`")[1]
    raise AssertionError("no contract on the page")


# --- the Linkage page -----------------------------------------------------------------------

def test_linkage_page_shows_the_run_the_links_and_the_quality(linked_app, linked_db):
    open_page(linked_app, "linkage")
    _ok(linked_app)
    assert [t.value for t in linked_app.title] == ["Linkage"]
    state = linkage.link_state(linked_db)
    summary = linkage.summarize(state)
    metrics = _metrics(linked_app)
    assert metrics["Contracts"] == f"{summary.contracts:,}"
    assert metrics["Linked automatically"] == f"{summary.counts['auto']:,}"
    assert metrics["Waiting for review"] == f"{summary.queue:,}"
    assert metrics["Still in the review queue"] == f"{summary.queue:,}"
    assert metrics["Contracts linked to a firm"] == f"{summary.linked_share:.1%}"
    assert len(linked_app.get("vega_lite_chart")) == 1
    assert any("never overwrites reviewers' decisions" in c.value for c in linked_app.caption)
    quality = next(d.value for d in linked_app.dataframe if "measure" in d.value.columns)
    truth = linkage.quality_against_truth(linked_db, state)
    precision = quality.set_index("measure").loc["Auto-accepted links: precision"]
    assert precision["value"] == f"{truth['auto']['precision']:.4f}"
    assert precision["met"] == ("yes" if truth["auto"]["precision"] >= 0.99 else "NO — missed")
    assert any(s.value.startswith("Quality against the true links (synthetic demo only)")
               for s in linked_app.subheader)
    expected = [name for name, miss in (
        ("Auto-accepted links: precision", truth["auto"]["precision"] < 0.99),
        ("Recall after a simulated perfect review", truth["after_perfect_review"]["recall"] < 0.98),
        ("Review queue share of contracts", truth["review_queue_share"] > 0.15)) if miss]
    said = [m.value for m in linked_app.markdown if m.value.startswith(("Targets missed", "All targets"))]
    assert said == ([f"Targets missed: **{', '.join(expected)}**."] if expected else ["All targets are met."])


def test_moving_a_threshold_shows_the_effect_and_applying_it_holds_on_both_pages(linked_app, linked_db):
    open_page(linked_app, "linkage")
    state = linkage.link_state(linked_db)
    expected = linkage.thresholds_effect(state, 0.7, state.review)
    moved = int(expected.loc["review", "auto"])
    assert moved > 0
    assert linked_app.button(key="linkage.apply_button").disabled
    linked_app.slider(key="linkage.accept_slider").set_value(0.7).run()
    _ok(linked_app)
    assert any(f"**{moved:,}** contract(s) move from *review* to *auto*" in m.value for m in linked_app.markdown)
    assert any("auto-accepted precision" in m.value for m in linked_app.markdown)  # the demo's truth too
    effect = next(d.value for d in linked_app.dataframe if "machine outcome" in d.value.columns)
    assert effect.set_index("machine outcome").loc["now: review", "with the new thresholds: auto"] == moved
    before = _metrics(linked_app)["Linked automatically"]
    assert before == f"{int(expected.loc['auto'].sum()):,}"  # nothing applied yet

    linked_app.button(key="linkage.apply_button").click().run()
    _ok(linked_app)
    assert linked_app.session_state["linkage.thresholds"] == (0.7, state.review)
    assert _metrics(linked_app)["Linked automatically"] == f"{int(expected['auto'].sum()):,}"
    open_page(linked_app, "review")
    _ok(linked_app)
    queue = int(expected["review"].sum())
    assert any(f"**{queue:,}** in the queue (accept 0.70" in p.text for p in linked_app.get("progress"))


def test_importing_decisions_reports_problems_and_loads_a_clean_file(linked_app, linked_db):
    open_page(linked_app, "linkage")
    item = _queue(linked_db).iloc[0]
    bad = "contract_id,decision,firm_id\nC9999,link,F00001\n".encode()
    linked_app.file_uploader(key="linkage.import_file.0").upload("bad.csv", bad, "text/csv")
    linked_app.run()
    linked_app.button(key="linkage.import_button").click().run()
    assert any("nothing was written" in e.value for e in linked_app.error)
    assert linkage.decisions(linked_db).empty
    good = f"contract_id,decision,firm_id,note\n{item['contract_id']},not_in_balance_sheets,,from the RA\n".encode()
    linked_app.file_uploader(key="linkage.import_file.0").clear().upload("good.csv", good, "text/csv")
    linked_app.run()
    linked_app.button(key="linkage.import_button").click().run()
    _ok(linked_app)
    assert any(s.value.startswith("Imported 1 decision(s) from good.csv") for s in linked_app.success)
    stored = linkage.decisions(linked_db)
    assert stored[["contract_id", "decision", "note"]].values.tolist() == [
        [item["contract_id"], "not_in_balance_sheets", "from the RA"]]


# --- the Review queue page: one at a time ------------------------------------------------------

def test_the_review_page_shows_the_next_contract_beside_its_candidates(linked_app, linked_db):
    open_page(linked_app, "review")
    _ok(linked_app)
    assert [t.value for t in linked_app.title] == ["Review queue"]
    state = linkage.link_state(linked_db)
    item = _queue(linked_db).iloc[0]
    assert _shown_contract(linked_app) == item["contract_id"]
    assert any(m.value == f"### {item['firm_name']}" for m in linked_app.markdown)
    candidates = state.candidates[state.candidates["contract_id"] == item["contract_id"]]
    table = linked_app.table[0].value
    assert table["firm"].tolist() == candidates.sort_values("rank")["firm_id"].tolist()
    assert {"names across years (matched in bold)", "active", "sector · region · group",
            "what drove the score"} <= set(table.columns)
    radio = linked_app.radio(key=f"review.choice.{item['contract_id']}")
    assert radio.value == candidates.sort_values("rank")["firm_id"].iloc[0]  # the top candidate preselected
    assert len(radio.options) == len(candidates) + 2
    queue = len(_queue(linked_db))
    assert any(f"**0 of {queue:,}** reviewed this session" in p.text for p in linked_app.get("progress"))


def test_submitting_the_form_stores_the_decision_and_shows_the_next_contract(linked_app, linked_db):
    open_page(linked_app, "review")
    queue = _queue(linked_db)
    first, second = queue["contract_id"].iloc[0], queue["contract_id"].iloc[1]
    state = linkage.link_state(linked_db)
    runner_up = state.candidates.query("contract_id == @first and rank == 2")["firm_id"].iloc[0]
    linked_app.radio(key=f"review.choice.{first}").set_value(runner_up)
    linked_app.text_input(key=f"review.note.{first}").input("same address in the 1972 report")
    linked_app.button(key=f"review.submit.{first}").click().run()
    _ok(linked_app)
    stored = linkage.decisions(linked_db)
    assert stored[["contract_id", "decision", "firm_id", "reviewer", "note"]].values.tolist() == [
        [first, "link", runner_up, ACTOR, "same address in the 1972 report"]]
    assert _shown_contract(linked_app) == second
    assert any(f"**1 of {len(queue):,}** reviewed this session" in p.text for p in linked_app.get("progress"))
    assert [t.value for t in linked_app.toast] == [f"{first} linked to {runner_up}"]
    assert any(c.value.startswith(f"Last saved: {first} linked to {runner_up}") for c in linked_app.caption)
    assert linkage.link_state(linked_db).final.set_index("contract_id").at[first, "outcome"] == "linked by reviewer"


def test_a_review_decision_is_undone_on_the_audit_page(linked_app, linked_db):
    open_page(linked_app, "review")
    cid = _queue(linked_db)["contract_id"].iloc[0]
    linked_app.button(key=f"review.quick_1.{cid}").click().run()
    assert linkage.link_state(linked_db).final.set_index("contract_id").at[cid, "outcome"] == "linked by reviewer"
    open_page(linked_app, "audit")
    assert any("review of link_decisions" in m.value for m in linked_app.markdown)
    linked_app.checkbox(key="audit.confirm_undo").check().run()
    linked_app.button(key="audit.undo_button").click().run()
    _ok(linked_app)
    assert linkage.decisions(linked_db).empty
    open_page(linked_app, "review")
    assert _shown_contract(linked_app) == cid  # back in the queue


def test_quick_keys_reject_all_and_skip(linked_app, linked_db):
    open_page(linked_app, "review")
    ids = _queue(linked_db)["contract_id"].tolist()
    linked_app.button(key=f"review.quick_not_in.{ids[0]}").click().run()
    _ok(linked_app)
    assert _shown_contract(linked_app) == ids[1]
    linked_app.button(key="review.skip_button").click().run()
    assert _shown_contract(linked_app) == ids[2]
    assert any("1 skipped" in p.text for p in linked_app.get("progress"))
    offered = linkage.link_state(linked_db).candidates.query("contract_id == @ids[2]")["firm_id"].tolist()
    linked_app.radio(key=f"review.choice.{ids[2]}").set_value(ul.REJECT_ALL)
    linked_app.button(key=f"review.submit.{ids[2]}").click().run()
    _ok(linked_app)
    stored = linkage.decisions(linked_db)
    assert stored[["contract_id", "decision"]].values.tolist() == [
        [ids[0], "not_in_balance_sheets"], *[[ids[2], "reject"]] * len(offered)]
    assert stored.loc[stored["decision"] == "reject", "firm_id"].tolist() == offered
    assert _shown_contract(linked_app) == ids[3]
    assert ids[2] not in set(_queue(linked_db)["contract_id"])  # no candidate left: it leaves the queue


def test_a_contract_decided_while_it_was_shown_is_not_decided_twice(linked_app, linked_db):
    open_page(linked_app, "review")
    ids = _queue(linked_db)["contract_id"].tolist()
    # A second key press can reach the contract after the first press stored its decision.
    ours = pd.DataFrame({"contract_id": [ids[0]], "decision": ["not_in_balance_sheets"], "firm_id": [None],
                         "note": [None]}, dtype=object)
    assert linkage.record_decisions(linked_db, ours, ACTOR).written
    linked_app.button(key=f"review.submit.{ids[0]}").click().run()
    _ok(linked_app)
    assert len(linkage.decisions(linked_db)) == 1
    assert _shown_contract(linked_app) == ids[1]
    assert any(f"**1 of {len(ids):,}** reviewed this session" in p.text for p in linked_app.get("progress"))
    # Another reviewer's decision on the shown contract: ours is not saved, and the page says why.
    theirs = ours.assign(contract_id=ids[1])
    assert linkage.record_decisions(linked_db, theirs, "another reviewer").written
    linked_app.button(key=f"review.quick_1.{ids[1]}").click().run()
    assert not linked_app.exception
    assert any(f"another reviewer decided {ids[1]} while it was shown here" in w.value for w in linked_app.warning)
    assert linkage.decisions(linked_db)["reviewer"].tolist() == [ACTOR, "another reviewer"]


def test_picking_another_firm_from_the_search(linked_app, linked_db):
    open_page(linked_app, "review")
    cid = _queue(linked_db)["contract_id"].iloc[0]
    offered = set(linkage.link_state(linked_db).candidates.query("contract_id == @cid")["firm_id"])
    directory = linkage.firm_directory(linked_db)
    other = directory[~directory["firm_id"].isin(offered)].iloc[0]
    linked_app.text_input(key=f"review.search.{cid}").input(other["firm_id"]).run()
    _ok(linked_app)
    linked_app.selectbox(key=f"review.search_pick.{cid}").set_value(other["firm_id"]).run()
    _ok(linked_app)
    radio = linked_app.radio(key=f"review.choice.{cid}")
    assert radio.value == other["firm_id"]
    assert any("(picked from the search)" in o for o in radio.options)
    linked_app.button(key=f"review.submit.{cid}").click().run()
    _ok(linked_app)
    assert linkage.decisions(linked_db)[["contract_id", "decision", "firm_id"]].values.tolist() == [
        [cid, "link", other["firm_id"]]]


# --- the Review queue page: table mode --------------------------------------------------------

def test_table_mode_saves_several_decisions_at_once(linked_app, linked_db):
    open_page(linked_app, "review")
    linked_app.button_group(key="review.mode").set_value("Table").run()
    _ok(linked_app)
    rows = next(d.value for d in linked_app.dataframe if "decision" in d.value.columns)
    assert set(rows["decision"]) == {"leave"}
    first = rows.iloc[:3]
    linked_app.session_state["review.table_editor.0"] = {
        "edited_rows": {0: {"decision": "link top", "note": "checked"}, 1: {"decision": "not in balance sheets"},
                        2: {"decision": "reject top"}},
        "added_rows": [], "deleted_rows": []}
    linked_app.run()
    save = linked_app.button(key="review.table_save")
    assert save.label == "Save 3 decision(s)"
    save.click().run()
    _ok(linked_app)
    stored = linkage.decisions(linked_db)
    stored_rows = stored[["contract_id", "decision", "firm_id"]].astype(object)
    assert stored_rows.where(stored_rows.notna(), None).values.tolist() == [
        [first["contract_id"].iloc[0], "link", first["top_firm_id"].iloc[0]],
        [first["contract_id"].iloc[1], "not_in_balance_sheets", None],
        [first["contract_id"].iloc[2], "reject", first["top_firm_id"].iloc[2]]]
    assert stored["_batch_id"].nunique() == 1  # one change set, undoable at once
    assert stored["note"].tolist()[0] == "checked"
    assert [t.value for t in linked_app.toast] == ["3 decision(s) saved"]
    assert any("**3 of" in p.text for p in linked_app.get("progress"))


def test_table_mode_shows_the_report_when_a_decision_is_invalid(linked_app, linked_db):
    open_page(linked_app, "review")
    linked_app.toggle(key="review.include_none").set_value(True).run()
    linked_app.button_group(key="review.mode").set_value("Table").run()
    rows = next(d.value for d in linked_app.dataframe if "decision" in d.value.columns)
    no_candidate = rows.index[rows["top_firm_id"].isna()]
    assert len(no_candidate), "the demo has contracts without any candidate"
    linked_app.session_state["review.table_editor.0"] = {
        "edited_rows": {int(no_candidate[0]): {"decision": "link top"}}, "added_rows": [], "deleted_rows": []}
    linked_app.run()
    linked_app.button(key="review.table_save").click().run()
    assert not linked_app.exception
    assert any("nothing was written" in e.value for e in linked_app.error)
    assert linkage.decisions(linked_db).empty


# --- empty states -----------------------------------------------------------------------------

def test_before_any_run_both_pages_say_so_and_the_run_button_runs_it(demo_db):
    at = new_app().run()
    open_page(at, "review")
    _ok(at)
    assert any("the linkage has not been run" in i.value for i in at.info)
    open_page(at, "linkage")
    _ok(at)
    assert any("has not been run on this database yet" in i.value for i in at.info)
    assert not at.metric  # no summary before a run
    at.button(key="linkage.run_button").click().run()
    _ok(at)
    run = linkage.latest_run(demo_db)
    assert run is not None
    assert _metrics(at)["Contracts"] == f"{run['contracts']:,}"
    assert len(at.get("vega_lite_chart")) == 1


def test_without_contracts_or_balance_sheets_the_run_is_disabled(demo_db):
    services.undo(demo_db, "tester")  # undoing the demo load empties every table
    at = new_app().run()
    open_page(at, "linkage")
    _ok(at)
    assert any("There are no contracts and no balance sheets yet" in i.value for i in at.info)
    assert at.button(key="linkage.run_button").disabled


def test_an_empty_queue_says_so(linked_app, linked_db):
    queue = _queue(linked_db)
    decided = pd.DataFrame({"contract_id": queue["contract_id"], "decision": "not_in_balance_sheets",
                            "firm_id": None, "note": None}, dtype=object)
    assert linkage.record_decisions(linked_db, decided, "tester").written
    open_page(linked_app, "review")
    _ok(linked_app)
    assert any(s.value.startswith("The review queue is empty") for s in linked_app.success)
    assert not linked_app.radio
