"""Gherkin steps for the patient behind a scenario's order: weight, height, age, sex, renal function,
pregnancy.

Each sets a patient field of the scenario's order record (the ``order`` fixture of
:mod:`doseguard.testing.steps`), as an order column or a patients file would carry it, so they follow
an order step and work in a Background. The value is written as a pharmacist writes it ("80 kg",
"176 lb", "25 mL/min") and read by the order's own reader: a value doseguard refuses makes the order
invalid, as it would in a batch.
"""

from __future__ import annotations

from typing import Any

import pytest
from pytest_bdd import given, parsers

_RECORDED = {
    "weight": "weight_kg",
    "height": "height_cm",
    "age": "age_years",
    "birth date": "birth_date",
    "sex": "sex",
    "creatinine clearance": "creatinine_clearance_ml_min",
    "egfr": "egfr",
    "pregnancy status": "pregnant",
}
"""Each patient fact by the words a step uses for it."""
_FACT = r"(?P<fact>weight|height|age|birth date|sex|creatinine clearance|eGFR|pregnancy status)"


def _patient(order: Any) -> dict[str, Any]:
    if not isinstance(order, dict):
        pytest.fail(f"the order is not an object of fields: {order!r}", pytrace=False)
    return order


@given(parsers.re(r"the patient weighs (?P<weight>\S.*)"))
def patient_weighs(order: Any, weight: str) -> None:
    _patient(order)["weight_kg"] = weight


@given(parsers.re(r"the patient is (?P<years>\d+(?:\.\d+)?) years old"))
def patient_age(order: Any, years: str) -> None:
    _patient(order)["age_years"] = years


@given(parsers.re(r"the patient is (?P<sex>female|male)"))
def patient_sex(order: Any, sex: str) -> None:
    _patient(order)["sex"] = sex


@given(parsers.re(r"the patient is (?P<negation>not )?pregnant"))
def patient_pregnant(order: Any, negation: str | None) -> None:
    _patient(order)["pregnant"] = "no" if negation else "yes"


@given(parsers.re(r"the patient was born on (?P<born>\d{4}-\d{2}-\d{2})"))
def patient_born(order: Any, born: str) -> None:
    _patient(order)["birth_date"] = born


@given(parsers.re(rf"the patient's {_FACT} is not recorded"))
def patient_fact_not_recorded(order: Any, fact: str) -> None:
    """The fact is absent: rules that need it are not evaluated, and say so."""
    _patient(order).pop(_RECORDED[fact.lower()], None)


@given(
    parsers.re(
        r"the patient's (?P<fact>weight|height|creatinine clearance|eGFR) is (?!not recorded$)(?P<value>\S.*)"
    )
)
def patient_measure(order: Any, fact: str, value: str) -> None:
    """ "the patient's height is 180 cm", "... creatinine clearance is 25 mL/min", "... eGFR is 40
    mL/min/1.73m2"."""
    _patient(order)[_RECORDED[fact.lower()]] = value
