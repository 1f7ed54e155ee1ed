"""rebuild.py of a replication bundle: rebuild a fresh database from the raw files and re-run every analysis.

Usage, in the unzipped bundle:  python rebuild.py [--workbench PATH_TO_WORKBENCH_CODE] [--db rebuilt.duckdb]
                                [--check-only]

It runs the manifest's steps through the workbench command line (``python -m workbench``): the demo
economy with its seed, every uploaded file in change-set order with its mode, the linkage with the
stored settings, the reviewers' decisions, then every replayed analysis with its stored settings.
It then compares every number of every re-run result with the manifest and exits 1 on any difference
beyond the tolerance stated there. This file is copied verbatim into each bundle.
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
        print("$", " ".join(command[1:]), flush=True)
        done = subprocess.run(command, cwd=here, env=env, capture_output=True, text=True, check=False)
        if done.returncode:
            sys.exit(f"step failed (exit {done.returncode}): {' '.join(step)}\n{done.stderr}")
    if args.workbench is not None:
        sys.path.insert(0, str(args.workbench.resolve()))
    from workbench import exports, services

    rebuilt = exports.stored_results(services.open_database(args.db)).sort_values("estimate_id")
    replayed = [r for r in manifest["results"] if r["replayed"]]
    if len(rebuilt) != len(replayed):
        sys.exit(f"the rebuild stored {len(rebuilt)} result(s), the manifest replays {len(replayed)}")
    tol = manifest["tolerance"]
    problems, compared = [], 0
    from workbench.bundle import numbers

    skipped = set(manifest.get("not_compared", []))  # ids, which the rebuilt database numbers afresh
    for expected, (_, row) in zip(replayed, rebuilt.iterrows()):
        got = {k: v for k, v in numbers(row["result"]).items() if k not in skipped}
        for key, value in expected["numbers"].items():
            compared += 1
            if key not in got:
                problems.append(f"estimate {expected['estimate_id']} ({expected['kind']}): {key} missing")
            elif abs(got[key] - value) > tol["absolute"] + tol["relative"] * abs(value):
                problems.append(f"estimate {expected['estimate_id']} ({expected['kind']}): {key} = {got[key]!r}, "
                                f"bundle says {value!r}")
        extra = sorted(set(got) - set(expected["numbers"]))
        problems += [f"estimate {expected['estimate_id']}: {key} not in the bundle" for key in extra]
    for line in problems[:50]:
        print("MISMATCH", line)
    print(f"compared {compared} number(s) of {len(replayed)} result(s): "
          + ("all match" if not problems else f"{len(problems)} mismatch(es)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
