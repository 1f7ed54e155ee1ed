"""Seeded synthetic archive of the Korean big push: the workbench's built-in demo data.

The generator follows the identification in Choi & Shim, "Industrialization and
the Big Push" (Sections 2–3): technology-adoption contracts, firm balance sheets,
regions, sectors, directed credit, trade fairs and deflators, in exactly the
upload format of ``/work/shared/spec/data-format.md``. The data-generating
process (docs/demo-economy.md) has known true values, so every estimator in the
tool can be checked against the truth:

* direct effect of adoption on log sales, ramping up over ``direct_ramp_years``;
* local spillover δ on Share_(−i)nj,t−2 (eq. 3.2), the leave-one-out adopter share;
* local complementarity γ in a linear probability of a new contract;
* group-year adoption shocks (the relevance of the business-group IV, eq. 3.4);
* a region-sector shock η_njt raising both adoption and growth (OLS biased up);
* random foreign cancellations (valid losers), non-random domestic ones.

It also supplies the quantitative model's inputs (model sectors, input-output
shares, sector accounts, regional activity, populations, roads; format in
docs/model-inputs-format.md), made consistent with these tables by
``models/_demo_model_inputs.py``.

Pure numpy/pandas (scipy for the road graph's connectivity); the same seed gives identical tables.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _demo_model_inputs as mi
from . import _demo_names as nm

SPEC_COLUMNS: dict[str, tuple[str, ...]] = {
    "regions": ("region", "name", "lat", "lon", "port_distance_km"),
    "sectors": ("sector", "name", "heavy"),
    "deflators": ("year", "factor"),
    "balance_sheets": ("firm_id", "firm_name", "year", "sector", "region", "business_group", "sales",
                       "assets", "fixed_assets", "exports", "employment", "wage_bill", "materials"),
    "contracts": ("contract_id", "firm_name", "foreign_firm", "foreign_country", "year", "contract_type",
                  "status", "canceled_by", "cancel_year", "cancel_reason", "source_ref"),
    "credit": ("firm_id", "year", "amount"),
    "trade_fairs": ("firm_id", "year", "participations", "revenue"),
    # inputs of the quantitative model (docs/model-inputs-format.md; made in models/_demo_model_inputs.py)
    "model_sectors": ("sector", "name", "kind"),
    "input_output": ("user", "input", "share"),
    "sector_years": ("sector", "year", "gross_output", "value_added", "exports", "imports", "ppi", "tariff"),
    "region_sectors": ("region", "sector", "year", "value_added", "gross_output"),
    "populations": ("region", "year", "population"),
    "roads": ("from_node", "to_node", "km", "highway", "name"),
}

# name, lat, lon, sea port, size weight, hub sectors (0-based: 4 chemicals, 6 metals, 7 machinery, 8 electronics)
_REGIONS = (
    ("서울", 37.566, 126.978, False, 10.0, (2, 8, 9, 0)), ("부산", 35.180, 129.076, True, 7.0, (0, 1, 7, 9)),
    ("인천", 37.456, 126.705, True, 5.0, (6, 7, 3)), ("대구", 35.871, 128.602, False, 5.0, (1, 2)),
    ("울산", 35.539, 129.311, True, 3.0, (4, 7)), ("포항", 36.019, 129.343, True, 2.0, (6,)),
    ("창원", 35.228, 128.681, True, 2.0, (7,)), ("마산", 35.214, 128.581, True, 2.0, (8, 0)),
    ("구미", 36.119, 128.344, False, 2.0, (8, 1)), ("수원", 37.264, 127.029, False, 3.0, (8,)),
    ("여수", 34.760, 127.662, True, 1.5, (4,)), ("광주", 35.160, 126.852, False, 3.0, (0, 1)),
    ("대전", 36.351, 127.385, False, 3.0, (0, 5)), ("성남", 37.420, 127.127, False, 2.0, (2, 9)),
    ("안양", 37.394, 126.957, False, 2.0, (7, 3)), ("부천", 37.503, 126.766, False, 2.0, (9, 2)),
    ("안산", 37.322, 126.831, False, 1.5, (7, 4)), ("청주", 36.642, 127.489, False, 2.0, (0, 5)),
    ("천안", 36.815, 127.114, False, 1.5, (7,)), ("전주", 35.824, 127.148, False, 2.0, (3, 1)),
    ("익산", 35.948, 126.958, False, 1.5, (9, 4)), ("군산", 35.968, 126.737, True, 1.5, (3, 0)),
    ("목포", 34.812, 126.392, True, 1.5, (0,)), ("순천", 34.951, 127.487, False, 1.0, (5,)),
    ("진주", 35.180, 128.108, False, 1.5, (1,)), ("김해", 35.229, 128.889, False, 1.5, (7,)),
    ("경주", 35.856, 129.225, False, 1.0, (5,)), ("안동", 36.568, 128.730, False, 1.0, (0,)),
    ("원주", 37.342, 127.920, False, 1.0, (3,)), ("동해", 37.525, 129.114, True, 1.0, (5,)),
    ("춘천", 37.881, 127.730, False, 1.0, (0,)), ("강릉", 37.752, 128.876, False, 1.0, (5,)),
    ("충주", 36.991, 127.926, False, 1.0, (4,)), ("평택", 36.992, 127.113, False, 1.0, (0,)),
    ("거제", 34.880, 128.621, True, 1.0, (7,)), ("제천", 37.133, 128.191, False, 0.8, (5,)),
    ("삼척", 37.450, 129.165, True, 0.8, (5,)), ("의정부", 37.738, 127.034, False, 1.0, (2,)),
    ("광양", 34.940, 127.696, True, 0.8, (6,)), ("아산", 36.790, 127.002, False, 0.8, (9,)),
)
_MAJOR_PORTS = ((35.10, 129.04), (37.46, 126.60), (35.50, 129.38), (36.03, 129.38), (34.74, 127.74),
                (34.78, 126.38), (35.98, 126.62), (35.20, 128.57), (37.49, 129.12))
# code, name, heavy, wage share αl, materials share αm, weight among incumbents, among entrants, export prob.
_SECTORS = (
    ("S01", "식료품 (Food)", False, 0.07, 0.55, 0.16, 0.08, 0.10),
    ("S02", "섬유 (Textiles)", False, 0.11, 0.50, 0.22, 0.08, 0.55),
    ("S03", "의복 (Apparel)", False, 0.15, 0.45, 0.10, 0.07, 0.60),
    ("S04", "목재·종이 (Wood & paper)", False, 0.10, 0.50, 0.07, 0.04, 0.25),
    ("S05", "화학 (Chemicals)", True, 0.06, 0.52, 0.08, 0.15, 0.20),
    ("S06", "비금속광물 (Non-metallic minerals)", False, 0.11, 0.42, 0.07, 0.05, 0.10),
    ("S07", "1차금속 (Primary metals)", True, 0.07, 0.55, 0.05, 0.12, 0.25),
    ("S08", "기계·운송장비 (Machinery & transport equipment)", True, 0.13, 0.47, 0.07, 0.18, 0.25),
    ("S09", "전기·전자 (Electrical & electronics)", True, 0.11, 0.50, 0.07, 0.17, 0.55),
    ("S10", "기타 제조업 (Other manufacturing)", False, 0.13, 0.45, 0.12, 0.06, 0.40),
)
_CODES = tuple(x[0] for x in _SECTORS)
_J = len(_SECTORS)
_HEAVY = np.array([x[2] for x in _SECTORS])
_US_CPI = {1970: 38.8, 1971: 40.5, 1972: 41.8, 1973: 44.4, 1974: 49.3, 1975: 53.8, 1976: 56.9,
           1977: 60.6, 1978: 65.2, 1979: 72.6, 1980: 82.4, 1981: 90.9, 1982: 96.5}
_NEVER = 9999  # adoption year of a firm that never adopts


@dataclass(frozen=True)
class DemoSettings:
    """Size of the demo archive and the true parameters of its DGP (docs/demo-economy.md).

    Effects are in log-sales units; on log TFPR they are divided by (1 + input_response).
    """
    # archive size and coverage
    seed: int = 20260101                  # one seed → identical archive
    first_year: int = 1970
    last_year: int = 1982
    n_regions: int = 30                   # 3 … 40 built-in Korean cities
    n_firms: int = 1500                   # unique balance-sheet firms over the whole period
    n_groups: int = 15                    # business groups (chaebol)
    affiliated_share: float = 0.05        # share of firms affiliated with a group
    incumbent_share: float = 0.5          # share of firms already operating in first_year
    exit_rate: float = 0.035              # annual exit hazard (independent of performance)
    coverage_early: tuple[float, float] = (0.55, 0.75)  # P(operating firm is printed), first two years
    coverage_later: float = 0.97          # … in later years
    employment_missing: float = 0.06      # P(employment missing) from the third year (always before)
    unlinked_contract_share: float = 0.10  # contracts by small firms absent from the balance sheets
    # adoption: P(new contract) is a linear probability (see _simulate_adoption)
    policy_start: int = 1973              # HCI Drive window
    policy_end: int = 1979
    base_contract_rate: float = 0.003     # baseline P for light firms
    heavy_contract_premium: float = 0.012  # added to the baseline of heavy firms
    heavy_subsidy: float = 0.03           # added to the baseline of heavy firms inside the policy window
    complementarity: float = 0.15         # γ: ∂P/∂Share_(−i)nj,t−2
    local_shock_adoption: float = 60.0    # φ: baseline × M(η) = 2/(1 + e^(−φη)), slope φ/2 at η = 0
    size_adoption_slope: float = 0.3      # baseline × exp(λ·(log scale − mean))
    group_effect_mean: float = 0.27       # a_g: added to P of every affiliate during its group's push
    group_effect_sd: float = 0.1          # sd of a_g across groups
    group_shock_sd: float = 0.03          # sd of the group-year shock e_gt
    group_heavy_share: float = 0.7        # P(a group's core / second sector is a heavy sector)
    group_core_share: float = 0.9         # share of a group's plants in its core sector, at its two bases
    group_scale_premium: float = 1.2      # affiliates are larger (log scale)
    retry_bump: float = 0.3               # added to P from 2 years after a cancellation until adoption
    extra_contract_rate: float = 0.05     # Poisson mean of additional contracts in a signing year
    foreign_cancel_prob: float = 0.10     # foreign cancellation: random, independent of the firm
    domestic_cancel_base: float = 0.02    # domestic cancellation …
    domestic_cancel_shock: float = 0.25   # … plus this when the firm's cash-flow shock u_it < −1
    # productivity, inputs and sales
    direct_effect: float = 0.48           # long-run effect of adoption on log sales (≈ 61 %)
    direct_ramp_years: int = 4            # D(τ) = direct_effect·min((τ+1)/R, 1): full from τ = R−1
    spillover: float = 1.5                # δ: ∂ log sales/∂Share_(−i)nj,t−2
    input_response: float = 0.5           # θ: ∂ log inputs/∂ log TFPR
    local_trend_sd: float = 0.008         # sd of a region-sector's boom rate ν_nj (η drifts by ν_nj a year)
    local_shock_sd: float = 0.004         # sd of the annual innovation of η_njt around that drift
    local_shock_scale: float = 5.0        # κ: η also expands inputs; ∂ log sales/∂η = 1 + θ + κ
    tfpr_trend: float = 0.01              # common log-TFPR trend per year
    tfpr_fe_sd: float = 0.12              # sd of firm log-TFPR fixed effects μ_i
    shock_persistence: float = 0.6        # ρ of the AR(1) TFPR shock ε_it
    shock_sd: float = 0.06                # sd of its innovation (σ·u_it, u_it the cash-flow shock)
    scale_mean: float = 15.0              # mean log input bundle (2015 USD) of incumbents
    scale_sd: float = 1.0
    scale_growth: float = 0.04            # input growth per year
    heavy_policy_growth: float = 0.05     # extra input growth per policy year in heavy sectors
    input_noise_sd: float = 0.05          # idiosyncratic noise of inputs (ξ) and of reported inputs
    user_cost: float = 0.35               # rental rate r: fixed_assets = α_k·e^x / r
    wage_1972: float = 3500.0             # annual wage per worker in 1972, 2015 USD; grows 9 % a year


@dataclass(frozen=True, eq=False)
class DemoEconomy:
    """The demo archive (``tables``, spec columns and order) and the truth behind it.

    ``latent_panel`` has one row per operating firm-year (printed in the balance
    sheets or not) with the latent DGP variables; see docs/demo-economy.md.
    """
    tables: dict[str, pd.DataFrame]
    true_parameters: pd.DataFrame
    true_links: pd.DataFrame
    latent_panel: pd.DataFrame = field(default_factory=pd.DataFrame)


def great_circle_km(lat1, lon1, lat2, lon2):
    """Haversine distance in km, R = 6371."""
    p1, p2, dl = np.radians(lat1), np.radians(lat2), np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def direct_effect_profile(event_time, s: DemoSettings):
    """D(τ) = direct_effect · min((τ+1)/R, 1) for τ ≥ 0, else 0 (log-sales units)."""
    tau = np.asarray(event_time, dtype=float)
    return np.where(tau >= 0, s.direct_effect * np.minimum((tau + 1) / s.direct_ramp_years, 1.0), 0.0)


def local_shock(rng, n_cells: int, n_years: int, trend_sd: float, shock_sd: float) -> np.ndarray:
    """η_njt = Σ_{t0<τ≤t} (ν_nj + e_njτ), ν_nj ~ N(0, trend_sd²), e ~ N(0, shock_sd²); η_nj,t0 = 0."""
    steps = rng.normal(0.0, trend_sd, (n_cells, 1)) + rng.normal(0.0, shock_sd, (n_cells, n_years - 1))
    return np.c_[np.zeros(n_cells), np.cumsum(steps, axis=1)]


def group_propensity(rng, s: DemoSettings, years: np.ndarray) -> np.ndarray:
    """ψ_gt = max(0, a_g·1[τ_g ≤ t ≤ policy_end] + e_gt): group g's group-wide adoption push during the drive.

    a_g ~ N(group_effect_mean, group_effect_sd²), τ_g uniform on policy_start−1 … policy_end−2 (groups
    move into HCI technology at different times of the drive), e_gt ~ N(0, group_shock_sd²);
    all independent of the local shocks η_njt, which is what makes the group instrument valid.
    """
    a_g = rng.normal(s.group_effect_mean, s.group_effect_sd, s.n_groups)
    tau_g = rng.integers(s.policy_start - 1, s.policy_end - 1, s.n_groups)
    push = a_g[:, None] * ((years[None, :] >= tau_g[:, None]) & (years[None, :] <= s.policy_end))
    return np.maximum(0.0, push + rng.normal(0.0, s.group_shock_sd, (s.n_groups, len(years))))


def leave_one_out_share(cell, alive, adopter, n_cells):
    """Share_(−i)nj = (T_nj − a_i)/(N_nj − 1), eq. (3.2); 0 without peers. Returns (share, N_(−i))."""
    n_all = np.bincount(cell, weights=alive, minlength=n_cells)
    t_all = np.bincount(cell, weights=alive & adopter, minlength=n_cells)
    n_peer = n_all[cell] - alive
    t_peer = t_all[cell] - (alive & adopter)
    return np.where(n_peer > 0, t_peer / np.maximum(n_peer, 1), 0.0), n_peer


def _regions(s: DemoSettings, rng) -> pd.DataFrame:
    """Region table; port_distance_km is 0.5–8 km for sea ports, else great-circle km to the nearest major port."""
    rows = _REGIONS[: s.n_regions]
    lat, lon = np.array([r[1] for r in rows]), np.array([r[2] for r in rows])
    ports = np.array(_MAJOR_PORTS)
    dist = great_circle_km(lat[:, None], lon[:, None], ports[None, :, 0], ports[None, :, 1]).min(axis=1)
    coastal = np.array([r[3] for r in rows])
    dist = np.where(coastal, rng.uniform(0.5, 8.0, len(rows)), np.maximum(dist, 12.0))
    return pd.DataFrame({"region": [f"R{k + 1:02d}" for k in range(len(rows))], "name": [r[0] for r in rows],
                         "lat": lat, "lon": lon, "port_distance_km": np.round(dist, 1)})


def _location_weights(s: DemoSettings) -> np.ndarray:
    """W[r, j] ∝ size_r × (6 if r is a hub of j; heavy sectors outside hubs × 0.3)."""
    w = np.array([[r[4] * (6.0 if j in r[5] else (0.3 if _HEAVY[j] else 1.0)) for j in range(_J)]
                  for r in _REGIONS[: s.n_regions]])
    return w / w.sum(axis=0)


def _draw_firms(s: DemoSettings, rng, regions: pd.DataFrame) -> dict[str, np.ndarray]:
    """Firm attributes: sector, plant region, group, entry/exit, scale and TFPR fixed effects."""
    F, years = s.n_firms, np.arange(s.first_year, s.last_year + 1)
    incumbent = rng.random(F) < s.incumbent_share
    w_inc, w_ent = (np.array([x[k] for x in _SECTORS]) for k in (5, 6))
    sector = np.where(incumbent, rng.choice(_J, F, p=w_inc / w_inc.sum()), rng.choice(_J, F, p=w_ent / w_ent.sum()))
    W = _location_weights(s)
    region = np.zeros(F, dtype=int)
    for j in range(_J):
        region[sector == j] = rng.choice(s.n_regions, int((sector == j).sum()), p=W[:, j])
    in_policy = (years[1:] >= s.policy_start) & (years[1:] <= s.policy_end)
    entry = np.full(F, s.first_year)
    for heavy in (False, True):
        w = np.where(in_policy, 3.0 if heavy else 1.2, 1.0)
        idx = np.flatnonzero(~incumbent & (_HEAVY[sector] == heavy))
        entry[idx] = rng.choice(years[1:], len(idx), p=w / w.sum())
    exit_ = np.minimum(entry + rng.geometric(s.exit_rate, F) - 1, s.last_year)
    group = np.full(F, -1)
    n_aff = max(3 * s.n_groups, round(s.affiliated_share * F))
    sizes = 3 + rng.multinomial(n_aff - 3 * s.n_groups, np.ones(s.n_groups) / s.n_groups)
    pick = rng.choice(F, n_aff, replace=False, p=np.where(incumbent, 8.0, 1.0) / np.where(incumbent, 8.0, 1.0).sum())
    lat, lon = regions["lat"].to_numpy(), regions["lon"].to_numpy()
    heavy_codes = np.flatnonzero(_HEAVY)
    start = 0
    for g, size in enumerate(sizes):
        members = pick[start: start + size]
        start += size
        # two plants bases > 100 km apart in a heavy core sector (the paper's Samsung in Suwon and Ulsan)
        core, other = (rng.choice(heavy_codes) if rng.random() < s.group_heavy_share else rng.integers(_J)
                       for _ in range(2))
        home = rng.choice(s.n_regions, p=W[:, core])
        far = great_circle_km(lat[home], lon[home], lat, lon) > 100
        w_far = np.where(far, W[:, core] + 1e-3, 0.0)
        bases = (home, rng.choice(s.n_regions, p=w_far / w_far.sum()))
        for k, i in enumerate(members):
            in_core = k < 2 or rng.random() < s.group_core_share
            j = core if in_core else other
            r = bases[k % 2] if in_core else rng.choice(s.n_regions, p=W[:, j])
            group[i], sector[i], region[i] = g, j, r
    scale = (rng.normal(s.scale_mean, s.scale_sd, F) - 0.4 * ~incumbent
             + s.group_scale_premium * (group >= 0))
    return {"sector": sector, "region": region, "group": group, "entry": entry, "exit": exit_,
            "scale": scale, "mu": rng.normal(0.0, s.tfpr_fe_sd, F), "cell": region * _J + sector}


def _simulate_adoption(s: DemoSettings, rng, firms, alive, eta, psi, u):
    """Year by year: P(new contract) (LPM), contract outcomes, adoption, Share_(−i)nj,t−2.

    p_it = [b + heavy_j(b_h + subsidy·1[policy])]·M(η_njt)·exp(λ(s_i − s̄)) + γ·Share_(−i)nj,t−2
           + 1[i ∈ g]·ψ_gt + retry·1[canceled by t−2, not adopted], capped at 0.9,
    M(η) = 2/(1 + e^(−φη)): a local boom multiplies the baseline propensity by a bounded factor
    in (0, 2), 1 at η = 0. Every term is ≥ 0, so γ is the exact LPM slope where the cap does not bind.
    """
    F, T = alive.shape
    heavy = _HEAVY[firms["sector"]]
    cell, grp, n_cells = firms["cell"], firms["group"], _J * s.n_regions
    adopt_year, retry_from = np.full(F, _NEVER), np.full(F, _NEVER)
    share, prob = np.zeros((F, T)), np.zeros((F, T))
    size = firms["scale"] - firms["scale"].mean()
    group_term = psi[np.maximum(grp, 0)] * (grp >= 0)[:, None]  # ψ_g(i),t for affiliates, (F, T)
    recs = []
    for k in range(T):
        t = s.first_year + k
        if k >= 2:
            share[:, k] = leave_one_out_share(cell, alive[:, k - 2], adopt_year <= t - 2, n_cells)[0]
        policy = s.policy_start <= t <= s.policy_end
        base = s.base_contract_rate + heavy * (s.heavy_contract_premium + s.heavy_subsidy * policy)
        boom = 2.0 / (1.0 + np.exp(-s.local_shock_adoption * eta[cell, k]))
        p = (base * boom * np.exp(s.size_adoption_slope * size)
             + s.complementarity * share[:, k] + group_term[:, k]
             + s.retry_bump * ((retry_from <= t) & (adopt_year > t)))
        prob[:, k] = np.clip(p, 0.0, 0.9) * alive[:, k]
        signers = np.flatnonzero(rng.random(F) < prob[:, k])
        firm = np.repeat(signers, 1 + rng.poisson(s.extra_contract_rate, len(signers)))
        foreign = rng.random(len(firm)) < s.foreign_cancel_prob
        p_dom = s.domestic_cancel_base + s.domestic_cancel_shock * (u[firm, k] < -1.0)
        domestic = ~foreign & (rng.random(len(firm)) < p_dom)
        done = ~foreign & ~domestic
        cancel_year = np.where(done, -1, np.minimum(t + (rng.random(len(firm)) < 0.35), s.last_year))
        winners = np.unique(firm[done])
        adopt_year[winners] = np.minimum(adopt_year[winners], t)
        np.minimum.at(retry_from, firm[~done], cancel_year[~done] + 2)
        recs.append(pd.DataFrame({"firm": firm, "year": t, "canceled_by": np.where(
            foreign, "foreign", np.where(domestic, "domestic", "")), "cancel_year": cancel_year}))
    return adopt_year, share, prob, pd.concat(recs, ignore_index=True)


def _outcomes(s: DemoSettings, rng, firms, adopt_year, share, eta, u):
    """log TFPR ω, log input bundle x and log sales (F × T arrays).

    ω_it = μ_i + τ·(t−t0) + [D(t−A_i) + δ·Share_(−i)nj,t−2]/(1+θ) + η_njt + ε_it,  ε_it = ρε_i,t−1 + σu_it
    x_it = s_i + g·(t−t0) + π·heavy_j·(policy years to t) + θ(ω_it − μ_i) + κ·η_njt + ξ_it
    log sales_it = ω_it + x_it
    """
    F, T = share.shape
    years = np.arange(s.first_year, s.last_year + 1)
    heavy = _HEAVY[firms["sector"]]
    event = np.where(adopt_year[:, None] < _NEVER, years[None, :] - adopt_year[:, None], -99)
    direct = direct_effect_profile(event, s)
    eps = np.empty((F, T))
    eps[:, 0] = s.shock_sd / np.sqrt(1 - s.shock_persistence ** 2) * u[:, 0]
    for k in range(1, T):
        eps[:, k] = s.shock_persistence * eps[:, k - 1] + s.shock_sd * u[:, k]
    theta = s.input_response
    omega = (firms["mu"][:, None] + s.tfpr_trend * (years - s.first_year)[None, :]
             + (direct + s.spillover * share) / (1 + theta) + eta[firms["cell"]] + eps)
    policy_years = np.clip(np.minimum(years, s.policy_end) - s.policy_start + 1, 0, None)
    x = (firms["scale"][:, None] + s.scale_growth * (years - s.first_year)[None, :]
         + s.heavy_policy_growth * heavy[:, None] * policy_years[None, :]
         + theta * (omega - firms["mu"][:, None]) + s.local_shock_scale * eta[firms["cell"]]
         + rng.normal(0, s.input_noise_sd, (F, T)))
    return omega, x, omega + x, direct


def _balance_sheets(s, rng, firms, ids, observed, x, log_sales, names):
    """Printed rows: inputs from sector cost shares, W = α_l·e^x, M = α_m·e^x, K = α_k·e^x / r."""
    fi, ki = np.nonzero(observed)
    year = s.first_year + ki
    j = firms["sector"][fi]
    a_l, a_m = np.array([x_[3] for x_ in _SECTORS])[j], np.array([x_[4] for x_ in _SECTORS])[j]
    xb = x[fi, ki]

    def noise() -> np.ndarray:  # measurement noise of reported inputs
        return np.exp(rng.normal(0, s.input_noise_sd, len(fi)))

    sales = np.exp(log_sales[fi, ki])
    wage_bill, materials = a_l * np.exp(xb) * noise(), a_m * np.exp(xb) * noise()
    fixed = (1 - a_l - a_m) * np.exp(xb) / s.user_cost * noise()
    fixed_share = np.clip(rng.beta(5, 5, s.n_firms)[fi] + rng.normal(0, 0.03, len(fi)), 0.15, 0.95)
    wage = s.wage_1972 * np.exp(0.09 * (year - 1972) + rng.normal(0, 0.2, s.n_firms)[fi])
    employment = np.maximum(np.round(wage_bill / wage), 1.0)
    employment[(year < s.first_year + 2) | (rng.random(len(fi)) < s.employment_missing)] = np.nan
    export_prob = np.array([x_[7] for x_ in _SECTORS])[firms["sector"]]
    exporter = rng.random(s.n_firms) < np.clip(export_prob * (1 + 0.3 * (firms["scale"] - s.scale_mean)), 0, 0.95)
    export_start = np.where(rng.random(s.n_firms) < 0.4, s.first_year + rng.integers(0, 9, s.n_firms), 0)
    ex_share = rng.beta(2, 5, s.n_firms)[fi] * np.exp(0.04 * (year - s.first_year) + rng.normal(0, 0.15, len(fi)))
    exports = np.where(exporter[fi] & (year >= export_start[fi]), np.minimum(ex_share, 0.95) * sales, 0.0)
    out = {"sales": sales, "assets": fixed / fixed_share, "fixed_assets": fixed, "exports": exports,
           "employment": employment, "wage_bill": wage_bill, "materials": materials}
    for col, rate in (("sales", 0.002), ("fixed_assets", 0.01), ("exports", 0.01), ("wage_bill", 0.02),
                      ("materials", 0.02)):
        out[col] = np.where(rng.random(len(fi)) < rate, np.nan, np.round(out[col], 0))
    early, late, switch_u = names
    switch_year = s.first_year + 2 + np.floor(switch_u * (s.last_year - s.first_year - 2))
    grp = firms["group"][fi]
    return pd.DataFrame({
        "firm_id": ids[fi], "firm_name": np.where(year < switch_year[fi], early[fi], late[fi]),
        "year": year.astype("int64"), "sector": [_CODES[k] for k in j],
        "region": [f"R{r + 1:02d}" for r in firms["region"][fi]],
        "business_group": [f"G{g + 1:02d}" if g >= 0 else None for g in grp], **out}), exporter


def _contracts(s, rng_small, rng, firms, ids, recs, stems, base, taken):
    """Contract documents (BS firms + small unlinked firms) and the true links.

    ``rng_small`` draws the small firms' contracts (year, sector, status), ``rng`` the text.
    """
    m_small = round(s.unlinked_contract_share / (1 - s.unlinked_contract_share) * len(recs))
    pool = max(1, round(0.8 * m_small))
    pick = rng_small.integers(len(recs), size=m_small)  # small firms mimic the year/sector mix of contracts
    small_sector = firms["sector"][recs["firm"].to_numpy()[pick]]
    who = np.concatenate([recs["firm"].to_numpy(), s.n_firms + rng_small.integers(pool, size=m_small)])
    r_small = rng_small.random(m_small)
    by = np.concatenate([recs["canceled_by"].to_numpy(dtype=object), np.where(
        r_small < s.foreign_cancel_prob, "foreign",
        np.where(r_small < s.foreign_cancel_prob + 0.04, "domestic", ""))])
    year = np.concatenate([recs["year"].to_numpy(), recs["year"].to_numpy()[pick]])
    cyear = np.concatenate([recs["cancel_year"].to_numpy(), np.where(by[len(recs):] != "", year[len(recs):], -1)])
    order = np.lexsort((rng_small.random(len(who)), year))
    s_stem, s_word = nm.draw_base_names(rng, small_sector[:pool], stems, np.full(pool, ""), taken)
    all_stem, all_word = np.concatenate([base[0], s_stem]), np.concatenate([base[1], s_word])
    all_sector = np.concatenate([firms["sector"], small_sector[:pool]])
    avoid: dict[int, set[str]] = {}
    rows, links = [], []
    for n, c in enumerate(order, start=1):
        f, canc = int(who[c]), by[c]
        seller, country = nm.foreign_partner(rng, int(all_sector[f]), avoid.get(f, set()))
        if canc == "foreign":
            avoid.setdefault(f, set()).add(seller)
        reason = nm.CANCEL_REASONS[canc][rng.integers(4)] if canc and rng.random() < 0.9 else None
        ctype = ("blueprint", "training", "license", "other")[rng.choice(4, p=(0.55, 0.35, 0.05, 0.05))]
        rows.append((f"C{n:04d}", nm.contract_name(rng, all_stem[f], all_word[f]),
                     seller if rng.random() > 0.02 else None, country, int(year[c]),
                     ctype if rng.random() > 0.03 else None, "canceled" if canc else "completed",
                     canc or None, int(cyear[c]) if canc else None, reason,
                     f"NAK-BA{rng.integers(100000, 999999):07d}, EPB {year[c]}-{n:04d}"))
        links.append((f"C{n:04d}", ids[f] if f < s.n_firms else None))
    contracts = pd.DataFrame(rows, columns=list(SPEC_COLUMNS["contracts"]))
    contracts["year"] = contracts["year"].astype("int64")
    contracts["cancel_year"] = contracts["cancel_year"].astype("Int64")
    return contracts, pd.DataFrame(links, columns=["contract_id", "firm_id"])


def _credit_and_fairs(s, rng, firms, ids, observed, adopt_year, exporter, log_sales, heavy):
    """Directed credit (≈25 % of adopters around adoption, 2 % of never-adopters) and KOTRA fairs."""
    F, T = observed.shape
    rows = []
    adopters = np.flatnonzero((adopt_year < _NEVER) & (rng.random(F) < 0.2 + 0.1 * heavy))
    for i in adopters:
        for lag, pr in ((0, 1.0), (1, 0.5), (2, 0.25)):
            k = adopt_year[i] + lag - s.first_year
            if k < T and observed[i, k] and rng.random() < pr:
                rows.append((i, k))
    for i in np.flatnonzero((adopt_year == _NEVER) & (rng.random(F) < 0.02)):
        rows.append((i, rng.choice(np.flatnonzero(observed[i]))))
    fi, ki = np.array(rows, dtype=int).reshape(-1, 2).T
    credit = pd.DataFrame({"firm_id": ids[fi], "year": (s.first_year + ki).astype("int64"),
                           "amount": np.round(np.exp(log_sales[fi, ki] + rng.normal(np.log(0.08), 0.6, len(fi))), 0)})
    years = np.arange(s.first_year, s.last_year + 1)
    p_fair = np.where(years >= s.policy_start, 0.15, 0.06)[None, :] * exporter[:, None] * observed
    fi, ki = np.nonzero(rng.random((F, T)) < p_fair)
    revenue = np.exp(log_sales[fi, ki]) * rng.beta(1, 30, len(fi))
    fairs = pd.DataFrame({"firm_id": ids[fi], "year": (s.first_year + ki).astype("int64"),
                          "participations": (1 + rng.poisson(0.7, len(fi))).astype("int64"),
                          "revenue": np.where(rng.random(len(fi)) < 0.1, np.nan, np.round(revenue, 0))})
    return (credit.sort_values(["firm_id", "year"], ignore_index=True),
            fairs.sort_values(["firm_id", "year"], ignore_index=True))


def true_parameter_table(s: DemoSettings) -> pd.DataFrame:
    """One row per true parameter of the DGP (parameter, value, description)."""
    th = s.input_response
    rows = [("direct_effect_log_sales", s.direct_effect, "long-run effect of adoption on log sales"),
            ("direct_effect_log_tfpr", s.direct_effect / (1 + th), "long-run effect of adoption on log TFPR"),
            ("direct_ramp_years", s.direct_ramp_years, "D(τ) = effect·min((τ+1)/R, 1): full from τ = R−1")]
    for tau in range(8):
        d = float(direct_effect_profile(tau, s))
        rows += [(f"direct_effect_log_sales_tau{tau}", d, f"effect on log sales {tau} years after adoption"),
                 (f"direct_effect_log_tfpr_tau{tau}", d / (1 + th), f"effect on log TFPR {tau} years after adoption")]
    rows += [("spillover_log_sales", s.spillover, "δ: ∂ log sales / ∂ Share_(−i)nj,t−2"),
             ("spillover_log_tfpr", s.spillover / (1 + th), "δ/(1+θ): ∂ log TFPR / ∂ Share_(−i)nj,t−2"),
             ("complementarity", s.complementarity, "γ: ∂ P(new contract) / ∂ Share_(−i)nj,t−2 (LPM)"),
             ("input_response", th, "θ: ∂ log inputs / ∂ log TFPR"),
             ("local_shock_sd", s.local_shock_sd, "sd of annual innovation of region-sector shock η_njt"),
             ("local_trend_sd", s.local_trend_sd, "sd of region-sector boom rate ν_nj"),
             ("local_shock_tfpr", 1.0, "∂ log TFPR / ∂ η_njt"),
             ("local_shock_scale", s.local_shock_scale, "κ: ∂ log inputs / ∂ η_njt beyond θ"),
             ("local_shock_log_sales", 1 + th + s.local_shock_scale, "∂ log sales / ∂ η_njt = 1+θ+κ"),
             ("local_shock_adoption", s.local_shock_adoption, "φ: boom multiplier M(η) = 2/(1+exp(−φη)) on P"),
             ("group_effect_mean", s.group_effect_mean, "mean group adoption propensity a_g"),
             ("group_effect_sd", s.group_effect_sd, "sd of a_g across groups"),
             ("group_shock_sd", s.group_shock_sd, "sd of e_gt in ψ_gt = max(0, a_g·1[τ_g ≤ t ≤ policy end] + e_gt)"),
             ("group_heavy_share", s.group_heavy_share, "P(a group's core / second sector is heavy)"),
             ("group_core_share", s.group_core_share, "share of a group's plants in its core sector at its 2 bases"),
             ("group_scale_premium", s.group_scale_premium, "log scale premium of affiliates"),
             ("affiliated_share", s.affiliated_share, "share of firms affiliated with a group"),
             ("base_contract_rate", s.base_contract_rate, "baseline P(new contract), light sectors"),
             ("heavy_contract_premium", s.heavy_contract_premium, "added to the baseline of heavy sectors"),
             ("heavy_subsidy", s.heavy_subsidy, f"added to the heavy baseline {s.policy_start}–{s.policy_end}"),
             ("size_adoption_slope", s.size_adoption_slope, "λ: baseline × exp(λ·(log scale − mean))"),
             ("extra_contract_rate", s.extra_contract_rate, "Poisson mean of extra contracts in a signing year"),
             ("retry_bump", s.retry_bump, "added from 2 years after a cancellation until adoption"),
             ("foreign_cancel_prob", s.foreign_cancel_prob, "P(foreign cancellation), independent of the firm"),
             ("domestic_cancel_base", s.domestic_cancel_base, "P(domestic cancellation) baseline"),
             ("domestic_cancel_shock", s.domestic_cancel_shock, "added when cash-flow shock u_it < −1"),
             ("tfpr_trend", s.tfpr_trend, "common log TFPR trend per year"),
             ("scale_growth", s.scale_growth, "log input growth per year"),
             ("heavy_policy_growth", s.heavy_policy_growth, "extra log input growth per policy year, heavy"),
             ("shock_persistence", s.shock_persistence, "ρ of AR(1) TFPR shock"),
             ("shock_sd", s.shock_sd, "sd of AR(1) innovation"),
             ("tfpr_fe_sd", s.tfpr_fe_sd, "sd of firm log TFPR fixed effect"),
             ("user_cost", s.user_cost, "rental rate r: fixed_assets = α_k e^x / r"),
             ("scale_mean", s.scale_mean, "mean log input bundle of incumbents (2015 USD)"),
             ("scale_sd", s.scale_sd, "sd of log input bundle across firms"),
             ("input_noise_sd", s.input_noise_sd, "sd of input noise ξ and of reported-input noise"),
             ("wage_1972", s.wage_1972, "annual wage per worker in 1972 (2015 USD), +9 % a year"),
             ("exit_rate", s.exit_rate, "annual exit hazard"),
             ("incumbent_share", s.incumbent_share, "share of firms operating in the first year"),
             ("coverage_year1", s.coverage_early[0], "P(operating firm printed in the balance sheets), first year"),
             ("coverage_year2", s.coverage_early[1], "… second year"),
             ("coverage_later", s.coverage_later, "… later years"),
             ("employment_missing", s.employment_missing, "P(employment missing) from the third year"),
             ("unlinked_contract_share", s.unlinked_contract_share, "share of contracts by firms not printed")]
    for code, _, _, a_l, a_m, *_ in _SECTORS:
        rows += [(f"wage_share_{code}", a_l, f"α_l: wage_bill/input bundle, {code}"),
                 (f"materials_share_{code}", a_m, f"α_m: materials/input bundle, {code}")]
    return pd.DataFrame(rows, columns=["parameter", "value", "description"]).astype({"value": "float64"})


def _us_cpi(year: int) -> float:
    """US CPI-U (1982–84 = 100); outside 1970–1982 extrapolated at 4 % a year. 2015 = 237.0."""
    if year in _US_CPI:
        return _US_CPI[year]
    edge = min(max(year, 1970), 1982)
    return _US_CPI[edge] * 1.04 ** (year - edge)


def _check(s: DemoSettings) -> None:
    problems = []
    if s.last_year - s.first_year < 4:
        problems.append("the demo needs at least five years")
    if not 3 <= s.n_regions <= len(_REGIONS):
        problems.append(f"n_regions must be between 3 and {len(_REGIONS)}")
    if s.n_groups < 1 or s.n_firms < 10 * s.n_groups:
        problems.append("need n_groups ≥ 1 and n_firms ≥ 10 × n_groups")
    if not s.policy_start <= s.policy_end:
        problems.append("policy_start must not be after policy_end")
    if problems:
        raise ValueError("; ".join(problems))


def generate_demo_economy(settings: DemoSettings = DemoSettings()) -> DemoEconomy:
    """Build the demo archive; deterministic in ``settings.seed``."""
    s = settings
    _check(s)
    rng_geo, rng_firm, rng_shock, rng_adopt, rng_out, rng_bs, rng_name, rng_misc, rng_small = (
        np.random.default_rng(c) for c in np.random.SeedSequence(s.seed).spawn(9))
    years = np.arange(s.first_year, s.last_year + 1)
    T = len(years)
    regions = _regions(s, rng_geo)
    firms = _draw_firms(s, rng_firm, regions)
    F = s.n_firms
    alive = (firms["entry"][:, None] <= years) & (years <= firms["exit"][:, None])
    eta = local_shock(rng_shock, _J * s.n_regions, T, s.local_trend_sd, s.local_shock_sd)
    psi = group_propensity(rng_shock, s, years)
    u = rng_shock.standard_normal((F, T))
    adopt_year, share, prob, recs = _simulate_adoption(s, rng_adopt, firms, alive, eta, psi, u)
    omega, x, log_sales, direct = _outcomes(s, rng_out, firms, adopt_year, share, eta, u)

    coverage = np.r_[s.coverage_early, np.full(T - 2, s.coverage_later)]
    observed = alive & (rng_bs.random((F, T)) < coverage)
    never = np.flatnonzero(~observed.any(1))
    observed[never, firms["exit"][never] - s.first_year] = True
    ids = np.array([f"F{i + 1:05d}" for i in range(F)], dtype=object)
    stems = nm.stem_pool(rng_name)
    fixed_stem = np.where(firms["group"] >= 0, stems[np.maximum(firms["group"], 0)], "")
    taken: set[tuple[int, str]] = set()  # trade names in use (filled by draw_base_names, shared with small firms)
    b_stem, b_word = nm.draw_base_names(rng_name, firms["sector"], stems[s.n_groups:], fixed_stem, taken)
    bs, exporter = _balance_sheets(s, rng_bs, firms, ids, observed, x, log_sales,
                                   nm.balance_sheet_names(rng_name, b_stem, b_word))
    contracts, links = _contracts(s, rng_small, rng_name, firms, ids, recs, stems[s.n_groups:], (b_stem, b_word),
                                  taken)
    credit, fairs = _credit_and_fairs(s, rng_misc, firms, ids, observed, adopt_year, exporter, log_sales,
                                      _HEAVY[firms["sector"]])
    tables = {
        "regions": regions,
        "sectors": pd.DataFrame({"sector": list(_CODES), "name": [x_[1] for x_ in _SECTORS],
                                 "heavy": _HEAVY.astype(bool)}),
        "deflators": pd.DataFrame({"year": years.astype("int64"),
                                   "factor": [round(237.0 / _us_cpi(int(y)), 4) for y in years]}),
        "balance_sheets": bs, "contracts": contracts, "credit": credit, "trade_fairs": fairs,
    }
    # The model inputs draw from their own stream, so the streams above (and their tables) are unchanged.
    size_weights = np.array([r[4] for r in _REGIONS[: s.n_regions]])
    sigma = mi.MODEL_TRUTH["sigma"]                 # the model's accounts carry the demo's true η and δ
    tables |= mi.model_input_tables(regions, tables["sectors"], bs, size_weights, years, coverage,
                                    np.random.default_rng([s.seed, 7]), great_circle_km,
                                    eta=float(np.exp(s.direct_effect / (sigma - 1))), delta=s.spillover / (sigma - 1))
    tables = {k: v[list(SPEC_COLUMNS[k])] for k, v in tables.items()}
    latent = _latent_panel(s, firms, ids, alive, observed, adopt_year, share, prob, recs, eta, psi, u,
                           direct, omega, x, log_sales)
    return DemoEconomy(tables=tables, true_parameters=true_parameter_table(s), true_links=links,
                       latent_panel=latent)


def _latent_panel(s, firms, ids, alive, observed, adopt_year, share, prob, recs, eta, psi, u,
                  direct, omega, x, log_sales) -> pd.DataFrame:
    """One row per operating firm-year with the DGP's latent variables."""
    fi, ki = np.nonzero(alive)
    year = s.first_year + ki
    n_con = np.zeros(alive.shape, dtype=np.int64)
    np.add.at(n_con, (recs["firm"].to_numpy(), recs["year"].to_numpy() - s.first_year), 1)
    grp = firms["group"][fi]
    ay = adopt_year[fi]
    return pd.DataFrame({
        "firm_id": ids[fi], "year": year.astype("int64"), "observed": observed[fi, ki],
        "sector": [_CODES[j] for j in firms["sector"][fi]],
        "region": [f"R{r + 1:02d}" for r in firms["region"][fi]],
        "business_group": [f"G{g + 1:02d}" if g >= 0 else None for g in grp],
        "heavy": _HEAVY[firms["sector"][fi]],
        "adoption_year": pd.Series(ay, dtype="Int64").mask(ay >= _NEVER).array,
        "adopted": ay <= year, "contract_prob": prob[fi, ki], "new_contracts": n_con[fi, ki],
        "share_lag2": share[fi, ki], "local_shock": eta[firms["cell"][fi], ki],
        "group_shock": np.where(grp >= 0, psi[np.maximum(grp, 0), ki], np.nan),
        "cash_flow_shock": u[fi, ki], "direct_effect_log_sales": direct[fi, ki],
        "log_tfpr": omega[fi, ki], "log_inputs": x[fi, ki], "log_sales": log_sales[fi, ki]})
