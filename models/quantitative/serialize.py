"""QuantSpec and Fundamentals to JSON-ready dicts and back, exactly (a stored calibration must rebuild the
very economy it calibrated). Floats round-trip through JSON's shortest repr; ±∞ (κ = ∞, P^f = ∞ in a
closed economy, d = ∞ without a route) is written as the strings "inf" / "-inf"."""

from __future__ import annotations

import dataclasses
import math

from .spec import Fundamentals, QuantSpec


def _encode(value):
    if isinstance(value, (tuple, list)):
        return [_encode(v) for v in value]
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def _decode(value):
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    if value in ("inf", "-inf"):
        return float(value)
    return value


def to_dict(obj: QuantSpec | Fundamentals) -> dict:
    """Every field of a spec or a period's fundamentals, JSON-ready."""
    return {f.name: _encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}


def spec_from_dict(data: dict) -> QuantSpec:
    return QuantSpec(**{k: _decode(v) for k, v in data.items()})


def fundamentals_from_dict(data: dict) -> Fundamentals:
    return Fundamentals(**{k: _decode(v) for k, v in data.items()})
