"""What runs inside ``mapInArrow`` on an executor: Arrow batches of prepared records in, results out.

durable-rules can kill its process. A Spark task that dies is retried and, after ``maxFailures``, the
job fails: one poison order would stop a whole audit. So the Python worker does not check records
itself: it hands them to the batch :class:`~doseguard.batch.pool.WorkerPool` (child processes with
crash and hang isolation), whose chunk that killed a worker is split until the record to blame is
alone and becomes that record's ``error`` result, exactly as on one machine. One pool per Python worker
(Spark reuses its Python workers), created at the first batch and kept.

Results are a pure function of the prepared rows (their record number, name and content), so a task
retried or run twice (speculation) gives the same rows again: Spark keeps one attempt's output.
"""

from __future__ import annotations

import atexit
import csv
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
from pyspark import SparkFiles

from doseguard.batch.pool import WorkerPool
from doseguard.batch.worker import BeforeSend, WorkerSetup
from doseguard.io.chunks import Chunk, ChunkKind
from doseguard.io.encoders import JsonLineEncoder
from doseguard.order_ids import RepeatedOrderIds
from doseguard.results import OrderResult
from doseguard.spark.schema import RESULTS, result_of_line, result_row
from doseguard.spark.shipped import ShippedRules

CHUNK_RECORDS = 500
"""Records sent to a worker at a time: small enough that isolating a poison record takes few splits."""
CHUNK_TIMEOUT = 600.0
"""Seconds a chunk may take before its worker is taken for hung (as in ``doseguard check``)."""

LINES, ROWS, OBJECTS = "lines", "rows", "objects"


@dataclass(frozen=True)
class InputSpec:
    """One input as the executors see it: its name (sources are ``name:line``), what its payloads
    are (LINES: a JSON line; ROWS: a CSV row's cells as a JSON array, under ``header``; OBJECTS: a
    row of a table as a JSON object), and the format whose mapper reads them."""

    name: str
    kind: str
    header: tuple[str, ...] = ()
    delimiter: str = ","


BeforeBatch = Callable[[pa.RecordBatch], None]
"""Called in the Python worker with each prepared batch: the tests' way of failing a task or killing
a Python worker. Nothing shipped sets one."""


@dataclass(frozen=True)
class ExecutorSetup:
    """Everything an executor needs, shipped with the task: the rules, the inputs, the run's history
    store (:mod:`doseguard.spark.history`), and a token that names what the pool is built from (a
    Python worker keeps one pool, for the token it last served)."""

    rules: ShippedRules
    inputs: tuple[InputSpec, ...]
    token: str
    chunk_records: int = CHUNK_RECORDS
    chunk_timeout: float = CHUNK_TIMEOUT
    before_send: BeforeSend | None = None  # tests only: faults in the pool's workers
    before_batch: BeforeBatch | None = None  # tests only: faults in the Python worker
    history: str | None = None  # the run's history store, as SparkContext.addFile named it


class _Served:
    """The pool of this Python worker and the folder its rules were written to."""

    def __init__(self, setup: ExecutorSetup) -> None:
        self.token = setup.token
        self.folder = Path(tempfile.mkdtemp(prefix="doseguard-spark-"))
        try:
            source, rule_set = setup.rules.rebuild(self.folder)
            history = SparkFiles.get(setup.history) if setup.history is not None else None
            worker_setup = WorkerSetup(source, "jsonl", rule_set.version, setup.before_send, history=history)
            self.pool = WorkerPool(worker_setup, 1, chunk_timeout=setup.chunk_timeout, notify=_say)
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def close(self) -> None:
        self.pool.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_pool(setup: ExecutorSetup) -> tuple[WorkerPool, int]:
    """This Python worker's pool for ``setup`` (started if need be) and its checking process's pid
    (for a benchmark reading its memory: ``benchmarks/spark_executor_cost.py``)."""
    pool = _pool(setup)
    return pool, pool.worker_pids()[0]


_served: _Served | None = None


def _pool(setup: ExecutorSetup) -> WorkerPool:
    global _served  # noqa: PLW0603 (one pool per Python worker, kept between tasks)
    if _served is not None and _served.token != setup.token:
        _served.close()
        _served = None
    if _served is None:
        _served = _Served(setup)
    return _served.pool


@atexit.register
def _close() -> None:
    if _served is not None:
        _served.close()


def _say(message: str) -> None:
    print(f"doseguard: {message}", file=sys.stderr, flush=True)  # the executor's log


def check_batches(setup: ExecutorSetup) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The function ``mapInArrow`` runs: each batch of prepared records, checked, as results."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if setup.before_batch is not None:
                setup.before_batch(batch)
            if batch.num_rows:
                yield check_batch(_pool(setup), setup, batch)

    return run


def check_batch(pool: WorkerPool, setup: ExecutorSetup, batch: pa.RecordBatch) -> pa.RecordBatch:
    """One batch's results, one per row, in the rows' order. Each chunk carries its records' numbers
    in the run (not consecutive after the shuffle by patient: an order must never count itself
    among its patient's other orders). The pool's workers encode JSON Lines, read back here for the
    columns, which costs less than results crossing the pipe as objects."""
    columns = batch.to_pydict()
    records: list[int] = columns["record"]
    chunks = list(chunks_of(setup.inputs, setup.chunk_records, records, columns["input"], columns["line"],
                            columns["payload"]))  # fmt: skip
    rows: list[dict[str, Any]] = []
    for _, done in pool.map_ordered(chunks):
        rows.extend(result_of_line(line) for line in done.outputs())
    if [row["record"] for row in rows] != records:  # one result per record, in order: else a defect
        raise RuntimeError(f"{len(rows)} results for {len(records)} records, or out of order")
    return pa.RecordBatch.from_pylist(rows, schema=RESULTS)


def chunks_of(
    inputs: tuple[InputSpec, ...],
    chunk_records: int,
    records: list[int],
    input_of: list[int],
    lines: list[int],
    payloads: list[bytes],
) -> Iterator[Chunk]:
    """The rows as chunks of one input each, at most ``chunk_records`` records, in row order (a
    chunk's results come back in its order)."""
    start = 0
    total = len(payloads)
    while start < total:
        which = input_of[start]
        end = start + 1
        while end < total and end - start < chunk_records and input_of[end] == which:
            end += 1
        spec = inputs[which]
        yield chunk_of(spec, records[start:end], lines[start:end], payloads[start:end])
        start = end


def chunk_of(spec: InputSpec, records: list[int], lines: list[int], payloads: list[bytes]) -> Chunk:
    """Records of one input as a chunk, each with its number in the run."""
    numbers = tuple(records)
    if spec.kind == ROWS:
        rows = [
            (line, _cells(payload, spec.delimiter)) for line, payload in zip(lines, payloads, strict=True)
        ]
        return Chunk(ChunkKind.ROWS, spec.name, numbers[0], rows, header=spec.header, format="csv",
                     numbers=numbers)  # fmt: skip
    items = [(f"{spec.name}:{line}", payload) for line, payload in zip(lines, payloads, strict=True)]
    return Chunk(ChunkKind.OBJECTS, spec.name, numbers[0], items, format="json", numbers=numbers)


def _cells(payload: bytes, delimiter: str) -> list[str]:
    """A CSV row's cells: a JSON array of them (None for an empty cell), or ``{"corrupt": line}`` for
    a row Spark could not fit to the header, split here so that its cells are counted."""
    parsed = orjson.loads(payload)
    if isinstance(parsed, dict):
        return next(csv.reader([parsed["corrupt"]], delimiter=delimiter), [])
    return [cell or "" for cell in parsed]


def mark_repeats(version: str) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The function ``mapInArrow`` runs on results with ``first_claim`` (the first record claiming
    each result's order id): a later claimant becomes the duplicate the single-machine runner writes
    (:class:`~doseguard.order_ids.RepeatedOrderIds`); the others pass unchanged."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        encode = JsonLineEncoder()
        policy = RepeatedOrderIds(version)  # its duplicate(): the one wording of a repeat
        for batch in batches:
            firsts = batch.column("first_claim").to_pylist()
            records = batch.column("record").to_pylist()
            results = batch.drop_columns(["first_claim"])
            repeated = [i for i, (first, record) in enumerate(zip(firsts, records, strict=True))
                        if first is not None and first != record]  # fmt: skip
            if not repeated:
                yield results
                continue
            rows = results.to_pylist()
            for i in repeated:
                row = rows[i]
                duplicate: OrderResult = policy.duplicate(
                    row["record"], row["source"], row["order_id"], row["patient_id"], firsts[i]
                )
                rows[i] = result_row(duplicate, encode(duplicate))
            yield pa.RecordBatch.from_pylist(rows, schema=RESULTS)

    return run
