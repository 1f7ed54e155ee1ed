"""The quantitative model's upload tables: what the demo supplies, ingest round trips, validation
messages, references kept by replace, and loading/undoing the demo (docs/model-inputs-format.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from models import _demo_model_inputs as mi
from models.demo_economy import DemoSettings, generate_demo_economy, great_circle_km
from storage.schema import UPLOAD_TABLES
from tests.conftest import load
from workbench import services

MODEL_TABLES = ("model_sectors", "input_output", "sector_years", "region_sectors", "populations", "roads")
YEARS = list(range(1970, 1983))


@pytest.fixture(scope="module")
def eco():
    return generate_demo_economy()


@pytest.fixture(scope="module")
def t(eco) -> dict[str, pd.DataFrame]:
    return eco.tables


# --- what the demo supplies ----------------------------------------------------------------------

def test_four_model_sectors_one_of_each_kind(t):
    ms = t["model_sectors"]
    assert sorted(ms.kind) == ["commodities", "heavy", "light", "services"]
    assert ms.sector.is_unique and ms.name.str.contains("[가-힣]").all() and ms.name.str.contains("[A-Za-z]").all()


def test_input_output_shares_sum_to_one_per_user(t):
    io = t["input_output"]
    codes = set(t["model_sectors"].sector)
    assert set(io.user) == codes | {"households"}
    assert set(io.input) == codes | {"labour"}
    assert not io.duplicated(["user", "input"]).any()
    np.testing.assert_allclose(io.groupby("user").share.sum(), 1.0, atol=1e-12)
    households = io[io.user == "households"]
    assert set(households.input) == codes and (households.share > 0).all()
    labour = io[io.input == "labour"].set_index("user").share
    assert set(labour.index) == codes and labour.between(0, 1, inclusive="neither").all()


def test_sector_years_cover_every_sector_and_year_with_plausible_values(t):
    sy = t["sector_years"]
    assert sorted(zip(sy.sector, sy.year)) == sorted((s, y) for s in t["model_sectors"].sector for y in YEARS)
    assert (sy.ppi > 0).all() and (sy.gross_output > 0).all() and (sy.exports >= 0).all()
    import_share = sy.imports / (sy.gross_output - sy.exports + sy.imports)
    assert import_share.between(0, 1, inclusive="neither").all()
    assert (sy.exports < sy.gross_output).all() and (sy.value_added < sy.gross_output).all()
    assert (sy.loc[sy.year == 1972, "ppi"] == 100).all()
    for _, one in sy.groupby("sector"):  # tariffs never rise
        assert (np.diff(one.sort_values("year").tariff) <= 1e-12).all()
    heavy = sy[sy.sector == "H"].sort_values("year").tariff
    assert heavy.iloc[-1] < heavy.iloc[0]


def test_the_accounts_tell_the_big_push_and_match_the_balance_sheets_in_1972(t):
    sy = t["sector_years"].set_index(["sector", "year"])
    share = sy.gross_output / sy.gross_output.groupby(level="year").transform("sum")
    assert share.loc[("H", 1980)] > 2 * share.loc[("H", 1972)]        # heavy manufacturing's share grows
    intensity = sy.exports / sy.gross_output
    assert intensity.loc[("H", 1980)] > intensity.loc[("H", 1972)]     # export push
    s = DemoSettings()
    coverage = dict(zip(YEARS, np.r_[s.coverage_early, np.full(len(YEARS) - 2, s.coverage_later)]))
    bs = t["balance_sheets"][t["balance_sheets"].year == 1972]
    printed = bs.sales.sum() / (coverage[1972] * mi.FIRM_UNIVERSE_SHARE)
    manufacturing = sy.loc[("L", 1972), "gross_output"] + sy.loc[("H", 1972), "gross_output"]
    assert manufacturing == pytest.approx(printed, abs=2.0)           # the scale: rounding only


def test_region_sectors_complete_positive_and_adding_up_to_the_nation(t):
    rs = t["region_sectors"]
    expected = {(r, s, y) for r in t["regions"].region for s in t["model_sectors"].sector for y in YEARS}
    assert set(zip(rs.region, rs.sector, rs.year)) == expected and len(rs) == len(expected)
    assert (rs.value_added > 0).all() and (rs.gross_output > 0).all()
    total = rs.groupby(["sector", "year"])[["value_added", "gross_output"]].sum()
    national = t["sector_years"].set_index(["sector", "year"]).loc[total.index]
    rounding = len(t["regions"])  # every cell is rounded to whole dollars
    np.testing.assert_allclose(total.gross_output, national.gross_output, rtol=0, atol=rounding)
    np.testing.assert_allclose(total.value_added, national.value_added, rtol=0, atol=rounding)


def test_regional_activity_follows_the_firms_and_the_people(t):
    bs = t["balance_sheets"].merge(t["sectors"][["sector", "heavy"]], on="sector")
    sales = (bs[bs.heavy & (bs.year == 1972)].groupby("region").sales.sum()
             .reindex(t["regions"].region, fill_value=0.0))
    rs = t["region_sectors"]
    heavy = rs.query("sector == 'H' and year == 1972").set_index("region").gross_output.loc[sales.index]
    assert np.corrcoef(np.log(heavy), np.log(sales + sales.mean() * 0.05))[0, 1] > 0.5
    pop = t["populations"].query("year == 1972").set_index("region").population
    services = rs.query("sector == 'S' and year == 1972").set_index("region").gross_output.loc[pop.index]
    assert np.corrcoef(np.log(services), np.log(pop))[0, 1] > 0.5


def test_populations_positive_for_every_region_and_year(t):
    pop = t["populations"]
    assert set(zip(pop.region, pop.year)) == {(r, y) for r in t["regions"].region for y in YEARS}
    assert len(pop) == len(t["regions"]) * len(YEARS) and (pop.population > 0).all()
    growth = pop.pivot(index="year", columns="region", values="population").pct_change().iloc[1:]
    assert growth.abs().max().max() < 0.06  # smooth


def test_road_graph_connects_every_region_with_gyeongbu_and_a_junction(t):
    roads, regions = t["roads"], t["regions"]
    nodes = sorted(set(roads.from_node) | set(roads.to_node))
    assert set(regions.region) <= set(nodes)
    junctions = set(nodes) - set(regions.region)
    assert mi.JUNCTION[0] in junctions
    index = {n: k for k, n in enumerate(nodes)}
    graph = coo_matrix((roads.km, (roads.from_node.map(index), roads.to_node.map(index))),
                       shape=(len(nodes), len(nodes)))
    assert connected_components(graph, directed=False)[0] == 1
    ordinary = roads[~roads.highway]
    ordinary_graph = coo_matrix((ordinary.km, (ordinary.from_node.map(index), ordinary.to_node.map(index))),
                                shape=(len(nodes), len(nodes)))
    assert connected_components(ordinary_graph, directed=False)[0] == 1  # connected without the highway too
    assert (roads.km > 0).all()
    highway = roads[roads.highway]
    assert (highway.name == "경부고속도로").all() and len(highway) >= 3
    name = dict(zip(regions.region, regions.name))
    on_route = {name.get(n, n) for n in set(highway.from_node) | set(highway.to_node)}
    assert on_route == {c for c in mi.GYEONGBU if c in set(regions.name) or c == mi.JUNCTION[0]}
    lat = dict(zip(regions.region, regions.lat)) | {mi.JUNCTION[0]: mi.JUNCTION[1]}
    lon = dict(zip(regions.region, regions.lon)) | {mi.JUNCTION[0]: mi.JUNCTION[2]}
    gc = great_circle_km(roads.from_node.map(lat), roads.from_node.map(lon), roads.to_node.map(lat),
                         roads.to_node.map(lon))
    np.testing.assert_allclose(roads.km, np.round(1.3 * gc, 1), atol=1e-9)


def test_model_inputs_are_deterministic_in_the_seed(eco):
    again, other = generate_demo_economy(), generate_demo_economy(DemoSettings(seed=7))
    for name in MODEL_TABLES:
        pd.testing.assert_frame_equal(eco.tables[name], again.tables[name])
    assert not other.tables["populations"].equals(eco.tables["populations"])


def test_the_demo_loads_every_model_input_and_undo_removes_them(tmp_path, t):
    db = services.open_database(tmp_path / "demo.duckdb")
    services.load_demo(db, "tester")
    counts = services.database_status(db).row_counts
    assert {name: counts[name] for name in MODEL_TABLES} == {name: len(t[name]) for name in MODEL_TABLES}
    stored = db.query("SELECT from_node, to_node, km, highway FROM roads WHERE highway")
    assert len(stored) == int(t["roads"].highway.sum())
    services.undo(db, "tester")
    assert not any(services.database_status(db).row_counts.values())


# --- ingest of small hand-written files ------------------------------------------------------------

FILES = {
    "model_sectors": "sector,name,kind\nC,Commodities,Commodities\nL,경공업,light\nH,중화학,heavy\nS,서비스, services\n",
    "input_output": ("user,input,share\nhouseholds,C,0.3\nhouseholds,L,0.3\nhouseholds,H,0.1\nhouseholds,S,0.3\n"
                     "H,labour,0.4\nH,H,0.6\n"),
    "sector_years": ("sector,year,gross_output,value_added,exports,imports,ppi,tariff\n"
                     "H,1972,\"1,000\",200,100,300,100,0.25\nH,1973,1200,,,,110.5,\nL,1972,800,200,50,40,100,0.3\n"),
    "region_sectors": "region,sector,year,value_added,gross_output\nR01,H,1972,50,250\nR02,L,1972,70,\n",
    "populations": "region,year,population\nR01,1972,5500000\nR02,1972,2000000\n",
    "roads": ("from_node,to_node,km,highway,name\nR01,R03,410.5,yes,경부고속도로\nR01,R02,400,no,\n"
              "R01,R02,390,false,국도 (parallel road)\nR02,추풍령 분기점,120,TRUE,\n"),
}
EXPECTED = {
    "model_sectors": [("C", "Commodities", "commodities"), ("H", "중화학", "heavy"), ("L", "경공업", "light"),
                      ("S", "서비스", "services")],
    "input_output": [("H", "H", 0.6), ("H", "labour", 0.4), ("households", "C", 0.3), ("households", "H", 0.1),
                     ("households", "L", 0.3), ("households", "S", 0.3)],
    "sector_years": [("H", 1972, 1000.0, 200.0, 100.0, 300.0, 100.0, 0.25),
                     ("H", 1973, 1200.0, None, None, None, 110.5, None),
                     ("L", 1972, 800.0, 200.0, 50.0, 40.0, 100.0, 0.3)],
    "region_sectors": [("R01", "H", 1972, 50.0, 250.0), ("R02", "L", 1972, 70.0, None)],
    "populations": [("R01", 1972, 5500000.0), ("R02", 1972, 2000000.0)],
    "roads": [("R01", "R02", 390.0, False, "국도 (parallel road)"), ("R01", "R02", 400.0, False, None),
              ("R01", "R03", 410.5, True, "경부고속도로"), ("R02", "추풍령 분기점", 120.0, True, None)],
}


@pytest.fixture
def model_db(loaded_db):
    """The small regions/sectors/balance sheets of conftest plus every model-input file above."""
    for name in MODEL_TABLES:
        result = load(loaded_db, name, FILES[name])
        assert result.written, result.report.to_text()
    return loaded_db


def test_every_model_input_file_round_trips(model_db):
    for name in MODEL_TABLES:
        columns = ", ".join(UPLOAD_TABLES[name].column_names)
        stored = model_db.query(f"SELECT {columns} FROM {name} ORDER BY ALL")
        rows = [tuple(None if pd.isna(v) else v for v in row) for row in stored.itertuples(index=False)]
        assert rows == EXPECTED[name], name


BAD = {  # table, file, (row, column, value, rule)
    "unknown kind": ("model_sectors", "sector,name,kind\nK,x,commodities\nX,y,mining\n",
                     (3, "kind", "mining", "allowed values")),
    "share above one": ("input_output", "user,input,share\nhouseholds,C,1.5\n", (2, "share", "1.5", "range")),
    "zero km": ("roads", "from_node,to_node,km,highway\nR01,R02,10,no\nR01,R03,0,no\n", (3, "km", "0", "range")),
    "unknown model sector": ("sector_years", "sector,year,gross_output\nC,1972,10\nZ,1972,10\n",
                             (3, "sector", "Z", "reference")),
    "duplicate region-sector-year": ("region_sectors",
                                     "region,sector,year,value_added\nR01,C,1972,1\nR02,C,1972,1\nR01,C,1972,2\n",
                                     (4, "region + sector + year", "R01 + C + 1972", "unique key")),
    "highway not a boolean": ("roads", "from_node,to_node,km,highway\nR01,R02,10,maybe\n",
                              (2, "highway", "maybe", "type")),
    "population not positive": ("populations", "region,year,population\nR01,1972,0\n",
                                (2, "population", "0", "range")),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_model_input_names_row_column_value_and_rule(loaded_db, case):
    table, text, expected = BAD[case]
    assert load(loaded_db, "model_sectors", "sector,kind\nC,commodities\nH,heavy\n").written
    result = load(loaded_db, table, text)
    assert not result.written
    found = [(p.row, p.column, p.value, p.rule) for p in result.report.problems]
    assert found == [expected]
    assert f"row {expected[0]}" in result.report.to_text() and expected[1] in result.report.to_text()
    assert loaded_db.query(f"SELECT count(*) AS n FROM {table} WHERE _batch_id > 0").n.iloc[0] == (
        2 if table == "model_sectors" else 0)


def test_a_model_sector_still_used_cannot_be_removed_by_replace(model_db):
    result = load(model_db, "model_sectors", "sector,kind\nC,commodities\nL,light\nS,services\n", mode="replace")
    assert not result.written
    problems = {(p.column, p.value, p.rule) for p in result.report.problems}
    assert problems == {("sector", "H", "still referenced")}
    assert any("sector_years" in p.message for p in result.report.problems)
    assert any("region_sectors" in p.message for p in result.report.problems)
    assert sorted(model_db.query("SELECT sector FROM model_sectors").sector) == ["C", "H", "L", "S"]


def test_a_region_with_a_population_cannot_be_removed_by_replace(model_db):
    result = load(model_db, "regions", "region,lat,lon\nR01,37.5,127\nR03,35.5,129.3\n", mode="replace")
    assert not result.written
    assert any(p.value == "R02" and "populations" in p.message for p in result.report.problems)


def test_undo_walks_the_model_inputs_back_newest_first(model_db):
    for name in reversed(MODEL_TABLES):
        assert len(model_db.query(f"SELECT * FROM {name}")) == len(EXPECTED[name])
        services.undo(model_db, "tester")
        assert model_db.query(f"SELECT * FROM {name}").empty
    assert sorted(model_db.query("SELECT region FROM regions").region) == ["R01", "R02", "R03"]
