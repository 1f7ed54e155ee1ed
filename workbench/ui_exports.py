"""UI helpers of the Exports page: every stored result (estimates and the quantitative model's runs) with its
provenance, "compare runs" (which settings, data or code differ between two stored results) and the label
editors of an exported table. Pure functions over :func:`workbench.exports.stored_results` rows and
:func:`workbench.quant.stored_runs` rows, plus one cached read."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from workbench import exports, quant, ui

#: result kind → its table (workbench.exports.table_layout); kinds not here (pooled η, policy runs) have none
KIND_WHAT = {"direct_effects": "event-study", "spillovers": "table1", "direct_effects_robustness": "robustness",
             quant.CALIBRATION: "calibration", quant.COUNTERFACTUALS: "counterfactuals"}
#: the columns of a stored result, shared by estimates and model runs
COLUMNS = ["estimate_id", "kind", "created_at", "links", "data_version", "settings", "result", "provenance"]
LABEL = "label in the export"


def model_run_rows(runs: pd.DataFrame, model: str) -> pd.DataFrame:
    """Stored runs of ``model`` (:func:`workbench.quant.stored_runs`) as stored-result rows: estimate_id ← run_id,
    kind ← model, settings ← parameters, links and data_version from the provenance."""
    provenance = runs["provenance"].map(lambda p: p or {})
    return pd.DataFrame({"estimate_id": runs["run_id"].astype("int64"), "kind": model, "created_at": runs["created_at"],
                         "links": provenance.map(lambda p: (p.get("links") or {}).get("source")),
                         "data_version": provenance.map(lambda p: p.get("data_version")),
                         "settings": runs["parameters"].map(lambda p: p or {}), "result": runs["result"],
                         "provenance": provenance}, columns=COLUMNS)


def all_results(estimates: pd.DataFrame, runs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The stored estimates and the model runs (``{model: stored_runs(db, model)}``) in one frame of
    :data:`COLUMNS`, newest first (ids come from one sequence, so an estimate and a run never share one)."""
    frames = [frame for frame in (estimates[COLUMNS], *(model_run_rows(r, m) for m, r in runs.items())) if len(frame)]
    if not frames:
        return estimates[COLUMNS]
    return pd.concat(frames, ignore_index=True).sort_values("estimate_id", ascending=False, ignore_index=True)


def kind_label(row: pd.Series) -> str:
    """The kind as listed: a calibration says whether it converged, a counterfactual or policy run which
    calibration it was made on."""
    if row["kind"] == quant.CALIBRATION:
        return f"{row['kind']} ({'converged' if row['result']['converged'] else 'did not converge'})"
    if row["kind"] in (quant.COUNTERFACTUALS, quant.POLICY):
        return f"{row['kind']} on calibration {row['settings']['calibration_run_id']}"
    return row["kind"]


def results_frame(stored: pd.DataFrame) -> pd.DataFrame:
    """One row per stored result: id, kind, time, links, data version, change sets (with file names and
    the first 12 hex digits of their SHA-256), code version."""
    def sources(p: dict) -> str:
        return "; ".join(f"{c['change_set_id']}: {c['kind']}" + (f" {c['file_name']} ({c['file_sha256'][:12]})"
                                                                  if c.get("file_name") else "")
                         for c in p.get("change_sets", []))
    return pd.DataFrame({
        "result": stored["estimate_id"].astype("int64"), "kind": stored.apply(kind_label, axis=1).astype(str),
        "created (UTC)": stored["created_at"].astype(str).str[:19], "links": stored["links"],
        "data version": stored["data_version"], "change sets": stored["provenance"].map(sources),
        "code": stored["provenance"].map(lambda p: (p.get("code_version") or {}).get("git_commit") or "not recorded"),
    })


def _flat(value, path: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _flat(item, f"{path}.{key}" if path else key).items()}
    return {path: value}


def compare_runs(a: pd.Series, b: pd.Series) -> pd.DataFrame:
    """What differs between stored results ``a`` and ``b`` (estimates or model runs): the kind, every setting,
    the change sets used (by id and file hash), the links, the data version, the code and package versions.
    Columns: what, item, a, b."""
    rows = [("result", "kind", a["kind"], b["kind"])] if a["kind"] != b["kind"] else []
    for what, left, right in (("setting", a["settings"] or {}, b["settings"] or {}),
                              ("links", a["provenance"].get("links") or {}, b["provenance"].get("links") or {}),
                              ("code", a["provenance"].get("code_version") or {}, b["provenance"].get("code_version") or {}),
                              ("package", a["provenance"].get("packages") or {}, b["provenance"].get("packages") or {})):
        fa, fb = _flat(left), _flat(right)
        rows += [(what, key, str(fa.get(key, "—")), str(fb.get(key, "—"))) for key in sorted(set(fa) | set(fb))
                 if fa.get(key) != fb.get(key)]
    sets = {r: {c["change_set_id"]: c for c in x["provenance"].get("change_sets", [])} for r, x in (("a", a), ("b", b))}
    for cid in sorted(set(sets["a"]) | set(sets["b"])):
        left, right = sets["a"].get(cid), sets["b"].get(cid)
        if left is None or right is None or left.get("file_sha256") != right.get("file_sha256"):
            def text(c):
                return "not used" if c is None else f"{c['kind']} {c.get('file_name') or ''} {c.get('file_sha256') or ''}".strip()
            rows.append(("data", f"change set {cid}", text(left), text(right)))
    if a["data_version"] != b["data_version"]:
        rows.append(("data", "data version", str(a["data_version"]), str(b["data_version"])))
    return pd.DataFrame(rows, columns=["what", "item", f"result {a['estimate_id']}", f"result {b['estimate_id']}"])


def renaming(names: Sequence[str], labels: Sequence[object]) -> dict[str, str]:
    """{name: new label} for the labels edited away from their names; a cleared label keeps the name."""
    return {name: label for name, label in zip(names, labels)
            if isinstance(label, str) and label.strip() and label != name}


def edit_labels(names: Sequence[str], what: str, key: str) -> dict[str, str]:
    """An editor with one row per name (the name, and its label in the export, editable); the renaming."""
    edited = st.data_editor(pd.DataFrame({what: list(names), LABEL: list(names)}), key=key, num_rows="fixed",
                            disabled=[what], hide_index=True, width="stretch")
    return renaming(names, edited[LABEL].tolist())


@st.cache_data(show_spinner=False, max_entries=8)
def _stored(path: str, version: int) -> pd.DataFrame:
    db = ui.open_db(path)
    return all_results(exports.stored_results(db), {model: quant.stored_runs(db, model) for model in quant.MODELS})


def stored() -> pd.DataFrame:
    return _stored(*ui.data_key())
