"""Outcome variables of the direct-effects regression, one value per balance-sheet row.

=====================  ======================================================  ==================================
name                   definition                                              needs
=====================  ======================================================  ==================================
``log_sales``          log sales                                               sales
``log_employment``     log employment                                          employment
``log_assets``         log assets                                              assets
``log_fixed_assets``   log fixed assets                                        fixed_assets
``tfpr_cost_share``    log S − α_l,j log W − α_m,j log M − α_k,j log K          sales, wage_bill, materials,
                       with α_x,j = median over sector j's firm-years of the    fixed_assets
                       cost shares W/C, M/C, C = W + M + r·K (r = user cost
                       of capital, setting, default 0.35), α_k = 1 − α_l − α_m
``tfpr_revenue_share`` the same residual with α_l,j, α_m,j the sector medians   sales, wage_bill, materials,
                       of the revenue shares W/S, M/S, α_k = 1 − α_l − α_m      fixed_assets
                       (constant returns)
any numeric column     the column as it is (e.g. ``exports``)                   that column
=====================  ======================================================  ==================================

Logs of zero, negative or missing values are missing. Under a Cobb-Douglas technology
with constant returns and cost minimisation, the cost-share residual is log TFPR up to a
sector constant (absorbed by the match-firm fixed effects); in the demo economy it
recovers ω exactly up to reporting noise (docs/demo-economy.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import EstimationError

LOG_OUTCOMES = {"log_sales": "sales", "log_employment": "employment", "log_assets": "assets",
                "log_fixed_assets": "fixed_assets"}
TFPR_OUTCOMES = ("tfpr_cost_share", "tfpr_revenue_share")
TFPR_INPUTS = ("sales", "wage_bill", "materials", "fixed_assets")


def safe_log(values: pd.Series) -> pd.Series:
    """log of positive values; zero, negative and missing give NaN."""
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    return np.log(numbers.where(numbers > 0))


def sector_input_shares(balance_sheets: pd.DataFrame, method: str = "cost", user_cost: float = 0.35) -> pd.DataFrame:
    """sector, alpha_l, alpha_m, alpha_k: sector medians of the cost shares (method 'cost') or
    revenue shares ('revenue') over firm-years with all four inputs positive."""
    frame = balance_sheets[["sector", *TFPR_INPUTS]].copy()
    for column in TFPR_INPUTS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    frame = frame.loc[(frame[list(TFPR_INPUTS)] > 0).all(axis=1)]
    if frame.empty:
        raise EstimationError("missing_outcome", "TFPR needs sales, wage_bill, materials and fixed_assets, "
                                                 "and no firm-year has all four positive.")
    total = (frame["wage_bill"] + frame["materials"] + user_cost * frame["fixed_assets"]
             if method == "cost" else frame["sales"])
    frame["alpha_l"] = frame["wage_bill"] / total
    frame["alpha_m"] = frame["materials"] / total
    shares = frame.groupby("sector")[["alpha_l", "alpha_m"]].median()
    shares["alpha_k"] = 1.0 - shares["alpha_l"] - shares["alpha_m"]
    return shares.reset_index()


def outcome_values(balance_sheets: pd.DataFrame, outcome: str, user_cost: float = 0.35) -> pd.Series:
    """The outcome for every row of ``balance_sheets`` (same index), as float64."""
    if outcome in LOG_OUTCOMES:
        column = LOG_OUTCOMES[outcome]
        if column not in balance_sheets:
            raise EstimationError("missing_outcome", f"{outcome} needs the column {column}, which is absent.")
        return safe_log(balance_sheets[column]).rename(outcome)
    if outcome in TFPR_OUTCOMES:
        missing = [c for c in TFPR_INPUTS if c not in balance_sheets]
        if missing:
            raise EstimationError("missing_outcome", f"{outcome} needs {', '.join(missing)}, absent from the data.")
        shares = sector_input_shares(balance_sheets, "cost" if outcome == "tfpr_cost_share" else "revenue", user_cost)
        alpha = balance_sheets[["sector"]].merge(shares, on="sector", how="left").set_index(balance_sheets.index)
        value = (safe_log(balance_sheets["sales"]) - alpha["alpha_l"] * safe_log(balance_sheets["wage_bill"])
                 - alpha["alpha_m"] * safe_log(balance_sheets["materials"])
                 - alpha["alpha_k"] * safe_log(balance_sheets["fixed_assets"]))
        return value.rename(outcome)
    if outcome in balance_sheets:
        numbers = pd.to_numeric(balance_sheets[outcome], errors="coerce")
        if numbers.notna().sum() == 0 and balance_sheets[outcome].notna().any():
            raise EstimationError("missing_outcome", f"The column {outcome} is not numeric.")
        return numbers.astype("float64").rename(outcome)
    raise EstimationError("missing_outcome", (
        f"Unknown outcome {outcome!r}: choose one of {', '.join([*LOG_OUTCOMES, *TFPR_OUTCOMES])} "
        "or a numeric balance-sheet column."))
