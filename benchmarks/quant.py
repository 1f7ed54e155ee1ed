"""Speed of the quantitative model (models/quantitative): run ``.venv/bin/python -m benchmarks.quant``.

Target (issue 7): one full path to the steady state with 86 regions and 4 sectors (the paper's size) in
under 2 s. The economy is ``random_spec(86, 4, fixed_adoption=5)`` with its random fundamentals, δ = 0.68 (the paper's
value), a subsidy of 0.2 in the heavy sector for two periods and then none, from λ_0 = 0. Also timed: one
static solve from a cold start and one evaluation of the static map, and the spec construction (which
converts the nested tuples once). Figures are the median (and slowest) of repeated runs.

``--draws K`` also times the randomized-allocation experiment (models/quantitative/policy.py, target: 1,000
draws at 86 × 4 in under 10 minutes on 2 cores): K draws of ``--subsidized`` regions (default 20) with the
same subsidy (0.2, periods 1–2), ``--workers`` processes (default 2); it prints the one-off setup (the
no-subsidy path and the seed Jacobian), seconds per draw and the implied total for 1,000 draws.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time

import numpy as np

from models import quantitative as qm

TARGET_PATH_SECONDS = 2.0
TARGET_DRAWS_SECONDS = 600.0   # 1,000 randomized-allocation counterfactuals
FIXED_ADOPTION = 5.0   # random_spec's 0.05 makes every firm adopt at 86 × 4 (a 3-period path): scaled up so
                       # that adopter shares are interior and the path has real dynamics


def timed(call, repeats: int) -> tuple[float, float, object]:
    """(median, max) wall seconds of ``call()`` over ``repeats`` runs, and the last result."""
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times), out


def economy(n: int, j: int, seed: int = 0, fixed_adoption: float = FIXED_ADOPTION):
    spec = qm.random_spec(n, j, seed=seed, fixed_adoption=fixed_adoption)
    sub = np.zeros((n, j))
    sub[:, 0] = 0.2
    subsidised = qm.random_fundamentals(spec, seed=seed, subsidy=sub)
    plain = qm.random_fundamentals(spec, seed=seed)
    return spec, [subsidised, subsidised, plain]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=86)
    parser.add_argument("--sectors", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--method", default="auto", choices=qm.METHODS)
    parser.add_argument("--fixed-adoption", type=float, default=FIXED_ADOPTION)
    parser.add_argument("--draws", type=int, default=0, help="also time K randomized allocations (0: skip)")
    parser.add_argument("--subsidized", type=int, default=20, help="regions subsidised per draw")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    n, j = args.regions, args.sectors
    t0 = time.perf_counter()
    spec, schedule = economy(n, j, fixed_adoption=args.fixed_adoption)
    build = time.perf_counter() - t0
    lam0 = np.zeros((n, j))
    w = np.ones(n)
    P = np.ones((n, j))
    E = np.full((n, j), 0.3)
    ev_med, ev_max, _ = timed(lambda: qm.evaluate(spec, schedule[-1], lam0, w, P, E), 20)
    st_med, st_max, eq = timed(lambda: qm.solve_static(spec, schedule[0], lam0, method=args.method), args.repeats)
    pa_med, pa_max, path = timed(lambda: qm.solve_path(spec, schedule, lam0, method=args.method), args.repeats)
    print(f"economy: {n} regions x {j} sectors, {n + 2 * n * j} unknowns; F^T = {args.fixed_adoption:g}; "
          f"method {args.method}")
    lam = path.steady[:, 0]
    print(f"steady-state adopter shares in the heavy sector: min {lam.min():.3f}, mean {lam.mean():.3f}, "
          f"max {lam.max():.3f}")
    print(f"spec and fundamentals built        {build * 1e3:9.1f} ms")
    print(f"one evaluation of the static map   {ev_med * 1e3:9.2f} ms (max {ev_max * 1e3:.2f})")
    print(f"one static solve, cold start       {st_med:9.3f} s  (max {st_max:.3f}; {eq.method}, "
          f"{eq.evaluations} evaluations, residual {eq.max_residual:.1e})")
    evals = sum(e.evaluations for e in path.equilibria)
    worst = max(e.max_residual for e in path.equilibria)
    print(f"one full path to the steady state  {pa_med:9.3f} s  (max {pa_max:.3f}; {path.periods} periods, "
          f"{evals} evaluations, largest residual {worst:.1e}, final change {path.change:.1e})")
    verdict = "meets" if pa_med < TARGET_PATH_SECONDS else "MISSES"
    print(f"target: path under {TARGET_PATH_SECONDS:g} s -> {verdict}")
    if args.draws:
        draws(spec, schedule[-1], args.draws, args.subsidized, args.workers)


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its finished child processes (the pool's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def draws(spec, fund, k: int, n_sub: int, workers: int) -> None:
    """Time K randomized allocations against one no-subsidy path (models/quantitative/policy.py)."""
    from models.quantitative import policy
    from models.quantitative.counterfactuals import SubsidySchedule

    t0 = time.perf_counter()
    setting = policy.prepare(spec, fund)
    setup = time.perf_counter() - t0
    schedule = SubsidySchedule(0.2, periods=(1, 2), regions=tuple(range(n_sub)))
    load_before = os.getloadavg()[0]
    t0, cpu0 = time.perf_counter(), time.process_time()
    policy.run(setting, schedule)
    one_cpu = time.process_time() - cpu0
    t0, cpu0 = time.perf_counter(), _cpu_seconds()
    out = policy.randomized_allocations(spec, fund, schedule, draws=k, workers=workers, setting=setting)
    elapsed, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
    load_after = os.getloadavg()[0]
    per_draw = elapsed / k
    total = setup + 1000 * per_draw
    welfare = np.array([row["welfare_pct"] for row in out.rows])
    gdp = np.array([row["gdp_share_pp"] for row in out.rows])
    periods = np.array([row["periods"] for row in out.rows])
    print(f"randomized allocations: {k} draws of {n_sub} regions, subsidy 0.2 in periods 1-2, {workers} workers")
    print(f"setup (no-subsidy path, seed Jacobian) {setup:9.2f} s")
    print(f"one draw in-process, CPU time          {one_cpu:9.3f} s  (machine load {load_before:.1f} before, "
          f"{load_after:.1f} after the draws, on {os.cpu_count()} cores)")
    print(f"{k} draws                         {elapsed:9.2f} s  ({per_draw:.3f} s per draw wall-clock; "
          f"{cpu / k:.3f} s CPU per draw, this process and its workers)")
    print(f"paths: {periods.min()}-{periods.max()} periods; welfare zeta {welfare.min():.3f}..{welfare.max():.3f} %; "
          f"steady-state GDP-share change {gdp.min():.2e}..{gdp.max():.2e} p.p.")
    verdict = "meets" if total < TARGET_DRAWS_SECONDS else f"MISSES by {total - TARGET_DRAWS_SECONDS:.0f} s"
    print(f"implied 1,000 draws incl. setup        {total:9.1f} s -> target {TARGET_DRAWS_SECONDS:g} s {verdict}")


if __name__ == "__main__":
    main()
