"""UI helpers of the Linkage and Review queue pages: the applied thresholds, cached reads, and the
small tidy frames the two pages render (pure functions over a :class:`~workbench.linkage.LinkState`).

The thresholds a researcher applies on the Linkage page live in session state
(``keys.LINKAGE_THRESHOLDS``) and choose the :class:`LinkState` of both pages; until
then the latest run's own thresholds apply.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from storage.database import now
from storage.schema import LINK_DECISIONS
from workbench import linkage, ui
from workbench import state_keys as keys
from workbench.linkage import LinkState, LinkSummary, summarize, thresholds_effect

OUTCOMES = ("auto", "review", "none", "linked by reviewer", "not in balance sheets")
OUTCOME_LABELS = {"auto": "Linked automatically", "review": "Waiting for review", "none": "No candidate",
                  "linked by reviewer": "Linked by a reviewer",
                  "not in balance sheets": "Not in the balance sheets"}
OUTCOME_HELP = {
    "auto": "the machine's top candidate is likely enough and clearly ahead of the runner-up",
    "review": "a candidate is plausible but not certain: waiting in the review queue",
    "none": "no candidate reaches the review threshold",
    "linked by reviewer": "a reviewer linked the contract to a firm (the top candidate or another)",
    "not in balance sheets": "a reviewer decided the firm is absent from the balance sheets",
}
REVIEW_PAGE = "../pages/review.py"  # st.page_link paths are relative to the entry script, workbench/app.py
LINKAGE_PAGE = "../pages/linkage.py"
TARGETS = {"precision": 0.99, "recall_after_review": 0.98, "queue_share": 0.15}

# The special choices of the review form besides the candidates' firm ids.
NOT_IN = "__not_in_balance_sheets__"
REJECT_ALL = "__reject_all_shown__"

# Decisions of the table mode.
LEAVE, LINK_TOP, NOT_IN_TABLE, REJECT_TOP = "leave", "link top", "not in balance sheets", "reject top"
TABLE_DECISIONS = (LEAVE, LINK_TOP, NOT_IN_TABLE, REJECT_TOP)


# --- thresholds and cached reads -------------------------------------------------------------

def thresholds() -> tuple[float | None, float | None]:
    """The (accept, review) thresholds applied on the Linkage page; (None, None): the run's own."""
    return st.session_state.get(keys.LINKAGE_THRESHOLDS) or (None, None)


def state() -> LinkState:
    """The links now, under the applied thresholds (cached until the data change)."""
    return ui.link_state(*thresholds())


def summary(link_state: LinkState) -> LinkSummary:
    return summarize(link_state)


def effect(link_state: LinkState, accept: float, review: float) -> pd.DataFrame:
    """Contracts by machine outcome now (rows) and under ``accept``/``review`` (columns)."""
    return thresholds_effect(link_state, accept, review)


@st.cache_data(show_spinner=False, max_entries=16)
def _quality(path: str, version: int, accept: float | None, review: float | None) -> dict | None:
    database = ui.open_db(path)
    return linkage.quality_against_truth(database, linkage.link_state(database, accept, review))


def quality(accept: float | None = None, review: float | None = None) -> dict | None:
    """Precision/recall against the demo's true links (None for real data), under the applied
    thresholds or the ``accept``/``review`` given."""
    path, version = ui.data_key()
    return _quality(path, version, *((accept, review) if accept is not None else thresholds()))


def quality_change(old: dict, new: dict) -> str:
    """How the demo's auto-link precision and queue share change between two threshold pairs."""
    def part(name: str, before: float, after: float, fmt: str) -> str:
        return f"{name} {before:{fmt}} → **{after:{fmt}}**"
    return ("Against the demo's true links: " + ", ".join([
        part("auto-accepted precision", old["auto"]["precision"], new["auto"]["precision"], ".4f"),
        part("recall after a perfect review", old["after_perfect_review"]["recall"],
             new["after_perfect_review"]["recall"], ".4f"),
        part("review queue", old["review_queue_share"], new["review_queue_share"], ".1%")]) + ".")


def inputs_missing() -> list[str]:
    """The record types linkage needs that hold no rows (contracts, balance sheets)."""
    counts = ui.read("database_status").row_counts
    return [ui.TITLES[t].lower() for t in ("contracts", "balance_sheets") if not counts.get(t)]


# --- the Linkage page ------------------------------------------------------------------------

def outcome_counts(link_summary: LinkSummary) -> dict[str, int]:
    """Contracts by final outcome, every outcome listed (0 where none)."""
    return {outcome: link_summary.counts.get(outcome, 0) for outcome in OUTCOMES}


def moves(table: pd.DataFrame) -> list[str]:
    """The off-diagonal cells of a thresholds-effect table as sentences, largest first."""
    cells = [(int(table.loc[old, new]), old, new) for old in table.index for new in table.columns
             if old != new and table.loc[old, new]]
    return [f"**{n:,}** contract(s) move from *{old}* to *{new}*" for n, old, new in sorted(cells, reverse=True)]


def effect_frame(table: pd.DataFrame) -> pd.DataFrame:
    """A thresholds-effect table labelled for reading: rows "now: …", columns "new: …", plus totals."""
    shown = table.copy()
    shown.index = [f"now: {o}" for o in table.index]
    shown.columns = [f"with the new thresholds: {o}" for o in table.columns]
    shown["total now"] = table.sum(axis=1).to_numpy()
    return shown.rename_axis("machine outcome").reset_index()


def top_scores(link_state: LinkState) -> pd.DataFrame:
    """The machine's top candidate per contract that has one: contract_id, firm_id, match_probability, outcome."""
    machine = link_state.machine
    return machine[machine["match_probability"].notna()][
        ["contract_id", "firm_id", "match_probability", "margin", "outcome"]].reset_index(drop=True)


def with_contract_names(frame: pd.DataFrame, link_state: LinkState) -> pd.DataFrame:
    """``frame`` (with a contract_id column) with the contract's firm name and year beside the id."""
    names = link_state.final.set_index("contract_id")
    out = frame.copy()
    out.insert(1, "firm_name", out["contract_id"].map(names["firm_name"]))
    out.insert(2, "year", out["contract_id"].map(names["year"]))
    return out


def quality_frame(quality: dict) -> pd.DataFrame:
    """The targets of docs/linkage.md against the demo's true links: measure, value, target, met, counts."""
    auto, reviewed, final = quality["auto"], quality["after_perfect_review"], quality["final_now"]
    queue = quality["review_queue_share"]
    wrong = (f"{auto['false_links']} wrong ({auto['absent_linked']} to firms really absent)"
             if auto["false_links"] else "none wrong")
    rows = [
        ("Auto-accepted links: precision", f"{auto['precision']:.4f}", f"≥ {TARGETS['precision']:.2f}",
         auto["precision"] >= TARGETS["precision"],
         f"{auto['n_correct']:,} of {auto['n_linked']:,} correct; {wrong}"),
        ("Auto-accepted links: recall", f"{auto['recall']:.4f}", "", None,
         f"{auto['n_correct']:,} of {auto['n_linkable']:,} linkable contracts, without review"),
        ("Recall after a simulated perfect review", f"{reviewed['recall']:.4f}",
         f"≥ {TARGETS['recall_after_review']:.2f}", reviewed["recall"] >= TARGETS["recall_after_review"],
         f"{reviewed['n_correct']:,} of {reviewed['n_linkable']:,}; precision then {reviewed['precision']:.4f}"),
        ("Review queue share of contracts", f"{queue:.1%}", f"≤ {TARGETS['queue_share']:.0%}",
         queue <= TARGETS["queue_share"], "sent to review by the machine under these thresholds"),
        ("Final links now (with reviewers' decisions)", f"{final['precision']:.4f} / {final['recall']:.4f}",
         "", None, f"precision / recall; {final['n_correct']:,} of {final['n_linked']:,} links correct"),
    ]
    frame = pd.DataFrame(rows, columns=["measure", "value", "target", "met", "counts"])
    frame["met"] = frame["met"].map({True: "yes", False: "NO — missed"}).fillna("")
    return frame


def quality_missed(quality: dict) -> list[str]:
    """The targets the links miss (names as in :func:`quality_frame`)."""
    frame = quality_frame(quality)
    return frame.loc[frame["met"] == "NO — missed", "measure"].tolist()


def run_notes(run: pd.Series) -> list[str]:
    """What went differently from the documented method in a run (normally nothing)."""
    return list(json.loads(run["notes"] or "[]"))


def import_section() -> None:
    """Upload decisions made elsewhere; validated like any upload, written all or nothing."""
    if (done := st.session_state.pop(keys.LINKAGE_IMPORT_RESULT, None)) is not None:
        st.success(f"Imported {done.rows:,} decision(s) from {done.file_name} (change set {done.change_set_id}) — "
                   "recorded in the audit log; undo it on the Audit log & undo page.")
    generation = st.session_state.get(keys.LINKAGE_IMPORT_GENERATION, 0)
    columns = ", ".join(LINK_DECISIONS.column_names)
    file = st.file_uploader(
        "Import reviewer decisions made elsewhere (CSV, TSV, TXT, Excel .xlsx or Parquet)", type=ui.UPLOAD_TYPES,
        key=f"{keys.LINKAGE_IMPORT_FILE}.{generation}",
        help=f"columns {columns}; decision is link, reject or not_in_balance_sheets")
    st.caption(f"Columns: {columns}. *link*: the contract's firm is firm_id; *reject*: firm_id is not it; "
               "*not_in_balance_sheets*: the firm is absent from the annual reports. The file is validated "
               "like any upload: all rows are imported or none.")
    with st.container(horizontal=True):
        clicked = st.button("Import decisions", disabled=file is None, key=keys.LINKAGE_IMPORT_BUTTON,
                            icon=":material/upload:")
        ui.download_frame(pd.DataFrame(columns=list(LINK_DECISIONS.column_names)), "link-decisions-template",
                          "Empty template (CSV)")
    if not clicked or file is None:
        return
    with st.spinner(f"Checking and importing {file.name}…"):
        result = linkage.import_decisions(ui.db(), file.name, file.getvalue(), ui.actor())
    if not result.written:
        ui.show_report(result.report, f"link-decisions-{file.name}")
        return
    st.session_state[keys.LINKAGE_IMPORT_RESULT] = result
    st.session_state[keys.LINKAGE_IMPORT_GENERATION] = generation + 1
    st.rerun()


# --- the Review queue page ---------------------------------------------------------------------

def queue(link_state: LinkState, include_none: bool) -> pd.DataFrame:
    """Contracts waiting for a reviewer (outcome review, and none if asked), oldest first."""
    wanted = ["review", "none"] if include_none else ["review"]
    final = link_state.final
    return final[final["outcome"].isin(wanted)].sort_values(["year", "contract_id"]).reset_index(drop=True)


def _code_names(table: str, code: str) -> dict[str, str]:
    frame = ui.read("table_frame", table)
    return {row[code]: f"{row[code]} {row['name']}" for _, row in frame.iterrows()}


def candidate_view(link_state: LinkState, contract_id: str) -> pd.DataFrame:
    """The contract's candidates beside what the balance sheets say of each firm, best first."""
    directory = ui.read_linkage("firm_directory")
    mine = link_state.candidates[link_state.candidates["contract_id"] == contract_id]
    view = mine.sort_values("rank").merge(directory, on="firm_id", how="left")
    return firm_rows(view).assign(
        rank=view["rank"].astype("int64").to_numpy(),
        match_probability=view["match_probability"].to_numpy(),
        matched_name=view["matched_name_variant"].to_numpy(),
        near_twin=view["twin_of_top"].fillna(False).astype(bool).to_numpy() & (view["rank"] > 1).to_numpy(),
        drivers=view["drivers"].to_numpy(),
    )[["rank", "firm_id", "match_probability", "matched_name", "name_variants", "sector", "region", "years",
       "business_group", "near_twin", "drivers"]]


def firm_rows(firms: pd.DataFrame) -> pd.DataFrame:
    """Firm-directory rows for reading: sector and region with their names, years active as "first–last"."""
    sectors, regions = _code_names("sectors", "sector"), _code_names("regions", "region")
    years = firms["first_year"].astype("Int64").astype(str) + "–" + firms["last_year"].astype("Int64").astype(str)
    return pd.DataFrame({
        "firm_id": firms["firm_id"].to_numpy(),
        "name_variants": firms["name_variants"].to_numpy(),
        "sector": firms["sector"].map(lambda s: sectors.get(s, s)).to_numpy(),
        "region": firms["region"].map(lambda r: regions.get(r, r)).to_numpy(),
        "years": years.to_numpy(),
        "business_group": firms["business_group"].to_numpy(),
    })


def md(text: object) -> str:
    """Text safe inside Markdown (names may hold *, _, |, brackets): its special characters escaped."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    out = str(text)
    for char in "\\`*_[]|<>#":
        out = out.replace(char, "\\" + char)
    return out


def candidate_table(view: pd.DataFrame) -> pd.DataFrame:
    """A :func:`candidate_view` as Markdown cells for ``st.table`` (wraps, so every column stays readable):
    the name variant that matched in bold, near-twins of the top candidate marked."""
    def names(row) -> str:
        variants = [f"**{md(v)}**" if v == row.matched_name else md(v)
                    for v in str(row.name_variants).split(" · ")]
        twin = " — *near-twin of #1*" if row.near_twin else ""
        return " · ".join(variants) + twin

    def where(row) -> str:
        known = (v for v in (row.sector, row.region, row.business_group) if v is not None and not pd.isna(v))
        return " · ".join(md(v) for v in known)

    return pd.DataFrame({
        "#": view["rank"].astype(str).to_numpy(),
        "firm": view["firm_id"].map(md).to_numpy(),
        "probability": view["match_probability"].map(lambda p: f"{p:.3f}").to_numpy(),
        "names across years (matched in bold)": [names(r) for r in view.itertuples()],
        "active": view["years"].to_numpy(),
        "sector · region · group": [where(r) for r in view.itertuples()],
        "what drove the score": view["drivers"].map(lambda d: md(d).replace("), ", "); ")).to_numpy(),
    })


def choice_label(choice: str, candidates: pd.DataFrame, picked: pd.DataFrame | None = None) -> str:
    """How one option of the review form reads."""
    if choice == NOT_IN:
        return "Not in the balance sheets (the firm is absent from the annual reports)"
    if choice == REJECT_ALL:
        return f"None of these: reject all {len(candidates)} shown"
    row = candidates[candidates["firm_id"] == choice]
    if not row.empty:
        r = row.iloc[0]
        return f"#{r['rank']}  {md(r['firm_id'])} · {md(r['matched_name'])} · p = {r['match_probability']:.3f}"
    if picked is not None and not picked.empty:
        found = picked.iloc[0]
        return f"{md(choice)} · {md(found['name_variants'])} · {found['years']} (picked from the search)"
    return str(choice)


def decision_rows(contract_id: str, choice: str, candidates: pd.DataFrame, note: str) -> pd.DataFrame:
    """The decisions one choice of the review form stands for (contract_id, decision, firm_id, note)."""
    note_ = note.strip() or None
    if choice == NOT_IN:
        rows = [(contract_id, "not_in_balance_sheets", None, note_)]
    elif choice == REJECT_ALL:
        rows = [(contract_id, "reject", firm, note_) for firm in candidates["firm_id"]]
    else:
        rows = [(contract_id, "link", choice, note_)]
    return pd.DataFrame(rows, columns=["contract_id", "decision", "firm_id", "note"], dtype=object)


def describe_decision(rows: pd.DataFrame) -> str:
    """One line for the toast after a decision."""
    first = rows.iloc[0]
    if first["decision"] == "link":
        return f"{first['contract_id']} linked to {first['firm_id']}"
    if first["decision"] == "not_in_balance_sheets":
        return f"{first['contract_id']}: not in the balance sheets"
    return f"{first['contract_id']}: rejected {', '.join(rows['firm_id'])}"


def queue_table(link_state: LinkState, items: pd.DataFrame) -> pd.DataFrame:
    """The table mode's rows: each queued contract beside its top candidate, decision "leave"."""
    contracts = ui.read("table_frame", "contracts").set_index("contract_id")
    top = link_state.candidates[link_state.candidates["rank"] == 1].set_index("contract_id")
    second = link_state.candidates[link_state.candidates["rank"] == 2].set_index("contract_id")
    directory = ui.read_linkage("firm_directory").set_index("firm_id")
    ids = items["contract_id"]
    top_firm = ids.map(top["firm_id"])
    return pd.DataFrame({
        "decision": LEAVE,
        "contract_id": ids,
        "firm_name": items["firm_name"],
        "year": items["year"],
        "foreign_firm": ids.map(contracts["foreign_firm"]),
        "top_firm_id": top_firm,
        "top_firm_names": top_firm.map(directory["name_variants"]),
        "top_years": top_firm.map(directory["first_year"].astype(str) + "–" + directory["last_year"].astype(str)),
        "match_probability": ids.map(top["match_probability"]),
        "runner_up": ids.map(second["matched_name_variant"]),
        "runner_up_probability": ids.map(second["match_probability"]),
        "note": "",
    })


def table_decisions(edited: pd.DataFrame) -> pd.DataFrame:
    """The rows of the table mode with a decision other than "leave", as link decisions."""
    chosen = edited[edited["decision"].isin([LINK_TOP, NOT_IN_TABLE, REJECT_TOP])]
    if chosen.empty:
        return pd.DataFrame(columns=["contract_id", "decision", "firm_id", "note"], dtype=object)
    decision = chosen["decision"].map({LINK_TOP: "link", NOT_IN_TABLE: "not_in_balance_sheets",
                                       REJECT_TOP: "reject"})
    firm = chosen["top_firm_id"].where(chosen["decision"] != NOT_IN_TABLE, None)
    note = chosen["note"].fillna("").astype(str).str.strip()
    return pd.DataFrame({"contract_id": chosen["contract_id"], "decision": decision, "firm_id": firm,
                         "note": note.where(note != "", None)}, dtype=object).reset_index(drop=True)


@st.cache_data(show_spinner=False, max_entries=64)
def _search(path: str, version: int, text: str) -> pd.DataFrame:
    directory = ui.read_linkage("firm_directory")
    return linkage.search_firms(directory, text)


def search(text: str) -> pd.DataFrame:
    """Firms whose id or a name variant contains ``text``, laid out like :func:`firm_rows`."""
    path, version = ui.data_key()
    return firm_rows(_search(path, version, text))


def firm(firm_id: str) -> pd.DataFrame:
    """One firm of the directory, laid out like :func:`firm_rows` (empty if unknown)."""
    directory = ui.read_linkage("firm_directory")
    return firm_rows(directory[directory["firm_id"] == firm_id])


def utc_now():
    """The time now as the database stamps decisions (UTC, without time zone)."""
    return now()


def decided_since(contract_id: str, since) -> str | None:
    """The reviewer of a decision on the contract stored at or after ``since`` (read from the
    database), None if there is none."""
    stored = linkage.decisions(ui.db())
    newer = stored[(stored["contract_id"] == contract_id) & (stored["decided_at"] >= since)]
    return None if newer.empty else str(newer["reviewer"].iloc[-1])


def contract(contract_id: str) -> pd.Series:
    contracts = ui.read("table_frame", "contracts")
    return contracts[contracts["contract_id"] == contract_id].iloc[0]


def contract_lines(row: pd.Series) -> list[str]:
    """The contract as a reviewer reads it: what was signed, with whom, when, and where it is filed."""
    def value(name: str) -> str:
        v = row.get(name)
        return "—" if v is None or pd.isna(v) or v == "" else md(v)
    foreign = value("foreign_firm") + (f" ({value('foreign_country')})" if value("foreign_country") != "—" else "")
    status = value("status")
    if status == "canceled":
        parts = [f"by {value('canceled_by')}" if value("canceled_by") != "—" else "",
                 value("cancel_year") if value("cancel_year") != "—" else "",
                 value("cancel_reason") if value("cancel_reason") != "—" else ""]
        status += " — " + ", ".join(p for p in parts if p) if any(parts) else ""
    return [f"**Contract** `{row['contract_id']}` · approved **{value('year')}**",
            f"**Foreign partner** {foreign}",
            f"**Type** {value('contract_type')} · **status** {status}",
            f"**Source** {value('source_ref')}"]
