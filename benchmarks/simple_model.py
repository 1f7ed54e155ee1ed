"""Speed of the simple big-push model (models/simple_big_push): run ``.venv/bin/python -m benchmarks.simple_model``.

Targets (issue 6): every steady state of one parameter set under 50 ms; the panel-B grid of the number
of steady states at 200 × 200 (δ, η) points under 3 s. Also timed: one static solve, the map on the
page's 401-point grid, the full analysis the page and the CLI show (steady states, the δ, η and L/F^T
intervals, both threshold subsidies), and panel B's exact shading (the δ interval at each of 200 η).
Each figure is the median of repeated runs (and the slowest), on the paper's σ, θ, η with δ = 2 and
L/F^T = 10 (three steady states) unless said otherwise.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import replace

import numpy as np

from models import simple_big_push as sbp

SPEC = sbp.paper_spec(delta=2.0)
TARGETS = {"steady states": 0.050, "panel B grid 200 x 200": 3.0}


def timed(call, repeats: int) -> tuple[float, float]:
    """(median, max) wall seconds of ``call()`` over ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times)


def panel_b_band(spec: sbp.SimpleModelSpec, etas: np.ndarray) -> list:
    return [sbp.delta_interval(replace(spec, eta=float(e))) for e in etas]


def main() -> None:
    deltas, etas = np.linspace(0, 4, 200), np.linspace(1.005, 2, 200)
    cases = [
        ("static solve (eq. 4.4), one λ_{t−1}", lambda: sbp.static_share(SPEC, 0.3), 2000),
        ("steady states", lambda: sbp.steady_states(SPEC), 500),
        ("steady states, one steady state (paper's δ = 0.68)", lambda: sbp.steady_states(sbp.paper_spec()), 500),
        ("law of motion on 401 points", lambda: sbp.law_of_motion(SPEC, np.linspace(0, 1, 401)), 20),
        ("full analysis (states, 3 intervals, 2 thresholds)", lambda: sbp.analyze(SPEC), 50),
        ("panel B grid 200 x 200", lambda: sbp.steady_state_counts(SPEC, deltas, etas), 20),
        ("panel B shading: δ interval at 200 η", lambda: panel_b_band(SPEC, etas), 20),
    ]
    counts = sbp.steady_state_counts(SPEC, deltas, etas)
    print(f"simple model, σ = {SPEC.sigma:g}, θ = {SPEC.theta:g}, η = {SPEC.eta:g}, δ = {SPEC.delta:g}, "
          f"L/F^T = {SPEC.scale:g}: {len(sbp.steady_states(SPEC).states)} steady states; panel B grid: "
          f"{int((counts == 3).sum()):,} of {counts.size:,} points with three")
    for name, call, repeats in cases:
        median, worst = timed(call, repeats)
        target = TARGETS.get(name)
        verdict = "" if target is None else f"   target {target * 1000:g} ms: {'met' if worst < target else 'MISSED'}"
        print(f"{name:<52} median {median * 1000:9.3f} ms   max {worst * 1000:9.3f} ms   ({repeats} runs){verdict}")


if __name__ == "__main__":
    main()
