"""The long-difference estimation samples of eq. (3.3), Panels A and B of Table 1.

One row per firm and difference set (t0, t1), for firms printed in the balance sheets in both t0
and t1 (continuing firms); the firm's region, sector and business group are those of t0.
Panel A keeps firms with no completed linked contract in any year (never adopters); Panel B keeps
all. Columns (all differences are value(t1) − value(t0) unless said):

=====================  ===========================================================================
``dy``, ``y0``         change and t0 level of the outcome: Panel A log sales or a TFPR residual
                       (``estimation.direct_effects.outcomes``); Panel B 1[new contract], a linked
                       contract approved in the year (any status, or completed only)
``dshare``             Share_(−i)nj,t1−h − Share_(−i)nj,t0−h (eq. 3.2), h = lag
``dz``                 Z_inj,t1−h − Z_inj,t0−h (eq. 3.4, footnote 10), base year t0
``dpgs``               predicted group sales share PGS_inj,t1 − PGS_inj,t0 (base t0; shares.py)
``dgs``                actual leave-out group sales share change (reported, not a control)
``dlog_ma``            log MA_n,t1 − log MA_n,t0 (sizes: regions' sales of the year, or a static column)
``port_x_export``      log(1 + port distance km) × the firm's export share (exports / sales) in t0
``credit_asinh``       asinh(Σ directed credit received in t0 … t1)
``complex_change``,    Δ1[the firm's region (and sector, when the complex row names one) hosts an
``tax_favor_change``   industrial complex designated by the year]; Δ tax favour of those complexes
``fair_revenue_asinh`` asinh(Σ trade-fair revenue in t0 … t1); ``fair_participations``: Σ participations
``pre_growth``         y(t0) − y(t0 − pre_years), for the placebo (Panel A outcome; Panel B: log sales)
``ma0``                initial market access MA_n,t0, for the heterogeneity split
=====================  ===========================================================================

Identifiers: ``region``, ``sector``, ``sector_group`` (sector × group for affiliates, one level
"unaffiliated" otherwise), ``diff_set`` (fixed effects); clusters ``cl_region`` and ``cl_group``
(the business group; an unaffiliated firm is its own cluster).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..adoption_panel import adoption_panel, linked_contract_years
from ..direct_effects.errors import EstimationError
from ..direct_effects.outcomes import outcome_values, safe_log
from .shares import (adopter_share, group_instrument, group_sales_share, market_access,
                     predicted_group_sales_share)
from .spec import SpilloversSpec

CONTROL_COLUMNS = {"group_share": ("dpgs",), "market_access": ("dlog_ma", "port_x_export"),
                   "credit": ("credit_asinh",), "complex": ("complex_change", "tax_favor_change"),
                   "trade": ("fair_revenue_asinh", "fair_participations")}
FIXED_EFFECTS = ("region", "sector", "sector_group", "diff_set")
CLUSTERS = ("cl_region", "cl_group")


def prepare_firm_years(spec: SpilloversSpec, balance_sheets: pd.DataFrame, contracts: pd.DataFrame,
                       links: pd.DataFrame) -> pd.DataFrame:
    """One row per printed firm-year: the shares' inputs (shares.FIRM_YEAR_COLUMNS) plus ``y_a``
    (Panel A outcome), ``log_sales``, ``exports``, ``new_contract`` and ``ever_adopter``."""
    bs = balance_sheets.copy()
    bs["firm_id"] = bs["firm_id"].astype(str)
    bs["year"] = pd.to_numeric(bs["year"]).astype("int64")
    bs = bs.drop_duplicates(["firm_id", "year"])
    group = bs["business_group"].astype("string").str.strip() if "business_group" in bs else pd.Series(pd.NA, index=bs.index)
    frame = pd.DataFrame({"firm_id": bs["firm_id"], "year": bs["year"], "region": bs["region"].astype(str),
                          "sector": bs["sector"].astype(str), "business_group": group.mask(group == ""),
                          "sales": pd.to_numeric(bs.get("sales"), errors="coerce").astype(float),
                          "exports": pd.to_numeric(bs.get("exports"), errors="coerce").astype(float)
                          if "exports" in bs else np.nan})
    frame["y_a"] = outcome_values(bs, spec.outcome_a, spec.tfpr_user_cost).to_numpy()
    frame["log_sales"] = safe_log(frame["sales"]).to_numpy()
    panel = adoption_panel(bs, contracts, links)[["firm_id", "year", "adopter", "first_adoption_year", "ever_adopter"]]
    frame = frame.merge(panel, on=["firm_id", "year"], how="left")
    events = linked_contract_years(contracts, links)
    if spec.new_contract_status == "completed":
        events = events.loc[events["completed"] == 1]
    signed = set(zip(events["firm_id"], events["approval_year"].dropna().astype(int)))
    frame["new_contract"] = [float((f, y) in signed) for f, y in zip(frame["firm_id"], frame["year"])]
    return frame


def _window_sum(table: pd.DataFrame | None, column: str, firms: pd.Series, t0: int, t1: int) -> np.ndarray:
    if table is None or column not in table:
        return np.full(len(firms), np.nan)
    years = pd.to_numeric(table["year"], errors="coerce")
    inside = table.loc[years.between(t0, t1)]
    sums = pd.to_numeric(inside[column], errors="coerce").groupby(inside["firm_id"].astype(str)).sum(min_count=1)
    return sums.reindex(firms).fillna(0.0).to_numpy()


def _complex_state(complexes: pd.DataFrame, obs: pd.DataFrame, year: int) -> tuple[np.ndarray, np.ndarray]:
    """1[an industrial complex designated by ``year`` in the firm's region (and sector, if named)]
    and the largest tax favour among them (0 when none, or when the table has no tax_favor)."""
    table = complexes.copy()
    table["region"] = table["region"].astype(str)
    table["year"] = pd.to_numeric(table["year"], errors="coerce")
    sector = table["sector"].astype("string") if "sector" in table else pd.Series(pd.NA, index=table.index)
    favor = pd.to_numeric(table["tax_favor"], errors="coerce") if "tax_favor" in table else pd.Series(0.0, index=table.index)
    active = table.assign(sector=sector, favor=favor.fillna(0.0)).loc[table["year"] <= year]
    key = obs[["region", "sector"]].reset_index(drop=True).reset_index()
    general = key.merge(active.loc[active["sector"].isna(), ["region", "favor"]], on="region")
    specific = key.merge(active.loc[active["sector"].notna(), ["region", "sector", "favor"]].astype({"sector": str}),
                         on=["region", "sector"])
    hits = pd.concat([general[["index", "favor"]], specific[["index", "favor"]]])
    dummy = np.zeros(len(obs))
    best = np.zeros(len(obs))
    if len(hits):
        grouped = hits.groupby("index")["favor"].max()
        dummy[grouped.index.to_numpy()] = 1.0
        best[grouped.index.to_numpy()] = grouped.to_numpy()
    return dummy, best


def _region_sizes(spec: SpilloversSpec, firm_years: pd.DataFrame, regions: pd.DataFrame, year: int) -> pd.Series:
    if spec.ma_size == "sales":
        printed = firm_years.loc[firm_years["year"] == year]
        return printed["sales"].fillna(0.0).groupby(printed["region"]).sum()
    if spec.ma_size not in regions:
        raise EstimationError("bad_setting", f"Market access size {spec.ma_size!r} is neither 'sales' nor a column "
                                             "of the regions table.")
    return pd.to_numeric(regions.set_index(regions["region"].astype(str))[spec.ma_size], errors="coerce")


def difference_set(spec: SpilloversSpec, firm_years: pd.DataFrame, regions: pd.DataFrame, distances: pd.DataFrame,
                   t0: int, t1: int, credit=None, trade_fairs=None, complexes=None) -> pd.DataFrame:
    """Every continuing firm (printed in t0 and t1) of one long difference, both panels' variables."""
    h = spec.lag
    start = firm_years.loc[firm_years["year"] == t0].set_index("firm_id")
    end = firm_years.loc[firm_years["year"] == t1].set_index("firm_id")
    firms = start.index.intersection(end.index)
    s, e = start.loc[firms], end.loc[firms]
    obs = pd.DataFrame({"firm_id": firms.astype(str), "t0": t0, "t1": t1, "region": s["region"].to_numpy(),
                        "sector": s["sector"].to_numpy(), "group": s["business_group"].to_numpy(),
                        "never_adopter": ~s["ever_adopter"].fillna(False).astype(bool).to_numpy()})
    obs.index = pd.RangeIndex(len(obs))
    for name, column in (("a", "y_a"), ("b", "new_contract")):
        obs[f"y0_{name}"] = s[column].to_numpy()
        obs[f"dy_{name}"] = e[column].to_numpy() - s[column].to_numpy()
    shares = {year: adopter_share(obs, firm_years, year) for year in (t0 - h, t1 - h)}
    obs["share0"], obs["share1"] = shares[t0 - h].to_numpy(), shares[t1 - h].to_numpy()
    obs["dshare"] = obs["share1"] - obs["share0"]
    z = group_instrument(obs, firm_years, t0, (t0 - h, t1 - h), t0 - h, distances, spec.radius_km)
    obs["z0"], obs["z1"] = z[f"z_{t0 - h}"].to_numpy(), z[f"z_{t1 - h}"].to_numpy()
    obs["dz"] = obs["z1"] - obs["z0"]
    pgs = predicted_group_sales_share(obs, firm_years, t0, (t0, t1), distances, spec.radius_km)
    obs["dpgs"] = pgs[f"pgs_{t1}"].to_numpy() - pgs[f"pgs_{t0}"].to_numpy()
    obs["dgs"] = (group_sales_share(obs, firm_years, t1) - group_sales_share(obs, firm_years, t0)).to_numpy()
    ma0 = market_access(_region_sizes(spec, firm_years, regions, t0), distances, spec.ma_theta)
    ma1 = market_access(_region_sizes(spec, firm_years, regions, t1), distances, spec.ma_theta)
    obs["ma0"] = ma0.reindex(obs["region"]).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        obs["dlog_ma"] = np.log(ma1.reindex(obs["region"]).to_numpy()) - np.log(obs["ma0"].to_numpy())
        port = (pd.to_numeric(regions.set_index(regions["region"].astype(str))["port_distance_km"], errors="coerce")
                if "port_distance_km" in regions else pd.Series(dtype=float))
        export_share = (s["exports"] / s["sales"].where(s["sales"] > 0)).to_numpy()
        obs["port_x_export"] = np.log1p(port.reindex(obs["region"]).to_numpy()) * export_share
    firm_index = obs["firm_id"]
    obs["credit_asinh"] = np.arcsinh(_window_sum(credit, "amount", firm_index, t0, t1))
    obs["fair_revenue_asinh"] = np.arcsinh(_window_sum(trade_fairs, "revenue", firm_index, t0, t1))
    obs["fair_participations"] = _window_sum(trade_fairs, "participations", firm_index, t0, t1)
    if complexes is not None:
        (c0, f0), (c1, f1) = _complex_state(complexes, obs, t0), _complex_state(complexes, obs, t1)
        obs["complex_change"], obs["tax_favor_change"] = c1 - c0, f1 - f0
    else:
        obs["complex_change"] = obs["tax_favor_change"] = np.nan
    pre = firm_years.loc[firm_years["year"] == t0 - spec.pre_years].set_index("firm_id")
    obs["pre_growth_a"] = (s["y_a"] - pre["y_a"].reindex(firms)).to_numpy()
    obs["pre_growth_b"] = (s["log_sales"] - pre["log_sales"].reindex(firms)).to_numpy()
    return obs


def build_samples(spec: SpilloversSpec, firm_years: pd.DataFrame, regions: pd.DataFrame, distances: pd.DataFrame,
                  credit=None, trade_fairs=None, complexes=None) -> dict[str, pd.DataFrame]:
    """{"A": Panel A sample, "B": Panel B sample}: the stacked difference sets with fixed-effect
    and cluster identifiers and the panel's ``dy``, ``y0`` and ``pre_growth``."""
    sets = []
    for number, (t0, t1) in enumerate(spec.differences, start=1):
        sets.append(difference_set(spec, firm_years, regions, distances, t0, t1, credit, trade_fairs, complexes)
                    .assign(diff_set=f"{t0}-{t1}", set_number=number))
    stacked = pd.concat(sets, ignore_index=True)
    affiliated = stacked["group"].notna()
    stacked["sector_group"] = np.where(affiliated, stacked["sector"] + "×" + stacked["group"].astype(str), "unaffiliated")
    stacked["cl_region"] = stacked["region"]
    stacked["cl_group"] = np.where(affiliated, "group " + stacked["group"].astype(str), "firm " + stacked["firm_id"])
    samples = {}
    for panel, keep in (("A", stacked["never_adopter"]), ("B", pd.Series(True, index=stacked.index))):
        name = panel.lower()
        frame = stacked.loc[keep].rename(columns={f"dy_{name}": "dy", f"y0_{name}": "y0",
                                                  f"pre_growth_{name}": "pre_growth"})
        other = "b" if name == "a" else "a"
        samples[panel] = frame.drop(columns=[f"dy_{other}", f"y0_{other}", f"pre_growth_{other}"]).reset_index(drop=True)
    return samples
