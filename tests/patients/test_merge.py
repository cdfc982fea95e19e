"""Patient facts merged into the order record (brief decision 2)."""

from __future__ import annotations

import copy

from doseguard.patients.merge import merge_patient
from doseguard.patients.model import HistoryKind, PatientContext

ORDER = {"order_id": "o1", "patient_id": "p1", "drug": "cyanocobalamin", "dose": "1000 mcg"}


def context(**fields: object) -> PatientContext:
    return PatientContext("p1", frozenset({HistoryKind.PATIENT}), dict(fields))


def test_patient_fields_fill_what_the_order_leaves_out() -> None:
    merged = merge_patient(ORDER, context(weight_kg="80 kg", sex="F"))
    assert merged == {**ORDER, "weight_kg": "80 kg", "sex": "F"}


def test_the_orders_own_non_blank_value_wins() -> None:
    order = {**ORDER, "weight_kg": "72", "height_cm": "  ", "sex": None}
    merged = merge_patient(order, context(weight_kg=80.0, height_cm="180", sex="male"))
    assert merged["weight_kg"] == "72"
    assert merged["height_cm"] == "180"  # blank text is no value
    assert merged["sex"] == "male"  # null is no value


def test_blank_patient_values_say_nothing() -> None:
    order = {**ORDER, "weight_kg": "72"}
    assert merge_patient(order, context(weight_kg="", height_cm=None, allergies=[])) == order


def test_allergies_and_conditions_are_joined_as_lists_or_semicolon_text() -> None:
    order = {**ORDER, "allergies": "penicillin; cobalt", "conditions": ["ckd"]}
    merged = merge_patient(order, context(allergies=["cobalt", "latex"], conditions="diabetes;  ; ckd"))
    assert merged["allergies"] == ["penicillin", "cobalt", "latex"]  # once each, order's first
    assert merged["conditions"] == ["ckd", "diabetes"]


def test_a_list_field_the_order_leaves_out_comes_from_the_patient() -> None:
    assert merge_patient(ORDER, context(allergies="cobalt;nickel"))["allergies"] == ["cobalt", "nickel"]
    assert merge_patient({**ORDER, "allergies": ""}, context(allergies=["cobalt"]))["allergies"] == ["cobalt"]


def test_an_order_value_the_normaliser_must_refuse_is_left_for_it_to_refuse() -> None:
    order = {**ORDER, "allergies": 12}
    assert merge_patient(order, context(allergies=["cobalt"]))["allergies"] == 12


def test_the_input_record_and_the_context_are_never_changed() -> None:
    order = {**ORDER, "allergies": ["penicillin"]}
    patient = context(allergies=["cobalt"], weight_kg="80")
    before, fields_before = copy.deepcopy(order), copy.deepcopy(patient.fields)
    merged = merge_patient(order, patient)
    merged["allergies"].append("x")
    assert order == before
    assert patient.fields == fields_before
    assert merged is not order


def test_no_context_or_no_fields_or_not_a_record_is_returned_as_it_is() -> None:
    assert merge_patient(ORDER, None) is ORDER
    assert merge_patient(ORDER, PatientContext("p1")) is ORDER
    assert merge_patient(["not", "a", "record"], context(weight_kg="80")) == ["not", "a", "record"]


def test_a_pregnancy_status_older_than_a_pregnancy_says_nothing_of_the_order() -> None:
    """'Pregnant' recorded in 2015 made a 2026 order a pregnant patient's (the folic acid warning was
    suppressed): a pregnancy status more than 42 weeks before the order is not the patient's now."""
    from datetime import UTC, datetime  # noqa: PLC0415

    order = {**ORDER, "ordered_at": "2026-12-01T09:00:00Z"}

    def recorded(when: datetime) -> PatientContext:
        return PatientContext(
            "p1", frozenset({HistoryKind.PATIENT}), {"pregnant": "yes"}, field_times={"pregnant": when}
        )

    assert "pregnant" not in merge_patient(order, recorded(datetime(2015, 3, 1, tzinfo=UTC)))
    assert merge_patient(order, recorded(datetime(2026, 9, 1, tzinfo=UTC)))["pregnant"] == "yes"
    assert (
        merge_patient(ORDER, recorded(datetime(2015, 3, 1, tzinfo=UTC)))["pregnant"] == "yes"
    )  # no time: kept
