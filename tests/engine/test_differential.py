"""The compiled engine conditions mean exactly what the reference evaluator says, for any facts.

This is the compiler's main safety net: case splits, ``abs`` expansion, rearranging comparisons,
pushing ``not`` down and guarding operands must never change which orders a rule fires on.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doseguard.engine.adapter import DurableEngine, encode_fact
from doseguard.engine.compile import branch_count, compile_condition
from doseguard.rules.evaluate import UNEVALUABLE, decide, evaluate, truth, zero_divisor_check
from doseguard.rules.expressions import Call, Const, Expr, Name, parse_expression
from doseguard.rules.loader import load_rules
from doseguard.rules.typecheck import TypeChecker
from doseguard.vocabulary import VOCABULARY, HistoryKind
from tests.helpers.rule_files import write_pack
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


# -- Patient context: patient fields and history aggregates, present and absent at random ----------
# A fixture pack's history: block gives the aggregates (their fields come from RuleSet.vocabulary);
# the patient fields are the vocabulary's own with needs set. Absent is what the checker sees when the
# patient file or the run's history does not say: the engine must still agree with the reference
# evaluator, and the not-evaluated decision (decide, with the rule's absent needs-fields unknown) must
# mean what it says: a rule decided True or False is decided so whatever values the absent fields have.

HISTORY_PACK = """\
name: differential
title: Differential fixture
drugs:
  - name: cyanocobalamin
history:
  doses_given:
    count: administrations
    within_days: 90
  days_since_last_dose:
    days_since_last: administrations
  haemoglobin_latest:
    latest: haemoglobin
    within_days: 30
  haemoglobin_rise:
    change_since_first_dose: haemoglobin
  potassium_checks:
    count: potassium
    days_after_first_dose: [0, 2]
  other_active_orders:
    count: orders
"""
HISTORY_RULES = """\
rules:
  - id: DIFF-HB
    title: Haemoglobin low
    severity: warning
    description: A fixture rule.
    references: [a source]
    when: haemoglobin_latest < 8
    message: low
"""
HISTORY_CONDITIONS = [
    "weight_kg > 100",
    "dose_mg_per_kg > 1.5 or missing(weight_kg)",
    "creatinine_clearance_ml_min < 30 and interval_days < 1",
    "doses_given >= 4 and haemoglobin_rise < 1",
    "not (haemoglobin_latest >= 8)",
    "potassium_checks == 0 and haemoglobin_latest < 7",
    "days_since_last_dose > 1.5 * interval_days",
    "pregnant or age_years < 18",
    "sex == 'female' and egfr < 60",
    "missing(haemoglobin_latest) or haemoglobin_latest < 10",
    "body_surface_area_m2 * 100 > dose_mcg",
    "other_active_orders >= 1 or route == 'IV'",
    "not (doses_given > 3 or weight_kg < 40)",
    "dose_mcg > limit and exists(haemoglobin_latest)",
]
CONTEXT_DOMAINS: dict[str, list[Any]] = {
    "weight_kg": [3.0, 45.0, 80.0, 120.0],
    "age_years": [0.5, 17.0, 40.0, 90.0],
    "sex": ["female", "male", "unknown"],
    "pregnant": [True, False],
    "creatinine_clearance_ml_min": [15.0, 30.0, 90.0],
    "egfr": [20.0, 60.0, 100.0],
    "body_surface_area_m2": [0.5, 1.8, 25.0],
    "dose_mg_per_kg": [0.5, 1.5, 2.0],
    "doses_given": [0.0, 1.0, 4.0, 10.0],
    "days_since_last_dose": [0.5, 7.0, 45.0],
    "haemoglobin_latest": [6.5, 7.0, 8.0, 12.0],
    "haemoglobin_rise": [-1.0, 0.0, 1.0, 2.5],
    "potassium_checks": [0.0, 1.0, 2.0],
    "other_active_orders": [0.0, 1.0, 2.0],
}


def _history_rules() -> Any:
    with tempfile.TemporaryDirectory() as folder:
        pack = Path(folder) / "differential"
        write_pack(pack, HISTORY_PACK, "pack.yaml")
        write_pack(pack, HISTORY_RULES)
        return load_rules([pack])


HISTORY_RULESET = _history_rules()
CONTEXT_VOCABULARY = HISTORY_RULESET.vocabulary
NEEDS = frozenset(name for name, spec in CONTEXT_VOCABULARY.items() if spec.needs is not None)
CONTEXT_RESOLVED = {
    f"H{index}": TypeChecker(CONTEXT_VOCABULARY, PARAMETERS).check_condition(parse_expression(text))
    for index, text in enumerate(HISTORY_CONDITIONS)
}
CONTEXT_ENGINE = DurableEngine(
    [
        StubRule(rule_id, compiled, branch_count(compiled))
        for rule_id, condition in CONTEXT_RESOLVED.items()
        for compiled in [compile_condition(condition)]
    ]
)
CONTEXT_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    **FACT_FIELDS,
    **{name: st.sampled_from(values) for name, values in CONTEXT_DOMAINS.items()},
}
context_facts_strategy = st.fixed_dictionaries({}, optional=CONTEXT_FIELDS)


def _reads(condition: Expr) -> frozenset[str]:
    return frozenset(node.name for node in _walk(condition) if isinstance(node, Name))


def _walk(node: Any) -> Iterator[Any]:
    yield node
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for item in (getattr(node, field.name) for field in dataclasses.fields(node)):
            if isinstance(item, tuple):
                for part in item:
                    yield from _walk(part)
            else:
                yield from _walk(item)


def _absence_settled(node: Any, absent: frozenset[str]) -> Any:
    """``node`` with ``exists``/``missing`` of an absent field replaced by what its absence says: the
    condition a completion of the absent fields' values is judged by (absence is known, values not)."""
    if isinstance(node, Call) and node.function in ("exists", "missing") and len(node.args) == 1:
        (arg,) = node.args
        if isinstance(arg, Name) and arg.name in absent:
            return Const(node.function == "missing", node.pos)
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return node
    changes = {}
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if isinstance(value, tuple):
            changes[field.name] = tuple(_absence_settled(item, absent) for item in value)
        elif dataclasses.is_dataclass(value):
            changes[field.name] = _absence_settled(value, absent)
    return dataclasses.replace(node, **changes)


CONTEXT_READS = {rule_id: _reads(condition) for rule_id, condition in CONTEXT_RESOLVED.items()}


def context_fired(facts: dict[str, Any]) -> frozenset[str]:
    return CONTEXT_ENGINE.fired_encoded(encode_fact(facts, CONTEXT_VOCABULARY))


def test_the_fixture_pack_gives_typed_aggregates_and_the_conditions_read_them() -> None:
    """Not vacuous: every aggregate and every patient field drawn is a needs-field of the vocabulary,
    and each condition reads at least one of them."""
    aggregates = set(HISTORY_RULESET.aggregates)
    assert aggregates == {"doses_given", "days_since_last_dose", "haemoglobin_latest", "haemoglobin_rise",
                          "potassium_checks", "other_active_orders"}  # fmt: skip
    assert set(CONTEXT_DOMAINS) <= NEEDS
    assert all(
        CONTEXT_VOCABULARY[name].needs is HistoryKind.PATIENT for name in set(CONTEXT_DOMAINS) - aggregates
    )
    for rule_id, reads in CONTEXT_READS.items():
        assert reads & NEEDS, HISTORY_CONDITIONS[int(rule_id[1:])]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(context_facts_strategy)
def test_engine_agrees_with_the_reference_evaluator_on_random_patients(facts: dict[str, Any]) -> None:
    expected = {
        rule_id for rule_id, condition in CONTEXT_RESOLVED.items() if truth(evaluate(condition, facts))
    }
    fired = context_fired(facts)
    assert fired == expected, {rule_id: HISTORY_CONDITIONS[int(rule_id[1:])] for rule_id in expected ^ fired}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(context_facts_strategy, st.data())
def test_the_not_evaluated_decision_agrees_with_its_definition(
    facts: dict[str, Any], data: st.DataObject
) -> None:
    """A rule is not evaluated exactly when ``decide`` cannot settle its condition with the needs-fields
    it reads and the facts lack unknown. Its definition, checked: with nothing absent the decision is
    the engine's; a True or False decision holds for every value the absent fields may take (each
    completion over the domains by the reference evaluator, one drawn completion by the engine too).
    ``exists``/``missing`` of an absent field are settled by its absence (the brief's decision 4), so a
    completion gives the absent fields values for comparisons only."""
    for rule_id, condition in CONTEXT_RESOLVED.items():
        text = HISTORY_CONDITIONS[int(rule_id[1:])]
        absent = sorted((CONTEXT_READS[rule_id] & NEEDS) - set(facts))
        decision = decide(condition, facts, frozenset(absent))
        if not absent:
            assert decision == truth(evaluate(condition, facts)), text
            assert decision == (rule_id in context_fired(facts)), text
            continue
        if decision is None:
            continue  # a not-evaluated finding; soundness says nothing more about it
        settled = _absence_settled(condition, frozenset(absent))
        for values in itertools.product(*(CONTEXT_DOMAINS[name] for name in absent)):
            completed = {**facts, **dict(zip(absent, values, strict=True))}
            assert truth(evaluate(settled, completed)) is decision, (text, completed)
        if settled == condition:  # no exists/missing of an absent field: the engine may judge a completion
            drawn = {name: data.draw(st.sampled_from(CONTEXT_DOMAINS[name])) for name in absent}
            assert (rule_id in context_fired({**facts, **drawn})) is decision, (text, drawn)


def test_every_context_condition_is_decided_both_ways_and_left_undecided_by_some_patient() -> None:
    """Guard against a vacuous test: over a spread of patients each condition is True, False and not
    evaluated (None) for some (never undecided when it opts out with exists/missing), and the engine agrees with the reference on each."""
    seen: dict[str, set[bool | None]] = {rule_id: set() for rule_id in CONTEXT_RESOLVED}
    rng = random.Random(11)
    for _ in range(400):
        facts = {name: rng.choice(values) for name, values in {**CONTEXT_DOMAINS, "dose_mcg": [1.0, 1000.0],
                 "interval_days": [0.5, 7.0], "route": ["IM", "IV"]}.items() if rng.random() < 0.6}  # fmt: skip
        fired = context_fired(facts)
        for rule_id, condition in CONTEXT_RESOLVED.items():
            assert (rule_id in fired) == truth(evaluate(condition, facts)), (
                HISTORY_CONDITIONS[int(rule_id[1:])],
                facts,
            )
            absent = frozenset((CONTEXT_READS[rule_id] & NEEDS) - set(facts))
            seen[rule_id].add(decide(condition, facts, absent))
    # a rule that opts out with exists()/missing() of the field it compares is never left undecided
    opted_out = {
        "missing(haemoglobin_latest) or haemoglobin_latest < 10",
        "dose_mcg > limit and exists(haemoglobin_latest)",
    }
    found = {HISTORY_CONDITIONS[int(rule_id[1:])]: decisions for rule_id, decisions in seen.items()}
    assert found == {text: {True, False} if text in opted_out else {True, False, None} for text in found}
