"""Problems found in an upload or an edit, and the report that lists them all."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    ``row`` is the spreadsheet row as the researcher sees it (the header is
    row 1, the first record row 2); None for a problem of the whole file or
    column. ``rule`` is a short stable name (``"required"``, ``"type"``,
    ``"range"``, ``"unique key"``...) that tests and filters can rely on.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    rule: str
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        shown = "" if self.value is None else f" (value {self.value!r})"
        return f"{', '.join(where)}: {self.message}{shown} [{self.rule}]"


@dataclass(frozen=True)
class ValidationReport:
    """Every problem found, in file order. ``ok`` iff there are none."""

    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts_by_rule(self) -> dict[str, int]:
        return dict(Counter(p.rule for p in self.problems))

    def to_frame(self) -> pd.DataFrame:
        columns = ["file", "row", "column", "value", "rule", "message"]
        rows = [[getattr(p, c) for c in columns] for p in self.problems]
        frame = pd.DataFrame(rows, columns=columns)
        frame["row"] = frame["row"].astype("Int64")
        return frame

    def to_text(self, limit: int | None = 200) -> str:
        """The report as plain lines, for the CLI; at most ``limit`` problems listed."""
        if self.ok:
            return "no problems found"
        shown = self.problems if limit is None else self.problems[:limit]
        lines = [f"{len(self.problems)} problem(s) found; nothing was written."]
        counts = ", ".join(f"{rule}: {n}" for rule, n in sorted(self.counts_by_rule().items()))
        lines.append(f"by rule: {counts}")
        lines.extend(f"  {p}" for p in shown)
        if len(shown) < len(self.problems):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more")
        return "\n".join(lines)
