"""The seen-order-id table: exact answers whether the ids are in memory or spilled to disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doseguard.batch.order_ids import OrderIdTable


def test_finds_repeats_and_grows() -> None:
    table = OrderIdTable(capacity=8)
    assert [table.add(f"O{i}", i) for i in range(1, 1001)] == [None] * 1000
    assert table.add("O500", 2000) == 500
    assert len(table) == 1000
    assert table.runs == 0


def test_memory_stops_growing_at_its_cap_and_the_rest_goes_to_disk(tmp_path: Path) -> None:
    with OrderIdTable(capacity=8, max_capacity=64, spill_directory=str(tmp_path)) as table:
        assert [table.add(f"O{i}", i) for i in range(1, 5001)] == [None] * 5000
        assert table.slots_in_memory == 64
        assert table.runs == 5000 // 49  # a run each time 49 ids fill more than 3/4 of 64 slots
        assert len(table) == 5000
        # Every earlier id is found, wherever it is, with the record it was first seen at.
        assert [table.add(f"O{i}", 9000 + i) for i in range(1, 5001)] == list(range(1, 5001))
        assert len(table) == 5000  # a repeat is not stored again
        assert table.add("new", 1) is None


def test_runs_are_unlinked_files_that_leave_nothing_behind(tmp_path: Path) -> None:
    with OrderIdTable(capacity=8, max_capacity=16, spill_directory=str(tmp_path)) as table:
        for i in range(100):
            table.add(str(i), i)
        assert table.runs > 0
        assert list(tmp_path.iterdir()) == []  # never visible, even while in use
    assert table.runs == 0


def test_capacities_must_be_powers_of_two() -> None:
    with pytest.raises(ValueError, match="powers of two"):
        OrderIdTable(capacity=12)
    with pytest.raises(ValueError, match="powers of two"):
        OrderIdTable(capacity=64, max_capacity=32)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=4), max_size=400))
def test_answers_like_a_dict_of_first_occurrences(ids: list[str]) -> None:
    first: dict[str, int] = {}
    with OrderIdTable(capacity=4, max_capacity=16) as table:
        for record, order_id in enumerate(ids, start=1):
            assert table.add(order_id, record) == first.get(order_id)
            first.setdefault(order_id, record)
        assert len(table) == len(first)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.text(max_size=3)), max_size=40), max_size=12))
def test_adding_a_chunk_at_once_answers_like_adding_one_by_one(chunks: list[list[str | None]]) -> None:
    first: dict[str, int] = {}
    record = 1
    with OrderIdTable(capacity=4, max_capacity=16) as table:
        for chunk in chunks:
            expected = []
            for offset, order_id in enumerate(chunk):
                if order_id is not None:
                    if order_id in first:
                        expected.append((offset, first[order_id]))
                    first.setdefault(order_id, record + offset)
            assert table.add_many(chunk, record) == expected
            record += len(chunk)
        assert len(table) == len(first)
