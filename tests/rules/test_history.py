"""The history: declaration's model and the Aggregate it resolves to (loading is in test_history_loader)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from doseguard.rules.history import (
    NO_ORDERED_AT,
    Aggregate,
    DoseStatus,
    HistorySpec,
    Measure,
    kind_problem,
    not_evaluated_message,
    resolve,
)
from doseguard.vocabulary import FieldType, HistoryKind


def aggregate(declaration: dict[str, object], name: str = "x") -> Aggregate:
    spec = HistorySpec.model_validate(declaration)
    assert kind_problem(spec) is None
    return resolve(name, spec, "b12", ["cyanocobalamin", "hydroxocobalamin"], 60)


def test_a_lab_alias_is_normalised_to_the_catalogue_name() -> None:
    assert HistorySpec.model_validate({"latest": "Hgb"}).latest == "haemoglobin"
    assert HistorySpec.model_validate({"count": "718-7"}).count == "haemoglobin"


def test_an_unknown_lab_test_is_refused_with_did_you_mean() -> None:
    with pytest.raises(ValidationError, match="unknown lab test 'haemoglobn'; did you mean 'haemoglobin'"):
        HistorySpec.model_validate({"latest": "haemoglobn"})


def test_count_takes_administrations_orders_or_a_lab_test() -> None:
    with pytest.raises(ValidationError, match="did you mean 'administrations'"):
        HistorySpec.model_validate({"count": "administration"})


def test_dose_measures_take_only_administrations() -> None:
    with pytest.raises(ValidationError, match="administrations"):
        HistorySpec.model_validate({"days_since_last": "orders"})


def test_exactly_one_kind_key() -> None:
    assert "needs one kind key" in (kind_problem(HistorySpec.model_validate({"within_days": 3})) or "")
    both = HistorySpec.model_validate({"latest": "potassium", "count": "orders"})
    assert "has 2 (count, latest)" in (kind_problem(both) or "")


@pytest.mark.parametrize(
    ("declaration", "words"),
    [
        ({"latest": "potassium", "status": "given"}, "is for administrations aggregates only"),
        ({"count": "administrations", "within_days": 0}, "greater than 0"),
        ({"count": "administrations", "days_after_first_dose": [10, 5]}, "from 10 is after to 5"),
        ({"count": "orders", "forms": ["tablet"]}, "unknown dose form 'tablet'"),
        ({"latest": "b12", "forms": ["oral"]}, "not for lab results"),
        ({"count": "orders", "window": 3}, "Extra inputs"),
    ],
)
def test_each_mistake_is_refused(declaration: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        HistorySpec.model_validate(declaration)


def test_a_dose_count_defaults_to_given_doses_of_the_packs_drugs() -> None:
    doses = aggregate({"count": "administrations", "within_days": 90}, "doses_given")
    assert (doses.kind, doses.measure, doses.what, doses.status) == (
        HistoryKind.ADMINISTRATIONS, Measure.COUNT, "administrations", DoseStatus.GIVEN,
    )  # fmt: skip
    assert doses.drugs == ("cyanocobalamin", "hydroxocobalamin")
    assert doses.course_gap_days == 60
    assert doses.unit == "count"
    assert doses.absent_phrase == "no administrations recorded for the patient"
    spec = doses.field_spec
    assert (spec.type, spec.needs, spec.unit, spec.name) == (
        FieldType.NUMBER,
        HistoryKind.ADMINISTRATIONS,
        "count",
        "doses_given",
    )
    assert "in the 90 days before the order" in spec.description


def test_a_lab_aggregate_says_what_is_absent_in_its_window() -> None:
    hb = aggregate({"latest": "haemoglobin", "within_days": 30, "description": "For the response."})
    assert (hb.kind, hb.lab, hb.unit, hb.status) == (HistoryKind.LABS, "haemoglobin", "g/dL", None)
    assert hb.absent_phrase == "no haemoglobin result in the 30 days before the order"
    assert hb.field_spec.description.startswith("For the response. The latest haemoglobin (g/dL)")
    retic = aggregate({"latest": "reticulocytes", "days_after_first_dose": [5, 10]})
    assert "5 to 10 days after the first dose" in retic.absent_phrase


def test_days_since_the_last_dose_says_no_administration_recorded() -> None:
    last = aggregate({"days_since_last": "administrations", "drugs": ["Cyanocobalamin"]})
    assert last.unit == "days"
    assert last.drugs == ("cyanocobalamin",)
    assert last.absent_phrase.startswith("no administration of cyanocobalamin recorded")


def test_other_orders_count_any_form_unless_forms_are_given() -> None:
    orders = aggregate({"count": "orders", "forms": ["oral", "injection"]})
    assert (orders.kind, orders.forms, orders.status) == (HistoryKind.ORDERS, ("oral", "injection"), None)


def test_same_declaration_ignores_the_pack_and_the_words() -> None:
    one = aggregate({"latest": "b12", "description": "one"})
    other = resolve(
        "x",
        HistorySpec.model_validate({"latest": "b12"}),
        "other",
        ["cyanocobalamin", "hydroxocobalamin"],
        60,
    )
    assert one.same_declaration(other)
    assert not one.same_declaration(aggregate({"latest": "b12", "within_days": 5}))


def test_a_change_since_the_first_dose_says_both_results_it_needs() -> None:
    rise = aggregate({"change_since_first_dose": "hb", "within_days": 14})
    assert rise.absent_phrase == (
        "no haemoglobin result at or before the first dose of cyanocobalamin or hydroxocobalamin of the "
        "current course, or none in the 14 days before the order"
    )
    assert aggregate({"change_since_first_dose": "hb"}).absent_phrase.endswith(
        "of the current course, or none since"
    )
    assert rise.unit == "g/dL"


def test_a_missed_dose_aggregate_says_missed() -> None:
    missed = aggregate({"count": "administrations", "status": "missed"})
    assert missed.label == "doses missed"
    last = aggregate({"days_since_last": "administrations", "status": "missed", "within_days": 30})
    assert last.absent_phrase == (
        "no missed administration of cyanocobalamin or hydroxocobalamin recorded in the 30 days before the order"
    )


def test_the_generated_not_evaluated_message() -> None:
    assert not_evaluated_message(["no b12 result", "no b12 result", NO_ORDERED_AT]) == (
        "Not evaluated: no b12 result; no ordered_at."
    )
