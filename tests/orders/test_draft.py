"""The order draft: the normaliser takes text (parsed, keeping what was written) or structured values
(taken as they are, range-checked with the same words, never read as notation)."""

from __future__ import annotations

from typing import Any

import pytest

from doseguard.errors import InvalidOrderError
from doseguard.orders.draft import (
    STRUCTURED,
    STRUCTURED_FIELDS,
    StructuredDuration,
    StructuredFrequency,
    StructuredQuantity,
)
from doseguard.orders.normalise import OrderNormaliser, unread_keys
from doseguard.orders.quantities import parse_mass, parse_volume
from doseguard.orders.schedule import parse_duration, parse_frequency

IDS = {"order_id": "O-1", "patient_id": "P-1", "drug": "cyanocobalamin"}


def problems(record: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidOrderError) as info:
        OrderNormaliser().normalise(record)
    return {problem.field: problem.message for problem in info.value.problems}


def test_text_parses_into_values_that_keep_what_was_written() -> None:
    assert parse_mass("1000 ug").written == "1000 ug"
    assert parse_frequency("QD").written == "QD"
    assert parse_duration("2 weeks").written == "2 weeks"
    assert StructuredQuantity(1000.0, "1000 mcg").written is STRUCTURED


def test_structured_values_are_taken_as_they_are_and_never_read_as_notation() -> None:
    record = {
        **IDS,
        "dose": StructuredQuantity(1000.0, "1000 ug"),
        "volume": StructuredQuantity(1.0, "1.0 mL"),
        "frequency": StructuredFrequency(1.0, "QD"),
        "duration": StructuredDuration(14.0, "2 weeks"),
    }
    facts = OrderNormaliser().normalise(record).facts
    assert facts == {
        "drug": "cyanocobalamin",
        "dose_mcg": 1000.0,
        "dose_mg": 1.0,
        "volume_ml": 1.0,
        "interval_days": 1.0,
        "interval_max_days": 1.0,
        "duration_days": 14.0,
    }  # no notation_tokens, trailing_zero_quantities: what a text "1.0 mL", "ug" or "QD" would give


def test_the_same_text_written_gives_notation() -> None:
    record = {**IDS, "dose": "1000 ug", "volume": "1.0 mL", "frequency": "QD", "duration": "2 weeks"}
    facts = OrderNormaliser().normalise(record).facts
    assert facts["notation_tokens"] == ["ug", "ml", "qd"]
    assert facts["trailing_zero_quantities"] == ["1.0 mL"]


def test_structured_values_out_of_range_are_refused_in_the_words_of_text() -> None:
    structured = problems(
        {
            **IDS,
            "volume": StructuredQuantity(2e9, "2000000000 mL"),
            "frequency": StructuredFrequency(36500.0, "every 36500 days"),
            "duration": StructuredDuration(None, "20000 doses", doses=20000),
        }
    )
    text = problems(
        {**IDS, "volume": "2000000000 mL", "frequency": "every 36500 days", "duration": "20000 doses"}
    )
    assert structured == text
    with pytest.raises(ValueError, match="out of any plausible range"):
        parse_volume("2000000000 mL")


def test_a_count_of_doses_needs_a_frequency_structured_or_not() -> None:
    structured = problems({**IDS, "duration": StructuredDuration(None, "10 doses", doses=10)})
    assert structured == problems({**IDS, "duration": "10 doses"})
    facts = (
        OrderNormaliser()
        .normalise(
            {
                **IDS,
                "frequency": StructuredFrequency(7.0, "weekly"),
                "duration": StructuredDuration(None, "3 doses", doses=3),
            }
        )
        .facts
    )
    assert facts["duration_days"] == 21.0


def test_values_are_rounded_as_facts_carry_them() -> None:
    facts = (
        OrderNormaliser()
        .normalise(
            {
                **IDS,
                "volume": StructuredQuantity(0.33333333, "0.333333 mL"),
                "frequency": StructuredFrequency(7 / 3, "x"),
            }
        )
        .facts
    )
    assert (facts["volume_ml"], facts["interval_days"]) == (0.333333, 2.333333)


def test_a_record_that_is_not_plain_keeps_its_structured_values() -> None:
    """Non-ASCII text and unknown fields go through the full validation, which takes text only."""
    record = {
        **IDS,
        "drug": "Cyanocobalamin\u00a0",
        "dose": StructuredQuantity(500.0, "500 mcg"),
        "note": "x",
    }
    order = OrderNormaliser().normalise(record)
    assert order.facts["dose_mcg"] == 500.0
    assert unread_keys(record) == ("note",)  # named once by a batch, not warned of in each result


@pytest.mark.parametrize("field", ["route", "site", "phase", "drug", "administrations_given"])
def test_a_structured_value_where_text_belongs_is_refused(field: str) -> None:
    assert field in problems({**IDS, field: StructuredQuantity(1.0, "1 mL")})


def test_a_structured_value_of_another_field_is_refused() -> None:
    assert "dose" in problems({**IDS, "dose": StructuredFrequency(1.0, "daily")})
    assert set(STRUCTURED_FIELDS) == {
        "dose",
        "volume",
        "concentration",
        "product_concentration",
        "frequency",
        "duration",
    }


def test_structured_values_compare_by_value() -> None:
    assert StructuredQuantity(1000.0, "1 mg") != StructuredQuantity(1000.0004, "1 mg")
    assert hash(StructuredQuantity(1000.0, "1 mg")) == hash(StructuredQuantity(1000.0, "1 mg"))


def test_values_of_two_kinds_are_never_equal() -> None:
    """Named tuples compare by their fields: the kind tag keeps a quantity from equalling a frequency
    with the same number and text (a cache key would otherwise take one for the other)."""
    assert StructuredQuantity(1.0, "1") != StructuredFrequency(1.0, "1")
    assert StructuredDuration(7.0, "7 days") != StructuredFrequency(7.0, "7 days")
