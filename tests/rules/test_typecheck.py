"""Static checks of resolved conditions: divisors that can be zero and are not guarded."""

from __future__ import annotations

from typing import Any

import pytest

from doseguard.rules.expressions import parse_expression
from doseguard.rules.typecheck import TypeChecker, unguarded_divisors
from doseguard.vocabulary import VOCABULARY

PARAMETERS: dict[str, Any] = {"strength": 4.0, "tolerance": 0.25}


def warnings(text: str) -> list[tuple[int, str]]:
    resolved = TypeChecker(VOCABULARY, PARAMETERS).check_condition(parse_expression(text))
    return [(position, name) for position, name, _ in unguarded_divisors(resolved, VOCABULARY)]


def test_a_divisor_that_can_be_zero_is_named_at_its_position() -> None:
    text = "volume_ml < dose_mcg / administrations_given"
    assert warnings(text) == [(text.index("administrations_given"), "administrations_given")]


@pytest.mark.parametrize(
    "text",
    [
        "administrations_given > 0 and volume_ml < dose_mcg / administrations_given",
        "volume_ml < dose_mcg / administrations_given and administrations_given != 0",
        "administrations_given == 0 or volume_ml < dose_mcg / administrations_given",
        "not (administrations_given > 0 and volume_ml < dose_mcg / administrations_given)",
        "administrations_given >= 1 and (route == 'IM' or volume_ml < dose_mcg / administrations_given)",
        "volume_ml < dose_mcg / concentration_mcg_per_ml",  # a quantity: the order model refuses 0
        "volume_ml < dose_mcg / 4",
    ],
)
def test_a_guard_in_the_same_condition_or_a_divisor_that_cannot_be_zero_is_not_warned(text: str) -> None:
    assert warnings(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "administrations_given > 0 or volume_ml < dose_mcg / administrations_given",  # does not decide
        "route == 'IM' and volume_ml < dose_mcg / administrations_given",
        "not (volume_ml >= dose_mcg / administrations_given)",
        "volume_ml > dose_mcg / coalesce(administrations_given, strength)",
        "abs(volume_ml - dose_mcg / administrations_given) > tolerance",
    ],
)
def test_an_unguarded_divisor_that_can_be_zero_is_warned(text: str) -> None:
    assert [name for _, name in warnings(text)] == ["administrations_given"]


def test_the_warning_says_what_happens_and_how_to_guard() -> None:
    resolved = TypeChecker(VOCABULARY, {}).check_condition(
        parse_expression("volume_ml < dose_mcg / administrations_given")
    )
    ((_, _, message),) = unguarded_divisors(resolved, VOCABULARY)
    assert "administrations_given can be 0" in message
    assert "administrations_given > 0 and" in message


def test_only_fields_the_order_model_lets_be_zero_are_marked_so() -> None:
    """The mark is the order model's contract: a count, a newborn's age and an anuric patient's renal
    function may be 0; quantities and schedules may not."""
    zero = {name for name, spec in VOCABULARY.items() if spec.may_be_zero}
    assert zero == {"administrations_given", "age_years", "creatinine_clearance_ml_min", "egfr"}
