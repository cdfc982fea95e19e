"""The reference evaluator's rules of absence and of values that cannot be computed.

"Not stated" (a field the order leaves out) has no value, and a comparison with no value is false:
rules handle absence themselves (``exists``, ``missing``, ``coalesce``). A division by a stated zero is
different: the value exists and the rule cannot be evaluated with it, so the condition is neither
true nor false (``UNEVALUABLE``), and the checker reports the order as an error (issue 8, case 8).
"""

from __future__ import annotations

from typing import Any

import pytest

from doseguard.rules.evaluate import UNEVALUABLE, compile_expression, evaluate, truth
from doseguard.rules.expressions import Expr, parse_expression
from doseguard.rules.typecheck import TypeChecker
from doseguard.vocabulary import VOCABULARY


def resolved(text: str, **parameters: Any) -> Expr:
    return TypeChecker(VOCABULARY, parameters).check_condition(parse_expression(text))


ZERO_GIVEN = {"dose_mcg": 1000.0, "administrations_given": 0.0}


def test_a_division_by_a_stated_zero_cannot_be_evaluated() -> None:
    assert evaluate(resolved("dose_mcg / administrations_given > 100"), ZERO_GIVEN) is UNEVALUABLE


def test_not_of_a_condition_that_cannot_be_evaluated_cannot_be_evaluated_either() -> None:
    """It was ``not false``, true: a rule written the other way round fired on a division by zero."""
    assert evaluate(resolved("not (dose_mcg / administrations_given <= 100)"), ZERO_GIVEN) is UNEVALUABLE


@pytest.mark.parametrize(
    ("condition", "verdict"),
    [
        ("administrations_given > 0 and dose_mcg / administrations_given > 100", False),
        ("dose_mcg / administrations_given > 100 and administrations_given > 0", False),
        ("administrations_given == 0 or dose_mcg / administrations_given > 100", True),
        ("dose_mcg / administrations_given > 100 or administrations_given == 0", True),
        ("dose_mcg / administrations_given > 100 and dose_mcg > 0", UNEVALUABLE),
        ("dose_mcg / administrations_given > 100 or dose_mcg < 0", UNEVALUABLE),
        ("not (administrations_given > 0 and dose_mcg / administrations_given > 100)", True),
    ],
)
def test_a_guard_in_the_same_condition_decides_whatever_its_place(condition: str, verdict: Any) -> None:
    """``and``/``or`` are three-valued (Kleene): a part that settles the answer settles it."""
    assert evaluate(resolved(condition), ZERO_GIVEN) is verdict


def test_not_stated_still_means_no_value_and_a_false_comparison() -> None:
    assert evaluate(resolved("dose_mcg / administrations_given > 100"), {"dose_mcg": 1000.0}) is False
    assert evaluate(resolved("not (dose_mcg / administrations_given > 100)"), {"dose_mcg": 1000.0}) is True


def test_a_field_not_stated_decides_before_a_zero_divisor_elsewhere() -> None:
    """A comparison reading a field the order leaves out is false, as it always was (the compiled
    condition's ``$ex`` guards say the same), even if another of its divisors is zero."""
    facts = {"administrations_given": 0.0}
    assert evaluate(resolved("volume_ml > dose_mcg / administrations_given"), facts) is False
    assert evaluate(resolved("not (volume_ml > dose_mcg / administrations_given)"), facts) is True


def test_coalesce_takes_a_stated_zero_as_stated() -> None:
    condition = resolved(
        "dose_mcg / coalesce(product_concentration_mcg_per_ml, concentration_mcg_per_ml) > 1"
    )
    facts = {"dose_mcg": 1.0, "product_concentration_mcg_per_ml": 0.0, "concentration_mcg_per_ml": 0.5}
    assert evaluate(condition, facts) is UNEVALUABLE
    del facts["product_concentration_mcg_per_ml"]
    assert evaluate(condition, facts) is True


def test_unevaluable_is_not_true() -> None:
    assert truth(UNEVALUABLE) is False


@pytest.mark.parametrize(
    "text",
    ["dose_mcg / administrations_given", "-(dose_mcg / administrations_given)", "abs(dose_mcg / administrations_given)",
     "dose_mcg / administrations_given + 1", "volume_ml * (dose_mcg / administrations_given)"],
)  # fmt: skip
def test_the_compiled_expression_says_unevaluable_too(text: str) -> None:
    expression, _ = TypeChecker(VOCABULARY, {}).check(parse_expression(text))
    facts = {**ZERO_GIVEN, "volume_ml": 1.0}
    assert evaluate(expression, facts) is UNEVALUABLE
    assert compile_expression(expression)(facts) is UNEVALUABLE
