"""rebuild.py of a replication bundle: rebuild a fresh database from the raw files and re-run every analysis.

Usage, in the unzipped bundle:  python rebuild.py [--workbench PATH_TO_WORKBENCH_CODE] [--db rebuilt.duckdb]
                                [--check-only]

It runs the manifest's steps through the workbench command line (``python -m workbench``): the demo
economy with its seed, every uploaded file in change-set order with its mode, the linkage with the
stored settings, the reviewers' decisions, then every replayed analysis with its stored settings, and
the quantitative model's calibrations each followed by the counterfactual and policy runs made on it
(a calibration takes minutes). It then compares every number of every re-run result and model run with
the manifest and exits 1 on any difference beyond the tolerance stated there. This file is copied
verbatim into each bundle.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workbench", type=Path, default=None, help="folder holding the workbench code")
    parser.add_argument("--db", type=Path, default=here / "rebuilt.duckdb", help="the new database (must not exist)")
    parser.add_argument("--check-only", action="store_true",
                        help="skip the rebuild; compare the numbers of the existing --db with the manifest")
    args = parser.parse_args()
    manifest = json.loads((here / "manifest.json").read_text(encoding="utf-8"))
    if args.db.exists() and not args.check_only:
        sys.exit(f"{args.db} exists already; the rebuild needs a fresh database")
    for entry in manifest["change_sets"]:
        if entry.get("bundle_path"):
            digest = hashlib.sha256((here / entry["bundle_path"]).read_bytes()).hexdigest()
            if digest != entry["file_sha256"]:
                sys.exit(f"{entry['bundle_path']}: SHA-256 {digest} differs from the manifest's {entry['file_sha256']}")
    env = dict(os.environ)
    if args.workbench is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(args.workbench.resolve()), env.get("PYTHONPATH", "")])
    for step in [] if args.check_only else manifest["steps"]:
        command = [sys.executable, "-m", "workbench", "--db", str(args.db), "--user", "replication", *step]
        print("$", " ".join(command[1:]) + ("   (a calibration: this takes minutes)" if step[:2] == ["quant", "calibrate"]
                                            else ""), flush=True)
        done = subprocess.run(command, cwd=here, env=env, capture_output=True, text=True, check=False)
        if done.returncode:
            sys.exit(f"step failed (exit {done.returncode}): {' '.join(step)}\n{done.stderr}")
    if args.workbench is not None:
        sys.path.insert(0, str(args.workbench.resolve()))
    from workbench import exports, quant, services
    from workbench.bundle import numbers

    db = services.open_database(args.db)
    rebuilt = exports.stored_results(db).sort_values("estimate_id")
    rebuilt_runs = [row for _, row in quant.all_runs(db).iterrows()]   # replayed in the manifest's order
    replayed = [r for r in manifest["results"] if r["replayed"]]
    replayed_runs = [r for r in manifest.get("model_runs", []) if r["replayed"]]
    if len(rebuilt) != len(replayed) or len(rebuilt_runs) != len(replayed_runs):
        sys.exit(f"the rebuild stored {len(rebuilt)} result(s) and {len(rebuilt_runs)} model run(s), the manifest "
                 f"replays {len(replayed)} and {len(replayed_runs)}")
    tol = manifest["tolerance"]
    problems, compared = [], 0

    def compare(name: str, expected: dict, result: dict, skipped: set) -> None:
        nonlocal compared
        got = {k: v for k, v in numbers(result).items() if k not in skipped}
        for key, value in expected.items():
            compared += 1
            if key not in got:
                problems.append(f"{name}: {key} missing")
            elif abs(got[key] - value) > tol["absolute"] + tol["relative"] * abs(value):
                problems.append(f"{name}: {key} = {got[key]!r}, bundle says {value!r}")
        problems.extend(f"{name}: {key} not in the bundle" for key in sorted(set(got) - set(expected)))

    for expected, (_, row) in zip(replayed, rebuilt.iterrows()):
        compare(f"estimate {expected['estimate_id']} ({expected['kind']})", expected["numbers"], row["result"],
                set(manifest.get("not_compared", [])))   # ids, which the rebuilt database numbers afresh
    for expected, row in zip(replayed_runs, rebuilt_runs):
        if row["model"] != expected["model"]:
            problems.append(f"model run {expected['run_id']}: the rebuild stored a {row['model']} run in its place")
            continue
        compare(f"model run {expected['run_id']} ({expected['model']})", expected["numbers"], row["result"],
                set(manifest.get("model_not_compared", [])))   # wall time, ids
    for line in problems[:50]:
        print("MISMATCH", line)
    print(f"compared {compared} number(s) of {len(replayed)} result(s) and {len(replayed_runs)} model run(s): "
          + ("all match" if not problems else f"{len(problems)} mismatch(es)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
