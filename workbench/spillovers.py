"""Spillover services: run Table 1 (Choi & Shim, Sections 3.2–3.3) on the stored data and keep it.

:func:`estimate_spillovers` reads the stored tables (balance sheets, contracts, regions, credit,
trade fairs) with the contract-to-firm links of the linkage (or the demo's true links), runs
:func:`estimation.spillovers.run_spillovers`, and stores the result as a named estimate in
``estimates`` (kind ``spillovers``) with the same provenance as the direct-effects estimate
(change sets and SHA-256, links, data version, package versions, time, actor) and one audit entry.
δ = β_IV / (σ − 1) of the preferred column is part of it; :func:`latest_spillover` gives it to the
model pages. The region-level industrial-complex table is not an upload table: pass it as a
DataFrame (the page and the CLI read it from a file); without it columns (6) and (8) are marked
unavailable. The table itself is kept in the estimate's provenance (``complexes.table``, pandas'
JSON table format, which keeps the dtypes), so the estimate's sample can be rebuilt and the
replication bundle can replay it (:func:`stored_complexes`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from dataclasses import dataclass

import pandas as pd

from estimation.spillovers import SpilloversResult, SpilloversSpec, run_spillovers, table1
from storage.database import Database
from workbench import direct_effects as _de

KIND = "spillovers"
SAMPLE_FORMATS = ("csv", "dta", "parquet")

__all__ = ["KIND", "SAMPLE_FORMATS", "StoredSpillover", "complexes_provenance", "estimate_spillovers",
           "estimation_sample", "latest_spillover", "rerun", "result_summary", "sample_bytes", "spec_settings",
           "stored_complexes", "stored_spillovers"]


def estimate_spillovers(db: Database, spec: SpilloversSpec, actor: str, links: str = "final",
                        complexes: pd.DataFrame | None = None, complexes_name: str | None = None,
                        panels=("A", "B")) -> tuple[int, SpilloversResult]:
    """Run Table 1 on the stored data and store it; returns (estimate_id, result). Raises
    EstimationError (plain message) when the data cannot support it; nothing is stored then."""
    inputs, result = _run(db, spec, links, complexes, panels)
    if complexes is not None:
        inputs.provenance["complexes"] = complexes_provenance(complexes, complexes_name)
    summary = result_summary(result)
    delta = "δ not available" if summary["delta"] is None else f"δ = {summary['delta']:.4f}"
    estimate_id = _de._store(db, KIND, spec_settings(spec), summary, inputs, actor,
                             f"Table 1, panels {', '.join(panels)}, {delta} ({links} links)")
    return estimate_id, result


def complexes_provenance(complexes: pd.DataFrame, file_name: str | None) -> dict:
    """What an estimate keeps of the industrial-complex table it used: file name, rows, the table itself
    (pandas' JSON table format, dtypes included) and the SHA-256 of that JSON text."""
    text = complexes.to_json(orient="table", index=False)
    return {"file_name": file_name, "rows": int(len(complexes)), "table": json.loads(text),
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}


def stored_complexes(provenance: dict) -> pd.DataFrame | None:
    """The industrial-complex table a stored estimate used (None: it used none). Raises ValueError for
    estimates stored before the table was kept (only its file name and row count are known)."""
    kept = provenance.get("complexes")
    if not kept:
        return None
    if "table" not in kept:
        raise ValueError(f"the industrial-complex file {kept.get('file_name')} was used but not kept with the "
                         "estimate (it was stored by an older version of the workbench)")
    return pd.read_json(io.StringIO(json.dumps(kept["table"])), orient="table")


def rerun(db: Database, spec: SpilloversSpec, links: str = "final", panels=("A", "B"),
          complexes: pd.DataFrame | None = None) -> SpilloversResult:
    """Run Table 1 on the stored data without storing it (e.g. to rebuild a stored estimate's sample)."""
    return _run(db, spec, links, complexes, panels)[1]


def _run(db: Database, spec: SpilloversSpec, links: str, complexes: pd.DataFrame | None,
         panels) -> tuple[_de._Inputs, SpilloversResult]:
    inputs = _de._read_inputs(db, _TableRequest(), links, controls=("credit", "trade_fairs"))
    with db.connect("reading the regions for the spillover analysis") as con:
        regions = con.execute("SELECT region, lat, lon, port_distance_km FROM regions").df()
        inputs.provenance["change_sets"] = _merge_sets(inputs.provenance["change_sets"],
                                                       _de._active_change_sets(con, ["regions"]))
    credit = inputs.credit if inputs.credit is not None and len(inputs.credit) else None
    fairs = inputs.trade_fairs if inputs.trade_fairs is not None and len(inputs.trade_fairs) else None
    return inputs, run_spillovers(spec, inputs.balance_sheets, inputs.contracts, inputs.links, regions, credit,
                                  fairs, complexes=complexes, panels=panels)


@dataclass(frozen=True)
class _TableRequest:
    """What ``direct_effects._read_inputs`` needs to know of a spec: the control tables to read."""

    controls: tuple = ("credit", "trade_fairs")


def _merge_sets(first: list[dict], second: list[dict]) -> list[dict]:
    merged = {c["change_set_id"]: dict(c) for c in first}
    for c in second:
        if c["change_set_id"] in merged:
            merged[c["change_set_id"]]["tables"] = sorted(set(merged[c["change_set_id"]]["tables"]) | set(c["tables"]))
        else:
            merged[c["change_set_id"]] = dict(c)
    return [merged[k] for k in sorted(merged)]


def spec_settings(spec: SpilloversSpec) -> dict:
    """The spec as JSON-ready settings; ``SpilloversSpec(**settings)`` rebuilds it (lists → tuples)."""
    return _de._plain(dataclasses.asdict(spec))


def result_summary(result: SpilloversResult) -> dict:
    """The stored ``result``: every column's β, SE, p, KP-F, effective F, AR set, N and clusters per
    panel, δ with its source, the first stage of every IV column, heterogeneity, placebo, counts and
    Table 1 as rows. JSON-ready (NaN → null)."""
    summary = result.summary()
    first_stages = {panel: {key: res.fit.first_stage.to_dict(orient="records")
                            for key, res in columns.items() if res.fit is not None and res.fit.first_stage is not None}
                    for panel, columns in result.columns.items()}
    hetero = {}
    for panel, h in result.heterogeneity.items():
        if getattr(h, "fit", None) is None:
            hetero[panel] = {"applies": False, "reason": getattr(h, "reason", "")}
            continue
        coef = h.fit.coefficients.set_index("term")
        hetero[panel] = {"applies": True, "cutoff_quantile": h.cutoff_quantile, "high_regions": list(h.high_regions),
                         "beta_high": coef.loc["dshare_high", "estimate"], "se_high": coef.loc["dshare_high", "se"],
                         "beta_low": coef.loc["dshare_low", "estimate"], "se_low": coef.loc["dshare_low", "se"],
                         "equality": str(h.equality), "equality_p": getattr(h.equality, "p_value", None),
                         "N": h.fit.nobs}
    summary.update({"first_stages": first_stages, "heterogeneity": hetero,
                    "placebo": {p: frame.to_dict(orient="records") for p, frame in result.placebo.items()},
                    "table1": table1(result).to_dict(orient="records")})
    return _de._plain(summary)


def stored_spillovers(db: Database) -> pd.DataFrame:
    """Stored spillover estimates, newest first (settings / result / provenance as dicts)."""
    return _de.stored_estimates(db, KIND)


@dataclass(frozen=True)
class StoredSpillover:
    """δ of a stored spillover estimate, for the model pages. ``delta`` is None (``note`` says why)
    when the preferred column could not be estimated; ``stale`` when the data changed since."""

    estimate_id: int
    delta: float | None
    delta_se: float | None
    beta: float | None
    sigma: float
    note: str
    created_at: str
    links: str
    data_version: int
    stale: bool
    synthetic_demo: bool
    sources: tuple[str, ...]

    def describe(self) -> str:
        return _de.describe_stored("δ", self.delta, self.delta_se, self)


def latest_spillover(db: Database) -> StoredSpillover | None:
    """δ of the newest stored spillover estimate with its provenance summary; None if none is stored."""
    stored = stored_spillovers(db)
    if stored.empty:
        return None
    row = stored.iloc[0]
    result = row["result"]
    return StoredSpillover(estimate_id=int(row["estimate_id"]), delta=result.get("delta"),
                           delta_se=result.get("delta_se"), beta=result.get("delta_beta"),
                           sigma=float(result.get("sigma")), note=result.get("delta_note") or "",
                           **_de.provenance_summary(db, row))


SAMPLE_COLUMNS = ["firm_id", "diff_set", "t0", "t1", "region", "sector", "group", "sector_group", "cl_region",
                  "cl_group", "never_adopter", "dy", "y0", "dshare", "share0", "share1", "dz", "z0", "z1", "dpgs", "dgs",
                  "dlog_ma", "ma0", "port_x_export", "credit_asinh", "complex_change", "tax_favor_change",
                  "fair_revenue_asinh", "fair_participations", "pre_growth"]


def estimation_sample(result: SpilloversResult, panel: str, column: str | None = None) -> pd.DataFrame:
    """A panel's long-difference sample, one row per firm × difference set (``sample.py`` defines the
    columns), with ``used`` = whether the row entered ``column`` (default the preferred one) after
    dropping missing values and singleton fixed-effect groups. Stata: ``ivreghdfe dy y0 dpgs
    (dshare = dz) if used, absorb(region sector sector_group diff_set) cluster(cl_region cl_group)``."""
    sample = result.samples[panel]
    frame = sample[[c for c in SAMPLE_COLUMNS if c in sample]].copy()
    fit = result.columns[panel][column or result.spec.preferred].fit
    frame["used"] = frame.index.isin(fit.used) if fit is not None else False
    return frame.reset_index(drop=True)


def sample_bytes(frame: pd.DataFrame, fmt: str) -> bytes:
    """The sample as CSV (UTF-8 with BOM, for Excel), Stata .dta (version 118, Unicode) or Parquet."""
    import io

    if fmt not in SAMPLE_FORMATS:
        raise ValueError(f"format must be one of {', '.join(SAMPLE_FORMATS)}, not {fmt!r}")
    buffer = io.BytesIO()
    if fmt == "csv":
        buffer.write(frame.to_csv(index=False).encode("utf-8-sig"))
    elif fmt == "parquet":
        frame.to_parquet(buffer, index=False)
    else:
        stata = frame.copy()
        for column in stata.columns:
            if stata[column].dtype == bool:
                stata[column] = stata[column].astype("int8")
            elif not pd.api.types.is_numeric_dtype(stata[column]):
                stata[column] = stata[column].astype("string").fillna("").astype(object)
            else:
                stata[column] = stata[column].astype("float64")
        stata.to_stata(buffer, write_index=False, version=118)
    return buffer.getvalue()
