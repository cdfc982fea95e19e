"""Rules for the engine alone, without a pack: what the engine reads of a rule, compiled from a
condition. Importable in a child process (the adapter's crash tests run there)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from doseguard.engine.compile import branch_count, compile_condition
from doseguard.rules.expressions import parse_expression
from doseguard.rules.typecheck import TypeChecker
from doseguard.vocabulary import VOCABULARY


@dataclass(frozen=True)
class StubRule:
    id: str
    compiled: dict[str, Any] | bool
    branches: int = 1


def rule(rule_id: str, condition: str, **parameters: Any) -> StubRule:
    """A rule of this condition, type-checked with ``parameters`` and compiled as the engine compiles it."""
    resolved = TypeChecker(VOCABULARY, parameters).check_condition(parse_expression(condition))
    compiled = compile_condition(resolved)
    return StubRule(rule_id, compiled, branch_count(compiled))
