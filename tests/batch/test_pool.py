"""The worker pool: a worker that dies, hangs or cannot start never loses a chunk or hangs the run."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from benchmarks.generate import realistic, write_jsonl

from doseguard.batch.pool import WorkerPool
from doseguard.batch.worker import ChunkResult, WorkerSetup
from doseguard.errors import WorkerStartError
from doseguard.io.chunk_reader import ChunkReader
from doseguard.rules.source import RuleSource

SETUP = WorkerSetup(RuleSource(), "jsonl")


@pytest.fixture(scope="module")
def orders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pool") / "orders.jsonl"
    write_jsonl(path, realistic(3_000))
    return path


def statuses(results: list[ChunkResult]) -> list[str]:
    return [meta.status for result in results for meta in result.records_meta()]


def run(pool: WorkerPool, orders: Path, *, after_first: object = None) -> list[ChunkResult]:
    """Every chunk's result, in order; ``after_first`` is called once the first result is back."""
    results = []
    for chunk, result in pool.map_ordered(ChunkReader([str(orders)], chunk_records=250)):
        assert result.records_meta()[0].source.endswith(f":{chunk.first_line}")
        results.append(result)
        if len(results) == 1 and callable(after_first):
            after_first()
    return results


def test_results_come_back_in_input_order(orders: Path) -> None:
    pool = WorkerPool(SETUP, 2, chunk_timeout=60)
    try:
        results = run(pool, orders)
    finally:
        pool.close()
    sources = [meta.source for result in results for meta in result.records_meta()]
    assert sources == [f"{orders}:{line}" for line in range(1, 3_001)]
    assert pool.restarts == 0


def test_a_worker_killed_while_it_holds_chunks_is_replaced_and_its_chunks_checked_again(orders: Path) -> None:
    pool = WorkerPool(SETUP, 2, chunk_timeout=60)
    clean = WorkerPool(SETUP, 1, chunk_timeout=60)
    killed: list[int] = []

    def kill_a_busy_worker() -> None:
        victim = next(worker for worker in pool._workers if worker.held)
        killed.append(victim.process.pid or 0)
        os.kill(killed[0], signal.SIGKILL)

    try:
        results = run(pool, orders, after_first=kill_a_busy_worker)
        expected = run(clean, orders)
    finally:
        pool.close()
        clean.close()
    assert pool.restarts == 1
    assert killed and killed[0] not in [worker.process.pid for worker in pool._workers]
    assert [r.encoded for r in results] == [r.encoded for r in expected]
    assert "error" not in statuses(results)


def test_a_hung_worker_is_given_up_after_the_chunk_timeout_and_its_chunk_checked_elsewhere(
    orders: Path,
) -> None:
    pool = WorkerPool(SETUP, 2, chunk_timeout=3)
    victim = pool._workers[1]
    os.kill(victim.process.pid or 0, signal.SIGSTOP)  # it will be sent chunks it never answers
    try:
        results = run(pool, orders)
    finally:
        pool.close()
    assert pool.restarts == 1
    assert not victim.process.is_alive()
    assert len(statuses(results)) == 3_000
    assert "error" not in statuses(results)


def test_an_idle_worker_that_dies_is_replaced_and_nothing_is_blamed_on_a_chunk(orders: Path) -> None:
    pool = WorkerPool(SETUP, 2, chunk_timeout=60)
    os.kill(pool._workers[0].process.pid or 0, signal.SIGKILL)
    try:
        results = run(pool, orders)
    finally:
        pool.close()
    assert pool.restarts == 1
    assert statuses(results).count("error") == 0


def test_workers_whose_rules_changed_on_disk_refuse_to_start() -> None:
    """A pack edited after the main process loaded it would give results under another version."""
    with pytest.raises(WorkerStartError, match="rules changed on disk"):
        WorkerPool(
            WorkerSetup(RuleSource(), "jsonl", rules_version="sha256:not-these-rules"), 1, chunk_timeout=60
        )


def test_a_closed_pool_leaves_no_process_behind(orders: Path) -> None:
    pool = WorkerPool(SETUP, 2, chunk_timeout=60)
    processes = [worker.process for worker in pool._workers]
    run(pool, orders)
    pool.close()
    assert all(process.exitcode == 0 for process in processes)
