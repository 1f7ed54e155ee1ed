"""Benchmark: validate and load 100,000 firm-years and 20,000 contracts.

Run on demand from the repository root: ``.venv/bin/python -m benchmarks.ingest``. Target (issue 2):
under 5 s on the project's 2-core machine. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from storage.database import Database
from storage.ingest import IngestRequest, ingest_file


def synthetic_files(firm_years: int, contracts: int, seed: int = 0) -> dict[str, bytes]:
    """Valid upload files of the requested sizes (UTF-8 CSV, Korean names)."""
    rng = np.random.default_rng(seed)
    years = np.arange(1970, 1983)
    n_firms = firm_years // len(years)
    regions = pd.DataFrame({"region": [f"R{i:02d}" for i in range(86)], "lat": 36.0, "lon": 127.5})
    sectors = pd.DataFrame({"sector": [f"S{i:02d}" for i in range(10)], "heavy": [i < 4 for i in range(10)]})
    firm = np.repeat(np.arange(n_firms), len(years))
    sales = rng.lognormal(15, 1.5, len(firm))
    balance = pd.DataFrame({
        "firm_id": [f"F{i:06d}" for i in firm],
        "firm_name": [f"대한{i}공업(주)" for i in firm],
        "year": np.tile(years, n_firms),
        "sector": [f"S{i % 10:02d}" for i in firm],
        "region": [f"R{i % 86:02d}" for i in firm],
        "sales": sales.round(1), "assets": (sales * 0.8).round(1), "fixed_assets": (sales * 0.3).round(1),
        "exports": (sales * 0.1).round(1), "employment": rng.integers(50, 5000, len(firm)),
        "wage_bill": (sales * 0.15).round(1), "materials": (sales * 0.5).round(1),
    })
    canceled = rng.random(contracts) < 0.1
    contract_frame = pd.DataFrame({
        "contract_id": [f"C{i:06d}" for i in range(contracts)],
        "firm_name": [f"대한{i % n_firms} 공업" for i in range(contracts)],
        "foreign_firm": "Mitsubishi", "foreign_country": "Japan",
        "year": rng.integers(1970, 1983, contracts), "contract_type": "blueprint",
        "status": np.where(canceled, "canceled", "completed"),
        "canceled_by": np.where(canceled, "foreign", ""),
    })
    to_csv = lambda frame: frame.to_csv(index=False).encode("utf-8")  # noqa: E731
    return {"regions": to_csv(regions), "sectors": to_csv(sectors),
            "balance_sheets": to_csv(balance), "contracts": to_csv(contract_frame)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firm-years", type=int, default=100_000)
    parser.add_argument("--contracts", type=int, default=20_000)
    args = parser.parse_args()
    files = synthetic_files(args.firm_years, args.contracts)
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "bench.duckdb")
        db.schema_version()
        total = 0.0
        for table in ("regions", "sectors", "balance_sheets", "contracts"):
            start = time.perf_counter()
            result = ingest_file(db, IngestRequest(table, f"{table}.csv", files[table], actor="bench"))
            elapsed = time.perf_counter() - start
            assert result.written, result.report.to_text(5)
            total += elapsed
            print(f"{table:<15} {result.rows:>8,d} rows  {len(files[table]) / 1e6:6.1f} MB  {elapsed:6.2f} s")
        print(f"{'total':<15} {'':>8}  {'':>6}     {total:6.2f} s  (target: under 5 s)")


if __name__ == "__main__":
    main()
