"""What an order costs on a Spark executor, without Spark: ``check_batch`` on Arrow batches, in-process.

The Python worker's CPU (Arrow in and out, chunks to the pool, result lines read back) is this process's
CPU time; the checking process's is measured as ``ChunkChecker`` on the same records in this process (what
the pool's worker runs). Peak resident memory of both is read from ``/proc``. Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/spark_executor_cost.py [realistic|worst] [ORDERS]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pyarrow as pa

from doseguard.batch.worker import ChunkChecker
from doseguard.checker import Checker
from doseguard.io.chunks import Chunk, ChunkKind
from doseguard.rules.source import RuleSource
from doseguard.spark.executor import LINES, ExecutorSetup, InputSpec, check_batch, start_pool
from doseguard.spark.shipped import ShippedRules
from generate import realistic, worst

BATCH = 10_000  # spark.sql.execution.arrow.maxRecordsPerBatch's default


def peak_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(kind: str, orders: int) -> dict[str, float]:
    lines = [json.dumps(order) for order in (worst if kind == "worst" else realistic)(orders)]
    shipped, rule_set = ShippedRules.of(RuleSource())
    setup = ExecutorSetup(shipped, (InputSpec("orders.jsonl", LINES),), "bench")
    count = len(lines)
    batch = pa.RecordBatch.from_pydict({"record": list(range(1, count + 1)), "input": [0] * count,
                                        "line": list(range(1, count + 1)), "patient_key": [None] * count,
                                        "payload": lines})  # fmt: skip
    pool, worker_pid = start_pool(setup)
    check_batch(pool, setup, batch.slice(0, 100))  # warm: the worker's caches as a running task has them
    cpu = time.process_time()
    for start in range(0, count, BATCH):
        check_batch(pool, setup, batch.slice(start, BATCH))
    python_worker = (time.process_time() - cpu) / count * 1e6
    checker = ChunkChecker(Checker(rule_set), "jsonl")
    items = [(f"orders.jsonl:{n}", line.encode()) for n, line in enumerate(lines, start=1)]
    cpu = time.process_time()
    for start in range(0, count, 500):
        checker.process(
            Chunk(ChunkKind.OBJECTS, "orders.jsonl", 1, items[start : start + 500], format="json")
        )
    checking = (time.process_time() - cpu) / count * 1e6
    figures = {
        "python_worker_us_per_order": round(python_worker, 1),
        "checking_process_us_per_order": round(checking, 1),
        "python_worker_peak_mb": round(peak_mb(), 1),
        "checking_process_peak_mb": round(peak_mb(worker_pid), 1),
    }
    pool.close()
    return figures


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "worst"
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
    print(json.dumps({"workload": which, "orders": size, **main(which, size)}))
