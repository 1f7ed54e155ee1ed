"""Concurrent writers (processes, as CLI runs are, and threads, as browser sessions are) lose nothing."""

from __future__ import annotations

import multiprocessing
import threading

from storage.database import Database
from storage.ingest import IngestRequest, ingest_file
from tests.conftest import CONTRACTS_CSV

HEADER = CONTRACTS_CSV.split("\n")[0]
WRITES_PER_WORKER = 5


def append_contracts(path: str, worker: str) -> list[bool]:
    """Append WRITES_PER_WORKER one-row files, each a separate change set."""
    db = Database(path, lock_timeout=120)
    written = []
    for i in range(WRITES_PER_WORKER):
        text = f"{HEADER}\n{worker}-{i},회사 {worker},,,1975,,completed,,,,\n"
        request = IngestRequest("contracts", f"{worker}-{i}.csv", text.encode(), actor=worker)
        written.append(ingest_file(db, request).written)
        db.query("SELECT count(*) FROM contracts")  # interleave reads, as pages do
    return written


def test_processes_and_threads_write_at_once_without_lock_errors(tmp_path):
    path = str(tmp_path / "shared.duckdb")
    Database(path).schema_version()
    context = multiprocessing.get_context("spawn")
    with context.Pool(3) as pool:
        pending = pool.starmap_async(append_contracts, [(path, f"P{n}") for n in range(3)])
        thread_results: dict[str, list[bool]] = {}
        threads = [threading.Thread(target=lambda n=n: thread_results.__setitem__(
            f"T{n}", append_contracts(path, f"T{n}"))) for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        process_results = pending.get(timeout=300)
    assert all(all(r) for r in process_results) and all(all(r) for r in thread_results.values())
    db = Database(path)
    stored = db.query("SELECT contract_id FROM contracts")["contract_id"]
    assert len(stored) == 6 * WRITES_PER_WORKER == stored.nunique()
    sets = db.query("SELECT count(*) AS n FROM change_sets WHERE kind = 'ingest'")["n"].iloc[0]
    assert sets == 6 * WRITES_PER_WORKER


def test_a_held_lock_gives_a_clear_busy_error_not_a_hang(tmp_path):
    import pytest

    from storage.database import DatabaseBusy

    holder = Database(tmp_path / "busy.duckdb")
    waiter = Database(tmp_path / "busy.duckdb", lock_timeout=0.5)
    with holder.connect("holding"):
        with pytest.raises(DatabaseBusy, match="busy"):
            waiter.query("SELECT 1")
    assert waiter.query("SELECT 1 AS one").iloc[0, 0] == 1
