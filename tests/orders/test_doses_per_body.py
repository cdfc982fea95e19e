"""Doses written per kg of body weight or per m² of body surface ("1 mg/kg", "75 mg/m²")."""

from __future__ import annotations

import pytest

from doseguard.errors import QuantityError
from doseguard.orders.quantities import parse_per_body


@pytest.mark.parametrize(
    ("text", "fact", "value"),
    [
        ("1 mg/kg", "dose_mg_per_kg", 1.0),
        ("1.5 mg/kg", "dose_mg_per_kg", 1.5),
        ("1.5mg/kg", "dose_mg_per_kg", 1.5),
        ("1 mg per kg", "dose_mg_per_kg", 1.0),
        ("1 mg/kg/dose", "dose_mg_per_kg", 1.0),
        ("100 mcg/kg", "dose_mg_per_kg", 0.1),
        ("100 units/kg", "dose_units_per_kg", 100.0),
        ("80 IU/kg", "dose_units_per_kg", 80.0),
        ("75 mg/m2", "dose_mg_per_m2", 75.0),
        ("75 mg/m²", "dose_mg_per_m2", 75.0),
        ("75 mg/m^2", "dose_mg_per_m2", 75.0),
    ],
)
def test_a_dose_per_body_weight_or_surface_is_read(text: str, fact: str, value: float) -> None:
    dose = parse_per_body(text)
    assert dose is not None
    assert (dose.fact, dose.quantity.value) == (fact, value)


def test_a_dose_per_kg_keeps_its_notation() -> None:
    dose = parse_per_body("1.0 ug/kg")
    assert dose is not None
    assert dose.quantity.trailing_zero
    assert "ug" in dose.quantity.notation
    assert dose.quantity.ordered == (1.0, "mcg/kg")
    units = parse_per_body("100 IU/kg")
    assert units is not None and "iu" in units.quantity.notation


@pytest.mark.parametrize("text", ["1 mg", "1000 mcg", "5000 units", "1 mg/mL", "kg"])
def test_a_dose_not_per_body_is_none(text: str) -> None:
    assert parse_per_body(text) is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("1 mg/kg/day", "daily dose"),
        ("0 mg/kg", "greater than zero"),
        ("-1 mg/kg", "cannot be negative"),
        ("1 mL/kg", "volume unit"),
        ("100 units/m2", "per kg, not per m²"),
    ],
)
def test_a_dose_per_body_that_cannot_be_used_is_refused(text: str, words: str) -> None:
    with pytest.raises(QuantityError, match=words):
        parse_per_body(text)
