"""Tests of the seeded demo archive (models/demo_economy.py).

Three kinds of checks: the tables follow /work/shared/spec/data-format.md, the
archive looks like the one Choi & Shim describe, and the data-generating
process delivers what docs/demo-economy.md promises (true spillover recovered
from the latent panel, OLS on observed shares biased upward, LPM slope γ,
non-random domestic cancellations).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.demo_economy import DemoEconomy, DemoSettings, generate_demo_economy, great_circle_km

ROOT = Path(__file__).resolve().parents[1]

# The upload format, written out independently of the module (spec order).
SPEC = {
    "contracts": ["contract_id", "firm_name", "foreign_firm", "foreign_country", "year", "contract_type",
                  "status", "canceled_by", "cancel_year", "cancel_reason", "source_ref"],
    "balance_sheets": ["firm_id", "firm_name", "year", "sector", "region", "business_group", "sales", "assets",
                       "fixed_assets", "exports", "employment", "wage_bill", "materials"],
    "regions": ["region", "name", "lat", "lon", "port_distance_km"],
    "sectors": ["sector", "name", "heavy"],
    "credit": ["firm_id", "year", "amount"],
    "trade_fairs": ["firm_id", "year", "participations", "revenue"],
    "deflators": ["year", "factor"],
    "model_sectors": ["sector", "name", "kind"],
    "input_output": ["user", "input", "share"],
    "sector_years": ["sector", "year", "gross_output", "value_added", "exports", "imports", "ppi", "tariff"],
    "region_sectors": ["region", "sector", "year", "value_added", "gross_output"],
    "populations": ["region", "year", "population"],
    "roads": ["from_node", "to_node", "km", "highway", "name"],
}
TEXT = {"contract_id", "firm_name", "foreign_firm", "foreign_country", "contract_type", "status", "canceled_by",
        "cancel_reason", "source_ref", "firm_id", "sector", "region", "business_group", "name", "kind", "user",
        "input", "from_node", "to_node"}
INTEGER = {"year", "participations"}
MONEY = ["sales", "assets", "fixed_assets", "exports", "employment", "wage_bill", "materials"]


@pytest.fixture(scope="module")
def eco() -> DemoEconomy:
    return generate_demo_economy()


@pytest.fixture(scope="module")
def t(eco) -> dict[str, pd.DataFrame]:
    return eco.tables


@pytest.fixture(scope="module")
def adoption_year(eco) -> pd.Series:
    """Observed adoption: first completed contract, linked to balance-sheet firms by the true links."""
    c = eco.tables["contracts"].merge(eco.true_links, on="contract_id")
    return c[c.status == "completed"].dropna(subset=["firm_id"]).groupby("firm_id").year.min()


def ols(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(X, y, rcond=None)[0]


def dummies(s: pd.Series) -> np.ndarray:
    return pd.get_dummies(s, drop_first=True, dtype=float).to_numpy()


# --- the upload format -----------------------------------------------------------------------------

def test_tables_have_exactly_the_spec_columns_in_order(t):
    assert set(t) == set(SPEC)
    for name, cols in SPEC.items():
        assert list(t[name].columns) == cols, name


def test_column_types(t):
    for name, df in t.items():
        for col in df.columns:
            dtype = df[col].dtype
            if col in TEXT:
                assert pd.api.types.is_string_dtype(dtype) or dtype == object, (name, col, dtype)
                assert all(isinstance(v, str) for v in df[col].dropna()), (name, col)
            elif col == "cancel_year":
                assert str(dtype) == "Int64"
            elif col in INTEGER:
                assert dtype == np.int64, (name, col, dtype)
            elif col in ("heavy", "highway"):
                assert dtype == bool, (name, col, dtype)
            else:
                assert dtype == np.float64, (name, col, dtype)


def test_keys_are_unique(t):
    assert t["regions"].region.is_unique and t["sectors"].sector.is_unique
    assert t["deflators"].year.is_unique and t["contracts"].contract_id.is_unique
    for name in ("balance_sheets", "credit", "trade_fairs"):
        assert not t[name].duplicated(["firm_id", "year"]).any(), name
    for name, col in (("regions", "region"), ("contracts", "contract_id"), ("balance_sheets", "firm_id")):
        assert t[name][col].notna().all()


def test_codes_and_references(t, eco):
    bs = t["balance_sheets"]
    assert bs.sector.isin(t["sectors"].sector).all() and bs.region.isin(t["regions"].region).all()
    assert t["credit"].firm_id.isin(bs.firm_id).all() and t["trade_fairs"].firm_id.isin(bs.firm_id).all()
    assert len(t["credit"]) > 0 and len(t["trade_fairs"]) > 0
    assert t["regions"].region.str.fullmatch(r"R\d{2}").all() and t["sectors"].sector.str.fullmatch(r"S\d{2}").all()
    assert bs.firm_id.str.fullmatch(r"F\d{5}").all() and t["contracts"].contract_id.str.fullmatch(r"C\d{4}").all()
    assert bs.business_group.dropna().str.fullmatch(r"G\d{2}").all()
    assert list(eco.true_links.columns) == ["contract_id", "firm_id"]
    assert eco.true_links.contract_id.tolist() == t["contracts"].contract_id.tolist()
    assert eco.true_links.firm_id.dropna().isin(bs.firm_id).all()
    years = set(range(1970, 1983))
    assert set(t["deflators"].year) == years and set(bs.year) == years


def test_allowed_values(t):
    c = t["contracts"]
    assert c.status.isin(["completed", "canceled"]).all()
    canceled = c.status == "canceled"
    assert c.loc[canceled, "canceled_by"].isin(["foreign", "domestic"]).all()
    assert c.loc[~canceled, "canceled_by"].isna().all() and c.loc[~canceled, "cancel_year"].isna().all()
    assert (c.loc[canceled, "cancel_year"] >= c.loc[canceled, "year"]).all()
    assert c.contract_type.dropna().isin(["blueprint", "training", "license", "other"]).all()
    assert c.loc[canceled, "cancel_reason"].notna().mean() > 0.8 and c.loc[~canceled, "cancel_reason"].isna().all()
    assert c.year.between(1970, 1982).all() and c.source_ref.notna().all()


def test_non_negative_and_consistent_money(t):
    bs = t["balance_sheets"]
    for col in MONEY:
        assert (bs[col].dropna() >= 0).all(), col
    assert (bs.fixed_assets <= bs.assets).where(bs.fixed_assets.notna() & bs.assets.notna(), True).all()
    assert (bs.exports <= bs.sales).where(bs.exports.notna() & bs.sales.notna(), True).all()
    assert (t["credit"].amount >= 0).all() and (t["trade_fairs"].participations >= 0).all()
    assert (t["trade_fairs"].revenue.dropna() >= 0).all() and (t["deflators"].factor > 0).all()
    q = bs.sales.quantile([0.01, 0.99])
    assert 1e5 <= q[0.01] and q[0.99] <= 1e9                  # constant 2015 USD, firm scale
    assert (bs.exports == 0).mean() > 0.4                      # many non-exporters
    assert ((bs.wage_bill + bs.materials) / bs.sales).median() < 0.8


def test_regions_lie_in_south_korea(t):
    r = t["regions"]
    assert len(r) == 30 and r.lat.between(34.5, 38.0).all() and r.lon.between(126.0, 129.6).all()
    assert (r.port_distance_km >= 0).all() and (r.port_distance_km <= 10).sum() >= 5
    assert r.name.str.contains("[가-힣]").all() and {"서울", "부산", "울산", "창원", "구미", "포항"} <= set(r.name)


def test_sectors_four_heavy_six_light(t):
    assert len(t["sectors"]) == 10 and t["sectors"].heavy.sum() == 4


# --- determinism and purity ------------------------------------------------------------------------

def test_same_seed_same_archive_and_other_seed_differs(eco):
    again = generate_demo_economy(DemoSettings())
    for name, df in eco.tables.items():
        pd.testing.assert_frame_equal(df, again.tables[name])
    pd.testing.assert_frame_equal(eco.true_links, again.true_links)
    pd.testing.assert_frame_equal(eco.true_parameters, again.true_parameters)
    pd.testing.assert_frame_equal(eco.latent_panel, again.latent_panel)
    other = generate_demo_economy(DemoSettings(seed=7))
    assert not other.tables["balance_sheets"].equals(eco.tables["balance_sheets"])
    assert not other.tables["contracts"].equals(eco.tables["contracts"])


def test_module_imports_without_streamlit_or_duckdb():
    code = ("import sys\nclass Block:\n    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] in ('streamlit', 'duckdb'): raise ImportError(name)\n"
            "sys.meta_path.insert(0, Block())\n"
            "from models.demo_economy import generate_demo_economy\n"
            "generate_demo_economy()\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError, match="n_regions"):
        generate_demo_economy(DemoSettings(n_regions=99))


def test_true_parameters_table(eco):
    tp = eco.true_parameters.set_index("parameter")
    assert list(eco.true_parameters.columns) == ["parameter", "value", "description"]
    assert tp.index.is_unique and tp.value.notna().all()
    assert tp.loc["spillover_log_sales", "value"] == DemoSettings().spillover
    assert tp.loc["direct_effect_log_sales_tau0", "value"] < tp.loc["direct_effect_log_sales_tau3", "value"]
    assert tp.loc["direct_effect_log_sales_tau3", "value"] == tp.loc["direct_effect_log_sales_tau7", "value"]


# --- realism -----------------------------------------------------------------------------------------

def test_coverage_entry_exit_and_employment(t):
    bs = t["balance_sheets"]
    per_year = bs.groupby("year").size()
    assert per_year[1970] < 0.75 * per_year[1975]
    assert bs.loc[bs.year <= 1971, "employment"].isna().all()
    assert bs.loc[bs.year >= 1972, "employment"].notna().mean() > 0.85
    spans = bs.groupby("firm_id").year.agg(["min", "max"])
    assert (spans["min"] > 1971).mean() > 0.2 and (spans["max"] < 1982).mean() > 0.1   # entry and exit
    assert (bs.groupby("firm_id")[["sector", "region"]].nunique() == 1).all().all()    # one plant


def test_heavy_share_of_sales_rises_during_the_drive(t):
    bs = t["balance_sheets"].merge(t["sectors"][["sector", "heavy"]], on="sector")
    heavy = bs[bs.heavy].groupby("year").sales.sum() / bs.groupby("year").sales.sum()
    assert heavy[1980] > heavy[1972] + 0.1


def test_contracts_concentrated_in_heavy_sectors_and_the_policy_window(t, eco):
    c = t["contracts"]
    assert 400 <= len(c) <= 600
    per_year = c.groupby("year").size().reindex(range(1970, 1983), fill_value=0)
    assert per_year.loc[1973:1979].mean() > 2 * per_year.loc[1970:1972].mean()
    sector = t["balance_sheets"].drop_duplicates("firm_id").set_index("firm_id").sector
    heavy = t["sectors"].set_index("sector").heavy
    linked = eco.true_links.firm_id.dropna()
    assert linked.map(sector).map(heavy).mean() > 0.7
    countries = c.foreign_country.value_counts(normalize=True)
    assert countries.index[0] == "Japan" and 0.45 < countries["Japan"] < 0.7 and 0.12 < countries["USA"] < 0.3


def test_losers_include_delayed_and_never_adopters(t, eco, adoption_year):
    c = t["contracts"].merge(eco.true_links, on="contract_id").dropna(subset=["firm_id"])
    first_foreign = c[c.canceled_by == "foreign"].groupby("firm_id").year.min()
    losers = first_foreign[~(first_foreign.index.map(adoption_year) <= first_foreign.to_numpy())]
    later = losers.index.map(adoption_year)
    delayed, never = (later > losers.to_numpy()).sum(), pd.isna(later).sum()
    assert 20 <= (c.canceled_by == "foreign").sum() <= 80
    assert delayed >= 5 and never >= 5


def test_about_ten_percent_of_contracts_are_by_unlisted_firms(eco):
    assert 0.07 <= eco.true_links.firm_id.isna().mean() <= 0.13


def test_contract_names_differ_from_balance_sheet_names_but_share_a_stem(t, eco):
    bs_names = t["balance_sheets"].groupby("firm_id").firm_name.agg(set)
    c = t["contracts"].merge(eco.true_links, on="contract_id").dropna(subset=["firm_id"])
    differs = [name not in bs_names[f] for name, f in zip(c.firm_name, c.firm_id)]

    def bigrams(s: str) -> set[str]:
        return {s[k:k + 2] for k in range(len(s) - 1) if all("가" <= ch <= "힣" for ch in s[k:k + 2])}

    shared = [bool(bigrams(name) & set().union(*map(bigrams, bs_names[f]))) for name, f in zip(c.firm_name, c.firm_id)]
    assert np.mean(differs) > 0.5 and np.mean(shared) > 0.75
    assert c.firm_name.str.contains("Co\\.|Inc\\.|Corp\\.").any() and c.firm_name.str.contains("株式會社").any()
    assert (t["balance_sheets"].groupby("firm_id").firm_name.nunique() > 1).any()   # names vary over years


def test_business_groups_span_distant_regions(t):
    bs, r = t["balance_sheets"], t["regions"].set_index("region")
    firms = bs.drop_duplicates("firm_id")
    assert 0.03 < firms.business_group.notna().mean() < 0.08 and firms.business_group.nunique() == 15
    heavy = t["sectors"].set_index("sector").heavy
    assert firms.dropna(subset=["business_group"]).sector.map(heavy).mean() > 0.5
    for g, members in firms.dropna(subset=["business_group"]).groupby("business_group"):
        lat, lon = r.loc[members.region, "lat"].to_numpy(), r.loc[members.region, "lon"].to_numpy()
        assert great_circle_km(lat[:, None], lon[:, None], lat[None], lon[None]).max() > 100, g


# --- the data-generating process -------------------------------------------------------------------

def _panel(eco) -> pd.DataFrame:
    bs = eco.tables["balance_sheets"][["firm_id", "year", "sales"]].dropna()
    return eco.latent_panel.merge(bs, on=["firm_id", "year"]).sort_values(["firm_id", "year"])


def test_first_differences_with_true_variables_recover_the_spillover(eco):
    """Δ log sales on ΔShare_(−i)nj,t−2, ΔD and Δη (true), sector-year FE: slopes δ, 1, 1+θ+κ."""
    m, truth = _panel(eco), eco.true_parameters.set_index("parameter").value
    g = m.groupby("firm_id")
    d = pd.DataFrame({"dy": g.sales.transform(lambda s: np.log(s).diff()), "dsh": g.share_lag2.diff(),
                      "dD": g.direct_effect_log_sales.diff(), "deta": g.local_shock.diff(),
                      "sy": m.sector + m.year.astype(str)})[(g.year.diff() == 1).to_numpy()].dropna()
    b = ols(d.dy.to_numpy(), np.c_[d[["dsh", "dD", "deta"]].to_numpy(), pd.get_dummies(d.sy, dtype=float)])
    assert abs(b[0] - truth["spillover_log_sales"]) < 0.15
    assert abs(b[1] - 1.0) < 0.15
    assert abs(b[2] - truth["local_shock_log_sales"]) < 0.6


def _observed_share(bs: pd.DataFrame, adoption_year: pd.Series, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Adopters T and firms N per region-sector among firms printed in ``year``, and who is an adopter."""
    d = bs.loc[bs.year == year, ["firm_id", "region", "sector"]].copy()
    d["a"] = (d.firm_id.map(adoption_year) <= year).astype(float)
    return d.groupby(["region", "sector"]).a.agg(["sum", "size"]).rename(columns={"sum": "T", "size": "N"}), d


def _long_differences(eco, adoption_year, t0: int, t1: int) -> pd.DataFrame:
    """Never-adopters printed in t0 and t1: Δ log sales, observed and true ΔShare_(−i)nj,t−2, Δη."""
    bs = eco.tables["balance_sheets"].dropna(subset=["sales"])
    a, b = bs[bs.year == t0].set_index("firm_id"), bs[bs.year == t1].set_index("firm_id")
    ids = a.index.intersection(b.index).difference(adoption_year.index)
    d = pd.DataFrame({"dy": np.log(b.loc[ids, "sales"]) - np.log(a.loc[ids, "sales"]),
                      "region": a.loc[ids, "region"], "sector": a.loc[ids, "sector"], "set": t0})
    for col, yr in (("s1", t1 - 2), ("s0", t0 - 2)):
        cells, printed = _observed_share(bs, adoption_year, yr)
        tn = cells.reindex(pd.MultiIndex.from_arrays([d.region, d.sector])).fillna(0.0).to_numpy()
        own = printed.set_index("firm_id").a.reindex(ids)
        n, tt = tn[:, 1] - own.notna().to_numpy(), tn[:, 0] - own.fillna(0.0).to_numpy()
        d[col] = np.where(n > 0, tt / np.maximum(n, 1), 0.0)
    lat = eco.latent_panel.set_index(["firm_id", "year"])

    def at(yr: int, col: str) -> np.ndarray:
        return lat.loc[[(f, yr) for f in ids], col].to_numpy()

    d["dsh_obs"] = d.s1 - d.s0
    d["dsh_true"] = at(t1, "share_lag2") - at(t0, "share_lag2")
    d["deta"] = at(t1, "local_shock") - at(t0, "local_shock")
    return d


def test_ols_on_observed_shares_is_biased_upward(eco, adoption_year):
    """Eq. (3.3) by OLS, 1972–79 and 1973–80 stacked, region and sector FE (the paper's OLS column)."""
    d = pd.concat([_long_differences(eco, adoption_year, 1972, 1979),
                   _long_differences(eco, adoption_year, 1973, 1980)])
    fe = np.c_[np.ones(len(d)), dummies(d.region), dummies(d.sector), dummies(d.set)]
    delta = eco.true_parameters.set_index("parameter").value["spillover_log_sales"]
    b_obs = ols(d.dy.to_numpy(), np.c_[d.dsh_obs, fe])[0]
    b_true = ols(d.dy.to_numpy(), np.c_[d.dsh_true, d.deta, fe])[0]   # the local shock held fixed
    assert len(d) > 600
    assert b_obs > delta + 0.3                                         # η raises adoption and growth
    assert abs(b_true - delta) < 0.4 and abs(b_true - delta) < b_obs - delta


def test_new_contracts_follow_the_linear_probability(eco):
    """1[new contract] on Share_(−i)nj,t−2 and the rest of p_it: slopes γ and 1."""
    lp = eco.latent_panel
    gamma = eco.true_parameters.set_index("parameter").value["complementarity"]
    ok = lp.contract_prob < 0.9
    y = (lp.new_contracts[ok] > 0).astype(float).to_numpy()
    rest = (lp.contract_prob - gamma * lp.share_lag2)[ok]
    b = ols(y, np.c_[np.ones(ok.sum()), lp.share_lag2[ok], rest])
    assert abs(b[1] - gamma) < 0.06 and abs(b[2] - 1.0) < 0.25   # se of the second slope ≈ 0.08


def test_cost_share_tfpr_recovers_latent_tfpr(eco):
    """log S − α_l log W − α_m log M − α_k log(rK) = log TFPR + constant + reporting noise."""
    tp = eco.true_parameters.set_index("parameter").value
    bs = eco.tables["balance_sheets"][["firm_id", "year", "sales", "wage_bill", "materials", "fixed_assets"]]
    m = eco.latent_panel.merge(bs, on=["firm_id", "year"]).dropna(subset=["sales", "wage_bill", "materials",
                                                                          "fixed_assets"])
    a_l, a_m = m.sector.map(lambda j: tp[f"wage_share_{j}"]), m.sector.map(lambda j: tp[f"materials_share_{j}"])
    tfpr = (np.log(m.sales) - a_l * np.log(m.wage_bill) - a_m * np.log(m.materials)
            - (1 - a_l - a_m) * np.log(tp["user_cost"] * m.fixed_assets))
    resid = tfpr - m.log_tfpr
    assert np.corrcoef(tfpr, m.log_tfpr)[0, 1] > 0.9 and resid.groupby(m.sector).std().max() < 0.06


def test_domestic_cancellations_follow_bad_cash_flow_foreign_ones_do_not(eco):
    c = eco.tables["contracts"].merge(eco.true_links, on="contract_id").dropna(subset=["firm_id"])
    u = c.merge(eco.latent_panel[["firm_id", "year", "cash_flow_shock"]], on=["firm_id", "year"])
    mean = u.groupby(u.canceled_by.fillna("none")).cash_flow_shock.mean()
    assert mean["domestic"] < -0.4 and abs(mean["foreign"]) < 0.4 and abs(mean["none"]) < 0.2


def test_group_affiliates_adopt_more(eco):
    firms = eco.latent_panel.groupby("firm_id").agg(g=("business_group", "first"), a=("adoption_year", "first"))
    rate = firms.a.notna().groupby(firms.g.notna()).mean()
    assert rate[True] > 2 * rate[False]


def test_no_two_firms_share_a_trade_name_within_a_sector(t):
    """Commercial Act arts. 22–23: within a sector no two firms are named alike up to 공업/산업 and the
    legal-form marker (대한전선 / 대한전선공업(주)); across sectors and one syllable apart they may be."""
    from estimation.names import standardize_firm_name

    firms = t["balance_sheets"].groupby("firm_id").agg(name=("firm_name", "last"), sector=("sector", "first"))
    key = firms["name"].map(standardize_firm_name).str.replace(r"(공업|산업)$", "", regex=True)
    clashes = firms.assign(key=key).groupby(["sector", "key"])["name"].agg(list)
    assert (clashes.map(len) == 1).all(), clashes[clashes.map(len) > 1].head()
    assert key.str[:2].duplicated().mean() > 0.5  # but stems recur: near-identical names stay common
