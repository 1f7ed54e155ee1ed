"""Shared fixtures: a fresh database, small hand-made upload files."""

from __future__ import annotations

import pytest

from storage.database import Database
from storage.ingest import IngestRequest, ingest_file

REGIONS_CSV = "region,name,lat,lon,port_distance_km\nR01,서울,37.57,126.98,28\nR02,부산,35.18,129.08,0\nR03,울산,35.54,129.31,2\n"
SECTORS_CSV = "sector,name,heavy\nS01,화학,true\nS02,섬유,false\n"
BALANCE_CSV = (
    "firm_id,firm_name,year,sector,region,business_group,sales,assets,fixed_assets,exports,employment,wage_bill,materials\n"
    "F001,삼성전자(주),1972,S01,R01,G01,1000,800,400,100,,150,500\n"
    "F001,삼성전자(주),1973,S01,R01,G01,1200,900,450,120,310,160,600\n"
    "F002,대한방직,1972,S02,R02,,500,300,100,0,220,90,250\n"
)
CONTRACTS_CSV = (
    "contract_id,firm_name,foreign_firm,foreign_country,year,contract_type,status,canceled_by,cancel_year,cancel_reason,source_ref\n"
    "C001,삼성전자 주식회사,Sanyo,Japan,1973,blueprint,completed,,,,EPB-1973-01\n"
    "C002,대한방직㈜,Toray,Japan,1974,training,canceled,foreign,1975,bankruptcy of the seller,EPB-1974-17\n"
)


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def load(db: Database, table: str, text: str, name: str | None = None, **options):
    """Ingest ``text`` as a CSV upload into ``table`` and return the result."""
    request = IngestRequest(table=table, file_name=name or f"{table}.csv", data=csv_bytes(text),
                            actor="tester", **options)
    return ingest_file(db, request)


@pytest.fixture
def db(tmp_path) -> Database:
    return Database(tmp_path / "test.duckdb", lock_timeout=60)


@pytest.fixture
def loaded_db(db) -> Database:
    """Regions, sectors, balance sheets and contracts from the small files above."""
    for table, text in (("regions", REGIONS_CSV), ("sectors", SECTORS_CSV),
                        ("balance_sheets", BALANCE_CSV), ("contracts", CONTRACTS_CSV)):
        result = load(db, table, text)
        assert result.written, result.report.to_text()
    return db
