"""Run a batch: chunks out to worker processes, results back in input order, nothing lost.

The main process reads and cuts the input, keeps a bounded number of chunks in flight, and writes
each chunk's encoded results as soon as every chunk before it is written. What happens when a worker
dies or hangs is the pool's business (``batch/pool.py``): every chunk comes back with one result per
record. Here the results are written, counted, and checked for repeated order ids.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from doseguard.batch.pool import WorkerPool
from doseguard.batch.record_meta import MetaColumns
from doseguard.batch.worker import BeforeSend, ChunkResult, WorkerSetup, make_encoder
from doseguard.io.chunk_reader import ChunkReader
from doseguard.io.columns import ColumnMap
from doseguard.io.encoders import Encoder
from doseguard.io.writers import Sink
from doseguard.order_ids import RepeatedOrderIds
from doseguard.results import Summary
from doseguard.rules.source import RuleSource

__all__ = ["BatchOptions", "run_batch", "usable_cores"]

CHUNK_TIMEOUT = 600.0
"""Seconds a chunk may take before its worker is taken for hung (2000 records take well under 1 s)."""


@dataclass
class BatchOptions:
    rules: RuleSource
    output: str  # jsonl, json or csv (workers encode), or "objects" (workers return the results)
    jobs: int = 1
    rules_version: str = ""
    chunk_timeout: float = CHUNK_TIMEOUT
    in_flight_per_job: int = 3
    notify: Callable[[str], None] | None = None  # told when a worker dies or hangs
    columns: ColumnMap | None = None  # --columns: JSON records' keys are mapped by the workers
    before_send: BeforeSend | None = None  # tests only: faults injected in the workers
    history: str | None = None  # the run's history store (io/history_store.py): records get their patient


def usable_cores() -> int:
    """The cores this process may run on (a container's or taskset's share, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def run_batch(
    reader: ChunkReader,
    sink: Sink,
    options: BatchOptions,
    summary: Summary,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Summary:
    """Check every record of ``reader`` and write the results to ``sink``; returns the summary."""
    started = time.perf_counter()
    encode = make_encoder(options.output)
    setup = WorkerSetup(
        options.rules,
        options.output,
        options.rules_version,
        options.before_send,
        options.columns,
        options.history,
    )
    # No more workers than cores (each holds an engine: about 27 MB) nor than chunks to check.
    jobs = max(1, min(options.jobs, usable_cores()))
    chunks = iter(reader)
    ahead = list(itertools.islice(chunks, jobs))
    pool = WorkerPool(
        setup,
        max(1, len(ahead)),  # ahead holds at most jobs chunks
        chunk_timeout=options.chunk_timeout,
        in_flight_per_job=options.in_flight_per_job,
        notify=options.notify,
    )
    # Spills to $TMPDIR beyond about 1.5 million ids.
    repeated = RepeatedOrderIds(summary.rules_version)
    try:
        for chunk, result in pool.map_ordered(itertools.chain(ahead, chunks)):
            summary.merge(result.counts)
            repeats = repeated.repeats(result.order_ids, chunk.first_record)
            if not repeats:
                sink.write_chunk([result.encoded] if result.objects is None else result.objects)
            else:
                sink.write_chunk(
                    _mark_repeats(result, repeats, chunk.first_record, encode, summary, repeated)
                )
            if progress is not None:
                progress(reader.done_bytes(summary.orders), summary.orders)
    finally:
        pool.close()
        repeated.close()
    summary.ignored_fields.update(reader.ignored_columns)  # CSV columns, noted as each file was cut
    summary.notes.extend(reader.notes)
    summary.seconds = time.perf_counter() - started
    summary.worker_restarts = pool.restarts
    sink.close(summary)
    return summary


def _mark_repeats(
    result: ChunkResult,
    repeats: list[tuple[int, int]],
    first_record: int,
    encode: Encoder | None,
    summary: Summary,
    repeated: RepeatedOrderIds,
) -> list[Any]:
    """The chunk's outputs with each record that repeats an earlier order_id made invalid, whatever
    it was, and the summary's counts moved with it."""
    outputs, meta = result.outputs(), MetaColumns(result.meta)
    for offset, earlier in repeats:
        record = meta.row(offset)
        assert record.order_id is not None
        duplicate = repeated.duplicate(
            first_record + offset, record.source, record.order_id, record.patient_id, earlier
        )
        if encode is None:  # the results themselves: the duplicate keeps its record, for the report
            duplicate = dataclasses.replace(duplicate, record_data=outputs[offset].record_data)
        outputs[offset] = encode(duplicate) if encode else duplicate
        undo = Summary()
        undo.add_counts(record.status, record.severity, record.rules)
        summary.merge(undo, sign=-1)
        summary.add_counts("invalid", "critical", ())
    return outputs
