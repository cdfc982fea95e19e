"""Rules in the engine's form: every rule's condition compiled once, and everything the engine could
not take reported as located rule-file problems, all at once (as the loader reports its own).

The rule model knows no engine; this is where the two meet. A rule the compiler refuses, a number the
engine cannot read, a condition that can never be true and each limit of :mod:`doseguard.engine.limits`
become :class:`RulePackError` problems at the rule's ``when:`` (or at the part of it that is wrong),
with the messages and kinds the loader used when it compiled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from doseguard.engine.compile import branch_count, compile_condition
from doseguard.engine.limits import pack_limit_problems, rule_limit_problems, unreadable_number
from doseguard.errors import ExpressionError, ProblemKind, RulePackError, RuleProblem, SourceLocation
from doseguard.rules.loader import LoadedRules, in_file_order
from doseguard.rules.model import Rule, RuleSet


@dataclass(frozen=True)
class EngineRule:
    """One rule as the engine takes it: its id, its condition in durable-rules JSON (``True`` for a
    rule that fires for every order) and how many alpha paths a fact can match through it."""

    id: str
    compiled: dict[str, Any] | bool
    branches: int


@dataclass(frozen=True)
class CompiledRules:
    """Every rule of ``rule_set`` in the engine's form. A checker of any selection of these rules takes
    its engine rules from here (:meth:`of`), so a run compiles its rules once."""

    rule_set: RuleSet
    entries: Mapping[str, tuple[Rule, EngineRule]]

    def __getitem__(self, rule_id: str) -> EngineRule:
        return self.entries[rule_id][1]

    def of(self, rules: Iterable[Rule]) -> list[EngineRule]:
        """The engine rules of ``rules``, which must be rules of :attr:`rule_set` (the same objects: a
        rule of another load may share an id, not a condition)."""
        found = []
        for rule in rules:
            entry = self.entries.get(rule.id)
            if entry is None or entry[0] is not rule:
                raise ValueError(f"rule {rule.id} is not one of the rules compiled here")
            found.append(entry[1])
        return found


def compile_rules(rule_set: RuleSet, earlier: Sequence[RuleProblem] = ()) -> CompiledRules:
    """Compile every rule of ``rule_set``; raises :class:`RulePackError` listing what the engine cannot
    take together with the ``earlier`` problems (the loader's), in file order."""
    problems = list(earlier)
    entries: dict[str, tuple[Rule, EngineRule]] = {}
    for rule in rule_set.rules:
        engine_rule = _compile_rule(rule, problems)
        if engine_rule is not None:
            entries[rule.id] = (rule, engine_rule)
    for rule_id, message in pack_limit_problems([engine_rule for _, engine_rule in entries.values()]):
        location = entries[rule_id][0].source
        problems.append(RuleProblem(location, message, kind=ProblemKind.ENGINE_LIMIT, rule_id=rule_id))
    if problems:
        raise RulePackError(in_file_order(problems))
    return CompiledRules(rule_set, entries)


def compile_loaded(loaded: LoadedRules) -> CompiledRules:
    """The rules that loaded, compiled; raises :class:`RulePackError` with the loader's problems and
    the engine's, in file order, as one list (what ``rules validate`` and every command report)."""
    return compile_rules(loaded.rule_set, loaded.problems)


def _compile_rule(rule: Rule, problems: list[RuleProblem]) -> EngineRule | None:
    """The rule in the engine's form; None, with its problems added to ``problems``, when the engine
    cannot take it (a rule over a per-rule limit is kept: the pack's limits count it)."""
    where = rule.condition_source

    def problem(location: SourceLocation, message: str, kind: ProblemKind) -> None:
        problems.append(RuleProblem(location, message, kind=kind, rule_id=rule.id))

    try:
        try:
            compiled = compile_condition(rule.condition)
        except ExpressionError as error:
            problem(where.locate(error.offset), error.message, ProblemKind.COMPILE)
            return None
        unreadable = unreadable_number(compiled)
        if unreadable is not None:
            problem(
                where.when,
                f"the number {unreadable!r} is outside what the engine reads: use numbers from "
                "0.000000001 to 1000000000000 (or 0)",
                ProblemKind.ENGINE_LIMIT,
            )
            return None
        if compiled is False:
            problem(where.when, "this condition can never be true", ProblemKind.INVALID)
            return None
        branches = branch_count(compiled)
        limits = rule_limit_problems(compiled, branches)
    except RecursionError:
        problem(where.when, "the rule is nested too deeply to check", ProblemKind.TOO_DEEP)
        return None
    for limit in limits:
        problem(where.when, limit, ProblemKind.ENGINE_LIMIT)
    return EngineRule(rule.id, compiled, branches)
