"""One parameter set analysed at once: steady states, multiplicity intervals, threshold subsidies, the verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .big_push import ThresholdSubsidy, threshold_subsidy
from .spec import SUBSIDY_KINDS, SimpleModelSpec, SubsidyKind
from .steady_states import Interval, SteadyStates, delta_interval, eta_interval, scale_interval, steady_states

KIND_LABELS = {"fixed_cost": "fixed adoption costs", "input": "adopters' input costs"}


def _num(x: float) -> str:
    return f"{x:.4g}"


@dataclass(frozen=True)
class SimpleModelReport:
    """What the simple model says at one parameter set; ``lam0`` is S^Pre unless chosen."""

    spec: SimpleModelSpec
    states: SteadyStates
    delta: Interval
    eta: Interval
    scale: Interval
    lam0: float
    thresholds: dict[SubsidyKind, ThresholdSubsidy]

    def verdict(self) -> list[str]:
        """Plain-language sentences: how many steady states and the δ interval, the η interval, the bound,
        and the push ("At η = …, δ = … the model has one steady state; several need δ between … and …")."""
        spec = self.spec
        return [self._count_sentence() + _interval_clause(self.delta, "δ", spec.delta) + ".",
                f"At δ = {_num(spec.delta)}" + _interval_clause(self.eta, "η", spec.eta, lead=True) + ".",
                f"Several steady states need the map λ_t(λ_t−1) to be steeper than the 45° line somewhere. Its slope "
                f"is at most θδ/(σ − 1) = {spec.slope_bound:.3f} for shares up to 1, so whatever η and L/F^T, "
                f"several steady states need δ > (σ − 1)/θ = {spec.a:.3f}.",
                *self._push_sentences()]

    def _count_sentence(self) -> str:
        spec, states = self.spec, self.states.states
        where = f"At η = {_num(spec.eta)}, δ = {_num(spec.delta)} (σ = {_num(spec.sigma)}, θ = {_num(spec.theta)}, " \
                f"L/F^T = {_num(spec.scale)})"
        if len(states) == 1:
            only = states[0]
            return (f"{where} the model has one steady state, "
                    + ("full adoption (λ* = 1)" if only.corner else f"λ* = {_num(only.share)}"))
        parts = [f"{s.label} = {_num(s.share)} ({'stable' if s.stable else 'unstable'})" for s in states]
        words = {2: "two", 3: "three"}[len(states)]
        return f"{where} the model has {words} steady states: {', '.join(parts)}"

    def _push_sentences(self) -> list[str]:
        if not self.states.multiple:
            return []
        lines = []
        for kind in SUBSIDY_KINDS:
            found = self.thresholds[kind]
            if found.rate is None:
                lines.append(f"Subsidy to {KIND_LABELS[kind]}: {found.reason}.")
            elif found.rate == 0:
                lines.append(f"Subsidy to {KIND_LABELS[kind]}: none needed; {found.reason}.")
            else:
                lines.append(f"Subsidy to {KIND_LABELS[kind]}: from λ_0 = {_num(found.lam0)}, one period at more than "
                             f"s̲ = {found.rate:.2%} lifts the share past S^U = {_num(found.target)}, and the economy "
                             f"then converges to S^Ind without further help (cost at s̲: "
                             f"{found.cost_share:.2%} of that period's GDP).")
        return lines

    def as_dict(self) -> dict:
        """The CLI's ``--json``: parameters, steady states, S^U, intervals, the bound, thresholds."""
        unstable = self.states.unstable
        return {"model": "simple", "parameters": asdict(self.spec), "lambda0": self.lam0,
                "steady_states": self.states.as_records(), "S_U": unstable.share if unstable else None,
                "multiplicity": {"delta": self.delta.as_dict(), "eta": self.eta.as_dict(),
                                 "scale": self.scale.as_dict()},
                "slope_bound": {"theta_delta_over_sigma_minus_1": self.spec.slope_bound,
                                "delta_needed_above": self.spec.a},
                "threshold_subsidy": {kind: t.as_dict() for kind, t in self.thresholds.items()},
                "verdict": self.verdict()}


def _interval_clause(interval: Interval, name: str, value: float, lead: bool = False) -> str:
    """"; several need δ between … and …" (or, with ``lead``, ", several … need η between …"), or why none."""
    joint = ", " if lead else "; "
    if not interval.exists:
        return f"{joint}no value of {name} gives several steady states" + ("" if lead else " at this η") + \
            f": {interval.why}"
    inside = interval.low <= value <= interval.high
    return (f"{joint}several steady states need {name} between {_num(interval.low)} and {_num(interval.high)} "
            f"({name} = {_num(value)} is {'inside' if inside else 'outside'})")


def analyze(spec: SimpleModelSpec, lam0: float | None = None) -> SimpleModelReport:
    """Everything the page and ``python -m workbench model simple`` show for one parameter set."""
    states = steady_states(spec)
    start = states.states[0].share if lam0 is None else float(lam0)
    return SimpleModelReport(spec, states, delta_interval(spec), eta_interval(spec), scale_interval(spec), start,
                             {kind: threshold_subsidy(spec, kind, start, states) for kind in SUBSIDY_KINDS})
