"""The firm-year adoption panel on a hand-made example with exact expected values."""

from __future__ import annotations

import pandas as pd

from estimation.adoption_panel import PANEL_COLUMNS, adoption_panel

BALANCE = pd.DataFrame({
    "firm_id": ["F1", "F1", "F1", "F1", "F2", "F2", "F2", "F3", "F3"],
    "firm_name": ["A"] * 4 + ["B"] * 3 + ["C"] * 2,
    "year": [1972, 1973, 1974, 1975, 1972, 1973, 1974, 1974, 1975],
})
CONTRACTS = pd.DataFrame({
    "contract_id": ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"],
    "firm_name": ["A"] * 3 + ["B"] * 2 + ["C", "X", "A"],
    "year": [1972, 1973, 1973, 1972, 1973, 1970, 1973, 1974],
    "status": ["canceled", "completed", "completed", "canceled", "Canceled ", "completed", "completed", "canceled"],
    "canceled_by": ["foreign", None, None, "domestic", "foreign", None, None, None],
    "cancel_year": pd.array([1973, None, None, None, 1974, None, None, None], dtype="Int64"),
})
LINKS = pd.DataFrame({"contract_id": ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"],
                      "firm_id": ["F1", "F1", "F1", "F2", "F2", "F3", None, "F1"]})


def test_adoption_panel_exact_values():
    panel = adoption_panel(BALANCE, CONTRACTS, LINKS)
    assert list(panel.columns) == PANEL_COLUMNS
    expected = pd.DataFrame([
        # firm, year, completed, canceled, by foreign, by domestic, first adoption, adopter, ever
        ("F1", 1972, 0, 0, 0, 0, 1973, False, True),
        ("F1", 1973, 2, 1, 1, 0, 1973, True, True),     # C1 canceled in 1973 (cancel_year), C2 + C3 completed
        ("F1", 1974, 0, 1, 0, 0, 1973, True, True),     # C8 canceled, canceler unknown: in neither split
        ("F1", 1975, 0, 0, 0, 0, 1973, True, True),
        ("F2", 1972, 0, 1, 0, 1, pd.NA, False, False),  # C4: no cancel_year → counted in its approval year
        ("F2", 1973, 0, 0, 0, 0, pd.NA, False, False),
        ("F2", 1974, 0, 1, 1, 0, pd.NA, False, False),  # C5 canceled in 1974 ("Canceled " normalized)
        ("F3", 1974, 0, 0, 0, 0, 1970, True, True),     # adopted in 1970, before it was printed
        ("F3", 1975, 0, 0, 0, 0, 1970, True, True),
    ], columns=PANEL_COLUMNS)
    expected["first_adoption_year"] = expected["first_adoption_year"].astype("Int64")
    pd.testing.assert_frame_equal(panel, expected)


def test_unlinked_contracts_and_empty_links_add_nothing():
    panel = adoption_panel(BALANCE, CONTRACTS, LINKS.iloc[:0])
    assert len(panel) == len(BALANCE)
    assert panel[["completed_contracts", "canceled_contracts"]].to_numpy().sum() == 0
    assert not panel["ever_adopter"].any() and panel["first_adoption_year"].isna().all()
