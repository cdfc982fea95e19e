"""The result caches: bounded, kept on second sight, and keyed type-exactly by what decides an outcome."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from doseguard.orders.draft import StructuredFrequency, StructuredQuantity
from doseguard.orders.model import MAX_TEXT, OrderRecord
from doseguard.records import InputRecord, record_ids
from doseguard.result_cache import _UNCACHEABLE, CACHE_SIZE, ResultCache, _freeze, record_key
from tests.helpers.bundled import bundled_checker
from tests.helpers.orders import standard_order


def test_an_entry_is_kept_the_second_time_it_is_offered() -> None:
    cache: ResultCache[str, int] = ResultCache()
    cache.offer("a", 1)
    assert cache.get("a") is None and len(cache) == 0
    cache.offer("a", 2)
    assert cache.get("a") == 2 and len(cache) == 1


def test_met_before_notes_a_key_and_keep_stores_it() -> None:
    cache: ResultCache[str, int] = ResultCache()
    assert not cache.met_before("a")
    assert cache.met_before("a")
    cache.keep("b", 3)
    assert cache.get("b") == 3


def test_a_full_cache_is_emptied_before_the_next_entry() -> None:
    cache: ResultCache[int, int] = ResultCache()
    for key in range(CACHE_SIZE):
        cache.keep(key, key)
    assert len(cache) == CACHE_SIZE
    cache.keep(CACHE_SIZE, 0)
    assert len(cache) == 1 and cache.get(CACHE_SIZE) == 0 and cache.get(0) is None


def _reference_key(data: Any) -> Any:
    """The outcome cache's key as first written: ids valid, then every other field frozen, type-exact."""
    if not isinstance(data, dict) or None in record_ids(data):
        return None
    if any(len(str(data[name])) > MAX_TEXT for name in ("order_id", "patient_id")):
        return None  # found after it was first written: an id too long is invalid
    parts = []
    for name, value in data.items():
        if name not in ("order_id", "patient_id"):
            frozen = _freeze(value)
            if frozen is _UNCACHEABLE:
                return None
            parts.append((name, frozen))
    return tuple(parts)


_KEY_VALUES = st.one_of(
    st.sampled_from(
        ["", " ", "1 mL", "O1", 0, 1, 3, True, False, 1.0, 3.0, None, -2, 10**20, "x" * 1001, 10**1000]
    ),
    st.lists(st.sampled_from(["a", 1, 1.0, True, None]), max_size=2),
    st.just({"nested": 1}),
    # a FHIR record's structured values (orders.draft), and JSON that holds what they hold
    st.sampled_from([StructuredQuantity(1000.0, "1000 mcg"), StructuredFrequency(1.0, "daily")]),
    st.just([1000.0, "1000 mcg", "quantity"]),
)


_KEY_RECORDS = st.dictionaries(
    st.sampled_from(["order_id", "patient_id", "dose", "administrations_given", "x"]), _KEY_VALUES
)


@settings(max_examples=2000, deadline=None)
@given(_KEY_RECORDS, _KEY_RECORDS)
def test_the_outcome_key_is_type_exact_whatever_path_it_takes(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    """Two records share a key exactly when the key as first written says so (and none when it has none)."""
    for data in (first, second):
        assert (record_key(data, record_ids(data)) is None) == (_reference_key(data) is None)
    if _reference_key(first) is not None and _reference_key(second) is not None:
        same = record_key(first, record_ids(first)) == record_key(second, record_ids(second))
        assert same == (_reference_key(first) == _reference_key(second))
        hash(record_key(first, record_ids(first)))


def test_a_structured_value_shares_a_key_with_no_text_or_json_list() -> None:
    """JSON cannot hold a structured value, only text or a list of what it holds: neither may be
    answered with the outcome of the FHIR record that holds the value itself."""
    ids = {"order_id": "A", "patient_id": "P", "drug": "cyanocobalamin"}
    keys = [
        record_key(data, record_ids(data))
        for data in (
            {**ids, "dose": StructuredQuantity(1000.0, "1000 mcg")},
            {**ids, "dose": "1000 mcg"},
            {**ids, "dose": [1000.0, "1000 mcg", "quantity"]},
            {**ids, "dose": StructuredQuantity(1000.0, "1000 mcg"), "route": None},  # the slow path
        )
    ]
    assert keys[0] is not None and len({keys[0], keys[1], keys[2]}) == 3
    assert keys[3] is not None and keys[3][1][0] == keys[0][1][0]


def test_records_that_differ_only_in_their_ids_share_a_key() -> None:
    first = {"order_id": "A", "patient_id": "P", "dose": "1 mg", "administrations_given": 3}
    second = {**first, "order_id": "B", "patient_id": 7}
    assert record_key(first, record_ids(first)) == record_key(second, record_ids(second))
    assert record_key(first, record_ids(first)) != record_key(
        {**first, "administrations_given": 3.0}, record_ids(first)
    )
    ids = {"order_id": "A", "patient_id": "P"}
    for one, other in [
        ({"dose": "1 mg"}, {"volume": "1 mg"}),  # the same values under other names
        ({"dose": "1 mg", "x": 3}, {"volume": "1 mg", "x": 3}),
        ({"dose": "1 mg", "x": [1]}, {"volume": "1 mg", "x": [1]}),
        ({"x": 1}, {"x": True}),
        ({"x": "1"}, {"x": 1}),
        ({"x": [1]}, {"x": [1.0]}),
    ]:
        assert record_key({**ids, **one}, ("A", "P")) != record_key({**ids, **other}, ("A", "P"))


IDS = st.one_of(
    st.text(max_size=4),
    st.builds(
        lambda pad, size: pad + "x" * size + pad,
        st.sampled_from(["", " ", "\x1c", "\u2003"]),
        st.integers(998, 1001),
    ),
    st.sampled_from([0, 7, -3, 10**999, 10**1000, True, 1.5, None, [], "O1"]),
)


@settings(max_examples=1000, deadline=None)
@given(IDS, IDS)
def test_a_record_with_a_key_has_ids_the_order_model_accepts(order_id: Any, patient_id: Any) -> None:
    """Records differing only in their ids share an outcome, so the key must exist only for valid ids."""
    data = {"order_id": order_id, "patient_id": patient_id, "drug": "cyanocobalamin"}
    if record_key(data, record_ids(data)) is not None:
        OrderRecord.model_validate(data)


# -- ordered_at: its validity decides an outcome, its value only with history or a birth date ----------
# Every record of an export with an order time differs in it: keyed by its value, no outcome would ever
# be shared. Where no history applies (the record has no context with history, which bypasses the
# outcome cache, and no birth_date, whose age is counted at the order) a valid time's value decides
# nothing; an invalid one is an invalid record, whose message quotes it.

VALID_TIMES = ["2026-03-01T09:00:00Z", "2026-03-01", "2025-12-31T23:59:59.5+02:00", "2026-03-01 09:00"]
INVALID_TIMES = ["2026-02-30T09:00:00Z", "last tuesday", "2026-03-01T25:00:00Z", "2026-3-1", "٢٠٢٦-٠٣-٠١"]


def _timed(at: Any, order_id: str = "A", **more: Any) -> dict[str, Any]:
    return {"order_id": order_id, "patient_id": "P", "drug": "cyanocobalamin", "ordered_at": at, **more}


def _key(data: dict[str, Any]) -> Any:
    return record_key(data, record_ids(data))


def test_records_that_differ_only_in_a_valid_order_time_share_a_key() -> None:
    keys = {_key(_timed(at, f"O{n}")) for n, at in enumerate(VALID_TIMES)}
    assert len(keys) == 1 and None not in keys


def test_an_invalid_order_time_never_shares_a_key_with_a_valid_one_nor_with_none() -> None:
    valid = _key(_timed(VALID_TIMES[0]))
    without = _key({"order_id": "A", "patient_id": "P", "drug": "cyanocobalamin"})
    for at in [*INVALID_TIMES, " 2026-03-01 ", "2026-03-01\t", 20260301, None, ""]:
        assert _key(_timed(at)) not in (valid, without), at
    assert valid != without
    assert len({_key(_timed(at)) for at in INVALID_TIMES}) == len(INVALID_TIMES)


def test_with_a_birth_date_the_order_time_is_keyed_by_its_value() -> None:
    born = {"birth_date": "1950-03-01"}
    assert _key(_timed(VALID_TIMES[0], **born)) != _key(_timed(VALID_TIMES[1], **born))


def test_the_checker_never_answers_an_invalid_order_time_with_a_valid_ones_outcome() -> None:
    """What the key promises, seen through the checker: each record checked after every other
    (cached) gets the status a fresh checker gives it."""
    records = [standard_order(f"O{n}", "P", ordered_at=at)
               for n, at in enumerate([*VALID_TIMES, *VALID_TIMES, *INVALID_TIMES, *VALID_TIMES])]  # fmt: skip
    shared = bundled_checker()
    for number, data in enumerate(records, start=1):
        item = InputRecord(f"o.jsonl:{number}", data)
        alone = bundled_checker().check(item, number)
        again = shared.check(item, number)
        assert (again.status, again.errors, again.findings) == (alone.status, alone.errors, alone.findings)
