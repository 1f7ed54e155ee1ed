"""Iceberg costs from a road graph (docs/quantitative-model.md §11): fastest routes by Dijkstra, a highway
time reduction, and d_nmj as a function of effective distance.

Choi & Shim, Section 5.2: "Iceberg costs are parameterized as d_nmj = (Dist_nm)^{v_j} and d^x_nj =
(Dist^port_n)^{v_j} … Distances between regions connected by the Gyeongbu Expressway are reduced by 66%
… Fastest routes are computed using the Dijkstra algorithm", with (σ − 1)v_j = 1.29 for commodities and
manufacturing and 3.8 for services. Edges are roads (from, to, km, highway); a highway edge's effective
length is km × (1 − reduction). Nodes that are not regions (junctions) may appear in the edges.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from .spec import ModelError

PAPER_HIGHWAY_REDUCTION = 0.66    # the paper's travel-time reduction on the Gyeongbu Expressway (Section 5.2)
PAPER_SIGMA_V = {"commodities and manufacturing": 1.29, "services": 3.8}   # (σ − 1)v_j, Section 5.2
IcebergForm = Literal["power", "exp", "linear"]


def _columns(edges) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(from, to, km, highway) from a DataFrame or a mapping of equal-length columns."""
    try:
        cols = [np.asarray(edges[k]) for k in ("from", "to", "km", "highway")]
    except (KeyError, TypeError, IndexError) as err:
        raise ModelError(f"edges need columns 'from', 'to', 'km', 'highway': {err}") from err
    if len({len(c) for c in cols}) != 1:
        raise ModelError("edge columns 'from', 'to', 'km', 'highway' must have the same length")
    return cols[0], cols[1], cols[2].astype(float), cols[3].astype(bool)


def edge_lengths(km, highway, highway_reduction: float = PAPER_HIGHWAY_REDUCTION) -> np.ndarray:
    """Effective length of each edge: km, or km × (1 − reduction) on a highway."""
    if not 0 <= highway_reduction < 1:
        raise ModelError(f"the highway time reduction {highway_reduction:g} must be in [0, 1)")
    km = np.asarray(km, dtype=float)
    return np.where(np.asarray(highway, dtype=bool), km * (1 - highway_reduction), km)


def effective_distances(edges, regions: Sequence[Hashable],
                        highway_reduction: float = PAPER_HIGHWAY_REDUCTION, directed: bool = False) -> np.ndarray:
    """(N, N) effective distance between ``regions`` (in their order) along the fastest routes (Dijkstra).

    Roads are two-way unless ``directed``; parallel roads keep the shortest; unreachable pairs (a region on
    no road included) are ∞, which ``iceberg_costs`` reports; the diagonal is 0. ModelError lists every problem with the edges."""
    src, dst, km, hw = _columns(edges)
    problems = []
    if not np.all(np.isfinite(km)) or np.any(km <= 0):
        problems.append("every road length km must be positive and finite")
    if len(set(regions)) != len(regions):
        problems.append("region labels must be unique")
    nodes = list(dict.fromkeys([*regions, *src.tolist(), *dst.tolist()]))
    index = {v: i for i, v in enumerate(nodes)}
    if problems:
        raise ModelError("; ".join(problems))
    length = edge_lengths(km, hw, highway_reduction)
    i = np.array([index[v] for v in src.tolist()], dtype=int)
    j = np.array([index[v] for v in dst.tolist()], dtype=int)
    if not directed:
        i, j, length = np.concatenate([i, j]), np.concatenate([j, i]), np.concatenate([length, length])
    keep = i != j                                             # a loop never shortens a route
    i, j, length = i[keep], j[keep], length[keep]
    n = len(nodes)
    order = np.lexsort((length, j, i))                        # parallel roads: the shortest first
    i, j, length = i[order], j[order], length[order]
    first = np.ones(i.size, dtype=bool)
    first[1:] = (i[1:] != i[:-1]) | (j[1:] != j[:-1])
    graph = csr_matrix((length[first], (i[first], j[first])), shape=(n, n))
    rows = np.array([index[r] for r in regions], dtype=int)
    dist = dijkstra(graph, directed=True, indices=rows)       # both directions are in the graph already
    return dist[:, rows]


def port_distances(dist: np.ndarray, ports: Sequence[int]) -> np.ndarray:
    """Dist^port_n: each region's effective distance to its nearest port (``ports`` are region indices)."""
    dist = np.asarray(dist, dtype=float)
    if len(ports) == 0:
        raise ModelError("at least one port region is needed")
    return dist[:, list(ports)].min(axis=1)


def iceberg_costs(dist, elasticity, form: IcebergForm = "power", unit: float = 1.0) -> np.ndarray:
    """Iceberg costs d ≥ 1 from effective distances, one elasticity v_j per sector: an (…, J) array.

    ``dist`` is (N, N) (→ d_nmj, (N, N, J)) or (N,) (→ d^x_nj, (N, J)); D = dist/unit.
    "power" (the paper): d = max(D, 1)^v — distances under one unit, a region to itself included, cost
    nothing (our choice; the paper does not say what Dist_nn is); "exp": d = exp(v·D); "linear":
    d = 1 + v·D. ModelError if a distance is infinite (no road) or negative."""
    dist = np.asarray(dist, dtype=float)
    v = np.atleast_1d(np.asarray(elasticity, dtype=float))
    if form not in ("power", "exp", "linear"):
        raise ModelError(f"iceberg form {form!r}: one of 'power', 'exp', 'linear'")
    problems = []
    if np.any(np.isnan(dist)) or np.any(dist < 0):
        problems.append("distances must be non-negative")
    if np.any(np.isinf(dist)):
        pairs = np.argwhere(np.isinf(dist))[:5].tolist()
        problems.append(f"no route between some regions (e.g. index pairs {pairs}): their iceberg cost is "
                        "infinite")
    if not np.all(np.isfinite(v)) or np.any(v < 0):
        problems.append("elasticities v_j must be finite and non-negative")
    if not (math.isfinite(unit) and unit > 0):
        problems.append("the distance unit must be positive")
    if problems:
        raise ModelError("; ".join(problems))
    D = dist[..., None] / unit
    if form == "power":
        return np.maximum(D, 1.0) ** v
    if form == "exp":
        return np.exp(v * D)
    return 1 + v * D
