"""Which rules an order's absent patient data or history leaves undecided: never a silent pass.

A rule reading a field that needs patient data (``FieldSpec.needs``: a patient fact, a history
aggregate) which the order's facts lack is decided with that field unknown (``rules.evaluate.decide``,
strong Kleene): a rule the known fields settle (not this drug, ``missing(weight_kg) or ...``) keeps the
engine's answer; one they do not is not evaluated. When the run holds that kind of data (any patient
field: order columns carry them; labs, administrations, other orders when the run was given them),
the rule gives a finding saying what is missing (``Finding.evaluated`` False, at its pack's
``unevaluated:`` severity); when the run holds none of it (no labs at all), the rule is listed on the
result's ``not_evaluated`` and the run says so once (a finding on every order would bury the others),
whatever else it lacks: the run's want of data is the reason, not this patient's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

from doseguard.patients.merge import CURRENT_FOR, NOTHING_STALE
from doseguard.results import Finding
from doseguard.rules.evaluate import Decision, compile_decision
from doseguard.rules.expressions import And, Const, Membership, Name, name_nodes
from doseguard.rules.history import NO_ORDERED_AT, Aggregate, not_evaluated_message
from doseguard.rules.model import Rule
from doseguard.vocabulary import FieldSpec, HistoryKind

__all__ = ["NOT_EVALUATED", "Undecided", "UndecidedRules"]

NOT_EVALUATED = "Not evaluated"
_DERIVED = {
    "dose_mg_per_kg": "no dose per kg (it needs the patient's weight)",
    "dose_units_per_kg": "no dose per kg (it needs the patient's weight)",
    "dose_mg_per_m2": "no dose per m² (it needs the patient's weight and height)",
    "body_surface_area_m2": "no body surface area (it needs the patient's weight and height)",
}
"""What is absent when a fact worked out from patient facts is: what it needs."""
_DERIVED_FROM = {
    "dose_mg_per_kg": ("weight_kg",),
    "dose_units_per_kg": ("weight_kg",),
    "dose_mg_per_m2": ("weight_kg", "height_cm"),
    "body_surface_area_m2": ("weight_kg", "height_cm"),
}
"""The patient facts each worked-out fact is computed from."""
_DECISIONS_SIZE = 16_384
"""Compiled decisions kept (a rule and which of its fields are absent): then they are compiled anew."""
_PROJECTIONS_SIZE = 16_384
"""Answers kept by projection (what an order's drug's rules read of it): then they are worked out anew."""


class Undecided(NamedTuple):
    """What absent data left undecided for one order: findings in place of the rules' own answers,
    and the rules the run holds no data for."""

    findings: Mapping[str, Finding]  # by rule id; read-only: one answer is shared by many orders
    unheld: tuple[str, ...]  # rule ids, in rule order


NOTHING = Undecided(MappingProxyType({}), ())


class _Needing(NamedTuple):
    rule: Rule
    needs: tuple[tuple[str, HistoryKind], ...]  # the fields it reads that need patient data


class _Scope(NamedTuple):
    """The rules that may apply to orders of one drug (or of a drug no pack scopes), and every field
    they read: the answer for an order depends on the values of those fields and nothing else."""

    entries: tuple[_Needing, ...]
    reads: tuple[str, ...]


def _scope(entries: tuple[_Needing, ...]) -> _Scope:
    return _Scope(entries, tuple(sorted({n.name for e in entries for n in name_nodes(e.rule.condition)})))


class UndecidedRules:
    """The loaded rules that read patient data, ready to say which an order leaves undecided."""

    def __init__(
        self, rules: Sequence[Rule], vocabulary: Mapping[str, FieldSpec], aggregates: Mapping[str, Aggregate]
    ) -> None:
        self._vocabulary = vocabulary
        self._aggregates = aggregates
        needing = []
        for rule in rules:
            reads = tuple(sorted({name.name for name in name_nodes(rule.condition)}))
            needs = tuple(
                (name, spec.needs)
                for name in reads
                if (spec := vocabulary.get(name)) is not None and spec.needs is not None
            )
            if needs:
                needing.append(_Needing(rule, needs))
        self._needing = tuple(needing)
        # A pack's rules are scoped to its drugs (the loader's ``drug in (...)``): an order of another
        # drug is settled by that alone, so only the rules that may apply to its drug are looked at.
        scoped = [(_drugs_of(entry.rule), entry) for entry in self._needing]
        drugs = {drug for scope, _ in scoped if scope is not None for drug in scope}
        self._any_drug = _scope(tuple(entry for scope, entry in scoped if scope is None))
        self._by_drug = {
            drug: _scope(tuple(entry for scope, entry in scoped if scope is None or drug in scope))
            for drug in drugs
        }
        self._decisions: dict[tuple[str, tuple[str, ...]], Decision] = {}
        self._answers: dict[tuple[Any, ...], Undecided] = {}

    def __bool__(self) -> bool:
        return bool(self._needing)

    def __call__(
        self,
        facts: Mapping[str, Any],
        held: frozenset[HistoryKind],
        ordered: bool,
        stale: frozenset[str] = NOTHING_STALE,
    ) -> Undecided:
        """For an order's facts, the run's kinds of data for its patient (``held``; patient fields
        always count as held), whether it states ``ordered_at`` and which patient fields were left
        out as recorded too long before it (``stale``: said as such): what is undecided.

        The answer is a function of the values of the fields its drug's rules read (with their types:
        ``1``, ``1.0`` and ``True`` are one dictionary key), ``held`` and ``ordered``, so it is
        remembered by them: in a batch without history most orders of a drug share those values."""
        get = facts.get
        drug = get("drug")
        scope = self._by_drug.get(drug, self._any_drug) if isinstance(drug, str) else self._any_drug
        named = drug if scope is not self._any_drug else None
        values = tuple(map(get, scope.reads))
        answers = self._answers
        try:
            key = (named, held, ordered, stale, values, tuple(map(type, values)))
            known = answers.get(key)
        except TypeError:  # a list (the terms of allergies, conditions): its items are the key
            values = tuple(tuple(value) if type(value) is list else value for value in values)
            try:
                key = (named, held, ordered, stale, values, tuple(map(type, values)))
                known = answers.get(key)
            except TypeError:  # a value that cannot be a key: worked out each time
                return self._undecided(scope.entries, facts, held, ordered, stale)
        if known is None:
            if len(answers) >= _PROJECTIONS_SIZE:
                answers.clear()
            known = answers[key] = self._undecided(scope.entries, facts, held, ordered, stale)
        return known

    def _undecided(
        self,
        entries: tuple[_Needing, ...],
        facts: Mapping[str, Any],
        held: frozenset[HistoryKind],
        ordered: bool,
        stale: frozenset[str],
    ) -> Undecided:
        found: dict[str, Finding] = {}
        unheld: list[str] = []
        get = facts.get
        for rule, needs in entries:
            absent = tuple(name for name, _ in needs if get(name) is None)
            if not absent or self._decided(rule, absent, facts):
                continue
            if any(name in absent and kind is not HistoryKind.PATIENT and kind not in held
                   for name, kind in needs):  # fmt: skip
                unheld.append(rule.id)  # no order of the run can be checked by it: said once
            else:
                found[rule.id] = self._finding(rule, absent, ordered, stale)
        return Undecided(MappingProxyType(found), tuple(unheld)) if found or unheld else NOTHING

    def _decided(self, rule: Rule, absent: tuple[str, ...], facts: Mapping[str, Any]) -> bool:
        """Whether the fields the order states settle the rule: ``decide`` compiled once for the rule
        and which fields are absent (``compile_decision``), then called with the order's facts (the
        answer depends on their values, which with history aggregates seldom repeat)."""
        key = (rule.id, absent)
        decision = self._decisions.get(key)
        if decision is None:
            if len(self._decisions) >= _DECISIONS_SIZE:
                self._decisions.clear()
            decision = self._decisions[key] = compile_decision(rule.condition, absent)
        return decision(facts) is not None

    def _finding(self, rule: Rule, missing: tuple[str, ...], ordered: bool, stale: frozenset[str]) -> Finding:
        message = rule.unevaluated_message
        if message is None:
            message = not_evaluated_message(self._phrase(name, ordered, stale) for name in missing)
        elif not message.lower().startswith(NOT_EVALUATED.lower()):
            message = f"{NOT_EVALUATED}: {message}"
        return Finding(rule.id, rule.unevaluated_severity, message, rule.title, rule.pack, evaluated=False)

    def _phrase(self, name: str, ordered: bool, stale: frozenset[str]) -> str:
        """What is absent, in words ("no haemoglobin result in the 30 days before the order")."""
        aggregate = self._aggregates.get(name)
        if aggregate is not None:
            return aggregate.absent_phrase if ordered else NO_ORDERED_AT
        if name in _DERIVED:
            old = [source for source in _DERIVED_FROM[name] if source in stale]
            if old:
                return f"{_DERIVED[name].split(' (')[0]} ({'; '.join(self._too_old(s) for s in old)})"
            return _DERIVED[name]
        if name in stale:
            return self._too_old(name)
        spec = self._vocabulary.get(name)
        return f"no {spec.label if spec is not None else name} recorded for the patient"

    def _too_old(self, name: str) -> str:
        """A patient fact left out as recorded too long before the order (``patients/merge.py``)."""
        spec = self._vocabulary.get(name)
        days = CURRENT_FOR[name].days
        lasting = f"{days // 7} weeks" if days % 7 == 0 and days >= 70 else f"{days} days"
        label = spec.label if spec is not None else name
        return f"the patient's latest {label} was recorded more than {lasting} before the order"


def _drugs_of(rule: Rule) -> frozenset[str] | None:
    """The drugs a rule is scoped to (its pack's), or None for a rule of a pack that names none."""
    condition = rule.condition
    if isinstance(condition, And) and condition.items:
        scope = condition.items[0]
        if (
            isinstance(scope, Membership) and scope.op == "in"
            and isinstance(scope.left, Name) and scope.left.name == "drug"
            and isinstance(scope.right, Const) and isinstance(scope.right.value, tuple)
        ):  # fmt: skip
            return frozenset(str(drug) for drug in scope.right.value)
    return None
