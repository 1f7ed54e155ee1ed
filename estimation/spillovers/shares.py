"""Adopter shares, the business-group instrument, predicted group sales shares and market access.

Notation of Choi & Shim (Sections 3.2–3.3): firm i, region n, sector j, cell nj, year s. The
inputs are *firm-years*: one row per firm printed in the balance sheets in a year (firm_id,
year, region, sector, business_group — NA when unaffiliated —, sales, adopter, and
first_adoption_year from :func:`estimation.adoption_panel.adoption_panel`). "Printed" is the
paper's "operating": a firm counts in a cell in the years the balance sheets show it there.

* **Adopter share** (eq. 3.2): Share_(−i)nj,s = T_(−i)nj,s / N_(−i)nj,s, where N_(−i)nj,s is the
  number of firms printed in nj in s other than i and T_(−i)nj,s the number of them that have
  adopted by s (first completed contract approved in or before s). Undefined (NaN) when no other
  firm is printed in nj in s.
* **Instrument** (eq. 3.4 with footnote 10): for base year b (the start t0 of a long
  difference) and a year s,

      Z_inj,s = Σ_{g ≠ g(i)} D_gnj,b × T_g(−n)j,s / Npred_(−i)nj,s,
      Npred_(−i)nj,s = g_(−n)j,s × N_(−i)nj,s0,    g_(−n)j,s = N_(−n)j,s / N_(−n)j,s0,

  D_gnj,b = 1 if group g had a firm printed in nj in b; T_g(−n)j,s = number of firms printed in b
  as affiliates of g, in sector j, located in a region m ≠ n more than ``radius_km`` from n
  (great-circle distance of the centroids), that have adopted by s; N_(−n)j,s = sector-j firms
  printed in s outside region n; s0 = b − lag (so Npred at s0 is the actual leave-out count).
  Z = 0 when no group qualifies (an empty sum); NaN when the denominator is 0 and the sum is not.
* **Predicted group sales share** (the analogue of eq. 3.4 for sales; Appendix C.5's idea):
  Ŝ_gnj,s = S_gnj,b × S_g(−n)j,s / S_g(−n)j,b (group g's sales in nj in b, grown at the rate of
  its b-affiliates in sector j beyond the radius; rate 1 when they have no sales in b), and
  PGS_inj,s = Σ_{g ≠ g(i)} Ŝ_gnj,s / (S_(−i)nj,b × S_(−n)j,s / S_(−n)j,b). At s = b it is the
  actual leave-out sales share of the other groups in nj. Missing sales count as 0.
* **Market access** (Donaldson & Hornbeck 2016): MA_n = Σ_{m ≠ n} dist_nm^−θ × size_m, the
  distance floored at 1 km.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..direct_effects.errors import EstimationError

EARTH_RADIUS_KM = 6371.0088
FIRM_YEAR_COLUMNS = ["firm_id", "year", "region", "sector", "business_group", "sales", "adopter",
                     "first_adoption_year"]


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (mean Earth radius)."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def region_distances(regions: pd.DataFrame, needed=None) -> pd.DataFrame:
    """Square frame of great-circle distances (km) between region centroids, indexed by region code.
    Raises EstimationError (``missing_coordinates``) naming every needed region without lat/lon."""
    frame = regions.astype({"region": str}).drop_duplicates("region").set_index("region")
    lat = pd.to_numeric(frame["lat"], errors="coerce")
    lon = pd.to_numeric(frame["lon"], errors="coerce")
    needed = sorted(set(frame.index) if needed is None else {str(r) for r in needed})
    absent = [r for r in needed if r not in frame.index]
    missing = [r for r in needed if r in frame.index and (pd.isna(lat[r]) or pd.isna(lon[r]))]
    if absent or missing:
        parts = []
        if absent:
            parts.append(f"not in the regions table: {', '.join(absent[:20])}")
        if missing:
            parts.append(f"without lat/lon: {', '.join(missing[:20])}")
        raise EstimationError("missing_coordinates", (
            "The instrument and market access need every firm's region centroid to measure distances; regions "
            + "; ".join(parts) + ". Add the coordinates to the regions table."))
    lat, lon = lat[needed].to_numpy(), lon[needed].to_numpy()
    distances = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    return pd.DataFrame(distances, index=needed, columns=needed)


def _cell_key(frame: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_arrays([frame["region"].astype(str), frame["sector"].astype(str)])


def cell_counts(firm_years: pd.DataFrame, year: int) -> pd.DataFrame:
    """N (printed firms), T (adopters among them) and S (their sales, missing as 0) per cell in ``year``."""
    printed = firm_years.loc[firm_years["year"] == year]
    return (printed.assign(T=printed["adopter"].astype(int), S=printed["sales"].fillna(0.0), N=1)
            .groupby(["region", "sector"])[["N", "T", "S"]].sum())


def own_row(obs: pd.DataFrame, firm_years: pd.DataFrame, year: int) -> pd.DataFrame:
    """For each observation (firm_id, region, sector): whether the firm itself is printed in its
    cell in ``year`` (``in_cell``), whether it has adopted by then and its sales (0 if missing)."""
    printed = firm_years.loc[firm_years["year"] == year, ["firm_id", "region", "sector", "adopter", "sales"]]
    merged = obs[["firm_id", "region", "sector"]].merge(printed, on="firm_id", how="left", suffixes=("", "_y"))
    merged.index = obs.index
    in_cell = (merged["region_y"] == merged["region"]) & (merged["sector_y"] == merged["sector"])
    in_cell = in_cell.fillna(False).astype(bool)
    return pd.DataFrame({"in_cell": in_cell,
                         "adopter": (merged["adopter"].fillna(False).astype(bool) & in_cell),
                         "sales": merged["sales"].fillna(0.0).where(in_cell, 0.0)}, index=obs.index)


def leave_out_counts(obs: pd.DataFrame, firm_years: pd.DataFrame, year: int) -> pd.DataFrame:
    """N_(−i)nj,s, T_(−i)nj,s and S_(−i)nj,s (sales) of each observation's cell in ``year``."""
    counts = cell_counts(firm_years, year).reindex(_cell_key(obs)).fillna(0.0)
    own = own_row(obs, firm_years, year)
    return pd.DataFrame({"N": counts["N"].to_numpy() - own["in_cell"].to_numpy(),
                         "T": counts["T"].to_numpy() - own["adopter"].to_numpy(),
                         "S": counts["S"].to_numpy() - own["sales"].to_numpy()}, index=obs.index)


def adopter_share(obs: pd.DataFrame, firm_years: pd.DataFrame, year: int) -> pd.Series:
    """Share_(−i)nj,s of eq. (3.2) for each observation (firm_id, region, sector); NaN when
    no other firm is printed in the cell that year."""
    counts = leave_out_counts(obs, firm_years, year)
    return (counts["T"] / counts["N"].where(counts["N"] > 0)).rename(f"share_{year}")


def _affiliates(firm_years: pd.DataFrame, base_year: int) -> pd.DataFrame:
    base = firm_years.loc[(firm_years["year"] == base_year) & firm_years["business_group"].notna()]
    return base[["firm_id", "business_group", "region", "sector", "first_adoption_year"]].rename(
        columns={"business_group": "group"})


def _far_pairs(firm_years: pd.DataFrame, base_year: int, distances: pd.DataFrame, radius_km: float) -> pd.DataFrame:
    """Every (group g, cell nj) with D_gnj,b = 1, paired with each b-affiliate k of g in sector j
    located beyond the radius of n: group, region, sector, firm_id (k), first_adoption_year (k)."""
    affiliates = _affiliates(firm_years, base_year)
    present = affiliates[["group", "region", "sector"]].drop_duplicates()
    pairs = present.merge(affiliates.rename(columns={"region": "region_k"}), on=["group", "sector"])
    if pairs.empty:
        return pairs.assign(far=pd.Series(dtype=bool))
    distance = distances.to_numpy()[distances.index.get_indexer(pairs["region"]),
                                    distances.columns.get_indexer(pairs["region_k"])]
    return pairs.loc[(pairs["region_k"] != pairs["region"]) & (distance > radius_km)]


def _group_sums(obs: pd.DataFrame, per_group: pd.DataFrame, value: str) -> np.ndarray:
    """Σ_{g ≠ g(i), D_gnj = 1} value_gnj for each observation: the cell total minus the firm's own group."""
    cell_total = per_group.groupby(["region", "sector"])[value].sum().reindex(_cell_key(obs)).fillna(0.0).to_numpy()
    own_index = pd.MultiIndex.from_arrays([obs["group"].astype("string").fillna("\x00"),
                                           obs["region"].astype(str), obs["sector"].astype(str)])
    own = per_group.set_index(["group", "region", "sector"])[value].reindex(own_index).fillna(0.0).to_numpy()
    return cell_total - own


def sector_totals_outside(obs: pd.DataFrame, firm_years: pd.DataFrame, year: int, column: str) -> np.ndarray:
    """N_(−n)j,s (``column="N"``) or S_(−n)j,s (``"S"``): sector j's printed firms (sales) in ``year``
    outside the observation's region n."""
    cells = cell_counts(firm_years, year)
    sector = cells.groupby(level="sector")[column].sum()
    national = sector.reindex(obs["sector"].astype(str)).fillna(0.0).to_numpy()
    own_region = cells[column].reindex(_cell_key(obs)).fillna(0.0).to_numpy()
    return national - own_region


def group_instrument(obs: pd.DataFrame, firm_years: pd.DataFrame, base_year: int, years, count_year: int,
                     distances: pd.DataFrame, radius_km: float = 100.0) -> pd.DataFrame:
    """Z_inj,s of eq. (3.4) for each observation (firm_id, region, sector, group = g(i) in the base
    year, NA if unaffiliated) and each year s in ``years``; ``count_year`` is s0 = t0 − h of
    footnote 10. Columns ``z_<s>``, ``znum_<s>`` (the sum of T's) and ``npred_<s>``."""
    pairs = _far_pairs(firm_years, base_year, distances, radius_km)
    n_base = leave_out_counts(obs, firm_years, count_year)["N"].to_numpy()
    sector_base = sector_totals_outside(obs, firm_years, count_year, "N")
    out = pd.DataFrame(index=obs.index)
    for year in years:
        adopted = pairs.assign(T=(pairs["first_adoption_year"] <= year).fillna(False).astype(float))
        per_group = adopted.groupby(["group", "region", "sector"], as_index=False)["T"].sum()
        numerator = _group_sums(obs, per_group, "T")
        growth = sector_totals_outside(obs, firm_years, year, "N") / np.where(sector_base > 0, sector_base, np.nan)
        npred = growth * n_base
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(numerator == 0, 0.0, numerator / np.where(npred > 0, npred, np.nan))
        out[f"z_{year}"], out[f"znum_{year}"], out[f"npred_{year}"] = z, numerator, npred
    return out


def predicted_group_sales_share(obs: pd.DataFrame, firm_years: pd.DataFrame, base_year: int, years,
                                distances: pd.DataFrame, radius_km: float = 100.0) -> pd.DataFrame:
    """PGS_inj,s (module docstring) for each observation and year s in ``years``: columns ``pgs_<s>``."""
    affiliates = _affiliates(firm_years, base_year)
    base_sales = firm_years.loc[firm_years["year"] == base_year, ["firm_id", "sales"]]
    local = (affiliates.merge(base_sales, on="firm_id").assign(sales=lambda f: f["sales"].fillna(0.0))
             .groupby(["group", "region", "sector"], as_index=False)["sales"].sum())
    pairs = _far_pairs(firm_years, base_year, distances, radius_km)
    cell_base = leave_out_counts(obs, firm_years, base_year)["S"].to_numpy()
    sector_base = sector_totals_outside(obs, firm_years, base_year, "S")
    far_base = _far_sales(pairs, firm_years, base_year)
    out = pd.DataFrame(index=obs.index)
    for year in years:
        growth = _far_sales(pairs, firm_years, year) / far_base.where(far_base > 0)
        predicted = local.set_index(["group", "region", "sector"])
        predicted = predicted.assign(pred=predicted["sales"] * growth.reindex(predicted.index).fillna(1.0))
        numerator = _group_sums(obs, predicted.reset_index(), "pred")
        sector_growth = sector_totals_outside(obs, firm_years, year, "S") / np.where(sector_base > 0, sector_base, np.nan)
        denominator = cell_base * sector_growth
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"pgs_{year}"] = np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0),
                                          np.nan)
    return out


def _far_sales(pairs: pd.DataFrame, firm_years: pd.DataFrame, year: int) -> pd.Series:
    """S_g(−n)j,s: sales in ``year`` of the far affiliates of each (g, n, j) (missing or unprinted: 0)."""
    sales = firm_years.loc[firm_years["year"] == year].set_index("firm_id")["sales"]
    values = sales.reindex(pairs["firm_id"]).fillna(0.0).to_numpy()
    return (pairs.assign(s=values).groupby(["group", "region", "sector"])["s"].sum()
            if len(pairs) else pd.Series(dtype=float))


def group_sales_share(obs: pd.DataFrame, firm_years: pd.DataFrame, year: int) -> pd.Series:
    """Actual leave-out sales share of business groups other than g(i) in the cell in ``year``
    (endogenous; reported, not used as a control)."""
    printed = firm_years.loc[(firm_years["year"] == year)]
    affiliated = printed.loc[printed["business_group"].notna()].rename(columns={"business_group": "group"})
    per_group = (affiliated.assign(sales=affiliated["sales"].fillna(0.0))
                 .groupby(["group", "region", "sector"], as_index=False)["sales"].sum())
    numerator = _group_sums(obs, per_group, "sales")
    denominator = leave_out_counts(obs, firm_years, year)["S"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.Series(np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan),
                         index=obs.index, name=f"gs_{year}")


def market_access(sizes: pd.Series, distances: pd.DataFrame, theta: float = 1.0) -> pd.Series:
    """MA_n = Σ_{m ≠ n} max(dist_nm, 1 km)^−θ × size_m for every region n of ``distances``
    (``sizes`` indexed by region; regions without a size count 0)."""
    size = sizes.reindex(distances.columns).fillna(0.0).to_numpy(dtype=float)
    weights = np.maximum(distances.to_numpy(), 1.0) ** (-theta)
    np.fill_diagonal(weights, 0.0)
    return pd.Series(weights @ size, index=distances.index, name="market_access")
