"""Quantitative-model services: assemble the model's inputs from the stored tables, calibrate it by the
method of moments (Table 2), keep the calibration with its provenance, and run the Section 6
counterfactuals and policy experiments on a stored calibration (docs/quantitative-inputs.md).

Pages and the CLI call these; the numbers come from ``estimation.quant_inputs`` (tables → arrays),
``estimation.xi`` (ξ from the firm-size distribution) and ``models.quantitative`` (the model, its
calibration and counterfactuals). Stored runs go to ``model_runs`` (model ``quant_calibration``,
``quant_counterfactuals``, ``quant_policy``) with the same provenance as the estimates (change sets and
SHA-256, links, data version, package and code versions, actor) and one audit entry each.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from estimation import quant_inputs as qi
from estimation.adoption_panel import adoption_panel
from estimation.xi import XiError, XiEstimate, estimate_xi
from models import quantitative as qm
from models.quantitative import calibration as qcal
from models.quantitative import policy as qpolicy
from models.quantitative import scenarios as qscen
from models.quantitative import serialize
from models.quantitative.counterfactuals import MEASURES, PAPER_DISCOUNT
from storage.database import Database, now
from workbench import direct_effects as _de
from workbench import spillovers as _sp

CALIBRATION, COUNTERFACTUALS, POLICY = "quant_calibration", "quant_counterfactuals", "quant_policy"
MODELS = (CALIBRATION, COUNTERFACTUALS, POLICY)
MODEL_TABLES = ("regions", "sectors", "model_sectors", "input_output", "sector_years", "region_sectors",
                "populations", "roads")

#: Section 5.2's external values, used as defaults and labelled as the paper's on the page
PAPER_SIGMA = 5.0
PAPER_THETA_RATIO = 1.06                 # θ = 1.06 (σ − 1), di Giovanni et al. (2011)
PAPER_TRADE_ELASTICITY_GOODS = 1.29      # (σ − 1) v_j, commodities and manufacturing
PAPER_TRADE_ELASTICITY_SERVICES = 3.8    # (σ − 1) v_j, services
PAPER_YEARS = (1972, 1976, 1980)
PAPER_TAX_RATE = 0.20                    # Korea's corporate statutory tax rate in 1972 as Table 2 reports it (data)
#: calibration parameter names (models.quantitative.PARAMETERS) → their labels in the fit table
HELD_NAMES = {"fixed_adoption": "F^T", "fixed_export_light": "F^x light", "fixed_export_heavy": "F^x heavy",
              "kappa": "κ", "tau_bar_heavy": "τ̄ heavy", "subsidy_rate": "s̄"}


@dataclass(frozen=True)
class QuantSettings:
    """Everything a calibration depends on besides the stored data (recorded with the run)."""

    years: tuple = PAPER_YEARS
    links: str = "final"
    sigma: float = PAPER_SIGMA
    theta_ratio: float = PAPER_THETA_RATIO
    eta: float | None = None               # None: from the latest stored direct-effects estimate
    delta: float | None = None             # None: from the latest stored spillover estimate
    trade_elasticity_goods: float = PAPER_TRADE_ELASTICITY_GOODS
    trade_elasticity_services: float = PAPER_TRADE_ELASTICITY_SERVICES
    highway_reduction: float = qm.PAPER_HIGHWAY_REDUCTION
    tax_rate: float = PAPER_TAX_RATE
    xi_heavy: float | None = None          # None: estimated from the non-exporters' sales distribution
    xi_tail_quantile: float = 0.5
    policy_periods: tuple = (2, 3)
    start: dict = field(default_factory=lambda: {"fixed_adoption": 0.01, "fixed_export_light": 0.01,
                                                 "fixed_export_heavy": 0.01, "kappa": 3.0, "tau_bar_heavy": 0.3,
                                                 "subsidy_rate": 0.15})   # starting values of the search
    fixed: dict = field(default_factory=dict)   # parameters held at these values instead of searched
    max_evaluations: int = 300

    def as_dict(self) -> dict:
        return _de._plain(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> QuantSettings:
        known = {f.name for f in dataclasses.fields(cls)}
        data = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
        return cls(**data)


@dataclass(frozen=True)
class Assembly:
    """The model's external inputs and calibration data, as assembled from the stored tables."""

    spec: qm.QuantSpec                  # external parameters; F^T, F^x, κ, τ̄ at their starting values
    data: qcal.CalibrationData
    regions: pd.DataFrame               # region, name, lat, lon, population share, subsidized
    sectors: qi.ModelSectors
    d_no_highway: np.ndarray            # (N, N, J) icebergs without the highway's reduction (Panel C)
    d_port: np.ndarray
    xi: XiEstimate | None
    eta_source: str
    delta_source: str
    notes: tuple
    provenance: dict
    moments: qi.FirmMoments
    national: qi.NationalTargets


# ------------------------------------------------------------------------------------------- assembly

def _read_tables(db: Database, links: str) -> tuple[dict[str, pd.DataFrame], dict]:
    """Balance sheets, contracts, credit and links (as the estimation services read them) and the model
    tables, with the provenance of all of them."""
    inputs = _de._read_inputs(db, _sp._TableRequest(), links, controls=("credit",))
    with db.connect("reading the quantitative model's inputs") as con:
        tables = {name: con.execute(f"SELECT * EXCLUDE (_row_id, _batch_id, _source_row, extra) FROM {name}"
                                    " ORDER BY _row_id").df() for name in MODEL_TABLES}
        inputs.provenance["change_sets"] = _sp._merge_sets(inputs.provenance["change_sets"],
                                                           _de._active_change_sets(con, list(MODEL_TABLES)))
    tables |= {"balance_sheets": inputs.balance_sheets, "contracts": inputs.contracts, "links": inputs.links,
               "credit": inputs.credit}
    return tables, inputs.provenance


def _require(tables: dict[str, pd.DataFrame]) -> None:
    empty = [name for name in MODEL_TABLES if tables[name].empty]
    if empty:
        raise qi.QuantDataError([f"the table {name} is empty: upload it on its Model inputs page "
                                 "(docs/model-inputs-format.md)" for name in empty])


def _structural(db: Database, settings: QuantSettings) -> tuple[float, float, str, str]:
    """η and δ from the settings, else from the latest stored estimates, converted at this σ with Section
    5.2's mapping η = exp(β/(σ − 1)) and δ = β/(σ − 1), with a line saying where each came from."""
    sigma = settings.sigma
    found = {"η": (settings.eta, _de.latest_direct_gain, "eta", "Direct effects"),
             "δ": (settings.delta, _sp.latest_spillover, "delta", "Spillovers")}
    out = []
    for symbol, (typed, latest, name, page) in found.items():
        if typed is not None:
            out.append((float(typed), f"{symbol} = {float(typed):.4f}, typed in"))
            continue
        stored = latest(db)
        if stored is None:
            raise qi.QuantDataError([f"no stored estimate gives {symbol}: run {page} first or type {symbol} in"])
        if getattr(stored, name) is None or stored.beta is None:
            raise qi.QuantDataError([f"the latest {page} estimate ({stored.estimate_id}) gives no {symbol}: "
                                     f"{stored.note}; type {symbol} in or estimate it again"])
        value = stored.beta / (sigma - 1)
        value = math.exp(value) if name == "eta" else value
        se = getattr(stored, f"{name}_se") if stored.sigma == sigma else None
        out.append((value, _de.describe_stored(symbol, value, se, stored)
                    + ("" if stored.sigma == sigma else f" (converted at σ = {sigma:g})")))
    (eta, eta_source), (delta, delta_source) = out
    return eta, delta, eta_source, delta_source


def estimate_heavy_xi(balance_sheets: pd.DataFrame, sectors: pd.DataFrame, sigma: float, theta: float,
                      tail_quantile: float) -> XiEstimate:
    """ξ for light and heavy manufacturing from the sales of non-exporters within region × balance-sheet
    sector × year cells (docs §12), balance-sheet sectors grouped by ``sectors.heavy``."""
    heavy = dict(zip(sectors["sector"], sectors["heavy"].astype(bool)))
    firms = balance_sheets.assign(model_sector=balance_sheets["sector"].map(heavy).map({True: "heavy", False: "light"}))
    return estimate_xi(firms.dropna(subset=["model_sector"]), sigma, theta, sector="model_sector",
                       cell=("region", "sector", "year"), tail_quantile=tail_quantile)


def assemble(db: Database, settings: QuantSettings = QuantSettings()) -> Assembly:
    """The external spec and the calibration data from the stored tables; QuantDataError lists every
    problem (empty tables, missing years or cells, IO rows that do not add up, unreachable regions)."""
    years = tuple(int(y) for y in settings.years)
    if len(years) < 2 or sorted(set(years)) != list(years):
        raise qi.QuantDataError([f"calibration years {years}: give at least two increasing years"])
    tables, provenance = _read_tables(db, settings.links)
    _require(tables)
    notes: list[str] = []
    sectors = qi.model_sectors(tables["model_sectors"])
    alpha, gamma_l, gamma_k, io_notes = qi.cobb_douglas_shares(tables["input_output"], sectors)
    notes += io_notes
    regions = tables["regions"].sort_values("region", ignore_index=True)
    codes = regions["region"].tolist()
    if regions["port_distance_km"].isna().any():
        missing = ", ".join(regions.loc[regions["port_distance_km"].isna(), "region"])
        raise qi.QuantDataError([f"regions: port_distance_km is missing for {missing}"])
    labour = qi.labour_shares(tables["populations"], codes, years[0])
    mass, mass_notes = qi.firm_masses(tables["region_sectors"], codes, sectors, years[0])
    notes += mass_notes
    national = qi.national_targets(tables["sector_years"], sectors, years)
    shares = qi.output_shares(tables["region_sectors"], national, codes, sectors, years)

    roads = tables["roads"].rename(columns={"from_node": "from", "to_node": "to"})
    sigma, theta = settings.sigma, settings.theta_ratio * (settings.sigma - 1)
    v = np.array([(settings.trade_elasticity_services if k == "services" else settings.trade_elasticity_goods)
                  / (sigma - 1) for k in sectors.kinds])
    icebergs = {}
    for label, reduction in (("with", settings.highway_reduction), ("without", 0.0)):
        dist = qm.effective_distances(roads, codes, highway_reduction=reduction)
        if not np.all(np.isfinite(dist)):
            groups = {}
            for code, row in zip(codes, np.isfinite(dist)):
                groups.setdefault(row.tobytes(), []).append(code)
            cut_off = sorted((g for g in groups.values() if len(g) < max(map(len, groups.values()))) or groups.values(),
                             key=len)
            raise qi.QuantDataError([f"roads: no route connects region(s) {', '.join(g)} with the others"
                                     for g in cut_off])
        icebergs[label] = qm.iceberg_costs(dist, v)
    d_port = qm.iceberg_costs(regions["port_distance_km"].to_numpy(float), v)

    bs = tables["balance_sheets"]
    xi_estimate = None
    if settings.xi_heavy is None:
        try:
            xi_estimate = estimate_heavy_xi(bs, tables["sectors"], sigma, theta, settings.xi_tail_quantile)
        except XiError as err:
            raise qi.QuantDataError([f"ξ cannot be estimated from the balance sheets: {err}"]) from err
        row = xi_estimate.table.set_index("sector")
        if "heavy" not in row.index:
            raise qi.QuantDataError(["ξ cannot be estimated for heavy manufacturing: too few non-exporters"])
        xi_heavy = float(row.loc["heavy", "xi"])
    else:
        xi_heavy = float(settings.xi_heavy)
    eta, delta, eta_source, delta_source = _structural(db, settings)

    panel = adoption_panel(bs, tables["contracts"], tables["links"])
    printed = sorted(int(y) for y in bs["year"].unique())
    wanted = years[0] - 4
    initial_year = wanted if wanted in printed else printed[0]
    if initial_year != wanted:
        notes.append(f"λ_0 is the heavy adopter share of {initial_year} (the balance sheets do not reach {wanted}, "
                     "one model period before the first calibration year)")
    heavy_codes = set(tables["sectors"].loc[tables["sectors"]["heavy"].astype(bool), "sector"])
    moments = qi.firm_moments(bs, panel, heavy_codes, codes, years, initial_year)
    subsidized = qi.subsidized_regions(tables["credit"], bs, codes)
    if not subsidized:
        notes.append("no region has a directed-credit recipient: the baseline has no subsidy to calibrate")

    j = len(sectors.codes)
    lam0 = np.zeros((len(codes), j))
    lam0[:, sectors.heavy] = moments.initial_adopter_share
    start = settings.start
    fixed_export = tuple(start["fixed_export_heavy"] if k == sectors.heavy else start["fixed_export_light"] for k in range(j))
    spec = qm.QuantSpec(
        sigma=sigma, theta=theta, eta=eta, delta=delta, kappa=float(start["kappa"]), labour=tuple(labour),
        mass=_tuple(mass), alpha=tuple(alpha), gamma_labour=tuple(gamma_l), gamma_inputs=_tuple(gamma_k),
        tau_bar=tuple(start["tau_bar_heavy"] if k == sectors.heavy else 0.0 for k in range(j)),
        xi=tuple(xi_heavy if k == sectors.heavy else 0.0 for k in range(j)), d=_tuple(icebergs["with"]),
        d_port=_tuple(d_port), fixed_adoption=float(start["fixed_adoption"]), fixed_export=fixed_export,
        adopting=tuple(k == sectors.heavy for k in range(j)))
    data = qcal.CalibrationData(
        years=years, lam0=_tuple(lam0), output_share=_tuple(shares), export_intensity=_tuple(national.export_intensity),
        import_share=_tuple(national.import_share), ppi=tuple(national.ppi), real_gdp=tuple(national.real_gdp),
        tariff=_tuple(national.tariff), adopter_share=tuple(moments.adopter_share),
        exporter_share_light=float(moments.exporter_share_light.mean()),
        exporter_share_heavy=float(moments.exporter_share_heavy.mean()),
        regions_with_adoption=float(moments.regions_with_adoption.mean()), tax_rate=float(settings.tax_rate),
        subsidized_regions=subsidized, light_sector=sectors.light, policy_periods=tuple(settings.policy_periods))
    frame = regions[["region", "name", "lat", "lon", "port_distance_km"]].assign(
        population_share=labour, subsidized=[i in subsidized for i in range(len(codes))],
        initial_adopter_share=moments.initial_adopter_share)
    return Assembly(spec=spec, data=data, regions=frame, sectors=sectors, d_no_highway=icebergs["without"],
                    d_port=d_port, xi=xi_estimate, eta_source=eta_source, delta_source=delta_source,
                    notes=tuple(notes), provenance=provenance, moments=moments, national=national)


def _tuple(array) -> tuple:
    return tuple(_tuple(a) for a in array) if np.ndim(array) > 1 else tuple(float(a) for a in array)


# ------------------------------------------------------------------------------------------- calibration

def calibrate(db: Database, settings: QuantSettings, actor: str,
              progress: Callable[[float, str], None] | None = None) -> tuple[int, qcal.CalibrationResult, Assembly]:
    """Assemble, calibrate (eq. 5.1) and store the result in ``model_runs`` (model ``quant_calibration``);
    returns (run_id, result, assembly). A calibration that did not converge is stored too, flagged, so the
    trail is complete; counterfactuals refuse to run on it."""
    assembly = assemble(db, settings)
    result = qcal.calibrate(assembly.spec, assembly.data, start=settings.start, progress=progress,
                            max_evaluations=settings.max_evaluations, fixed=settings.fixed or None)
    summary = calibration_summary(result, assembly)
    state = "converged" if result.converged else "DID NOT CONVERGE"
    run_id = _store_run(db, CALIBRATION, settings.as_dict(), summary, assembly.provenance, actor,
                        f"calibration of the quantitative model ({state}; objective {result.objective:.3g})")
    return run_id, result, assembly


def calibration_summary(result: qcal.CalibrationResult, assembly: Assembly) -> dict:
    """What is stored of a calibration: the calibrated spec and fundamentals (exactly, to rebuild the
    economy), the fit, the inputs' labels and sources."""
    xi = None if assembly.xi is None else assembly.xi.table.to_dict("records")
    return {
        "spec": serialize.to_dict(result.spec),
        "fundamentals": [serialize.to_dict(f) for f in result.fundamentals],
        "subsidy_rate": result.subsidy_rate, "subsidized_regions": list(result.subsidized_regions),
        "lam0": [list(r) for r in assembly.data.lam0], "years": list(assembly.data.years),
        "period1_solution": result.path.equilibria[0].solution.tolist(),
        "policy_periods": list(assembly.data.policy_periods),
        "moments": list(result.moments), "constraints": list(result.constraints), "objective": result.objective,
        "evaluations": result.evaluations, "seconds": result.seconds, "converged": result.converged,
        "message": result.message, "regions": assembly.regions.to_dict("records"),
        "sectors": {"codes": list(assembly.sectors.codes), "names": list(assembly.sectors.names),
                    "kinds": list(assembly.sectors.kinds), "heavy": assembly.sectors.heavy,
                    "light": assembly.sectors.light},
        "d_no_highway": assembly.d_no_highway.tolist(), "xi": xi, "eta_source": assembly.eta_source,
        "delta_source": assembly.delta_source, "notes": list(assembly.notes),
        "heavy_adopter_share_by_region": assembly.moments.region_adopter_share.tolist(),
        "national_data": {"gdp_share_heavy": (assembly.national.value_added[:, assembly.sectors.heavy]
                                              / assembly.national.value_added.sum(axis=1)).tolist(),
                          "export_intensity_heavy": assembly.national.export_intensity[:, assembly.sectors.heavy].tolist()},
    }


def _store_run(db: Database, model: str, parameters: dict, result: dict, provenance: dict, actor: str,
               what: str) -> int:
    """Store a run of ``model`` in ``model_runs`` with its provenance and audit entry; returns its id."""
    return _de.store_result(db, "model_runs", model, parameters, result, provenance, actor, what)


def _run_provenance(stored: StoredCalibration) -> dict:
    """A counterfactual or policy run's provenance: its calibration's data trail (change sets, links, data
    version) with the calibration's id, and this run's own code and package versions and time."""
    return stored.provenance | {"calibration_run_id": stored.run_id, "code_version": _de.code_version(),
                                "packages": _de._package_versions(),
                                "computed_at": now().isoformat(sep=" ", timespec="seconds")}


def stored_runs(db: Database, model: str) -> pd.DataFrame:
    """Stored runs of ``model``, newest first: run_id, created_at, parameters / result / provenance as dicts."""
    frame = db.query("SELECT run_id, created_at, CAST(parameters AS VARCHAR) AS parameters, CAST(result AS VARCHAR)"
                     " AS result, CAST(provenance AS VARCHAR) AS provenance FROM model_runs WHERE model = ?"
                     " ORDER BY run_id DESC", [model], doing="reading stored model runs")
    for column in ("parameters", "result", "provenance"):
        frame[column] = frame[column].map(lambda text: None if text is None else json.loads(text))
    return frame


def all_runs(db: Database) -> pd.DataFrame:
    """Every stored run of every model in the order stored (run_id ascending), with its ``model``."""
    runs = [stored_runs(db, model).assign(model=model) for model in MODELS]
    return pd.concat(runs, ignore_index=True).sort_values("run_id", ignore_index=True)


@dataclass(frozen=True)
class StoredCalibration:
    """A stored calibration rebuilt: the calibrated economy, its baseline policy and what it was fitted to."""

    run_id: int
    spec: qm.QuantSpec
    fundamentals: tuple
    subsidy_rate: float
    subsidized_regions: tuple
    lam0: np.ndarray
    years: tuple
    policy_periods: tuple
    converged: bool
    summary: dict
    settings: QuantSettings
    provenance: dict
    created_at: str

    @property
    def regions(self) -> pd.DataFrame:
        return pd.DataFrame(self.summary["regions"])

    @property
    def guess(self) -> np.ndarray:
        """Period 1's equilibrium of the calibrated baseline (ln w, ln P, ln E): the warm start of every later
        solve of this economy (a cold start can fail at calibrated parameters far from the solver's default)."""
        return np.array(self.summary["period1_solution"], dtype=float)

    @property
    def schedule(self) -> qm.SubsidySchedule:
        """The baseline's subsidy: s̄ in the policy periods in the subsidized regions, heavy manufacturing."""
        return qm.SubsidySchedule(rate=self.subsidy_rate, periods=self.policy_periods,
                                  regions=self.subsidized_regions)


def load_calibration(db: Database, run_id: int | None = None) -> StoredCalibration | None:
    """Stored calibration ``run_id`` (default: the newest); None if there is none."""
    runs = stored_runs(db, CALIBRATION)
    if run_id is not None:
        runs = runs[runs["run_id"] == run_id]
    if runs.empty:
        return None
    row = runs.iloc[0]
    r = row["result"]
    return StoredCalibration(
        run_id=int(row["run_id"]), spec=serialize.spec_from_dict(r["spec"]),
        fundamentals=tuple(serialize.fundamentals_from_dict(f) for f in r["fundamentals"]),
        subsidy_rate=float(r["subsidy_rate"]), subsidized_regions=tuple(r["subsidized_regions"]),
        lam0=np.array(r["lam0"], dtype=float), years=tuple(r["years"]), policy_periods=tuple(r["policy_periods"]),
        converged=bool(r["converged"]), summary=r, settings=QuantSettings.from_dict(row["parameters"]),
        provenance=row["provenance"], created_at=str(row["created_at"])[:19])


def table2(stored: StoredCalibration) -> pd.DataFrame:
    """Table 2's layout: parameter, description, value, identification / moment, model fit, data."""
    spec, s = stored.spec, stored.summary
    heavy, light = s["sectors"]["heavy"], s["sectors"]["light"]
    settings = stored.settings
    external = [
        ("η", "Direct productivity gains", spec.eta, s["eta_source"]),
        ("δ", "Spillover semi-elasticity", spec.delta, s["delta_source"]),
        ("σ", "Elasticity of substitution", spec.sigma, "setting" + (" (the paper's)" if spec.sigma == PAPER_SIGMA else "")),
        ("θ", "Pareto shape parameter", spec.theta, f"{settings.theta_ratio:g} × (σ − 1)"),
        ("ξ_heavy", "Distortion correlation", spec.xi[heavy],
         "firm-size distribution of non-exporters" if settings.xi_heavy is None else "typed in"),
        ("(σ−1)v", "Distance trade-cost elasticity", f"{settings.trade_elasticity_goods:g}, {settings.trade_elasticity_services:g}",
         "goods, services (settings)"),
        ("α_j", "Preferences", _range(spec.alpha), "input-output table"),
        ("γ^k_j", "Production", _range(np.ravel(spec.gamma_inputs)), "input-output table"),
        ("M_nj", "Exogenous firm mass", _range(np.ravel(spec.mass)), f"value added, {stored.years[0]}"),
    ]
    rows = [{"block": "External calibration", "parameter": p, "description": d, "value": v,
             "identification": i, "model": None, "data": None} for p, d, v, i in external]
    values = {"F^T": spec.fixed_adoption, "F^x light": spec.fixed_export[light],
              "F^x heavy": spec.fixed_export[heavy], "s̄": stored.subsidy_rate, "κ": spec.kappa,
              "τ̄ heavy": spec.tau_bar[heavy]}
    labels = {"F^T": "Fixed adoption cost", "F^x light": "Fixed export cost, light mfg.",
              "F^x heavy": "Fixed export cost, heavy mfg.", "s̄": "Subsidy rate", "κ": "Pareto upper bound",
              "τ̄ heavy": "Distortion level"}
    held = {HELD_NAMES.get(k, k) for k in settings.fixed}
    shown = set()
    for m in s["moments"]:
        p = m["parameter"]
        first = p not in shown
        shown.add(p)
        moment = m["moment"] + (f", {m['year']}" if m.get("year") else "")
        rows.append({"block": "Internal calibration", "parameter": p if first else "",
                     "description": (labels.get(p, "") + (" (held, not searched)" if p in held else "")) if first else "",
                     "value": values.get(p) if first else None, "identification": moment,
                     "model": m["model"], "data": m["data"]})
    return pd.DataFrame(rows)


def _range(values) -> str:
    values = np.asarray(values, dtype=float)
    return f"{values.min():.3g}–{values.max():.3g}"


# ------------------------------------------------------------------------------------------- counterfactuals

class CalibrationNotUsable(ValueError):
    """The stored calibration cannot carry counterfactuals (none stored, or it did not converge)."""


def usable_calibration(db: Database, run_id: int | None = None) -> StoredCalibration:
    """The stored calibration to run counterfactuals on; CalibrationNotUsable says why not."""
    stored = load_calibration(db, run_id)
    if stored is None:
        raise CalibrationNotUsable("no calibration is stored" + ("" if run_id is None else f" with run id {run_id}")
                                   + ": calibrate the model first")
    if not stored.converged:
        raise CalibrationNotUsable(f"calibration {stored.run_id} did not converge ({stored.summary['message']}); "
                                   "its economy does not fit the data, so no counterfactual is run on it")
    return stored


def period_year(stored: StoredCalibration, period: int) -> int:
    """Model period t ↔ calendar year: the first calibration year plus 4 (t − 1) (one period = 4 years)."""
    return int(stored.years[0]) + 4 * (int(period) - 1)


def run_counterfactuals(db: Database, actor: str, run_id: int | None = None, discount: float = PAPER_DISCOUNT,
                        scenarios: bool = True, progress: Callable[[float, str], None] | None = None
                        ) -> tuple[int, dict]:
    """Section 6 on a stored calibration: the baseline (s̄ in the subsidized regions in the policy periods)
    against no big push (Figure 4, Table 3 Panels A and B, welfare by region) and, with ``scenarios``, Panel
    C's alternatives during the policy periods. Stored as a ``quant_counterfactuals`` run; returns
    (run_id, summary)."""
    stored = usable_calibration(db, run_id)
    report = progress or (lambda fraction, message: None)
    report(0.0, "baseline and no big push")
    heavy = (stored.summary["sectors"]["heavy"],)
    cf = qm.counterfactual(stored.spec, stored.fundamentals, stored.schedule, lam0=stored.lam0, heavy=heavy,
                           discount=discount, guess=stored.guess)
    summary = counterfactual_summary(stored, cf)
    if scenarios:
        alternatives = qm.paper_scenarios(heavy, np.array(stored.summary["d_no_highway"]), np.array(stored.spec.d_port))
        rows = []
        for i, scenario in enumerate(alternatives):
            report((i + 1) / (len(alternatives) + 1), f"Panel C: {scenario.label}")
            try:
                result = qm.run_scenario(stored.spec, stored.fundamentals, stored.schedule, scenario,
                                         lam0=stored.lam0, heavy=heavy, discount=discount, guess=stored.guess)
                rows.append(qscen.gdp_row(scenario.name, scenario.label, result))
            except (qm.ModelError, qm.SolverError) as err:   # one scenario that does not solve is reported, not fatal
                rows.append({"scenario": scenario.name, "label": scenario.label, "baseline_gdp_share": None,
                             "counterfactual_gdp_share": None, "difference_pp": None,
                             "note": f"not solved: {str(err)[:300]}"})
        summary["panel_c"] = rows
    report(1.0, "done")
    new_id = _store_run(db, COUNTERFACTUALS, {"calibration_run_id": stored.run_id, "discount": discount,
                                              "scenarios": scenarios}, summary, _run_provenance(stored), actor,
                        f"counterfactuals on calibration {stored.run_id}: Δ heavy GDP share "
                        f"{summary['panel_a'][0]['difference_pp']:.2f} p.p., welfare {100 * cf.welfare.aggregate:.2f} %")
    return new_id, summary


def counterfactual_summary(stored: StoredCalibration, cf) -> dict:
    """Figure 4's series (with the data's), Table 3 Panels A and B, and the steady-state differences and
    welfare by region."""
    names = stored.summary["sectors"]["names"]
    paths = pd.DataFrame(cf.time_paths())
    paths["year"] = [period_year(stored, p) for p in paths["period"]]
    data = stored.summary["national_data"]
    observed = [{"scenario": "data", "period": t + 1, "year": int(y), "region": None, "measure": measure,
                 "value": float(data[key][t])}
                for measure, key in (("gdp_share", "gdp_share_heavy"), ("export_intensity", "export_intensity_heavy"))
                for t, y in enumerate(stored.years)]
    b, c = cf.baseline_measures[-1], cf.counterfactual_measures[-1]
    regions = stored.regions
    by_region = regions[["region", "name", "lat", "lon"]].assign(
        subsidized=regions["subsidized"],
        **{f"d_{m}_pp": 100 * (getattr(b, f"region_{m}") - getattr(c, f"region_{m}")) for m in MEASURES},
        welfare_pct=100 * cf.welfare.by_region)
    panel_b = cf.sector_output_changes()
    for row in panel_b:
        row["sector"] = names[row["sector"]] if isinstance(row["sector"], int) else row["sector"]
    return {"calibration_run_id": stored.run_id, "discount": cf.welfare.discount,
            "discount_is_papers": cf.welfare.discount_is_papers, "horizon": cf.horizon,
            "policy_years": [period_year(stored, p) for p in stored.policy_periods],
            "time_paths": paths.to_dict("records") + observed, "panel_a": cf.steady_state_differences(),
            "panel_b": panel_b, "regions": by_region.to_dict("records"), "welfare": cf.welfare.aggregate}


# ------------------------------------------------------------------------------------------- policy experiments

def run_policy(db: Database, actor: str, run_id: int | None = None, draws: int = 1000, seed: int = 0,
               workers: int = 2, s_max: float = 0.5, grid: int = 21, general_rate: float | None = None,
               discount: float = PAPER_DISCOUNT, progress: Callable[[float, str], None] | None = None
               ) -> tuple[int, dict]:
    """Section 6's policy experiments on a stored calibration: a general subsidy (every heavy firm, adopter
    or not, at the calibrated s̄ unless ``general_rate``) in the subsidized regions, the welfare-maximising
    uniform subsidy (all regions), and ``draws`` randomized allocations of s̄ to as many regions as the
    baseline subsidized, with what predicts a stronger push (OLS, HC1). Stored as a ``quant_policy`` run."""
    stored = usable_calibration(db, run_id)
    report = progress or (lambda fraction, message: None)
    spec, funds, heavy = stored.spec, stored.fundamentals, (stored.summary["sectors"]["heavy"],)
    setting = qm.prepare(spec, funds, lam0=stored.lam0, heavy=heavy, discount=discount, guess=stored.guess)
    rate = stored.subsidy_rate if general_rate is None else general_rate
    report(0.0, "general subsidy")
    general = qm.counterfactual(spec, funds, dataclasses.replace(stored.schedule, rate=rate, kind="general"),
                                lam0=stored.lam0, heavy=heavy, discount=discount, guess=stored.guess)
    adoption = qm.counterfactual(spec, funds, stored.schedule, lam0=stored.lam0, heavy=heavy, discount=discount,
                                 guess=stored.guess)
    report(0.05, "uniform subsidy: the welfare-maximising rate")
    uniform = qm.uniform_optimum(spec, funds, periods=stored.policy_periods, s_max=s_max, grid=grid, lam0=stored.lam0,
                                 heavy=heavy, discount=discount, setting=setting,
                                 progress=lambda f, m: report(0.05 + 0.25 * f, m))
    report(0.3, f"{draws} randomized allocations")
    randomized = qm.randomized_allocations(spec, funds, stored.schedule, draws=draws, seed=seed, workers=workers,
                                           lam0=stored.lam0, heavy=heavy, discount=discount, setting=setting,
                                           progress=lambda f, m: report(0.3 + 0.7 * f, m))
    report(1.0, "done")
    summary = {
        "calibration_run_id": stored.run_id, "discount": discount,
        "comparison": [{"policy": "adoption subsidy (baseline)", "rate": stored.subsidy_rate,
                        **qpolicy.outcomes(adoption)},
                       {"policy": "general subsidy (adopters or not)", "rate": rate, **qpolicy.outcomes(general)}],
        "uniform": {"grid": list(uniform.grid), "s_max": uniform.s_max,
                    "welfare": dataclasses.asdict(uniform.welfare), "gdp_share": dataclasses.asdict(uniform.gdp_share)},
        "randomized": {"draws": randomized.draws.tolist(), "rows": list(randomized.rows),
                       "regression": list(randomized.regression), "seed": randomized.seed,
                       "n_subsidized": int(randomized.draws.shape[1])},
    }
    new_id = _store_run(db, POLICY, {"calibration_run_id": stored.run_id, "draws": draws, "seed": seed,
                                     "s_max": s_max, "grid": grid, "general_rate": rate, "discount": discount},
                        summary, _run_provenance(stored), actor,
                        f"policy experiments on calibration {stored.run_id}: {draws} randomized allocations, "
                        f"uniform optimum {uniform.welfare.rate:.4f}")
    return new_id, summary


# ------------------------------------------------------------------------------------------- Table 3 frames

def panel_a_frame(summary: dict) -> pd.DataFrame:
    """Table 3 Panel A: aggregate change and local range per measure, welfare in %."""
    labels = {"gdp_share": "ΔGDP share (p.p.)", "export_intensity": "ΔExport intensity (p.p.)",
              "employment_share": "ΔEmp share (p.p.)", "welfare": "ΔWelfare (%)"}
    rows = []
    for r in summary["panel_a"]:
        if r["measure"] == "welfare":
            rows.append({"": labels["welfare"], "aggregate change": r["relative_pct"],
                         "local min": r["region_min_pct"], "local max": r["region_max_pct"]})
        else:
            rows.append({"": labels[r["measure"]], "aggregate change": r["difference_pp"],
                         "local min": r["region_min_pp"], "local max": r["region_max_pp"],
                         "baseline": r["baseline"], "no big push": r["counterfactual"]})
    return pd.DataFrame(rows)


def panel_b_frame(summary: dict) -> pd.DataFrame:
    return pd.DataFrame(summary["panel_b"]).rename(columns={"change_pct": "Δ output (%)", "weight": "weight (GO share)"})


def panel_c_frame(summary: dict) -> pd.DataFrame:
    frame = pd.DataFrame(summary.get("panel_c") or [])
    return frame.rename(columns={"label": "scenario (policy periods only)", "difference_pp": "Δ heavy GDP share (p.p.)",
                                 "baseline_gdp_share": "baseline", "counterfactual_gdp_share": "no big push"})
