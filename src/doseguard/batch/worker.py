"""What a worker process does: build its own engine once, then check chunks and encode results.

durable-rules keeps the GIL and can kill its process, so checking happens in worker processes: the
speed comes from several cores, and a crash costs a worker, not the run.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from typing import Any

from doseguard.batch.chunks import Chunk
from doseguard.checker import Checker
from doseguard.io.encoders import Encoder, JsonLineEncoder, encode_csv_rows
from doseguard.io.readers import records_of
from doseguard.results import OrderResult, Summary
from doseguard.rules.source import RuleSource

KILL_ON_ORDER = "DOSEGUARD_TEST_KILL_WORKER_ON_ORDER"
"""Fault injection for tests: a worker that meets this order id kills itself, as a segfault would."""

# (order_id, patient_id, source, status, highest severity or None, rule ids of the findings)
RecordMeta = tuple[str | None, str | None, str, str, str | None, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """One output item (encoded bytes, or the result itself for human formats) and meta per record."""

    outputs: list[Any]
    meta: list[RecordMeta]
    counts: Summary  # of this chunk: the main process adds them up

    @classmethod
    def of(cls, results: list[OrderResult], encode: Encoder | None) -> ChunkResult:
        outputs: list[Any] = []
        meta: list[RecordMeta] = []
        counts = Summary()
        for result in results:
            outputs.append(encode(result) if encode else result)
            described = describe(result)
            meta.append(described)
            counts.add_counts(*described[3:])
        return cls(outputs, meta, counts)

    def __add__(self, other: ChunkResult) -> ChunkResult:
        counts = Summary()
        counts.merge(self.counts)
        counts.merge(other.counts)
        return ChunkResult(self.outputs + other.outputs, self.meta + other.meta, counts)


class ChunkChecker:
    """Checks chunks with one checker; used in workers, and in-process for the same bytes."""

    def __init__(self, checker: Checker, output: str) -> None:
        self.checker = checker
        self.encode: Encoder | None = make_encoder(output)
        self.kill_on = os.environ.get(KILL_ON_ORDER)

    def process(self, chunk: Chunk) -> ChunkResult:
        results = self.checker.check_many(list(records_of(chunk)), chunk.first_record)
        if self.kill_on is not None and any(result.order_id == self.kill_on for result in results):
            os.kill(os.getpid(), signal.SIGKILL)
        return ChunkResult.of(results, self.encode)


def make_encoder(output: str) -> Encoder | None:
    if output in ("jsonl", "json"):
        return JsonLineEncoder()
    if output == "csv":
        return encode_csv_rows
    return None  # table, html: the writer needs the results themselves


def describe(result: OrderResult) -> RecordMeta:
    severity = result.severity
    return (
        result.order_id,
        result.patient_id,
        result.source,
        result.status.value,
        severity.value if severity is not None else None,
        tuple(f.rule_id for f in result.findings),
    )


_worker: ChunkChecker | None = None


def start_worker(rules: RuleSource, output: str) -> None:
    """Process-pool initializer: load and compile the rules in this process."""
    global _worker  # noqa: PLW0603 (one checker per worker process, built once)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    _worker = ChunkChecker(Checker(rules.load()), output)


def check_chunk(chunk: Chunk) -> ChunkResult:
    assert _worker is not None, "start_worker() runs first in each worker"
    return _worker.process(chunk)
