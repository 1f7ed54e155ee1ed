"""Local spillovers and complementarity (Choi & Shim, Sections 3.2–3.3, Table 1).

Parity with published IV numbers on real data shipped by linearmodels (Wooldridge, Introductory
Econometrics, Examples 15.1, 15.4, 15.5: Mroz and Card data), with an independent numpy 2SLS and
Cameron–Gelbach–Miller two-way clustering, brute-force loops for the shares and the instrument,
the demo economy's known truth, and bad input.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from estimation.spillovers import (EstimationError, SpilloversSpec, adopter_share, confidence_set_from_quadratic,
                                   fit_linear, group_instrument, haversine_km, market_access,
                                   predicted_group_sales_share, region_distances, run_spillovers, table1)
from estimation.spillovers import iv as iv_module

card_data = pytest.importorskip("linearmodels.datasets.card")
mroz_data = pytest.importorskip("linearmodels.datasets.mroz")

CARD_CONTROLS = ["exper", "expersq", "black", "smsa", "south", "smsa66",
                 "reg662", "reg663", "reg664", "reg665", "reg666", "reg667", "reg668", "reg669"]


def close(value, published, digits=4):
    """Equal to ``published`` to ``digits`` significant digits."""
    return abs(value - published) <= 0.5 * 10 ** (math.floor(math.log10(abs(published))) - digits + 1)


@pytest.fixture(scope="module")
def mroz():
    data = mroz_data.load()
    return data.loc[data["inlf"] == 1].copy()


@pytest.fixture(scope="module")
def card():
    data = card_data.load()
    data["region66"] = np.argmax(data[[f"reg66{i}" for i in range(1, 10)]].to_numpy(), axis=1)
    return data


# ------------------------------------------------------------------ published numbers (Wooldridge ch. 15)

def test_example_15_1_simple_iv_matches_published_output(mroz):
    """lwage on educ instrumented by fatheduc, 428 working women. Published (Stata ``ivreg``, R
    ``AER::ivreg``): educ .05917 (.03514), _cons .4411 (.4461); first stage fatheduc .2694416
    (.0285863), F(1, 426) = 88.84."""
    fit = fit_linear(mroz, "lwage", (), ("educ",), ("fatheduc",), vcov="iid")
    educ, cons = fit.coefficient("educ"), fit.coefficient("Intercept")
    assert fit.nobs == 428
    assert close(educ["estimate"], 0.05917) and close(educ["se"], 0.03514)
    assert close(cons["estimate"], 0.4411) and close(cons["se"], 0.4461)
    first = fit.first_stage.set_index("term").loc["fatheduc"]
    assert close(first["estimate"], 0.2694416, 7) and close(first["se"], 0.0285863, 6)
    assert close(fit.kp_f.stat, 88.84) and fit.kp_f.df == (1, 426)


def test_example_15_4_card_iv_ar_interval_and_weak_iv_statistics(card):
    """Card (1995): educ instrumented by nearc4 with 14 controls, N = 3010. Published: educ .1315038,
    se .0549637 (Stata ``ivreg``) and .0541436 (``ivreg, robust``); first stage nearc4 .3198989
    (.0878638), so F = t² = 13.256; Anderson–Rubin 95% interval [0.024804836, 0.284823593] (R
    ``iv.sensemakr``, homoskedastic, t(2994)), matched to 5 significant digits."""
    iid = fit_linear(card, "lwage", CARD_CONTROLS, ("educ",), ("nearc4",), vcov="iid")
    robust = fit_linear(card, "lwage", CARD_CONTROLS, ("educ",), ("nearc4",), vcov="hetero")
    assert iid.nobs == 3010 and iid.df_t == 2994
    assert close(iid.coefficient("educ")["estimate"], 0.1315038, 7)
    assert close(iid.coefficient("educ")["se"], 0.0549637, 6)
    assert close(robust.coefficient("educ")["se"], 0.0541436, 6)
    first = iid.first_stage.set_index("term").loc["nearc4"]
    assert close(first["estimate"], 0.3198989, 7) and close(first["se"], 0.0878638, 6)
    assert close(iid.kp_f.stat, (0.3198989 / 0.0878638) ** 2, 4)
    ar = iid.anderson_rubin
    assert ar.kind == "interval" and close(ar.low, 0.024804836, 5) and close(ar.high, 0.284823593, 5)
    # one instrument: the effective F is the robust first-stage F
    assert robust.effective_f.stat == pytest.approx(robust.kp_f.stat, rel=1e-10)


def test_example_15_5_two_instruments_iid_and_hc1(mroz):
    """lwage on educ (motheduc, fatheduc), exper, expersq. Published: educ .0613966 (.0314367),
    exper .0441704 (.0134325); HC1 (R ``sandwich::vcovHC(type = "HC1")``) se of educ .03333859."""
    iid = fit_linear(mroz, "lwage", ("exper", "expersq"), ("educ",), ("motheduc", "fatheduc"), vcov="iid")
    hc1 = fit_linear(mroz, "lwage", ("exper", "expersq"), ("educ",), ("motheduc", "fatheduc"), vcov="hetero")
    assert close(iid.coefficient("educ")["estimate"], 0.0613966, 6)
    assert close(iid.coefficient("educ")["se"], 0.0314367, 6)
    assert close(iid.coefficient("exper")["se"], 0.0134325, 6)
    assert close(hc1.coefficient("educ")["se"], 0.03333859, 7)
    assert iid.kp_f.df == (2, 423)
    assert isinstance(iid.anderson_rubin, iv_module.NotApplicable)


# ------------------------------------------------------------------ an independent implementation

def numpy_2sls_twoway(y, x, w, z, clusters_a, clusters_b):
    """Textbook 2SLS (intercept added) with CGM two-way CRV1: V = c (V_a + V_b − V_ab),
    c = (N − 1)/(N − K) · G/(G − 1), G = min(G_a, G_b) (fixest's defaults)."""
    n = len(y)
    regressors = np.column_stack([np.ones(n), x, w])
    instruments = np.column_stack([np.ones(n), z, w])
    fitted = instruments @ np.linalg.solve(instruments.T @ instruments, instruments.T @ regressors)
    beta = np.linalg.solve(fitted.T @ regressors, fitted.T @ y)
    u = y - regressors @ beta
    bread = np.linalg.inv(fitted.T @ fitted)

    def meat(ids):
        total = np.zeros((regressors.shape[1],) * 2)
        for g in np.unique(ids):
            s = fitted[ids == g].T @ u[ids == g]
            total += np.outer(s, s)
        return total

    both = np.array([f"{a}|{b}" for a, b in zip(clusters_a, clusters_b)])
    g = min(len(np.unique(clusters_a)), len(np.unique(clusters_b)))
    k = regressors.shape[1]
    c = (n - 1) / (n - k) * g / (g - 1)
    v = c * bread @ (meat(clusters_a) + meat(clusters_b) - meat(both)) @ bread
    return beta, np.sqrt(np.diag(v))


def test_two_way_clustered_2sls_matches_an_independent_numpy_implementation(card):
    data = card
    controls = ["exper", "expersq", "black", "smsa", "south"]
    fit = fit_linear(data, "lwage", controls, ("educ",), ("nearc4",), vcov="CRV1", cluster=("region66", "age"))
    beta, se = numpy_2sls_twoway(data["lwage"].to_numpy(), data["educ"].to_numpy(), data[controls].to_numpy(float),
                                 data["nearc4"].to_numpy(), data["region66"].to_numpy(), data["age"].to_numpy())
    educ = fit.coefficient("educ")
    assert educ["estimate"] == pytest.approx(beta[1], rel=1e-8)
    assert educ["se"] == pytest.approx(se[1], rel=1e-8)
    assert fit.coefficient("exper")["se"] == pytest.approx(se[2], rel=1e-8)
    assert fit.clusters == {"region66": 9, "age": 11} and fit.df_t == 8
    # a wrong small-sample factor (no G/(G−1)) would be off by √(9/8) = 6 %
    assert abs(educ["se"] / se[1] - 1) < 1e-6


def test_several_endogenous_path_reproduces_pyfixest_2sls_with_fixed_effects(card):
    args = (card.copy(), "lwage", ["exper", "expersq", "black"], ["educ"], ["nearc4"], ["region66"])
    one = fit_linear(*args[:3], endog=args[3], instruments=args[4], fixed_effects=args[5], vcov="CRV1",
                     cluster=("region66", "age"))
    several = iv_module._fit_several_endogenous(*args, "CRV1", {"CRV1": "region66+age"}, 0.95, one.clusters, 0, 0)
    for term in ("educ", "exper"):
        assert several.coefficient(term)["estimate"] == pytest.approx(one.coefficient(term)["estimate"], rel=1e-9)
        assert several.coefficient(term)["se"] == pytest.approx(one.coefficient(term)["se"], rel=1e-9)


def test_anderson_rubin_end_points_are_where_the_reduced_form_test_just_rejects(card):
    """At each end point b of the AR set, the clustered t statistic of z in the regression of
    y − b·x on z, controls and fixed effects equals the critical value; inside it is smaller."""
    controls = ["exper", "expersq", "black", "smsa"]
    fit = fit_linear(card, "lwage", controls, ("educ",), ("nearc4",), fixed_effects=("region66",), vcov="CRV1",
                     cluster=("region66", "age"))
    ar = fit.anderson_rubin
    crit = stats.t.ppf(0.975, fit.df_t)
    assert ar.applies and ar.kind in ("interval", "two rays")

    def t_at(b):
        shifted = card.assign(_shift=card["lwage"] - b * card["educ"])
        return fit_linear(shifted, "_shift", ["nearc4", *controls], fixed_effects=("region66",), vcov="CRV1",
                          cluster=("region66", "age")).coefficient("nearc4")["t"]

    assert abs(t_at(ar.low)) == pytest.approx(crit, rel=1e-6)
    assert abs(t_at(ar.high)) == pytest.approx(crit, rel=1e-6)
    estimate = fit.coefficient("educ")["estimate"]
    assert ar.contains(estimate) and abs(t_at(estimate)) < 1e-6


def test_confidence_set_shapes_from_the_quadratic():
    crit = 1.96 ** 2
    strong = confidence_set_from_quadratic(pi_y=1.0, pi_x=2.0, var_y=0.01, var_x=0.01, cov=0.0, crit=crit, level=0.95)
    assert strong.kind == "interval" and strong.low < 0.5 < strong.high
    roots = np.roots([4 - crit * 0.01, -2 * 2.0, 1 - crit * 0.01])
    assert sorted(roots) == pytest.approx([strong.low, strong.high], rel=1e-12)
    weak = confidence_set_from_quadratic(pi_y=1.0, pi_x=0.1, var_y=0.04, var_x=0.01, cov=0.0, crit=crit, level=0.95)
    assert weak.kind == "two rays" and weak.contains(1e6) and weak.contains(-1e6)
    assert not weak.contains((weak.low + weak.high) / 2)
    useless = confidence_set_from_quadratic(pi_y=0.01, pi_x=0.01, var_y=1.0, var_x=1.0, cov=0.0, crit=crit, level=0.95)
    assert useless.kind == "whole line" and useless.contains(123.0)


# ------------------------------------------------------------------ shares and instrument by brute force

COORDS = {"R1": (37.50, 127.00), "R2": (35.10, 129.00), "R3": (37.60, 127.10), "R4": (35.50, 129.30),
          "R5": (36.30, 127.40)}


def hand_panel(seed: int = 3) -> pd.DataFrame:
    """40 firms, 5 regions, 2 sectors, 3 groups, years 1970–1975, random coverage, moves and adoption."""
    rng = np.random.default_rng(seed)
    rows = []
    for f in range(40):
        region, sector = rng.choice(list(COORDS)), rng.choice(["S1", "S2"])
        group = rng.choice(["G1", "G2", "G3", None], p=[0.2, 0.15, 0.15, 0.5])
        adoption = rng.choice([1970, 1971, 1972, 1973, 1974, pd.NA], p=[0.1, 0.1, 0.15, 0.15, 0.1, 0.4])
        for year in range(1970, 1976):
            if rng.random() < 0.2:
                continue  # not printed that year
            moved = year >= 1974 and f % 7 == 0
            rows.append({"firm_id": f"F{f:02d}", "year": year, "region": "R5" if moved else region,
                         "sector": sector, "business_group": group, "sales": float(rng.integers(1, 100)),
                         "first_adoption_year": adoption})
    frame = pd.DataFrame(rows)
    frame["first_adoption_year"] = frame["first_adoption_year"].astype("Int64")
    frame["adopter"] = (frame["year"] >= frame["first_adoption_year"]).fillna(False).astype(bool)
    frame.loc[frame.sample(frac=0.1, random_state=seed).index, "sales"] = np.nan
    return frame


def distance(a, b):
    return float(haversine_km(*COORDS[a], *COORDS[b]))


def brute_share(fy, firm, region, sector, year):
    others = [r for r in fy.itertuples() if r.year == year and r.firm_id != firm and r.region == region
              and r.sector == sector]
    return (sum(r.adopter for r in others) / len(others)) if others else math.nan, len(others)


def brute_instrument(fy, firm, region, sector, own_group, base, year, count_year, radius):
    at_base = [r for r in fy.itertuples() if r.year == base and isinstance(r.business_group, str)]
    groups = {r.business_group for r in at_base if r.region == region and r.sector == sector}
    total = 0
    for g in groups:
        if g == own_group:
            continue
        for r in at_base:
            if (r.business_group == g and r.sector == sector and r.region != region
                    and distance(region, r.region) > radius and not pd.isna(r.first_adoption_year)
                    and r.first_adoption_year <= year):
                total += 1
    if total == 0:
        return 0.0

    def outside(y):
        return sum(1 for r in fy.itertuples() if r.year == y and r.sector == sector and r.region != region)

    _, n_base = brute_share(fy, firm, region, sector, count_year)
    npred = outside(year) / outside(count_year) * n_base
    return total / npred if npred > 0 else math.nan


def brute_pgs(fy, firm, region, sector, own_group, base, year, radius):
    at_base = [r for r in fy.itertuples() if r.year == base and isinstance(r.business_group, str)]
    sales = {(r.firm_id, r.year): (0.0 if pd.isna(r.sales) else r.sales) for r in fy.itertuples()}
    groups = {r.business_group for r in at_base if r.region == region and r.sector == sector}
    numerator = 0.0
    for g in groups - {own_group}:
        local = sum(sales[(r.firm_id, base)] for r in at_base if r.business_group == g and r.region == region
                    and r.sector == sector)
        far = [r.firm_id for r in at_base if r.business_group == g and r.sector == sector and r.region != region
               and distance(region, r.region) > radius]
        far_base = sum(sales.get((k, base), 0.0) for k in far)
        growth = sum(sales.get((k, year), 0.0) for k in far) / far_base if far_base > 0 else 1.0
        numerator += local * growth
    cell = sum(sales[(r.firm_id, base)] for r in fy.itertuples() if r.year == base and r.region == region
               and r.sector == sector and r.firm_id != firm)

    def outside(y):
        return sum(sales[(r.firm_id, y)] for r in fy.itertuples() if r.year == y and r.sector == sector
                   and r.region != region)

    denominator = cell * outside(year) / outside(base)
    return numerator / denominator if denominator > 0 else math.nan


@pytest.mark.parametrize("radius", [100.0, 0.0, 500.0])
def test_shares_instrument_and_predicted_sales_share_equal_brute_force_loops(radius):
    fy = hand_panel()
    regions = pd.DataFrame([{"region": r, "lat": la, "lon": lo} for r, (la, lo) in COORDS.items()])
    distances = region_distances(regions)
    base, lag, end = 1972, 2, 1975
    start = fy.loc[fy["year"] == base]
    obs = pd.DataFrame({"firm_id": start["firm_id"].to_numpy(), "region": start["region"].to_numpy(),
                        "sector": start["sector"].to_numpy(), "group": start["business_group"].to_numpy()})
    years = (base - lag, end - lag)
    z = group_instrument(obs, fy, base, years, base - lag, distances, radius)
    pgs = predicted_group_sales_share(obs, fy, base, (base, end), distances, radius)
    checked_positive = 0
    for i, row in obs.iterrows():
        group = row["group"] if isinstance(row["group"], str) else None
        for year in years:
            expected, _ = brute_share(fy, row["firm_id"], row["region"], row["sector"], year)
            got = adopter_share(obs, fy, year).iloc[i]
            assert (math.isnan(expected) and math.isnan(got)) or got == pytest.approx(expected, abs=0, rel=1e-15)
            expected_z = brute_instrument(fy, row["firm_id"], row["region"], row["sector"], group, base, year,
                                          base - lag, radius)
            got_z = z[f"z_{year}"].iloc[i]
            assert (math.isnan(expected_z) and math.isnan(got_z)) or got_z == pytest.approx(expected_z, rel=1e-12)
            checked_positive += expected_z > 0
        for year in (base, end):
            expected_p = brute_pgs(fy, row["firm_id"], row["region"], row["sector"], group, base, year, radius)
            got_p = pgs[f"pgs_{year}"].iloc[i]
            assert (math.isnan(expected_p) and math.isnan(got_p)) or got_p == pytest.approx(expected_p, rel=1e-12)
    if radius < 500:
        assert checked_positive > 0  # the comparison is not vacuous


def test_market_access_by_hand():
    regions = pd.DataFrame({"region": ["A", "B", "C"], "lat": [37.0, 37.0, 36.0], "lon": [127.0, 128.0, 127.0]})
    distances = region_distances(regions)
    ma = market_access(pd.Series({"A": 10.0, "B": 20.0, "C": 5.0}), distances, theta=1.5)
    expected_a = distances.loc["A", "B"] ** -1.5 * 20 + distances.loc["A", "C"] ** -1.5 * 5
    assert ma["A"] == pytest.approx(expected_a, rel=1e-14)
    assert distances.loc["A", "C"] == pytest.approx(111.19, abs=0.01)  # one degree of latitude


# ------------------------------------------------------------------ the demo economy

@pytest.fixture(scope="module")
def demo():
    from models.demo_economy import generate_demo_economy

    economy = generate_demo_economy()
    tables = economy.tables
    result = run_spillovers(SpilloversSpec(), tables["balance_sheets"], tables["contracts"], economy.true_links,
                            tables["regions"], tables["credit"], tables["trade_fairs"])
    return economy, result


def test_demo_standard_seed_reports_first_stage_ar_set_and_delta(demo):
    """One draw: the IV columns report their first stage, KP-F and Anderson–Rubin set; δ = β/(σ−1).
    Recovery of the truth is judged over seeds (below): one draw's IV is too noisy for that."""
    economy, result = demo
    truth = economy.true_parameters.set_index("parameter").loc["spillover_log_sales", "value"]  # (σ − 1)·δ
    iv, preferred, ols = (result.column("A", key) for key in ("iv", "iv_group_share", "ols"))
    for column in (iv, preferred):
        assert abs(column.beta - truth) < 2 * column.se, (column.column.key, column.beta, column.se)
        assert math.isfinite(column.fit.kp_f.stat) and column.fit.kp_f.stat > 0
        assert "dz" in set(column.fit.first_stage["term"])
        assert column.fit.anderson_rubin.applies and column.fit.anderson_rubin.contains(truth)
    assert ols.beta > truth + 2 * ols.se
    spill = result.spillover
    assert spill.delta == pytest.approx(preferred.beta / 4) and spill.se == pytest.approx(preferred.se / 4)
    assert result.heterogeneity["A"].equality.applies


SEEDS = range(1, 17)


def _panel_a_over_seeds(**settings) -> pd.DataFrame:
    """Columns (1)–(3) of Panel A on demo seeds 1–16 (true links): seed, column, β, se, KP-F, truth."""
    from estimation.spillovers import estimate_columns
    from models.demo_economy import DemoSettings, generate_demo_economy

    rows = []
    for seed in SEEDS:
        economy = generate_demo_economy(DemoSettings(seed=seed, **settings))
        t = economy.tables
        truth = economy.true_parameters.set_index("parameter").loc["spillover_log_sales", "value"]
        columns = estimate_columns(SpilloversSpec(), t["balance_sheets"], t["contracts"], economy.true_links,
                                   t["regions"], t["credit"], t["trade_fairs"])["A"]
        for key, column in columns.items():
            kp_f = column.fit.kp_f.stat if column.fit.method == "2SLS" else np.nan
            rows.append({"seed": seed, "column": key, "beta": column.beta, "se": column.se, "kp_f": kp_f,
                         "truth": truth})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def demo_seeds():
    return _panel_a_over_seeds()


@pytest.fixture(scope="module")
def demo_seeds_without_booms():
    """The same seeds with the confounder switched off: η_njt ≡ 0 (no local booms)."""
    return _panel_a_over_seeds(local_trend_sd=0.0, local_shock_sd=0.0)


def _check_iv_over_seeds(draws: pd.DataFrame, tolerance: float, min_covering: int) -> pd.DataFrame:
    """Columns (2) and (3): median β within ``tolerance`` of the truth, β ± 2 se covering it in at least
    ``min_covering`` seeds, KP-F reported. Returns β by seed (rows) and column."""
    truth = draws["truth"].iloc[0]
    for key in ("iv", "iv_group_share"):
        part = draws.loc[draws["column"] == key]
        assert abs(part["beta"].median() - truth) < tolerance, part
        assert ((part["beta"] - truth).abs() < 2 * part["se"]).sum() >= min_covering, part
        assert (np.isfinite(part["kp_f"]) & (part["kp_f"] > 0)).all()
    return draws.pivot(index="seed", columns="column", values="beta")


def test_demo_iv_recovers_the_true_spillover_and_ols_is_biased_upward(demo_seeds):
    """Over 16 seeds: the IV's median is near (σ−1)δ, its two-way clustered β ± 2 se covers the truth in
    most seeds, KP-F is reported; OLS lies above the truth and above the IV (the local booms' direction).

    Tolerances are sampling theory, not fitted: over 96 seeds (`python -m benchmarks.spillovers --seeds
    96`) column (2)'s β has an interquartile range of about 3, so the median of 16 draws has a standard
    error of about 0.7 (1.25 × IQR/1.35/√16), and OLS lies above the truth in 88 % of draws."""
    truth = demo_seeds["truth"].iloc[0]
    beta = _check_iv_over_seeds(demo_seeds, tolerance=1.4, min_covering=12)
    assert beta["ols"].median() > max(beta["iv"].median(), beta["iv_group_share"].median())
    assert (beta["ols"] > truth).sum() >= 12 and beta["ols"].median() > truth + 0.3, beta["ols"]


def test_demo_without_local_booms_iv_is_tight_around_the_truth_and_ols_bias_vanishes(demo_seeds,
                                                                                       demo_seeds_without_booms):
    """Without η the instrument has no chance correlation with booms to pick up: the IV's median over 16
    seeds lies within 0.4 of the truth (over 64 such seeds its IQR is about 0.75, so the 16-seed
    median's se is about 0.17), and OLS loses its upward bias, which is therefore the booms'."""
    truth = demo_seeds_without_booms["truth"].iloc[0]
    beta = _check_iv_over_seeds(demo_seeds_without_booms, tolerance=0.4, min_covering=13)
    with_booms = demo_seeds.pivot(index="seed", columns="column", values="beta")["ols"]
    assert abs(beta["ols"].median() - truth) < 0.3
    assert with_booms.median() - beta["ols"].median() > 0.4


def test_shares_on_every_operating_firm_equal_the_dgps_lagged_share():
    """Eq. (3.2) at t − 2, computed by adopter_share on all operating firms of the demo (its latent
    panel, true adoption), equals the DGP's own Share_(−i)nj,t−2 wherever a firm has peers."""
    from models.demo_economy import generate_demo_economy

    latent = generate_demo_economy().latent_panel
    firm_years = latent.assign(sales=1.0, adopter=latent["adopted"], first_adoption_year=latent["adoption_year"])
    for year in (1972, 1977, 1979):
        obs = latent.loc[latent["year"] == year].reset_index(drop=True)
        share = adopter_share(obs, firm_years, year - 2)
        defined = share.notna()
        assert defined.sum() > 500
        np.testing.assert_allclose(share[defined], obs.loc[defined, "share_lag2"], rtol=0, atol=1e-12)
        assert (obs.loc[~defined, "share_lag2"] == 0).all()


def test_demo_table1_layout_marks_unavailable_columns_and_weak_instruments(demo):
    _, result = demo
    table = table1(result)
    share = table.loc[(table["panel"] == "A") & (table["row"] == "ΔShare")].iloc[0]
    assert share["(6) + industrial complexes"] == "n/a" and share["(8) all controls"] == "n/a"
    notes = table.loc[table["row"] == "notes"].iloc[0]["(1) OLS"]
    assert "industrial-complex table" in notes
    kp = table.loc[(table["panel"] == "A") & (table["row"] == "KP-F")].iloc[0]
    assert kp["(1) OLS"] == "" and kp["(2) IV"] != ""
    assert all(("(weak)" in kp[c]) == (result.column("A", k).fit.kp_f.stat < 10)
               for c, k in (("(2) IV", "iv"), ("(3) IV + group sales share", "iv_group_share")))
    placebo = result.placebo["A"].set_index("outcome")
    assert placebo.loc["pre_growth", "N"] > 100 and placebo["p"].notna().all()


def test_demo_complex_table_makes_columns_6_and_8_available():
    from models.demo_economy import generate_demo_economy

    economy = generate_demo_economy()
    tables = economy.tables
    # designated in 1973 (or 1980): a change in one difference set only, so not absorbed by the region FE
    complexes = pd.DataFrame({"region": ["R01", "R02", "R03", "R10"], "year": [1973, 1980, 1973, 1970],
                              "sector": [None, None, "S03", None], "tax_favor": [0.5, 0.3, 0.2, 0.1]})
    result = run_spillovers(SpilloversSpec(), tables["balance_sheets"], tables["contracts"], economy.true_links,
                            tables["regions"], tables["credit"], tables["trade_fairs"], complexes=complexes,
                            panels=("A",))
    column = result.column("A", "iv_complex")
    assert column.fit is not None and "complex_change" in set(column.fit.coefficients["term"])
    assert result.column("A", "iv_all").fit is not None


def test_demo_tfpr_outcome_runs():
    from models.demo_economy import generate_demo_economy

    economy = generate_demo_economy()
    t = economy.tables
    result = run_spillovers(SpilloversSpec(outcome_a="tfpr_cost_share"), t["balance_sheets"], t["contracts"],
                            economy.true_links, t["regions"], t["credit"], t["trade_fairs"], panels=("A",))
    assert math.isfinite(result.column("A", "iv").beta)


# ------------------------------------------------------------------ bad input

@pytest.fixture(scope="module")
def demo_tables():
    from models.demo_economy import generate_demo_economy

    economy = generate_demo_economy()
    return economy.tables, economy.true_links


def run(tables, links, **changes):
    t = {**tables, **changes}
    return run_spillovers(SpilloversSpec(), t["balance_sheets"], t["contracts"], links, t["regions"], panels=("A",))


def test_no_business_groups_is_refused_with_a_plain_message(demo_tables):
    tables, links = demo_tables
    with pytest.raises(EstimationError) as err:
        run(tables, links, balance_sheets=tables["balance_sheets"].assign(business_group=None))
    assert err.value.code == "no_business_groups" and "business_group" in str(err.value)


def test_missing_coordinates_name_the_regions(demo_tables):
    tables, links = demo_tables
    regions = tables["regions"].copy()
    regions.loc[regions["region"] == "R07", "lat"] = np.nan
    with pytest.raises(EstimationError) as err:
        run(tables, links, regions=regions)
    assert err.value.code == "missing_coordinates" and "R07" in str(err.value)


def test_too_few_clusters_is_refused(demo_tables):
    tables, links = demo_tables
    few = tables["balance_sheets"].loc[tables["balance_sheets"]["region"].isin(["R01", "R02", "R03", "R04"])]
    with pytest.raises(EstimationError) as err:
        run(tables, links, balance_sheets=few)
    assert err.value.code == "too_few_clusters" and "4 regions" in str(err.value)


def test_a_region_sector_with_one_firm_has_no_share_and_is_left_out():
    fy = hand_panel()
    alone = pd.DataFrame([{"firm_id": "LONE", "year": y, "region": "R9", "sector": "S9", "business_group": None,
                           "sales": 5.0, "first_adoption_year": pd.NA, "adopter": False} for y in range(1970, 1976)])
    fy = pd.concat([fy, alone], ignore_index=True)
    obs = pd.DataFrame({"firm_id": ["LONE"], "region": ["R9"], "sector": ["S9"], "group": [None]})
    assert math.isnan(adopter_share(obs, fy, 1973).iloc[0])
    sample = pd.DataFrame({"dy": [1.0, 2.0, 0.5, 0.1], "dshare": [np.nan, 0.2, 0.1, 0.3], "dz": [0.0, 0.1, 0.2, 0.3]})
    fit = fit_linear(sample, "dy", ("dshare",), vcov="hetero")
    assert fit.nobs == 3 and fit.missing_dropped == 1


def test_bad_settings_are_refused():
    for bad in ({"differences": ((1979, 1972),)}, {"lag": -1}, {"radius_km": -5}, {"outcome_a": "profit"},
                {"ma_cutoff": 1.2}, {"preferred": "ols"}, {"sigma": 1.0}, {"min_clusters": 1}):
        with pytest.raises(EstimationError) as err:
            SpilloversSpec(**bad)
        assert err.value.code == "bad_setting"


def test_missing_years_are_named(demo_tables):
    tables, links = demo_tables
    with pytest.raises(EstimationError) as err:
        run_spillovers(SpilloversSpec(differences=((1975, 1990),)), tables["balance_sheets"], tables["contracts"],
                       links, tables["regions"])
    assert err.value.code == "missing_years" and "1990" in str(err.value)
