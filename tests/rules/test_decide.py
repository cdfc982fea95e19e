"""decide(): three-valued (Kleene) evaluation over fields whose value is unknown (brief decision 4).

A rule reading patient data or history the order's context lacks is decided only when every value the
missing fields could have gives the same answer; otherwise the order gets a not-evaluated finding."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from doseguard.rules.evaluate import UNEVALUABLE, decide, evaluate, truth
from doseguard.rules.expressions import (
    And,
    Arithmetic,
    Call,
    Compare,
    Const,
    Expr,
    Name,
    Not,
    Or,
    parse_expression,
)
from doseguard.rules.typecheck import TypeChecker
from doseguard.vocabulary import VOCABULARY

ABSENT = frozenset({"administrations_given", "interval_days"})


def resolved(text: str) -> Expr:
    return TypeChecker(VOCABULARY, {}).check_condition(parse_expression(text))


@pytest.mark.parametrize(
    ("condition", "verdict"),
    [
        ("administrations_given > 3", None),
        ("administrations_given > 3 or dose_mcg > 500", True),  # true or unknown fires
        ("administrations_given > 3 and dose_mcg > 5000", False),  # false and unknown does not
        ("administrations_given > 3 and dose_mcg > 500", None),
        ("not (administrations_given > 3)", None),
        ("missing(administrations_given) or administrations_given > 3", True),  # a rule can opt out
        ("exists(administrations_given) and administrations_given > 3", False),
        ("coalesce(administrations_given, 0) > 3", None),
        ("volume_ml > 1 and administrations_given > 3", False),  # a field not stated decides first
        ("dose_mcg / interval_days > 10 or dose_mcg > 500", True),
    ],
)
def test_kleene_logic_over_unknown_fields(condition: str, verdict: bool | None) -> None:
    assert decide(resolved(condition), {"dose_mcg": 1000.0}, ABSENT) is verdict


def test_with_nothing_unknown_it_is_the_reference_evaluator() -> None:
    fact = {"dose_mcg": 1000.0, "administrations_given": 2.0}
    for text in (
        "administrations_given > 3",
        "dose_mcg > 500 and administrations_given < 3",
        "volume_ml > 1",
    ):
        assert decide(resolved(text), fact, frozenset()) is truth(evaluate(resolved(text), fact))


def test_a_zero_divisor_is_undecided_not_false() -> None:
    fact = {"dose_mcg": 1000.0, "administrations_given": 0.0}
    assert decide(resolved("dose_mcg / administrations_given > 100"), fact, frozenset()) is None


# ------------------------------------------------------------------ agreement with brute force

FIELDS = ("a", "b", "c", "d")
DOMAIN = (0.0, 1.0, 2.0, 5.0)  # what an unknown field may turn out to be (0: divisions by zero too)


def random_expr(rng: random.Random, depth: int) -> Expr:
    """A boolean condition over number fields a..d (no exists/missing of unknown fields: those read
    the field's actual absence, which no completion changes; tested above)."""
    if depth == 0 or rng.random() < 0.25:
        return Compare(rng.choice(["<", "<=", ">", ">=", "==", "!="]), number(rng, 2), number(rng, 2))
    kind = rng.choice(["and", "or", "not", "cmp"])
    if kind == "not":
        return Not(random_expr(rng, depth - 1))
    if kind == "cmp":
        return Compare(rng.choice(["<", ">", "=="]), number(rng, 3), number(rng, 3))
    items = tuple(random_expr(rng, depth - 1) for _ in range(rng.randint(2, 3)))
    return And(items) if kind == "and" else Or(items)


def number(rng: random.Random, depth: int) -> Expr:
    roll = rng.random()
    if depth == 0 or roll < 0.35:
        return Name(rng.choice(FIELDS))
    if roll < 0.55:
        return Const(float(rng.choice([0, 1, 2, 3, 5])))
    if roll < 0.65:
        return Call("coalesce", (Name(rng.choice(FIELDS)), number(rng, depth - 1)))
    if roll < 0.7:
        return Call("abs", (number(rng, depth - 1),))
    op = rng.choice(["+", "-", "*", "/"])
    return Arithmetic(op, number(rng, depth - 1), number(rng, depth - 1))  # type: ignore[arg-type]


def completions(condition: Expr, fact: dict[str, Any], unknown: tuple[str, ...]) -> list[Any]:
    """The reference verdict for every value the unknown fields could have."""
    return [
        evaluate(condition, {**fact, **dict(zip(unknown, values, strict=True))})
        for values in itertools.product(DOMAIN, repeat=len(unknown))
    ]


def test_decided_only_when_every_completion_agrees() -> None:
    """Soundness, the direction Kleene logic guarantees: decide True (False) => every completion of
    the unknown fields is True (False); equivalently, completions that disagree => undecided. The
    other direction does not hold (``a > 1 or a <= 1`` is undecided): counted, to show it is rare."""
    rng = random.Random(11)
    decided = undecided_but_settled = 0
    for _ in range(3000):
        condition = random_expr(rng, 3)
        unknown = tuple(f for f in FIELDS if rng.random() < 0.4)
        fact = {f: rng.choice((None, *DOMAIN)) for f in FIELDS if f not in unknown}
        fact = {k: v for k, v in fact.items() if v is not None}
        verdicts = completions(condition, fact, unknown)
        answer = decide(condition, fact, frozenset(unknown))
        if answer is True:
            assert all(v is True for v in verdicts), condition
        elif answer is False:
            assert all(v is False for v in verdicts), condition
        elif not unknown:  # nothing unknown: only a zero divisor leaves it undecided
            assert verdicts == [UNEVALUABLE], condition
        if unknown and answer is not None:
            decided += 1
        if (
            unknown
            and answer is None
            and (all(v is True for v in verdicts) or all(v is False for v in verdicts))
        ):
            undecided_but_settled += 1
    assert decided > 300  # it decides often (not a function that always says None)
    assert undecided_but_settled < decided
