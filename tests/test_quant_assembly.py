"""estimation.quant_inputs: the uploaded tables → the quantitative model's inputs and calibration targets,
checked against hand computations on tiny tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from estimation import quant_inputs as qi

SECTORS = pd.DataFrame({"sector": ["S", "H", "L", "C"], "name": ["svc", "heavy", "light", None],
                        "kind": ["services", "heavy", "light", "commodities"]})


def io_table(changes: dict | None = None) -> pd.DataFrame:
    rows = {("households", "C"): 0.1, ("households", "H"): 0.2, ("households", "L"): 0.3, ("households", "S"): 0.4,
            ("C", "labour"): 0.6, ("C", "S"): 0.4, ("H", "labour"): 0.3, ("H", "H"): 0.5, ("H", "C"): 0.2,
            ("L", "labour"): 1.0, ("S", "labour"): 0.8, ("S", "L"): 0.2}
    rows.update(changes or {})
    return pd.DataFrame([{"user": u, "input": i, "share": s} for (u, i), s in rows.items() if s is not None])


def test_model_sectors_are_ordered_by_code_and_need_one_heavy_and_one_light():
    ms = qi.model_sectors(SECTORS)
    assert ms.codes == ("C", "H", "L", "S") and ms.heavy == 1 and ms.light == 2 and ms.names[0] == "C"
    two_heavy = SECTORS.assign(kind=["heavy", "heavy", "light", "commodities"])
    with pytest.raises(qi.QuantDataError, match="2 sectors of kind 'heavy' \\(H, S\\)"):
        qi.model_sectors(two_heavy)


def test_cobb_douglas_shares_from_the_input_output_table():
    alpha, gl, gk, notes = qi.cobb_douglas_shares(io_table(), qi.model_sectors(SECTORS))
    np.testing.assert_allclose(alpha, [0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(gl, [0.6, 0.3, 1.0, 0.8])
    expected = np.zeros((4, 4))                    # rows: user C, H, L, S; columns: input C, H, L, S
    expected[0, 3], expected[1, 1], expected[1, 0], expected[3, 2] = 0.4, 0.5, 0.2, 0.2
    np.testing.assert_allclose(gk, expected)
    assert notes == []


def test_input_output_rows_that_do_not_add_up_are_named():
    with pytest.raises(qi.QuantDataError, match="user 'H' sum to 0.9000"):
        qi.cobb_douglas_shares(io_table({("H", "C"): 0.1}), qi.model_sectors(SECTORS))
    with pytest.raises(qi.QuantDataError, match="row 14: input 'capital'"):
        qi.cobb_douglas_shares(pd.concat([io_table(), pd.DataFrame([{"user": "H", "input": "capital", "share": 0.0}])],
                                         ignore_index=True), qi.model_sectors(SECTORS))
    alpha, *_, notes = qi.cobb_douglas_shares(io_table({("households", "S"): 0.4004}), qi.model_sectors(SECTORS))
    assert abs(alpha.sum() - 1) < 1e-15 and "rescaled" in notes[0]


def region_sectors() -> pd.DataFrame:
    rows = []
    for year, scale in ((1972, 1.0), (1976, 2.0)):
        for r, weights in (("A", (1.0, 0.0, 2.0, 3.0)), ("B", (3.0, 4.0, 2.0, 1.0))):
            rows += [{"region": r, "sector": s, "year": year, "value_added": scale * w, "gross_output": None}
                     for s, w in zip(("C", "H", "L", "S"), weights)]
    return pd.DataFrame(rows)


def test_firm_masses_are_value_added_shares_with_a_floor_for_empty_cells():
    mass, notes = qi.firm_masses(region_sectors(), ["A", "B"], qi.model_sectors(SECTORS), 1972, floor=0.01)
    raw = np.array([[1.0, 0.0, 2.0, 3.0], [3.0, 4.0, 2.0, 1.0]]) / 16
    raw[0, 1] = 0.01 * raw.mean()
    np.testing.assert_allclose(mass, raw / raw.sum())
    assert "1 region-sector cells" in notes[0]
    with pytest.raises(qi.QuantDataError, match=r"no value_added in 1980 for \(region, sector\) \(A, C\)"):
        qi.firm_masses(region_sectors(), ["A", "B"], qi.model_sectors(SECTORS), 1980)


def sector_years() -> pd.DataFrame:
    rows = []
    for year, k in ((1972, 1.0), (1976, 1.5)):
        for s, go in zip(("C", "H", "L", "S"), (10.0, 20.0, 30.0, 40.0)):
            rows.append({"sector": s, "year": year, "gross_output": go * k, "value_added": go * k / 2,
                         "exports": go * k / 10, "imports": go * k / 5, "ppi": 100 * k if s == "H" else 100.0,
                         "tariff": 0.1})
    return pd.DataFrame(rows)


def test_national_targets_by_hand():
    nt = qi.national_targets(sector_years(), qi.model_sectors(SECTORS), (1972, 1976))
    np.testing.assert_allclose(nt.export_intensity, 0.1)
    np.testing.assert_allclose(nt.import_share, 0.2 / (1 - 0.1 + 0.2))
    # PPI: first year's gross-output weights (C, H, L, S) = (0.1, 0.2, 0.3, 0.4); only H's price rises by 1.5
    np.testing.assert_allclose(nt.ppi, [1.0, 0.8 + 0.2 * 1.5])
    # real value added: 1976 nominal VA × 1.5, deflated by 1.5 for H only
    va72 = np.array([5.0, 10.0, 15.0, 20.0])
    np.testing.assert_allclose(nt.real_gdp, [1.0, (1.5 * va72.sum() - 1.5 * 10.0 + 10.0) / va72.sum()])
    with pytest.raises(qi.QuantDataError, match=r"no row for \(sector, year\) \(C, 1980\), \(H, 1980\)"):
        qi.national_targets(sector_years(), qi.model_sectors(SECTORS), (1972, 1980))


def test_output_shares_split_national_gross_output_by_regional_value_added():
    ms = qi.model_sectors(SECTORS)
    nt = qi.national_targets(sector_years(), ms, (1972, 1976))
    shares = qi.output_shares(region_sectors(), nt, ["A", "B"], ms, (1972, 1976))
    go = np.array([10.0, 20.0, 30.0, 40.0])
    va = np.array([[1.0, 0.0, 2.0, 3.0], [3.0, 4.0, 2.0, 1.0]])
    expected = va / va.sum(axis=0) * go / go.sum()
    np.testing.assert_allclose(shares[0], expected)
    np.testing.assert_allclose(shares.sum(axis=(1, 2)), 1.0)


def test_firm_moments_by_hand():
    bs = pd.DataFrame({
        "firm_id": ["a", "b", "c", "d", "a", "b", "c", "d"],
        "year": [1970, 1970, 1970, 1970, 1972, 1972, 1972, 1972],
        "sector": ["h1", "h2", "l1", "h1"] * 2, "region": ["A", "A", "A", "B"] * 2,
        "exports": [0.0, 1.0, 2.0, 0.0, 1.0, 0.0, 2.0, 3.0]})
    panel = bs[["firm_id", "year"]].assign(adopter=[False, True, False, False, True, True, False, False])
    fm = qi.firm_moments(bs, panel, {"h1", "h2"}, ["A", "B", "C"], (1972,), 1970)
    np.testing.assert_allclose(fm.region_adopter_share, [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(fm.initial_adopter_share, [0.5, 0.0, 0.0])
    np.testing.assert_allclose(fm.adopter_share, [1 / 3])
    np.testing.assert_allclose(fm.regions_with_adoption, [1 / 3])
    np.testing.assert_allclose(fm.exporter_share_heavy, [2 / 3])
    bs.loc[6, "exports"] = None                    # the only light firm of 1972 has no exports recorded
    with pytest.raises(qi.QuantDataError, match="no light or no heavy firms with exports"):
        qi.firm_moments(bs, panel, {"h1", "h2"}, ["A", "B"], (1972,), 1970)


def test_subsidized_regions_are_those_with_a_credit_recipient():
    bs = pd.DataFrame({"firm_id": ["a", "b", "a"], "year": [1972, 1972, 1976], "region": ["A", "B", "C"]})
    credit = pd.DataFrame({"firm_id": ["a", "b"], "year": [1976, 1980], "amount": [1.0, 2.0]})
    # a: in C in 1976; b: not printed in 1980, so its latest region, B
    assert qi.subsidized_regions(credit, bs, ["A", "B", "C"]) == (1, 2)
    assert qi.subsidized_regions(credit, bs, ["A", "B", "C"], years=(1970, 1977)) == (2,)
    assert qi.subsidized_regions(None, bs, ["A"]) == ()
