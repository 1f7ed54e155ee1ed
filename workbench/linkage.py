"""Linkage services: run the matcher, store its candidates, combine them with reviewers' decisions.

A *run* (``linkage_runs``) stores every candidate pair the model scored, so
thresholds can change without re-running it. Reviewers' decisions live in the
versioned ``link_decisions`` table (undoable change sets, audit log). The
final link of a contract is, in order of precedence (docs/linkage.md):

1. its newest ``link`` or ``not_in_balance_sheets`` decision;
2. else the machine's outcome under the current thresholds, after removing
   the candidates a reviewer rejected: ``auto`` (linked), ``review``
   (waiting in the queue) or ``none`` (no candidate).

A new run never touches decisions; where a run disagrees with a decision the
disagreement is listed as a conflict for a person to resolve.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

import pandas as pd

from estimation.adoption_panel import adoption_panel
from estimation.linkage import (
    LinkageSettings,
    classify,
    firm_profiles,
    link_contracts,
    linkage_quality,
    simulate_perfect_review,
    threshold_effect,
)
from estimation.names import name_keys, standardize_firm_name
from storage.changes import record_audit
from storage.database import Database, StorageError, now
from storage.ingest import IngestRequest, IngestResult, append_records, ingest_file
from workbench.services import data_version, demo_truth, table_frame

FINAL_COLUMNS = ["contract_id", "firm_name", "year", "status", "outcome", "source", "firm_id",
                 "match_probability", "margin", "decision", "reviewer"]


CANDIDATE_COLUMNS = ["contract_id", "firm_id", "rank", "match_probability", "match_weight",
                     "likelihood_weight", "twin_of_top", "matched_name_variant", "drivers"]


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    contracts: int
    candidates: int
    blocked_pairs: int
    issues: int
    seconds: float


def run_linkage(db: Database, actor: str, settings: LinkageSettings = LinkageSettings()) -> RunSummary:
    """Score every contract against every plausible firm and store the run (decisions untouched)."""
    contracts = table_frame(db, "contracts")
    balance_sheets = table_frame(db, "balance_sheets")
    if contracts.empty or balance_sheets.empty:
        raise StorageError("linkage needs both contracts and balance sheets; load them first")
    version = data_version(db)
    start = time.perf_counter()
    result = link_contracts(contracts, balance_sheets, settings)
    seconds = time.perf_counter() - start
    names = _standardized_names(contracts, balance_sheets)
    with db.transaction("storing the linkage run") as con:
        run_id = int(con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM linkage_runs").fetchone()[0])
        con.execute(
            "INSERT INTO linkage_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, now(), actor, json.dumps(asdict(settings)), version, len(contracts),
             len(result.candidates), result.blocked_pairs,
             result.parameters.to_json(orient="records", force_ascii=False), json.dumps(list(result.notes)),
             seconds])
        _insert_frame(con, "link_candidates", result.candidates.assign(run_id=run_id), ["run_id", *CANDIDATE_COLUMNS])
        _insert_frame(con, "link_issues", result.issues.assign(run_id=run_id), ["run_id", "contract_id", "problem"])
        _insert_frame(con, "standardized_names", names.assign(run_id=run_id),
                      ["run_id", "source", "raw_name", "standardized", "core", "romanized"])
        record_audit(con, actor, "link", f"linkage run {run_id}: {len(contracts)} contracts, "
                     f"{len(result.candidates)} candidate pairs, {len(result.issues)} input issue(s)",
                     details={"run_id": run_id, "settings": asdict(settings), "seconds": round(seconds, 2)})
    return RunSummary(run_id, len(contracts), len(result.candidates), result.blocked_pairs,
                      len(result.issues), seconds)


def _insert_frame(con, table: str, frame: pd.DataFrame, columns: list[str]) -> None:
    if frame.empty:
        return
    con.register("frame_to_insert", frame[columns])
    try:
        con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM frame_to_insert")
    finally:
        con.unregister("frame_to_insert")


def _standardized_names(contracts: pd.DataFrame, balance_sheets: pd.DataFrame) -> pd.DataFrame:
    """Every distinct raw name of both sources with its standardized forms."""
    parts = []
    for source, names in (("contract", contracts["firm_name"]), ("balance_sheet", balance_sheets["firm_name"])):
        unique = pd.Series(names.dropna().unique(), dtype=object)
        keys = name_keys(unique).reset_index(drop=True)
        parts.append(pd.DataFrame({"source": source, "raw_name": unique, "standardized": keys["std"],
                                   "core": keys["core"], "romanized": keys["roman"]}))
    return pd.concat(parts, ignore_index=True)


def latest_run(db: Database) -> pd.Series | None:
    frame = db.query("SELECT * FROM linkage_runs ORDER BY run_id DESC LIMIT 1", doing="reading linkage runs")
    return None if frame.empty else frame.iloc[0]


def run_candidates(db: Database, run_id: int) -> pd.DataFrame:
    return db.query(f"SELECT {', '.join(CANDIDATE_COLUMNS)} FROM link_candidates WHERE run_id = ?"
                    " ORDER BY contract_id, rank", [run_id], doing="reading link candidates")


def run_issues(db: Database, run_id: int) -> pd.DataFrame:
    return db.query("SELECT contract_id, problem FROM link_issues WHERE run_id = ? ORDER BY contract_id",
                    [run_id], doing="reading linkage issues")


def decisions(db: Database) -> pd.DataFrame:
    """Active reviewer decisions, oldest first, with the time each was saved."""
    return db.query(
        "SELECT d.contract_id, d.decision, d.firm_id, d.reviewer, d.note, d._row_id, d._batch_id,"
        " c.created_at AS decided_at FROM link_decisions d JOIN change_sets c ON c.change_set_id = d._batch_id"
        " ORDER BY d._batch_id, d._row_id", doing="reading link decisions")


@dataclass(frozen=True)
class LinkState:
    """Everything the review page and the CLI show about the links now."""

    run: pd.Series | None
    accept: float
    review: float
    min_margin: float
    machine: pd.DataFrame      # the model's outcome per contract (rejected candidates removed)
    final: pd.DataFrame        # one row per contract: FINAL_COLUMNS
    candidates: pd.DataFrame   # the run's candidates minus rejected firms
    conflicts: pd.DataFrame    # contract_id, decision, firm_id, problem
    issues: pd.DataFrame       # contract_id, problem (input problems of the run)


def run_settings(run: pd.Series | None) -> LinkageSettings:
    """The settings a stored run used (the defaults when there is no run)."""
    return LinkageSettings() if run is None else LinkageSettings(**json.loads(run["settings"]))


def link_state(db: Database, accept: float | None = None, review: float | None = None) -> LinkState:
    """Final links, decisions first, with the run's thresholds or the ``accept``/``review`` given."""
    contracts = table_frame(db, "contracts")
    run = latest_run(db)
    decided = decisions(db)
    settings = run_settings(run)
    if run is None:
        candidates = pd.DataFrame(columns=CANDIDATE_COLUMNS)
        issues = pd.DataFrame(columns=["contract_id", "problem"])
    else:
        candidates = run_candidates(db, int(run["run_id"]))
        issues = run_issues(db, int(run["run_id"]))
    accept = settings.accept if accept is None else accept
    review = settings.review if review is None else review
    rejected = decided[decided["decision"] == "reject"][["contract_id", "firm_id"]]
    kept = candidates.merge(rejected.assign(_rejected=True), on=["contract_id", "firm_id"], how="left")
    kept = kept[kept["_rejected"].isna()].drop(columns="_rejected")
    kept["rank"] = kept.groupby("contract_id").cumcount() + 1  # re-rank after removing rejected firms
    machine = classify(kept, contracts["contract_id"], accept, review, settings.min_margin)
    final = _final_links(contracts, machine, decided)
    firms = set(table_frame(db, "balance_sheets")["firm_id"])
    return LinkState(run, accept, review, settings.min_margin, machine, final, kept,
                     _conflicts(final, machine, decided, contracts, firms), issues)


def _final_links(contracts: pd.DataFrame, machine: pd.DataFrame, decided: pd.DataFrame) -> pd.DataFrame:
    """Precedence: newest link / not_in_balance_sheets decision, else the machine's outcome."""
    human = decided[decided["decision"].isin(["link", "not_in_balance_sheets"])]
    human = human.drop_duplicates("contract_id", keep="last").set_index("contract_id")
    frame = contracts[["contract_id", "firm_name", "year", "status"]].merge(machine, on="contract_id", how="left")
    frame["outcome"] = frame["outcome"].fillna("none")
    frame["source"] = "machine"
    frame.loc[frame["outcome"] != "auto", "firm_id"] = None
    by_human = frame["contract_id"].isin(human.index)
    decision = frame["contract_id"].map(human["decision"])
    frame["decision"] = decision
    frame["reviewer"] = frame["contract_id"].map(human["reviewer"])
    frame.loc[by_human, "source"] = "reviewer"
    frame.loc[by_human, "outcome"] = decision[by_human].map(
        {"link": "linked by reviewer", "not_in_balance_sheets": "not in balance sheets"})
    frame.loc[by_human, "firm_id"] = frame.loc[by_human, "contract_id"].map(human["firm_id"])
    return frame[FINAL_COLUMNS]


def _conflicts(final, machine, decided, contracts, firms: set) -> pd.DataFrame:
    """Where the latest run, or the data, disagree with a reviewer's decision."""
    rows = []
    auto = machine[machine["outcome"] == "auto"].set_index("contract_id")["firm_id"]
    known_contracts = set(contracts["contract_id"])
    for row in decided.drop_duplicates(["contract_id", "decision", "firm_id"], keep="last").itertuples():
        if row.contract_id not in known_contracts:
            rows.append((row.contract_id, row.decision, row.firm_id, "the contract is no longer stored"))
        elif row.decision == "link" and row.firm_id not in firms:
            rows.append((row.contract_id, row.decision, row.firm_id, "the firm is no longer in the balance sheets"))
    reviewer = final[final["source"] == "reviewer"]
    for row in reviewer.itertuples():
        machine_firm = auto.get(row.contract_id)
        if machine_firm is not None and machine_firm != row.firm_id:
            told = "not in the balance sheets" if row.decision == "not_in_balance_sheets" else row.firm_id
            rows.append((row.contract_id, row.decision, row.firm_id,
                         f"the latest run links it automatically to {machine_firm}; the reviewer said {told}"))
    return pd.DataFrame(rows, columns=["contract_id", "decision", "firm_id", "problem"])


def record_decisions(db: Database, decided: pd.DataFrame, actor: str) -> IngestResult:
    """Store reviewer decisions (contract_id, decision, firm_id, note) as one undoable change set."""
    frame = decided.assign(reviewer=decided.get("reviewer", actor)).fillna({"reviewer": actor})
    return append_records(db, "link_decisions", frame, actor, kind="review", label="review decisions",
                          summarize=_decision_summary)


def _decision_summary(frame: pd.DataFrame) -> str:
    parts = ", ".join(f"{n} {d}" for d, n in frame["decision"].value_counts().items())
    contracts = ", ".join(frame["contract_id"].astype(str).head(5))
    more = "…" if len(frame) > 5 else ""
    return f"link decisions: {parts} ({contracts}{more})"


def import_decisions(db: Database, file_name: str, data: bytes, actor: str) -> IngestResult:
    """Decisions made elsewhere (e.g. a research assistant's spreadsheet), validated like any upload."""
    return ingest_file(db, IngestRequest("link_decisions", file_name, data, "append", actor=actor))


def export_links(state: LinkState) -> pd.DataFrame:
    """One row per contract: the final link, its source and score, beside the top candidates."""
    top = state.candidates[state.candidates["rank"] <= 3].pivot_table(
        index="contract_id", columns="rank", values=["firm_id", "match_probability"], aggfunc="first")
    top.columns = [f"candidate{rank}_{what}" for what, rank in top.columns]
    return state.final.merge(top.reset_index(), on="contract_id", how="left")


@dataclass(frozen=True)
class LinkSummary:
    counts: dict[str, int]             # contracts by outcome
    contracts: int
    linked_share: float                # contracts with a firm
    contract_firms_linked_share: float  # distinct contract firm names with at least one link
    reviewed: int                      # contracts with a reviewer decision
    queue: int                         # contracts still waiting for review
    conflicts: int


def summarize(state: LinkState) -> LinkSummary:
    final = state.final
    linked = final["firm_id"].notna()
    by_name = linked.groupby(final["firm_name"]).any()
    return LinkSummary(
        counts={k: int(v) for k, v in final["outcome"].value_counts().items()},
        contracts=len(final),
        linked_share=float(linked.mean()) if len(final) else 0.0,
        contract_firms_linked_share=float(by_name.mean()) if len(by_name) else 0.0,
        reviewed=int((final["source"] == "reviewer").sum()),
        queue=int((final["outcome"] == "review").sum()),
        conflicts=len(state.conflicts),
    )


def quality_against_truth(db: Database, state: LinkState) -> dict | None:
    """Precision/recall of the links against the demo's true links (None for real data).

    Reported for the machine's auto-accepted links alone, after a simulated perfect
    review of the queue, and for the final links as they stand (reviewers' decisions included).
    """
    _, truth = demo_truth(db)
    if truth.empty:
        return None
    auto = state.machine.assign(firm_id=state.machine["firm_id"].where(state.machine["outcome"] == "auto"))
    reviewed = simulate_perfect_review(state.machine, state.candidates, truth)
    return {
        "auto": asdict(linkage_quality(auto[["contract_id", "firm_id"]], truth)),
        "after_perfect_review": asdict(linkage_quality(reviewed, truth)),
        "final_now": asdict(linkage_quality(state.final[["contract_id", "firm_id"]], truth)),
        "review_queue_share": float((state.machine["outcome"] == "review").mean()),
    }


def thresholds_effect(state: LinkState, accept: float, review: float) -> pd.DataFrame:
    """Contracts by outcome under the current thresholds (rows) and ``accept``/``review`` (columns)."""
    return threshold_effect(state.candidates, state.final["contract_id"], (state.accept, state.review),
                            (accept, review), state.min_margin)


def firm_adoption_panel(db: Database, state: LinkState | None = None) -> pd.DataFrame:
    """The firm-year adoption panel from the final links (estimation issues start here)."""
    state = state or link_state(db)
    links = state.final[["contract_id", "firm_id"]].dropna()
    return adoption_panel(table_frame(db, "balance_sheets"), table_frame(db, "contracts"), links)


def format_report(report: dict) -> str:
    """The CLI's plain-text linkage report."""
    run, summary, quality = report["run"], report["summary"], report["quality"]
    lines = [f"linkage run {run['run_id']}: {run['contracts']} contracts, {run['candidates']} candidate pairs "
             f"({run['seconds']:.1f} s), {run['issues']} input issue(s)"]
    lines += [f"  {outcome:<24} {n:>7,d}" for outcome, n in sorted(summary["counts"].items())]
    lines.append(f"linked: {summary['linked_share']:.1%} of contracts, {summary['contract_firms_linked_share']:.1%} "
                 f"of contract firm names; review queue {summary['queue']}; conflicts {summary['conflicts']}")
    if quality:
        auto, reviewed = quality["auto"], quality["after_perfect_review"]
        lines.append(f"against the demo's true links: auto-accepted precision {auto['precision']:.4f}, "
                     f"recall {auto['recall']:.4f}; after a perfect review precision {reviewed['precision']:.4f}, "
                     f"recall {reviewed['recall']:.4f}; review queue {quality['review_queue_share']:.1%} of contracts")
    return "\n".join(lines)


def firm_directory(db: Database) -> pd.DataFrame:
    """One row per balance-sheet firm: name variants across years (as text), sector, region,
    business group, first and last year — what a reviewer compares a contract with."""
    profiles = firm_profiles(table_frame(db, "balance_sheets"))
    return profiles.assign(name_variants=profiles["name_variants"].map(" · ".join))


def search_firms(directory: pd.DataFrame, text: str, limit: int = 50) -> pd.DataFrame:
    """Firms whose id or any name variant contains ``text`` (after standardization), for "pick another firm"."""
    key = standardize_firm_name(text)
    if not key and not text.strip():
        return directory.head(0)
    names = directory["name_variants"].map(lambda v: "|".join(standardize_firm_name(n) for n in v.split(" · ")))
    hit = directory["firm_id"].str.contains(text.strip(), case=False, regex=False)
    if key:
        hit |= names.str.contains(key, regex=False)
    return directory[hit].head(limit)
