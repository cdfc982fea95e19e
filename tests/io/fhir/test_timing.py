"""A Dosage's Timing read as the same facts as the order written by hand: a timing code without
``repeat``, a count of one dose (a one-time order), the days of the week."""

from __future__ import annotations

from typing import Any

import pytest

from doseguard.io.fhir import medication_request_to_record
from doseguard.orders.normalise import OrderNormaliser

V3_TIMING = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"
NORMALISER = OrderNormaliser({"cyanocobalamin": "cyanocobalamin"})
HAND: dict[str, Any] = {
    "order_id": "MR-1",
    "patient_id": "PT-9",
    "drug": "cyanocobalamin",
    "dose": "1000 mcg",
}


def request(timing: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": "MR-1",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"text": "cyanocobalamin"},
        "subject": {"reference": "Patient/PT-9"},
        "dosageInstruction": [
            {"timing": timing, "doseAndRate": [{"doseQuantity": {"value": 1000, "unit": "mcg"}}]}
        ],
    }


def facts(timing: dict[str, Any]) -> dict[str, Any]:
    order = NORMALISER.normalise(medication_request_to_record(request(timing)))
    return order.facts


def hand_facts(**fields: str) -> dict[str, Any]:
    return NORMALISER.normalise({**HAND, **fields}).facts


SCHEDULE = ("interval_days", "interval_max_days", "duration_days", "single_dose")


def schedule(found: dict[str, Any]) -> dict[str, Any]:
    return {name: found[name] for name in SCHEDULE if name in found}


@pytest.mark.parametrize(
    ("code", "written"),
    [
        ("QD", "daily"), ("QOD", "every other day"), ("BID", "twice daily"), ("TID", "three times a day"),
        ("QID", "four times a day"), ("AM", "daily"), ("PM", "daily"), ("BED", "daily"), ("Q1H", "hourly"),
        ("Q2H", "every 2 hours"), ("Q3H", "every 3 hours"), ("Q4H", "every 4 hours"),
        ("Q6H", "every 6 hours"), ("Q8H", "every 8 hours"), ("WK", "weekly"), ("MO", "monthly"),
    ],
)  # fmt: skip
def test_each_timing_abbreviation_without_repeat_is_its_written_frequency(code: str, written: str) -> None:
    coded = facts({"code": {"coding": [{"system": V3_TIMING, "code": code}]}})
    assert schedule(coded) == schedule(hand_facts(frequency=written))
    assert "notation_tokens" not in coded, "a code is not handwriting"


@pytest.mark.parametrize(
    "timing",
    [
        {"repeat": {"count": 1}},
        {"repeat": {"count": 1, "frequency": 1, "period": 1, "periodUnit": "d"}},
        {"repeat": {"count": 1, "frequency": 1, "period": 1, "periodUnit": "mo"}},
        {"code": {"text": "ONCE"}},
        {"code": {"text": "STAT"}},
        {"code": {"coding": [{"code": "ONCE"}]}},
        {"code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0335", "code": "Once"}]}},
        {"code": {"text": "once"}, "repeat": {"count": 1}},
    ],
)
def test_one_dose_is_a_one_time_order_as_once_is_by_hand(timing: dict[str, Any]) -> None:
    assert schedule(facts(timing)) == schedule(hand_facts(frequency="once")) == {"single_dose": True}


@pytest.mark.parametrize(
    ("repeat", "written"),
    [
        ({"dayOfWeek": ["mon", "wed", "fri"]}, "Mon/Wed/Fri"),
        ({"period": 1, "periodUnit": "wk", "dayOfWeek": ["mon", "wed", "fri"]}, "MWF"),
        ({"frequency": 1, "period": 1, "periodUnit": "d", "dayOfWeek": ["mon", "wed", "fri"]}, "M/W/F"),
        ({"dayOfWeek": ["tue", "thu"]}, "Tue/Thu"),
        ({"dayOfWeek": ["mon"]}, "every Monday"),
    ],
)
def test_days_of_the_week_are_the_days_written_by_hand(repeat: dict[str, Any], written: str) -> None:
    assert schedule(facts({"repeat": repeat})) == schedule(hand_facts(frequency=written))


def test_a_count_of_ten_is_a_regular_plan_of_ten_doses() -> None:
    coded = facts({"repeat": {"count": 10, "frequency": 1, "period": 2, "periodUnit": "d"}})
    assert schedule(coded) == schedule(hand_facts(frequency="every other day", duration="10 doses"))
    assert "single_dose" not in coded
