"""workbench.quant on the demo database: the model's inputs assembled from the stored tables, checked
against independent computations on the same tables; η and δ from stored estimates; plain errors."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
from page_fixtures import demo_db, demo_template  # noqa: F401 - pytest fixtures

from estimation.quant_inputs import QuantDataError
from models import quantitative as qm
from models.quantitative import serialize
from workbench import quant, services

TYPED = quant.QuantSettings(links="truth", eta=1.2, delta=0.4)


@pytest.fixture
def assembly(demo_db):
    return quant.assemble(demo_db, TYPED)


def test_the_demo_assembles_into_a_valid_economy(assembly):
    spec, data = assembly.spec, assembly.data
    n, j = spec.n_regions, spec.n_sectors
    assert (n, j) == (30, 4) and assembly.sectors.kinds[assembly.sectors.heavy] == "heavy"
    assert spec.adopting == tuple(k == assembly.sectors.heavy for k in range(j))
    assert math.isclose(sum(spec.labour), 1) and math.isclose(np.sum(spec.mass), 1)
    d = np.array(spec.d)
    assert np.allclose(d, d.transpose(1, 0, 2)) and np.all(d[np.arange(n), np.arange(n)] == 1)
    assert spec.eta == 1.2 and spec.delta == 0.4 and spec.theta == pytest.approx(1.06 * 4)
    assert np.allclose(np.sum(data.output_share, axis=(1, 2)), 1)
    assert data.years == (1972, 1976, 1980) and data.ppi[0] == 1 and data.real_gdp[0] == 1
    # the highway shortens routes: icebergs without it are at least as large, strictly somewhere
    assert np.all(assembly.d_no_highway >= d - 1e-12) and np.any(assembly.d_no_highway > d + 1e-9)


def test_firm_moments_match_a_direct_computation_on_the_balance_sheets(demo_db, assembly):
    bs = services.table_frame(demo_db, "balance_sheets")
    heavy = set(services.table_frame(demo_db, "sectors").query("heavy")["sector"])
    years = assembly.data.years
    in_years = bs[bs["year"].isin(years) & bs["exports"].notna()]
    shares = [(in_years[(in_years["year"] == y) & in_years["sector"].isin(heavy)]["exports"] > 0).mean() for y in years]
    assert assembly.data.exporter_share_heavy == pytest.approx(np.mean(shares), abs=1e-12)
    credit = services.table_frame(demo_db, "credit")
    located = credit.merge(bs[["firm_id", "year", "region"]], on=["firm_id", "year"], how="left")
    assert located["region"].notna().all()          # the demo's recipients are printed in their credit years
    codes = sorted(services.table_frame(demo_db, "regions")["region"])
    expected = tuple(i for i, r in enumerate(codes) if r in set(located.loc[located["amount"] > 0, "region"]))
    assert assembly.data.subsidized_regions == expected


def test_national_targets_are_the_sector_accounts(demo_db, assembly):
    sy = services.table_frame(demo_db, "sector_years").set_index(["sector", "year"])
    heavy = assembly.sectors.codes[assembly.sectors.heavy]
    row = sy.loc[(heavy, 1976)]
    t, k = 1, assembly.sectors.heavy
    assert assembly.data.export_intensity[t][k] == pytest.approx(row["exports"] / row["gross_output"])
    assert assembly.data.import_share[t][k] == pytest.approx(
        row["imports"] / (row["gross_output"] - row["exports"] + row["imports"]))
    assert assembly.data.tariff[t][k] == pytest.approx(row["tariff"])


def test_eta_and_delta_come_from_the_stored_estimates_converted_at_sigma(demo_db, monkeypatch):
    stored = dict(estimate_id=7, eta=None, eta_se=0.01, beta=0.8, sigma=4.0, note="β̄", outcome="log_sales",
                  created_at="2026-11-22 10:00:00", links="truth", data_version=1, stale=False, synthetic_demo=True,
                  sources=("change set 1: demo",), delta=None, delta_se=0.05)
    gain = SimpleNamespace(**{**stored, "eta": math.exp(0.8 / 3)})
    spill = SimpleNamespace(**{**stored, "estimate_id": 8, "beta": 2.0, "delta": 2.0 / 3})
    monkeypatch.setattr(quant._de, "latest_direct_gain", lambda db: gain)
    monkeypatch.setattr(quant._sp, "latest_spillover", lambda db: spill)
    spec = quant.assemble(demo_db, quant.QuantSettings(links="truth")).spec
    assert spec.eta == pytest.approx(math.exp(0.8 / 4)) and spec.delta == pytest.approx(2.0 / 4)   # at σ = 5
    monkeypatch.setattr(quant._sp, "latest_spillover", lambda db: None)
    with pytest.raises(QuantDataError, match="no stored estimate gives δ: run Spillovers first"):
        quant.assemble(demo_db, quant.QuantSettings(links="truth"))


def test_missing_model_tables_are_named(demo_db):
    with demo_db.transaction("emptying two model tables, as in a database from before the model inputs") as con:
        con.execute("DELETE FROM roads")
        con.execute("DELETE FROM populations")
    with pytest.raises(QuantDataError) as err:
        quant.assemble(demo_db, TYPED)
    assert [p.split(":")[0] for p in err.value.problems] == ["the table populations is empty", "the table roads is empty"]


def test_bad_calibration_years_and_unreachable_regions(demo_db):
    with pytest.raises(QuantDataError, match="give at least two increasing years"):
        quant.assemble(demo_db, quant.QuantSettings(links="truth", eta=1.2, delta=0.4, years=(1976, 1972)))
    with pytest.raises(QuantDataError, match=r"no row for \(sector, year\) \(C, 1990\)"):
        quant.assemble(demo_db, quant.QuantSettings(links="truth", eta=1.2, delta=0.4, years=(1976, 1990)))
    with demo_db.transaction("cutting 부산 off the road graph") as con:
        code = con.execute("SELECT region FROM regions WHERE name = '부산'").fetchone()[0]
        con.execute("DELETE FROM roads WHERE from_node = ? OR to_node = ?", [code, code])
    with pytest.raises(QuantDataError, match=rf"no route connects region\(s\) {code} with the others"):
        quant.assemble(demo_db, TYPED)


def test_stored_specs_and_fundamentals_round_trip_exactly():
    spec = qm.random_spec(3, 2, seed=4, kappa=math.inf)
    fund = qm.random_fundamentals(spec, seed=4, subsidy=0.1)
    assert serialize.spec_from_dict(json.loads(json.dumps(serialize.to_dict(spec)))) == spec
    assert serialize.fundamentals_from_dict(json.loads(json.dumps(serialize.to_dict(fund)))) == fund
