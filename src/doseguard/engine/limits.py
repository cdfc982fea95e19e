"""Limits of the durable-rules 2.0.28 C core, enforced when rules are compiled for it.

Past these the engine does not raise: it returns an error code with no location, hangs, or crashes.
So a pack that comes near them is refused when its rules are compiled (:mod:`doseguard.engine.compiled`),
with the rule and the reason.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

MAX_RULES_PER_RULESET = 4000
"""The engine's limit is 4096 rules per ruleset (one is our catch-all)."""

MAX_PATHS_PER_RULESET = 60
"""A fact matching more than 64 alpha nodes at once fails with error 303 (measured); keep a margin."""

MAX_SIBLINGS = 500
"""At 512 sibling conditions under one node an assert hangs; a 600-way ``$or`` hung."""

MAX_IDENTICAL_CONDITIONS = 250
"""256 rules with identical condition chains segfault."""

MAX_RULES = 4000

SMALLEST_NUMBER = 1e-9
LARGEST_NUMBER = 1e12
"""The numbers a compiled condition may hold (besides 0): the engine refuses exponents (error 204)."""


class CompiledRule(Protocol):
    """What the engine needs of a rule: a name, its compiled condition and how many paths it has."""

    @property
    def id(self) -> str: ...
    @property
    def compiled(self) -> dict[str, Any] | bool: ...
    @property
    def branches(self) -> int: ...


R = TypeVar("R", bound=CompiledRule)


def widest_sibling_list(condition: Any) -> int:
    if isinstance(condition, dict):
        widths = [len(v) if isinstance(v, list) else 0 for v in condition.values()]
        inner = [widest_sibling_list(v) for v in condition.values()]
        return max([*widths, *inner, 0])
    if isinstance(condition, list):
        return max([widest_sibling_list(v) for v in condition] + [0])
    return 0


def rule_limit_problems(condition: dict[str, Any] | bool, branches: int) -> list[str]:
    """Why one compiled condition cannot be given to the engine (empty when it can)."""
    problems = []
    if branches > MAX_PATHS_PER_RULESET:
        problems.append(
            f"the condition expands into {branches} alternative paths; the engine fails when one order "
            f"matches more than {MAX_PATHS_PER_RULESET} (split the rule, or use fewer table entries or 'or's)"
        )
    width = widest_sibling_list(condition)
    if width > MAX_SIBLINGS:
        problems.append(
            f"the condition has {width} alternatives side by side; the engine hangs past {MAX_SIBLINGS}"
        )
    return problems


def unreadable_number(condition: Any) -> float | None:
    """A number of a compiled condition the engine cannot read (it refuses exponents, 204)."""
    if isinstance(condition, bool):
        return None
    if isinstance(condition, float | int):
        number = float(condition)
        fine = math.isfinite(number) and (number == 0 or SMALLEST_NUMBER <= abs(number) <= LARGEST_NUMBER)
        return None if fine else number
    items = (
        condition.values()
        if isinstance(condition, dict)
        else condition
        if isinstance(condition, list)
        else ()
    )
    for item in items:
        found = unreadable_number(item)
        if found is not None:
            return found
    return None


def pack_limit_problems(rules: Sequence[CompiledRule]) -> list[tuple[str, str]]:
    """(rule id, problem) for limits that only a set of rules can break."""
    problems: list[tuple[str, str]] = []
    if len(rules) > MAX_RULES:
        problems.append((rules[MAX_RULES].id, f"more than {MAX_RULES} rules are loaded"))
    seen: dict[str, list[str]] = {}
    for rule in rules:
        key = json.dumps(rule.compiled, sort_keys=True)
        seen.setdefault(key, []).append(rule.id)
    for ids in seen.values():
        if len(ids) > MAX_IDENTICAL_CONDITIONS:
            problems.append(
                (
                    ids[MAX_IDENTICAL_CONDITIONS],
                    f"more than {MAX_IDENTICAL_CONDITIONS} rules share one condition",
                )
            )
    return problems


def plan_shards(rules: Sequence[R]) -> list[list[R]]:
    """Split rules into rulesets so that no order can match more than the engine allows in one."""
    shards: list[list[R]] = []
    current: list[R] = []
    used = 1  # the catch-all rule
    for rule in rules:
        if current and (
            used + rule.branches > MAX_PATHS_PER_RULESET or len(current) >= MAX_RULES_PER_RULESET
        ):
            shards.append(current)
            current, used = [], 1
        current.append(rule)
        used += rule.branches
    if current:
        shards.append(current)
    return shards
