"""Run a batch: chunks out to worker processes, results back in input order, nothing lost.

The main process reads and cuts the input, keeps a bounded number of chunks in flight, and writes
each chunk's encoded results as soon as every chunk before it is written. If a worker dies (the
engine can segfault) or hangs, its chunk is checked again in a fresh worker; if it fails again it is
split in halves until the record that kills the engine is alone, and that record alone is reported
with status ``error``. Every input record produces exactly one result.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from doseguard.batch.chunks import Chunk, ChunkReader
from doseguard.batch.order_ids import OrderIdTable
from doseguard.batch.worker import ChunkResult, check_chunk, make_encoder, start_worker
from doseguard.checker import _identity, duplicate_result
from doseguard.errors import DoseguardError
from doseguard.io.readers import records_of
from doseguard.io.writers import Sink
from doseguard.results import OrderResult, Status, Summary
from doseguard.rules.source import RuleSource

START_ATTEMPTS = 3
CHUNK_TIMEOUT = 600.0
"""Seconds a chunk may take before its worker is taken for hung (2000 records take well under 1 s)."""


@dataclass
class BatchOptions:
    rules: RuleSource
    output: str  # jsonl, json or csv (workers encode), or "objects" (workers return the results)
    jobs: int = 1
    rules_version: str = ""
    chunk_timeout: float = CHUNK_TIMEOUT
    in_flight_per_job: int = 4


class WorkerStartError(DoseguardError):
    """Worker processes cannot start: nothing can be checked."""


class WorkerPool:
    """Worker processes that check chunks; results come back in submission order."""

    def __init__(self, options: BatchOptions) -> None:
        self.options = options
        self.restarts = 0
        self._executor = self._start(options.jobs)
        self._isolation: ProcessPoolExecutor | None = None

    def _start(self, workers: int) -> ProcessPoolExecutor:
        """A fresh pool, proven able to work: a pool whose workers cannot even start (an import
        failure, say) would otherwise be restarted for every chunk, and every order reported as a
        crash. That is an error of the run, not of the orders."""
        failure: BaseException | None = None
        for _ in range(START_ATTEMPTS):
            executor = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=start_worker,
                initargs=(self.options.rules, self.options.output),
            )
            probe = Chunk("objects", "<probe>", 1, [])
            try:
                executor.submit(check_chunk, probe).result(timeout=self.options.chunk_timeout)
                return executor
            except Exception as error:
                failure = error
                _kill(executor)
        raise WorkerStartError(f"worker processes cannot start: {failure!r}")

    def close(self) -> None:
        for executor in (self._executor, self._isolation):
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)

    def map_ordered(self, chunks: Iterable[Chunk]) -> Iterator[tuple[Chunk, ChunkResult]]:
        window: deque[tuple[Chunk, Future[ChunkResult]]] = deque()
        limit = max(2, self.options.jobs * self.options.in_flight_per_job)
        for chunk in chunks:
            try:
                future = self._executor.submit(check_chunk, chunk)
            except BrokenProcessPool:  # a worker died since the last result: its chunk is in the window
                future = Future()
                future.set_exception(BrokenProcessPool("the pool broke before this chunk was sent"))
            window.append((chunk, future))
            if len(window) >= limit:
                yield self._complete(window)
        while window:
            yield self._complete(window)

    def _complete(self, window: deque[tuple[Chunk, Future[ChunkResult]]]) -> tuple[Chunk, ChunkResult]:
        chunk, future = window.popleft()
        try:
            return chunk, future.result(timeout=self.options.chunk_timeout)
        except (BrokenProcessPool, FutureTimeout):
            pass
        # A worker died or hung: start afresh, send the chunks in flight again, and find out whether
        # this chunk itself is to blame.
        self._executor = self._restart(self._executor, self.options.jobs)
        for index, (pending, _) in enumerate(window):
            window[index] = (pending, self._executor.submit(check_chunk, pending))
        return chunk, self._isolate(chunk)

    def _restart(self, executor: ProcessPoolExecutor, workers: int) -> ProcessPoolExecutor:
        self.restarts += 1
        _kill(executor)
        return self._start(workers)

    def _isolate(self, chunk: Chunk) -> ChunkResult:
        """Check a chunk in a worker of its own; split it until the record that kills it is alone."""
        if self._isolation is None:
            self._isolation = self._start(1)
        try:
            return self._isolation.submit(check_chunk, chunk).result(timeout=self.options.chunk_timeout)
        except (BrokenProcessPool, FutureTimeout) as failure:
            self._isolation = self._restart(self._isolation, 1)
            if chunk.record_count <= 1:
                return _failed(chunk, self.options.output, failure, self.options.rules_version)
        left, right = chunk.split()
        return self._isolate(left) + self._isolate(right)


def _kill(executor: ProcessPoolExecutor) -> None:
    """Stop a pool now, even with a hung worker in it."""
    processes = dict(getattr(executor, "_processes", None) or {})
    for process in processes.values():
        if process.is_alive():
            process.kill()
    executor.shutdown(wait=False, cancel_futures=True)


def _failed(chunk: Chunk, output: str, failure: BaseException, version: str) -> ChunkResult:
    """The result of a record whose check killed or hung its worker: an error, never a pass."""
    reason = "hung" if isinstance(failure, FutureTimeout) else "crashed"
    error = {"field": None, "message": f"evaluation failed: the rules engine {reason} on this order"}
    results = [
        OrderResult(
            number, item.source, *_identity(item.data), Status.ERROR, errors=(error,), rules_version=version
        )
        for number, item in enumerate(records_of(chunk), start=chunk.first_record)
    ]
    return ChunkResult.of(results, make_encoder(output))


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
    seen = OrderIdTable()  # spills to $TMPDIR beyond about 1.5 million ids
    pool = WorkerPool(options)
    try:
        for chunk, result in pool.map_ordered(reader):
            outputs = result.outputs
            summary.merge(result.counts)
            add, first = seen.add, chunk.first_record
            for offset, (order_id, patient_id, source, status, severity, rules) in enumerate(result.meta):
                number = first + offset
                earlier = None if order_id is None or status == "invalid" else add(order_id, number)
                if earlier is None or order_id is None:
                    continue
                # A repeated order_id: this record becomes invalid, whatever it was.
                duplicate = duplicate_result(
                    number, source, order_id, patient_id, earlier, summary.rules_version
                )
                outputs[offset] = encode(duplicate) if encode else duplicate
                undo = Summary()
                undo.add_counts(status, severity, rules)
                summary.merge(undo, sign=-1)
                summary.add_counts("invalid", "critical", ())
            sink.write_chunk(outputs)
            if progress is not None:
                progress(reader.bytes_read, summary.orders)
    finally:
        pool.close()
        seen.close()
    summary.seconds = time.perf_counter() - started
    summary.worker_restarts = pool.restarts
    sink.close(summary)
    return summary
