"""The not-evaluated decisions, compiled once per rule and set of absent fields
(``rules.evaluate.compile_decision``), against the reference: ``decide`` walked for every order
(``tests/helpers/reference_not_evaluated.py``, the checker's code before issue 11's speed work). On
the bundled packs' rules and random records (values around every constant the rules compare with,
fields absent at random, any kinds of data held), the findings and the unheld rules are the same."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doseguard.not_evaluated import UndecidedRules
from doseguard.rules.evaluate import compile_decision, decide, evaluate
from doseguard.rules.expressions import And, Const, Expr, name_nodes
from doseguard.vocabulary import FieldType, HistoryKind
from tests.helpers.bundled import bundled_rules
from tests.helpers.reference_not_evaluated import UndecidedRules as ReferenceRules

RULES = bundled_rules()
DRUG_NAMES = [*sorted({drug.name for drug in RULES.drugs}), "paracetamol"]
VOCABULARY = RULES.vocabulary


def _constants(node: Any) -> Iterator[Any]:
    """Every literal of a condition (tables' values too)."""
    if isinstance(node, Const):
        value = node.value
        if isinstance(value, dict):
            yield from value.values()
        elif isinstance(value, tuple):
            yield from value
        else:
            yield value
    elif dataclasses.is_dataclass(node):
        for item in dataclasses.fields(node):
            child = getattr(node, item.name)
            for part in child if isinstance(child, tuple) else (child,):
                yield from _constants(part)


CONSTANTS = [value for rule in RULES.rules for value in _constants(rule.condition)]
NUMBERS = sorted(
    {0.0, 1.0}
    | {float(n) + d for n in CONSTANTS if isinstance(n, float | int) and not isinstance(n, bool)
       for d in (-0.5, 0.0, 0.5)}
)  # fmt: skip
TEXTS = sorted({text for text in CONSTANTS if isinstance(text, str)})
NEEDS = frozenset(name for name, spec in VOCABULARY.items() if spec.needs is not None)
READ = sorted({name.name for rule in RULES.rules for name in name_nodes(rule.condition)})


def _domain(name: str) -> st.SearchStrategy[Any]:
    spec = VOCABULARY[name]
    if name == "drug":
        return st.sampled_from(DRUG_NAMES)
    if spec.type is FieldType.NUMBER:
        return st.sampled_from(NUMBERS)
    if spec.type is FieldType.BOOL:
        return st.booleans()
    texts = list(spec.values or TEXTS)
    if spec.type is FieldType.STRING:
        return st.sampled_from(texts)
    if spec.type is FieldType.STRING_LIST:
        return st.lists(st.sampled_from(texts), max_size=3, unique=True)
    return st.lists(st.sampled_from(NUMBERS), max_size=3)


facts_strategy = st.fixed_dictionaries(
    {}, optional={name: _domain(name) for name in READ if name in VOCABULARY}
)
held_strategy = st.sets(st.sampled_from(list(HistoryKind))).map(frozenset)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts_strategy, held_strategy, st.booleans())
def test_the_same_rules_are_undecided_with_the_same_findings(
    facts: dict[str, Any], held: frozenset[HistoryKind], ordered: bool
) -> None:
    compiled = UndecidedRules(RULES.rules, VOCABULARY, RULES.aggregates)
    reference = ReferenceRules(RULES.rules, VOCABULARY, RULES.aggregates)
    assert compiled(facts, held, ordered) == reference(facts, held, ordered)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts_strategy, st.data())
def test_a_compiled_decision_is_decide_for_every_rule(facts: dict[str, Any], data: st.DataObject) -> None:
    """Each bundled rule, any of the fields it reads unknown (and absent from the facts)."""
    for rule in RULES.rules:
        reads = sorted({name.name for name in name_nodes(rule.condition)})
        unknown = frozenset(data.draw(st.sets(st.sampled_from(reads))) if reads else ())
        known = {name: value for name, value in facts.items() if name not in unknown}
        condition: Expr = rule.condition
        assert compile_decision(condition, unknown)(known) is decide(condition, known, unknown), rule.id


def test_the_random_records_reach_every_outcome() -> None:
    """Not vacuous: over seeded records the bundled rules are left undecided with a finding, listed
    as unheld, and settled by what the order states despite absent data, and one checker answers
    many records as the reference does (its compiled decisions reused)."""
    rng = random.Random(11)
    compiled = UndecidedRules(RULES.rules, VOCABULARY, RULES.aggregates)
    reference = ReferenceRules(RULES.rules, VOCABULARY, RULES.aggregates)
    findings = unheld = settled = 0
    for _ in range(2000):
        facts = {name: _drawn(name, rng) for name in READ if name in VOCABULARY and rng.random() < 0.6}
        held = frozenset(kind for kind in HistoryKind if rng.random() < 0.7)
        undecided = compiled(facts, held, True)
        assert undecided == reference(facts, held, True)
        findings += len(undecided.findings)
        unheld += len(undecided.unheld)
        for rule in RULES.rules:
            absent = frozenset(n.name for n in name_nodes(rule.condition)
                               if n.name in NEEDS and n.name not in facts)  # fmt: skip
            scope = rule.condition.items[0] if isinstance(rule.condition, And) else None
            in_scope = scope is not None and evaluate(scope, facts) is True
            settled += bool(absent) and in_scope and decide(rule.condition, facts, absent) is not None
    assert findings > 50 and unheld > 50 and settled > 50, (findings, unheld, settled)


def _drawn(name: str, rng: random.Random) -> Any:
    """A value of the field drawn as the strategies above draw them, from ``rng``."""
    spec = VOCABULARY[name]
    if name == "drug":
        return rng.choice(DRUG_NAMES)
    if spec.type is FieldType.NUMBER:
        return rng.choice(NUMBERS)
    if spec.type is FieldType.BOOL:
        return rng.random() < 0.5
    texts = list(spec.values or TEXTS)
    if spec.type is FieldType.STRING:
        return rng.choice(texts)
    if spec.type is FieldType.STRING_LIST:
        return rng.sample(texts, rng.randint(0, min(3, len(texts))))
    return [rng.choice(NUMBERS) for _ in range(rng.randint(0, 3))]


def test_answers_remembered_by_what_the_rules_read_are_the_reference_s() -> None:
    """One checker's answers are remembered by the values its drug's rules read (issue 13): over
    records drawn from a small pool, so that most repeat (lists among their values, fields no rule
    reads changed between repeats, ``1`` and ``True`` and ``1.0`` told apart), every answer is the
    reference's, and a repeat gets the very answer its first sighting got."""
    rng = random.Random(13)
    compiled = UndecidedRules(RULES.rules, VOCABULARY, RULES.aggregates)
    reference = ReferenceRules(RULES.rules, VOCABULARY, RULES.aggregates)
    pool = []
    for _ in range(60):
        facts = {name: _drawn(name, rng) for name in READ if name in VOCABULARY and rng.random() < 0.6}
        held = frozenset(kind for kind in HistoryKind if rng.random() < 0.7)
        pool.append((facts, held, rng.random() < 0.5))
    first: dict[int, Any] = {}
    repeats = 0
    for _ in range(1500):
        index = rng.randrange(len(pool))
        facts, held, ordered = pool[index]
        copied = {**{name: list(v) if isinstance(v, list) else v for name, v in facts.items()},
                  "order_id": f"ORD-{rng.random()}"}  # fmt: skip
        undecided = compiled(copied, held, ordered)
        assert undecided == reference(copied, held, ordered)
        if index in first:
            repeats += 1
            assert undecided is first[index]
        first.setdefault(index, undecided)
    assert repeats > 1000
    number = next(name for name in READ if name in VOCABULARY and VOCABULARY[name].type is FieldType.NUMBER
                  and VOCABULARY[name].needs is None)  # fmt: skip
    for value in (1, True, 1.0, 1, True):
        facts = {"drug": "cyanocobalamin", number: value}
        assert compiled(facts, frozenset(), True) == reference(facts, frozenset(), True)
