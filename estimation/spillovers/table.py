"""Table 1 in the paper's layout: a tidy frame of strings, one block per panel.

Rows per panel: ΔShare (coefficient with stars), its SE in parentheses, KP-F (with "weak" under
10), effective F, the Anderson–Rubin 95% set, # clusters (regions × groups), N; then the fixed
effects and a ✓ row for each control group, as in the paper. An unavailable column shows
"n/a" and its reason in the notes, never a number; an IV column whose first stage has no power
(KP-F < 1) shows "no power" instead of a point estimate, and its Anderson–Rubin set.
"""

from __future__ import annotations

import pandas as pd

from .spec import COLUMNS

WEAK_F = 10.0
NO_POWER_F = 1.0  # below this KP-F the 2SLS point estimate and SE are not shown: only the AR set speaks
CONTROL_ROWS = (("group_share", "Predicted group sales share"), ("market_access", "Market access, port × exports"),
                ("credit", "Directed credit"), ("complex", "Industrial complex"), ("trade", "Trade fairs"))
PANEL_TITLES = {"A": "Panel A. Local spillover", "B": "Panel B. Local complementarity"}


def stars(p: float) -> str:
    """* p < 0.1, ** p < 0.05, *** p < 0.01 (the paper's convention)."""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def _panel_rows(result, panel: str) -> list[dict]:
    columns = result.columns[panel]
    rows = {name: {"panel": panel, "row": name} for name in
            ("ΔShare", "(se)", "KP-F", "effective F", "AR 95% set", "# clusters", "N")}
    notes = []
    for column in COLUMNS:
        res = columns[column.key]
        label = column.label
        if res.fit is None:
            for row in rows.values():
                row[label] = "n/a" if row["row"] == "ΔShare" else ""
            notes.append(f"{label}: {res.unavailable}")
            continue
        fit = res.fit
        coef = fit.coefficient("dshare")
        kp = getattr(fit.kp_f, "stat", None) if fit.method == "2SLS" else None
        if kp is not None and kp < NO_POWER_F:
            rows["ΔShare"][label], rows["(se)"][label] = "no power", ""
            notes.append(f"{label}: the first stage has no power (KP-F {kp:.2f} < {NO_POWER_F:g}), so its 2SLS "
                         "estimate and SE are not shown; the Anderson–Rubin set is the inference")
        else:
            rows["ΔShare"][label] = f"{coef['estimate']:.3f}{stars(coef['p'])}"
            rows["(se)"][label] = f"({coef['se']:.3f})"
        if fit.method == "2SLS":
            rows["KP-F"][label] = "" if kp is None else f"{kp:.2f}" + (" (weak)" if kp < WEAK_F else "")
            eff = getattr(fit.effective_f, "stat", None)
            rows["effective F"][label] = "" if eff is None else f"{eff:.2f}"
            ar = fit.anderson_rubin
            rows["AR 95% set"][label] = _ar_text(ar)
        else:
            for name in ("KP-F", "effective F", "AR 95% set"):
                rows[name][label] = ""
        rows["# clusters"][label] = f"{fit.clusters.get('cl_region', 0)} × {fit.clusters.get('cl_group', 0)}"
        rows["N"][label] = f"{fit.nobs:,d}"
    out = list(rows.values())
    if notes:
        out.append({"panel": panel, "row": "notes", **{COLUMNS[0].label: " | ".join(notes)}})
    return out


def _ar_text(ar) -> str:
    if not getattr(ar, "applies", False):
        return "n/a"
    if ar.kind == "interval":
        return f"[{ar.low:.2f}, {ar.high:.2f}]"
    if ar.kind == "two rays":
        return f"(−∞, {ar.low:.2f}] ∪ [{ar.high:.2f}, ∞)"
    return ar.kind


def table1(result) -> pd.DataFrame:
    """Both panels (those estimated) and the specification rows; columns panel, row, (1) … (8)."""
    rows = []
    for panel in result.columns:
        rows.append({"panel": panel, "row": PANEL_TITLES[panel] + f" — dependent: {_dependent(result, panel)}"})
        rows += _panel_rows(result, panel)
    spec_rows = [{"panel": "", "row": f"{name} fixed effects", **{c.label: "✓" for c in COLUMNS}}
                 for name in ("Region", "Sector", "Sector×Group", "Difference-set")]
    spec_rows.append({"panel": "", "row": "Initial level y_t0",
                      **{c.label: "✓" if result.spec.initial_level else "" for c in COLUMNS}})
    for group, label in CONTROL_ROWS:
        spec_rows.append({"panel": "", "row": label, **{c.label: "✓" if group in c.controls else "" for c in COLUMNS}})
    frame = pd.DataFrame(rows + spec_rows, columns=["panel", "row", *[c.label for c in COLUMNS]])
    return frame.fillna("")


def _dependent(result, panel: str) -> str:
    years = " / ".join(f"{t0}–{t1}" for t0, t1 in result.spec.differences)
    if panel == "A":
        name = {"log_sales": "Δ log sales", "tfpr_cost_share": "Δ log TFPR (cost shares)",
                "tfpr_revenue_share": "Δ log TFPR (revenue shares)"}[result.spec.outcome_a]
    else:
        name = "Δ 1[new contract]"
    return f"{name}, {years}"


def table1_text(result) -> str:
    """Plain-text rendering of :func:`table1` (for the CLI and logs); notes after the table."""
    frame = table1(result)
    labels = [c.label for c in COLUMNS]
    lines, notes = ["".ljust(30) + "".join(f"({i + 1})".rjust(13) for i in range(len(labels)))], []
    for record in frame.to_dict(orient="records"):
        if record["row"] == "notes":
            notes.append(record[labels[0]])
        elif record["row"].startswith("Panel"):
            lines.append(record["row"])
        elif record["row"] == "AR 95% set":
            continue  # too wide for a row; listed below
        else:
            lines.append(f"{record['row'][:29]:<30}" + "".join(str(record[label])[:12].rjust(13) for label in labels))
    for panel, columns in result.columns.items():
        for key, res in columns.items():
            if res.fit is not None and res.fit.method == "2SLS":
                lines.append(f"Panel {panel} {res.column.label}: {res.fit.anderson_rubin}")
    return "\n".join(lines + [f"notes: {note}" for note in notes])
