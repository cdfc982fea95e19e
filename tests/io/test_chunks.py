"""Chunks: records to check together, numbered in the run."""

from __future__ import annotations

import pytest

from doseguard.io.chunks import Chunk, ChunkKind


def test_records_not_consecutive_keep_their_numbers_through_a_split() -> None:
    items = [(f"o.jsonl:{line}", b"{}") for line in (3, 8, 9)]
    left, right = Chunk(ChunkKind.OBJECTS, "o.jsonl", 5, items, numbers=(5, 11, 12)).split()
    assert [left.number(i) for i in range(left.record_count)] == [5]
    assert [right.number(i) for i in range(right.record_count)] == [11, 12]


@pytest.mark.parametrize("kind", [ChunkKind.TEXT, ChunkKind.LINES])
def test_lines_cannot_carry_numbers_of_their_own(kind: ChunkKind) -> None:
    """Lines are numbered by their place (blank ones are no records): a split of lines, or their
    reading as text, would pair the numbers with the wrong records."""
    items = [b'{"a": 1}\n\n{"a": 2}'] if kind is ChunkKind.TEXT else [b'{"a": 1}', b"", b'{"a": 2}']
    with pytest.raises(ValueError, match="numbered by their lines"):
        Chunk(kind, "o.jsonl", 5, items, numbers=(5, 9))


def test_a_number_for_each_record_or_none() -> None:
    items = [("o.jsonl:1", b"{}"), ("o.jsonl:2", b"{}")]
    with pytest.raises(ValueError, match="one for each of its 2 records, not 1"):
        Chunk(ChunkKind.OBJECTS, "o.jsonl", 5, items, numbers=(5,))
