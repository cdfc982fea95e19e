"""The seen-order-id table: exact answers whether the ids are in memory or spilled to disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doseguard.order_ids import OrderIdTable, RepeatedOrderIds, claimed_ids
from doseguard.results import OrderResult, ResultError, ResultStatus


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


def _result(record: int, order_id: str | None, status: ResultStatus = ResultStatus.PASS) -> OrderResult:
    return OrderResult(record, f"f:{record}", order_id, "P1", status, rules_version="v1")


def test_an_invalid_result_or_one_without_an_id_claims_no_id() -> None:
    assert claimed_ids(["A", "B", None, "D"], ["pass", "invalid", "flagged", ResultStatus.ERROR]) == [
        "A",
        None,
        None,
        "D",
    ]


def test_the_one_policy_gives_the_same_results_a_result_or_a_chunk_at_a_time() -> None:
    """check_all (a result at a time) and the batch runner (a chunk at a time) share this rule."""
    results = [
        _result(1, "A"),
        _result(2, "A", ResultStatus.INVALID),  # invalid anyway: neither repeats nor is repeated
        _result(3, "B", ResultStatus.ERROR),
        _result(4, "A", ResultStatus.FLAGGED),
        _result(5, "B"),
        _result(6, None),
        _result(7, "A"),
    ]
    with RepeatedOrderIds("v1") as one_at_a_time:
        singly = [one_at_a_time.check(result) for result in results]
    with RepeatedOrderIds("v1") as by_chunk:
        claimed = claimed_ids([r.order_id for r in results], [r.status for r in results])
        repeats = by_chunk.repeats(claimed[:3], 1) + [(3 + o, e) for o, e in by_chunk.repeats(claimed[3:], 4)]
        chunked = list(results)
        for offset, earlier in repeats:
            r = results[offset]
            assert r.order_id is not None
            chunked[offset] = by_chunk.duplicate(r.record, r.source, r.order_id, r.patient_id, earlier)
    assert singly == chunked
    assert [r.status for r in singly] == [ResultStatus.PASS, ResultStatus.INVALID, ResultStatus.ERROR, ResultStatus.INVALID,
                                          ResultStatus.INVALID, ResultStatus.PASS, ResultStatus.INVALID]  # fmt: skip
    assert singly[3].errors == (ResultError("order_id", "duplicates the order_id of record 1"),)
    assert singly[4].errors[0].message == "duplicates the order_id of record 3"
    assert singly[6].rules_version == "v1" and singly[6].source == "f:7" and singly[6].patient_id == "P1"


@pytest.mark.parametrize("status", [ResultStatus.NOT_COVERED, ResultStatus.INACTIVE])
def test_an_order_not_checked_on_purpose_claims_its_id_and_its_repeat_is_invalid(
    status: ResultStatus,
) -> None:
    """Its ids were read and held to the contract: a later record with the same id is a repeat, and
    so is a not-covered or inactive record that repeats a checked one."""
    assert claimed_ids(["A"], [status]) == ["A"]
    with RepeatedOrderIds("v1") as repeats:
        assert repeats.check(_result(1, "A", status)).status is status
        assert repeats.check(_result(2, "A")).status is ResultStatus.INVALID
        assert repeats.check(_result(3, "B")).status is ResultStatus.PASS
        assert repeats.check(_result(4, "B", status)).status is ResultStatus.INVALID
