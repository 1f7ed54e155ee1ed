"""``python -m workbench``: the command line of the workbench.

Subcommands: ``init``, ``demo``, ``ingest``, ``status``, ``undo``, ``audit``,
``link``, ``links export|import``, ``direct-effects``, ``spillovers``, ``model simple``, ``quant solve|counterfactual``, ``export``, ``bundle``
and ``app``. Every command takes
``--db`` (else ``$WORKBENCH_DB``, else the per-user data folder). Errors print one
clear line to stderr and exit non-zero: 1 for rejected input, 2 for usage, 3 for
a storage failure, 4 for an unexpected error.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

from workbench import config

EXIT_REJECTED, EXIT_USAGE, EXIT_STORAGE, EXIT_INTERNAL = 1, 2, 3, 4


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m workbench", description=__doc__.splitlines()[0])
    parser.add_argument("--db", help=f"database file (default: ${config.DB_ENV} or {config.default_db_path()})")
    parser.add_argument("--user", default=None, help="name recorded in the audit log (default: $USER)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("init", help="create the database (schema only) if it does not exist")
    demo = sub.add_parser("demo", help="load the synthetic demo economy")
    demo.add_argument("--replace", action="store_true",
                      help="replace data already stored (archived; `undo` restores it)")
    demo.add_argument("--seed", type=int, default=None, help="seed of the demo generator")

    ingest = sub.add_parser("ingest", help="validate and load one file into one table")
    ingest.add_argument("--table", required=True, help="contracts, balance_sheets, regions, sectors, ...")
    ingest.add_argument("file", type=Path, help="CSV, TSV, XLSX or Parquet file")
    ingest.add_argument("--mode", choices=("append", "replace"), default="append")
    ingest.add_argument("--deflate", action="store_true",
                        help="values are nominal: multiply monetary columns by the deflator of their year")
    ingest.add_argument("--encoding", default=None, help="text encoding (default: detect UTF-8 / CP949)")
    ingest.add_argument("--dry-run", action="store_true", help="validate only; write nothing")

    status = sub.add_parser("status", help="row counts per table and the schema version")
    status.add_argument("--json", action="store_true", help="print JSON")
    sub.add_parser("undo", help="undo the newest change (ingest, edit, demo load)")
    audit = sub.add_parser("audit", help="print the audit log, newest first")
    audit.add_argument("--limit", type=int, default=50)
    audit.add_argument("--json", action="store_true", help="print JSON")
    link = sub.add_parser("link", help="link contracts to balance-sheet firms and print the summary")
    link.add_argument("--accept", type=float, default=None, help="auto-accept threshold (match probability)")
    link.add_argument("--review", type=float, default=None, help="review-queue threshold (match probability)")
    link.add_argument("--json", action="store_true", help="print JSON")
    link.add_argument("--settings-json", type=Path, default=None, metavar="FILE",
                      help="the full settings as JSON (e.g. a stored estimate's; other settings flags are ignored)")
    links = sub.add_parser("links", help="export or import link decisions")
    links_sub = links.add_subparsers(dest="links_command", required=True, metavar="ACTION")
    export = links_sub.add_parser("export", help="write every contract's link, score and decision")
    export.add_argument("file", type=Path, help="output .csv or .xlsx")
    imported = links_sub.add_parser("import", help="load reviewed decisions made elsewhere (validated)")
    imported.add_argument("file", type=Path, help="CSV/TSV/XLSX/Parquet with contract_id, decision, firm_id, note")
    direct = sub.add_parser("direct-effects", help="winners vs losers event study; stores the estimate and η")
    direct.add_argument("--outcome", default="log_sales",
                        help="log_sales, log_employment, log_assets, tfpr_cost_share, ... (default log_sales)")
    direct.add_argument("--k", type=int, default=3, help="winners matched to each loser (default 3)")
    direct.add_argument("--sigma", type=float, default=5.0, help="σ of η = exp(β_7/(σ−1)) (default 5)")
    direct.add_argument("--links", choices=("final", "truth"), default="final",
                        help="final links of the linkage, or the synthetic demo's true links")
    direct.add_argument("--json", action="store_true", help="print JSON")
    direct.add_argument("--settings-json", type=Path, default=None, metavar="FILE",
                        help="the full settings as JSON (e.g. a stored estimate's; other settings flags are ignored)")
    direct.add_argument("--robustness", action="store_true",
                        help="run and store the robustness panel of these settings (k = 1…5, other matching "
                             "variables, controls) instead of one estimate")
    direct.add_argument("--pool", type=int, default=None, metavar="PANEL_ID",
                        help="store η from the average β of --rows of stored robustness panel PANEL_ID")
    direct.add_argument("--rows", default=None, metavar="'VARIANT;VARIANT'",
                        help="with --pool: the panel's variants (its `variant` column), separated by ';'")
    spill = sub.add_parser("spillovers", help="local spillovers and complementarity (Table 1, long-difference IV); "
                                              "stores the estimate and δ")
    spill.add_argument("--panel", choices=("A", "B"), default=None, help="one panel only (default both)")
    spill.add_argument("--outcome", default="log_sales", help="Panel A: log_sales, tfpr_cost_share or tfpr_revenue_share")
    spill.add_argument("--radius", type=float, default=100.0, help="instrument radius in km (default 100)")
    spill.add_argument("--lag", type=int, default=2, help="years the adopter share is lagged (default 2)")
    spill.add_argument("--sigma", type=float, default=5.0, help="σ of δ = β/(σ−1) (default 5)")
    spill.add_argument("--preferred", default="iv_group_share", help="Panel A column δ comes from (default iv_group_share)")
    spill.add_argument("--complexes", type=Path, default=None,
                       help="region-level industrial-complex table (CSV/XLSX/Parquet: region, year, [sector], [tax_favor])")
    spill.add_argument("--links", choices=("final", "truth"), default="final",
                       help="final links of the linkage, or the synthetic demo's true links")
    spill.add_argument("--json", action="store_true", help="print JSON")
    spill.add_argument("--settings-json", type=Path, default=None, metavar="FILE",
                        help="the full settings as JSON (e.g. a stored estimate's; other settings flags are ignored)")
    model = sub.add_parser("model", help="the big-push models (no database needed)")
    models = model.add_subparsers(dest="model_command", required=True, metavar="MODEL")
    simple = models.add_parser("simple", help="the simple model (Section 4): steady states, multiplicity, "
                                              "threshold subsidies")
    for flag, meaning, paper in (("sigma", "elasticity of substitution σ (> 2)", "5"),
                                 ("theta", "Pareto shape θ (> σ − 1)", "4.24"),
                                 ("eta", "direct gain from adoption η (> 1)", "1.25"),
                                 ("delta", "spillover semi-elasticity δ (≥ 0)", "0.68")):
        simple.add_argument(f"--{flag}", type=float, default=None, help=f"{meaning}; default: the paper's {paper}")
    simple.add_argument("--scale", type=float, default=None, metavar="L_OVER_FT",
                        help="market size over the fixed adoption cost, L/F^T (default 10, a round number)")
    simple.add_argument("--lambda0", type=float, default=None,
                        help="initial adopter share for the threshold subsidies (default: S^Pre)")
    simple.add_argument("--json", action="store_true", help="print JSON")
    _add_quant_parser(sub)
    exported = sub.add_parser("export", help="write a stored result as a table, figure or data file")
    exported.add_argument("--what", required=True,
                          choices=("table1", "event-study", "robustness", "calibration", "counterfactuals", "figure1",
                                   "figure3", "figure4", "regional", "samples"))
    exported.add_argument("--format", required=True, dest="fmt",
                          choices=("latex", "md", "csv", "xlsx", "html", "dta", "parquet", "png", "svg"))
    exported.add_argument("--out", required=True, type=Path, help="output file (a figure also writes its data CSV)")
    exported.add_argument("--estimate", type=int, default=None,
                          help="stored estimate id, or model run id for calibration, counterfactuals, figure4 and "
                               "regional (default: the newest)")
    exported.add_argument("--sample", choices=("direct-effects", "panel", "table1-a", "table1-b"),
                          default="direct-effects",
                          help="with --what samples: the event study's sample or the linked firm-year panel")
    exported.add_argument("--links", choices=("final", "truth"), default="final", help="links of the panel")
    exported.add_argument("--label", action="append", default=[], metavar="OLD=NEW",
                          help="a table: rename a column header or row label (variable name) OLD to NEW; repeatable")
    for flag in ("eta", "delta", "sigma", "theta", "scale"):
        exported.add_argument(f"--{flag}", type=float, default=None,
                              help=f"with --what figure3: {flag} (default: the stored η / δ, else the paper's values)")
    bundle = sub.add_parser("bundle", help="write a replication bundle (raw files, tables, figures, manifest, "
                                           "rebuild script) as a zip")
    bundle.add_argument("out", type=Path, help="output .zip")
    app = sub.add_parser("app", help="open the app in the browser on this database")
    app.add_argument("--port", type=int, default=8501)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from storage.database import StorageError

    try:
        return COMMANDS[args.command](args)
    except StorageError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_STORAGE
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as err:  # never a bare traceback; WORKBENCH_DEBUG=1 shows it
        if os.environ.get("WORKBENCH_DEBUG"):
            raise
        print(f"error: unexpected {type(err).__name__}: {err} (set WORKBENCH_DEBUG=1 for details)",
              file=sys.stderr)
        return EXIT_INTERNAL


def _db(args):
    from workbench.services import open_database

    return open_database(config.resolve_db_path(args.db))


def _actor(args) -> str:
    return args.user or config.default_actor()


def cmd_init(args) -> int:
    db = _db(args)
    print(f"database ready at {db.path} (schema version {db.schema_version()})")
    return 0


def cmd_demo(args) -> int:
    from models.demo_economy import DemoSettings
    from workbench.services import load_demo

    settings = DemoSettings() if args.seed is None else DemoSettings(seed=args.seed)
    db = _db(args)
    change_set = load_demo(db, _actor(args), settings, replace=args.replace)
    print(f"loaded the synthetic demo economy into {db.path} (change set {change_set})")
    return 0


def cmd_ingest(args) -> int:
    from workbench.services import IngestRequest, check_upload, upload

    _require_file(args.file)
    request = IngestRequest(table=args.table, file_name=args.file.name, data=args.file.read_bytes(),
                            mode=args.mode, deflate=args.deflate, encoding=args.encoding,
                            actor=_actor(args))
    return _report_ingest((check_upload if args.dry_run else upload)(_db(args), request))


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise OSError(f"{path}: no such file")


def _report_ingest(result) -> int:
    """Print a loaded file's summary, or every problem of a rejected one (exit 1)."""
    if not result.report.ok:
        print(result.summary, file=sys.stderr)
        print(result.report.to_text(limit=None), file=sys.stderr)
        return EXIT_REJECTED
    print(result.summary)
    return 0


def cmd_status(args) -> int:
    from workbench.services import database_status

    status = database_status(_db(args))
    if args.json:
        print(json.dumps(status.as_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"database: {status.path} (schema version {status.schema_version})")
    if status.is_demo:
        print(f"SYNTHETIC DEMO DATA loaded {status.demo_loaded_at} "
              f"({status.changes_since_demo} change(s) since)")
    for table, rows in status.row_counts.items():
        print(f"  {table:<15} {rows:>9,d} rows")
    print(f"next undo: {status.next_undo or 'nothing to undo'}")
    return 0


def cmd_undo(args) -> int:
    from workbench.services import undo

    print(undo(_db(args), _actor(args)).summary)
    return 0


def cmd_audit(args) -> int:
    from workbench.services import audit_log

    log = audit_log(_db(args), limit=args.limit)
    if args.json:
        print(log.to_json(orient="records", date_format="iso", force_ascii=False))
        return 0
    for row in log.itertuples():
        print(f"{row.audit_id:>5}  {row.logged_at:%Y-%m-%d %H:%M:%S}  {row.actor:<12} {row.action:<7} {row.summary}")
    return 0


def cmd_app(args) -> int:
    app = Path(__file__).with_name("app.py")
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(args.port),
               "--", "--db", str(config.resolve_db_path(args.db))]
    return subprocess.call(command, cwd=app.parent.parent)  # where .streamlit/config.toml is


def cmd_link(args) -> int:
    from estimation.linkage import LinkageSettings
    from workbench import linkage

    overrides = {"accept": args.accept, "review": args.review}
    settings = dataclasses.replace(_settings(args, LinkageSettings) or LinkageSettings(),
                                   **{k: v for k, v in overrides.items() if v is not None})
    db = _db(args)
    run = linkage.run_linkage(db, _actor(args), settings)
    state = linkage.link_state(db)
    report = {"run": run.__dict__, "summary": linkage.summarize(state).__dict__,
              "quality": linkage.quality_against_truth(db, state)}
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        return 0
    print(linkage.format_report(report))
    return 0


def cmd_links(args) -> int:
    from workbench import linkage

    db = _db(args)
    if args.links_command == "export":
        frame = linkage.export_links(linkage.link_state(db))
        if args.file.suffix.lower() == ".xlsx":
            frame.to_excel(args.file, index=False)
        else:
            frame.to_csv(args.file, index=False, encoding="utf-8-sig")
        print(f"wrote {len(frame)} contract link(s) to {args.file}")
        return 0
    _require_file(args.file)
    return _report_ingest(linkage.import_decisions(db, args.file.name, args.file.read_bytes(), _actor(args)))


def cmd_direct_effects(args) -> int:
    from estimation.direct_effects import DirectEffectsSpec, EstimationError
    from workbench import direct_effects

    db = _db(args)
    if args.robustness or args.pool is not None:
        return _direct_effects_panel(args, db)
    try:
        spec = _settings(args, DirectEffectsSpec) or DirectEffectsSpec(outcome=args.outcome, k=args.k, sigma=args.sigma)
        estimate_id, result = direct_effects.estimate_direct_effects(db, spec, _actor(args), links=args.links)
    except EstimationError as err:  # the data or settings cannot support it: a plain message, exit 1
        print(f"error: {err}", file=sys.stderr)
        return EXIT_REJECTED
    stored = direct_effects.stored_estimates(db).set_index("estimate_id").loc[estimate_id]
    if args.json:
        print(json.dumps({"estimate_id": estimate_id, **stored["result"], "provenance": stored["provenance"]},
                         ensure_ascii=False, indent=2))
        return 0
    print(_format_direct_effects(estimate_id, stored["result"], stored["provenance"]))
    return 0


def _direct_effects_panel(args, db) -> int:
    """``direct-effects --robustness`` (run and store the panel) or ``--pool PANEL_ID --rows`` (store pooled η)."""
    from estimation.direct_effects import DirectEffectsSpec, EstimationError
    from workbench import direct_effects

    if args.robustness and args.pool is not None:
        raise ValueError("--robustness and --pool are separate steps: run the panel first, then pool its rows")
    if args.pool is not None and not args.rows:
        raise ValueError("--pool needs --rows: the panel's variants to average, separated by ';'")
    try:
        if args.robustness:
            spec = _settings(args, DirectEffectsSpec) or DirectEffectsSpec(outcome=args.outcome, k=args.k,
                                                                            sigma=args.sigma)
            estimate_id, _ = direct_effects.run_robustness(db, spec, _actor(args), links=args.links)
        else:
            rows = [row.strip() for row in args.rows.split(";") if row.strip()]
            estimate_id, _ = direct_effects.store_pooled_gain(db, args.pool, rows, _actor(args))
    except EstimationError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_REJECTED
    kind = direct_effects.ROBUSTNESS_KIND if args.robustness else direct_effects.POOLED_KIND
    stored = direct_effects.stored_estimates(db, kind).set_index("estimate_id").loc[estimate_id]
    result = stored["result"]
    if args.json:
        print(json.dumps({"estimate_id": estimate_id, **result, "provenance": stored["provenance"]},
                         ensure_ascii=False, indent=2))
    elif args.robustness:
        print(f"robustness panel of {result['outcome']}, β_{result['tau']} and η (σ = {result['sigma']:g}):")
        for row in result["rows"]:
            numbers = ("not identified: " + row["note"] if row["beta"] is None else
                       f"β {row['beta']:.4f} (se {row['se']:.4f}), N {row['N']}"
                       + (f", η {row['eta']:.4f}" if row["eta"] is not None else ""))
            print(f"  {row['variant']}: {numbers}")
        print(f"stored as estimate {estimate_id}; pool rows with `direct-effects --pool {estimate_id} --rows "
              "'k = 1;k = 2'`")
    else:
        print(f"η = {result['eta']:.4f} (se {result['eta_se']:.4f}) from {result['eta_note']}; σ = {result['sigma']:g}; "
              f"stored as estimate {estimate_id}")
    return 0


def _format_direct_effects(estimate_id: int, summary: dict, provenance: dict) -> str:
    links = provenance["links"]
    source = (f"final links of linkage run {links['run_id']}, {links['reviewer_decisions']} reviewer decision(s)"
              if links["source"] == "final" else "the demo's true links")
    lines = [f"direct effects on {summary['outcome']} ({source})"
             + ("  [SYNTHETIC DEMO DATA]" if provenance.get("synthetic_demo") else ""),
             f"losers {summary['losers']} · matches {summary['matches']} · firms {summary['firms']} · "
             f"N {summary['N']} · unmatched losers {summary['unmatched']} (reasons in --json)",
             f"{'τ':>4}  {'estimate':>9}  {'se':>8}  {'95% CI':^21}  {'p':>6}"]
    for row in summary["coefficients"]:
        if row["reference"]:
            lines.append(f"{row['event_time']:>4}  {0:>9.4f}  {'(reference)':>8}")
        else:
            lines.append(f"{row['event_time']:>4}  {row['estimate']:>9.4f}  {row['se']:>8.4f}  "
                         f"[{row['ci_low']:>8.4f}, {row['ci_high']:>8.4f}]  {row['p']:>6.3f}")
    if summary["not_identified"]:
        lines.append(f"not identified (no winner-loser comparison): τ = "
                     f"{', '.join(str(t) for t in summary['not_identified'])}")
    lines.append(f"pre-trend: {summary['pretrend']}")
    if summary["bootstrap_p"] is not None:
        boot = summary["bootstrap"]["rows"][0]
        lines.append(f"wild cluster bootstrap (by {boot['cluster']}, {boot['reps']} reps): "
                     f"β_{summary['bootstrap_tau']} p = {summary['bootstrap_p']:.3f}")
    if summary["eta"] is None:
        lines.append(f"η not available: {summary['eta_reason']}")
    else:
        lines.append(f"η = exp(β_{summary['eta_tau']}/(σ−1)) = {summary['eta']:.4f} (se {summary['eta_se']:.4f}), "
                     f"σ = {summary['sigma']:g}, from {summary['eta_note']}")
    lines.append(f"stored as estimate {estimate_id} (data version {provenance['data_version']})")
    return "\n".join(lines)


def cmd_model(args) -> int:
    from models import simple_big_push as sbp

    given = {name: getattr(args, name) for name in ("sigma", "theta", "eta", "delta", "scale")}
    origin = {name: "given" if value is not None else ("default" if name == "scale" else "paper")
              for name, value in given.items()}
    values = {name: value if value is not None else (sbp.DEFAULT_SCALE if name == "scale" else sbp.PAPER[name])
              for name, value in given.items()}
    try:
        report = sbp.analyze(sbp.SimpleModelSpec(**values), args.lambda0)
    except (sbp.ModelError, sbp.SolverError) as err:  # parameters outside the model, or a solver failed: say so
        print(f"error: {err}", file=sys.stderr)
        return EXIT_REJECTED
    if args.json:
        print(json.dumps({**report.as_dict(), "inputs_from": origin}, ensure_ascii=False, indent=2))
        return 0
    print(_format_simple_model(report, origin))
    return 0


def _format_simple_model(report, origin: dict[str, str]) -> str:
    from models.simple_big_push import KIND_LABELS

    symbols = {"sigma": "σ", "theta": "θ", "eta": "η", "delta": "δ", "scale": "L/F^T"}
    notes = {"paper": " (the paper's)", "default": " (default)", "given": ""}
    spec = report.spec
    lines = ["simple big-push model (Choi & Shim, Section 4)",
             "inputs: " + ", ".join(f"{symbols[k]} = {getattr(spec, k):g}{notes[origin[k]]}" for k in symbols),
             "steady states:"]
    for state in report.states.states:
        lines.append(f"  {state.label:<12} {state.share:<10.6g} {'stable' if state.stable else 'unstable':<9} "
                     f"slope {state.slope:.4g}" + ("  (every firm adopts)" if state.corner else ""))
    unstable = report.states.unstable
    lines.append(f"S^U: {unstable.share:.6g}" if unstable else "S^U: none (one steady state)")
    for interval in (report.delta, report.eta, report.scale):
        lines.append(f"{interval.symbol} interval with several steady states: "
                     + (f"[{interval.low:.6g}, {interval.high:.6g}] (fold at λ = {interval.fold_share:.4g})"
                        if interval.exists else interval.reason))
    lines.append(f"threshold subsidies from λ_0 = {report.lam0:.6g}:")
    for kind, found in report.thresholds.items():
        lines.append(f"  {KIND_LABELS[kind]}: " + (f"s̲ = {found.rate:.6g}" if found.rate else found.reason))
    return "\n".join([*lines, "", *report.verdict()])


def cmd_spillovers(args) -> int:
    import pandas as pd

    from estimation.spillovers import EstimationError, SpilloversSpec
    from workbench import spillovers

    complexes = None
    if args.complexes is not None:
        _require_file(args.complexes)
        suffix = args.complexes.suffix.lower()
        complexes = (pd.read_excel(args.complexes) if suffix == ".xlsx" else pd.read_parquet(args.complexes)
                     if suffix == ".parquet" else pd.read_csv(args.complexes, sep=None, engine="python"))
    db = _db(args)
    panels = (args.panel,) if args.panel else ("A", "B")
    try:
        spec = _settings(args, SpilloversSpec) or SpilloversSpec(outcome_a=args.outcome, radius_km=args.radius, lag=args.lag, sigma=args.sigma,
                              preferred=args.preferred)
        estimate_id, result = spillovers.estimate_spillovers(db, spec, _actor(args), links=args.links,
                                                             complexes=complexes,
                                                             complexes_name=getattr(args.complexes, "name", None),
                                                             panels=panels)
    except EstimationError as err:  # the data or settings cannot support it: a plain message, exit 1
        print(f"error: {err}", file=sys.stderr)
        return EXIT_REJECTED
    stored = spillovers.stored_spillovers(db).set_index("estimate_id").loc[estimate_id]
    summary = stored["result"]
    if args.json:
        columns = {panel: {key: {k: col[k] for k in ("label", "available", "note", "beta", "se", "p", "kp_f",
                                                     "effective_f", "anderson_rubin", "N", "clusters")}
                           for key, col in cols.items()} for panel, cols in summary["panels"].items()}
        print(json.dumps({"estimate_id": estimate_id, "columns": columns, "delta": summary["delta"],
                          "delta_se": summary["delta_se"], "delta_note": summary["delta_note"],
                          "sigma": summary["sigma"], "heterogeneity": summary["heterogeneity"],
                          "placebo": summary["placebo"], "counts": summary["counts"],
                          "provenance": stored["provenance"]}, ensure_ascii=False, indent=2))
        return 0
    from estimation.spillovers import table1_text

    demo = "  [SYNTHETIC DEMO DATA]" if stored["provenance"].get("synthetic_demo") else ""
    print(f"Table 1: local spillover and complementarity ({args.links} links){demo}")
    print(table1_text(result))
    if summary["delta"] is None:
        print(f"δ not available: {summary['delta_note']}")
    else:
        print(f"δ = β/(σ−1) = {summary['delta']:.4f} (se {summary['delta_se']:.4f}), σ = {summary['sigma']:g}, "
              f"from {summary['delta_note']}")
    print("KP-F under 10: weak instrument — read the Anderson–Rubin set, not the t-test.")
    print(f"stored as estimate {estimate_id} (data version {stored['provenance']['data_version']})")
    return 0


def _settings(args, cls):
    """The spec ``cls`` from ``--settings-json FILE`` (a stored estimate's settings), or None without it."""
    if getattr(args, "settings_json", None) is None:
        return None
    from workbench.exports import spec_from_settings

    _require_file(args.settings_json)
    return spec_from_settings(cls, json.loads(args.settings_json.read_text(encoding="utf-8")))


def cmd_export(args) -> int:
    from workbench import exports

    try:
        parameters = {name: getattr(args, name) for name in ("eta", "delta", "sigma", "theta", "scale")}
        files = exports.export(_db(args), args.what, args.fmt, estimate_id=args.estimate, sample=args.sample,
                               links=args.links, parameters=parameters, labels=exports.parse_labels(args.label))
    except exports.ExportError as err:  # nothing stored to export, or a format that does not apply
        print(f"error: {err}", file=sys.stderr)
        return EXIT_REJECTED
    for i, file in enumerate(files):
        # the data files are named after --out: <what>-data-A.csv -> <out stem>-data-A.csv
        rest = file.name[len(Path(files[0].name).stem):]
        path = args.out if i == 0 else args.out.with_name(f"{args.out.stem}{rest}")
        path.write_bytes(file.data)
        print(f"wrote {path}")
    return 0


def cmd_bundle(args) -> int:
    from workbench import bundle

    report = bundle.write_bundle(_db(args), args.out)
    print(report)
    return 0


QUANT_NOTE = ("built-in example economy, NOT calibrated to data: no figure here is the paper's or an estimate of "
              "Korea's; run `quant calibrate` for the model calibrated to the database")


def _add_quant_parser(sub) -> None:
    quant = sub.add_parser("quant", help="the quantitative model (Sections 5–6): calibrate it to the database, "
                                         "run counterfactuals and policy experiments (or try example economies)")
    commands = quant.add_subparsers(dest="quant_command", required=True, metavar="ACTION")
    calibrate = commands.add_parser("calibrate", help="calibrate by the method of moments (Table 2) and store it")
    calibrate.add_argument("--links", choices=("final", "truth"), default="final",
                           help="final links of the linkage, or the synthetic demo's true links")
    calibrate.add_argument("--years", default=None, help="calibration years, comma-separated (default 1972,1976,1980)")
    for flag, meaning in (("eta", "η (default: the latest stored direct-effects estimate)"),
                          ("delta", "δ (default: the latest stored spillover estimate)"),
                          ("xi", "ξ of heavy manufacturing (default: estimated from non-exporters' sales)"),
                          ("sigma", "σ (default 5, the paper's)"),
                          ("tax-rate", "corporate statutory tax rate of the first year (default 0.20, Table 2's)")):
        calibrate.add_argument(f"--{flag}", type=float, default=None, help=meaning)
    calibrate.add_argument("--max-evaluations", type=int, default=None, help="most model evaluations (default 300)")
    calibrate.add_argument("--hold-kappa", type=float, default=None, metavar="K",
                           help="hold the Pareto upper bound κ at K instead of searching it")
    calibrate.add_argument("--settings-json", type=Path, default=None, metavar="FILE",
                           help="the full settings as JSON (e.g. a stored calibration's; other flags are ignored)")
    solve = commands.add_parser("solve", help="the baseline path to its steady state (stored calibration or example)")
    cf = commands.add_parser("counterfactual", help="big push vs no big push (s = 0): Figure 4 series, Table 3, "
                                                    "welfare (stored calibration, stored as a run; or example)")
    policy = commands.add_parser("policy", help="general vs adoption subsidy, the welfare-maximising uniform subsidy "
                                                "and randomized allocations (stored calibration; stored as a run)")
    for p in (solve, cf, policy):
        p.add_argument("--calibration", type=int, default=None, metavar="RUN_ID",
                       help="stored calibration run (default: the newest)")
    for p in (solve, cf):
        p.add_argument("--example", choices=("random", "nested"), default=None,
                       help="an example economy instead of the stored calibration (no database): random: random_spec "
                            "(sector 0 heavy); nested: the one-region economy that nests the simple model")
        p.add_argument("--regions", type=int, default=3, help="random example: regions N (default 3)")
        p.add_argument("--sectors", type=int, default=2, help="random example: sectors J (default 2)")
        p.add_argument("--seed", type=int, default=0, help="random example: seed (default 0)")
    for p in (calibrate, solve, cf, policy):
        p.add_argument("--json", action="store_true", help="print JSON")
    cf.add_argument("--rate", type=float, default=0.2, help="example: subsidy rate in the policy periods (default 0.2)")
    cf.add_argument("--periods", default="1,2", help="example: policy periods, 1 = first (default 1,2)")
    cf.add_argument("--no-scenarios", action="store_true", help="calibration: skip Table 3 Panel C's scenarios")
    for p in (cf, policy):
        p.add_argument("--discount", type=float, default=None,
                       help="welfare discount factor per period (default: the paper's 0.85)")
    policy.add_argument("--draws", type=int, default=1000, help="randomized allocations (default 1000)")
    policy.add_argument("--seed", type=int, default=0, help="seed of the draws (default 0)")
    policy.add_argument("--workers", type=int, default=2, help="processes for the draws (default 2)")
    policy.add_argument("--s-max", type=float, default=0.5, help="uniform subsidy: highest rate searched (default 0.5)")
    policy.add_argument("--grid", type=int, default=21, help="uniform subsidy: grid points before refining (default 21)")
    policy.add_argument("--general-rate", type=float, default=None,
                        help="general subsidy's rate (default: the calibrated s̄)")


def _quant_example(args):
    from models import quantitative as qm
    from models import simple_big_push as sbp

    if args.example == "nested":
        p = sbp.PAPER
        spec = qm.nested_simple_spec(p["sigma"], p["theta"], p["eta"], p["delta"], sbp.DEFAULT_SCALE)
        return spec, qm.closed_fundamentals(spec), f"nested one-region economy (L/F^T = {sbp.DEFAULT_SCALE:g})"
    spec = qm.random_spec(args.regions, args.sectors, seed=args.seed)
    return (spec, qm.random_fundamentals(spec, seed=args.seed),
            f"random_spec(regions={args.regions}, sectors={args.sectors}, seed={args.seed})")


def _num_or_none(x):
    import math

    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def cmd_quant(args) -> int:
    from estimation.direct_effects import EstimationError
    from estimation.quant_inputs import QuantDataError
    from models import quantitative as qm
    from workbench import quant

    if args.quant_command in ("solve", "counterfactual") and args.example is not None:
        return _quant_example_run(args)
    db = _db(args)
    try:
        out = {"calibrate": _quant_calibrate, "solve": _quant_solve, "counterfactual": _quant_counterfactual,
               "policy": _quant_policy}[args.quant_command](db, args)
    except QuantDataError as err:
        print("error: the stored data cannot feed the model:\n" + "\n".join(f"  - {p}" for p in err.problems),
              file=sys.stderr)
        return EXIT_REJECTED
    except (EstimationError, quant.CalibrationNotUsable, qm.ModelError, qm.SolverError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_REJECTED
    text, payload, ok = out
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    else:
        print(text)
    return 0 if ok else EXIT_REJECTED


def _progress(fraction: float, message: str) -> None:
    print(f"  [{100 * fraction:5.1f} %] {message}", file=sys.stderr, flush=True)


def _quant_settings(args):
    from workbench import quant

    if args.settings_json is not None:
        return quant.QuantSettings.from_dict(json.loads(args.settings_json.read_text(encoding="utf-8")))
    given = {"links": args.links, "eta": args.eta, "delta": args.delta, "xi_heavy": args.xi,
             "fixed": {} if args.hold_kappa is None else {"kappa": args.hold_kappa}}
    if args.years:
        given["years"] = tuple(int(y) for y in args.years.split(",") if y.strip())
    for flag, name in (("sigma", "sigma"), ("tax_rate", "tax_rate"), ("max_evaluations", "max_evaluations")):
        if getattr(args, flag) is not None:
            given[name] = getattr(args, flag)
    return quant.QuantSettings(**given)


def _frame_text(frame) -> str:
    return frame.to_string(index=False, float_format=lambda v: f"{v:.4g}")


def _quant_calibrate(db, args):
    from workbench import quant

    settings = _quant_settings(args)
    run_id, result, _ = quant.calibrate(db, settings, _actor(args), progress=_progress)
    stored = quant.load_calibration(db, run_id)
    table = quant.table2(stored)
    state = "converged" if result.converged else "DID NOT CONVERGE"
    text = (f"calibration {run_id} stored ({state}: {result.message}; objective {result.objective:.3g}, "
            f"{result.evaluations} evaluations, {result.seconds:.0f} s)\n{_frame_text(table)}")
    payload = {"run_id": run_id, "converged": result.converged, "message": result.message,
               "objective": result.objective, "table2": table.to_dict("records"),
               "constraints": list(result.constraints), "settings": settings.as_dict(),
               "provenance": stored.provenance}
    return text, payload, result.converged


def _quant_solve(db, args):
    import pandas as pd

    from models import quantitative as qm
    from models.quantitative import counterfactuals as qc
    from workbench import quant

    stored = quant.usable_calibration(db, args.calibration)
    base, _ = qm.policy_fundamentals(stored.spec, stored.fundamentals, stored.schedule)
    path = qm.solve_path(stored.spec, base, stored.lam0, guess=stored.guess)
    heavy = (stored.summary["sectors"]["heavy"],)
    rows = [{"year": quant.period_year(stored, t), **{m: getattr(qc.measures(stored.spec, eq, heavy), m) for m in qm.MEASURES}}
            for t, eq in enumerate(path.equilibria, start=1)]
    frame = pd.DataFrame(rows)
    text = (f"calibration {stored.run_id}: the baseline (s̄ = {stored.subsidy_rate:.4f}) settles after {path.periods} "
            f"periods; heavy manufacturing's shares by period:\n{_frame_text(frame)}")
    return text, {"calibration_run_id": stored.run_id, "periods": path.periods, "path": rows}, True


def _quant_counterfactual(db, args):
    from models.quantitative.counterfactuals import PAPER_DISCOUNT
    from workbench import quant

    discount = PAPER_DISCOUNT if args.discount is None else args.discount
    run_id, summary = quant.run_counterfactuals(db, _actor(args), args.calibration, discount,
                                                scenarios=not args.no_scenarios, progress=_progress)
    parts = [f"counterfactual run {run_id} stored (calibration {summary['calibration_run_id']}, β = {discount:g})",
             "Table 3 Panel A (baseline − no big push):", _frame_text(quant.panel_a_frame(summary)),
             "Panel B (Δ output by sector, %):", _frame_text(quant.panel_b_frame(summary))]
    if summary.get("panel_c"):
        parts += ["Panel C (Δ heavy GDP share, p.p.):", _frame_text(quant.panel_c_frame(summary))]
    return "\n".join(parts), {"run_id": run_id, **{k: v for k, v in summary.items() if k != "time_paths"},
                              "time_paths": summary["time_paths"]}, True


def _quant_policy(db, args):
    import pandas as pd

    from models.quantitative.counterfactuals import PAPER_DISCOUNT
    from workbench import quant

    discount = PAPER_DISCOUNT if args.discount is None else args.discount
    run_id, summary = quant.run_policy(db, _actor(args), args.calibration, draws=args.draws, seed=args.seed,
                                       workers=args.workers, s_max=args.s_max, grid=args.grid,
                                       general_rate=args.general_rate, discount=discount, progress=_progress)
    best = summary["uniform"]["welfare"]
    text = "\n".join([
        f"policy run {run_id} stored (calibration {summary['calibration_run_id']})",
        _frame_text(pd.DataFrame(summary["comparison"])),
        f"uniform subsidy maximising welfare: s = {best['rate']:.4f} (ζ = {best['value']:.3f} %)",
        f"{args.draws} randomized allocations; OLS (HC1) of the outcomes on the standardised characteristics:",
        _frame_text(pd.DataFrame(summary["randomized"]["regression"]))])
    return text, {"run_id": run_id, **summary}, True


def _quant_example_run(args) -> int:
    import numpy as np

    from models import quantitative as qm
    from models.quantitative import counterfactuals as qc

    try:
        spec, fund, label = _quant_example(args)
        heavy = tuple(k for k in range(spec.n_sectors) if spec.adopting[k])
        if args.quant_command == "solve":
            path = qm.solve_path(spec, [fund], np.zeros((spec.n_regions, spec.n_sectors)))
            last = path.equilibria[-1]
            m = qc.measures(spec, last, heavy)
            out = {"example": label, "calibrated": False, "note": QUANT_NOTE, "periods": path.periods,
                   "steady_adopter_shares": path.steady.tolist(), "max_residual": last.max_residual,
                   "heavy_sectors": list(heavy), **{name: getattr(m, name) for name in qc.MEASURES}}
        else:
            periods = tuple(int(x) for x in args.periods.split(",") if x.strip())
            discount = qc.PAPER_DISCOUNT if args.discount is None else args.discount
            r = qc.counterfactual(spec, fund, qc.SubsidySchedule(args.rate, periods=periods), heavy=heavy,
                                  discount=discount)
            rows = [{k: _num_or_none(v) for k, v in row.items()} for row in r.steady_state_differences()]
            out = {"example": label, "calibrated": False, "note": QUANT_NOTE,
                   "schedule": {"rate": args.rate, "periods": list(periods), "sectors": list(heavy), "regions": "all"},
                   "horizon": r.horizon, "steady_state_differences": rows,
                   "welfare": {"aggregate": r.welfare.aggregate, "by_region": r.welfare.by_region.tolist(),
                               "discount": discount,
                               "discount_source": "the paper's" if args.discount is None else "given"},
                   "time_paths": r.time_paths()}
    except (qm.ModelError, qm.SolverError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_REJECTED
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    print(f"{out['example']}: {QUANT_NOTE}.")
    if args.quant_command == "solve":
        print(f"steady state after {out['periods']} periods (largest residual {out['max_residual']:.1e}); "
              f"heavy sector(s) {list(heavy)}:")
        for name in qc.MEASURES:
            print(f"  {name:<18} {100 * out[name]:8.3f} %")
        return 0
    print(f"subsidy {args.rate:g} in periods {list(periods)} on the adopting sector(s) {list(heavy)}, every region; "
          f"{r.horizon} periods")
    print(f"  {'measure':<18} {'baseline':>10} {'no push':>10} {'Δ (p.p.)':>10} {'regional Δ range (p.p.)':>26}")
    for row in rows[:-1]:
        rng = f"[{row['region_min_pp']:.3f}, {row['region_max_pp']:.3f}]" if row["region_min_pp"] is not None else "—"
        print(f"  {row['measure']:<18} {100 * row['baseline']:9.3f}% {100 * row['counterfactual']:9.3f}% "
              f"{row['difference_pp']:10.3f} {rng:>26}")
    w = rows[-1]
    print(f"  welfare (consumption equivalent, β = {discount:g}{' (the paper’s)' if args.discount is None else ''}): "
          f"{w['relative_pct']:.3f} %, regions [{w['region_min_pct']:.3f}, {w['region_max_pct']:.3f}] %")
    return 0


COMMANDS = {"init": cmd_init, "demo": cmd_demo, "ingest": cmd_ingest, "status": cmd_status,
            "undo": cmd_undo, "audit": cmd_audit, "app": cmd_app,
            "link": cmd_link, "links": cmd_links, "direct-effects": cmd_direct_effects, "model": cmd_model,
            "spillovers": cmd_spillovers, "export": cmd_export, "bundle": cmd_bundle,
            "quant": cmd_quant}
