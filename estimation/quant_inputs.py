"""From the uploaded tables to the quantitative model's inputs and calibration targets
(docs/quantitative-inputs.md; Choi & Shim, Section 5.2).

Pure pandas/numpy on the tables of the upload format (``docs/model-inputs-format.md`` and
``shared/spec/data-format.md``): model sectors, the input-output table, national accounts by sector and
year, region × sector activity, populations, regions, balance sheets with their adoption panel, credit.
Every function returns plain arrays ordered like ``regions`` (rows) and ``sectors`` (columns) and raises
:class:`QuantDataError` listing every problem, each naming the table, the row or key and the column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

HOUSEHOLDS, LABOUR = "households", "labour"
SUM_TOLERANCE = 1e-3          # an input-output row may be off by rounding; it is rescaled to sum to one exactly


class QuantDataError(ValueError):
    """The stored tables cannot feed the quantitative model; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class ModelSectors:
    """The model's sectors in upload order by code, their kinds, and which is heavy / light manufacturing."""

    codes: tuple
    names: tuple
    kinds: tuple
    heavy: int
    light: int


def model_sectors(frame: pd.DataFrame) -> ModelSectors:
    """Exactly one ``heavy`` and one ``light`` sector: adoption is available in heavy manufacturing only
    (Section 5.2), and balance-sheet firms map to these two by ``sectors.heavy``."""
    frame = frame.sort_values("sector", ignore_index=True)
    kinds = frame["kind"].astype(str).str.lower().tolist()
    problems = [f"model_sectors: {n} sectors of kind {kind!r} ({', '.join(frame.loc[[k == kind for k in kinds], 'sector'])});"
                " exactly one is needed" for kind in ("heavy", "light") if (n := kinds.count(kind)) != 1]
    if frame.empty:
        problems = ["model_sectors is empty: upload the model's sectors (e.g. commodities, light, heavy, services)"]
    if problems:
        raise QuantDataError(problems)
    names = frame["name"].fillna(frame["sector"]).astype(str)
    return ModelSectors(codes=tuple(frame["sector"]), names=tuple(names), kinds=tuple(kinds),
                        heavy=kinds.index("heavy"), light=kinds.index("light"))


def cobb_douglas_shares(io: pd.DataFrame, sectors: ModelSectors) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """α_j (households' row), γ^L_j (the ``labour`` input of sector j) and γ^k_j (row j, column k) from the
    input-output table (docs Q3). Each user's shares must sum to one within SUM_TOLERANCE; they are then
    rescaled to sum to one exactly (noted). Returns (alpha, gamma_labour, gamma_inputs, notes)."""
    codes = list(sectors.codes)
    users, inputs = codes + [HOUSEHOLDS], codes + [LABOUR]
    problems, notes = [], []
    io = io.assign(user=io["user"].astype(str).str.strip(), input=io["input"].astype(str).str.strip())
    for column, known in (("user", users), ("input", inputs)):
        bad = io.loc[~io[column].isin(known), column]
        problems += [f"input_output row {i + 2}: {column} {v!r} is neither a model sector nor "
                     f"{HOUSEHOLDS if column == 'user' else LABOUR!r}" for i, v in bad.items()]
    if (io["user"] == HOUSEHOLDS).any() and (io.loc[io["user"] == HOUSEHOLDS, "input"] == LABOUR).any():
        problems.append("input_output: households buy goods only (no 'labour' input for households)")
    if problems:
        raise QuantDataError(problems)
    table = io.pivot_table(index="user", columns="input", values="share", aggfunc="sum").reindex(
        index=users, columns=inputs).fillna(0.0)
    for user in users:
        total = float(table.loc[user].sum())
        if abs(total - 1) > SUM_TOLERANCE:
            problems.append(f"input_output: the shares of user {user!r} sum to {total:.4f}, not 1")
        elif total != 1:
            notes.append(f"input_output: the shares of {user!r} summed to {total:.6f}; rescaled to 1")
    alpha = table.loc[HOUSEHOLDS, codes].to_numpy(float)
    labour = table.loc[codes, LABOUR].to_numpy(float)
    problems += [f"input_output: households' share of {c!r} must be positive (α_j > 0)" for c, a in zip(codes, alpha) if a <= 0]
    problems += [f"input_output: the labour share of {c!r} must be positive (γ^L_j > 0)" for c, g in zip(codes, labour) if g <= 0]
    if problems:
        raise QuantDataError(problems)
    rows = table.loc[codes].to_numpy(float, copy=True)
    rows /= rows.sum(axis=1, keepdims=True)
    return alpha / alpha.sum(), rows[:, -1], rows[:, :-1], notes


def _year_values(frame: pd.DataFrame, key: str, value: str, year: int, table: str, keys: Sequence) -> pd.Series:
    """``value`` per ``key`` in ``year``, else the nearest earlier year, else the nearest later one."""
    out, missing = {}, []
    for k in keys:
        rows = frame[frame[key] == k].dropna(subset=[value])
        if rows.empty:
            missing.append(k)
            continue
        earlier = rows[rows["year"] <= year]
        pick = earlier.loc[earlier["year"].idxmax()] if not earlier.empty else rows.loc[rows["year"].idxmin()]
        out[k] = float(pick[value])
    if missing:
        raise QuantDataError([f"{table}: no {value} for {key} {', '.join(map(str, missing))}"])
    return pd.Series(out)


def labour_shares(populations: pd.DataFrame, regions: Sequence[str], year: int) -> np.ndarray:
    """L_n: each region's share of the population in ``year`` (or the nearest year it has), summing to 1."""
    pop = _year_values(populations, "region", "population", year, "populations", regions).to_numpy(float)
    return pop / pop.sum()


def _cells(frame: pd.DataFrame, regions: Sequence[str], sectors: ModelSectors, year: int, column: str) -> np.ndarray:
    rows = frame[frame["year"] == year]
    grid = rows.pivot_table(index="region", columns="sector", values=column, aggfunc="sum").reindex(
        index=list(regions), columns=list(sectors.codes))
    missing = [f"({r}, {s})" for r in grid.index for s in grid.columns if pd.isna(grid.loc[r, s])]
    if missing:
        shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        raise QuantDataError([f"region_sectors: no {column} in {year} for (region, sector) {shown}"])
    return grid.to_numpy(float)


def firm_masses(region_sectors: pd.DataFrame, regions: Sequence[str], sectors: ModelSectors, year: int,
                floor: float = 1e-4) -> tuple[np.ndarray, list[str]]:
    """M_nj ∝ region-sector value added in the first calibration year, Σ M = 1 (Section 5.2, after Chaney
    2008). The model needs M > 0: a cell with no value added gets ``floor`` × the mean cell (noted)."""
    va = _cells(region_sectors, regions, sectors, year, "value_added")
    share = va / va.sum()
    empty = share <= 0
    notes = []
    if empty.any():
        share = np.where(empty, floor * share.mean(), share)
        notes.append(f"{int(empty.sum())} region-sector cells had no value added in {year}; their firm mass "
                     f"is {floor:g} × the mean cell")
    return share / share.sum(), notes


@dataclass(frozen=True)
class NationalTargets:
    """Per calibration year t (rows) and model sector j (columns), from ``sector_years``."""

    gross_output: np.ndarray      # (T, J)
    export_intensity: np.ndarray  # (T, J) exports / gross output
    import_share: np.ndarray      # (T, J) imports / (gross output − exports + imports)
    tariff: np.ndarray            # (T, J)
    ppi: np.ndarray               # (T,) gross-output-weighted (first year's weights) PPI, first year = 1
    real_gdp: np.ndarray          # (T,) Σ_j value added / (PPI_jt / PPI_j1), first year = 1
    value_added: np.ndarray       # (T, J) nominal


def national_targets(sector_years: pd.DataFrame, sectors: ModelSectors, years: Sequence[int]) -> NationalTargets:
    """The constraint data of each calibration year (Section 5.2: export intensities, import shares, gross
    output, PPI growth, real GDP growth) and tariffs t_jt. Every (sector, year) must be present."""
    needed = ("gross_output", "value_added", "exports", "imports", "ppi", "tariff")
    present = set(zip(sector_years["sector"], sector_years["year"]))
    absent = [f"({s}, {y})" for y in years for s in sectors.codes if (s, y) not in present]
    if absent:
        raise QuantDataError([f"sector_years: no row for (sector, year) {', '.join(absent)}"])
    grids, problems = {}, []
    for column in needed:
        grid = sector_years.pivot_table(index="year", columns="sector", values=column, aggfunc="sum").reindex(
            index=list(years), columns=list(sectors.codes))
        gaps = [f"({s}, {y})" for y in grid.index for s in grid.columns if pd.isna(grid.loc[y, s])]
        if gaps:
            problems.append(f"sector_years: no {column} for (sector, year) {', '.join(gaps)}")
        grids[column] = grid.to_numpy(float)
    if problems:
        raise QuantDataError(problems)
    go, x, m = grids["gross_output"], grids["exports"], grids["imports"]
    if np.any(go <= 0):
        raise QuantDataError(["sector_years: gross output must be positive in every calibration year"])
    absorption = go - x + m
    if np.any(absorption <= 0) or np.any(x > go):
        raise QuantDataError(["sector_years: exports exceed gross output (absorption ≤ 0) in some sector-year"])
    ppi = grids["ppi"] / grids["ppi"][0]
    weights = go[0] / go[0].sum()
    real_va = (grids["value_added"] / ppi).sum(axis=1)
    return NationalTargets(gross_output=go, export_intensity=x / go, import_share=m / absorption,
                           tariff=grids["tariff"], ppi=ppi @ weights, real_gdp=real_va / real_va[0],
                           value_added=grids["value_added"])


def output_shares(region_sectors: pd.DataFrame, national: NationalTargets, regions: Sequence[str],
                  sectors: ModelSectors, years: Sequence[int]) -> np.ndarray:
    """(T, N, J) region-sector gross output over national gross output. Within a sector, regions split the
    national gross output (``sector_years``) by their ``gross_output`` where every cell of that year has
    one, else by value added."""
    out = []
    for t, year in enumerate(years):
        rows = region_sectors[region_sectors["year"] == year]
        column = "gross_output" if "gross_output" in rows and rows["gross_output"].notna().all() and len(rows) else "value_added"
        cells = _cells(region_sectors, regions, sectors, year, column)
        totals = cells.sum(axis=0)
        empty = [c for c, v in zip(sectors.codes, totals) if v <= 0]
        if empty:
            raise QuantDataError([f"region_sectors: sector {', '.join(empty)} has no activity in any region in {year}"])
        out.append(cells / totals * national.gross_output[t])
    shares = np.array(out)
    return shares / shares.sum(axis=(1, 2), keepdims=True)


@dataclass(frozen=True)
class FirmMoments:
    """Balance-sheet moments (Table 2's internal-calibration targets) by calibration year."""

    region_adopter_share: np.ndarray   # (T, N) heavy adopters / heavy firms (0 where a region has none)
    initial_adopter_share: np.ndarray  # (N,) λ_0
    initial_year: int
    adopter_share: np.ndarray          # (T,) mean over regions of region_adopter_share
    regions_with_adoption: np.ndarray  # (T,) share of regions with at least one heavy adopter
    exporter_share_light: np.ndarray   # (T,) firms with exports > 0 / firms, light manufacturing
    exporter_share_heavy: np.ndarray   # (T,)
    heavy_firms: np.ndarray            # (T, N) counts


def firm_moments(balance_sheets: pd.DataFrame, panel: pd.DataFrame, heavy_codes: set, regions: Sequence[str],
                 years: Sequence[int], initial_year: int) -> FirmMoments:
    """Adopter shares of heavy manufacturing by region (adopter = printed in a year at or after its first
    completed, linked contract: ``estimation.adoption_panel``), the share of regions with any heavy adopter,
    and exporter shares of light and heavy manufacturing, in each calibration year and (adopter shares) in
    ``initial_year`` for λ_0. Balance-sheet sectors are heavy when ``sectors.heavy`` is true."""
    firms = balance_sheets[["firm_id", "year", "sector", "region", "exports"]].astype({"firm_id": str})
    firms = firms.merge(panel[["firm_id", "year", "adopter"]], on=["firm_id", "year"], how="left")
    firms["heavy"] = firms["sector"].isin(heavy_codes)
    present = set(firms["year"].unique())
    missing = [y for y in [*years, initial_year] if y not in present]
    if missing:
        raise QuantDataError([f"balance_sheets: no firms printed in {', '.join(map(str, missing))}"])

    def by_region(year: int) -> tuple[np.ndarray, np.ndarray]:
        rows = firms[(firms["year"] == year) & firms["heavy"]]
        counts = rows.groupby("region").size().reindex(list(regions), fill_value=0).to_numpy(float)
        adopters = rows.groupby("region")["adopter"].sum().reindex(list(regions), fill_value=0).to_numpy(float)
        return np.divide(adopters, counts, out=np.zeros_like(counts), where=counts > 0), counts

    shares, counts = zip(*(by_region(y) for y in years))
    shares, counts = np.array(shares), np.array(counts)

    def exporter_share(year: int, heavy: bool) -> float:
        rows = firms[(firms["year"] == year) & (firms["heavy"] == heavy) & firms["exports"].notna()]
        return float((rows["exports"] > 0).mean()) if len(rows) else float("nan")

    light = np.array([exporter_share(y, False) for y in years])
    heavy = np.array([exporter_share(y, True) for y in years])
    if np.isnan(light).any() or np.isnan(heavy).any():
        raise QuantDataError(["balance_sheets: a calibration year has no light or no heavy firms with exports recorded"])
    return FirmMoments(region_adopter_share=shares, initial_adopter_share=by_region(initial_year)[0],
                       initial_year=initial_year, adopter_share=shares.mean(axis=1),
                       regions_with_adoption=(shares > 0).mean(axis=1), exporter_share_light=light,
                       exporter_share_heavy=heavy, heavy_firms=counts)


def subsidized_regions(credit: pd.DataFrame | None, balance_sheets: pd.DataFrame, regions: Sequence[str],
                       years: tuple[int, int] | None = None) -> tuple[int, ...]:
    """Indices of the regions with at least one directed-credit recipient (Section 5.2: 𝒩^s), a recipient's
    region being its plant's region in the balance sheets that year (else its latest printed one); ``years``
    (first, last) restricts the credit years counted."""
    if credit is None or credit.empty:
        return ()
    rows = credit[credit["amount"] > 0]
    if years is not None:
        rows = rows[(rows["year"] >= years[0]) & (rows["year"] <= years[1])]
    located = balance_sheets[["firm_id", "year", "region"]].astype({"firm_id": str})
    rows = rows.astype({"firm_id": str}).merge(located, on=["firm_id", "year"], how="left")
    latest = located.sort_values("year").drop_duplicates("firm_id", keep="last").set_index("firm_id")["region"]
    where = rows["region"].fillna(rows["firm_id"].map(latest))
    chosen = set(where.dropna())
    return tuple(i for i, r in enumerate(regions) if r in chosen)
