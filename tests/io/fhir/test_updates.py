"""A finding's fix written into its MedicationRequest: a new resource, the corrected dose where the
FHIR reader reads it, so that read back it gives the fixed value and the rule no longer fires."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doseguard import Checker, load_rules
from doseguard.errors import FixNotWritableError
from doseguard.io.fhir import fhir_record
from doseguard.io.fhir.updates import DOSE_QUANTITY, updated_medication_request
from doseguard.orders.normalise import OrderNormaliser
from doseguard.rules.loader import bundled_rules_dir
from tests.helpers.fhir_orders import medication_request, quantity
from tests.helpers.rule_files import write_pack

NORMALISER = OrderNormaliser(load_rules([bundled_rules_dir() / "b12"]).drugs)


def facts(resource: dict[str, Any]) -> dict[str, Any]:
    record = fhir_record("t:1", resource)
    assert not record.problems, record.problems
    return dict(NORMALISER.normalise(record.data).facts)


def dose_quantity(resource: dict[str, Any]) -> Any:
    return resource["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]


def test_a_dose_fix_is_written_in_ucum_into_a_new_resource() -> None:
    original = medication_request(quantity(1, "mg"))
    before = copy.deepcopy(original)
    updated = updated_medication_request(original, [("dose_mcg", 500.0)])
    assert original == before  # the input is untouched
    assert dose_quantity(updated) == {
        "value": 500,
        "unit": "mcg",
        "system": "http://unitsofmeasure.org",
        "code": "ug",
    }
    assert {k: v for k, v in updated.items() if k != "dosageInstruction"} == {
        k: v for k, v in before.items() if k != "dosageInstruction"
    }
    assert facts(updated)["dose_mcg"] == 500
    assert facts(updated)["volume_ml"] == 0.5


def test_no_fixes_is_a_copy_of_the_resource() -> None:
    original = medication_request()
    updated = updated_medication_request(original, [])
    assert updated == original and updated is not original


@settings(max_examples=60, deadline=None)
@given(
    mcg=st.integers(min_value=1, max_value=5_000_000).map(lambda n: n / 1000),
    stated=st.sampled_from([quantity(1000, "ug"), quantity(1, "mg"), quantity(2, "mL")]),
)
def test_a_dose_read_back_is_the_fixed_dose(mcg: float, stated: dict[str, Any]) -> None:
    updated = updated_medication_request(medication_request(stated), [("dose_mcg", mcg)])
    read = facts(updated)
    assert read["dose_mcg"] == mcg
    assert read["volume_ml"] == pytest.approx(mcg / 1000, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(ml=st.integers(min_value=1, max_value=50_000).map(lambda n: n / 10_000))
def test_a_volume_read_back_is_the_fixed_volume(ml: float) -> None:
    updated = updated_medication_request(medication_request(quantity(2, "mL")), [("volume_ml", ml)])
    assert facts(updated)["volume_ml"] == ml
    assert "dose_mcg" not in facts(updated)  # a dose in mL states the volume only, as before


def test_the_rule_no_longer_fires_on_the_updated_order(tmp_path: Path) -> None:
    """The whole trip: the rule fires on the FHIR order, its fix is written in, the order read back
    passes (a test rule whose fix is a dose: a volume rule cannot fire on FHIR input, whose volume is
    derived from its dose and the product's strength)."""
    write_pack(
        tmp_path / "pack",
        """\
        rules:
          - id: TEST-DOSE-STEP
            title: A dose off the 100 mcg steps of the syringe
            severity: warning
            description: A test rule.
            references: [a source]
            parameters: {step: 100}
            when: dose_mcg > step and dose_mcg < step * 2
            message: "{dose_mcg} mcg"
            fix:
              dose_mcg: step
        """,
    )
    checker = Checker(load_rules([tmp_path / "pack"]))
    original = medication_request(quantity(0.15, "mg"))
    (finding,) = checker.check(fhir_record("t:1", original)).findings
    assert finding.fixes == (("dose_mcg", 100.0),)
    updated = updated_medication_request(original, finding.fixes)
    assert checker.check(fhir_record("t:1", updated)).findings == ()


def test_a_volume_over_a_dose_stated_as_a_mass_is_refused() -> None:
    with pytest.raises(FixNotWritableError) as caught:
        updated_medication_request(medication_request(), [("volume_ml", 0.5)])
    assert caught.value.field == "volume_ml"
    assert caught.value.path == DOSE_QUANTITY
    assert "erase the dose" in str(caught.value)


@pytest.mark.parametrize(
    ("resource", "fixes", "said"),
    [
        (medication_request(), [("dose_mcg", 500.0), ("volume_ml", 0.5)], "one fix at a time"),
        (medication_request(), [("route", "IM")], "route is not a dose this update writes"),
        (medication_request(), [("dose_mcg", 0.0)], "not an amount"),
        ({"resourceType": "Patient"}, [("dose_mcg", 500.0)], "not a MedicationRequest"),
        (
            {**medication_request(), "dosageInstruction": [{}, {}]},
            [("dose_mcg", 500.0)],
            "one dosage instruction is needed",
        ),
    ],
)
def test_what_cannot_be_written_back_is_said(
    resource: dict[str, Any], fixes: list[tuple[str, Any]], said: str
) -> None:
    with pytest.raises(FixNotWritableError, match=said):
        updated_medication_request(resource, fixes)


def test_a_resource_without_a_dose_gets_one_where_the_reader_reads_it() -> None:
    original = {
        **medication_request(),
        "dosageInstruction": [{"route": medication_request()["dosageInstruction"][0]["route"]}],
    }
    updated = updated_medication_request(original, [("dose_mcg", 1000.0)])
    assert facts(updated)["dose_mcg"] == 1000
    assert "doseAndRate" not in original["dosageInstruction"][0]


@pytest.mark.parametrize(
    ("field", "value", "code", "read_as"),
    [("dose_mg", 0.5, "mg", ("dose_mcg", 500)), ("dose_units", 5000.0, "[iU]", ("dose_units", 5000))],
)
def test_a_dose_in_mg_or_in_units_is_written_in_its_ucum_code(
    field: str, value: float, code: str, read_as: tuple[str, float]
) -> None:
    updated = updated_medication_request(medication_request(), [(field, value)])
    assert dose_quantity(updated)["code"] == code
    name, amount = read_as
    assert facts(updated)[name] == amount
