"""The demo economy's inputs for the quantitative model (docs/demo-economy.md, "Model inputs").

Six tables in the upload format of docs/model-inputs-format.md, made consistent with the demo's
regions, sectors and balance sheets: ``model_sectors``, ``input_output``, ``sector_years``,
``region_sectors``, ``populations`` and ``roads``. Every number marked *assumption* below is the
demo's choice (plausible for 1970s Korea), not data. Deterministic in the random generator passed in.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

# code, name, kind
MODEL_SECTORS = (
    ("C", "농림어업·광업 (Commodities)", "commodities"),
    ("L", "경공업 (Light manufacturing)", "light"),
    ("H", "중화학공업 (Heavy manufacturing)", "heavy"),
    ("S", "서비스 (Services)", "services"),
)
_CODES = tuple(m[0] for m in MODEL_SECTORS)

# Assumption: Cobb-Douglas shares. Households' budget shares α_j, then each sector's labour share γ^L_j
# and input shares (columns in _CODES order); every row sums to 1.
CONSUMPTION_SHARES = (0.25, 0.25, 0.10, 0.40)
LABOUR_SHARES = {"C": 0.55, "L": 0.25, "H": 0.20, "S": 0.60}
INPUT_SHARES = {
    "C": (0.10, 0.10, 0.10, 0.15),
    "L": (0.30, 0.25, 0.08, 0.12),
    "H": (0.15, 0.05, 0.40, 0.20),
    "S": (0.05, 0.10, 0.05, 0.20),
}

# Assumption: the demo's balance-sheet firms produce this share of their kind's national output
# (and exports); national manufacturing = printed aggregate / (coverage of the year × this share).
FIRM_UNIVERSE_SHARE = 0.3
# Assumption: commodities and services relative to manufacturing gross output in the first year,
# their trend growth, export intensity and import share (imports / absorption).
NON_MANUFACTURING = {  # code: (gross output / manufacturing in year 1, growth, export intensity, import share)
    "C": (1.0, 0.03, 0.05, 0.20),
    "S": (1.5, 0.08, 0.03, 0.03),
}
# Assumption: manufacturing import shares, first year → last year (heavy: import substitution).
MANUFACTURING_IMPORT_SHARE = {"L": (0.12, 0.08), "H": (0.45, 0.30)}
# Assumption: average tariff rates, first year → last year (linear decline).
TARIFFS = {"C": (0.30, 0.20), "L": (0.40, 0.25), "H": (0.35, 0.20), "S": (0.0, 0.0)}
# Assumption: producer-price inflation per year (log points) and its noise.
PPI_INFLATION = {"C": 0.13, "L": 0.11, "H": 0.10, "S": 0.14}
PPI_NOISE_SD = 0.02
# Assumption: manufacturing floor. Each region gets REGION_FLOOR / N of a kind's national output
# besides its firms' share (small plants outside the balance sheets), so no region is empty.
REGION_FLOOR = 0.05
# Assumption: population per unit of a region's size weight in the first year, and growth.
PEOPLE_PER_WEIGHT = 400_000
POPULATION_GROWTH = 0.015
POPULATION_GROWTH_SD = 0.01

# Roads (assumptions): each region joins its ROAD_NEIGHBOURS nearest regions; road km = ROAD_DETOUR ×
# great-circle km. The Gyeongbu Expressway runs through these cities (the junction is not a region).
ROAD_NEIGHBOURS = 3
ROAD_DETOUR = 1.3
JUNCTION = ("추풍령 분기점", 36.215, 127.995)
GYEONGBU = ("서울", "수원", "천안", "대전", JUNCTION[0], "구미", "대구", "경주", "부산")
GYEONGBU_NAME = "경부고속도로"


def model_sectors() -> pd.DataFrame:
    """The four model sectors; balance-sheet sectors map to ``heavy``/``light`` by ``sectors.heavy``."""
    return pd.DataFrame(list(MODEL_SECTORS), columns=["sector", "name", "kind"])


def input_output() -> pd.DataFrame:
    """Consumption shares α_j (user ``households``) and each sector's γ^L_j (input ``labour``) and
    input shares γ^k_j (the demo's assumptions; every user's shares sum to 1)."""
    rows = [("households", code, a) for code, a in zip(_CODES, CONSUMPTION_SHARES)]
    for user in _CODES:
        rows.append((user, "labour", LABOUR_SHARES[user]))
        rows += [(user, code, share) for code, share in zip(_CODES, INPUT_SHARES[user])]
    return pd.DataFrame(rows, columns=["user", "input", "share"]).sort_values(["user", "input"],
                                                                            ignore_index=True)


def _linear(first_last: tuple[float, float], years: np.ndarray) -> np.ndarray:
    """first + (last − first)·(t − t0)/(T − 1): a linear path over the years."""
    step = (years - years[0]) / max(len(years) - 1, 1)
    return first_last[0] + (first_last[1] - first_last[0]) * step


def manufacturing_totals(balance_sheets: pd.DataFrame, sectors: pd.DataFrame, years: np.ndarray,
                         coverage: np.ndarray) -> pd.DataFrame:
    """National light/heavy gross output and exports by year: printed sales and exports of the kind,
    divided by (coverage_t × FIRM_UNIVERSE_SHARE). Index (kind code L/H, year)."""
    heavy = balance_sheets["sector"].map(sectors.set_index("sector")["heavy"]).astype(bool)
    kind = np.where(heavy, "H", "L")
    sums = (balance_sheets.assign(kind=kind).groupby(["kind", "year"])[["sales", "exports"]].sum()
            .reindex(pd.MultiIndex.from_product([["L", "H"], years], names=["kind", "year"]), fill_value=0.0))
    scale = np.tile(coverage, 2) * FIRM_UNIVERSE_SHARE
    return sums.div(scale, axis=0)


def sector_years(totals: pd.DataFrame, years: np.ndarray, rng) -> pd.DataFrame:
    """National accounts by model sector and year at current prices: the real (2015 USD, like the balance
    sheets) aggregates × ppi/100, the sector's producer price index (100 in the first year), so that
    deflating by the ppi gives back real output and real GDP growth.

    Value added = γ^L_j × gross output; imports = m/(1 − m) × (gross output − exports), so that
    imports / (gross output − exports + imports) = m, the import share.
    """
    manufacturing = totals["sales"].groupby(level="year").sum().to_numpy()
    frames = []
    for code in _CODES:
        if code in NON_MANUFACTURING:
            ratio, growth, intensity, share = NON_MANUFACTURING[code]
            trend = ratio * manufacturing[0] * np.exp(growth * (years - years[0]))
            output = trend * np.exp(rng.normal(0.0, 0.01, len(years)))
            exports = intensity * output * np.exp(rng.normal(0.0, 0.05, len(years)))
            import_share = np.full(len(years), share)
        else:
            output, exports = totals.loc[code, "sales"].to_numpy(), totals.loc[code, "exports"].to_numpy()
            import_share = _linear(MANUFACTURING_IMPORT_SHARE[code], years)
        ppi = 100.0 * np.exp(np.cumsum(np.r_[0.0, PPI_INFLATION[code]
                                             + rng.normal(0.0, PPI_NOISE_SD, len(years) - 1)]))
        ppi = np.round(ppi, 2)
        price = ppi / 100.0                       # the rounded index, so that the table deflates exactly
        output, exports = output * price, exports * price
        frames.append(pd.DataFrame({
            "sector": code, "year": years.astype("int64"), "gross_output": np.round(output, 0),
            "value_added": np.round(LABOUR_SHARES[code] * output, 0), "exports": np.round(exports, 0),
            "imports": np.round(import_share / (1 - import_share) * (output - exports), 0),
            "ppi": ppi, "tariff": np.round(_linear(TARIFFS[code], years), 3)}))
    return pd.concat(frames, ignore_index=True)


def populations(regions: pd.DataFrame, size_weights: np.ndarray, years: np.ndarray, rng) -> pd.DataFrame:
    """pop_nt = PEOPLE_PER_WEIGHT × size_n × exp(g_n (t − t0)), g_n ~ N(POPULATION_GROWTH, sd²)."""
    growth = rng.normal(POPULATION_GROWTH, POPULATION_GROWTH_SD, len(regions))
    pop = PEOPLE_PER_WEIGHT * size_weights[None, :] * np.exp(np.outer(years - years[0], growth))
    return pd.DataFrame({"region": np.tile(regions["region"].to_numpy(), len(years)),
                         "year": np.repeat(years, len(regions)).astype("int64"),
                         "population": np.round(pop.ravel(), 0)})


def region_shares(balance_sheets: pd.DataFrame, sectors: pd.DataFrame, pops: pd.DataFrame,
                  regions: pd.DataFrame, years: np.ndarray) -> dict[str, np.ndarray]:
    """(T, N) regional shares of each model sector's national output.

    Light/heavy: (printed sales of the region's firms + REGION_FLOOR/N × national printed sales)
    / ((1 + REGION_FLOOR) × national printed sales). Commodities and services: population shares.
    """
    codes = regions["region"].to_numpy()
    heavy = balance_sheets["sector"].map(sectors.set_index("sector")["heavy"]).astype(bool)
    shares = {}
    for code, is_heavy in (("L", False), ("H", True)):
        sales = (balance_sheets[heavy == is_heavy].pivot_table(index="year", columns="region", values="sales",
                                                                aggfunc="sum")
                 .reindex(index=years, columns=codes).fillna(0.0).to_numpy())
        total = sales.sum(axis=1, keepdims=True)
        shares[code] = (sales + REGION_FLOOR / len(codes) * total) / ((1 + REGION_FLOOR) * total)
    pop = pops.pivot(index="year", columns="region", values="population").reindex(index=years,
                                                                                 columns=codes).to_numpy()
    shares["C"] = shares["S"] = pop / pop.sum(axis=1, keepdims=True)
    return shares


def region_sectors(national: pd.DataFrame, shares: dict[str, np.ndarray], regions: pd.DataFrame,
                   years: np.ndarray) -> pd.DataFrame:
    """Regional gross output = share × national gross output; value added = γ^L_j × that."""
    codes = regions["region"].to_numpy()
    frames = []
    for code in _CODES:
        output = national[national["sector"] == code].set_index("year")["gross_output"].reindex(years).to_numpy()
        regional = shares[code] * output[:, None]
        frames.append(pd.DataFrame({
            "region": np.tile(codes, len(years)), "sector": code,
            "year": np.repeat(years, len(codes)).astype("int64"),
            "value_added": np.round(LABOUR_SHARES[code] * regional.ravel(), 0),
            "gross_output": np.round(regional.ravel(), 0)}))
    return pd.concat(frames, ignore_index=True).sort_values(["year", "region", "sector"], ignore_index=True)


def roads(regions: pd.DataFrame, distance_km: Callable) -> pd.DataFrame:
    """Ordinary roads to each region's ROAD_NEIGHBOURS nearest regions, plus the shortest links that
    join separate components, plus the Gyeongbu Expressway (its cities present in ``regions``, and the
    junction) as highway edges; km = ROAD_DETOUR × great-circle km, rounded to 0.1."""
    names = regions["name"].tolist()
    lat = np.r_[regions["lat"].to_numpy(), JUNCTION[1]]
    lon = np.r_[regions["lon"].to_numpy(), JUNCTION[2]]
    nodes = [*regions["region"], JUNCTION[0]]
    km = distance_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    n = len(regions)
    pairs = {tuple(sorted((i, int(j)))) for i in range(n) for j in np.argsort(km[i, :n])[1:ROAD_NEIGHBOURS + 1]}
    pairs.add(tuple(sorted((n, int(np.argmin(km[n, :n]))))))  # the junction's own local road
    pairs |= _joining_pairs(km, pairs)
    rows = [(nodes[i], nodes[j], round(ROAD_DETOUR * km[i, j], 1), False, None) for i, j in sorted(pairs)]
    route = [n if city == JUNCTION[0] else names.index(city) for city in GYEONGBU
             if city == JUNCTION[0] or city in names]
    rows += [(nodes[i], nodes[j], round(ROAD_DETOUR * km[i, j], 1), True, GYEONGBU_NAME)
             for i, j in zip(route[:-1], route[1:])]
    return pd.DataFrame(rows, columns=["from_node", "to_node", "km", "highway", "name"]).sort_values(
        ["from_node", "to_node"], ignore_index=True)


def _joining_pairs(km: np.ndarray, pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Shortest links added one by one until the graph of ``pairs`` is connected."""
    joined, added = set(pairs), set()
    while True:
        i, j = np.array(sorted(joined)).T
        graph = coo_matrix((np.ones(len(i)), (i, j)), shape=km.shape)
        count, label = connected_components(graph, directed=False)
        if count == 1:
            return added
        outside = label != label[0]
        gap = np.where(~outside[:, None] & outside[None, :], km, np.inf)
        a, b = np.unravel_index(np.argmin(gap), gap.shape)
        joined.add((int(a), int(b)))
        added.add(tuple(sorted((int(a), int(b)))))


def model_input_tables(regions: pd.DataFrame, sectors: pd.DataFrame, balance_sheets: pd.DataFrame,
                       size_weights: np.ndarray, years: np.ndarray, coverage: np.ndarray, rng,
                       distance_km: Callable) -> dict[str, pd.DataFrame]:
    """The six model-input tables of the demo, consistent with its regions, sectors and balance sheets."""
    national = sector_years(manufacturing_totals(balance_sheets, sectors, years, coverage), years, rng)
    pops = populations(regions, size_weights, years, rng)
    shares = region_shares(balance_sheets, sectors, pops, regions, years)
    return {"model_sectors": model_sectors(), "input_output": input_output(), "sector_years": national,
            "region_sectors": region_sectors(national, shares, regions, years), "populations": pops,
            "roads": roads(regions, distance_km)}
