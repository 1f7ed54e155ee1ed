"""Direct-effects services: run the winners-vs-losers analysis on the stored data and keep it.

:func:`estimate_direct_effects` runs :func:`estimation.direct_effects.run_direct_effects` on
the stored tables with the final contract-to-firm links of the linkage (automatic links plus
reviewers' decisions) — or, on the synthetic demo only, with its true links, which separates
linkage error from estimation error — and stores the result as a named estimate in
``estimates`` (kind ``direct_effects``) with its provenance: the active change sets whose rows
were used (file names and SHA-256), the linkage run and reviewer decisions, the data version,
package versions and the time. One audit-log entry (action ``estimate``) is written with it.
The estimate is a record, not a versioned table: undoing data later leaves it stored, and
its ``data_version`` tells whether it is stale (:func:`latest_direct_gain`).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import subprocess
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from estimation.direct_effects import (DirectEffectsResult, DirectEffectsSpec, DirectGain, EstimationError,
                                       NotApplicable, run_direct_effects)
from estimation.direct_effects import robustness
from estimation.direct_effects.spec import CONTROLS
from storage.changes import record_audit
from storage.database import Database, StorageError, now
from storage.schema import table_spec
from workbench import linkage
from workbench.services import data_version, demo_truth

KIND = "direct_effects"
ROBUSTNESS_KIND = "direct_effects_robustness"
POOLED_KIND = "direct_gain_pooled"  # η from the average β of chosen robustness rows
LINK_SOURCES = ("final", "truth")
PACKAGES = ("pyfixest", "pandas", "numpy", "wildboottest")
NO_LINKAGE_RUN = "No linkage run exists yet: run `python -m workbench link` first (or use the demo's true links)."

__all__ = ["KIND", "LINK_SOURCES", "POOLED_KIND", "ROBUSTNESS_KIND", "StoredGain", "estimate_direct_effects",
           "estimation_sample", "latest_direct_gain", "result_summary", "run_robustness", "spec_settings",
           "store_pooled_gain", "stored_estimates"]


# ------------------------------------------------------------------------------------------- estimate

def estimate_direct_effects(db: Database, spec: DirectEffectsSpec, actor: str,
                            links: str = "final") -> tuple[int, DirectEffectsResult]:
    """Run the analysis on the stored data and store it; returns (estimate_id, result).

    ``links="final"`` uses the linkage's final links (needs a linkage run, else an
    EstimationError saying to run ``link`` first); ``links="truth"`` the demo's true links
    (synthetic demo only). Raises EstimationError (plain message) when the data cannot
    support the estimation; nothing is stored then.
    """
    inputs = _read_inputs(db, spec, links)
    result = run_direct_effects(spec, inputs.balance_sheets, inputs.contracts, inputs.links,
                                credit=inputs.credit, trade_fairs=inputs.trade_fairs)
    summary = result_summary(result)
    eta = "η not available" if summary["eta"] is None else f"η = {summary['eta']:.4f}"
    estimate_id = _store(db, KIND, spec_settings(spec), summary, inputs, actor,
                         f"{spec.outcome}, {summary['matches']} matches, N = {summary['N']}, {eta} ({links} links)")
    return estimate_id, result


def run_robustness(db: Database, spec: DirectEffectsSpec, actor: str, links: str = "final",
                   progress=None) -> tuple[int, pd.DataFrame]:
    """The robustness panel (:func:`estimation.direct_effects.run_robustness`: k = 1 … 5, other
    matching variables, credit and trade-fair controls) on the stored data; stored as an estimate
    of kind ``direct_effects_robustness``. Returns (estimate_id, table)."""
    inputs = _read_inputs(db, spec, links, controls=CONTROLS)
    table = robustness.run_robustness(spec, inputs.balance_sheets, inputs.contracts, inputs.links,
                                      credit=inputs.credit, trade_fairs=inputs.trade_fairs, progress=progress)
    identified = int(table["beta"].notna().sum())
    estimate_id = _store(db, ROBUSTNESS_KIND, spec_settings(spec),
                         {"tau": spec.eta_tau, "sigma": spec.sigma, "outcome": spec.outcome,
                          "rows": table.to_dict(orient="records")}, inputs, actor,
                         f"robustness panel of {spec.outcome}: {len(table)} specifications, β_{spec.eta_tau} "
                         f"identified in {identified} ({links} links)")
    return estimate_id, table


def store_pooled_gain(db: Database, robustness_id: int, chosen: list[str], actor: str) -> tuple[int, DirectGain]:
    """η from the average β across the chosen rows of stored robustness panel ``robustness_id``
    (:func:`estimation.direct_effects.pooled_gain`), stored as an estimate of kind ``direct_gain_pooled``
    with that panel's provenance; :func:`latest_direct_gain` then returns it."""
    stored = stored_estimates(db, ROBUSTNESS_KIND)
    row = stored[stored["estimate_id"] == robustness_id]
    if row.empty:
        raise EstimationError("bad_setting", f"There is no stored robustness panel {robustness_id}.")
    settings, result, provenance = row.iloc[0]["settings"], row.iloc[0]["result"], row.iloc[0]["provenance"]
    table = pd.DataFrame(result["rows"]).astype({"beta": float, "se": float})
    gain = robustness.pooled_gain(table, chosen, float(result["sigma"]))
    summary = {"outcome": result["outcome"], "sigma": gain.sigma, "eta": gain.eta, "eta_se": gain.se,
               "eta_beta": gain.beta_bar, "eta_beta_se": gain.beta_se, "eta_tau": result["tau"],
               "eta_note": gain.source, "robustness_estimate_id": robustness_id, "chosen": list(chosen)}
    with db.transaction("storing the pooled direct gain") as con:
        estimate_id = _insert_result(con, "estimates", POOLED_KIND, settings, summary, provenance)
        record_audit(con, actor, "estimate", f"direct gain {estimate_id}: η = {gain.eta:.4f} from the average "
                     f"β_{result['tau']} of {len(chosen)} specification(s) of robustness panel {robustness_id}",
                     table="estimates", details={"estimate_id": estimate_id, "kind": POOLED_KIND,
                                                 "robustness_estimate_id": robustness_id, "chosen": list(chosen)})
    return estimate_id, gain


@dataclass(frozen=True)
class _Inputs:
    balance_sheets: pd.DataFrame
    contracts: pd.DataFrame
    links: pd.DataFrame
    credit: pd.DataFrame | None
    trade_fairs: pd.DataFrame | None
    provenance: dict


def _read_inputs(db: Database, spec: DirectEffectsSpec, links: str, controls=None) -> _Inputs:
    """The stored tables the analysis needs (``controls``' tables too, default the spec's), the
    contract-to-firm links of source ``links`` and the provenance (change sets, links, data version)."""
    if links not in LINK_SOURCES:
        raise EstimationError("bad_setting", f"links must be 'final' or 'truth', not {links!r}.")
    version = data_version(db)
    if links == "final":
        run = linkage.latest_run(db)
        if run is None:
            raise EstimationError("no_linkage_run", NO_LINKAGE_RUN)
        state = linkage.link_state(db)
        link_frame = state.final[["contract_id", "firm_id"]]
        link_info = {"source": "final", "run_id": int(run["run_id"]),
                     "run_data_version": int(run["data_version"]),
                     "reviewer_decisions": int(len(linkage.decisions(db))),
                     "contracts_linked_by_reviewer": int((state.final["source"] == "reviewer").sum()),
                     "contracts_linked": int(state.final["firm_id"].notna().sum()),
                     "contracts": int(len(state.final))}
    else:
        _, truth = demo_truth(db)
        if truth.empty:
            raise EstimationError("no_true_links", "True links exist only for the synthetic demo economy, which "
                                                   "is not loaded; use the final links (--links final).")
        link_frame = truth
        link_info = {"source": "truth", "contracts_linked": int(truth["firm_id"].notna().sum()),
                     "contracts": int(len(truth))}

    used = ["balance_sheets", "contracts", *(spec.controls if controls is None else controls)]
    with db.connect("reading the data for the direct-effects analysis") as con:
        if _version(con) != version:
            raise StorageError("the data changed while the direct-effects analysis was reading it; run it again")
        tables = {name: con.execute(f"SELECT {', '.join(table_spec(name).column_names)} FROM {name}"
                                    " ORDER BY _row_id").df()  # a fixed order: results must not depend on scans
                  for name in used}
        change_sets = _active_change_sets(con, used + (["link_decisions"] if links == "final" else []))
    provenance = {"change_sets": change_sets, "links": link_info, "data_version": version,
                  "synthetic_demo": any(c["kind"] == "demo" for c in change_sets),
                  "packages": _package_versions(), "code_version": code_version(),
                  "computed_at": now().isoformat(sep=" ", timespec="seconds")}
    return _Inputs(tables["balance_sheets"], tables["contracts"], link_frame, tables.get("credit"),
                   tables.get("trade_fairs"), provenance)


def _store(db: Database, kind: str, settings: dict, summary: dict, inputs: _Inputs, actor: str, what: str) -> int:
    """Insert an estimate with its provenance (plus the actor) and its audit-log entry; returns its id."""
    return store_result(db, "estimates", kind, settings, summary, inputs.provenance, actor, what)


RESULT_TABLES = {"estimates": ("estimate", "estimate_id"), "model_runs": ("run", "run_id")}  # noun, id in the audit


def store_result(db: Database, table: str, kind: str, settings: dict, summary: dict, provenance: dict, actor: str,
                 what: str) -> int:
    """Insert a result into ``table`` (``estimates``, or ``model_runs`` for the quantitative model) with its
    provenance (plus the actor) and its audit-log entry; returns its id (one sequence for both tables)."""
    noun, id_key = RESULT_TABLES[table]
    provenance = provenance | {"actor": actor}
    with db.transaction(f"storing the {kind.replace('_', ' ')} {noun}") as con:
        result_id = _insert_result(con, table, kind, settings, summary, provenance)
        record_audit(con, actor, "estimate", f"{kind.replace('_', '-')} {noun} {result_id}: {what}", table=table,
                     details={id_key: result_id, "kind": kind, "links": (provenance.get("links") or {}).get("source"),
                              "data_version": provenance.get("data_version"), "settings": settings})
    return result_id


def _insert_result(con, table: str, kind: str, settings: dict, summary: dict, provenance: dict) -> int:
    result_id = int(con.execute("SELECT nextval('result_seq')").fetchone()[0])
    con.execute(f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?)",
                [result_id, kind, _dumps(settings), _dumps(summary), _dumps(provenance), now()])
    return result_id


def _version(con) -> int:
    return int(con.execute("SELECT coalesce(max(audit_id), 0) FROM audit_log").fetchone()[0])


def _active_change_sets(con, tables: list[str]) -> list[dict]:
    """The change sets whose rows are in ``tables`` now (undone ones excluded), with the tables each fed."""
    fed: dict[int, list[str]] = {}
    for table in tables:
        for (batch,) in con.execute(f"SELECT DISTINCT _batch_id FROM {table}").fetchall():
            fed.setdefault(int(batch), []).append(table)
    if not fed:
        return []
    frame = con.execute(
        "SELECT change_set_id, kind, table_name, mode, file_name, file_sha256, actor, created_at FROM change_sets"
        " WHERE undone_by IS NULL AND change_set_id IN (SELECT unnest(?::BIGINT[])) ORDER BY change_set_id",
        [sorted(fed)]).df()
    return [{"change_set_id": int(row.change_set_id), "kind": row.kind, "tables": fed[int(row.change_set_id)],
             "mode": _plain(row.mode), "file_name": _plain(row.file_name), "file_sha256": _plain(row.file_sha256),
             "actor": row.actor, "created_at": row.created_at.isoformat(sep=" ", timespec="seconds")}
            for row in frame.itertuples()]


@functools.cache
def code_version() -> dict[str, str | None]:
    """The workbench code that computes an estimate: the git commit of its folder (``git rev-parse HEAD``,
    with ``dirty`` when files differ from it) if it is a git checkout, and the package version."""
    root = Path(__file__).resolve().parents[1]
    try:
        package = metadata.version("bigpush-workbench")
    except metadata.PackageNotFoundError:  # run from a checkout: the version in pyproject.toml
        try:
            package = tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            package = None
    commit = dirty = None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip() or None
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                capture_output=True, text=True, timeout=10, check=True).stdout
        dirty = bool(status.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return {"git_commit": commit, "git_dirty": dirty, "package_version": package}


def _package_versions() -> dict[str, str | None]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


# ------------------------------------------------------------------------------------------- summaries

def spec_settings(spec: DirectEffectsSpec) -> dict:
    """The spec as JSON-ready settings; ``DirectEffectsSpec(**settings)`` rebuilds it (tuples as lists)."""
    return _plain(dataclasses.asdict(spec))


def _test(test) -> dict:
    if isinstance(test, NotApplicable):
        return {"name": test.name, "applies": False, "reason": test.reason, "text": str(test)}
    return {"name": test.name, "applies": True, "null": test.null, "stat": test.stat, "p_value": test.p_value,
            "df": list(test.df), "distribution": test.distribution, "text": str(test)}


def result_summary(result: DirectEffectsResult) -> dict:
    """What is stored as an estimate's ``result``: the core's summary (outcome, counts, ``beta``,
    ``pretrend`` text, ``eta``/``eta_se``/``eta_note``) plus the coefficient table, the structured
    pre-trend test, the wild bootstrap, η's β̄, the unmatched losers with reasons, sample sizes and
    event counts. JSON-ready (NaN → null)."""
    fit, spec = result.fit, result.spec
    summary = result.summary()
    coefficients = fit.coefficients.drop(columns="term").to_dict(orient="records")
    if isinstance(result.bootstrap, NotApplicable):
        bootstrap, boot_p, boot_tau = {"applies": False, "reason": result.bootstrap.reason}, None, None
    else:
        rows = result.bootstrap.drop(columns="term").to_dict(orient="records")
        bootstrap = {"applies": True, "rows": rows}
        boot_p, boot_tau = (rows[0]["p_bootstrap"], rows[0]["event_time"]) if rows else (None, None)
    gain = result.gain
    summary.update({
        "eta_tau": spec.eta_tau,
        "eta_reason": gain.reason if isinstance(gain, NotApplicable) else None,
        "eta_beta": getattr(gain, "beta_bar", None), "eta_beta_se": getattr(gain, "beta_se", None),
        "coefficients": coefficients,
        "not_identified": list(fit.not_identified),
        "pretrend_test": _test(fit.pretrend),
        "bootstrap": bootstrap, "bootstrap_tau": boot_tau, "bootstrap_p": boot_p,
        "clusters": fit.clusters, "df_t": fit.df_t,
        "singletons_dropped": fit.singletons_dropped, "missing_outcome_dropped": fit.missing_outcome_dropped,
        "unmatched_losers": result.matching.unmatched[["firm_id", "event_year", "reason"]].to_dict(orient="records"),
        "counts": dataclasses.asdict(result.counts),
        "sample_sizes": result.sample_sizes.to_dict(orient="records"),
        "cancellation_test": _test(result.cancellation_test),
    })
    return _plain(summary)


def _plain(value):
    """JSON-ready: numpy scalars → Python, NaN/NA → None, tuples → lists, keys → str."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    return value


def _dumps(value) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, allow_nan=False)


# ------------------------------------------------------------------------------------------- stored

def stored_estimates(db: Database, kind: str | tuple[str, ...] = KIND) -> pd.DataFrame:
    """Stored estimates of ``kind`` (one or several), newest first: estimate_id, kind, created_at,
    outcome, matches, N, eta, links, data_version, and settings / result / provenance as dicts."""
    kinds = [kind] if isinstance(kind, str) else list(kind)
    frame = db.query("SELECT estimate_id, kind, created_at, CAST(settings AS VARCHAR) AS settings,"
                     " CAST(result AS VARCHAR) AS result, CAST(provenance AS VARCHAR) AS provenance"
                     " FROM estimates WHERE list_contains(?::VARCHAR[], kind) ORDER BY estimate_id DESC", [kinds],
                     doing="reading stored estimates")
    for column in ("settings", "result", "provenance"):
        frame[column] = frame[column].map(lambda text: None if text is None else json.loads(text))
    result = frame["result"].map(lambda r: r or {})
    provenance = frame["provenance"].map(lambda p: p or {})
    frame.insert(3, "outcome", result.map(lambda r: r.get("outcome")))
    frame.insert(4, "matches", result.map(lambda r: r.get("matches")))
    frame.insert(5, "N", result.map(lambda r: r.get("N")))
    frame.insert(6, "eta", result.map(lambda r: r.get("eta")))
    frame.insert(7, "links", provenance.map(lambda p: (p.get("links") or {}).get("source")))
    frame.insert(8, "data_version", provenance.map(lambda p: p.get("data_version")))
    return frame


@dataclass(frozen=True)
class StoredGain:
    """η of a stored direct-effects estimate, for the model pages. ``eta`` is None (with ``note``
    giving the reason) when that estimate could not identify it; ``stale`` when the data changed since."""

    estimate_id: int
    eta: float | None
    eta_se: float | None
    beta: float | None
    sigma: float
    note: str                 # which coefficient makes β̄, or why η is not available (the reason alone)
    outcome: str
    created_at: str
    links: str
    data_version: int
    stale: bool
    synthetic_demo: bool
    sources: tuple[str, ...]  # the change sets used, e.g. "change set 1: demo"

    def describe(self) -> str:
        return describe_stored("η", self.eta, self.eta_se, self)


def latest_direct_gain(db: Database) -> StoredGain | None:
    """η of the latest stored direct-effects estimate or pooled direct gain (:func:`store_pooled_gain`)
    with its provenance summary; None if none is stored."""
    stored = stored_estimates(db, (KIND, POOLED_KIND))
    if stored.empty:
        return None
    row = stored.iloc[0]
    result = row["result"]
    return StoredGain(estimate_id=int(row["estimate_id"]), eta=result.get("eta"), eta_se=result.get("eta_se"),
                      beta=result.get("eta_beta"), sigma=float(result.get("sigma")),
                      note=result.get("eta_reason") or result.get("eta_note") or "",
                      outcome=result.get("outcome"), **provenance_summary(db, row))


def provenance_summary(db: Database, row: pd.Series) -> dict:
    """What the model pages show of a stored estimate's provenance: created_at, links, data_version,
    stale (the data changed since), synthetic_demo and sources ("change set 1: demo", …)."""
    provenance = row["provenance"]
    version = int(provenance.get("data_version", 0))
    sources = tuple(f"change set {c['change_set_id']}: {c['kind']}" + (f" {c['file_name']}" if c.get("file_name") else "")
                    for c in provenance.get("change_sets", []))
    return {"created_at": str(row["created_at"])[:19], "links": (provenance.get("links") or {}).get("source", "?"),
            "data_version": version, "stale": _changed_since(db, version),
            "synthetic_demo": bool(provenance.get("synthetic_demo")), "sources": sources}


def describe_stored(symbol: str, value: float | None, se: float | None, stored) -> str:
    """One line for a stored parameter (η or δ) and where it came from, e.g. "η = 1.1369 (se 0.0096),
    σ = 5 — estimate 4 of 2026-11-22 16:27:58: β_7 of log_sales; truth links; change set 1: demo"."""
    text = (f"{symbol} not available" if value is None
            else f"{symbol} = {value:.4f}" + ("" if se is None else f" (se {se:.4f})"))
    flags = (" · SYNTHETIC DEMO" if stored.synthetic_demo else "") + (" · data changed since" if stored.stale else "")
    return (f"{text}, σ = {stored.sigma:g} — estimate {stored.estimate_id} of {stored.created_at}: {stored.note}; "
            f"{stored.links} links; {', '.join(stored.sources) or 'no data'}{flags}")


def _changed_since(db: Database, version: int) -> bool:
    """Whether any change other than storing estimates was logged after data version ``version``."""
    later = db.query("SELECT count(*) AS n FROM audit_log WHERE audit_id > ? AND action <> 'estimate'",
                     [version], doing="reading the audit log")
    return bool(later.iloc[0, 0])


# ------------------------------------------------------------------------------------------- sample

def estimation_sample(result: DirectEffectsResult) -> pd.DataFrame:
    """The stacked estimation sample exactly as regressed (after dropping missing outcomes and
    singleton fixed-effect groups), one row per match × firm × year: match_id, firm_id, year,
    event_year, event_time, role, winner, the outcome (named as in the spec), any controls, and
    the regressors D^τ × Winner as tau_m5 … tau_p7 (only the estimated ones; τ = reference omitted).
    Stata: ``reghdfe <outcome> tau_*, absorb(match_id#firm_id match_id#year) vce(cluster match_id firm_id)``
    (encode the string ids first)."""
    fit, spec = result.fit, result.spec
    sample = fit.sample
    roles = result.stacked.loc[sample.index, ["role", "event_year"]]
    terms = [c for c in fit.coefficients.loc[~fit.coefficients["reference"], "term"] if c in sample]
    frame = pd.concat([sample[["match_id", "firm_id", "year"]], roles,
                       sample[["event_time", "winner", spec.outcome, *spec.controls, *terms]]], axis=1)
    frame = frame[["match_id", "firm_id", "year", "event_year", "event_time", "role", "winner", spec.outcome,
                   *spec.controls, *terms]]
    frame[terms] = frame[terms].astype("int64")
    return frame.reset_index(drop=True)
