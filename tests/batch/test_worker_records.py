"""Results that go out as objects (for the HTML report and the annotated export) carry their record as
read; encoded results never do, and the JSON Lines result holds no order field it did not hold."""

from __future__ import annotations

import json
from pathlib import Path

from doseguard.batch.runner import BatchOptions, run_batch
from doseguard.batch.worker import ChunkChecker
from doseguard.io.chunk_reader import ChunkReader
from doseguard.io.chunks import Chunk
from doseguard.results import OrderResult, ResultStatus, Summary
from doseguard.rules.source import RuleSource
from tests.helpers.bundled import bundled_checker, bundled_rules
from tests.helpers.cli import jsonl
from tests.helpers.orders import order


def test_results_as_objects_carry_their_record_as_read() -> None:
    record = order("O1", route="IV")
    lines = [json.dumps(record).encode(), b"not json"]
    result = ChunkChecker(bundled_checker(), "objects").process(Chunk("lines", "o.jsonl", 1, lines))
    first, second = result.outputs()
    assert first.record_data == record
    assert second.status is ResultStatus.INVALID
    assert second.record_data is None


def test_encoded_results_hold_no_record() -> None:
    record = order("O1", route="IV")
    result = ChunkChecker(bundled_checker(), "jsonl").process(
        Chunk("lines", "o.jsonl", 1, [json.dumps(record).encode()])
    )
    (line,) = result.outputs()
    assert set(json.loads(line)) == {
        "record", "source", "order_id", "patient_id", "status", "findings", "errors", "warnings", "rules_version",
        "not_evaluated",  # the bundled history rules, with no history given
    }  # fmt: skip


class _Kept:
    def __init__(self) -> None:
        self.results: list[OrderResult] = []

    def write_chunk(self, outputs: list[OrderResult]) -> None:
        self.results += outputs

    def close(self, summary: Summary) -> None:
        pass


def test_a_repeated_order_id_made_invalid_keeps_its_record(tmp_path: Path) -> None:
    first, again = order("SAME"), order("SAME", dose="500 mcg")
    path = jsonl(tmp_path, first, again)
    sink = _Kept()
    options = BatchOptions(RuleSource(), output="objects", jobs=1, rules_version=bundled_rules().version)
    run_batch(ChunkReader([str(path)]), sink, options, Summary())
    assert [r.status for r in sink.results] == [ResultStatus.PASS, ResultStatus.INVALID]
    assert [r.record_data for r in sink.results] == [first, again]
