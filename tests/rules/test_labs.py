"""The lab catalogue: every result in its test's one unit, and only results a patient can have."""

from __future__ import annotations

import math

import pytest

from doseguard.errors import LabValueError
from doseguard.rules.labs import TESTS, convert, lab_test


def test_a_value_in_another_unit_is_converted() -> None:
    haemoglobin = lab_test("Hgb")
    assert haemoglobin is not None
    assert convert(haemoglobin, 125, "g/L") == pytest.approx(12.5)


@pytest.mark.parametrize(
    ("test", "value", "unit"),
    [("haemoglobin", 1e300, "g/dL"), ("haemoglobin", -5, "g/dL"), ("haemoglobin", 1e-7, "g/dL"),
     ("haemoglobin", 125, "g/dL"), ("potassium", 45, "mmol/L"), ("mcv", 9000, "fL"),
     ("reticulocytes", -1, "%"), ("b12", -200, "pg/mL"), ("egfr", 1e9, "")],
)  # fmt: skip
def test_a_value_no_patient_can_have_is_refused_naming_the_range(test: str, value: float, unit: str) -> None:
    catalogued = lab_test(test)
    assert catalogued is not None
    with pytest.raises(LabValueError) as raised:
        convert(catalogued, value, unit)
    assert raised.value.field == "value"
    low, high = catalogued.limits
    assert f"{low:g} to {high:g}" in str(raised.value)


@pytest.mark.parametrize("test", TESTS, ids=lambda t: t.name)
def test_every_test_has_a_range_in_its_own_unit(test: object) -> None:
    low, high = test.limits  # type: ignore[attr-defined]
    assert 0 <= low < high < math.inf


@pytest.mark.parametrize(
    ("test", "value", "unit"),
    [("haemoglobin", 3.1, "g/dL"), ("haemoglobin", 22, "g/dL"), ("potassium", 2.1, "mmol/L"),
     ("potassium", 8.5, "mmol/L"), ("reticulocytes", 0, "%"), ("b12", 80, "pg/mL"), ("b12", 4000, "pg/mL"),
     ("mcv", 130, "fL"), ("platelets", 1800, "10^9/L"), ("creatinine", 15, "mg/dL")],
)  # fmt: skip
def test_extreme_but_real_results_are_read(test: str, value: float, unit: str) -> None:
    catalogued = lab_test(test)
    assert catalogued is not None
    assert convert(catalogued, value, unit) == pytest.approx(value)
