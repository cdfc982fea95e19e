"""The compiled engine conditions mean exactly what the reference evaluator says, for any facts.

This is the compiler's main safety net: case splits, ``abs`` expansion, rearranging comparisons,
pushing ``not`` down and guarding operands must never change which orders a rule fires on.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doseguard.engine.adapter import DurableEngine
from doseguard.engine.compile import branch_count, compile_condition
from doseguard.rules.evaluate import UNEVALUABLE, evaluate, truth, zero_divisor_check
from doseguard.rules.expressions import Expr, parse_expression
from doseguard.rules.typecheck import TypeChecker
from doseguard.vocabulary import VOCABULARY
from tests.helpers.stub_rules import StubRule

PARAMETERS: dict[str, Any] = {
    "tolerance": 0.25,
    "limit": 2.0,
    "table": {"deltoid": 1.0, "ventrogluteal": 2.0},
    "bad": ("cobalt", "b12"),
    "routes": ("IM", "SC"),
    "strength": 4.0,
}
CONDITIONS = [
    "dose_mcg > limit",
    "not (dose_mcg > limit)",
    "dose_mcg >= volume_ml",
    "dose_mcg == volume_ml",
    "dose_mcg != volume_ml",
    "volume_ml > dose_mcg / concentration_mcg_per_ml",
    "not (volume_ml <= dose_mcg / concentration_mcg_per_ml)",
    "abs(volume_ml - dose_mcg / coalesce(product_concentration_mcg_per_ml, concentration_mcg_per_ml)) > tolerance",
    # coalesce with a default (a parameter or a number) as its last argument
    "abs(volume_ml - dose_mcg / coalesce(product_concentration_mcg_per_ml, concentration_mcg_per_ml, strength)) > tolerance",
    "not (volume_ml > dose_mcg / coalesce(concentration_mcg_per_ml, strength))",
    "dose_mcg > coalesce(concentration_mcg_per_ml, 2)",
    "coalesce(product_concentration_mcg_per_ml, 4) >= limit",
    "not (coalesce(product_concentration_mcg_per_ml, concentration_mcg_per_ml, 1) > limit)",
    "coalesce(route, 'IM') in routes",
    "not (coalesce(route, 'IV') in routes)",
    "not (abs(volume_ml - dose_mcg / concentration_mcg_per_ml) > tolerance)",
    "abs(volume_ml - dose_mcg) <= tolerance",
    "dose_mcg / 4 >= volume_ml + 1",
    "2 * dose_mcg - volume_ml < limit",
    "-volume_ml + dose_mcg > 0",
    "volume_ml > table[site]",
    "not (volume_ml > table[site])",
    "route == 'IM' and volume_ml > table[site]",
    "route in routes",
    "route not in routes",
    "not (route in routes)",
    "allergies contains_any bad",
    "not (allergies contains_any bad)",
    "allergies contains 'cobalt'",
    "not (allergies contains 'cobalt')",
    "exists(site) or missing(route)",
    "not (exists(site) and missing(route))",
    "duration_open_ended",
    "not duration_open_ended",
    "missing(dose_mcg) or missing(volume_ml) or missing(interval_days)",
    "phase == 'maintenance' and interval_days < 7 or phase == 'repletion' and interval_days >= 28",
    "not (dose_mcg > limit or (route == 'IV' and not exists(site)))",
    # divisors that can be zero: the rule cannot be evaluated (never fires), unless a guard decides
    "volume_ml < dose_mcg / administrations_given",
    "not (volume_ml >= dose_mcg / administrations_given)",
    "administrations_given > 0 and volume_ml < dose_mcg / administrations_given",
    "volume_ml < dose_mcg / administrations_given and administrations_given > 0",
    "administrations_given == 0 or not (volume_ml >= dose_mcg / administrations_given)",
    "not (administrations_given > 0 and volume_ml < dose_mcg / administrations_given)",
    "not (abs(volume_ml - dose_mcg / administrations_given) > tolerance)",
    "volume_ml > dose_mcg / coalesce(product_concentration_mcg_per_ml, administrations_given, strength)",
    "not (volume_ml > dose_mcg / coalesce(administrations_given, strength))",
    "interval_days < dose_mcg / administrations_given + volume_ml / concentration_mcg_per_ml",
    "volume_ml < dose_mcg / administrations_given or route == 'IV'",
]

NUMBERS = st.sampled_from([0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 7.0, 28.0, 1000.0])
FACT_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "dose_mcg": NUMBERS,
    "volume_ml": NUMBERS,
    "concentration_mcg_per_ml": NUMBERS,
    "product_concentration_mcg_per_ml": NUMBERS,
    "interval_days": NUMBERS,
    "administrations_given": st.sampled_from([0.0, 0.0, 1.0, 2.0, 5.0]),
    "site": st.sampled_from(["deltoid", "ventrogluteal", "dorsogluteal"]),
    "route": st.sampled_from(["IM", "SC", "IV"]),
    "phase": st.sampled_from(["repletion", "maintenance"]),
    "duration_open_ended": st.booleans(),
    "allergies": st.lists(st.sampled_from(["cobalt", "b12", "latex"]), max_size=3, unique=True),
}
facts_strategy = st.fixed_dictionaries({}, optional=FACT_FIELDS)


def _resolve(text: str) -> Expr:
    return TypeChecker(VOCABULARY, PARAMETERS).check_condition(parse_expression(text))


RESOLVED = {f"C{index}": _resolve(text) for index, text in enumerate(CONDITIONS)}
RULES = [
    StubRule(rule_id, compiled, branch_count(compiled))
    for rule_id, condition in RESOLVED.items()
    for compiled in [compile_condition(condition)]
]
ENGINE = DurableEngine(RULES)
ZERO_CHECKS = {rule_id: zero_divisor_check(condition) for rule_id, condition in RESOLVED.items()}


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts_strategy)
def test_engine_agrees_with_the_reference_evaluator(facts: dict[str, Any]) -> None:
    expected = {rule_id for rule_id, condition in RESOLVED.items() if truth(evaluate(condition, facts))}
    assert ENGINE.fired(facts) == expected, {
        rule_id: CONDITIONS[int(rule_id[1:])] for rule_id in expected ^ ENGINE.fired(facts)
    }


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts_strategy)
def test_the_checker_finds_the_rules_the_reference_evaluator_cannot_evaluate(facts: dict[str, Any]) -> None:
    """What the engine cannot say (it stays quiet on a zero divisor) the checker must: each rule's
    zero-divisor check names a divisor exactly when the reference evaluator says UNEVALUABLE."""
    for rule_id, condition in RESOLVED.items():
        check = ZERO_CHECKS[rule_id]
        found = check(facts) if check is not None else None
        assert (found is not None) == (evaluate(condition, facts) is UNEVALUABLE), (
            CONDITIONS[int(rule_id[1:])],
            found,
        )


def test_every_condition_fires_for_some_facts_and_not_for_others() -> None:
    """Guard against a vacuous differential test: each condition is exercised both ways."""
    samples = [
        {},
        {"dose_mcg": 1000.0, "volume_ml": 1.0, "concentration_mcg_per_ml": 1000.0, "site": "deltoid", "route": "IM"},
        {"dose_mcg": 0.5, "volume_ml": 2.0, "concentration_mcg_per_ml": 0.5, "site": "ventrogluteal", "route": "IV"},
        {"allergies": ["cobalt"], "duration_open_ended": True, "site": "deltoid", "phase": "maintenance", "interval_days": 1.0},
        {"dose_mcg": 4.0, "volume_ml": 4.0, "route": "SC", "phase": "repletion", "interval_days": 28.0, "duration_open_ended": False,
         "product_concentration_mcg_per_ml": 1.0, "concentration_mcg_per_ml": 2.0, "allergies": ["latex"]},
        {"volume_ml": 2.0, "site": "deltoid", "route": "IM"},
        {"dose_mcg": 4.0, "volume_ml": 1.0},
        {"dose_mcg": 1000.0, "volume_ml": 1.0, "product_concentration_mcg_per_ml": 1.0},
        {"dose_mcg": 1000.0, "volume_ml": 1.0, "administrations_given": 2.0, "concentration_mcg_per_ml": 1000.0,
         "interval_days": 1.0},
        {"dose_mcg": 1.0, "volume_ml": 4.0, "administrations_given": 1.0, "concentration_mcg_per_ml": 1.0,
         "interval_days": 28.0, "route": "SC"},
    ]  # fmt: skip
    seen_true: set[str] = set()
    seen_false: set[str] = set()
    for facts in samples:
        fired = ENGINE.fired(facts)
        for rule_id, condition in RESOLVED.items():
            verdict = truth(evaluate(condition, facts))
            assert (rule_id in fired) == verdict, (CONDITIONS[int(rule_id[1:])], facts)
            (seen_true if verdict else seen_false).add(rule_id)
    assert seen_true == set(RESOLVED), sorted(set(RESOLVED) - seen_true)
    assert seen_false == set(RESOLVED), sorted(set(RESOLVED) - seen_false)


ZERO_GIVEN = {"dose_mcg": 1000.0, "volume_ml": 1.0, "administrations_given": 0.0, "concentration_mcg_per_ml": 1000.0,
              "interval_days": 1.0, "route": "IM"}  # fmt: skip
UNGUARDED = [
    "volume_ml < dose_mcg / administrations_given",
    "not (volume_ml >= dose_mcg / administrations_given)",
    "not (abs(volume_ml - dose_mcg / administrations_given) > tolerance)",
    "volume_ml > dose_mcg / coalesce(product_concentration_mcg_per_ml, administrations_given, strength)",
    "not (volume_ml > dose_mcg / coalesce(administrations_given, strength))",
    "interval_days < dose_mcg / administrations_given + volume_ml / concentration_mcg_per_ml",
    "volume_ml < dose_mcg / administrations_given or route == 'IV'",
]


def test_a_zero_divisor_makes_the_unguarded_conditions_unevaluable_and_the_engine_quiet() -> None:
    """Not vacuous: with 0 given, each condition that divides by it unguarded cannot be evaluated (the
    engine does not fire it, the checker's check names the divisor); the guarded ones are decided."""
    fired = ENGINE.fired(ZERO_GIVEN)
    for rule_id, condition in RESOLVED.items():
        text = CONDITIONS[int(rule_id[1:])]
        if text in UNGUARDED:
            assert evaluate(condition, ZERO_GIVEN) is UNEVALUABLE, text
            assert rule_id not in fired, text
            check = ZERO_CHECKS[rule_id]
            assert check is not None and "administrations_given" in str(check(ZERO_GIVEN)), text
        elif "administrations_given" in text:
            assert evaluate(condition, ZERO_GIVEN) is not UNEVALUABLE, text
            assert (rule_id in fired) == truth(evaluate(condition, ZERO_GIVEN)), text
