"""The fast path: a plain record validated by hand gives exactly what OrderRecord gives, and every
record it does not take (unknown fields, other types, invalid values) still goes to OrderRecord, so
invalid records keep the same located problems."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from doseguard.errors import InvalidOrderError
from doseguard.orders import model, normalise
from doseguard.orders.model import (
    LIST_FIELDS,
    MAX_TEXT,
    RECORD_FIELDS,
    TEXT_FIELDS,
    OrderRecord,
    PlainRecord,
    plain_record,
)
from doseguard.orders.normalise import OrderNormaliser
from tests.helpers.bundled import bundled_rules

DRUG_NAMES = bundled_rules().drug_names
PADDING = ["", " ", "  ", "\t", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x1f", "\u00a0", "\u2003", "\x85"]
WORDS = [
    "ORD-1", "PT-1", "cyanocobalamin", "b12", "Vitamin B12", "hydroxocobalamin", "methylcobalamin",
    "1000 mcg", "1 mg", "1000 mg", "1.0 mL", ".5 mL", "1 mL", "2 cc", "1,5 mL", "one thousand", "5 µg",
    "1000 mcg/mL", "1 mg/mL", "5000 mcg/5 mL", "IM", "intramuscular", "IV", "po", "left deltoid", "thigh",
    "daily", "QOD", "every 3 months", "biweekly", "7 days", "lifelong", "10 doses", "repletion",
    "maintenance", "loading", "cobalt", "none", "N/A", "Leber's disease", "no neurological involvement",
    "a;b", "cobalt; latex", ";", " ; ", "3", "007", "+3", "1_000", "3.0", "-1", "100000", "100001", "",
    "x" * MAX_TEXT, "x" * (MAX_TEXT + 1), "\ud800",
    # Text the slow path reads (doseguard.orders.text): controls, tabs inside, invisible, look-alikes.
    "cyanocobalamin\x00", "1000\x7f mcg", "I\tM", "cobalt\x00; latex", "cyano\u200bcobalamin",
    "\u0441yanocobalamin", "\uff49\uff4d", "1000\u00b9 mcg", "\u200b",
]  # fmt: skip
TEXT = st.builds(
    lambda before, word, after: before + word + after,
    st.sampled_from(PADDING),
    st.sampled_from(WORDS),
    st.sampled_from(PADDING),
)
VALUE = st.one_of(
    TEXT,
    st.none(),
    st.sampled_from(
        [0, 3, -1, 100_000, 100_001, 3.0, 3.5, -0.0, float("nan"), float("inf"), True, False, 1000]
    ),
    st.lists(st.one_of(TEXT, st.sampled_from([None, 3, ""])), max_size=3),
    st.sampled_from([("a",), {"a": 1}, b"1 mL"]),
)
NAMES = st.sampled_from([*RECORD_FIELDS, "dosage", "notes"])
REQUIRED = {"order_id": "ORD-1", "patient_id": "PT-1", "drug": "cyanocobalamin"}
RECORDS = st.one_of(
    st.dictionaries(NAMES, VALUE, max_size=8).map(lambda fields: {**REQUIRED, **fields}),
    st.dictionaries(NAMES, VALUE, max_size=6),
    st.dictionaries(st.sampled_from(TEXT_FIELDS), TEXT, max_size=12).map(
        lambda fields: {**REQUIRED, **fields}
    ),
)


def validated(raw: Any) -> OrderRecord | None:
    try:
        return OrderRecord.model_validate(raw)
    except ValidationError:
        return None


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RECORDS)
def test_a_plain_record_is_what_order_record_gives(raw: dict[str, Any]) -> None:
    plain = plain_record(raw)
    if plain is None:
        return
    record = validated(raw)
    assert record is not None, "the fast path took a record OrderRecord refuses"
    assert not record.model_extra
    for name in RECORD_FIELDS:
        assert getattr(plain, name) == getattr(record, name), name
        assert type(getattr(plain, name)) is type(getattr(record, name)), name


def outcome(raw: Any) -> Any:
    try:
        order = OrderNormaliser(DRUG_NAMES).normalise(raw)
    except InvalidOrderError as error:
        return "invalid", [(p.field, p.message, repr(p.value)) for p in error.problems]
    return "valid", order


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RECORDS)
def test_normalising_with_and_without_the_fast_path_agrees(raw: dict[str, Any]) -> None:
    fast = outcome(raw)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(normalise, "plain_record", lambda _: None)
        slow = outcome(raw)
    assert fast == slow


@pytest.mark.parametrize(
    "raw",
    [
        {"order_id": "O", "patient_id": "P", "drug": "b12", "dose": " 1000 mcg ", "administrations_given": 3},
        {"order_id": "O", "patient_id": "P", "drug": "b12", "red_flags": "a; ;b", "allergies": [" x ", ""]},
        {"order_id": "O", "patient_id": "P", "drug": "b12", "administrations_given": "007", "site": "  "},
        {"order_id": "O", "patient_id": "P", "drug": "b12", "administrations_given": 4.0, "conditions": None},
        {"order_id": "O", "patient_id": "P", "drug": "b12", "route": "IM\n", "site": "\tdeltoid"},
    ],
)
def test_typical_records_take_the_fast_path(raw: dict[str, Any]) -> None:
    plain = plain_record(raw)
    assert plain is not None
    assert plain == PlainRecord(
        **{name: getattr(OrderRecord.model_validate(raw), name) for name in RECORD_FIELDS}
    )


@pytest.mark.parametrize(
    "raw",
    [
        {"order_id": "O", "patient_id": "P"},  # drug missing
        {"order_id": "O", "patient_id": "P", "drug": " "},  # drug blank
        {"order_id": 7, "patient_id": "P", "drug": "b12"},  # a number: OrderRecord makes it text
        {"order_id": "O", "patient_id": "P", "drug": "b12", "dosage": "1 mg"},  # unknown: a warning
        {"order_id": "O", "patient_id": "P", "drug": "b12", "dose": "5 µg"},  # not ASCII
        {"order_id": "O", "patient_id": "P", "drug": "b12", "dose": "\x1c1 mg"},  # stripped differently
        {"order_id": "O", "patient_id": "P", "drug": "b12", "dose": 1000},  # a number without a unit
        {"order_id": "O", "patient_id": "P", "drug": "b12", "administrations_given": 100_001},
        {"order_id": "O", "patient_id": "P", "drug": "b12", "administrations_given": True},
        {"order_id": "O", "patient_id": "P", "drug": "b12", "administrations_given": " 3"},
        {"order_id": "O", "patient_id": "P", "drug": "b12", "route": "x" * (MAX_TEXT + 1)},
        {"order_id": "O", "patient_id": "P", "drug": "b12", "allergies": ["cobalt", 3]},
        {"order_id": "O", "patient_id": "P", "drug": "b12", "allergies": ("cobalt",)},
        # Not printable: the normaliser reads it (and refuses a control character) on the slow path.
        {"order_id": "O", "patient_id": "P", "drug": "b12\x00"},
        {"order_id": "O", "patient_id": "P", "drug": "b12", "route": "I\tM"},
        {"order_id": "O", "patient_id": "P", "drug": "b12", "allergies": "cobalt\x00; latex"},
        {"order_id": "O", "patient_id": "P", "drug": "b12", "allergies": ["cobalt\x7f"]},
    ],
)
def test_other_records_are_left_to_order_record(raw: dict[str, Any]) -> None:
    assert plain_record(raw) is None


def test_the_fast_path_knows_every_field_of_the_record() -> None:
    assert {*TEXT_FIELDS, "administrations_given", *LIST_FIELDS} == set(RECORD_FIELDS)
    assert [*RECORD_FIELDS, "model_extra"] == list(PlainRecord.__dataclass_fields__)
    assert model.MAX_ADMINISTRATIONS == 100_000
