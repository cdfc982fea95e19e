"""The progress the batch runner reports: bytes of the input whose results are written, not of what the
reader cut ahead of the workers, so the percentage and the count agree."""

from __future__ import annotations

from pathlib import Path

from doseguard.batch.runner import BatchOptions, run_batch
from doseguard.io.chunk_reader import ChunkReader
from doseguard.results import Summary
from doseguard.rules.source import RuleSource
from tests.helpers.bundled import bundled_rules
from tests.helpers.cli import jsonl
from tests.helpers.orders import order


class _NullSink:
    def write_chunk(self, outputs: list[object]) -> None:
        pass

    def close(self, summary: object) -> None:
        pass


def test_the_bytes_reported_follow_the_chunks_written_not_those_read_ahead(tmp_path: Path) -> None:
    # 30 orders in one read block, cut into 3 chunks at once: 100% only with the last chunk written.
    path = jsonl(tmp_path, *(order(f"O{n}") for n in range(30)))
    seen: list[tuple[int, int]] = []
    options = BatchOptions(RuleSource(), output="jsonl", jobs=1, rules_version=bundled_rules().version)
    reader = ChunkReader([str(path)], chunk_records=10)
    run_batch(reader, _NullSink(), options, Summary(), progress=lambda b, n: seen.append((b, n)))
    size = path.stat().st_size
    assert [n for _, n in seen] == [10, 20, 30]
    assert [b * 100 // size for b, _ in seen] == [33, 66, 100]
