"""The patient's fields of an order, normalised into facts, and the dose facts that need the patient."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from doseguard.errors import FieldProblem, InvalidOrderError
from doseguard.orders.model import Order
from doseguard.orders.normalise import OrderNormaliser
from doseguard.vocabulary import VOCABULARY, HistoryKind

DRUGS = {"enoxaparin": "enoxaparin", "cyanocobalamin": "cyanocobalamin"}
BASE: dict[str, Any] = {"order_id": "O-1", "patient_id": "P-1", "drug": "enoxaparin"}
MASS_DOSED = ("cyanocobalamin",)  # its rules read dose_mcg, as the checker tells the normaliser


def normalise(**fields: Any) -> Order:
    return OrderNormaliser(DRUGS, MASS_DOSED).normalise({**BASE, **fields})


def problems(**fields: Any) -> list[FieldProblem]:
    with pytest.raises(InvalidOrderError) as info:
        normalise(**fields)
    return info.value.problems


def test_patient_fields_become_facts_in_their_units() -> None:
    order = normalise(
        weight_kg="176 lb", height_cm="5 ft 11 in", age_years="70", sex="F",
        creatinine_clearance_ml_min="25 mL/min", egfr="40 mL/min/1.73m2", pregnant="no",
    )  # fmt: skip
    facts = order.facts
    assert facts["weight_kg"] == 79.832257
    assert facts["height_cm"] == pytest.approx(180.34)
    assert (facts["age_years"], facts["sex"], facts["pregnant"]) == (70.0, "female", False)
    assert (facts["creatinine_clearance_ml_min"], facts["egfr"]) == (25.0, 40.0)
    assert facts["body_surface_area_m2"] == 2.0


def test_json_numbers_and_booleans_are_read_as_the_fact_s_unit() -> None:
    order = normalise(weight_kg=80.5, height_cm=180, age_years=0, pregnant=True, egfr=0)
    assert order.facts["weight_kg"] == 80.5
    assert order.facts["height_cm"] == 180.0
    assert order.facts["age_years"] == 0.0
    assert order.facts["pregnant"] is True
    assert order.facts["egfr"] == 0.0


def test_a_csv_row_of_text_reads_as_the_json_record_does() -> None:
    """The fast path (plain_record) and the validator agree on the new fields."""
    text = normalise(weight_kg="80", ordered_at="2026-03-01")
    json = normalise(weight_kg=80, ordered_at="2026-03-01", allergies=["none"])
    assert text.facts == json.facts
    assert text.ordered_at == json.ordered_at == datetime(2026, 3, 1, tzinfo=UTC)


def test_every_bad_patient_field_is_named() -> None:
    found = problems(weight_kg="8000 kg", height_cm="tall", sex="x", pregnant="maybe", egfr=">90")
    fields = {problem.field for problem in found}
    assert {"weight_kg", "height_cm", "sex", "pregnant", "egfr"} <= fields
    weight = next(p for p in found if p.field == "weight_kg")
    assert "plausible range" in weight.message and weight.value == "8000 kg"


def test_ordered_at_is_on_the_order_and_is_no_fact() -> None:
    order = normalise(ordered_at="2026-03-01T09:00:00+01:00")
    assert order.ordered_at == datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert order.ordered_at is not None and order.ordered_at.utcoffset() is not None
    assert "ordered_at" not in order.facts
    assert normalise().ordered_at is None
    assert [p.field for p in problems(ordered_at="1 March")] == ["ordered_at"]


def test_birth_date_gives_the_age_at_the_order_never_today() -> None:
    order = normalise(birth_date="1956-03-02", ordered_at="2026-03-01T09:00:00Z")
    assert order.facts["age_years"] == 69.0
    assert normalise(birth_date="1956-03-02", ordered_at="2027-03-02").facts["age_years"] == 71.0


def test_without_ordered_at_a_birth_date_gives_no_age_and_says_so() -> None:
    order = normalise(birth_date="1956-03-02")
    assert "age_years" not in order.facts
    assert any("no ordered_at" in warning for warning in order.warnings)


def test_a_stated_age_must_agree_with_the_birth_date() -> None:
    assert (
        normalise(age_years="69", birth_date="1956-03-02", ordered_at="2026-03-01").facts["age_years"] == 69.0
    )
    found = problems(age_years="50", birth_date="1956-03-02", ordered_at="2026-03-01")
    assert [p.field for p in found] == ["age_years"]
    assert "gives 69" in found[0].message


def test_a_birth_date_after_the_order_is_refused() -> None:
    assert [p.field for p in problems(birth_date="2026-03-02", ordered_at="2026-03-01")] == ["birth_date"]


# --- doses relative to the patient -------------------------------------------------------------------


def test_an_absolute_dose_gives_its_dose_in_mg_and_per_kg() -> None:
    facts = normalise(dose="80 mg", weight_kg="80 kg", height_cm="180 cm").facts
    assert (facts["dose_mcg"], facts["dose_mg"], facts["dose_mg_per_kg"]) == (80000.0, 80.0, 1.0)
    assert facts["dose_mg_per_m2"] == 40.0
    assert "dose_mg_per_kg" not in normalise(dose="40 mg").facts
    assert normalise(dose="40 mg").facts["dose_mg"] == 40.0


def test_a_dose_per_kg_with_a_weight_gives_the_absolute_dose() -> None:
    order = normalise(dose="1.5 mg/kg", weight_kg="80 kg")
    assert order.facts["dose_mg_per_kg"] == 1.5
    assert (order.facts["dose_mcg"], order.facts["dose_mg"]) == (120000.0, 120.0)
    assert order.as_ordered == ()  # the dose was not stated in mg: messages do not say it was


def test_a_dose_per_kg_without_a_weight_has_no_absolute_dose() -> None:
    facts = normalise(dose="1 mg/kg").facts
    assert facts["dose_mg_per_kg"] == 1.0
    assert "dose_mcg" not in facts and "dose_mg" not in facts


def test_a_dose_in_units_per_kg() -> None:
    facts = normalise(dose="100 units/kg", weight_kg="80").facts
    assert (facts["dose_units_per_kg"], facts["dose_units"]) == (100.0, 8000.0)
    assert normalise(dose="5000 units", weight_kg="50").facts["dose_units_per_kg"] == 100.0
    assert "iu" in normalise(dose="80 IU/kg").facts["notation_tokens"]


def test_a_dose_per_m2_with_weight_and_height() -> None:
    facts = normalise(dose="75 mg/m²", weight_kg="80", height_cm="180").facts
    assert (facts["dose_mg_per_m2"], facts["dose_mcg"]) == (75.0, 150000.0)
    assert normalise(dose="75 mg/m2").facts["dose_mg_per_m2"] == 75.0


def test_a_mass_dosed_drug_with_a_dose_per_kg_needs_the_weight() -> None:
    """B12's rules read dose_mcg: "1 mg/kg" with no weight is an invalid dose naming the weight, not an
    order that "does not state its dose"; with the weight it is an ordinary dose in mcg."""
    found = problems(drug="cyanocobalamin", dose="0.01 mg/kg")
    assert [p.field for p in found] == ["dose"]
    assert "weight is not known" in found[0].message
    assert normalise(drug="cyanocobalamin", dose="0.0125 mg/kg", weight_kg="80").facts["dose_mcg"] == 1000.0
    assert [p.field for p in problems(drug="cyanocobalamin", dose="10 units/kg", weight_kg="80")] == ["dose"]


def test_a_daily_dose_per_kg_is_refused() -> None:
    assert "daily dose" in problems(dose="2 mg/kg/day")[0].message


def test_patient_fields_and_derived_facts_need_the_patient() -> None:
    for name in (
        "weight_kg", "height_cm", "age_years", "sex", "creatinine_clearance_ml_min", "egfr", "pregnant",
        "body_surface_area_m2", "dose_mg_per_kg", "dose_units_per_kg", "dose_mg_per_m2",
    ):  # fmt: skip
        assert VOCABULARY[name].needs is HistoryKind.PATIENT, name
    assert VOCABULARY["dose_mg"].needs is None  # dose_mcg / 1000: the order's own
    assert "ordered_at" not in VOCABULARY  # it anchors windows; no rule reads it


def test_a_birth_date_giving_an_implausible_age_is_refused() -> None:
    """A stated age is refused past 130 years; a birth date of 1800 gave an age of 226 all the same."""
    (found,) = problems(birth_date="1800-03-02", ordered_at="2026-03-01")
    assert found.field == "birth_date"
    assert "gives an age of 225 years at the order" in found.message
