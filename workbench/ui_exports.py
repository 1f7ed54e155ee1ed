"""UI helpers of the Exports page: the stored results with their provenance, and "compare runs"
(which settings, data or code differ between two stored results). Pure functions over
:func:`workbench.exports.stored_results` rows, plus one cached read."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench import exports, ui

KIND_WHAT = {"direct_effects": "event-study", "spillovers": "table1", "direct_effects_robustness": "robustness"}


def results_frame(stored: pd.DataFrame) -> pd.DataFrame:
    """One row per stored result: id, kind, time, links, data version, change sets (with file names and
    the first 12 hex digits of their SHA-256), code version."""
    def sources(p: dict) -> str:
        return "; ".join(f"{c['change_set_id']}: {c['kind']}" + (f" {c['file_name']} ({c['file_sha256'][:12]})"
                                                                  if c.get("file_name") else "")
                         for c in p.get("change_sets", []))
    return pd.DataFrame({
        "result": stored["estimate_id"].astype("int64"), "kind": stored["kind"],
        "created (UTC)": stored["created_at"].astype(str).str[:19], "links": stored["links"],
        "data version": stored["data_version"], "change sets": stored["provenance"].map(sources),
        "code": stored["provenance"].map(lambda p: (p.get("code_version") or {}).get("git_commit") or "not recorded"),
    })


def _flat(value, path: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _flat(item, f"{path}.{key}" if path else key).items()}
    return {path: value}


def compare_runs(a: pd.Series, b: pd.Series) -> pd.DataFrame:
    """What differs between stored results ``a`` and ``b``: every setting, the change sets used (by id and
    file hash), the links, the data version, the code and package versions. Columns: what, item, a, b."""
    rows = []
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


@st.cache_data(show_spinner=False, max_entries=8)
def _stored(path: str, version: int) -> pd.DataFrame:
    return exports.stored_results(ui.open_db(path))


def stored() -> pd.DataFrame:
    return _stored(*ui.data_key())
