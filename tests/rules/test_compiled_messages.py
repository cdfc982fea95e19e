"""Compiled message templates render exactly what the reference evaluator renders, for any facts."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doseguard.rules.evaluate import compile_expression, evaluate
from doseguard.rules.expressions import parse_expression
from doseguard.rules.messages import parse_message
from doseguard.rules.model import RuleSet
from doseguard.rules.typecheck import MESSAGE_FUNCTIONS, TypeChecker
from doseguard.vocabulary import VOCABULARY, FieldType
from tests.helpers.bundled import bundled_rules

RULES: RuleSet = bundled_rules()

NUMBER = st.one_of(
    st.sampled_from([0.0, 0.001, 0.0005, 0.5, 1.0, 2.0, 7.0, 7 / 3, 1000.0, 1e-6, 123456.789]),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
)
WORDS = st.sampled_from(["IM", "SC", "IV", "deltoid", "vastus_lateralis", "repletion", "maintenance",
                         "cobalt", "b12", "neuropathy", "ug", "qod", "1.0 mL", ".5 mL", "x_y z", ""])  # fmt: skip


def _value(kind: FieldType) -> st.SearchStrategy[Any]:
    if kind is FieldType.NUMBER:
        return NUMBER
    if kind is FieldType.BOOL:
        return st.booleans()
    if kind is FieldType.STRING:
        return WORDS
    return st.lists(NUMBER if kind is FieldType.NUMBER_LIST else WORDS, max_size=4)


FACTS = st.fixed_dictionaries({}, optional={name: _value(spec.type) for name, spec in VOCABULARY.items()})
PARAMETERS: dict[str, Any] = {
    "limit": 1000.0,
    "table": {"deltoid": 2.0, "ventrogluteal": 2.5},
    "bad": ("cobalt", "ug"),
}
EXPRESSIONS = [
    "dose_mcg", "-volume_ml", "dose_mcg / interval_days", "duration_days * 24 - 1", "1 / interval_days",
    "abs(volume_ml - dose_mcg / coalesce(product_concentration_mcg_per_ml, concentration_mcg_per_ml, limit))",
    "coalesce(route, site)", "table[site]", "unstated(dose_mcg, volume_ml, interval_days)",
    "common(allergy_terms, bad)", "common(notation_tokens, allergies)", "exists(site)", "missing(dose_mcg)",
    "dose_mcg > limit", "route in ['IM', 'SC'] and not duration_open_ended", "allergies contains_any bad",
    "limit", "bad", "table", "'text'", "as_ordered(dose_mcg)", "as_ordered(volume_ml)",
]  # fmt: skip
COMPILED = [
    (text, resolved, compile_expression(resolved))
    for text in EXPRESSIONS
    for resolved in [
        TypeChecker(VOCABULARY, PARAMETERS, functions=MESSAGE_FUNCTIONS).check(parse_expression(text))[0]
    ]
]


def outcome(function: Callable[[], Any]) -> tuple[str, Any]:
    """What a call gives, or which error it raises (both ways must fail alike, e.g. at infinity)."""
    try:
        return "value", function()
    except Exception as error:
        return "raised", type(error)


TEMPLATES = [(rule.id, rule.message, rule.message.compile()) for rule in RULES.rules]


@settings(max_examples=400, deadline=None)
@given(FACTS)
def test_compiled_expressions_agree_with_the_reference_evaluator(facts: dict[str, Any]) -> None:
    for text, resolved, compiled in COMPILED:
        assert outcome(partial(compiled, facts)) == outcome(partial(evaluate, resolved, facts)), text


@settings(max_examples=400, deadline=None)
@given(FACTS)
def test_compiled_messages_of_the_bundled_rules_agree_with_render(facts: dict[str, Any]) -> None:
    for rule_id, template, compiled in TEMPLATES:
        assert outcome(partial(compiled, facts)) == outcome(partial(template.render, facts)), rule_id


@pytest.mark.parametrize(
    "text",
    [
        "{{literal}} {limit} mcg, {table[site]} mL ({dose_mcg}) {bad}",
        "{limit}",
        "",
        "{dose_mcg}{volume_ml}",
        "100% of {dose_mcg} is %s, %% or %(x)s {limit}%",
        "{{%d}} {'%s'} {missing(site)}",
    ],
)
def test_constant_placeholders_are_rendered_once_and_alike(text: str) -> None:
    template, _ = parse_message(text, VOCABULARY, PARAMETERS)
    for facts in ({}, {"dose_mcg": 7 / 3, "site": "deltoid", "volume_ml": 1.0}):
        assert template.compile()(facts) == template.render(facts)


def test_a_constant_that_cannot_be_displayed_fails_when_rendered_not_when_compiled() -> None:
    template, _ = parse_message("{huge} and {dose_mcg}", VOCABULARY, {**PARAMETERS, "huge": float("inf")})
    compiled = template.compile()
    facts = {"dose_mcg": 1.0}
    assert (
        outcome(partial(compiled, facts))
        == outcome(partial(template.render, facts))
        == ("raised", OverflowError)
    )


def test_a_placeholder_that_divides_by_zero_says_so_and_not_not_stated() -> None:
    """It read "not stated" for a value the order did state (0), as if the field were missing."""
    template, _ = parse_message("{dose_mcg / administrations_given} mcg a dose", VOCABULARY, {})
    facts = {"dose_mcg": 1000.0, "administrations_given": 0.0}
    expected = "cannot be computed (division by zero) mcg a dose"
    assert template.render(facts) == expected
    assert template.compile()(facts) == expected
    assert template.render({"dose_mcg": 1000.0}) == "not stated mcg a dose"
