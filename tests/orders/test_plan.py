"""Frequency and duration together as the facts of the plan: a one-time order, a frequency that
carries its duration, and the two fields that disagree."""

from __future__ import annotations

from typing import Any

import pytest

from doseguard.errors import InvalidOrderError
from doseguard.orders.normalise import OrderNormaliser
from doseguard.vocabulary import VOCABULARY, FieldType

BASE: dict[str, Any] = {"order_id": "O-1", "patient_id": "P-1", "drug": "cyanocobalamin"}
SCHEDULE = ("interval_days", "interval_max_days", "duration_days", "duration_open_ended", "single_dose")


def schedule(**fields: Any) -> dict[str, Any]:
    facts = OrderNormaliser({"cyanocobalamin": "cyanocobalamin"}).normalise({**BASE, **fields}).facts
    return {name: facts[name] for name in SCHEDULE if name in facts}


def problems_of(**fields: Any) -> dict[str, str]:
    with pytest.raises(InvalidOrderError) as info:
        OrderNormaliser({"cyanocobalamin": "cyanocobalamin"}).normalise({**BASE, **fields})
    return {problem.field: problem.message for problem in info.value.problems}


def test_single_dose_is_a_bool_fact_with_a_description() -> None:
    spec = VOCABULARY["single_dose"]
    assert spec.type is FieldType.BOOL
    assert "one-time" in spec.description
    assert "interval_days" in spec.description


@pytest.mark.parametrize(
    "frequency",
    ["once", "ONCE", "STAT", "x1", "one time", "single dose", "once only", "one dose", "now", "one-off"],
)
def test_a_one_time_order_is_a_single_dose_with_no_interval_and_needs_no_duration(frequency: str) -> None:
    assert schedule(frequency=frequency) == {"single_dose": True}


@pytest.mark.parametrize(
    ("frequency", "duration", "expected"),
    [
        ("once", "1 dose", {"single_dose": True}),
        ("STAT", "x1", {"single_dose": True}),
        ("once", "single dose", {"single_dose": True}),
        ("once", "1 day", {"single_dose": True, "duration_days": 1.0}),
        ("weekly", "1 dose", {"single_dose": True}),
        ("daily", "x1", {"single_dose": True}),
        (None, "1 dose", {"single_dose": True}),
        (None, "single dose", {"single_dose": True}),
        ("once x1", None, {"single_dose": True}),
    ],
)
def test_one_dose_whichever_field_says_it(
    frequency: str | None, duration: str | None, expected: dict[str, Any]
) -> None:
    fields = {name: value for name, value in (("frequency", frequency), ("duration", duration)) if value}
    assert schedule(**fields) == expected


@pytest.mark.parametrize(
    ("frequency", "duration"),
    [("once", "x 10 doses"), ("STAT", "10 doses"), ("once", "2 weeks"), ("x1", "lifelong"), ("now", "x 4")],
)
def test_a_one_time_order_with_a_longer_plan_is_refused_naming_the_frequency(
    frequency: str, duration: str
) -> None:
    found = problems_of(frequency=frequency, duration=duration)
    assert list(found) == ["frequency"]
    assert "is one dose, but the plan is" in found["frequency"]
    assert "write how often" in found["frequency"]


@pytest.mark.parametrize(
    ("frequency", "expected"),
    [
        ("weekly x4", {"interval_days": 7.0, "interval_max_days": 7.0, "duration_days": 28.0}),
        ("daily x 7 days", {"interval_days": 1.0, "interval_max_days": 1.0, "duration_days": 7.0}),
        ("every other day x 7 doses", {"interval_days": 2.0, "interval_max_days": 2.0, "duration_days": 14.0}),
        ("monthly lifelong", {"interval_days": 30.0, "interval_max_days": 30.0, "duration_days": 36500.0,
                              "duration_open_ended": True}),
    ],
)  # fmt: skip
def test_a_frequency_that_carries_its_duration_gives_both(frequency: str, expected: dict[str, Any]) -> None:
    assert schedule(frequency=frequency) == expected


@pytest.mark.parametrize(
    ("frequency", "duration"),
    [("weekly x4", "4 doses"), ("daily x 7 days", "7 days"), ("daily x 7 days", "1 week")],
)
def test_the_same_duration_in_both_fields_is_accepted(frequency: str, duration: str) -> None:
    assert "duration_days" in schedule(frequency=frequency, duration=duration)


@pytest.mark.parametrize(
    ("frequency", "duration"),
    [("weekly x4", "8 weeks"), ("daily x 7 days", "10 days"), ("monthly x 3", "lifelong")],
)
def test_two_different_durations_are_refused_naming_the_frequency(frequency: str, duration: str) -> None:
    found = problems_of(frequency=frequency, duration=duration)
    assert list(found) == ["frequency"]
    assert "write the duration once" in found["frequency"]


def test_a_regular_order_keeps_its_interval_and_duration() -> None:
    assert schedule(frequency="MWF", duration="2 weeks") == {
        "interval_days": 2.333333,
        "interval_max_days": 2.333333,
        "duration_days": 14.0,
    }


def test_a_dose_count_without_a_frequency_still_needs_one() -> None:
    assert "counts doses, so the order needs a frequency" in problems_of(duration="10 doses")["duration"]
