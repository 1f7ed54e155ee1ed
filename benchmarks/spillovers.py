"""Local spillovers at speed: the whole Table 1 (both panels, all eight columns, heterogeneity and
placebo) on the demo economy and on a demo panel 20 times larger.

Run: ``.venv/bin/python -m benchmarks.spillovers``. Prints wall times against the targets (demo
< 5 s; 20 × the demo's firms < 60 s), once cold (the first pyfixest call in the process pays for
imports and numba compilation) and once warm. Both runs use the demo's true links and a small
industrial-complex table (complexes designated in 1973 in three regions), so that every column,
(6) and (8) included, is estimated. The large panel stacks 20 draws of the demo economy (seeds
1 … 20) as one archive: firm, group and contract ids get the draw's suffix, the 30 regions and 10
sectors are shared, so it has 20 × the firms, firm-years, groups and contracts of the demo (the
generator itself takes minutes at 30,000 firms, so it is not used for one draw that large).

``.venv/bin/python -m benchmarks.spillovers --seeds 32 [--no-local-shocks] [--jobs 4]``: sampling
distribution of Panel A over demo seeds 1 … N (true links): for OLS, IV and IV + group sales share
(two-way clustered) and for a plain IV (region, sector and set fixed effects, y_t0, iid and
region-clustered SEs), the median and interquartile range of β, how often β ± 2 se covers the
true spillover, the first-stage F (median, count above 10), and how often OLS lies above the truth
and above the IV. ``--no-local-shocks`` draws the demo without its confounder η (local_trend_sd =
local_shock_sd = 0). docs/spillovers.md, "Across seeds", reports the figures.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from estimation.spillovers import SpilloversSpec, fit_column, fit_linear, prepare_samples, run_spillovers
from estimation.spillovers.spec import column_spec
from models.demo_economy import DemoSettings, generate_demo_economy

DEMO_TARGET, LARGE_TARGET = 5.0, 60.0
COMPLEXES = pd.DataFrame({"region": ["R01", "R03", "R05"], "year": [1973, 1973, 1973], "tax_favor": [0.5, 0.3, 0.2]})


def run_table(economy) -> tuple[float, object]:
    t = economy.tables
    start = time.perf_counter()
    result = run_spillovers(SpilloversSpec(), t["balance_sheets"], t["contracts"], economy.true_links, t["regions"],
                            t["credit"], t["trade_fairs"], complexes=COMPLEXES)
    return time.perf_counter() - start, result


def describe(result) -> str:
    columns = [result.column(panel, key) for panel in ("A", "B") for key in ("ols", "iv", "iv_group_share")]
    estimated = sum(c.fit is not None for cols in result.columns.values() for c in cols.values())
    parts = [f"{c.panel}/{c.column.key}: β = {c.beta:.3f} ({c.se:.3f})"
             + (f", KP-F {c.fit.kp_f.stat:.1f}" if c.fit is not None and c.fit.method == "2SLS" else "")
             for c in columns]
    return f"{estimated} of 16 columns estimated, N(A) = {result.column('A', 'iv').fit.nobs}; " + "; ".join(parts)


def stacked_economy(copies: int = 20):
    """``copies`` demo draws relabelled into one archive (module docstring)."""
    from types import SimpleNamespace

    parts = {name: [] for name in ("balance_sheets", "contracts", "credit", "trade_fairs", "links")}
    for copy in range(1, copies + 1):
        economy = generate_demo_economy(DemoSettings(seed=copy))
        t, tag = economy.tables, f"_{copy:02d}"
        bs = t["balance_sheets"].assign(firm_id=lambda f: f["firm_id"] + tag)
        bs["business_group"] = bs["business_group"].where(bs["business_group"].isna(), bs["business_group"] + tag)
        parts["balance_sheets"].append(bs)
        parts["contracts"].append(t["contracts"].assign(contract_id=lambda f: f["contract_id"] + tag))
        parts["credit"].append(t["credit"].assign(firm_id=lambda f: f["firm_id"] + tag))
        parts["trade_fairs"].append(t["trade_fairs"].assign(firm_id=lambda f: f["firm_id"] + tag))
        links = economy.true_links.assign(contract_id=lambda f: f["contract_id"] + tag)
        links["firm_id"] = links["firm_id"].where(links["firm_id"].isna(), links["firm_id"] + tag)
        parts["links"].append(links)
        regions = t["regions"]
    tables = {name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()}
    tables["regions"] = regions
    return SimpleNamespace(tables=tables, true_links=tables["links"])


def main() -> None:
    demo = generate_demo_economy()
    cold, result = run_table(demo)
    warm, _ = run_table(demo)
    print(f"demo economy (1,500 firms): Table 1 cold {cold:.2f} s, warm {warm:.2f} s (target {DEMO_TARGET:.0f} s)")
    print("  " + describe(result))
    start = time.perf_counter()
    large = stacked_economy(20)
    generated = time.perf_counter() - start
    seconds, result = run_table(large)
    rows = len(large.tables["balance_sheets"])
    firms = large.tables["balance_sheets"]["firm_id"].nunique()
    print(f"20 × demo ({firms:,d} firms, {rows:,d} firm-years; built in {generated:.1f} s): Table 1 {seconds:.2f} s "
          f"(target {LARGE_TARGET:.0f} s)")
    print("  " + describe(result))


NO_LOCAL_SHOCKS = {"local_trend_sd": 0.0, "local_shock_sd": 0.0}
SEED_COLUMNS = ("ols", "iv", "iv_group_share")
PLAIN_FE = ("region", "sector", "diff_set")


def seed_estimates(seed: int, settings: dict | None = None) -> list[dict]:
    """Panel A's β, se and first-stage F on one demo draw: Table 1's columns (1)–(3) and the plain IV."""
    economy = generate_demo_economy(DemoSettings(seed=seed, **(settings or {})))
    t = economy.tables
    truth = float(economy.true_parameters.set_index("parameter").loc["spillover_log_sales", "value"])
    spec = SpilloversSpec()
    sample = prepare_samples(spec, t["balance_sheets"], t["contracts"], economy.true_links, t["regions"],
                             t["credit"], t["trade_fairs"])[0]["A"]
    fits = {key: (lambda key=key: fit_column(sample, spec, column_spec(key))) for key in SEED_COLUMNS}
    fits["plain_iid"] = lambda: fit_linear(sample, "dy", ("y0",), ("dshare",), ("dz",), PLAIN_FE, "iid")
    fits["plain_region"] = lambda: fit_linear(sample, "dy", ("y0",), ("dshare",), ("dz",), PLAIN_FE, "CRV1",
                                              ("cl_region",))
    rows = []
    for name, fit in fits.items():
        try:
            result = fit()
            coefficient = result.coefficient("dshare")
            row = {"beta": float(coefficient["estimate"]), "se": float(coefficient["se"]),
                   "F": float(getattr(result.kp_f, "stat", np.nan))}
        except ValueError:  # EstimationError: the column cannot be estimated on this draw
            row = {"beta": np.nan, "se": np.nan, "F": np.nan}
        rows.append({"seed": seed, "column": name, "truth": truth, **row})
    return rows


def across_seeds(seeds, settings: dict | None = None, jobs: int = 4) -> pd.DataFrame:
    """One row per seed and column (``seed_estimates``), computed in ``jobs`` processes."""
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        parts = list(pool.map(seed_estimates, seeds, [settings] * len(seeds)))
    return pd.DataFrame([row for part in parts for row in part])


def seed_summary(draws: pd.DataFrame) -> pd.DataFrame:
    """Per column: seeds, median and quartiles of β, share of seeds whose β ± 2 se covers the truth,
    median first-stage F, seeds with F > 10; for OLS also the share above the truth and above column (2)."""
    rows = []
    wide = draws.pivot(index="seed", columns="column", values="beta")
    for name, part in draws.groupby("column", sort=False):
        ok = part.dropna(subset=["beta"])
        row = {"column": name, "seeds": len(ok), "q25": ok["beta"].quantile(0.25), "median": ok["beta"].median(),
               "q75": ok["beta"].quantile(0.75),
               "covers_truth": ((ok["beta"] - ok["truth"]).abs() < 2 * ok["se"]).mean(),
               "median_F": ok["F"].median(), "F_over_10": int((ok["F"] > 10).sum())}
        if name == "ols":
            row["above_truth"] = (ok["beta"] > ok["truth"]).mean()
            row["above_iv"] = (wide["ols"] > wide["iv"]).mean()
        rows.append(row)
    return pd.DataFrame(rows)


def seeds_main(count: int, settings: dict | None, jobs: int) -> None:
    start = time.perf_counter()
    draws = across_seeds(range(1, count + 1), settings, jobs)
    label = "without local shocks η" if settings else "standard DGP"
    print(f"Panel A over demo seeds 1–{count} ({label}, true links; {time.perf_counter() - start:.0f} s); truth "
          f"{draws['truth'].iloc[0]:g}. F: two-way clustered KP-F for (1)–(3), iid / region-clustered F for plain.")
    print(seed_summary(draws).to_string(index=False, float_format=lambda v: f"{v:.2f}"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=0, help="Monte Carlo over demo seeds 1 … N instead of timing")
    parser.add_argument("--no-local-shocks", action="store_true", help="draw the demo without its confounder η")
    parser.add_argument("--jobs", type=int, default=4)
    arguments = parser.parse_args()
    if arguments.seeds:
        seeds_main(arguments.seeds, NO_LOCAL_SHOCKS if arguments.no_local_shocks else None, arguments.jobs)
    else:
        main()
