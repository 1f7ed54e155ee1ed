"""The upload format (``shared/spec/data-format.md``) as data.

Each record type is a :class:`TableSpec`: its columns with type, requirement
and range, its key, and the columns that refer to other tables. Validation,
ingest, the database schema and the pages all read these specs, so the format
is written down once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["text", "integer", "number", "boolean"]

SQL_TYPES: dict[str, str] = {
    "text": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
}

YEAR_RANGE = (1900, 2100)


@dataclass(frozen=True)
class ColumnSpec:
    """One column of an upload table.

    ``minimum``/``maximum`` are inclusive bounds; ``positive`` demands > 0.
    ``allowed`` lists the permitted values of a text column (matched after
    trimming and lower-casing; stored lower-case).
    """

    name: str
    type: ColumnType
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    positive: bool = False
    allowed: tuple[str, ...] | None = None
    monetary: bool = False
    description: str = ""


@dataclass(frozen=True)
class Reference:
    """``column`` must hold a value present in ``table.target_column``."""

    column: str
    table: str
    target_column: str


@dataclass(frozen=True)
class TableSpec:
    name: str
    title: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    description: str = ""
    order_by: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def monetary_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.monetary)

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _year(name: str = "year", required: bool = True, description: str = "") -> ColumnSpec:
    return ColumnSpec(name, "integer", required, YEAR_RANGE[0], YEAR_RANGE[1], description=description)


def _money(name: str, required: bool = False, description: str = "") -> ColumnSpec:
    return ColumnSpec(name, "number", required, minimum=0, monetary=True, description=description)


CONTRACTS = TableSpec(
    name="contracts",
    title="Contracts",
    description="One row per technology-adoption contract.",
    columns=(
        ColumnSpec("contract_id", "text", True, description="the archive's or the digitizer's id"),
        ColumnSpec("firm_name", "text", True, description="the domestic party's name as written"),
        ColumnSpec("foreign_firm", "text", description="the foreign seller"),
        ColumnSpec("foreign_country", "text", description="e.g. Japan, USA, Germany"),
        _year(description="year the contract was approved"),
        ColumnSpec("contract_type", "text", description="blueprint, training, license, other"),
        ColumnSpec("status", "text", True, allowed=("completed", "canceled")),
        ColumnSpec("canceled_by", "text", allowed=("foreign", "domestic"),
                   description="required when canceled: who initiated the cancellation"),
        _year("cancel_year", required=False, description="year of cancellation (defaults to year)"),
        ColumnSpec("cancel_reason", "text", description="free text from the cancellation report"),
        ColumnSpec("source_ref", "text", description="archive document reference"),
    ),
    key=("contract_id",),
    order_by=("year", "contract_id"),
)

BALANCE_SHEETS = TableSpec(
    name="balance_sheets",
    title="Balance sheets",
    description="One row per firm and year.",
    columns=(
        ColumnSpec("firm_id", "text", True, description="stable id within the balance-sheet source"),
        ColumnSpec("firm_name", "text", True, description="name as printed in the annual report"),
        _year(),
        ColumnSpec("sector", "text", True, description="sector code, present in sectors"),
        ColumnSpec("region", "text", True, description="plant's region code, present in regions"),
        ColumnSpec("business_group", "text", description="business group code; empty = unaffiliated"),
        _money("sales"),
        _money("assets"),
        _money("fixed_assets"),
        _money("exports"),
        ColumnSpec("employment", "number", minimum=0, description="missing in early years is normal"),
        _money("wage_bill"),
        _money("materials"),
    ),
    key=("firm_id", "year"),
    references=(
        Reference("sector", "sectors", "sector"),
        Reference("region", "regions", "region"),
    ),
    order_by=("firm_id", "year"),
)

REGIONS = TableSpec(
    name="regions",
    title="Regions",
    description="One row per region; distances are great-circle km between centroids.",
    columns=(
        ColumnSpec("region", "text", True),
        ColumnSpec("name", "text"),
        ColumnSpec("lat", "number", True, minimum=-90, maximum=90, description="centroid latitude"),
        ColumnSpec("lon", "number", True, minimum=-180, maximum=180, description="centroid longitude"),
        ColumnSpec("port_distance_km", "number", minimum=0, description="distance to the nearest port"),
    ),
    key=("region",),
    order_by=("region",),
)

SECTORS = TableSpec(
    name="sectors",
    title="Sectors",
    description="One row per sector.",
    columns=(
        ColumnSpec("sector", "text", True),
        ColumnSpec("name", "text"),
        ColumnSpec("heavy", "boolean", True, description="heavy (HCI) manufacturing or not"),
    ),
    key=("sector",),
    order_by=("sector",),
)

CREDIT = TableSpec(
    name="credit",
    title="Credit",
    description="Directed foreign credit received.",
    columns=(
        ColumnSpec("firm_id", "text", True),
        _year(),
        _money("amount", required=True),
    ),
    references=(Reference("firm_id", "balance_sheets", "firm_id"),),
    order_by=("firm_id", "year"),
)

TRADE_FAIRS = TableSpec(
    name="trade_fairs",
    title="Trade fairs",
    description="Export promotion: trade-fair participations.",
    columns=(
        ColumnSpec("firm_id", "text", True),
        _year(),
        ColumnSpec("participations", "integer", True, minimum=0),
        _money("revenue"),
    ),
    references=(Reference("firm_id", "balance_sheets", "firm_id"),),
    order_by=("firm_id", "year"),
)

DEFLATORS = TableSpec(
    name="deflators",
    title="Deflators",
    description="Multiply a nominal value of that year by factor to get the real unit.",
    columns=(
        _year(),
        ColumnSpec("factor", "number", True, positive=True),
    ),
    key=("year",),
    order_by=("year",),
)

#: Reviewers' linkage decisions (the linkage issue): entered on the Review page
#: or imported from a spreadsheet, validated like any upload, versioned and
#: undoable like the upload tables. The newest link / not_in_balance_sheets
#: decision of a contract wins; each reject removes one candidate firm.
LINK_DECISIONS = TableSpec(
    name="link_decisions",
    title="Link decisions",
    description="Reviewers' decisions on contract-to-firm links.",
    columns=(
        ColumnSpec("contract_id", "text", True, description="the contract decided on"),
        ColumnSpec("decision", "text", True, allowed=("link", "reject", "not_in_balance_sheets"),
                   description="link: the contract's firm is firm_id; reject: firm_id is not it; "
                               "not_in_balance_sheets: its firm is absent from the balance sheets"),
        ColumnSpec("firm_id", "text", description="required for link and reject"),
        ColumnSpec("reviewer", "text", description="who decided"),
        ColumnSpec("note", "text", description="free text, e.g. the evidence used"),
    ),
    references=(
        Reference("contract_id", "contracts", "contract_id"),
        Reference("firm_id", "balance_sheets", "firm_id"),
    ),
    order_by=("contract_id", "_row_id"),
)

# --- inputs of the quantitative model (docs/model-inputs-format.md) -------------------------

#: Kinds of the quantitative model's broad sectors. Balance-sheet sectors map to them through
#: ``sectors.heavy``: heavy → ``heavy``, not heavy → ``light``.
MODEL_SECTOR_KINDS = ("commodities", "light", "heavy", "services")

MODEL_SECTORS = TableSpec(
    name="model_sectors",
    title="Model sectors",
    description="The quantitative model's broad sectors (commodities, light, heavy, services).",
    columns=(
        ColumnSpec("sector", "text", True, description="model-sector code"),
        ColumnSpec("name", "text"),
        ColumnSpec("kind", "text", True, allowed=MODEL_SECTOR_KINDS,
                   description="balance-sheet sectors with heavy = true map to the heavy kind, others to light"),
    ),
    key=("sector",),
    order_by=("sector",),
)

INPUT_OUTPUT = TableSpec(
    name="input_output",
    title="Input-output shares",
    description="Cobb-Douglas shares from an input-output table; each user's shares sum to 1.",
    columns=(
        ColumnSpec("user", "text", True,
                   description="model-sector code, or households for the consumption shares α_j"),
        ColumnSpec("input", "text", True, description="model-sector code, or labour for the labour share γ^L_j"),
        ColumnSpec("share", "number", True, minimum=0, maximum=1, description="the user's cost or budget share"),
    ),
    key=("user", "input"),
    order_by=("user", "input"),
)

SECTOR_YEARS = TableSpec(
    name="sector_years",
    title="Sector accounts",
    description="National accounts by model sector and year.",
    columns=(
        ColumnSpec("sector", "text", True, description="model-sector code, present in model_sectors"),
        _year(),
        _money("gross_output", required=True),
        _money("value_added"),
        _money("exports"),
        _money("imports"),
        ColumnSpec("ppi", "number", positive=True, description="producer price index, any base"),
        ColumnSpec("tariff", "number", minimum=0, description="average import tariff rate; 0.25 = 25 %"),
    ),
    key=("sector", "year"),
    references=(Reference("sector", "model_sectors", "sector"),),
    order_by=("sector", "year"),
)

REGION_SECTORS = TableSpec(
    name="region_sectors",
    title="Regional activity",
    description="Value added (and gross output) by region, model sector and year.",
    columns=(
        ColumnSpec("region", "text", True, description="region code, present in regions"),
        ColumnSpec("sector", "text", True, description="model-sector code, present in model_sectors"),
        _year(),
        _money("value_added", required=True),
        _money("gross_output"),
    ),
    key=("region", "sector", "year"),
    references=(
        Reference("region", "regions", "region"),
        Reference("sector", "model_sectors", "sector"),
    ),
    order_by=("year", "region", "sector"),
)

POPULATIONS = TableSpec(
    name="populations",
    title="Populations",
    description="Population by region and year.",
    columns=(
        ColumnSpec("region", "text", True, description="region code, present in regions"),
        _year(),
        ColumnSpec("population", "number", True, positive=True),
    ),
    key=("region", "year"),
    references=(Reference("region", "regions", "region"),),
    order_by=("year", "region"),
)

ROADS = TableSpec(
    name="roads",
    title="Roads",
    description="The road graph: one row per road segment, usable both ways.",
    columns=(
        ColumnSpec("from_node", "text", True, description="a region code or a junction name"),
        ColumnSpec("to_node", "text", True, description="a region code or a junction name"),
        ColumnSpec("km", "number", True, positive=True, description="road length"),
        ColumnSpec("highway", "boolean", True,
                   description="part of the Gyeongbu Expressway or another highway"),
        ColumnSpec("name", "text", description="e.g. 경부고속도로"),
    ),
    order_by=("from_node", "to_node"),
)

#: Upload tables in load order: a table comes after every table it refers to.
UPLOAD_TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (REGIONS, SECTORS, DEFLATORS, BALANCE_SHEETS, CONTRACTS, CREDIT, TRADE_FAIRS,
                 MODEL_SECTORS, INPUT_OUTPUT, SECTOR_YEARS, REGION_SECTORS, POPULATIONS, ROADS)
}

#: Columns every stored upload table carries besides the spec's own.
#: ``_row_id`` is a record's identity across edits; ``_batch_id`` the change
#: set that wrote this version; ``_source_row`` the spreadsheet row it came
#: from (header = row 1), NULL for hand entry; ``extra`` a JSON object of the
#: uploaded columns the spec does not name.
INTERNAL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_row_id", "BIGINT NOT NULL"),
    ("_batch_id", "BIGINT NOT NULL"),
    ("_source_row", "BIGINT"),
    ("extra", "JSON"),
)


#: Every table written through change sets (validated, archived, undoable).
VERSIONED_TABLES: dict[str, TableSpec] = {**UPLOAD_TABLES, LINK_DECISIONS.name: LINK_DECISIONS}


def table_spec(name: str) -> TableSpec:
    """The spec of versioned table ``name``, with a clear error for a wrong name."""
    try:
        return VERSIONED_TABLES[name]
    except KeyError:
        known = ", ".join(VERSIONED_TABLES)
        raise ValueError(f"unknown table {name!r}; the tables are: {known}") from None


def referencing_tables(name: str) -> list[tuple[TableSpec, Reference]]:
    """Tables whose references point at ``name`` (checked when ``name`` shrinks)."""
    return [
        (spec, ref)
        for spec in UPLOAD_TABLES.values()
        for ref in spec.references
        if ref.table == name
    ]
