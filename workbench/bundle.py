"""The replication bundle: one zip that lets anyone rebuild every stored number from the raw files.

:func:`write_bundle` (CLI ``python -m workbench bundle OUT.zip``, the Exports page) writes

- ``raw/``: the bytes of every uploaded file still in use, as uploaded (SHA-256 in the manifest);
- ``decisions/link-decisions.csv``: the reviewers' linkage decisions in force;
- ``settings/``: the linkage run's, every replayed estimate's and every calibration's settings as JSON
  (a calibration's with η and δ pinned at the values it used), and the industrial-complex table of a
  spillover estimate that used one (Parquet);
- ``tables/`` and ``figures/``: the exported tables (LaTeX, Markdown, CSV, XLSX, HTML) and figures
  (PNG, SVG, the data behind each as CSV) of the stored results, including the quantitative model's runs
  (Table 2 of each calibration, Table 3, Figure 4 and the regional charts of each counterfactual run);
- ``manifest.json``: provenance (change sets with hashes, settings, code and package versions, time),
  the replay steps, and every number of every replayed result and model run;
- ``rebuild.py``: rebuilds a fresh database from ``raw/`` through the CLI (``demo --seed``, ``ingest``
  in change-set order with their modes, ``link``, ``links import``, ``direct-effects`` /
  ``direct-effects --robustness`` / ``spillovers --settings-json [--complexes]``, ``direct-effects --pool``,
  then per calibration ``quant calibrate --settings-json`` followed by the ``quant counterfactual`` and
  ``quant policy`` runs made on it) and checks every number against the manifest within
  |a − b| ≤ 1e-9 + 1e-6·|b| (fixed-effect demeaning converges to 1e-10, so re-runs agree to ~1e-9
  relative, not bit for bit; the direct effects, the bootstrap p-values and the model runs reproduce
  exactly on the same machine). A calibration takes minutes, so a bundle with one rebuilds in minutes.

A result is replayed only if the bundle can reproduce it: its data and links must be the current
ones (nothing changed since it was computed), and it must be a kind the CLI runs (direct effects,
robustness panels, pooled η whose panel is replayed, spillovers, converged calibrations and the runs
made on them). The others are listed with the reason.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd

from storage.database import Database, now
from workbench import direct_effects as de
from workbench import export_tables as et
from workbench import exports, linkage, quant, spillovers

TOLERANCE = {"absolute": 1e-9, "relative": 1e-6}  # re-runs agree to ~1e-9 relative (demeaning tolerance 1e-10)
REPLAYED_KINDS = {de.KIND: "direct-effects", "spillovers": "spillovers", de.ROBUSTNESS_KIND: "direct-effects",
                  de.POOLED_KIND: "direct-effects"}
NOT_COMPARED = ["robustness_estimate_id"]  # an id: the rebuilt database numbers its results afresh
SCRIPT = Path(__file__).with_name("rebuild_script.py")


def numbers(value, path: str = "") -> dict[str, float]:
    """Every number in a stored result, keyed by its path ("coefficients/3/estimate"); booleans excluded."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in numbers(item, f"{path}/{key}" if path else str(key)).items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in numbers(item, f"{path}/{i}").items()}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {path: float(value)}
    return {}


def _change_sets(db: Database) -> pd.DataFrame:
    return db.query("SELECT change_set_id, kind, table_name, mode, file_name, file_sha256, file_bytes, encoding,"
                    " CAST(options AS VARCHAR) AS options, created_at FROM change_sets WHERE undone_by IS NULL"
                    " AND kind <> 'undo' ORDER BY change_set_id", doing="reading the change sets")


def _data_reason(db: Database, provenance: dict, latest_run_id: int | None, blockers: list[str]) -> str | None:
    """Why the bundle cannot rebuild the data and links a stored result used (None: it can)."""
    if de._changed_since(db, int(provenance["data_version"])):
        return "the data or links changed since it was computed"
    links = provenance.get("links") or {}
    if links.get("source") == "final" and links.get("run_id") != latest_run_id:
        return "it used an older linkage run"
    return blockers[0] if blockers else None


def _replay_reason(db: Database, row: pd.Series, latest_run_id: int | None, blockers: list[str],
                   rebuilt_ids: dict[int, int]) -> str | None:
    """Why the bundle cannot reproduce this stored estimate (None: it can)."""
    if row["kind"] not in REPLAYED_KINDS:
        return f"kind {row['kind']} has no CLI command to re-run it yet; its numbers are exported, not re-checked"
    panel = row["result"].get("robustness_estimate_id")
    if row["kind"] == de.POOLED_KIND and panel not in rebuilt_ids:
        return f"its robustness panel (estimate {panel}) is not replayed"
    complexes = row["provenance"].get("complexes")
    if complexes and "table" not in complexes:
        return "it used an industrial-complex file that an older version of the workbench did not keep"
    return _data_reason(db, row["provenance"], latest_run_id, blockers)


def _table_files(db: Database, row: pd.Series) -> dict[str, bytes]:
    kind, estimate_id = row["kind"], int(row["estimate_id"])
    what = {de.KIND: "event-study", "spillovers": "table1", de.ROBUSTNESS_KIND: "robustness"}.get(kind)
    if what is None:
        return {}
    layout = exports.table_layout(db, what, estimate_id)
    files = {f"tables/{what}-{estimate_id}.{et.EXTENSIONS[fmt]}": et.render(layout, fmt) for fmt in et.TABLE_FORMATS}
    if kind == de.KIND:
        chart = exports.event_study_figure(row)
        for fmt in exports.FIGURE_FORMATS:
            files[f"figures/event-study-{estimate_id}.{fmt}"] = exports.figure_bytes(chart, fmt)
        files[f"figures/event-study-{estimate_id}-data.csv"] = et.csv_bytes(exports.event_study_points(row["result"]))
    return files


def build_manifest(db: Database) -> tuple[dict, dict[str, bytes]]:
    """(manifest, files of the bundle other than the manifest and the script)."""
    files: dict[str, bytes] = {}
    steps: list[list[str]] = []
    change_sets, blockers = [], []
    for cs in _change_sets(db).itertuples():
        options = json.loads(cs.options or "{}")
        entry = {"change_set_id": int(cs.change_set_id), "kind": cs.kind, "table": cs.table_name, "mode": cs.mode,
                 "file_name": cs.file_name, "file_sha256": cs.file_sha256, "options": options,
                 "created_at": str(cs.created_at)[:19]}
        if cs.kind == "demo":
            if steps:
                blockers.append(f"the demo was loaded after change set {change_sets[0]['change_set_id']}")
            steps.append(["demo", "--seed", str(options["seed"])])
        elif cs.kind == "ingest" and cs.table_name != "link_decisions" and cs.file_bytes is not None:
            path = f"raw/{int(cs.change_set_id):04d}-{Path(cs.file_name).name}"
            files[path] = bytes(cs.file_bytes)
            entry["bundle_path"] = path
            steps.append(["ingest", "--table", cs.table_name, path, "--mode", cs.mode]
                         + (["--deflate"] if options.get("deflate") else []))
        elif cs.kind == "edit" and cs.table_name != "link_decisions":
            blockers.append(f"change set {int(cs.change_set_id)} is a hand edit of {cs.table_name}, which the bundle "
                            "cannot replay from raw files")
        change_sets.append(entry)
    run = linkage.latest_run(db)
    latest_run_id = None if run is None else int(run["run_id"])
    if run is not None:
        files["settings/linkage.json"] = json.dumps(json.loads(run["settings"]), indent=2).encode("utf-8")
        steps.append(["link", "--settings-json", "settings/linkage.json"])
    decisions = linkage.decisions(db)
    if len(decisions):
        files["decisions/link-decisions.csv"] = decisions[["contract_id", "decision", "firm_id", "note"]].to_csv(
            index=False).encode("utf-8")
        steps.append(["links", "import", "decisions/link-decisions.csv"])
    results, rebuilt_ids = [], {}  # stored id -> the id the rebuilt database gives it (replayed in id order)
    stored = exports.stored_results(db).sort_values("estimate_id")
    for _, row in stored.iterrows():
        estimate_id = int(row["estimate_id"])
        files.update(_table_files(db, row))
        reason = _replay_reason(db, row, latest_run_id, blockers, rebuilt_ids)
        entry = {"estimate_id": estimate_id, "kind": row["kind"], "created_at": str(row["created_at"])[:19],
                 "settings": row["settings"], "provenance": row["provenance"], "replayed": reason is None,
                 "not_replayed_because": reason,
                 "numbers": {k: v for k, v in numbers(row["result"]).items() if k not in NOT_COMPARED}}
        if reason is None and row["kind"] == de.POOLED_KIND:
            rebuilt_ids[estimate_id] = len(rebuilt_ids) + 1
            entry["step"] = len(steps)
            steps.append(["direct-effects", "--pool", str(rebuilt_ids[row["result"]["robustness_estimate_id"]]),
                          "--rows", ";".join(row["result"]["chosen"])])
        elif reason is None:
            rebuilt_ids[estimate_id] = len(rebuilt_ids) + 1
            settings_path = f"settings/estimate-{estimate_id}.json"
            files[settings_path] = json.dumps(row["settings"], indent=2).encode("utf-8")
            step = [REPLAYED_KINDS[row["kind"]], "--settings-json", settings_path,
                    "--links", row["provenance"]["links"]["source"]]
            if row["kind"] == de.ROBUSTNESS_KIND:
                step.insert(1, "--robustness")
            panels = sorted((row["result"].get("panels") or {}).keys())
            if row["kind"] == "spillovers" and len(panels) == 1:
                step += ["--panel", panels[0]]
            complexes = spillovers.stored_complexes(row["provenance"])
            if complexes is not None:
                complexes_path = f"settings/complexes-{estimate_id}.parquet"
                buffer = io.BytesIO()
                complexes.to_parquet(buffer, index=False)
                files[complexes_path] = buffer.getvalue()
                step += ["--complexes", complexes_path]
            entry["step"] = len(steps)
            steps.append(step)
        results.append(entry)
    model_runs = _model_runs(db, files, steps, latest_run_id, blockers)
    manifest = {"created_at": now().isoformat(sep=" ", timespec="seconds"), "code_version": de.code_version(),
                "packages": de._package_versions(), "tolerance": TOLERANCE,
                "not_compared": NOT_COMPARED, "model_not_compared": MODEL_NOT_COMPARED, "change_sets": change_sets,
                "linkage_run": None if run is None else {"run_id": latest_run_id, "settings": json.loads(run["settings"])},
                "link_decisions": int(len(decisions)), "warnings": blockers, "steps": steps, "results": results,
                "model_runs": model_runs}
    return manifest, files


MODEL_NOT_COMPARED = ["seconds", "calibration_run_id"]  # wall time; an id the rebuilt database numbers afresh


def _model_files(db: Database, model: str, run_id: int, files: dict[str, bytes]) -> None:
    """Table 2 of a calibration; Table 3, Figure 4 and the regional charts of a counterfactual run."""
    if model == quant.POLICY:
        return
    what, name = ("calibration", "table2-calibration") if model == quant.CALIBRATION else (
        "counterfactuals", "table3-counterfactuals")
    layout = exports.table_layout(db, what, run_id)
    files.update({f"tables/{name}-{run_id}.{et.EXTENSIONS[fmt]}": et.render(layout, fmt) for fmt in et.TABLE_FORMATS})
    if model == quant.COUNTERFACTUALS:
        for figure in ("figure4", "regional"):
            for fmt in exports.FIGURE_FORMATS:
                for f in exports.figure_files(db, figure, fmt, run_id):
                    files[f"figures/{f.name.replace(figure, f'{figure}-{run_id}', 1)}"] = f.data


def _calibration_settings(row: pd.Series) -> dict:
    """The calibration's settings with η and δ pinned at the values it used: "latest stored estimate" would
    mean another estimate in the rebuilt database if one was stored after the calibration."""
    spec = row["result"]["spec"]
    return row["parameters"] | {"eta": spec["eta"], "delta": spec["delta"]}


def _dependent_step(row: pd.Series) -> list[str]:
    """The CLI step that re-runs a counterfactual or policy run on the calibration replayed just before it."""
    p = row["parameters"]
    if row["model"] == quant.COUNTERFACTUALS:
        return ["quant", "counterfactual", "--discount", repr(p["discount"])] + ([] if p["scenarios"] else
                                                                                ["--no-scenarios"])
    return ["quant", "policy", "--discount", repr(p["discount"]), "--draws", str(p["draws"]), "--seed", str(p["seed"]),
            "--s-max", repr(p["s_max"]), "--grid", str(p["grid"]), "--general-rate", repr(p["general_rate"])]


def _model_runs(db: Database, files: dict[str, bytes], steps: list[list[str]], latest_run_id: int | None,
                blockers: list[str]) -> list[dict]:
    """The quantitative model's stored runs: their tables and figures added to ``files``; each converged
    calibration whose data the bundle rebuilds re-run (``quant calibrate --settings-json``), followed by the
    counterfactual and policy runs made on it (which then find it as the newest calibration); manifest entries
    in replay order, then the runs not replayed."""
    runs = quant.all_runs(db)
    replayed, skipped = [], []
    for _, cal in runs[runs["model"] == quant.CALIBRATION].iterrows():
        run_id = int(cal["run_id"])
        reason = ("it did not converge (counterfactuals refuse it; the bundle lists it, does not re-run it)"
                  if not cal["result"]["converged"] else _data_reason(db, cal["provenance"], latest_run_id, blockers))
        dependents = runs[runs["model"].isin([quant.COUNTERFACTUALS, quant.POLICY])
                          & (runs["parameters"].map(lambda p: p.get("calibration_run_id")) == run_id)]
        settings = f"settings/quant-calibration-{run_id}.json"
        files[settings] = json.dumps(_calibration_settings(cal), indent=2, ensure_ascii=False).encode("utf-8")
        for row in [cal, *(r for _, r in dependents.iterrows())]:
            _model_files(db, row["model"], int(row["run_id"]), files)
            entry = {"run_id": int(row["run_id"]), "model": row["model"], "created_at": str(row["created_at"])[:19],
                     "parameters": row["parameters"], "provenance": row["provenance"], "replayed": reason is None,
                     "not_replayed_because": reason if row["model"] == quant.CALIBRATION or reason is None
                     else f"its calibration {run_id} is not re-run: {reason}"}
            if row["model"] == quant.CALIBRATION:
                entry["settings_file"] = settings
            if reason is None:
                entry["step"] = len(steps)
                steps.append(["quant", "calibrate", "--settings-json", settings] if row["model"] == quant.CALIBRATION
                             else _dependent_step(row))
                entry["numbers"] = {k: v for k, v in numbers(row["result"]).items() if k not in MODEL_NOT_COMPARED}
            (replayed if reason is None else skipped).append(entry)
    return replayed + skipped


def write_bundle(db: Database, out: Path) -> str:
    """Write the bundle to ``out`` (a zip); returns a short report."""
    manifest, files = build_manifest(db)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        archive.writestr("rebuild.py", SCRIPT.read_text(encoding="utf-8"))
    replayed = sum(r["replayed"] for r in manifest["results"])
    replayed_runs = sum(r["replayed"] for r in manifest["model_runs"])
    skipped = [f"  estimate {r['estimate_id']} ({r['kind']}): {r['not_replayed_because']}"
               for r in manifest["results"] if not r["replayed"]]
    skipped += [f"  model run {r['run_id']} ({r['model']}): {r['not_replayed_because']}"
                for r in manifest["model_runs"] if not r["replayed"]]
    return "\n".join([f"wrote {out}: {len(files)} file(s), {len(manifest['results'])} stored result(s) and "
                      f"{len(manifest['model_runs'])} model run(s), {replayed + replayed_runs} re-run by rebuild.py",
                      *(["not re-run:", *skipped] if skipped else []), *[f"warning: {w}" for w in manifest["warnings"]]])
