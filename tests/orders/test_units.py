"""A quantity whose unit is in a field of its own (an export's HV_DISCRETE_DOSE + DOSE_UNIT columns)."""

from __future__ import annotations

from typing import Any

import pytest

from doseguard.errors import InvalidOrderError
from doseguard.orders.normalise import OrderNormaliser

BASE: dict[str, Any] = {"order_id": "O-1", "patient_id": "P-1", "drug": "cyanocobalamin"}


def facts(**fields: Any) -> dict[str, Any]:
    return OrderNormaliser({"cyanocobalamin": "cyanocobalamin"}).normalise({**BASE, **fields}).facts


def problems(**fields: Any) -> dict[str | None, str]:
    with pytest.raises(InvalidOrderError) as caught:
        OrderNormaliser({"cyanocobalamin": "cyanocobalamin"}).normalise({**BASE, **fields})
    return {problem.field: problem.message for problem in caught.value.problems}


@pytest.mark.parametrize(
    ("fields", "fact", "value"),
    [
        ({"dose": "1000", "dose_unit": "mcg"}, "dose_mcg", 1000),
        ({"dose": "1", "dose_unit": "mg"}, "dose_mcg", 1000),
        ({"dose": "1,000", "dose_unit": "MCG"}, "dose_mcg", 1000),
        ({"dose": 1000, "dose_unit": "mcg"}, "dose_mcg", 1000),  # a JSON number beside its unit
        ({"dose": 1000.0, "dose_unit": "mcg"}, "dose_mcg", 1000),
        ({"dose": "1000 mcg", "dose_unit": "mcg"}, "dose_mcg", 1000),  # the same unit said twice
        ({"dose": "1 MG", "dose_unit": "mg"}, "dose_mcg", 1000),
        ({"volume": "1", "volume_unit": "mL"}, "volume_ml", 1),
        ({"volume": "0.5", "volume_unit": "ml"}, "volume_ml", 0.5),
        ({"concentration": "1000", "concentration_unit": "mcg/mL"}, "concentration_mcg_per_ml", 1000),
        (
            {"product_concentration": "1", "product_concentration_unit": "mg/mL"},
            "product_concentration_mcg_per_ml",
            1000,
        ),
    ],
)
def test_a_value_and_its_unit_field_are_one_quantity(fields: dict[str, Any], fact: str, value: float) -> None:
    assert facts(**fields)[fact] == value


def test_a_float_read_with_its_unit_is_not_a_trailing_zero() -> None:
    """1000.0 from a JSON export is the number 1000, not the text "1000.0" (a notation finding)."""
    assert "trailing_zero_quantities" not in facts(dose=1000.0, dose_unit="mcg")


@pytest.mark.parametrize(
    ("fields", "field", "said"),
    [
        ({"dose_unit": "mcg"}, "dose_unit", "a unit without a value: the dose is not stated"),
        ({"dose": "", "dose_unit": "mcg"}, "dose_unit", "a unit without a value"),
        ({"volume_unit": "mL"}, "volume_unit", "the volume is not stated"),
        ({"dose": "1 mg", "dose_unit": "mcg"}, "dose", "carries a unit of its own, but dose_unit says 'mcg'"),
        ({"dose": "10 mg", "dose_unit": "g"}, "dose", "carries a unit of its own"),
        ({"dose": "1000", "dose_unit": "mL"}, "dose", "'ml' is a volume unit"),
        ({"dose": "1000", "dose_unit": "tablet"}, "dose", "unknown unit"),
    ],
)
def test_a_unit_that_cannot_go_with_its_value_is_the_orders_problem(
    fields: dict[str, Any], field: str, said: str
) -> None:
    assert said in problems(**fields)[field]


def test_an_empty_unit_field_leaves_the_value_as_written() -> None:
    assert problems(dose="1000", dose_unit="")["dose"].startswith("'1000' has no unit")
