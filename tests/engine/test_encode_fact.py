"""encode_fact's short path writes exactly what the full check writes, and refuses the same facts."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doseguard.engine.adapter import (
    MAX_NUMBER,
    MAX_TEXT_LENGTH,
    DurableEngine,
    encode_fact,
    encode_fact_checked,
    encode_fact_with,
)
from doseguard.errors import EngineError
from doseguard.rules.history import HistorySpec, resolve
from doseguard.rules.model import with_aggregates
from doseguard.vocabulary import VOCABULARY
from tests.helpers.stub_rules import StubRule

NAMES = st.sampled_from([*VOCABULARY, "sid", "unknown_field"])
FLOATS = st.one_of(
    st.floats(),
    st.sampled_from([0.0, -0.0, 1e-5, 1e-7, 0.0001, 1e15, 1e16, MAX_NUMBER, -MAX_NUMBER, 1.5 * MAX_NUMBER]),
)
TEXTS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "IM",
            "deltoid",
            'a"b',
            "a\\b",
            "µg",
            "tab\there",
            "x" * MAX_TEXT_LENGTH,
            "x" * (MAX_TEXT_LENGTH + 1),
        ]
    ),
)
SCALARS = st.one_of(st.none(), FLOATS, TEXTS, st.booleans(), st.integers(-(10**13), 10**13))
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.lists(TEXTS, max_size=3), st.tuples(TEXTS))
FACTS = st.dictionaries(NAMES, VALUES, max_size=8)


def outcome(function: Callable[[], str]) -> tuple[str, str]:
    try:
        return "value", function()
    except Exception as error:
        return type(error).__name__, str(error)


@settings(max_examples=1500, deadline=None)
@given(FACTS)
def test_the_short_path_agrees_with_the_full_check(facts: dict[str, Any]) -> None:
    assert outcome(partial(encode_fact, facts)) == outcome(partial(encode_fact_checked, facts))


def test_typical_facts_take_the_short_path_and_agree() -> None:
    facts = {
        "drug": "cyanocobalamin", "dose_mcg": 1000.0, "volume_ml": 0.00001, "route": "IM", "site": "deltoid",
        "notation_tokens": ["mcg", "ml"], "duration_open_ended": True, "allergies": [], "phase": None,
        "administrations_given": 3.0, "allergy_terms": ["cobalt", 'say "no"'],
    }  # fmt: skip
    assert encode_fact(facts) == encode_fact_checked(facts)
    assert '"volume_ml":0.00001' in encode_fact(facts)


TRICKY: list[Any] = [
    None, 0.0, -0.0, 1e-5, 1e16, MAX_NUMBER, 1.5 * MAX_NUMBER, float("nan"), float("inf"), 250, True, "IM",
    'a"b', "a\\b", "µg", "tab\there", "x" * MAX_TEXT_LENGTH, "x" * (MAX_TEXT_LENGTH + 1), [], (), ["a", 'b"'],
    ["a\\"], ["µg"], ["ok", 1.0], [1.0, 2.0], ("a",), [None], [["nested"]],
]  # fmt: skip


@pytest.mark.parametrize("name", [*VOCABULARY, "unknown_field"])
def test_every_field_with_tricky_values_agrees(name: str) -> None:
    for value in TRICKY:
        facts = {"dose_mcg": 1.0, name: value}
        assert outcome(partial(encode_fact, facts)) == outcome(partial(encode_fact_checked, facts)), value


@pytest.mark.parametrize("value", [1e-10, 4e-10, 1.2345678901e-7, 5e-324])
def test_a_tiny_number_reaches_the_engine_as_itself_not_as_zero(value: float) -> None:
    """Fixed notation with nine decimals wrote 1e-10 as 0.000000000: the engine read a stated, non-zero
    divisor as 0 and its != 0 guard kept the rule quiet, while the order's own value was not 0 (so the
    checker saw nothing to report either). Every number is written exactly."""
    text = encode_fact({"volume_ml": value})
    written = text.split('"volume_ml":')[1].rstrip("}")
    assert "e" not in written.lower()
    assert float(written) == value
    engine = DurableEngine([StubRule("R", {"$gt": {"volume_ml": 0.0}})])
    assert engine.fired({"volume_ml": value}) == {"R"}


def test_facts_with_aggregates_encode_as_one_fact_of_the_wider_vocabulary() -> None:
    aggregate = resolve("doses_given", HistorySpec(count="administrations"), "b12", ["cyanocobalamin"])
    vocabulary = with_aggregates([aggregate])
    facts = {"drug": "cyanocobalamin", "dose_mcg": 1000.0, "route": "IM"}
    for extra in ({"doses_given": 3.0}, {"doses_given": 0.0}, {}, {"doses_given": -2.25},
                  {"doses_given": 1e-7}, {"doses_given": 3}, {"doses_given": 123456789012.0}):  # fmt: skip
        assert encode_fact_with(facts, extra, vocabulary) == encode_fact_checked(
            {**facts, **extra}, vocabulary
        )
    for bad in (1e300, float("nan"), float("inf"), True, "3"):
        with pytest.raises(EngineError):
            encode_fact_with(facts, {"doses_given": bad}, vocabulary)


def test_a_number_met_again_encodes_as_the_first_time_and_zero_keeps_its_sign() -> None:
    """The short path remembers a number field's text by field and value: a repeat reads the same,
    and 0.0 and -0.0 (one dictionary key) are never remembered, so each keeps its own text."""
    for value in (7.0, 2.333333, 1000.0, 0.0, -0.0, 0.0, -0.0, 7.0):
        facts = {"drug": "cyanocobalamin", "interval_days": value}
        assert encode_fact(facts) == encode_fact(dict(facts)) == encode_fact_checked(facts, VOCABULARY)
    assert '"interval_days":-0.0' in encode_fact({"interval_days": -0.0})
    assert '"interval_days":0.0' in encode_fact({"interval_days": 0.0})
