"""The rule language: parsing, type checking, the reference evaluator and message templates."""

from __future__ import annotations

from typing import Any

import pytest

from doseguard.errors import ExpressionError
from doseguard.rules.evaluate import evaluate, truth
from doseguard.rules.expressions import (
    And,
    Arithmetic,
    Compare,
    Const,
    Membership,
    Name,
    Not,
    Or,
    parse_expression,
    render,
)
from doseguard.rules.messages import parse_message
from doseguard.rules.typecheck import TypeChecker
from doseguard.vocabulary import VOCABULARY

PARAMETERS: dict[str, Any] = {
    "limit": 1000.0,
    "sites": {"deltoid": 2.0},
    "bad": ("cobalt",),
    "usual": 1000.0,
    "nothing": 0.0,
    "usual_route": "IM",
}


def check(text: str) -> Any:
    return TypeChecker(VOCABULARY, PARAMETERS).check_condition(parse_expression(text))


def test_precedence_of_arithmetic_comparison_and_logic() -> None:
    tree = parse_expression("a > b + c * d and not e or f")
    assert isinstance(tree, Or)
    first = tree.items[0]
    assert isinstance(first, And)
    comparison = first.items[0]
    assert isinstance(comparison, Compare)
    assert isinstance(comparison.right, Arithmetic)
    assert comparison.right.op == "+"
    assert render(comparison) == "a > (b + (c * d))"
    assert isinstance(first.items[1], Not)
    assert comparison.right.pos == 6  # positions point at the operator, for error columns


def test_literals_lists_calls_and_lookups() -> None:
    assert parse_expression(r"'it\'s'") == Const("it's", 0)
    membership = parse_expression('route in ["IM", "SC"]')
    assert isinstance(membership, Membership)
    assert membership.left == Name("route", 0)
    assert render(membership) == "route in ['IM', 'SC']"
    assert render(parse_expression("abs(volume_ml - 1) > t[site]")) == "abs((volume_ml - 1)) > t[site]"


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("", "empty expression", 0),
        ("dose_mcg >", "expression ends too early", 10),
        ("dose_mcg = 1", "unexpected character '=' (compare with ==)", 9),
        ("dose_mcg > 'abc", "unterminated string", 11),
        ("(dose_mcg > 1", "expected ')', found end of expression", 13),
        ("dose_mcg > 1 AND x", "unexpected 'AND' (keywords are lower case: 'and')", 13),
        ("dose_mcg $ 2", "unexpected character '$'", 9),
    ],
)
def test_syntax_errors_say_what_and_where(text: str, message: str, offset: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    assert caught.value.message == message
    assert caught.value.offset == offset


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dose > 1", "unknown field or parameter 'dose'; did you mean 'dose_mg'?"),
        ("dose_mcg > 'x'", "'>' compares numbers, but 'x' is a string"),
        ("route == 1", "cannot compare route (a string) with 1 (a number)"),
        ("dose_mcg", "a condition must be true or false, but dose_mcg is a number"),
        (
            "route == 'iv'",
            "route is never 'iv'; did you mean 'IV'? (it is one of IM, SC, IV, PO, SL, IN, ID, IT, TOP)",
        ),
        ("dose_mcg / 0 > 1", "division by zero"),
        (
            "dose_mcg / (volume_ml - 1) > 1",
            "divide only by a field or a number (the engine cannot guard the rest)",
        ),
        ("allergies == bad", "compare lists with 'contains' or 'contains_any', not '=='"),
        ("route contains 'IM'", "'contains' applies to a list field, not a string"),
        ("dose_mcg in bad", "'in' needs a list of numbers on its right"),
        ("exists(limit)", "exists() takes a field name"),
        ("abs(1, 2) > 0", "abs() takes 1 argument, not 2"),
        ("volume_ml > limit[site]", "limit is not a table parameter, so it cannot be indexed"),
        ("1 > 2", "this comparison does not read any field of the order"),
        ("unstated(dose_mcg)", "unknown function 'unstated'"),
        ("coalesce(dose_mcg) > 1", "coalesce() takes two or more fields"),
        (
            "coalesce(usual, dose_mcg) > 1",
            "coalesce() takes field names; only its last argument may be a parameter or a value",
        ),
        (
            "coalesce(dose_mcg, 5, volume_ml) > 1",
            "coalesce() takes field names; only its last argument may be a parameter or a value",
        ),
        (
            "coalesce(dose_mcg, dose_mcg + 1) > 1",
            "coalesce() takes field names; only its last argument may be a parameter or a value",
        ),
        ("coalesce(dose_mcg, usual_route) > 1", "coalesce() takes fields (and a default) of one type"),
        ("coalesce(dose_mcg, route) > 1", "coalesce() takes fields (and a default) of one type"),
        (
            "coalesce(allergies, bad) contains 'x'",
            "the default of coalesce() is a number or a text, but bad is a list of strings",
        ),
        (
            "coalesce(dose_mcg, sites) > 1",
            "the default of coalesce() is a number or a text, but sites is a table of numbers",
        ),
        (
            "volume_ml > dose_mcg / coalesce(concentration_mcg_per_ml, nothing)",
            "division by zero (the default of coalesce() is 0)",
        ),
        (
            "volume_ml > dose_mcg / coalesce(concentration_mcg_per_ml, 0)",
            "division by zero (the default of coalesce() is 0)",
        ),
    ],
)
def test_type_errors_are_specific(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        check(text)
    assert caught.value.message == message


def test_parameters_are_substituted_and_fields_collected() -> None:
    checker = TypeChecker(VOCABULARY, PARAMETERS)
    resolved = checker.check_condition(parse_expression("dose_mcg > limit and volume_ml > sites[site]"))
    assert "limit" not in render(resolved)
    assert "1000" in render(resolved)
    assert checker.fields_read == {"dose_mcg", "volume_ml", "site"}


@pytest.mark.parametrize(
    ("text", "facts", "expected"),
    [
        ("dose_mcg > limit", {"dose_mcg": 1001.0}, True),
        ("dose_mcg > limit", {}, False),
        ("not (dose_mcg > limit)", {}, True),  # absence: the comparison is false, its negation true
        (
            "volume_ml > dose_mcg / concentration_mcg_per_ml",
            {"volume_ml": 1.0, "dose_mcg": 1.0, "concentration_mcg_per_ml": 0.0},
            False,
        ),
        ("volume_ml > sites[site]", {"volume_ml": 3.0, "site": "deltoid"}, True),
        ("volume_ml > sites[site]", {"volume_ml": 3.0, "site": "ventrogluteal"}, False),
        ("allergies contains_any bad", {"allergies": ["latex", "cobalt"]}, True),
        ("route not in ['IM']", {}, False),
        ("duration_open_ended", {}, False),
        ("abs(volume_ml - 1) <= 0.5", {"volume_ml": 0.6}, True),
        # coalesce: the first stated field, else the default (a parameter or a value written out)
        ("coalesce(product_concentration_mcg_per_ml, concentration_mcg_per_ml, usual) == 1000", {}, True),
        ("coalesce(product_concentration_mcg_per_ml, concentration_mcg_per_ml, usual) == 1000",
         {"concentration_mcg_per_ml": 100.0}, False),
        ("coalesce(product_concentration_mcg_per_ml, concentration_mcg_per_ml, usual) == 500",
         {"product_concentration_mcg_per_ml": 500.0, "concentration_mcg_per_ml": 100.0}, True),
        ("volume_ml > dose_mcg / coalesce(concentration_mcg_per_ml, 1000)", {"volume_ml": 2.0, "dose_mcg": 1000.0}, True),
        ("volume_ml > dose_mcg / coalesce(concentration_mcg_per_ml, 1000)", {"dose_mcg": 1000.0}, False),
        ("coalesce(route, usual_route) in ['IM', 'SC']", {}, True),
        ("coalesce(route, 'IM') in ['IM', 'SC']", {"route": "IV"}, False),
        ("coalesce(dose_mcg, volume_ml) > 1", {}, False),
    ],
)  # fmt: skip
def test_reference_semantics(text: str, facts: dict[str, Any], expected: bool) -> None:
    assert truth(evaluate(check(text), facts)) is expected


def test_messages_render_values_as_a_pharmacist_writes_them() -> None:
    template, fields = parse_message(
        "{volume_ml} mL over {sites[site]} mL at {site}; missing {unstated(dose_mcg, interval_days)}; "
        "flags {red_flags}; {{literal}}",
        VOCABULARY,
        PARAMETERS,
    )
    assert fields == {"volume_ml", "site", "dose_mcg", "interval_days", "red_flags"}
    facts = {"volume_ml": 2.5, "site": "deltoid", "red_flags": ["missed_doses", "no_hematologic_response"]}
    assert template.render(facts) == (
        "2.5 mL over 2 mL at deltoid; missing dose, frequency; flags missed doses, no hematologic response; {literal}"
    )
    assert (
        template.render({})
        == "not stated mL over not stated mL at not stated; missing dose, frequency; flags not stated; {literal}"
    )


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("{dose}", "in placeholder {dose}: unknown field or parameter 'dose'; did you mean 'dose_mg'?", 1),
        ("a {dose_mcg", "unclosed '{' in message", 2),
        ("a } b", "unmatched '}' in message (write '}}' for a brace)", 2),
        ("{dose_mcg >}", "in placeholder {dose_mcg >}: expression ends too early", 11),
    ],
)
def test_message_errors(text: str, message: str, offset: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_message(text, VOCABULARY, PARAMETERS)
    assert (caught.value.message, caught.value.offset) == (message, offset)


def test_coalesce_default_is_resolved_and_not_read_as_a_field() -> None:
    checker = TypeChecker(VOCABULARY, PARAMETERS)
    resolved = checker.check_condition(
        parse_expression("volume_ml > dose_mcg / coalesce(concentration_mcg_per_ml, usual)")
    )
    assert render(resolved) == "volume_ml > (dose_mcg / coalesce(concentration_mcg_per_ml, 1000))"
    assert checker.fields_read == {"volume_ml", "dose_mcg", "concentration_mcg_per_ml"}


def test_messages_render_a_coalesce_default() -> None:
    template, fields = parse_message(
        "{coalesce(product_concentration_mcg_per_ml, concentration_mcg_per_ml, usual)} mcg/mL",
        VOCABULARY,
        PARAMETERS,
    )
    assert fields == {"product_concentration_mcg_per_ml", "concentration_mcg_per_ml"}
    assert template.render({}) == "1,000 mcg/mL"  # thousands separated in messages
    assert template.render({"concentration_mcg_per_ml": 500.0}) == "500 mcg/mL"
